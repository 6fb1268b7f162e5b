#pragma once
/// @file rheobase.hpp
/// The rheobase of each cell of a population: the smallest amplitude of the run's stimulus that makes
/// the cell fire, found by bisection in parallel batches (each round runs k amplitudes inside every
/// cell's interval as one population, narrowing the interval k + 1 times).

#include "soma/experiments/sweep.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace soma::experiments {

/// What counts as firing.
enum class Firing {
    /// At least one spike during the run (the single-spike threshold).
    single,
    /// Sustained firing: at least two spikes, the last less than two mean inter-spike intervals before
    /// the end of the stimulus (its offset, or the end of the run), so that the cell fires until the
    /// end of a long step rather than a few spikes after the onset.
    sustained,
};

/// A rheobase search.
struct RheobaseSpec {
    RunSpec run;  ///< the cells (per-cell values as in a run), the stimulus, the integrator, the grid
    std::string parameter = "amplitude";  ///< the stimulus parameter searched
    double low = 0;   ///< lower bound, at which no cell may fire (unit of the parameter)
    double high = 0;  ///< upper bound, at which every cell must fire
    double tolerance = 0;  ///< the search stops when high - low <= tolerance for every cell; 0: (high - low) / 1000
    std::size_t batch = 7;  ///< amplitudes per cell and round (k)
    Firing firing = Firing::single;
};

/// One cell's result: the rheobase lies in (below, rheobase].
struct CellRheobase {
    double rheobase = 0;  ///< the smallest amplitude found to fire
    double below = 0;     ///< the largest amplitude found not to fire
};

struct RheobaseResult {
    RunInfo info;  ///< metadata of the cells (their per-cell values), without the search
    std::string unit;  ///< the parameter's unit
    double tolerance = 0;
    std::size_t rounds = 0;       ///< population runs made, the check of the bounds included
    std::size_t cell_runs = 0;    ///< cells simulated over all rounds
    std::vector<CellRheobase> cells;  ///< shape [n_cells]
};

/// Whether a cell with statistics `cell` fired under `firing`; `stimulus_end` in ms.
[[nodiscard]] BOOST_SYMBOL_VISIBLE bool fired(const CellSummary& cell, Firing firing, double stimulus_end);

/// Runs the search. Firing is assumed to grow with the amplitude between the bounds (the first
/// amplitude that fires in a round bounds the interval from above).
/// @throws ParameterError when low >= high, a bound or the tolerance is not finite, the tolerance is
///         not positive or not smaller than high - low, batch is 0 or above 1000, the stimulus has no such parameter (with the
///         suggestion), it is also given per cell, a cell fires at `low` or does not fire at `high`
///         (naming the cells, with a suggestion); and what run_sweep throws.
[[nodiscard]] BOOST_SYMBOL_VISIBLE RheobaseResult find_rheobase(const PluginRegistry& registry, const RheobaseSpec& spec,
                                                                const RunControl& control = {});

/// Writes `NAME_rheobase.csv` (the cells' metadata as `#` lines, the definition, bounds and tolerance,
/// then one row per cell: `cell`, its per-cell parameters, `rheobase`, `below`) into `dir`.
/// @returns the path written. @throws RunError when it cannot be written.
BOOST_SYMBOL_VISIBLE std::filesystem::path write_rheobase(const RheobaseResult& result, const RheobaseSpec& spec,
                                                          const std::filesystem::path& dir, const std::string& name);

}  // namespace soma::experiments
