#pragma once
/// @file output_file.hpp
/// A text output of a recorder, written under a temporary name and renamed when complete, and the
/// number formats recorders share.

#include "soma/error.hpp"
#include "soma/staged_file.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

namespace soma {

/// A StagedFile opened for writing through a buffered C stream (64 KiB, so memory stays bounded
/// whatever the size of the output), with fmt formatting.
/// Every failure (cannot create, disk full) is a RunError naming the final path; destruction or
/// `discard` without `commit` deletes the temporary file and never throws.
class BOOST_SYMBOL_VISIBLE OutputFile {
public:
    OutputFile() = default;
    /// Creates the temporary file beside `final_path`. @throws RunError if it cannot be created.
    explicit OutputFile(std::filesystem::path final_path);

    /// Appends formatted text. @throws RunError on a write error, or when the file is closed.
    template <class... T>
    void print(fmt::format_string<T...> format, T&&... args) {
        if (!file_) fail("the file is already closed");
        try {
            fmt::print(file_.get(), format, std::forward<T>(args)...);
        } catch (const std::system_error& e) {
            fail(e.what());
        }
    }

    /// Appends `text` as it is (e.g. rows composed in a reused fmt::memory_buffer with
    /// `append_number`). @throws RunError on a write error, or when the file is closed.
    void write(std::string_view text);

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
};

/// Appends `x` to `out` in the shortest form that reads back to the same double (full precision).
/// FMT_COMPILE takes fmt's fast path (Dragonbox) instead of parsing a format specification per number.
inline void append_number(fmt::memory_buffer& out, double x) { fmt::format_to(std::back_inserter(out), FMT_COMPILE("{}"), x); }

/// How sample times, multiples i * dt of a time step dt, are written: as the decimal they stand
/// for, with the number of decimals of dt, e.g. 0.7 (not 0.7000000000000001) for 7 * 0.1 ms, and
/// 0.025 for 1 * 0.025 ms. The number of decimals is the smallest with which dt itself reads back to
/// the same double (`%.{d}f` formatting; nothing is stripped, so with dt = 0.5, t = 1 is "1.0").
class BOOST_SYMBOL_VISIBLE TimeFormat {
public:
    TimeFormat() = default;
    /// @param dt the time step, > 0 and finite. A dt that needs more than `max_decimals` decimals
    ///        (below about 1e-40) makes times be written in the shortest round-trip form instead.
    explicit TimeFormat(double dt);

    /// Appends time `t` (a multiple of dt, >= 0) to `out`: the same text as `{:.{d}f}` formatting, made
    /// from the integer round(t * 10^d) (about 4 times faster, this runs once per row).
    void append(fmt::memory_buffer& out, double t) const;
    /// The decimals written, or -1 for the shortest round-trip form.
    [[nodiscard]] int decimals() const { return decimals_; }

    static constexpr int max_decimals = 40;

private:
    int decimals_ = -1;
    double scale_ = 1;       // 10^decimals
    std::uint64_t unit_ = 1;  // 10^decimals
};

}  // namespace soma
