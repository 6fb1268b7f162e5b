/// @file test_integrators.cpp
/// The integrators (euler, rk4, exp_euler, dopri5, cvode) against independent references:
/// measured orders of convergence (LIF against its exact solution, HH against RK4 at dt = 1e-4 ms),
/// the HH f-I curve of tests/data/README.md ("Hodgkin-Huxley f-I rates": RK4 at dt = 0.001 ms,
/// cross-checked with NEURON),
/// the exact LIF period ln(I / (I - 1)), which needs spikes located inside the step and resets
/// applied there, and the capability check of exponential Euler.

#define BOOST_TEST_MODULE soma_test_integrators
#include "soma_test_support.hpp"

#include "soma/jacobian.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <fmt/format.h>

#include <cmath>
#include <numeric>

namespace {

namespace data = boost::unit_test::data;
using soma::test::RunSpec;

using soma::test::registry;

/// Tolerance settings of the adaptive integrators for the accuracy tests (the rtol 1e-8).
std::map<std::string, std::string> tight(const std::string& integrator) {
    if (integrator == "dopri5" || integrator == "cvode") return {{"rtol", "1e-8"}, {"atol", "1e-10"}};
    return {};
}

/// Least-squares slope of log(error) against log(dt): the measured order of convergence.
double order(const std::vector<double>& dts, const std::vector<double>& errors) {
    std::vector<double> x, y;
    for (std::size_t k = 0; k < dts.size(); ++k) {
        x.push_back(std::log(dts[k]));
        y.push_back(std::log(errors[k]));
    }
    const double n = static_cast<double>(x.size());
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0;
    for (std::size_t k = 0; k < x.size(); ++k) {
        sxy += (x[k] - mx) * (y[k] - my);
        sxx += (x[k] - mx) * (x[k] - mx);
    }
    return sxy / sxx;
}

/// Final sampled state variable `var` of a run (the sample at t_stop - record_interval).
double last_value(const soma::test::RunResult& r, std::size_t var) {
    return r.recorder->at(r.recorder->rows() - 1, 1 + var);
}

/// Mean firing rate (Hz) over [1000, 3000) ms of HH driven by a constant current, as in the reference.
double hh_rate(const std::string& integrator, double amplitude, double dt) {
    RunSpec spec{"hh", "dc", integrator, {}, {{"amplitude", fmt::format("{}", amplitude)}}, {}, tight(integrator)};
    spec.settings.t_stop = 3000;
    spec.settings.dt = dt;
    spec.settings.record_interval = 1000;
    const auto r = soma::test::run_in_process(registry(), spec);
    std::vector<double> t;
    for (const auto& s : r.recorder->spikes) {
        if (s.t >= 1000) t.push_back(s.t);
    }
    BOOST_TEST_REQUIRE(t.size() > 10u);
    return 1000.0 * static_cast<double>(t.size() - 1) / (t.back() - t.front());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(convergence)

// LIF below threshold (V_th raised out of reach) with I = 0.8 nA from v = 0: v(t) = R I (1 - exp(-t/tau_m)).
// The error at t = 5 ms, for four halvings of dt, gives the order; 0.25 of slack covers the
// higher-order terms still visible at the largest dt.
BOOST_DATA_TEST_CASE(lif_against_the_exact_solution,
                     data::make(std::vector<std::string>{"euler", "rk4"}) ^ data::make(std::vector<double>{1, 4}),
                     integrator, expected) {
    const double I = 0.8, t_end = 5.0;
    const double exact = I * (1 - std::exp(-t_end));
    std::vector<double> dts{0.1, 0.05, 0.025, 0.0125}, errors;
    for (const double dt : dts) {
        RunSpec spec{"lif", "dc", integrator, {{"V_th", "100"}, {"V_reset", "0"}}, {{"amplitude", "0.8"}}, {}};
        spec.settings.t_stop = t_end + dt;  // the last sample is at t_stop - dt = t_end
        spec.settings.dt = dt;
        const auto r = soma::test::run_in_process(registry(), spec);
        BOOST_TEST_REQUIRE(std::abs(r.recorder->at(r.recorder->rows() - 1, 0) - t_end) < 1e-9);
        errors.push_back(std::abs(last_value(r, 0) - exact));
    }
    const double p = order(dts, errors);
    BOOST_TEST_MESSAGE(integrator << " on LIF: errors " << errors[0] << " ... " << errors[3] << ", order " << p);
    BOOST_TEST(std::abs(p - expected) <= 0.25, integrator << ": measured order " << p << ", expected " << expected);
}

// HH driven by 10 uA/cm^2 for 12 ms (one spike at ~1.9 ms, then the recovery): v at t = 12 ms
// against RK4 at dt = 1e-4 ms (its own error, ~1e-4^4, is far below the errors measured here).
BOOST_DATA_TEST_CASE(hh_against_rk4_at_1e_4_ms,
                     data::make(std::vector<std::string>{"euler", "exp_euler", "rk4"}) ^
                         data::make(std::vector<double>{1, 1, 4}),
                     integrator, expected) {
    const double t_end = 12.0;
    // RK4's error reaches rounding level below dt = 0.005 ms, so it is measured on coarser steps.
    const std::vector<double> dts = expected == 4 ? std::vector<double>{0.04, 0.02, 0.01, 0.005}
                                                  : std::vector<double>{0.01, 0.005, 0.0025, 0.00125};
    const auto v_at_end = [&](const std::string& scheme, double dt) {
        RunSpec spec{"hh", "dc", scheme, {}, {{"amplitude", "10"}}, {}};
        spec.settings.t_stop = t_end + dt;
        spec.settings.dt = dt;
        spec.settings.record_interval = t_end;  // samples at 0 and t_end
        const auto r = soma::test::run_in_process(registry(), spec);
        BOOST_TEST_REQUIRE(std::abs(r.recorder->at(r.recorder->rows() - 1, 0) - t_end) < 1e-9);
        return last_value(r, 0);
    };
    static const double reference = v_at_end("rk4", 1e-4);
    std::vector<double> errors;
    for (const double dt : dts) errors.push_back(std::abs(v_at_end(integrator, dt) - reference));
    const double p = order(dts, errors);
    BOOST_TEST_MESSAGE(integrator << " on HH: errors " << errors[0] << " ... " << errors[3] << " mV, order " << p);
    BOOST_TEST(std::abs(p - expected) <= 0.25, integrator << ": measured order " << p << ", expected " << expected);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(f_i_curve)

// tests/data/README.md, "Hodgkin-Huxley f-I rates": RK4 at dt = 0.001 ms, cross-checked with NEURON (CVODE) to 4 digits.
const std::vector<double> currents{7, 10, 15, 20};
const std::vector<double> reference_rates{58.307, 68.314, 78.642, 86.465};
const std::vector<double> euler_rates{58.40, 68.33, 78.64, 86.45};  // forward Euler at dt = 0.01 ms

BOOST_DATA_TEST_CASE(accurate_integrators_within_0_1_percent,
                     data::make(std::vector<std::string>{"rk4", "dopri5", "cvode"}), integrator) {
    for (std::size_t k = 0; k < currents.size(); ++k) {
        const double f = hh_rate(integrator, currents[k], 0.01);
        BOOST_TEST(std::abs(f / reference_rates[k] - 1) <= 1e-3,
                   integrator << " at " << currents[k] << " uA/cm^2: " << f << " Hz vs " << reference_rates[k]);
    }
}

// The reference's Euler values have 4 significant digits: 0.05 % is about half a unit of the last.
BOOST_AUTO_TEST_CASE(euler_at_0_01_ms_within_0_05_percent) {
    for (std::size_t k = 0; k < currents.size(); ++k) {
        const double f = hh_rate("euler", currents[k], 0.01);
        BOOST_TEST(std::abs(f / euler_rates[k] - 1) <= 5e-4,
                   "euler at " << currents[k] << " uA/cm^2: " << f << " Hz vs " << euler_rates[k]);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(events)

// LIF (tau_m = 1 ms, V_th = 1, V_reset = 0, no refractory period) with constant I > 1 has period
// ln(I / (I - 1)). A reset on the grid is off by up to dt (1e-2 relative at dt = 0.01 ms); the
// adaptive integrators locate the crossing to 1e-9 ms and reset there, so they meet 1e-6 relative.
BOOST_DATA_TEST_CASE(lif_period_is_exact_with_adaptive_integrators,
                     data::make(std::vector<std::string>{"dopri5", "cvode"}) * data::make(std::vector<double>{1.1, 2.0}),
                     integrator, I) {
    RunSpec spec{"lif", "dc", integrator, {}, {{"amplitude", fmt::format("{}", I)}}, {}, tight(integrator)};
    spec.settings.t_stop = 50;
    spec.settings.record_interval = 10;
    const auto r = soma::test::run_in_process(registry(), spec);
    const double period = std::log(I / (I - 1));
    const auto& spikes = r.recorder->spikes;
    BOOST_TEST_REQUIRE(spikes.size() > 5u);
    BOOST_TEST(std::abs(spikes.front().t / period - 1) <= 1e-6, "first spike " << spikes.front().t);
    for (std::size_t k = 1; k < spikes.size(); ++k) {
        const double isi = spikes[k].t - spikes[k - 1].t;
        BOOST_TEST(std::abs(isi / period - 1) <= 1e-6, integrator << " I = " << I << ": ISI " << isi << " vs " << period);
    }
}

// RK4 with the crossing located on the cubic Hermite interpolant and the reset applied there: the
// period error is O(dt^4) (~1e-9 at dt = 0.01 ms), far below the O(dt) of a grid reset.
BOOST_AUTO_TEST_CASE(lif_period_with_rk4_located_resets) {
    const double I = 1.1, period = std::log(I / (I - 1));
    RunSpec spec{"lif", "dc", "rk4", {}, {{"amplitude", "1.1"}}, {}};
    spec.settings.t_stop = 30;
    spec.settings.record_interval = 10;
    const auto r = soma::test::run_in_process(registry(), spec);
    const auto& spikes = r.recorder->spikes;
    BOOST_TEST_REQUIRE(spikes.size() > 5u);
    for (std::size_t k = 1; k < spikes.size(); ++k) {
        BOOST_TEST(std::abs((spikes[k].t - spikes[k - 1].t) / period - 1) <= 1e-7);
    }
}

// Forward Euler with located resets still converges at first order to the exact period.
BOOST_AUTO_TEST_CASE(lif_period_with_euler_located_resets_is_first_order) {
    const double I = 1.1, period = std::log(I / (I - 1));
    std::vector<double> dts{0.01, 0.005, 0.0025, 0.00125}, errors;
    for (const double dt : dts) {
        RunSpec spec{"lif", "dc", "euler", {}, {{"amplitude", "1.1"}}, {}};
        spec.settings.t_stop = 20;
        spec.settings.dt = dt;
        spec.settings.record_interval = 10;
        const auto r = soma::test::run_in_process(registry(), spec);
        const auto& s = r.recorder->spikes;
        BOOST_TEST_REQUIRE(s.size() > 3u);
        errors.push_back(std::abs((s.back().t - s.front().t) / static_cast<double>(s.size() - 1) - period));
    }
    const double p = order(dts, errors);
    BOOST_TEST(std::abs(p - 1) <= 0.25, "measured order " << p);
}

BOOST_AUTO_TEST_CASE(exp_euler_refuses_a_model_without_conditionally_linear_gates) {
    RunSpec spec{"lif", "step", "exp_euler", {}, {}, {}};
    const auto message = soma::test::message_of<soma::PluginError>(
        [&] { soma::test::run_in_process(registry(), spec); });
    SOMA_CHECK_CONTAINS(message, "integrator 'exp_euler' cannot run model 'lif'");
    SOMA_CHECK_CONTAINS(message, "ConditionallyLinear");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(capabilities)

// The analytic Jacobians of hh and lif (used by cvode) against central differences of the
// right-hand side, over states that include the rate functions' removable singularities
// (u = 25 mV for alpha_m, u = 10 mV for alpha_n).
BOOST_DATA_TEST_CASE(analytic_jacobian_matches_finite_differences, data::make(std::vector<std::string>{"hh", "lif"}),
                     name) {
    const auto model = registry().create<soma::Model>(soma::PluginKind::model, name);
    soma::test::check_jacobian(*model, name, std::vector<double>{-20.0, 0.0, 10.0, 25.0, 60.0, 0.9});
}

// hh in NEURON's convention (preset `neuron`: rates referred to V_rest = -65 mV): the same Jacobian
// check at the same potentials relative to rest, the singularities now at v = -40 and -55 mV.
BOOST_AUTO_TEST_CASE(analytic_jacobian_of_hh_at_rest_minus_65_matches_finite_differences) {
    const auto model = registry().create<soma::Model>(soma::PluginKind::model, "hh");
    model->apply_preset("neuron");
    soma::test::check_jacobian(*model, "hh --preset neuron", std::vector<double>{-85.0, -65.0, -55.0, -40.0, -5.0});
}

// Moving every potential of hh by -65 mV (V_rest, the reversal potentials, V_init, V_spike) changes
// nothing but the numbers of v: the G&K model is written relative to rest. Each integrator must give the
// default model's spike times, which the NEURON comparison (tests/compare) checks against NEURON. The
// fixed-step schemes differ only by the rounding of v - 65 (measured 2e-13 ms; 1e-10 allowed); the
// adaptive ones choose their steps from |v|, which the shift changes, so they agree to their tolerance
// (rtol 1e-8): measured 4e-9 ms with dopri5 and 1.9e-6 ms with cvode, 1e-5 allowed.
BOOST_DATA_TEST_CASE(hh_shifted_to_rest_at_minus_65_fires_at_the_same_times,
                     data::make(std::vector<std::string>{"euler", "exp_euler", "rk4", "dopri5", "cvode"}),
                     integrator) {
    const auto spikes = [&](const std::map<std::string, std::string>& parameters) {
        RunSpec spec{"hh", "step", integrator, parameters, {{"amplitude", "7"}, {"onset", "20"}, {"offset", "70"}},
                     {}, tight(integrator)};
        spec.settings.t_stop = 100;
        spec.settings.dt = 0.01;
        spec.settings.record_interval = 100;
        const auto r = soma::test::run_in_process(registry(), spec);
        std::vector<double> t;
        for (const auto& s : r.recorder->spikes) t.push_back(s.t);
        return t;
    };
    const auto at_zero = spikes({});
    const auto at_minus_65 = spikes({{"V_rest", "-65"}, {"E_Na", "50"}, {"E_K", "-77"}, {"E_L", "-54.4"},
                                     {"V_init", "-65"}, {"V_spike", "-15"}});
    BOOST_TEST_REQUIRE(at_zero.size() == 3u);
    BOOST_TEST_REQUIRE(at_minus_65.size() == at_zero.size());
    const bool adaptive = integrator == "dopri5" || integrator == "cvode";
    for (std::size_t k = 0; k < at_zero.size(); ++k) {
        BOOST_TEST(std::abs(at_minus_65[k] - at_zero[k]) <= (adaptive ? 1e-5 : 1e-10),
                   integrator << " spike " << k << ": " << at_minus_65[k] << " ms against " << at_zero[k] << " ms");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(work_limits)

// dopri5's max_steps bounds the internal steps that each cell takes to reach the next grid time, not
// those of all the cells of a worker together (dopri5.cpp, docs/architecture.md): 64 identical cells in
// one block run with the smallest max_steps that one cell needs. HH at 10 uA/cm^2 on a coarse grid
// (dt = 0.5 ms) needs several internal steps per grid step during its spikes.
BOOST_AUTO_TEST_CASE(dopri5_max_steps_counts_the_steps_of_each_cell) {
    const auto fails = [](std::size_t max_steps, std::size_t n_cells) {
        RunSpec spec{"hh", "dc", "dopri5", {}, {{"amplitude", "10"}}, {}, {{"max_steps", fmt::format("{}", max_steps)}}};
        spec.settings.t_stop = 50;
        spec.settings.dt = 0.5;
        spec.settings.n_cells = n_cells;
        spec.settings.record_interval = 50;
        try {
            (void)soma::test::run_in_process(registry(), spec);
            return false;
        } catch (const soma::RunError& e) {
            BOOST_TEST_MESSAGE("max_steps = " << max_steps << ", " << n_cells << " cells: " << e.what());
            return true;
        }
    };
    std::size_t needed = 1;
    while (needed < 100 && fails(needed, 1)) ++needed;
    BOOST_TEST_REQUIRE(needed >= 3u, "one cell needs only " << needed << " internal steps per grid step");
    BOOST_TEST_REQUIRE(needed < 100u);
    BOOST_TEST(!fails(needed, 64), "64 cells fail with the max_steps = " << needed << " that one cell needs");
    BOOST_TEST(fails(needed - 1, 64));
}

BOOST_AUTO_TEST_SUITE_END()
