#pragma once
/// @file stimulus.hpp
/// The Stimulus interface: the current injected into each cell, as a stateless kernel over ranges of
/// cells whose per-cell parameters the engine owns.

#include "soma/component.hpp"
#include "soma/state.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace soma {

/// The engine's per-cell arrays of one stimulus for a range of cells.
struct StimulusCells {
    ConstBatchView parameters;  ///< shape [schema().size(), count]: each cell's values, schema order
    BatchView derived;          ///< shape [derived_variables().size(), count]: written by `prepare`

    [[nodiscard]] std::size_t count() const { return parameters.count(); }
    [[nodiscard]] StimulusCells cell(std::size_t c) const { return {parameters.cell(c), derived.cell(c)}; }
    [[nodiscard]] StimulusCells cells(std::size_t first, std::size_t n) const {
        return {parameters.cells(first, n), derived.cells(first, n)};
    }
};

/// What a stimulus learns of the run before it (`prepare`).
struct StimulusGrid {
    double dt = 0;             ///< time step, ms (> 0)
    std::size_t n_steps = 0;   ///< steps of the run: the current is asked for steps 0 .. n_steps - 1
    std::uint64_t seed = 0;    ///< the run's seed (--seed)
    std::size_t position = 0;  ///< this stimulus's random stream: stimulus_stream(its label), a 32-bit hash
                               ///< (stimulus_sum.hpp), so that noise follows the label, not the order
    /// The current unit of the model driven (Model::current().unit, e.g. "pA", "uA/cm^2"), for a stimulus
    /// that converts a current given in physical units (`waveform`); "" if unknown.
    std::string current_unit;
};

/// An injected current, in the current unit of the model it drives (amplitudes are declared with
/// the unit `model_current_unit`). Each cell has its own values of every parameter.
///
/// The current is defined step by step on the grid t_i = i * dt (ms): during step i it follows one
/// smooth formula (a constant for `step`, a line for `ramp`, a sine for `sine`), which integrators
/// evaluate at their stage times. Onsets and offsets must lie on the grid (a ParameterError otherwise), and
/// the steps where a cell's formula changes are listed by `breakpoints` so that no adaptive step
/// crosses them. Times are computed from step indices, never accumulated, so long runs do not drift.
/// Kernels are `const`, thread-safe and follow the exactness rule of model.hpp: a cell's current
/// depends only on its own arrays.
class BOOST_SYMBOL_VISIBLE Stimulus : public Component {
public:
    using Component::Component;

    /// Per-cell values `prepare` derives from the parameters once per run (e.g. the onset's step
    /// index); none by default.
    [[nodiscard]] virtual std::span<const Variable> derived_variables() const { return {}; }

    /// Called once before a run, for all cells of the population (or, in tests, a range of them whose first
    /// is cell `first_cell` of the population): checks each cell's parameters against the grid and writes
    /// `cells.derived`. `grid` gives the time step, the number of steps, the run's seed and this
    /// stimulus's stream identifier, from which a noise stimulus derives its random stream (see noise.hpp).
    /// @throws ParameterError naming the parameter, its value and the cell (population index) if a
    ///         cell's parameters do not fit the grid (e.g. an onset between two steps).
    virtual void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const = 0;
    /// Current at time `t` (ms) by the formula of step `i`, for every cell of `cells`; `out` has shape
    /// [count]. `t` is normally in [i dt, (i + 1) dt]; an adaptive integrator may ask for any later time
    /// before the cell's next breakpoint, where the formula of step i continues smoothly.
    /// `current(i, i * dt, ...)` is the current at the start of step i. Must not throw or allocate.
    virtual void current(std::size_t i, double t, const StimulusCells& cells, std::span<double> out) const = 0;

    /// Sorted step indices at which the formula of one cell (`cell.count()` = 1) changes (the current
    /// jumps or bends), valid after `prepare`. Adaptive integrators end a step at each of them and
    /// restart with the new formula. None by default.
    [[nodiscard]] virtual std::vector<std::size_t> breakpoints(const StimulusCells& /*cell*/) const { return {}; }
    /// True if the formula changes at every step (a noise held over each step): adaptive integrators then
    /// end an internal step at every grid step, as if every step were listed by `breakpoints`.
    [[nodiscard]] virtual bool changes_every_step() const { return false; }
    /// True for white noise, whose sample over a step scales as 1/sqrt(dt) and is meant to be integrated
    /// in the Euler-Maruyama sense; only integrators whose `takes_white_noise` is true run it.
    [[nodiscard]] virtual bool white_noise() const { return false; }
};

/// The step index of time `t` (ms) on a grid of step `dt` (ms): round(t / dt), as the seed's
/// searchsorted on arange(0, T, dt). `t` must be >= 0 (the stimuli's ranges guarantee it).
inline std::size_t step_index(double t, double dt) { return static_cast<std::size_t>(std::llround(t / dt)); }

}  // namespace soma
