#pragma once
/// @file recorder.hpp
/// The Recorder interface: where the results of a run go (files, figures).

#include "soma/component.hpp"
#include "soma/run_info.hpp"
#include "soma/state.hpp"

#include <filesystem>
#include <span>
#include <vector>

namespace soma {

/// A sink for the results of a run, in the spirit of NEST's recording devices.
///
/// Call order: `begin` once; then `sample` at t = 0, record_every*dt, ... (t < t_stop) in time order
/// and `spike` in time order (ties by cell), the two streams interleaved in blocks (all samples of a
/// stretch of the run, then its spikes); then `finish` and `commit`. If anything fails after `begin`,
/// `abort` is called instead of `commit`. All calls come from one thread.
///
/// Outputs must be all-or-nothing: write to temporary files during the run and in `finish`, make
/// them visible under their final names in `commit`, and delete the temporary files in `abort`, so
/// that no half-written file is ever left under a final name. Samples must be streamed (written as
/// they come, not kept in memory), so that a long run of many cells stays within bounded memory.
class BOOST_SYMBOL_VISIBLE Recorder : public Component {
public:
    using Component::Component;

    /// About how many bytes this recorder will write for the run `info` (within a factor of 2; 0 if it
    /// cannot say). Called before `begin`, so that a run whose outputs cannot fit on the output file
    /// system is refused before it starts.
    [[nodiscard]] virtual double expected_bytes(const RunInfo& /*info*/) const { return 0; }
    /// Start of a run. @throws RunError if an output cannot be opened.
    virtual void begin(const RunInfo& info) = 0;
    /// The recorded quantities of the recorded cells at time `t` (ms): `values` has shape
    /// [info.recording.variables.size(), info.recording.cells.size()]; the injected current (if
    /// recorded) is the one during the step that starts at `t`.
    virtual void sample(double t, ConstBatchView values) = 0;
    /// A spike of cell `cell` (population index) at time `t` (ms). Every cell's spikes are recorded,
    /// whatever `info.recording.cells`.
    virtual void spike(std::size_t cell, double t) = 0;
    /// End of the run, with each cell's spike statistics: complete all outputs under temporary names.
    /// @throws RunError on failure.
    virtual void finish(const RunSummary& summary) = 0;
    /// Renames the completed outputs to their final names. @throws RunError on failure.
    virtual void commit() = 0;
    /// Discards every temporary output. Must not throw, and must be safe to call in any state
    /// (before `begin`, after a failed `begin`, or twice).
    virtual void abort() noexcept = 0;
    /// Final paths of the outputs, valid from `begin` on.
    [[nodiscard]] virtual std::vector<std::filesystem::path> outputs() const = 0;
};

}  // namespace soma
