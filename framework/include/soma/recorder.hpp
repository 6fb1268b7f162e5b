#pragma once
/// @file recorder.hpp
/// The Recorder interface: receives samples, spikes and metadata of a run and writes them out.

#include "soma/component.hpp"
#include "soma/run_info.hpp"
#include "soma/state.hpp"

#include <filesystem>
#include <span>
#include <vector>

namespace soma {

/// A sink for the results of a run, in the spirit of NEST's recording devices.
///
/// Call order: `begin` once, then `sample` at t = 0, record_every*dt, ... (t < t_stop) interleaved
/// with `spike` in time order, then `finish` and `commit`. If anything fails after `begin`,
/// `abort` is called instead of `commit`.
///
/// Outputs must be all-or-nothing: write to temporary files during the run and in `finish`, make
/// them visible under their final names in `commit`, and delete the temporary files in `abort`, so
/// that no half-written file is ever left under a final name.
class BOOST_SYMBOL_VISIBLE Recorder : public Component {
public:
    using Component::Component;

    /// Start of a run. @throws RunError if an output cannot be opened.
    virtual void begin(const RunInfo& info) = 0;
    /// State of every cell at time `t` (ms) and the current injected during the step that starts
    /// at `t` (shape [n_cells], unit of `info.current`).
    virtual void sample(double t, const StateBatch& y, std::span<const double> current) = 0;
    /// A spike of cell `cell` at time `t` (ms).
    virtual void spike(std::size_t cell, double t) = 0;
    /// End of the run: complete all outputs under temporary names. @throws RunError on failure.
    virtual void finish() = 0;
    /// Renames the completed outputs to their final names. @throws RunError on failure.
    virtual void commit() = 0;
    /// Discards every temporary output. Must not throw, and must be safe to call in any state
    /// (before `begin`, after a failed `begin`, or twice).
    virtual void abort() noexcept = 0;
    /// Final paths of the outputs, valid from `begin` on.
    [[nodiscard]] virtual std::vector<std::filesystem::path> outputs() const = 0;
};

}  // namespace soma
