/// @file module.cpp
/// soma._soma, the extension behind the Python package `soma` (docs/python.md): runs, sweeps and
/// rheobase searches through the framework's build_simulation and libsoma_experiments (compare and fit over
/// libsoma_fitting in fitting.cpp), with the same
/// plug-ins as the `soma` command, their results as NumPy arrays, soma::Error as Python exceptions.
/// The GIL is released while a run goes; Ctrl-C stops it through Simulation::interrupt_on.

#include "convert.hpp"
#include "fitting.hpp"
#include "interrupt.hpp"
#include "memory_recorder.hpp"

#include "output_directory.hpp"
#include "summary_json.hpp"

#include "soma/error.hpp"
#include "soma/experiments/rheobase.hpp"
#include "soma/experiments/sweep.hpp"
#include "soma/model.hpp"
#include "soma/model_from_file.hpp"
#include "soma/parameter.hpp"
#include "soma/registry.hpp"
#include "soma/run_spec.hpp"
#include "soma/version.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <system_error>

namespace py = pybind11;

namespace soma::python {

/// The plug-ins (SOMA_PLUGIN_PATH, then Soma's own directory), made on first use; each is loaded only when
/// a call needs it (registry.hpp), under the registry's mutex, since calls that release the GIL may load
/// plug-ins from several threads at once. Never destroyed before the interpreter exits, so that an exception or an object a plug-in made
/// never outlives its library.
const PluginRegistry& registry() {
    static const PluginRegistry instance;
    return instance;
}

namespace {

constexpr PluginKind all_kinds[] = {PluginKind::model, PluginKind::stimulus, PluginKind::integrator,
                                    PluginKind::recorder};

/// How a call of the Python module is recorded in NAME_summary.json, in place of the command line, so that
/// OutputDirectory tells the same call (whose files it replaces) from a different one (which it refuses
/// unless force=True): the function and every argument that shapes the outputs.
std::vector<std::string> call_description(const std::string& function, const RunArguments& a,
                                          const std::vector<std::string>& extra = {}) {
    std::vector<std::string> call{"soma." + function};
    const auto add = [&](std::string_view key, const std::string& value) { call.push_back(fmt::format("{}={}", key, value)); };
    add("model", a.model);
    if (!a.preset.empty()) add("preset", a.preset);
    add("stimulus", a.default_stimulus ? std::string("None") : a.stimulus);
    add("integrator", a.integrator);
    for (const auto& [key, text] : a.text_parameters) add(fmt::format("params['{}']", key), text);
    for (const auto& [key, values] : a.array_parameters) add(fmt::format("params['{}']", key), fmt::format("{}", fmt::join(values, ",")));
    add("recorders", fmt::format("{}", fmt::join(a.recorders, ",")));
    add("t_stop", fmt::format("{}", a.t_stop));
    add("dt", fmt::format("{}", a.dt));
    add("record_interval", fmt::format("{}", a.record_interval));
    if (a.cells != 0) add("cells", std::to_string(a.cells));
    if (a.cells_from) add("cells_from", *a.cells_from);
    add("seed", std::to_string(a.seed));
    if (a.record) add("record", fmt::format("{}", fmt::join(*a.record, ",")));
    if (a.record_cells) add("record_cells", fmt::format("{}", fmt::join(*a.record_cells, ",")));
    add("output_dir", a.output_dir);
    add("name", a.name);
    if (!a.title.empty()) add("title", a.title);
    call.insert(call.end(), extra.begin(), extra.end());
    return call;
}

/// The output directory of a call with recorders, as the `soma` command claims its own (OutputDirectory:
/// created if missing, a lock on the outputs named NAME, a different run's files refused unless
/// force=True); its notes go to `notes`.
void claim_outputs(std::optional<app::OutputDirectory>& output, const RunSpec& spec, const RunArguments& args,
                   const std::filesystem::path& summary, const std::vector<std::string>& call,
                   std::vector<std::string>& notes) {
    if (spec.recorders.empty()) return;
    output.emplace(spec.output_dir, spec.name, summary, call, args.force, app::OutputClaims{},
                   [&notes](const std::string& note) { notes.push_back(note); });
}

/// Claims the recorders' files in `output` (if any) once the run knows them (Simulation::on_outputs):
/// another run's are refused unless force=True.
std::function<void(const std::vector<std::filesystem::path>&)> claim_files(std::optional<app::OutputDirectory>& output) {
    return [&output](const std::vector<std::filesystem::path>& files) {
        if (output) output->claim(files);
    };
}

/// The end of a call with recorders: its summary written (listing `written`, then itself), the outputs
/// kept and the replaced run's other files removed (OutputDirectory::keep).
void finish_outputs(std::optional<app::OutputDirectory>& output, const RunInfo& info, const std::vector<std::string>& call,
                    const std::filesystem::path& summary, std::vector<std::filesystem::path>& written) {
    if (!output) return;
    auto json = app::summary_json(info, call);
    json["identity"] = output->identity();
    app::write_summary(std::move(json), written, summary);
    written.push_back(summary);
    output->keep(written);
}

/// The default run length for t_stop=None (apply_stimulus_duration), and the note of a stimulus that
/// starts after the run's end (stimulus_after_run_note); the notes in `notes`.
void use_default_duration(const RunArguments& args, RunSpec& spec, std::vector<std::string>& notes) {
    if (!args.t_stop_given) {
        if (std::string note = apply_stimulus_duration(registry(), spec); !note.empty()) notes.push_back(std::move(note));
    }
    if (std::string note = stimulus_after_run_note(registry(), spec); !note.empty()) notes.push_back(std::move(note));
}

/// The model's suggested drive for a step whose amplitude is not given, stimulus=None or 'step'
/// (apply_suggested_drive), its note in `notes`.
void use_default_drive(const RunArguments& /*args*/, RunSpec& spec, std::vector<std::string>& notes) {
    if (std::string note = apply_suggested_drive(registry(), spec); !note.empty()) notes.push_back(std::move(note));
}

/// `notes` as Python shows them: the options named by their keywords (python_names).
std::vector<std::string> python_notes(std::vector<std::string> notes) {
    for (auto& n : notes) n = python_names(n);
    return notes;
}

/// Refuses a run whose samples would not fit in memory (soma.run keeps them all).
void check_sample_memory(const RunInfo& info) {
    const double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    const double bytes = sample_bytes(info);
    if (physical > 0 && bytes > 0.8 * physical) {
        const auto gib = [](double b) {
            const double g = b / (1024.0 * 1024 * 1024);
            return g >= 100 ? fmt::format("{:.0f} GiB", g) : fmt::format("{:.3g} GiB", g);
        };
        const std::size_t n_quantities = info.recording.variables.size();
        const std::size_t n_cells = info.recording.cells.size();
        std::vector<std::string> remedies;
        if (n_quantities > 1) remedies.emplace_back("record fewer quantities (record=['v'])");
        if (n_cells > 1) remedies.emplace_back("record fewer cells (record_cells=...)");
        remedies.emplace_back("sample less often (record_interval=...)");
        remedies.emplace_back("shorten the run (t_stop)");
        remedies.emplace_back("or record only spikes (record='spikes')");
        throw ParameterError(fmt::format(
            "the samples of this run would take {} of memory ({} quantit{} of {} cell{} at {:.0f} times), more than "
            "80 % of this machine's {}; {}",
            gib(bytes), n_quantities, n_quantities == 1 ? "y" : "ies", n_cells, n_cells == 1 ? "" : "s",
            static_cast<double>(info.n_steps) / static_cast<double>(std::max<std::size_t>(1, info.record_every)),
            gib(physical), fmt::join(remedies, ", ")));
    }
}

std::vector<std::filesystem::path> outputs_of(const Simulation& simulation) {
    std::vector<std::filesystem::path> written;
    for (const auto& r : simulation.recorders()) {
        for (const auto& path : r->outputs()) {
            if (!path.empty()) written.push_back(path);
        }
    }
    return written;
}

/// A NumPy array of `shape` over `data` (no copy), which keeps `base` (the owner of `data`) alive.
template <class T>
py::array_t<T> view(std::vector<py::ssize_t> shape, const T* data, const py::object& base) {
    return py::array_t<T>(std::move(shape), data, base);
}

py::dict cell_summary(const RunSummary& summary, const RunInfo& info) {
    const std::size_t n = summary.cells.size();
    py::array_t<std::int64_t> spikes(static_cast<py::ssize_t>(n));
    py::array_t<double> rate(static_cast<py::ssize_t>(n)), first(static_cast<py::ssize_t>(n)),
        isi(static_cast<py::ssize_t>(n)), cv(static_cast<py::ssize_t>(n));
    for (std::size_t c = 0; c < n; ++c) {
        const CellSummary& s = summary.cells[c];
        const auto i = static_cast<py::ssize_t>(c);
        spikes.mutable_at(i) = static_cast<std::int64_t>(s.n_spikes);
        rate.mutable_at(i) = s.rate(info.t_stop);
        first.mutable_at(i) = s.n_spikes > 0 ? s.first_spike : std::nan("");
        isi.mutable_at(i) = s.mean_isi();
        cv.mutable_at(i) = s.cv_isi();
    }
    py::dict table;
    add_cell_parameters(table, info);
    table["spikes"] = spikes;
    table["rate_Hz"] = rate;
    table["first_spike_ms"] = first;
    table["mean_isi_ms"] = isi;
    table["cv_isi"] = cv;
    return table;
}

py::dict run(const RunArguments& args) {
    RunSpec spec = to_run_spec(args);
    const auto memory = std::make_shared<MemoryRecorder>();
    const auto summary_path = spec.output_dir / (spec.name + "_summary.json");
    const auto call = call_description("run", args);
    std::vector<std::string> notes;
    std::optional<app::OutputDirectory> output;
    struct Done {
        Simulation simulation;
        RunSummary summary;
    };
    Done done = without_gil([&](SignalPoll& poll) {
        use_default_drive(args, spec, notes);
        use_default_duration(args, spec, notes);
        Simulation simulation = build_simulation(registry(), spec, {memory});
        check_sample_memory(simulation.info());
        claim_outputs(output, spec, args, summary_path, call, notes);  // after the checks: bad input writes nothing
        simulation.on_outputs(claim_files(output));
        simulation.interrupt_on(poll.flag());
        simulation.on_progress([&](std::size_t, std::size_t) { poll.poll(); });
        RunSummary summary = simulation.run();
        return Done{std::move(simulation), std::move(summary)};
    });
    std::vector<std::filesystem::path> written = outputs_of(done.simulation);
    finish_outputs(output, done.simulation.info(), call, summary_path, written);
    const RunInfo& info = done.simulation.info();
    const RunArrays& a = *memory->arrays();
    const py::object base = py::cast(memory->arrays());
    py::dict samples;
    for (std::size_t k = 0; k < a.n_quantities; ++k) {
        samples[py::str(info.recording.variables[k].name)] =
            view<double>({static_cast<py::ssize_t>(a.n_samples), static_cast<py::ssize_t>(a.n_columns)},
                         a.samples.data() + k * a.n_samples * a.n_columns, base);
    }
    py::dict result;
    result["t"] = view<double>({static_cast<py::ssize_t>(a.times.size())}, a.times.data(), base);
    result["samples"] = samples;
    result["spike_times"] = view<double>({static_cast<py::ssize_t>(a.spike_times.size())}, a.spike_times.data(), base);
    result["spike_cells"] =
        view<std::int64_t>({static_cast<py::ssize_t>(a.spike_cells.size())}, a.spike_cells.data(), base);
    result["summary"] = cell_summary(done.summary, info);
    result["info"] = info_dict(info);
    if (!done.simulation.grid().note.empty()) notes.insert(notes.begin(), done.simulation.grid().note);
    result["notes"] = python_notes(notes);
    result["outputs"] = written;
    return result;
}

py::dict sweep(const RunArguments& args, const std::vector<std::string>& axes,
               const std::optional<std::pair<double, double>>& window) {
    experiments::SweepSpec spec;
    spec.run = to_run_spec(args);
    experiments::set_sweep_recording(spec.run);  // as `soma sweep`
    for (const auto& text : axes) spec.axes.push_back(experiments::parse_axis(text));
    if (spec.axes.empty()) {
        throw ParameterError("a sweep needs at least one axis, e.g. vary={'stimulus.amplitude': 'linspace(0,20,41)'}");
    }
    if (window) spec.window = experiments::Window{window->first, window->second,
                                                  fmt::format("[{:g}, {:g}) ms, as given", window->first, window->second)};
    std::vector<std::string> extra;
    for (const auto& text : axes) extra.push_back("vary=" + text);
    if (window) extra.push_back(fmt::format("window=({}, {})", window->first, window->second));
    const auto call = call_description("sweep", args, extra);
    const auto summary_path = spec.run.output_dir / (spec.run.name + "_sweep_summary.json");
    std::vector<std::string> notes;
    std::optional<app::OutputDirectory> output;
    const auto result = without_gil([&](SignalPoll& poll) {
        if (std::ranges::none_of(spec.axes, [](const experiments::Axis& a) { return a.full_name() == "stimulus.amplitude"; })) {
            use_default_drive(args, spec.run, notes);  // as `soma sweep`: unless the amplitude is an axis
        }
        use_default_duration(args, spec.run, notes);
        claim_outputs(output, spec.run, args, summary_path, call, notes);
        experiments::RunControl run_control = control(poll);
        run_control.outputs = claim_files(output);
        return experiments::run_sweep(registry(), spec, run_control);
    });
    std::vector<std::filesystem::path> written = result.recorder_outputs;
    if (output) {  // with recorders, the table and the figure of `soma sweep` too
        for (auto& path : experiments::write_sweep(result, spec.run.output_dir, spec.run.name)) written.push_back(path);
    }
    finish_outputs(output, result.info, call, summary_path, written);
    for (auto& note : experiments::sweep_notes(result)) notes.push_back(std::move(note));
    const std::size_t n = result.cells.size();
    py::dict table;
    std::vector<py::array_t<double>> axis_columns;
    py::list axis_list;
    for (const auto& axis : result.axes) {
        axis_columns.emplace_back(static_cast<py::ssize_t>(n));
        axis_list.append(py::dict(py::arg("parameter") = axis.full_name(), py::arg("unit") = axis.unit,
                                  py::arg("given_as") = axis.given_as, py::arg("values") = to_array(axis.values)));
    }
    py::array_t<std::int64_t> spikes(static_cast<py::ssize_t>(n)), in_window(static_cast<py::ssize_t>(n));
    py::array_t<double> rate(static_cast<py::ssize_t>(n)), latency(static_cast<py::ssize_t>(n)),
        isi(static_cast<py::ssize_t>(n)), cv(static_cast<py::ssize_t>(n));
    for (std::size_t c = 0; c < n; ++c) {
        const auto i = static_cast<py::ssize_t>(c);
        const auto index = experiments::axis_indices(result.axes, c);
        for (std::size_t k = 0; k < result.axes.size(); ++k) axis_columns[k].mutable_at(i) = result.axes[k].values[index[k]];
        const auto& r = result.cells[c];
        spikes.mutable_at(i) = static_cast<std::int64_t>(r.n_spikes);
        in_window.mutable_at(i) = static_cast<std::int64_t>(r.n_window);
        rate.mutable_at(i) = r.rate;
        latency.mutable_at(i) = r.latency;
        isi.mutable_at(i) = r.mean_isi;
        cv.mutable_at(i) = r.cv_isi;
    }
    for (std::size_t k = 0; k < result.axes.size(); ++k) table[py::str(result.axes[k].full_name())] = axis_columns[k];
    py::dict others;
    add_cell_parameters(others, result.info);
    for (const auto& [key, values] : others) {
        if (!table.contains(key)) table[key] = values;
    }
    table["spikes"] = spikes;
    table["spikes_in_window"] = in_window;
    table["rate_Hz"] = rate;
    table["latency_ms"] = latency;
    table["mean_isi_ms"] = isi;
    table["cv_isi"] = cv;
    const auto [below, first] = result.axes.size() == 1 ? experiments::firing_onset(result)
                                                        : std::pair{std::nan(""), std::nan("")};
    py::dict d;
    d["cells"] = table;
    d["axes"] = axis_list;
    d["window"] = py::make_tuple(result.window.from, result.window.to);
    d["window_description"] = result.window.description;
    d["latency_from_ms"] = result.latency_reference;
    d["firing_onset"] = py::make_tuple(below, first);
    d["info"] = info_dict(result.info);
    d["outputs"] = written;
    d["notes"] = python_notes(notes);
    return d;
}

py::dict rheobase(const RunArguments& args, double low, double high, double tolerance, std::size_t batch,
                  const std::string& firing, std::string parameter) {
    experiments::RheobaseSpec spec;
    spec.run = to_run_spec(args);
    spec.run.recorders.clear();
    if (parameter.starts_with("stimulus.")) parameter.erase(0, 9);  // as --set and --vary write it
    spec.parameter = parameter;
    spec.low = low;
    spec.high = high;
    spec.tolerance = tolerance;
    spec.batch = batch;
    const std::vector<std::string> kinds{"single", "sustained"};
    if (std::ranges::find(kinds, firing) == kinds.end()) {
        throw ParameterError(fmt::format("firing='{}': {}", firing, unknown_name_message("definition", firing, kinds)));
    }
    spec.firing = firing == "single" ? experiments::Firing::single : experiments::Firing::sustained;
    const auto result = without_gil([&](SignalPoll& poll) { return experiments::find_rheobase(registry(), spec, control(poll)); });
    const std::size_t n = result.cells.size();
    py::array_t<double> value(static_cast<py::ssize_t>(n)), below(static_cast<py::ssize_t>(n));
    for (std::size_t c = 0; c < n; ++c) {
        value.mutable_at(static_cast<py::ssize_t>(c)) = result.cells[c].rheobase;
        below.mutable_at(static_cast<py::ssize_t>(c)) = result.cells[c].below;
    }
    py::dict table;
    add_cell_parameters(table, result.info);
    table["rheobase"] = value;
    table["below"] = below;
    py::dict d;
    d["cells"] = table;
    d["parameter"] = "stimulus." + parameter;
    d["unit"] = result.unit;
    d["tolerance"] = result.tolerance;
    d["rounds"] = result.rounds;
    d["cell_runs"] = result.cell_runs;
    d["info"] = info_dict(result.info);
    return d;
}

py::dict plugin_dict(const PluginInfo& p) {
    return py::dict(py::arg("kind") = std::string(to_string(p.kind)), py::arg("name") = p.name,
                    py::arg("version") = p.version, py::arg("description") = p.description,
                    py::arg("file") = p.file.string());
}

py::list list_plugins() {
    py::list out;
    for (const auto& p : registry().plugins()) out.append(plugin_dict(p));
    return out;
}

py::list rejected_files() {
    py::list out;
    for (const auto& r : registry().rejected()) {
        out.append(py::dict(py::arg("file") = r.file.string(), py::arg("reason") = r.reason));
    }
    return out;
}

/// Parameters, presets and, for a model, state variables and current of `object`, as `soma describe`.
py::dict component_dict(const Component& object) {
    const auto* model = dynamic_cast<const Model*>(&object);
    const std::string current_unit = model ? model->current().unit : std::string(model_current_unit);
    py::list parameters;
    for (const auto& s : object.schema()) {
        parameters.append(py::dict(
            py::arg("name") = s.name, py::arg("unit") = resolve_unit(s.unit, current_unit),
            py::arg("default") = s.default_value, py::arg("range") = s.range.to_string(),
            py::arg("lower") = s.range.lower, py::arg("upper") = s.range.upper,
            py::arg("lower_closed") = s.range.lower_closed, py::arg("upper_closed") = s.range.upper_closed,
            py::arg("description") = s.description));
    }
    py::list presets;
    for (const auto& p : object.presets()) {
        presets.append(py::dict(py::arg("name") = p.name, py::arg("description") = p.description,
                                py::arg("values") = p.values));
    }
    py::dict d;
    d["parameters"] = parameters;
    d["presets"] = presets;
    d["reads_model_files"] = dynamic_cast<const ModelFromFile*>(&object) != nullptr;
    if (model && !d["reads_model_files"].cast<bool>()) {
        py::list vars;
        for (const auto& v : model->state_variables()) {
            vars.append(py::dict(py::arg("name") = v.name, py::arg("unit") = v.unit, py::arg("description") = v.description));
        }
        d["state_variables"] = vars;
        const auto& i = model->current();
        d["current"] = py::dict(py::arg("name") = i.name, py::arg("unit") = i.unit, py::arg("description") = i.description);
    }
    return d;
}

/// component_dict of plug-in `name`'s `object`; what the plug-in's code throws (any object) is a PluginError
/// naming it (guard_plugin_call), Python's own errors pass unchanged.
py::dict describe_component(const Component& object, PluginKind kind, const std::string& name,
                            const std::filesystem::path& file, std::string_view doing) {
    try {
        return component_dict(object);
    } catch (const py::error_already_set&) {
        throw;
    } catch (...) {
        return guard_plugin_call(kind, name, file, doing, []() -> py::dict { throw; });  // rethrown, translated
    }
}

py::list describe(const std::string& name) {
    const PluginRegistry& plugins = registry();
    py::list out;
    if (is_model_file(name)) {
        const auto model = create_model(plugins, name);
        const auto& p = plugins.find(PluginKind::model, model_file_plugin);
        py::dict d = describe_component(*model, PluginKind::model, p.name, p.file, "failed to describe the model file");
        d["kind"] = "model";
        d["name"] = name;
        d["version"] = p.version;
        d["description"] = fmt::format("model file, read by the '{}' plug-in", p.name);
        d["file"] = std::filesystem::absolute(name).lexically_normal().string();
        out.append(d);
        return out;
    }
    // Each kind's plug-in of that name: only the files that may hold it are loaded.
    for (const auto kind : all_kinds) {
        const PluginInfo* p = plugins.lookup(kind, name);
        if (p == nullptr) continue;
        const auto object = plugins.create(kind, name);
        py::dict d = describe_component(*object, kind, p->name, p->file, "failed to describe itself");
        for (const auto& [key, value] : plugin_dict(*p)) d[key] = value;
        out.append(d);
    }
    if (out.empty()) throw PluginError(plugins.unknown_plugin_message(name, "soma.list()"));
    return out;
}

}  // namespace
}  // namespace soma::python

PYBIND11_MODULE(_soma, m) {
    using namespace soma::python;
    m.doc() = "The C++ core of the soma package: see help(soma) and docs/python.md.";
    m.attr("__version__") = std::string(soma::version);

    // The exception types, and one translator that raises them with the message in Python's names
    // (python_names: "record_cells: ..." where the command says "--record-cells: ...").
    static const py::exception<soma::Error> error(m, "Error");
    static const py::exception<soma::ParameterError> parameter_error(m, "ParameterError", error);
    static const py::exception<soma::PluginError> plugin_error(m, "PluginError", error);
    static const py::exception<soma::RunError> run_error(m, "RunError", error);
    static const py::exception<soma::ModelFileError> model_file_error(m, "ModelFileError", error);
    for (const char* name : {"Error", "ParameterError", "PluginError", "RunError", "ModelFileError"}) {
        m.attr(name).attr("__module__") = "soma";  // shown as soma.ParameterError in tracebacks
    }
    py::register_exception_translator([](std::exception_ptr p) {
        const auto raise = [](const py::handle& type, const soma::Error& e) {
            const std::string message = readable_message(python_names(e.what()));
            // Not PyErr_SetString: text in another encoding than UTF-8 (a file name) must not fail to decode.
            const py::object text = py::reinterpret_steal<py::object>(
                PyUnicode_DecodeUTF8(message.data(), static_cast<py::ssize_t>(message.size()), "replace"));
            PyErr_SetObject(type.ptr(), text.ptr());
        };
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Terminated& t) {
            // A signal stopped a run, whose files and locks are gone now: its default action, termination.
            std::signal(t.signal, SIG_DFL);
            std::raise(t.signal);
            PyErr_SetString(PyExc_SystemExit, "terminated by a signal");  // if the signal is blocked
        } catch (const soma::ParameterError& e) {
            raise(parameter_error, e);
        } catch (const soma::PluginError& e) {
            raise(plugin_error, e);
        } catch (const soma::RunError& e) {
            raise(run_error, e);
        } catch (const soma::ModelFileError& e) {
            raise(model_file_error, e);
        } catch (const soma::Error& e) {
            raise(error, e);
        }
    });

    py::class_<RunArrays, std::shared_ptr<RunArrays>>(m, "_RunArrays",
                                                      "The memory that a result's sample and spike arrays view.");

    py::class_<RunArguments>(m, "RunArguments", "A run description; soma.run fills it from its keyword arguments.")
        .def(py::init<>())
        .def_readwrite("model", &RunArguments::model)
        .def_readwrite("preset", &RunArguments::preset)
        .def_readwrite("stimulus", &RunArguments::stimulus)
        .def_readwrite("default_stimulus", &RunArguments::default_stimulus)
        .def_readwrite("integrator", &RunArguments::integrator)
        .def_readwrite("text_parameters", &RunArguments::text_parameters)
        .def_readwrite("array_parameters", &RunArguments::array_parameters)
        .def_readwrite("recorders", &RunArguments::recorders)
        .def_readwrite("t_stop", &RunArguments::t_stop)
        .def_readwrite("t_stop_given", &RunArguments::t_stop_given)
        .def_readwrite("dt", &RunArguments::dt)
        .def_readwrite("record_interval", &RunArguments::record_interval)
        .def_readwrite("cells", &RunArguments::cells)
        .def_readwrite("threads", &RunArguments::threads)
        .def_readwrite("seed", &RunArguments::seed)
        .def_readwrite("record", &RunArguments::record)
        .def_readwrite("record_cells", &RunArguments::record_cells)
        .def_readwrite("cells_from", &RunArguments::cells_from)
        .def_readwrite("name", &RunArguments::name)
        .def_readwrite("output_dir", &RunArguments::output_dir)
        .def_readwrite("title", &RunArguments::title)
        .def_readwrite("force", &RunArguments::force);

    m.def("run", &run, py::arg("args"), "One run; a dict of arrays (soma.run wraps it in a Result).");
    m.def("sweep", &sweep, py::arg("args"), py::arg("axes"), py::arg("window"),
          "A sweep over the axes 'KIND.PARAM=VALUES'; a dict (soma.sweep wraps it).");
    m.def("rheobase", &rheobase, py::arg("args"), py::arg("low"), py::arg("high"), py::arg("tolerance"),
          py::arg("batch"), py::arg("firing"), py::arg("parameter"), "A rheobase search; a dict (soma.rheobase wraps it).");
    m.def("plugins", &list_plugins, "The plug-ins found, as dicts (kind, name, version, description, file).");
    m.def("rejected", &rejected_files, "Shared libraries in the plug-in directories that were not accepted so far, and why (plug-ins are loaded when a call needs them).");
    m.def("describe", &describe, py::arg("name"), "Each plug-in of that name (or the model file), as a dict.");
    bind_fitting(m);
    m.def("readable_message", &readable_message, py::arg("message"),
          "A message with its long values abbreviated (their first 60 characters and the length).");
    m.def("python_names", &python_names, py::arg("message"),
          "A message of the soma command with its options named as the Python keywords (--record-cells -> record_cells).");
    m.def("closest_name", [](const std::string& name, const std::vector<std::string>& known) {
        return soma::closest_name(name, known);
    }, py::arg("name"), py::arg("known"), "The name in `known` closest to `name` (a misspelling), or ''.");
    m.def("unknown_name_message", [](const std::string& what, const std::string& name, const std::vector<std::string>& known) {
        return soma::unknown_name_message(what, name, known);
    }, py::arg("what"), py::arg("name"), py::arg("known"),
          "\"unknown WHAT 'NAME'; did you mean 'X'? Known: ...\", as the soma command words it.");
    m.def("search_path", [] { return registry().search_path(); }, "The plug-in directories searched, in order.");
}
