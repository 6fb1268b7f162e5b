/// @file test_noise.cpp
/// The noise stimuli `ou` (Ornstein-Uhlenbeck current) and `white` (Gaussian white noise), run through
/// soma::build_simulation:
/// - the random stream is the one documented in plugins/stimuli/noise.hpp, recomputed here from Random123's
///   Philox and the Box-Muller formula, and `ou` follows Gillespie's exact update from it;
/// - `ou`'s recorded current has the stationary mean, variance and autocorrelation exp(-s / tau), from t = 0;
/// - a passive LIF driven by `white` has the analytic stationary variance R^2 sigma^2 / (2 tau_m) at two
///   time steps, and a LIF with threshold fires at the Siegert (Ricciardi) rate of Brunel 2000;
/// - the noise depends only on (seed, position, cell, step): the same whatever the threads, the
///   population's size or the integrator, different for another seed;
/// - `white` is refused by integrators that cannot integrate white noise, and bad values are refused.
/// Statistical checks use a fixed seed and allow 4 standard errors (a correct implementation would fail one
/// with probability 6e-5 for a random seed), with the standard errors of correlated samples derived below.

#define BOOST_TEST_MODULE soma_test_noise
#include "soma_test_support.hpp"

#include <Random123/philox.h>
#include <Random123/uniform.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/zeta.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>

namespace {

namespace data = boost::unit_test::data;
using soma::test::CapturingRecorder;
using soma::test::message_of;
using soma::test::registry;
using Text = std::map<std::string, std::string>;

constexpr double n_se = 4.0;  // standard errors allowed by every statistical check (see the file comment)

soma::RunSpec spec_of(const std::string& model, const Text& model_parameters, const std::string& stimulus,
                      const Text& stimulus_parameters, const std::string& integrator, soma::RunSettings settings) {
    return soma::test::RunSpec{model, stimulus, integrator, model_parameters, stimulus_parameters, settings}.spec();
}

soma::test::RunResult run(const soma::RunSpec& spec) { return soma::test::run_in_process(registry(), spec); }

/// Cells 0 .. n - 1.
std::vector<std::size_t> first_cells(std::size_t n) {
    std::vector<std::size_t> cells(n);
    std::iota(cells.begin(), cells.end(), std::size_t{0});
    return cells;
}

std::string text(double x) { return fmt::format("{}", x); }

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

// ---------------------------------------------------------------------------------------------------------------
// The documented stream (noise.hpp), written here from its recipe: Philox4x32-10 with key {seed mod 2^32,
// seed div 2^32} and counter {cell, step div 2^32, position, step mod 2^32}; N = sqrt(-2 ln u01(w1)) sin(pi
// uneg11(w0)) with w0 = r0 + 2^32 r1, w1 = r2 + 2^32 r3.
// The stream word of a stimulus is the 32-bit FNV-1a hash of its label (stimulus_sum.hpp); for a stimulus
// alone the label is its plug-in's name. FNV-1a("white") and FNV-1a("ou"), computed with Python.
constexpr std::uint32_t white_stream = 3724674918u, ou_stream = 1546921969u;

double documented_normal(std::uint64_t seed, std::uint32_t cell, std::uint32_t position, std::uint64_t step) {
    const r123::Philox4x32_R<10> philox;
    const auto r = philox({{cell, static_cast<std::uint32_t>(step >> 32), position, static_cast<std::uint32_t>(step)}},
                          {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}});
    const std::uint64_t w0 = r[0] + (std::uint64_t{r[1]} << 32), w1 = r[2] + (std::uint64_t{r[3]} << 32);
    return std::sqrt(-2.0 * std::log(r123::u01<double>(w1))) * std::sin(std::numbers::pi * r123::uneg11<double>(w0));
}

/// |a - b| within 1e-13 of the larger magnitude (at least 1): the same formula evaluated in another order.
bool near_equal(double a, double b) { return std::abs(a - b) <= 1e-13 * std::max({1.0, std::abs(a), std::abs(b)}); }

/// The arrays of one stimulus's kernels for `n` cells with the stimulus's values() and `values` by name.
struct StimulusArrays {
    soma::StateBatch parameters, derived;
    StimulusArrays(const soma::Stimulus& stimulus, std::size_t n, const std::map<std::string, double>& values)
        : parameters(stimulus.schema().size(), n), derived(stimulus.derived_variables().size(), n) {
        const auto defaults = stimulus.values().values();
        for (std::size_t k = 0; k < defaults.size(); ++k) std::ranges::fill(parameters.var(k), defaults[k]);
        for (const auto& [name, value] : values) std::ranges::fill(parameters.var(stimulus.index_of(name)), value);
    }
    [[nodiscard]] soma::StimulusCells cells() { return {parameters.view(), derived.view()}; }
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(the_documented_stream)

// White noise: I_i = mean + sigma N(c, i) / sqrt(dt) for each cell, with per-cell mean and sigma and a seed above
// 2^32 (both key words matter).
BOOST_AUTO_TEST_CASE(white_is_mean_plus_sigma_times_the_documented_normals_over_root_dt) {
    constexpr std::uint64_t seed = 12345678901;
    constexpr double dt = 0.1;
    auto spec = spec_of("lif", {}, "white", {{"mean", "0.5,-1,2"}, {"sigma", "1,0.25,3"}}, "euler", {5, dt, 0, 3, 1, seed});
    spec.record.variables = {"I"};
    const auto result = run(spec);
    const auto& rec = *result.recorder;
    BOOST_TEST_REQUIRE(rec.rows() == 50u);
    const std::array<double, 3> mean{0.5, -1, 2}, sigma{1, 0.25, 3};
    std::size_t differ = 0;
    for (std::size_t i = 0; i < rec.rows(); ++i) {
        for (std::uint32_t c = 0; c < 3; ++c) {
            const double expected = mean[c] + sigma[c] * documented_normal(seed, c, white_stream, i) / std::sqrt(dt);
            if (!near_equal(rec.value(i, 0, c), expected) && differ++ < 5) {
                BOOST_ERROR(fmt::format("cell {} step {}: I = {}, documented {}", c, i, rec.value(i, 0, c), expected));
            }
        }
    }
    BOOST_TEST(differ == 0u);
}

// The high step word and the position word, which no short run reaches: the kernel itself, prepared for a
// stimulus at position 3 of a run of 2^33 steps, and the stimulus's own `seed` instead of the run's.
BOOST_AUTO_TEST_CASE(white_covers_steps_beyond_2_to_the_32_and_other_positions) {
    const auto white = registry().create<soma::Stimulus>(soma::PluginKind::stimulus, "white");
    StimulusArrays arrays(*white, 2, {{"mean", 0.0}, {"sigma", 1.0}, {"seed", 77.0}});
    const std::uint64_t n_steps = std::uint64_t{1} << 33;
    white->prepare({.dt = 1.0, .n_steps = n_steps, .seed = 5, .position = 3, .current_unit = "nA"}, arrays.cells(), 40);
    std::vector<double> out(2);
    for (const std::uint64_t i : {std::uint64_t{0}, std::uint64_t{1} << 32, (std::uint64_t{1} << 32) + 5, n_steps - 1}) {
        white->current(i, static_cast<double>(i), arrays.cells(), out);
        for (std::uint32_t c = 0; c < 2; ++c) {
            BOOST_TEST(near_equal(out[c], documented_normal(77, 40 + c, 3, i)), "step " << i << ", cell " << 40 + c);
        }
    }
    // Position and step words are distinct: the same numbers come from nowhere else.
    BOOST_TEST(documented_normal(77, 40, 3, 5) != documented_normal(77, 40, 0, 5));
    BOOST_TEST(documented_normal(77, 40, 0, std::uint64_t{1} << 32) != documented_normal(77, 40, 0, 0));
}

// OU: x_0 = mean + sigma N(c, 0), x_{k+1} = mean + (x_k - mean) e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) N(c, k+1)
// (Gillespie 1996), recomputed here; per-cell tau.
BOOST_AUTO_TEST_CASE(ou_follows_the_exact_update_from_the_documented_normals) {
    constexpr double dt = 0.05;
    auto spec = spec_of("lif", {}, "ou", {{"mean", "1"}, {"sigma", "0.5"}, {"tau", "0.2,3,40"}}, "euler", {10, dt, 0, 3, 1, 9});
    spec.record.variables = {"I"};
    const auto result = run(spec);
    const auto& rec = *result.recorder;
    BOOST_TEST_REQUIRE(rec.rows() == 200u);
    const std::array<double, 3> tau{0.2, 3, 40};
    for (std::uint32_t c = 0; c < 3; ++c) {
        const double a = std::exp(-dt / tau[c]);
        double x = 1.0 + 0.5 * documented_normal(9, c, ou_stream, 0);
        for (std::size_t i = 0; i < rec.rows(); ++i) {
            if (i > 0) x = 1.0 + (x - 1.0) * a + 0.5 * std::sqrt(1 - a * a) * documented_normal(9, c, ou_stream, i);
            BOOST_TEST_REQUIRE(std::abs(rec.value(i, 0, c) - x) <= 1e-12, "cell " << c << " step " << i << ": I = "
                                                                             << rec.value(i, 0, c) << ", expected " << x);
        }
    }
}

// The lazy update is idempotent for the same step and recomputes from x_0 when asked for an earlier step.
BOOST_AUTO_TEST_CASE(ou_asked_again_or_backwards_gives_the_same_values) {
    const auto ou = registry().create<soma::Stimulus>(soma::PluginKind::stimulus, "ou");
    StimulusArrays arrays(*ou, 4, {{"mean", -2.0}, {"sigma", 3.0}, {"tau", 1.5}});
    ou->prepare({.dt = 0.1, .n_steps = 100, .seed = 21, .position = 0, .current_unit = "nA"}, arrays.cells(), 0);
    std::vector<double> forward(100 * 4), out(4);
    for (std::size_t i = 0; i < 100; ++i) {
        ou->current(i, 0.1 * i, arrays.cells(), std::span(forward).subspan(4 * i, 4));
        ou->current(i, 0.1 * i + 0.05, arrays.cells(), out);  // a second stage of the same step
        for (std::size_t c = 0; c < 4; ++c) BOOST_TEST_REQUIRE(bits(out[c]) == bits(forward[4 * i + c]));
    }
    for (const std::size_t i : {3u, 0u, 57u, 12u}) {
        ou->current(i, 0.1 * i, arrays.cells(), out);
        for (std::size_t c = 0; c < 4; ++c) BOOST_TEST(bits(out[c]) == bits(forward[4 * i + c]), "step " << i << " cell " << c);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
// OU statistics. 20 cells of 10^5 samples at dt = 0.1 ms with tau = 5 ms: each cell's samples are an AR(1)
// sequence with phi = e^{-dt/tau} = 0.980, so for n samples of one cell (M independent cells pooled)
//   SE(mean)     = sigma   sqrt((1 + phi) / (1 - phi) / (n M))              = 0.0071 sigma,
//   SE(variance) = sigma^2 sqrt(2 (1 + phi^2) / (1 - phi^2) / (n M))        = 0.0071 sigma^2,
//   SE(r_k)      = sqrt(w_kk / (n M)), Bartlett's formula (M. S. Bartlett 1946, J. R. Stat. Soc. Suppl. 8:27;
//                  Brockwell & Davis, Time Series: Theory and Methods, 2nd ed. 1991, Theorem 7.2.1)
//                  w_kk = sum_{m >= 1} (rho_{m+k} + rho_{m-k} - 2 rho_k rho_m)^2 with rho_m = phi^|m|,
// (the first two are Bartlett's formulas for the mean and the lag-0 covariance of an AR(1)). Subtracting each
// cell's sample mean biases the covariances by -Var(mean) = -1e-3 sigma^2, i.e. r_k by -1e-3 (1 - rho_k) and
// the variance by -0.1 %: under a fifth of a standard error, and added to the tolerances.
BOOST_AUTO_TEST_CASE(ou_has_the_stationary_mean_variance_and_correlation_time) {
    constexpr double mean = 0.3, sigma = 0.2, tau = 5.0, dt = 0.1;
    constexpr std::size_t n_cells = 20;
    auto spec = spec_of("lif", {}, "ou", {{"mean", text(mean)}, {"sigma", text(sigma)}, {"tau", text(tau)}}, "euler",
                        {10000, dt, 0, n_cells, 1, 11});
    spec.record.variables = {"I"};
    spec.record.cells = first_cells(n_cells);
    const auto result = run(spec);
    const auto& rec = *result.recorder;
    const std::size_t n = rec.rows();
    BOOST_TEST_REQUIRE(n == 100000u);

    const std::array<std::size_t, 4> lags{1, 10, 25, 50};
    double pooled_mean = 0, pooled_variance = 0;
    std::array<double, 4> pooled_r{};
    std::vector<double> x(n);
    for (std::size_t c = 0; c < n_cells; ++c) {
        for (std::size_t i = 0; i < n; ++i) x[i] = rec.value(i, 0, c);
        const double m = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
        const auto covariance = [&](std::size_t k) {
            double s = 0;
            for (std::size_t i = 0; i + k < n; ++i) s += (x[i] - m) * (x[i + k] - m);
            return s / static_cast<double>(n);
        };
        const double c0 = covariance(0);
        pooled_mean += m / n_cells;
        pooled_variance += c0 / n_cells;
        for (std::size_t j = 0; j < lags.size(); ++j) pooled_r[j] += covariance(lags[j]) / c0 / n_cells;
    }

    const double phi = std::exp(-dt / tau), samples = static_cast<double>(n * n_cells);
    const double mean_bias = (1 + phi) / (1 - phi) / static_cast<double>(n);  // Var(cell mean) / sigma^2
    const double se_mean = sigma * std::sqrt((1 + phi) / (1 - phi) / samples);
    const double se_variance = sigma * sigma * std::sqrt(2 * (1 + phi * phi) / (1 - phi * phi) / samples);
    BOOST_TEST_MESSAGE("ou: mean " << pooled_mean << " (SE " << se_mean << "), variance " << pooled_variance << " (SE "
                                   << se_variance << ")");
    BOOST_TEST(std::abs(pooled_mean - mean) <= n_se * se_mean, "mean " << pooled_mean << ", SE " << se_mean);
    BOOST_TEST(std::abs(pooled_variance - sigma * sigma) <= n_se * se_variance + mean_bias * sigma * sigma,
               "variance " << pooled_variance << " vs " << sigma * sigma << ", SE " << se_variance);
    for (std::size_t j = 0; j < lags.size(); ++j) {
        const auto k = static_cast<double>(lags[j]);
        const double rho = std::pow(phi, k);
        double w = 0;
        for (double m = 1; m < k + 40 / (1 - phi); ++m) {
            const double term = std::pow(phi, m + k) + std::pow(phi, std::abs(m - k)) - 2 * rho * std::pow(phi, m);
            w += term * term;
        }
        const double se = std::sqrt(w / samples);
        BOOST_TEST_MESSAGE("ou: r at lag " << lags[j] << " = " << pooled_r[j] << ", expected " << rho << " (SE " << se << ")");
        BOOST_TEST(std::abs(pooled_r[j] - rho) <= n_se * se + mean_bias * (1 - rho),
                   "r at lag " << lags[j] << " = " << pooled_r[j] << ", e^{-k dt/tau} = " << rho << ", SE " << se);
        if (lags[j] == 1) {
            // The correlation time from the lag-1 correlation, tau = -dt / ln r_1, with the propagated SE.
            const double tau_hat = -dt / std::log(pooled_r[j]);
            const double se_tau = tau * se / (rho * -std::log(rho));
            BOOST_TEST(std::abs(tau_hat - tau) <= n_se * se_tau + tau * mean_bias, "tau " << tau_hat << " ms, SE " << se_tau);
        }
    }
}

// x_0 is drawn from the stationary distribution: across 4000 cells, I at t = 0 and at the next step has mean
// `mean` and variance sigma^2 (independent cells: SE sigma / sqrt(4000) and sigma^2 sqrt(2 / 4000) = 2.2 %).
BOOST_AUTO_TEST_CASE(ou_is_stationary_from_t_0) {
    constexpr double mean = -1.0, sigma = 2.0;
    constexpr std::size_t n_cells = 4000;
    auto spec = spec_of("lif", {}, "ou", {{"mean", text(mean)}, {"sigma", text(sigma)}, {"tau", "50"}}, "euler",
                        {0.2, 0.1, 0, n_cells, 1, 3});
    spec.record.variables = {"I"};
    spec.record.cells = first_cells(n_cells);
    const auto result = run(spec);
    const auto& rec = *result.recorder;
    BOOST_TEST_REQUIRE(rec.rows() == 2u);
    for (std::size_t row = 0; row < 2; ++row) {
        double s = 0, s2 = 0;
        for (std::size_t c = 0; c < n_cells; ++c) s += rec.value(row, 0, c);
        const double m = s / n_cells;
        for (std::size_t c = 0; c < n_cells; ++c) s2 += (rec.value(row, 0, c) - m) * (rec.value(row, 0, c) - m);
        const double variance = s2 / (n_cells - 1);
        BOOST_TEST(std::abs(m - mean) <= n_se * sigma / std::sqrt(n_cells), "t = " << rec.at(row, 0) << ": mean " << m);
        BOOST_TEST(std::abs(variance - sigma * sigma) <= n_se * sigma * sigma * std::sqrt(2.0 / n_cells),
                   "t = " << rec.at(row, 0) << ": variance " << variance);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// A passive LIF (`soma describe lif`: tau_m dv/dt = -(v - V_rest) + R I, tau_m in ms, R in MOhm, I in nA, v in mV)
// driven by I = mean + sigma xi(t), sigma in nA ms^0.5. With u = v - V_rest - R mean,
//   du = -u / tau_m dt + (R sigma / tau_m) dW,
// an OU process with stationary mean 0 and variance (R sigma / tau_m)^2 tau_m / 2, so
//   E v = V_rest + R mean,   Var v = R^2 sigma^2 / (2 tau_m)   (MOhm^2 nA^2 ms / ms = mV^2).
// Forward Euler (Euler-Maruyama) makes u the AR(1) sequence u_{k+1} = (1 - dt/tau_m) u_k + (R sigma / tau_m)
// sqrt(dt) N, whose stationary variance is Var v / (1 - dt / (2 tau_m)): a bias of dt / (2 tau_m) = 0.05 % at
// dt = 0.01 ms and 0.25 % at 0.05 ms, added to the tolerance. The threshold (200 mV) is 100 standard deviations
// away. 200 cells, v sampled every 0.5 ms after 100 ms (10 tau_m: the start V_init = E v leaves a variance
// deficit of e^{-20}), 4000 samples per cell with phi = (1 - dt/tau_m)^(0.5 ms / dt) = 0.951: SE(variance) =
// Var v sqrt(2 (1 + phi^2) / (1 - phi^2) / (4000 * 200)) = 0.71 % and SE(mean) = sd sqrt((1 + phi) / (1 - phi)
// / (4000 * 200)) = 0.0071 sd. The held current itself has I_i independent with variance sigma^2 / dt
// (SE sqrt(2 / samples) = 0.16 %), which shows the 1/sqrt(dt) scaling directly. Two threads: the results do not
// depend on them (the_noise_depends_only_on_seed_position_cell_and_step).
BOOST_DATA_TEST_CASE(white_noise_gives_a_passive_lif_the_analytic_variance, data::make({0.01, 0.05}), dt) {
    constexpr double tau_m = 10, R = 1, V_rest = 0, mean = 0.5, sigma = 8, record_every = 0.5, warm_up = 100;
    constexpr std::size_t n_cells = 200;
    const double expected_mean = V_rest + R * mean, expected_variance = R * R * sigma * sigma / (2 * tau_m);
    auto spec = spec_of("lif",
                        {{"tau_m", text(tau_m)}, {"R", text(R)}, {"V_rest", text(V_rest)}, {"V_th", "200"},
                         {"V_init", text(expected_mean)}},
                        "white", {{"mean", text(mean)}, {"sigma", text(sigma)}}, "euler",
                        {warm_up + 2000, dt, record_every, n_cells, 2, 5});
    spec.record.variables = {"v", "I"};
    spec.record.cells = first_cells(n_cells);
    const auto result = run(spec);
    const auto& rec = *result.recorder;
    BOOST_TEST_REQUIRE(result.summary.cells.size() == n_cells);
    BOOST_TEST_REQUIRE(rec.spikes.empty());
    const auto first = static_cast<std::size_t>(warm_up / record_every);
    BOOST_TEST_REQUIRE(rec.rows() == first + 4000);

    const auto moments = [&](std::size_t var) {
        double s = 0, s2 = 0;
        for (std::size_t row = first; row < rec.rows(); ++row) {
            for (std::size_t c = 0; c < n_cells; ++c) s += rec.value(row, var, c);
        }
        const double samples = static_cast<double>((rec.rows() - first) * n_cells);
        const double m = s / samples;
        for (std::size_t row = first; row < rec.rows(); ++row) {
            for (std::size_t c = 0; c < n_cells; ++c) s2 += std::pow(rec.value(row, var, c) - m, 2);
        }
        return std::pair{m, s2 / (samples - 1)};
    };
    const double samples = 4000.0 * n_cells;
    const double phi = std::pow(1 - dt / tau_m, record_every / dt);
    const double euler_bias = expected_variance * (1 / (1 - dt / (2 * tau_m)) - 1);

    const auto [v_mean, v_variance] = moments(0);
    BOOST_TEST_MESSAGE("dt " << dt << ": mean v " << v_mean << " mV, Var v " << v_variance << " mV^2 (analytic "
                             << expected_variance << ")");
    const double se_mean = std::sqrt(expected_variance * (1 + phi) / (1 - phi) / samples);
    const double se_variance = expected_variance * std::sqrt(2 * (1 + phi * phi) / (1 - phi * phi) / samples);
    BOOST_TEST(std::abs(v_mean - expected_mean) <= n_se * se_mean, "dt " << dt << ": mean v " << v_mean << " mV");
    BOOST_TEST(std::abs(v_variance - expected_variance) <= n_se * se_variance + euler_bias,
               "dt " << dt << ": Var v = " << v_variance << " mV^2, analytic " << expected_variance << ", SE "
                     << se_variance << ", Euler's bias " << euler_bias);

    const auto [i_mean, i_variance] = moments(1);
    const double i_expected_variance = sigma * sigma / dt;
    BOOST_TEST(std::abs(i_mean - mean) <= n_se * std::sqrt(i_expected_variance / samples), "dt " << dt << ": mean I " << i_mean);
    BOOST_TEST(std::abs(i_variance - i_expected_variance) <= n_se * i_expected_variance * std::sqrt(2 / samples),
               "dt " << dt << ": Var I = " << i_variance << " nA^2, sigma^2 / dt = " << i_expected_variance);
}

// ---------------------------------------------------------------------------------------------------------------
// The firing rate of a LIF driven by white noise against the Siegert (Ricciardi) formula, in the notation of
// N. Brunel, J. Comput. Neurosci. 8:183-208 (2000), eq. 21 (also Brunel & Hakim 1999, Neural Comput. 11:1621):
// for tau dV/dt = -V + mu + sigma_B sqrt(tau) eta(t), <eta(t) eta(t')> = delta(t - t'), threshold theta, reset V_r
// and refractory period tau_rp, the mean inter-spike interval is
//   1 / nu = tau_rp + tau sqrt(pi) int_{(V_r - mu) / sigma_B}^{(theta - mu) / sigma_B} e^{u^2} (1 + erf u) du.
// The lif model is that with tau = tau_m, mu = V_rest + R mean and sigma_B = R sigma / sqrt(tau_m).
//
// Time step: spikes are detected when v is above threshold at a step's end, so excursions between grid points
// are missed and the rate is lower. For a Gaussian random walk observed at discrete steps, the first passage
// over a level b is that of the continuous process over b + beta s, with s the standard deviation of one step's
// noise increment and beta = -zeta(1/2) / sqrt(2 pi) = 0.5826 (D. Siegmund 1979, Adv. Appl. Probab. 11:701,
// corrected diffusion approximation; M. Broadie, P. Glasserman and S. Kou 1997, Math. Finance 7:325, Theorem 1).
// Here s = R sigma sqrt(dt) / tau_m = sigma_B sqrt(dt / tau_m), so the reference uses
//   theta_eff = theta + beta sigma_B sqrt(dt / tau_m)
// (at dt = 0.01 ms this lowers the rate by 0.6-2.2 % in the cases below). The shift alpha/2 sigma_B
// sqrt(tau_s / tau), alpha = sqrt(2) |zeta(1/2)|, that Fourcaud & Brunel (2002, Neural Comput. 14:2057) derive
// for synaptic filtering with time constant tau_s is the analogous result for coloured noise; with dt in place
// of tau_s it would be sqrt(pi) times larger than the discrete-sampling shift, and it is not used.
// What is left is O(dt / tau_m) = 5e-4 (the next order of the expansion, Euler's error in the drift) plus the
// refractory end's rounding up to the grid (on average dt/2 = 0.005 ms per interval, < 0.02 %): 0.5 % covers
// them several times over.
//
// Statistics: each cell's first K = 400 intervals after its first spike (the first interval starts from V_init
// at t = 0, not from a reset). By the renewal property they are independent draws of the ISI distribution; a
// fixed number per cell avoids the bias towards short intervals of "all intervals completed before t_stop". The
// run lasts (1.3 K + 5) reference intervals, so every cell completes K of them (checked). SE(mean ISI) =
// sd(ISI) / sqrt(K M) from the measured spread, 0.7-1.1 % here. Two threads, as above.
namespace {

double siegert_isi(double mu, double sigma_b, double theta, double v_reset, double tau, double t_ref) {
    const double lower = (v_reset - mu) / sigma_b, upper = (theta - mu) / sigma_b;
    BOOST_TEST_REQUIRE((lower > -25 && upper < 25));  // exp(u^2) erfc(-u) neither underflows nor overflows
    double error = 0;
    const double integral = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
        [](double u) { return std::exp(u * u) * boost::math::erfc(-u); }, lower, upper, 15, 1e-13, &error);
    BOOST_TEST_REQUIRE(error <= 1e-10 * integral);
    return t_ref + tau * std::sqrt(std::numbers::pi) * integral;
}

struct SiegertCase {
    double mu, sigma_b, t_ref;  // mV, mV, ms
    std::size_t n_cells;
};
std::ostream& operator<<(std::ostream& os, const SiegertCase& c) {
    return os << "mu = " << c.mu << " mV, sigma = " << c.sigma_b << " mV, t_ref = " << c.t_ref << " ms";
}

// Brunel 2000's neuron (tau = 20 ms, theta = 20 mV, V_r = 10 mV): fluctuation-driven (mu below threshold, about
// 9 Hz), mean-driven (mu above threshold, about 29 Hz) and without refractoriness (about 27 Hz).
const std::vector<SiegertCase> siegert_cases{{15, 5, 2, 14}, {22, 2, 2, 4}, {19, 6, 0, 12}};

}  // namespace

BOOST_DATA_TEST_CASE(lif_with_white_noise_fires_at_the_siegert_rate, data::make(siegert_cases), c) {
    constexpr double tau_m = 20, R = 1, V_rest = 0, theta = 20, V_reset = 10, dt = 0.01;
    constexpr std::size_t K = 400;
    const double beta = -boost::math::zeta(0.5) / std::sqrt(2 * std::numbers::pi);
    const double theta_eff = theta + beta * c.sigma_b * std::sqrt(dt / tau_m);
    const double reference = siegert_isi(c.mu, c.sigma_b, theta_eff, V_reset, tau_m, c.t_ref);
    const double mean = (c.mu - V_rest) / R, sigma = c.sigma_b * std::sqrt(tau_m) / R;  // nA, nA ms^0.5
    const double t_stop = std::ceil((1.3 * K + 5) * reference);
    auto spec = spec_of("lif",
                        {{"tau_m", text(tau_m)}, {"R", text(R)}, {"V_rest", text(V_rest)}, {"V_th", text(theta)},
                         {"V_reset", text(V_reset)}, {"V_init", text(V_reset)}, {"t_ref", text(c.t_ref)}},
                        "white", {{"mean", text(mean)}, {"sigma", text(sigma)}}, "euler",
                        {t_stop, dt, 0, c.n_cells, 2, 2000});
    spec.record.variables = {"spikes"};
    const auto result = run(spec);
    std::vector<double> isi;
    for (std::size_t cell = 0; cell < c.n_cells; ++cell) {
        const auto t = result.recorder->spike_times(cell);
        BOOST_TEST_REQUIRE(t.size() > K, "cell " << cell << " fired " << t.size() << " times in " << t_stop << " ms");
        for (std::size_t j = 1; j <= K; ++j) isi.push_back(t[j] - t[j - 1]);
    }
    const double n = static_cast<double>(isi.size());
    const double mean_isi = std::accumulate(isi.begin(), isi.end(), 0.0) / n;
    double ss = 0;
    for (const double x : isi) ss += (x - mean_isi) * (x - mean_isi);
    const double se = std::sqrt(ss / (n - 1) / n);
    BOOST_TEST_MESSAGE(c << ": mean ISI " << mean_isi << " ms (SE " << se << ", CV " << std::sqrt(ss / (n - 1)) / mean_isi
                         << "), Siegert " << reference << " ms with the shifted threshold");
    BOOST_TEST(std::abs(mean_isi - reference) <= n_se * se + 0.005 * reference,
               c << ": mean ISI " << mean_isi << " ms (rate " << 1000 / mean_isi << " Hz), Siegert with the shifted "
                 << "threshold " << reference << " ms (" << 1000 / reference << " Hz), without the shift "
                 << siegert_isi(c.mu, c.sigma_b, theta, V_reset, tau_m, c.t_ref) << " ms; SE " << se << " ms");
}

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(the_noise_depends_only_on_seed_position_cell_and_step)

namespace {

/// 53 LIF cells (not a multiple of the vector blocks; 1-3 threads cut it at different cells) with a per-cell
/// noise amplitude, firing irregularly for 200 ms; every variable of every cell recorded.
soma::RunSpec noisy_population(const std::string& stimulus, const std::string& integrator, std::size_t n_cells = 53,
                               std::uint64_t seed = 4) {
    const Text model{{"tau_m", "20"}, {"V_th", "20"}, {"V_reset", "10"}, {"V_init", "10"}, {"t_ref", "2"}};
    const Text parameters = stimulus == "white" ? Text{{"mean", "19"}, {"sigma", fmt::format("linspace(10, 40, {})", n_cells)}}
                                                : Text{{"mean", "21"}, {"sigma", fmt::format("linspace(1, 6, {})", n_cells)},
                                                       {"tau", "3"}};
    auto spec = spec_of("lif", model, stimulus, parameters, integrator, {200, 0.01, 0, n_cells, 1, seed});
    spec.record.variables = {"v", "I"};
    spec.record.cells = first_cells(n_cells);
    return spec;
}

/// Sample values of recorded cells `cells` and all their spikes, bit for bit, of `a` against columns
/// `cells` of `b` (which may record more cells).
void check_same(const CapturingRecorder& a, const CapturingRecorder& b, std::size_t n_cells, const std::string& what) {
    BOOST_TEST_REQUIRE(a.rows() == b.rows());
    std::size_t differ = 0;
    for (std::size_t row = 0; row < a.rows(); ++row) {
        for (std::size_t var = 0; var < 2; ++var) {
            for (std::size_t c = 0; c < n_cells; ++c) differ += bits(a.value(row, var, c)) != bits(b.value(row, var, c));
        }
    }
    BOOST_TEST(differ == 0u, what << ": " << differ << " sample values differ");
    for (std::size_t c = 0; c < n_cells; ++c) {
        const auto ta = a.spike_times(c), tb = b.spike_times(c);
        BOOST_TEST_REQUIRE(ta.size() == tb.size(), what << ", cell " << c);
        for (std::size_t s = 0; s < ta.size(); ++s) BOOST_TEST(bits(ta[s]) == bits(tb[s]), what << ", cell " << c << " spike " << s);
    }
}

struct Reproducible {
    std::string stimulus, integrator;
};
std::ostream& operator<<(std::ostream& os, const Reproducible& r) { return os << r.stimulus << " with " << r.integrator; }
const std::vector<Reproducible> reproducible_cases{{"white", "euler"}, {"ou", "euler"}, {"ou", "rk4"}};

}  // namespace

BOOST_DATA_TEST_CASE(same_seed_same_spikes_with_1_2_and_3_threads, data::make(reproducible_cases), r) {
    const auto spec = noisy_population(r.stimulus, r.integrator);
    const auto reference = run(spec).recorder;
    BOOST_TEST_REQUIRE(reference->spikes.size() > 53u * 3, "the population fires: " << reference->spikes.size());
    for (const std::size_t threads : {1u, 2u, 3u}) {
        auto again = spec;
        again.settings.threads = threads;
        check_same(*run(again).recorder, *reference, 53, fmt::format("{} threads", threads));
    }
}

// Cell 0 alone (its per-cell values as scalars) is cell 0 of the population, and cells 0-19 of a population of
// 20 are cells 0-19 of the population of 53 with the same values: cell c's noise does not depend on N.
BOOST_DATA_TEST_CASE(a_cell_alone_and_a_smaller_population_are_the_same_cells, data::make(reproducible_cases), r) {
    const auto population = noisy_population(r.stimulus, r.integrator);
    const auto reference = run(population).recorder;
    const auto& sigmas = reference->info.cell_parameters;
    BOOST_TEST_REQUIRE(sigmas.size() == 1u);

    auto alone = population;
    alone.settings.n_cells = 1;
    alone.stimulus.parameters.at("sigma") = text(sigmas.front().values[0]);
    alone.record.cells = first_cells(1);
    check_same(*run(alone).recorder, *reference, 1, "cell 0 alone");

    auto smaller = population;
    smaller.settings.n_cells = 20;
    std::vector<std::string> first_sigmas;
    for (std::size_t c = 0; c < 20; ++c) first_sigmas.push_back(text(sigmas.front().values[c]));
    smaller.stimulus.parameters.at("sigma") = fmt::format("{}", fmt::join(first_sigmas, ","));
    smaller.record.cells = first_cells(20);
    check_same(*run(smaller).recorder, *reference, 20, "a population of 20");
}

// The OU current does not depend on the integrator: rk4 asks for it at four stages per step, euler at one.
BOOST_AUTO_TEST_CASE(ou_current_is_the_same_with_euler_and_rk4) {
    const auto euler = run(noisy_population("ou", "euler")).recorder;
    const auto rk4 = run(noisy_population("ou", "rk4")).recorder;
    BOOST_TEST_REQUIRE(euler->rows() == rk4->rows());
    std::size_t differ = 0;
    for (std::size_t row = 0; row < euler->rows(); ++row) {
        for (std::size_t c = 0; c < 53; ++c) differ += bits(euler->value(row, 1, c)) != bits(rk4->value(row, 1, c));
    }
    BOOST_TEST(differ == 0u);
}

BOOST_DATA_TEST_CASE(another_seed_other_spikes_and_the_stimulus_seed_replaces_the_runs, data::make({"white", "ou"}),
                     stimulus) {
    const auto seed_4 = run(noisy_population(stimulus, "euler", 53, 4)).recorder;
    const auto seed_5 = run(noisy_population(stimulus, "euler", 53, 5)).recorder;
    std::size_t same = 0, silent = 0;
    for (std::size_t c = 0; c < 53; ++c) {
        const auto a = seed_4->spike_times(c), b = seed_5->spike_times(c);
        if (a.empty() && b.empty()) ++silent;
        else same += a == b;
    }
    BOOST_TEST(silent < 10u, silent << " of 53 cells fire with neither seed");
    BOOST_TEST(same == 0u, same << " of 53 cells fire the same spikes with seeds 4 and 5");

    auto own_seed = noisy_population(stimulus, "euler", 53, 0);
    own_seed.stimulus.parameters["seed"] = "5";
    check_same(*run(own_seed).recorder, *seed_5, 53, "stimulus.seed = 5 with --seed 0 against --seed 5");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(refusals)

BOOST_DATA_TEST_CASE(white_noise_is_refused_by_integrators_that_cannot_integrate_it,
                     data::make({"rk4", "dopri5", "cvode"}), integrator) {
    const auto spec = spec_of("lif", {}, "white", {}, integrator, {10, 0.1, 0, 1, 1, 0});
    const std::string message = message_of<soma::PluginError>([&] { (void)soma::build_simulation(registry(), spec); });
    SOMA_CHECK_CONTAINS(message, fmt::format("integrator '{}'", integrator));
    SOMA_CHECK_CONTAINS(message, "cannot run the white-noise stimulus");
    SOMA_CHECK_CONTAINS(message, "Euler-Maruyama");
    SOMA_CHECK_CONTAINS(message, "--integrator euler or exp_euler");
    // The coloured noise runs with it.
    BOOST_CHECK_NO_THROW((void)soma::build_simulation(registry(), spec_of("lif", {}, "ou", {}, integrator, {10, 0.1, 0, 1, 1, 0})));
}

BOOST_AUTO_TEST_CASE(white_noise_runs_with_euler_and_exp_euler) {
    BOOST_CHECK_NO_THROW((void)soma::build_simulation(registry(), spec_of("lif", {}, "white", {}, "euler", {10, 0.1, 0, 1, 1, 0})));
    BOOST_CHECK_NO_THROW((void)soma::build_simulation(registry(), spec_of("hh", {}, "white", {}, "exp_euler", {10, 0.1, 0, 1, 1, 0})));
}

struct BadValue {
    std::string stimulus, parameter, value;
    std::vector<std::string> parts;  ///< what the message must contain
};
std::ostream& operator<<(std::ostream& os, const BadValue& b) { return os << b.stimulus << "." << b.parameter << " = " << b.value; }

const std::vector<BadValue> bad_values{
    {"ou", "sigma", "-0.5", {"stimulus 'ou'", "'sigma' = -0.5", "out of range", "[0, inf)"}},
    {"white", "sigma", "-1", {"stimulus 'white'", "'sigma' = -1", "out of range", "[0, inf)"}},
    {"ou", "tau", "0", {"stimulus 'ou'", "'tau' = 0 ms", "out of range", "(0, inf)"}},
    {"ou", "tau", "-2", {"'tau' = -2 ms", "(0, inf)"}},
    {"ou", "tau", "1,-2,3", {"stimulus 'ou', cell 1", "'tau' = -2 ms", "(0, inf)"}},
    {"white", "sigma", "1,2,-3", {"stimulus 'white', cell 2", "'sigma' = -3", "[0, inf)"}},
    {"ou", "seed", "1.5", {"'seed' = 1.5", "not a whole number", "-1 (the run's --seed)", "e.g. 1"}},
    {"white", "seed", "7,2.25", {"cell 1", "'seed' = 2.25", "not a whole number", "e.g. 2"}},
    {"white", "seed", "-2", {"'seed' = -2", "out of range", "[-1, inf)", "the run's --seed"}},
    {"ou", "seed", "1e16", {"'seed' = 1e+16", "2^53 = 9007199254740992"}},
};

BOOST_DATA_TEST_CASE(bad_values_are_refused_naming_parameter_value_range_and_cell, data::make(bad_values), b) {
    const auto spec = spec_of("lif", {}, b.stimulus, {{b.parameter, b.value}}, "euler", {10, 0.1, 0, 0, 1, 0});
    const std::string message = message_of<soma::ParameterError>([&] { (void)soma::build_simulation(registry(), spec); });
    for (const auto& part : b.parts) SOMA_CHECK_CONTAINS(message, part);
}

BOOST_AUTO_TEST_SUITE_END()
