#pragma once
/// @file sweep.hpp
/// A parameter sweep: each axis is one parameter of the model or the stimulus with a list of values;
/// the cells are the cartesian product of the axes, run as one population; each cell's firing is
/// summarised over an analysis window (responses.hpp). With the stimulus amplitude as the only axis
/// this is an f-I curve.

#include "soma/experiments/responses.hpp"
#include "soma/run_spec.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace soma {
class PluginRegistry;
}

namespace soma::experiments {

/// One axis of a sweep.
struct Axis {
    std::string component;  ///< "model" or "stimulus"
    std::string name;       ///< the parameter, e.g. "amplitude" (a part of a sum of stimuli: "LABEL.amplitude")
    std::string given_as;   ///< the values as given, normalised, e.g. "linspace(0, 20, 41)"
    std::vector<double> values;  ///< shape [length of the axis]
    std::string unit;       ///< filled in by run_sweep (the parameter's unit, resolved)

    [[nodiscard]] std::string full_name() const { return component + "." + name; }
};

/// Parses an axis as typed after `--vary`: `KIND.PARAM=VALUES`, KIND `model` or `stimulus`, VALUES a
/// number, a list (`30,36,42`) or `linspace(a, b, n)` (cell_values.hpp).
/// @throws ParameterError naming the text: no `=`, no `KIND.`, another KIND, no values, or values
///         drawn at random (an axis needs its values; random per-cell values are given with --set).
[[nodiscard]] BOOST_SYMBOL_VISIBLE Axis parse_axis(std::string_view text);

/// The most cells a sweep may have (the memory check of the population refuses most sweeps far below it).
inline constexpr std::size_t max_sweep_cells = std::size_t{1} << 32;

/// Number of cells of the cartesian product of `axes`.
/// @throws ParameterError when there is no axis, a parameter is on two axes, or the product exceeds
///         max_sweep_cells (giving the product).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::size_t sweep_cell_count(const std::vector<Axis>& axes);

/// The value index along each axis of cell `cell`: the last axis varies fastest (as nested loops in
/// the order of the axes, or numpy's `itertools.product`); shape [axes.size()].
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<std::size_t> axis_indices(const std::vector<Axis>& axes,
                                                                         std::size_t cell);

/// A sweep: the run (its model, stimulus, integrator, grid, recorders...), the axes, and the analysis
/// window (default: default_window).
struct SweepSpec {
    RunSpec run;
    std::vector<Axis> axes;
    std::optional<Window> window;
};

/// What the caller can watch and stop while a population runs.
struct RunControl {
    const std::atomic<bool>* interrupt = nullptr;  ///< the run stops (RunError) soon after it becomes true
    /// Called from the calling thread after each stretch of steps: (steps done, steps of the run).
    std::function<void(std::size_t, std::size_t)> progress;
    /// Called before each population run of an experiment of several (a rheobase search's rounds), with
    /// its index from 0.
    std::function<void(std::size_t)> round;
    /// Given to Simulation::on_outputs of a run with recorders: may refuse their files before any step.
    std::function<void(const std::vector<std::filesystem::path>&)> outputs;
};

/// The result of a sweep.
struct SweepResult {
    RunInfo info;           ///< the population run's metadata
    std::vector<Axis> axes;  ///< with units
    Window window;
    double latency_reference = 0;  ///< ms; latencies are from this time (the stimulus onset, or 0)
    std::vector<CellResponse> cells;  ///< shape [number of cells], in cell order (axis_indices)
    std::vector<std::filesystem::path> recorder_outputs;  ///< files the run's own recorders wrote
};

/// What a sweep records: with recorders, what `run.record` asks for, as in a run (`record.cells` alone:
/// every variable of those cells); without, only the spikes (the sweep's table and figure are made from
/// them), so that asking for samples there, which would go nowhere, is refused.
/// @throws ParameterError for `run.record` variables other than "spikes", or recorded cells, in a sweep
///         without recorders, naming them and what to add (a recorder) or leave out.
BOOST_SYMBOL_VISIBLE void set_sweep_recording(RunSpec& run);

/// Runs the sweep as one population (build_simulation with the axes' product as per-cell values; every
/// other per-cell form of the run's parameters combines with it as in a run of that many cells).
/// The run's recorders write their outputs as in `soma run` (the output directory must exist if
/// there are any).
/// @throws ParameterError as sweep_cell_count; for an axis parameter that the model or stimulus does
///         not have (with the suggestion), one also given by --set or the table, a value out of
///         range (naming the cell and its axis values), --cells other than the product, a window
///         outside the run (check_window); and what build_simulation and Simulation::run throw.
[[nodiscard]] BOOST_SYMBOL_VISIBLE SweepResult run_sweep(const PluginRegistry& registry, const SweepSpec& spec,
                                                         const RunControl& control = {});

/// Writes `NAME_sweep.csv` (the run's metadata as `#` lines, how the window and the statistics are
/// defined, then one row per cell: `cell`, the axis values with units, the other per-cell values of the
/// run (random draws, lists, a table), `spikes`, `spikes in window`,
/// `rate (Hz)`, `latency (ms)`, `mean ISI (ms)`, `CV ISI`; empty where undefined) and the figure
/// `NAME_sweep.gp/.png/.svg` (one axis: rate against the value, the onset of firing marked; two axes:
/// a heat map of the rate and one curve per value of the second axis; more axes: no figure) into
/// `dir`, all or none of them.
/// @returns the paths written.
/// @throws RunError when a file cannot be written or gnuplot fails (nothing is left behind).
BOOST_SYMBOL_VISIBLE std::vector<std::filesystem::path> write_sweep(const SweepResult& result,
                                                                    const std::filesystem::path& dir,
                                                                    const std::string& name);

/// What the user should be told about `result` (the `soma sweep` command prints each as a note, soma.sweep
/// issues each as a warning); empty when there is nothing to say:
///  - when cells fired with fewer than 3 inter-spike intervals ending in the analysis window, that their
///    rates rest on one or two intervals, not a steady state;
///  - when cells also differ in per-cell values that are not axes (a list, random draws, a table), that
///    the figure's curves join cells that differ in them;
///  - for more than two axes, that there is no figure.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<std::string> sweep_notes(const SweepResult& result);

/// The smallest value of a one-axis sweep's axis at which a cell fired in the window and the largest
/// value below it at which none did ({NaN, NaN} when no cell fired; {NaN, first} when the lowest fired).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::pair<double, double> firing_onset(const SweepResult& result);

}  // namespace soma::experiments
