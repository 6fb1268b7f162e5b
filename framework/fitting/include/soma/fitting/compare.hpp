#pragma once
/// @file compare.hpp
/// A model run compared with the recordings of the same input: the scores of every cell against every
/// repetition (evaluate.hpp), written as a table, a summary and a figure of recorded and simulated
/// voltage overlaid with both spike rasters (`soma compare`; `soma fit` draws it for its best candidate).

#include "soma/experiments/responses.hpp"
#include "soma/fitting/evaluate.hpp"

#include <boost/config.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace soma::fitting {

/// The cells of a run scored against one stimulus set.
struct Comparison {
    const StimulusSet* set = nullptr;   ///< the recordings (not owned)
    Evaluation evaluation;              ///< how they were scored (keep_traces set)
    RunInfo info;                       ///< the run: plug-ins, grid, every value, per-cell values
    std::vector<CellEvaluation> cells;  ///< shape [cells]; empty on MPI ranks other than 0
};

/// Runs `run` on the set's stimulus (evaluate_population with the simulated traces kept) and scores it.
/// @throws as evaluate_population.
[[nodiscard]] BOOST_SYMBOL_VISIBLE Comparison compare(const PluginRegistry& registry, const RunSpec& run,
                                                      const StimulusSet& set, Evaluation evaluation,
                                                      const experiments::RunControl& control);

/// The part of the recording a comparison figure shows: `requested` if given (checked against the
/// recording: within [0, duration), from < to), else the first 1000 ms (or the whole recording if shorter).
/// @throws ParameterError for a window outside the recording.
[[nodiscard]] BOOST_SYMBOL_VISIBLE experiments::Window figure_window(const Comparison& comparison,
                                                                     const std::optional<experiments::Window>& requested);

/// Writes, in `dir`, `NAME_compare.csv` (the run's metadata as `#` lines, the definitions, then one row
/// per cell and repetition: the cell's per-cell values, the repetition's file, model and recorded spike
/// counts, coincidences, Gamma, and the cell's Gamma_int, Gamma_A, count ratio, rates and RMSE), the
/// figure's data `NAME_compare_traces.csv` (t (ms), the recorded V of the first repetition and the
/// simulated v of cell `cell` in mV, over `window`) and `NAME_compare_spikes.csv` (every spike in the
/// window: train 0 the model cell, 1.. the repetitions), and the figure `NAME_compare.{gp,png,svg}`.
/// All appear only when complete. Returns their paths.
/// @throws RunError when a file cannot be written or gnuplot fails; ParameterError for a cell out of range.
BOOST_SYMBOL_VISIBLE std::vector<std::filesystem::path> write_comparison(const Comparison& comparison,
                                                                        const std::filesystem::path& dir,
                                                                        const std::string& name,
                                                                        const experiments::Window& window,
                                                                        std::size_t cell = 0);

/// Why some cells' Gamma is undefined (e.g. the model fires at or above 1 / (2 delta)), said once for the
/// comparison as the command's note and soma.compare's warning; "" when every Gamma is defined.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string undefined_gamma_note(const Comparison& comparison);

/// The names of the files write_comparison writes for `name` (NAME_compare.csv, ...), in `dir` or not.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<std::string> comparison_files(const std::string& name);

}  // namespace soma::fitting
