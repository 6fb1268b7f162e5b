#pragma once
/// @file hh_rates.hpp
/// Rate functions of the Hodgkin-Huxley model with the resting potential shifted to 0 mV.
///
/// Source: W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge University Press 2002,
/// section 2.2.1, Table 2.1, p.36 (after Hodgkin & Huxley 1952, J. Physiol. 117:500).
/// u is the membrane potential in mV relative to rest; rates are in 1/ms.
///
/// alpha_m and alpha_n have the form a*x/(exp(x) - 1), which is 0/0 at x = 0 (u = 25 mV for m,
/// u = 10 mV for n). They are evaluated through `x_over_expm1`, whose value at x = 0 is the limit 1,
/// so alpha_m(25) = 1.0 and alpha_n(10) = 0.1 exactly, and which keeps full precision near it.

#include "soma/vector_math.hpp"  // before <cmath>: vector exp and expm1 for the kernels

#include <cmath>

namespace soma::hh {

/// x / (exp(x) - 1) from x and em1 = expm1(x): 1 at x = 0, the limit. Full precision near 0 (expm1).
inline double x_over(double x, double em1) { return x == 0.0 ? 1.0 : x / em1; }
/// x / (exp(x) - 1), continuous at x = 0 where it equals 1.
inline double x_over_expm1(double x) { return x_over(x, std::expm1(x)); }

// alpha_h, beta_h and beta_n are made of one exponential, e80 = exp(-u/80): exp(-u/20) = e80^4 and
// exp(3 - 0.1u) = e^3 e80^8. A kernel calls exp twice per cell instead of four times (10^4 cells ran
// 15-19 % faster); the powers multiply exp's relative error by 8 at most, below 1e-14. The `_from`
// forms take the exponentials, so that a kernel that computes them itself (hh.cpp) gets the same bits.

/// e^3, rounded to double.
inline constexpr double e_cubed = 20.085536923187667741;
/// exp(-u/20) = e80^4.
inline double exp_u20_from(double e80) {
    const double e2 = e80 * e80;
    return e2 * e2;
}
/// Na inactivation rate (1/ms) from e80 = exp(-u/80): 0.07 exp(-u/20).
inline double alpha_h_from(double e80) { return 0.07 * exp_u20_from(e80); }
/// Na inactivation recovery rate (1/ms) from e80: 1 / (exp(3 - 0.1u) + 1).
inline double beta_h_from(double e80) {
    const double e20 = exp_u20_from(e80);
    return 1.0 / (e_cubed * (e20 * e20) + 1.0);
}
/// K activation closing rate (1/ms) from e80: 0.125 exp(-u/80).
inline double beta_n_from(double e80) { return 0.125 * e80; }

/// Na activation opening rate (1/ms): (2.5 - 0.1u) / (exp(2.5 - 0.1u) - 1).
inline double alpha_m(double u) { return x_over_expm1(2.5 - 0.1 * u); }
/// Na activation closing rate (1/ms): 4 exp(-u/18).
inline double beta_m(double u) { return 4.0 * std::exp(-u / 18.0); }
/// Na inactivation rate (1/ms): 0.07 exp(-u/20).
inline double alpha_h(double u) { return alpha_h_from(std::exp(-u / 80.0)); }
/// Na inactivation recovery rate (1/ms): 1 / (exp(3 - 0.1u) + 1).
inline double beta_h(double u) { return beta_h_from(std::exp(-u / 80.0)); }
/// K activation opening rate (1/ms): (0.1 - 0.01u) / (exp(1 - 0.1u) - 1) = 0.1 x/(exp(x) - 1), x = 1 - 0.1u.
inline double alpha_n(double u) { return 0.1 * x_over_expm1(1.0 - 0.1 * u); }
/// K activation closing rate (1/ms): 0.125 exp(-u/80).
inline double beta_n(double u) { return beta_n_from(std::exp(-u / 80.0)); }

/// d/dx of x / (exp(x) - 1): (exp(x) - 1 - x exp(x)) / (exp(x) - 1)^2, whose limit at x = 0 is -1/2.
/// The direct formula loses about eps/|x| to cancellation near 0, so for |x| < 0.05 the Taylor series
/// -1/2 + x/6 - x^3/180 + x^5/5040 - x^7/151200 (from the Bernoulli numbers; next term x^9/4790016)
/// is used instead; both are accurate to ~1e-14 relative.
inline double d_x_over_expm1(double x) {
    if (std::abs(x) < 0.05) {
        const double x2 = x * x;
        return -0.5 + x * (1.0 / 6.0 + x2 * (-1.0 / 180.0 + x2 * (1.0 / 5040.0 - x2 / 151200.0)));
    }
    const double em1 = std::expm1(x);
    return (em1 - x * (em1 + 1.0)) / (em1 * em1);
}

// Derivatives of the rates with respect to u (1/(ms mV)), for the analytic Jacobian.

/// d alpha_m / du = -0.1 f'(2.5 - 0.1u), f(x) = x/(exp(x) - 1); -0.1 * (-1/2) = 0.05 at u = 25.
inline double d_alpha_m(double u) { return -0.1 * d_x_over_expm1(2.5 - 0.1 * u); }
/// d beta_m / du = -beta_m / 18.
inline double d_beta_m(double u) { return -beta_m(u) / 18.0; }
/// d alpha_h / du = -alpha_h / 20.
inline double d_alpha_h(double u) { return -alpha_h(u) / 20.0; }
/// d beta_h / du = 0.1 beta_h (1 - beta_h).
inline double d_beta_h(double u) {
    const double b = beta_h(u);
    return 0.1 * b * (1.0 - b);
}
/// d alpha_n / du = -0.01 f'(1 - 0.1u); 0.005 at u = 10.
inline double d_alpha_n(double u) { return -0.01 * d_x_over_expm1(1.0 - 0.1 * u); }
/// d beta_n / du = -beta_n / 80.
inline double d_beta_n(double u) { return -beta_n(u) / 80.0; }

/// Steady state alpha / (alpha + beta) of a gate with these rates.
inline double steady_state(double alpha, double beta) { return alpha / (alpha + beta); }

}  // namespace soma::hh
