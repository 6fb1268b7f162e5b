#pragma once
/// @file stimulus.hpp
/// The Stimulus interface: the current injected into every cell.

#include "soma/component.hpp"

#include <cmath>
#include <cstddef>
#include <span>

namespace soma {

/// An injected current, in the current unit of the model it drives (amplitudes are declared with
/// the unit `model_current_unit`).
///
/// The current at step i is computed from the index i (t = i * dt, in ms), never from an
/// accumulated time, so that long runs do not drift. Onsets and offsets are snapped to the grid
/// as round(t / dt); the current is on for onset <= i < offset.
class BOOST_SYMBOL_VISIBLE Stimulus : public Component {
public:
    using Component::Component;

    /// Called once before a run with the time step `dt` (ms, > 0).
    /// @throws ParameterError if the parameters do not fit the grid (e.g. onset and offset
    ///         fall on the same step).
    virtual void prepare(double dt) = 0;

    /// Current at step `i` for every cell; `out` has shape [n_cells].
    /// Must not throw and must not allocate.
    virtual void current(std::size_t i, std::span<double> out) const = 0;
};

}  // namespace soma

namespace soma {

/// The step index of time `t` (ms) on a grid of step `dt` (ms): round(t / dt), as the seed's
/// searchsorted on arange(0, T, dt). `t` must be >= 0 (the stimuli's ranges guarantee it).
inline std::size_t step_index(double t, double dt) { return static_cast<std::size_t>(std::llround(t / dt)); }

}  // namespace soma
