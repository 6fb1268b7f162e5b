#include "convert.hpp"

#include "soma/error.hpp"
#include "soma/parameter.hpp"

#include <fmt/format.h>

#include <algorithm>
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
    spec.name = args.name;
    spec.output_dir = args.output_dir;
    spec.title = args.title.empty() ? fmt::format("{}, {} stimulus, {}", args.model, args.stimulus, args.integrator)
                                    : args.title;

    // The component each KIND.PARAM key belongs to, as `soma run --set` assigns them (scenario.cpp).
    std::map<std::string, ComponentSpec*> components{
        {"model", &spec.model}, {"stimulus", &spec.stimulus}, {"integrator", &spec.integrator}};
    std::vector<std::string> sections{"model", "stimulus", "integrator"};
    for (auto& r : spec.recorders) {
        components.emplace(r.name, &r);
        sections.push_back(r.name);
    }
    const auto component = [&](const std::string& key) -> std::pair<ComponentSpec&, std::string> {
        const auto dot = key.find('.');
        if (dot == std::string::npos) {
            throw ParameterError(fmt::format("params: '{}': expected KIND.PARAM, e.g. {{'model.g_Na': 100}}", key));
        }
        const std::string section = key.substr(0, dot);
        const auto it = components.find(section);
        if (it == components.end()) {
            throw ParameterError(fmt::format(
                "params: '{}' names no component of this run; {} (a recorder's parameters need it in the recorder list)",
                key, unknown_name_message("component", section, sections)));
        }
        return {*it->second, key.substr(dot + 1)};
    };
    for (const auto& [key, text] : args.text_parameters) {
        auto [target, name] = component(key);
        target.parameters[name] = text;
    }
    for (const auto& [key, values] : args.array_parameters) {
        auto [target, name] = component(key);
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
    d["recording_note"] = info.recording.note;
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
