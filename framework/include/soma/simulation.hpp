#pragma once
/// @file simulation.hpp
/// Wires one model, one stimulus, one integrator and any number of recorders, and runs them.

#include "soma/integrator.hpp"
#include "soma/model.hpp"
#include "soma/recorder.hpp"
#include "soma/run_info.hpp"
#include "soma/stimulus.hpp"

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace soma {

/// Run length and grid, all in ms.
struct RunSettings {
    double t_stop = 100.0;          ///< end of the run; the run covers [0, t_stop)
    double dt = 0.01;               ///< time step
    double record_interval = 0.0;   ///< time between samples; 0 means every step
    std::size_t n_cells = 1;        ///< batch size
};

/// The grid that `RunSettings` resolve to.
struct Grid {
    std::size_t n_steps = 0;       ///< number of steps of dt; samples at i*dt for i < n_steps
    std::size_t record_every = 1;  ///< steps between samples
    std::string note;              ///< non-empty when t_stop was rounded, or only one sample will be taken
};

/// Checks run settings and resolves them to a grid.
/// @throws ParameterError when dt <= 0, t_stop <= 0, t_stop < dt, dt or t_stop is not a finite
///         number, the run would exceed 2^40 steps, n_cells is 0, or record_interval is negative or
///         not a whole multiple of dt (to 1e-9 relative). A t_stop that is not a whole multiple of
///         dt is rounded up to the next step, and `note` says so.
BOOST_SYMBOL_VISIBLE Grid resolve_grid(const RunSettings& settings);

/// What a run produced besides the recorders' outputs.
struct RunSummary {
    std::size_t n_steps = 0;
    std::size_t n_spikes = 0;
    std::vector<Spike> first_spikes;  ///< the first spike of each cell that spiked (cell order)
};

/// One simulation: the data flow of a step i is
/// recorders.sample(t_i, y, stimulus.current(i, t_i)) every record_every steps -> integrator.step
/// (which evaluates stimulus and model, locates spikes and applies the model's resets) ->
/// finiteness check -> recorders.spike for each spike -> swap y and y_next.
class BOOST_SYMBOL_VISIBLE Simulation {
public:
    /// @throws ParameterError as `resolve_grid`, or from `stimulus.prepare`.
    /// @throws PluginError from `integrator.prepare` (a capability the model lacks), naming the
    ///         integrator and the model from `info`; and for a model without state variables (the
    ///         loader of a model-file plug-in such as `equations`, see model_from_file.hpp).
    Simulation(std::shared_ptr<Model> model, std::shared_ptr<Stimulus> stimulus,
               std::shared_ptr<Integrator> integrator, std::vector<std::shared_ptr<Recorder>> recorders,
               RunSettings settings, RunInfo info);

    [[nodiscard]] const Grid& grid() const { return grid_; }
    /// Metadata as the recorders receive it (settings, units and all parameter values filled in).
    [[nodiscard]] const RunInfo& info() const { return info_; }

    /// Makes `run` stop (abort the recorders and throw RunError) soon after `flag` becomes true,
    /// e.g. from a SIGINT handler. `flag` must outlive the run.
    void interrupt_on(const std::atomic<bool>& flag) { interrupt_ = &flag; }

    /// Runs to t_stop. If anything throws (a recorder, or a non-finite state), every recorder is
    /// aborted, so no output is left, and the exception propagates.
    /// @throws RunError when a state variable becomes NaN or infinite, naming the variable, the
    ///         cell, the time and the integrator and suggesting a smaller dt, and when interrupted.
    RunSummary run();

private:
    std::shared_ptr<Model> model_;
    std::shared_ptr<Stimulus> stimulus_;
    std::shared_ptr<Integrator> integrator_;
    std::vector<std::shared_ptr<Recorder>> recorders_;
    RunSettings settings_;
    Grid grid_;
    RunInfo info_;
    const std::atomic<bool>* interrupt_ = nullptr;
};

}  // namespace soma
