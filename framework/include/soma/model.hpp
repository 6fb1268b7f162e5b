#pragma once
/// @file model.hpp
/// The Model interface: a neuron model as a stateless kernel (ODEs plus discrete events) over ranges
/// of cells whose arrays the engine owns.

#include "soma/component.hpp"
#include "soma/state.hpp"

#include <cstddef>
#include <span>

namespace soma {

/// A spike of one cell of the population. `t` in ms; `cell` is the cell's index in the population.
struct Spike {
    std::size_t cell = 0;
    double t = 0;
};

/// The engine's per-cell arrays of one model for a range of cells, as its kernel sees them.
struct ModelCells {
    ConstBatchView parameters;  ///< shape [schema().size(), count]: each cell's parameter values, schema order
    BatchView events;           ///< shape [event_variables().size(), count]: each cell's event state

    [[nodiscard]] std::size_t count() const { return parameters.count(); }
    /// Cell c of the range alone.
    [[nodiscard]] ModelCells cell(std::size_t c) const { return {parameters.cell(c), events.cell(c)}; }
    /// The cells [first, first + n) of the range.
    [[nodiscard]] ModelCells cells(std::size_t first, std::size_t n) const {
        return {parameters.cells(first, n), events.cells(first, n)};
    }
};

/// A neuron model, evaluated for a range of independent cells at once.
///
/// A model object holds no per-cell data: its schema describes the parameters (name, unit, default,
/// range, source), and every cell of a run has its own values of all of them, which the engine
/// stores and hands to the kernels below as `ModelCells::parameters` (variable k of that view is the
/// schema's parameter k). Per-cell event state (e.g. the end of a refractory period) is declared by
/// `event_variables` and stored by the engine too. Every kernel is `const` and must be thread-safe:
/// the engine calls it from several threads at once on disjoint ranges of cells.
///
/// Exactness: a cell's results must depend on nothing but its own arrays, not on its position in the
/// range nor on the range's length, so that a cell in a population computes bit for bit what it
/// computes alone (count 1). A kernel that uses SIMD maths must therefore run a remainder of fewer
/// cells than its vector width through the same vector code (e.g. padded into a local block).
///
/// Time is in ms throughout Soma. The first state variable is the membrane potential `v`; its unit and
/// the unit of the injected current are the model's own (`hh`: mV and uA/cm^2; `lif`: mV and nA).
///
/// Spikes are events: a spike of cell c is an upward crossing of its threshold (`thresholds`) by v.
/// The integrator locates the crossing time inside its step (see integrator.hpp) and calls `on_spike`
/// for that cell alone with the state at that time, so that a model with a reset (LIF) is reset
/// exactly there.
///
/// Optional capabilities (`ConditionallyLinear`, which exponential Euler needs; `Jacobian`, which
/// cvode uses) are separate interfaces that a model also derives from; an integrator asks for one with
/// `dynamic_cast` and throws PluginError if the model lacks a required one.
class BOOST_SYMBOL_VISIBLE Model : public Component {
public:
    using Component::Component;

    /// State variables, in storage order; the first is the membrane potential.
    [[nodiscard]] virtual std::span<const Variable> state_variables() const = 0;
    /// Name and unit of the injected current this model takes (e.g. {"I", "uA/cm^2"}).
    [[nodiscard]] virtual const Variable& current() const = 0;
    /// Per-cell event state the engine stores for the model (e.g. {"refractory_end", "ms"}); none by default.
    /// `refractory_end` is the end of a refractory period, which the integrators treat as a switch of
    /// the dynamics (refractory.hpp).
    [[nodiscard]] virtual std::span<const Variable> event_variables() const { return {}; }

    /// Each cell's spike threshold, the membrane potential (unit of v) whose upward crossing is a spike,
    /// from its parameters (shape [n_params, count]) into `out` (shape [count]). Called once per run.
    virtual void thresholds(ConstBatchView parameters, std::span<double> out) const = 0;

    /// Writes the initial state of every cell of `cells` into `y` (shape [n_vars, count]) and its
    /// initial event state into `cells.events`. Called once before a run.
    virtual void initialize(const ModelCells& cells, BatchView y) const = 0;

    /// Right-hand side dy/dt at time `t` (ms) for state `y` (shape [n_vars, count]) and injected
    /// current `i_inj` (shape [count], unit of `current()`); writes `dydt` (same shape as `y`, per ms).
    /// Reads `cells.events` but must not write it. Must not throw or allocate: it is the hot loop.
    virtual void derivatives(double t, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                             const BatchView& dydt) const = 0;

    /// Response of one cell (`cell.count()` = 1, `y` of shape [n_vars, 1]) to its own spike at time `t`
    /// (ms): `y` holds its state at `t`. A model with a reset writes it into `y` and its event state
    /// (e.g. the end of the refractory period) into `cell.events`, and returns true so that the
    /// integrator restarts from it; a model without one returns false. Must not throw.
    virtual bool on_spike(double t, const ModelCells& cell, BatchView y) const = 0;
};

}  // namespace soma
