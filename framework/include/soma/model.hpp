#pragma once
/// @file model.hpp
/// The Model interface: a neuron model as a system of ODEs plus discrete events (spikes, resets).

#include "soma/component.hpp"
#include "soma/state.hpp"

#include <cstddef>
#include <span>

namespace soma {

/// A spike of one cell of the batch. `t` in ms.
struct Spike {
    std::size_t cell = 0;
    double t = 0;
};

/// A neuron model, evaluated for a batch of independent cells at once.
///
/// Time is in ms throughout Soma. The first state variable is the membrane potential `v`;
/// its unit and the unit of the injected current are the model's own (`hh`: mV and uA/cm^2;
/// `lif`: mV and nA). One virtual call covers every cell of one stage of one step.
///
/// Spikes are events: a spike of cell c is an upward crossing of `threshold()` by v. The integrator
/// locates the crossing time inside its step (see integrator.hpp) and calls `on_spike` with the state
/// at that time, so that a model with a reset (LIF) is reset exactly there.
///
/// Optional capabilities (e.g. `ConditionallyLinear`, which exponential Euler needs) are separate
/// interfaces that a model also derives from; an integrator asks for one with `dynamic_cast` and
/// throws PluginError if the model lacks it (Simulation names both plug-ins in the message).
class BOOST_SYMBOL_VISIBLE Model : public Component {
public:
    using Component::Component;

    /// State variables, in storage order; the first is the membrane potential.
    [[nodiscard]] virtual std::span<const Variable> state_variables() const = 0;
    /// Name and unit of the injected current this model takes (e.g. {"I", "uA/cm^2"}).
    [[nodiscard]] virtual const Variable& current() const = 0;
    /// Membrane potential whose upward crossing is a spike (detection threshold or firing
    /// threshold), in the unit of `v`. Drawn dashed on plots.
    [[nodiscard]] virtual double threshold() const = 0;

    /// Writes the initial state of every cell into `y` (shape [n_vars, n_cells]) and resets any
    /// per-cell event state (e.g. refractory periods). Called once before a run.
    virtual void initialize(StateBatch& y) = 0;

    /// Right-hand side dy/dt at time `t` (ms) for state `y` and injected current `i_inj`
    /// (shape [n_cells], in the unit of `current()`); writes `dydt` (same shape as `y`, per ms).
    /// Must not throw and must not allocate: it is the hot loop.
    virtual void derivatives(double t, const StateBatch& y, std::span<const double> i_inj,
                             StateBatch& dydt) const = 0;

    /// Response of cell `cell` to its own spike at time `t` (ms): `y` holds the state at `t` (other
    /// cells' columns are unspecified and must be left alone). A model with a reset writes it into
    /// `y` and starts its refractory period; returns true if it changed `y`, so that the integrator
    /// restarts from it. Must not throw.
    virtual bool on_spike(std::size_t cell, double t, StateBatch& y) = 0;
};

}  // namespace soma
