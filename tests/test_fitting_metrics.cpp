/// @file test_fitting_metrics.cpp
/// The coincidence factor and the subthreshold error (libsoma_fitting) against independent references:
/// - Gamma of hand-made trains computed by hand from the definition (Kistler et al. 1997; Jolivet et al. 2008);
/// - identical trains give exactly 1; a train shifted by more than delta gives the pure chance correction;
/// - a Poisson train against a fixed train gives 0 on average over many seeds, within a stated tolerance;
/// - the greedy matching against a brute-force maximum bipartite matching (Kuhn's augmenting paths) written
///   here, and Gamma against the formula evaluated here, on random jittered trains;
/// - Gamma_int and the score by hand;
/// - the subthreshold RMSE and g-score against a direct computation over the samples' times;
/// - bad input, with the messages users see.

#define BOOST_TEST_MODULE soma_test_fitting_metrics
#include "soma_test_support.hpp"

#include "soma/fitting/coincidence.hpp"
#include "soma/fitting/subthreshold.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace fit = soma::fitting;
using soma::ParameterError;
using soma::test::message_of;

namespace {

/// Gamma from its definition, given the number of coincidences (Kistler et al. 1997, eq. 18).
double gamma_of(double n_coinc, double n_model, double n_data, double delta, double duration) {
    const double nu = n_model / duration;
    return (n_coinc - 2 * nu * delta * n_data) / (0.5 * (n_model + n_data)) / (1 - 2 * nu * delta);
}

/// Size of a maximum one-to-one matching of |a_i - b_j| <= delta, by augmenting paths (Kuhn 1955):
/// no assumption on order, nothing shared with the library's greedy matching.
std::size_t maximum_matching(const std::vector<double>& a, const std::vector<double>& b, double delta) {
    std::vector<long> owner(b.size(), -1);
    std::function<bool(std::size_t, std::vector<char>&)> augment = [&](std::size_t i, std::vector<char>& seen) {
        for (std::size_t j = 0; j < b.size(); ++j) {
            if (seen[j] || std::abs(a[i] - b[j]) > delta) continue;
            seen[j] = 1;
            if (owner[j] < 0 || augment(static_cast<std::size_t>(owner[j]), seen)) {
                owner[j] = static_cast<long>(i);
                return true;
            }
        }
        return false;
    };
    std::size_t pairs = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::vector<char> seen(b.size(), 0);
        if (augment(i, seen)) ++pairs;
    }
    return pairs;
}

std::vector<double> poisson(std::mt19937_64& rng, double rate_per_ms, double duration) {
    std::exponential_distribution<double> gap(rate_per_ms);
    std::vector<double> t;
    for (double s = gap(rng); s < duration; s += gap(rng)) t.push_back(s);
    return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gamma_of_hand_made_trains) {
    // model 10, 20, 30; data 11, 25, 31.9, 50; delta 2 ms over 100 ms: 10-11 and 30-31.9 coincide, 20 has no
    // partner (25 is 5 ms away). nu = 0.03/ms, expected = 2 * 0.03 * 2 * 4 = 0.48, N = 1 - 0.12 = 0.88,
    // Gamma = (2 - 0.48) / 3.5 / 0.88 = 0.4935064935...
    const auto c = fit::coincidence(std::vector{10.0, 20.0, 30.0}, std::vector{11.0, 25.0, 31.9, 50.0}, 2, 100);
    BOOST_TEST(c.n_model == 3u);
    BOOST_TEST(c.n_data == 4u);
    BOOST_TEST(c.n_coincident == 2u);
    BOOST_TEST(c.expected == 0.48, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(c.gamma == 1.52 / 3.5 / 0.88, boost::test_tools::tolerance(1e-12));  // rounding only
    BOOST_TEST(c.undefined.empty());

    // One to one: two model spikes near one data spike count once.
    BOOST_TEST(fit::coincidence(std::vector{10.0, 11.0}, std::vector{10.5}, 2, 100).n_coincident == 1u);
    // Greedy in time order must not waste a data spike: 10 takes 9.5, 11 takes 12.5 (both within 2 ms).
    BOOST_TEST(fit::coincidence(std::vector{10.0, 11.0}, std::vector{9.5, 12.5}, 2, 100).n_coincident == 2u);
    // Inclusive window, with times made of samples (60 * 0.2 - 50 * 0.2 rounds to 2.0000000000000018).
    BOOST_TEST(fit::coincidence(std::vector{50 * 0.2}, std::vector{60 * 0.2}, 10 * 0.2, 100).n_coincident == 1u);
    BOOST_TEST(fit::coincidence(std::vector{10.0}, std::vector{12.001}, 2, 100).n_coincident == 0u);
}

BOOST_AUTO_TEST_CASE(identical_trains_give_one_and_shifted_trains_the_chance_correction) {
    std::mt19937_64 rng(7);
    const auto t = poisson(rng, 0.03, 5000);  // 30 Hz over 5 s
    BOOST_TEST_REQUIRE(t.size() > 100u);
    // (n - 2 nu delta n) / n / (1 - 2 nu delta) = 1 up to rounding.
    BOOST_TEST(fit::coincidence(t, t, 2, 5000).gamma == 1.0, boost::test_tools::tolerance(1e-12));

    // A regular 20 Hz train against itself shifted by 3 ms > delta: no coincidence, so Gamma is the chance
    // correction alone, -2 nu delta / (1 - 2 nu delta) = -0.08 / 0.92 (about 0: -0.087).
    std::vector<double> regular, shifted;
    for (int k = 0; k < 100; ++k) {
        regular.push_back(25 + 50.0 * k);
        shifted.push_back(28 + 50.0 * k);
    }
    const auto c = fit::coincidence(regular, shifted, 2, 5000);
    BOOST_TEST(c.n_coincident == 0u);
    BOOST_TEST(c.gamma == -0.08 / 0.92, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(a_poisson_train_against_a_fixed_train_gives_zero_on_average) {
    // The model: a fixed regular train, 10 Hz over 10 s (100 spikes, windows 100 ms apart, never overlapping);
    // the data: independent Poisson trains of 10 Hz. E[n_coinc] = n_model (1 - exp(-2 nu_data delta)) while the
    // correction subtracts 2 nu_model delta E[n_data] = n_model 2 nu_data delta: E[Gamma] differs from 0 by the
    // second-order term n_model ((1 - e^-x) - x) / (0.5 (n_model + n_data)) / N, x = 0.04, i.e. -0.0008 / 0.96
    // = -0.00083. Tolerance: that bias plus 4 standard errors of the mean over the seeds (estimated from them).
    std::vector<double> model;
    for (int k = 0; k < 100; ++k) model.push_back(50 + 100.0 * k);
    const int seeds = 2000;
    double sum = 0, sum2 = 0;
    for (int seed = 0; seed < seeds; ++seed) {
        std::mt19937_64 rng(1000 + static_cast<unsigned>(seed));
        const double g = fit::coincidence(model, poisson(rng, 0.01, 10000), 2, 10000).gamma;
        sum += g;
        sum2 += g * g;
    }
    const double mean = sum / seeds, sd = std::sqrt(sum2 / seeds - mean * mean);
    const double x = 0.04, bias = 100 * ((1 - std::exp(-x)) - x) / 100 / 0.96;
    BOOST_TEST_MESSAGE("mean Gamma " << mean << ", standard error " << sd / std::sqrt(seeds) << ", bias " << bias);
    BOOST_TEST(std::abs(mean) <= std::abs(bias) + 4 * sd / std::sqrt(seeds));
    BOOST_TEST(sd > 0.005);  // the trains did vary
}

BOOST_AUTO_TEST_CASE(greedy_matching_is_maximum_against_brute_force) {
    // Dense, jittered trains with deletions and insertions, and a wide window (5 ms at 60-80 Hz), so that
    // windows overlap and a careless matching would lose pairs.
    for (unsigned seed = 0; seed < 300; ++seed) {
        BOOST_TEST_CONTEXT("seed " << seed) {
            std::mt19937_64 rng(seed);
            const double duration = 1000;
            const auto data = poisson(rng, 0.07, duration);
            std::normal_distribution<double> jitter(0, 3);
            std::bernoulli_distribution keep(0.8);
            std::vector<double> model;
            for (const double t : data) {
                if (keep(rng)) model.push_back(std::clamp(t + jitter(rng), 0.0, duration));
            }
            for (const double t : poisson(rng, 0.01, duration)) model.push_back(t);
            std::ranges::sort(model);
            const double delta = 5;
            const auto c = fit::coincidence(model, data, delta, duration);
            const auto best = maximum_matching(model, data, delta);
            BOOST_TEST(c.n_coincident == best);
            const double nu_delta = static_cast<double>(model.size()) / duration * delta;
            if (nu_delta < 0.5 && !(model.empty() && data.empty())) {
                BOOST_TEST(c.gamma == gamma_of(static_cast<double>(best), static_cast<double>(model.size()),
                                               static_cast<double>(data.size()), delta, duration),
                           boost::test_tools::tolerance(1e-12));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(edge_cases_of_gamma) {
    const std::vector<double> none, some{10, 50, 90};
    const auto both = fit::coincidence(none, none, 2, 100);
    BOOST_TEST(std::isnan(both.gamma));
    SOMA_CHECK_CONTAINS(both.undefined, "both spike trains are empty");
    // One empty train: no coincidence and none expected (n_data = 0, or nu_model = 0): 0.
    BOOST_TEST(fit::coincidence(none, some, 2, 100).gamma == 0.0);
    BOOST_TEST(fit::coincidence(some, none, 2, 100).gamma == 0.0);
    // 250 Hz with delta = 2 ms: N = 0.
    std::vector<double> fast;
    for (int k = 0; k < 25; ++k) fast.push_back(4.0 * k);
    const auto over = fit::coincidence(fast, some, 2, 100);
    BOOST_TEST(std::isnan(over.gamma));
    SOMA_CHECK_CONTAINS(over.undefined, "250 Hz");
}

BOOST_AUTO_TEST_CASE(intrinsic_reliability_and_score_by_hand) {
    // Three repetitions over 1000 ms, delta 2: r0 = {100, 200, 300, 400}, r1 = {101, 203, 299, 400},
    // r2 = {100, 250}. Coincidences: r0-r1: 100-101, 299-300 and 400 (203 is 3 ms from 200): 3; r0-r2: 100: 1;
    // r1-r2: 101-100: 1.
    const std::vector<std::vector<double>> reps{{100, 200, 300, 400}, {101, 203, 299, 400}, {100, 250}};
    const std::size_t coinc[3][3] = {{0, 3, 1}, {3, 0, 1}, {1, 1, 0}};
    double sum = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        for (std::size_t j = 0; j < 3; ++j) {
            if (i == j) continue;
            sum += gamma_of(static_cast<double>(coinc[i][j]), static_cast<double>(reps[i].size()),
                            static_cast<double>(reps[j].size()), 2, 1000);
        }
    }
    const double gamma_int = sum / 6;
    BOOST_TEST(fit::intrinsic_reliability(reps, 2, 1000) == gamma_int, boost::test_tools::tolerance(1e-12));

    // A model {100, 300, 500}: coincides with r0 at 100 and 300 (2), with r1 at 101 and 299 (2), with r2 at 100 (1).
    const std::vector<double> model{100, 300, 500};
    const auto s = fit::score(model, reps, 2, 1000);
    const double g0 = gamma_of(2, 3, 4, 2, 1000), g1 = gamma_of(2, 3, 4, 2, 1000), g2 = gamma_of(1, 3, 2, 2, 1000);
    BOOST_TEST(s.repetitions.size() == 3u);
    BOOST_TEST(s.gamma == (g0 + g1 + g2) / 3, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(s.gamma_int == gamma_int, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(s.gamma_normalised == (g0 / gamma_int + g1 / gamma_int + g2 / gamma_int) / 3,
               boost::test_tools::tolerance(1e-12));
    BOOST_TEST(s.count_ratio == 3.0 / (10.0 / 3), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(s.undefined.empty());

    const auto one = fit::score(model, {reps[0]}, 2, 1000);
    BOOST_TEST(one.gamma == g0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(std::isnan(one.gamma_int));
    BOOST_TEST(std::isnan(one.gamma_normalised));
    SOMA_CHECK_CONTAINS(one.undefined, "one repetition");
}

BOOST_AUTO_TEST_CASE(bad_input_to_gamma) {
    const std::vector<double> a{1, 2, 3}, unsorted{1, 5, 3};
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::coincidence(a, a, 0, 100); }), "delta = 0 ms");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::coincidence(a, a, -1, 100); }), "delta = -1 ms");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::coincidence(a, a, 2, 0); }), "duration = 0 ms");
    const auto order = message_of<ParameterError>([&] { (void)fit::coincidence(a, unsorted, 2, 100); });
    SOMA_CHECK_CONTAINS(order, "data spike train is not in ascending order: spike 2 at 3 ms");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::coincidence(std::vector<double>{std::nan("")}, a, 2, 100); }),
                        "model spike train: time nan (spike 0) is not a finite number");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::intrinsic_reliability({a}, 2, 100); }),
                        "at least 2 repetitions");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::score(a, {}, 2, 100); }), "at least one");
}

BOOST_AUTO_TEST_CASE(subthreshold_error_against_a_direct_computation) {
    // A constant difference of 2 mV: RMSE 2 mV, x = 1, g = 1 / 2 on every sample.
    const std::vector<double> data(100, -65.0), plus2(100, -63.0), none;
    const auto flat = fit::subthreshold_error(plus2, data, 0.1, none, none, {});
    BOOST_TEST(flat.samples == 100u);
    BOOST_TEST(flat.rmse == 2.0, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(flat.g_score == 0.5, boost::test_tools::tolerance(1e-14));

    // 40 samples at dt = 0.5 ms; difference d_k = 0.1 k mV; a model spike at 10 ms and a data spike at 2 ms,
    // left out 2 ms before and 5 ms after: t in [8, 15] and [0, 7]. Kept here by testing each sample's time
    // against each window directly.
    const double dt = 0.5;
    std::vector<double> model_v(40), data_v(40, -70.0);
    for (std::size_t k = 0; k < 40; ++k) model_v[k] = -70.0 + 0.1 * static_cast<double>(k);
    const std::vector<double> model_spikes{10}, data_spikes{2};
    double squares = 0, g = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < 40; ++k) {
        const double t = static_cast<double>(k) * dt;
        const bool near = (t >= 8 && t <= 15) || (t >= 0 && t <= 7);
        if (near) continue;
        const double d = model_v[k] - data_v[k];
        squares += d * d;
        g += 1 / (1 + (d / 2) * (d / 2));
        ++n;
    }
    BOOST_TEST_REQUIRE(n == 10u);  // t = 7.5 and 15.5 .. 19.5
    const auto e = fit::subthreshold_error(model_v, data_v, dt, model_spikes, data_spikes, {2, 5});
    BOOST_TEST(e.samples == n);
    BOOST_TEST(e.rmse == std::sqrt(squares / 10), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(e.g_score == g / 10, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(bad_input_to_the_subthreshold_error) {
    const std::vector<double> a(10, -60.0), b(11, -60.0), none;
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::subthreshold_error(a, b, 0.1, none, none, {}); }),
                        "same number of samples to be compared: 10 and 11");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::subthreshold_error(a, a, 0, none, none, {}); }),
                        "dt = 0 ms");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::subthreshold_error(a, a, 0.1, none, none, {-1, 5}); }),
                        "before = -1 ms");
    const std::vector<double> spike{0.5};
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::subthreshold_error(a, a, 0.1, spike, none, {2, 5}); }),
                        "no sample is left");
    std::vector<double> gap = a;
    gap[3] = NAN;
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::subthreshold_error(a, gap, 0.1, none, none, {}); }),
                        "recorded membrane potential: sample 3 is nan");
}
