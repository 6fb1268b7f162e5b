#include "scenario.hpp"
#include "output_directory.hpp"

#include "soma/error.hpp"
#include "soma/model_from_file.hpp"
#include "soma/parameter.hpp"
#include "soma/stimulus_from_file.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <thread>

namespace po = boost::program_options;

namespace soma::app {
namespace {

constexpr std::uintmax_t max_scenario_bytes = 1 << 20;
/// More recorded cells than this cannot be useful (their samples alone would fill the disk in a few
/// steps), and a range such as 0:1000000000000 must not allocate its indices before the range check.
constexpr std::size_t max_recorded_cells = 10'000'000;

/// A text option shown as `--NAME VALUE_NAME` in the help.
po::typed_value<std::string>* text_value(const char* value_name) {
    return po::value<std::string>()->value_name(value_name);
}

std::string file_key(std::string name) {
    std::ranges::replace(name, '-', '_');
    return name;
}

/// The command-line options of `soma COMMAND`: `extra`, then those of `soma run` (as `use` shows them).
/// `refused`, when given, receives the options that `use` refuses (parsed, so that they can be refused by
/// name, but not shown).
po::options_description command_line_options(std::string_view command = "run", std::span<const ExtraOption> extra = {},
                                             const RunOptionUse& use = {},
                                             po::options_description* refused = nullptr) {
    po::options_description options(fmt::format("soma {} options", command), 100, 40);
    for (const auto& e : extra) {
        if (e.repeatable) {
            options.add_options()(e.name.c_str(), po::value<std::vector<std::string>>()->value_name(e.value_name),
                                  e.help.c_str());
        } else {
            options.add_options()(e.name.c_str(), text_value(e.value_name.c_str()), e.help.c_str());
        }
    }
    options.add_options()("help,h", "show this help");
    // soma run's options: shown with the command's own help text, or (refused) parsed but not shown.
    const auto add = [&](const char* name, const po::value_semantic* value, const char* help) {
        const std::string key(std::string_view(name).substr(0, std::string_view(name).find(',')));  // "output,o"
        if (use.refused.contains(key)) {
            if (refused) refused->add_options()(name, value, help);
            else delete value;  // not parsed here: only the help is wanted
            return;
        }
        const auto own = use.help.find(key);
        options.add_options()(name, value, own == use.help.end() ? help : own->second.c_str());
    };
    add("force", po::bool_switch(), "replace the outputs of a different run that have the same name in the output "
        "directory (without it such a run is refused)");
    add("model", text_value("NAME"), "model plug-in, or a model file such as examples/models/hh.eq (default: hh)");
    add("preset", text_value("NAME"), "a named parameter set of the model ('soma describe MODEL' lists them); "
        "--set model.X values apply on top");
    add("stimulus", po::value<std::vector<std::string>>()->value_name("NAME"),
        "stimulus plug-in; repeat (or join with '+') for several, whose currents add up, each NAME or "
        "NAME:LABEL, parameters stimulus.LABEL.PARAM (default: step)");
    add("integrator", text_value("NAME"), "integrator plug-in (default: euler)");
    add("recorder", po::value<std::vector<std::string>>()->value_name("NAME"),
        "recorder plug-in; repeat for several, 'none' for no output (default: csv and gnuplot)");
    add("set", po::value<std::vector<std::string>>()->value_name("KIND.PARAM=VALUE"),
        "set a parameter, in the unit 'soma describe' shows; KIND is model, stimulus, integrator or a "
        "recorder's name (e.g. --set model.g_Na=100). Model and stimulus parameters may differ between "
        "cells: 100,110,120 (one value per cell), linspace(0,20,41) (41 evenly spaced values, ends "
        "included), normal(MU,SIGMA) or uniform(A,B) (drawn per cell, see --seed)");
    add("cells", text_value("N"), "number of cells (default: the common length of the per-cell lists, or 1)");
    add("cells-from", text_value("FILE"), "per-cell values from a CSV table: a header of KIND.PARAM names, then one "
        "row of numbers per cell");
    add("t-stop", text_value("MS"), "length of the run, ms (default: 100, or 30 ms past the stimulus's latest offset "
        "when that is later)");
    add("dt", text_value("MS"), "time step, ms (default: 0.01)");
    add("record-interval", text_value("MS"), "time between samples, ms, a multiple of dt (default, or 0: every step)");
    add("record", text_value("LIST"), "what to sample: state variables and/or the model's current, e.g. v,I (I.LABEL: "
        "one of several stimuli), of every cell (or --record-cells), or 'spikes' for spike times only (default: "
        "everything; above 10 cells, spikes and v of cells 0 to 9)");
    add("record-cells", text_value("LIST"), "cells whose samples are recorded: 0,5,10 or 0:10 (cells 0 to 9) or 0:3,7 "
        "(spikes are recorded for every cell; not with --record spikes)");
    add("threads", text_value("K"), "threads that advance the cells (of each rank under mpirun); results do not "
        "depend on it (default: the cores, shared among the ranks on one machine)");
    add("seed", text_value("S"), "seed of the normal() and uniform() draws and of noise stimuli, a whole number >= 0 "
        "(default: 0)");
    add("output,o", text_value("DIR"), "output directory (default: ./soma-output)");
    add("name", text_value("NAME"), "base name of output files (default: the scenario file's name, or MODEL-STIMULUS)");
    add("title", text_value("TEXT"), "title of the figure and of the data files' metadata (empty or not given: one made of the model, stimulus and integrator)");
    return options;
}

po::options_description file_options(std::span<const ExtraOption> extra = {}) {
    po::options_description options;
    for (const auto& e : extra) {
        const std::string key = file_key(e.name);
        if (e.repeatable) options.add_options()(key.c_str(), po::value<std::vector<std::string>>());
        else options.add_options()(key.c_str(), po::value<std::string>());
    }
    options.add_options()
        ("model", po::value<std::string>())
        ("preset", po::value<std::string>())
        ("stimulus", po::value<std::string>())
        ("integrator", po::value<std::string>())
        ("recorder", po::value<std::vector<std::string>>())
        ("cells", po::value<std::string>())
        ("cells_from", po::value<std::string>())
        ("t_stop", po::value<std::string>())
        ("dt", po::value<std::string>())
        ("record_interval", po::value<std::string>())
        ("record", po::value<std::string>())
        ("record_cells", po::value<std::string>())
        ("threads", po::value<std::string>())
        ("seed", po::value<std::string>())
        ("output", po::value<std::string>())
        ("name", po::value<std::string>())
        ("title", po::value<std::string>());
    return options;
}

/// Where each setting of a scenario file is: its path and, per key ("t_stop", "model.g_Na"), the line.
/// The origins of the scenario parsed last (with_scenario_origin).
std::map<std::string, std::string>& last_origins() {
    static std::map<std::string, std::string> origins;
    return origins;
}

struct ScenarioLines {
    std::string path;
    std::map<std::string, int> line_of;
    /// "FILE:LINE" of `key` (as compilers write it), or "scenario file FILE" for a key it has not seen.
    [[nodiscard]] std::string where(const std::string& key) const {
        const auto it = line_of.find(key);
        return it == line_of.end() ? fmt::format("scenario file {}", path) : fmt::format("{}:{}", path, it->second);
    }
};

/// The text of a scenario file as Boost.Program_options should read it: without a UTF-8 byte-order mark,
/// and without INI comments that start with ';' (at the start of a line, or after a blank), which it
/// would take for part of a value. Every other line must be blank, a `#` comment, a `[section]` or a
/// `name = value` setting: anything else is refused here with its line, before Boost.Program_options
/// sees it (Boost 1.74 never returns from the message of a bad line that contains "%invalid_line%"), and a
/// line with a NUL byte (a binary file) before its bytes are echoed.
/// @throws ParameterError naming FILE:LINE.
std::string ini_text(std::istream& in, ScenarioLines& lines) {
    std::string text, line, section;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find('\0') != std::string::npos) {
            throw ParameterError(fmt::format("{}:{}: holds a NUL byte: this is not a scenario file (a short INI text "
                                             "file such as examples/hh-step.ini)",
                                             lines.path, number));
        }
        if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
        for (std::size_t k = 0; k < line.size(); ++k) {
            if (line[k] == ';' && (k == 0 || line[k - 1] == ' ' || line[k - 1] == '\t')) {
                line.erase(k);
                break;
            }
        }
        if (!line.empty() && line.back() == '\r') line.pop_back();  // a file from Windows
        const auto first = line.find_first_not_of(" \t");
        if (first != std::string::npos && line[first] != '#') {
            const auto last = line.find_last_not_of(" \t");
            const std::string_view content = std::string_view(line).substr(first, last - first + 1);
            const auto eq = content.find('=');
            const auto is_name = [](std::string_view n) {
                return !n.empty() && std::ranges::all_of(n, [](unsigned char c) {
                    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
                });
            };
            const auto trimmed = [](std::string_view t) {
                while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
                while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
                return t;
            };
            if (content.front() == '[') {
                if (content.back() != ']' || !is_name(trimmed(content.substr(1, content.size() - 2)))) {
                    throw ParameterError(fmt::format("{}:{}: '{}' is not a section header; write [model], "
                                                     "[stimulus], [integrator] or [RECORDER]",
                                                     lines.path, number, content));
                }
                section = std::string(trimmed(content.substr(1, content.size() - 2)));
            } else if (eq == std::string_view::npos || !is_name(trimmed(content.substr(0, eq)))) {
                throw ParameterError(fmt::format("{}:{}: '{}' is neither a [section] nor a setting 'name = value' "
                                                 "(comments start with # or ;)",
                                                 lines.path, number, content));
            } else {
                const std::string key(trimmed(content.substr(0, eq)));
                const std::string full = section.empty() ? key : section + "." + key;
                // `recorder` may be repeated, as --recorder may: one line per recorder.
                if (const auto [it, fresh] = lines.line_of.emplace(full, number); !fresh && full != "recorder") {
                    throw ParameterError(fmt::format("{}:{}: '{}' is set again (first at line {}); set each "
                                                     "setting once",
                                                     lines.path, number, full, it->second));
                }
            }
        }
        text += line;
        text += '\n';
    }
    return text;
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

/// A setting's text, its name where it was given ("--seed" or "seed") and how messages show it
/// ("--seed '1.5'" or "FILE:LINE: seed = '1.5'").
struct Setting {
    std::string text;
    std::string name;
    std::string shown;
    bool from_file = false;
};

std::optional<Setting> pick_setting(const po::variables_map& cli, const std::string& cli_name,
                                    const po::variables_map& file, const std::string& file_name,
                                    const ScenarioLines& lines) {
    if (cli.count(cli_name)) {
        const auto& v = cli[cli_name].as<std::string>();
        return Setting{v, "--" + cli_name, fmt::format("--{} '{}'", cli_name, v), false};
    }
    if (file.count(file_name)) {
        const auto& v = file[file_name].as<std::string>();
        return Setting{v, file_name, fmt::format("{}: {} = '{}'", lines.where(file_name), file_name, v), true};
    }
    return std::nullopt;
}

void check_text(std::string_view what, const std::string& value) {
    if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
        throw ParameterError(fmt::format("{} contains a control character (such as a newline); use plain text", what));
    }
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

/// `text` as a whole number: digits, or a number in scientific form whose value is whole (`1e4`, `2.5e3`;
/// up to 2^53, where every whole number is a double), or nullopt.
std::optional<std::uint64_t> whole_number(std::string_view text) {
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (!text.empty() && ec == std::errc{} && ptr == end) return value;
    if (text.empty() || text.find_first_of("eE") == std::string_view::npos || text.front() == '-' || text.front() == '+') {
        return std::nullopt;
    }
    double x = 0;
    const auto [dptr, dec] = std::from_chars(text.data(), end, x);
    if (dec != std::errc{} || dptr != end || !(x >= 0) || x > 9007199254740992.0 || x != std::floor(x)) return std::nullopt;
    return static_cast<std::uint64_t>(x);
}

/// A count of at least 1 (cells or threads), `what` naming one of them; `if_left_out` completes "leave
/// --cells out to ...". `at_most` (0: none) is the limit that the run checks (resolve_grid), named when the
/// text is too long a number to count.
std::size_t positive_count(const Setting& s, std::string_view what, std::string_view if_left_out,
                           std::size_t at_most = 0) {
    const std::string limit = at_most > 0 ? fmt::format("at most {}", at_most) : "more than 2^64 - 1";
    const auto n = whole_number(s.text);
    if (!n && !s.text.empty() && s.text.front() == '-' && whole_number(s.text.substr(1))) {
        throw ParameterError(fmt::format("{} is negative; give the number of {}s, at least 1 (or leave {} out to {})",
                                         s.shown, what, s.name, if_left_out));
    }
    if (!n && !s.text.empty() && s.text.find_first_not_of("0123456789") == std::string::npos) {
        throw ParameterError(fmt::format("{} is too large a number of {}s ({}); give fewer", s.shown, what, limit));
    }
    if (!n) {
        throw ParameterError(fmt::format("{} is not a whole number; give the number of {}s, at least 1 (or leave {} "
                                         "out to {})",
                                         s.shown, what, s.name, if_left_out));
    }
    if (*n == 0) {
        throw ParameterError(
            fmt::format("{}: a run needs at least 1 {} (leave {} out to {})", s.shown, what, s.name, if_left_out));
    }
    return static_cast<std::size_t>(*n);
}

/// The names of `--record`, as typed between the commas.
std::vector<std::string> record_names(const Setting& s) {
    std::vector<std::string> names;
    std::string_view rest = s.text;
    while (true) {
        const auto comma = rest.find(',');
        const auto name = trim(rest.substr(0, comma));
        if (name.empty()) {
            throw ParameterError(fmt::format("{}: an empty name in the list; give state variables and/or the model's "
                                             "current separated by commas, e.g. v,I, or spikes ('soma describe MODEL' "
                                             "lists them)",
                                             s.shown));
        }
        names.emplace_back(name);
        if (comma == std::string_view::npos) return names;
        rest.remove_prefix(comma + 1);
    }
}

/// The cells of `--record-cells`: indices and half-open ranges A:B (cells A to B - 1, as a Python
/// slice), separated by commas, in the order given.
std::vector<std::size_t> record_cells(const Setting& s) {
    const std::string forms = "e.g. 0,5,10 or 0:10 (cells 0 to 9) or 0:3,7";
    const auto index = [&](std::string_view item, std::string_view part) {
        const auto n = whole_number(trim(part));
        if (const auto digits = trim(part); !n && !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos) {
            throw ParameterError(fmt::format("{}: cell {} is out of range: cells are numbered from 0 to the number of "
                                             "cells - 1",
                                             s.shown, digits));
        }
        if (!n) {
            throw ParameterError(fmt::format("{}: '{}' is not a cell index or a range A:B of them; give cell indices "
                                             "(whole numbers from 0) and ranges separated by commas, {}",
                                             s.shown, item, forms));
        }
        return static_cast<std::size_t>(*n);
    };
    std::vector<std::size_t> cells;
    std::string_view rest = s.text;
    while (true) {
        const auto comma = rest.find(',');
        const auto item = trim(rest.substr(0, comma));
        if (item.empty()) {
            throw ParameterError(fmt::format("{}: an empty entry in the list; give cell indices and ranges separated "
                                             "by commas, {}",
                                             s.shown, forms));
        }
        const auto colon = item.find(':');
        const std::size_t first = index(item, item.substr(0, colon));
        std::size_t count = 1;
        if (colon != std::string_view::npos) {
            const std::size_t end = index(item, item.substr(colon + 1));
            if (end <= first) {
                throw ParameterError(fmt::format("{}: the range '{}' holds no cell; A:B means cells A to B - 1, so B "
                                                 "must be greater than A, {}",
                                                 s.shown, item, forms));
            }
            count = end - first;
        }
        if (count > max_recorded_cells - cells.size()) {
            throw ParameterError(fmt::format("{}: more than {} recorded cells; record fewer cells (the spikes of "
                                             "every cell are recorded anyway)",
                                             s.shown, max_recorded_cells));
        }
        for (std::size_t k = 0; k < count; ++k) cells.push_back(first + k);
        if (comma == std::string_view::npos) return cells;
        rest.remove_prefix(comma + 1);
    }
}

}  // namespace

boost::program_options::options_description run_options() { return command_line_options(); }

std::string run_help(std::span<const ExtraOption> extra) {
    std::ostringstream text;
    text << "usage: soma run [SCENARIO.ini] [--model NAME] [--preset NAME] [--stimulus NAME] [options]\n\n"
            "Runs one simulation of a population of cells (one cell by default). Without a scenario it runs the\n"
            "built-in default: the Hodgkin-Huxley model driven by a 7 uA/cm^2 step on [20, 70) ms, 100 ms at\n"
            "dt = 0.01 ms with forward Euler, and writes CSV files and PNG/SVG figures into ./soma-output/.\n"
            "Command-line values override the file's.\n\n"
         << command_line_options("run", extra)
         << "\nAfter the run, soma prints each cell's spikes (up to 20 cells) or the totals; the csv recorder writes\n"
            "each cell's parameters and spike statistics to NAME_cells.csv. Quote the forms with parentheses for\n"
            "the shell:\n"
            "  soma run --model lif --stimulus dc --set 'stimulus.amplitude=linspace(1.1,3,20)'\n"
            "  soma run --cells 1000 --set 'model.C_m=normal(1,0.05)' --seed 7 --record v --record-cells 0:5\n\n"
            "Scenario files (INI): top-level keys model, preset, stimulus, integrator, recorder (repeatable), cells,\n"
            "cells_from (relative to the scenario file), t_stop, dt, record_interval, record, record_cells,\n"
            "threads, seed, output, name, title, progress, summary; parameters, in any of the forms of --set, in\n"
            "sections [model], [stimulus], [integrator] and [RECORDER], e.g.\n\n"
            "  model = hh\n  stimulus = step\n  t_stop = 100\n  [stimulus]\n  amplitude = linspace(5, 10, 6)\n"
            "  onset = 20\n\n"
            "'soma describe NAME' lists a plug-in's parameters with units, defaults and ranges.\n";
    return text.str();
}

std::string options_help(std::string_view command, std::span<const ExtraOption> extra, const RunOptionUse& use) {
    std::ostringstream text;
    text << command_line_options(command, extra, use);
    return text.str();
}

void refuse_option_as_value(const po::options_description& options, const std::vector<std::string>& args) {
    const auto known = [&](const std::string& arg) -> const po::option_description* {
        if (arg.size() == 2 && arg[0] == '-' && std::isalpha(static_cast<unsigned char>(arg[1])) != 0) {
            return options.find_nothrow(arg, false);  // a short option: -o
        }
        if (!arg.starts_with("--") || arg.size() == 2) return nullptr;
        return options.find_nothrow(arg.substr(2, arg.find('=') - 2), false);
    };
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--") return;  // the rest are positional
        const po::option_description* option = known(args[i]);
        if (option == nullptr || args[i].find('=') != std::string::npos || option->semantic()->min_tokens() == 0) {
            continue;
        }
        if (known(args[i + 1]) != nullptr) {
            throw po::invalid_command_line_syntax(po::invalid_command_line_syntax::missing_parameter,
                                                  option->long_name(), args[i], po::command_line_style::allow_long);
        }
        ++i;  // the value, whatever it is
    }
}

void refuse_several_scenarios(std::string_view command, const po::options_description& options,
                              const std::vector<std::string>& args) {
    // The same parse, taking every positional argument, to name them.
    po::options_description all;
    all.add(options);
    all.add_options()("files", po::value<std::vector<std::string>>());
    po::positional_options_description every;
    every.add("files", -1);
    po::variables_map given;
    const auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).positional(every).style(style).run(), given);
    std::vector<std::string> files;
    for (const auto& f : given["files"].as<std::vector<std::string>>()) files.push_back("'" + f + "'");
    throw ParameterError(fmt::format("soma {} takes one scenario file, not several ({}); run soma once for each{}. "
                                     "See 'soma {} --help'.",
                                     command, fmt::join(files, ", "),
                                     command == "phase" ? ""
                                                        : ", or put the runs' cells into one scenario (cells = N, "
                                                          "per-cell values, cells_from)",
                                     command));
}

std::optional<Scenario> parse_run_arguments(const std::vector<std::string>& args, std::string_view command,
                                            std::span<const ExtraOption> extra, const RunOptionUse& use) {
    Scenario scenario;
    scenario.command_line = {"soma", std::string(command)};
    scenario.command_line.insert(scenario.command_line.end(), args.begin(), args.end());
    RunSpec& spec = scenario.spec;
    spec.command_line = scenario.command_line;
    spec.name.clear();
    po::options_description hidden;
    const auto cli_options = command_line_options(command, extra, use, &hidden);
    hidden.add_options()("scenario", po::value<std::string>());
    po::options_description all;
    all.add(cli_options).add(hidden);
    po::positional_options_description positional;
    positional.add("scenario", 1);

    po::variables_map cli;
    try {
        // No prefix guessing: '--mod' must not silently mean '--model'.
        const auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
        refuse_option_as_value(all, args);
        po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(), cli);
    } catch (const po::unknown_option& e) {
        std::vector<std::string> known;
        for (const auto& name : option_names(cli_options)) known.push_back("--" + name);
        throw ParameterError(unknown_name_message("option", e.get_option_name(), known) +
                             fmt::format(" See 'soma {} --help'.", command));
    } catch (const po::too_many_positional_options_error&) {
        refuse_several_scenarios(command, cli_options, args);
    }
    if (cli.count("help")) return std::nullopt;
    for (const auto& [option, reason] : use.refused) {
        if (cli.count(option)) {
            throw ParameterError(fmt::format("--{} does not apply to soma {}: {} (see 'soma {} --help')", option,
                                             command, reason, command));
        }
    }
    scenario.force = cli["force"].as<bool>();

    last_origins().clear();
    po::variables_map file;
    ScenarioLines lines;
    std::vector<po::option> file_extra;
    std::filesystem::path scenario_dir;
    if (cli.count("scenario")) {
        const std::filesystem::path path = cli["scenario"].as<std::string>();
        scenario_dir = path.parent_path();
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            // `--set model.g_Na 100`: the value, separated by a blank, reads as a scenario file's name.
            if (cli.count("set")) {
                for (const auto& s : cli["set"].as<std::vector<std::string>>()) {
                    if (s.find('=') == std::string::npos) {
                        throw ParameterError(fmt::format("--set '{} {}': write the value after '=', without blanks: "
                                                         "--set {}={}",
                                                         s, path.string(), s, path.string()));
                    }
                }
            }
            // `soma run hh`: a model's name where a scenario goes; `--set x=7 uA`: a unit after a value.
            if (cli.count("set") && !path.has_extension() && !path.has_parent_path()) {
                throw ParameterError(fmt::format("'{}' is not a scenario file (there is none of that name); if it "
                                                 "belongs to a --set value: values are numbers in the unit 'soma "
                                                 "describe' shows, without a unit or blanks (--set "
                                                 "stimulus.amplitude=7)",
                                                 path.string()));
            }
            const bool plain_name = !path.has_extension() && !path.has_parent_path();
            throw ParameterError(fmt::format("cannot open scenario file '{}': no such file{}", path.string(),
                                             plain_name ? fmt::format("; to run a model plug-in, give --model {}", path.string())
                                                        : ""));
        }
        if (path.extension() == ".eq") {
            throw ParameterError(fmt::format("'{}' is a model file; give it with --model {} (a scenario file is an "
                                             ".ini file such as examples/hh-step.ini)",
                                             path.string(), path.string()));
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
        std::ifstream file_in(path);
        if (!file_in) throw ParameterError(fmt::format("cannot open scenario file '{}': permission denied", path.string()));
        lines.path = path.string();
        spec.scenario_file = path;
        std::istringstream in(ini_text(file_in, lines));
        try {
            const auto description = file_options(extra);  // parsed options point into it
            const auto parsed = po::parse_config_file(in, description, true);
            po::store(parsed, file);
            for (const auto& o : parsed.options) {
                if (o.unregistered) file_extra.push_back(o);
            }
        } catch (const po::error& e) {
            throw ParameterError(fmt::format("scenario file '{}': {}", path.string(), e.what()));
        }
        // The settings the file gives and the command line does not (it wins), known before they are read,
        // so that the errors of reading them name the line (with_scenario_origin).
        for (const auto& [key, line] : lines.line_of) {
            std::string cli_name = key;
            std::ranges::replace(cli_name, '_', '-');
            if (key.find('.') == std::string::npos && !cli.count(cli_name)) scenario.origins[key] = lines.where(key);
        }
        last_origins() = scenario.origins;
        spec.name = path.stem().string();
        // A scenario file may be made for soma run (a fit's NAME_fit.ini): the keys that do not apply are ignored.
        for (const auto& [option, reason] : use.refused) {
            if (const auto it = file.find(file_key(option)); it != file.end()) {
                scenario.notes.push_back(fmt::format("ignoring '{}' of scenario file {}: it does not apply to soma {}: {}",
                                                     it->first, path.string(), command, reason));
                file.erase(it);
            }
        }
    }

    // A section of the file belongs to the plug-in the file selects (or the default); when the command
    // line selects another plug-in of that kind, the section is ignored with a note.
    std::set<std::string> replaced_sections;
    const auto choose = [&](const std::string& kind, std::string& target) {
        const std::string from_file = file.count(kind) ? file[kind].as<std::string>() : target;
        target = cli.count(kind) ? cli[kind].as<std::string>() : from_file;
        if (trim(target).empty()) {
            throw ParameterError(fmt::format("{} is empty; give {} {} plug-in's name ('soma list' shows them){}, or "
                                             "leave it out for the default",
                                             cli.count(kind) ? "--" + kind : lines.where(kind) + ": " + kind,
                                             kind == "integrator" ? "an" : "a", kind,
                                             kind == "model" ? " or a model file" : kind == "stimulus" ? " or a current file" : ""));
        }
        if (target != from_file) replaced_sections.insert(kind);
    };
    choose("model", spec.model.name);
    // A model file (or a table of cells) named by a scenario file is relative to the scenario file's
    // directory (one named on the command line, to the working directory), so that they move together.
    if (!cli.count("model") && file.count("model") && is_model_file(spec.model.name) &&
        std::filesystem::path(spec.model.name).is_relative()) {
        spec.model.name = (scenario_dir / spec.model.name).string();
    }
    scenario.stimulus_given = cli.count("stimulus") || file.count("stimulus");
    // Several --stimulus options are one sum, "step+ou" (stimulus_sum.hpp).
    if (cli.count("stimulus")) {
        std::string joined;
        for (const auto& part : cli["stimulus"].as<std::vector<std::string>>()) {
            if (trim(part).empty()) {
                throw ParameterError("--stimulus is empty; give a stimulus plug-in's name ('soma list' shows them) or a "
                                     "current file, or leave it out for the default");
            }
            joined += (joined.empty() ? "" : "+") + part;
        }
        const std::string from_file = file.count("stimulus") ? file["stimulus"].as<std::string>() : spec.stimulus.name;
        spec.stimulus.name = joined;
        if (joined != from_file) replaced_sections.insert("stimulus");
    } else {
        choose("stimulus", spec.stimulus.name);
        if (file.count("stimulus")) {
            // Current files of the scenario's stimuli (parts of a sum too) are relative to its directory.
            std::string resolved;
            std::string_view rest = spec.stimulus.name;
            while (true) {
                const auto plus = rest.find('+');
                const std::string part(rest.substr(0, plus));
                const auto colon = part.rfind(':');
                const std::string path = colon == std::string::npos ? part : part.substr(0, colon);
                const bool relative_file = is_stimulus_file(path) && std::filesystem::path(path).is_relative();
                resolved += (resolved.empty() ? "" : "+") +
                            (relative_file ? (scenario_dir / path).string() + part.substr(path.size()) : part);
                if (plus == std::string_view::npos) break;
                rest.remove_prefix(plus + 1);
            }
            spec.stimulus.name = resolved;
        }
    }
    choose("integrator", spec.integrator.name);
    if (!replaced_sections.contains("model")) {
        if (auto v = pick<std::string>(cli, "preset", file, "preset")) spec.model.preset = *v;
    } else if (cli.count("preset")) {
        spec.model.preset = cli["preset"].as<std::string>();
    } else if (file.count("preset")) {
        scenario.notes.push_back(fmt::format("ignoring 'preset = {}' of the scenario file: it is for the model the "
                                             "file selects, and the command line selects another (give --preset)",
                                             file["preset"].as<std::string>()));
    }
    if (auto v = pick<std::vector<std::string>>(cli, "recorder", file, "recorder")) {
        scenario.recorders_given = true;
        spec.recorders.clear();
        std::vector<std::string> names;  // "csv, hdf5" is two recorders, as two lines or two --recorder are
        for (const auto& entry : *v) {
            std::string_view rest = entry;
            while (true) {
                const auto comma = rest.find(',');
                names.emplace_back(trim(rest.substr(0, comma)));
                if (names.back().empty() && entry.find(',') != std::string::npos) {
                    throw ParameterError(fmt::format("--recorder '{}': an empty name in the list; give recorder "
                                                     "plug-ins separated by commas, e.g. csv,hdf5",
                                                     entry));
                }
                if (comma == std::string_view::npos) break;
                rest = rest.substr(comma + 1);
            }
        }
        for (const auto& r : names) {
            if (r == "none") continue;
            if (std::ranges::any_of(spec.recorders, [&](const ComponentSpec& c) { return c.name == r; })) {
                throw ParameterError(fmt::format("recorder '{}' is listed twice; name each recorder once", r));
            }
            spec.recorders.push_back({r, {}, {}});
        }
        if (!spec.recorders.empty() && std::find(names.begin(), names.end(), "none") != names.end()) {
            throw ParameterError("recorder 'none' cannot be combined with other recorders");
        }
    }
    RunSettings& settings = spec.settings;
    const auto number = [&](const std::string& cli_name, const std::string& file_name, double& target) {
        if (auto v = pick<std::string>(cli, cli_name, file, file_name)) target = parse_number(file_name, *v);
    };
    number("t-stop", "t_stop", settings.t_stop);
    scenario.t_stop_given = cli.count("t-stop") > 0 || file.count("t_stop") > 0;
    number("dt", "dt", settings.dt);
    number("record-interval", "record_interval", settings.record_interval);
    if (auto s = pick_setting(cli, "cells", file, "cells", lines)) {
        settings.n_cells = positive_count(*s, "cell", "take the number from the per-cell lists");
    }
    if (auto s = pick_setting(cli, "threads", file, "threads", lines)) {
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        settings.threads = positive_count(
            *s, "thread", fmt::format("use all {} core{}", cores, cores == 1 ? "" : "s"), RunSettings::max_threads);
    }
    if (auto s = pick_setting(cli, "seed", file, "seed", lines)) {
        const auto seed = whole_number(s->text);
        if (!seed) {
            throw ParameterError(fmt::format("{} is not a valid seed; give a whole number from 0 to {}, e.g. {}",
                                             s->shown, std::numeric_limits<std::uint64_t>::max(),
                                             s->from_file ? "seed = 42" : "--seed 42"));
        }
        settings.seed = *seed;
    }
    if (auto s = pick_setting(cli, "cells-from", file, "cells_from", lines)) {
        const std::filesystem::path table = s->text;
        spec.cells_from = s->from_file && table.is_relative() ? scenario_dir / table : table;
    }
    if (auto s = pick_setting(cli, "record", file, "record", lines)) spec.record.variables = record_names(*s);
    if (auto s = pick_setting(cli, "record-cells", file, "record_cells", lines)) spec.record.cells = record_cells(*s);
    if (auto v = pick<std::string>(cli, "output", file, "output")) spec.output_dir = *v;
    if (auto v = pick<std::string>(cli, "name", file, "name")) {
        if (trim(*v).empty()) {
            throw ParameterError(fmt::format("--name is empty; give the base name of the output files, or leave "
                                             "--name out for the default ('soma {} --help' says which)",
                                             command));
        }
        spec.name = *v;
    }
    if (auto v = pick<std::string>(cli, "title", file, "title")) {
        spec.title = *v;
        scenario.title_given = true;
    }
    for (const auto& e : extra) {
        const std::string key = file_key(e.name);
        if (e.repeatable) {
            if (auto v = pick<std::vector<std::string>>(cli, e.name, file, key)) scenario.extra[e.name] = *v;
        } else if (auto v = pick<std::string>(cli, e.name, file, key)) {
            scenario.extra[e.name] = {*v};
        }
    }
    const bool preset_given = cli.count("preset") || (file.count("preset") && !replaced_sections.contains("model"));
    if (preset_given && spec.model.preset.empty()) {
        throw ParameterError("preset needs a name ('soma describe MODEL' lists the model's presets)");
    }
    if (spec.name.empty()) {
        // For a model file, its file name: examples/models/hh.eq with a step gives "hh.eq-step".
        const std::string model = model_label(spec.model.name);
        // For stimuli, each part's plug-in (a file's stem), without labels: "hh-step+ou".
        std::string stimuli;
        std::string_view rest = spec.stimulus.name;
        while (!rest.empty()) {
            const auto plus = rest.find('+');
            std::string_view part = rest.substr(0, plus);
            part = part.substr(0, part.rfind(':') == std::string_view::npos || part.find('/') != std::string_view::npos
                                      ? part.size()
                                      : part.rfind(':'));
            const std::string shown = part.find_first_of("/.") != std::string_view::npos
                                          ? std::filesystem::path(part).stem().string()
                                          : std::string(part);
            stimuli += (stimuli.empty() ? "" : "+") + shown;
            rest = plus == std::string_view::npos ? std::string_view{} : rest.substr(plus + 1);
        }
        spec.name = model + "-" + stimuli;
        if (spec.name.size() > max_output_name_length) spec.name = model + "-stimuli";  // many parts: give --name
    }
    check_output_name(spec.name, "--name");
    check_text("name", spec.name);
    check_text("title", spec.title);
    if (spec.title.empty()) {
        spec.title = fmt::format("{}{}, {} stimulus, {}", model_label(spec.model.name),
                                 spec.model.preset.empty() ? "" : " (preset " + spec.model.preset + ")",
                                 spec.stimulus.name, spec.integrator.name);
    }

    const bool recorders_from_cli = cli.count("recorder") > 0;
    const auto assign = [&](const std::string& key, const std::string& value, bool from_file) {
        const auto dot = key.find('.');
        const std::string section = key.substr(0, dot);
        const std::string origin = from_file ? lines.where(key) : "--set";
        if (dot == std::string::npos) {
            std::vector<std::string> known = option_names(file_options(extra));
            throw ParameterError(fmt::format("{}: {}", origin, unknown_name_message("setting", key, known)));
        }
        if (from_file && key.find('.', dot + 1) == std::string::npos) {
            // `t_stop = 50` under [model]: a top-level setting in a section (no plug-in has such a parameter).
            const std::string name = key.substr(dot + 1);
            const std::vector<std::string> settings = option_names(file_options());  // soma run's, not a command's own
            if (std::ranges::find(settings, name) != settings.end()) {
                throw ParameterError(fmt::format("{}: '{}' is a top-level setting, not a parameter of [{}]; write it above "
                                                 "the first [section]",
                                                 origin, name, section));
            }
        }
        if (from_file && replaced_sections.contains(section)) {
            scenario.notes.push_back(fmt::format("ignoring '{}' of the scenario file: it is for the {} the file "
                                                 "selects, and the command line selects another",
                                                 key, section));
            return;
        }
        if (from_file && recorders_from_cli && find_component(spec, section) == nullptr) {
            scenario.unselected_recorder_sections.emplace_back(section, origin);
            scenario.notes.push_back(fmt::format("ignoring '{}' of the scenario file: recorder '{}' is not among "
                                                 "the recorders given on the command line",
                                                 key, section));
            return;
        }
        auto [component, name] = component_of(spec, key, origin);
        component.parameters[name] = value;  // the text as typed, per-cell forms included
        if (from_file) scenario.origins[key] = origin;
        else scenario.origins.erase(key);
    };

    for (const auto& o : file_extra) assign(o.string_key, o.value.empty() ? "" : o.value.front(), true);
    if (cli.count("set")) {
        std::map<std::string, std::string> given;
        for (const auto& s : cli["set"].as<std::vector<std::string>>()) {
            const auto eq = s.find('=');
            if (eq == std::string::npos || s.find('.') > eq) {
                if (eq != std::string::npos) {
                    // --set dt=0.1: a setting of the run, which has an option of its own.
                    std::string option(trim(std::string_view(s).substr(0, eq)));
                    std::ranges::replace(option, '_', '-');
                    if (all.find_nothrow(option, false) != nullptr && option != "set") {
                        throw ParameterError(fmt::format("--set '{}': {} is a setting of the run, not a parameter of a "
                                                         "component: give --{} {}",
                                                         s, trim(std::string_view(s).substr(0, eq)), option,
                                                         trim(std::string_view(s).substr(eq + 1))));
                    }
                }
                throw ParameterError(fmt::format("--set '{}': expected KIND.PARAM=VALUE, e.g. --set model.g_Na=100", s));
            }
            // Blanks around '=' are allowed, as in a scenario file: --set 'model.g_Na = 100'.
            const std::string key(trim(std::string_view(s).substr(0, eq))), value(trim(std::string_view(s).substr(eq + 1)));
            if (const auto [it, fresh] = given.emplace(key, value); !fresh) {
                throw ParameterError(fmt::format("--set {} is given twice ('{}' and '{}'); set each parameter once",
                                                 it->first, it->second, value));
            }
            assign(key, value, false);
        }
    }
    last_origins() = scenario.origins;
    return scenario;
}

namespace {

/// The origin of the setting or parameter that `message` is about, or null: a setting's own message
/// ("dt = 0 ms is not allowed"), an option's ("--record-cells: cell 50 is out of range", for a
/// scenario file's `record_cells`, then written as the key), "parameter 'NAME'" of a component's
/// message, a stimulus window's "stimulus onset = ...", or an unknown plug-in or preset name. `message`
/// receives the text to show after the origin.
const std::string* origin_of(const std::map<std::string, std::string>& origins, std::string& message) {
    for (const auto& [key, origin] : origins) {
        if (key.find('.') != std::string::npos) continue;
        if (message.starts_with(key + " = ")) return &origin;
        std::string option = "--" + key;
        std::ranges::replace(option, '_', '-');
        if (message.starts_with(option) && message.size() > option.size() &&
            (message[option.size()] == ':' || message[option.size()] == ' ')) {
            message = key + message.substr(option.size());
            return &origin;
        }
    }
    // "unknown model plug-in 'hx'", "model 'hh': unknown preset 'foo'": the key that names it.
    const auto key = [&](const std::string& k) {
        const auto it = origins.find(k);
        return it == origins.end() ? nullptr : &it->second;
    };
    for (const std::string kind : {"model", "stimulus", "integrator", "recorder"}) {
        if (message.starts_with("unknown " + kind + " plug-in '")) return key(kind);
    }
    if (message.find(": unknown preset '") != std::string::npos) return key("preset");
    // "stimulus 'step', cell 0: offset = 10 ms must be after onset = 20 ms": the line of that parameter.
    for (const std::string kind : {"model", "stimulus"}) {
        if (!message.starts_with(kind + " '")) continue;
        const auto colon = message.find(": ");
        const auto equals = colon == std::string::npos ? colon : message.find(" = ", colon + 2);
        if (equals == std::string::npos) break;
        if (const auto* origin = key(kind + "." + message.substr(colon + 2, equals - colon - 2))) return origin;
    }
    // What is wrong with the stimulus or recorder line as a whole (its labels, its combination).
    if (message.starts_with("two stimuli are labelled '") ||
        (message.starts_with("stimulus '") && message.find("parameter '") == std::string::npos)) {
        return key("stimulus");
    }
    if (message.starts_with("recorder 'none' cannot be combined")) return key("recorder");
    std::string name, section;
    if (const auto at = message.find("parameter '"); at != std::string::npos) {
        const auto begin = at + std::string_view("parameter '").size();
        const auto end = message.find('\'', begin);
        if (end == std::string::npos) return nullptr;
        name = message.substr(begin, end - begin);
        // "model 'hh': parameter ...", "recorder 'csv': ...": the section; a setting has none.
        for (const std::string kind : {"model", "stimulus", "integrator"}) {
            if (message.starts_with(kind + " '")) section = kind;
        }
        if (message.starts_with("recorder '")) {
            const auto quote = message.find('\'', 10);
            if (quote != std::string::npos) section = message.substr(10, quote - 10);
        }
    } else if (message.starts_with("stimulus ")) {  // "stimulus onset = 20.005 ms ...", "stimulus onset of cell 3 = "
        const auto end = message.find_first_of(" =", 9);
        if (end == std::string::npos) return nullptr;
        name = message.substr(9, end - 9);
        section = "stimulus";
    } else {
        return nullptr;
    }
    const auto it = origins.find(section.empty() ? name : section + "." + name);
    return it == origins.end() ? nullptr : &it->second;
}

}  // namespace

std::string with_scenario_origin(const std::string& message) {
    const auto& origins = last_origins();
    if (origins.empty()) return message;
    std::string text = message;
    const std::string* origin = origin_of(origins, text);
    std::string shown = origin == nullptr || message.starts_with(*origin) ? message : fmt::format("{}: {}", *origin, text);
    // A value that is wrong for the scenario's dt (off its grid, say): where dt is set, too.
    const auto dt = origins.find("dt");
    if (dt != origins.end() && origin != &dt->second && message.find("dt = ") != std::string::npos) {
        shown += fmt::format(" (dt is set at {})", dt->second);
    }
    return shown;
}

}  // namespace soma::app
