/// @file test_cli.cpp
/// End to end: the built `soma` program (SOMA_EXECUTABLE), started with Boost.Process in a fresh
/// temporary working directory, on the example scenarios (SOMA_EXAMPLES_DIR), on populations (--cells,
/// per-cell --set forms, tables of cells) and on bad input.
/// Runs use the default recorders (csv and gnuplot), so Debian's gnuplot must be installed.

#define BOOST_TEST_MODULE soma_test_cli
#include "soma_cli_support.hpp"

#include "soma/gnuplot.hpp"
#include "soma/staged_file.hpp"

#include <boost/process.hpp>
#include <boost/process/posix.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <csignal>
#include <chrono>
#include <thread>
#include <set>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sstream>

namespace {

using namespace soma::test::cli;
using soma::test::TempDir;

/// Checks the PNG signature and the IHDR chunk (always first) with the expected width and height.
void check_png(const fs::path& file, std::uint32_t width, std::uint32_t height) {
    BOOST_TEST_REQUIRE(fs::is_regular_file(file), file);
    const std::string bytes = read_file(file);
    BOOST_TEST_REQUIRE(bytes.size() > 33u, file << " is too short for a PNG");
    BOOST_TEST(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8), file << ": no PNG signature");
    BOOST_TEST(bytes.substr(8, 4) == std::string("\0\0\0\x0d", 4), file << ": IHDR length is not 13");
    BOOST_TEST(bytes.substr(12, 4) == "IHDR", file << ": first chunk is not IHDR");
    const auto be32 = [&](std::size_t at) {
        std::uint32_t x = 0;
        for (std::size_t k = 0; k < 4; ++k) x = x << 8 | static_cast<unsigned char>(bytes[at + k]);
        return x;
    };
    BOOST_TEST(be32(16) == width, file << " width");
    BOOST_TEST(be32(20) == height, file << " height");
    BOOST_TEST(bytes.substr(bytes.size() - 8, 4) == "IEND", file << ": no IEND chunk at the end");
}

/// An example scenario and what its outputs must hold.
struct Example {
    std::string name;
    std::string header;  ///< of <name>.csv
    std::size_t rows;    ///< t_stop / dt
    double dt;
    std::size_t spikes;  ///< reference table
};
std::ostream& operator<<(std::ostream& os, const Example& e) { return os << e.name; }

const std::string hh_header = "t (ms),v (mV),m (1),n (1),h (1),I (uA/cm^2)";
const std::string lif_header = "t (ms),v (mV),I (nA)";
const std::vector<Example> examples{
    {"lif-step", lif_header, 1000, 0.1, 9},     {"lif-sine", lif_header, 1000, 0.1, 0},
    {"hh-step", hh_header, 10000, 0.01, 3},     {"hh-ramp", hh_header, 20000, 0.01, 3},
    {"hh-sine", hh_header, 60000, 0.01, 12},
};

/// Checks the outputs of a successful run of example `e` in `dir`: CSV header with units and one row
/// per step, spike rows, the PNG's size, and no temporary (hidden) file left.
void check_outputs(const fs::path& dir, const Example& e, std::uint32_t width = 900, std::uint32_t height = 900) {
    const CsvFile samples = read_csv(dir / (e.name + ".csv"));
    BOOST_TEST(samples.header == e.header);
    BOOST_TEST(!samples.comments.empty());
    BOOST_TEST_REQUIRE(samples.rows.size() == e.rows);
    const std::size_t columns = fields(e.header);
    BOOST_TEST(fields(samples.rows.front()) == columns);
    BOOST_TEST(fields(samples.rows.back()) == columns);
    BOOST_TEST(first_field(samples.rows.front()) == 0.0);
    BOOST_TEST(std::abs(first_field(samples.rows.back()) - static_cast<double>(e.rows - 1) * e.dt) <= 1e-9);

    const CsvFile spikes = read_csv(dir / (e.name + "_spikes.csv"));
    BOOST_TEST(spikes.header == "cell,t (ms)");
    BOOST_TEST(spikes.rows.size() == e.spikes);

    check_png(dir / (e.name + ".png"), width, height);
    for (const auto& name : entries(dir)) {
        BOOST_TEST(name.front() != '.', "temporary file left: " << name);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runs)

BOOST_DATA_TEST_CASE(example_scenario_writes_its_outputs, boost::unit_test::data::make(examples), e) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    std::vector<std::string> args{"run", (fs::path(SOMA_EXAMPLES_DIR) / (e.name + ".ini")).string()};
    const auto result = run_soma(cwd.path(), logs.path(), args);
    BOOST_TEST_REQUIRE(result.code == 0, result);
    BOOST_TEST(entries(cwd.path()) == std::vector<std::string>{"soma-output"}, boost::test_tools::per_element());
    check_outputs(cwd.path() / "soma-output", e);
    SOMA_CHECK_CONTAINS(result.out, "wrote soma-output/" + e.name + ".csv");
    SOMA_CHECK_CONTAINS(result.out, e.spikes == 0 ? std::string("no spikes") : fmt::format("{} spike(s)", e.spikes));
}

BOOST_AUTO_TEST_CASE(run_without_arguments_is_the_hh_step) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    std::vector<std::string> args{"run"};
    const auto result = run_soma(cwd.path(), logs.path(), args);
    BOOST_TEST_REQUIRE(result.code == 0, result);
    check_outputs(cwd.path() / "soma-output", examples[2]);
}

BOOST_AUTO_TEST_CASE(figure_size_follows_the_gnuplot_parameters) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                             {"run", (fs::path(SOMA_EXAMPLES_DIR) / "lif-step.ini").string(), "--output", "figures",
                              "--set", "gnuplot.width=640", "--set", "gnuplot.height=480"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    check_outputs(cwd.path() / "figures", examples[0], 640, 480);
}

// A run whose state becomes infinite (hh with forward Euler at dt = 0.1 ms: m overflows near 24 ms)
// fails with the "diverged" message and leaves nothing behind.
BOOST_AUTO_TEST_CASE(diverging_run_fails_and_leaves_no_output) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    for (const std::string dt : {"0.1", "0.5"}) {
        std::vector<std::string> args{"run", "--dt", dt};
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST(result.code != 0, result);
        SOMA_CHECK_CONTAINS(result.err, "the simulation diverged");
        SOMA_CHECK_CONTAINS(result.err, "at dt = " + dt + " ms");
        SOMA_CHECK_CONTAINS(result.err, "No output was written");
        check_no_output(cwd.path());
    }
}

BOOST_AUTO_TEST_SUITE_END()

// The figures of the gnuplot recorder: its data file holds the figure's points (per trace, the extremes
// of each of 2 * width time bins, and the spike strokes of models that reset), its labels show units
// as they are written (µA/cm², none for dimensionless values), and its SVG is valid UTF-8.
BOOST_AUTO_TEST_SUITE(figures)

namespace {

/// One block of a gnuplot recorder's .dat file: its header line and its (t, value) rows.
struct Block {
    std::string header;
    std::vector<std::pair<double, double>> rows;
};

std::vector<Block> read_blocks(const fs::path& file) {
    std::vector<Block> blocks;
    std::istringstream lines(read_file(file));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        if (line.front() == '#') {
            blocks.push_back({line, {}});
            continue;
        }
        BOOST_TEST_REQUIRE(!blocks.empty(), file << ": a data row before the first header");
        const auto tab = line.find('\t');
        BOOST_TEST_REQUIRE(tab != std::string::npos, file << ": not 't<tab>value': " << line);
        blocks.back().rows.emplace_back(std::stod(line.substr(0, tab)), std::stod(line.substr(tab + 1)));
    }
    return blocks;
}

/// The spike times (ms) of the csv recorder's NAME_spikes.csv.
std::vector<double> spike_times(const fs::path& file) {
    std::vector<double> times;
    for (const auto& row : read_csv(file).rows) times.push_back(std::stod(row.substr(row.find(',') + 1)));
    return times;
}

/// Whether `text` is valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF).
bool is_utf8(const std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
        const unsigned char lead = byte(i);
        std::size_t n = 0;
        std::uint32_t code = 0;
        if (lead < 0x80) n = 1, code = lead;
        else if ((lead & 0xe0) == 0xc0) n = 2, code = lead & 0x1fu;
        else if ((lead & 0xf0) == 0xe0) n = 3, code = lead & 0x0fu;
        else if ((lead & 0xf8) == 0xf0) n = 4, code = lead & 0x07u;
        else return false;
        if (i + n > text.size()) return false;
        for (std::size_t k = 1; k < n; ++k) {
            if ((byte(i + k) & 0xc0) != 0x80) return false;
            code = code << 6 | (byte(i + k) & 0x3fu);
        }
        constexpr std::array<std::uint32_t, 5> least{0, 0, 0x80, 0x800, 0x10000};
        if (code < least[n] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
        i += n;
    }
    return true;
}

/// Checks that every spike in `times` is drawn in the v block `v`: a point at the spike time at
/// `peak` (a stroke, for models that reset), or, if `peak` is NaN (a detection level), a point above
/// `level` within one time bin (t_stop / bins ms) of the spike.
void check_every_spike_drawn(const Block& v, const std::vector<double>& times, double peak, double level, double bin) {
    std::size_t missing = 0;
    for (const double t : times) {
        const bool drawn = std::ranges::any_of(v.rows, [&](const auto& row) {
            return std::isnan(peak) ? std::abs(row.first - t) <= bin && row.second > level
                                    : std::abs(row.first - t) <= bin && row.second == peak;
        });
        if (!drawn) ++missing;
    }
    BOOST_TEST(missing == 0u, missing << " of " << times.size() << " spikes not drawn");
}

}  // namespace

// AdEx (cut-off V_peak = 0 mV) and LIF (firing threshold V_th = 1 mV): each spike is a point at the spike
// time, at V_peak or 1.5 mV (V_th + (V_th - lowest v) / 2, the documented convention), and the dashed
// line is named for what it is.
BOOST_AUTO_TEST_CASE(spikes_of_models_that_reset_are_strokes_to_their_peak) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    struct Case {
        std::vector<std::string> args;
        std::string name, line;
        double peak;
        std::size_t min_spikes;
    };
    const std::vector<Case> cases{
        {{"run", "--model", "adex", "--preset", "tonic_spiking", "--stimulus", "step", "--set",
          "stimulus.amplitude=500", "--t-stop", "300", "--name", "adex"},
         "adex", "spike cut-off (V_peak = %g mV)", 0.0, 5},
        {{"run", (fs::path(SOMA_EXAMPLES_DIR) / "lif-step.ini").string()}, "lif-step",
         "firing threshold (V_th = %g mV)", 1.5, 9},
        {{"run", "--model", (fs::path(SOMA_EXAMPLES_DIR) / "models" / "adex.eq").string(), "--preset",
          "tonic_spiking", "--stimulus", "step", "--set", "stimulus.amplitude=500", "--t-stop", "300", "--name",
          "adex-eq"},
         "adex-eq", "spike cut-off (V_peak = %g mV)", 0.0, 5},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            const auto result = run_soma(cwd.path(), logs.path(), c.args);
            BOOST_TEST_REQUIRE(result.code == 0, result);
            const fs::path dir = cwd.path() / "soma-output";
            const auto blocks = read_blocks(dir / (c.name + ".dat"));
            BOOST_TEST_REQUIRE(!blocks.empty());
            BOOST_TEST(blocks.front().header == "# t (ms)\tv (mV)");
            const auto times = spike_times(dir / (c.name + "_spikes.csv"));
            BOOST_TEST(times.size() >= c.min_spikes);
            check_every_spike_drawn(blocks.front(), times, c.peak, 0, 1e-9);
            SOMA_CHECK_CONTAINS(read_file(dir / (c.name + ".gp")), c.line);
        }
    }
}

// HH's threshold only detects spikes: no strokes are added, the line is the detection level, and every
// spike's peak survives the thinning of the 60000 samples to 1800 bins.
BOOST_AUTO_TEST_CASE(hh_spikes_keep_their_peaks_under_the_detection_level) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"run", (fs::path(SOMA_EXAMPLES_DIR) / "hh-sine.ini").string()});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const fs::path dir = cwd.path() / "soma-output";
    const auto blocks = read_blocks(dir / "hh-sine.dat");
    BOOST_TEST_REQUIRE(blocks.size() == 5u);
    const auto times = spike_times(dir / "hh-sine_spikes.csv");
    BOOST_TEST(times.size() == 12u);
    check_every_spike_drawn(blocks.front(), times, std::nan(""), 50, 600.0 / 1800);
    SOMA_CHECK_CONTAINS(read_file(dir / "hh-sine.gp"), "detection level (%g mV)");
    BOOST_TEST(blocks.front().rows.size() <= 2 * 1800u);
}

// A run 2000 times as long as the course exercises' (LIF, 200 s, a sample per ms): the .dat and the SVG
// stay under 500 KB (3 points per bin, 1800 bins, 2 traces), and each of the ~40000 spikes has its
// stroke, also those between two samples.
BOOST_AUTO_TEST_CASE(figure_data_of_a_long_run_stay_small_and_keep_every_spike) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"run", "--model", "lif", "--stimulus", "dc", "--set", "stimulus.amplitude=1.01",
                                  "--dt", "0.1", "--t-stop", "200000", "--record-interval", "1", "--name", "long"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const fs::path dir = cwd.path() / "soma-output";
    constexpr std::uintmax_t bound = 500 * 1000;
    BOOST_TEST(fs::file_size(dir / "long.dat") < bound);
    BOOST_TEST(fs::file_size(dir / "long.svg") < bound);
    const auto blocks = read_blocks(dir / "long.dat");
    BOOST_TEST_REQUIRE(blocks.size() == 2u);
    const auto times = spike_times(dir / "long_spikes.csv");
    BOOST_TEST(times.size() > 40000u);
    // Several spikes share a bin (of 111 ms): each lies within the bin of the stroke drawn for it.
    check_every_spike_drawn(blocks.front(), times, 1.5, 0, 200000.0 / 1800);
}

// A gnuplot that never finishes is killed at the time limit with a clear error, and draws nothing
// (gnuplot::draw, which the gnuplot recorder and the experiments' figures use, with a 60 s default).
BOOST_AUTO_TEST_CASE(a_gnuplot_that_hangs_is_stopped_at_the_time_limit) {
    const TempDir dir("soma-test-cwd");
    const fs::path fake = dir.path() / "gnuplot";
    {
        std::ofstream script(fake);
        // A wrapper that starts gnuplot's work as a child of its own: stopping it must stop that too.
        script << "#!/bin/sh\nsleep 30 &\necho $! > '" << (dir.path() / "child.pid").string() << "'\nwait\n";
    }
    fs::permissions(fake, fs::perms::owner_all);
    const soma::StagedFile png(dir.path() / "figure.png");
    const std::array<const soma::StagedFile*, 1> figures{&png};
    const auto started = std::chrono::steady_clock::now();
    const std::string message = soma::test::message_of<soma::RunError>(
        [&] { soma::gnuplot::draw(fake, "plot x\n", figures, "test figure", std::chrono::seconds(1)); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    SOMA_CHECK_CONTAINS(message, "test figure: gnuplot did not finish within 1 s and was stopped; no output was "
                                 "written (a run's files are kept together); 'soma run --recorder csv' writes the data "
                                 "without figures");
    BOOST_TEST(seconds < 5.0);
    BOOST_TEST(!fs::exists(dir.path() / "figure.png"));
    BOOST_TEST(soma::gnuplot::default_time_limit == std::chrono::seconds(60));
    // The wrapper's child is gone (or a zombie left to init) soon after: it was killed with the group.
    const std::string child = read_file(dir.path() / "child.pid");
    BOOST_TEST_REQUIRE(!child.empty());
    const fs::path stat = fs::path("/proc") / child.substr(0, child.find('\n')) / "stat";
    const auto alive = [&] {
        std::ifstream in(stat);
        std::string pid, name, state;
        return in >> pid >> name >> state && state != "Z";
    };
    for (int k = 0; k < 100 && alive(); ++k) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(!alive(), "gnuplot's child still runs: " << stat);
}

// A population's raster is thinned to the pixels it inks: 2000 LIF cells firing tens of thousands of
// spikes. Checked against the csv recorder's spike file, with the grid the recorder documents (a column
// per pixel of the 900 px width, a row per pixel of a third of the 900 px height): every raster point is
// one of the spikes, every spike has a raster point in its own pixel, there are fewer points than
// spikes, and the population rate is that of every spike, counted here in the figure's bins.
BOOST_AUTO_TEST_CASE(a_population_raster_keeps_one_point_per_inked_pixel) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    constexpr std::size_t cells = 2000, columns = 900, rows = 300;
    constexpr double t_stop = 500;
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"run", "--model", "lif", "--cells", std::to_string(cells), "--stimulus", "dc", "--set",
                                  "stimulus.amplitude=linspace(1.0005,1.01,2000)", "--t-stop", "500", "--name", "pop"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const fs::path dir = cwd.path() / "soma-output";
    std::vector<std::pair<double, std::size_t>> spikes;
    for (const auto& row : read_csv(dir / "pop_spikes.csv").rows) {
        spikes.emplace_back(std::stod(row.substr(row.find(',') + 1)), std::stoul(row.substr(0, row.find(','))));
    }
    const auto blocks = read_blocks(dir / "pop_spikes.dat");
    BOOST_TEST_REQUIRE(blocks.size() == 2u);
    BOOST_TEST(blocks[0].header == "# t (ms)\tcell");
    BOOST_TEST(blocks[1].header == "# t (ms)\tpopulation rate (Hz)");
    const auto& points = blocks[0].rows;
    BOOST_TEST_MESSAGE(spikes.size() << " spikes, " << points.size() << " raster points");
    BOOST_TEST(spikes.size() > 30000u);
    BOOST_TEST(points.size() < spikes.size() / 2);
    const auto pixel = [&](double t, std::size_t cell) {
        return cell * rows / cells * columns + std::min<std::size_t>(columns - 1, static_cast<std::size_t>(t / t_stop * columns));
    };
    const std::set<std::pair<double, std::size_t>> all(spikes.begin(), spikes.end());
    std::set<std::size_t> drawn;
    for (const auto& [t, cell] : points) {
        BOOST_TEST_REQUIRE(all.contains({t, static_cast<std::size_t>(cell)}), "raster point " << t << ", " << cell << " is no spike");
        BOOST_TEST_REQUIRE(drawn.insert(pixel(t, static_cast<std::size_t>(cell))).second, "two points in one pixel");
    }
    std::size_t missing = 0;
    for (const auto& [t, cell] : spikes) missing += drawn.contains(pixel(t, cell)) ? 0 : 1;
    BOOST_TEST(missing == 0u, missing << " spikes in pixels without a point");
    // The rate: 200 bins of 2.5 ms.
    const double bin = t_stop / 200;
    SOMA_CHECK_CONTAINS(read_file(dir / "pop.gp"), "binwidth = 2.5\n");
    std::vector<double> counts(200, 0.0);
    for (const auto& [t, cell] : spikes) counts[std::min<std::size_t>(199, static_cast<std::size_t>(t / bin))] += 1;
    BOOST_TEST_REQUIRE(blocks[1].rows.size() == 200u);
    for (std::size_t b = 0; b < 200; ++b) {
        BOOST_TEST(blocks[1].rows[b].first == (b + 0.5) * bin);
        BOOST_TEST(blocks[1].rows[b].second == counts[b] * 1000 / (cells * bin), boost::test_tools::tolerance(1e-12));
    }
    BOOST_TEST(fs::file_size(dir / "pop.svg") < 100 * points.size() + 2000000);
}

// Figure labels show units as written (µA/cm², mV; none for dimensionless quantities); the data file
// keeps the ASCII form that programs read; the SVG carries the UTF-8 text.
BOOST_AUTO_TEST_CASE(labels_show_units_as_written_and_data_keep_ascii) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path dir = cwd.path() / "soma-output";
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "20"}).code == 0);
    const std::string gp = read_file(dir / "hh-step.gp");
    SOMA_CHECK_CONTAINS(gp, "set ylabel 'I (\xC2\xB5" "A/cm\xC2\xB2)'");
    SOMA_CHECK_CONTAINS(gp, "set ylabel 'v (mV)'");
    SOMA_CHECK_CONTAINS(gp, "set ylabel 'm, n, h'");
    SOMA_CHECK_CONTAINS(gp, "set encoding utf8");
    SOMA_CHECK_CONTAINS(read_file(dir / "hh-step.dat"), "# t (ms)\tI (uA/cm^2)\n");
    const std::string svg = read_file(dir / "hh-step.svg");
    SOMA_CHECK_CONTAINS(svg, "\xC2\xB5" "A/cm\xC2\xB2");
    BOOST_TEST(is_utf8(svg));
    check_png(dir / "hh-step.png", 900, 900);

    for (const std::string model : {"fitzhugh_nagumo", "izhikevich"}) {
        BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), {"run", "--model", model, "--t-stop", "20"}).code == 0);
        const std::string script = read_file(dir / (model + "-step.gp"));
        BOOST_TEST(script.find("(1)") == std::string::npos, model << ": a dimensionless unit shown as (1)");
        SOMA_CHECK_CONTAINS(script, "set ylabel 'I'");
        SOMA_CHECK_CONTAINS(script, model == "izhikevich" ? "set ylabel 'u'" : "set ylabel 'v'");
    }
}

// A preset is named in the default title; the v panel's key is one row above the data, clear of the line at
// the spike cut-off that v reaches at every spike.
BOOST_AUTO_TEST_CASE(the_title_names_the_preset_and_the_key_clears_the_cut_off) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"run", "--model", "adex", "--preset", "adaptation", "--recorder", "gnuplot"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const std::string gp = read_file(cwd.path() / "soma-output" / "adex-step.gp");
    SOMA_CHECK_CONTAINS(gp, "title 'adex (preset adaptation), step stimulus, euler'");
    SOMA_CHECK_CONTAINS(gp, "maxrows 1\n    set offsets 0, 0, graph 0.2, 0\n    set ylabel 'v (mV)'");
}

// A title with bytes that are not UTF-8 (Latin-1 text, say) still makes a valid SVG and CSV files that
// decode as UTF-8 (as pandas reads them): each such byte is shown as U+FFFD.
BOOST_AUTO_TEST_CASE(a_title_that_is_not_utf8_makes_a_valid_svg) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"run", "--t-stop", "20", "--recorder", "gnuplot,csv", "--title", "caf\xE9 \xC3 \xED\xA0\x80 ok"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    for (const std::string file : {"hh-step.svg", "hh-step.csv", "hh-step_spikes.csv", "hh-step_cells.csv"}) {
        const std::string text = read_file(cwd.path() / "soma-output" / file);
        BOOST_TEST(is_utf8(text), file);
        SOMA_CHECK_CONTAINS(text, "caf\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD ok");
    }
}

// A title too long for one line of the figure (90 characters at the default width) is broken at blanks,
// and the panels move down to make room; a population's rate panel has a short y label (its bins are
// said inside the panel: the longer label stood out of the panel's height).
BOOST_AUTO_TEST_CASE(a_long_title_is_wrapped_and_the_rate_label_fits) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::string words = "A rather long title for a population of leaky integrate-and-fire cells driven by steps "
                              "of different amplitudes";
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"run", "--model", "lif", "--cells", "20", "--t-stop", "60", "--recorder", "gnuplot",
                                  "--title", words});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const std::string gp = read_file(cwd.path() / "soma-output" / "lif-step.gp");
    SOMA_CHECK_CONTAINS(gp, "title 'A rather long title for a population of leaky integrate-and-fire cells driven by "
                            "steps of'.\"\\n\".'different amplitudes' font ',14'");
    SOMA_CHECK_CONTAINS(gp, "1 - 72.0/height");  // 50 pixels for a line of title, 22 more for the second
    SOMA_CHECK_CONTAINS(gp, "set ylabel 'population rate (Hz)'\n    set label 1 sprintf('%g ms bins', binwidth)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_input)

/// Arguments after `soma run`; "@ini" is replaced by a scenario file with `ini` as its text,
/// "@missing" by the path of a file that does not exist. Both live outside the working directory.
struct BadInput {
    std::string label;
    std::vector<std::string> args;
    std::vector<std::string> expected;  ///< in the error message
    std::string ini = {};
};
std::ostream& operator<<(std::ostream& os, const BadInput& b) { return os << b.label; }

const std::vector<BadInput> bad_inputs{
    {"unknown model", {"--model", "hhh"}, {"unknown model plug-in 'hhh'", "did you mean 'hh'?"}},
    {"unknown parameter", {"--set", "model.g_na=1"}, {"unknown parameter 'g_na'", "did you mean 'g_Na'?"}},
    {"onset after offset", {"--set", "stimulus.onset=80"}, {"offset = 70 ms must be after onset = 80 ms"}},
    {"dt zero", {"--dt", "0"}, {"dt = 0 ms is not allowed"}},
    {"dt negative", {"--dt", "-1"}, {"dt = -1 ms is not allowed"}},
    {"t_stop not a number", {"--t-stop", "abc"}, {"'t_stop': 'abc' is not a number"}},
    {"record interval off grid", {"--record-interval", "0.015"},
     {"record_interval = 0.015 ms is not a whole multiple of dt = 0.01 ms"}},
    {"missing scenario file", {"@missing"}, {"cannot open scenario file", "does-not-exist.ini", "no such file"}},
    {"misspelled key in scenario", {"@ini"}, {"unknown setting 'stimuls'", "did you mean 'stimulus'?"},
     "model = hh\nstimuls = step\n"},
    {"misspelled parameter in scenario", {"@ini"}, {"unknown parameter 'amplitud'", "did you mean 'amplitude'?"},
     "model = hh\nstimulus = step\n[stimulus]\namplitud = 7\n"},
    {"parameter set twice in scenario", {"@ini"}, {".ini:4: 'stimulus.amplitude' is set again (first at line 3)"},
     "model = hh\n[stimulus]\namplitude = 5\namplitude = 6\n"},
    // Boost 1.74's message for a bad line containing its own placeholder never ends: refused before it.
    {"line that is no setting in scenario", {"@ini"}, {".ini:2: '%invalid_line%' is neither a [section] nor a setting"},
     "model = hh\n%invalid_line%\n"},
    {"unknown section in scenario", {"@ini"}, {".ini:2: 'simulation.steps' names no component", "Known: model"},
     "[simulation]\nsteps = 50\n"},
    {"top-level setting in an unknown section", {"@ini"},
     {".ini:2: 't_stop' is a top-level setting, not a parameter of [simulation]; write it above the first [section]"},
     "[simulation]\nt_stop = 50\n"},
    {"unknown section in scenario with recorders given", {"@ini", "--recorder", "csv"},
     {".ini:3: section [simulaton] is neither model, stimulus, integrator nor a recorder",
      "unknown recorder plug-in 'simulaton'", "Known: csv, gnuplot, hdf5"},
     "model = hh\n[simulaton]\nsteps = 50\n"},
    // Control bytes of a line are escaped in the message: a NUL does not cut it short, an escape sequence
    // does not reach the terminal.
    {"NUL byte in scenario", {"@ini"}, {".ini:2: holds a NUL byte"}, std::string("model = hh\nab\0cd = 3\n", 21)},
    {"escape sequence in scenario", {"@ini"}, {".ini:2: '\\x01\\x1b[31mred' is neither a [section] nor a setting"},
     "model = hh\n\x01\x1b[31mred\n"},
    {"broken section header in scenario", {"@ini"}, {".ini:1: '[model' is not a section header"}, "[model\n"},
    // A value's error names the line that gave it.
    {"setting not a number in scenario", {"@ini"}, {".ini:2: parameter 't_stop': 'abc' is not a number"},
     "model = hh\nt_stop = abc\n"},
    {"setting out of range in scenario", {"@ini"}, {".ini:1: dt = 0 ms is not allowed"}, "dt = 0\n"},
    {"parameter out of range in scenario", {"@ini"}, {".ini:3: model 'hh': parameter 'g_Na' = -5 mS/cm^2 is out of range"},
     "model = hh\n[model]\ng_Na = -5\n"},
    {"empty name in scenario", {"@ini"}, {".ini:2: name is empty"}, "model = hh\nname =\n"},
    {"recorded cell out of range in scenario", {"@ini"}, {".ini:2: record_cells: cell 50 is out of range"},
     "cells = 3\nrecord_cells = 50\n"},
    {"a per-cell constraint in scenario", {"@ini"}, {".ini:4: ", "cell 0: offset = 10 ms must be after onset = 20 ms"},
     "t_stop = 5\n\n[stimulus]\noffset = 10,300\n"},
    {"binary scenario file", {"@ini"}, {".ini:1: holds a NUL byte: this is not a scenario file"},
     std::string("\x7f" "ELF\x02\x01\x01\0\0\0\x03\0>\0\n", 15)},
    {"missing cell table in scenario", {"@ini"}, {".ini:1: cells_from: ", "cannot be read: no such file"},
     "cells_from = nothing.csv\n"},
    {"empty model in scenario", {"@ini"}, {".ini:1: model is empty; give a model plug-in's name"}, "model =\n"},
    {"unknown model in scenario", {"@ini"}, {".ini:2: unknown model plug-in 'hx'; did you mean 'hh'?"},
     "t_stop = 10\nmodel = hx\n"},
    {"unknown integrator in scenario", {"@ini"}, {".ini:1: unknown integrator plug-in 'rk5'"}, "integrator = rk5\n"},
    {"unknown recorder in scenario", {"@ini"}, {".ini:1: unknown recorder plug-in 'cvs'; did you mean 'csv'?"},
     "recorder = cvs\n"},
    {"unknown preset in scenario", {"@ini"}, {".ini:2: model 'hh': unknown preset 'foo'"}, "model = hh\npreset = foo\n"},
    {"output directory that takes no files", {"--output", "/proc"},
     {"cannot create '/proc/.hh-step.lock'", "the directory '/proc' exists but takes no new files"}},
    {"stimuli labelled alike in scenario", {"@ini"}, {".ini:2: two stimuli are labelled 'step'"},
     "t_stop = 10\nstimulus = step+step\n"},
    {"empty stimulus label in scenario", {"@ini"}, {".ini:1: stimulus 'step:': the label after ':'"}, "stimulus = step:\n"},
    {"recorder none with another in scenario", {"@ini"}, {".ini:1: recorder 'none' cannot be combined"},
     "recorder = none\nrecorder = csv\n"},
    {"scenario dt putting the onset off the grid", {"@ini"},
     {"stimulus onset = 20 ms is not on the time grid of dt = 0.3 ms", "(dt is set at ", ".ini:1)"}, "dt = 0.3\n"},
    {"adex exponent that would overflow", {"--model", "adex", "--set", "model.Delta_T=1e-9"},
     {"(V_peak - V_T) / Delta_T = (0 - -50.4) / 1e-9 = 5.04e10 exceeds 658.7"}},
    {"directory as scenario file", {"@dir"}, {"is not a regular file"}},
    {"stimulus onset off the time grid", {"--set", "stimulus.onset=20.006"},
     {"stimulus onset = 20.006 ms is not on the time grid of dt = 0.01 ms"}},
    {"recorder listed twice", {"--recorder", "csv", "--recorder", "csv"}, {"recorder 'csv' is listed twice"}},
    {"per-cell onset off the grid", {"--set", "stimulus.onset=linspace(0,1,7)"},
     {"stimulus onset of cell 1 = 0.166666666667 ms is not on the time grid of dt = 0.01 ms"}},
    {"per-cell draw out of range", {"--cells", "50", "--set", "model.C_m=normal(1,0.5)"}, {" uF/cm^2 is out of range"}},
    {"stimulus name with two letters swapped", {"--stimulus", "stpe"}, {"unknown stimulus plug-in 'stpe'; did you mean 'step'?"}},
    {"model name as a scenario file", {"hh"}, {"cannot open scenario file 'hh': no such file; to run a model plug-in, "
                                               "give --model hh"}},
    {"model file as a scenario file", {"@eq"}, {"is a model file; give it with --model"}},
    {"unit after a --set value", {"--set", "stimulus.amplitude=7", "uA"},
     {"'uA' is not a scenario file", "values are numbers in the unit 'soma describe' shows, without a unit"}},
    {"top-level setting in a section of a scenario", {"@ini"},
     {".ini:3: 't_stop' is a top-level setting, not a parameter of [model]; write it above the first [section]"},
     "model = hh\n[model]\nt_stop = 50\n"},
    {"sine above the Nyquist frequency", {"--stimulus", "sine", "--set", "stimulus.frequency=1e9"},
     {"frequency = 1000000000 Hz", "Nyquist frequency 50000 Hz", "(dt < 5e-7 ms)"}},
    // Numbers for people: no "1e+302" or "1e-05".
    {"run shorter than one step", {"--t-stop", "1e-5"}, {"t_stop = 1e-5 ms is shorter than one step dt = 0.01 ms"}},
    {"too many steps", {"--dt", "1e-300"}, {"t_stop / dt = 1e302 steps is more than the limit of 2^40"}},
    {"misspelled option", {"--t_stop", "5"}, {"unknown option '--t_stop'", "did you mean '--t-stop'?"}},
    {"abbreviated option", {"--mod", "lif"}, {"unknown option '--mod'", "did you mean '--model'?"}},
    // An option where a value goes is not taken as the value (a directory named --force, a scenario named 5).
    {"an option as an option's value", {"--output", "--force"}, {"the required argument for option '--output' is missing"}},
    {"an option as the cell count", {"--cells", "--t-stop", "5"}, {"the required argument for option '--cells' is missing"}},
    {"an option as a short option's value", {"-o", "--force"}, {"the required argument for option '--output' is missing"}},
    // Populations.
    {"zero cells", {"--cells", "0"}, {"--cells '0': a run needs at least 1 cell"}},
    {"cells not a whole number", {"--cells", "2.5"}, {"--cells '2.5' is not a whole number"}},
    {"cells not a whole number in scientific form", {"--cells", "1.5e0"}, {"--cells '1.5e0' is not a whole number"}},
    // Refused from the estimate at once, with nothing made per cell before it (the default run length and the
    // note on late onsets look at the stimulus's times without a value per cell).
    {"more cells than memory holds", {"--cells", "4294967295"}, {"4294967295 cells need about", "more than this machine can hold"}},
    {"more cells than memory holds, with random onsets", {"--cells", "4294967295", "--set", "stimulus.onset=uniform(10,20)"},
     {"4294967295 cells need about"}},
    {"zero threads", {"--threads", "0"}, {"--threads '0': a run needs at least 1 thread"}},
    {"more threads than a run takes", {"--threads", "99999999999999999999"},
     {"--threads '99999999999999999999' is too large a number of threads (at most 1024)"}},
    {"a recorded cell beyond any count", {"--record-cells", "0:99999999999999999999"},
     {"cell 99999999999999999999 is out of range"}},
    {"negative cells", {"--cells", "-1"}, {"--cells '-1' is negative; give the number of cells, at least 1"}},
    {"negative seed", {"--seed", "-1"}, {"--seed '-1'"}},
    {"lists of different lengths", {"--set", "model.g_Na=100,110", "--set", "stimulus.amplitude=1,2,3"},
     {"'model.g_Na' has 2 values", "'stimulus.amplitude' has 3"}},
    {"list longer than --cells", {"--cells", "2", "--set", "model.g_Na=100,110,120"},
     {"'model.g_Na' has 3 values", "2 cells"}},
    {"linspace of no values", {"--set", "model.g_Na=linspace(100,120,0)"}, {"model.g_Na", "n = 0 must be a whole number >= 1"}},
    {"unknown distribution", {"--set", "model.C_m=gauss(1,0.1)"}, {"unknown function 'gauss'", "normal"}},
    {"random draw out of range", {"--cells", "50", "--set", "model.C_m=normal(1,1)"},
     {"model 'hh', cell ", "'C_m'", "out of range", "model.C_m is normal(1, 1) with seed 0"}},
    {"per-cell integrator parameter", {"--set", "integrator.locate_spikes=0,1"},
     {"'locate_spikes' = '0,1'", "one value for the whole run"}},
    {"missing cell table", {"--cells-from", "@missing"}, {"--cells-from: ", "does-not-exist.ini: cannot be read: no such file"}},
    {"the run's length as a parameter", {"--set", "t_stop=3"},
     {"--set 't_stop=3': t_stop is a setting of the run, not a parameter of a component: give --t-stop 3"}},
    {"an empty recorder in a list", {"--recorder", "csv,"}, {"--recorder 'csv,': an empty name in the list"}},
    {"the run's step as an integrator parameter", {"--set", "integrator.dt=1,2"},
     {"unknown parameter 'dt'", "'dt' is a setting of the whole run, not a parameter: give --dt"}},
    {"per-cell values of an unknown integrator parameter", {"--set", "integrator.rtool=1e-6,1e-7"},
     {"unknown parameter 'rtool'"}},
    {"a parameter of a stimulus the run lacks", {"--set", "stimulus.ou.sigma=1"},
     {"stimulus 'step': parameter 'ou.sigma' belongs to a stimulus labelled 'ou', and the run has none (its "
      "stimulus label: 'step'); to add it, sum it with the run's stimulus: --stimulus step --stimulus ou (stimulus = "
      "step+ou in a scenario file"}},
    {"a parameter of a stimulus the scenario lacks", {"@ini"},
     {".ini:5: ", "parameter 'ou.sigma' belongs to a stimulus labelled 'ou'"},
     "stimulus = step\nt_stop = 5\n\n[stimulus]\nou.sigma = 0.1\n"},
    {"a part's parameter without its label", {"--stimulus", "step+ou", "--set", "stimulus.amplitude=5"},
     {"unknown parameter 'amplitude': the parameters of a sum of stimuli are named LABEL.PARAM, one per part; did you "
      "mean 'stimulus.step.amplitude'?"}},
    {"a misspelled stimulus label", {"--stimulus", "step", "--stimulus", "sine", "--set", "stimulus.sien.amplitude=1"},
     {"(its stimulus labels: 'step', 'sine'); did you mean 'sine.amplitude'?"}},
    {"empty output name", {"--name", ""}, {"--name is empty"}},
    {"empty stimulus", {"--stimulus", ""}, {"--stimulus is empty; give a stimulus plug-in's name"}},
    {"empty integrator", {"--integrator", ""}, {"--integrator is empty; give an integrator plug-in's name"}},
    {"a step count beyond 2^53", {"--t-stop", "1e-300", "--dt", "1e-300"},
     {"stimulus onset = 20 ms is 2e301 steps of dt = 1e-300 ms, more than a run can count (2^53)"}},
    {"hidden output name", {"--name", ".run"}, {"--name '.run' begins with '.': its outputs would be hidden files",
                                                "e.g. --name 'run'"}},
    {"output name read as an option", {"--name=-run"}, {"--name '-run' begins with '-'", "e.g. --name 'run'"}},
    {"a recorded cell twice", {"--cells", "4", "--record-cells", "0:2,1"}, {"cell 1 is listed twice"}},
    {"unknown recorded variable", {"--record", "v,vv"}, {"unknown variable 'vv'", "did you mean 'v'?"}},
    {"empty range of recorded cells", {"--cells", "4", "--record-cells", "3:2"}, {"the range '3:2' holds no cell"}},
    {"recorded cell out of range", {"--cells", "4", "--record-cells", "0,4"},
     {"cell 4 is out of range", "4 cells (0 to 3)"}},
};

BOOST_DATA_TEST_CASE(bad_input_fails_and_writes_nothing, boost::unit_test::data::make(bad_inputs), b) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    std::vector<std::string> args{"run"};
    for (const auto& a : b.args) {
        if (a == "@ini") {
            const fs::path file = logs.path() / "scenario.ini";
            std::ofstream(file) << b.ini;
            args.push_back(file.string());
        } else if (a == "@dir") {
            fs::create_directory(logs.path() / "directory.ini");
            args.push_back((logs.path() / "directory.ini").string());
        } else if (a == "@missing") {
            args.push_back((logs.path() / "does-not-exist.ini").string());
        } else if (a == "@eq") {  // a model file given where a scenario goes
            const fs::path file = logs.path() / "cell.eq";
            std::ofstream(file) << "parameter tau = 10 ms\n";
            args.push_back(file.string());
        } else {
            args.push_back(a);
        }
    }
    const auto result = run_soma(cwd.path(), logs.path(), args);
    BOOST_TEST(result.code != 0, result);
    BOOST_TEST(result.err.rfind("soma: error: ", 0) == 0u, result);
    for (const auto& part : b.expected) SOMA_CHECK_CONTAINS(result.err, part);
    BOOST_TEST(result.out.empty(), result);
    check_no_output(cwd.path());
}

BOOST_AUTO_TEST_CASE(command_line_integrator_replaces_the_files_integrator_section) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"run", (fs::path(SOMA_EXAMPLES_DIR) / "lif-step.ini").string(), "--integrator",
                                  "dopri5", "--recorder", "none"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.err, "ignoring 'integrator.locate_spikes' of the scenario file");
    // Located reset: the first spike is at onset + ln(I / (I - 1)) = 20 + 5.30330 ms, not on the grid.
    SOMA_CHECK_CONTAINS(result.out, "9 spike(s), first at t = 25.3033 ms");
}

// --version says whether this soma can split a run over MPI ranks.
// A count in scientific form is taken when its value is whole: --cells 1e3 is 1000 cells.
BOOST_AUTO_TEST_CASE(cells_in_scientific_form) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto r = run_soma(cwd.path(), logs.path(), {"run", "--cells", "1e3", "--t-stop", "1", "--recorder", "none"});
    BOOST_TEST_REQUIRE(r.code == 0, r);
    SOMA_CHECK_CONTAINS(r.out, ", 1000 cells on ");
}

BOOST_AUTO_TEST_CASE(version_says_whether_mpi_is_built_in) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"--version"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
#ifdef SOMA_TEST_WITH_MPI
    SOMA_CHECK_CONTAINS(result.out, "(MPI: ");
#else
    SOMA_CHECK_CONTAINS(result.out, "(built without MPI)");
#endif
}

// A population from the command line: tidy samples of the default selection (v of cells 0 to 9, with a note),
// every cell's spikes, and one row per cell in the cell table, whose spike counts are those of the spike file.
BOOST_AUTO_TEST_CASE(population_writes_tidy_samples_spikes_and_a_cell_table) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"run", "--cells", "20", "--set", "stimulus.amplitude=linspace(0,20,20)", "--t-stop",
                                  "30", "--recorder", "csv", "--threads", "2"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "20 cells on 2 threads");
    SOMA_CHECK_CONTAINS(result.err, "recording the spikes of every cell and v of cells 0 to 9");
    const fs::path dir = cwd.path() / "soma-output";
    BOOST_TEST(entries(dir) == (std::vector<std::string>{"hh-step.csv", "hh-step_cells.csv", "hh-step_spikes.csv",
                                                          "hh-step_summary.json"}),
               boost::test_tools::per_element());
    const CsvFile samples = read_csv(dir / "hh-step.csv");
    BOOST_TEST(samples.header == "t (ms),cell,v (mV)");
    BOOST_TEST_REQUIRE(samples.rows.size() == 3000u * 10u);
    for (std::size_t row = 0; row < 20; ++row) {
        const std::string& r = samples.rows[row];
        BOOST_TEST(r.substr(r.find(',') + 1, r.rfind(',') - r.find(',') - 1) == std::to_string(row % 10));
    }
    const CsvFile spikes = read_csv(dir / "hh-step_spikes.csv");
    const CsvFile cells = read_csv(dir / "hh-step_cells.csv");
    BOOST_TEST(cells.header == "cell,stimulus.amplitude (uA/cm^2),spikes,rate (Hz),first spike (ms),mean ISI (ms),CV ISI");
    // The rate column is defined in the file: it is not a sweep's rate (1000 / mean ISI in a window).
    SOMA_CHECK_CONTAINS(read_file(dir / "hh-step_cells.csv"), "\n# rate (Hz): spikes / t_stop, over the whole run");
    BOOST_TEST_REQUIRE(cells.rows.size() == 20u);
    std::size_t total = 0;
    for (std::size_t c = 0; c < 20; ++c) {
        const std::string& row = cells.rows[c];
        const auto first = row.find(','), second = row.find(',', first + 1), third = row.find(',', second + 1);
        const std::size_t n = std::stoul(row.substr(second + 1, third - second - 1));
        const auto in_file = static_cast<std::size_t>(std::count_if(spikes.rows.begin(), spikes.rows.end(), [&](const std::string& s) {
            return s.substr(0, s.find(',')) == std::to_string(c);
        }));
        BOOST_TEST(n == in_file, "cell " << c);
        total += n;
    }
    BOOST_TEST(total == spikes.rows.size());
    BOOST_TEST(total > 10u);
}

// A scenario's table of cells (cells_from) is found relative to the scenario file, and fixes the number of cells.
BOOST_AUTO_TEST_CASE(scenario_cell_table_is_relative_to_the_scenario) {
    const TempDir dir("soma-test-scenario"), cwd("soma-test-cwd"), logs("soma-test-logs");
    std::ofstream(dir.path() / "cells.csv") << "# two cells\nmodel.g_Na,stimulus.amplitude\n120,10\n100,5\n";
    std::ofstream(dir.path() / "run.ini") << "model = hh\nstimulus = step\ncells_from = cells.csv\nt_stop = 30\n"
                                              "recorder = csv\n";
    const auto result = run_soma(cwd.path(), logs.path(), {"run", (dir.path() / "run.ini").string()});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "2 cells on ");
    const CsvFile cells = read_csv(cwd.path() / "soma-output" / "run_cells.csv");
    BOOST_TEST(cells.header.rfind("cell,model.g_Na (mS/cm^2),stimulus.amplitude (uA/cm^2),spikes,", 0) == 0u, cells.header);
    BOOST_TEST_REQUIRE(cells.rows.size() == 2u);
    BOOST_TEST(cells.rows[0].rfind("0,120,10,", 0) == 0u, cells.rows[0]);
    BOOST_TEST(cells.rows[1].rfind("1,100,5,", 0) == 0u, cells.rows[1]);
    // A cell count that is not the table's is refused, naming the table and its rows.
    const auto more = run_soma(cwd.path(), logs.path(), {"run", (dir.path() / "run.ini").string(), "--cells", "5"});
    BOOST_TEST(more.code == 1, more);
    SOMA_CHECK_CONTAINS(more.err, "cells.csv has 2 rows, one per cell, but the run asks for 5 cells");
}

// Several stimuli from the command line (repeated --stimulus, a label, per-part parameters) and a scenario's
// current file relative to the scenario, summed with a sine: the runs work, the outputs are named after the
// parts, and each part's current is recordable.
BOOST_AUTO_TEST_CASE(stimuli_are_summed_and_scenario_current_files_are_relative_to_the_scenario) {
    const TempDir dir("soma-test-scenario"), cwd("soma-test-cwd"), logs("soma-test-logs");
    auto result = run_soma(cwd.path(), logs.path(),
                           {"run", "--model", "lif", "--stimulus", "step:pulse", "--stimulus", "sine", "--set",
                            "stimulus.pulse.amplitude=2", "--record", "v,I,I.pulse,I.sine", "--recorder", "csv",
                            "--t-stop", "30"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const CsvFile sum = read_csv(cwd.path() / "soma-output" / "lif-step+sine.csv");
    BOOST_TEST(sum.header == "t (ms),v (mV),I (nA),I.pulse (nA),I.sine (nA)");
    std::ofstream(dir.path() / "current.csv") << "t (ms),I (pA)\n0,0\n10,1500\n20,0\n";
    std::ofstream(dir.path() / "played.ini") << "model = lif\nstimulus = current.csv+sine\nt_stop = 30\nrecorder = csv\n"
                                                 "[stimulus]\nsine.amplitude = 0.1\n";
    result = run_soma(cwd.path(), logs.path(), {"run", (dir.path() / "played.ini").string()});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "current.csv+sine stimulus");
    BOOST_TEST(fs::exists(cwd.path() / "soma-output" / "played.csv"));
}

BOOST_AUTO_TEST_CASE(output_name_taken_by_a_directory_fails_before_writing_anything) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path blocker = cwd.path() / "soma-output" / "hh-step.png";
    fs::create_directories(blocker);
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5"});
    BOOST_TEST(result.code != 0, result);
    SOMA_CHECK_CONTAINS(result.err, "hh-step.png' exists and is not a regular file");
    BOOST_TEST(entries(cwd.path() / "soma-output") == std::vector<std::string>{"hh-step.png"},
               boost::test_tools::per_element());
    BOOST_TEST(fs::is_empty(blocker));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(commands)

BOOST_AUTO_TEST_CASE(list_shows_plugins_by_kind) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"list"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    for (const char* part : {"models:", "  hh ", "  lif ", "stimuli:", "  step ", "  ramp ", "  sine ", "  dc ",
                             "integrators:", "  euler ", "recorders:", "  csv "}) {
        SOMA_CHECK_CONTAINS(result.out, part);
    }
    SOMA_CHECK_CONTAINS(result.out, "  gnuplot ");
    BOOST_TEST(entries(cwd.path()).empty());
}

// No placeholder and no C-style number in a plug-in's description: tolerances in each state variable's unit,
// a stimulus's current in the driven model's, defaults as people write them.
BOOST_AUTO_TEST_CASE(describe_shows_units_and_defaults_for_people) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto dopri5 = run_soma(cwd.path(), logs.path(), {"describe", "dopri5"});
    BOOST_TEST_REQUIRE(dopri5.code == 0, dopri5);
    SOMA_CHECK_CONTAINS(dopri5.out, "  rtol           dimensionless          1e-6  [1e-13, 0.1]");
    SOMA_CHECK_CONTAINS(dopri5.out, "  atol           state unit             1e-8  ");
    SOMA_CHECK_CONTAINS(dopri5.out, "(state unit: the unit of each state variable");
    const auto step = run_soma(cwd.path(), logs.path(), {"describe", "step"});
    BOOST_TEST_REQUIRE(step.code == 0, step);
    SOMA_CHECK_CONTAINS(step.out, "  amplitude      model current             7  ");
    for (const auto& out : {dopri5.out, step.out}) {
        BOOST_TEST(out.find('<') == std::string::npos, out);
        BOOST_TEST(out.find("e-0") == std::string::npos, out);
    }
}

BOOST_AUTO_TEST_CASE(describe_hh_shows_parameters_with_units) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"describe", "hh"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    for (const char* part : {"hh (model plug-in", "parameters:", "C_m", "uF/cm^2", "(0, inf)", "g_Na", "mS/cm^2",
                             "g_K", "g_L", "E_Na", "E_K", "E_L", "V_init", "V_spike", "[-200, 200]",
                             "state variables:", "membrane potential", "Na activation gate",
                             "injected current: I in uA/cm^2"}) {
        SOMA_CHECK_CONTAINS(result.out, part);
    }
}

// A dimensionless state variable or current is said so, not "in 1".
BOOST_AUTO_TEST_CASE(describe_izhikevich_says_dimensionless) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"describe", "izhikevich"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "injected current: I, dimensionless (");
    SOMA_CHECK_CONTAINS(result.out, "  u          dimensionless    membrane recovery variable");
    BOOST_TEST(result.out.find(" in 1 ") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(describe_unknown_name_fails_with_suggestion) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    auto result = run_soma(cwd.path(), logs.path(), {"describe", "nosuch"});
    BOOST_TEST(result.code != 0, result);
    SOMA_CHECK_CONTAINS(result.err, "unknown plug-in 'nosuch'");
    SOMA_CHECK_CONTAINS(result.err, "Known: ");
    SOMA_CHECK_CONTAINS(result.err, " hh, ");
    SOMA_CHECK_CONTAINS(result.err, "'soma list' shows them all");
    result = run_soma(cwd.path(), logs.path(), {"describe", "hhh"});
    BOOST_TEST(result.code != 0, result);
    SOMA_CHECK_CONTAINS(result.err, "did you mean 'hh'?");
}

BOOST_AUTO_TEST_SUITE_END()

// `soma phase`: the phase plane of a 2-variable model; its numbers are checked in test_phase_plane.cpp.
BOOST_AUTO_TEST_SUITE(phase)

BOOST_AUTO_TEST_CASE(phase_plane_of_fitzhugh_nagumo_writes_data_script_and_figures) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"phase", "--model", "fitzhugh_nagumo", "--stimulus", "dc", "--set",
                                  "stimulus.amplitude=0.5", "--integrator", "rk4", "--t-stop", "100", "--arrows", "11"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "phase plane of fitzhugh_nagumo at I = 0.5 (stimulus.amplitude)");
    SOMA_CHECK_CONTAINS(result.out, "fixed point v = -0.80");
    SOMA_CHECK_CONTAINS(result.out, ": unstable focus (eigenvalues");
    const fs::path out = cwd.path() / "soma-output";
    const std::vector<std::string> expected{
        "fitzhugh_nagumo_fixed_points.csv", "fitzhugh_nagumo_nullclines.csv",
        "fitzhugh_nagumo_phase.csv",        "fitzhugh_nagumo_phase.gp",
        "fitzhugh_nagumo_phase.png",        "fitzhugh_nagumo_phase.svg",
        "fitzhugh_nagumo_phase_summary.json", "fitzhugh_nagumo_trajectory.csv"};
    BOOST_TEST(entries(out) == expected, boost::test_tools::per_element());
    for (const auto& name : expected) SOMA_CHECK_CONTAINS(result.out, "wrote soma-output/" + name);
    check_png(out / "fitzhugh_nagumo_phase.png", 900, 800);
    const auto grid = read_csv(out / "fitzhugh_nagumo_phase.csv");
    BOOST_TEST(grid.header == "v (1),w (1),dv/dt (1/ms),dw/dt (1/ms)");
    BOOST_TEST(grid.rows.size() == 121u);  // 11 x 11 arrows
    const auto fixed = read_csv(out / "fitzhugh_nagumo_fixed_points.csv");
    BOOST_TEST(fixed.header == "v (1),w (1),Re lambda1 (1/ms),Im lambda1 (1/ms),Re lambda2 (1/ms),Im lambda2 (1/ms),type");
    BOOST_TEST_REQUIRE(fixed.rows.size() == 1u);
    SOMA_CHECK_CONTAINS(fixed.rows[0], ",unstable focus");
    BOOST_TEST(read_csv(out / "fitzhugh_nagumo_trajectory.csv").rows.size() == 10000u);  // 100 ms / 0.01 ms
    const auto nullclines = read_csv(out / "fitzhugh_nagumo_nullclines.csv");
    BOOST_TEST(nullclines.header == "nullcline,v 1 (1),w 1 (1),v 2 (1),w 2 (1)");
    BOOST_TEST(nullclines.rows.size() > 100u);
    const std::string script = read_file(out / "fitzhugh_nagumo_phase.gp");
    SOMA_CHECK_CONTAINS(script, "set xlabel 'v'");
    // The legend names only the kinds of fixed point drawn: here one unstable focus, no stable one.
    SOMA_CHECK_CONTAINS(script, "title 'unstable fixed point'");
    BOOST_TEST(script.find("'stable fixed point'") == std::string::npos, script);
}

BOOST_AUTO_TEST_CASE(phase_plane_of_a_reset_model_names_the_reset) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"phase", "--model", "izhikevich", "--stimulus", "dc", "--set", "stimulus.amplitude=2",
                                  "--name", "izh", "-o", "out", "--resolution", "201"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, ": stable node");
    SOMA_CHECK_CONTAINS(result.out, ": saddle");
    SOMA_CHECK_CONTAINS(result.out, "the reset (v <- -65 mV when v reaches 30 mV) is not part of the vector field");
    const std::string script = read_file(cwd.path() / "out" / "izh_phase.gp");
    SOMA_CHECK_CONTAINS(script, "set xlabel 'v (mV)'");
    SOMA_CHECK_CONTAINS(script, "title 'stable fixed point'");
    SOMA_CHECK_CONTAINS(script, "title 'unstable fixed point'");
}

// The trajectory's samples stop short of the cut-off: the figure draws each spike as a stroke from the last
// sample before it (the row before each blank line of the CSV) to V_peak = 0 mV, at that sample's w.
BOOST_AUTO_TEST_CASE(phase_plane_draws_each_spike_to_the_cut_off) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"phase", "--model", "adex", "--resolution", "51"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "3 spike(s)");
    std::ifstream csv(cwd.path() / "soma-output" / "adex_trajectory.csv");
    std::vector<std::string> before_reset;
    std::string previous;
    for (std::string line; std::getline(csv, line);) {
        if (line.empty()) before_reset.push_back(previous.substr(previous.find(',') + 1));  // "v,w"
        if (!line.empty() && line.front() != '#') previous = line;
    }
    BOOST_TEST_REQUIRE(before_reset.size() == 3u);
    const std::string script = read_file(cwd.path() / "soma-output" / "adex_phase.gp");
    for (std::size_t k = 0; k < before_reset.size(); ++k) {
        const std::string v = before_reset[k].substr(0, before_reset[k].find(','));
        const std::string w = before_reset[k].substr(before_reset[k].find(',') + 1);
        BOOST_TEST(v.front() == '-', before_reset[k]);  // below the cut-off
        SOMA_CHECK_CONTAINS(script, fmt::format("set arrow {} from {}, {} to 0, {} nohead", 10 + k, v, w, w));
    }
    BOOST_TEST(script.find("set arrow 13 ") == std::string::npos);
}

// A second phase plane of another current does not replace the first's files without --force; a trajectory
// too long to hold is refused before it runs; a --current that is not the stimulus's is said, in the figure too.
BOOST_AUTO_TEST_CASE(phase_plane_outputs_are_guarded_and_honest) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::vector<std::string> base{"phase", "--model", "fitzhugh_nagumo", "--stimulus", "dc", "--set",
                                        "stimulus.amplitude=0.5", "--resolution", "101"};
    const auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return run_soma(cwd.path(), logs.path(), args);
    };
    const auto first = with({"--current", "0", "--t-stop", "50"});
    BOOST_TEST_REQUIRE(first.code == 0, first);
    SOMA_CHECK_CONTAINS(first.out, "the field, nullclines and fixed points are at I = 0 (--current); the trajectory runs "
                                   "at I = 0.5");
    SOMA_CHECK_CONTAINS(read_file(cwd.path() / "soma-output" / "fitzhugh_nagumo_phase.gp"),
                        "title 'trajectory (at I = 0.5)'");
    const auto other = with({"--current", "1", "--t-stop", "50"});
    BOOST_TEST(other.code == 1, other);
    SOMA_CHECK_CONTAINS(other.err, "are from a different run");
    const auto again = with({"--current", "0", "--t-stop", "50"});
    BOOST_TEST(again.code == 0, again);  // the same phase plane replaces its own files
    const auto forced = with({"--current", "1", "--t-stop", "50", "--force"});
    BOOST_TEST(forced.code == 0, forced);
    for (const std::string bad : {"nan", "inf"}) {
        const auto refused = with({"--current", bad, "-o", "bad"});
        BOOST_TEST(refused.code == 1, refused);
        SOMA_CHECK_CONTAINS(refused.err, "'--current'");
    }
    const auto huge = with({"--t-stop", "1e6", "-o", "huge"});
    BOOST_TEST(huge.code == 1, huge);
    SOMA_CHECK_CONTAINS(huge.err, "the trajectory would have 100000000 points (1000000 ms at dt = 0.01 ms, 2400 MB in "
                                  "memory); a phase plane draws at most 10000000: give a shorter --t-stop or a larger --dt");
    const auto per_cell = with({"--set", "model.a=0.7,0.8", "-o", "cells"});
    BOOST_TEST(per_cell.code == 1, per_cell);
    SOMA_CHECK_CONTAINS(per_cell.err, "a phase plane is of one cell: give single values, not per-cell lists, tables or "
                                      "random draws, and no --cells (per cell: model.a = list of 2 values)");
    BOOST_TEST(!fs::exists(cwd.path() / "bad"));
    BOOST_TEST(!fs::exists(cwd.path() / "huge"));
    BOOST_TEST(!fs::exists(cwd.path() / "cells"));
}

// A reset is a jump, not a path: the trajectory's line breaks there (a blank line in its CSV per reset).
BOOST_AUTO_TEST_CASE(phase_plane_trajectory_breaks_at_resets) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"phase", "--model", "izhikevich", "--stimulus", "dc", "--set", "stimulus.amplitude=10",
                                  "--t-stop", "200", "--resolution", "101", "--summary", "none"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "trajectory: 199.99 ms under the dc stimulus, 5 spike(s)");
    const std::string csv = read_file(cwd.path() / "soma-output" / "izhikevich_trajectory.csv");
    std::size_t blank = 0;
    for (std::size_t at = csv.find("\n\n"); at != std::string::npos; at = csv.find("\n\n", at + 1)) ++blank;
    BOOST_TEST(blank == 5u);
    SOMA_CHECK_CONTAINS(read_file(cwd.path() / "soma-output" / "izhikevich_phase.gp"), "every ::0:0:0:0");
}

BOOST_AUTO_TEST_CASE(phase_plane_of_hh_is_refused_and_writes_nothing) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"phase", "--model", "hh"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "soma: error: model 'hh' has 4 state variables (v, m, n, h); a phase plane needs "
                                    "exactly 2: ");
    for (const char* model : {"fitzhugh_nagumo", "izhikevich", "adex", "or a 2-variable model file"}) {
        SOMA_CHECK_CONTAINS(result.err, model);
    }
    check_no_output(cwd.path());
    // lif would get a note about its drive: the refusal comes first, alone.
    const auto lif = run_soma(cwd.path(), logs.path(), {"phase", "--model", "lif"});
    BOOST_TEST(lif.code == 1, lif);
    BOOST_TEST(lif.err.starts_with("soma: error: model 'lif' has 1 state variable (v); a phase plane needs exactly 2"),
               lif.err);
    check_no_output(cwd.path());
}

BOOST_AUTO_TEST_CASE(phase_bad_ranges_and_options_are_refused_and_write_nothing) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::vector<std::string> fhn{"phase", "--model", "fitzhugh_nagumo", "--stimulus", "dc"};
    const auto with = [&](std::vector<std::string> extra) {
        auto args = fhn;
        args.insert(args.end(), extra.begin(), extra.end());
        return run_soma(cwd.path(), logs.path(), args);
    };
    auto result = with({"--v-range=2:-2"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--v-range '2:-2' is an empty range");
    result = with({"--w-range", "1"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--w-range '1': expected A:B");
    result = with({"--v-range=-1e308:1e308"});  // finite bounds, an infinite width
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "is too wide to draw");
    result = with({"--v-rnage=1:2"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "did you mean '--v-range'?");
    result = with({"--cells", "3"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--cells does not apply to a phase plane");
    result = run_soma(cwd.path(), logs.path(), {"phase", "--model", "fitzhugh_nagumo", "--stimulus", "sine"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--current");
    check_no_output(cwd.path());
}

BOOST_AUTO_TEST_SUITE_END()

// soma sweep, fi and rheobase end to end: the files, the table's rows against the terminal's, the summary,
// and bad input that leaves nothing behind.
BOOST_AUTO_TEST_SUITE(experiments)

BOOST_AUTO_TEST_CASE(sweep_writes_a_table_a_figure_and_a_summary) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"sweep", "--vary", "stimulus.amplitude=0,10", "--vary", "model.g_K=30,36,42",
                                  "--t-stop", "60", "--progress", "on"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "sweep of 6 cells (stimulus.amplitude = 0,10 x model.g_K = 30,36,42)");
    const fs::path dir = cwd.path() / "soma-output";
    BOOST_TEST(entries(dir) == (std::vector<std::string>{"hh-step_sweep.csv", "hh-step_sweep.gp", "hh-step_sweep.png",
                                                         "hh-step_sweep.svg", "hh-step_sweep_summary.json"}),
               boost::test_tools::per_element());
    const CsvFile table = read_csv(dir / "hh-step_sweep.csv");
    BOOST_TEST(table.header == "cell,stimulus.amplitude (uA/cm^2),model.g_K (mS/cm^2),spikes,spikes in window,rate (Hz),"
                               "latency (ms),mean ISI (ms),CV ISI");
    BOOST_TEST_REQUIRE(table.rows.size() == 6u);
    BOOST_TEST(table.rows[1].substr(0, 7) == "1,0,36,");  // the last axis varies fastest
    BOOST_TEST(table.rows[4].substr(0, 8) == "4,10,36,");
    const std::string json = read_file(dir / "hh-step_sweep_summary.json");
    SOMA_CHECK_CONTAINS(json, "\"window_ms\"");
    SOMA_CHECK_CONTAINS(json, "\"command\"");
    // The script re-draws from the committed files, in its own directory.
    const std::string script = read_file(dir / "hh-step_sweep.gp");
    SOMA_CHECK_CONTAINS(script, "datafile = 'hh-step_sweep.csv'");
    fs::remove(dir / "hh-step_sweep.png");
    bp::child gnuplot(bp::search_path("gnuplot"), "hh-step_sweep.gp", bp::start_dir = dir.string(), bp::std_in < bp::null,
                      bp::std_out > bp::null, bp::std_err > bp::null);
    gnuplot.wait();
    BOOST_TEST(gnuplot.exit_code() == 0);
    check_png(dir / "hh-step_sweep.png", 1400, 600);  // two axes: heat map and curves
    // Units as the other figures show them (the table above keeps the ASCII form).
    SOMA_CHECK_CONTAINS(script, "'stimulus.amplitude (\u00b5A/cm\u00b2)'");
    SOMA_CHECK_CONTAINS(script, "'model.g_K (mS/cm\u00b2)'");
}

// An axis of one value still gives a heat map: one box per cell (gnuplot's `with image` drew nothing).
BOOST_AUTO_TEST_CASE(a_heat_map_with_one_value_on_an_axis_draws_each_cell) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"sweep", "--model", "lif", "--stimulus", "dc", "--vary", "stimulus.amplitude=1,2,3",
                                  "--vary", "model.tau_m=10", "--t-stop", "50", "--summary", "none"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const std::string script = read_file(cwd.path() / "soma-output" / "lif-dc_sweep.gp");
    SOMA_CHECK_CONTAINS(script, "with boxxyerror fillstyle solid noborder lc palette");
    BOOST_TEST(script.find("with image") == std::string::npos, script);
}

// An f-I curve whose amplitudes are all below what the model needs says so and suggests a range; a rheobase
// search runs the whole stimulus, as soma run does (it cut a 300 ms step at the default 100 ms).
BOOST_AUTO_TEST_CASE(experiments_fit_the_model_and_the_stimulus) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto fi = run_soma(cwd.path(), logs.path(),
                             {"fi", "--model", "adex", "--preset", "adaptation", "--amplitude", "0,10,20", "--summary",
                              "none", "--name", "a"});
    BOOST_TEST_REQUIRE(fi.code == 0, fi);
    SOMA_CHECK_CONTAINS(fi.err, "soma: note: no cell fired: the amplitudes reach 20 pA, and adex (preset adaptation) "
                                "suggests a step of 500 pA");
    SOMA_CHECK_CONTAINS(fi.err, "try e.g. --amplitude 'linspace(0, 1000, 21)'");
    // Its figure says so too, over a flat line at 0 (gnuplot's range is not empty).
    const std::string silent = read_file(cwd.path() / "soma-output" / "a_sweep.gp");
    SOMA_CHECK_CONTAINS(silent, "set yrange [0:1]\nset label 'no cell fired in the analysis window'");
    // hh's f-I curve jumps from 0 to 58 Hz between 6 and 7 uA/cm^2 (in the window [45, 70) ms of the default step):
    // the curve is not joined across the onset.
    const auto jump = run_soma(cwd.path(), logs.path(), {"fi", "--amplitude", "0,6,7,10", "--summary", "none", "--name", "j"});
    BOOST_TEST_REQUIRE(jump.code == 0, jump);
    SOMA_CHECK_CONTAINS(jump.out, "firing onset: between stimulus.amplitude = 6 and 7 uA/cm^2");
    const std::string split = read_file(cwd.path() / "soma-output" / "j_sweep.gp");
    SOMA_CHECK_CONTAINS(split, "using 2:($2 < 7 ? column(");
    SOMA_CHECK_CONTAINS(split, "using 2:($2 >= 7 ? column(");
    const auto rheobase = run_soma(cwd.path(), logs.path(),
                                   {"rheobase", "--model", "lif", "--set", "stimulus.offset=300", "--high", "5",
                                    "--firing", "sustained", "--summary", "none", "--name", "r"});
    BOOST_TEST_REQUIRE(rheobase.code == 0, rheobase);
    SOMA_CHECK_CONTAINS(rheobase.out, "330 ms at dt = 0.01 ms");
    SOMA_CHECK_CONTAINS(rheobase.out, "(does not fire until the end at ");
    // Per-cell values beside the axes pair with the cells: said, since the curve then mixes them.
    const auto paired = run_soma(cwd.path(), logs.path(),
                                 {"sweep", "--model", "lif", "--stimulus", "dc", "--vary", "stimulus.amplitude=1,2",
                                  "--set", "model.tau_m=5,10", "--t-stop", "20", "--summary", "none", "--name", "p"});
    BOOST_TEST_REQUIRE(paired.code == 0, paired);
    SOMA_CHECK_CONTAINS(paired.err, "besides the axes, each cell has its own model.tau_m (list of 2 values)");
    const auto three = run_soma(cwd.path(), logs.path(),
                                {"sweep", "--model", "lif", "--stimulus", "dc", "--vary", "stimulus.amplitude=1,2",
                                 "--vary", "model.tau_m=5,10", "--vary", "model.R=10,20", "--t-stop", "20", "--summary",
                                 "none", "--name", "three"});
    BOOST_TEST_REQUIRE(three.code == 0, three);
    SOMA_CHECK_CONTAINS(three.err, "a sweep of 3 axes has no figure");
}

// Without --amplitude, the f-I curve's range is scaled to the model's step (lif: 1.1 nA, so 0 to 20 / 7 * 1.1
// nA): it crosses lif's rheobase R I = V_th = 1 nA, which the hh range of 0 to 20 nA would pass in one point.
BOOST_AUTO_TEST_CASE(fi_default_amplitudes_suit_the_model) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"fi", "--model", "lif", "--stimulus", "dc", "--summary", "none", "--t-stop", "50"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.err, "the amplitudes are linspace(0, 3.143, 21) nA: 20/7 times the step of 1.1 nA that "
                                    "lif suggests");
    // Rheobase 1 nA: the cells at 0.9429 nA and below are silent, those from 1.1 nA on fire.
    SOMA_CHECK_CONTAINS(result.out, "firing onset: between stimulus.amplitude = 0.9429 and 1.1");
}

BOOST_AUTO_TEST_CASE(fi_and_rheobase_of_lif) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    auto result = run_soma(cwd.path(), logs.path(),
                           {"fi", "--model", "lif", "--stimulus", "dc", "--amplitude", "linspace(0,3,4)", "--summary",
                            "none", "--name", "f"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "firing onset: between stimulus.amplitude = 1 and 2 nA");
    result = run_soma(cwd.path(), logs.path(),
                      {"rheobase", "--model", "lif", "--set", "stimulus.onset=0", "--set", "stimulus.offset=100",
                       "--high", "3", "--tolerance", "1e-4", "--name", "r", "--set", "model.V_th=1,2"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const CsvFile table = read_csv(cwd.path() / "soma-output" / "r_rheobase.csv");
    BOOST_TEST(table.header == "cell,model.V_th (mV),rheobase (nA),below (nA)");
    BOOST_TEST_REQUIRE(table.rows.size() == 2u);
    BOOST_TEST(entries(cwd.path() / "soma-output") ==
                   (std::vector<std::string>{".f_sweep_summary.json",  // the owner record of --summary none
                                             "f_sweep.csv", "f_sweep.gp", "f_sweep.png", "f_sweep.svg",
                                             "r_rheobase.csv", "r_rheobase_summary.json"}),
               boost::test_tools::per_element());
}

// A scenario's amplitude gives way to the f-I curve's axis (with a note), as command-line values override a
// scenario's.
BOOST_AUTO_TEST_CASE(fi_of_a_scenario_replaces_its_amplitude) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(),
                                 {"fi", SOMA_EXAMPLES_DIR "/hh-step.ini", "--amplitude", "0,10", "--summary", "none"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.err, "stimulus.amplitude = 7 (from the scenario or --set) is replaced by the sweep's values");
    SOMA_CHECK_CONTAINS(result.out, "firing onset: between stimulus.amplitude = 0 and 10 uA/cm^2");
}

// A window that is no window is reported before the outputs are looked at: the user who mends the name
// conflict first would otherwise meet the next error only then.
BOOST_AUTO_TEST_CASE(a_bad_window_is_reported_before_a_name_conflict) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::vector<std::string> fi{"fi", "--model", "lif", "--t-stop", "40", "--recorder", "none"};
    auto first = fi;
    first.insert(first.end(), {"--amplitude", "1,2"});
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), first).code == 0);
    auto second = fi;
    second.insert(second.end(), {"--amplitude", "1,3", "--window", "15:5"});
    const auto result = run_soma(cwd.path(), logs.path(), second);
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--window 15:5: FROM must be at least 0 and less than TO");
    BOOST_TEST(result.err.find("different run") == std::string::npos, result);
}

// A sweep without --window whose stimulus starts after the run is an error, which is not preceded by a note
// that says the same (lif's default step starts at 20 ms).
BOOST_AUTO_TEST_CASE(a_stimulus_after_the_run_is_one_error_not_a_note_and_an_error) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"fi", "--model", "lif", "--t-stop", "20", "--amplitude", "1,2"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "soma: error: the stimulus starts at 20 ms, at or after the end of the run (20 ms)");
    BOOST_TEST(result.err.find("soma: note:") == std::string::npos, result);
    check_no_output(cwd.path());
}

BOOST_AUTO_TEST_CASE(bad_experiments_write_nothing) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"sweep"}, "needs at least one axis"},
        {{"sweep", "--vary", "stimulus.amplitude="}, "the axis has no values"},
        {{"sweep", "--vary", "model.g_Kx=1,2"}, "did you mean 'g_K'"},
        {{"run", "--stimulus", "step:"}, "stimulus 'step:': the label after ':' in 'step:' is empty"},
        {{"run", "--set", "integrator.rtol=1e-6"},
         "integrator 'euler': unknown parameter 'rtol'. Known: locate_spikes. 'rtol' is a parameter of the integrators "
         "cvode and dopri5: choose one with --integrator."},
        {{"run", "--set", "stimulus.sigma=1"},
         "'sigma' is a parameter of the stimuli ou and white: choose one with --stimulus."},
        {{"run", "--set", "stimulus.mean=1", "--stimulus", "sine"},
         "'mean' is a parameter of the stimuli ou and white: choose one with --stimulus."},
        {{"sweep", "--vary", "model.g_K=linspace(1,2,100000)", "--vary", "model.g_Na=linspace(1,2,100000)"},
         "more than 4294967296 cells"},
        {{"sweep", "--vary", "model.g_K=30,36", "--window", "50:20"},
         "--window 50:20: FROM must be at least 0 and less than TO (ms), e.g. --window 20:50"},
        {{"sweep", "--vary", "model.g_K=30,36", "--window", "50:2000"}, "not a window of the run"},
        {{"sweep", "--vray", "model.g_K=30,36"}, "did you mean '--vary'"},
        {{"fi", "--stimulus", "step+sine:drive"},
         "a sum of stimuli (stimulus.step.amplitude, stimulus.drive.amplitude)"},
        {{"fi", "--stimulus", "step+ou"}, "a sum of stimuli (stimulus.step.amplitude); vary the one"},
        {{"fi", "--vary", "stimulus.amplitude=1,2"}, "soma fi varies stimulus.amplitude itself; give its values with "
                                                     "--amplitude (e.g. --amplitude '1,2')"},
        {{"sweep", "--vary", "model.g_K=linspac(1,2,3)"},
         "unknown function 'linspac'; did you mean 'linspace'? Known: linspace. An axis is a list"},
        {{"rheobase"}, "needs --high"},
        {{"rheobase", "--high", "20", "--record", "v"},
         "--record does not apply to soma rheobase: the search keeps only whether each trial fires"},
        {{"rheobase", "--high", "20", "--set", "stimulus.onset=10,150", "--set", "stimulus.offset=160", "--t-stop", "100"},
         "cell 1: the stimulus starts at or after the end of the run (100 ms), so no amplitude makes it fire"},
        {{"rheobase", "--high", "2"}, "give a larger --high"},
        {{"rheobase", "--high", "nan"}, "option '--high': 'nan' is not a finite number"},
        {{"rheobase", "--high", "1e308"}, "at the upper bound --high 1e308 uA/cm^2: the simulation diverged"},
        {{"fi", "--amplitude", ""}, "--amplitude '' gives no amplitude"},
        {{"run", "--cells", "99999999999999999999"}, "is too large a number of cells"},
        {{"run", "a.ini", "b.ini"}, "soma run takes one scenario file, not several ('a.ini', 'b.ini'); run soma once "
                                    "for each, or put the runs' cells into one scenario"},
        {{"phase", "a.ini", "b.ini"}, "soma phase takes one scenario file, not several ('a.ini', 'b.ini'); run soma "
                                      "once for each. See 'soma phase --help'."},
        {{"rheobase", "--high", "20", "--low", "10"}, "give a lower --low"},
        {{"rheobase", "--high", "20", "--firing", "sustaned"}, "did you mean 'sustained'"},
        {{"rheobase", "--high", "20", "--batch", "0"}, "--batch 0 is not allowed"},
    };
    for (const auto& [args, expected] : cases) {
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST_CONTEXT(args.front() << " " << (args.size() > 1 ? args[1] : "")) {
            BOOST_TEST(result.code == 1, result);
            SOMA_CHECK_CONTAINS(result.err, expected);
            BOOST_TEST(!fs::exists(cwd.path() / "soma-output"));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

// Small things a first user ran into: `--set NAME VALUE` with a blank, and `soma describe NAME --help`.
BOOST_AUTO_TEST_SUITE(first_user)

BOOST_AUTO_TEST_CASE(set_with_a_blank_is_recognised) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "--set", "model.g_Na", "100"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--set 'model.g_Na 100': write the value after '=', without blanks: --set model.g_Na=100");
    BOOST_TEST(!fs::exists(cwd.path() / "soma-output"));
}

// Quoted, blanks around '=' are allowed as in a scenario file: hh with g_Na = 0 cannot fire.
BOOST_AUTO_TEST_CASE(set_with_blanks_around_the_equals_sign_is_read) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "--set", "model.g_Na = 0", "--recorder", "none"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "no spikes");
}

BOOST_AUTO_TEST_CASE(a_parameter_set_twice_is_refused) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto result =
        run_soma(cwd.path(), logs.path(), {"run", "--set", "model.g_Na=100", "--set", "model.g_Na=110"});
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "--set model.g_Na is given twice ('100' and '110'); set each parameter once");
}

// INI comments after ';' and a UTF-8 byte-order mark (as some editors write) are not part of the values.
BOOST_AUTO_TEST_CASE(scenario_comments_and_bom) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    {
        std::ofstream ini(cwd.path() / "s.ini");
        ini << "\xEF\xBB\xBFmodel = lif ; the model\n; a whole-line comment\nt_stop = 20 ; ms\nrecorder = none\n";
    }
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "s.ini"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.out, "s: lif with step stimulus and euler, 20 ms");
}

// A model file whose reset puts v above its threshold: every integrator refuses it at the first spike (euler and
// dopri5 used to leave the cell above threshold, never to fire again, and report one spike). A reset of another
// variable alone, v left as it was, is a model's right (spike-triggered adaptation) and runs.
BOOST_AUTO_TEST_CASE(a_reset_above_threshold_is_refused_by_every_integrator) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::string body = "parameter tau = 10 ms (0, inf)\ncurrent I mV/ms\nstate v = 0 mV\nstate w = 0 mV/ms\n"
                             "dv/dt = -v/tau + I - w\ndw/dt = -w/tau\nthreshold v > 1 mV\n";
    std::ofstream(cwd.path() / "up.eq") << body << "reset v = 2 mV\n";
    std::ofstream(cwd.path() / "w.eq") << body << "reset w = w + 0.01 mV/ms\n";
    for (const std::string integrator : {"euler", "rk4", "dopri5", "cvode"}) {
        const std::vector<std::string> args{"run", "--stimulus", "dc", "--set", "stimulus.amplitude=0.5",
                                            "--integrator", integrator, "--recorder", "none", "--model"};
        auto up = args;
        up.push_back("up.eq");
        const auto refused = run_soma(cwd.path(), logs.path(), up);
        BOOST_TEST(refused.code == 1, integrator << ": " << refused);
        SOMA_CHECK_CONTAINS(refused.err, "the model reset cell 0 to v = 2 mV, not below its threshold 1 mV");
        auto w = args;
        w.push_back("w.eq");
        const auto adapted = run_soma(cwd.path(), logs.path(), w);
        BOOST_TEST(adapted.code == 0, integrator << ": " << adapted);
    }
}

// A grid too coarse for the spike train: Euler's LIF at dt = tau_m = 1 ms fires at every step (100 spikes, where
// the model fires every tau_m ln(1.1/0.1) = 2.4 ms: 41). The run says so; at dt = 0.1 ms (ISI of 24 steps) it does not.
BOOST_AUTO_TEST_CASE(a_step_too_coarse_for_the_spike_train_is_noted) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto coarse = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--stimulus", "dc", "--dt", "1",
                                                           "--recorder", "none"});
    BOOST_TEST_REQUIRE(coarse.code == 0, coarse);
    SOMA_CHECK_CONTAINS(coarse.out, "100 spike(s)");
    SOMA_CHECK_CONTAINS(coarse.err, "soma: note: cell 0 fired on average every 0.9999 ms, fewer than 5 steps of dt = 1 "
                                    "ms: too few to resolve a spike");
    const auto fine = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--stimulus", "dc", "--dt", "0.1",
                                                         "--recorder", "none"});
    BOOST_TEST_REQUIRE(fine.code == 0, fine);
    BOOST_TEST(fine.err.find("fired on average") == std::string::npos, fine);
    // cvode chooses its own steps (dt is the output grid only): the model's 41 spikes, and no note.
    const auto adaptive = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--stimulus", "dc", "--dt", "1",
                                                             "--integrator", "cvode", "--recorder", "none"});
    BOOST_TEST_REQUIRE(adaptive.code == 0, adaptive);
    SOMA_CHECK_CONTAINS(adaptive.out, "41 spike(s)");
    BOOST_TEST(adaptive.err.find("fired on average") == std::string::npos, adaptive);
}

// Several recorders in a scenario file: one line each, as --recorder is repeated, or a list.
BOOST_AUTO_TEST_CASE(scenario_recorders_repeat_or_list) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    std::ofstream(cwd.path() / "lines.ini") << "model = lif\nt_stop = 5\nrecorder = csv\nrecorder = hdf5\n";
    std::ofstream(cwd.path() / "list.ini") << "model = lif\nt_stop = 5\nrecorder = csv, hdf5\n";
    for (const std::string name : {"lines", "list"}) {
        const auto result = run_soma(cwd.path(), logs.path(), {"run", name + ".ini"});
        BOOST_TEST_REQUIRE(result.code == 0, result);
        BOOST_TEST(fs::exists(cwd.path() / "soma-output" / (name + ".csv")), name);
        BOOST_TEST(fs::exists(cwd.path() / "soma-output" / (name + "_spikes.h5")), name);
    }
    std::ofstream(cwd.path() / "twice.ini") << "recorder = csv\nrecorder = csv\n";
    const auto twice = run_soma(cwd.path(), logs.path(), {"run", "twice.ini"});
    BOOST_TEST(twice.code == 1, twice);
    SOMA_CHECK_CONTAINS(twice.err, "recorder 'csv' is listed twice");
}

// An empty entry in PATH means the working directory to execvp: a `gnuplot` planted there must not run.
BOOST_AUTO_TEST_CASE(a_planted_gnuplot_in_the_working_directory_is_not_run) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    {
        std::ofstream planted(cwd.path() / "gnuplot");
        planted << "#!/bin/sh\ntouch planted-ran\nexit 1\n";
    }
    fs::permissions(cwd.path() / "gnuplot", fs::perms::owner_all);
    const std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
    ::setenv("PATH", (":" + path).c_str(), 1);
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "gnuplot"});
    ::setenv("PATH", path.c_str(), 1);
    BOOST_TEST(result.code == 0, result);
    BOOST_TEST(!fs::exists(cwd.path() / "planted-ran"));
    BOOST_TEST(fs::exists(cwd.path() / "soma-output" / "hh-step.png"));
}

// Without gnuplot the default run (csv and gnuplot) is refused before it writes anything, and the message
// says how to run without figures.
BOOST_AUTO_TEST_CASE(without_gnuplot_the_message_names_the_csv_recorder) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
    ::setenv("PATH", cwd.path().c_str(), 1);  // no gnuplot there
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5"});
    ::setenv("PATH", path.c_str(), 1);
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "the gnuplot program is not installed");
    SOMA_CHECK_CONTAINS(result.err, "or leave the figures out: --recorder csv");
    BOOST_TEST(!fs::exists(cwd.path() / "soma-output" / "hh-step.csv"));
}

// A run killed by SIGKILL leaves its hidden temporary files; the next run in that folder removes those of
// processes that no longer exist (and says so), not those of a live one.
BOOST_AUTO_TEST_CASE(stale_partial_files_of_killed_runs_are_removed) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path out = cwd.path() / "soma-output";
    fs::create_directories(out);
    // pid_max is at most 2^22 on Linux: 2^30 is never a live process.
    const std::string dead = ".hh-step.csv.partial-1073741824-0badc0de";
    const std::string live = ".other.csv.partial-" + std::to_string(::getpid()) + "-00000000";
    std::ofstream(out / dead) << "half";
    std::ofstream(out / live) << "half";
    // A killed run's lock of another name, which no process holds, goes too; a held one stays.
    std::ofstream(out / ".killed.lock") << "";
    const fs::path held = out / ".running.lock";
    const int fd = ::open(held.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    BOOST_TEST_REQUIRE(fd >= 0);
    BOOST_TEST_REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "csv"});
    ::close(fd);
    BOOST_TEST_REQUIRE(result.code == 0, result);
    SOMA_CHECK_CONTAINS(result.err, "removed 2 temporary files left in 'soma-output' by a run that was killed");
    BOOST_TEST(!fs::exists(out / dead));
    BOOST_TEST(!fs::exists(out / ".killed.lock"));
    BOOST_TEST(fs::exists(out / live));
    BOOST_TEST(fs::exists(held));
    BOOST_TEST(!fs::exists(out / ".hh-step.lock"));  // its own, removed when it ends
}

BOOST_AUTO_TEST_CASE(a_different_runs_outputs_are_kept_unless_forced) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path csv = cwd.path() / "soma-output" / "hh-step.csv";
    const std::vector<std::string> first{"run", "--t-stop", "5", "--recorder", "csv"};
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), first).code == 0);
    const std::string before = read_file(csv);
    // The same command again replaces its own outputs.
    BOOST_TEST(run_soma(cwd.path(), logs.path(), first).code == 0);
    // Another run of the same name is refused and changes nothing ...
    auto other = first;
    other.insert(other.end(), {"--integrator", "rk4"});
    const auto refused = run_soma(cwd.path(), logs.path(), other);
    BOOST_TEST(refused.code == 1, refused);
    SOMA_CHECK_CONTAINS(refused.err, "are from a different run (soma run --t-stop 5 --recorder csv)");
    SOMA_CHECK_CONTAINS(refused.err, "--force to replace them");
    BOOST_TEST(read_file(csv) == before);
    // ... unless forced.
    other.push_back("--force");
    BOOST_TEST(run_soma(cwd.path(), logs.path(), other).code == 0);
    BOOST_TEST(read_file(csv) != before);
    BOOST_TEST(!fs::exists(cwd.path() / "soma-output" / ".hh-step.lock"), "the lock file is removed when done");
}

// The same run is the same settings, however they are spelled; a run without a summary is protected too.
BOOST_AUTO_TEST_CASE(the_same_run_spelled_differently_replaces_its_outputs_and_summary_none_protects_them) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path out = cwd.path() / "soma-output";
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "csv"}).code == 0);
    std::ofstream(cwd.path() / "same.ini") << "t_stop = 5.0\nrecorder = csv\ndt = 1e-2\nname = hh-step\n"
                                                 "[model]\ng_Na = 120\n";
    for (const std::vector<std::string>& same :
         {std::vector<std::string>{"run", "--recorder", "csv", "--t-stop", "5e0", "--dt", "0.01", "--output", "soma-output/",
                                   "--threads", "2", "--progress", "off"},
          std::vector<std::string>{"run", "--t-stop=5", "--recorder=csv", "--output", "./soma-output", "--summary", "json"}}) {
        const auto again = run_soma(cwd.path(), logs.path(), same);
        BOOST_TEST(again.code == 0, again);
    }
    // The order of the recorders does not make another run.
    BOOST_TEST(run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "csv", "--recorder", "hdf5", "--name", "two"}).code == 0);
    const auto reordered = run_soma(cwd.path(), logs.path(),
                                    {"run", "--t-stop", "5", "--recorder", "hdf5", "--recorder", "csv", "--name", "two"});
    BOOST_TEST(reordered.code == 0, reordered);
    // A parameter given at its default value is the same run, from a scenario file or the command line; at
    // another value it is another run.
    const auto at_default = run_soma(cwd.path(), logs.path(), {"run", "same.ini"});
    BOOST_TEST(at_default.code == 0, at_default);
    BOOST_TEST(run_soma(cwd.path(), logs.path(), {"run", "--set", "model.g_Na=1.2e2", "--t-stop", "5", "--recorder",
                                                  "csv"}).code == 0);
    const auto other_value = run_soma(cwd.path(), logs.path(), {"run", "--set", "model.g_Na=100", "--t-stop", "5",
                                                                "--recorder", "csv"});
    BOOST_TEST(other_value.code == 1, other_value);
    SOMA_CHECK_CONTAINS(other_value.err, "are from a different run (soma run");
    // A population: the cell count the lists imply, and every cell as the recorded cells, are the same run;
    // a part of the cells is another.
    const std::vector<std::string> population{"run", "--set", "stimulus.amplitude=5,7,9", "--t-stop", "5",
                                              "--recorder", "csv", "--name", "p"};
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), population).code == 0);
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{"--cells", "3"}, {"--record-cells", "0:3"}, {"--record-cells", "0,1,2", "--cells", "3"},
          {"--record-cells", "2,1,0"}, {"--record", "I,v,m,n,h"}, {"--record", "v,m,n,h,I", "--record-cells", "0:3"},
          {"--set", "model.g_Na=120,120,120"}}) {
        auto args = population;
        args.insert(args.end(), extra.begin(), extra.end());
        const auto same = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST(same.code == 0, same);
    }
    auto part = population;
    part.insert(part.end(), {"--record-cells", "0:2"});
    const auto fewer = run_soma(cwd.path(), logs.path(), part);
    BOOST_TEST(fewer.code == 1, fewer);
    SOMA_CHECK_CONTAINS(fewer.err, "are from a different run (soma run");

    // --summary none: a hidden owner record keeps the files another run's.
    const std::vector<std::string> quiet{"run", "--t-stop", "5", "--recorder", "csv", "--summary", "none", "--name", "q"};
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), quiet).code == 0);
    BOOST_TEST(!fs::exists(out / "q_summary.json"));
    BOOST_TEST(fs::exists(out / ".q_summary.json"));
    const std::string before = read_file(out / "q.csv");
    BOOST_TEST(run_soma(cwd.path(), logs.path(), quiet).code == 0);  // the same run again
    const auto other = run_soma(cwd.path(), logs.path(),
                                {"run", "--t-stop", "6", "--recorder", "csv", "--summary", "none", "--name", "q"});
    BOOST_TEST(other.code == 1, other);
    SOMA_CHECK_CONTAINS(other.err, "are from a different run (soma run ");
    BOOST_TEST(read_file(out / "q.csv") == before);
    // Replaced by a run with a summary, the record goes.
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "6", "--recorder", "csv", "--name", "q",
                                                          "--force"}).code == 0);
    BOOST_TEST(!fs::exists(out / ".q_summary.json"));
    BOOST_TEST(fs::exists(out / "q_summary.json"));
}

// The README's first example scenario is the default run: after `soma run`, it replaces the outputs without --force.
BOOST_AUTO_TEST_CASE(the_default_run_and_its_example_scenario_are_one_run) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), {"run", "--recorder", "csv"}).code == 0);
    const auto scenario = run_soma(cwd.path(), logs.path(), {"run", SOMA_EXAMPLES_DIR "/hh-step.ini", "--recorder", "csv"});
    BOOST_TEST(scenario.code == 0, scenario);
}

// The files are protected across commands: a sweep's recorders write the files a run of the same name wrote.
BOOST_AUTO_TEST_CASE(a_sweep_does_not_overwrite_the_files_of_a_run_of_the_same_name) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path out = cwd.path() / "soma-output";
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "csv", "--name", "x"}).code == 0);
    const std::string before = read_file(out / "x.csv");
    const std::vector<std::string> sweep{"sweep", "--vary", "stimulus.amplitude=0,10", "--t-stop", "5", "--window", "0:5", "--recorder", "csv",
                                         "--name", "x"};
    const auto refused = run_soma(cwd.path(), logs.path(), sweep);
    BOOST_TEST(refused.code == 1, refused);
    SOMA_CHECK_CONTAINS(refused.err, "'x.csv' in 'soma-output' is an output of a different run (soma run --t-stop 5 "
                                     "--recorder csv --name x, as soma-output/x_summary.json records)");
    BOOST_TEST(read_file(out / "x.csv") == before);
    BOOST_TEST(entries(out) == (std::vector<std::string>{"x.csv", "x_cells.csv", "x_spikes.csv", "x_summary.json"}));
    // Forced, the sweep replaces the run whole: the run's summary goes too.
    auto forced = sweep;
    forced.push_back("--force");
    const auto replaced = run_soma(cwd.path(), logs.path(), forced);
    BOOST_TEST_REQUIRE(replaced.code == 0, replaced);
    BOOST_TEST(read_file(out / "x.csv") != before);
    const auto left = entries(out);
    BOOST_TEST(std::ranges::count(left, "x_summary.json") == 0);
    BOOST_TEST(std::ranges::count(left, "x_sweep_summary.json") == 1);
    BOOST_TEST(std::ranges::count(left, "x_sweep.csv") == 1);
}

// --force replaces a run whole: the files of the replaced run that the new one does not write are removed.
BOOST_AUTO_TEST_CASE(force_removes_the_replaced_runs_other_files) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path out = cwd.path() / "soma-output";
    BOOST_TEST_REQUIRE(run_soma(cwd.path(), logs.path(),
                                {"run", "--t-stop", "5", "--recorder", "csv", "--recorder", "hdf5", "--record", "v"}).code == 0);
    BOOST_TEST(fs::exists(out / "hh-step_spikes.h5"));
    BOOST_TEST(fs::exists(out / "hh-step_v.h5"));
    std::ofstream(out / "notes.txt") << "mine";
    const auto forced = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "csv", "--force"});
    BOOST_TEST_REQUIRE(forced.code == 0, forced);
    BOOST_TEST(entries(out) == (std::vector<std::string>{"hh-step.csv", "hh-step_cells.csv", "hh-step_spikes.csv",
                                                         "hh-step_summary.json", "notes.txt"}));
}

BOOST_AUTO_TEST_CASE(a_run_is_refused_while_another_writes_the_same_outputs) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path out = cwd.path() / "soma-output";
    fs::create_directories(out);
    // This test holds the lock as a running soma process would.
    const int fd = ::open((out / ".hh-step.lock").c_str(), O_RDWR | O_CREAT, 0644);
    BOOST_TEST_REQUIRE(fd >= 0);
    BOOST_TEST_REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "csv"});
    ::close(fd);
    BOOST_TEST(result.code == 1, result);
    SOMA_CHECK_CONTAINS(result.err, "another soma process is writing the outputs named 'hh-step' in 'soma-output' now");
    BOOST_TEST(entries(out) == std::vector<std::string>{".hh-step.lock"});
    // Another name is not held.
    BOOST_TEST(run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "csv", "--name", "b"}).code == 0);
}

// stdout on a full device, and on a pipe whose reader has gone (`soma run | true`), which used to kill
// the run by SIGPIPE between two of its files.
/// Runs `soma args...` in `cwd` under a file-size limit of `bytes` (ulimit -f), which its children (gnuplot)
/// inherit; its standard error into `err`. @returns the wait status.
int run_soma_with_file_size_limit(const fs::path& cwd, const std::vector<std::string>& args, rlim_t bytes,
                                  const fs::path& err) {
    rlimit before{};
    BOOST_TEST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &before) == 0);
    rlimit limited = before;
    limited.rlim_cur = bytes;
    BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
    bp::child child(bp::exe = SOMA_EXECUTABLE, bp::args = args, bp::start_dir = cwd.string(), bp::std_in < bp::null,
                    bp::std_out > bp::null, bp::std_err > boost::filesystem::path(err.string()));
    BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &before) == 0);  // the child keeps the limit
    child.wait();
    return child.native_exit_code();
}

// A file-size limit reached while writing is a failed write: an error naming the file, nothing committed,
// instead of SIGXFSZ ending the process with no message (and partial files left behind).
BOOST_AUTO_TEST_CASE(a_file_size_limit_is_an_error_naming_the_file) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path err = logs.path() / "stderr-fsize.txt";
    const int status = run_soma_with_file_size_limit(cwd.path(), {"run", "--model", "hh"}, 200 * 1024, err);
    // (the default hh run's CSV has about 1 MB)
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 1), "wait status " << status);
    SOMA_CHECK_CONTAINS(read_file(err), "soma: error: cannot write output 'soma-output/hh-step.csv': File too large");
    check_no_output(cwd.path());
}

// gnuplot exits 0 when it cannot write a figure whole (a full disk, a file-size limit): a figure cut short
// is an error, and the command's other files go too.
BOOST_AUTO_TEST_CASE(a_figure_cut_short_is_an_error_and_leaves_no_partial_set) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path err = logs.path() / "stderr-figure.txt";
    // The sweep's table (about 3 kB) fits; its PNG (about 30 kB) does not.
    const int status = run_soma_with_file_size_limit(
        cwd.path(), {"fi", "--model", "lif", "--stimulus", "dc", "--amplitude", "linspace(0,3,4)"}, 12 * 1024, err);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 1), "wait status " << status);
    SOMA_CHECK_CONTAINS(read_file(err), "gnuplot did not finish writing 'soma-output/lif-dc_sweep.png'");
    check_no_output(cwd.path());
}

BOOST_AUTO_TEST_CASE(a_run_whose_report_cannot_be_printed_still_writes_every_file) {
    const TempDir logs("soma-test-logs");
    const fs::path err = logs.path() / "stderr-full.txt";
    const auto check = [&](const fs::path& dir, int code) {
        BOOST_TEST(code == 1);
        SOMA_CHECK_CONTAINS(read_file(err), "cannot write to standard output; the command completed (and wrote its files, "
                                            "if it writes any)");
        for (const char* file : {"hh-step.csv", "hh-step.png", "hh-step_summary.json"}) {
            BOOST_TEST(fs::exists(dir / "soma-output" / file), file);
        }
    };
    {
        const TempDir cwd("soma-test-cwd");
        bp::child child(bp::exe = SOMA_EXECUTABLE, bp::args = std::vector<std::string>{"run", "--t-stop", "5"},
                        bp::start_dir = cwd.path().string(), bp::std_in < bp::null,
                        bp::std_out > boost::filesystem::path("/dev/full"),
                        bp::std_err > boost::filesystem::path(err.string()));
        child.wait();
        check(cwd.path(), child.exit_code());
    }
    {
        const TempDir cwd("soma-test-cwd");
        std::array<int, 2> fds{};
        BOOST_TEST_REQUIRE(::pipe(fds.data()) == 0);
        ::close(fds[0]);  // no reader: every write to the pipe fails (with SIGPIPE unless ignored)
        bp::child child(bp::exe = SOMA_EXECUTABLE, bp::args = std::vector<std::string>{"run", "--t-stop", "5"},
                        bp::start_dir = cwd.path().string(), bp::std_in < bp::null, bp::posix::fd.bind(1, fds[1]),
                        bp::std_err > boost::filesystem::path(err.string()));
        ::close(fds[1]);
        child.wait();
        BOOST_TEST(child.native_exit_code() != 141, "killed by SIGPIPE");
        check(cwd.path(), child.exit_code());
    }
    {
        // A closed stdout: the first file soma opens must not take its place (the report written into an output).
        const TempDir cwd("soma-test-cwd");
        bp::child child(bp::exe = "/bin/sh",
                        bp::args = std::vector<std::string>{"-c", std::string("exec \"$0\" run --t-stop 5 1>&-"), SOMA_EXECUTABLE},
                        bp::start_dir = cwd.path().string(), bp::std_in < bp::null,
                        bp::std_err > boost::filesystem::path(err.string()));
        child.wait();
        check(cwd.path(), child.exit_code());
        BOOST_TEST(read_file(cwd.path() / "soma-output" / "hh-step.csv").find("wrote") == std::string::npos);
        BOOST_TEST(read_file(cwd.path() / "soma-output" / "hh-step.csv").find("hh-step: hh with") == std::string::npos);
    }
}

// A dopri5 run that needs millions of internal steps for one grid step (C_m = 1e-9 makes hh stiff) stops
// within seconds of SIGTERM: dopri5 asks whether the run should stop every 4096 internal steps, where the
// engine itself only asks between stretches of 256 grid steps (this run took minutes to notice before).
BOOST_AUTO_TEST_CASE(a_stiff_dopri5_run_stops_soon_after_sigterm) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path err = logs.path() / "stderr-term.txt";
    bp::child child(bp::exe = SOMA_EXECUTABLE,
                    bp::args = std::vector<std::string>{"run", "--integrator", "dopri5", "--set", "model.C_m=1e-9",
                                                        "--set", "integrator.max_steps=1000000000", "--recorder", "csv"},
                    bp::start_dir = cwd.path().string(), bp::std_in < bp::null, bp::std_out > bp::null,
                    bp::std_err > boost::filesystem::path(err.string()));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    BOOST_TEST_REQUIRE(child.running(), read_file(err));
    const auto sent = std::chrono::steady_clock::now();
    ::kill(child.id(), SIGTERM);
    const bool ended = child.wait_for(std::chrono::seconds(20));
    if (!ended) child.terminate();
    BOOST_TEST_REQUIRE(ended, "still running 20 s after SIGTERM");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    BOOST_TEST(seconds < 5.0);
    BOOST_TEST(child.exit_code() == 128 + SIGTERM);  // as shells report a program SIGTERM ended
    SOMA_CHECK_CONTAINS(read_file(err), "interrupted");
    BOOST_TEST(!fs::exists(cwd.path() / "soma-output" / "hh-step.csv"));
}

/// What soma prints on stderr when `args` is run and interrupted (SIGINT) a second after it started, which
/// must end it (exit 128 + SIGINT) and write nothing.
std::string stderr_of_interrupted(const std::vector<std::string>& args) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const fs::path err = logs.path() / "stderr.txt";
    bp::child child(bp::exe = SOMA_EXECUTABLE, bp::args = args, bp::start_dir = cwd.path().string(),
                    bp::std_in < bp::null, bp::std_out > bp::null, bp::std_err > boost::filesystem::path(err.string()));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    ::kill(child.id(), SIGINT);
    const bool ended = child.wait_for(std::chrono::seconds(20));
    if (!ended) child.terminate();
    BOOST_TEST_REQUIRE(ended);
    BOOST_TEST(child.exit_code() == 128 + SIGINT);
    BOOST_TEST(!fs::exists(cwd.path() / "soma-output" / "hh-step.csv"));
    return read_file(err);
}

// A run of 10^11 cell-steps or more (hours for hh with euler) says so before it starts; Ctrl-C stops it.
BOOST_AUTO_TEST_CASE(a_very_long_run_says_so_before_it_starts) {
    const std::string text = stderr_of_interrupted({"run", "--t-stop", "1e9", "--recorder", "none"});
    SOMA_CHECK_CONTAINS(text, "soma: note: a long run: 1 cell(s) x 100000000000 steps, 1 x 10^11 cell-steps");
    // 10^11 cell-steps at 10^8 a second: 1000 s.
    SOMA_CHECK_CONTAINS(text, "about 17 minutes on one core); Ctrl-C stops it");
}

// A run whose outputs will take more than 1 GiB says so, and how to record less, before it starts.
// hh for 10^5 ms at dt = 0.01 ms: 10^7 samples of v, m, n, h and I, about 1 GiB of CSV.
BOOST_AUTO_TEST_CASE(a_run_with_large_outputs_says_so_before_it_starts) {
    const std::string text = stderr_of_interrupted({"run", "--t-stop", "1e5", "--recorder", "csv"});
    SOMA_CHECK_CONTAINS(text, "soma: note: the outputs of this run will take about ");
    SOMA_CHECK_CONTAINS(text, " GiB (10000000 samples of 5 values each); to record less, use --record-interval");
}

// Without --t-stop a run sees its stimulus whole: the ramp's default offset is 170 ms, so 200 ms (the course
// exercise's length; its 3 spikes, the last at 169.8 ms, test_seed_traces.cpp), with a note; --t-stop 100 keeps 100.
BOOST_AUTO_TEST_CASE(the_default_run_length_fits_the_stimulus) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto ramp = run_soma(cwd.path(), logs.path(), {"run", "--stimulus", "ramp", "--recorder", "none"});
    BOOST_TEST_REQUIRE(ramp.code == 0, ramp);
    SOMA_CHECK_CONTAINS(ramp.err, "the run lasts 200 ms, until 30 ms after the end of the ramp at 170 ms");
    SOMA_CHECK_CONTAINS(ramp.out, "200 ms at dt = 0.01 ms (20000 steps)");
    SOMA_CHECK_CONTAINS(ramp.out, "3 spike(s)");
    const auto given = run_soma(cwd.path(), logs.path(), {"run", "--stimulus", "ramp", "--t-stop", "100", "--recorder", "none"});
    BOOST_TEST_REQUIRE(given.code == 0, given);
    BOOST_TEST(given.err.find("the run lasts") == std::string::npos, given.err);
    SOMA_CHECK_CONTAINS(given.out, "100 ms at dt = 0.01 ms");
    const auto step = run_soma(cwd.path(), logs.path(), {"run", "--recorder", "none"});  // ends at 70 ms: 100
    BOOST_TEST_REQUIRE(step.code == 0, step);
    BOOST_TEST(step.err.find("the run lasts") == std::string::npos, step.err);
    SOMA_CHECK_CONTAINS(step.out, "100 ms at dt = 0.01 ms");
    BOOST_TEST(step.err.find("receive no stimulus") == std::string::npos, step.err);
    // A run that ends before the step's onset (20 ms) says that its cells see no stimulus.
    const auto early = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "10", "--recorder", "none"});
    BOOST_TEST_REQUIRE(early.code == 0, early);
    SOMA_CHECK_CONTAINS(early.err, "soma: note: the step starts at 20 ms, at or after the end of the run (10 ms): the "
                                   "cells receive no stimulus");
}

// --recorder none writes no file, the summary included: asked for one anyway, a note says so.
BOOST_AUTO_TEST_CASE(a_summary_asked_of_a_run_without_recorders_is_noted) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto r = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "none", "--summary", "json"});
    BOOST_TEST_REQUIRE(r.code == 0, r);
    SOMA_CHECK_CONTAINS(r.err, "soma: note: --summary json writes nothing here: --recorder none writes no file");
    BOOST_TEST(!fs::exists(cwd.path() / "soma-output"));
    const auto plain = run_soma(cwd.path(), logs.path(), {"run", "--t-stop", "5", "--recorder", "none"});
    BOOST_TEST(plain.err.find("--summary json") == std::string::npos, plain);
}

// Per-cell offsets lengthen the default run to 30 ms after the latest of them, whatever their form (a list,
// linspace, a column of the cell table); per-cell onsets after the end of the run are counted in a note.
BOOST_AUTO_TEST_CASE(the_default_run_length_fits_every_cells_stimulus) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto list = run_soma(cwd.path(), logs.path(), {"run", "--set", "stimulus.offset=50,150", "--recorder", "none"});
    BOOST_TEST_REQUIRE(list.code == 0, list);
    SOMA_CHECK_CONTAINS(list.err, "the run lasts 180 ms, until 30 ms after the latest end of the step, at 150 ms");
    SOMA_CHECK_CONTAINS(list.out, "180 ms at dt = 0.01 ms (18000 steps)");
    const auto same = run_soma(cwd.path(), logs.path(), {"run", "--set", "stimulus.offset=150,150", "--recorder", "none"});
    BOOST_TEST_REQUIRE(same.code == 0, same);
    SOMA_CHECK_CONTAINS(same.err, "the run lasts 180 ms, until 30 ms after the end of the step at 150 ms");
    const auto spaced = run_soma(cwd.path(), logs.path(),
                                 {"run", "--set", "stimulus.offset=linspace(50,130,3)", "--recorder", "none"});
    BOOST_TEST_REQUIRE(spaced.code == 0, spaced);
    SOMA_CHECK_CONTAINS(spaced.out, "160 ms at dt = 0.01 ms (16000 steps)");
    std::ofstream(cwd.path() / "offsets.csv") << "stimulus.offset (ms)\n60\n140\n";
    const auto table = run_soma(cwd.path(), logs.path(), {"run", "--cells-from", "offsets.csv", "--recorder", "none"});
    BOOST_TEST_REQUIRE(table.code == 0, table);
    SOMA_CHECK_CONTAINS(table.out, "170 ms at dt = 0.01 ms (17000 steps)");
    const auto late = run_soma(cwd.path(), logs.path(),
                               {"run", "--t-stop", "50", "--set", "stimulus.onset=10,60,65", "--recorder", "none"});
    BOOST_TEST_REQUIRE(late.code == 0, late);
    SOMA_CHECK_CONTAINS(late.err, "soma: note: in 2 of the 3 cells the step starts at or after the end of the run "
                                  "(50 ms; onsets 10 to 65 ms): they receive no stimulus");
    // The parts of a sum of stimuli: the latest offset of any part; a cell receives no stimulus when every part
    // starts late in it.
    const auto sum = run_soma(cwd.path(), logs.path(), {"run", "--stimulus", "step", "--stimulus", "step:b", "--set",
                                                        "stimulus.b.offset=200,300", "--recorder", "none"});
    BOOST_TEST_REQUIRE(sum.code == 0, sum);
    SOMA_CHECK_CONTAINS(sum.err, "the run lasts 330 ms, until 30 ms after the latest end of the part 'b', at 300 ms");
    const auto late_sum = run_soma(cwd.path(), logs.path(),
                                   {"run", "--stimulus", "step+step:b", "--set", "stimulus.step.onset=10,200", "--set",
                                    "stimulus.step.offset=250", "--set", "stimulus.b.onset=150", "--set",
                                    "stimulus.b.offset=250", "--t-stop", "100", "--recorder", "none"});
    BOOST_TEST_REQUIRE(late_sum.code == 0, late_sum);
    SOMA_CHECK_CONTAINS(late_sum.err, "in 1 of the 2 cells the stimuli (step+step:b) start at or after the end of the "
                                      "run (100 ms; onsets 10 to 150 ms): it receives no stimulus");
    const auto noise = run_soma(cwd.path(), logs.path(), {"run", "--stimulus", "step+ou", "--set", "stimulus.step.onset=150",
                                                          "--set", "stimulus.step.offset=160", "--t-stop", "100",
                                                          "--recorder", "none"});
    BOOST_TEST_REQUIRE(noise.code == 0, noise);
    BOOST_TEST(noise.err.find("receive no stimulus") == std::string::npos, noise);  // the noise drives it
    // A sweep's axis of offsets is per-cell values too.
    const auto sweep = run_soma(cwd.path(), logs.path(), {"sweep", "--vary", "stimulus.offset=50,200", "--recorder", "none"});
    BOOST_TEST_REQUIRE(sweep.code == 0, sweep);
    SOMA_CHECK_CONTAINS(sweep.err, "the run lasts 230 ms, until 30 ms after the latest end of the step, at 200 ms");
    SOMA_CHECK_CONTAINS(sweep.out, "analysis window: the second half of the run, [115, 230) ms");
    // A list of the wrong length is left to the run's own error, which names the parameters and lengths.
    const auto wrong = run_soma(cwd.path(), logs.path(),
                                {"run", "--cells", "3", "--set", "stimulus.offset=50,150", "--recorder", "none"});
    BOOST_TEST(wrong.code == 1, wrong);
    SOMA_CHECK_CONTAINS(wrong.err, "parameter 'stimulus.offset' has 2 values but the run asks for 3 cells");
}

BOOST_AUTO_TEST_CASE(the_default_step_suits_the_model) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    // lif at its suggested 1.1 nA (R = 1 MOhm, tau_m = 1 ms, V_th = 1 mV, no refractory period): the
    // exact period is tau_m ln(R I / (R I - V_th)) = ln 11 = 2.398 ms, so 20 spikes in the 50 ms step,
    // the first at 20 + 2.398 ms (forward Euler at dt = 0.01 ms is within 0.05 ms of it).
    const auto lif = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--recorder", "none"});
    BOOST_TEST_REQUIRE(lif.code == 0, lif);
    SOMA_CHECK_CONTAINS(lif.err, "the step's amplitude is 1.1 nA, the drive lif suggests");
    SOMA_CHECK_CONTAINS(lif.out, "20 spike(s), first at t = 22.3");
    // Naming the step changes nothing: the amplitude is still the model's, not the step's unit-less 7.
    const auto named = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--stimulus", "step", "--recorder", "none"});
    BOOST_TEST_REQUIRE(named.code == 0, named);
    SOMA_CHECK_CONTAINS(named.err, "the step's amplitude is 1.1 nA, the drive lif suggests");
    SOMA_CHECK_CONTAINS(named.out, "20 spike(s), first at t = 22.3");
    // adex with a preset gets the step of that pattern in Naud et al. 2008, Fig. 4.
    const auto adex = run_soma(cwd.path(), logs.path(), {"run", "--model", "adex", "--preset", "adaptation", "--recorder", "none"});
    BOOST_TEST_REQUIRE(adex.code == 0, adex);
    SOMA_CHECK_CONTAINS(adex.err, "the step's amplitude is 500 pA, the drive adex suggests for preset adaptation");
    BOOST_TEST(adex.out.find("no spikes") == std::string::npos, adex);
    // A chosen amplitude, or a chosen stimulus, is left alone; hh's suggestion is the step's own default.
    const auto own = run_soma(cwd.path(), logs.path(), {"run", "--model", "adex", "--set", "stimulus.amplitude=7", "--recorder", "none"});
    BOOST_TEST(own.err.find("suggests") == std::string::npos, own);
    SOMA_CHECK_CONTAINS(own.out, "no spikes");
    const auto hh = run_soma(cwd.path(), logs.path(), {"run", "--recorder", "none"});
    BOOST_TEST(hh.err.find("suggests") == std::string::npos, hh);
    SOMA_CHECK_CONTAINS(hh.out, "3 spike(s)");
    // A model file suggests its drive with a `drive` line: lif.eq's is lif's, and so are the spikes.
    const auto file = run_soma(cwd.path(), logs.path(), {"run", "--model", SOMA_EXAMPLES_DIR "/models/lif.eq", "--recorder", "none"});
    BOOST_TEST_REQUIRE(file.code == 0, file);
    SOMA_CHECK_CONTAINS(file.err, "the step's amplitude is 1.1 nA, the drive " SOMA_EXAMPLES_DIR "/models/lif.eq suggests");
    SOMA_CHECK_CONTAINS(file.out, "20 spike(s), first at t = 22.3");
    // One without keeps the step's 7, in its own unit, and says so.
    std::string text;
    {
        std::ifstream in(SOMA_EXAMPLES_DIR "/models/lif.eq");
        for (std::string line; std::getline(in, line);) {
            if (!line.starts_with("drive")) text += line + "\n";
        }
    }
    std::ofstream(cwd.path() / "nodrive.eq") << text;
    const auto bare = run_soma(cwd.path(), logs.path(), {"run", "--model", "nodrive.eq", "--recorder", "none"});
    BOOST_TEST_REQUIRE(bare.code == 0, bare);
    SOMA_CHECK_CONTAINS(bare.err, "the step keeps its default amplitude 7 nA (made for hh's uA/cm^2): nodrive.eq "
                                  "suggests no drive (a model file suggests one with a line 'drive VALUE UNIT'); set "
                                  "stimulus.amplitude to choose it");
}

// The other stimuli's default currents, made for hh's 7 uA/cm^2, are scaled to the model's step.
BOOST_AUTO_TEST_CASE(the_default_currents_of_other_stimuli_suit_the_model) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    // lif's ramp reaches 20 * 1.1 / 7 nA at 170 ms from 0 at 30 ms: slope a = 22 / 980 nA/ms. With
    // tau_m = R = V_th = 1 and v(30) = 0, v(s) = R a (s - tau_m (1 - exp(-s / tau_m))) for s = t - 30 ms,
    // so the first spike is at the root of s - 1 + exp(-s) = 1 / a, found here by Newton's method.
    const double a = 20.0 * 1.1 / 7.0 / 140.0;
    double s = 1 / a + 1;
    for (int k = 0; k < 50; ++k) s -= (s - 1 + std::exp(-s) - 1 / a) / (1 - std::exp(-s));
    const auto ramp = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--stimulus", "ramp", "--recorder", "none"});
    BOOST_TEST_REQUIRE(ramp.code == 0, ramp);
    SOMA_CHECK_CONTAINS(ramp.err, "the ramp's amplitude is 3.14286 nA: its default times 0.157143, the step of "
                                  "1.1 nA that lif suggests");
    const auto at = ramp.out.find("first at t = ");
    BOOST_TEST_REQUIRE(at != std::string::npos, ramp);
    // Forward Euler at dt = 0.01 ms holds the current of each step's start: the crossing lags by less
    // than a step.
    BOOST_TEST(std::stod(ramp.out.substr(at + 13)) == 30 + s, boost::test_tools::tolerance(0.02 / (30 + s)));
    // adex's dc is its preset's step; sine scales its amplitude and its offset alike.
    const auto dc = run_soma(cwd.path(), logs.path(),
                             {"run", "--model", "adex", "--preset", "adaptation", "--stimulus", "dc", "--recorder", "none"});
    BOOST_TEST_REQUIRE(dc.code == 0, dc);
    SOMA_CHECK_CONTAINS(dc.err, "the dc's amplitude is 500 pA: its default times 71.4286, the step of 500 pA that "
                                "adex suggests for preset adaptation");
    const auto sine = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--stimulus", "sine", "--recorder", "none"});
    BOOST_TEST_REQUIRE(sine.code == 0, sine);
    SOMA_CHECK_CONTAINS(sine.err, "the sine's amplitude is 1.1 nA and offset is 0.0785714 nA: their defaults times 0.157143");
    // A current given by a --cells-from column is given too: the table's values are used, not refused as
    // given twice (the suggested step is no value of the user's).
    {
        const fs::path table = logs.path() / "amplitudes.csv";
        std::ofstream(table) << "stimulus.amplitude\n1.5\n2\n";
        const auto from_table = run_soma(cwd.path(), logs.path(),
                                         {"run", "--model", "lif", "--cells-from", table.string(), "--recorder", "none"});
        BOOST_TEST_REQUIRE(from_table.code == 0, from_table);
        BOOST_TEST(from_table.err.find("lif suggests") == std::string::npos, from_table);
        SOMA_CHECK_CONTAINS(from_table.out, "     1                       2");
    }
    // One current given: the stimulus is the user's, left alone.
    const auto given = run_soma(cwd.path(), logs.path(),
                                {"run", "--model", "lif", "--stimulus", "sine", "--set", "stimulus.offset=0", "--recorder", "none"});
    BOOST_TEST_REQUIRE(given.code == 0, given);
    BOOST_TEST(given.err.find("suggests") == std::string::npos, given);
}

BOOST_AUTO_TEST_CASE(metadata_names_the_command_the_plugins_and_the_hashes_of_input_files) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    std::ofstream(cwd.path() / "s.ini") << "model = lif\nt_stop = 5\n";
    const auto result = run_soma(cwd.path(), logs.path(), {"run", "s.ini", "--recorder", "csv", "--title", "it's"});
    BOOST_TEST_REQUIRE(result.code == 0, result);
    const std::string csv = read_file(cwd.path() / "soma-output" / "s.csv");
    SOMA_CHECK_CONTAINS(csv, "# command: soma run s.ini --recorder csv --title 'it'\\''s'\n");
    SOMA_CHECK_CONTAINS(csv, "# plug-in: model lif ");
    SOMA_CHECK_CONTAINS(csv, "soma_model_lif.so)\n");
    SOMA_CHECK_CONTAINS(csv, "# plug-in: recorder csv ");
    // The scenario's SHA-256 as coreutils' sha256sum computes it.
    const fs::path digest = logs.path() / "sha256.txt";
    bp::child sha(bp::search_path("sha256sum"), (cwd.path() / "s.ini").string(),
                  bp::std_out > boost::filesystem::path(digest.string()));
    sha.wait();
    BOOST_TEST_REQUIRE(sha.exit_code() == 0);
    const std::string expected = read_file(digest).substr(0, 64);
    SOMA_CHECK_CONTAINS(csv, "# scenario file: s.ini (sha256 " + expected + ")\n");
    // The date is in the summary only: the same command gives the same data file.
    BOOST_TEST(csv.find("date") == std::string::npos);
    SOMA_CHECK_CONTAINS(read_file(cwd.path() / "soma-output" / "s_summary.json"), "\"sha256\": \"" + expected + "\"");
}

// Each simulating command accepts --progress and --summary, and its help says so.
BOOST_AUTO_TEST_CASE(simulating_commands_list_progress_and_summary_in_their_help) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    for (const char* command : {"run", "sweep", "fi", "rheobase", "compare", "fit"}) {
        const auto result = run_soma(cwd.path(), logs.path(), {command, "--help"});
        BOOST_TEST(result.code == 0, command << ": " << result);
        for (const char* option : {"--progress WHEN", "--summary WHAT"}) {
            BOOST_TEST(result.out.find(option) != std::string::npos, command << " --help lacks " << option);
        }
    }
}

BOOST_AUTO_TEST_CASE(describe_help) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    for (const std::vector<std::string>& args : {std::vector<std::string>{"describe", "hh", "--help"},
                                                std::vector<std::string>{"describe", "--help"}}) {
        const auto result = run_soma(cwd.path(), logs.path(), args);
        BOOST_TEST(result.code == 0, result);
        SOMA_CHECK_CONTAINS(result.out, "usage: soma describe NAME");
    }
}

BOOST_AUTO_TEST_SUITE_END()

// Plug-ins are loaded only when a command needs them (registry.hpp): a plug-in file whose library crashes,
// aborts or throws as soon as it is loaded harms only the commands that use it.
BOOST_AUTO_TEST_SUITE(plugin_loading)

namespace {

/// The plug-in files (NAME.so, without the directory) that `soma` dynamically loaded, from glibc's LD_DEBUG=files
/// lines on standard error ("file=DIR/soma_model_lif.so [0];  dynamically loaded by ...").
std::vector<std::string> loaded_plugin_files(const std::string& err) {
    std::vector<std::string> files;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);) {
        const auto at = line.find("file=");
        if (at == std::string::npos || line.find("dynamically loaded by") == std::string::npos) continue;
        const std::string path = line.substr(at + 5, line.find(' ', at) - (at + 5));
        const std::string name = fs::path(path).filename().string();
        if (name.starts_with("soma_") && name.ends_with(".so")) files.push_back(name);
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

// A NEURON user's V_init = -65 mV on hh (rest at 0 mV, the course exercises' convention) points to the preset
// that rests there; a V_init near rest, or with the preset, says nothing.
BOOST_AUTO_TEST_CASE(an_initial_value_far_from_rest_points_to_the_preset_that_rests_there) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const auto far = run_soma(cwd.path(), logs.path(),
                              {"run", "--set", "model.V_init=-65", "--t-stop", "5", "--recorder", "none"});
    BOOST_TEST_REQUIRE(far.code == 0, far);
    SOMA_CHECK_CONTAINS(far.err, "soma: note: model.V_init = -65 mV starts the cell 65 mV from rest: hh rests at "
                                 "V_rest = 0 mV. Preset 'neuron' rests at -65 mV");
    SOMA_CHECK_CONTAINS(far.err, "--preset neuron");
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--set", "model.V_init=-5"},
                                                 std::vector<std::string>{"--preset", "neuron", "--set", "model.V_init=-65"}}) {
        std::vector<std::string> command{"run", "--t-stop", "5", "--recorder", "none"};
        command.insert(command.end(), args.begin(), args.end());
        const auto quiet = run_soma(cwd.path(), logs.path(), command);
        BOOST_TEST_REQUIRE(quiet.code == 0, quiet);
        BOOST_TEST(quiet.err.find("starts the cell") == std::string::npos, quiet);
    }
}

BOOST_AUTO_TEST_CASE(a_plugin_that_crashes_when_loaded_harms_only_the_commands_that_load_it) {
    const fs::path crashing = SOMA_TEST_CRASHING_PLUGIN_DIR;
    BOOST_TEST_REQUIRE(fs::is_regular_file(crashing / "soma_model_segfaults.so"), crashing);
    BOOST_TEST_REQUIRE(fs::is_regular_file(crashing / "soma_stimulus_aborts.so"), crashing);
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::vector<std::pair<std::string, std::string>> env{{"SOMA_PLUGIN_PATH", crashing.string()}};

    const auto version = run_soma(cwd.path(), logs.path(), {"--version"}, env);
    BOOST_TEST(version.code == 0, version);
    SOMA_CHECK_CONTAINS(version.out, "soma ");
    const auto help = run_soma(cwd.path(), logs.path(), {"--help"}, env);
    BOOST_TEST(help.code == 0, help);
    SOMA_CHECK_CONTAINS(help.out, "usage: soma");
    const auto run = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--recorder", "none"}, env);
    BOOST_TEST(run.code == 0, run);
    SOMA_CHECK_CONTAINS(run.out, "lif with step stimulus and euler");
    const auto describe = run_soma(cwd.path(), logs.path(), {"describe", "hh"}, env);
    BOOST_TEST(describe.code == 0, describe);
    SOMA_CHECK_CONTAINS(describe.out, "hh (model plug-in, version");
    BOOST_TEST(describe.err.empty(), describe);  // nothing rejected: the crashing files were not even loaded

    // A misspelled name is answered from the files' names, loading none of them.
    const auto unknown_model = run_soma(cwd.path(), logs.path(), {"run", "--model", "hhh", "--recorder", "none"}, env);
    BOOST_TEST(unknown_model.code == 1, unknown_model);
    SOMA_CHECK_CONTAINS(unknown_model.err, "unknown model plug-in 'hhh'; did you mean 'hh'?");
    SOMA_CHECK_CONTAINS(unknown_model.err, "lif, segfaults");
    const auto unknown = run_soma(cwd.path(), logs.path(), {"describe", "abort"}, env);
    BOOST_TEST(unknown.code == 1, unknown);
    SOMA_CHECK_CONTAINS(unknown.err, "unknown plug-in 'abort'; did you mean 'aborts'?");

    // `soma list` loads every file: each is tried in a child process first, and those that end it are named.
    const auto list = run_soma(cwd.path(), logs.path(), {"list"}, env);
    BOOST_TEST(list.code == 0, list);
    SOMA_CHECK_CONTAINS(list.out, "  hh ");
    SOMA_CHECK_CONTAINS(list.out, "  step ");
    BOOST_TEST(list.out.find("segfaults") == std::string::npos, list);
    // (Under AddressSanitizer a crash is its report and exit status 1.)
    SOMA_CHECK_CONTAINS(list.err, "soma_model_segfaults.so' ended the process that loaded it with ");
    SOMA_CHECK_CONTAINS(list.err, "soma_stimulus_aborts.so' ended the process that loaded it with signal 6");

    // Using one of them loads it, and that command alone fails.
    const auto crash = run_soma(cwd.path(), logs.path(), {"run", "--model", "segfaults", "--recorder", "none"}, env);
    BOOST_TEST(crash.code != 0, crash);
    const auto abort = run_soma(cwd.path(), logs.path(), {"describe", "aborts"}, env);
    BOOST_TEST(abort.code != 0, abort);
    check_no_output(cwd.path());
}

BOOST_AUTO_TEST_CASE(a_plugin_that_throws_a_non_exception_gives_an_error_naming_it) {
    const fs::path throwing = SOMA_TEST_THROWING_PLUGIN_DIR;
    const fs::path on_load = throwing / "soma_integrator_throws_on_load.so";
    BOOST_TEST_REQUIRE(fs::is_regular_file(on_load), on_load);
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::vector<std::pair<std::string, std::string>> env{{"SOMA_PLUGIN_PATH", throwing.string()}};

    // The file whose initialisation throws is not loaded by commands that do not use it...
    const auto version = run_soma(cwd.path(), logs.path(), {"--version"}, env);
    BOOST_TEST(version.code == 0, version);
    const auto run = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--recorder", "none"}, env);
    BOOST_TEST(run.code == 0, run);
    BOOST_TEST(run.err.find("throws_on_load") == std::string::npos, run);

    // ... and fails one that does. An exception thrown inside dlopen reaches the registry's catch only
    // where it can unwind through the dynamic loader (it does in the Release build); under AddressSanitizer,
    // whose dlopen interceptor cannot pass it on, the process terminates. Either way the run fails and
    // writes nothing; where caught, the error names the file.
    const auto used = run_soma(cwd.path(), logs.path(),
                               {"run", "--model", "lif", "--integrator", "throws_on_load", "--recorder", "none"}, env);
    BOOST_TEST(used.code != 0, used);
    if (used.code == 1) {
        SOMA_CHECK_CONTAINS(used.err, "soma: error: integrator plug-in 'throws_on_load' cannot be used: cannot load "
                                      "plug-in file '" + on_load.string() + "': its initialisation threw an object that "
                                      "is not an exception");
    }

    // A constructor that throws an int: the same, for running and describing it.
    for (const std::vector<std::string>& args : {std::vector<std::string>{"run", "--model", "throws_int", "--recorder", "none"},
                                                 std::vector<std::string>{"describe", "throws_int"}}) {
        const auto constructed = run_soma(cwd.path(), logs.path(), args, env);
        BOOST_TEST(constructed.code == 1, constructed);
        SOMA_CHECK_CONTAINS(constructed.err, "soma: error: model plug-in 'throws_int' (");
        SOMA_CHECK_CONTAINS(constructed.err, "failed to construct: it threw an object that is not an exception");
    }
    check_no_output(cwd.path());

    // A stimulus that throws an int at t = 5 ms, inside the integrator (with cvode, inside a SUNDIALS callback):
    // every integrator ends the run with the error, exit 1, and no output.
    for (const std::string integrator : {"euler", "rk4", "dopri5", "cvode"}) {
        const auto mid_run = run_soma(cwd.path(), logs.path(),
                                      {"run", "--model", "lif", "--stimulus", "throws_later", "--integrator", integrator,
                                       "--t-stop", "20", "--name", "t"},
                                      env);
        BOOST_TEST(mid_run.code == 1, integrator << ": " << mid_run);
        SOMA_CHECK_CONTAINS(mid_run.err, "soma: error: a plug-in of this run (model 'lif', stimulus 'throws_later', "
                                         "integrator '" + integrator + "') failed in step ");
        SOMA_CHECK_CONTAINS(mid_run.err, "it threw an object that is not an exception; no output was written");
        BOOST_TEST(!fs::exists(cwd.path() / "soma-output" / "t.csv"), integrator);
    }
}

BOOST_AUTO_TEST_CASE(a_command_loads_only_the_plugins_it_uses) {
    const TempDir cwd("soma-test-cwd"), logs("soma-test-logs");
    const std::vector<std::pair<std::string, std::string>> env{{"LD_DEBUG", "files"}};
    const auto version = run_soma(cwd.path(), logs.path(), {"--version"}, env);
    BOOST_TEST_REQUIRE(version.code == 0, version);
    SOMA_CHECK_CONTAINS(version.err, "file=");  // LD_DEBUG works: the libraries soma is linked with are listed
    // --version names the MPI library, from the MPI module (in a build with MPI); no plug-in.
    auto version_files = loaded_plugin_files(version.err);
    std::erase(version_files, "soma_mpi.so");
    BOOST_TEST(version_files.empty(), version);

    const auto run = run_soma(cwd.path(), logs.path(), {"run", "--model", "lif", "--recorder", "none", "--t-stop", "10"}, env);
    BOOST_TEST_REQUIRE(run.code == 0, run);
    const std::vector<std::string> used{"soma_integrator_euler.so", "soma_model_lif.so", "soma_stimulus_step.so"};
    BOOST_TEST(loaded_plugin_files(run.err) == used, boost::test_tools::per_element());
    // pagmo2 (some 37 MB resident once mapped) is loaded by fits alone, with the optimiser module.
    for (const auto* result : {&version, &run}) {
        BOOST_TEST(result->err.find("libpagmo") == std::string::npos, *result);
        BOOST_TEST(result->err.find("soma_fit_optimizer") == std::string::npos, *result);
    }
    // Open MPI (seven libraries, 1 ms of start-up) is loaded under an MPI launcher alone, with the MPI module.
    BOOST_TEST(run.err.find("libmpi") == std::string::npos, run);
    BOOST_TEST(run.err.find("soma_mpi") == std::string::npos, run);

    const auto describe = run_soma(cwd.path(), logs.path(), {"describe", "rk4"}, env);
    BOOST_TEST_REQUIRE(describe.code == 0, describe);
    BOOST_TEST(loaded_plugin_files(describe.err) == std::vector<std::string>{"soma_integrator_rk4.so"},
               boost::test_tools::per_element());

    // Listing loads them all.
    const auto list = run_soma(cwd.path(), logs.path(), {"list"}, env);
    BOOST_TEST_REQUIRE(list.code == 0, list);
    BOOST_TEST(loaded_plugin_files(list.err).size() > used.size() + 10, list.err);
}

BOOST_AUTO_TEST_SUITE_END()
