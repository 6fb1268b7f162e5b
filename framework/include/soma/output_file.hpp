#pragma once
/// @file output_file.hpp
/// A text output of a recorder, written under a temporary name and renamed when complete.

#include "soma/error.hpp"
#include "soma/staged_file.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

namespace soma {

/// A StagedFile opened for writing through a buffered C stream, with fmt formatting.
/// Every failure (cannot create, disk full) is a RunError naming the final path; destruction or
/// `discard` without `commit` deletes the temporary file and never throws.
class BOOST_SYMBOL_VISIBLE OutputFile {
public:
    OutputFile() = default;
    /// Creates the temporary file beside `final_path`. @throws RunError if it cannot be created.
    explicit OutputFile(std::filesystem::path final_path);

    /// Appends formatted text. @throws RunError on a write error.
    template <class... T>
    void print(fmt::format_string<T...> format, T&&... args) {
        try {
            fmt::print(file_.get(), format, std::forward<T>(args)...);
        } catch (const std::system_error& e) {
            fail(e.what());
        }
    }

    /// Appends one sample as a line: t, then every value of `state`, then every value of `current`,
    /// separated by `separator`, each in the shortest form that reads back to the same double.
    /// @throws RunError on a write error.
    void write_sample(char separator, double t, std::span<const double> state, std::span<const double> current);

    /// Flushes and closes the file (it stays under its temporary name). @throws RunError on failure.
    void close();
    /// Closes the file if open, then renames it to its final name. @throws RunError on failure.
    void commit();
    /// Closes and deletes the temporary file. Never throws.
    void discard() noexcept;

    [[nodiscard]] const std::filesystem::path& final_path() const { return staged_.final_path(); }
    [[nodiscard]] const std::filesystem::path& temp_path() const { return staged_.temp_path(); }

private:
    [[noreturn]] void fail(const char* reason) const;

    struct Closer {
        void operator()(std::FILE* file) const noexcept { std::fclose(file); }
    };
    StagedFile staged_;
    std::vector<char> buffer_;  // stdio buffer, 64 KiB: large writes, few system calls; outlives file_
    std::unique_ptr<std::FILE, Closer> file_;
    fmt::memory_buffer line_;
};

}  // namespace soma
