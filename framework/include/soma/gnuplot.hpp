#pragma once
/// @file gnuplot.hpp
/// Drawing figures with Debian's gnuplot, shared by the gnuplot recorder and the experiments' figures
/// (phase planes): quoting user text for gnuplot, finding the program, and running it on a script
/// with a time limit, its figures written to StagedFiles so that they appear only when complete.

#include "soma/staged_file.hpp"

#include <boost/config.hpp>

#include <chrono>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace soma::gnuplot {

/// `text` as a gnuplot single-quoted string literal: `'` doubled, control characters (newline,
/// tab, ...) replaced by spaces. Inside single quotes gnuplot expands neither backslashes, nor
/// backquoted commands, nor `@` macros, so the literal can neither end early nor run anything.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string quote(std::string_view text);

/// `text` with every byte that does not belong to a valid UTF-8 sequence (RFC 3629) replaced by
/// U+FFFD, the replacement character, one per byte: figures are UTF-8 (`set encoding utf8`), and an
/// SVG with an invalid byte in a label is not a valid XML document.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string valid_utf8(std::string_view text);

/// Text shown in a figure (a title, a label) as a gnuplot string literal: quote(valid_utf8(text)).
/// File names go through `quote` alone, so that they keep their bytes.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string quote_text(std::string_view text);

/// Text shown in a figure, as quote_text, broken at blanks into lines of at most `columns` characters
/// (code points) each, joined by newlines in a gnuplot string expression ('a'."\n".'b'), for a title that
/// would not fit on one line; a word longer than a line is not broken. `lines` is the number of lines.
struct WrappedText {
    std::string expression;
    std::size_t lines = 1;
};
[[nodiscard]] BOOST_SYMBOL_VISIBLE WrappedText wrapped_text(std::string_view text, std::size_t columns);

/// A unit as figures show it (UTF-8): "" for a dimensionless one ("1" or ""); otherwise the unit with
/// the micro prefix u written µ, Ohm written Ω, exponents as superscripts and * as a middle dot, e.g.
/// "uA/cm^2" -> "µA/cm²", "MOhm" -> "MΩ", "mV" -> "mV". Data files keep the ASCII form, which
/// programs read back.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string display_unit(std::string_view unit);

/// A quantity's name and unit as figures show them: "I (µA/cm²)", "v (mV)", "m" (dimensionless: the name
/// alone); the unit through display_unit.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string axis_label(std::string_view name, std::string_view unit);

/// The opening of a loop that draws a figure twice, into `pngfile` (pngcairo) and then into `svgfile`
/// (svg), both `width` x `height` pixels (gnuplot expressions, e.g. "900" or "width"), sans-serif at
/// `font_size` points on white, `noenhanced` (labels are shown as written). Each pass starts with
/// `reset`, `set encoding utf8` and the terminal and output set; the caller appends the plotting commands and closes the
/// loop with "}\n". Variables `pngfile` and `svgfile` must be set by the script.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string png_and_svg_loop(std::string_view width, std::string_view height,
                                                                int font_size);

/// The absolute path of the gnuplot executable found on $PATH (execvp's default path when unset),
/// skipping empty and relative entries (which would run a program planted in the working directory).
/// @throws RunError starting with `who` (e.g. "gnuplot recorder") if there is none, saying how to
///         install it (Debian's gnuplot-nox).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::filesystem::path find(std::string_view who);

/// How long `draw` waits for gnuplot before it kills it: the recorders thin what they plot (a figure of
/// 10^4 cells and 1.4 10^7 spikes draws in about 10 s), so a minute means gnuplot is stuck.
inline constexpr std::chrono::seconds default_time_limit{60};

/// Runs `program` (from `find`) with `commands` on its standard input (typically variable assignments
/// pointing at temporary files, then `load` of a script), its standard output discarded and its
/// standard error kept in a temporary file, then checks that every figure in `figures` was written
/// (each one's temp_path non-empty, and complete: a PNG ending with its IEND chunk, an SVG with
/// `</svg>`, since gnuplot exits 0 when a write fails). Nothing is committed: the caller commits the figures.
/// gnuplot runs in a process group of its own; stopping it (past `limit`, or when the run is asked to
/// stop: stop_requested, integrator.hpp) kills the group, what gnuplot started included.
/// @throws RunError starting with `who` if gnuplot cannot be started, runs longer than `limit` (it is
///         killed), is interrupted, or leaves a figure missing, empty or cut short (with the free space when the file system
///         is nearly full); the message carries what gnuplot printed on
///         its standard error.
BOOST_SYMBOL_VISIBLE void draw(const std::filesystem::path& program, std::string_view commands,
                               std::span<const StagedFile* const> figures, std::string_view who,
                               std::chrono::seconds limit = default_time_limit);

}  // namespace soma::gnuplot
