#include "scenario.hpp"

#include "soma/error.hpp"
#include "soma/model_from_file.hpp"
#include "soma/parameter.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace po = boost::program_options;

namespace soma::app {
namespace {

const std::vector<std::string> component_sections{"model", "stimulus", "integrator"};
constexpr std::uintmax_t max_scenario_bytes = 1 << 20;
constexpr std::size_t max_name_length = 100;

po::options_description command_line_options() {
    po::options_description options("soma run options");
    options.add_options()
        ("help,h", "show this help")
        ("model", po::value<std::string>(), "model plug-in, or a model file such as examples/models/hh.eq (default: hh)")
        ("preset", po::value<std::string>(), "a named parameter set of the model ('soma describe MODEL' lists them); "
         "--set model.X values apply on top")
        ("stimulus", po::value<std::string>(), "stimulus plug-in (default: step)")
        ("integrator", po::value<std::string>(), "integrator plug-in (default: euler)")
        ("recorder", po::value<std::vector<std::string>>(),
         "recorder plug-in; repeat for several, 'none' for no output (default: csv and gnuplot)")
        ("set", po::value<std::vector<std::string>>(),
         "KIND.PARAM=VALUE: set a parameter; KIND is model, stimulus, integrator or a recorder's name "
         "(e.g. --set model.g_Na=100 --set stimulus.amplitude=10)")
        ("t-stop", po::value<std::string>(), "length of the run, ms (default: 100)")
        ("dt", po::value<std::string>(), "time step, ms (default: 0.01)")
        ("record-interval", po::value<std::string>(), "time between samples, ms, a multiple of dt (default: every step)")
        ("output,o", po::value<std::string>(), "output directory (default: ./soma-output)")
        ("name", po::value<std::string>(), "base name of output files (default: the scenario file's name, or MODEL-STIMULUS)")
        ("title", po::value<std::string>(), "title of the figure");
    return options;
}

po::options_description file_options() {
    po::options_description options;
    options.add_options()
        ("model", po::value<std::string>())
        ("preset", po::value<std::string>())
        ("stimulus", po::value<std::string>())
        ("integrator", po::value<std::string>())
        ("recorder", po::value<std::vector<std::string>>())
        ("t_stop", po::value<std::string>())
        ("dt", po::value<std::string>())
        ("record_interval", po::value<std::string>())
        ("output", po::value<std::string>())
        ("name", po::value<std::string>())
        ("title", po::value<std::string>());
    return options;
}

std::vector<std::string> option_names(const po::options_description& d) {
    std::vector<std::string> names;
    for (const auto& o : d.options()) names.push_back(o->long_name());
    return names;
}

/// Value of a setting: the command line's if given, else the file's.
template <class T>
std::optional<T> pick(const po::variables_map& cli, const std::string& cli_name, const po::variables_map& file,
                      const std::string& file_name) {
    if (cli.count(cli_name)) return cli[cli_name].as<T>();
    if (file.count(file_name)) return file[file_name].as<T>();
    return std::nullopt;
}

void check_text(std::string_view what, const std::string& value) {
    if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
        throw ParameterError(fmt::format("{} contains a control character (such as a newline); use plain text", what));
    }
}

}  // namespace

std::string run_help() {
    std::ostringstream text;
    text << "usage: soma run [SCENARIO.ini] [options]\n\n"
            "Runs one simulation. Without a scenario it runs the built-in default: the Hodgkin-Huxley model\n"
            "driven by a 7 uA/cm^2 step on [20, 70) ms, 100 ms at dt = 0.01 ms with forward Euler, and writes\n"
            "CSV files and PNG/SVG figures into ./soma-output/. Command-line values override the file's.\n\n"
         << command_line_options()
         << "\nScenario files (INI): top-level keys model, preset, stimulus, integrator, recorder (repeatable), t_stop,\n"
            "dt, record_interval, output, name, title; parameters in sections [model], [stimulus],\n"
            "[integrator] and [RECORDER], e.g.\n\n"
            "  model = hh\n  stimulus = step\n  t_stop = 100\n  [stimulus]\n  amplitude = 7\n  onset = 20\n\n"
            "'soma describe NAME' lists a plug-in's parameters with units, defaults and ranges.\n";
    return text.str();
}

std::optional<Scenario> parse_run_arguments(const std::vector<std::string>& args) {
    Scenario scenario;
    const auto cli_options = command_line_options();
    po::options_description hidden;
    hidden.add_options()("scenario", po::value<std::string>());
    po::options_description all;
    all.add(cli_options).add(hidden);
    po::positional_options_description positional;
    positional.add("scenario", 1);

    po::variables_map cli;
    try {
        // No prefix guessing: '--mod' must not silently mean '--model'.
        const auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
        po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(), cli);
    } catch (const po::unknown_option& e) {
        std::vector<std::string> known;
        for (const auto& name : option_names(cli_options)) known.push_back("--" + name);
        throw ParameterError(unknown_name_message("option", e.get_option_name(), known) + " See 'soma run --help'.");
    }
    if (cli.count("help")) return std::nullopt;

    po::variables_map file;
    std::vector<po::option> file_extra;
    std::filesystem::path scenario_dir;
    if (cli.count("scenario")) {
        const std::filesystem::path path = cli["scenario"].as<std::string>();
        scenario_dir = path.parent_path();
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            throw ParameterError(fmt::format("cannot open scenario file '{}': no such file", path.string()));
        }
        if (!std::filesystem::is_regular_file(path, ec)) {
            throw ParameterError(fmt::format("scenario file '{}' is not a regular file (a directory or a device?); "
                                             "give the path of an .ini file such as examples/hh-step.ini",
                                             path.string()));
        }
        if (std::filesystem::file_size(path, ec) > max_scenario_bytes) {
            throw ParameterError(fmt::format("scenario file '{}' is larger than 1 MiB; scenario files are short INI "
                                             "files such as examples/hh-step.ini",
                                             path.string()));
        }
        std::ifstream in(path);
        if (!in) throw ParameterError(fmt::format("cannot open scenario file '{}': permission denied", path.string()));
        try {
            const auto description = file_options();  // parsed options point into it
            const auto parsed = po::parse_config_file(in, description, true);
            po::store(parsed, file);
            for (const auto& o : parsed.options) {
                if (o.unregistered) file_extra.push_back(o);
            }
        } catch (const po::error& e) {
            throw ParameterError(fmt::format("scenario file '{}': {}", path.string(), e.what()));
        }
        scenario.name = path.stem().string();
    }

    // A section of the file belongs to the plug-in the file selects (or the default); when the command
    // line selects another plug-in of that kind, the section is ignored with a note.
    std::set<std::string> replaced_sections;
    const auto choose = [&](const std::string& kind, std::string& target) {
        const std::string from_file = file.count(kind) ? file[kind].as<std::string>() : target;
        target = cli.count(kind) ? cli[kind].as<std::string>() : from_file;
        if (target != from_file) replaced_sections.insert(kind);
    };
    choose("model", scenario.model);
    // A model file named by a scenario file is relative to the scenario file's directory (one named on
    // the command line, to the working directory), so that scenarios and their models move together.
    if (!cli.count("model") && file.count("model") && is_model_file(scenario.model) &&
        std::filesystem::path(scenario.model).is_relative()) {
        scenario.model = (scenario_dir / scenario.model).string();
    }
    choose("stimulus", scenario.stimulus);
    choose("integrator", scenario.integrator);
    if (!replaced_sections.contains("model")) {
        if (auto v = pick<std::string>(cli, "preset", file, "preset")) scenario.preset = *v;
    } else if (cli.count("preset")) {
        scenario.preset = cli["preset"].as<std::string>();
    } else if (file.count("preset")) {
        scenario.notes.push_back(fmt::format("ignoring 'preset = {}' of the scenario file: it is for the model the "
                                             "file selects, and the command line selects another (give --preset)",
                                             file["preset"].as<std::string>()));
    }
    if (auto v = pick<std::vector<std::string>>(cli, "recorder", file, "recorder")) {
        scenario.recorders.clear();
        for (const auto& r : *v) {
            if (r == "none") continue;
            if (std::find(scenario.recorders.begin(), scenario.recorders.end(), r) != scenario.recorders.end()) {
                throw ParameterError(fmt::format("recorder '{}' is listed twice; name each recorder once", r));
            }
            scenario.recorders.push_back(r);
        }
        if (!scenario.recorders.empty() && std::find(v->begin(), v->end(), "none") != v->end()) {
            throw ParameterError("recorder 'none' cannot be combined with other recorders");
        }
    }
    const auto number = [&](const std::string& cli_name, const std::string& file_name, double& target) {
        if (auto v = pick<std::string>(cli, cli_name, file, file_name)) target = parse_number(file_name, *v);
    };
    number("t-stop", "t_stop", scenario.settings.t_stop);
    number("dt", "dt", scenario.settings.dt);
    number("record-interval", "record_interval", scenario.settings.record_interval);
    if (auto v = pick<std::string>(cli, "output", file, "output")) scenario.output_dir = *v;
    if (auto v = pick<std::string>(cli, "name", file, "name")) scenario.name = *v;
    if (auto v = pick<std::string>(cli, "title", file, "title")) scenario.title = *v;
    const bool preset_given = cli.count("preset") || (file.count("preset") && !replaced_sections.contains("model"));
    if (preset_given && scenario.preset.empty()) {
        throw ParameterError("preset needs a name ('soma describe MODEL' lists the model's presets)");
    }
    if (scenario.name.empty()) {
        // For a model file, its stem: examples/models/hh.eq with a step gives "hh-step".
        const std::string model = is_model_file(scenario.model) ? std::filesystem::path(scenario.model).stem().string()
                                                                : scenario.model;
        scenario.name = model + "-" + scenario.stimulus;
    }
    if (scenario.name.find('/') != std::string::npos || scenario.name == "." || scenario.name == ".." ||
        scenario.name.size() > max_name_length) {
        throw ParameterError(fmt::format("name '{}' must be a plain file name without '/', of at most {} characters",
                                         scenario.name, max_name_length));
    }
    check_text("name", scenario.name);
    check_text("title", scenario.title);
    if (scenario.title.empty()) {
        scenario.title = fmt::format("{}, {} stimulus, {}", scenario.model, scenario.stimulus, scenario.integrator);
    }

    auto sections = component_sections;
    sections.insert(sections.end(), scenario.recorders.begin(), scenario.recorders.end());
    const bool recorders_from_cli = cli.count("recorder") > 0;
    std::set<std::string> seen;
    const auto assign = [&](const std::string& key, const std::string& value, std::string_view origin) {
        const auto dot = key.find('.');
        const std::string section = key.substr(0, dot);
        if (origin == "scenario file" && !seen.insert(key).second) {
            throw ParameterError(fmt::format("scenario file: '{}' is set twice; set each parameter once", key));
        }
        if (dot == std::string::npos) {
            std::vector<std::string> known = option_names(file_options());
            throw ParameterError(fmt::format("{}: {}", origin, unknown_name_message("setting", key, known)));
        }
        if (origin == "scenario file" && replaced_sections.contains(section)) {
            scenario.notes.push_back(fmt::format("ignoring '{}' of the scenario file: it is for the {} the file "
                                                 "selects, and the command line selects another",
                                                 key, section));
            return;
        }
        const bool unused_recorder = origin == "scenario file" && recorders_from_cli &&
                                     std::find(sections.begin(), sections.end(), section) == sections.end();
        if (unused_recorder) {
            scenario.notes.push_back(fmt::format("ignoring '{}' of the scenario file: recorder '{}' is not among "
                                                 "the recorders given on the command line",
                                                 key, section));
            return;
        }
        if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
            throw ParameterError(fmt::format(
                "{}: '{}' names no component of this run; {} (a recorder's parameters need it in the recorder list)",
                origin, key, unknown_name_message("component", section, sections)));
        }
        scenario.parameters[section][key.substr(dot + 1)] = value;
    };
    for (const auto& o : file_extra) assign(o.string_key, o.value.empty() ? "" : o.value.front(), "scenario file");
    if (cli.count("set")) {
        for (const auto& s : cli["set"].as<std::vector<std::string>>()) {
            const auto eq = s.find('=');
            if (eq == std::string::npos || s.find('.') > eq) {
                throw ParameterError(fmt::format("--set '{}': expected KIND.PARAM=VALUE, e.g. --set model.g_Na=100", s));
            }
            assign(s.substr(0, eq), s.substr(eq + 1), "--set");
        }
    }
    return scenario;
}

}  // namespace soma::app
