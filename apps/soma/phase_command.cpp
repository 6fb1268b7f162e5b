/// @file phase_command.cpp
/// `soma phase [SCENARIO.ini] [options]`: its own options (the current, the ranges, the grids) parsed
/// here with Boost.Program_options; the run options it shares with `soma run` (model, stimulus,
/// integrator, --set, t-stop, dt, seed, output, name, title) are the very option definitions of
/// `soma run`, and their tokens are handed on to parse_run_arguments (scenario.hpp).

#include "report.hpp"
#include "phase_command.hpp"
#include "session.hpp"
#include "summary_json.hpp"

#include "scenario.hpp"

#include "soma/error.hpp"
#include "soma/experiments/phase_plane.hpp"
#include "soma/model_from_file.hpp"
#include "soma/parameter.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>
#include <sstream>

namespace po = boost::program_options;

namespace soma::app {
namespace {

/// The options of `soma run` that a phase plane takes; the others (cells, recorders, recording,
/// threads) do not apply to one cell drawn in its phase plane.
const std::set<std::string> shared_options{"model", "preset", "stimulus", "integrator", "set",  "t-stop",
                                           "dt",    "seed",   "output",   "name",       "title", "force"};

po::options_description phase_only_options() {
    po::options_description options("soma phase options", 100, 40);
    options.add_options()
        ("help,h", "show this help")
        ("current", po::value<std::string>()->value_name("I"),
         "the constant injected current of the vector field, nullclines and fixed points, in the model's current "
         "unit (default: the stimulus's amplitude, e.g. of a dc or step stimulus)")
        ("v-range", po::value<std::string>()->value_name("A:B"),
         "range of the first state variable (v), in its unit; write --v-range=-80:-40 for negative bounds "
         "(default: the trajectory's range plus 10 %)")
        ("w-range", po::value<std::string>()->value_name("A:B"),
         "range of the second state variable (w, or u), in its unit, as --v-range (default: the trajectory's "
         "range and the w-nullcline's, plus 10 %)")
        ("arrows", po::value<std::string>()->value_name("N"), "arrows of the vector field per axis (default: 21)")
        ("resolution", po::value<std::string>()->value_name("N"),
         "grid points per axis for the nullclines and the fixed-point search (default: 401)")
        ("summary", po::value<std::string>()->value_name("WHAT"),
         "json: also write NAME_phase_summary.json (fixed points and their stability, settings, files); none: do "
         "not (default: json)");
    return options;
}

/// The phase command's options: its own, then the shared ones of `soma run`.
po::options_description all_options() {
    po::options_description options = phase_only_options();
    po::options_description shared("run options (as for 'soma run')", 100, 40);
    const auto run = run_options();
    for (const auto& o : run.options()) {
        if (o->long_name() == "model") {  // soma run's default, hh, has four state variables
            shared.add_options()("model", po::value<std::string>()->value_name("NAME"),
                                 "the model, with two state variables: fitzhugh_nagumo, izhikevich, adex, or a "
                                 "2-variable model file (required)");
        } else if (shared_options.contains(o->long_name())) {
            shared.add(o);
        }
    }
    options.add(shared);
    return options;
}

std::string help() {
    std::ostringstream text;
    text << "usage: soma phase [SCENARIO.ini] --model NAME [--stimulus NAME] [options]\n\n"
            "Draws the phase plane of a model with two state variables (fitzhugh_nagumo, izhikevich, adex, or a\n"
            "2-variable model file) at a constant injected current I: the vector field, the nullclines, the fixed\n"
            "points with their stability (from the eigenvalues of the Jacobian), and the trajectory of one run of\n"
            "the model under its stimulus. I is --current, or the stimulus's amplitude (for a step, its value\n"
            "while on). For models with a reset (izhikevich, adex) the reset is not part of the vector field: the\n"
            "threshold and the reset value are drawn as dashed lines.\n\n"
            "Writes, into the output directory (default ./soma-output), with NAME = MODEL by default:\n"
            "NAME_phase.csv (the grid of v, w, dv/dt, dw/dt), NAME_nullclines.csv, NAME_fixed_points.csv,\n"
            "NAME_trajectory.csv, NAME_phase.gp and the figures NAME_phase.png and NAME_phase.svg (gnuplot).\n\n"
         << all_options()
         << "\nThe run options are those of 'soma run', for one cell: single values only (no per-cell lists or\n"
            "draws), and --name defaults to the model (a model file: its stem). Bounds of a range that start with '-' need the '=' form.\n"
            "\nExamples:\n"
            "  soma phase --model fitzhugh_nagumo --stimulus dc --set stimulus.amplitude=0.5 --t-stop 200\n"
            "  soma phase --model izhikevich --stimulus step --set stimulus.amplitude=10 --v-range=-80:35\n";
    return text.str();
}

/// `A:B` as an interval. @throws ParameterError if it is not two numbers A < B.
experiments::Interval interval(const std::string& option, const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) {
        throw ParameterError(fmt::format("--{} '{}': expected A:B with A < B, e.g. --{}=-80:-40", option, text, option));
    }
    const double from = parse_number("--" + option, text.substr(0, colon));
    const double to = parse_number("--" + option, text.substr(colon + 1));
    if (!(from < to)) {
        throw ParameterError(fmt::format("--{} '{}' is an empty range: A must be less than B", option, text));
    }
    return {from, to};
}

std::size_t count(const std::string& option, const std::string& text, std::size_t at_most) {
    const double n = parse_number("--" + option, text);
    if (n != std::floor(n) || n < 2 || n > static_cast<double>(at_most)) {
        throw ParameterError(fmt::format("--{} '{}' must be a whole number from 2 to {}", option, text, at_most));
    }
    return static_cast<std::size_t>(n);
}

std::string with_unit(double x, const std::string& unit) {
    return unit == "1" || unit.empty() ? fmt::format("{:.6g}", x) : fmt::format("{:.6g} {}", x, unit);
}

std::string eigenvalues(const experiments::FixedPoint& p) {
    const auto& l = p.eigenvalues;
    if (l[0].imag() != 0) return fmt::format("{:.6g} +- {:.6g}i", l[0].real(), std::abs(l[0].imag()));
    return fmt::format("{:.6g}, {:.6g}", l[0].real(), l[1].real());
}

int run_phase(const PluginRegistry& registry, const std::vector<std::string>& args) {
    const po::options_description options = all_options();
    po::options_description hidden;
    hidden.add_options()("scenario", po::value<std::string>());
    po::options_description everything;
    everything.add(options).add(hidden);
    po::positional_options_description positional;
    positional.add("scenario", 1);
    po::parsed_options parsed(&everything);
    try {
        const auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
        refuse_option_as_value(everything, args);
        parsed = po::command_line_parser(args).options(everything).positional(positional).style(style).run();
    } catch (const po::unknown_option& e) {
        std::string name = e.get_option_name();
        name.erase(0, name.find_first_not_of('-'));
        name = name.substr(0, name.find('='));
        const auto run = run_options();
        if (run.find_nothrow(name, false) != nullptr) {
            throw ParameterError(fmt::format("--{} does not apply to a phase plane, which is of one cell, drawn from "
                                             "its own outputs; see 'soma phase --help'",
                                             name));
        }
        std::vector<std::string> known;
        for (const auto& o : options.options()) known.push_back("--" + o->long_name());
        throw ParameterError(unknown_name_message("option", "--" + name, known) + " See 'soma phase --help'.");
    } catch (const po::too_many_positional_options_error&) {
        refuse_several_scenarios("phase", options, args);
    }
    po::variables_map given;
    po::store(parsed, given);
    if (given.count("help")) {
        std::cout << help();
        return 0;
    }
    // The run's own options go on, as typed, to the parser of `soma run`.
    const auto own = phase_only_options();
    std::vector<std::string> run_args;
    for (const auto& o : parsed.options) {
        if (own.find_nothrow(o.string_key, false) == nullptr) {
            run_args.insert(run_args.end(), o.original_tokens.begin(), o.original_tokens.end());
        }
    }
    auto scenario = parse_run_arguments(run_args, "phase");
    check_plugins(registry, *scenario);
    experiments::check_planar(registry, scenario->spec.model.name);  // before any note about its drive
    use_suggested_drive(registry, *scenario);
    experiments::PhasePlaneSpec spec;
    spec.run = std::move(scenario->spec);
    if (given.count("current")) {
        spec.current = parse_number("--current", given["current"].as<std::string>());
        if (!std::isfinite(*spec.current)) {
            throw ParameterError(fmt::format("--current '{}' is not allowed; give a finite number, in the model's "
                                             "current unit",
                                             given["current"].as<std::string>()));
        }
    }
    if (given.count("v-range")) spec.v_range = interval("v-range", given["v-range"].as<std::string>());
    if (given.count("w-range")) spec.w_range = interval("w-range", given["w-range"].as<std::string>());
    if (given.count("arrows")) spec.arrows = count("arrows", given["arrows"].as<std::string>(), 200);
    if (given.count("resolution")) spec.resolution = count("resolution", given["resolution"].as<std::string>(), 4001);
    const std::string& model = spec.run.model.name;
    const std::string shown = model_label(model);
    const std::string name = given.count("name") ? spec.run.name : shown;

    const bool summary = !given.count("summary") || summary_wanted(given["summary"].as<std::string>());
    print_notes(scenario->notes);
    // The outputs are guarded as those of the other commands: a different phase plane of the same name is not
    // replaced without --force. Its identity: the run's, and the phase plane's own options.
    spec.run.name = name;
    std::vector<std::string> identity = run_identity(registry, *scenario, spec.run);
    for (const char* option : {"current", "v-range", "w-range", "arrows", "resolution"}) {
        if (given.count(option)) identity.push_back(fmt::format("{}={}", option, given[option].as<std::string>()));
    }
    std::optional<OutputDirectory> output(std::in_place, spec.run.output_dir, name, summary_file(spec.run, "phase"),
                                          identity, scenario->force);
    const auto plane = experiments::phase_plane(registry, spec);
    const Variable& v = plane.variables[0];
    const Variable& w = plane.variables[1];
    const Variable& i = plane.current_variable;
    const std::string title =
        given.count("title") ? spec.run.title
                             : fmt::format("{}: phase plane at {} = {}", shown, i.name, with_unit(plane.current, i.unit));
    const auto written = experiments::write_phase_plane(plane, spec.run.output_dir, name, title);

    say("{}: phase plane of {} at {} = {} ({}), {} in [{:.6g}, {:.6g}], {} in [{:.6g}, {:.6g}]\n", name, model,
               i.name, with_unit(plane.current, i.unit), plane.current_from, v.name, plane.v_window.from,
               plane.v_window.to, w.name, plane.field.w.from, plane.field.w.to);
    if (plane.fixed_points.empty()) say("  no fixed point in the window\n");
    for (const auto& p : plane.fixed_points) {
        say("  fixed point {} = {}, {} = {}: {} (eigenvalues {} 1/ms)\n", v.name, with_unit(p.v, v.unit),
                   w.name, with_unit(p.w, w.unit), to_string(p.type), eigenvalues(p));
    }
    if (!plane.analytic_jacobian) say("  (Jacobian by central differences: the model has no analytic one)\n");
    if (plane.reset) {
        say("  the reset ({} <- {} when {} reaches {}) is not part of the vector field\n", v.name,
                   with_unit(plane.reset->reset, v.unit), v.name, with_unit(plane.reset->threshold, v.unit));
    }
    if (!plane.note.empty()) say("  {}\n", plane.note);
    say("  trajectory: {:.6g} ms under the {} stimulus, {} spike(s)\n", plane.trajectory.t.back(), plane.info.stimulus,
               plane.trajectory.spikes.size());
    nlohmann::json json;
    if (summary) {
        json = summary_json(plane.info, scenario->command_line);
        std::vector<std::string> command_line{"soma", "phase"};
        command_line.insert(command_line.end(), args.begin(), args.end());
        json["command"] = command_line;
        nlohmann::json points = nlohmann::json::array();
        for (const auto& p : plane.fixed_points) {
            points.push_back({{v.name, p.v},
                              {w.name, p.w},
                              {"type", to_string(p.type)},
                              {"stable", p.stable()},
                              {"eigenvalues_per_ms",
                               {{{"re", p.eigenvalues[0].real()}, {"im", p.eigenvalues[0].imag()}},
                                {{"re", p.eigenvalues[1].real()}, {"im", p.eigenvalues[1].imag()}}}}});
        }
        json["phase_plane"] = {{"variables", {{{"name", v.name}, {"unit", v.unit}}, {{"name", w.name}, {"unit", w.unit}}}},
                               {"current", plane.current},
                               {"current_unit", i.unit},
                               {"current_from", plane.current_from},
                               {"v_range", {plane.v_window.from, plane.v_window.to}},
                               {"w_range", {plane.field.w.from, plane.field.w.to}},
                               {"fixed_points", points},
                               {"trajectory_spikes", plane.trajectory.spikes.size()}};
    }
    finish_outputs(written, std::move(json), output);
    return 0;
}

}  // namespace

int phase(const PluginRegistry& registry, const std::vector<std::string>& args) {
    try {
        return run_phase(registry, args);
    } catch (const po::error& e) {
        std::cerr << "soma: error: " << e.what() << " (see 'soma phase --help')\n";
        return 2;
    } catch (const Error& e) {
        std::cerr << "soma: error: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace soma::app
