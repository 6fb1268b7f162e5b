#pragma once
/// @file integrator.hpp
/// The Integrator interface: advances a block of cells by one step of the time grid, locating the
/// spikes inside it. As in Boost.Odeint, the stepper (integrator) and the system (model) are separate
/// objects; as in NEST, every cell has its own solver state, so that a cell's results do not depend on
/// the other cells.

#include "soma/component.hpp"
#include "soma/model.hpp"
#include "soma/stimulus.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace soma {

/// Most spikes one cell may fire within one grid step before an integrator gives up with a RunError
/// (a reset that cannot hold the model below threshold, or a current far too large for the model).
inline constexpr std::size_t max_spikes_per_cell_and_step = 1000;

/// Every integrator's check after a model's on_spike changed the membrane potential of cell `cell`
/// (population index) at `t_spike` (ms) from `v_before` to `v`: a reset of v that is not below the cell's
/// `threshold` (all in `unit`) would either fire again at once, endlessly, or leave the cell above
/// threshold, never to cross it again. A spike that leaves v as it was (a model that resets only other
/// variables, such as an adaptation current) passes.
/// @throws CellError naming the cell, the time, both values and the remedy.
BOOST_SYMBOL_VISIBLE void check_reset(double t_spike, std::size_t cell, double v_before, double v, double threshold,
                                      std::string_view unit);

/// A contiguous range of the population's cells with every per-cell array of the run: what one
/// integrator worker advances. The views point into the engine's arrays, which outlive the block.
struct Block {
    const Model* model = nullptr;
    const Stimulus* stimulus = nullptr;
    ModelCells model_cells;
    StimulusCells stimulus_cells;
    std::span<const double> thresholds;  ///< each cell's spike threshold, unit of v; shape [count]
    std::size_t first = 0;               ///< population index of the block's first cell
    double dt = 0;                       ///< grid step, ms

    [[nodiscard]] std::size_t count() const { return thresholds.size(); }
    /// The cells [begin, begin + n) of this block (`first` adjusted).
    [[nodiscard]] Block cells(std::size_t begin, std::size_t n) const {
        return {model, stimulus, model_cells.cells(begin, n), stimulus_cells.cells(begin, n),
                thresholds.subspan(begin, n), first + begin, dt};
    }
    /// Cell c of this block alone.
    [[nodiscard]] Block cell(std::size_t c) const { return cells(c, 1); }

    /// The right-hand side: the stimulus's current of step `i` at time `t` into `current` (shape
    /// [count]), then the model's derivatives for state `y` into `dydt`.
    void rhs(std::size_t i, double t, const ConstBatchView& y, std::span<double> current, const BatchView& dydt) const {
        stimulus->current(i, t, stimulus_cells, current);
        model->derivatives(t, model_cells, y, current, dydt);
    }
};

/// An integration scheme. Fixed-step schemes derive from FixedStepIntegrator (fixed_step.hpp);
/// adaptive ones take internal steps of their own, per cell, and deliver the state on the grid from
/// their dense output. The Integrator object holds only its parameters; everything that changes
/// during a run lives in its workers.
class BOOST_SYMBOL_VISIBLE Integrator : public Component {
public:
    using Component::Component;

    /// The solver state and scratch space of one block of cells. The engine gives each worker to one
    /// thread at a time; workers of the same integrator run concurrently on disjoint blocks.
    class BOOST_SYMBOL_VISIBLE Worker {
    public:
        virtual ~Worker();
        /// Advances the block's cells from `y` at t = i dt to `y_next` at t + dt (both of shape
        /// [n_vars, count]; they do not alias). `y` is what this worker returned for step i - 1 (the
        /// initial state for i = 0, or after a jump in i). Every upward crossing of a cell's threshold
        /// by v in (t, t + dt] that the scheme detects is appended to `spikes` as {population index,
        /// located time}, after the model's `on_spike` was applied at that time; spikes of one cell are
        /// in time order. Must not allocate in the common case of a step without spikes.
        /// @throws RunError if a cell fires more than max_spikes_per_cell_and_step times in the step,
        ///         or an external solver fails (naming the cell, the time and a remedy).
        virtual void step(std::size_t i, const ConstBatchView& y, const BatchView& y_next, std::vector<Spike>& spikes) = 0;
    };

    /// True if the scheme integrates a white-noise current (Stimulus::white_noise) correctly: in the
    /// Euler-Maruyama sense, with the current of each step held over the step. False by default.
    [[nodiscard]] virtual bool takes_white_noise() const { return false; }

    /// The memory a worker keeps per cell beyond the engine's arrays (its solver state), in bytes, for a
    /// model of `n_vars` state variables: an estimate for the engine's memory check. 0 by default (the
    /// fixed-step schemes' scratch is counted by the engine).
    [[nodiscard]] virtual std::size_t solver_bytes_per_cell(std::size_t /*n_vars*/) const { return 0; }

    /// A new worker for `block` (whose arrays must outlive it), after the stimulus was prepared.
    /// @throws PluginError if the model lacks a capability the scheme needs (the engine adds the names
    ///         of both plug-ins to the message).
    [[nodiscard]] virtual std::unique_ptr<Worker> make_worker(const Block& block) const = 0;
};

/// Whether the run in progress in this process was asked to stop (the flag given to
/// Simulation::interrupt_on, which the `soma` program and the Python module raise on Ctrl-C and the
/// termination signals). A scheme that may take many internal steps for one grid step (dopri5) asks it
/// every few thousand of them and, if so, throws RunError("interrupted at t = ... ms; no output was
/// written"), as the engine does between stretches of steps. One relaxed atomic load; false when no run
/// with a flag is in progress.
[[nodiscard]] BOOST_SYMBOL_VISIBLE bool stop_requested() noexcept;

}  // namespace soma
