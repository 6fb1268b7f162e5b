#pragma once
/// @file window.hpp
/// The [onset, offset) time window shared by the `step` and `ramp` stimuli.

#include "soma/error.hpp"
#include "soma/parameter.hpp"
#include "soma/stimulus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

namespace soma::stimuli {

/// Schema entries for the window, in ms, with the given defaults.
inline std::vector<ParameterSpec> window_schema(double onset, double offset, std::string_view what) {
    return {
        {"onset", "ms", onset, Range::at_least(0), fmt::format("start of the {} (current on from this time)", what)},
        {"offset", "ms", offset, Range::at_least(0), fmt::format("end of the {} (current 0 from this time)", what)},
    };
}

/// A window in steps: the current is on for on <= i < off.
struct StepWindow {
    std::size_t on = 0;
    std::size_t off = 0;
    [[nodiscard]] bool contains(std::size_t i) const { return i >= on && i < off; }
};

/// @throws ParameterError unless offset > onset.
inline void check_window(const ParameterValues& p) {
    if (p["offset"] <= p["onset"]) {
        throw ParameterError(fmt::format("offset = {} ms must be after onset = {} ms", p["offset"], p["onset"]));
    }
}

/// The window on a grid of step `dt` (ms). Onset and offset must be whole multiples of dt (to 1e-9
/// relative): the current's jumps are on the grid for every integrator, and none is moved silently.
/// @throws ParameterError if onset or offset is off the grid, or both fall on the same step.
inline StepWindow to_steps(double onset, double offset, double dt) {
    for (const auto& [name, t] : {std::pair{"onset", onset}, std::pair{"offset", offset}}) {
        const double steps = t / dt;
        if (std::abs(steps - std::round(steps)) > 1e-9 * std::max(1.0, steps)) {
            throw ParameterError(fmt::format("stimulus {} = {} ms is not on the time grid of dt = {} ms (the current "
                                             "changes only at whole steps); use a multiple of dt such as {} ms, or a "
                                             "dt that divides it",
                                             name, t, dt, std::round(steps) * dt));
        }
    }
    const StepWindow w{step_index(onset, dt), step_index(offset, dt)};
    if (w.off <= w.on) {
        throw ParameterError(fmt::format("stimulus onset = {} ms and offset = {} ms fall on the same step of dt = {} "
                                         "ms; make the window at least one step long",
                                         onset, offset, dt));
    }
    return w;
}

}  // namespace soma::stimuli
