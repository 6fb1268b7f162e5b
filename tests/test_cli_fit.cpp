/// @file test_cli_fit.cpp
/// `soma compare` and `soma fit` end to end: the built `soma` program (SOMA_EXECUTABLE) on recordings the
/// tests make (with soma itself, or written out), started with Boost.Process in a fresh temporary working
/// directory: outputs, a scenario soma run takes, bad input.
/// Never reads the competition's recordings.

#define BOOST_TEST_MODULE soma_test_cli_fit
#include "soma_cli_support.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace soma::test::cli;
using soma::test::TempDir;

/// Field k of a CSV row, as a number.
double field(const std::string& row, std::size_t k) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < k; ++i) start = row.find(',', start) + 1;
    return std::stod(row.substr(start, row.find(',', start) - start));
}

/// A recording made with soma itself: adex driven by a 1000 pA step from a current file sampled every
/// 0.1 ms; its v (17 digits) and current in rec.csv, its spikes rounded to the samples in the competition's
/// format (rec.spiketimes: sample index, count). Returns the spike times of the file.
std::vector<double> make_recording(const fs::path& dir, const fs::path& logs) {
    {
        std::ofstream cur(dir / "cur.csv");
        cur << "t (ms),I (pA)\n";
        for (int k = 0; k < 2000; ++k) cur << fmt::format("{:.1f},{}\n", 0.1 * k, k >= 100 && k < 1900 ? 1000 : 0);
    }
    const auto made = run_soma(dir, logs, {"run", "--model", "adex", "--stimulus", "cur.csv", "--t-stop", "200", "--dt",
                                           "0.05", "--record-interval", "0.1", "--record", "v,I", "--recorder", "csv",
                                           "--output", ".", "--name", "rec", "--summary", "none"});
    BOOST_TEST_REQUIRE(made.code == 0, made);
    std::vector<double> spikes;
    std::ofstream out(dir / "rec.spiketimes");
    const auto table = read_csv(dir / "rec_spikes.csv");
    for (const auto& row : table.rows) {
        const long index = std::lround(field(row, 1) / 0.1);
        out << index << " 0\n";
        spikes.push_back(0.1 * static_cast<double>(index));
    }
    fs::remove(dir / "rec_spikes.csv");
    fs::remove(dir / "rec_cells.csv");
    return spikes;
}

/// Gamma written out in the test (Jolivet et al. 2008): coincidences within +-2 ms, each recorded spike
/// matched to at most one model spike (by trying every pairing in time order, which the trains here,
/// with spikes far more than 4 ms apart, make unambiguous), chance-corrected with the model's rate.
double gamma_of(const std::vector<double>& model, const std::vector<double>& data, double duration) {
    std::vector<bool> used(model.size(), false);
    double n_coinc = 0;
    for (const double t : data) {
        for (std::size_t j = 0; j < model.size(); ++j) {
            if (!used[j] && std::abs(model[j] - t) <= 2.0) {
                used[j] = true;
                ++n_coinc;
                break;
            }
        }
    }
    const double rate = static_cast<double>(model.size()) / duration;  // 1/ms
    const double expected = 2 * rate * 2.0 * static_cast<double>(data.size());
    return (n_coinc - expected) / (0.5 * static_cast<double>(model.size() + data.size())) / (1 - 2 * rate * 2.0);
}

/// Writes DIR/NAME.voltage (sample, current in pA, V in mV) and DIR/NAME.spiketimes (sample, count): a
/// current with a slow and a fast sinusoid, a flat trace at -65 mV with spikes every 40 samples from `first`.
void write_recording(const fs::path& dir, const std::string& name, int first) {
    std::ofstream voltage(dir / (name + ".voltage")), spikes(dir / (name + ".spiketimes"));
    for (int k = 0; k < 2500; ++k) {
        const double t = 0.2 * k;
        voltage << fmt::format("{} {:.6f} {:.6f}\n", k, 800 + 300 * std::sin(t / 8) + 150 * std::sin(t / 1.3),
                               (k - first) % 40 == 0 && k >= first ? 20.0 : -65.0);
        if (k >= first && (k - first) % 40 == 0) spikes << fmt::format("{} 1\n", k);
    }
}

}  // namespace

// soma compare end to end on a recording soma makes of adex itself.
BOOST_AUTO_TEST_SUITE(compare)

BOOST_AUTO_TEST_CASE(a_model_against_its_own_recording_and_against_another) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto recorded = make_recording(cwd.path(), logs.path());
    BOOST_TEST_REQUIRE(recorded.size() >= 5u);
    // The same model on the recorded current: every spike coincides (Gamma = 1 exactly, as the formula gives for
    // identical counts all matched), the sampled v is the recorded one bit for bit (RMSE 0).
    const auto same = run_soma(cwd.path(), logs.path(), {"compare", "--model", "adex", "--dt", "0.05", "--recording",
                                                         "rec.csv", "--output", "out", "--name", "same"});
    BOOST_TEST_REQUIRE(same.code == 0, same);
    SOMA_CHECK_CONTAINS(same.err, "spike times from the sibling .spiketimes files");
    const auto n = std::to_string(recorded.size());
    SOMA_CHECK_CONTAINS(read_file(cwd.path() / "out" / "same_compare.csv"),
                        "0,0,\"rec.csv\"," + n + "," + n + "," + n + ",1,,,1,");
    for (const char* file : {"same_compare.png", "same_compare.svg", "same_compare.gp", "same_compare_traces.csv",
                             "same_compare_spikes.csv", "same_compare_summary.json"}) {
        BOOST_TEST(fs::exists(cwd.path() / "out" / file), file);
    }
    // Another cell (stronger adaptation): its Gamma is the formula's on the two trains the figure's data hold.
    const auto other = run_soma(cwd.path(), logs.path(), {"compare", "--model", "adex", "--set", "model.b=120", "--dt",
                                                          "0.05", "--recording", "rec.csv", "--output", "out", "--name",
                                                          "other"});
    BOOST_TEST_REQUIRE(other.code == 0, other);
    std::vector<double> model, data;
    for (const auto& row : read_csv(cwd.path() / "out" / "other_compare_spikes.csv").rows) {
        (field(row, 0) == 0 ? model : data).push_back(field(row, 1));
    }
    BOOST_TEST(data == recorded, boost::test_tools::per_element());
    const auto table = read_csv(cwd.path() / "out" / "other_compare.csv");
    BOOST_TEST_REQUIRE(table.rows.size() == 1u);
    const double gamma = field(table.rows.front(), 6);
    BOOST_TEST(std::abs(gamma - gamma_of(model, data, 200)) <= 1e-12, "Gamma " << gamma);
    BOOST_TEST(gamma < 0.9);
}

BOOST_AUTO_TEST_CASE(bad_recordings_are_refused_and_nothing_is_written) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    (void)make_recording(cwd.path(), logs.path());
    std::ofstream(cwd.path() / "short.csv") << "t (ms),V (mV),I (pA)\n0,-70,0\n0.1,-70,0\n0.2,-70,0\n";
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--recording", "rec.csv", "--recording-dt", "0.3"}, "0.3"},
        {{"--recording", "missing.voltage"}, "missing.voltage"},
        {{"--recording", "rec.csv,short.csv"}, "short.csv"},
        {{"--recording", "rec.csv,rec.csv"}, "rec.csv is given twice as a repetition"},
        {{}, "soma compare needs --recording FILES"},
        {{"--recording", "rec.csv", "--delta", "0"}, "--delta 0 is not allowed"},
        {{"--recording", "rec.csv", "--window", "150:300"}, "--window"},
    };
    for (const auto& [extra, expected] : cases) {
        std::vector<std::string> args{"compare", "--model", "adex", "--dt", "0.05", "--output", "out"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST(result.code != 0, result);
        SOMA_CHECK_CONTAINS(result.err, expected);
        BOOST_TEST(!fs::exists(cwd.path() / "out"), "an output directory was left by: " << expected);
    }
}

BOOST_AUTO_TEST_SUITE_END()


BOOST_AUTO_TEST_SUITE(fit)

// soma fit end to end on two tiny competition-style recordings written here (500 ms at 0.2 ms, spike times in
// sibling .spiketimes files): every output, a scenario that soma run takes, and bad input that writes nothing.
BOOST_AUTO_TEST_CASE(fit_writes_its_outputs_and_a_scenario_soma_run_takes) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_recording(cwd.path(), "a-0", 100);
    write_recording(cwd.path(), "a-1", 101);
    write_recording(cwd.path(), "b-0", 120);
    const std::vector<std::string> common{"fit", "--model", "adex", "--fit", "model.V_T=-55:-45", "--fit",
                                          "model.b=0:100", "--recording-dt", "0.2", "--dt", "0.1",
                                          "--population", "6", "--generations", "2", "--name", "f"};
    auto args = common;
    for (const std::string a : {"--train", "a-0.voltage,a-1.voltage", "--held-out", "b-0.voltage"}) args.push_back(a);
    const auto result = run_soma(cwd.path(), logs.path(), args);
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.err, "train set 'a': 2 repetitions; spike times from the sibling .spiketimes files");
    SOMA_CHECK_CONTAINS(result.out, "best parameters:");
    SOMA_CHECK_CONTAINS(result.out, "model.V_T");
    SOMA_CHECK_CONTAINS(result.out, "training  a");
    SOMA_CHECK_CONTAINS(result.out, "held-out  b-0");
    const fs::path dir = cwd.path() / "soma-output";
    // The fit's table, figure, scenario and summary, and the best parameters against the first training set.
    BOOST_TEST(entries(dir) == (std::vector<std::string>{"f_fit-a_compare.csv", "f_fit-a_compare.gp", "f_fit-a_compare.png",
                                                         "f_fit-a_compare.svg", "f_fit-a_compare_spikes.csv",
                                                         "f_fit-a_compare_traces.csv", "f_fit.csv", "f_fit.gp", "f_fit.ini",
                                                         "f_fit.png", "f_fit.svg", "f_fit_summary.json"}),
               boost::test_tools::per_element());
    const CsvFile table = read_csv(dir / "f_fit.csv");
    BOOST_TEST(table.header == "generation,candidates,best,median,best so far");
    BOOST_TEST(table.rows.size() == 3u);  // the initial population and 2 generations
    SOMA_CHECK_CONTAINS(read_file(dir / "f_fit_summary.json"), "\"held_out\"");
    // The scenario of the best parameters runs as it is, from anywhere.
    const TempDir elsewhere("soma-test-cwd");
    const auto run = run_soma(elsewhere.path(), logs.path(), {"run", (dir / "f_fit.ini").string(), "--recorder", "csv"});
    BOOST_TEST_REQUIRE(run.code == 0, run);
    BOOST_TEST(fs::exists(elsewhere.path() / "soma-output" / "f_fit_run.csv"));
}

BOOST_AUTO_TEST_CASE(bad_fits_write_nothing) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_recording(cwd.path(), "a-0", 100);
    const std::vector<std::string> base{"fit", "--model", "adex", "--recording-dt", "0.2", "--population", "4",
                                        "--generations", "1"};
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--fit", "model.V_t=-55:-45", "--train", "a-0.voltage"}, "did you mean 'V_T'"},
        {{"--fit", "model.V_T", "--train", "a-0.voltage"}, "expected model.NAME=LOW:HIGH"},
        {{"--fit", "model.V_T=-45:-55", "--train", "a-0.voltage"}, "LOW < HIGH"},
        {{"--fit", "model.tau_w=-5:5", "--train", "a-0.voltage"}, "allowed range (0, inf)"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage", "--validate", "a-0.voltage"}, "is also in training set"},
        {{"--fit", "model.V_T=-55:-45"}, "needs at least one --train"},
        {{"--fit", "model.V_T=-55:-45", "--train", "missing.voltage"}, "missing.voltage"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage", "--algorithm", "pso-gen"}, "did you mean 'pso_gen'"},
    };
    for (const auto& [extra, expected] : cases) {
        auto args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST_CONTEXT(extra.front() << " " << extra[1]) {
            BOOST_TEST(result.code == 1, result);
            SOMA_CHECK_CONTAINS(result.err, expected);
            BOOST_TEST(!fs::exists(cwd.path() / "soma-output"));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
