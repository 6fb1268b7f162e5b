#pragma once
/// @file window.hpp
/// The [onset, offset) time window shared by the `step` and `ramp` stimuli.

#include "soma/error.hpp"
#include "soma/readable_number.hpp"
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

/// Derived per-cell values of a windowed stimulus: the steps at which the current is switched on and off.
enum WindowDerived : std::size_t { on_step, off_step };

/// The derived variables of a window (first in a windowed stimulus's derived_variables()).
inline std::vector<Variable> window_derived() {
    return {{"on_step", "1", "step index of the onset"}, {"off_step", "1", "step index of the offset"}};
}

/// @throws ParameterError unless offset > onset.
inline void check_window(const ParameterValues& p) {
    if (p["offset"] <= p["onset"]) {
        throw ParameterError(fmt::format("offset = {} ms must be after onset = {} ms", p["offset"], p["onset"]));
    }
}

/// Puts each cell's window on the grid of step `dt` (ms): writes derived rows on_step and off_step from the
/// parameters `onset` and `offset` (rows of `cells.parameters`). Onset and offset must be whole multiples of
/// dt (to 1e-9 relative): the current's jumps are on the grid for every integrator, and none is moved
/// silently.
/// @throws ParameterError naming the cell (population index first_cell + c) if onset or offset is off
///         the grid or 2^53 steps or more from 0, or both fall on the same step.
inline void window_to_steps(const StimulusCells& cells, std::size_t onset, std::size_t offset, double dt,
                            std::size_t first_cell) {
    for (std::size_t c = 0; c < cells.count(); ++c) {
        const double t_on = cells.parameters.at(onset, c), t_off = cells.parameters.at(offset, c);
        const std::string where = cells.count() > 1 || first_cell > 0 ? fmt::format(" of cell {}", first_cell + c) : "";
        for (const auto& [name, t] : {std::pair{"onset", t_on}, std::pair{"offset", t_off}}) {
            const double steps = t / dt;
            if (steps >= 0x1p53) {  // beyond the steps a double counts exactly (and a step index holds)
                throw ParameterError(fmt::format("stimulus {}{} = {} ms is {} steps of dt = {} ms, more than a run can "
                                                 "count (2^53); use a larger dt, e.g. --dt 0.01",
                                                 name, where, readable(t, 12), readable(steps), readable(dt)));
            }
            if (std::abs(steps - std::round(steps)) > 1e-9 * std::max(1.0, steps)) {
                throw ParameterError(fmt::format("stimulus {}{} = {} ms is not on the time grid of dt = {} ms (the "
                                                 "current changes only at whole steps); use a multiple of dt such as "
                                                 "{} ms, or a dt that divides it",
                                                 name, where, readable(t, 12), readable(dt),
                                                 fmt::format("{:.12g}", std::round(steps) * dt)));
            }
        }
        const std::size_t on = step_index(t_on, dt), off = step_index(t_off, dt);
        if (off <= on) {
            throw ParameterError(fmt::format("stimulus onset = {} ms and offset = {} ms{} fall on the same step of dt "
                                             "= {} ms; make the window at least one step long",
                                             readable(t_on, 12), readable(t_off, 12), where, readable(dt)));
        }
        cells.derived.at(on_step, c) = static_cast<double>(on);
        cells.derived.at(off_step, c) = static_cast<double>(off);
    }
}

/// The breakpoints of one cell's window (`cell.count()` = 1).
inline std::vector<std::size_t> window_breakpoints(const StimulusCells& cell) {
    return {static_cast<std::size_t>(cell.derived.at(on_step, 0)), static_cast<std::size_t>(cell.derived.at(off_step, 0))};
}

}  // namespace soma::stimuli
