#pragma once
/// @file grid_steps.hpp
/// Times of a stimulus's parameters as whole numbers of time steps, shared by `pulse_train` and `steps`.
/// Every test is the one window.hpp makes for `step` and `ramp`: a time must be a whole multiple of dt to
/// 1e-9 relative, so that the current changes at grid steps for every integrator and no time is moved
/// silently.

#include "soma/error.hpp"
#include "soma/readable_number.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

namespace soma::stimuli {

/// " of cell N" (N = first_cell + c, the population index) when the cells are part of a population,
/// "" for a run of one cell.
inline std::string cell_label(std::size_t count, std::size_t first_cell, std::size_t c) {
    return count > 1 || first_cell > 0 ? fmt::format(" of cell {}", first_cell + c) : std::string();
}

/// The number of steps of dt (ms) in `t` (ms), a whole number returned as a double (times beyond 2^53
/// steps, far past any run, come back as they are, even infinite): `t` of parameter `name` of stimulus
/// `stimulus` (`where` as cell_label) must be a whole multiple of dt to 1e-9 relative, and at least
/// `min_steps` steps long (1 for a duration, 0 for a time).
/// @throws ParameterError naming the stimulus, the parameter, the cell, the value and dt, with a value on
///         the grid as a suggestion (printed with 12 significant digits), if `t` is off the grid or
///         shorter than `min_steps` steps.
inline double grid_steps(std::string_view stimulus, std::string_view name, std::string_view where, double t,
                         double dt, double min_steps = 0) {
    const double steps = t / dt;
    const double whole = std::round(steps);
    if (std::abs(steps - whole) > 1e-9 * std::max(1.0, steps)) {
        throw ParameterError(fmt::format("stimulus '{}': {}{} = {} ms is not on the time grid of dt = {} ms (the "
                                         "current changes only at whole steps); use a multiple of dt such as {} ms, "
                                         "or a dt that divides it",
                                         stimulus, name, where, readable(t, 12), readable(dt),
                                         fmt::format("{:.12g}", std::max(whole, min_steps) * dt)));
    }
    if (whole < min_steps) {
        throw ParameterError(fmt::format("stimulus '{}': {}{} = {} ms is shorter than one time step of dt = {} ms; "
                                         "use at least {} ms, or a smaller dt",
                                         stimulus, name, where, readable(t, 12), readable(dt), fmt::format("{:.12g}", min_steps * dt)));
    }
    return whole;
}

}  // namespace soma::stimuli
