#pragma once
/// @file report.hpp
/// The lines a command prints on standard output for people (what ran, results, files written).
///
/// They are a report of the outputs, not the outputs: when standard output cannot be written (a full
/// disk, /dev/full, a closed pipe) the command still completes and commits its files, and main()
/// then exits with status 1 saying that the report could not be printed.

#include <fmt/format.h>

#include <cstdio>
#include <utility>

namespace soma::app {

/// Set when a line of the report could not be written.
inline bool report_failed = false;

/// fmt::print on stdout, except that a failed write sets `report_failed` instead of throwing.
template <class... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
    const auto text = fmt::format(format, std::forward<Args>(args)...);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) report_failed = true;
}

}  // namespace soma::app
