/// @file test_experiments.cpp
/// Sweeps and rheobase searches (libsoma_experiments) against independent references:
/// - the f-I curve of LIF from a sweep with dopri5 against the closed form
///   f = 1 / (t_ref + tau_m ln(R I / (R I - (V_th - V_rest)))) (Gerstner & Kistler 2002, eq. 4.10 with a
///   refractory period);
/// - the f-I curve of HH from a sweep against NEURON's (tests/data/hh-fi.csv, made by
///   tests/data/make_hh_fi.py with CVODE);
/// - the rheobase of a LIF population against the closed form (V_th - V_rest) / R, and that of HH against
///   a bisection written here over separate single-cell runs;
/// - the statistics of a spike train (responses.hpp) against values computed by hand;
/// - bad axes, products and search bounds, with the messages users see.

#define BOOST_TEST_MODULE soma_test_experiments
#include "soma_test_support.hpp"

#include "soma/experiments/rheobase.hpp"
#include "soma/experiments/sweep.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <fstream>
#include <sstream>

namespace ex = soma::experiments;
using soma::test::registry;

namespace {

soma::RunSpec base(const std::string& model, const std::string& stimulus, const std::string& integrator, double t_stop) {
    soma::RunSpec s;
    s.model = {model, {}, {}};
    s.stimulus = {stimulus, {}, {}};
    s.integrator = {integrator, {}, {}};
    s.recorders = {};
    s.settings = {t_stop, 0.01, 0.0, 0, 2, 0};
    s.name = "test";
    return s;
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const soma::Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(response_statistics_of_a_hand_made_train) {
    // Spikes at 10, 30, 50, 80 ms; window [25, 100): spikes 30, 50, 80 in it, and the intervals ending in it
    // 20, 20, 30 ms (the first from the spike at 10, before the window).
    const ex::Window w{25, 100, ""};
    const auto r = ex::response({10, 30, 50, 80}, w, 5);
    BOOST_TEST(r.n_spikes == 4u);
    BOOST_TEST(r.n_window == 3u);
    BOOST_TEST(r.n_isi == 3u);
    const double mean = 70.0 / 3, sd = std::sqrt(((20 - mean) * (20 - mean) * 2 + (30 - mean) * (30 - mean)) / 2);
    BOOST_TEST(r.mean_isi == mean, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(r.rate == 1000.0 / mean, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(r.cv_isi == sd / mean, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(r.latency == 5.0);
    // One spike in a window shorter than the period: the interval that led to it gives the rate.
    const auto one = ex::response({10, 30}, ex::Window{25, 45, ""}, 0);
    BOOST_TEST(one.rate == 50.0);
    BOOST_TEST(std::isnan(one.cv_isi));
    // The cell's first spike alone: no interval, the count over the window's length.
    const auto first = ex::response({30}, ex::Window{25, 75, ""}, 0);
    BOOST_TEST(first.rate == 20.0);
    BOOST_TEST(std::isnan(first.mean_isi));
    const auto none = ex::response({}, w, 0);
    BOOST_TEST(none.rate == 0.0);
    BOOST_TEST(std::isnan(none.latency));
}

BOOST_AUTO_TEST_CASE(axes_make_the_cartesian_product_last_axis_fastest) {
    const std::vector<ex::Axis> axes{ex::parse_axis("stimulus.amplitude=linspace(0, 20, 3)"),
                                     ex::parse_axis("model.g_K=30,36")};
    BOOST_TEST(ex::sweep_cell_count(axes) == 6u);
    BOOST_TEST(axes[0].values == (std::vector<double>{0, 10, 20}), boost::test_tools::per_element());
    BOOST_TEST(ex::axis_indices(axes, 0) == (std::vector<std::size_t>{0, 0}), boost::test_tools::per_element());
    BOOST_TEST(ex::axis_indices(axes, 1) == (std::vector<std::size_t>{0, 1}), boost::test_tools::per_element());
    BOOST_TEST(ex::axis_indices(axes, 5) == (std::vector<std::size_t>{2, 1}), boost::test_tools::per_element());
}

// LIF driven by constant currents above rheobase fires periodically with the closed-form period
// T = t_ref + tau_m ln(R I / (R I - theta)), theta = V_th - V_rest (V_reset = V_rest). dopri5 locates each
// threshold crossing to its tolerance (rtol 1e-10 here), so the sweep's rate (1000 / mean ISI in the window)
// must match 1000 / T to 1e-7 relative.
BOOST_AUTO_TEST_CASE(lif_fi_curve_matches_the_closed_form_with_dopri5) {
    ex::SweepSpec spec;
    spec.run = base("lif", "dc", "dopri5", 400);
    spec.run.model.parameters = {{"tau_m", "10"}, {"R", "2"}, {"V_th", "1"}, {"t_ref", "2"}};
    spec.run.integrator.parameters = {{"rtol", "1e-10"}, {"atol", "1e-12"}};
    spec.axes = {ex::parse_axis("stimulus.amplitude=linspace(0.6, 5, 12)"), ex::parse_axis("model.t_ref=0,2")};
    spec.run.model.parameters.erase("t_ref");
    const auto result = ex::run_sweep(registry(), spec);
    BOOST_TEST_REQUIRE(result.cells.size() == 24u);
    BOOST_TEST(result.window.from == 200.0);  // the second half of the run: dc has no onset and offset
    for (std::size_t c = 0; c < result.cells.size(); ++c) {
        const auto index = ex::axis_indices(result.axes, c);
        const double I = result.axes[0].values[index[0]], t_ref = result.axes[1].values[index[1]];
        const double period = t_ref + 10.0 * std::log(2 * I / (2 * I - 1.0));
        BOOST_TEST_CONTEXT("cell " << c << ", I = " << I << " nA, t_ref = " << t_ref << " ms") {
            BOOST_TEST(result.cells[c].rate == 1000.0 / period, boost::test_tools::tolerance(1e-7));
            BOOST_TEST(result.cells[c].cv_isi < 1e-6);
        }
    }
}

// The HH f-I curve against NEURON's CVODE (tests/data/hh-fi.csv): same window [1000, 2000) ms, same rate
// definition. dopri5 at rtol 1e-9 gives spike times within about 1e-5 ms of NEURON's, so the spike counts
// must be equal and the rates agree to 1e-5 relative (the reference has 9 significant digits).
BOOST_AUTO_TEST_CASE(hh_fi_curve_matches_neuron) {
    std::ifstream in(SOMA_TEST_DATA_DIR "/hh-fi.csv");
    BOOST_TEST_REQUIRE(in.good(), "tests/data/hh-fi.csv is missing");
    std::vector<double> currents, counts, rates;
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() == '#') continue;
        if (header) {
            BOOST_TEST_REQUIRE(line == "I (uA/cm^2),spikes in window,rate (Hz)");
            header = false;
            continue;
        }
        std::istringstream row(line);
        double i = 0, n = 0, f = 0;
        char comma = 0;
        row >> i >> comma >> n >> comma >> f;
        currents.push_back(i);
        counts.push_back(n);
        rates.push_back(f);
    }
    BOOST_TEST_REQUIRE(currents.size() >= 10u);
    ex::SweepSpec spec;
    spec.run = base("hh", "dc", "dopri5", 2000);
    spec.run.integrator.parameters = {{"rtol", "1e-9"}, {"atol", "1e-11"}};
    std::string list;
    for (const double i : currents) list += (list.empty() ? "" : ",") + fmt::format("{}", i);
    spec.axes = {ex::parse_axis("stimulus.amplitude=" + list)};
    spec.window = ex::Window{1000, 2000, "as the reference"};
    const auto result = ex::run_sweep(registry(), spec);
    BOOST_TEST_REQUIRE(result.cells.size() == currents.size());
    for (std::size_t c = 0; c < currents.size(); ++c) {
        BOOST_TEST_CONTEXT("I = " << currents[c] << " uA/cm^2") {
            BOOST_TEST(static_cast<double>(result.cells[c].n_window) == counts[c]);
            if (rates[c] == 0) BOOST_TEST(result.cells[c].rate == 0.0);
            else BOOST_TEST(result.cells[c].rate == rates[c], boost::test_tools::tolerance(1e-5));
        }
    }
    const auto [below, first] = ex::firing_onset(result);
    BOOST_TEST(below < 6.2642);  // NEURON's onset of repetitive firing (the file's comment)
    BOOST_TEST(first > 6.2642);
}

// LIF from rest under a step of amplitude I on [0, D): v(t) = R I (1 - e^(-t / tau_m)) reaches theta = V_th - V_rest
// at t = tau_m ln(R I / (R I - theta)), and (V_reset = V_rest, t_ref = 0) fires periodically with that period.
// So the single-spike rheobase of the step (a spike before D) is theta / (R (1 - e^(-D / tau_m))), and the
// sustained one (a second spike by D) theta / (R (1 - e^(-D / (2 tau_m)))); for D -> infinity both tend to the
// rheobase theta / R. dopri5 at rtol 1e-10 follows v far better than the amplitude tolerance of 1e-6 nA, so each
// cell's interval (below, rheobase] must contain the closed form and be within the tolerance.
BOOST_AUTO_TEST_CASE(lif_rheobase_is_the_closed_form_per_cell) {
    constexpr double D = 30, tau = 10, R = 2;
    ex::RheobaseSpec spec;
    spec.run = base("lif", "step", "dopri5", D);
    spec.run.model.parameters = {{"tau_m", "10"}, {"R", "2"}, {"V_th", "1,1.5,2,3"}};
    spec.run.stimulus.parameters = {{"onset", "0"}, {"offset", "30"}};
    spec.run.integrator.parameters = {{"rtol", "1e-10"}, {"atol", "1e-12"}};
    spec.low = 0;
    spec.high = 5;
    spec.tolerance = 1e-6;
    for (const auto firing : {ex::Firing::single, ex::Firing::sustained}) {
        spec.firing = firing;
        const auto result = ex::find_rheobase(registry(), spec);
        BOOST_TEST_REQUIRE(result.cells.size() == 4u);
        BOOST_TEST(result.unit == "nA");
        const double theta[] = {1, 1.5, 2, 3};
        for (std::size_t c = 0; c < 4; ++c) {
            const double time_to_spike = firing == ex::Firing::single ? D : D / 2;
            const double exact = theta[c] / (R * (1 - std::exp(-time_to_spike / tau)));
            BOOST_TEST_CONTEXT("cell " << c << (firing == ex::Firing::single ? ", single" : ", sustained")) {
                BOOST_TEST(result.cells[c].rheobase - result.cells[c].below <= 1e-6);
                BOOST_TEST(result.cells[c].below < exact);
                BOOST_TEST(result.cells[c].rheobase >= exact);
            }
        }
        BOOST_TEST(result.rounds <= 9u);  // ceil(log_8(5 / 1e-6)) = 8 rounds of 7, and the bounds
    }
}

// HH (the default 50 ms step): the rheobase of three cells with different g_Na from one search, against a plain
// bisection here over separate single-cell runs to the same tolerance: the two intervals must overlap.
BOOST_AUTO_TEST_CASE(hh_rheobase_agrees_with_separate_bisection) {
    const std::vector<double> g_na{100, 120, 140};
    ex::RheobaseSpec spec;
    spec.run = base("hh", "step", "euler", 100);
    spec.run.model.parameters = {{"g_Na", "100,120,140"}};
    spec.low = 0;
    spec.high = 20;
    spec.tolerance = 1e-4;
    const auto result = ex::find_rheobase(registry(), spec);
    for (std::size_t c = 0; c < g_na.size(); ++c) {
        const auto fires = [&](double amplitude) {
            soma::RunSpec one = base("hh", "step", "euler", 100);
            one.settings.threads = 1;
            one.model.parameters = {{"g_Na", fmt::format("{}", g_na[c])}};
            one.stimulus.parameters = {{"amplitude", fmt::format("{:.17g}", amplitude)}};
            auto simulation = soma::build_simulation(registry(), one);
            return simulation.run().n_spikes > 0;
        };
        double lo = 0, hi = 20;
        BOOST_TEST_REQUIRE(!fires(lo));
        BOOST_TEST_REQUIRE(fires(hi));
        while (hi - lo > 1e-4) {
            const double mid = (lo + hi) / 2;
            (fires(mid) ? hi : lo) = mid;
        }
        BOOST_TEST_CONTEXT("g_Na = " << g_na[c]) {
            BOOST_TEST(result.cells[c].below < hi);
            BOOST_TEST(lo < result.cells[c].rheobase);
            BOOST_TEST(result.cells[c].rheobase > 1.0);  // HH needs a few uA/cm^2 for a 50 ms step
        }
    }
    BOOST_TEST(result.cells[0].rheobase > result.cells[2].rheobase);  // more sodium, lower threshold
}

BOOST_AUTO_TEST_CASE(bad_axes_and_bounds_are_refused_with_clear_messages) {
    SOMA_CHECK_CONTAINS(message_of([] { (void)ex::parse_axis("stimulus.amplitude="); }), "the axis has no values");
    SOMA_CHECK_CONTAINS(message_of([] { (void)ex::parse_axis("amplitude=1,2"); }), "expected KIND.PARAM=VALUES");
    SOMA_CHECK_CONTAINS(message_of([] { (void)ex::parse_axis("modle.g_K=1,2"); }), "'model'");
    SOMA_CHECK_CONTAINS(message_of([] { (void)ex::parse_axis("model.C_m=normal(1,0.1)"); }), "not random draws");
    SOMA_CHECK_CONTAINS(message_of([] {
                            const std::vector<ex::Axis> axes(3, ex::parse_axis("model.g_K=linspace(1, 2, 2000)"));
                            (void)ex::sweep_cell_count(axes);
                        }),
                        "two axes");
    SOMA_CHECK_CONTAINS(message_of([] {
                            std::vector<ex::Axis> axes{ex::parse_axis("model.g_K=linspace(1, 2, 100000)"),
                                                       ex::parse_axis("model.g_Na=linspace(1, 2, 100000)")};
                            (void)ex::sweep_cell_count(axes);
                        }),
                        "100000 values of model.g_K x 100000 values of model.g_Na");
    {
        ex::SweepSpec spec;
        spec.run = base("hh", "step", "euler", 10);
        spec.axes = {ex::parse_axis("model.g_Kk=30,36")};
        SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::run_sweep(registry(), spec); }), "g_K");
        spec.axes = {ex::parse_axis("model.g_K=linspace(1, 2, 100000)"), ex::parse_axis("model.g_Na=linspace(1, 2, 40000)")};
        spec.run.integrator.name = "cvode";  // 4e9 cells of 13 kB each
        SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::run_sweep(registry(), spec); }), "more than this machine can hold");
    }
    ex::RheobaseSpec spec;
    spec.run = base("lif", "step", "euler", 100);
    spec.low = 0;
    spec.high = 0.5;  // the default lif cell's rheobase is 1 nA
    SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::find_rheobase(registry(), spec); }), "give a larger --high");
    spec.low = 2;
    spec.high = 5;
    SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::find_rheobase(registry(), spec); }), "give a lower --low");
    spec.low = 5;
    SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::find_rheobase(registry(), spec); }), "low < high");
    spec.low = 0;
    spec.parameter = "amplitud";
    SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::find_rheobase(registry(), spec); }), "amplitude");
    spec.parameter = "onset";  // a time: the search varies a current
    SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::find_rheobase(registry(), spec); }), "not a current");
    spec.parameter = "amplitude";
    spec.tolerance = 1e-17;  // below what doubles resolve between 0 and 5: it would never end
    SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::find_rheobase(registry(), spec); }), "finer than the search can resolve");
    spec.tolerance = 0;
    spec.batch = 1000;
    spec.run.settings.n_cells = 200'000;  // 2 10^8 trial cells per round, about 60 GiB
    SOMA_CHECK_CONTAINS(message_of([&] { (void)ex::find_rheobase(registry(), spec); }), "smaller --batch");
}
