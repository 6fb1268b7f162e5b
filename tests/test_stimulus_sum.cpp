/// @file test_stimulus_sum.cpp
/// Several stimuli summed into each cell (stimulus_sum.hpp): `--stimulus step+sine`, parameters
/// stimulus.LABEL.NAME, the recorded I and its parts I.LABEL.
///
/// References: linearity of the passive membrane. A LIF cell whose threshold it never reaches is the
/// linear ODE tau_m dv/dt = -(v - V_rest) + R I, and forward Euler keeps it linear:
/// v_{i+1} = v_i + dt/tau_m (-(v_i - V_rest) + R I_i). With V_rest = V_init = 0, the response to I_a + I_b
/// is the response to I_a plus the response to I_b, up to rounding (relative 1e-12 here: each step adds a
/// few ulps to values of order 1, over 10^4 steps).

#define BOOST_TEST_MODULE soma_test_stimulus_sum
#include "soma_test_support.hpp"

#include <cmath>
#include <fstream>

using soma::test::message_of;
using soma::test::registry;

namespace {

// lif with a threshold it never reaches: a passive membrane.
soma::test::RunSpec passive(const std::string& stimulus, std::map<std::string, std::string> parameters,
                            std::size_t n_cells = 1) {
    soma::RunSettings settings;
    settings.t_stop = 100;
    settings.dt = 0.01;
    settings.n_cells = n_cells;
    return {"lif", stimulus, "euler", {{"V_th", "200"}, {"tau_m", "10"}, {"R", "20"}}, std::move(parameters), settings};
}

soma::test::RunResult simulate(const soma::test::RunSpec& run, std::vector<std::string> record = {}) {
    auto spec = run.spec();
    spec.record.variables = std::move(record);
    return soma::test::run_in_process(registry(), spec);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_sum_of_step_and_sine_is_the_sum_of_their_responses_on_a_passive_membrane) {
    const std::map<std::string, std::string> step{{"amplitude", "0.3"}, {"onset", "20"}, {"offset", "70"}};
    const std::map<std::string, std::string> sine{{"amplitude", "0.2"}, {"frequency", "35"}, {"offset", "0.05"}};
    const auto a = simulate(passive("step", step), {"v", "I"});
    const auto b = simulate(passive("sine", sine), {"v", "I"});
    std::map<std::string, std::string> both;
    for (const auto& [k, v] : step) both["step." + k] = v;
    for (const auto& [k, v] : sine) both["sine." + k] = v;
    const auto sum = simulate(passive("step+sine", both), {"v", "I", "I.step", "I.sine"});
    BOOST_TEST_REQUIRE(sum.recorder->rows() == a.recorder->rows());
    BOOST_TEST_REQUIRE(sum.recorder->rows() == 10000u);
    double largest = 0, worst = 0;
    for (std::size_t r = 0; r < sum.recorder->rows(); ++r) {
        const double v = sum.recorder->value(r, 0, 0), expected = a.recorder->value(r, 0, 0) + b.recorder->value(r, 0, 0);
        largest = std::max(largest, std::abs(expected));
        worst = std::max(worst, std::abs(v - expected));
        // The parts are the single stimuli's currents, and I is their sum, part 0 first, exactly.
        const double i_step = sum.recorder->value(r, 2, 0), i_sine = sum.recorder->value(r, 3, 0);
        BOOST_TEST(i_step == a.recorder->value(r, 1, 0));
        BOOST_TEST(i_sine == b.recorder->value(r, 1, 0));
        BOOST_TEST(sum.recorder->value(r, 1, 0) == i_step + i_sine);
    }
    BOOST_TEST(largest > 1.0);  // the responses are not trivially small
    BOOST_TEST(worst <= 1e-12 * largest, "largest difference from the sum of the responses: " << worst << " mV");
    BOOST_TEST(sum.recorder->info.recording.variables[2].name == "I.step");
    BOOST_TEST(sum.recorder->info.recording.variables[3].unit == "nA");
}

// Per-cell values of a part's parameters; a cell in the population equals the same cell alone.
BOOST_AUTO_TEST_CASE(parts_take_per_cell_values_and_cells_are_independent) {
    auto run = passive("step:pulse+sine", {{"pulse.amplitude", "0.1, 0.2, 0.3"}, {"sine.frequency", "linspace(5, 25, 3)"}}, 3);
    run.settings.threads = 2;
    const auto population = simulate(run, {"v"});
    BOOST_TEST_REQUIRE(population.recorder->info.recording.cells.size() == 3u);
    for (std::size_t c = 0; c < 3; ++c) {
        const std::vector<std::string> amplitude{"0.1", "0.2", "0.3"}, frequency{"5", "15", "25"};
        auto alone_run = passive("step:pulse+sine", {{"pulse.amplitude", amplitude[c]}, {"sine.frequency", frequency[c]}});
        const auto alone = simulate(alone_run, {"v"});
        for (std::size_t r = 0; r < alone.recorder->rows(); ++r) {
            BOOST_TEST_REQUIRE(population.recorder->value(r, 0, c) == alone.recorder->value(r, 0, 0), "cell " << c);
        }
    }
}

// Frozen noise: a noise part's stream follows its label, so ou alone and the ou part of step+ou draw the same
// current, and another label draws another.
BOOST_AUTO_TEST_CASE(a_noise_part_keeps_its_noise_when_stimuli_are_added) {
    const auto alone = simulate(passive("ou", {{"sigma", "0.3"}}), {"I"});
    const auto summed = simulate(passive("step+ou", {{"ou.sigma", "0.3"}}), {"I.ou"});
    const auto relabelled = simulate(passive("step+ou:other", {{"other.sigma", "0.3"}}), {"I.other"});
    BOOST_TEST_REQUIRE(alone.recorder->rows() == summed.recorder->rows());
    std::size_t same = 0;
    for (std::size_t r = 0; r < alone.recorder->rows(); ++r) {
        BOOST_TEST_REQUIRE(summed.recorder->value(r, 0, 0) == alone.recorder->value(r, 0, 0), "step " << r);
        same += relabelled.recorder->value(r, 0, 0) == alone.recorder->value(r, 0, 0);
    }
    BOOST_TEST(same == 0u);
}

// A single stimulus answers to its label as a part of a sum does: step's amplitude as stimulus.step.amplitude,
// a labelled ou as stimulus.noise.sigma; a table column may name a part's parameter (stimulus.LABEL.NAME).
BOOST_AUTO_TEST_CASE(labels_work_for_a_single_stimulus_and_in_tables) {
    const auto plain = simulate(passive("step", {{"amplitude", "0.4"}}), {"I"});
    const auto labelled = simulate(passive("step", {{"step.amplitude", "0.4"}}), {"I"});
    const auto named = simulate(passive("step:pulse", {{"pulse.amplitude", "0.4"}}), {"I"});
    for (std::size_t r = 0; r < plain.recorder->rows(); ++r) {
        BOOST_TEST_REQUIRE(labelled.recorder->value(r, 0, 0) == plain.recorder->value(r, 0, 0));
        BOOST_TEST_REQUIRE(named.recorder->value(r, 0, 0) == plain.recorder->value(r, 0, 0));
    }
    const soma::test::TempDir dir("soma-test-sum-table");
    std::ofstream(dir.path() / "cells.csv") << "stimulus.step.amplitude (nA),stimulus.sine.frequency (Hz)\n0.1,5\n0.2,15\n";
    auto spec = passive("step+sine", {}).spec();
    spec.settings.n_cells = 0;
    spec.cells_from = dir.path() / "cells.csv";
    spec.record.variables = {"I.step"};
    const auto result = soma::test::run_in_process(registry(), spec);
    BOOST_TEST_REQUIRE(result.recorder->info.n_cells == 2u);
    const std::size_t during = 3000;  // t = 30 ms, inside the step's [20, 70) ms
    BOOST_TEST(result.recorder->value(during, 0, 0) == 0.1);
    BOOST_TEST(result.recorder->value(during, 0, 1) == 0.2);
}

BOOST_AUTO_TEST_CASE(bad_sums_are_refused_with_a_remedy) {
    const auto error = [](const std::string& stimulus, std::map<std::string, std::string> parameters = {}) {
        return message_of<soma::ParameterError>([&] { (void)simulate(passive(stimulus, std::move(parameters))); });
    };
    SOMA_CHECK_CONTAINS(error("step+step"), "two stimuli are labelled 'step'; give each a label of its own");
    // A ':' without a valid label after it belongs to the name: here an unknown plug-in 'step:a-b'.
    SOMA_CHECK_CONTAINS(message_of<soma::PluginError>([] { (void)simulate(passive("step:a-b+sine", {})); }),
                        "unknown stimulus plug-in 'step:a-b'");
    SOMA_CHECK_CONTAINS(error("step++sine"), "an empty part");
    SOMA_CHECK_CONTAINS(error("step+sine", {{"amplitude", "1"}}), "unknown parameter 'amplitude'");
    SOMA_CHECK_CONTAINS(error("step+sine", {{"step.amplitud", "1"}}), "did you mean 'step.amplitude'?");
    // A part's own constraint, named with its label.
    SOMA_CHECK_CONTAINS(error("step:a+sine", {{"a.onset", "50"}, {"a.offset", "40"}}), "stimulus 'a': ");
    SOMA_CHECK_CONTAINS(message_of<soma::PluginError>([] { (void)simulate(passive("step+noise_of_nothing", {})); }),
                        "unknown stimulus plug-in 'noise_of_nothing'");
    SOMA_CHECK_CONTAINS(message_of<soma::ParameterError>([] { (void)simulate(passive("step+sine", {}), {"v", "I.cosine"}); }),
                        "unknown variable 'I.cosine'");
}
