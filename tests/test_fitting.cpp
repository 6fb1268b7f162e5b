/// @file test_fitting.cpp
/// run_fit (libsoma_fitting) on recordings that Soma synthesises itself: an `adex` cell with known
/// parameters driven by Ornstein-Uhlenbeck noise (the `ou` stimulus, frozen into a current file that the
/// `waveform` stimulus plays back, as the fit plays a recorded current), its spike times jittered per
/// repetition. The fit starts from candidates drawn uniformly within wide bounds and must find the known
/// parameters again; the same seed must give the same result bit for bit whatever the thread count; bad
/// input must be refused up front, with messages that say what to change. No real recording is read.

#define BOOST_TEST_MODULE soma_test_fitting
#include "soma_test_support.hpp"

#include "soma/fitting/evaluate.hpp"
#include "soma/fitting/fit.hpp"

#include <fmt/format.h>

#include <fstream>
#include <limits>
#include <random>

namespace {

namespace fs = std::filesystem;
using soma::test::CapturingRecorder;
using soma::test::message_of;
using soma::test::registry;
using soma::test::TempDir;
using namespace soma;

/// The known cell: Naud et al. 2008's adaptation pattern (Table 1, Fig. 4b) with a stronger spike-triggered
/// adaptation, so that both V_T and b shape the spike times.
const std::map<std::string, std::string> truth{{"C", "200"},   {"g_L", "10"}, {"E_L", "-70"},    {"V_T", "-50"},
                                               {"Delta_T", "2"}, {"a", "2"},    {"tau_w", "100"}, {"b", "60"},
                                               {"V_r", "-58"}};
constexpr double recording_dt = 0.2;  // ms, the 2007 competition's sampling step
constexpr double simulation_dt = 0.05;  // ms
constexpr double duration = 2000;     // ms
/// Standard deviation of the Gaussian jitter added to each repetition's spike times (ms): a quarter of the
/// coincidence window, so that the repetitions agree as closely as the competition's most reliable sets do.
constexpr double jitter = 0.5;
constexpr std::size_t repetitions = 3;

/// A model with the true values but those named in `changes`.
soma::RunSpec model_run(const std::map<std::string, std::string>& changes = {}) {
    soma::RunSpec run;
    run.model = {"adex", {}, truth};
    for (const auto& [k, v] : changes) run.model.parameters[k] = v;
    run.integrator = {"euler", {}, {}};
    run.recorders = {};
    run.settings.dt = simulation_dt;
    run.settings.threads = 1;
    run.name = "test";
    return run;
}

/// A stimulus set synthesised by Soma: the OU current (mean 250 pA, sigma 250 pA, tau 3 ms, noise seed
/// `seed`) sampled every 0.2 ms into DIR/NAME.voltage (the competition's 3-column format: sample, pA, mV),
/// the true cell's response to that file, and `repetitions` copies of its spike train, jittered.
fitting::StimulusSet synthesise(const fs::path& dir, const std::string& name, int seed) {
    // The current: one OU sample path held over each 0.2 ms sample.
    test::RunSpec noise{"adex",
                        "ou",
                        "euler",
                        truth,
                        {{"mean", "250"}, {"sigma", "250"}, {"tau", "3"}, {"seed", std::to_string(seed)}},
                        RunSettings{duration, recording_dt, 0.0, 1, 1, 0}};
    soma::RunSpec noise_spec = noise.spec();
    noise_spec.record.variables = {"I"};
    const auto current_run = test::run_in_process(registry(), noise_spec);
    const std::size_t n = current_run.recorder->rows();
    std::vector<double> current(n);
    for (std::size_t k = 0; k < n; ++k) current[k] = current_run.recorder->value(k, 0, 0);
    const fs::path file = dir / (name + ".voltage");
    {
        std::ofstream out(file);
        for (std::size_t k = 0; k < n; ++k) out << fmt::format("{} {:.17g} 0\n", k, current[k]);
    }
    // The true cell's response to the file, as the fit will simulate it.
    soma::RunSpec run = model_run();
    run.stimulus = {file.string(), {}, {{"sample_interval", "0.2"}}};
    run.settings.t_stop = duration;
    run.settings.record_interval = recording_dt;
    run.record.variables = {"v"};
    const auto response = test::run_in_process(registry(), run);
    BOOST_TEST_REQUIRE(response.recorder->rows() == n);
    const std::vector<double> spikes = response.recorder->spike_times(0);
    BOOST_TEST_REQUIRE(spikes.size() > 20u, "the synthetic cell should fire: " << spikes.size() << " spikes");

    fitting::StimulusSet set;
    set.name = name;
    set.stimulus = run.stimulus;
    std::mt19937_64 random(static_cast<std::uint64_t>(seed));
    std::normal_distribution<double> normal(0.0, jitter);
    for (std::size_t r = 0; r < repetitions; ++r) {
        fitting::Recording rec;
        rec.file = dir / fmt::format("{}-{}.voltage", name, r);  // identifies the trial
        rec.dt = recording_dt;
        rec.current = current;
        rec.v.resize(n);
        for (std::size_t k = 0; k < n; ++k) rec.v[k] = response.recorder->value(k, 0, 0);
        for (const double t : spikes) rec.spikes.push_back(std::clamp(t + normal(random), 0.0, duration - recording_dt));
        std::ranges::sort(rec.spikes);
        rec.spikes_from = "synthesised";
        set.repetitions.push_back(std::move(rec));
    }
    return set;
}

/// The fit of V_T and b from wide bounds (the true values -50 mV and 60 pA lie inside, away from the ends).
fitting::FitSpec fit_spec(const fs::path& dir) {
    fitting::FitSpec spec;
    spec.run = model_run();
    spec.run.model.parameters.erase("V_T");
    spec.run.model.parameters.erase("b");
    spec.parameters = {{"V_T", -58, -42}, {"b", 0, 150}};
    spec.training = {synthesise(dir, "train", 11)};
    spec.held_out = {synthesise(dir, "held-out", 12)};
    spec.population = 24;
    spec.generations = 20;
    spec.seed = 3;
    return spec;
}

struct Fixture {
    TempDir dir{"soma-test-fit"};
    fitting::FitSpec spec = fit_spec(dir.path());
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(fit, Fixture)

// The known parameters come back. Tolerances: 0.5 mV for V_T (1/32 of its 16 mV range) and 10 pA for b (1/15
// of its 150 pA range). The jittered repetitions (0.5 ms) leave the training Gamma_A about 0.01 below its
// value at the true parameters, and that plateau of near-equal scores has a width in the parameters: with
// this seed the fit of 24 x 21 candidates lands 0.2 mV and 2 pA from the truth, so the tolerances leave a
// factor of 2.5 to 5 for other compilers' libm (the exp of the upswing) without letting a fit that settled
// in another optimum pass: a wrong optimum (V_T 1 mV off, b 10 pA off, as a budget of 16 x 13 gave) scores
// Gamma 0.3 on the held-out set, which the last checks refuse.
BOOST_AUTO_TEST_CASE(recovers_the_known_parameters) {
    std::size_t generations_seen = 0;
    fitting::FitControl control;
    control.generation = [&](const fitting::Generation&) { ++generations_seen; };
    const auto result = fitting::run_fit(registry(), spec, control);
    BOOST_TEST_MESSAGE(fmt::format("best V_T = {} mV, b = {} pA, Gamma_A = {}", result.best[0], result.best[1],
                                   result.best_score));
    BOOST_TEST(generations_seen == spec.generations + 1);
    BOOST_TEST(result.generations.size() == spec.generations + 1);
    BOOST_TEST(result.population_runs == spec.generations + 1);  // one population run per generation and set
    BOOST_TEST(result.evaluations == (spec.generations + 1) * spec.population);
    BOOST_TEST(std::abs(result.best[0] - -50.0) <= 0.5);
    BOOST_TEST(std::abs(result.best[1] - 60.0) <= 10.0);
    BOOST_TEST(result.units[0] == "mV");
    BOOST_TEST(result.units[1] == "pA");
    // The best so far never gets worse.
    for (std::size_t g = 1; g < result.generations.size(); ++g) {
        BOOST_TEST(result.generations[g].best_so_far >= result.generations[g - 1].best_so_far);
    }
    BOOST_TEST(result.best_score == result.generations.back().best_so_far);
    // On a different noise seed, never seen by the fit, the fitted cell predicts the spikes.
    BOOST_TEST_REQUIRE(result.held_out.size() == 1u);
    BOOST_TEST(result.held_out[0].gamma > 0.9);
    BOOST_TEST(std::abs(result.held_out[0].count_ratio - 1.0) < 0.1);
    BOOST_TEST(result.training[0].gamma > 0.9);
    // The repetitions agree as their jitter allows: P(|N(0, 0.5 sqrt 2)| <= 2 ms) = 0.995, less chance.
    BOOST_TEST(result.training[0].gamma_int > 0.9);
    // The subthreshold V of the fitted cell follows the synthetic trace closely (0 mV at the true values).
    BOOST_TEST(result.training[0].rmse < 2.0);
}

// The same seed gives the same fit bit for bit, on 1 thread and on 3.
BOOST_AUTO_TEST_CASE(same_seed_same_result_whatever_the_threads) {
    spec.generations = 4;
    const auto one = fitting::run_fit(registry(), spec);
    spec.run.settings.threads = 3;
    const auto three = fitting::run_fit(registry(), spec);
    BOOST_TEST(one.best == three.best, boost::test_tools::per_element());
    BOOST_TEST(one.best_score == three.best_score);
    BOOST_TEST_REQUIRE(one.generations.size() == three.generations.size());
    for (std::size_t g = 0; g < one.generations.size(); ++g) {
        BOOST_TEST(one.generations[g].best == three.generations[g].best);
        BOOST_TEST(one.generations[g].median == three.generations[g].median);
    }
    spec.seed = 4;
    const auto other = fitting::run_fit(registry(), spec);
    BOOST_TEST(other.generations.front().median != one.generations.front().median);  // another initial population
}

// gaco evaluates its generations in one batch too.
BOOST_AUTO_TEST_CASE(gaco_runs_one_population_per_generation) {
    spec.algorithm = fitting::Algorithm::gaco;
    spec.generations = 3;
    spec.held_out.clear();
    const auto result = fitting::run_fit(registry(), spec);
    BOOST_TEST(result.generations.size() == spec.generations + 1);
    BOOST_TEST(result.population_runs == result.generations.size());
    BOOST_TEST(result.held_out.empty());
}

// The scenario of the best parameters holds them exactly, in the shortest text that reads back as them.
BOOST_AUTO_TEST_CASE(scenario_of_the_best_parameters) {
    spec.generations = 1;
    const auto result = fitting::run_fit(registry(), spec);
    const std::string text = fitting::fit_scenario(result, spec, "f_fit.ini");
    SOMA_CHECK_CONTAINS(text, "# Run it with: soma run f_fit.ini\n");
    SOMA_CHECK_CONTAINS(fitting::fit_scenario(result, spec, ""), "# Run it with: soma run FILE.ini, once saved as FILE.ini\n");
    SOMA_CHECK_CONTAINS(text, "model = adex\n");
    const std::string shortest = fmt::format("{}", result.best[0]);
    SOMA_CHECK_CONTAINS(text, "V_T = " + shortest + "\n");
    BOOST_TEST(std::stod(shortest) == result.best[0]);
    BOOST_TEST(shortest.size() <= fmt::format("{:.17g}", result.best[0]).size());
    SOMA_CHECK_CONTAINS(text, fmt::format("\ndt = {}\n", spec.run.settings.dt));
    SOMA_CHECK_CONTAINS(text, "sample_interval = 0.2\n");
    SOMA_CHECK_CONTAINS(text, "t_stop = 2000\n");
    SOMA_CHECK_CONTAINS(text, "\ndt = 0.05\n");  // not 0.050000000000000003
}

// The objectives are the documented formulas of the best candidate's scores on the training set, which
// run_fit measures again after the fit: gamma-count (the default) is min(Gamma_A, 1) less 5 per unit of
// count ratio beyond the tolerance; gamma is Gamma_A itself.
BOOST_AUTO_TEST_CASE(objectives_are_the_documented_formulas) {
    BOOST_TEST((spec.objective == fitting::Objective::gamma_count));
    spec.generations = 2;
    spec.held_out.clear();
    spec.count_tolerance = 0;  // so that any count error shows in the score
    const auto counted = fitting::run_fit(registry(), spec);
    const auto& s = counted.training.at(0);
    const double expected = std::min(s.gamma_normalised, 1.0) - 5 * std::max(0.0, std::abs(s.count_ratio - 1));
    BOOST_TEST(counted.best_score == expected, boost::test_tools::tolerance(1e-12));
    spec.objective = fitting::Objective::gamma;
    const auto plain = fitting::run_fit(registry(), spec);
    BOOST_TEST(plain.best_score == plain.training.at(0).gamma_normalised, boost::test_tools::tolerance(1e-12));
    BOOST_TEST((fitting::parse_objective("gamma-count", "--objective") == fitting::Objective::gamma_count));
    BOOST_TEST((fitting::parse_objective("gamma_count", "--objective") == fitting::Objective::gamma_count));
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([] { (void)fitting::parse_objective("gama", "--objective"); }),
                        "did you mean 'gamma'");
}

// The weighted objective is the gamma-count score less weight x RMSE, the RMSE of the training scores
// (measured as the fit measures it: one training set, so pooled = the set's).
BOOST_AUTO_TEST_CASE(the_weighted_objective_is_gamma_count_less_the_weighted_rmse) {
    spec.generations = 2;
    spec.held_out.clear();
    spec.count_tolerance = 0;
    spec.objective = fitting::Objective::weighted;
    spec.weight = 0.05;
    const auto result = fitting::run_fit(registry(), spec);
    const auto& s = result.training.at(0);
    BOOST_TEST_REQUIRE(std::isfinite(s.rmse));
    const double expected =
        std::min(s.gamma_normalised, 1.0) - 5 * std::max(0.0, std::abs(s.count_ratio - 1)) - 0.05 * s.rmse;
    BOOST_TEST(result.best_score == expected, boost::test_tools::tolerance(1e-12));
}

// The fit's RMSE, summed as the population runs (no trace kept), is the RMSE written out in the test: over
// every repetition, the samples farther than 2 ms before or 5 ms after every recorded spike of that
// repetition, from each cell's own kept trace. Three cells of other V_T and b than the synthetic cell's, so
// that the errors are mV, not 0; the two sums differ only in rounding (1e-12 relative).
BOOST_AUTO_TEST_CASE(the_fits_rmse_is_the_rmse_of_the_kept_traces) {
    const fitting::StimulusSet& set = spec.training.front();
    soma::RunSpec run = model_run();
    run.model.parameters.erase("V_T");
    run.model.parameters.erase("b");
    run.model.cell_values["V_T"] = CellValues::list({-52, -48, -45});
    run.model.cell_values["b"] = CellValues::list({20, 60, 120});
    run.settings.n_cells = 3;
    fitting::Evaluation evaluation;
    evaluation.keep_traces = true;
    evaluation.exclude_model_spikes = false;
    const auto cells = fitting::evaluate_population(registry(), run, set, evaluation, {});
    BOOST_TEST_REQUIRE(cells.size() == 3u);
    for (const auto& cell : cells) {
        BOOST_TEST_REQUIRE(cell.v.size() == set.repetitions.front().v.size());
        double squares = 0;
        std::size_t samples = 0;
        for (const auto& rec : set.repetitions) {
            for (std::size_t k = 0; k < rec.v.size(); ++k) {
                const double t = recording_dt * static_cast<double>(k);
                const bool near_a_spike = std::ranges::any_of(
                    rec.spikes, [&](double s) { return t >= s - 2 - 1e-9 && t <= s + 5 + 1e-9; });
                if (near_a_spike) continue;
                squares += (cell.v[k] - rec.v[k]) * (cell.v[k] - rec.v[k]);
                ++samples;
            }
        }
        BOOST_TEST(cell.samples == samples);
        BOOST_TEST(cell.squared_error == squares, boost::test_tools::tolerance(1e-12));
        BOOST_TEST(cell.score.rmse == std::sqrt(squares / static_cast<double>(samples)),
                   boost::test_tools::tolerance(1e-12));
        BOOST_TEST(cell.score.rmse > 0.5);  // mV: the cells differ from the synthetic one
    }
}

// A training set whose repetitions do not agree (each repetition's spikes drawn at independent uniform times,
// as many as the cell fired: Gamma_int about 0) is fitted to its count only: the objective is min(Gamma_A, 1) of
// the reliable set less the mean count penalty of both; with min_reliability = 0 both sets' Gamma_A count.
BOOST_AUTO_TEST_CASE(a_set_whose_repetitions_disagree_is_fitted_to_its_count_only) {
    auto noisy = synthesise(dir.path(), "noisy", 13);
    std::mt19937_64 random(5);
    std::uniform_real_distribution<double> uniform(0.0, duration - recording_dt);
    for (auto& r : noisy.repetitions) {
        for (double& t : r.spikes) t = uniform(random);
        std::ranges::sort(r.spikes);
    }
    spec.training.push_back(noisy);
    spec.held_out.clear();
    spec.generations = 2;
    spec.count_tolerance = 0.05;
    const auto left_out = fitting::unreliable_sets(spec);
    BOOST_TEST_REQUIRE(left_out.size() == 1u);  // not "train", whose jittered repetitions agree (Gamma_int ~0.9)
    BOOST_TEST(left_out[0].name == "noisy");
    BOOST_TEST(std::abs(left_out[0].gamma_int) < 0.1);
    SOMA_CHECK_CONTAINS(fitting::unreliable_set_note(spec, left_out[0]),
                        "training set 'noisy': its repetitions' Gamma_int");
    SOMA_CHECK_CONTAINS(fitting::unreliable_set_note(spec, left_out[0]),
                        "is below --min-reliability 0.1: fitted to its spike count, not its spike times");
    const auto penalty = [&](const fitting::SetScore& x) {
        return 5 * std::min(1.0, std::max(0.0, std::abs(x.count_ratio - 1) - 0.05));
    };
    const auto counted = fitting::run_fit(registry(), spec);
    const auto& a = counted.training.at(0);
    const auto& b = counted.training.at(1);
    BOOST_TEST(counted.best_score == std::min(a.gamma_normalised, 1.0) - (penalty(a) + penalty(b)) / 2,
               boost::test_tools::tolerance(1e-12));
    spec.min_reliability = 0;
    BOOST_TEST(fitting::unreliable_sets(spec).empty());
    const auto all = fitting::run_fit(registry(), spec);
    const auto& c = all.training.at(0);
    const auto& d = all.training.at(1);
    BOOST_TEST(all.best_score == (std::min(c.gamma_normalised, 1.0) + std::min(d.gamma_normalised, 1.0)) / 2 -
                                     (penalty(c) + penalty(d)) / 2,
               boost::test_tools::tolerance(1e-12));
    // With the gamma objective and only the unreliable set, nothing would be fitted.
    spec.min_reliability = 0.1;
    spec.objective = fitting::Objective::gamma;
    spec.training = {noisy};
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fitting::run_fit(registry(), spec); }),
                        "--objective gamma: no training set's repetitions agree enough to fit spike times");
    spec.objective = fitting::Objective::gamma_count;
    spec.min_reliability = 1.5;
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fitting::run_fit(registry(), spec); }),
                        "--min-reliability 1.5 is not allowed; give a number in [0, 1]");
}

// The "at a bound" flag of the fit's report, on the cases its documentation names and their neighbours.
BOOST_AUTO_TEST_CASE(at_a_bound_is_near_the_bound_in_the_range_and_in_its_own_size) {
    using soma::fitting::at_bound;
    BOOST_TEST(!at_bound(21.6, 5, 2000));   // 0.8 % of the range from 5, but 4.3 times 5
    BOOST_TEST(at_bound(5.4, 5, 2000));     // 0.02 % of the range, 8 % of 5
    BOOST_TEST(at_bound(-40.2, -70, -40));  // 0.7 % of the range, 0.5 % of 40
    BOOST_TEST(!at_bound(-45, -70, -40));
    BOOST_TEST(at_bound(1.5, 0, 200));      // a bound of 0: the range alone
    BOOST_TEST(!at_bound(2.5, 0, 200));
    BOOST_TEST(at_bound(0.218, 0.2, 5));    // 0.4 % of the range, 9 % of 0.2
    BOOST_TEST(at_bound(199.9, 0, 200));
}

// A candidate whose reset cannot hold it below threshold (V_r above the upswing's threshold V_T, no refractory
// period: it crosses V_peak again within the step, a CellError) scores worst and the fit goes on to a cell that
// resets below V_T. About two thirds of the bounds [-70, -1] mV reset above V_T = -50 + a few Delta_T.
BOOST_AUTO_TEST_CASE(a_candidate_that_cannot_be_simulated_scores_worst) {
    spec.parameters = {{"V_r", -70, -1}};
    spec.run.model.parameters.erase("V_r");
    spec.generations = 2;
    spec.held_out.clear();
    const auto result = fitting::run_fit(registry(), spec);
    BOOST_TEST(result.diverged > 0u);
    BOOST_TEST(result.best[0] < -50.0);
    BOOST_TEST(result.training.at(0).gamma > 0.5);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_up_front) {
    const auto refused = [&](const fitting::FitSpec& bad) {
        return message_of<ParameterError>([&] { (void)fitting::run_fit(registry(), bad); });
    };
    auto bad = spec;
    bad.parameters[0].name = "V_t";
    SOMA_CHECK_CONTAINS(refused(bad), "did you mean 'V_T'");
    bad = spec;
    bad.parameters[1] = {"tau_w", -10, 100};
    SOMA_CHECK_CONTAINS(refused(bad), "--fit model.tau_w=-10:100: the bounds must lie in the parameter's allowed range (0, inf) ms, but LOW -10 does not");
    bad = spec;
    bad.parameters[0] = {"V_T", -40, -55};
    SOMA_CHECK_CONTAINS(refused(bad), "--fit model.V_T=-40:-55: the bounds must be finite numbers with LOW < HIGH");
    bad = spec;
    bad.parameters.push_back({"V_T", -55, -45});
    SOMA_CHECK_CONTAINS(refused(bad), "model.V_T is given twice");
    bad = spec;
    bad.held_out.push_back(spec.training.front());
    bad.held_out.back().name = "copy";
    SOMA_CHECK_CONTAINS(refused(bad), "held-out set 'copy': ");
    SOMA_CHECK_CONTAINS(refused(bad), "is also in training set 'train'");
    bad = spec;
    bad.training[0].repetitions[1].v.pop_back();
    SOMA_CHECK_CONTAINS(refused(bad), "training set 'train': repetitions");
    SOMA_CHECK_CONTAINS(refused(bad), "have different lengths");
    bad = spec;
    bad.training[0].repetitions[2].current = spec.held_out[0].repetitions[0].current;
    SOMA_CHECK_CONTAINS(refused(bad), "the repetitions must record the same stimulus");
    bad = spec;
    bad.population = 1;
    SOMA_CHECK_CONTAINS(refused(bad), "--population 1 is not allowed; give a whole number from 2 to 100000");
    bad = spec;
    bad.count_tolerance = 1.5;
    SOMA_CHECK_CONTAINS(refused(bad), "--count-tolerance 1.5 is not allowed; give a number in [0, 1]");
    bad = spec;
    bad.parameters.clear();
    SOMA_CHECK_CONTAINS(refused(bad), "at least one parameter");
}

// The note on the best parameters' Gamma: silent on every training set, or too fast for the window on some.
BOOST_AUTO_TEST_CASE(the_note_on_the_best_parameters_gamma) {
    fitting::FitResult result;
    result.training.resize(2);
    result.training[0].model_rate = 12;
    result.training[0].gamma = 0.4;
    result.training[1].model_rate = 0;
    BOOST_TEST(fitting::fit_gamma_note(result, spec).empty());
    result.training[0].model_rate = 0;
    SOMA_CHECK_CONTAINS(fitting::fit_gamma_note(result, spec), "the best parameters fire no spike on any training set");
    result.training[1].model_rate = 260;
    result.training[1].gamma = std::numeric_limits<double>::quiet_NaN();
    SOMA_CHECK_CONTAINS(fitting::fit_gamma_note(result, spec), "Gamma is undefined on some training sets for the best "
                                                               "parameters (a rate at or above 1 / (2 delta) = 250 Hz)");
    auto subthreshold = spec;
    subthreshold.objective = fitting::Objective::subthreshold;
    BOOST_TEST(fitting::fit_gamma_note(result, subthreshold).empty());
}

// A model that cannot fire is reported after the initial population, not after the whole budget.
BOOST_AUTO_TEST_CASE(a_model_that_never_fires_is_reported_after_the_first_generation) {
    spec.run.model.parameters["g_L"] = "200";  // 250 pA moves V by about 1.2 mV (and 250 pA fluctuations by less): far below any V_T in the bounds
    std::size_t rounds = 0;
    fitting::FitControl control;
    control.run.round = [&](std::size_t) { ++rounds; };
    const std::string message = message_of<ParameterError>([&] { (void)fitting::run_fit(registry(), spec, control); });
    SOMA_CHECK_CONTAINS(message, "none of the 24 candidates of the initial population fired in any training set");
    BOOST_TEST(rounds == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
