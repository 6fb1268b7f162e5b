#pragma once
/// @file refractory.hpp
/// A model's refractory period as the integrators know it, by the name of an event variable.
///
/// A model with a refractory period declares the event variable `refractory_end` (ms, event_variables
/// in model.hpp): the end of each cell's current refractory period, set by `on_spike`. Its derivatives
/// are those of the held state (e.g. dv/dt = 0) while `is_refractory(t, end)` and free otherwise: the
/// comparison's slack of 1e-9 ms absorbs the rounding of t = i dt, so that a period that ends on the
/// grid ends there. Knowing the switch, the fixed-step integrators end a step's held part before it and
/// start its free part at `end`, so that the end of the period costs no first-order error (the switch
/// is moved by at most 2e-9 ms); the adaptive ones control it through their error estimates.

#include <string_view>

namespace soma {

/// The name of the event variable that holds the end of a cell's refractory period (ms).
inline constexpr std::string_view refractory_end_variable = "refractory_end";

/// Slack of the refractory comparison (ms).
inline constexpr double refractory_slack = 1e-9;

/// Whether a cell whose refractory period ends at `end` (ms) is refractory at time `t` (ms).
[[nodiscard]] constexpr bool is_refractory(double t, double end) { return t < end - refractory_slack; }

}  // namespace soma
