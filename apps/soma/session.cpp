#include "report.hpp"
#include "session.hpp"

#include "soma/cell_values.hpp"
#include "soma/error.hpp"
#include "soma/fitting/stimulus_set.hpp"
#include "soma/parameter.hpp"
#include "soma/readable_number.hpp"
#include "soma/model_from_file.hpp"
#include "soma/registry.hpp"
#include "soma/stimulus_from_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <map>
#include <ranges>
#include <set>

namespace soma::app {

std::atomic<bool> interrupted{false};
std::atomic<int> interrupting_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free signal number");

namespace {
extern "C" void on_signal(int signal) {
    int none = 0;
    interrupting_signal.compare_exchange_strong(none, signal, std::memory_order_relaxed);  // the first one
    interrupted.store(true, std::memory_order_relaxed);
}
}  // namespace

void warn_rejected(const PluginRegistry& registry) {
    for (const auto& r : registry.rejected()) std::cerr << "soma: warning: " << r.reason << " (skipped)\n";
}

void warn_rejected(const PluginRegistry& registry, const RunSpec& spec) {
    for (const auto& [kind, name] : plugins_of(spec)) (void)registry.lookup(kind, name);
    warn_rejected(registry);
}

void check_plugins(const PluginRegistry& registry, const Scenario& scenario) {
    warn_rejected(registry, scenario.spec);
    for (const auto& [section, origin] : scenario.unselected_recorder_sections) {
        if (registry.lookup(PluginKind::recorder, section) != nullptr) continue;
        try {
            (void)registry.find(PluginKind::recorder, section);
        } catch (const PluginError& e) {
            throw ParameterError(fmt::format("{}: section [{}] is neither model, stimulus, integrator nor a recorder "
                                             "({})",
                                             origin, section, e.what()));
        }
    }
}

std::vector<ExtraOption> common_options(std::string_view kind) {
    return {{"progress", "WHEN", "a progress line on stderr: auto (when stderr is a terminal), on or off (default: auto)"},
            {"summary", "WHAT",
             fmt::format("json: also write NAME_{}summary.json (settings, per-cell results, files written); none: do "
                         "not (default: json)",
                         kind.empty() ? std::string() : std::string(kind) + "_")}};
}

Reporting reporting(const Scenario& scenario) {
    Reporting r;
    const auto choice = [&](const char* option, const std::vector<std::string>& allowed) -> std::string {
        const auto it = scenario.extra.find(option);
        if (it == scenario.extra.end()) return {};
        const std::string& value = it->second.front();
        if (std::ranges::find(allowed, value) == allowed.end()) {
            throw ParameterError(fmt::format("--{} '{}': {}", option, value, unknown_name_message("value", value, allowed)));
        }
        return value;
    };
    if (auto v = choice("progress", {"auto", "on", "off"}); !v.empty()) r.progress = v;
    if (const auto it = scenario.extra.find("summary"); it != scenario.extra.end()) {
        r.summary = summary_wanted(it->second.front());
    }
    return r;
}

bool summary_wanted(const std::string& value) {
    const std::vector<std::string> allowed{"json", "none"};
    if (std::ranges::find(allowed, value) == allowed.end()) {
        throw ParameterError(fmt::format("--summary '{}': {}", value, unknown_name_message("value", value, allowed)));
    }
    return value == "json";
}

void use_suggested_drive(const PluginRegistry& registry, Scenario& scenario) {
    if (std::string note = apply_suggested_drive(registry, scenario.spec); !note.empty()) {
        scenario.notes.push_back(std::move(note));
    }
}

void note_preset_for_initial_value(const PluginRegistry& registry, Scenario& scenario) {
    const ComponentSpec& model = scenario.spec.model;
    const auto given = model.parameters.find("V_init");
    if (!model.preset.empty() || given == model.parameters.end()) return;
    double v_init = 0;
    const auto [end, ec] = std::from_chars(given->second.data(), given->second.data() + given->second.size(), v_init);
    if (ec != std::errc{} || end != given->second.data() + given->second.size()) return;  // reported elsewhere
    const auto object = create_model(registry, model.name);
    const auto schema = object->schema();
    const auto rest = std::ranges::find(schema, std::string("V_rest"), &ParameterSpec::name);
    if (rest == schema.end() || std::abs(v_init - rest->default_value) < 30) return;
    for (const auto& preset : object->presets()) {
        const auto it = preset.values.find("V_rest");
        if (it == preset.values.end() || std::abs(v_init - it->second) > 10) continue;
        scenario.notes.push_back(fmt::format(
            "model.V_init = {} mV starts the cell {} mV from rest: {} rests at V_rest = {} mV. Preset '{}' rests at "
            "{} mV ({}): --preset {}",
            readable(v_init), readable(std::abs(v_init - rest->default_value)), model.name,
            readable(rest->default_value), preset.name, readable(it->second), preset.description, preset.name));
        return;
    }
}

void use_stimulus_duration(const PluginRegistry& registry, Scenario& scenario) {
    if (!scenario.t_stop_given) {
        if (std::string note = apply_stimulus_duration(registry, scenario.spec); !note.empty()) {
            scenario.notes.push_back(std::move(note));
        }
    }
    if (std::string note = stimulus_after_run_note(registry, scenario.spec); !note.empty()) {
        scenario.notes.push_back(std::move(note));
    }
}

/// The window of `--window FROM:TO` (ms), or nullopt when not given.
std::optional<experiments::Window> parse_window(const Scenario& scenario) {
    const auto it = scenario.extra.find("window");
    if (it == scenario.extra.end()) return std::nullopt;
    const std::string& text = it->second.front();
    const auto colon = text.find(':');
    const auto number = [&](std::string_view part, double& x) {
        const auto first = part.find_first_not_of(' ');
        if (first == std::string_view::npos) return false;
        part.remove_prefix(first);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), x);
        return ec == std::errc{} && ptr == part.data() + part.size() && std::isfinite(x);
    };
    experiments::Window w;
    if (colon == std::string::npos || !number(std::string_view(text).substr(0, colon), w.from) ||
        !number(std::string_view(text).substr(colon + 1), w.to)) {
        throw ParameterError(fmt::format("--window '{}': expected FROM:TO in ms, e.g. --window 500:1000", text));
    }
    // Checked here, before any output is looked at; that TO is within the run is checked with the run.
    if (!(w.from >= 0 && w.from < w.to)) {
        throw ParameterError(fmt::format("--window {}: FROM must be at least 0 and less than TO (ms), e.g. --window "
                                         "{}:{}",
                                         text, readable(std::max(0.0, std::min(w.from, w.to))),
                                         readable(std::max(w.from, w.to) > 0 ? std::max(w.from, w.to) : 1000)));
    }
    w.description = fmt::format("[{:g}, {:g}) ms, as given", w.from, w.to);
    return w;
}

bool name_given(const std::vector<std::string>& args) {
    return std::ranges::any_of(args, [](const std::string& a) {
        return a == "--name" || a.starts_with("--name=") || a.ends_with(".ini");
    });
}

void print_notes(const std::vector<std::string>& notes) {
    for (const auto& note : notes) std::cerr << "soma: note: " << note << '\n';
}

void finish_outputs(std::vector<std::filesystem::path> written, nlohmann::json summary,
                    const std::filesystem::path& summary_path, std::optional<OutputDirectory>& output) {
    const bool has_summary = !summary.is_null();
    try {
        if (has_summary) {
            if (output) summary["identity"] = output->identity();
            write_summary(std::move(summary), written, summary_path);
        } else if (output) {  // --summary none: the record of who owns the files
            output->write_owner_record(written);
        }
    } catch (const RunError& e) {
        // The outputs are one set: without the record of the run, the files it wrote go too.
        for (const auto& path : written) {
            std::error_code ec;
            std::filesystem::remove(path, ec);
        }
        throw RunError(fmt::format("{}; the run's other outputs were removed, so that no partial set of them is left",
                                   e.what()));
    }
    if (has_summary) written.push_back(summary_path);
    for (const auto& path : written) say("  wrote {}\n", path.string());
    if (!output) return;
    if (!has_summary) written.push_back(output->owner_record());
    output->keep(written);
}

void stop_on_signals() {
    for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) std::signal(signal, on_signal);
}

std::filesystem::path summary_file(const RunSpec& spec, std::string_view kind) {
    return spec.output_dir / (kind.empty() ? spec.name + "_summary.json" : fmt::format("{}_{}_summary.json", spec.name, kind));
}

namespace {

/// `text` without blanks and with every number in its shortest form ("1.0e2" and "100" alike; a list
/// "1, 2.50" as "1,2.5"), so that two spellings of the same value give the same identity.
std::string canonical_value(std::string_view text) {
    std::string out;
    for (std::size_t k = 0; k < text.size();) {
        const char c = text[k];
        if (c == ' ' || c == '\t') {
            ++k;
            continue;
        }
        const bool number_start = std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.' ||
                                  ((c == '-' || c == '+') && (out.empty() || std::string_view("(,=:").find(out.back()) != std::string_view::npos));
        const bool in_name = !out.empty() && (std::isalnum(static_cast<unsigned char>(out.back())) != 0 || out.back() == '_');
        if (number_start && !in_name) {
            double value = 0;
            const char* first = text.data() + k + (c == '+' ? 1 : 0);
            const auto [end, ec] = std::from_chars(first, text.data() + text.size(), value);
            if (ec == std::errc() && end != first) {
                out += fmt::format("{}", value);
                k = static_cast<std::size_t>(end - text.data());
                continue;
            }
        }
        out += c;
        ++k;
    }
    return out;
}

/// An absolute, normalised path, so that `--output out/` and `--output ./out` are one directory.
std::string canonical_path(const std::filesystem::path& path) {
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
    return (ec ? std::filesystem::absolute(path).lexically_normal() : canonical).string();
}

/// The default values of the parameters of component `c` of `kind`, in shortest form, by name: empty for a
/// preset (whose values are not the schema's), a sum of stimuli or a current file, or a component that
/// cannot be created (its error comes later, from building the run).
std::map<std::string, std::string> default_values(const PluginRegistry& registry, PluginKind kind, const ComponentSpec& c) {
    std::map<std::string, std::string> defaults;
    if (!c.preset.empty() || c.name.find_first_of("+:") != std::string::npos || is_stimulus_file(c.name)) return defaults;
    try {
        const auto component = kind == PluginKind::model ? std::shared_ptr<Component>(create_model(registry, c.name))
                                                          : registry.create<Component>(kind, c.name);
        for (const auto& p : component->schema()) defaults[p.name] = fmt::format("{}", p.default_value);
    } catch (...) {
        defaults.clear();
    }
    return defaults;
}

/// The component's name (a file's absolute path), its preset, and its parameters but those given at their
/// default value, which make no other run than leaving them out; per-cell values that are all equal as that
/// value (the cell count is the identity's own entry).
void add_component(std::vector<std::string>& identity, std::string_view kind, const ComponentSpec& c,
                   const std::map<std::string, std::string>& defaults) {
    identity.push_back(fmt::format("{}={}", kind,
                                   is_model_file(c.name) || is_stimulus_file(c.name) ? canonical_path(c.name) : c.name));
    if (!c.preset.empty()) identity.push_back(fmt::format("{}.preset={}", kind, c.preset));
    for (const auto& [name, text] : c.parameters) {
        std::string value = canonical_value(text);
        try {
            // Per-cell values that are all equal (120,120,120; normal(1, 0)) are that value in every cell.
            if (const auto values = CellValues::parse(name, text); !values.varies()) {
                value = fmt::format("{}", values.first(name, 0));
            }
        } catch (const Error&) {  // a choice's name, e.g. a recorder's option: its text
        }
        if (const auto it = defaults.find(name); it != defaults.end() && it->second == value) continue;
        identity.push_back(fmt::format("{}.{}={}", kind, name, value));
    }
}

/// The number of cells of `spec`: --cells, else the common length of its per-cell values (a list, linspace,
/// the table's rows), as build_simulation fixes it, which has accepted them by now (a value that is not a
/// number, a choice's name, fixes none).
std::size_t cell_count(const RunSpec& spec) {
    if (spec.settings.n_cells > 0) return spec.settings.n_cells;
    std::vector<std::pair<std::string, std::size_t>> lengths;
    for (const ComponentSpec* c : {&spec.model, &spec.stimulus}) {
        for (const auto& [name, text] : c->parameters) {
            try {
                lengths.emplace_back(name, CellValues::parse(name, text).length());
            } catch (const Error&) {
            }
        }
        for (const auto& [name, values] : c->cell_values) lengths.emplace_back(name, values.length());
    }
    try {
        if (spec.cells_from) lengths.emplace_back("cells_from", read_cell_table(*spec.cells_from).rows());
        return common_cell_count(0, lengths);
    } catch (const Error&) {
        return 0;  // not reached after build_simulation
    }
}

/// The names of everything recordable of model `c` with one stimulus (its state variables and its current),
/// sorted; empty when
/// the model cannot be made (its error comes from building the run).
std::vector<std::string> all_variables(const PluginRegistry& registry, const ComponentSpec& c) {
    std::vector<std::string> names;
    try {
        const auto model = create_model(registry, c.name);
        for (const auto& v : model->state_variables()) names.push_back(v.name);
        names.push_back(model->current().name);
    } catch (...) {
        return {};
    }
    std::ranges::sort(names);
    return names;
}

}  // namespace

std::vector<std::string> run_identity(const PluginRegistry& registry, const Scenario& parsed, const RunSpec& spec) {
    std::vector<std::string> identity{"soma", parsed.command_line.size() > 1 ? parsed.command_line[1] : "run"};
    const auto component = [&](std::string_view kind, PluginKind plugin, const ComponentSpec& c) {
        add_component(identity, kind, c, default_values(registry, plugin, c));
    };
    component("model", PluginKind::model, spec.model);
    component("stimulus", PluginKind::stimulus, spec.stimulus);
    component("integrator", PluginKind::integrator, spec.integrator);
    // The recorders in name order: which writes first changes no file.
    std::vector<const ComponentSpec*> recorders;
    for (const auto& r : spec.recorders) recorders.push_back(&r);
    std::sort(recorders.begin(), recorders.end(), [](const ComponentSpec* a, const ComponentSpec* b) { return a->name < b->name; });
    for (const ComponentSpec* r : recorders) component("recorder", PluginKind::recorder, *r);
    const RunSettings& s = spec.settings;
    identity.push_back(fmt::format("t_stop={}", s.t_stop));
    identity.push_back(fmt::format("dt={}", s.dt));
    identity.push_back(fmt::format("record_interval={}", s.record_interval));
    // The cell count and recorded cells as they are, given or implied: `--cells 3` where the lists fix 3
    // cells, and `--record-cells 0:3` where everything of all 3 is recorded by default, change nothing.
    const std::size_t n_cells = cell_count(spec);
    identity.push_back(fmt::format("cells={}", n_cells));
    identity.push_back(fmt::format("seed={}", s.seed));
    if (spec.cells_from) identity.push_back(fmt::format("cells_from={}", canonical_path(*spec.cells_from)));
    // What is recorded, in any order (the outputs keep the model's order), and every variable where that is the
    // default: of the cells given, or of every cell of a small population.
    auto variables = spec.record.variables;
    std::ranges::sort(variables);
    const bool cells_given = spec.record.cells.has_value();
    std::vector<std::size_t> cells = spec.record.cells.value_or(std::vector<std::size_t>{});
    std::ranges::sort(cells);
    const bool all_cells_by_default = cells_given &&
                                      (!variables.empty() || n_cells <= RecordSpec::default_all_cells) &&
                                      std::ranges::equal(cells, std::views::iota(std::size_t{0}, n_cells));
    if (!variables.empty() && (cells_given || n_cells <= RecordSpec::default_all_cells) &&
        spec.stimulus.name.find('+') == std::string::npos && variables == all_variables(registry, spec.model)) {
        variables.clear();
    }
    identity.push_back(fmt::format("record={}", fmt::join(variables, ",")));
    if (cells_given && !all_cells_by_default) identity.push_back(fmt::format("record_cells={}", fmt::join(cells, ",")));
    identity.push_back(fmt::format("title={}", spec.title));
    identity.push_back(fmt::format("name={}", spec.name));
    // The options whose values are comma-separated files: each file by its absolute path (canonical_value
    // would shorten the numbers in a name, "00-0.voltage" to "0-0voltage", and mix two files up).
    static const std::set<std::string, std::less<>> file_lists{"recording", "train", "held-out", "validate"};
    for (const auto& [option, values] : parsed.extra) {
        if (option == "progress" || option == "summary") continue;  // they do not change the outputs' contents
        for (const auto& v : values) {
            std::string value;
            if (file_lists.contains(option)) {
                std::vector<std::string> files;
                for (const auto& f : fitting::split_file_list(v)) files.push_back(canonical_path(f));
                value = fmt::format("{}", fmt::join(files, ","));
            } else {
                value = canonical_value(v);
            }
            identity.push_back(fmt::format("{}={}", option, value));
        }
    }
    return identity;
}

std::optional<OutputDirectory> open_outputs(const PluginRegistry& registry, const Scenario& parsed, const RunSpec& spec,
                                            std::string_view kind, bool writes, const OutputClaims& also) {
    if (!writes) return std::nullopt;
    return std::optional<OutputDirectory>(std::in_place, spec.output_dir, spec.name, summary_file(spec, kind),
                                          run_identity(registry, parsed, spec), parsed.force, also);
}

void finish_outputs(std::vector<std::filesystem::path> written, nlohmann::json summary,
                    std::optional<OutputDirectory>& output) {
    if (!output) summary = nullptr;
    const std::filesystem::path path = output ? output->summary_file() : std::filesystem::path();
    finish_outputs(std::move(written), std::move(summary), path, output);
}

ProgressLine::ProgressLine(const std::string& mode)
    : terminal_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()), last_(start_) {
    enabled_ = mode == "on" || (mode == "auto" && terminal_);
}

ProgressLine::~ProgressLine() {
    if (!shown_) return;
    if (!terminal_) return;  // whole lines were written
    std::fputs("\r\033[K", stderr);  // erase the line
    std::fflush(stderr);
}

bool ProgressLine::due(double done, double total) const {
    if (!enabled_ || total <= 0 || done >= total) return false;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double since = std::chrono::duration<double>(now - last_).count();
    return elapsed >= 1.0 && (!shown_ || since >= (terminal_ ? 0.25 : 5.0));
}

void ProgressLine::show(double done, double total, const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    last_ = now;
    const double fraction = done / total;
    const std::string rest = fraction > 0 ? fmt::format(", about {:.0f} s left", elapsed * (1 - fraction) / fraction) : "";
    const std::string line =
        fmt::format("soma: {}{}{:.0f} %, {:.0f} s elapsed{}", what, what.empty() ? "" : ", ", 100 * fraction, elapsed, rest);
    if (terminal_) std::fprintf(stderr, "\r\033[K%s", line.c_str());
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    shown_ = true;
}

}  // namespace soma::app
