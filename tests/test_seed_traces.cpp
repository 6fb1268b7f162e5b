/// @file test_seed_traces.cpp
/// The five example scenarios, run in-process through the framework, against the course exercises'
/// reference traces (tests/data/*.tsv.gz) and their table of spike counts, first spikes and maximal v
/// (tests/data/README.md, "Spike counts").

#define BOOST_TEST_MODULE soma_test_seed_traces
#include "soma_test_support.hpp"

#include "reference_traces.hpp"

#include <boost/test/data/test_case.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

using soma::test::RunSpec;

using soma::test::reference_trace;
using Table = soma::test::ReferenceTable;

/// Expectations for one scenario: its settings (as in examples/<name>.ini) and the reference table.
struct Scenario {
    std::string name;
    RunSpec spec;
    std::vector<std::string> header;  ///< of the reference file
    std::size_t rows = 0;             ///< t_stop / dt
    std::size_t spikes = 0;
    double max_v = 0;
    double max_v_tolerance = 0;  ///< half a unit in the last digit the table gives
};

std::ostream& operator<<(std::ostream& os, const Scenario& s) { return os << s.name; }

// The same parameter values as examples/*.ini (model parameters are the plug-ins' defaults there;
// the LIF exercises check the threshold at the end of each step, as the seed does).
const std::vector<Scenario> scenarios{
    {"lif-step",
     {"lif", "step", "euler", {}, {{"amplitude", "1.005"}, {"onset", "20"}, {"offset", "70"}}, {100, 0.1, 0, 1},
      soma::test::grid_spikes},
     {"t", "v", "I"}, 1000, 9, 0.999820, 5e-7},
    {"lif-sine",
     {"lif", "sine", "euler", {}, {{"amplitude", "0.4"}, {"frequency", "100"}, {"offset", "0.5"}, {"phase", "0"}},
      {100, 0.1, 0, 1}, soma::test::grid_spikes},
     {"t", "v", "I"}, 1000, 0, 0.843602, 5e-7},
    {"hh-step",
     {"hh", "step", "euler", {}, {{"amplitude", "7"}, {"onset", "20"}, {"offset", "70"}}, {100, 0.01, 0, 1}, {}},
     {"t_ms", "v_mV", "m", "n", "h", "I_uA_per_cm2"}, 10000, 3, 104.966, 5e-4},
    {"hh-ramp",
     {"hh", "ramp", "euler", {}, {{"amplitude", "20"}, {"onset", "30"}, {"offset", "170"}}, {200, 0.01, 0, 1}, {}},
     {"t_ms", "v_mV", "m", "n", "h", "I_uA_per_cm2"}, 20000, 3, 91.753, 5e-4},
    {"hh-sine",
     {"hh", "sine", "euler", {}, {{"amplitude", "7"}, {"frequency", "10"}, {"offset", "0.5"}, {"phase", "0"}},
      {600, 0.01, 0, 1}, {}},
     {"t_ms", "v_mV", "m", "n", "h", "I_uA_per_cm2"}, 60000, 12, 106.376, 5e-4},
};

const Scenario& scenario(const std::string& name) {
    return *std::find_if(scenarios.begin(), scenarios.end(), [&](const Scenario& s) { return s.name == name; });
}

soma::test::RunResult run(const Scenario& s) { return soma::test::run_in_process(soma::test::registry(), s.spec); }

/// Time of the first upward crossing of `level` by the v column of `table`, interpolated linearly
/// inside the step, and the grid time of the first sample at or above it; NaN if none.
std::pair<double, double> first_crossing(const Table& table, double level) {
    for (std::size_t i = 1; i < table.rows.size(); ++i) {
        const double v0 = table.rows[i - 1][1], v1 = table.rows[i][1];
        if (v0 < level && v1 >= level) {
            const double t0 = table.rows[i - 1][0], t1 = table.rows[i][0];
            return {t0 + (t1 - t0) * (level - v0) / (v1 - v0), t1};
        }
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(seed_traces)

// Every column (t, state variables, current) at every step, to 1e-9 absolute (trace_tolerance).
BOOST_DATA_TEST_CASE(trace_matches_reference_to_1e_9, boost::unit_test::data::make(scenarios), s) {
    const Table& table = reference_trace(s.name);
    soma::test::require_complete(table, s.name, s.header, s.rows, s.spec.settings.dt);
    const auto result = run(s);
    const auto& rec = *result.recorder;
    BOOST_TEST(rec.begun == 1);
    BOOST_TEST(rec.committed == 1);
    BOOST_TEST(rec.aborted == 0);
    soma::test::check_against_trace(rec, table, s.name);
}

// Maximal v over the run, to the digits the reference table gives.
BOOST_DATA_TEST_CASE(max_v_matches_reference_table, boost::unit_test::data::make(scenarios), s) {
    const auto result = run(s);
    const auto& rec = *result.recorder;
    double max_v = -std::numeric_limits<double>::infinity();
    for (std::size_t row = 0; row < rec.rows(); ++row) max_v = std::max(max_v, rec.at(row, 1));
    BOOST_TEST(std::abs(max_v - s.max_v) <= s.max_v_tolerance, s.name << ": max v = " << max_v << ", table "
                                                                       << s.max_v);
    BOOST_TEST(result.summary.n_spikes == s.spikes);
    BOOST_TEST(rec.spikes.size() == s.spikes);
}

BOOST_AUTO_TEST_CASE(lif_step_9_spikes_first_at_25_1_every_5_1) {
    const auto result = run(scenario("lif-step"));
    const auto& spikes = result.recorder->spikes;
    BOOST_TEST_REQUIRE(spikes.size() == 9u);
    BOOST_TEST_REQUIRE(result.summary.cells.size() == 1u);
    BOOST_TEST(result.summary.cells.front().n_spikes == 9u);
    // LIF spikes are registered at the grid time ending the step (first sample at threshold):
    // 251 * 0.1 up to the rounding of t = i*dt + dt.
    BOOST_TEST(std::abs(result.summary.cells.front().first_spike - 25.1) <= 1e-9);
    BOOST_TEST(std::abs(spikes.front().t - 25.1) <= 1e-9);
    for (std::size_t k = 1; k < spikes.size(); ++k) {
        BOOST_TEST(std::abs(spikes[k].t - spikes[k - 1].t - 5.1) <= 1e-9, "ISI " << k);
    }
    // The reset value replaces the sample: v is 0 at the spike's grid time in both traces.
    const Table& table = reference_trace("lif-step");
    BOOST_TEST(table.rows[251][1] == 0.0);
    BOOST_TEST(result.recorder->at(251, 1) == 0.0);
}

BOOST_AUTO_TEST_CASE(lif_sine_no_spike) {
    const auto result = run(scenario("lif-sine"));
    BOOST_TEST(result.summary.n_spikes == 0u);
    BOOST_TEST(result.recorder->spikes.empty());
    BOOST_TEST_REQUIRE(result.summary.cells.size() == 1u);
    BOOST_TEST(result.summary.cells.front().n_spikes == 0u);
}

/// HH: count, the first sample at or above 50 mV and the interpolated first crossing.
/// Tolerances: the crossing time is interpolated linearly inside one step of 0.01 ms, so it must lie
/// in (grid time - dt, grid time] of the first sample >= 50 mV; where the table gives the
/// interpolated value (hh-step: 22.334) it is rounded to 1e-3, so |t - 22.334| <= 5e-4. Against the
/// crossing interpolated from the reference trace itself the only difference is the 1e-11 of the
/// trace, amplified by dt / (v1 - v0) < 1, so 1e-9 holds.
void check_hh_spikes(const std::string& name, std::size_t count, double first_grid_time) {
    const Scenario& s = scenario(name);
    const auto result = run(s);
    const auto& spikes = result.recorder->spikes;
    BOOST_TEST_REQUIRE(spikes.size() == count);
    BOOST_TEST(result.summary.n_spikes == count);
    const double t = spikes.front().t;
    const double dt = s.spec.settings.dt;
    BOOST_TEST(t > first_grid_time - dt, name << ": first crossing " << t);
    BOOST_TEST(t <= first_grid_time + 1e-9, name << ": first crossing " << t);

    const Table& table = reference_trace(name);
    const auto [reference_crossing, reference_grid_time] = first_crossing(table, 50.0);
    BOOST_TEST(std::abs(reference_grid_time - first_grid_time) <= 1e-9);
    BOOST_TEST(std::abs(t - reference_crossing) <= 1e-9);
    // The first sample of Soma's own trace at or above 50 mV is at the same grid time.
    std::size_t row = 0;
    while (row < result.recorder->rows() && result.recorder->at(row, 1) < 50.0) ++row;
    BOOST_TEST_REQUIRE(row < result.recorder->rows());
    BOOST_TEST(std::abs(result.recorder->at(row, 0) - first_grid_time) <= 1e-9);
    // Every spike is an upward crossing of the trace: count them in the reference trace as well.
    std::size_t crossings = 0;
    for (std::size_t i = 1; i < table.rows.size(); ++i) crossings += table.rows[i - 1][1] < 50.0 && table.rows[i][1] >= 50.0;
    BOOST_TEST(crossings == count);
}

BOOST_AUTO_TEST_CASE(hh_step_3_spikes_first_crossing_22_334) {
    check_hh_spikes("hh-step", 3, 22.34);
    const auto result = run(scenario("hh-step"));
    BOOST_TEST_REQUIRE(result.summary.cells.front().n_spikes == 3u);
    BOOST_TEST(std::abs(result.summary.cells.front().first_spike - 22.334) <= 5e-4);
}

BOOST_AUTO_TEST_CASE(hh_ramp_3_spikes_first_sample_above_50_at_144_47) { check_hh_spikes("hh-ramp", 3, 144.47); }

BOOST_AUTO_TEST_CASE(hh_sine_12_spikes_first_at_8_84) { check_hh_spikes("hh-sine", 12, 8.84); }

BOOST_AUTO_TEST_SUITE_END()
