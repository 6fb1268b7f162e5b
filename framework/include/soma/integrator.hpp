#pragma once
/// @file integrator.hpp
/// The Integrator interface: advances the state of a batch by one step of the time grid, locating
/// the spikes inside it. As in Boost.Odeint, the stepper (integrator) and the system (model) are
/// separate objects.

#include "soma/component.hpp"
#include "soma/model.hpp"
#include "soma/stimulus.hpp"

#include <cstddef>
#include <vector>

namespace soma {

/// Most spikes one cell may fire within one grid step before an integrator gives up with a RunError
/// (a reset that cannot hold the model below threshold, or a current far too large for the model).
inline constexpr std::size_t max_spikes_per_cell_and_step = 1000;

/// An integration scheme. Fixed-step schemes derive from FixedStepIntegrator (fixed_step.hpp);
/// adaptive ones take internal steps of their own and deliver the state on the grid from their
/// dense output.
class BOOST_SYMBOL_VISIBLE Integrator : public Component {
public:
    using Component::Component;

    /// Called once before a run on the grid of step `dt` (ms): allocate scratch space for `n_cells`
    /// cells, read the stimulus's breakpoints, and check that the model has any capability the
    /// scheme needs.
    /// @throws PluginError if the model lacks a required capability (Simulation adds the names of
    ///         both plug-ins to the message).
    virtual void prepare(const Model& model, const Stimulus& stimulus, std::size_t n_cells, double dt) = 0;

    /// Advances from `y` at t = i dt to `y_next` at t + dt. `y` is the state this integrator
    /// returned for step i - 1 (the initial state for i = 0); `y_next` has the same shape and does
    /// not alias it. Every upward crossing of the model's threshold by v in (t, t + dt] that the scheme
    /// detects (see fixed_step.hpp for the limits of fixed-step detection) is appended
    /// to `spikes` with its located time, in time order, after `model.on_spike` was applied at that
    /// time. Must not throw (except for an error of an external solver, as RunError) or allocate
    /// in the common case of a step without spikes.
    virtual void step(Model& model, const Stimulus& stimulus, std::size_t i, double dt, const StateBatch& y,
                      StateBatch& y_next, std::vector<Spike>& spikes) = 0;
};

}  // namespace soma
