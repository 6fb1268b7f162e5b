#pragma once
/// @file run_metadata.hpp
/// A run's metadata as `#` comment lines, the header every text output of Soma starts with (the csv
/// recorder's files, the tables of experiments), so that `pandas.read_csv(f, comment='#')` skips it.

#include "soma/run_info.hpp"

#include <string>

namespace soma {

/// `text` on one line of valid UTF-8: control characters (newlines, tabs) become spaces, so a comment stays
/// one line, and a byte that belongs to no UTF-8 sequence becomes U+FFFD (gnuplot::valid_utf8), as in the
/// figures and the JSON summary, so that a reader that decodes the file as UTF-8 (pandas) can read it.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string one_line(std::string text);

/// The metadata of `info`, one `# ` line each: Soma's version; the title; the plug-ins and the model
/// preset; dt, t_stop, steps and record interval; cells, threads and seed; the command line (quoted as a
/// shell would take it back), each plug-in's kind, name, version and library file, and each input file
/// (model file, stimulus files, cell table, scenario file) with its SHA-256; what was recorded (`v, I of
/// cells 0:10, 12`: `a:b` are the cells a to b - 1); the note on a default selection, if any; then one
/// line per parameter, `# model.g_Na = 120 mS/cm^2` for a value shared by all cells and
/// `# stimulus.amplitude (nA): linspace(1.1, 3, 20)` (as the user gave it) for one that differs between
/// cells. Dimensionless values and the integrators' tolerances have no unit. The date is not among them
/// (it is in the command's JSON summary), so that the same command gives byte-identical data files.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string metadata_comments(const RunInfo& info);

}  // namespace soma
