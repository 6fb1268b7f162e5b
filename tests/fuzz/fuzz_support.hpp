#pragma once
/// @file fuzz_support.hpp
/// What the libFuzzer targets of tests/fuzz share: the input written to a file (the parsers read files),
/// the plug-ins of this build tree, and the rule that an input may fail only cleanly.
///
/// A clean failure is what the `soma` program reports as a user's error (apps/soma/main.cpp): a soma::Error
/// (ParameterError, ModelFileError, ...) or a boost::program_options::error. Any other exception escapes
/// LLVMFuzzerTestOneInput, so libFuzzer reports it (as a crash of std::terminate) and keeps the input, as it
/// does for sanitizer reports, crashes, timeouts (-timeout) and memory use over -rss_limit_mb.

#include "soma/error.hpp"
#include "soma/registry.hpp"

#include <boost/program_options/errors.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace soma::fuzz {

/// A directory of this process's own under TMPDIR (several fuzzers may run at once, e.g. with -jobs), removed at a
/// normal exit; libFuzzer ends with _Exit, so scripts/fuzz.sh points TMPDIR into the build tree.
inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        std::string pattern = (std::filesystem::temp_directory_path() / "soma-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratch_dir(), ec);
        });
        return std::filesystem::path(pattern);
    }();
    return dir;
}

/// Writes `data` to the file `name` of scratch_dir() and returns its path.
inline std::filesystem::path write_input(std::string_view name, const std::uint8_t* data, std::size_t size) {
    const auto path = scratch_dir() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out.flush()) std::abort();
    return path;
}

/// The plug-ins of this build tree (libsoma finds them beside itself), loaded once.
inline const PluginRegistry& registry() {
    static const PluginRegistry instance;
    return instance;
}

/// Runs `f`, letting only the errors a user can cause pass (see the top of this file).
template <class F>
void fails_cleanly(F&& f) {
    try {
        f();
    } catch (const soma::Error&) {
    } catch (const boost::program_options::error&) {
    }
}

}  // namespace soma::fuzz
