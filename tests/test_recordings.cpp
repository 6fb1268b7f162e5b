/// @file test_recordings.cpp
/// Recordings and spike files (libsoma_fitting's recording.hpp), from small files written here (plain and
/// gzip-compressed) in the formats of the 2007 competition and CSV: the values read against the values
/// written, the sampling step, the spike detection rules against spike times listed by hand, and bad input
/// with the messages users see. No file of the real recordings is read.

#define BOOST_TEST_MODULE soma_test_recordings
#include "soma_test_support.hpp"

#include "soma/fitting/recording.hpp"

#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <fmt/format.h>

#include <fstream>
#include <string>
#include <vector>

namespace fit = soma::fitting;
using soma::ParameterError;
using soma::test::message_of;
using soma::test::TempDir;

namespace {

std::filesystem::path write(const TempDir& dir, const std::string& name, const std::string& text, bool gzip = false) {
    const auto path = dir.path() / name;
    std::ofstream file(path, std::ios::binary);
    if (gzip) {
        boost::iostreams::filtering_ostream out;
        out.push(boost::iostreams::gzip_compressor());
        out.push(file);
        out << text;
    } else {
        file << text;
    }
    return path;
}

/// A 40-sample trace at rest (-65 mV) with spikes: a jump to +20 mV at samples 10 and 30 (the peak one sample
/// later, as in the competition's data), so the jump rule (> 20 mV in one sample) finds samples 9 and 29.
std::vector<double> trace() {
    std::vector<double> v(40, -65.0);
    for (const std::size_t k : {10u, 30u}) {
        v[k] = -20;
        v[k + 1] = 20;
        v[k + 2] = -50;
    }
    return v;
}

std::string voltage_text(const std::vector<double>& v) {
    std::string text;
    for (std::size_t k = 0; k < v.size(); ++k) text += fmt::format("  {:.16e} {:.16e} {:.16e}\n", double(k), 10.0 + k, v[k]);
    return text;
}

const fit::SpikeDetection jump{fit::SpikeDetection::Rule::jump, 20, 2};

}  // namespace

BOOST_AUTO_TEST_CASE(challenge_a_files_plain_and_gzip) {
    const TempDir dir("soma-recordings");
    const auto v = trace();
    for (const bool gz : {false, true}) {
        BOOST_TEST_CONTEXT((gz ? "gzip" : "plain")) {
            const auto file = write(dir, gz ? "00-0.voltage.gz" : "00-0.voltage", voltage_text(v), gz);
            const auto rec = fit::read_recording(file, 0.2, std::nullopt, jump);
            BOOST_TEST(rec.dt == 0.2);
            BOOST_TEST(rec.v == v, boost::test_tools::per_element());  // %.16e round-trips exactly
            BOOST_TEST(rec.current.size() == 40u);
            BOOST_TEST(rec.current[7] == 17.0);
            BOOST_TEST(rec.duration() == 8.0, boost::test_tools::tolerance(1e-12));
            // V[k+1] - V[k] > 20 mV first at k = 10 (-20 -> 20: 40 mV; -65 -> -20 is 45 mV at k = 9, first).
            const std::vector<double> expected{9 * 0.2, 29 * 0.2};
            BOOST_TEST(rec.spikes == expected, boost::test_tools::per_element());
            SOMA_CHECK_CONTAINS(rec.spikes_from, "jumps of more than 20 mV");

            // A spike file of sample indices and counts.
            const auto spikes = write(dir, gz ? "00-0.spiketimes.gz" : "00-0.spiketimes",
                                      "  9.0000000000000000e+000  3.0000000000000000e+000\n 2.9e+001 2\n", gz);
            const auto with = fit::read_recording(file, 0.2, spikes, jump);
            BOOST_TEST(with.spikes == expected, boost::test_tools::per_element());
            BOOST_TEST(with.spikes_from == spikes.string());
        }
    }
}

BOOST_AUTO_TEST_CASE(challenge_b_and_csv_files) {
    const TempDir dir("soma-recordings");
    // .asc: times in s every 0.25 ms, current in pA.
    std::string asc = "\"s\"\n\"pA\"\n\"mV\"\n";
    for (int k = 0; k < 8; ++k) asc += fmt::format("{}\t{}\t{}\n", 0.00025 * k, 5 * k, -70 + k);
    const auto file = write(dir, "trace.asc.gz", asc, true);
    const auto rec = fit::read_recording(file, std::nullopt, std::nullopt, {});
    BOOST_TEST(rec.dt == 0.25, boost::test_tools::tolerance(1e-9));  // times written in s with rounding
    BOOST_TEST(rec.v.size() == 8u);
    BOOST_TEST(rec.v[3] == -67.0);
    BOOST_TEST(rec.current[3] == 15.0);
    BOOST_TEST(fit::read_recording(file, 0.25, std::nullopt, {}).v.size() == 8u);  // the same step given: fine
    const auto step = message_of<ParameterError>([&] { (void)fit::read_recording(file, 0.2, std::nullopt, {}); });
    SOMA_CHECK_CONTAINS(step, file.string());
    SOMA_CHECK_CONTAINS(step, "is sampled every 0.25 ms (from its times), but the sampling step given is 0.2 ms");

    // CSV with the current in nA (converted to pA) and a lower-case potential; times in ms.
    const auto csv = write(dir, "trace.csv", "# a comment\nt (ms),v (mV),I (nA)\n0,-70,0.5\n0.1,-69,0.25\n0.2,-68,0\n");
    const auto c = fit::read_recording(csv, std::nullopt, std::nullopt, {});
    BOOST_TEST(c.dt == 0.1, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(c.v == (std::vector<double>{-70, -69, -68}), boost::test_tools::per_element());
    BOOST_TEST(c.current == (std::vector<double>{500, 250, 0}), boost::test_tools::per_element());
    BOOST_TEST(c.t0 == 0.0);
    // A trace whose times start at 1000 ms: sample k at k dt, t0 = 1000 ms; its spike file's times (in the same
    // clock) are moved with it; a spike before its first sample is refused, naming the trace's span.
    const auto late = write(dir, "late.csv", "t (ms),V (mV)\n1000,-70\n1000.5,-69\n1001,-68\n1001.5,-67\n");
    const auto late_spikes = write(dir, "late_spikes.csv", "t (ms)\n1001\n");
    const auto l = fit::read_recording(late, std::nullopt, late_spikes, {});
    BOOST_TEST(l.t0 == 1000.0);
    BOOST_TEST(l.spikes == (std::vector<double>{1.0}), boost::test_tools::per_element());
    const auto early = write(dir, "early_spikes.csv", "t (ms)\n1\n");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(late, std::nullopt, early, {}); }),
                        "spike 1 at 1 ms is outside the trace of recording '" + late.string() + "', [1000, 1002) ms");
    // A spike file that misses the trace's spikes (its times in another clock) gets a note; the right one none.
    std::string spiking = "t (ms),V (mV)\n";
    for (int k = 0; k < 500; ++k) spiking += fmt::format("{:.1f},{}\n", 0.2 * k, k == 100 || k == 300 ? 20 : -65);
    const auto spiking_trace = write(dir, "spiking.csv", spiking);
    const auto right = write(dir, "right.csv", "t (ms)\n20\n60\n");
    const auto shifted = write(dir, "shifted.csv", "t (ms)\n35\n75\n");
    BOOST_TEST(fit::read_recording(spiking_trace, std::nullopt, right, {}).spike_file_note.empty());
    SOMA_CHECK_CONTAINS(fit::read_recording(spiking_trace, std::nullopt, shifted, {}).spike_file_note,
                        "spike file '" + shifted.string() + "': only 0 of its 2 spikes lie within 2 ms of the 2 found "
                        "on the trace of '" + spiking_trace.string() + "' (upward crossings of 0 mV)");
    // Spike times in s, as a CSV column.
    BOOST_TEST(fit::read_spike_times(write(dir, "s.csv", "t (s)\n0.001\n0.0025\n"), std::nullopt) ==
                   (std::vector<double>{1.0, 2.5}),
               boost::test_tools::per_element() /* 0.001 * 1000 and 0.0025 * 1000 round to 1 and 2.5 exactly */);
}

BOOST_AUTO_TEST_CASE(threshold_detection_with_a_refractory_window) {
    // Crossings of 0 mV upwards at samples 3, 5 and 20 (dt 0.5 ms): 5 is 1 ms after 3, inside the 2 ms window,
    // so it is ignored; a sample exactly at the level counts (V[k-1] < level <= V[k]).
    std::vector<double> v(30, -60.0);
    v[3] = 10;
    v[5] = 0;
    v[20] = 30;
    const auto t = fit::detect_spikes(v, 0.5, {fit::SpikeDetection::Rule::threshold, 0, 2});
    BOOST_TEST(t == (std::vector<double>{1.5, 10.0}), boost::test_tools::per_element());
    // Without the window, all three.
    BOOST_TEST(fit::detect_spikes(v, 0.5, {fit::SpikeDetection::Rule::threshold, 0, 0}).size() == 3u);
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::detect_spikes(v, 0, {}); }), "dt = 0 ms");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::detect_spikes(v, 0.5, {fit::SpikeDetection::Rule::threshold, 0, -1}); }),
                        "refractory window = -1 ms");
    // The default window (0.5 ms) keeps spikes 1 ms apart, the shortest interval of challenge A's cell: a
    // trace at 0.2 ms with spikes (one sample above 0 mV each) at samples 10, 15 and 20, i.e. 2, 3 and 4 ms.
    std::vector<double> fast(40, -60.0);
    for (const std::size_t k : {10u, 15u, 20u}) fast[k] = 20;
    BOOST_TEST(fit::detect_spikes(fast, 0.2, {}) == (std::vector<double>{2.0, 3.0, 4.0}),
               boost::test_tools::tolerance(1e-12) << boost::test_tools::per_element());
}

// A gzip file damaged in the middle: the decompressor may turn the damage into text before its checksum
// fails, and that text into a malformed row; the message blames the damaged data, never the row alone.
BOOST_AUTO_TEST_CASE(damaged_gzip_data_are_named_as_such) {
    const TempDir dir("soma-recordings");
    std::string text;
    for (int k = 0; k < 20000; ++k) text += fmt::format("{} {:.6f} {:.6f}\n", k, 100 * std::sin(0.01 * k), -65 + std::cos(0.3 * k));
    const auto good = write(dir, "good.voltage.gz", text, true);
    std::ifstream in(good, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t blamed_rows = 0;
    for (std::size_t offset = bytes.size() / 5; offset < bytes.size() - 100; offset += bytes.size() / 10) {
        std::string damaged = bytes;
        for (std::size_t k = 0; k < 8; ++k) damaged[offset + k] = static_cast<char>(0x55 + k);
        const auto file = dir.path() / fmt::format("damaged-{}.voltage.gz", offset);
        std::ofstream(file, std::ios::binary) << damaged;
        const auto message = message_of<ParameterError>([&] { (void)fit::read_recording(file, 0.2, std::nullopt, {}); });
        BOOST_TEST_CONTEXT("damage at byte " << offset << ": " << message) {
            SOMA_CHECK_CONTAINS(message, file.string());
            SOMA_CHECK_CONTAINS(message, "gzip data are");
            if (message.find("reading it stopped at") != std::string::npos) ++blamed_rows;
        }
    }
    BOOST_TEST(blamed_rows > 0u, "no damage was decompressed into a malformed row: the case is not exercised");
}

BOOST_AUTO_TEST_CASE(bad_recordings_and_spike_files) {
    const TempDir dir("soma-recordings");
    const auto voltage = write(dir, "a.voltage", voltage_text(trace()));
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(voltage, std::nullopt, std::nullopt, jump); }),
                        "has no times (sample index, current in pA, potential in mV): give its sampling step");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(voltage, -0.2, std::nullopt, jump); }),
                        "sampling step = -0.2 ms");
    const auto empty = write(dir, "empty.spiketimes", "");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(voltage, 0.2, empty, jump); }),
                        fmt::format("spike file '{}' is empty", empty.string()));
    const auto outside = write(dir, "out.spiketimes", "9 3\n40 1\n");  // 40 * 0.2 = 8 ms: the trace ends at 8 ms
    const auto out = message_of<ParameterError>([&] { (void)fit::read_recording(voltage, 0.2, outside, jump); });
    SOMA_CHECK_CONTAINS(out, "spike 2 at 8 ms is outside the trace");
    SOMA_CHECK_CONTAINS(out, voltage.string() + "', [0, 8) ms");
    const auto half = write(dir, "half.spiketimes", "9 3\n10.5 1\n");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_spike_times(half, 0.2); }),
                        "half.spiketimes:2: spike file '" + half.string() + "': sample index 10.5 is not a whole number");
    const auto back = write(dir, "back.spiketimes", "9 3\n5 1\n");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_spike_times(back, 0.2); }),
                        ":2: the time 5 (sample index) is not after the previous sample's 9 (sample index) (line 1)");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_spike_times(write(dir, "b.spiketimes", "9 3\n"), std::nullopt); }),
                        "holds sample indices");
    const auto word = write(dir, "word.csv", "t (ms),V (mV)\n0,-70\n0.1,x\n");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(word, std::nullopt, std::nullopt, {}); }),
                        "word.csv:3: column 2 ('V (mV)'): 'x' is not a number");
    const auto extra = write(dir, "extra.csv", "t (ms),V (mV),g (nS)\n0,-70,1\n0.1,-70,1\n");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(extra, std::nullopt, std::nullopt, {}); }),
                        "extra.csv:1: column 3 ('g (nS)') of recording");
    const auto volts = write(dir, "volts.csv", "t (ms),V (V)\n0,-0.07\n0.1,-0.07\n");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(volts, std::nullopt, std::nullopt, {}); }),
                        "column 2 ('V (V)') of recording '" + volts.string() + "' is not expected (a potential in V: "
                        "give it in mV)");
    const auto milliamps = write(dir, "milliamps.csv", "t (ms),V (mV),I (mA)\n0,-70,0\n0.1,-70,0\n");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(milliamps, std::nullopt, std::nullopt, {}); }),
                        "is not expected (a current in mA: give it in pA, nA or uA)");
    const auto uneven = write(dir, "uneven.csv", "t (ms),V (mV)\n0,-70\n0.1,-70\n0.3,-70\n");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(uneven, std::nullopt, std::nullopt, {}); }),
                        "uneven.csv:4: recording");
    const auto truncated = dir.path() / "cut.voltage.gz";
    {
        write(dir, "full.voltage.gz", voltage_text(trace()), true);
        std::ifstream in(dir.path() / "full.voltage.gz", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    }
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::read_recording(truncated, 0.2, std::nullopt, jump); }),
                        "cannot be read");

    // Repetitions of different lengths or steps are refused where they are combined.
    const auto a = fit::read_recording(voltage, 0.2, std::nullopt, jump);
    auto shorter_v = trace();
    shorter_v.pop_back();
    const auto b = fit::read_recording(write(dir, "b.voltage", voltage_text(shorter_v)), 0.2, std::nullopt, jump);
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::spike_trains({a, b}); }),
                        "have different lengths (40 and 39 samples");
    const auto c = fit::read_recording(voltage, 0.25, std::nullopt, jump);
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)fit::spike_trains({a, c}); }), "different steps (0.2 and 0.25 ms)");
    BOOST_TEST(fit::spike_trains({a, a}).size() == 2u);
}
