/// @file test_cli_fit.cpp
/// `soma compare` and `soma fit` end to end: the built `soma` program (SOMA_EXECUTABLE) on recordings the
/// tests make (with soma itself, or written out), started with Boost.Process in a fresh temporary working
/// directory: outputs, their metadata, the ownership of outputs between commands, refused options and values.
/// Never reads the competition's recordings.

#define BOOST_TEST_MODULE soma_test_cli_fit
#include "soma_cli_support.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <tuple>
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

// A recording whose times start at 1000 ms (a stretch cut out of a longer one), with its spike times in the
// same clock: its current is played from its first sample at the run's start, so the model that made it
// reproduces it as exactly as the same recording from 0 (every spike, RMSE 0), not 1000 ms late.
BOOST_AUTO_TEST_CASE(a_recording_that_starts_late_is_lined_up_with_the_run) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto recorded = make_recording(cwd.path(), logs.path());
    BOOST_TEST_REQUIRE(recorded.size() >= 5u);
    const auto csv = read_csv(cwd.path() / "rec.csv");
    {
        std::ofstream late(cwd.path() / "late.csv"), spikes(cwd.path() / "late_spikes.csv");
        late << csv.header << "\n";
        for (std::size_t k = 0; k < csv.rows.size(); ++k) {
            const auto& row = csv.rows[k];
            late << fmt::format("{:.1f}", 1000 + 0.1 * static_cast<double>(k)) << row.substr(row.find(',')) << "\n";
        }
        spikes << "t (ms)\n";
        for (const double t : recorded) spikes << fmt::format("{:.1f}\n", 1000 + t);
    }
    fs::rename(cwd.path() / "late_spikes.csv", cwd.path() / "late.spiketimes");
    const auto result = run_soma(cwd.path(), logs.path(), {"compare", "--model", "adex", "--dt", "0.05", "--recording",
                                                           "late.csv", "--output", "out", "--name", "late"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const auto n = std::to_string(recorded.size());
    SOMA_CHECK_CONTAINS(read_file(cwd.path() / "out" / "late_compare.csv"),
                        "0,0,\"late.csv\"," + n + "," + n + "," + n + ",1,,,1,");
    const auto table = read_csv(cwd.path() / "out" / "late_compare.csv");
    BOOST_TEST_REQUIRE(table.rows.size() == 1u);
    BOOST_TEST(field(table.rows.front(), 12) == 0.0, "RMSE " << field(table.rows.front(), 12) << " mV");
    // Its spike times are read in its clock: a spike file from 0 lies outside the trace [1000, 1200) ms.
    std::ofstream(cwd.path() / "late.spiketimes") << "t (ms)\n" << recorded.front() << "\n";
    const auto off = run_soma(cwd.path(), logs.path(), {"compare", "--model", "adex", "--dt", "0.05", "--recording",
                                                        "late.csv", "--output", "out2"});
    BOOST_TEST(off.code != 0, off);
    SOMA_CHECK_CONTAINS(off.err, "is outside the trace of recording 'late.csv', [1000, 1200) ms");
    BOOST_TEST(!fs::exists(cwd.path() / "out2"));
    // A stimulus delay other than the one that lines the current up (-1000 ms here, 0 from 0) is refused.
    fs::remove(cwd.path() / "late.spiketimes");  // spikes detected, then
    const auto delayed = [&](const std::string& file, const std::string& delay) {
        return run_soma(cwd.path(), logs.path(), {"compare", "--model", "adex", "--dt", "0.05", "--recording", file,
                                                  "--set", "stimulus.delay=" + delay, "--output", "out3"});
    };
    for (const auto& [file, delay] : {std::pair{"late.csv", "3"}, std::pair{"rec.csv", "5"}}) {
        const auto refused = delayed(file, delay);
        BOOST_TEST(refused.code != 0, refused);
        SOMA_CHECK_CONTAINS(refused.err, fmt::format("parameter 'delay' = {} ms of the recorded current would shift it "
                                                     "against the recorded trace", delay));
    }
    BOOST_TEST(!fs::exists(cwd.path() / "out3"));
    BOOST_TEST(delayed("late.csv", "-1000").code == 0);
}

// Two recordings whose paths differ only in their digits (00-0 and 0-0) are different inputs: the second
// compare of the same name and title does not replace the first's outputs without --force.
BOOST_AUTO_TEST_CASE(recordings_named_alike_are_different_runs) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_recording(cwd.path(), "00-0", 5);
    write_recording(cwd.path(), "0-0", 17);
    const auto compare = [&](const std::string& file) {
        return run_soma(cwd.path(), logs.path(), {"compare", "--model", "adex", "--dt", "0.1", "--recording-dt", "0.2",
                                                  "--recording", file, "--output", "out", "--name", "same", "--title",
                                                  "T"});
    };
    const auto first = compare("00-0.voltage");
    BOOST_TEST_REQUIRE(first.code == 0, first);
    const std::string before = read_file(cwd.path() / "out" / "same_compare.csv");
    const auto second = compare("0-0.voltage");
    BOOST_TEST(second.code != 0, second);
    SOMA_CHECK_CONTAINS(second.err, "--force");
    BOOST_TEST(read_file(cwd.path() / "out" / "same_compare.csv") == before);
}

// Spikes detected on a trace without a spike file: upward crossings of --spike-threshold, those within
// --spike-window ms of a spike ignored. The trace's spikes peak at -10 mV, at 20, 20.6 and 60 ms.
BOOST_AUTO_TEST_CASE(spike_detection_options) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    {
        std::ofstream trace(cwd.path() / "low.csv");
        trace << "t (ms),V (mV),I (pA)\n";
        for (int k = 0; k < 500; ++k) trace << fmt::format("{:.1f},{},500\n", 0.2 * k, k == 100 || k == 103 || k == 300 ? -10 : -65);
    }
    const auto recorded = [&](const std::vector<std::string>& extra, const std::string& name) {
        std::vector<std::string> args{"compare", "--model", "adex", "--dt", "0.1", "--recording", "low.csv", "--output",
                                      "out", "--name", name};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST_REQUIRE(result.code == 0, result);
        const auto table = read_csv(cwd.path() / "out" / (name + "_compare.csv"));
        BOOST_TEST_REQUIRE(table.rows.size() == 1u);
        return std::pair{field(table.rows.front(), 4), result.err};
    };
    const auto [by_default, note] = recorded({}, "default");
    BOOST_TEST(by_default == 0.0);
    SOMA_CHECK_CONTAINS(note, "no spike detected (upward crossings of 0 mV, 0.5 ms apart at least)");
    BOOST_TEST(recorded({"--spike-threshold", "-20"}, "low").first == 3.0);
    BOOST_TEST(recorded({"--spike-threshold", "-20", "--spike-window", "1"}, "window").first == 2.0);
    BOOST_TEST(recorded({"--spike-threshold", "-20"}, "low2").second.find("do not choose") == std::string::npos);
    // With a spike file for every recording, the options do nothing, and a note says so.
    std::ofstream(cwd.path() / "low.spiketimes") << "t (ms)\n20\n60\n";
    const auto [from_file, unused] = recorded({"--spike-threshold", "-20"}, "file");
    BOOST_TEST(from_file == 2.0);
    SOMA_CHECK_CONTAINS(unused, "--spike-threshold and --spike-window do not choose the spikes here: every recording "
                                "has a spike file");
    for (const auto& [extra, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--spike-window", "-1"}, "--spike-window -1 is not allowed; give a number in [0, 50] ms"},
             {{"--spike-window", "7000"}, "--spike-window 7000 is not allowed; give a number in [0, 50] ms"},
             {{"--spike-threshold", "nan"}, "--spike-threshold 'nan' is not allowed; give a finite number (mV)"}}) {
        std::vector<std::string> args{"compare", "--model", "adex", "--dt", "0.1", "--recording", "low.csv", "--output",
                                      "bad"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST(result.code != 0, result);
        SOMA_CHECK_CONTAINS(result.err, expected);
        BOOST_TEST(!fs::exists(cwd.path() / "bad"));
    }
}

BOOST_AUTO_TEST_CASE(bad_recordings_are_refused_and_nothing_is_written) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    (void)make_recording(cwd.path(), logs.path());
    std::ofstream(cwd.path() / "short.csv") << "t (ms),V (mV),I (pA)\n0,-70,0\n0.1,-70,0\n0.2,-70,0\n";
    fs::copy_file(cwd.path() / "rec.csv", cwd.path() / "recopy.csv");  // a copy, with its spike times
    fs::copy_file(cwd.path() / "rec.spiketimes", cwd.path() / "recopy.spiketimes");
    fs::copy_file(cwd.path() / "rec.csv", cwd.path() / (std::string(120, 'l') + ".csv"));
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--recording", "rec.csv", "--recording-dt", "0.3"}, "0.3"},
        {{"--recording", "missing.voltage"}, "missing.voltage"},
        {{"--recording", "rec.csv,short.csv"}, "short.csv"},
        {{"--recording", "rec.csv,rec.csv"}, "rec.csv is given twice as a repetition"},
        {{"--recording", "rec.csv,recopy.csv"}, "recopy.csv is the same recording as rec.csv"},
        {{"--recording", "rec.spiketimes"}, "'rec.spiketimes' is a spike file: give the voltage files"},
        {{"--recording", std::string(5000, 'a') + ".csv"}, ".csv' cannot be read: File name too long"},
        {{"--recording", std::string(120, 'l') + ".csv"}, "the output name MODEL-SET (from the model and the recordings' names; --name "
                                      "gives another) 'adex-" + std::string(120, 'l')},
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
    SOMA_CHECK_CONTAINS(result.err, "training set 'a': 2 repetitions; spike times from the sibling .spiketimes files");
    // write_recording gives every set the same current: b-0 is another trial of a's stimulus, and the note says so.
    SOMA_CHECK_CONTAINS(result.err, "held-out set 'b-0' records the stimulus of training set 'a' (their currents agree "
                                    "within 10 % RMS): its scores say how well the fit predicts other trials");
    SOMA_CHECK_CONTAINS(result.out, "best parameters:");
    SOMA_CHECK_CONTAINS(result.out, "model.V_T");
    SOMA_CHECK_CONTAINS(result.out, "training  a");
    SOMA_CHECK_CONTAINS(result.out, "held-out  b-0");
    const fs::path dir = cwd.path() / "soma-output";
    // The fit's table, figure, scenario and summary, and the best parameters against every set.
    // The comparisons: the training set's and the held-out set's.
    BOOST_TEST(entries(dir) == (std::vector<std::string>{"f_fit-a_compare.csv", "f_fit-a_compare.gp", "f_fit-a_compare.png",
                                                         "f_fit-a_compare.svg", "f_fit-a_compare_spikes.csv",
                                                         "f_fit-a_compare_traces.csv", "f_fit-b-0_compare.csv",
                                                         "f_fit-b-0_compare.gp", "f_fit-b-0_compare.png",
                                                         "f_fit-b-0_compare.svg", "f_fit-b-0_compare_spikes.csv",
                                                         "f_fit-b-0_compare_traces.csv", "f_fit.csv", "f_fit.gp", "f_fit.ini",
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
    // soma compare takes the scenario for its parameters, not for its stimulus (set a's recorded current): a
    // recording of another current is compared with the model driven by that current, as with the parameters
    // given on the command line.
    {
        std::ofstream other(cwd.path() / "c-0.voltage");
        for (int k = 0; k < 2500; ++k) other << fmt::format("{} {:.6f} -65\n", k, 1200 + 200 * std::sin(0.2 * k / 5));
    }
    const std::string ini = read_file(dir / "f_fit.ini");
    const auto value_of = [&](const std::string& key) {
        const auto at = ini.find("\n" + key + " = ");
        BOOST_TEST_REQUIRE(at != std::string::npos, key);
        const auto start = at + key.size() + 4;
        return ini.substr(start, ini.find('\n', start) - start);
    };
    const auto by_ini = run_soma(cwd.path(), logs.path(), {"compare", (dir / "f_fit.ini").string(), "--recording-dt",
                                                           "0.2", "--recording", "c-0.voltage", "--name", "by-ini"});
    BOOST_TEST_REQUIRE(by_ini.code == 0, by_ini);
    SOMA_CHECK_CONTAINS(by_ini.err, "ignoring 'stimulus = ");
    SOMA_CHECK_CONTAINS(by_ini.err, "the model is driven by the current recorded in c-0.voltage");
    const auto by_hand = run_soma(cwd.path(), logs.path(),
                                  {"compare", "--model", "adex", "--set", "model.V_T=" + value_of("V_T"), "--set",
                                   "model.b=" + value_of("b"), "--dt", "0.1", "--recording-dt", "0.2", "--recording",
                                   "c-0.voltage", "--name", "by-hand"});
    BOOST_TEST_REQUIRE(by_hand.code == 0, by_hand);
    const auto spikes_of = [&](const std::string& name) {
        return field(read_csv(dir / (name + "_compare.csv")).rows.at(0), 3);
    };
    BOOST_TEST(spikes_of("by-ini") == spikes_of("by-hand"));
    BOOST_TEST(spikes_of("by-ini") > 0.0);
}

BOOST_AUTO_TEST_CASE(bad_fits_write_nothing) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_recording(cwd.path(), "a-0", 100);
    fs::copy_file(cwd.path() / "a-0.voltage", cwd.path() / "copy-0.voltage");  // the same trace under another name
    fs::copy_file(cwd.path() / "a-0.spiketimes", cwd.path() / "copy-0.spiketimes");
    {
        std::ofstream quiet(cwd.path() / "quiet-0.voltage");  // a cell at rest: no spike file, none detected
        for (int k = 0; k < 2500; ++k) quiet << fmt::format("{} 0 -65\n", k);
    }
    const std::vector<std::string> base{"fit", "--model", "adex", "--recording-dt", "0.2", "--population", "4",
                                        "--generations", "1"};
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--fit", "model.V_t=-55:-45", "--train", "a-0.voltage"}, "did you mean 'V_T'"},
        {{"--fit", "model.V_T", "--train", "a-0.voltage"}, "expected model.NAME=LOW:HIGH"},
        {{"--fit", "model.V_T=-45:-55", "--train", "a-0.voltage"}, "LOW < HIGH"},
        {{"--fit", "model.tau_w=-5:5", "--train", "a-0.voltage"}, "allowed range (0, inf)"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage", "--validate", "a-0.voltage"},
         "a-0.voltage is also in training set 'a-0' (the same file)"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage", "--validate", "copy-0.voltage"},
         "copy-0.voltage is also in training set 'a-0' (the same trace as a-0.voltage)"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage", "--train", "./a-0.voltage"},
         "training set 'a-0': ./a-0.voltage is also in another training set of that name (the same file); give each "
         "recording once"},
        // A reset above the threshold with no refractory period: at dt = 0.01 ms the reset cannot hold any
        // candidate below threshold; at 0.2 ms, with the reset 10 to 20 mV above V_T, each fires far above 250 Hz.
        {{"--fit", "model.V_r=-30:-1", "--set", "model.V_T=-50", "--set", "model.t_ref=0", "--train", "a-0.voltage"},
         "no candidate of the initial population could be simulated with model 'adex' and these bounds; the last one: "},
        {{"--fit", "model.V_r=-40:-30", "--set", "model.V_T=-50", "--set", "model.t_ref=0", "--train", "a-0.voltage",
          "--dt", "0.2"},
         "every candidate of the initial population that ran fired at 250 Hz or faster (1 / (2 delta), delta = 2 ms) in every "
         "training set"},
        {{"--fit", "model.V_T=-55:-45"}, "needs at least one --train"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage,copy-0.voltage"},
         "copy-0.voltage is the same recording as a-0.voltage (the same trace and spike times)"},
        // V_r must stay below V_peak = 0 mV: the model refuses every candidate, and the fit says so.
        {{"--fit", "model.V_r=1:10", "--train", "a-0.voltage"},
         "model 'adex' refused all 4 candidates of the initial population, e.g. the first: "},
        {{"--fit", "model.V_T=-55:-45", "--train", "quiet-0.voltage"},
         "--objective gamma-count: no training recording has a spike, so there are no spike times or counts to fit; "
         "use --objective subthreshold"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage", "--set", "stimulus.sample_interval=0.1"},
         "parameter 'sample_interval' = 0.1 ms of the recorded current would stretch it against the recorded trace of "
         "'a-0.voltage', sampled every 0.2 ms (--recording-dt); leave 'sample_interval' out"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage", "--objective", "weighted", "--weight", "1e308"},
         "--weight 1e+308 is not allowed; give a number in [0, 100]"},
        {{"--fit", "model.V_T=-55:-45", "--train", "a-0.voltage", "--objective", "weighted", "--weight", "nan"},
         "option '--weight': 'nan' is not a finite number"},
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

// What a fresh user of soma compare and soma fit ran into.
BOOST_AUTO_TEST_SUITE(review)

namespace {

/// The fit of the two tiny sets: training 'a' (2 repetitions), held-out 'b-0', 2 generations of 6 candidates.
std::vector<std::string> small_fit(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"fit",          "--model",       "adex", "--fit", "model.V_T=-55:-45", "--fit",
                                  "model.b=0:100", "--recording-dt", "0.2",  "--dt",  "0.1",
                                  "--population", "6",             "--generations", "2", "--name", "f",
                                  "--train",      "a-0.voltage,a-1.voltage", "--held-out", "b-0.voltage"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

void write_sets(const fs::path& dir) {
    write_recording(dir, "a-0", 100);
    write_recording(dir, "a-1", 101);
    write_recording(dir, "b-0", 120);
}

/// The `# title: ` line of a table's metadata.
std::string title_of(const fs::path& table) {
    for (const auto& line : read_csv(table).comments) {
        if (line.starts_with("# title: ")) return line.substr(9);
    }
    return "(no title line)";
}

}  // namespace

// The comparison files of a fit (NAME_fit-SET_compare.*) are the fit's outputs: a later different command that
// would write them (soma compare --name NAME_fit-SET) is refused without --force, and the other way round; the
// same command again replaces its own.
BOOST_AUTO_TEST_CASE(a_fits_comparison_files_are_owned_by_the_fit) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    const fs::path dir = cwd.path() / "soma-output";
    auto result = run_soma(cwd.path(), logs.path(), small_fit());
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const std::string fitted = read_file(dir / "f_fit-a_compare.csv");
    const auto fitted_rows = read_csv(dir / "f_fit-a_compare.csv").rows;
    result = run_soma(cwd.path(), logs.path(), small_fit());  // the same command replaces its own outputs
    BOOST_TEST_REQUIRE(result.code == 0, result);

    const std::vector<std::string> compare{"compare", "--model", "adex", "--dt", "0.1", "--recording-dt", "0.2",
                                           "--recording", "a-0.voltage,a-1.voltage", "--name", "f_fit-a"};
    result = run_soma(cwd.path(), logs.path(), compare);
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "'f_fit-a_compare.csv' in 'soma-output' is an output of a different run (soma fit "
                                    "--model adex");
    SOMA_CHECK_CONTAINS(result.err, "as soma-output/f_fit_summary.json records); give another --name (or --output) "
                                    "to keep it, or --force to replace it");
    BOOST_TEST(read_file(dir / "f_fit-a_compare.csv") == fitted, "the refused compare changed the fit's table");
    BOOST_TEST(!fs::exists(dir / "f_fit-a_compare_summary.json"));
    BOOST_TEST(!fs::exists(dir / ".f_fit-a.lock"), "a refused command left its lock");

    auto forced = compare;
    forced.push_back("--force");
    result = run_soma(cwd.path(), logs.path(), forced);
    BOOST_TEST_REQUIRE(result.code == 0, result);
    BOOST_TEST(read_file(dir / "f_fit-a_compare.csv") != fitted);
    result = run_soma(cwd.path(), logs.path(), forced);  // now the compare's own: replaced again
    BOOST_TEST_REQUIRE(result.code == 0, result);

    // The fit again: the comparison is soma compare's now.
    result = run_soma(cwd.path(), logs.path(), small_fit());
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "'f_fit-a_compare.csv' in 'soma-output' is an output of a different run (soma "
                                    "compare --model adex");
    SOMA_CHECK_CONTAINS(result.err, "soma-output/f_fit-a_compare_summary.json records");
    result = run_soma(cwd.path(), logs.path(), small_fit({"--force"}));
    BOOST_TEST_REQUIRE(result.code == 0, result);
    // The same rows as the first time (the metadata differ: the command line has --force).
    BOOST_TEST(read_csv(dir / "f_fit-a_compare.csv").rows == fitted_rows, boost::test_tools::per_element());
    result = run_soma(cwd.path(), logs.path(), small_fit());  // the fit's again
    BOOST_TEST(result.code == 0, result);
}

// A held-out set whose files are named like a training set's (another directory): its comparison's outputs
// are NAME_fit-SET-K, with the first K that no set's own name takes, and the score table labels it so.
BOOST_AUTO_TEST_CASE(sets_named_alike_are_labelled_as_their_outputs) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    fs::create_directory(cwd.path() / "other");
    write_recording(cwd.path(), "a-0", 100);
    write_recording(cwd.path() / "other", "a-0", 113);
    write_recording(cwd.path(), "a-0-2", 107);  // a set whose own name is the first suffix: it keeps its name
    auto args = small_fit();
    args.resize(args.size() - 4);
    for (const std::string a : {"--train", "a-0.voltage", "--held-out", "other/a-0.voltage", "--held-out",
                                "a-0-2.voltage"}) {
        args.push_back(a);
    }
    const auto result = run_soma(cwd.path(), logs.path(), args);
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "training  a-0 ");
    SOMA_CHECK_CONTAINS(result.out, "held-out  a-0-3 ");
    SOMA_CHECK_CONTAINS(result.out, "held-out  a-0-2 ");
    for (const char* name : {"f_fit-a-0_compare.csv", "f_fit-a-0-2_compare.csv", "f_fit-a-0-3_compare.csv"}) {
        BOOST_TEST(fs::exists(cwd.path() / "soma-output" / name), name);
    }
}

// The data files' metadata say what they are, not the run's default title ("adex, step stimulus, euler").
BOOST_AUTO_TEST_CASE(tables_are_titled_by_what_they_hold) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    const fs::path dir = cwd.path() / "soma-output";
    auto result = run_soma(cwd.path(), logs.path(),
                           {"compare", "--model", "adex", "--dt", "0.1", "--recording-dt", "0.2", "--recording",
                            "a-0.voltage,a-1.voltage"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    BOOST_TEST(title_of(dir / "adex-a_compare.csv") == "adex compared with set 'a'");
    result = run_soma(cwd.path(), logs.path(),
                      {"compare", "--model", "adex", "--dt", "0.1", "--recording-dt", "0.2", "--recording",
                       "a-0.voltage", "--title", "my own", "--name", "own"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    BOOST_TEST(title_of(dir / "own_compare.csv") == "my own");

    result = run_soma(cwd.path(), logs.path(), small_fit());
    BOOST_TEST_REQUIRE(result.code == 0, result);
    BOOST_TEST(title_of(dir / "f_fit-a_compare.csv") == "adex fitted to set 'a', compared with training set 'a'");
    BOOST_TEST(title_of(dir / "f_fit-b-0_compare.csv") == "adex fitted to set 'a', compared with held-out set 'b-0'");
    const auto summary = nlohmann::json::parse(read_file(dir / "f_fit_summary.json"));
    BOOST_TEST(summary["run"]["title"].get<std::string>() == "adex fitted to set 'a'");
}

// The figure of the fit counts generations in whole numbers; every training and held-out set has its comparison,
// listed in the summary.
BOOST_AUTO_TEST_CASE(fit_figure_has_whole_generations_and_every_set_a_comparison) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    write_recording(cwd.path(), "c-0", 110);
    const fs::path dir = cwd.path() / "soma-output";
    const auto result = run_soma(cwd.path(), logs.path(), small_fit({"--train", "c-0.voltage"}));
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const std::string script = read_file(dir / "f_fit.gp");
    SOMA_CHECK_CONTAINS(script, "set xrange [0:2]\nset xtics 0,1\nset mxtics 1\n");
    const auto summary = nlohmann::json::parse(read_file(dir / "f_fit_summary.json"));
    std::vector<std::string> outputs;
    for (const auto& o : summary["outputs"]) outputs.push_back(fs::path(o.get<std::string>()).filename().string());
    for (const std::string set : {"a", "c-0", "b-0"}) {
        for (const std::string suffix : {"_compare.csv", "_compare_traces.csv", "_compare_spikes.csv", "_compare.gp",
                                         "_compare.png", "_compare.svg"}) {
            const std::string file = "f_fit-" + set + suffix;
            BOOST_TEST(fs::exists(dir / file), file);
            BOOST_TEST(std::ranges::count(outputs, file) == 1, file << " in the summary's outputs");
        }
    }
    const auto& comparisons = summary["fit"]["comparisons"];
    BOOST_TEST_REQUIRE(comparisons.size() == 3u);
    BOOST_TEST(comparisons[2]["set"].get<std::string>() == "b-0");
    BOOST_TEST(comparisons[2]["kind"].get<std::string>() == "held-out");
    BOOST_TEST(comparisons[2]["name"].get<std::string>() == "f_fit-b-0");
    // The held-out comparison scores what the terminal reports for the held-out set.
    const auto table = read_csv(dir / "f_fit-b-0_compare.csv");
    BOOST_TEST_REQUIRE(table.rows.size() == 1u);
    const double gamma = field(table.rows.front(), 6);
    const double reported = summary["fit"]["held_out"][0]["gamma"].get<double>();
    BOOST_TEST(gamma == reported, "Gamma " << gamma << " against " << reported);
    // Generations in the fit's script: the window of 30 generations has tics every 5.
    const auto longer = run_soma(cwd.path(), logs.path(),
                                 {"fit", "--model", "adex", "--fit", "model.V_T=-55:-45", "--recording-dt", "0.2",
                                  "--dt", "0.1", "--population", "2", "--generations", "30", "--train", "a-0.voltage",
                                  "--name", "g", "--summary", "none"});
    BOOST_TEST_REQUIRE(longer.code == 0, longer);
    SOMA_CHECK_CONTAINS(read_file(dir / "g_fit.gp"), "set xrange [0:30]\nset xtics 0,5\n");
}

// fit.ini holds the shortest text that reads back as each number (0.1, not 0.10000000000000001).
BOOST_AUTO_TEST_CASE(fit_scenario_writes_shortest_numbers) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    const auto result = run_soma(cwd.path(), logs.path(), small_fit());
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const std::string ini = read_file(cwd.path() / "soma-output" / "f_fit.ini");
    SOMA_CHECK_CONTAINS(ini, "\nt_stop = 500\ndt = 0.1\nrecord_interval = 0.2\n");
    SOMA_CHECK_CONTAINS(ini, "\nsample_interval = 0.2\n");
    BOOST_TEST(ini.find("0000000") == std::string::npos, ini);
    const auto summary = nlohmann::json::parse(read_file(cwd.path() / "soma-output" / "f_fit_summary.json"));
    for (const auto& p : summary["fit"]["parameters"]) {
        const std::string name = p["name"].get<std::string>().substr(6);  // without "model."
        SOMA_CHECK_CONTAINS(ini, fmt::format("\n{} = {}\n", name, p["best"].get<double>()));
    }
}

// A --dt that does not divide the recordings' step is refused with a --dt that does (not a record interval), for
// soma fit before it fits.
BOOST_AUTO_TEST_CASE(a_dt_that_does_not_divide_the_recording_step_gets_a_dt_hint) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    auto result = run_soma(cwd.path(), logs.path(),
                           {"compare", "--model", "adex", "--dt", "0.03", "--recording-dt", "0.2", "--recording",
                            "a-0.voltage"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "set 'a-0': the recordings' sampling step 0.2 ms is not a whole multiple of dt = "
                                    "0.03 ms, and the model's membrane potential is compared at their samples; give a "
                                    "--dt that divides 0.2 ms, e.g. --dt 0.025\n");
    BOOST_TEST(result.err.find("record_interval") == std::string::npos, result.err);
    result = run_soma(cwd.path(), logs.path(),
                      {"compare", "--model", "adex", "--dt", "0.3", "--recording-dt", "0.2", "--recording", "a-0.voltage"});
    SOMA_CHECK_CONTAINS(result.err, "e.g. --dt 0.2\n");
    auto fit = small_fit();
    fit[std::ranges::find(fit, std::string("--dt")) - fit.begin() + 1] = "0.03";
    result = run_soma(cwd.path(), logs.path(), fit);
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "set 'a': the recordings' sampling step 0.2 ms is not a whole multiple of dt = "
                                    "0.03 ms");
    SOMA_CHECK_CONTAINS(result.err, "e.g. --dt 0.025\n");
    check_no_output(cwd.path() / "soma-output");
}

// soma run's options that do not apply are refused with the reason; a scenario file's such keys are ignored with a
// note; --help shows only what applies, with the command's defaults.
BOOST_AUTO_TEST_CASE(options_that_do_not_apply_are_refused_and_not_shown) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    const std::vector<std::string> compare{"compare", "--model", "adex", "--dt", "0.1", "--recording-dt", "0.2",
                                           "--recording", "a-0.voltage"};
    const std::vector<std::tuple<std::vector<std::string>, std::vector<std::string>, std::string>> cases{
        {compare, {"--t-stop", "100"}, "--t-stop does not apply to soma compare: the run lasts as long as the recording"},
        {compare, {"--record", "v"}, "--record does not apply to soma compare:"},
        {compare, {"--recorder", "csv"}, "--recorder does not apply to soma compare:"},
        {compare, {"--record-interval", "0.2"}, "--record-interval does not apply to soma compare: the membrane "
                                                "potential is sampled at the recording's step"},
        {small_fit(), {"--cells", "3"}, "--cells does not apply to soma fit: the cells are the candidates (--population "
                                        "sets their number)"},
        {small_fit(), {"--t-stop", "100"}, "--t-stop does not apply to soma fit: the run lasts as long as the recording"},
        {small_fit(), {"--stimulus", "step"}, "--stimulus does not apply to soma fit: each set is driven by its own "
                                              "recorded current"},
        {small_fit(), {"--cells-from", "cells.csv"}, "--cells-from does not apply to soma fit:"},
    };
    for (const auto& [base, extra, expected] : cases) {
        auto args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST_CONTEXT(args.front() << " " << extra.front()) {
            BOOST_TEST(result.code == 1, result);
            SOMA_CHECK_CONTAINS(result.err, expected);
            BOOST_TEST(!fs::exists(cwd.path() / "soma-output"));
        }
    }
    // A scenario file made for soma run: its t_stop and record_interval are ignored, with a note.
    std::ofstream(cwd.path() / "s.ini") << "model = adex\nt_stop = 100\nrecord_interval = 0.5\ndt = 0.1\n";
    const auto from_file = run_soma(cwd.path(), logs.path(),
                                    {"compare", "s.ini", "--recording-dt", "0.2", "--recording", "a-0.voltage"});
    BOOST_TEST_REQUIRE(from_file.code == 0, from_file);
    SOMA_CHECK_CONTAINS(from_file.err, "ignoring 't_stop' of scenario file s.ini: it does not apply to soma compare: the "
                                       "run lasts as long as the recording");
    SOMA_CHECK_CONTAINS(from_file.err, "ignoring 'record_interval' of scenario file s.ini");
    SOMA_CHECK_CONTAINS(read_file(cwd.path() / "soma-output" / "s_compare.csv"), "t_stop: 500 ms");

    const auto compare_help = run_soma(cwd.path(), logs.path(), {"compare", "--help"});
    BOOST_TEST_REQUIRE(compare_help.code == 0, compare_help);
    const auto fit_help = run_soma(cwd.path(), logs.path(), {"fit", "--help"});
    BOOST_TEST_REQUIRE(fit_help.code == 0, fit_help);
    for (const auto* help : {&compare_help.out, &fit_help.out}) {
        for (const char* absent : {"--t-stop MS", "--record LIST", "--record-cells LIST", "--record-interval MS",
                                   "--recorder NAME",
                                   "length of the run, ms", "MODEL-STIMULUS", "--preset ...",
                                   "title of the figure"}) {
            BOOST_TEST(help->find(absent) == std::string::npos, "'" << absent << "' in:\n" << *help);
        }
        SOMA_CHECK_CONTAINS(*help, "--delta MS");
        SOMA_CHECK_CONTAINS(*help, "coincidence window of Gamma, +-ms, in (0, 50] and at most half of the");
    }
    SOMA_CHECK_CONTAINS(compare_help.out, "(default: MODEL-SET,");
    SOMA_CHECK_CONTAINS(compare_help.out, "(default: 'MODEL compared with");
    SOMA_CHECK_CONTAINS(compare_help.out, "--cells N");
    for (const char* absent : {"--cells N", "--cells-from FILE", "--stimulus NAME"}) {
        BOOST_TEST(fit_help.out.find(absent) == std::string::npos, "'" << absent << "' in soma fit --help");
    }
    SOMA_CHECK_CONTAINS(fit_help.out, "base name of output files (default: the model's name)");
    SOMA_CHECK_CONTAINS(fit_help.out, "(default: 'MODEL fitted to");
    SOMA_CHECK_CONTAINS(fit_help.out, "candidates per generation, run as one population, 2 to 100000");
}

// --delta must be a coincidence window: more than 0, at most 50 ms and at most half the recording.
BOOST_AUTO_TEST_CASE(delta_is_bounded) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    {
        std::ofstream shorter(cwd.path() / "short.csv");  // 60 ms
        shorter << "t (ms),V (mV),I (pA)\n";
        for (int k = 0; k < 300; ++k) shorter << fmt::format("{:.1f},{},500\n", 0.2 * k, k % 100 == 50 ? 20 : -65);
    }
    const std::vector<std::string> compare{"compare", "--model", "adex", "--dt", "0.1", "--recording-dt", "0.2",
                                           "--recording", "a-0.voltage", "--delta"};
    const std::vector<std::pair<std::string, std::string>> cases{
        {"0", "--delta 0 is not allowed; the coincidence window must be in (0, 50] ms (2 ms in the competition)"},
        {"-1", "--delta -1 is not allowed; the coincidence window must be in (0, 50] ms"},
        {"60", "--delta 60 is not allowed; the coincidence window must be in (0, 50] ms"},
        {"inf", "--delta 'inf' is not allowed; give a finite number in (0, 50] ms"},
        {"nan", "--delta 'nan' is not allowed; give a finite number in (0, 50] ms"},
    };
    for (const auto& [value, expected] : cases) {
        auto args = compare;
        args.push_back(value);
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST_CONTEXT("--delta " << value) {
            BOOST_TEST(result.code == 1, result);
            SOMA_CHECK_CONTAINS(result.err, expected);
        }
        auto fit = small_fit({"--delta", value});
        const auto fitted = run_soma(cwd.path(), logs.path(), fit);
        BOOST_TEST_CONTEXT("soma fit --delta " << value) {
            BOOST_TEST(fitted.code == 1, fitted);
            SOMA_CHECK_CONTAINS(fitted.err, expected);
        }
    }
    auto result = run_soma(cwd.path(), logs.path(),
                           {"compare", "--model", "adex", "--dt", "0.1", "--recording", "short.csv", "--delta", "40"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--delta 40 is not allowed for set 'short' of 60 ms; the coincidence window must be "
                                    "in (0, 30] ms, at most half of the recording");
    result = run_soma(cwd.path(), logs.path(), small_fit({"--held-out", "short.csv", "--delta", "31"}));
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--delta 31 is not allowed for set 'short' of 60 ms");
    check_no_output(cwd.path() / "soma-output");
    result = run_soma(cwd.path(), logs.path(),
                      {"compare", "--model", "adex", "--dt", "0.1", "--recording", "short.csv", "--delta", "30"});
    BOOST_TEST(result.code == 0, result);
}

// --population: one rule (at least 2, for pso_gen's ring of neighbours and gaco's archive) and one message.
BOOST_AUTO_TEST_CASE(population_rule_and_message_agree) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    for (const std::string algorithm : {"pso_gen", "gaco"}) {
        for (const std::string n : {"0", "1", "1.5", "100001"}) {
            auto args = small_fit({"--algorithm", algorithm});
            args[std::ranges::find(args, std::string("--population")) - args.begin() + 1] = n;
            const auto result = run_soma(cwd.path(), logs.path(), args);
            BOOST_TEST_CONTEXT(algorithm << " --population " << n) {
                BOOST_TEST(result.code == 1, result);
                SOMA_CHECK_CONTAINS(result.err, "--population " + n + " is not allowed; give a whole number from 2 to "
                                                                      "100000");
            }
        }
        // --force: the second algorithm's fit replaces the first's outputs of the same name.
        auto args = small_fit({"--algorithm", algorithm, "--summary", "none", "--force"});
        args[std::ranges::find(args, std::string("--population")) - args.begin() + 1] = "2";
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST_CONTEXT(algorithm << " --population 2") {
            BOOST_TEST(result.code == 0, result);
            SOMA_CHECK_CONTAINS(result.out, "2 candidates x 2 generations");
        }
    }
}

// A candidate whose state diverges scores worst and the fit goes on. adex with an unstable adaptation (a below
// -g_L = -30 nS, fast: tau_w = 1 ms, C = 10 pF) driven below rest (the recorded current minus 1500 pA) runs away to
// -infinity within the 500 ms (a = -200 nS: w is infinite at 306 ms), while a >= -30 nS stays at rest.
BOOST_AUTO_TEST_CASE(diverging_candidates_score_worst_and_the_fit_goes_on) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    write_sets(cwd.path());
    const fs::path dir = cwd.path() / "soma-output";
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"fit", "--model", "adex", "--fit", "model.a=-1000:0", "--set", "model.tau_w=1", "--set",
                                  "model.C=10", "--set", "stimulus.offset=-1500", "--objective", "subthreshold",
                                  "--train", "a-0.voltage,a-1.voltage", "--held-out", "b-0.voltage", "--recording-dt",
                                  "0.2", "--dt", "0.1", "--population", "8", "--generations", "3", "--seed", "1",
                                  "--name", "d"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const auto summary = nlohmann::json::parse(read_file(dir / "d_fit_summary.json"));
    const auto& fit = summary["fit"];
    const auto diverged = fit["diverged_candidates"].get<std::size_t>();
    BOOST_TEST(diverged > 0u);
    BOOST_TEST(diverged < 32u);
    SOMA_CHECK_CONTAINS(result.out, fmt::format("32 candidates evaluated, {} diverged (scored worst)", diverged));
    BOOST_TEST(fit["evaluations"].get<std::size_t>() == 32u);
    BOOST_TEST(fit["per_generation"].size() == 4u);  // every generation ran
    // The best is a candidate that did not diverge (a stable adaptation) and has a finite RMSE, also held out.
    const double a = fit["parameters"][0]["best"].get<double>();
    BOOST_TEST(a > -150.0, "best a = " << a);
    BOOST_TEST(std::isfinite(fit["best_score"].get<double>()));
    BOOST_TEST(std::isfinite(fit["held_out"][0]["rmse_mV"].get<double>()));
    for (const auto& g : fit["per_generation"]) BOOST_TEST(std::isfinite(g["best_so_far"].get<double>()));
    // A silent model is not news for the subthreshold objective: no note about Gamma.
    BOOST_TEST(result.err.find("a silent model scores Gamma = 0") == std::string::npos, result.err);
    // Its scenario runs as it is, without diverging.
    const auto run = run_soma(cwd.path(), logs.path(), {"run", (dir / "d_fit.ini").string(), "--recorder", "none"});
    BOOST_TEST(run.code == 0, run);
}

BOOST_AUTO_TEST_SUITE_END()
