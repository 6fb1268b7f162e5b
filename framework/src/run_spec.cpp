#include "soma/run_spec.hpp"

#include "soma/error.hpp"
#include "soma/parameter.hpp"
#include "soma/readable_number.hpp"
#include "soma/model_from_file.hpp"
#include "soma/registry.hpp"
#include "soma/stimulus_from_file.hpp"
#include "soma/stimulus_sum.hpp"
#include "soma/suggested_drive.hpp"
#include "soma/version.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/evp.h>

#include <sched.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

namespace soma {

namespace {

/// A model or stimulus parameter given per cell (a list, linspace, a random draw or a table column).
struct PerCell {
    std::size_t index = 0;  // into the component's schema
    std::string full_name;  // e.g. "model.g_Na"
    CellValues values;
};

/// One of the two components whose parameters take per-cell values.
struct CellComponent {
    std::string kind;  // "model" or "stimulus"
    std::string plugin;
    Component* object = nullptr;
    std::map<std::string, double> constants;
    std::vector<PerCell> per_cell;
    const PluginRegistry* registry = nullptr;  // for a stimulus: to name the stimuli that have a parameter it lacks

    [[nodiscard]] std::string label() const { return fmt::format("{} '{}'", kind, plugin); }
};

template <class F>
void with_prefix(const std::string& prefix, F&& f) {
    try {
        f();
    } catch (const ParameterError& e) {
        throw ParameterError(fmt::format("{}: {}", prefix, e.what()));
    }
}

/// For a parameter `name` that plug-in `self` of `kind` does not have: which other plug-ins of that kind
/// have it (" 'rtol' is a parameter of the integrators cvode and dopri5: choose one with --integrator."),
/// or "". Loads the plug-ins of that kind (this is the path of an error); one that cannot be made is
/// skipped.
/// For a parameter `name` that no component has: when it is a setting of the run (dt, t_stop, ...), how to
/// give it; else "".
std::string run_setting_hint(const std::string& name) {
    static constexpr std::array<std::string_view, 6> settings{"dt", "t_stop", "record_interval", "cells", "threads", "seed"};
    if (std::ranges::find(settings, name) == settings.end()) return {};
    std::string option = name;
    std::ranges::replace(option, '_', '-');
    return fmt::format(" '{}' is a setting of the whole run, not a parameter: give --{} (in a scenario file, "
                       "{} = VALUE before any section).",
                       name, option, name);
}

std::string plugins_with_parameter(const PluginRegistry& registry, PluginKind kind, std::string_view self,
                                   const std::string& name) {
    if (kind != PluginKind::stimulus && kind != PluginKind::integrator) return {};
    std::vector<std::string> have;
    for (const auto& info : registry.plugins(kind)) {
        if (info.name == self) continue;
        try {
            const std::shared_ptr<const Component> object =
                kind == PluginKind::stimulus
                    ? std::shared_ptr<const Component>(registry.create<Stimulus>(kind, info.name))
                    : std::shared_ptr<const Component>(registry.create<Integrator>(kind, info.name));
            if (std::ranges::any_of(object->schema(), [&](const ParameterSpec& p) { return p.name == name; })) {
                have.push_back(info.name);
            }
        } catch (const std::exception&) {  // a plug-in that cannot be made has no say here
        }
    }
    if (have.empty()) return {};
    const std::string listed = have.size() == 1 ? have.front()
                                                : fmt::format("{} and {}", fmt::join(have.begin(), have.end() - 1, ", "),
                                                              have.back());
    const std::string_view plural = kind == PluginKind::stimulus ? "stimuli" : "integrators";
    return fmt::format(" '{}' is a parameter of the {} {}: choose {} with --{}.", name,
                       have.size() == 1 ? to_string(kind) : plural, listed, have.size() == 1 ? "it" : "one",
                       to_string(kind));
}

/// The parts of a stimulus text "A+B:label+FILE", split as build_simulation splits them.
std::vector<StimulusPart> stimulus_parts(std::string_view text) {
    std::vector<StimulusPart> parts;
    while (true) {
        const auto plus = text.find('+');
        parts.push_back(split_stimulus_part(text.substr(0, plus)));
        if (plus == std::string_view::npos) return parts;
        text.remove_prefix(plus + 1);
    }
}

/// Index of parameter `name` of `self`; for an unknown name that `other` has, says so.
std::size_t parameter_index(const CellComponent& self, const CellComponent& other, const std::string& name) {
    try {
        return self.object->index_of(name);
    } catch (const ParameterError& e) {
        const auto schema = other.object->schema();
        if (std::ranges::any_of(schema, [&](const ParameterSpec& s) { return s.name == name; })) {
            throw ParameterError(fmt::format("{}: '{}' is not a parameter of the {}; it is a parameter of the {}: "
                                             "write {}.{}",
                                             self.label(), name, self.kind, other.label(), other.kind, name));
        }
        if (self.kind == "stimulus" && name.find('.') == std::string::npos && self.plugin.find('+') != std::string::npos) {
            // stimulus.amplitude in a sum: the parts that have it, by LABEL.amplitude.
            std::vector<std::string> parts;
            for (const auto& p : self.object->schema()) {
                if (p.name.ends_with("." + name)) parts.push_back("'stimulus." + p.name + "'");
            }
            if (!parts.empty()) {
                throw ParameterError(fmt::format("{}: unknown parameter '{}': the parameters of a sum of stimuli are "
                                                 "named LABEL.PARAM, one per part; did you mean {}?",
                                                 self.label(), name, fmt::join(parts, " or ")));
            }
        }
        if (const auto dot = name.find('.'); self.kind == "stimulus" && dot != std::string::npos) {
            // stimulus.LABEL.PARAM with a label that no part of the stimulus has.
            const std::string label = name.substr(0, dot);
            std::vector<std::string> labels;
            for (const auto& part : stimulus_parts(self.plugin)) labels.push_back(part.label);
            if (std::ranges::find(labels, label) == labels.end()) {
                const std::string closest = closest_name(label, labels);
                std::vector<std::string> quoted;
                for (const auto& l : labels) quoted.push_back("'" + l + "'");
                const std::string advice =
                    closest.empty() ? fmt::format("to add it, sum it with the run's stimulus: --stimulus {} --stimulus {} "
                                                  "(stimulus = {}+{} in a scenario file; PLUGIN:{} labels another "
                                                  "plug-in)",
                                                  self.plugin, label, self.plugin, label, label)
                                    : fmt::format("did you mean '{}.{}'?", closest, name.substr(dot + 1));
                throw ParameterError(fmt::format("{}: parameter '{}' belongs to a stimulus labelled '{}', and the run "
                                                 "has none (its stimulus label{}: {}); {}",
                                                 self.label(), name, label, labels.size() == 1 ? "" : "s",
                                                 fmt::join(quoted, ", "), advice));
            }
        }
        std::string hint = run_setting_hint(name);
        if (hint.empty() && self.registry != nullptr && self.plugin.find('+') == std::string::npos) {
            hint = plugins_with_parameter(*self.registry, PluginKind::stimulus, self.plugin, name);
        }
        throw ParameterError(fmt::format("{}: {}{}", self.label(), e.what(), hint));
    }
}

void add_given(CellComponent& self, const CellComponent& other, const std::string& name, CellValues values) {
    const std::size_t index = parameter_index(self, other, name);
    const std::string full_name = self.kind + "." + name;
    if (values.form() == CellValues::Form::scalar) {
        self.constants[name] = values.expand(full_name, 1, 0).front();
    } else {
        self.per_cell.push_back({index, full_name, std::move(values)});
    }
}

/// The per-cell table of `c`: its (scalar) values in every cell, then the per-cell values, each cell
/// validated against the ranges and the component's constraints.
StateBatch expand(const CellComponent& c, std::size_t n_cells, std::uint64_t seed,
                  std::vector<CellParameterRecord>& records, std::string_view current_unit) {
    const auto schema = c.object->schema();
    const auto defaults = c.object->values().values();
    StateBatch table(schema.size(), n_cells);
    for (std::size_t k = 0; k < schema.size(); ++k) std::ranges::fill(table.var(k), defaults[k]);
    for (const auto& [name, value] : c.constants) std::ranges::fill(table.var(c.object->index_of(name)), value);
    for (const auto& p : c.per_cell) {
        const auto values = p.values.expand(p.full_name, n_cells, seed);
        std::ranges::copy(values, table.var(p.index).begin());
        if (p.values.varies()) {
            records.push_back({c.kind, schema[p.index].name, resolve_unit(schema[p.index].unit, current_unit),
                               p.values.to_string(), values});
        }
    }
    if (c.per_cell.empty()) return table;
    std::vector<double> cell(schema.size());
    for (std::size_t j = 0; j < n_cells; ++j) {
        for (std::size_t k = 0; k < schema.size(); ++k) cell[k] = table.var(k)[j];
        try {
            c.object->validate(cell);
        } catch (const ParameterError& e) {
            std::string given;
            for (const auto& p : c.per_cell) {
                given += fmt::format("; {} is {}", p.full_name, p.values.to_string());
                if (p.values.form() == CellValues::Form::normal || p.values.form() == CellValues::Form::uniform) {
                    given += fmt::format(" with seed {}", seed);
                }
            }
            throw ParameterError(fmt::format("{}, cell {}: {}{}", c.label(), j, e.what(), given));
        }
    }
    return table;
}

}  // namespace

namespace {

/// The cores this process may use: those it is bound to, if a launcher (mpirun, taskset) bound it to
/// fewer than the machine has; else the machine's, shared among the run's ranks on it.
std::size_t default_threads(const Distribution& distribution) {
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        if (const auto bound = static_cast<std::size_t>(CPU_COUNT(&set)); bound > 0 && bound < cores) return bound;
    }
    return std::max<std::size_t>(1, cores / distribution.ranks_on_node());
}

/// SHA-256 of the file's bytes as 64 hex digits (OpenSSL's EVP interface).
/// @throws RunError when the file cannot be read.
std::string sha256_of(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw RunError(fmt::format("cannot read '{}' to record its hash in the metadata", file.string()));
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
        throw RunError("OpenSSL could not start a SHA-256 digest");
    }
    std::array<char, 1 << 16> buffer{};
    while (in) {
        in.read(buffer.data(), buffer.size());
        if (in.gcount() > 0) EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) throw RunError(fmt::format("cannot read '{}' to record its hash in the metadata", file.string()));
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(context.get(), digest.data(), &length);
    std::string hex;
    for (unsigned int k = 0; k < length; ++k) hex += fmt::format("{:02x}", digest[k]);
    return hex;
}

/// The plug-ins and input files of `spec`, for RunInfo.
void record_provenance(const PluginRegistry& registry, const RunSpec& spec, RunInfo& info) {
    for (const auto& [kind, name] : plugins_of(spec)) {
        const PluginInfo& p = registry.find(kind, name);
        info.plugins.push_back({std::string(to_string(kind)), p.name, p.version, p.file});
    }
    const auto input = [&](std::string role, const std::filesystem::path& path) {
        info.inputs.push_back({std::move(role), path, sha256_of(path)});
    };
    if (is_model_file(spec.model.name)) input("model file", spec.model.name);
    for (const auto& part : stimulus_parts(spec.stimulus.name)) {
        if (is_stimulus_file(part.plugin)) input("stimulus file", part.plugin);
    }
    if (spec.cells_from) input("cell table", *spec.cells_from);
    if (spec.scenario_file) input("scenario file", *spec.scenario_file);
    info.command_line = spec.command_line;
}

Simulation build(const PluginRegistry& registry, const RunSpec& spec,
                 std::vector<std::shared_ptr<Recorder>> extra_recorders, std::shared_ptr<Distribution> distribution) {
    const auto model = create_model(registry, spec.model.name);  // a plug-in's name, or a model file's path
    const auto stimulus = make_stimulus(registry, spec.stimulus.name);  // a plug-in, a file, or a sum of them
    const auto integrator = registry.create<Integrator>(PluginKind::integrator, spec.integrator.name);
    std::vector<std::shared_ptr<Recorder>> recorders;
    for (const auto& r : spec.recorders) recorders.push_back(registry.create<Recorder>(PluginKind::recorder, r.name));

    if (!spec.model.preset.empty()) {
        with_prefix(fmt::format("model '{}'", spec.model.name), [&] { model->apply_preset(spec.model.preset); });
    }
    for (const auto* other : {&spec.stimulus, &spec.integrator}) {
        if (!other->preset.empty()) {
            throw ParameterError(fmt::format("preset '{}' given for '{}': presets belong to models", other->preset,
                                             other->name));
        }
    }
    const auto configure_scalar = [&](Component& object, const ComponentSpec& c, std::string_view kind) {
        with_prefix(fmt::format("{} '{}'", kind, c.name), [&] {
            for (const auto& [name, text] : c.parameters) {
                try {
                    (void)object.index_of(name);  // an unknown name first, with its suggestion
                } catch (const ParameterError& e) {
                    if (const std::string hint = run_setting_hint(name); !hint.empty()) {
                        throw ParameterError(std::string(e.what()) + hint);
                    }
                    if (kind != "integrator") throw;
                    throw ParameterError(std::string(e.what()) +
                                         plugins_with_parameter(registry, PluginKind::integrator, c.name, name));
                }
                if (text.find_first_of(",(") != std::string::npos) {
                    throw ParameterError(fmt::format("parameter '{}' = '{}': {} parameters take one value for the "
                                                     "whole run, not one per cell",
                                                     name, text, kind));
                }
            }
            object.configure(c.parameters);
        });
    };
    configure_scalar(*integrator, spec.integrator, "integrator");
    for (std::size_t r = 0; r < recorders.size(); ++r) configure_scalar(*recorders[r], spec.recorders[r], "recorder");

    CellComponent m{"model", spec.model.name, model.get(), {}, {}};
    CellComponent s{"stimulus", spec.stimulus.name, stimulus.get(), {}, {}, &registry};
    // A single stimulus answers to its label too: stimulus.ou.sigma as stimulus.sigma (and, with a label,
    // stimulus.noise.sigma for ou:noise), as in a sum of stimuli.
    const std::string single_label = dynamic_cast<const StimulusSum*>(stimulus.get()) == nullptr
                                         ? split_stimulus_part(spec.stimulus.name).label + "."
                                         : std::string();
    const auto own_name = [&](const CellComponent* self, const std::string& name) {
        return self == &s && !single_label.empty() && name.starts_with(single_label) ? name.substr(single_label.size())
                                                                                     : name;
    };
    for (auto [self, other, given] : {std::tuple{&m, &s, &spec.model}, std::tuple{&s, &m, &spec.stimulus}}) {
        for (const auto& [given_name, text] : given->parameters) {
            const std::string name = own_name(self, given_name);
            const auto schema = self->object->schema();
            const auto spec_of = std::ranges::find(schema, name, &ParameterSpec::name);
            const std::string number = spec_of == schema.end() ? text : resolve_choice(*spec_of, self->kind + "." + name, text);
            add_given(*self, *other, name, CellValues::parse(self->kind + "." + name, number));
        }
        for (const auto& [given_name, values] : given->cell_values) {
            if (given->parameters.contains(given_name)) {
                throw ParameterError(fmt::format("{}.{} is given twice: by --set (or the scenario) and as per-cell "
                                                 "values ({}); give it once",
                                                 self->kind, given_name, values.to_string()));
            }
            add_given(*self, *other, own_name(self, given_name), values);
        }
    }
    if (spec.cells_from) {
        CellTable table;
        with_prefix("--cells-from", [&] { table = read_cell_table(*spec.cells_from); });
        if (const std::size_t n = spec.settings.n_cells; n != 0 && table.rows() != 1 && table.rows() != n) {
            throw ParameterError(fmt::format("--cells-from: {} has {} rows, one per cell, but the run asks for {} cell{} "
                                             "(--cells, or cells in a scenario file); give one row per cell, or leave "
                                             "--cells out",
                                             spec.cells_from->string(), table.rows(), n, n == 1 ? "" : "s"));
        }
        for (std::size_t col = 0; col < table.columns.size(); ++col) {
            const std::string& column = table.columns[col];
            const auto dot = column.find('.');
            const std::string kind = column.substr(0, dot);
            auto [self, other, given] = kind == "model" ? std::tuple{&m, &s, &spec.model} : std::tuple{&s, &m, &spec.stimulus};
            const std::string name = own_name(self, column.substr(dot + 1));
            if (given->parameters.contains(name) || given->cell_values.contains(name)) {
                throw ParameterError(fmt::format("{} is given twice: by --set (or the scenario) and by column '{}' of "
                                                 "{}; give it once",
                                                 column, column, spec.cells_from->string()));
            }
            const std::string source = fmt::format("column '{}' of {}", column, spec.cells_from->string());
            if (const std::string& unit = table.units[col]; !unit.empty()) {
                const auto& p = self->object->schema()[parameter_index(*self, *other, name)];
                const std::string expected = resolve_unit(p.unit, model->current().unit);
                if (unit != expected) {
                    throw ParameterError(fmt::format("--cells-from: {} gives '{}' in {}, but {} is in {}; convert the "
                                                     "column or leave the unit out of its header",
                                                     source, column, unit, column, expected));
                }
            }
            // Copies of the bindings: clang before 16 cannot capture a structured binding (the fuzz build's clang 14).
            with_prefix(source, [&, self = self, other = other] {
                add_given(*self, *other, name, CellValues::list(table.values[col], source));
            });
        }
    }
    // Configured with its constants and cell 0's per-cell values, so that a constraint between a constant and a
    // per-cell parameter (lif's V_reset < V_th) is checked against a value of the run, not a default;
    // every cell is checked against its own values below (expand).
    // If that fails, the per-cell check below says so for cell 0 with the forms and the seed (expand fills the
    // table from the constants themselves).
    std::exception_ptr cell_0_failed;
    for (auto* c : {&m, &s}) {
        if (c->per_cell.empty()) {
            with_prefix(c->label(), [&] { c->object->configure(c->constants); });
            continue;
        }
        auto values = c->constants;
        const auto schema = c->object->schema();
        for (const auto& p : c->per_cell) values[schema[p.index].name] = p.values.first(p.full_name, spec.settings.seed);
        try {
            with_prefix(c->label() + ", cell 0", [&] { c->object->configure(values); });
        } catch (const ParameterError&) {
            cell_0_failed = std::current_exception();
        }
    }

    std::vector<std::pair<std::string, std::size_t>> lengths;
    for (const auto* c : {&m, &s}) {
        for (const auto& p : c->per_cell) lengths.emplace_back(p.full_name, p.values.length());
    }
    RunSettings settings = spec.settings;
    settings.n_cells = common_cell_count(spec.settings.n_cells, lengths);
    if (settings.threads == 0) settings.threads = default_threads(*distribution);
    check_population_memory(settings.n_cells, *model, *stimulus, *integrator,
                            spec.caller_bytes_per_cell);  // before the per-cell arrays

    RunInfo info;
    info.soma_version = spec.soma_version.empty() ? std::string(version) : spec.soma_version;
    info.title = spec.title;
    info.model = spec.model.name;
    info.preset = spec.model.preset;
    info.stimulus = spec.stimulus.name;
    info.integrator = spec.integrator.name;
    for (const auto& r : spec.recorders) info.recorders.push_back(r.name);
    info.output_dir = spec.output_dir;
    info.stem = spec.name;
    record_provenance(registry, spec, info);

    const std::string current_unit = model->current().unit;
    CellParameters parameters;
    parameters.model = expand(m, settings.n_cells, settings.seed, info.cell_parameters, current_unit);
    parameters.stimulus = expand(s, settings.n_cells, settings.seed, info.cell_parameters, current_unit);
    if (cell_0_failed) std::rethrow_exception(cell_0_failed);  // not reached: expand refuses cell 0 first
    // The values shared by every cell: for the model and the stimulus, those of the per-cell table (a list or
    // linspace of equal values is shared too), else the component's.
    const auto add = [&](std::string_view component, const Component& c, const StateBatch* table) {
        const auto schema = c.schema();
        const auto values = c.values().values();
        for (std::size_t k = 0; k < schema.size(); ++k) {
            const bool varies = std::ranges::any_of(info.cell_parameters, [&](const CellParameterRecord& r) {
                return r.component == component && r.name == schema[k].name;
            });
            if (!varies) {
                info.parameters.push_back({std::string(component), schema[k].name,
                                           table != nullptr ? table->var(k)[0] : values[k],
                                           resolve_unit(schema[k].unit, current_unit)});
            }
        }
    };
    add("model", *model, &parameters.model);
    add("stimulus", *stimulus, &parameters.stimulus);
    add("integrator", *integrator, nullptr);
    for (std::size_t r = 0; r < recorders.size(); ++r) add(spec.recorders[r].name, *recorders[r], nullptr);

    recorders.insert(recorders.end(), extra_recorders.begin(), extra_recorders.end());
    return {model,    stimulus,    integrator, std::move(recorders), settings, std::move(info), std::move(parameters),
            spec.record, std::move(distribution)};
}

}  // namespace

Simulation build_simulation(const PluginRegistry& registry, const RunSpec& spec,
                            std::vector<std::shared_ptr<Recorder>> extra_recorders) {
    const auto distribution = spec.distribution ? spec.distribution : std::make_shared<SingleProcess>();
    std::optional<Simulation> simulation;
    std::exception_ptr failure;
    try {
        simulation.emplace(build(registry, spec, std::move(extra_recorders), distribution));
    } catch (...) {
        failure = std::current_exception();
    }
    agree(*distribution, failure);  // every rank throws the same error, or none does
    return std::move(*simulation);
}

ComponentSpec* find_component(RunSpec& spec, std::string_view kind) {
    if (kind == "model") return &spec.model;
    if (kind == "stimulus") return &spec.stimulus;
    if (kind == "integrator") return &spec.integrator;
    const auto it = std::ranges::find(spec.recorders, kind, &ComponentSpec::name);
    return it == spec.recorders.end() ? nullptr : &*it;
}

std::pair<ComponentSpec&, std::string> component_of(RunSpec& spec, std::string_view key, std::string_view origin) {
    const auto dot = key.find('.');
    if (dot == std::string_view::npos) {
        throw ParameterError(fmt::format("{}: '{}': expected KIND.PARAM, e.g. model.g_Na (KIND: model, stimulus, "
                                         "integrator or a recorder's name)",
                                         origin, key));
    }
    const std::string_view kind = key.substr(0, dot);
    ComponentSpec* component = find_component(spec, kind);
    if (component == nullptr) {
        std::vector<std::string> kinds{"model", "stimulus", "integrator"};
        for (const auto& r : spec.recorders) kinds.push_back(r.name);
        throw ParameterError(fmt::format(
            "{}: '{}' names no component of this run; {} (a recorder's parameters need it in the recorder list)",
            origin, key, unknown_name_message("component", kind, kinds)));
    }
    return {*component, std::string(key.substr(dot + 1))};
}

std::vector<std::pair<PluginKind, std::string>> plugins_of(const RunSpec& spec) {
    std::vector<std::pair<PluginKind, std::string>> plugins;
    plugins.emplace_back(PluginKind::model, is_model_file(spec.model.name) ? std::string(model_file_plugin) : spec.model.name);
    for (const auto& part : stimulus_parts(spec.stimulus.name)) {
        if (part.plugin.empty()) continue;
        plugins.emplace_back(PluginKind::stimulus,
                             is_stimulus_file(part.plugin) ? std::string(stimulus_file_plugin) : part.plugin);
    }
    plugins.emplace_back(PluginKind::integrator, spec.integrator.name);
    for (const auto& r : spec.recorders) plugins.emplace_back(PluginKind::recorder, r.name);
    return plugins;
}

std::string apply_suggested_drive(const PluginRegistry& registry, RunSpec& spec) {
    ComponentSpec& stimulus = spec.stimulus;
    // One plug-in (not a sum, a label or a current file), none of whose currents the user gave.
    if (stimulus.name.find_first_of("+:") != std::string::npos || is_stimulus_file(stimulus.name)) return {};
    const auto plugin = registry.create<Stimulus>(PluginKind::stimulus, stimulus.name);
    const auto schema = plugin->schema();
    // The columns of a --cells-from table give values as --set does (a table that cannot be read is
    // refused later, by build_simulation, with its error).
    std::vector<std::string> table_columns;
    if (spec.cells_from) {
        try {
            table_columns = read_cell_table(*spec.cells_from).columns;
        } catch (const Error&) {
        }
    }
    const auto in_table = [&](const std::string& name) {
        return std::ranges::any_of(table_columns, [&](const std::string& c) {
            return c == "stimulus." + name || c == "stimulus." + stimulus.name + "." + name;
        });
    };
    std::vector<const ParameterSpec*> currents;
    for (const auto& p : schema) {
        if (p.unit != model_current_unit) continue;
        if (stimulus.parameters.contains(p.name) || stimulus.cell_values.contains(p.name) || in_table(p.name)) return {};
        if (p.default_value != 0) currents.push_back(&p);
    }
    if (currents.empty()) return {};
    const auto model = create_model(registry, spec.model.name);
    const auto* suggests = dynamic_cast<const SuggestedDrive*>(model.get());
    const auto drive = suggests != nullptr ? suggests->suggested_step(spec.model.preset) : std::nullopt;
    if (!drive) {
        // A model without a suggestion (a model file, say) keeps the defaults: said when they are not in hh's unit.
        const std::string& unit = model->current().unit;
        if (unit == "uA/cm^2") return {};
        std::vector<std::string> values;
        for (const ParameterSpec* p : currents) {
            values.push_back(fmt::format("{} {}{}", p->name, readable(p->default_value), unit == "1" ? "" : " " + unit));
        }
        return fmt::format("the {} keeps its default {} (made for hh's uA/cm^2): {} suggests no drive{}{}; set "
                           "stimulus.{} to choose it",
                           stimulus.name, fmt::join(values, ", "), spec.model.name,
                           spec.model.preset.empty() ? "" : " for preset " + spec.model.preset,
                           is_model_file(spec.model.name) ? " (a model file suggests one with a line 'drive VALUE UNIT')"
                                                          : "",
                           currents.front()->name);
    }
    // The stimuli's defaults are made for hh (rest at 0 mV), whose suggested step is the step's default
    // amplitude: each is scaled by the model's step over that.
    const auto step = registry.create<Stimulus>(PluginKind::stimulus, "step");
    const auto step_schema = step->schema();
    const auto amplitude = std::ranges::find(step_schema, std::string("amplitude"), &ParameterSpec::name);
    if (amplitude == step_schema.end() || amplitude->default_value == 0) return {};
    const double scale = drive->amplitude / amplitude->default_value;
    if (scale == 1) return {};
    const std::string& unit = model->current().unit;
    const std::string shown_unit = unit == "1" ? "" : " " + unit;
    std::vector<std::string> values;
    for (const ParameterSpec* p : currents) {
        const double value = stimulus.name == "step" ? drive->amplitude : p->default_value * scale;
        stimulus.parameters[p->name] = fmt::format("{}", value);
        values.push_back(fmt::format("{} {}{}", p->name, readable(value, 6), shown_unit));
    }
    const std::string who_suggests = fmt::format("{} suggests{}", spec.model.name,
                                             spec.model.preset.empty() ? "" : " for preset " + spec.model.preset);
    const std::string change = currents.size() == 1 ? fmt::format("set stimulus.{} to change it", currents.front()->name)
                                                     : "set them (stimulus.NAME) to change them";
    if (stimulus.name == "step") {
        return fmt::format("the step's amplitude is {}{}, the drive {} ({}); {}", readable(drive->amplitude), shown_unit,
                           who_suggests, drive->source, change);
    }
    const std::string whose = stimulus.name + (stimulus.name.ends_with('s') ? "'" : "'s");  // the steps' I1
    // "amplitude 3.14 nA" -> "amplitude is 3.14 nA"; several: "amplitude is 1.1 nA and offset is 0.08 nA".
    for (auto& v : values) v.insert(v.find(' '), " is");
    const std::string listed = values.size() == 1 ? values.front()
                                                  : fmt::format("{} and {}", fmt::join(values.begin(), values.end() - 1, ", "),
                                                                values.back());
    return fmt::format("the {} {}: {} times {}, the step of {}{} that {} ({}) over the {} uA/cm^2 of hh that the "
                       "stimuli's defaults are made for; {}",
                       whose, listed, values.size() == 1 ? "its default" : "their defaults", readable(scale, 6),
                       readable(drive->amplitude), shown_unit, who_suggests, drive->source,
                       readable(amplitude->default_value), change);
}

namespace {

constexpr std::size_t max_cells_timed = std::size_t{1} << 20;

/// One plug-in of the stimulus (a part of a sum, or the stimulus itself): its label, and the prefixes its
/// parameters take in the run's description (a single stimulus answers to its label too, stimulus.ou.sigma
/// as stimulus.sigma). `plugin` is empty for a current file, which has no onset or offset.
struct TimedPart {
    std::string plugin, label;
    std::vector<std::string> prefixes;
};

std::vector<TimedPart> timed_parts(const ComponentSpec& stimulus) {
    const auto items = stimulus_parts(stimulus.name);
    std::vector<TimedPart> parts;
    for (const auto& part : items) {
        if (is_stimulus_file(part.plugin)) {
            parts.push_back({{}, part.label, {}});
        } else if (items.size() == 1) {
            parts.push_back({part.plugin, part.label, {"", part.label + "."}});
        } else {
            parts.push_back({part.plugin, part.label, {part.label + "."}});
        }
    }
    return parts;
}

/// The time `name` (ms) of `part` of the stimulus of `spec` in each cell, or one value when it is the same in
/// every cell: given (one value or per-cell values: a list, linspace, a column of the `cells_from` table, or
/// draws when `spec.settings.n_cells` is given) or the plug-in's default. nullopt when the part has no such
/// parameter (ou, sine, a current file); empty when it cannot be told here: draws for a count that the lists
/// fix, values that differ across more than max_cells_timed cells, or values that build_simulation refuses
/// (and names) itself.
std::optional<std::vector<double>> part_times(const PluginRegistry& registry, const RunSpec& spec, const TimedPart& part,
                                              const std::string& name) {
    if (part.plugin.empty()) return std::nullopt;
    std::shared_ptr<const Stimulus> plugin;
    try {
        plugin = registry.create<Stimulus>(PluginKind::stimulus, part.plugin);
    } catch (const Error&) {
        return std::vector<double>{};  // an unknown plug-in, an empty label: build_simulation names it
    }
    const auto schema = plugin->schema();
    const auto it = std::ranges::find(schema, name, &ParameterSpec::name);
    if (it == schema.end()) return std::nullopt;
    const ComponentSpec& stimulus = spec.stimulus;
    try {
        std::string full_name = "stimulus." + part.prefixes.front() + name;
        auto values = CellValues::constant(it->default_value);
        std::optional<CellTable> table;  // read when a value is not given otherwise
        for (const auto& prefix : part.prefixes) {
            const std::string key = prefix + name;
            std::optional<CellValues> given;
            if (const auto v = stimulus.cell_values.find(key); v != stimulus.cell_values.end()) {
                given = v->second;
            } else if (const auto text = stimulus.parameters.find(key); text != stimulus.parameters.end()) {
                given = CellValues::parse("stimulus." + key, text->second);
            } else if (spec.cells_from) {
                if (!table) table = read_cell_table(*spec.cells_from);
                const auto column = std::ranges::find(table->columns, "stimulus." + key);
                if (column != table->columns.end()) {
                    given = CellValues::list(table->values[static_cast<std::size_t>(column - table->columns.begin())]);
                }
            }
            if (given) {
                values = *given;
                full_name = "stimulus." + key;
                break;
            }
        }
        if (!values.varies()) {
            const double t = values.first(full_name, spec.settings.seed);
            return std::isfinite(t) ? std::vector{t} : std::vector<double>{};
        }
        if (values.length() == 0 && spec.settings.n_cells == 0) return std::vector<double>{};
        const std::size_t n_cells = values.length() > 0 ? values.length() : spec.settings.n_cells;
        // Not made for more cells (linspace(0, 1, 1e9) would take 8 GB here, before build_simulation
        // estimates the run's memory and refuses it).
        if (n_cells > max_cells_timed) return std::vector<double>{};
        auto times = values.expand(full_name, n_cells, spec.settings.seed);
        if (!std::ranges::all_of(times, [](double t) { return std::isfinite(t); })) return std::vector<double>{};
        return times;
    } catch (const ParameterError&) {
        return std::vector<double>{};  // build_simulation names the problem
    }
}

}  // namespace

std::string apply_stimulus_duration(const PluginRegistry& registry, RunSpec& spec) {
    double latest = -std::numeric_limits<double>::infinity();
    std::string whose;
    std::size_t timed = 0;
    bool differ = false;  // between cells or parts
    const auto parts = timed_parts(spec.stimulus);
    for (const auto& part : parts) {
        const auto offsets = part_times(registry, spec, part, "offset");
        if (!offsets || offsets->empty()) continue;
        const auto [lo, hi] = std::ranges::minmax(*offsets);
        differ = differ || lo != hi || (timed > 0 && hi != latest);
        ++timed;
        if (hi > latest) {
            latest = hi;
            whose = parts.size() == 1 ? part.label : fmt::format("part '{}'", part.label);
        }
    }
    if (timed == 0 || latest < spec.settings.t_stop) return {};
    constexpr double after = 30;  // ms after the offset: the response to its end
    const double before = spec.settings.t_stop;
    spec.settings.t_stop = latest + after;
    return fmt::format("the run lasts {} ms, until {} ms after the {}end of the {}{} {} ms (the default {} ms "
                       "would cut it); give --t-stop to change it",
                       readable(spec.settings.t_stop), readable(after), differ ? "latest " : "", whose,
                       differ ? ", at" : " at", readable(latest), readable(before));
}

std::string stimulus_after_run_note(const PluginRegistry& registry, const RunSpec& spec) {
    // Each cell's first onset over the parts; a part without one (ou, a file) drives every cell from the start.
    std::vector<double> onsets;
    const auto parts = timed_parts(spec.stimulus);
    for (const auto& part : parts) {
        const auto times = part_times(registry, spec, part, "onset");
        if (!times || times->empty()) return {};
        if (onsets.empty()) {
            onsets = *times;
            continue;
        }
        if (onsets.size() == 1 && times->size() > 1) onsets.resize(times->size(), onsets.front());
        if (times->size() != 1 && times->size() != onsets.size()) return {};  // build_simulation refuses the lengths
        for (std::size_t c = 0; c < onsets.size(); ++c) onsets[c] = std::min(onsets[c], (*times)[times->size() == 1 ? 0 : c]);
    }
    const double t_stop = spec.settings.t_stop;
    const auto late = static_cast<std::size_t>(std::ranges::count_if(onsets, [&](double t) { return t >= t_stop; }));
    if (late == 0) return {};
    const std::string what = parts.size() == 1 ? fmt::format("the {} starts", parts.front().label)
                                               : fmt::format("the stimuli ({}) start", spec.stimulus.name);
    const auto [earliest, latest] = std::ranges::minmax(onsets);
    if (earliest == latest) {
        return fmt::format("{} at {} ms, at or after the end of the run ({} ms): the cells receive no stimulus; "
                           "lengthen the run or start the stimulus earlier (its onset)",
                           what, readable(earliest), readable(t_stop));
    }
    const std::string cells = late == onsets.size() ? "every cell" : fmt::format("{} of the {} cells", late, onsets.size());
    return fmt::format("in {} {} at or after the end of the run ({} ms; onsets {} to {} ms): {} no stimulus; "
                       "lengthen the run or start the stimulus earlier (its onset)",
                       cells, what, readable(t_stop), readable(earliest), readable(latest),
                       late == 1 ? "it receives" : "they receive");
}

}  // namespace soma
