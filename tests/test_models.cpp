/// @file test_models.cpp
/// The model plug-ins adex, izhikevich, eif and fitzhugh_nagumo against published results and
/// independent references:
///   - adex: the firing patterns of Naud, Marcille, Clopath & Gerstner 2008 (Biol. Cybern. 99:335, Table 1 and
///     Fig. 4), each preset driven by its step current, recognised by the signature the paper describes
///     (adaptation index, burst structure, latency, transience);
///   - izhikevich: the cortical cell types of Izhikevich 2003 (IEEE TNN 14:1569, Fig. 2) at I = 10;
///   - eif: the rheobase g_L (V_T - E_L - Delta_T) and the period against an independent quadrature of
///     dt = C dV / F(V) (Fourcaud-Trocme et al. 2003);
///   - fitzhugh_nagumo: the resting point (a root of a cubic, by Cardano's formula) and the period of the limit
///     cycle at I = 0.5 against a fine RK4 integration written here;
/// and, for all four, the analytic Jacobians (cvode) against central differences, the preset lists, the
/// parameter constraints, and runs with large steps that must stay finite (the clamps of the upswing).
///
/// The step currents are on from `onset` = 10 ms to `offset` = 510 ms (500 ms, as in ANNarchy's reproduction
/// of Naud et al.'s Fig. 4); the model starts at rest.

#define BOOST_TEST_MODULE soma_test_models
#include "soma_test_support.hpp"

#include "soma/jacobian.hpp"

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <tuple>

namespace {

namespace data = boost::unit_test::data;
using soma::test::RunSpec;

using soma::test::registry;

constexpr double onset = 10.0, offset = 510.0;

/// Integrator settings of the pattern tests: dopri5 at rtol 1e-8 (atol 1e-10), or rk4 at dt = 0.01 ms.
std::map<std::string, std::string> settings_of(const std::string& integrator) {
    if (integrator == "dopri5" || integrator == "cvode") return {{"rtol", "1e-8"}, {"atol", "1e-10"}};
    return {};
}

/// Spike times (ms) of `model` with preset `preset` (may be empty) driven by a step of `amplitude` on
/// [onset, offset), for t_stop = offset + 10 ms.
std::vector<double> step_response(const std::string& model, const std::string& preset, double amplitude,
                                  const std::string& integrator,
                                  const std::map<std::string, std::string>& parameters = {}) {
    RunSpec spec{model,
                 "step",
                 integrator,
                 parameters,
                 {{"amplitude", fmt::format("{}", amplitude)},
                  {"onset", fmt::format("{}", onset)},
                  {"offset", fmt::format("{}", offset)}},
                 {},
                 settings_of(integrator)};
    spec.settings.t_stop = offset + 10;
    spec.settings.dt = 0.01;
    spec.settings.record_interval = 10;
    spec.preset = preset;
    const auto r = soma::test::run_in_process(registry(), spec);
    std::vector<double> t;
    for (const auto& s : r.recorder->spikes) t.push_back(s.t);
    return t;
}

std::vector<double> intervals(const std::vector<double>& t) {
    std::vector<double> isi;
    for (std::size_t k = 1; k < t.size(); ++k) isi.push_back(t[k] - t[k - 1]);
    return isi;
}

/// The adaptation index of Naud et al. 2008 (after Druckmann et al. 2007): the mean of
/// (ISI_{i+1} - ISI_i) / (ISI_{i+1} + ISI_i) over consecutive pairs of ISIs, after discarding the first k
/// ISIs, k = min(4, one fifth of the ISIs), so as not to weigh the onset transient. 0 for a tonic train,
/// positive when the ISIs lengthen (adaptation), negative when they shorten (acceleration).
double adaptation_index(const std::vector<double>& isi) {
    const std::size_t k = std::min<std::size_t>(4, isi.size() / 5);
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t i = k; i + 1 < isi.size(); ++i, ++n) sum += (isi[i + 1] - isi[i]) / (isi[i + 1] + isi[i]);
    return n == 0 ? 0.0 : sum / static_cast<double>(n);
}

/// Sizes of the bursts of a spike train: runs of spikes whose intervals are all below `gap` ms.
std::vector<std::size_t> bursts(const std::vector<double>& t, double gap) {
    std::vector<std::size_t> sizes;
    for (std::size_t k = 0; k < t.size(); ++k) {
        if (k == 0 || t[k] - t[k - 1] > gap) sizes.push_back(0);
        ++sizes.back();
    }
    return sizes;
}

double mean(const std::vector<double>& x) {
    return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

/// Coefficient of variation (standard deviation / mean).
double cv(const std::vector<double>& x) {
    const double m = mean(x);
    double s = 0;
    for (const double v : x) s += (v - m) * (v - m);
    return std::sqrt(s / static_cast<double>(x.size())) / m;
}

std::string show(const std::vector<double>& x) {
    std::string s;
    for (const double v : x) s += fmt::format("{:.2f} ", v);
    return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(adex_naud_2008)

const auto integrators = data::make(std::vector<std::string>{"dopri5", "rk4"});

// Fig. 4a: tonic spiking. After the onset transient the ISIs are constant: the adaptation index is ~0
// (measured 5e-4 with dopri5, 9e-4 with rk4, against 0.12 for the adapting cell), the ISIs of the second half
// agree to 1 %, and the first spike comes within two ISIs of the onset (measured 1.5).
BOOST_DATA_TEST_CASE(tonic_spiking, integrators, integrator) {
    const auto t = step_response("adex", "tonic_spiking", 500, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 30u);
    const auto isi = intervals(t);
    const double A = adaptation_index(isi);
    BOOST_TEST_MESSAGE("adex tonic_spiking (" << integrator << "): " << t.size() << " spikes, A = " << A
                                              << ", ISIs " << show(isi));
    BOOST_TEST(std::abs(A) < 0.01);
    const std::vector<double> late(isi.begin() + static_cast<std::ptrdiff_t>(isi.size() / 2), isi.end() - 1);
    BOOST_TEST(cv(late) < 0.01);
    BOOST_TEST(t.front() - onset < 2 * isi.back());
}

// Fig. 4b: adaptation. The ISIs lengthen monotonically to a steady value several times the first one:
// A > 0.05 (measured ~0.12), last / first ISI > 3 (measured ~6.7).
BOOST_DATA_TEST_CASE(adaptation, integrators, integrator) {
    const auto t = step_response("adex", "adaptation", 500, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 6u);
    const auto isi = intervals(t);
    const double A = adaptation_index(isi);
    BOOST_TEST_MESSAGE("adex adaptation (" << integrator << "): " << t.size() << " spikes, A = " << A << ", ISIs "
                                           << show(isi));
    BOOST_TEST(A > 0.05);
    BOOST_TEST(isi.back() / isi.front() > 3.0);
    for (std::size_t k = 1; k < isi.size(); ++k) BOOST_TEST(isi[k] >= isi[k - 1] * (1 - 1e-6), "ISI " << k);
}

// Fig. 4c: initial burst. A burst of at least two short ISIs (< 10 ms) at the onset, then only long, regular
// ISIs (> 40 ms, agreeing to 1 %): the first ISIs are far shorter than the later ones (ratio > 5).
BOOST_DATA_TEST_CASE(initial_burst, integrators, integrator) {
    const auto t = step_response("adex", "initial_burst", 400, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 6u);
    const auto isi = intervals(t);
    BOOST_TEST_MESSAGE("adex initial_burst (" << integrator << "): " << t.size() << " spikes, ISIs " << show(isi));
    const auto sizes = bursts(t, 20.0);
    BOOST_TEST(sizes.front() >= 3u);
    for (std::size_t k = 1; k < sizes.size(); ++k) BOOST_TEST(sizes[k] == 1u, "burst " << k);
    const std::size_t n_burst = sizes.front() - 1;  // short ISIs of the burst
    for (std::size_t k = 0; k < n_burst; ++k) BOOST_TEST(isi[k] < 10.0);
    const std::vector<double> later(isi.begin() + static_cast<std::ptrdiff_t>(n_burst), isi.end());
    for (const double x : later) BOOST_TEST(x > 40.0);
    BOOST_TEST(*std::min_element(later.begin(), later.end()) / isi[n_burst - 1] > 5.0);
    const std::vector<double> steady(later.begin() + 2, later.end());
    BOOST_TEST(cv(steady) < 0.01);
}

// Fig. 4d: regular bursting. The ISIs are bimodal, short within bursts (< 10 ms) and long between them
// (> 100 ms), nothing in between, long / short > 10; bursts of at least two spikes repeat at least three times.
BOOST_DATA_TEST_CASE(regular_bursting, integrators, integrator) {
    const auto t = step_response("adex", "regular_bursting", 210, integrator);
    const auto isi = intervals(t);
    BOOST_TEST_MESSAGE("adex regular_bursting (" << integrator << "): " << t.size() << " spikes, ISIs " << show(isi));
    double longest_short = 0, shortest_long = 1e300;
    for (const double x : isi) {
        BOOST_TEST((x < 10.0 || x > 100.0), "ISI " << x << " ms is neither intra- nor inter-burst");
        if (x < 10.0) {
            longest_short = std::max(longest_short, x);
        } else {
            shortest_long = std::min(shortest_long, x);
        }
    }
    BOOST_TEST(shortest_long / longest_short > 10.0);
    const auto sizes = bursts(t, 20.0);
    BOOST_TEST_REQUIRE(sizes.size() >= 3u);
    for (const std::size_t n : sizes) BOOST_TEST(n >= 2u);
}

// Fig. 4e: delayed accelerating. The first spike comes late: later than the first ISI and than twice the final
// ISI (measured 34 ms, against 21 and 11 ms; the tonic cell fires 1.5 of its ISIs after the onset), and the
// ISIs then shorten monotonically (negative adaptation index, last / first ISI < 0.7; measured ~0.5).
BOOST_DATA_TEST_CASE(delayed_accelerating, integrators, integrator) {
    const auto t = step_response("adex", "delayed_accelerating", 300, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 10u);
    const auto isi = intervals(t);
    const double latency = t.front() - onset, A = adaptation_index(isi);
    BOOST_TEST_MESSAGE("adex delayed_accelerating (" << integrator << "): latency " << latency << " ms, A = " << A
                                                     << ", ISIs " << show(isi));
    BOOST_TEST(latency > isi.front());
    BOOST_TEST(latency > 2 * isi.back());
    BOOST_TEST(A < 0.0);
    BOOST_TEST(isi.back() / isi.front() < 0.7);
    for (std::size_t k = 1; k < isi.size(); ++k) BOOST_TEST(isi[k] <= isi[k - 1] * (1 + 1e-6), "ISI " << k);
}

// Fig. 4f: delayed regular bursting. A long silent delay (> 40 ms, measured ~57 ms; the regular bursting cell
// fires within ~16 ms), then bursts of at least three spikes (intra-burst ISIs < 10 ms) repeating regularly.
BOOST_DATA_TEST_CASE(delayed_regular_bursting, integrators, integrator) {
    const auto t = step_response("adex", "delayed_regular_bursting", 110, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 6u);
    const auto isi = intervals(t);
    BOOST_TEST_MESSAGE("adex delayed_regular_bursting (" << integrator << "): latency " << t.front() - onset
                                                         << " ms, ISIs " << show(isi));
    BOOST_TEST(t.front() - onset > 40.0);
    auto sizes = bursts(t, 20.0);
    sizes.pop_back();  // the last burst may be cut short by the end of the step
    BOOST_TEST_REQUIRE(sizes.size() >= 3u);
    for (const std::size_t n : sizes) BOOST_TEST(n >= 3u);
    for (const double x : isi) BOOST_TEST((x < 10.0 || x > 40.0), "ISI " << x);
}

// Fig. 4g: transient spiking. One to three spikes at the onset (within 50 ms), then silence for the rest of
// the 500 ms step although the current stays on.
BOOST_DATA_TEST_CASE(transient_spiking, integrators, integrator) {
    const auto t = step_response("adex", "transient_spiking", 180, integrator);
    BOOST_TEST_MESSAGE("adex transient_spiking (" << integrator << "): spikes at " << show(t));
    BOOST_TEST(t.size() >= 1u);
    BOOST_TEST(t.size() <= 3u);
    for (const double x : t) BOOST_TEST(x - onset < 50.0);
}

// Fig. 4h: irregular spiking. After the onset, ISIs of widely different lengths in no monotone order:
// coefficient of variation > 0.3 and longest / shortest > 3 (measured ~0.5 and ~6). Naud et al. trace the
// irregularity to low-dimensional chaos; 500 ms cannot show that, only the irregular train.
BOOST_DATA_TEST_CASE(irregular_spiking, integrators, integrator) {
    const auto t = step_response("adex", "irregular_spiking", 160, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 10u);
    auto isi = intervals(t);
    isi.erase(isi.begin(), isi.begin() + 3);  // the onset burst
    BOOST_TEST_MESSAGE("adex irregular_spiking (" << integrator << "): CV " << cv(isi) << ", ISIs " << show(isi));
    BOOST_TEST(cv(isi) > 0.3);
    BOOST_TEST(*std::max_element(isi.begin(), isi.end()) / *std::min_element(isi.begin(), isi.end()) > 3.0);
}

// The patterns do not depend on the integrator: rk4 at dt = 0.01 ms places every crossing in the right step but,
// as v diverges inside that step, only approximately within it; so its first spike and each ISI agree with
// dopri5's to dt (measured: up to 0.0055 ms). (The bursting patterns amplify the differences in their later
// spikes, and the irregular one is chaotic; their signatures are checked with both integrators above.)
BOOST_AUTO_TEST_CASE(rk4_agrees_with_dopri5_within_a_step) {
    for (const auto& [preset, amplitude] : std::vector<std::pair<std::string, double>>{{"tonic_spiking", 500},
                                                                                       {"adaptation", 500},
                                                                                       {"initial_burst", 400},
                                                                                       {"regular_bursting", 210},
                                                                                       {"delayed_accelerating", 300}}) {
        // The spikes during the step (one after its end comes from a slowly decaying v and is less certain).
        const auto during = [](std::vector<double> t) {
            t.erase(std::find_if(t.begin(), t.end(), [](double x) { return x >= offset; }), t.end());
            return t;
        };
        const auto a = during(step_response("adex", preset, amplitude, "dopri5"));
        const auto b = during(step_response("adex", preset, amplitude, "rk4"));
        BOOST_TEST_REQUIRE(a.size() == b.size(), preset);
        BOOST_TEST(std::abs(a.front() - b.front()) < 0.01, preset);
        const auto isi_a = intervals(a), isi_b = intervals(b);
        double worst = 0;
        for (std::size_t k = 0; k < isi_a.size(); ++k) worst = std::max(worst, std::abs(isi_a[k] - isi_b[k]));
        BOOST_TEST_MESSAGE("adex " << preset << ": rk4 vs dopri5, largest ISI difference " << worst << " ms");
        BOOST_TEST(worst < 0.01, preset);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(izhikevich_2003)

// The five cortical types of Fig. 2 at I = 10, with dopri5 and rk4. `steady` is the mean of the last five ISIs.
const auto integrators = data::make(std::vector<std::string>{"dopri5", "rk4"});

double steady_isi(const std::vector<double>& isi) { return mean(std::vector<double>(isi.end() - 5, isi.end())); }

// RS: tonic spikes at a low rate (10-40 Hz; measured 22 Hz), no bursts (every ISI > 10 ms), with adaptation:
// the first ISI is the shortest, and the steady ISI is more than 1.5 times it (measured 2.0).
BOOST_DATA_TEST_CASE(regular_spiking, integrators, integrator) {
    const auto t = step_response("izhikevich", "regular_spiking", 10, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 8u);
    const auto isi = intervals(t);
    const double rate = 1000 / steady_isi(isi);
    BOOST_TEST_MESSAGE("izhikevich RS (" << integrator << "): " << rate << " Hz, ISIs " << show(isi));
    BOOST_TEST(rate > 10.0);
    BOOST_TEST(rate < 40.0);
    for (const double x : isi) BOOST_TEST(x > 10.0);
    BOOST_TEST(*std::min_element(isi.begin(), isi.end()) == isi.front());
    BOOST_TEST(steady_isi(isi) / isi.front() > 1.5);
}

// IB: a burst of at least 3 spikes (ISIs < 10 ms) at the onset, then single spikes at a steady rate
// (all later ISIs > 25 ms, the last five equal to 1 %).
BOOST_DATA_TEST_CASE(intrinsically_bursting, integrators, integrator) {
    const auto t = step_response("izhikevich", "intrinsically_bursting", 10, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 8u);
    const auto isi = intervals(t);
    const auto sizes = bursts(t, 10.0);
    BOOST_TEST_MESSAGE("izhikevich IB (" << integrator << "): first burst " << sizes.front() << " spikes, ISIs "
                                         << show(isi));
    BOOST_TEST(sizes.front() >= 3u);
    for (std::size_t k = 1; k < sizes.size(); ++k) BOOST_TEST(sizes[k] == 1u, "burst " << k);
    for (std::size_t k = sizes.front() - 1; k < isi.size(); ++k) BOOST_TEST(isi[k] > 25.0);
    BOOST_TEST(cv(std::vector<double>(isi.end() - 5, isi.end())) < 0.01);
}

// CH: repetitive bursts: at least five bursts of at least three spikes (the last one may be cut by the end of the
// step), intra-burst ISIs < 6 ms and inter-burst intervals > 30 ms (measured ~2-5 and ~47 ms).
BOOST_DATA_TEST_CASE(chattering, integrators, integrator) {
    const auto t = step_response("izhikevich", "chattering", 10, integrator);
    const auto isi = intervals(t);
    auto sizes = bursts(t, 20.0);
    BOOST_TEST_MESSAGE("izhikevich CH (" << integrator << "): " << sizes.size() << " bursts, ISIs " << show(isi));
    sizes.pop_back();
    BOOST_TEST_REQUIRE(sizes.size() >= 5u);
    for (const std::size_t n : sizes) BOOST_TEST(n >= 3u);
    for (const double x : isi) BOOST_TEST((x < 6.0 || x > 30.0), "ISI " << x);
}

// FS: high-frequency tonic spiking, practically without adaptation: steady rate > 100 Hz (measured 137 Hz),
// reached within three spikes (u relaxes with 1/a = 10 ms), steady ISI less than twice the first (measured 1.8).
BOOST_DATA_TEST_CASE(fast_spiking, integrators, integrator) {
    const auto t = step_response("izhikevich", "fast_spiking", 10, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 20u);
    const auto isi = intervals(t);
    const double steady = steady_isi(isi);
    BOOST_TEST_MESSAGE("izhikevich FS (" << integrator << "): " << 1000 / steady << " Hz, ISIs " << show(isi));
    BOOST_TEST(1000 / steady > 100.0);
    BOOST_TEST(steady / isi.front() < 2.0);
    for (std::size_t k = 3; k < isi.size(); ++k) BOOST_TEST(std::abs(isi[k] / steady - 1) < 0.01, "ISI " << k);
}

// LTS: high-frequency spiking with noticeable adaptation: a first ISI under 5 ms (> 200 Hz), a steady rate
// still > 50 Hz (measured 75 Hz), and a steady ISI more than 3 times the first (measured 4.6), reached through
// lengthening ISIs (non-decreasing to 0.5 %: the approach to the steady ISI overshoots it by 0.1 %).
BOOST_DATA_TEST_CASE(low_threshold_spiking, integrators, integrator) {
    const auto t = step_response("izhikevich", "low_threshold_spiking", 10, integrator);
    BOOST_TEST_REQUIRE(t.size() >= 20u);
    const auto isi = intervals(t);
    const double steady = steady_isi(isi);
    BOOST_TEST_MESSAGE("izhikevich LTS (" << integrator << "): " << 1000 / steady << " Hz, ISIs " << show(isi));
    BOOST_TEST(isi.front() < 5.0);
    BOOST_TEST(1000 / steady > 50.0);
    BOOST_TEST(steady / isi.front() > 3.0);
    for (std::size_t k = 1; k < isi.size(); ++k) BOOST_TEST(isi[k] >= isi[k - 1] * (1 - 5e-3), "ISI " << k);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(eif_fourcaud_trocme_2003)

struct EifParameters {
    double C, g_L, E_L, V_T, Delta_T, V_r, V_peak, t_ref;
};

EifParameters eif_defaults() {
    const auto model = registry().create<soma::Model>(soma::PluginKind::model, "eif");
    const auto& p = model->values();
    return {p["C"], p["g_L"], p["E_L"], p["V_T"], p["Delta_T"], p["V_r"], p["V_peak"], p["t_ref"]};
}

/// Spike times of eif driven by a constant current I (pA) for t_stop ms.
std::vector<double> eif_dc(double I, const std::string& integrator, double t_stop,
                           std::map<std::string, std::string> integrator_parameters) {
    RunSpec spec{"eif", "dc", integrator, {}, {{"amplitude", fmt::format("{}", I)}}, {}, integrator_parameters};
    spec.settings.t_stop = t_stop;
    spec.settings.record_interval = 10;
    const auto r = soma::test::run_in_process(registry(), spec);
    std::vector<double> t;
    for (const auto& s : r.recorder->spikes) t.push_back(s.t);
    return t;
}

/// The period for constant I by an independent quadrature (adaptive Gauss-Kronrod, 61 points):
/// T = t_ref + integral from V_r to V_peak of C dV / (I - g_L (V - E_L) + g_L Delta_T exp((V - V_T) / Delta_T)).
double quadrature_period(const EifParameters& p, double I) {
    const auto f = [&](double V) {
        return p.C / (I - p.g_L * (V - p.E_L) + p.g_L * p.Delta_T * std::exp((V - p.V_T) / p.Delta_T));
    };
    double error = 0;
    using boost::math::quadrature::gauss_kronrod;
    const double T = gauss_kronrod<double, 61>::integrate(f, p.V_r, p.V_peak, 20, 1e-13, &error);
    BOOST_TEST_REQUIRE(error < 1e-9 * T);
    return p.t_ref + T;
}

// The rheobase for constant current: the fixed points of C dV/dt = -g_L (V - E_L) + g_L Delta_T exp(...) + I
// disappear in a saddle-node at I_rh = g_L (V_T - E_L - Delta_T) (16.2 pA with the defaults). 2 % below it the
// cell stays at rest for 2 s; 2 % above it, it fires repetitively (the period near a saddle-node grows as
// (I - I_rh)^-1/2: ~450 ms here).
BOOST_DATA_TEST_CASE(rheobase, data::make(std::vector<std::string>{"dopri5", "rk4"}), integrator) {
    const auto p = eif_defaults();
    const double I_rh = p.g_L * (p.V_T - p.E_L - p.Delta_T);
    BOOST_TEST_MESSAGE("eif rheobase " << I_rh << " pA");
    BOOST_TEST(eif_dc(0.98 * I_rh, integrator, 2000, settings_of(integrator)).empty());
    const auto above = eif_dc(1.02 * I_rh, integrator, 2000, settings_of(integrator));
    BOOST_TEST_REQUIRE(above.size() >= 3u);
    const double T = quadrature_period(p, 1.02 * I_rh), isi = intervals(above).back();
    BOOST_TEST_MESSAGE("eif at 1.02 I_rh (" << integrator << "): period " << isi << " ms, quadrature " << T << " ms");
    BOOST_TEST(std::abs(isi / T - 1) < 1e-3);
}

// The f-I curve above rheobase against the quadrature: dopri5 at rtol 1e-10 gives every ISI to 1e-4
// relative (measured <= 5e-8: the crossing is located on the dense output to 1e-12 ms, the refractory end to
// 1e-9 ms); rk4 at dt = 0.01 ms to 1e-3 (measured <= 3.5e-4, growing with the rate: its error is in the step
// through the upswing, where v diverges).
BOOST_DATA_TEST_CASE(period_matches_quadrature,
                     data::make(std::vector<double>{20, 30, 50, 100, 200, 400}) *
                         data::make(std::vector<std::string>{"dopri5", "rk4"}),
                     I, integrator) {
    const auto p = eif_defaults();
    const double T = quadrature_period(p, I);
    const bool adaptive = integrator == "dopri5";
    const auto t = eif_dc(I, integrator, std::max(20 * T, 200.0),
                          adaptive ? std::map<std::string, std::string>{{"rtol", "1e-10"}, {"atol", "1e-12"}}
                                   : std::map<std::string, std::string>{});
    BOOST_TEST_REQUIRE(t.size() >= 5u);
    const auto isi = intervals(t);
    double worst = 0;
    for (const double x : isi) worst = std::max(worst, std::abs(x / T - 1));
    BOOST_TEST_MESSAGE("eif I = " << I << " pA (" << integrator << "): T = " << T << " ms (" << 1000 / T
                                  << " Hz), largest relative ISI error " << worst);
    BOOST_TEST(worst < (adaptive ? 1e-4 : 1e-3));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(fitzhugh_nagumo)

constexpr double a = 0.7, b = 0.8, tau = 12.5;

/// The resting point for I = 0 by Cardano's formula: v - v^3/3 - (v + a)/b = 0 is v^3 + p v + q = 0 with
/// p = 3 (1/b - 1) > 0, q = 3 a / b, whose one real root is cbrt(-q/2 + s) + cbrt(-q/2 - s), s = sqrt(q^2/4 + p^3/27).
std::pair<double, double> cardano_rest() {
    const double p = 3 * (1 / b - 1), q = 3 * a / b;
    const double s = std::sqrt(q * q / 4 + p * p * p / 27);
    const double v = std::cbrt(-q / 2 + s) + std::cbrt(-q / 2 - s);
    return {v, (v + a) / b};
}

// With I = 0 the model starts at, and stays at, its resting point; after a brief subthreshold pulse
// (0.1 for 5 ms: v rises to -0.98, no spike) it returns there (the fixed point is a stable focus, decaying at
// 0.25/ms). 1e-9 covers the integrators' tolerances.
BOOST_DATA_TEST_CASE(rests_at_the_fixed_point, data::make(std::vector<std::string>{"dopri5", "rk4", "cvode"}),
                     integrator) {
    const auto [v0, w0] = cardano_rest();
    BOOST_TEST_MESSAGE("fitzhugh_nagumo rest: v = " << v0 << ", w = " << w0);
    RunSpec spec{"fitzhugh_nagumo", "step", integrator, {}, {{"amplitude", "0.1"}, {"onset", "10"}, {"offset", "15"}},
                 {}, integrator == "rk4" ? std::map<std::string, std::string>{}
                                         : std::map<std::string, std::string>{{"rtol", "1e-10"}, {"atol", "1e-12"}}};
    spec.settings.t_stop = 600;
    spec.settings.record_interval = 1;
    const auto r = soma::test::run_in_process(registry(), spec);
    BOOST_TEST(std::abs(r.recorder->at(0, 1) - v0) < 1e-12);
    BOOST_TEST(std::abs(r.recorder->at(0, 2) - w0) < 1e-12);
    BOOST_TEST(std::abs(r.recorder->at(9, 1) - v0) < 1e-12);  // t = 9 ms, before the pulse
    const std::size_t last = r.recorder->rows() - 1;
    BOOST_TEST(std::abs(r.recorder->at(last, 1) - v0) < 1e-9);
    BOOST_TEST(std::abs(r.recorder->at(last, 2) - w0) < 1e-9);
    BOOST_TEST(r.recorder->spikes.empty());
}

/// Upward crossing times of v = level by classic RK4 at step h from the model's resting point, with I on from
/// t = 0, each crossing located by cubic Hermite interpolation (using the derivatives) on its step. Written
/// here, independently of the plug-ins.
std::vector<double> reference_crossings(double I, double h, double t_stop, double level) {
    const auto f = [&](const std::array<double, 2>& y) {
        return std::array<double, 2>{y[0] - y[0] * y[0] * y[0] / 3 - y[1] + I, (y[0] + a - b * y[1]) / tau};
    };
    const auto [v0, w0] = cardano_rest();
    std::array<double, 2> y{v0, w0};
    std::vector<double> crossings;
    const auto n = static_cast<std::size_t>(t_stop / h);
    for (std::size_t i = 0; i < n; ++i) {
        const auto k1 = f(y);
        const auto k2 = f({y[0] + h / 2 * k1[0], y[1] + h / 2 * k1[1]});
        const auto k3 = f({y[0] + h / 2 * k2[0], y[1] + h / 2 * k2[1]});
        const auto k4 = f({y[0] + h * k3[0], y[1] + h * k3[1]});
        const std::array<double, 2> next{y[0] + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]),
                                         y[1] + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])};
        if (y[0] < level && next[0] >= level) {
            const double y0 = y[0], y1 = next[0], d0 = h * k1[0], d1 = h * f(next)[0];
            const auto g = [&](double s) {
                const double s2 = s * s, s3 = s2 * s;
                return (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * d0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * d1 -
                       level;
            };
            double lo = 0, hi = 1;
            for (int k = 0; k < 60; ++k) (g(0.5 * (lo + hi)) < 0 ? lo : hi) = 0.5 * (lo + hi);
            crossings.push_back((static_cast<double>(i) + 0.5 * (lo + hi)) * h);
        }
        y = next;
    }
    return crossings;
}

// With I = 0.5 the resting point is unstable and v oscillates on a limit cycle. Its period from an RK4 run at
// h = 1e-3 written here (error ~h^4: far below 1e-8) is compared with the ISIs of the plug-in under dopri5
// (rtol 1e-10) and cvode (rtol 1e-10) to 1e-6 relative; the spike times themselves agree to 1e-5 ms. One spike
// per cycle: the ISIs equal the period (not half of it), and the number of spikes equals the number of maxima of
// the sampled v above the detection level.
BOOST_DATA_TEST_CASE(oscillates_with_the_reference_period, data::make(std::vector<std::string>{"dopri5", "cvode"}),
                     integrator) {
    const double I = 0.5, t_stop = 400;
    const auto reference = reference_crossings(I, 1e-3, t_stop, 1.0);
    BOOST_TEST_REQUIRE(reference.size() >= 8u);
    const double period = reference.back() - reference[reference.size() - 2];
    BOOST_TEST_MESSAGE("fitzhugh_nagumo I = 0.5: reference period " << period << " (time units = ms)");
    BOOST_TEST(period > 36.0);  // the known range for tau = 12.5, a = 0.7, b = 0.8
    BOOST_TEST(period < 40.0);

    RunSpec spec{"fitzhugh_nagumo", "dc", integrator, {}, {{"amplitude", "0.5"}}, {},
                 {{"rtol", "1e-10"}, {"atol", "1e-12"}}};
    spec.settings.t_stop = t_stop;
    spec.settings.record_interval = 0.1;
    const auto r = soma::test::run_in_process(registry(), spec);
    std::vector<double> t;
    for (const auto& s : r.recorder->spikes) t.push_back(s.t);
    BOOST_TEST_REQUIRE(t.size() == reference.size());
    for (std::size_t k = 0; k < t.size(); ++k) BOOST_TEST(std::abs(t[k] - reference[k]) < 1e-5, "spike " << k);
    const auto isi = intervals(t);
    for (std::size_t k = 2; k < isi.size(); ++k) BOOST_TEST(std::abs(isi[k] / period - 1) < 1e-6, "ISI " << k);
    // Spikes up to one period before the last sample, and the maxima of the sampled v above the level that follow
    // them (a maximum comes ~1.6 ms after its crossing).
    const double t_end = r.recorder->at(r.recorder->rows() - 1, 0) - period;
    std::size_t maxima = 0;
    for (std::size_t row = 1; row + 1 < r.recorder->rows() && r.recorder->at(row, 0) < t_end + period / 2; ++row) {
        const double v = r.recorder->at(row, 1);
        if (v > 1.0 && v > r.recorder->at(row - 1, 1) && v >= r.recorder->at(row + 1, 1)) ++maxima;
    }
    const auto spikes =
        static_cast<std::size_t>(std::count_if(t.begin(), t.end(), [&](double x) { return x < t_end; }));
    BOOST_TEST(maxima == spikes);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(common)

const auto models = data::make(std::vector<std::string>{"adex", "izhikevich", "eif", "fitzhugh_nagumo"});

// The analytic Jacobians (used by cvode) against central differences of the right-hand side, at membrane
// potentials from below rest to the upswing and, for the models with a cut-off, beyond the clamp of the
// right-hand side (where the v-derivatives are 0): for adex and eif with V_peak lowered to -48 mV (V_clamp
// -38 mV and -30.6 mV) so that the right-hand side stays moderate there, as central differences lose
// ~1e-16 |f| / h to rounding and |f| reaches 1e10 mV/ms at the default cut-offs. h = 1e-6 relative: central
// differences are accurate to ~1e-8 here, so 1e-5 leaves room and still catches any wrong term.
BOOST_DATA_TEST_CASE(analytic_jacobian_matches_finite_differences, models, name) {
    const std::map<std::string, std::pair<std::map<std::string, std::string>, std::vector<double>>> cases{
        {"adex", {{{"V_peak", "-48"}}, {-80, -70, -60, -52, -49, -45, -30}}},
        {"eif", {{{"V_peak", "-48"}}, {-80, -65, -60, -55, -50, -40, -20}}},
        {"izhikevich", {{}, {-80, -65, -50, 0, 25, 29.5, 35}}},
        {"fitzhugh_nagumo", {{}, {-2.5, -1.2, 0, 0.9, 2.1}}},
    };
    const auto& [parameters, potentials] = cases.at(name);
    const auto model = registry().create<soma::Model>(soma::PluginKind::model, name);
    model->configure(parameters);
    soma::test::check_jacobian(*model, name, potentials, 0.3);
}

// cvode (BDF with the analytic Jacobian) reproduces one pattern of each model with a reset: the spike times
// agree with dopri5's to 0.01 ms.
BOOST_AUTO_TEST_CASE(cvode_agrees_with_dopri5) {
    for (const auto& [model, preset, amplitude] : std::vector<std::tuple<std::string, std::string, double>>{
             {"adex", "adaptation", 500}, {"adex", "regular_bursting", 210}, {"izhikevich", "chattering", 10},
             {"eif", "", 100}}) {
        const auto a = step_response(model, preset, amplitude, "dopri5");
        const auto b = step_response(model, preset, amplitude, "cvode");
        BOOST_TEST_REQUIRE(a.size() == b.size(), model << " " << preset);
        double worst = 0;
        for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
        BOOST_TEST_MESSAGE(model << " " << preset << ": cvode vs dopri5, largest difference " << worst << " ms");
        BOOST_TEST(worst < 0.01, model << " " << preset);
    }
}

// The upswing diverges in finite time; with the clamp at the cut-off, even coarse explicit steps (forward Euler
// and rk4 at dt = 0.1 ms, where a stage overshoots the cut-off by orders of magnitude) never produce inf or NaN
// (the run would throw RunError), and the state stays below the cut-off at every sample.
BOOST_DATA_TEST_CASE(coarse_steps_stay_finite,
                     data::make(std::vector<std::string>{"adex", "izhikevich", "eif"}) *
                         data::make(std::vector<std::string>{"euler", "rk4"}),
                     name, integrator) {
    const double amplitude = name == "adex" ? 5000 : name == "eif" ? 2000 : 100;
    RunSpec spec{name, "dc", integrator, {}, {{"amplitude", fmt::format("{}", amplitude)}}, {}};
    spec.settings.t_stop = 200;
    spec.settings.dt = 0.1;
    const auto r = soma::test::run_in_process(registry(), spec);
    BOOST_TEST(r.recorder->spikes.size() > 10u);
    const double cut_off = soma::test::threshold_of(*registry().create<soma::Model>(soma::PluginKind::model, name));
    for (std::size_t row = 0; row < r.recorder->rows(); ++row) {
        for (std::size_t col = 1; col < r.recorder->width; ++col) {
            BOOST_TEST_REQUIRE(std::isfinite(r.recorder->at(row, col)));
        }
        BOOST_TEST_REQUIRE(r.recorder->at(row, 1) < cut_off);
    }
}

// `soma describe` lists the presets of a plug-in from Component::presets(): the eight rows of Naud et al.
// 2008 Table 1 and the five types of Izhikevich 2003 Fig. 2, each with a source in its description, and each
// applicable.
BOOST_AUTO_TEST_CASE(presets_are_listed_and_apply) {
    const std::map<std::string, std::vector<std::string>> expected{
        {"adex",
         {"tonic_spiking", "adaptation", "initial_burst", "regular_bursting", "delayed_accelerating",
          "delayed_regular_bursting", "transient_spiking", "irregular_spiking"}},
        {"izhikevich",
         {"regular_spiking", "intrinsically_bursting", "chattering", "fast_spiking", "low_threshold_spiking"}},
    };
    for (const auto& [name, presets] : expected) {
        const auto model = registry().create<soma::Model>(soma::PluginKind::model, name);
        std::vector<std::string> listed;
        for (const auto& p : model->presets()) {
            listed.push_back(p.name);
            SOMA_CHECK_CONTAINS(p.description, name == "adex" ? "Naud et al. 2008" : "Izhikevich 2003");
            model->apply_preset(p.name);
            for (const auto& [key, value] : p.values) BOOST_TEST(model->values()[key] == value, name << " " << key);
        }
        BOOST_TEST(listed == presets, name);
    }
    const auto izhikevich = registry().create<soma::Model>(soma::PluginKind::model, "izhikevich");
    izhikevich->apply_preset("chattering");
    BOOST_TEST(izhikevich->values()["c"] == -50.0);
    BOOST_TEST(izhikevich->values()["d"] == 2.0);
}

// Constraints between parameters: a reset at or above the cut-off, and a cut-off so far above V_T that exp()
// would overflow there, are refused with a message naming the parameters; nothing changes.
BOOST_AUTO_TEST_CASE(parameter_constraints) {
    using Text = std::map<std::string, std::string>;
    for (const std::string name : {"adex", "eif"}) {
        const auto model = registry().create<soma::Model>(soma::PluginKind::model, name);
        const double V_r = model->values()["V_r"];
        SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>([&] {
                                model->configure(Text{{"V_r", "10"}, {"V_peak", "5"}});
                            }),
                            "'V_r' = 10 mV must be below 'V_peak' = 5 mV");
        SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>([&] {
                                model->configure(Text{{"Delta_T", "0.01"}, {"V_peak", "100"}});
                            }),
                            "exp() would overflow");
        BOOST_TEST(model->values()["V_r"] == V_r);
    }
    const auto izhikevich = registry().create<soma::Model>(soma::PluginKind::model, "izhikevich");
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>([&] { izhikevich->configure(Text{{"c", "40"}}); }),
                        "'c' = 40 mV must be below 'v_peak' = 30 mV");
    const auto fhn = registry().create<soma::Model>(soma::PluginKind::model, "fitzhugh_nagumo");
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>([&] { fhn->configure(Text{{"b", "1"}}); }),
                        "'b'");
}

BOOST_AUTO_TEST_SUITE_END()
