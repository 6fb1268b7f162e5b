/// @file test_equations.cpp
/// The `equations` plug-in (models from files, compiled to programs over blocks of cells; docs/equations.md):
/// - independent references: hh.eq and lif.eq with forward Euler on the example scenarios
///   (examples/*.ini) against the course exercises' reference traces (tests/data/README.md), every
///   sample to 1e-9; adex.eq and the compiled adex against a forward-Euler AdEx loop written here from
///   Brette & Gerstner 2005 and Naud et al. 2008 (parameters typed in from the papers), spike times;
///   adex_threshold.eq against that loop with the dynamic threshold added, and without it at its defaults;
/// - examples/models/hh.eq, lif.eq and adex.eq declare the same parameters, presets, state variables
///   and current as the compiled `hh`, `lif` and `adex` plug-ins, and reproduce their runs to 1e-9
///   (absolute, every sample of every state variable, and every spike time): hh and lif on the
///   stimuli of the example scenarios with every integrator, adex with its defaults and every preset
///   with euler, rk4, exp_euler, dopri5 and cvode. These comparisons check the bit-identity of the
///   files' evaluation with the compiled code; a formula wrong in both would pass them, which the
///   independent references above rule out;
/// - each kind of error in a file is reported as "FILE:LINE:COLUMN: message";
/// - through the `soma` program (SOMA_EXECUTABLE): `soma run --model examples/models/hh.eq` works,
///   and a file with an error exits 1 with the message and writes nothing.
/// cvode runs use difference-quotient Jacobians on both sides (integrator.jacobian = 0): equation
/// models have no analytic Jacobian, and the compiled plug-ins' would make the two runs differ by
/// cvode's tolerance instead of by rounding.

#define BOOST_TEST_MODULE soma_test_equations
#include "soma_test_support.hpp"

#include "reference_traces.hpp"

#include "soma/conditionally_linear.hpp"
#include "soma/model_from_file.hpp"
#include "soma/suggested_drive.hpp"

#include <boost/process.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

namespace {

namespace bp = boost::process;
namespace data = boost::unit_test::data;
namespace fs = std::filesystem;
using soma::test::TempDir;

const fs::path examples = SOMA_EXAMPLES_DIR;
const fs::path models = examples / "models";

using soma::test::registry;

using soma::test::RunSpec;

/// One run of a model (a plug-in name or a model file's path), wired as the `soma` runner wires it.
soma::test::RunResult simulate(const RunSpec& run) { return soma::test::run_in_process(registry(), run); }

/// Checks that two runs agree to `tolerance` in every sample (time, every state variable, current)
/// and every spike.
void check_same(const soma::test::RunResult& compiled, const soma::test::RunResult& file, double tolerance,
                const std::string& what) {
    const auto& a = *compiled.recorder;
    const auto& b = *file.recorder;
    BOOST_TEST_REQUIRE(a.width == b.width, what << ": different sample widths");
    BOOST_TEST_REQUIRE(a.values.size() == b.values.size(), what << ": different numbers of samples");
    double worst = 0;
    std::size_t worst_at = 0;
    for (std::size_t k = 0; k < a.values.size(); ++k) {
        const double d = std::abs(a.values[k] - b.values[k]);
        if (!(d <= worst)) {
            worst = d;
            worst_at = k;
        }
    }
    BOOST_TEST(worst <= tolerance, what << ": largest difference " << worst << " at t = "
                                        << a.values[worst_at / a.width * a.width] << " ms (column "
                                        << worst_at % a.width << ")");
    BOOST_TEST_REQUIRE(a.spikes.size() == b.spikes.size(),
                       what << ": " << a.spikes.size() << " spikes against " << b.spikes.size());
    double worst_spike = 0;
    for (std::size_t s = 0; s < a.spikes.size(); ++s) {
        BOOST_TEST(a.spikes[s].cell == b.spikes[s].cell);
        worst_spike = std::max(worst_spike, std::abs(a.spikes[s].t - b.spikes[s].t));
    }
    BOOST_TEST(worst_spike <= tolerance, what << ": spike times differ by up to " << worst_spike << " ms");
    BOOST_TEST_MESSAGE(what << ": " << a.rows() << " samples, " << a.spikes.size() << " spikes, largest difference "
                            << worst << ", spike times " << worst_spike);
}

/// An example scenario (examples/NAME.ini): the stimulus and run settings of its top level and its
/// [stimulus] and [integrator] sections.
struct Example {
    std::string stimulus, integrator;
    std::map<std::string, std::string> stimulus_parameters, integrator_parameters;
    soma::RunSettings settings;
};

Example read_example(const std::string& name) {
    std::ifstream in(examples / (name + ".ini"));
    BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot read examples/" << name << ".ini");
    Example e;
    std::string section, line;
    const auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(" \t"));
        s.erase(s.find_last_not_of(" \t") + 1);
        return s;
    };
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        if (line.front() == '[') {
            section = line.substr(1, line.find(']') - 1);
            continue;
        }
        const auto eq = line.find('=');
        const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
        if (section == "stimulus") e.stimulus_parameters[key] = value;
        else if (section == "integrator") e.integrator_parameters[key] = value;
        else if (key == "stimulus") e.stimulus = value;
        else if (key == "integrator") e.integrator = value;
        else if (key == "t_stop") e.settings.t_stop = std::stod(value);
        else if (key == "dt") e.settings.dt = std::stod(value);
    }
    return e;
}

/// Settings of `integrator` for a comparison: the example's own [integrator] section when the
/// integrator accepts every key of it (locate_spikes = 0 for the fixed-step ones), difference-quotient
/// Jacobians for cvode.
std::map<std::string, std::string> integrator_settings(const Example& e, const std::string& integrator) {
    const auto object = registry().create<soma::Integrator>(soma::PluginKind::integrator, integrator);
    std::map<std::string, std::string> settings;
    const auto schema = object->schema();
    const bool accepts = std::all_of(e.integrator_parameters.begin(), e.integrator_parameters.end(), [&](const auto& kv) {
        return std::any_of(schema.begin(), schema.end(), [&](const auto& s) { return s.name == kv.first; });
    });
    if (accepts) settings = e.integrator_parameters;
    if (integrator == "cvode") settings["jacobian"] = "0";
    return settings;
}

void compare_on_example(const std::string& compiled, const std::string& file, const std::string& example,
                        const std::string& integrator) {
    const Example e = read_example(example);
    RunSpec run{compiled, e.stimulus, integrator, {}, e.stimulus_parameters, e.settings, integrator_settings(e, integrator)};
    const auto a = simulate(run);
    run.model = (models / file).string();
    const auto b = simulate(run);
    check_same(a, b, 1e-9, fmt::format("{} against {} on {} with {}", file, compiled, example, integrator));
}

std::string load_error(const std::string& text, const std::string& file_name = "bad.eq") {
    TempDir dir("soma-equations");
    const fs::path file = dir.path() / file_name;
    std::ofstream(file) << text;
    const std::string message = soma::test::message_of<soma::ModelFileError>([&] { (void)soma::create_model(registry(), file.string()); });
    // Report positions against the bare file name, as the expected messages are written.
    std::string shown = message;
    const std::string prefix = file.string();
    if (shown.rfind(prefix, 0) == 0) shown = file_name + shown.substr(prefix.size());
    return shown;
}

// A small valid model; the error tests change one line of it.
const std::vector<std::string> base_model{
    "parameter g_L = 0.3 mS/cm^2 [0, inf) \"leak conductance\"",  // 1
    "parameter C_m = 1 uF/cm^2 (0, inf) \"capacitance\"",         // 2
    "parameter E_L = 0 mV",                                        // 3
    "current I uA/cm^2",                                           // 4
    "state v = E_L mV \"membrane potential\"",                     // 5
    "dv/dt = (I - g_L*(v - E_L))/C_m",                             // 6
    "threshold v > 20",                                            // 7
};

std::string with(std::vector<std::pair<std::size_t, std::string>> changes, std::vector<std::string> extra = {}) {
    auto lines = base_model;
    for (const auto& [line, text] : changes) lines[line - 1] = text;
    lines.insert(lines.end(), extra.begin(), extra.end());
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(declarations)

BOOST_AUTO_TEST_CASE(the_base_model_of_the_error_tests_loads) {
    TempDir dir("soma-equations");
    std::ofstream(dir.path() / "ok.eq") << with({});
    BOOST_TEST(soma::create_model(registry(), (dir.path() / "ok.eq").string())->state_variables().size() == 1u);
}

// The example files declare exactly what the compiled plug-ins declare, but for adex's last parameter hold_w
// (w held during the refractory period): the equations language holds only the first state variable.
BOOST_DATA_TEST_CASE(examples_match_the_compiled_schemas, data::make(std::vector<std::string>{"hh", "lif", "adex"}),
                     name) {
    const auto compiled = registry().create<soma::Model>(soma::PluginKind::model, name);
    const auto file = soma::create_model(registry(), (models / (name + ".eq")).string());
    const std::size_t compiled_only = name == "adex" ? 1 : 0;
    if (compiled_only == 1) BOOST_TEST(compiled->schema().back().name == "hold_w");
    BOOST_TEST_REQUIRE(compiled->schema().size() == file->schema().size() + compiled_only);
    for (std::size_t k = 0; k < file->schema().size(); ++k) {
        const auto& a = compiled->schema()[k];
        const auto& b = file->schema()[k];
        BOOST_TEST(a.name == b.name);
        BOOST_TEST(a.unit == b.unit, a.name);
        BOOST_TEST(a.default_value == b.default_value, a.name);
        BOOST_TEST(a.range.to_string() == b.range.to_string(), a.name);
        BOOST_TEST(a.description == b.description, a.name);
    }
    BOOST_TEST_REQUIRE(compiled->presets().size() == file->presets().size());
    for (std::size_t k = 0; k < compiled->presets().size(); ++k) {
        const auto& a = compiled->presets()[k];
        const auto& b = file->presets()[k];
        BOOST_TEST(a.name == b.name);
        BOOST_TEST(a.description == b.description, a.name);
        BOOST_TEST((a.values == b.values), a.name);
    }
    const auto va = compiled->state_variables(), vb = file->state_variables();
    BOOST_TEST_REQUIRE(va.size() == vb.size());
    for (std::size_t k = 0; k < va.size(); ++k) {
        BOOST_TEST(va[k].name == vb[k].name);
        BOOST_TEST(va[k].unit == vb[k].unit);
        BOOST_TEST(va[k].description == vb[k].description);
    }
    BOOST_TEST(compiled->current().name == file->current().name);
    BOOST_TEST(compiled->current().unit == file->current().unit);
    BOOST_TEST(compiled->current().description == file->current().description);
    BOOST_TEST(soma::test::threshold_of(*compiled) == soma::test::threshold_of(*file));
    // The same suggested step (`drive`) for the default parameters and for every preset.
    const auto* compiled_drive = dynamic_cast<const soma::SuggestedDrive*>(compiled.get());
    const auto* file_drive = dynamic_cast<const soma::SuggestedDrive*>(file.get());
    BOOST_TEST_REQUIRE((compiled_drive != nullptr && file_drive != nullptr));
    std::vector<std::string> presets{""};
    for (const auto& p : compiled->presets()) presets.push_back(p.name);
    for (const auto& preset : presets) {
        const auto a = compiled_drive->suggested_step(preset), b = file_drive->suggested_step(preset);
        BOOST_TEST_REQUIRE(a.has_value() == b.has_value(), preset);
        if (a) {
            BOOST_TEST(a->amplitude == b->amplitude, preset);
            BOOST_TEST(a->source == b->source, preset);
        }
    }
}

// `drive VALUE UNIT [for PRESET] ["SOURCE"]`: converted to the current's unit, checked, one per preset.
BOOST_AUTO_TEST_CASE(a_model_file_suggests_a_drive) {
    TempDir dir("soma-equations");
    std::ofstream(dir.path() / "d.eq") << with({{4, "current I nA"}, {6, "dv/dt = (I*1e-3 - g_L*(v - E_L))/C_m"}},
                                               {"preset big \"bigger\" g_L = 3", "drive 1500 pA",
                                                "drive 2 uA for big \"Someone 2001, Fig. 1\""});
    const auto model = soma::create_model(registry(), (dir.path() / "d.eq").string());
    const auto* drive = dynamic_cast<const soma::SuggestedDrive*>(model.get());
    BOOST_TEST_REQUIRE(drive != nullptr);
    const auto plain = drive->suggested_step("");
    BOOST_TEST_REQUIRE(plain.has_value());
    BOOST_TEST(plain->amplitude == 1.5, boost::test_tools::tolerance(1e-15));  // 1500 pA in nA
    BOOST_TEST(plain->source == (dir.path() / "d.eq").string() + ", line 9");
    const auto big = drive->suggested_step("big");
    BOOST_TEST_REQUIRE(big.has_value());
    BOOST_TEST(big->amplitude == 2000.0, boost::test_tools::tolerance(1e-15));  // 2 uA in nA
    BOOST_TEST(big->source == "Someone 2001, Fig. 1");
    BOOST_TEST(!drive->suggested_step("other").has_value());
    // Without a drive the file suggests none.
    std::ofstream(dir.path() / "none.eq") << with({});
    const auto none = soma::create_model(registry(), (dir.path() / "none.eq").string());
    BOOST_TEST(!dynamic_cast<const soma::SuggestedDrive&>(*none).suggested_step("").has_value());

    BOOST_TEST(load_error(with({}, {"drive 7 mV"})) ==
               "bad.eq:8:9: the drive is a current, in the unit of 'I' (uA/cm^2) or one of its dimension, but 'mV' is mV");
    BOOST_TEST(load_error(with({}, {"drive 7"})) ==
               "bad.eq:8:8: expected the unit of the drive's amplitude (the unit of a current, e.g. 'drive 7 nA') but "
               "found the end of the line");
    BOOST_TEST(load_error(with({}, {"drive 7 uA/cm^2", "drive 8 uA/cm^2"})) ==
               "bad.eq:9:1: a second drive for the default parameters; it is given on line 8");
    BOOST_TEST(load_error(with({}, {"preset tonic \"t\" g_L = 1", "drive 7 uA/cm^2 for tonik"})) ==
               "bad.eq:9:1: the drive is for preset 'tonik', which the file does not define; did you mean 'tonic'?");
    BOOST_TEST(load_error(with({}, {"drive seven uA/cm^2"})) ==
               "bad.eq:8:7: expected the amplitude of the suggested step current (e.g. 'drive 1.5 nA') but found 'seven'");
}

BOOST_AUTO_TEST_CASE(conditionally_linear_variables_are_found) {
    const auto hh = soma::create_model(registry(), (models / "hh.eq").string());
    const auto* linear = dynamic_cast<const soma::ConditionallyLinear*>(hh.get());
    BOOST_TEST_REQUIRE(linear != nullptr);
    const auto vars = linear->linear_variables();
    BOOST_TEST(std::vector<std::size_t>(vars.begin(), vars.end()) == (std::vector<std::size_t>{1, 2, 3}),
               boost::test_tools::per_element());
    const auto adex = soma::create_model(registry(), (models / "adex.eq").string());
    const auto* adex_linear = dynamic_cast<const soma::ConditionallyLinear*>(adex.get());
    BOOST_TEST_REQUIRE(adex_linear != nullptr);
    BOOST_TEST(adex_linear->linear_variables().size() == 1u);  // w; v never
    // LIF has only v: no capability, so exp_euler refuses lif.eq as it refuses lif.
    const auto lif = soma::create_model(registry(), (models / "lif.eq").string());
    BOOST_TEST(dynamic_cast<const soma::ConditionallyLinear*>(lif.get()) == nullptr);
    for (const auto& model : std::vector<std::string>{"lif", (models / "lif.eq").string()}) {
        RunSpec run{model, "dc", "exp_euler", {}, {{"amplitude", "2"}}, {}};
        run.settings.t_stop = 1;
        SOMA_CHECK_CONTAINS(soma::test::message_of<soma::PluginError>([&] { simulate(run); }),
                            "needs a model whose gating variables are conditionally linear");
    }
}

// The right-hand sides (and exp_euler's coefficients) of the example files, for a batch of cells in
// random states, are bit for bit those of the compiled plug-ins: the files are written in the same
// order of operations, and the evaluator rounds each operation as the compiled code does (the build
// contracts no multiply-adds: -ffp-contract=off).
BOOST_DATA_TEST_CASE(right_hand_sides_equal_the_compiled_ones_for_a_batch,
                     data::make(std::vector<std::string>{"hh", "lif", "adex"}), name) {
    const auto compiled = registry().create<soma::Model>(soma::PluginKind::model, name);
    const auto file = soma::create_model(registry(), (models / (name + ".eq")).string());
    const std::size_t n_vars = compiled->state_variables().size(), n_cells = 1000;
    soma::test::ModelArrays arrays_a(*compiled, n_cells), arrays_b(*file, n_cells);
    const soma::ModelCells cells_a = arrays_a.cells(), cells_b = arrays_b.cells();
    soma::StateBatch y(n_vars, n_cells), a(n_vars, n_cells), b(n_vars, n_cells);
    compiled->initialize(cells_a, y.view());
    file->initialize(cells_b, y.view());
    std::mt19937 random(7);
    std::uniform_real_distribution<double> uniform(0, 1);
    std::vector<double> current(n_cells);
    for (std::size_t c = 0; c < n_cells; ++c) {
        y.var(0)[c] = -100 + 200 * uniform(random);  // beyond adex's clamp too
        for (std::size_t k = 1; k < n_vars; ++k) y.var(k)[c] = (name == "adex" ? 300 : 1) * uniform(random);
        current[c] = 20 * uniform(random);
    }
    compiled->derivatives(1.5, cells_a, y.view(), current, a.view());
    file->derivatives(1.5, cells_b, y.view(), current, b.view());
    for (std::size_t k = 0; k < n_vars; ++k) {
        std::size_t differ = 0;
        for (std::size_t c = 0; c < n_cells; ++c) differ += a.var(k)[c] != b.var(k)[c];
        BOOST_TEST(differ == 0u, name << ": d" << compiled->state_variables()[k].name << "/dt differs in " << differ
                                      << " of " << n_cells << " cells");
    }
    const auto* linear_a = dynamic_cast<const soma::ConditionallyLinear*>(compiled.get());
    const auto* linear_b = dynamic_cast<const soma::ConditionallyLinear*>(file.get());
    // A file reproduces its plug-in with exp_euler only if both offer the capability or neither does.
    BOOST_TEST_REQUIRE((linear_a == nullptr) == (linear_b == nullptr),
                       name << ": ConditionallyLinear offered by " << (linear_a != nullptr ? "the plug-in" : "the file")
                            << " only");
    if (linear_a == nullptr) return;  // neither: nothing to compare
    BOOST_TEST_REQUIRE((std::ranges::equal(linear_a->linear_variables(), linear_b->linear_variables())),
                       name << ": different conditionally linear variables");
    const std::size_t n_linear = linear_a->linear_variables().size();
    soma::StateBatch aa(n_linear, n_cells), ba(n_linear, n_cells), ab(n_linear, n_cells), bb(n_linear, n_cells);
    linear_a->linear_coefficients(1.5, cells_a, y.view(), aa.view(), ba.view());
    linear_b->linear_coefficients(1.5, cells_b, y.view(), ab.view(), bb.view());
    BOOST_TEST((aa.data().size() == ab.data().size() &&
                std::equal(aa.data().begin(), aa.data().end(), ab.data().begin()) &&
                std::equal(ba.data().begin(), ba.data().end(), bb.data().begin())),
               name << ": exp_euler's coefficients differ");
}

// A right-hand side with hundreds of lets (over 30000 characters) is compiled and evaluated in order,
// each let from the ones before it.
BOOST_AUTO_TEST_CASE(long_models_are_compiled_in_pieces) {
    std::string text = with({{6, "dv/dt = -a_long_name_for_a_let_number_399/C_m*g_L"}});
    text += "let a_long_name_for_a_let_number_0 = v - E_L\n";
    for (int k = 1; k < 400; ++k) {
        text += fmt::format("let a_long_name_for_a_let_number_{} = a_long_name_for_a_let_number_{} + 0*(v + v)\n", k,
                            k - 1);
    }
    TempDir dir("soma-equations");
    std::ofstream(dir.path() / "long.eq") << text;
    BOOST_TEST_REQUIRE(text.size() > 30000u);
    const auto model = soma::create_model(registry(), (dir.path() / "long.eq").string());
    soma::test::ModelArrays arrays(*model, 2);
    soma::StateBatch y(1, 2), dydt(1, 2);
    model->initialize(arrays.cells(), y.view());
    y.var(0)[0] = 10;
    y.var(0)[1] = -4;
    const std::vector<double> current{0, 0};
    model->derivatives(0, arrays.cells(), y.view(), current, dydt.view());
    BOOST_TEST(dydt.var(0)[0] == -10 * 0.3);
    BOOST_TEST(dydt.var(0)[1] == 4 * 0.3);
}

BOOST_AUTO_TEST_CASE(the_loader_cannot_be_run_by_name) {
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::PluginError>([] { soma::create_model(registry(), "equations"); }),
                        "model plug-in 'equations' reads its model from a file: give the file's path as the model");
    // Created by name through the registry (not through create_model), it is refused by Simulation.
    const auto loader = registry().create<soma::Model>(soma::PluginKind::model, "equations");
    const auto stimulus = registry().create<soma::Stimulus>(soma::PluginKind::stimulus, "dc");
    const auto integrator = registry().create<soma::Integrator>(soma::PluginKind::integrator, "euler");
    soma::RunInfo info;
    info.model = "equations";
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::PluginError>([&] {
                            soma::Simulation(loader, stimulus, integrator, {}, soma::RunSettings{}, info,
                                             soma::CellParameters{});
                        }),
                        "model 'equations' has no state variables");
}

BOOST_AUTO_TEST_CASE(requirements_and_parameter_expressions_are_checked_at_configure) {
    const auto lif = soma::create_model(registry(), (models / "lif.eq").string());
    const auto message = soma::test::message_of<soma::ParameterError>([&] { lif->configure(std::map<std::string, double>{{"V_reset", 2.0}}); });
    SOMA_CHECK_CONTAINS(message, "the reset potential 'V_reset' must be below the threshold 'V_th': 'V_reset < V_th' "
                                 "does not hold for V_reset = 2 mV, V_th = 1 mV (");
    SOMA_CHECK_CONTAINS(message, "lif.eq:17)");
    BOOST_TEST(lif->values()["V_reset"] == 0.0);  // all-or-nothing: nothing changed
    lif->configure(std::map<std::string, double>{{"V_th", 3.0}});
    BOOST_TEST(soma::test::threshold_of(*lif) == 3.0);  // the threshold follows its parameter
    // Same rules as the compiled adex: the exponent bound.
    const auto adex = soma::create_model(registry(), (models / "adex.eq").string());
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>([&] {
                            adex->configure(std::map<std::string, double>{{"Delta_T", 0.01}});
                        }),
                        "exp() would overflow at the spike cut-off");
    // A refractory period that is negative.
    TempDir dir("soma-equations");
    std::ofstream(dir.path() / "r.eq") << with({}, {"parameter t_ref = 1 ms", "reset v = E_L", "refractory t_ref - 2"});
    SOMA_CHECK_CONTAINS(soma::test::message_of<soma::ParameterError>([&] {
                            soma::create_model(registry(), (dir.path() / "r.eq").string());
                        }),
                        "the refractory period 't_ref - 2' (");
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// The amplitude (pA) of the step that the description of adex's preset `preset` names ("... with a
/// 500 pA step ..."): Naud et al. 2008's current for that firing pattern.
std::string preset_step(const std::string& preset) {
    const auto adex = registry().create<soma::Model>(soma::PluginKind::model, "adex");
    for (const auto& p : adex->presets()) {
        if (p.name != preset) continue;
        const auto pA = p.description.find(" pA step");
        BOOST_TEST_REQUIRE(pA != std::string::npos, preset << ": no step in '" << p.description << "'");
        const auto start = p.description.rfind(' ', pA - 1) + 1;
        return p.description.substr(start, pA - start);
    }
    BOOST_FAIL("adex has no preset '" << preset << "'");
    return {};
}

/// AdEx parameters, in the units of adex.cpp (pF, nS, mV, ms, pA).
struct AdexParameters {
    double C, g_L, E_L, V_T, Delta_T, a, tau_w, b, V_r, V_peak;
};

/// One AdEx case: a preset of adex ("" for the defaults), the parameters typed in from the papers (not
/// read from the plug-in, so that the presets' values are checked too), and the step (pA).
struct AdexCase {
    std::string preset;
    AdexParameters p;
    double step;
};
std::ostream& operator<<(std::ostream& os, const AdexCase& c) { return os << (c.preset.empty() ? "defaults" : c.preset); }

// V_peak = 0 mV, the plug-in's default cut-off (NEST's), for every row.
const std::vector<AdexCase> adex_cases{
    // Brette & Gerstner 2005, the regular-spiking cell; V_r = E_L. 1000 pA: about 1.7 times the
    // rheobase, the step adex suggests for its defaults.
    {"", {281, 30, -70.6, -50.4, 2, 4, 144, 80.5, -70.6, 0}, 1000},
    // Naud et al. 2008, Table 1: C, g_L, E_L, V_T, Delta_T, a, tau_w, b, V_r, and the step of Fig. 4.
    {"tonic_spiking", {200, 10, -70, -50, 2, 2, 30, 0, -58, 0}, 500},
    {"adaptation", {200, 12, -70, -50, 2, 2, 300, 60, -58, 0}, 500},
    {"initial_burst", {130, 18, -58, -50, 2, 4, 150, 120, -50, 0}, 400},
    {"regular_bursting", {200, 10, -58, -50, 2, 2, 120, 100, -46, 0}, 210},
    {"delayed_accelerating", {200, 12, -70, -50, 2, -10, 300, 0, -58, 0}, 300},
    // Fig. 4f and 4g, with the rows as corrected in Brian2's example (see adex.cpp).
    {"delayed_regular_bursting", {100, 10, -65, -50, 2, -10, 90, 30, -47, 0}, 110},
    {"transient_spiking", {100, 10, -65, -50, 2, 10, 90, 100, -47, 0}, 180},
    // Not irregular_spiking (Fig. 4h): it is chaotic, and amplifies the last-bit differences between
    // Soma's vector exp and the scalar one here, which can then change its spikes (docs/equations.md).
};

/// The dynamic threshold of examples/models/adex_threshold.eq (mV, ms): tau dtheta/dt = k max(V - V_i, 0) -
/// theta, theta += jump at each spike (Platkiewicz & Brette 2010; Fontaine et al. 2014; Mensi et al. 2012).
/// The default, k = jump = 0, keeps theta at 0: the AdEx.
struct DynamicThreshold {
    double k = 0, V_i = 0, tau = 1, jump = 0;
};

/// Spike times of an AdEx cell by forward Euler, written from the equations of Brette & Gerstner 2005
/// (J. Neurophysiol. 94:3637) and Naud et al. 2008 (Biol. Cybern. 99:335):
///   C dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_T)/Delta_T) - w + I,  tau_w dw/dt = a (V - E_L) - w,
///   at V >= V_peak: V <- V_r, w <- w + b,
/// from rest (V = E_L, w = 0), with the state and the current at the start of each step, the threshold
/// checked at the end of the step and the spike at that grid time (Soma's euler with locate_spikes = 0).
/// The current is `step` on the steps round(onset/dt) <= i < round(offset/dt), as Soma's `step`
/// stimulus gives it. V never starts a step at or above V_peak, so Soma's clamp of V in the exponential
/// (at V_peak + 5 Delta_T) never acts and is not needed here; no refractory period (t_ref = 0).
/// With `refractory_steps` > 0, V is held at V_r for that many steps after each spike, and w too if `hold_w`
/// (the spike at grid time (i + 1) dt ends the refractory period t_ref = refractory_steps dt later: the
/// steps i + 1 to i + refractory_steps are held). With a `threshold`, V_T + theta replaces V_T in the
/// exponential, theta starts at 0, is advanced by forward Euler from the same start-of-step values (also
/// while refractory) and jumps at each spike.
std::vector<double> adex_euler_spike_times(const AdexParameters& p, double step, double onset, double offset,
                                           double t_stop, double dt, std::size_t refractory_steps = 0,
                                           bool hold_w = false, const DynamicThreshold& threshold = {}) {
    const auto n_steps = static_cast<std::size_t>(std::llround(t_stop / dt));
    const auto on = static_cast<std::size_t>(std::llround(onset / dt));
    const auto off = static_cast<std::size_t>(std::llround(offset / dt));
    double V = p.E_L, w = 0, theta = 0;
    std::size_t held_until = 0;  // steps i < held_until are refractory
    std::vector<double> spikes;
    for (std::size_t i = 0; i < n_steps; ++i) {
        const double I = i >= on && i < off ? step : 0.0;
        const double dV =
            (-p.g_L * (V - p.E_L) + p.g_L * p.Delta_T * std::exp((V - p.V_T - theta) / p.Delta_T) - w + I) / p.C;
        const double dw = (p.a * (V - p.E_L) - w) / p.tau_w;
        const double dtheta = (threshold.k * std::max(V - threshold.V_i, 0.0) - theta) / threshold.tau;
        const bool refractory = i < held_until;
        if (!refractory) V += dt * dV;
        if (!(refractory && hold_w)) w += dt * dw;
        theta += dt * dtheta;
        if (V >= p.V_peak) {
            spikes.push_back(static_cast<double>(i + 1) * dt);
            V = p.V_r;
            w += p.b;
            theta += threshold.jump;
            held_until = i + 1 + refractory_steps;
        }
    }
    return spikes;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(independent_references)

// hh.eq and lif.eq on the example scenarios, with the examples' forward Euler and settings (locate_spikes
// = 0 for LIF, as the course exercises), against the course exercises' traces: every column at every
// step to 1e-9 (tests/data/README.md: the exercises' loops are matched by a reimplementation to 1e-11).
BOOST_DATA_TEST_CASE(hh_eq_and_lif_eq_match_the_course_exercises_traces,
                     data::make(std::vector<std::string>{"hh-step", "hh-ramp", "hh-sine", "lif-step", "lif-sine"}),
                     example) {
    const Example e = read_example(example);
    BOOST_TEST_REQUIRE(e.integrator == "euler");
    const std::string file = example.substr(0, example.find('-')) + ".eq";
    const auto& table = soma::test::reference_trace(example);
    const auto rows = static_cast<std::size_t>(std::llround(e.settings.t_stop / e.settings.dt));
    soma::test::require_complete(table, example, table.header, rows, e.settings.dt);
    const RunSpec run{(models / file).string(), e.stimulus, e.integrator, {}, e.stimulus_parameters, e.settings,
                      e.integrator_parameters};
    soma::test::check_against_trace(*simulate(run).recorder, table, file + " on " + example);
}

// adex.eq and adex with forward Euler (locate_spikes = 0) against the loop above, 20 to 420 ms of a
// 500 ms run at dt = 0.01 ms. Tolerance: both are the same algorithm on the same grid, so every spike
// falls at the same grid time (i + 1) dt, which Soma computes as i dt + dt: equal to within a few ulps
// of t (1e-13 ms); 1e-9 ms allows that and nothing else, since any other difference is a whole step of
// 0.01 ms. (The exponential, vector in Soma and scalar here, differs in the last bits; those 1e-16
// relative differences move no spike to another step in these runs.)
BOOST_DATA_TEST_CASE(adex_eq_and_adex_match_an_independent_euler_loop,
                     data::make(adex_cases) * data::make(std::vector<std::string>{"adex", "adex.eq"}), c, model) {
    if (!c.preset.empty()) BOOST_TEST_REQUIRE(std::stod(preset_step(c.preset)) == c.step);
    const double dt = 0.01, t_stop = 500;
    const auto expected = adex_euler_spike_times(c.p, c.step, 20, 420, t_stop, dt);
    // 7 to 41 spikes, but for transient_spiking: one, 30 ms into its step (a transient response).
    BOOST_TEST_REQUIRE(!expected.empty(), "the reference loop does not fire");
    RunSpec run{model == "adex" ? model : (models / model).string(), "step", "euler", {},
                {{"amplitude", fmt::format("{}", c.step)}, {"onset", "20"}, {"offset", "420"}}, {},
                soma::test::grid_spikes, c.preset};
    run.settings.t_stop = t_stop;
    run.settings.dt = dt;
    run.settings.record_interval = 100;  // samples are not needed
    const auto result = simulate(run);
    const auto& spikes = result.recorder->spikes;
    BOOST_TEST_REQUIRE(spikes.size() == expected.size(), model << ", " << c << ": " << spikes.size()
                                                               << " spikes, the loop " << expected.size());
    double worst = 0;
    for (std::size_t k = 0; k < spikes.size(); ++k) worst = std::max(worst, std::abs(spikes[k].t - expected[k]));
    BOOST_TEST(worst <= 1e-9, model << ", " << c << ": spike times differ by up to " << worst << " ms");
    BOOST_TEST_MESSAGE(model << ", " << c << ": " << spikes.size() << " spikes, first at " << expected.front()
                             << ", last at " << expected.back() << " ms");
}

/// `model` (a plug-in or a file) with the 2007 competition organizers' AdEx (Delta_T 1 mV, so that dt =
/// 0.01 ms resolves the upswing; t_ref = 1 ms) and `extra` values, on 600 pA from 20 to 270 ms of 300 ms,
/// by forward Euler with grid spike times; checks its spikes against `expected` at the same grid times
/// (1e-9 ms, see adex_eq_and_adex_match_an_independent_euler_loop). `label` names the case.
void check_organizers_step(const std::string& model, const std::map<std::string, std::string>& extra,
                           const std::vector<double>& expected, const std::string& label) {
    RunSpec run{model, "step", "euler", {}, {{"amplitude", "600"}, {"onset", "20"}, {"offset", "270"}}, {},
                soma::test::grid_spikes};
    run.model_parameters = {{"C", "75"},  {"g_L", "13"},   {"E_L", "-60"}, {"V_T", "-40"},
                            {"Delta_T", "1"}, {"a", "0"}, {"tau_w", "13.48"}, {"b", "46"},
                            {"V_r", "-45"}, {"t_ref", "1"}};
    run.model_parameters.insert(extra.begin(), extra.end());
    run.settings.t_stop = 300;
    run.settings.dt = 0.01;
    run.settings.record_interval = 100;
    const auto result = simulate(run);
    const auto& spikes = result.recorder->spikes;
    BOOST_TEST_REQUIRE(spikes.size() == expected.size(),
                       label << ": " << spikes.size() << " spikes, the loop " << expected.size());
    double worst = 0;
    for (std::size_t k = 0; k < spikes.size(); ++k) worst = std::max(worst, std::abs(spikes[k].t - expected[k]));
    BOOST_TEST(worst <= 1e-9, label << ": spike times differ by up to " << worst << " ms");
}

// adex with a refractory period, w evolving during it (hold_w = 0, NEST's aeif) or held (hold_w = 1, the 2007
// competition organizers' AdEx), against the loop above: their parameters (C = 75 pF, g_L = 13 nS, E_L = -60
// mV, V_T = -40 mV, a = 0, b = 46 pA, tau_w = 13.48 ms, V_r = -45 mV, t_ref = 1 ms; Delta_T 1 mV instead of
// their 0.1 mV, so that dt = 0.01 ms resolves the upswing) and a 600 pA step. Tolerance as above: the same
// grid times. The two rules must give different spike trains here, or the test would not tell them apart.
BOOST_DATA_TEST_CASE(adex_refractory_w_evolves_or_is_held_as_an_independent_euler_loop, data::make({0, 1}), hold) {
    const AdexParameters p{75, 13, -60, -40, 1, 0, 13.48, 46, -45, 0};
    const double dt = 0.01, t_stop = 300;
    const auto expected = adex_euler_spike_times(p, 600, 20, 270, t_stop, dt, 100, hold == 1);
    const auto other = adex_euler_spike_times(p, 600, 20, 270, t_stop, dt, 100, hold != 1);
    BOOST_TEST_REQUIRE(expected.size() > 20u);
    BOOST_TEST_REQUIRE(expected != other);
    check_organizers_step("adex", {{"hold_w", std::to_string(hold)}}, expected, "hold_w = " + std::to_string(hold));
}

// examples/models/adex_threshold.eq against the loop above with its dynamic threshold: the
// organizers' AdEx of the 2007 competition (Delta_T 1 mV, t_ref = 1 ms, w evolving) with a threshold
// that rises by 0.3 mV per mV above -50 mV with tau_theta = 5 ms and jumps 3 mV per spike, on a 600 pA
// step; and with the file's defaults (k_theta = b_theta = 0), which must be the plain AdEx. Tolerance as
// above: the same grid times. The threshold must change the spike train, or the test would not see it.
BOOST_DATA_TEST_CASE(adex_threshold_eq_matches_an_independent_euler_loop, data::make({false, true}), moving) {
    const AdexParameters p{75, 13, -60, -40, 1, 0, 13.48, 46, -45, 0};
    const DynamicThreshold threshold = moving ? DynamicThreshold{0.3, -50, 5, 3} : DynamicThreshold{};
    const double dt = 0.01, t_stop = 300;
    const auto expected = adex_euler_spike_times(p, 600, 20, 270, t_stop, dt, 100, false, threshold);
    const auto fixed = adex_euler_spike_times(p, 600, 20, 270, t_stop, dt, 100, false);
    BOOST_TEST_REQUIRE(expected.size() > 10u);
    BOOST_TEST_REQUIRE((expected != fixed) == moving);
    const std::map<std::string, std::string> extra =
        moving ? std::map<std::string, std::string>{{"k_theta", "0.3"}, {"V_i", "-50"}, {"tau_theta", "5"}, {"b_theta", "3"}}
               : std::map<std::string, std::string>{};
    check_organizers_step((models / "adex_threshold.eq").string(), extra, expected,
                          moving ? "moving threshold" : "fixed threshold");
    BOOST_TEST_MESSAGE("adex_threshold.eq, moving threshold " << moving << ": " << expected.size()
                                                             << " spikes (fixed threshold: " << fixed.size() << ")");
}

BOOST_AUTO_TEST_SUITE_END()

// ------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(reproduce_the_compiled_plugins)

const std::vector<std::string> all_integrators{"euler", "rk4", "exp_euler", "dopri5", "cvode"};

BOOST_DATA_TEST_CASE(hh_eq_reproduces_hh,
                     data::make(std::vector<std::string>{"hh-step", "hh-ramp", "hh-sine"}) * data::make(all_integrators),
                     example, integrator) {
    compare_on_example("hh", "hh.eq", example, integrator);
}

BOOST_DATA_TEST_CASE(lif_eq_reproduces_lif,
                     data::make(std::vector<std::string>{"lif-step", "lif-sine"}) *
                         data::make(std::vector<std::string>{"euler", "rk4", "dopri5", "cvode"}),
                     example, integrator) {
    compare_on_example("lif", "lif.eq", example, integrator);
}

// Resets inside the step and a refractory period, which the examples (spikes at the end of the step,
// t_ref = 0) do not exercise: 2 nA for 100 ms, t_ref = 0.5 ms.
BOOST_DATA_TEST_CASE(lif_eq_reproduces_lif_with_refractory_periods,
                     data::make(std::vector<std::string>{"euler", "rk4", "dopri5", "cvode"}), integrator) {
    RunSpec run{"lif", "dc", integrator, {}, {{"amplitude", "2"}}, {}};
    if (integrator == "cvode") run.integrator_parameters["jacobian"] = "0";
    run.settings.t_stop = 100;
    run.settings.dt = 0.1;
    run.model_parameters = {{"t_ref", "0.5"}, {"V_reset", "-0.5"}};
    const auto a = simulate(run);
    BOOST_TEST(a.recorder->spikes.size() > 50u);
    run.model = (models / "lif.eq").string();
    check_same(a, simulate(run), 1e-9, "lif.eq against lif, t_ref = 0.5 ms, with " + integrator);
}

// AdEx: the defaults (Brette & Gerstner 2005) and each firing pattern of Naud et al. 2008 with the
// step current its preset's description names (on [20, 420) ms of 500 ms).
BOOST_DATA_TEST_CASE(adex_eq_reproduces_adex,
                     data::make(std::vector<std::string>{"", "tonic_spiking", "adaptation", "initial_burst",
                                                         "regular_bursting", "delayed_accelerating",
                                                         "delayed_regular_bursting", "transient_spiking",
                                                         "irregular_spiking"}) *
                         data::make(all_integrators),
                     preset, integrator) {
    const std::string amplitude = preset.empty() ? "500" : preset_step(preset);
    RunSpec run{"adex", "step", integrator, {}, {{"amplitude", amplitude}, {"onset", "20"}, {"offset", "420"}}, {}, {},
                preset};
    if (integrator == "cvode") run.integrator_parameters["jacobian"] = "0";
    run.settings.t_stop = 500;
    run.settings.dt = 0.01;
    const auto a = simulate(run);
    run.model = (models / "adex.eq").string();
    check_same(a, simulate(run), 1e-9,
               fmt::format("adex.eq against adex, {} at {} pA, with {}", preset.empty() ? "defaults" : preset,
                           amplitude, integrator));
}

BOOST_AUTO_TEST_SUITE_END()

// ------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(errors_in_files)

BOOST_AUTO_TEST_CASE(unknown_symbol_with_a_suggestion) {
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_l*(v - E_L))/C_m"}})) ==
               "bad.eq:6:14: unknown symbol 'g_l' (did you mean 'g_L'?)");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + foo"}})) == "bad.eq:6:35: unknown symbol 'foo'");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/exq(C_m)"}})).rfind(
                   "bad.eq:6:29: unknown function 'exq' (did you mean 'exp'?); the functions are exp, ", 0) == 0);
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m(2)"}})) ==
               "bad.eq:6:29: 'C_m' is a parameter, not a function");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/exp"}})) ==
               "bad.eq:6:29: 'exp' is a function; call it as exp(...)");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/min(C_m)"}})) ==
               "bad.eq:6:29: min takes at least 2 arguments, not 1");
}

BOOST_AUTO_TEST_CASE(syntax_errors) {
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L)/C_m"}})) ==
               "bad.eq:6:31: expected ')' to close the '(' at column 9 but found the end of the line");
    BOOST_TEST(load_error(with({{6, "dv/dt = I - * v"}})) == "bad.eq:6:13: expected a number, a name or '(' but found '*'");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m)"}})) ==
               "bad.eq:6:32: unexpected ')' after the equation");
    BOOST_TEST(load_error(with({{6, "dv/dt = I ? 1"}})) ==
               "bad.eq:6:14: expected ':' of the conditional '?' at column 11 but found the end of the line");
    BOOST_TEST(load_error(with({{6, "dv/dt = 2v"}})) ==
               "bad.eq:6:9: '2v' is not a number: 'v' is a state variable, and there is no implicit multiplication: "
               "write '2*v'");
    BOOST_TEST(load_error(with({{6, "dv/dt = 2w"}})) == "bad.eq:6:9: '2w' is not a number");
    BOOST_TEST(load_error(with({{6, "dv/dt = I = 3"}})) == "bad.eq:6:11: unexpected '=' after the equation");
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0 mV \"resting potential"}})) ==
               "bad.eq:3:22: unterminated string: a description ends with '\"'");
    // Control bytes would reach the terminal of 'soma describe' raw, other bytes the CSV, JSON and SVG.
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0 mV \"leak\033[31mred\""}})) ==
               "bad.eq:3:27: a description is plain ASCII text, but it holds the byte 0x1b (a control character); "
               "write it without");
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0 mV \"caf\xE9\""}})) ==
               "bad.eq:3:26: a description is plain ASCII text, but it holds the byte 0xe9 (not ASCII); write it "
               "without");
    BOOST_TEST(load_error(with({{3, "paramter E_L = 0 mV"}})) ==
               "bad.eq:3:1: unknown statement 'paramter' (did you mean 'parameter'?); a line is one of: parameter, "
               "state, current, let, dX/dt = ..., threshold, reset, refractory, require, preset, drive");
    BOOST_TEST(load_error(with({{3, "parameter E_L = zero mV"}})) ==
               "bad.eq:3:17: expected the default value of parameter 'E_L' (a number) but found 'zero'");
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0"}})) ==
               "bad.eq:3:18: expected the unit of 'E_L' (e.g. mV, uA/cm^2, or 1 if dimensionless) but found the end "
               "of the line");
    BOOST_TEST(load_error(with({{1, "parameter g_L = 0.3 mS/cm^2 [0, inf \"leak\""}})) ==
               "bad.eq:1:37: expected ']' or ')' to close the range but found 'leak'");
}

// Deep nesting overflowed the parser's stack (an earlier finding): each kind of recursion is refused, within 1 MiB.
// (A flat sum is no nesting: see long_chains_of_one_operator_are_one_level.)
BOOST_AUTO_TEST_CASE(deeply_nested_expressions_are_refused) {
    const auto repeated = [](std::string_view part, std::size_t n) {
        std::string text;
        for (std::size_t k = 0; k < n; ++k) text += part;
        return text;
    };
    const std::string deep = "expression nested too deeply: more than 256 levels of operators, parentheses and calls; "
                             "split it with 'let'";
    for (const std::string& expression :
         {"0*" + repeated("2^", 50000) + "2", repeated("v > 0 ? 1 : ", 50000) + "0", "0*(" + repeated("v + (", 50000) + "v" + repeated(")", 50001),
          "0*" + repeated("(", 50000) + "v" + repeated(")", 50000), "0*" + repeated("-", 50000) + "v",
          "0*" + repeated("exp(", 50000) + "0" + repeated(")", 50000)}) {
        BOOST_TEST_CONTEXT(expression.substr(0, 20)) {
            const std::string message = load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + " + expression}}));
            BOOST_TEST(message.rfind("bad.eq:6:", 0) == 0u, message);
            SOMA_CHECK_CONTAINS(message, deep);
        }
    }
}

BOOST_AUTO_TEST_CASE(missing_and_misplaced_equations) {
    BOOST_TEST(load_error(with({}, {"state w = 0 1"})) ==
               "bad.eq:8:7: state variable 'w' has no equation: add 'dw/dt = ...'");
    BOOST_TEST(load_error(with({}, {"dgate/dt = 0"})) ==
               "bad.eq:8:1: 'dgate/dt' is the equation of 'gate', which is not declared; declare it with 'state gate = ...'");
    BOOST_TEST(load_error(with({}, {"dvv/dt = 0"})) ==
               "bad.eq:8:1: 'dvv/dt' is the equation of 'vv', which is not declared (did you mean 'dv/dt'?)");
    BOOST_TEST(load_error(with({}, {"dE_L/dt = 0"})) ==
               "bad.eq:8:1: 'dE_L/dt' is the equation of 'E_L', which is a parameter, not a state variable");
    BOOST_TEST(load_error(with({}, {"dv/dt = 0"})) == "bad.eq:8:1: a second equation for dv/dt; the first is on line 6");
    BOOST_TEST(load_error(with({{4, "# no current"}})) ==
               "bad.eq: the model declares no current: add e.g. 'current I uA/cm^2 \"injected current\"' (the name and "
               "unit of the current the stimulus injects)");
    BOOST_TEST(load_error(with({{7, ""}})) ==
               "bad.eq: the model has no threshold: add e.g. 'threshold v > V_th' (a spike is an upward crossing of "
               "the value by the first state variable)");
    BOOST_TEST(load_error(with({{7, "threshold w > 1"}}, {"state w = 0 1", "dw/dt = -w"})) ==
               "bad.eq:7:11: the threshold must be on 'v', the first state variable (the membrane potential), not 'w': "
               "write 'threshold v > ...'");
    BOOST_TEST(load_error(with({{7, "threshold 20 < v"}})) ==
               "bad.eq:7:11: the threshold must have the form 'threshold v > EXPRESSION', where v is the first state "
               "variable (the membrane potential): a spike is its upward crossing of the value");
    BOOST_TEST(load_error(with({}, {"reset u = 0"})) == "bad.eq:8:7: a reset assigns state variables, and 'u' is not declared (did you mean 'v'?)");
}

BOOST_AUTO_TEST_CASE(duplicate_and_reserved_names) {
    BOOST_TEST(load_error(with({{3, "parameter g_L = 0 mV"}})) ==
               "bad.eq:3:11: 'g_L' is already declared, as a parameter, on line 1");
    BOOST_TEST(load_error(with({}, {"let v = 2*g_L"})) ==
               "bad.eq:8:5: 'v' is already declared, as a state variable, on line 5");
    BOOST_TEST(load_error(with({{3, "parameter exp = 0 mV"}})) ==
               "bad.eq:3:11: 'exp' is the name of a function (e^x); choose another name");
    BOOST_TEST(load_error(with({{3, "parameter t = 0 ms"}})) == "bad.eq:3:11: 't' is the time (ms); choose another name");
    BOOST_TEST(load_error(with({{4, "current I uA/cm^2"}}, {"current J nA"})) ==
               "bad.eq:8:1: a second 'current' declaration; the current is declared on line 4");
}

BOOST_AUTO_TEST_CASE(order_of_lets_and_initial_values) {
    BOOST_TEST(load_error(with({}, {"let a = b + 1", "let b = 2"})) ==
               "bad.eq:8:9: 'b' is defined on line 9, after this use; a let may use only the lets defined before it");
    BOOST_TEST(load_error(with({{5, "state v = w mV"}}, {"state w = 0 mV", "dw/dt = -w/(1 + E_L*0 + t*0)"})) ==
               "bad.eq:5:11: 'w' is a state variable declared after it; the initial value of 'v' may use parameters, "
               "the state variables declared before it, and lets of these");
    BOOST_TEST(load_error(with({{5, "state v = I*1 mV"}})) ==
               "bad.eq:5:11: 'I' is the current; the initial value of 'v' may use parameters, the state variables "
               "declared before it, and lets of these");
    BOOST_TEST(load_error(with({{5, "state v = v0 mV"}}, {"let v0 = v/2"})) ==
               "bad.eq:5:11: 'v0' depends on 'v', the state variable itself; the initial value of 'v' may use "
               "parameters, the state variables declared before it, and lets of these");
    BOOST_TEST(load_error(with({{7, "threshold v > v0"}}, {"let v0 = v/2"})) ==
               "bad.eq:7:15: 'v0' depends on 'v', a state variable; this expression is evaluated once per run, from "
               "parameters only");
    BOOST_TEST(load_error(with({}, {"reset v = I"})) ==
               "bad.eq:8:11: 'I' is the current; a reset cannot use the current, which is not known at the spike");
}

BOOST_AUTO_TEST_CASE(unit_mismatches) {
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*v - E_L)/C_m"}})) ==
               "bad.eq:6:20: unit mismatch: cannot subtract 'I - g_L*v' (uA/cm^2) and 'E_L' (mV)");
    BOOST_TEST(load_error(with({{6, "dv/dt = I - g_L*(v - E_L)"}})) ==
               "bad.eq:6:9: unit mismatch: dv/dt, the unit of 'v' per ms, must be in mV/ms, but 'I - g_L*(v - E_L)' "
               "is in uA/cm^2");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m*exp(v)"}})) ==
               "bad.eq:6:37: the argument of exp must be dimensionless, but 'v' is in mV");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m*v^E_L"}})) ==
               "bad.eq:6:35: an exponent must be dimensionless, but 'E_L' is in mV: an exponent is a number without unit "
               "(or a dimensionless quantity), as in 'x^2'");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + (v > E_L ? E_L : I)"}})) ==
               "bad.eq:6:44: unit mismatch: cannot choose between 'E_L' (mV) and 'I' (uA/cm^2)");
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0 mv"}})).rfind(
                   "bad.eq:3:19: unknown unit 'mv'; units are built from m, g, s, A, mol, K, V, S, F, Ohm, C, Hz", 0) == 0);
    BOOST_TEST(load_error(with({{1, "parameter g_L = 0.3 mS/cm^"}})) ==
               "bad.eq:1:27: expected a whole number after '^' in unit 'mS/cm^'");
    BOOST_TEST(load_error(with({}, {"let g = g_L nS"})) ==
               "bad.eq:8:9: unit mismatch: 'g' is declared in nS but its expression 'g_L' is in mS/cm^2");
    BOOST_TEST(load_error(with({}, {"let g = g_L*C_m nS"})) ==
               "bad.eq:8:9: unit mismatch: 'g' is declared in nS but its expression 'g_L*C_m' is in mS*uF/cm^4");
    // A product no unit of the table can name is written in SI base units.
    BOOST_TEST(load_error(with({}, {"let g = g_L*C_m*C_m*v nS"})) ==
               "bad.eq:8:9: unit mismatch: 'g' is declared in nS but its expression 'g_L*C_m*C_m*v' is in 1e-06 m^-10 "
               "kg^-2 s^8 A^5");
    BOOST_TEST(load_error(with({{5, "state v = g_L mV"}})) ==
               "bad.eq:5:11: unit mismatch: the initial value of 'v' must be in mV, but 'g_L' is in mS/cm^2");
    BOOST_TEST(load_error(with({{7, "threshold v > g_L"}})) ==
               "bad.eq:7:15: unit mismatch: the threshold, the unit of 'v', must be in mV, but 'g_L' is in mS/cm^2");
    BOOST_TEST(load_error(with({}, {"refractory E_L"})) ==
               "bad.eq:8:12: unit mismatch: the refractory period must be in ms, but 'E_L' is in mV");
    BOOST_TEST(load_error(with({}, {"reset v = g_L"})) ==
               "bad.eq:8:11: unit mismatch: the reset value of 'v' must be in mV, but 'g_L' is in mS/cm^2");
    // Powers that would overflow a dimension's power (undefined behaviour before they were bounded).
    BOOST_TEST(load_error(with({{1, "parameter g_L = 0.3 Ohm^1011235840"}})) ==
               "bad.eq:1:25: the power 1011235840 in unit 'Ohm^1011235840' is out of range; allowed: -12 to 12");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 0*v^1e300"}})) ==
               "bad.eq:6:39: 'v' is in mV: its power 1e+300 is out of range for a quantity with a unit; allowed: -12 to 12");
    BOOST_TEST(load_error(with({}, {"let a = ((v^12)^12)^12"})).rfind(
                   "bad.eq:8:21: a unit with a dimension to the power", 0) == 0);
    // Numbers without units adapt: 0.1*v is a number, and so is exp(-v/18).
    TempDir dir("soma-equations");
    std::ofstream(dir.path() / "ok.eq") << with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 0.1*exp(-v/18) - 2"}});
    BOOST_TEST(soma::create_model(registry(), (dir.path() / "ok.eq").string())->state_variables().size() == 1u);
}

// Numbers carry units ("18 mV", "0.1 /mV", "4 /ms"), which are checked: a unit mistake in a rate
// function, invisible while numbers had no unit, is refused with both units named.
BOOST_AUTO_TEST_CASE(a_unit_mistake_in_a_rate_function_is_caught) {
    // A gate's rate in 1/mV instead of 1/ms, where dm/dt must be in 1/ms.
    BOOST_TEST(load_error(with({}, {"state m = 0 1", "dm/dt = 4 /mV*exp(-v/(18 mV))*(1 - m)"})) ==
               "bad.eq:9:9: unit mismatch: dm/dt, the unit of 'm' per ms, must be in 1/ms, but '4 /mV*exp(-v/(18 "
               "mV))*(1 - m)' is in 1/mV");
    // mS for mV in the exponent.
    BOOST_TEST(load_error(with({}, {"let beta_m = 4 /ms*exp(-v/(18 mS)) 1/ms"})) ==
               "bad.eq:8:24: the argument of exp must be dimensionless, but '-v/(18 mS)' is in mV/mS");
    // The same rate declared in 1/ms with a number in 1/s.
    BOOST_TEST(load_error(with({}, {"let beta_m = 4 /s*exp(-v/(18 mV)) 1/ms"})) ==
               "bad.eq:8:14: unit mismatch: 'beta_m' is declared in 1/ms but its expression '4 /s*exp(-v/(18 mV))' is "
               "in 0.001 1/ms");
    // Without units the same mistakes load: the numbers adapt.
    TempDir dir("soma-equations");
    std::ofstream(dir.path() / "ok.eq") << with({}, {"state m = 0 1", "dm/dt = 4*exp(-v/18)*(1 - m)"});
    BOOST_TEST(soma::create_model(registry(), (dir.path() / "ok.eq").string())->state_variables().size() == 2u);
}

// Units of different scale do not mix: 18 mV is 18, whatever the unit of v.
BOOST_AUTO_TEST_CASE(a_number_in_mV_where_v_is_in_V_is_refused) {
    const auto in_volts = [](const std::string& equation, const std::string& threshold = "threshold v > 0.02 V") {
        return with({{3, "parameter E_L = 0 V"}, {5, "state v = E_L V"}, {6, equation}, {7, threshold}});
    };
    BOOST_TEST(load_error(in_volts("dv/dt = 1 V/ms*exp(-v/(18 mV))")) ==
               "bad.eq:6:22: unit mismatch: cannot divide '-v' (V) by '(18 mV)' (mV): units of different scale do not "
               "mix (the quotient would be 1000, not dimensionless)");
    BOOST_TEST(load_error(in_volts("dv/dt = (E_L - v)/(2 ms)", "threshold v > 20 mV")) ==
               "bad.eq:7:15: unit mismatch: the threshold, the unit of 'v', must be in V, but '20 mV' is in mV");
    BOOST_TEST(load_error(in_volts("dv/dt = (E_L - v + 1 mV)/(2 ms)")) ==
               "bad.eq:6:18: unit mismatch: cannot add 'E_L - v' (V) and '1 mV' (mV)");
    TempDir dir("soma-equations");
    std::ofstream(dir.path() / "ok.eq") << in_volts("dv/dt = (E_L - v + 1e-3 V)/(2 ms)*exp(-v/(0.018 V))");
    BOOST_TEST(soma::create_model(registry(), (dir.path() / "ok.eq").string())->state_variables().size() == 1u);
}

// A number with a unit is the number: the same program, the same bits, as without the unit; a factor 1
// (1 /ms*f) is dropped. Thresholds, refractory periods, resets and lets take units too.
BOOST_AUTO_TEST_CASE(a_number_with_a_unit_computes_as_without) {
    TempDir dir("soma-equations");
    const std::vector<std::string> extra_with{"state m = 0.25 1", "let a = 1 /ms*x_over_expm1(2.5 - 0.1 /mV*v) 1/ms",
                                              "let b = 4 /ms*exp(-v/(18 mV))", "dm/dt = a*(1 - m) - b*m",
                                              "refractory 2 ms", "reset v = -5 mV, m = m + 0.1"};
    const std::vector<std::string> extra_without{"state m = 0.25 1", "let a = x_over_expm1(2.5 - 0.1*v) 1/ms",
                                                 "let b = 4*exp(-v/18)", "dm/dt = a*(1 - m) - b*m", "refractory 2",
                                                 "reset v = -5, m = m + 0.1"};
    std::ofstream(dir.path() / "units.eq")
        << with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m - v/(18 mV)*0.5 mV/ms"}, {7, "threshold v > 20 mV cut-off"}},
                extra_with);
    std::ofstream(dir.path() / "numbers.eq")
        << with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m - v/18*0.5"}, {7, "threshold v > 20 cut-off"}}, extra_without);
    const auto a = soma::create_model(registry(), (dir.path() / "units.eq").string());
    const auto b = soma::create_model(registry(), (dir.path() / "numbers.eq").string());
    BOOST_TEST(soma::test::threshold_of(*a) == 20.0);
    const std::size_t n_cells = 100;
    soma::test::ModelArrays arrays_a(*a, n_cells), arrays_b(*b, n_cells);
    soma::StateBatch y(2, n_cells), da(2, n_cells), db(2, n_cells);
    a->initialize(arrays_a.cells(), y.view());
    BOOST_TEST(y.var(1)[0] == 0.25);
    std::mt19937 random(3);
    std::uniform_real_distribution<double> uniform(-100, 100);
    std::vector<double> current(n_cells);
    for (std::size_t c = 0; c < n_cells; ++c) {
        y.var(0)[c] = uniform(random);
        y.var(1)[c] = (uniform(random) + 100) / 200;
        current[c] = uniform(random);
    }
    y.var(0)[0] = 25;  // x_over_expm1(0)
    a->derivatives(0, arrays_a.cells(), y.view(), current, da.view());
    b->derivatives(0, arrays_b.cells(), y.view(), current, db.view());
    BOOST_TEST((std::equal(da.data().begin(), da.data().end(), db.data().begin())));
    // x/(18 mV) is x/18, exactly.
    for (std::size_t c = 0; c < n_cells; ++c) {
        const double v = y.var(0)[c];
        BOOST_TEST(da.var(0)[c] == (current[c] - 0.3 * (v - 0)) / 1 - v / 18 * 0.5);
    }
}

// The messages a first user met: rand() and rand(1) alike; "120mV" suggests "120 mV"; a unit where
// it cannot be says why; a declared name after a number is not a unit.
BOOST_AUTO_TEST_CASE(messages_about_numbers_units_and_calls) {
    const std::string rand_message =
        "unknown function 'rand': a model file has no random numbers; noise is a stimulus, e.g. '--stimulus "
        "white' or '--stimulus ou', which a second --stimulus adds to another; the functions are exp, ";
    for (const std::string call : {"rand()", "rand(1)"}) {
        SOMA_CHECK_CONTAINS(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + " + call}})),
                            "bad.eq:6:35: " + rand_message);
    }
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m*exp()"}})) ==
               "bad.eq:6:33: exp takes 1 argument, not 0");
    // A literal zero divisor is refused when the file is read, not met as a NaN at the first step.
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m/0"}})) ==
               "bad.eq:6:33: division by zero: '(I - g_L*(v - E_L))/C_m/0' divides by 0");
    BOOST_TEST(load_error(with({{3, "parameter E_L = 120mV"}})) ==
               "bad.eq:3:17: '120mV' is not a number: a number's unit follows it after a blank, as in '120 mV'");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m*exp(-v/2.5mS/cm^2)"}})) ==
               "bad.eq:6:40: '2.5mS' is not a number: a number's unit follows it after a blank, as in '2.5 mS/cm^2'");
    BOOST_TEST(load_error(with({{7, "threshold v > E_L mV"}})) ==
               "bad.eq:7:19: unexpected unit 'mV': only a number in an expression can be written with a unit (as in "
               "'20 mV'); a name has the unit it is declared with, and an expression the unit of its terms");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m mV/ms"}})) ==
               "bad.eq:6:33: unexpected unit 'mV/ms': only a number in an expression can be written with a unit (as "
               "in '20 mV'); a name has the unit it is declared with, and an expression the unit of its terms");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m*exp(-v/(18*mV))"}})) ==
               "bad.eq:6:44: 'mV' is a unit, not a name of this model: a unit can only follow a number, after a blank "
               "(as in '18 mV' or '0.1 /mV'); write '18 mV' for 18*mV");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m*(1 - 4/ms*v)"}})) ==
               "bad.eq:6:40: 'ms' is a unit, not a name of this model: a unit can only follow a number, after a blank "
               "(as in '18 mV' or '0.1 /mV'); write '4 /ms' for 4/ms");
    // A name the file declares is never a unit: the gate m is not the metre.
    BOOST_TEST(load_error(with({}, {"state m = 0 1", "dm/dt = 2 m"})) ==
               "bad.eq:9:11: 'm' after the number 2 is a state variable, which is never read as a unit; there is no "
               "implicit multiplication: write '2*m'");
    BOOST_TEST(load_error(with({}, {"dm/dt = 2m", "state m = 0 1"})) ==
               "bad.eq:8:9: '2m' is not a number: 'm' is a state variable, and there is no implicit multiplication: "
               "write '2*m'");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m*exp(-v/18 mv)"}})).rfind(
                   "bad.eq:6:43: unknown unit 'mv'; units are built from m, g, s, A", 0) == 0);
    BOOST_TEST(load_error(with({}, {"preset fast g_L = 1 mS/cm^2"})) ==
               "bad.eq:8:21: unexpected unit 'mS/cm^2': a preset's values are numbers in the units their parameters "
               "are declared with");
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0 mV [-200 mV, 200 mV]"}})) ==
               "bad.eq:3:28: unexpected unit 'mV': the bounds of a range are numbers in the parameter's unit, which is "
               "written before the range");
    BOOST_TEST(load_error(with({}, {"parameter r = 2 /ms"})) ==
               "bad.eq:8:17: a declared unit is written '1/ms', not '/ms' (the reciprocal form is for numbers in "
               "expressions, '4 /ms')");
    // The powers of a number's unit are bounded as a declaration's.
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 0*v/(1 cm^13)"}})) ==
               "bad.eq:6:45: the power 13 in unit 'cm^13' is out of range; allowed: -12 to 12");
    BOOST_TEST(load_error(with({}, {"let a = ((2 mV^12)^12)^12"})).rfind(
                   "bad.eq:8:24: a unit with a dimension to the power 6912", 0) == 0);
}

// On state and let lines the unit at the end of the line is the line's own unit, as before numbers had
// units: `state v = -65 mV` is v in mV, `let g = g_L*2 mS/cm^2` is g in mS/cm^2 (2 a number without unit).
BOOST_AUTO_TEST_CASE(the_unit_at_the_end_of_a_state_or_let_line_is_its_own) {
    TempDir dir("soma-equations");
    std::ofstream(dir.path() / "ok.eq") << with({{5, "state v = -65 mV \"membrane potential\""},
                                                 {6, "dv/dt = (I - g*(v - E_L))/C_m"}},
                                                {"let g = g_L*2 mS/cm^2", "let r = 4 /ms"});
    const auto model = soma::create_model(registry(), (dir.path() / "ok.eq").string());
    BOOST_TEST(model->state_variables()[0].unit == "mV");
    soma::test::ModelArrays arrays(*model, 1);
    soma::StateBatch y(1, 1);
    model->initialize(arrays.cells(), y.view());
    BOOST_TEST(y.var(0)[0] == -65.0);
    // With the line's unit after it, the number keeps its own.
    BOOST_TEST(load_error(with({}, {"let g = g_L*2 mS/cm^2 mS/cm^2"})) ==
               "bad.eq:8:9: unit mismatch: 'g' is declared in mS/cm^2 but its expression 'g_L*2 mS/cm^2' is in "
               "mS^2/cm^4");
}

namespace {

/// dv/dt of `model` (one state variable) for one cell at v, with no current.
double derivative_at(const soma::Model& model, double v) {
    soma::test::ModelArrays arrays(model, 1);
    soma::StateBatch y(1, 1), dydt(1, 1);
    model.initialize(arrays.cells(), y.view());
    y.var(0)[0] = v;
    const std::vector<double> current{0};
    model.derivatives(0, arrays.cells(), y.view(), current, dydt.view());
    return dydt.var(0)[0];
}

std::shared_ptr<soma::Model> load_text(const TempDir& dir, const std::string& text) {
    std::ofstream(dir.path() / "ok.eq") << text;
    return soma::create_model(registry(), (dir.path() / "ok.eq").string());
}

}  // namespace

// An exponent is a dimensionless number and takes no unit (an earlier finding: "v^2 /ms" was read as
// v^(2 /ms)): "v^2 /ms" is (v^2)/ms, which divides by a name ms; a unit on an exponent is refused.
BOOST_AUTO_TEST_CASE(an_exponent_takes_no_unit) {
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 0*v^2 /ms"}})) ==
               "bad.eq:6:42: 'ms' is a unit, not a name of this model: a unit can only follow a number, after a blank "
               "(as in '18 mV' or '0.1 /mV'); to divide '0*v^2' by the unit, multiply it by a number with the "
               "reciprocal unit: '0*v^2*(1 /ms)'");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + v^2 mV"}})) ==
               "bad.eq:6:39: unexpected unit 'mV' after an exponent: an exponent is a dimensionless number and takes "
               "no unit (a power has its base's unit to that power, v^2 of v in mV is in mV^2); write the exponent "
               "alone, as in 'v^2'");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 0*v^(2 mV)"}})) ==
               "bad.eq:6:39: an exponent must be dimensionless, but '(2 mV)' is in mV: an exponent is a number without "
               "unit (or a dimensionless quantity), as in 'x^2'");
    // The exponent ends at its number; the operators after it apply to the power.
    TempDir dir("soma-equations");
    const auto model = load_text(dir, with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 2 mV/ms*2^2/v^2 /tau*(1 mV^2)"}},
                                           {"parameter tau = 2 1"}));
    const double v = 3;
    BOOST_TEST(derivative_at(*model, v) == (0 - 0.3 * (v - 0)) / 1 + 2.0 * 4 / (v * v) / 2 * 1);
    // On a let line, a unit after the last exponent is the line's own.
    const auto squared = load_text(dir, with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + w/(1 mV^2)*1 mV/ms"}},
                                             {"let w = v^2 mV^2"}));
    BOOST_TEST(derivative_at(*squared, v) == (0 - 0.3 * (v - 0)) / 1 + v * v / 1 * 1);
}

// A number's unit may have blanks around its '/' and '*' ("2 mV / ms" failed): it is read as without
// them, and a name the file declares ends it, so dividing by a parameter still divides.
BOOST_AUTO_TEST_CASE(a_number_s_unit_may_have_blanks_around_its_operators) {
    TempDir dir("soma-equations");
    const auto model = load_text(
        dir, with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 2 mV / ms - 0.5 mV * 4 / ms + (v - E_L) / tau + 1 mV / C"}},
                  {"parameter tau = 2 ms", "parameter C = 4 ms"}));
    const double v = 10;
    BOOST_TEST(derivative_at(*model, v) == ((((0 - 0.3 * (v - 0)) / 1 + 2) - 0.5 * 4) + (v - 0) / 2) + 1 / 4.0);
    // The unit as written, without its blanks, in the line's unit and in messages.
    const auto rate = load_text(dir, with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + r*(v - E_L)"}}, {"let r = 4 / ms"}));
    BOOST_TEST(derivative_at(*rate, v) == (0 - 0.3 * (v - 0)) / 1 + 4 * (v - 0));
    BOOST_TEST(load_error(with({}, {"let w = 2 mV / ms 1/ms"})) ==
               "bad.eq:8:9: unit mismatch: 'w' is declared in 1/ms but its expression '2 mV / ms' is in mV/ms");
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 0*v/(1 cm / s^13)"}})) ==
               "bad.eq:6:49: the power 13 in unit 'cm/s^13' is out of range; allowed: -12 to 12");
    // A name that is no unit after '/' is a division, and one that is unknown is said to be.
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 2 mV / tua"}}, {"parameter tau = 2 ms"}))
                   .rfind("bad.eq:6:42: unknown symbol 'tua'", 0) == 0u);
    // A declared unit is written without blanks.
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0 mV / ms"}})) ==
               "bad.eq:3:22: the unit of 'E_L' is written without blanks: 'mV/ms', not 'mV / ms'");
}

// sqrt's unit messages named SI base units of a partly halved unit (m^4 kg^2 s^-6 A^-3); they name the
// argument's unit as the other messages do.
BOOST_AUTO_TEST_CASE(sqrt_messages_name_the_argument_s_unit) {
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 0*sqrt(v*g_L)"}})) ==
               "bad.eq:6:42: unit mismatch: sqrt of 'v*g_L', which is in uA/cm^2: that is not the square of a unit "
               "(the powers of its dimensions are not all even); take the sqrt of a dimensionless quantity, e.g. "
               "sqrt(x/(1 uA/cm^2)) for x in uA/cm^2");
    // A unit that no single unit of the table names, as a product.
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(v - E_L))/C_m + 0*sqrt(v*v*v*I)"}})) ==
               "bad.eq:6:42: unit mismatch: sqrt of 'v*v*v*I', which is in mV^3*uA/cm^2: that is not the square of a "
               "unit (the powers of its dimensions are not all even); take the sqrt of a dimensionless quantity, e.g. "
               "sqrt(x/(1 mV^3*uA/cm^2)) for x in mV^3*uA/cm^2");
}

// A flat chain of one operator is one level of the tree, however long (a sum of 260 terms was refused
// as nested too deeply); nesting is still bounded (deeply_nested_expressions_are_refused).
BOOST_AUTO_TEST_CASE(long_chains_of_one_operator_are_one_level) {
    std::string sum = "v*1";
    double expected_sum = 0;
    for (int k = 1; k <= 5000; ++k) {
        if (k > 1) sum += fmt::format(" {} v*{}", k % 3 == 0 ? '-' : '+', k);
        expected_sum = k == 1 ? 1 : (k % 3 == 0 ? expected_sum - k : expected_sum + k);
    }
    std::string product = "g_L";
    for (int k = 0; k < 2000; ++k) product += k % 2 == 0 ? "*C_m" : "/C_m";
    TempDir dir("soma-equations");
    const auto model = load_text(dir, with({{6, "dv/dt = (I - " + product + "*(" + sum + "))/C_m"}}));
    // Each term is v*k, so the sum is v times the sum of the signed k (exact in doubles, at v = 1).
    BOOST_TEST(derivative_at(*model, 1) == (0 - 0.3 * expected_sum) / 1);
    // Unit errors in a long chain name the part before the operator at fault.
    std::string names = "v";
    for (int k = 0; k < 300; ++k) names += " + v";
    BOOST_TEST(load_error(with({{6, "dv/dt = (I - g_L*(" + names + " + I - E_L))/C_m"}})) ==
               "bad.eq:6:1221: unit mismatch: cannot add 'v + v + v + v + v + v + v + v + v + v + v + v...' (mV) and "
               "'I' (uA/cm^2)");
}

// A quoted text where a unit is expected: the description written without the unit before it, or the
// unit in quotes.
BOOST_AUTO_TEST_CASE(a_description_where_the_unit_is_expected) {
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0 \"resting potential\""}})) ==
               "bad.eq:3:19: expected the unit of 'E_L' but found the description \"resting potential\": the unit "
               "comes before the description: write 'parameter E_L = 0 UNIT \"resting potential\"' with UNIT e.g. "
               "mV, uA/cm^2, or 1 if dimensionless");
    BOOST_TEST(load_error(with({{5, "state v = E_L \"membrane potential\""}})) ==
               "bad.eq:5:15: expected the unit of 'v' but found the description \"membrane potential\": the unit "
               "comes before the description: write 'state v = E_L UNIT \"membrane potential\"' with UNIT e.g. mV, "
               "uA/cm^2, or 1 if dimensionless");
    BOOST_TEST(load_error(with({{4, "current I \"injected current\""}})) ==
               "bad.eq:4:11: expected the unit of 'I' but found the description \"injected current\": the unit comes "
               "before the description: write 'current I UNIT \"injected current\"' with UNIT e.g. mV, uA/cm^2, or 1 "
               "if dimensionless");
    BOOST_TEST(load_error(with({{3, "parameter E_L = 0 \"mV\""}})) ==
               "bad.eq:3:19: expected the unit of 'E_L' but found the quoted text \"mV\": a unit is written without "
               "quotes (write mV); quotes enclose a description");
    BOOST_TEST(load_error(with({}, {"let x = 2*E_L \"twice the rest\""})) ==
               "bad.eq:8:15: unexpected description \"twice the rest\": a let has none (parameters, state variables, "
               "the current and requirements have one); write it as a comment after '#'");
}

// The recorders name spike times "spikes" (--record spikes) and cell numbers "cell" (CSV): a parameter,
// state variable or current may not have these names, which could not be told apart from them.
BOOST_AUTO_TEST_CASE(the_recorders_names_are_refused) {
    BOOST_TEST(load_error(with({}, {"state spikes = 0 1", "dspikes/dt = 0"})) ==
               "bad.eq:8:7: 'spikes' cannot name a state variable: it is the name the recorders use for spike times "
               "('--record spikes') and for the spike counts of the per-cell summaries, which it could not be told "
               "apart from; choose another name, e.g. 'n_spikes'");
    BOOST_TEST(load_error(with({{3, "parameter cell = 0 mV"}})) ==
               "bad.eq:3:11: 'cell' cannot name a parameter: it is the name of the recorders' column of cell numbers "
               "(the 'cell' column of the CSV files), which it could not be told apart from; choose another name, "
               "e.g. 'cell_x'");
    BOOST_TEST(load_error(with({{4, "current spikes uA/cm^2"}})).rfind("bad.eq:4:9: 'spikes' cannot name the current: ",
                                                                        0) == 0u);
    BOOST_TEST(load_error(with({}, {"state cell = 0 1", "dcell/dt = 0"})).rfind(
                   "bad.eq:8:7: 'cell' cannot name a state variable: ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(values_ranges_and_files) {
    BOOST_TEST(load_error(with({{1, "parameter g_L = -1 mS/cm^2 [0, inf)"}})) ==
               "bad.eq:1:17: the default value -1 of parameter 'g_L' is outside its range [0, inf)");
    BOOST_TEST(load_error(with({{1, "parameter g_L = 1 mS/cm^2 [2, 1]"}})) == "bad.eq:1:27: the range [2, 1] is empty");
    BOOST_TEST(load_error(with({}, {"preset fast \"faster\" g_L = 1, tau = 2"})) ==
               "bad.eq:8:31: a preset sets parameters; unknown parameter 'tau'. Known: g_L, C_m, E_L.");
    const std::string missing = (fs::temp_directory_path() / "soma-no-such-model.eq").string();
    BOOST_TEST(soma::test::message_of<soma::ModelFileError>([&] { soma::create_model(registry(), missing); }) ==
               missing + ": cannot open model file: no such file");
    BOOST_TEST(load_error("\n\n") ==
               "bad.eq: the model declares no state variable; the first 'state' is the membrane potential, e.g. "
               "'state v = V_init mV \"membrane potential\"'");
}

BOOST_AUTO_TEST_SUITE_END()

// ------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(through_the_soma_program)

struct Output {
    int code = -1;
    std::string out, err;
};

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Output run_soma(const fs::path& cwd, const fs::path& logs, const std::vector<std::string>& args) {
    const fs::path out = logs / "stdout.txt", err = logs / "stderr.txt";
    bp::child child(bp::exe = SOMA_EXECUTABLE, bp::args = args, bp::start_dir = cwd.string(), bp::std_in < bp::null,
                    bp::std_out > boost::filesystem::path(out.string()),
                    bp::std_err > boost::filesystem::path(err.string()));
    child.wait();
    return {child.exit_code(), read_text(out), read_text(err)};
}

std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> names;
    if (!fs::exists(dir)) return names;
    for (const auto& e : fs::recursive_directory_iterator(dir)) names.push_back(fs::relative(e.path(), dir).string());
    std::sort(names.begin(), names.end());
    return names;
}

BOOST_AUTO_TEST_CASE(soma_runs_and_describes_a_model_file) {
    TempDir cwd("soma-equations-cwd"), logs("soma-equations-logs");
    const auto r = run_soma(cwd.path(), logs.path(),
                            {"run", "--model", (models / "hh.eq").string(), "--recorder", "csv", "--t-stop", "30"});
    BOOST_TEST_REQUIRE(r.code == 0, r.err);
    // Named after the file, so that its outputs differ from the compiled hh's ("hh-step").
    SOMA_CHECK_CONTAINS(r.out, "hh.eq-step: " + (models / "hh.eq").string() + " with step stimulus and euler");
    SOMA_CHECK_CONTAINS(r.out, "1 spike(s), first at t = ");
    BOOST_TEST(fs::exists(cwd.path() / "soma-output" / "hh.eq-step.csv"));
    // The same run as the compiled plug-in, to the last digit printed.
    const auto compiled = run_soma(cwd.path(), logs.path(), {"run", "--recorder", "none", "--t-stop", "30"});
    const auto spike_line = [](const std::string& out) {
        const auto at = out.find("spike(s)");
        return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
    };
    BOOST_TEST(spike_line(compiled.out) == spike_line(r.out));

    const auto d = run_soma(cwd.path(), logs.path(), {"describe", (models / "adex.eq").string()});
    BOOST_TEST_REQUIRE(d.code == 0, d.err);
    SOMA_CHECK_CONTAINS(d.out, "(model file, read by the 'equations' plug-in, version ");
    SOMA_CHECK_CONTAINS(d.out, "  Delta_T        mV                        2  (0, inf)");
    SOMA_CHECK_CONTAINS(d.out, "  adaptation           spike-frequency adaptation");
    SOMA_CHECK_CONTAINS(d.out, "  w          pA               adaptation current");
}

BOOST_AUTO_TEST_CASE(a_scenario_names_its_model_file_relative_to_itself) {
    TempDir dir("soma-equations-scenario"), cwd("soma-equations-cwd"), logs("soma-equations-logs");
    fs::create_directory(dir.path() / "models");
    fs::copy_file(models / "lif.eq", dir.path() / "models" / "my_lif.eq");
    std::ofstream(dir.path() / "run.ini") << "model = models/my_lif.eq\nstimulus = dc\nt_stop = 20\ndt = 0.1\n"
                                              "recorder = csv\n[stimulus]\namplitude = 1.5\n[model]\nt_ref = 1\n";
    const auto r = run_soma(cwd.path(), logs.path(), {"run", (dir.path() / "run.ini").string()});
    BOOST_TEST_REQUIRE(r.code == 0, r.err);
    SOMA_CHECK_CONTAINS(r.out, "spike(s)");
    BOOST_TEST(fs::exists(cwd.path() / "soma-output" / "run.csv"));
    const auto csv = read_text(cwd.path() / "soma-output" / "run.csv");
    SOMA_CHECK_CONTAINS(csv, "model.t_ref = 1 ms");
}

BOOST_AUTO_TEST_CASE(a_file_with_an_error_exits_1_with_the_message_and_writes_nothing) {
    TempDir cwd("soma-equations-cwd"), logs("soma-equations-logs");
    std::ofstream(cwd.path() / "bad.eq") << with({{6, "dv/dt = (I - g_l*(v - E_L))/C_m"}});
    const auto r = run_soma(cwd.path(), logs.path(), {"run", "--model", "bad.eq"});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out.empty(), r.out);
    BOOST_TEST(r.err == "soma: error: bad.eq:6:14: unknown symbol 'g_l' (did you mean 'g_L'?)\n");
    BOOST_TEST(entries(cwd.path()) == std::vector<std::string>{"bad.eq"}, boost::test_tools::per_element());
    const auto d = run_soma(cwd.path(), logs.path(), {"describe", "bad.eq"});
    BOOST_TEST(d.code == 1);
    BOOST_TEST(d.err == "soma: error: bad.eq:6:14: unknown symbol 'g_l' (did you mean 'g_L'?)\n");
    const auto e = run_soma(cwd.path(), logs.path(), {"run", "--model", "equations"});
    BOOST_TEST(e.code == 1);
    SOMA_CHECK_CONTAINS(e.err, "reads its model from a file");
}

BOOST_AUTO_TEST_SUITE_END()
