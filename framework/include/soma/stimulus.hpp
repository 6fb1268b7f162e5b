#pragma once
/// @file stimulus.hpp
/// The Stimulus interface: the current injected into every cell.

#include "soma/component.hpp"

#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace soma {

/// An injected current, in the current unit of the model it drives (amplitudes are declared with
/// the unit `model_current_unit`).
///
/// The current is defined step by step on the grid t_i = i * dt (ms): during step i it follows one
/// smooth formula (a constant for `step`, a line for `ramp`, a sine for `sine`), which integrators
/// evaluate at their stage times. Onsets and offsets must lie on the grid (a ParameterError otherwise), and
/// the steps where the formula changes are listed by `breakpoints` so that no integrator step
/// crosses them. Times are computed from step indices, never accumulated, so long runs do not drift.
class BOOST_SYMBOL_VISIBLE Stimulus : public Component {
public:
    using Component::Component;

    /// Called once before a run with the time step `dt` (ms, > 0).
    /// @throws ParameterError if the parameters do not fit the grid (e.g. onset and offset
    ///         fall on the same step).
    virtual void prepare(double dt) = 0;

    /// Current at time `t` (ms) by the formula of step `i`, for every cell; `out` has shape [n_cells].
    /// `t` is normally in [i dt, (i + 1) dt]; an adaptive integrator may ask for any later time
    /// before the next breakpoint, where the formula of step i continues smoothly.
    /// `current(i, i * dt)` is the current at the start of step i. Must not throw or allocate.
    virtual void current(std::size_t i, double t, std::span<double> out) const = 0;

    /// Sorted step indices at which the formula changes (the current jumps or bends), valid after
    /// `prepare`. Integrators end a step at each of them and restart with the new formula.
    [[nodiscard]] virtual std::vector<std::size_t> breakpoints() const { return {}; }
};

/// The step index of time `t` (ms) on a grid of step `dt` (ms): round(t / dt), as the seed's
/// searchsorted on arange(0, T, dt). `t` must be >= 0 (the stimuli's ranges guarantee it).
inline std::size_t step_index(double t, double dt) { return static_cast<std::size_t>(std::llround(t / dt)); }

}  // namespace soma
