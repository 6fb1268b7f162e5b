#pragma once
/// @file gnuplot_script.hpp
/// Quoting of text for the gnuplot recorder: in gnuplot commands, and in the shell command that
/// starts gnuplot. Header-only so that tests can reach it.

#include <string>
#include <string_view>

namespace soma::gnuplot {

/// `text` as a gnuplot single-quoted string literal: `'` doubled, control characters (newline,
/// tab, ...) replaced by spaces. Inside single quotes gnuplot expands neither backslashes, nor
/// backquoted commands, nor `@` macros, so the literal can neither end early nor run anything.
inline std::string quote(std::string_view text) {
    std::string quoted = "'";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\'') {
            quoted += "''";
        } else {
            quoted += byte < 0x20 || byte == 0x7f ? ' ' : c;
        }
    }
    return quoted + "'";
}

/// `text` as one word for /bin/sh: single-quoted, each `'` written as `'\''`.
inline std::string shell_quote(std::string_view text) {
    std::string quoted = "'";
    for (const char c : text) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

}  // namespace soma::gnuplot
