/// @file test_phase_plane.cpp
/// Phase planes (soma/experiments/phase_plane.hpp) against closed forms written here:
/// - FitzHugh-Nagumo (plugins/models/fitzhugh_nagumo: dv/dt = v - v^3/3 - w + I, dw/dt = (v + a - b w) / tau):
///   the fixed point is the real root of a cubic, solved by Cardano's formula; the nullclines are
///   w = v - v^3/3 + I and w = (v + a) / b; the Jacobian [[1 - v^2, -1], [1/tau, -b/tau]] gives trace,
///   determinant and eigenvalues. A current below the Hopf bifurcation (stable fixed point) and one above
///   it (unstable: tr J = 0 at v^2 = 1 - b/tau).
/// - Izhikevich (dv/dt = 0.04 v^2 + 5 v + 140 - u + I, du/dt = a (b v - u)): below rheobase the two fixed
///   points are the roots of the quadratic 0.04 v^2 + (5 - b) v + 140 + I = 0, u = b v: a stable node and a
///   saddle.
/// - The classification by trace and determinant (Strogatz 2015, sect. 5.2) on hand-made Jacobians.

#define BOOST_TEST_MODULE soma_test_phase_plane
#include "soma_test_support.hpp"

#include "soma/experiments/phase_plane.hpp"

#include <fmt/format.h>

#include <cmath>
#include <complex>

namespace {

using soma::experiments::FixedPoint;
using soma::experiments::FixedPointType;
using soma::experiments::PhasePlane;
using soma::experiments::PhasePlaneSpec;

/// The FitzHugh-Nagumo defaults (plugins/models/fitzhugh_nagumo/fitzhugh_nagumo.cpp).
constexpr double fhn_a = 0.7, fhn_b = 0.8, fhn_tau = 12.5;

/// The phase plane of `model` under a dc current `amplitude` (as text), 200 ms of rk4 at dt = 0.01 ms.
PhasePlane plane_of(const std::string& model, const std::string& amplitude) {
    soma::RunSettings settings;
    settings.t_stop = 200;
    settings.dt = 0.01;
    PhasePlaneSpec spec;
    spec.run = soma::test::RunSpec{model, "dc", "rk4", {}, {{"amplitude", amplitude}}, settings}.spec();
    return soma::experiments::phase_plane(soma::test::registry(), spec);
}

/// The one real root of v - v^3/3 - (v + a)/b + I = 0 (the fixed point's v), by Cardano's formula: times
/// -3 it is the depressed cubic v^3 + p v + q = 0 with p = 3 (1/b - 1) > 0 (so a single real root) and
/// q = 3 (a/b - I); v = cbrt(-q/2 + sqrt(D)) + cbrt(-q/2 - sqrt(D)), D = q^2/4 + p^3/27 > 0.
double fhn_fixed_v(double i) {
    const double p = 3 * (1 / fhn_b - 1), q = 3 * (fhn_a / fhn_b - i);
    const double d = std::sqrt(q * q / 4 + p * p * p / 27);
    return std::cbrt(-q / 2 + d) + std::cbrt(-q / 2 - d);
}

/// Type of a fixed point from trace and determinant, written independently of the library.
FixedPointType expected_type(double tr, double det) {
    if (det < 0) return FixedPointType::saddle;
    const bool node = tr * tr - 4 * det >= 0;
    if (tr < 0) return node ? FixedPointType::stable_node : FixedPointType::stable_focus;
    return node ? FixedPointType::unstable_node : FixedPointType::unstable_focus;
}

/// Eigenvalues of a 2x2 matrix from trace and determinant, larger real part first.
std::array<std::complex<double>, 2> expected_eigenvalues(double tr, double det) {
    const std::complex<double> root = std::sqrt(std::complex<double>(tr * tr / 4 - det));
    return {tr / 2 + root, tr / 2 - root};
}

void check_eigenvalues(const FixedPoint& p, double tr, double det) {
    const auto e = expected_eigenvalues(tr, det);
    // Both come from the same Jacobian entries at a v that agrees to ~1e-12: 1e-9 (1/ms) is far above
    // the rounding of either formula, far below any eigenvalue here (> 1e-3).
    for (std::size_t k = 0; k < 2; ++k) {
        BOOST_TEST(std::abs(p.eigenvalues[k] - e[k]) <= 1e-9, "eigenvalue " << k << ": " << p.eigenvalues[k] << " vs " << e[k]);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fitzhugh_nagumo)

// I = 0: rest, below the Hopf bifurcation (v* = -1.199, v*^2 > 1 - b/tau): a stable fixed point.
// I = 0.5: v* = -0.805, v*^2 < 1 - b/tau: unstable (the limit cycle of repetitive firing).
// I = 0.34: just above the bifurcation (tr J = 0 at v = -sqrt(0.936), I_Hopf = 0.3313; tr J ~ 0.01 > 0).
BOOST_AUTO_TEST_CASE(fixed_point_nullclines_and_stability_match_the_closed_form) {
    for (const double i : {0.0, 0.34, 0.5}) {
        BOOST_TEST_CONTEXT("I = " << i) {
            const PhasePlane plane = plane_of("fitzhugh_nagumo", fmt::format("{}", i));
            BOOST_TEST(plane.current == i);
            BOOST_TEST(plane.analytic_jacobian);
            BOOST_TEST(!plane.reset.has_value());

            const double v = fhn_fixed_v(i), w = (v + fhn_a) / fhn_b;
            BOOST_TEST_REQUIRE(plane.fixed_points.size() == 1u);
            const FixedPoint& p = plane.fixed_points.front();
            // Newton stops at a step below 1e-13 of the window (~5 units wide) and converges quadratically,
            // so v and w are within a few ulps; 1e-10 relative leaves room for the cubic's own rounding.
            BOOST_TEST(std::abs(p.v - v) <= 1e-10 * std::abs(v), p.v << " vs Cardano " << v);
            BOOST_TEST(std::abs(p.w - w) <= 1e-10 * std::abs(w), p.w << " vs " << w);

            const double tr = 1 - v * v - fhn_b / fhn_tau, det = (1 - v * v) * (-fhn_b / fhn_tau) + 1 / fhn_tau;
            BOOST_TEST(det > 0);
            BOOST_TEST(to_string(p.type) == to_string(expected_type(tr, det)));
            BOOST_TEST(p.stable() == (i == 0.0));
            check_eigenvalues(p, tr, det);

            // Every nullcline point lies on its closed-form curve: each was bisected to the last bit along
            // a grid edge, so the residual is a few ulps times the curve's slope (|1 - v^2| < 5 here).
            BOOST_TEST(plane.nullclines.v.size() > 100u);
            BOOST_TEST(plane.nullclines.w.size() > 100u);
            double worst_v = 0, worst_w = 0;
            for (const auto& s : plane.nullclines.v) {
                for (const auto& q : {s.a, s.b}) {
                    worst_v = std::max(worst_v, std::abs(q.w - (q.v - q.v * q.v * q.v / 3 + i)));
                }
            }
            for (const auto& s : plane.nullclines.w) {
                for (const auto& q : {s.a, s.b}) worst_w = std::max(worst_w, std::abs(q.w - (q.v + fhn_a) / fhn_b));
            }
            BOOST_TEST(worst_v <= 1e-12);
            BOOST_TEST(worst_w <= 1e-12);

            // The arrows' grid is the field itself: dv/dt and dw/dt at every point.
            const auto& g = plane.field;
            BOOST_TEST(g.nv * g.nw == g.dv.size());
            for (std::size_t j = 0; j < g.nw; j += 5) {
                for (std::size_t k = 0; k < g.nv; k += 5) {
                    const double x = g.v_at(k), y = g.w_at(j);
                    BOOST_TEST(std::abs(g.dv[j * g.nv + k] - (x - x * x * x / 3 - y + i)) <= 1e-13 * (1 + std::abs(x * x * x)));
                    BOOST_TEST(std::abs(g.dw[j * g.nv + k] - (x + fhn_a - fhn_b * y) / fhn_tau) <= 1e-14 * (1 + std::abs(y)));
                }
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(izhikevich)

// Regular spiking (a = 0.02, b = 0.2): 0.04 v^2 + 4.8 v + 140 + I = 0 has real roots for I < 4 (the
// saddle-node bifurcation, rheobase); at I = 2 they are v = (-4.8 -+ sqrt(0.32)) / 0.08.
BOOST_AUTO_TEST_CASE(below_rheobase_a_stable_node_and_a_saddle) {
    constexpr double a = 0.02, b = 0.2, i = 2;
    const PhasePlane plane = plane_of("izhikevich", "2");
    BOOST_TEST_REQUIRE(plane.reset.has_value());
    BOOST_TEST(plane.reset->threshold == 30.0);
    BOOST_TEST(plane.reset->reset == -65.0);
    const double disc = (5 - b) * (5 - b) - 4 * 0.04 * (140 + i);
    BOOST_TEST_REQUIRE(disc > 0);
    // The smaller root with the sign that avoids cancellation, the other from the product of the roots.
    const double low = (-(5 - b) - std::sqrt(disc)) / (2 * 0.04), high = (140 + i) / 0.04 / low;
    BOOST_TEST_REQUIRE(plane.fixed_points.size() == 2u);
    const std::array<double, 2> roots{low, high};
    for (std::size_t k = 0; k < 2; ++k) {
        const FixedPoint& p = plane.fixed_points[k];
        const double v = roots[k];
        BOOST_TEST(std::abs(p.v - v) <= 1e-10 * std::abs(v), p.v << " vs " << v);
        BOOST_TEST(std::abs(p.w - b * v) <= 1e-10 * std::abs(b * v));
        const double j00 = 0.08 * v + 5, tr = j00 - a, det = -a * j00 + a * b;
        BOOST_TEST(to_string(p.type) == to_string(expected_type(tr, det)));
        check_eigenvalues(p, tr, det);
    }
    BOOST_TEST(to_string(plane.fixed_points[0].type) == "stable node");
    BOOST_TEST(to_string(plane.fixed_points[1].type) == "saddle");
}

// A window asked for beyond the cut-off (v = 30 mV): the model's right-hand side is clamped there, so a field
// drawn above it would show a u-nullcline flat at u = b * 30. The window stays, the field and nullclines stop
// at the cut-off, and every nullcline point is on its closed-form curve (u = b v; u = 0.04 v^2 + 5 v + 140 + I).
BOOST_AUTO_TEST_CASE(a_window_beyond_the_cut_off_draws_the_field_up_to_it) {
    constexpr double b = 0.2, i = 2;
    soma::RunSettings settings;
    settings.t_stop = 50;
    settings.dt = 0.01;
    PhasePlaneSpec spec;
    spec.run = soma::test::RunSpec{"izhikevich", "dc", "rk4", {}, {{"amplitude", "2"}}, settings}.spec();
    spec.v_range = soma::experiments::Interval{-80, 60};
    const PhasePlane plane = soma::experiments::phase_plane(soma::test::registry(), spec);
    BOOST_TEST(plane.v_window.from == -80.0);
    BOOST_TEST(plane.v_window.to == 60.0);
    BOOST_TEST(plane.field.v.from == -80.0);
    BOOST_TEST(plane.field.v.to == 30.0);
    SOMA_CHECK_CONTAINS(plane.note, "above the cut-off v = 30 mV");
    BOOST_TEST_REQUIRE(!plane.nullclines.w.empty());
    double highest = -1e300, worst_v = 0, worst_w = 0;
    for (const auto& s : plane.nullclines.w) {
        for (const auto& q : {s.a, s.b}) {
            highest = std::max(highest, q.v);
            worst_w = std::max(worst_w, std::abs(q.w - b * q.v));
        }
    }
    for (const auto& s : plane.nullclines.v) {
        for (const auto& q : {s.a, s.b}) {
            highest = std::max(highest, q.v);
            const double u = 0.04 * q.v * q.v + 5 * q.v + 140 + i;
            worst_v = std::max(worst_v, std::abs(q.w - u) / (1 + std::abs(u)));
        }
    }
    BOOST_TEST(highest <= 30.0);
    BOOST_TEST(worst_w <= 1e-12);
    BOOST_TEST(worst_v <= 1e-12);
    BOOST_TEST(plane.fixed_points.size() == 2u);

    spec.v_range = soma::experiments::Interval{40, 60};
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>(
                            [&] { (void)soma::experiments::phase_plane(soma::test::registry(), spec); }),
                        "--v-range 40:60 is wholly at or above izhikevich's cut-off v = 30");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

// adex at 1000 pA: the window fits the trajectory and the w-nullcline, and the v-nullcline,
// w = I - g_L (v - E_L) + g_L Delta_T exp((v - V_T)/Delta_T) (Brette & Gerstner 2005), lies above it
// everywhere: the note says so, with its lowest w over the window's v, which is within 3 pA of the
// closed-form minimum I - g_L (V_T - E_L) + g_L Delta_T = 454 pA at v = V_T (the 65 values of v are
// 1.2 mV apart; the curvature there, g_L / Delta_T = 15 pA/mV^2, gives at most 0.5 * 15 * 0.6^2 = 2.7 pA).
BOOST_AUTO_TEST_CASE(a_nullcline_outside_the_window_is_said_with_where_it_is) {
    soma::RunSettings settings;  // soma phase's defaults: 100 ms of euler at dt = 0.01 ms
    settings.t_stop = 100;
    settings.dt = 0.01;
    PhasePlaneSpec spec;
    spec.run = soma::test::RunSpec{"adex", "dc", "euler", {}, {{"amplitude", "1000"}}, settings}.spec();
    const PhasePlane plane = soma::experiments::phase_plane(soma::test::registry(), spec);
    BOOST_TEST_REQUIRE(plane.nullclines.v.empty());
    BOOST_TEST_REQUIRE(!plane.nullclines.w.empty());
    const std::string prefix = "the v-nullcline (dv/dt = 0) is outside the window (w from ";
    const auto at = plane.note.find(prefix);
    BOOST_TEST_REQUIRE(at != std::string::npos, plane.note);
    const auto from = plane.note.find("it is at w = ", at);
    BOOST_TEST_REQUIRE(from != std::string::npos, plane.note);
    const double lowest = std::stod(plane.note.substr(from + 13));
    constexpr double g_L = 30, E_L = -70.6, V_T = -50.4, Delta_T = 2, I = 1000;  // adex's defaults (adex.cpp)
    const double minimum = I - g_L * (V_T - E_L) + g_L * Delta_T;
    BOOST_TEST(lowest >= minimum - 0.1, plane.note);  // the note rounds to 4 digits
    BOOST_TEST(lowest <= minimum + 3, plane.note);
    SOMA_CHECK_CONTAINS(plane.note, "give --w-range to include it");
}

BOOST_AUTO_TEST_CASE(a_model_with_four_state_variables_is_refused_listing_the_planar_models) {
    const std::string message = soma::test::message_of<soma::ParameterError>([] { (void)plane_of("hh", "7"); });
    for (const char* part : {"model 'hh' has 4 state variables (v, m, n, h)", "exactly 2", "fitzhugh_nagumo",
                             "izhikevich", "adex", "2-variable model file"}) {
        SOMA_CHECK_CONTAINS(message, part);
    }
}

BOOST_AUTO_TEST_CASE(a_stimulus_without_amplitude_needs_a_current) {
    PhasePlaneSpec spec;
    spec.run = soma::test::RunSpec{"fitzhugh_nagumo", "sine", "rk4", {}, {}, {}}.spec();
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>(
                            [&] { (void)soma::experiments::phase_plane(soma::test::registry(), spec); }),
                        "--current");
}

BOOST_AUTO_TEST_CASE(an_empty_range_is_refused) {
    PhasePlaneSpec spec;
    spec.run = soma::test::RunSpec{"fitzhugh_nagumo", "dc", "rk4", {}, {}, {}}.spec();
    spec.v_range = soma::experiments::Interval{1, -1};
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>(
                            [&] { (void)soma::experiments::phase_plane(soma::test::registry(), spec); }),
                        "v range [1, -1]");
}

BOOST_AUTO_TEST_SUITE_END()

// Hand-made Jacobians whose eigenvalues are known: diag(1, -1) a saddle; [[0, 1], [-1, 0]] (rotation) a
// centre with eigenvalues +-i; [[-1, 0], [0, -2]] a stable node; [[1, -2], [2, 1]] an unstable focus 1 +- 2i.
BOOST_AUTO_TEST_CASE(classification_by_trace_and_determinant) {
    using soma::experiments::classify;
    BOOST_TEST(to_string(classify(0, 0, {1, 0, 0, -1}).type) == "saddle");
    const auto centre = classify(0, 0, {0, 1, -1, 0});
    BOOST_TEST(to_string(centre.type) == "centre");
    BOOST_TEST(centre.eigenvalues[0] == std::complex<double>(0, 1));
    const auto node = classify(0, 0, {-1, 0, 0, -2});
    BOOST_TEST(to_string(node.type) == "stable node");
    BOOST_TEST(node.eigenvalues[0].real() == -1.0);
    BOOST_TEST(node.eigenvalues[1].real() == -2.0);
    const auto focus = classify(0, 0, {1, -2, 2, 1});
    BOOST_TEST(to_string(focus.type) == "unstable focus");
    BOOST_TEST(focus.eigenvalues[0] == std::complex<double>(1, 2));
    BOOST_TEST(to_string(classify(0, 0, {1, 1, 1, 1}).type) == "degenerate (an eigenvalue 0)");
}
