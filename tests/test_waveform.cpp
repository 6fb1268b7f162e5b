/// @file test_waveform.cpp
/// The `waveform` stimulus (a current read from a file), through soma::build_simulation as the runner builds
/// runs, against references computed here:
/// - the file's samples reproduced exactly on the samples' times (hold, dt = the sampling step), for CSV in ms
///   and in s and for .asc files, compared bit for bit with the numbers the test wrote;
/// - a passive LIF driven by a piecewise-constant and by a piecewise-linear current against its exact
///   exponential solution, with rk4, dopri5 and cvode (the adaptive ones rely on the breakpoints);
/// - units (the same current written in pA, nA and uA gives the same run; a density model divides by the area),
///   gzip equals plain, one column per cell, after_end, delay, scale and offset, the resampling between grid
///   times, and every bad input with its message;
/// - a real recording of the 2007 single-neuron modeling competition (challenge A) played into `adex` with the
///   organizers' parameters: the current the model saw is the file's, and the spike count is plausible against
///   the recorded spikes. The data are read from SOMA_SHARED_DATA_DIR/qsnmc2007 (never copied into the
///   project); the test fails, saying where to get them, when they are missing.

#define BOOST_TEST_MODULE soma_test_waveform
#include "soma_test_support.hpp"

#include "soma/stimulus_from_file.hpp"

#include <boost/iostreams/copy.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

namespace {

using soma::ParameterError;
using soma::test::CapturingRecorder;
using soma::test::message_of;
using soma::test::registry;
using soma::test::TempDir;
using Text = std::map<std::string, std::string>;

const std::filesystem::path competition_dir = std::filesystem::path(SOMA_SHARED_DATA_DIR) / "qsnmc2007";

std::filesystem::path write_file(const TempDir& dir, const std::string& name, const std::string& text) {
    const auto file = dir.path() / name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
}

std::filesystem::path write_gzip(const TempDir& dir, const std::string& name, const std::string& text) {
    const auto file = dir.path() / name;
    std::ofstream out(file, std::ios::binary);
    boost::iostreams::filtering_ostream gz;
    gz.push(boost::iostreams::gzip_compressor());
    gz.push(out);
    gz << text;
    return file;
}

/// The text of a file, gunzipped.
std::string gunzip(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    BOOST_TEST_REQUIRE(in.good(), "cannot open " << file);
    boost::iostreams::filtering_istream gz;
    gz.push(boost::iostreams::gzip_decompressor());
    gz.push(in);
    std::ostringstream text;
    boost::iostreams::copy(gz, text);
    return text.str();
}

soma::RunSpec spec_of(const std::string& model, const Text& model_parameters, const std::filesystem::path& file,
                      const Text& stimulus_parameters, double t_stop, double dt, const std::string& integrator = "euler",
                      const Text& integrator_parameters = {}, std::size_t n_cells = 1) {
    soma::RunSettings settings{t_stop, dt, 0.0, n_cells, 1, 0};
    return soma::test::RunSpec{model,    file.string(), integrator, model_parameters, stimulus_parameters,
                               settings, integrator_parameters}
        .spec();
}

soma::test::RunResult run(const soma::RunSpec& spec) { return soma::test::run_in_process(registry(), spec); }

/// Row index of the recorded quantity `name` (e.g. "I", "v").
std::size_t var_of(const CapturingRecorder& r, const std::string& name) {
    for (std::size_t k = 0; k < r.info.recording.variables.size(); ++k) {
        if (r.info.recording.variables[k].name == name) return k;
    }
    BOOST_TEST_REQUIRE(false, name << " is not recorded");
    return 0;
}

/// Recorded quantity `name` of the `column`-th recorded cell, one value per sample.
std::vector<double> trace(const CapturingRecorder& r, const std::string& name, std::size_t column = 0) {
    const std::size_t var = var_of(r, name);
    std::vector<double> values;
    for (std::size_t row = 0; row < r.rows(); ++row) values.push_back(r.value(row, var, column));
    return values;
}

/// A passive LIF (lif without spikes: V_th at the top of its range): tau_m dv/dt = -(v - V_rest) + R I.
const Text passive_lif{{"tau_m", "10"}, {"R", "5"}, {"V_rest", "-65"}, {"V_init", "-65"}, {"V_th", "200"}, {"V_reset", "-70"}};
constexpr double tau_m = 10, resistance = 5, v_rest = -65;

/// The exact solution of the passive LIF at time t (from v_rest at 0) for a current I(s) = a_k + b_k (s - t_k)
/// on [t_k, t_{k+1}) (pieces sorted by t_k, the first at 0): on each piece v relaxes to the moving target
/// v_rest + R (a + b s) - R b tau, v(t) = target(t) + (v(t_k) - target(t_k)) exp(-(t - t_k)/tau).
struct Piece {
    double t0, a, b;
};
double exact_v(const std::vector<Piece>& pieces, double t) {
    double v = v_rest;
    for (std::size_t k = 0; k < pieces.size() && pieces[k].t0 < t; ++k) {
        const Piece& p = pieces[k];
        const double t1 = k + 1 < pieces.size() ? std::min(t, pieces[k + 1].t0) : t;
        const auto target = [&](double s) { return v_rest + resistance * (p.a + p.b * (s - p.t0)) - resistance * p.b * tau_m; };
        v = target(t1) + (v - target(p.t0)) * std::exp(-(t1 - p.t0) / tau_m);
    }
    return v;
}

/// A waveform loaded from `file` and prepared for one cell outside a run, to ask it for currents between grid
/// times and for its breakpoints.
struct Prepared {
    std::shared_ptr<soma::Stimulus> stimulus;
    soma::StateBatch parameters, derived;
    std::size_t n_steps;

    Prepared(const std::filesystem::path& file, const Text& values, double dt, std::size_t steps,
             const std::string& unit = "nA")
        : stimulus(soma::create_stimulus(registry(), file.string())), n_steps(steps) {
        stimulus->configure(values);
        parameters = soma::StateBatch(stimulus->schema().size(), 1);
        derived = soma::StateBatch(stimulus->derived_variables().size(), 1);
        for (std::size_t k = 0; k < stimulus->schema().size(); ++k) parameters.var(k)[0] = stimulus->values().values()[k];
        stimulus->prepare(soma::StimulusGrid{dt, steps, 0, 0, unit}, cells(), 0);
    }
    [[nodiscard]] soma::StimulusCells cells() { return {parameters.view(), derived.view()}; }
    double current(std::size_t i, double t) {
        std::vector<double> out(1);
        stimulus->current(i, t, cells(), out);
        return out[0];
    }
};

// ---------------------------------------------------------------------------------------------------------------
// Exact samples.

BOOST_AUTO_TEST_CASE(hold_reproduces_the_samples_exactly_on_their_times) {
    TempDir dir;
    // Values that are not short in binary, written at full precision ({} is the shortest text that reads back as
    // the same double), so the file holds exactly these doubles.
    std::vector<double> values;
    for (int k = 0; k < 400; ++k) values.push_back(std::sin(0.37 * k) * 3.1 + 1e-7 * k - (k % 7 == 0 ? 2.2 : 0.0));
    std::string csv_ms = "# a comment line\nt (ms),I (nA)\n", csv_s = "time (s), I (pA)\r\n", asc = "\"s\"\n\"pA\"\n\"mV\"\n";
    for (std::size_t k = 0; k < values.size(); ++k) {
        // Times as a person writes them ("0.3", not 3 * 0.1 = 0.30000000000000004): equal to the grid to rounding.
        csv_ms += fmt::format("{},{}\n", fmt::format("{:.1f}", 0.1 * static_cast<double>(k)), values[k]);
        csv_s += fmt::format("{:.5f}, {}\r\n", 0.00025 * static_cast<double>(k), values[k]);
        asc += fmt::format("{:.5f}\t{}\t-70.5\n", 0.00025 * static_cast<double>(k), values[k]);
    }
    const struct {
        std::filesystem::path file;
        std::string model;
        double dt;
    } cases[] = {{write_file(dir, "ms.csv", csv_ms), "lif", 0.1},
                 {write_file(dir, "s.csv", csv_s), "adex", 0.25},
                 {write_file(dir, "trace.asc", asc), "adex", 0.25}};
    for (const auto& c : cases) {
        for (const char* interpolation : {"0", "1"}) {
            BOOST_TEST_CONTEXT(c.file.filename() << ", interpolation " << interpolation) {
                // Linear interpolation, too, gives each sample exactly at its time; it needs the run to end at
                // the last sample.
                const double t_stop = c.dt * static_cast<double>(values.size() - (interpolation[0] == '1' ? 1 : 0));
                const auto r = run(spec_of(c.model, {}, c.file, {{"interpolation", interpolation}}, t_stop, c.dt));
                const auto current = trace(*r.recorder, "I");
                BOOST_TEST_REQUIRE(current.size() == static_cast<std::size_t>(std::llround(t_stop / c.dt)));
                std::size_t different = 0;
                for (std::size_t i = 0; i < current.size(); ++i) different += current[i] != values[i];
                BOOST_TEST(different == 0u, different << " of " << current.size() << " samples differ");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// A passive LIF against its exact solution.

// Piecewise-constant current (nA) at times that are not evenly spaced, moved by a delay of 1.5 ms, zero after
// the file's end (20 + (20 - 12) = 28 ms of file time, 29.5 ms of run time). dt = 0.25 ms puts every jump on
// the grid, so the exact solution of the run is the exact solution of the file's current.
const std::vector<std::pair<double, double>> steps_nA{{0, 2.0}, {2.5, -1.0}, {3, 3.5}, {7.75, 0.25}, {12, 1.0}, {20, -0.5}};
constexpr double steps_delay = 1.5, steps_end = 28 + steps_delay;

std::string steps_csv() {
    std::string text = "t (ms),I (nA)\n";
    for (const auto& [t, i] : steps_nA) text += fmt::format("{},{}\n", t, i);
    return text;
}

std::vector<Piece> steps_pieces() {
    std::vector<Piece> pieces{{0, 0, 0}};
    for (const auto& [t, i] : steps_nA) pieces.push_back({t + steps_delay, i, 0});
    pieces.push_back({steps_end, 0, 0});
    return pieces;
}

BOOST_AUTO_TEST_CASE(passive_lif_follows_the_exact_solution_of_a_piecewise_constant_file) {
    TempDir dir;
    const auto file = write_file(dir, "steps.csv", steps_csv());
    const auto pieces = steps_pieces();
    const Text stimulus{{"delay", fmt::format("{}", steps_delay)}, {"after_end", "1"}};
    // rk4 with a constant current over each step is the degree-4 Taylor polynomial of exp(-dt/tau): a relative
    // error (dt/tau)^5/120 ~ 8e-19 per step at dt = 0.01 ms, so only rounding remains (~1e-12 mV over 3500
    // steps); 1e-9 mV leaves room. dopri5 and cvode at rtol = atol = 1e-10 keep a global error of a few 1e-9 mV
    // on this stable linear system; 1e-7 mV and 1e-6 mV (BDF's error estimate is looser) leave room. A missed
    // breakpoint would keep a stale current over a whole internal step: errors of millivolts.
    const struct {
        std::string integrator;
        double dt;
        Text parameters;
        double tolerance;
    } cases[] = {{"rk4", 0.01, {}, 1e-9},
                 {"dopri5", 0.25, {{"rtol", "1e-10"}, {"atol", "1e-10"}}, 1e-7},
                 {"cvode", 0.25, {{"rtol", "1e-10"}, {"atol", "1e-10"}}, 1e-6}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.integrator) {
            const auto r = run(spec_of("lif", passive_lif, file, stimulus, 35, c.dt, c.integrator, c.parameters));
            const auto v = trace(*r.recorder, "v"), current = trace(*r.recorder, "I");
            double worst = 0;
            for (std::size_t row = 0; row < v.size(); ++row) {
                const double t = r.recorder->at(row, 0);
                worst = std::max(worst, std::abs(v[row] - exact_v(pieces, t)));
                // The current of the step that starts at t: the last piece starting at or before t.
                double expected = 0;
                for (const auto& p : pieces) {
                    if (p.t0 <= t + 1e-9) expected = p.a;
                }
                BOOST_TEST(current[row] == expected, "I at t = " << t);
            }
            BOOST_TEST(worst <= c.tolerance, "largest |v - exact| = " << worst << " mV");
            BOOST_TEST_MESSAGE("piecewise constant, " << c.integrator << ": largest |v - exact| = " << worst << " mV");
        }
    }
}

BOOST_AUTO_TEST_CASE(breakpoints_are_the_steps_where_the_held_current_changes) {
    TempDir dir;
    const auto file = write_file(dir, "steps.csv", steps_csv());
    Prepared p(file, {{"delay", fmt::format("{}", steps_delay)}, {"after_end", "1"}}, 0.25, 140);
    std::vector<std::size_t> expected;
    for (const auto& piece : steps_pieces()) {
        if (piece.t0 > 0) expected.push_back(static_cast<std::size_t>(std::llround(piece.t0 / 0.25)));
    }
    const auto found = p.stimulus->breakpoints(p.cells());
    BOOST_TEST(found == expected, boost::test_tools::per_element());
    // A sample that repeats the value before it is no breakpoint: 1, 1, 3 at 0, 1, 2 ms changes only at 2 ms.
    Prepared q(write_file(dir, "repeat.csv", "t (ms),I (nA)\n0,1\n1,1\n2,3\n"), {}, 0.25, 12);
    const std::vector<std::size_t> only{8};
    BOOST_TEST(q.stimulus->breakpoints(q.cells()) == only, boost::test_tools::per_element());
}

// A file repeated with a period far below dt (found by fuzzing: 1e-300 ms between samples made the
// count of repetitions overflow, and the search over them never end): the breakpoints are then the steps
// whose current, as the stimulus gives it on the grid, differs from the step before's.
BOOST_AUTO_TEST_CASE(breakpoints_of_a_file_repeated_faster_than_the_steps) {
    TempDir dir;
    for (const char* interval : {"1e-300", "0.0001"}) {
        BOOST_TEST_CONTEXT("sample_interval " << interval) {
            Prepared p(write_file(dir, "fast.voltage", "0 1 -70\n1 2 -70\n2 5 -70\n"),
                       {{"sample_interval", interval}, {"after_end", "2"}}, 0.25, 140, "pA");
            std::vector<std::size_t> expected;
            for (std::size_t j = 1; j < 140; ++j) {
                if (p.current(j, 0.25 * static_cast<double>(j)) != p.current(j - 1, 0.25 * static_cast<double>(j - 1))) {
                    expected.push_back(j);
                }
            }
            BOOST_TEST_MESSAGE(expected.size() << " breakpoints");
            BOOST_TEST(p.stimulus->breakpoints(p.cells()) == expected, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(passive_lif_follows_the_exact_solution_of_a_piecewise_linear_file) {
    TempDir dir;
    // Ramps (nA) between samples on the grid; with linear interpolation the current is the line between them,
    // known up to the last sample (30 ms), the run's end.
    const std::vector<std::pair<double, double>> samples{{0, 0}, {10, 2}, {15, 2}, {20, -1}, {26.5, 0.5}, {30, 0.5}};
    std::string text = "t (ms),I (nA)\n";
    for (const auto& [t, i] : samples) text += fmt::format("{},{}\n", t, i);
    const auto file = write_file(dir, "ramps.csv", text);
    std::vector<Piece> pieces;
    for (std::size_t k = 0; k + 1 < samples.size(); ++k) {
        const auto [t0, i0] = samples[k];
        const auto [t1, i1] = samples[k + 1];
        pieces.push_back({t0, i0, (i1 - i0) / (t1 - t0)});
    }
    // rk4 integrates a linear forcing with the same (dt/tau)^5 local error as a constant one; dopri5 at
    // rtol = atol = 1e-10 as above. A bend that is not a breakpoint would make dopri5 follow a wrong slope.
    const struct {
        std::string integrator;
        double dt;
        Text parameters;
        double tolerance;
    } cases[] = {{"rk4", 0.01, {}, 1e-9}, {"dopri5", 0.25, {{"rtol", "1e-10"}, {"atol", "1e-10"}}, 1e-7}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.integrator) {
            const auto r = run(spec_of("lif", passive_lif, file, {{"interpolation", "1"}}, 30, c.dt, c.integrator, c.parameters));
            const auto v = trace(*r.recorder, "v");
            double worst = 0;
            for (std::size_t row = 0; row < v.size(); ++row) worst = std::max(worst, std::abs(v[row] - exact_v(pieces, r.recorder->at(row, 0))));
            BOOST_TEST(worst <= c.tolerance, "largest |v - exact| = " << worst << " mV");
            BOOST_TEST_MESSAGE("piecewise linear, " << c.integrator << ": largest |v - exact| = " << worst << " mV");
        }
    }
}

BOOST_AUTO_TEST_CASE(between_grid_times_the_current_is_resampled_as_documented) {
    TempDir dir;
    // Samples every 0.3 ms, a grid of 0.2 ms: samples fall between grid times.
    const std::vector<double> x{1, 4, -2, 0.5, 3};
    std::string text = "t (ms),I (nA)\n";
    for (std::size_t k = 0; k < x.size(); ++k) text += fmt::format("{},{}\n", 0.3 * static_cast<double>(k), x[k]);
    const auto file = write_file(dir, "coarse.csv", text);
    // The file's piecewise-linear function, computed here (np.interp's definition), and its held samples.
    const auto linear = [&](double u) {
        const auto k = std::min<std::size_t>(static_cast<std::size_t>(std::floor(u / 0.3 + 1e-9)), x.size() - 2);
        return x[k] + (x[k + 1] - x[k]) * (u - 0.3 * static_cast<double>(k)) / 0.3;
    };
    const auto held = [&](double u) { return x[std::min<std::size_t>(static_cast<std::size_t>(std::floor(u / 0.3 + 1e-9)), x.size() - 1)]; };
    Prepared hold(file, {}, 0.2, 7), lin(file, {{"interpolation", "1"}}, 0.2, 6);
    for (std::size_t i = 0; i < 6; ++i) {
        const double t = 0.2 * static_cast<double>(i);
        for (const double s : {0.0, 0.5, 1.0}) {
            // Hold: the sample at or before t_i, all through step i. Linear: the line from f(t_i) to f(t_{i+1}).
            BOOST_TEST(hold.current(i, t + s * 0.2) == held(t), "hold, step " << i << " at " << s);
            const double expected = linear(t) + (linear(t + 0.2) - linear(t)) * s;
            BOOST_TEST(lin.current(i, t + s * 0.2) == expected, boost::test_tools::tolerance(1e-12));
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Units, gzip, columns.

BOOST_AUTO_TEST_CASE(the_same_current_in_pa_na_and_ua_gives_the_same_run) {
    TempDir dir;
    // The numbers in nA and uA are the pA numbers with the decimal point moved (text, not arithmetic).
    const std::vector<std::string> pa{"1500", "-250.5", "3125", "0", "812.25", "2000.5"};
    const auto shifted = [](const std::string& text, std::size_t places) {
        const bool negative = text.front() == '-';
        const std::string body = negative ? text.substr(1) : text;
        const auto dot = body.find('.');
        const std::string fraction = dot == std::string::npos ? "" : body.substr(dot + 1);
        const std::string digits = std::string(places, '0') + body.substr(0, dot) + fraction;
        const std::size_t point = digits.size() - fraction.size() - places;
        std::string result = digits.substr(0, point) + "." + digits.substr(point);
        while (result.size() > 1 && result[0] == '0' && result[1] != '.') result.erase(0, 1);
        return (negative ? "-" : "") + result;
    };
    std::string in_pa = "t (ms),I (pA)\n", in_na = "t (ms),I (nA)\n", in_ua = "t (ms),I (uA)\n";
    for (std::size_t k = 0; k < pa.size(); ++k) {
        in_pa += fmt::format("{},{}\n", 2 * k, pa[k]);
        in_na += fmt::format("{},{}\n", 2 * k, shifted(pa[k], 3));
        in_ua += fmt::format("{},{}\n", 2 * k, shifted(pa[k], 6));
    }
    BOOST_TEST_REQUIRE(shifted("-250.5", 3) == "-0.2505");
    BOOST_TEST_REQUIRE(shifted("3125", 6) == "0.003125");
    const auto pa_file = write_file(dir, "pa.csv", in_pa), na_file = write_file(dir, "na.csv", in_na),
               ua_file = write_file(dir, "ua.csv", in_ua);
    // For lif (nA): pA is converted by dividing by 1000, correctly rounded, so it gives the very doubles that
    // reading the nA text gives: the same run bit for bit. uA is multiplied by 1000, one more rounding: equal to
    // 1 ulp (1e-15 relative).
    const auto reference = run(spec_of("lif", passive_lif, na_file, {}, 12, 0.05, "rk4"));
    const auto from_pa = run(spec_of("lif", passive_lif, pa_file, {}, 12, 0.05, "rk4"));
    const auto from_ua = run(spec_of("lif", passive_lif, ua_file, {}, 12, 0.05, "rk4"));
    BOOST_TEST(from_pa.recorder->values == reference.recorder->values);
    BOOST_TEST(from_ua.recorder->values == reference.recorder->values, boost::test_tools::tolerance(1e-14) << boost::test_tools::per_element());
    // For adex (pA): the nA file multiplied by 1000 equals the pA numbers to 1 ulp.
    const auto adex_pa = run(spec_of("adex", {}, pa_file, {}, 12, 0.05));
    const auto adex_na = run(spec_of("adex", {}, na_file, {}, 12, 0.05));
    BOOST_TEST(trace(*adex_na.recorder, "I") == trace(*adex_pa.recorder, "I"), boost::test_tools::tolerance(1e-15) << boost::test_tools::per_element());
    // For hh (uA/cm^2), a density: I = I_file / area. 1 nA on 20000 um^2 = 2e-4 cm^2 is 1e-3 uA / 2e-4 cm^2 = 5 uA/cm^2.
    const auto hh = run(spec_of("hh", {}, na_file, {{"area", "20000"}}, 12, 0.01));
    const auto density = trace(*hh.recorder, "I");
    for (std::size_t row = 0; row < density.size(); ++row) {
        const auto k = static_cast<std::size_t>(std::floor(hh.recorder->at(row, 0) / 2 + 1e-9));
        BOOST_TEST(density[row] == 5 * std::stod(shifted(pa[k], 3)), boost::test_tools::tolerance(1e-14));
    }
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)run(spec_of("hh", {}, na_file, {}, 12, 0.01)); }),
                        "set stimulus.area");
    // A file of densities (the pA numbers read as uA/cm^2) plays into hh as written, with no area; into lif (nA)
    // it is multiplied by the area: 1 uA/cm^2 on 20000 um^2 = 2e-4 cm^2 is 2e-4 uA = 0.2 nA.
    const auto density_file = write_file(dir, "density.csv", std::string("t (ms),I (uA/cm^2)") + in_pa.substr(in_pa.find('\n')));
    const auto hh_density = run(spec_of("hh", {}, density_file, {}, 12, 0.01));
    const auto played = trace(*hh_density.recorder, "I");
    for (std::size_t row = 0; row < played.size(); ++row) {
        const auto k = static_cast<std::size_t>(std::floor(hh_density.recorder->at(row, 0) / 2 + 1e-9));
        BOOST_TEST(played[row] == std::stod(pa[k]));
    }
    const auto lif_density = run(spec_of("lif", passive_lif, density_file, {{"area", "20000"}}, 12, 0.05));
    const auto current = trace(*lif_density.recorder, "I");
    for (std::size_t row = 0; row < current.size(); ++row) {
        const auto k = static_cast<std::size_t>(std::floor(lif_density.recorder->at(row, 0) / 2 + 1e-9));
        BOOST_TEST(current[row] == 0.2 * std::stod(pa[k]), boost::test_tools::tolerance(1e-14));
    }
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)run(spec_of("lif", passive_lif, density_file, {}, 12, 0.05)); }),
                        "and the file's (I (uA/cm^2)) a density, so the file's is multiplied by the membrane area");
    const auto dimensionless = message_of<ParameterError>([&] { (void)run(spec_of("izhikevich", {}, na_file, {}, 12, 0.1)); });
    SOMA_CHECK_CONTAINS(dimensionless, "the model's current is in '1'");
    SOMA_CHECK_CONTAINS(dimensionless, "pA, nA, uA, uA/cm^2, mA/cm^2");
}

BOOST_AUTO_TEST_CASE(a_gzip_file_reads_as_the_plain_file) {
    TempDir dir;
    std::string text = "# recorded current\nt (ms),I (pA)\n";
    for (int k = 0; k < 2000; ++k) text += fmt::format("{},{}\n", 0.05 * k, 300 + 200 * std::sin(0.01 * k) + (k % 13) * 7.25);
    const auto plain = write_file(dir, "current.csv", text);
    const auto gz = write_gzip(dir, "current.csv.gz", text);
    const auto gz_no_extension = write_gzip(dir, "current-data", text);  // recognised by its first bytes
    BOOST_TEST_REQUIRE(gunzip(gz) == text);
    const auto a = run(spec_of("adex", {}, plain, {}, 100, 0.05));
    const auto b = run(spec_of("adex", {}, gz, {}, 100, 0.05));
    const auto c = run(spec_of("adex", {}, gz_no_extension, {}, 100, 0.05));
    BOOST_TEST(a.recorder->values.size() == 2000u * 4);  // t, v, w, I
    BOOST_TEST(b.recorder->values == a.recorder->values);
    BOOST_TEST(c.recorder->values == a.recorder->values);
    BOOST_TEST(b.recorder->spikes.size() == a.recorder->spikes.size());
    // A truncated gzip file is refused, with its name.
    std::ifstream in(gz, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto truncated = write_file(dir, "truncated.csv.gz", bytes.substr(0, bytes.size() / 2));
    const auto message = message_of<ParameterError>([&] { (void)run(spec_of("adex", {}, truncated, {}, 100, 0.05)); });
    SOMA_CHECK_CONTAINS(message, truncated.string());
    SOMA_CHECK_CONTAINS(message, "its gzip data are cut short or damaged");
    BOOST_TEST(message.find("iostream error") == std::string::npos, message);
    SOMA_CHECK_CONTAINS(message, "cannot be read");
}

BOOST_AUTO_TEST_CASE(each_cell_plays_its_column) {
    TempDir dir;
    // Three current columns in different units, for three cells.
    std::string text = "t (ms),cell a (pA),cell b (nA),cell c (pA)\n";
    std::vector<std::array<double, 3>> rows;
    for (int k = 0; k < 300; ++k) {
        rows.push_back({400 + 10.0 * (k % 17), 0.35 + 0.001 * (k % 11), 250.0 + 3 * k});
        text += fmt::format("{},{},{},{}\n", 0.5 * k, rows.back()[0], rows.back()[1], rows.back()[2]);
    }
    const auto file = write_file(dir, "cells.csv", text);
    const std::array<int, 3> columns{3, 1, 2};  // cell j plays column columns[j]
    auto population = spec_of("adex", {}, file, {{"column", "3,1,2"}}, 150, 0.1, "euler", {}, 3);
    population.settings.threads = 2;
    const auto r = run(population);
    BOOST_TEST_REQUIRE(r.recorder->info.recording.cells.size() == 3u);
    for (std::size_t j = 0; j < 3; ++j) {
        BOOST_TEST_CONTEXT("cell " << j << ", column " << columns[j]) {
            const auto current = trace(*r.recorder, "I", j);
            for (std::size_t i = 0; i < current.size(); ++i) {
                const double x = rows[i / 5][static_cast<std::size_t>(columns[j] - 1)];
                BOOST_TEST(current[i] == (columns[j] == 2 ? x * 1000 : x), boost::test_tools::tolerance(1e-15));
            }
            // The cell alone gives the same run, bit for bit.
            const auto alone = run(spec_of("adex", {}, file, {{"column", std::to_string(columns[j])}}, 150, 0.1));
            BOOST_TEST(trace(*alone.recorder, "v") == trace(*r.recorder, "v", j), boost::test_tools::per_element());
            BOOST_TEST(alone.recorder->spike_times(0) == r.recorder->spike_times(j), boost::test_tools::per_element());
        }
    }
    const auto missing = message_of<ParameterError>([&] { (void)run(spec_of("adex", {}, file, {{"column", "1,4"}}, 150, 0.1, "euler", {}, 2)); });
    SOMA_CHECK_CONTAINS(missing, "cell 1");
    SOMA_CHECK_CONTAINS(missing, "has 3 current columns (cell a (pA), cell b (nA), cell c (pA)); use 1 to 3");
}

// ---------------------------------------------------------------------------------------------------------------
// After the end, delay, scale, offset.

BOOST_AUTO_TEST_CASE(after_end_delay_scale_and_offset) {
    TempDir dir;
    // Five samples, one per ms: the file lasts 5 ms.
    const std::vector<double> x{1, 2, 3, 4, 5};
    const auto file = write_file(dir, "five.csv", "t (ms),I (nA)\n0,1\n1,2\n2,3\n3,4\n4,5\n");
    const double dt = 0.5;
    const auto at = [&](double u) { return x[static_cast<std::size_t>(std::floor(u + 1e-9))]; };
    const struct {
        std::string name;
        Text parameters;
        std::function<double(double)> expected;  // the current at grid time t
    } cases[] = {
        {"hold, zero after", {{"after_end", "1"}}, [&](double t) { return t < 5 ? at(t) : 0.0; }},
        {"hold, repeat (by name)", {{"after_end", "repeat"}}, [&](double t) { return at(std::fmod(t, 5)); }},
        {"linear, zero after", {{"after_end", "1"}, {"interpolation", "1"}},
         [&](double t) {
             if (t >= 5) return 0.0;
             const auto k = static_cast<std::size_t>(std::floor(t));
             return x[k] + ((k + 1 < 5 ? x[k + 1] : 0.0) - x[k]) * (t - static_cast<double>(k));
         }},
        {"linear, repeat (by name)", {{"after_end", "repeat"}, {"interpolation", "linear"}},
         [&](double t) {
             const double u = std::fmod(t, 5);
             const auto k = static_cast<std::size_t>(std::floor(u));
             return x[k] + (x[(k + 1) % 5] - x[k]) * (u - static_cast<double>(k));
         }},
        {"delay 2.5 ms", {{"after_end", "1"}, {"delay", "2.5"}},
         [&](double t) { return t < 2.5 || t >= 7.5 ? 0.0 : at(t - 2.5); }},
        {"delay -2 ms (from the file's 2 ms)", {{"after_end", "1"}, {"delay", "-2"}},
         [&](double t) { return t + 2 >= 5 ? 0.0 : at(t + 2); }},
        {"scale 2, offset -1 (also after the end)", {{"after_end", "1"}, {"scale", "2"}, {"offset", "-1"}},
         [&](double t) { return (t < 5 ? 2 * at(t) : 0.0) - 1; }},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            const auto r = run(spec_of("lif", passive_lif, file, c.parameters, 12, dt));
            const auto current = trace(*r.recorder, "I");
            BOOST_TEST_REQUIRE(current.size() == 24u);
            for (std::size_t i = 0; i < current.size(); ++i) {
                const double t = dt * static_cast<double>(i);
                BOOST_TEST(current[i] == c.expected(t), boost::test_tools::tolerance(1e-15));
            }
        }
    }
    // after_end = 0: a run as long as the file works (hold: 5 ms; linear: up to the last sample, 4 ms) ...
    BOOST_TEST(trace(*run(spec_of("lif", passive_lif, file, {}, 5, dt)).recorder, "I").size() == 10u);
    BOOST_TEST(trace(*run(spec_of("lif", passive_lif, file, {{"interpolation", "1"}}, 4, dt)).recorder, "I").size() == 8u);
    // ... a longer one is refused, naming both lengths.
    const auto longer = message_of<ParameterError>([&] { (void)run(spec_of("lif", passive_lif, file, {}, 12, dt)); });
    SOMA_CHECK_CONTAINS(longer, file.string());
    SOMA_CHECK_CONTAINS(longer, "the run lasts 12 ms");
    SOMA_CHECK_CONTAINS(longer, "ends at 5 ms");
    SOMA_CHECK_CONTAINS(longer, "after_end = 'zero' (zero current after the file) or 'repeat'");
    // A name that is none of the choices lists them, with the closest.
    const auto misspelled =
        message_of<ParameterError>([&] { (void)run(spec_of("lif", passive_lif, file, {{"after_end", "zeros"}}, 12, dt)); });
    SOMA_CHECK_CONTAINS(misspelled, "parameter 'stimulus.after_end': 'zeros' is none of its choices: refuse (0), zero (1), "
                                    "repeat (2); give the name or its number (did you mean 'zero'?)");
    const auto linear = message_of<ParameterError>([&] { (void)run(spec_of("lif", passive_lif, file, {{"interpolation", "1"}}, 5, dt)); });
    SOMA_CHECK_CONTAINS(linear, "is known up to its last sample at 4 ms");
    BOOST_TEST(trace(*run(spec_of("lif", passive_lif, file, {{"delay", "1"}}, 6, dt)).recorder, "I").size() == 12u);
    const auto delayed = message_of<ParameterError>([&] { (void)run(spec_of("lif", passive_lif, file, {{"delay", "1"}}, 6.5, dt)); });
    SOMA_CHECK_CONTAINS(delayed, "with its t = 0 at 1 ms (delay), so it needs the file up to t = 5.5 ms");
    SOMA_CHECK_CONTAINS(delayed, "--t-stop 6)");
}

// ---------------------------------------------------------------------------------------------------------------
// Bad input.

BOOST_AUTO_TEST_CASE(bad_files_are_refused_naming_the_file_and_the_line) {
    TempDir dir;
    const struct {
        std::string name, text;
        Text parameters;
        std::vector<std::string> parts;  // expected in the message
    } cases[] = {
        {"empty.csv", "", {}, {"is empty"}},
        {"comments.csv", "# nothing\n\n# here\n", {}, {"is empty"}},
        {"header.csv", "t (ms),I (pA)\n", {}, {"no samples after its header (line 1)"}},
        {"one.csv", "t (ms),I (pA)\n0,5\n", {}, {"only one sample (line 2)"}},
        {"word.csv", "t (ms),I (pA)\n0,5\n0.1,abc\n", {}, {":3: column 2 ('I (pA)'): 'abc' is not a number"}},
        {"empty_field.csv", "t (ms),I (pA)\n0,5\n,1\n", {}, {":3: column 1 ('t (ms)'): '' is not a number"}},
        {"nan.csv", "t (ms),I (pA)\n0,5\n0.1,nan\n", {}, {":3: column 2", "'nan' is not a finite number"}},
        {"inf.csv", "t (ms),I (pA)\n0,5\n0.1,-inf\n", {}, {":3:", "'-inf' is not a finite number"}},
        {"back.csv", "t (ms),I (pA)\n0,5\n0.2,1\n0.1,1\n", {}, {":4: the time 0.1 ms is not after the previous sample's 0.2 ms (line 3)"}},
        {"same.csv", "t (ms),I (pA)\n0,5\n0,1\n", {}, {":3: the time 0 ms is not after", "increase strictly"}},
        {"unit.csv", "t (ms),I (mA)\n0,5\n1,1\n", {}, {":1: column 2 ('I (mA)'): the current's unit 'mA' is not known; known: pA, nA, uA"}},
        {"time_unit.csv", "t (min),I (pA)\n0,5\n1,1\n", {}, {":1:", "unit 'min' is not known; known: ms, s"}},
        {"no_unit.csv", "t (ms),I\n0,5\n1,1\n", {}, {":1: column 2 'I' of the header has no unit"}},
        {"no_header.csv", "0,5\n1,1\n", {}, {":1: the first line is a row of numbers", "'t (ms),I (pA)'"}},
        {"columns.csv", "t (ms),I (pA)\n0,5\n1,1,2\n", {}, {":3: 3 columns where 2 are expected (t (ms), I (pA))"}},
        {"short.voltage", "0 1.5 -60\n1 2.5\n", {{"sample_interval", "0.2"}}, {":2: 2 columns where 3 are expected"}},
        {"bad.asc", "\"s\"\n\"pA\"\n-70\n", {}, {":3: '-70' is not a quoted unit"}},
        {"asc_unit.asc", "\"s\"\n\"kA\"\n\"mV\"\n0 1 2\n", {}, {":2:", "unit 'kA' is not known; known: pA, nA, uA"}},
        {"no_interval.voltage", "0 1.5 -60\n1 2.5 -60\n", {}, {"is a 3-column recording without times", "sample_interval=0.2"}},
        {"interval.csv", "t (ms),I (pA)\n0,5\n1,1\n", {{"sample_interval", "0.2"}}, {"has its own times (in ms)"}},
        {"whole.csv", "t (ms),I (pA)\n0,5\n1,1\n", {{"column", "1.5"}}, {"'column' = 1.5 must be a whole number"}},
        {"column.csv", "t (ms),I (pA),J (pA)\n0,5,1\n1,1,1\n", {{"column", "3"}}, {"'column' = 3", "has 2 current columns (I (pA), J (pA)); use 1 to 2"}},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            const auto file = write_file(dir, c.name, c.text);
            const auto message = message_of<ParameterError>([&] { (void)run(spec_of("adex", {}, file, c.parameters, 1, 0.1)); });
            SOMA_CHECK_CONTAINS(message, file.string());
            for (const auto& part : c.parts) SOMA_CHECK_CONTAINS(message, part);
        }
    }
    // A gzip file of 46 kB that unpacks to one line of 48 MiB is refused at 1 MiB, not read into memory whole;
    // lines of just below and above the 4 kB the reader takes at a time read as any other.
    {
        const auto huge = write_gzip(dir, "huge.csv.gz", "t (ms),I (pA)\n0,5\n" + std::string(48u << 20, '1'));
        const auto message = message_of<ParameterError>([&] { (void)run(spec_of("adex", {}, huge, {}, 1, 0.1)); });
        SOMA_CHECK_CONTAINS(message, huge.string() + "': line 3 is longer than 1 MiB");
        for (const std::size_t pad : {4094u, 4095u, 4096u, 9000u}) {
            const auto file = write_file(dir, fmt::format("long{}.csv", pad),
                                         "# " + std::string(pad, 'x') + "\nt (ms),I (pA)\n0,5\n1," +
                                             std::string(pad, '0') + "1");  // the last line without a newline
            BOOST_TEST(run(spec_of("adex", {}, file, {}, 1, 0.1)).recorder->info.n_cells == 1u);
        }
    }
    const auto missing = dir.path() / "missing.csv";
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([&] { (void)run(spec_of("adex", {}, missing, {}, 1, 0.1)); }),
                        fmt::format("stimulus file '{}' does not exist", missing.string()));
    // The loader is not a stimulus to run by its name.
    SOMA_CHECK_CONTAINS(message_of<soma::PluginError>([&] { (void)soma::create_stimulus(registry(), "waveform"); }),
                        "give the file's path as the stimulus");
}

BOOST_AUTO_TEST_CASE(a_refused_file_writes_nothing) {
    TempDir dir, out;
    const auto file = write_file(dir, "short.csv", "t (ms),I (pA)\n0,5\n1,1\n");
    auto spec = spec_of("adex", {}, file, {}, 10, 0.1);
    spec.recorders = {{"csv", {}, {}}};
    spec.output_dir = out.path();
    const std::string message = message_of<ParameterError>([&] { (void)run(spec); });
    SOMA_CHECK_CONTAINS(message, "is shorter than the run");
    // Samples at 0 and 1 ms, each held for the sample interval: the file ends at 2 ms.
    SOMA_CHECK_CONTAINS(message, "ends at 2 ms (2 samples from 0 to 1 ms); shorten the run (--t-stop 2), or set");
    BOOST_TEST(std::filesystem::is_empty(out.path()));
    // A file shorter than one step: no --t-stop would do.
    const auto tiny = write_file(dir, "tiny.csv", "t (ms),I (pA)\n0,5\n1e-300,1\n");
    const std::string too_short = message_of<ParameterError>([&] { (void)run(spec_of("adex", {}, tiny, {}, 10, 0.1)); });
    SOMA_CHECK_CONTAINS(too_short, "no run fits in it (a run lasts at least one step, dt = 0.1 ms): give a longer file");
    BOOST_TEST(too_short.find("--t-stop") == std::string::npos, too_short);
}

// ---------------------------------------------------------------------------------------------------------------
// A recording of the 2007 single-neuron modeling competition.

/// The numbers of a whitespace-separated text, row by row (`columns` per row).
std::vector<std::vector<double>> rows_of(const std::string& text, std::size_t columns) {
    std::istringstream in(text);
    std::vector<std::vector<double>> rows;
    std::vector<double> row(columns);
    while (in >> row[0]) {
        for (std::size_t k = 1; k < columns; ++k) in >> row[k];
        rows.push_back(row);
    }
    return rows;
}

BOOST_AUTO_TEST_CASE(a_competition_recording_played_into_adex) {
    const auto training = competition_dir / "challenge-a" / "training";
    BOOST_TEST_REQUIRE(std::filesystem::exists(training / "00-0.voltage.gz"),
                       "the recordings of the 2007 single-neuron modeling competition are missing: "
                           << training
                           << " should hold challenge A's training files (00-0.voltage.gz, 00-0.spiketimes.gz, ...), "
                              "gzip-compressed, from the public repository "
                              "https://github.com/InPhyT/Quantitative_Single_Neuron_Modeling_Competition_2007");
    const auto file = training / "00-0.voltage.gz";
    // The organizers' reference AdEx (the README of the data; their aEIF_test_p25E.m): C, g_L, E_L, V_T, Delta_T,
    // a, b, tau_w, reset, refractory period 1 ms = 5 samples.
    const Text organizers{{"C", "75"},   {"g_L", "13"},       {"E_L", "-60"}, {"V_T", "-39.99"}, {"Delta_T", "0.1"},
                          {"a", "0"},    {"b", "45.99"},      {"tau_w", "13.48"}, {"V_r", "-45"}, {"t_ref", "1"}};
    // 4 grid steps per sample (dt = 0.05 ms): forward Euler then resolves the upswing of Delta_T = 0.1 mV well
    // enough for a spike count (at dt = 0.2 ms it gives 1836 spikes, at 0.05 ms 1922, at 0.025 ms 1940).
    const auto r = run(spec_of("adex", organizers, file, {{"sample_interval", "0.2"}}, 6800, 0.05));
    // The current the model saw is the file's: sample k during steps 4k .. 4k + 3, to the bit.
    const auto samples = rows_of(gunzip(file), 3);
    BOOST_TEST_REQUIRE(samples.size() == 34000u);
    const auto current = trace(*r.recorder, "I");
    BOOST_TEST_REQUIRE(current.size() == 4 * samples.size());
    std::size_t different = 0;
    for (std::size_t i = 0; i < current.size(); ++i) different += current[i] != samples[i / 4][1];
    BOOST_TEST(different == 0u, different << " of " << current.size() << " steps did not get the file's sample");
    // Spike count against the cell's. The cell fired 935, 875, 899 and 911 times in the four repetitions of this
    // stimulus (spread +-3 %). The reference AdEx is a coarse fit (the competition scored spike timing, and its
    // parameters were tuned on other stimuli): at this set's high mean current (625 pA, the cell at 137 Hz) it
    // fires about twice as often (1922 spikes, 283 Hz). So the check is loose, a factor of 3 either way of the
    // recorded mean: it holds for the model as fitted and fails for the errors a file reader can make, a current
    // read in the wrong unit (x1000: over 5000 spikes, the refractory limit; /1000: none) or a wrong sampling
    // step (the file then covers a tenth or ten times the run).
    double recorded = 0;
    for (int repetition = 0; repetition < 4; ++repetition) {
        recorded += static_cast<double>(rows_of(gunzip(training / fmt::format("00-{}.spiketimes.gz", repetition)), 2).size()) / 4;
    }
    BOOST_TEST(recorded == 905, boost::test_tools::tolerance(0.01));
    const auto model = static_cast<double>(r.recorder->spikes.size());
    BOOST_TEST_MESSAGE("00-0.voltage.gz into adex: " << model << " spikes; the cell: " << recorded << " on average");
    BOOST_TEST(model >= recorded / 3);
    BOOST_TEST(model <= recorded * 3);
}

}  // namespace
