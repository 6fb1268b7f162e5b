#include "convert.hpp"

#include "output_directory.hpp"

#include "soma/error.hpp"
#include "soma/parameter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

namespace py = pybind11;

namespace soma::python {

RunSpec to_run_spec(const RunArguments& args) {
    RunSpec spec;
    spec.model = {args.model, args.preset, {}};
    spec.stimulus = {args.stimulus, {}, {}};
    spec.integrator = {args.integrator, {}, {}};
    spec.recorders.clear();
    for (const auto& r : args.recorders) spec.recorders.push_back({r, {}, {}});
    spec.settings = RunSettings{args.t_stop, args.dt, args.record_interval, args.cells, args.threads, args.seed};
    if (args.cells_from) spec.cells_from = *args.cells_from;
    if (args.record) spec.record.variables = *args.record;
    spec.record.cells = args.record_cells;
    app::check_output_name(args.name, "--name");
    spec.name = args.name;
    spec.output_dir = args.output_dir;
    spec.title = args.title.empty() ? fmt::format("{}, {} stimulus, {}", args.model, args.stimulus, args.integrator)
                                    : args.title;

    // Each KIND.PARAM key to its component, as `soma run --set` assigns them.
    for (const auto& [key, text] : args.text_parameters) {
        auto [target, name] = component_of(spec, key, "params");
        target.parameters[name] = text;
    }
    for (const auto& [key, values] : args.array_parameters) {
        auto [target, name] = component_of(spec, key, "params");
        if (&target == &spec.model || &target == &spec.stimulus) {
            target.cell_values.emplace(name, CellValues::list(values));
        } else {
            // The framework refuses per-cell values of an integrator or a recorder with the message of --set.
            std::string text;
            for (const double v : values) text += fmt::format("{}{}", text.empty() ? "" : ",", v);
            target.parameters[name] = text;
        }
    }
    return spec;
}

namespace {

/// The command's option -> the Python keyword that takes the same value (docs/python.md).
const std::map<std::string, std::string, std::less<>>& python_keywords() {
    static const std::map<std::string, std::string, std::less<>> names{
        {"algorithm", "algorithm"},   {"amplitude", "amplitude"},
        {"batch", "batch"},           {"cells", "cells"},
        {"cells-from", "cells_from"}, {"count-tolerance", "count_tolerance"},
        {"delta", "delta"},
        {"dt", "dt"},                 {"firing", "firing"},
        {"fit", "fit"},               {"force", "force=True"},
        {"generations", "generations"}, {"held-out", "held_out"},
        {"high", "high"},             {"integrator", "integrator"},
        {"low", "low"},               {"min-reliability", "min_reliability"},
        {"model", "model"},
        {"name", "name"},             {"objective", "objective"},
        {"output", "output_dir"},     {"parameter", "parameter"},
        {"population", "population"}, {"preset", "preset"},
        {"record", "record"},         {"record-cells", "record_cells"},
        {"record-interval", "record_interval"}, {"recorder", "recorders"},
        {"recording", "recording"},   {"recording-dt", "recording_dt"},
        {"seed", "seed"},             {"set", "params"},
        {"spike-threshold", "spike_threshold"}, {"spike-window", "spike_window"},
        {"stimulus", "stimulus"},     {"t-stop", "t_stop"},
        {"threads", "threads"},       {"title", "title"},
        {"tolerance", "tolerance"},   {"train", "train"},
        {"vary", "vary"},             {"weight", "weight"},
        {"window", "window"}};
    return names;
}

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

/// Words of the command's messages that have other names in Python, replaced whole before the options:
/// the commands and the scenario file, which Python does not have.
constexpr std::pair<std::string_view, std::string_view> python_phrases[] = {
    {"'soma describe MODEL'", "soma.describe(MODEL)"},
    {"'soma describe NAME'", "soma.describe(NAME)"},
    {"'soma describe'", "soma.describe(...)"},
    {"'soma list'", "soma.list()"},
    {"(--cells, or cells in a scenario file)", "(cells)"},
    {"by --set (or the scenario)", "by params"},
    {"(--set or the scenario)", "(params)"},
    {"(from the scenario or --set)", "(from params)"},
};

/// A model, stimulus or integrator parameter named as in --set ("set stimulus.after_end = 1",
/// "set stimulus.amplitude to ..."): the length of KIND.PARAM at the start of `text`, or 0.
std::size_t parameter_name_length(std::string_view text) {
    for (const std::string_view kind : {"model.", "stimulus.", "integrator."}) {
        if (!text.starts_with(kind)) continue;
        std::size_t end = kind.size();
        while (end < text.size() && (is_name_char(text[end]) || (text[end] >= 'A' && text[end] <= 'Z') ||
                                     (text[end] == '.' && end + 1 < text.size() && is_name_char(text[end + 1])))) {
            ++end;
        }
        return end > kind.size() ? end : 0;
    }
    return 0;
}

}  // namespace

std::string python_names(std::string_view original) {
    std::string replaced(original);
    for (const auto& [from, to] : python_phrases) {
        for (auto at = replaced.find(from); at != std::string::npos; at = replaced.find(from, at + to.size())) {
            replaced.replace(at, from.size(), to);
        }
    }
    // "set KIND.PARAM" (the command's --set) -> "set params['KIND.PARAM']".
    for (auto at = replaced.find("set "); at != std::string::npos; at = replaced.find("set ", at + 1)) {
        if (at > 0 && is_name_char(replaced[at - 1])) continue;  // "offset ..."
        const std::size_t from = at + 4;
        if (const std::size_t n = parameter_name_length(std::string_view(replaced).substr(from)); n > 0) {
            std::string key = replaced.substr(from, n);
            std::size_t end = from + n;
            if (replaced.compare(end, 3, " = ") == 0) end += 3;  // "set K.P = 1" -> "set params['K.P']=1"
            replaced.replace(from, end - from, fmt::format("params['{}']{}", key, end > from + n ? "=" : ""));
        }
    }
    const std::string_view message = replaced;
    const auto& keywords = python_keywords();
    std::string out;
    std::size_t i = 0;
    while (i < message.size()) {
        const bool option_start = message.compare(i, 2, "--") == 0 && (i == 0 || !is_name_char(message[i - 1])) &&
                                  i + 2 < message.size() && message[i + 2] >= 'a' && message[i + 2] <= 'z';
        if (!option_start) {
            out += message[i++];
            continue;
        }
        std::size_t end = i + 2;
        while (end < message.size() && is_name_char(message[end])) ++end;
        while (message[end - 1] == '-') --end;
        const std::string_view option = message.substr(i + 2, end - i - 2);
        const auto it = keywords.find(option);
        if (it == keywords.end()) {
            out += message.substr(i, end - i);
            i = end;
            continue;
        }
        const std::string& keyword = it->second;
        std::string_view rest = message.substr(end);
        // What follows the option: ' KIND.PARAM=VALUE' (--set, --vary, --fit), " 'TEXT'", ' NUMBER', ' none'.
        if (rest.starts_with(' ') && (option == "set" || option == "vary" || option == "fit")) {
            const bool quoted = rest.size() > 1 && rest[1] == '\'';
            const std::size_t from = quoted ? 2 : 1;
            const std::size_t stop = quoted ? rest.find('\'', from) : rest.find(' ', from);
            const std::string_view item = rest.substr(from, stop == std::string_view::npos ? std::string_view::npos : stop - from);
            const auto eq = item.find('=');
            const auto dot = item.find('.');
            if (eq != std::string_view::npos && dot != std::string_view::npos && dot < eq &&
                (!quoted || stop != std::string_view::npos)) {
                std::string_view value = item.substr(eq + 1);
                const bool punctuated = !quoted && value.ends_with(':');  // "--fit model.b=1:2: the bounds ..."
                if (punctuated) value.remove_suffix(1);
                if (const auto colon = value.find(':'); option == "fit" && colon != std::string_view::npos) {
                    // --fit model.b=LOW:HIGH -> fit={'model.b': (LOW, HIGH)}
                    out += fmt::format("fit={{'{}': ({}, {})}}{}", item.substr(0, eq), value.substr(0, colon),
                                       value.substr(colon + 1), punctuated ? ":" : "");
                } else {
                    if (punctuated) value = item.substr(eq + 1);
                    out += fmt::format("{}['{}']={}", keyword, item.substr(0, eq), value);
                }
                i = end + from + item.size() + (quoted ? 1 : 0);
                continue;
            }
        }
        if (rest.starts_with(" '")) {
            if (const auto close = rest.find('\'', 2); close != std::string_view::npos) {
                out += fmt::format("{}={}", keyword, rest.substr(1, close));
                i = end + close + 1;
                continue;
            }
        }
        if (rest.starts_with(' ') && rest.size() > 1) {
            double x = 0;
            const char* first = rest.data() + 1;
            const auto [ptr, ec] = std::from_chars(first, rest.data() + rest.size(), x);
            if (ec == std::errc{} && ptr > first) {
                std::string_view number(first, static_cast<std::size_t>(ptr - first));
                while (number.size() > 1 && number.back() == '.') number.remove_suffix(1);  // a sentence's full stop
                out += fmt::format("{}={}", keyword, number);
                i = end + 1 + number.size();
                continue;
            }
        }
        if (option == "recorder" && rest.starts_with(" none")) {
            out += "recorders=[]";
            i = end + 5;
            continue;
        }
        out += keyword;
        i = end;
    }
    return out;
}

namespace {

constexpr std::size_t longest_shown = 80;  ///< longer values are abbreviated to their first 60 characters

/// `value` as a message shows it: whole up to longest_shown characters, else "FIRST 60…(N characters)".
std::string abbreviated(std::string_view value) {
    if (value.size() <= longest_shown) return std::string(value);
    std::size_t cut = 60;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
    return fmt::format("{}…({} characters)", value.substr(0, cut), value.size());
}

bool opens_quote(std::string_view text, std::size_t at) {
    return text[at] == '\'' && (at == 0 || std::string_view(" =(\"[").find(text[at - 1]) != std::string_view::npos);
}

bool closes_quote(std::string_view text, std::size_t at) {
    return text[at] == '\'' && (at + 1 == text.size() || std::string_view(" ;,:.)]").find(text[at + 1]) != std::string_view::npos);
}

}  // namespace

std::string readable_message(std::string_view message) {
    std::string out;
    std::size_t i = 0;
    while (i < message.size()) {
        if (opens_quote(message, i)) {  // a quoted value: 'TEXT'
            std::size_t close = i + 1;
            while (close < message.size() && !closes_quote(message, close)) ++close;
            if (close < message.size()) {
                out += fmt::format("'{}'", abbreviated(message.substr(i + 1, close - i - 1)));
                i = close + 1;
                continue;
            }
        }
        if (message[i] != ' ') {  // a word: a value shown without quotes
            const std::size_t end = std::min(message.find(' ', i), message.size());
            std::string_view word = message.substr(i, end - i);
            if (word.size() > longest_shown && word.find('\'') == std::string_view::npos) {
                out += abbreviated(word);
                i = end;
                continue;
            }
        }
        out += message[i++];
    }
    return out;
}

namespace {

py::list variables(const std::vector<Variable>& vars) {
    py::list out;
    for (const auto& v : vars) out.append(py::dict(py::arg("name") = v.name, py::arg("unit") = v.unit,
                                                   py::arg("description") = v.description));
    return out;
}

}  // namespace

void add_cell_parameters(py::dict& table, const RunInfo& info) {
    for (const auto& p : info.cell_parameters) table[py::str(p.component + "." + p.name)] = to_array(p.values);
}

py::dict info_dict(const RunInfo& info) {
    py::dict d;
    d["soma_version"] = info.soma_version;
    d["title"] = info.title;
    d["model"] = info.model;
    d["preset"] = info.preset;
    d["stimulus"] = info.stimulus;
    d["integrator"] = info.integrator;
    d["recorders"] = info.recorders;
    d["dt"] = info.dt;
    d["t_stop"] = info.t_stop;
    d["n_steps"] = info.n_steps;
    d["record_every"] = info.record_every;
    d["record_interval"] = static_cast<double>(info.record_every) * info.dt;
    d["n_cells"] = info.n_cells;
    d["threads"] = info.threads;
    d["seed"] = info.seed;
    d["state_variables"] = variables(info.state_variables);
    d["current"] = py::dict(py::arg("name") = info.current.name, py::arg("unit") = info.current.unit,
                            py::arg("description") = info.current.description);
    d["recorded"] = info.recording.samples ? variables(info.recording.variables) : py::list();
    d["recorded_cells"] = to_array(std::vector<std::int64_t>(info.recording.cells.begin(), info.recording.cells.end()));
    d["recording_note"] = python_names(info.recording.note);  // it names options
    d["thresholds"] = to_array(info.thresholds);
    // Units of everything a result holds, by the name it has there.
    py::dict units;
    units["t"] = "ms";
    for (const auto& v : info.state_variables) units[py::str(v.name)] = v.unit;
    for (const auto& v : info.recording.variables) units[py::str(v.name)] = v.unit;
    py::dict parameters;
    for (const auto& p : info.parameters) {
        const std::string key = p.component + "." + p.name;
        parameters[py::str(key)] = p.value;
        units[py::str(key)] = p.unit;
    }
    py::dict cell_parameters;
    for (const auto& p : info.cell_parameters) {
        const std::string key = p.component + "." + p.name;
        cell_parameters[py::str(key)] = py::dict(py::arg("unit") = p.unit, py::arg("given_as") = p.given_as,
                                                 py::arg("values") = to_array(p.values));
        units[py::str(key)] = p.unit;
    }
    d["parameters"] = parameters;
    d["cell_parameters"] = cell_parameters;
    d["units"] = units;
    d["output_dir"] = info.output_dir.string();
    d["name"] = info.stem;
    return d;
}

}  // namespace soma::python
