#pragma once
/// @file bench_options.hpp
/// The command lines of the benchmark programs: `--name value` pairs and `--help`, numbers checked, and
/// a usage error (exit status 2) that names the program.

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace soma::bench {

class Options {
public:
    Options(std::string_view program, std::string_view usage) : program_(program), usage_(usage) {}

    /// Prints the message and the usage to stderr and exits with status 2.
    [[noreturn]] void error(std::string_view message) const {
        fmt::print(stderr, "{}: {}\n{}\n", program_, message, usage_);
        std::exit(2);
    }
    /// `text` as a finite number, or a usage error naming `option`.
    [[nodiscard]] double number(std::string_view option, std::string_view text) const {
        const std::string copy(text);
        char* end = nullptr;
        const double value = std::strtod(copy.c_str(), &end);
        if (copy.empty() || *end != '\0' || !std::isfinite(value)) {
            error(fmt::format("{} needs a number, not '{}'", option, text));
        }
        return value;
    }
    /// `text` as a whole number from `least` to 1e9, or a usage error naming `option`.
    [[nodiscard]] std::size_t count(std::string_view option, std::string_view text, double least = 1) const {
        const double value = number(option, text);
        if (value < least || value > 1e9 || value != std::floor(value)) {
            error(fmt::format("{} needs a whole number from {} to 1e9, not '{}'", option, least, text));
        }
        return static_cast<std::size_t>(value);
    }
    /// Calls `option(name, value)` for each `--name value` pair of the command line; prints the usage and
    /// returns false for --help or -h. `option` reports an unknown name with `error`.
    template <class F>
    [[nodiscard]] bool parse(int argc, char** argv, F&& option) const {
        for (int a = 1; a < argc; ++a) {
            const std::string_view arg = argv[a];
            if (arg == "--help" || arg == "-h") {
                fmt::print("{}\n", usage_);
                return false;
            }
            if (a + 1 >= argc) error(fmt::format("unknown or incomplete option '{}'", arg));
            option(arg, std::string_view(argv[++a]));
        }
        return true;
    }

private:
    std::string_view program_, usage_;
};

}  // namespace soma::bench
