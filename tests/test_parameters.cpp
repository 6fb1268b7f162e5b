/// @file test_parameters.cpp
/// Parameter validation of the plug-ins (through Component::configure) and of the run settings
/// (resolve_grid / Simulation): every refusal names the parameter and the value, and changes nothing.

#define BOOST_TEST_MODULE soma_test_parameters
#include "soma_test_support.hpp"

#include "soma/readable_number.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>

#include <cmath>
#include <limits>

namespace {

using soma::ParameterError;
using soma::PluginKind;
using soma::test::message_of;
using Text = std::map<std::string, std::string>;

std::shared_ptr<soma::Component> create(PluginKind kind, const std::string& name) {
    static const soma::PluginRegistry registry;  // outlives every object and every exception
    return registry.create(kind, name);
}

double value(const soma::Component& c, const std::string& name) { return c.values()[name]; }

}  // namespace

BOOST_AUTO_TEST_SUITE(component_parameters)

BOOST_AUTO_TEST_CASE(unknown_name_suggests_closest) {
    const auto hh = create(PluginKind::model, "hh");
    const auto message = message_of<ParameterError>([&] { hh->configure(Text{{"g_na", "100"}}); });
    SOMA_CHECK_CONTAINS(message, "unknown parameter 'g_na'");
    SOMA_CHECK_CONTAINS(message, "did you mean 'g_Na'?");
    SOMA_CHECK_CONTAINS(message, "Known: C_m, g_Na, g_K, g_L, E_Na, E_K, E_L, V_rest, V_init, V_spike.");
    BOOST_TEST(value(*hh, "g_Na") == 120.0);
}

BOOST_AUTO_TEST_CASE(an_abbreviation_suggests_the_one_name_it_begins) {
    const std::vector<std::string> algorithms{"pso_gen", "gaco"};
    BOOST_TEST(soma::closest_name("pso", algorithms) == "pso_gen");
    BOOST_TEST(soma::closest_name("PSO", algorithms) == "pso_gen");
    BOOST_TEST(soma::closest_name("p", algorithms) == "");  // too short to tell
    const std::vector<std::string> two{"interp_linear", "interp_cubic"};
    BOOST_TEST(soma::closest_name("interp", two) == "");  // ambiguous
    BOOST_TEST(soma::closest_name("cmaes", algorithms) == "");
}

BOOST_AUTO_TEST_CASE(out_of_range_names_parameter_value_and_range) {
    const auto hh = create(PluginKind::model, "hh");
    for (const std::string text : {"0", "-1"}) {
        const auto message = message_of<ParameterError>([&] { hh->configure(Text{{"C_m", text}}); });
        SOMA_CHECK_CONTAINS(message, "parameter 'C_m' = " + text + " uF/cm^2 is out of range");
        SOMA_CHECK_CONTAINS(message, "allowed: (0, inf)");
        BOOST_TEST(value(*hh, "C_m") == 1.0);
    }
    // A closed range is printed with brackets.
    const auto message = message_of<ParameterError>([&] { hh->configure(Text{{"E_Na", "250"}}); });
    SOMA_CHECK_CONTAINS(message, "parameter 'E_Na' = 250 mV");
    SOMA_CHECK_CONTAINS(message, "[-200, 200]");
    // Bounds for people: 2 pi in 7 digits, not 17; whole and short ones as they are.
    BOOST_TEST(soma::Range::closed(-2 * M_PI, 2 * M_PI).to_string() == "[-6.283185, 6.283185]");
    BOOST_TEST(soma::Range::closed(1, 1e9).to_string() == "[1, 1000000000]");
    BOOST_TEST(soma::Range::closed(0.001, 12.5).to_string() == "[0.001, 12.5]");
}

const std::vector<std::string> not_numbers{"abc", "7mV", "", " ", "1,5", "0x10", "--1"};
const std::vector<std::string> not_finite{"nan", "NaN", "inf", "-inf", "infinity", "1e999", "-1e999"};

BOOST_DATA_TEST_CASE(text_that_is_not_a_number_is_refused, boost::unit_test::data::make(not_numbers), text) {
    const auto hh = create(PluginKind::model, "hh");
    const auto message = message_of<ParameterError>([&] { hh->configure(Text{{"g_K", text}}); });
    SOMA_CHECK_CONTAINS(message, "parameter 'g_K': '" + text + "' is not a number");
    BOOST_TEST(value(*hh, "g_K") == 36.0);
}

BOOST_DATA_TEST_CASE(text_that_is_not_finite_is_refused, boost::unit_test::data::make(not_finite), text) {
    const auto hh = create(PluginKind::model, "hh");
    const auto message = message_of<ParameterError>([&] { hh->configure(Text{{"g_K", text}}); });
    SOMA_CHECK_CONTAINS(message, "parameter 'g_K': '" + text + "' is not a finite number");
    BOOST_TEST(value(*hh, "g_K") == 36.0);
}

// Messages print numbers as people write them (worked out by hand).
BOOST_AUTO_TEST_CASE(numbers_in_messages_are_readable) {
    BOOST_TEST(soma::readable(0.1) == "0.1");
    BOOST_TEST(soma::readable(2e6) == "2000000");
    BOOST_TEST(soma::readable(100) == "100");
    BOOST_TEST(soma::readable(1e40) == "1e40");
    BOOST_TEST(soma::readable(4.68e-9) == "4.68e-9");
    BOOST_TEST(soma::readable(-2.5e-10) == "-2.5e-10");
    BOOST_TEST(soma::readable(1e-300) == "1e-300");
    BOOST_TEST(soma::readable(0.0004889525583919354) == "0.0004889526");
    BOOST_TEST(soma::readable(20.009999999999998) == "20.01");
    BOOST_TEST(soma::readable(2 * M_PI) == "6.283185");
    BOOST_TEST(soma::readable(-std::numeric_limits<double>::infinity()) == "-inf");
}

BOOST_AUTO_TEST_CASE(numbers_as_users_type_them_are_accepted) {
    const auto hh = create(PluginKind::model, "hh");
    hh->configure(Text{{"g_Na", " +110.5 "}, {"g_K", "3.6e1"}, {"E_K", "-12.5"}});
    BOOST_TEST(value(*hh, "g_Na") == 110.5);
    BOOST_TEST(value(*hh, "g_K") == 36.0);
    BOOST_TEST(value(*hh, "E_K") == -12.5);
}

// Non-finite numbers given as doubles (not text) are refused by the range check.
BOOST_AUTO_TEST_CASE(non_finite_double_is_refused) {
    const auto hh = create(PluginKind::model, "hh");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto message = message_of<ParameterError>([&] { hh->configure(std::map<std::string, double>{{"g_L", nan}}); });
    SOMA_CHECK_CONTAINS(message, "parameter 'g_L' = nan");
    BOOST_TEST(value(*hh, "g_L") == 0.3);
}

// One valid and one invalid value: neither is applied.
BOOST_AUTO_TEST_CASE(configure_is_all_or_nothing) {
    const auto hh = create(PluginKind::model, "hh");
    // Invalid by range.
    message_of<ParameterError>([&] { hh->configure(Text{{"C_m", "2"}, {"g_Na", "-5"}}); });
    BOOST_TEST(value(*hh, "C_m") == 1.0);
    BOOST_TEST(value(*hh, "g_Na") == 120.0);
    // Invalid as text (the valid one sorts first in the map).
    message_of<ParameterError>([&] { hh->configure(Text{{"C_m", "2"}, {"g_K", "abc"}}); });
    BOOST_TEST(value(*hh, "C_m") == 1.0);
    BOOST_TEST(value(*hh, "g_K") == 36.0);
    // Unknown name.
    message_of<ParameterError>([&] { hh->configure(Text{{"C_m", "2"}, {"nosuch", "1"}}); });
    BOOST_TEST(value(*hh, "C_m") == 1.0);
    // Constraint between parameters (step: both valid alone, onset after offset together).
    const auto step = create(PluginKind::stimulus, "step");
    message_of<ParameterError>([&] { step->configure(Text{{"amplitude", "3"}, {"onset", "90"}, {"offset", "80"}}); });
    BOOST_TEST(value(*step, "amplitude") == 7.0);
    BOOST_TEST(value(*step, "onset") == 20.0);
    BOOST_TEST(value(*step, "offset") == 70.0);
    // And a valid map is applied as a whole.
    hh->configure(Text{{"C_m", "2"}, {"g_Na", "100"}});
    BOOST_TEST(value(*hh, "C_m") == 2.0);
    BOOST_TEST(value(*hh, "g_Na") == 100.0);
}

BOOST_AUTO_TEST_CASE(step_onset_after_offset_is_refused) {
    const auto step = create(PluginKind::stimulus, "step");
    auto message = message_of<ParameterError>([&] { step->configure(Text{{"onset", "80"}}); });
    SOMA_CHECK_CONTAINS(message, "offset = 70 ms must be after onset = 80 ms");
    message = message_of<ParameterError>([&] { step->configure(Text{{"onset", "70"}}); });  // equal
    SOMA_CHECK_CONTAINS(message, "offset = 70 ms must be after onset = 70 ms");
    BOOST_TEST(value(*step, "onset") == 20.0);
}

BOOST_AUTO_TEST_CASE(ramp_onset_after_offset_is_refused) {
    const auto ramp = create(PluginKind::stimulus, "ramp");
    const auto message = message_of<ParameterError>([&] { ramp->configure(Text{{"offset", "25"}}); });
    SOMA_CHECK_CONTAINS(message, "offset = 25 ms must be after onset = 30 ms");
    BOOST_TEST(value(*ramp, "offset") == 170.0);
}

BOOST_AUTO_TEST_CASE(lif_reset_not_below_threshold_is_refused) {
    const auto lif = create(PluginKind::model, "lif");
    for (const std::string reset : {"1", "2"}) {
        const auto message = message_of<ParameterError>([&] { lif->configure(Text{{"V_reset", reset}}); });
        SOMA_CHECK_CONTAINS(message, "parameter 'V_reset' = " + reset + " mV must be below 'V_th' = 1 mV");
    }
    const auto message = message_of<ParameterError>([&] { lif->configure(Text{{"V_th", "-0.5"}}); });
    SOMA_CHECK_CONTAINS(message, "'V_reset' = 0 mV must be below 'V_th' = -0.5 mV");
    BOOST_TEST(value(*lif, "V_reset") == 0.0);
    BOOST_TEST(value(*lif, "V_th") == 1.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(run_settings)

using soma::RunSettings;
using soma::resolve_grid;

BOOST_AUTO_TEST_CASE(record_interval_must_be_a_multiple_of_dt) {
    auto message = message_of<ParameterError>([] { (void)resolve_grid({100, 0.01, 0.015, 1}); });
    SOMA_CHECK_CONTAINS(message, "record_interval = 0.015 ms is not a whole multiple of dt = 0.01 ms");
    message = message_of<ParameterError>([] { (void)resolve_grid({100, 0.01, 0.005, 1}); });  // less than one step
    SOMA_CHECK_CONTAINS(message, "record_interval = 0.005 ms");
    message = message_of<ParameterError>([] { (void)resolve_grid({100, 0.01, -0.01, 1}); });
    SOMA_CHECK_CONTAINS(message, "record_interval = -0.01 ms");
    // Multiples are fine, up to rounding (0.03 / 0.01 = 2.9999999999999996).
    BOOST_TEST(resolve_grid({100, 0.01, 0.03, 1}).record_every == 3u);
    BOOST_TEST(resolve_grid({100, 0.01, 0.0, 1}).record_every == 1u);
}

BOOST_AUTO_TEST_CASE(dt_must_be_positive_and_finite) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    for (const auto& [dt, shown] : std::vector<std::pair<double, std::string>>{{0.0, "0"}, {-1.0, "-1"}, {nan, "nan"}, {inf, "inf"}}) {
        const auto message = message_of<ParameterError>([&] { (void)resolve_grid({100, dt, 0, 1}); });
        SOMA_CHECK_CONTAINS(message, "dt = " + shown + " ms is not allowed");
    }
}

BOOST_AUTO_TEST_CASE(t_stop_must_be_positive_and_at_least_dt) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const auto& [t_stop, shown] : std::vector<std::pair<double, std::string>>{{0.0, "0"}, {-5.0, "-5"}, {nan, "nan"}}) {
        const auto message = message_of<ParameterError>([&] { (void)resolve_grid({t_stop, 0.01, 0, 1}); });
        SOMA_CHECK_CONTAINS(message, "t_stop = " + shown + " ms is not allowed");
    }
    const auto message = message_of<ParameterError>([] { (void)resolve_grid({0.005, 0.01, 0, 1}); });
    SOMA_CHECK_CONTAINS(message, "t_stop = 0.005 ms is shorter than one step dt = 0.01 ms");
    // A t_stop off the grid is rounded up, with a note.
    const auto grid = resolve_grid({1.005, 0.01, 0, 1});
    BOOST_TEST(grid.n_steps == 101u);
    SOMA_CHECK_CONTAINS(grid.note, "t_stop = 1.005 ms is not a whole multiple of dt = 0.01 ms");
    BOOST_TEST(resolve_grid({100, 0.01, 0, 1}).note.empty());
    BOOST_TEST(resolve_grid({100, 0.01, 0, 1}).n_steps == 10000u);
}

// Simulation (built by build_simulation) refuses the same settings before any recorder is started.
BOOST_AUTO_TEST_CASE(simulation_refuses_bad_settings_before_recording) {
    for (const RunSettings settings : {RunSettings{100, 0, 0, 1}, RunSettings{0, 0.01, 0, 1},
                                       RunSettings{100, 0.01, 0.015, 1},
                                       RunSettings{100, std::numeric_limits<double>::quiet_NaN(), 0, 1}}) {
        soma::test::RunSpec spec{"hh", "step", "euler", {}, {}, settings};
        auto recorder = std::make_shared<soma::test::CapturingRecorder>();
        message_of<ParameterError>([&] { soma::build_simulation(soma::test::registry(), spec.spec(), {recorder}).run(); });
        BOOST_TEST(recorder->begun == 0);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// Messages quote files and options; they reach terminals, JSON and SVG as text. Control bytes and bytes
// that form no UTF-8 character are escaped; well-formed characters (µA/cm², a U+1F600) are kept.
BOOST_AUTO_TEST_SUITE(messages)

BOOST_AUTO_TEST_CASE(error_messages_are_printable_utf8) {
    BOOST_TEST(soma::printable_message("a\x1b[31mb\n\tc") == "a\\x1b[31mb\n\tc");
    BOOST_TEST(soma::printable_message("\xc2\xb5" "A/cm\xc2\xb2") == "\xc2\xb5" "A/cm\xc2\xb2");
    BOOST_TEST(soma::printable_message("\xf0\x9f\x98\x80") == "\xf0\x9f\x98\x80");
    BOOST_TEST(soma::printable_message("caf\xe9!") == "caf\\xe9!");            // Latin-1, not UTF-8
    BOOST_TEST(soma::printable_message("\xc0\x80") == "\\xc0\\x80");           // overlong NUL
    BOOST_TEST(soma::printable_message("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
    BOOST_TEST(soma::printable_message("\xe2\x82") == "\\xe2\\x82");           // cut short at the end
    BOOST_TEST(soma::printable_message("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
    BOOST_TEST(std::string(soma::ParameterError("x\xff").what()) == "x\\xff");
}

BOOST_AUTO_TEST_SUITE_END()
