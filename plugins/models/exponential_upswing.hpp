#pragma once
/// @file exponential_upswing.hpp
/// What the exponential integrate-and-fire models (`adex`, `eif`) share about their spike upswing
/// g_L Delta_T exp((V - V_T) / Delta_T): V diverges in finite time, so the right-hand side evaluates V
/// clamped at V_clamp = V_peak + clamp_margin * Delta_T (the integrator locates the spike at V_peak
/// first), and parameters whose exponent at V_clamp would overflow are refused (NEST's bound for its
/// aeif models, ln(DBL_MAX / 1e20) = 663.7). V_clamp is computed from each cell's own V_peak and Delta_T
/// inside the kernels, and the check runs on each cell's values.

#include "soma/error.hpp"
#include "soma/parameter.hpp"

#include "soma/readable_number.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace soma::models {

/// V_clamp = V_peak + clamp_margin * Delta_T.
inline constexpr double clamp_margin = 5.0;
/// Largest exponent (V_clamp - V_T) / Delta_T accepted: exp of it times any sane coefficient stays finite.
inline const double max_exponent = std::log(std::numeric_limits<double>::max() / 1e20);

/// The membrane potential at which the right-hand side is clamped (mV).
inline double clamp_potential(double V_peak, double Delta_T) { return V_peak + clamp_margin * Delta_T; }

/// The constraints of one cell's values `p` (a model's `check`, which the engine calls for every cell).
/// @throws ParameterError unless V_r < V_peak and the exponent at V_clamp stays below max_exponent.
inline void check_upswing(const ParameterValues& p) {
    if (p["V_r"] >= p["V_peak"]) {
        throw ParameterError(
            fmt::format("parameter 'V_r' = {} mV must be below 'V_peak' = {} mV", p["V_r"], p["V_peak"]));
    }
    const double exponent = (p["V_peak"] - p["V_T"]) / p["Delta_T"];
    if (exponent + clamp_margin > max_exponent) {
        throw ParameterError(fmt::format(
            "(V_peak - V_T) / Delta_T = ({} - {}) / {} = {} exceeds {}: exp() would overflow at the "
            "spike cut-off; lower 'V_peak' or raise 'Delta_T'",
            readable(p["V_peak"]), readable(p["V_T"]), readable(p["Delta_T"]), readable(exponent, 4),
            readable(max_exponent - clamp_margin, 4)));
    }
}

}  // namespace soma::models
