#pragma once
/// @file responses.hpp
/// What an experiment reads from a population run: every spike time of every cell, and each cell's
/// firing statistics over an analysis window (spike count, steady-state rate, first-spike latency,
/// mean ISI, CV of the ISIs).

#include "soma/recorder.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace soma::experiments {

/// The part of a run over which firing is summarised, [from, to) in ms.
struct Window {
    double from = 0;  ///< ms
    double to = 0;    ///< ms, > from
    /// How the window was chosen, for the user and the table's header, e.g. "the second half of the
    /// stimulus, [45, 70) ms".
    std::string description;
};

/// The default analysis window of the run `info` (its metadata): for a stimulus with an `onset` and an `offset` in ms, the same in
/// every cell (a step, a ramp), the second half of [onset, offset), cut at t_stop; otherwise the
/// second half of the run. The first half is left out as the transient (adaptation, the first spikes' latency).
/// @throws ParameterError when the stimulus has an onset (ms, the same in every cell) at or after t_stop.
[[nodiscard]] BOOST_SYMBOL_VISIBLE Window default_window(const RunInfo& info);

/// Checks a window given by the user against a run of length `t_stop` (ms).
/// @throws ParameterError naming `option` when from < 0, to <= from, to > t_stop or a bound is not finite.
BOOST_SYMBOL_VISIBLE void check_window(const Window& window, double t_stop, std::string_view option);

/// One cell's firing.
struct CellResponse {
    std::size_t n_spikes = 0;   ///< over the whole run
    std::size_t n_window = 0;   ///< in the window
    /// Number of inter-spike intervals that end in the window (a spike in the window and the one
    /// before it, which may lie before the window).
    std::size_t n_isi = 0;
    /// Steady-state rate in Hz: 1000 / (mean of the ISIs that end in the window); with no such interval
    /// (no spike in the window, or only the cell's first spike), 1000 * n_window / (window length). The
    /// inverse ISI does not depend on where the window cuts a regular train, so for a periodic cell it
    /// is the exact rate, even in a window shorter than one period.
    double rate = 0;
    double latency = 0;     ///< ms from the window's reference time (the stimulus onset, or 0) to the first spike; NaN without spikes
    double mean_isi = 0;    ///< ms, of the ISIs that end in the window; NaN without
    double cv_isi = 0;      ///< sample standard deviation / mean of those ISIs; NaN with fewer than 2
};

/// A recorder that keeps every spike in memory (spikes only: it takes no samples) so that an
/// experiment can analyse them after the run. Memory: 8 bytes per spike.
class BOOST_SYMBOL_VISIBLE SpikeTimes final : public Recorder {
public:
    SpikeTimes();
    void begin(const RunInfo& info) override;
    void sample(double, ConstBatchView) override {}
    void spike(std::size_t cell, double t) override;
    void finish(const RunSummary&) override {}
    void commit() override {}
    void abort() noexcept override {}
    [[nodiscard]] std::vector<std::filesystem::path> outputs() const override { return {}; }

    /// Spike times of cell `cell` in ms, ascending; shape [number of its spikes].
    [[nodiscard]] const std::vector<double>& of(std::size_t cell) const { return times_.at(cell); }
    [[nodiscard]] std::size_t n_cells() const { return times_.size(); }

    /// Each cell's firing in `window`, latencies from `reference` (ms); shape [n_cells].
    [[nodiscard]] std::vector<CellResponse> responses(const Window& window, double reference) const;

private:
    std::vector<std::vector<double>> times_;
};

/// The firing statistics of one cell's spike train `times` (ms, ascending) in `window`, latency from
/// `reference` (ms).
[[nodiscard]] BOOST_SYMBOL_VISIBLE CellResponse response(const std::vector<double>& times, const Window& window,
                                                         double reference);

/// The stimulus onset of a run (its `onset` parameter, in ms) if the stimulus has one, else 0: the
/// time first-spike latencies are measured from.
[[nodiscard]] BOOST_SYMBOL_VISIBLE double latency_reference(const RunInfo& info);

}  // namespace soma::experiments
