/// @file fitting.cpp
/// soma.compare and soma.fit: libsoma_fitting's compare and run_fit, filled from the arguments as the
/// `soma compare` and `soma fit` commands fill them from their options (apps/soma/compare_command.cpp,
/// fit_command.cpp), their results as NumPy arrays. Nothing is written to disk.

#include "fitting.hpp"

#include "convert.hpp"
#include "interrupt.hpp"

#include "soma/error.hpp"
#include "soma/fitting/compare.hpp"
#include "soma/fitting/fit.hpp"
#include "soma/fitting/stimulus_set.hpp"
#include "soma/model.hpp"
#include "soma/model_from_file.hpp"
#include "soma/parameter.hpp"

#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace soma::python {
namespace {

namespace fs = std::filesystem;

/// The files of one stimulus set: each entry may itself be a comma-separated list (as the option's text).
std::vector<fs::path> set_files(const std::vector<std::string>& entries) {
    std::vector<fs::path> files;
    for (const auto& e : entries) {
        for (auto& f : fitting::split_file_list(e)) files.push_back(std::move(f));
    }
    return files;
}

/// The set of `files`, with the library's messages prefixed by the argument's name (as the command
/// prefixes them with its option's).
fitting::StimulusSet read_set(const std::vector<std::string>& entries, const std::string& argument,
                              std::optional<double> dt, const ComponentSpec& stimulus_settings,
                              const fitting::SpikeDetection& detection) {
    const auto files = set_files(entries);
    if (files.empty()) {
        throw ParameterError(fmt::format("{}: no file; give the voltage files of one stimulus's repetitions", argument));
    }
    try {
        return fitting::read_stimulus_set(files, dt, stimulus_settings, detection);
    } catch (const ParameterError& e) {
        throw ParameterError(fmt::format("{}: {}", argument, e.what()));
    }
}

void check_recording_dt(std::optional<double> dt) {
    if (dt && !(*dt > 0)) {
        throw ParameterError(fmt::format("recording_dt={:g} is not allowed; it must be > 0 ms", *dt));
    }
}

/// spike_threshold (mV) and spike_window (ms), checked as --spike-threshold and --spike-window are.
fitting::SpikeDetection spike_detection(double threshold, double window) {
    if (!std::isfinite(threshold)) {
        throw ParameterError(fmt::format("spike_threshold={:g} is not allowed; give a finite number (mV)", threshold));
    }
    if (!(window >= 0 && window <= fitting::max_spike_window_ms)) {
        throw ParameterError(fmt::format("spike_window={:g} is not allowed; give a number in [0, {:g}] ms (a spike "
                                         "lasts about 1 ms; the default 0.5)",
                                         window, fitting::max_spike_window_ms));
    }
    fitting::SpikeDetection detection;
    detection.level = threshold;
    detection.refractory = window;
    return detection;
}

/// A float64 array [rows, columns] filled by `value(r, c)`.
template <class F>
py::array_t<double> matrix(std::size_t rows, std::size_t columns, F&& value) {
    py::array_t<double> a({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(columns)});
    auto m = a.mutable_unchecked<2>();
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < columns; ++c) m(static_cast<py::ssize_t>(r), static_cast<py::ssize_t>(c)) = value(r, c);
    }
    return a;
}

py::dict set_score_dict(const fitting::SetScore& s) {
    return py::dict(py::arg("name") = s.name, py::arg("repetitions") = s.repetitions,
                    py::arg("gamma_normalised") = s.gamma_normalised, py::arg("gamma") = s.gamma,
                    py::arg("gamma_int") = s.gamma_int, py::arg("count_ratio") = s.count_ratio,
                    py::arg("model_rate_Hz") = s.model_rate, py::arg("data_rate_Hz") = s.data_rate,
                    py::arg("rmse_mV") = s.rmse);
}

py::list set_scores(const std::vector<fitting::SetScore>& sets) {
    py::list out;
    for (const auto& s : sets) out.append(set_score_dict(s));
    return out;
}

/// The recordings of `set`: files, V and current [samples, repetitions], spike times per repetition.
py::dict recordings_dict(const fitting::StimulusSet& set) {
    const auto& reps = set.repetitions;
    const std::size_t n = reps.front().v.size();
    py::list files, spikes;
    bool currents = true;
    for (const auto& r : reps) {
        files.append(r.file);
        spikes.append(to_array(r.spikes));
        currents = currents && r.current.size() == r.v.size();
    }
    py::dict d;
    d["files"] = files;
    d["dt"] = reps.front().dt;
    d["v"] = matrix(n, reps.size(), [&](std::size_t k, std::size_t r) { return reps[r].v[k]; });
    d["current"] = currents ? py::object(matrix(n, reps.size(), [&](std::size_t k, std::size_t r) {
                                  return reps[r].current[k];
                              }))
                            : py::object(py::none());
    d["spike_times"] = spikes;
    d["spikes_from"] = set.spikes_from;
    d["set"] = set.name;
    return d;
}

py::dict compare(const RunArguments& args, const std::vector<std::string>& recording, std::optional<double> recording_dt,
                 double delta, double spike_threshold, double spike_window, bool stimulus_given) {
    check_recording_dt(recording_dt);
    const auto detection = spike_detection(spike_threshold, spike_window);
    RunSpec run = to_run_spec(args);
    fitting::Evaluation evaluation;
    evaluation.delta = delta;
    fitting::StimulusSet set = read_set(recording, "recording", recording_dt, run.stimulus, detection);
    std::vector<std::string> notes;
    if (stimulus_given) {
        set.stimulus = run.stimulus;  // the user's own input instead of the recorded current
    } else {
        notes.push_back(fmt::format("the model is driven by the current recorded in {}",
                                    set.repetitions.front().file.string()));
    }
    notes.push_back(fmt::format("set '{}': {} repetition{}; spike times {}", set.name, set.repetitions.size(),
                                set.repetitions.size() == 1 ? "" : "s", set.spikes_from));
    fitting::check_delta(delta, {&set});
    std::vector<std::string> warnings = set.notes;  // a repetition without a detected spike
    notes.insert(notes.end(), warnings.begin(), warnings.end());
    evaluation.v_name = fitting::membrane_potential(*create_model(registry(), run.model.name), run.model.name);
    const auto comparison = without_gil(
        [&](SignalPoll& poll) { return fitting::compare(registry(), run, set, evaluation, control(poll)); });
    if (std::string note = fitting::undefined_gamma_note(comparison); !note.empty()) {
        notes.push_back(note);
        warnings.push_back(std::move(note));
    }

    const auto& cells = comparison.cells;
    const std::size_t n_cells = cells.size(), n_reps = set.repetitions.size();
    const std::size_t n_samples = set.repetitions.front().v.size();
    py::dict table;
    add_cell_parameters(table, comparison.info);
    const auto column = [&](auto member) {
        py::array_t<double> a(static_cast<py::ssize_t>(n_cells));
        for (std::size_t c = 0; c < n_cells; ++c) a.mutable_at(static_cast<py::ssize_t>(c)) = cells[c].score.*member;
        return a;
    };
    table["gamma_normalised"] = column(&fitting::SetScore::gamma_normalised);
    table["gamma"] = column(&fitting::SetScore::gamma);
    table["count_ratio"] = column(&fitting::SetScore::count_ratio);
    table["model_rate_Hz"] = column(&fitting::SetScore::model_rate);
    table["rmse_mV"] = column(&fitting::SetScore::rmse);
    py::array_t<std::int64_t> model_spikes(static_cast<py::ssize_t>(n_cells));
    py::array_t<std::int64_t> coincidences({static_cast<py::ssize_t>(n_cells), static_cast<py::ssize_t>(n_reps)});
    py::list spike_times;
    for (std::size_t c = 0; c < n_cells; ++c) {
        model_spikes.mutable_at(static_cast<py::ssize_t>(c)) = static_cast<std::int64_t>(cells[c].spikes.size());
        for (std::size_t r = 0; r < n_reps; ++r) {
            coincidences.mutable_at(static_cast<py::ssize_t>(c), static_cast<py::ssize_t>(r)) =
                static_cast<std::int64_t>(cells[c].per_repetition[r].n_coincident);
        }
        spike_times.append(to_array(cells[c].spikes));
    }
    table["model_spikes"] = model_spikes;
    py::array_t<std::int64_t> recorded_spikes(static_cast<py::ssize_t>(n_reps));
    for (std::size_t r = 0; r < n_reps; ++r) {
        recorded_spikes.mutable_at(static_cast<py::ssize_t>(r)) = static_cast<std::int64_t>(set.repetitions[r].spikes.size());
    }
    const double dt = set.repetitions.front().dt;
    py::array_t<double> t(static_cast<py::ssize_t>(n_samples));
    for (std::size_t k = 0; k < n_samples; ++k) t.mutable_at(static_cast<py::ssize_t>(k)) = static_cast<double>(k) * dt;

    py::dict d;
    d["cells"] = table;
    d["repetition_gamma"] = matrix(n_cells, n_reps, [&](std::size_t c, std::size_t r) {
        return cells[c].per_repetition[r].gamma;
    });
    d["coincidences"] = coincidences;
    d["recorded_spikes"] = recorded_spikes;
    d["gamma_int"] = n_cells > 0 ? cells.front().score.gamma_int : std::nan("");
    d["recorded_rate_Hz"] = n_cells > 0 ? cells.front().score.data_rate : std::nan("");
    d["spike_times"] = spike_times;
    d["t"] = t;
    d["v"] = matrix(n_samples, n_cells, [&](std::size_t k, std::size_t c) {
        return k < cells[c].v.size() ? cells[c].v[k] : std::nan("");
    });
    d["recording"] = recordings_dict(set);
    d["delta"] = evaluation.delta;
    d["exclusion"] = py::make_tuple(evaluation.exclusion.before, evaluation.exclusion.after);
    d["info"] = info_dict(comparison.info);
    d["notes"] = notes;
    d["warnings"] = warnings;
    return d;
}

template <class E>
E choice(const std::string& argument, const std::string& given, const std::vector<std::pair<std::string, E>>& choices) {
    std::vector<std::string> names;
    for (const auto& [n, e] : choices) {
        if (n == given) return e;
        names.push_back(n);
    }
    throw ParameterError(fmt::format("{}='{}': {}", argument, given, unknown_name_message(argument, given, names)));
}

py::dict fit(const RunArguments& args, const std::vector<std::string>& fitted,
             const std::vector<std::vector<std::string>>& train, const std::vector<std::vector<std::string>>& held_out,
             std::optional<double> recording_dt, const std::string& objective, double weight, double count_tolerance,
             double min_reliability, double delta, double spike_threshold, double spike_window,
             const std::string& algorithm, std::size_t population, std::size_t generations) {
    fitting::FitSpec spec;
    spec.run = to_run_spec(args);
    spec.seed = spec.run.settings.seed;
    std::vector<std::string> notes;
    for (const auto& text : fitted) spec.parameters.push_back(fitting::parse_fitted_parameter(text));
    if (spec.parameters.empty()) {
        throw ParameterError("soma.fit needs at least one fitted parameter, e.g. fit={'model.V_T': (-55, -35)}");
    }
    for (const auto& p : spec.parameters) {
        if (const auto it = spec.run.model.parameters.find(p.name); it != spec.run.model.parameters.end()) {
            notes.push_back(fmt::format("model.{} = {} (from params) is not used: it is fitted", p.name, it->second));
            spec.run.model.parameters.erase(it);
        }
    }
    check_recording_dt(recording_dt);
    const auto detection = spike_detection(spike_threshold, spike_window);
    if (train.empty()) {
        throw ParameterError("soma.fit needs at least one training set: train=[[the voltage files of one stimulus's "
                             "repetitions], ...]");
    }
    spec.objective = fitting::parse_objective(objective, "objective");
    spec.count_tolerance = count_tolerance;
    spec.min_reliability = min_reliability;
    spec.algorithm = choice<fitting::Algorithm>(
        "algorithm", algorithm, {{"pso_gen", fitting::Algorithm::pso_gen}, {"gaco", fitting::Algorithm::gaco}});
    spec.weight = weight;
    spec.delta = delta;
    spec.population = population;
    spec.generations = generations;
    std::vector<std::string> warnings;  // repetitions without a detected spike
    for (const auto& files : train) {
        spec.training.push_back(read_set(files, "train", recording_dt, spec.run.stimulus, detection));
        notes.push_back(fmt::format("training set '{}': {} repetition{}; spike times {}", spec.training.back().name,
                                    spec.training.back().repetitions.size(),
                                    spec.training.back().repetitions.size() == 1 ? "" : "s",
                                    spec.training.back().spikes_from));
        warnings.insert(warnings.end(), spec.training.back().notes.begin(), spec.training.back().notes.end());
    }
    for (const auto& files : held_out) {
        spec.held_out.push_back(read_set(files, "held_out", recording_dt, spec.run.stimulus, detection));
        warnings.insert(warnings.end(), spec.held_out.back().notes.begin(), spec.held_out.back().notes.end());
    }
    notes.insert(notes.end(), warnings.begin(), warnings.end());
    fitting::check_fit(registry(), spec);
    for (const auto& u : fitting::unreliable_sets(spec)) notes.push_back(python_names(fitting::unreliable_set_note(spec, u)));
    for (auto& n : fitting::held_out_stimulus_notes(spec)) notes.push_back(std::move(n));

    const auto result = without_gil([&](SignalPoll& poll) {
        fitting::FitControl fit_control;
        fit_control.run = control(poll);
        return fitting::run_fit(registry(), spec, fit_control);
    });

    py::dict best, units, bounds;
    for (std::size_t p = 0; p < spec.parameters.size(); ++p) {
        const std::string key = "model." + spec.parameters[p].name;
        best[py::str(key)] = result.best[p];
        units[py::str(key)] = result.units[p];
        bounds[py::str(key)] = py::make_tuple(spec.parameters[p].low, spec.parameters[p].high);
    }
    const std::size_t n = result.generations.size();
    py::array_t<std::int64_t> index(static_cast<py::ssize_t>(n)), candidates(static_cast<py::ssize_t>(n));
    py::array_t<double> gen_best(static_cast<py::ssize_t>(n)), median(static_cast<py::ssize_t>(n)),
        so_far(static_cast<py::ssize_t>(n));
    for (std::size_t g = 0; g < n; ++g) {
        const auto i = static_cast<py::ssize_t>(g);
        const auto& gen = result.generations[g];
        index.mutable_at(i) = static_cast<std::int64_t>(gen.index);
        candidates.mutable_at(i) = static_cast<std::int64_t>(gen.candidates);
        gen_best.mutable_at(i) = gen.best;
        median.mutable_at(i) = gen.median;
        so_far.mutable_at(i) = gen.best_so_far;
    }
    py::dict per_generation;
    per_generation["generation"] = index;
    per_generation["candidates"] = candidates;
    per_generation["best"] = gen_best;
    per_generation["median"] = median;
    per_generation["best_so_far"] = so_far;

    py::dict d;
    d["best"] = best;
    d["units"] = units;
    d["bounds"] = bounds;
    d["best_score"] = result.best_score;
    d["objective"] = to_string(spec.objective);
    d["higher_is_better"] = fitting::higher_is_better(spec.objective);
    d["algorithm"] = to_string(spec.algorithm);
    d["generations"] = per_generation;
    d["training"] = set_scores(result.training);
    d["held_out"] = set_scores(result.held_out);
    d["evaluations"] = result.evaluations;
    d["population_runs"] = result.population_runs;
    d["refused_candidates"] = result.excluded;
    d["seconds"] = result.seconds;
    d["scenario"] = fitting::fit_scenario(result, spec, "");
    if (std::string note = python_names(fitting::fit_gamma_note(result, spec)); !note.empty()) {
        notes.push_back(note);
        warnings.push_back(std::move(note));
    }
    d["info"] = info_dict(result.info);
    d["notes"] = notes;
    d["warnings"] = warnings;
    return d;
}

}  // namespace

void bind_fitting(py::module_& m) {
    m.attr("min_population") = fitting::min_population;
    m.attr("max_population") = fitting::max_population;
    m.def("compare", &compare, py::arg("args"), py::arg("recording"), py::arg("recording_dt"), py::arg("delta"),
          py::arg("spike_threshold"), py::arg("spike_window"), py::arg("stimulus_given"), "A run against recordings, as `soma compare`; a dict (soma.compare wraps it).");
    m.def("fit", &fit, py::arg("args"), py::arg("fitted"), py::arg("train"), py::arg("held_out"),
          py::arg("recording_dt"), py::arg("objective"), py::arg("weight"), py::arg("count_tolerance"),
          py::arg("min_reliability"), py::arg("delta"), py::arg("spike_threshold"), py::arg("spike_window"),
          py::arg("algorithm"),
          py::arg("population"), py::arg("generations"),
          "Fits model parameters to recordings, as `soma fit`; a dict (soma.fit wraps it).");
}

}  // namespace soma::python
