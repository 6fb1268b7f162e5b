/// @file commands.cpp
/// `soma sweep`, `soma fi` and `soma rheobase`: experiments over populations (libsoma_experiments),
/// with their tables, figures and summaries.

#include "report.hpp"
#include "commands.hpp"
#include "scenario.hpp"
#include "session.hpp"
#include "summary_json.hpp"

#include "soma/distribution.hpp"
#include "soma/error.hpp"
#include "soma/readable_number.hpp"
#include "soma/experiments/rheobase.hpp"
#include "soma/experiments/sweep.hpp"
#include "soma/parameter.hpp"
#include "soma/stimulus_sum.hpp"
#include "soma/model_from_file.hpp"
#include "soma/suggested_drive.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <ranges>

namespace soma::app {
namespace {

std::vector<ExtraOption> sweep_options(bool fi) {
    std::vector<ExtraOption> options;
    if (fi) {
        options.push_back({"amplitude", "VALUES",
                           "the stimulus amplitudes of the f-I curve: a list or linspace(a, b, n), in the model's "
                           "current unit (default: linspace(0, 20, 21) for hh; for another model scaled to the step it suggests)"});
    }
    options.push_back({"vary", "KIND.PARAM=VALUES",
                       fi ? "a further axis (repeatable): one curve per value"
                          : "an axis of the sweep (repeatable): a model or stimulus parameter and its values, as a "
                            "list (30,36,42) or linspace(a, b, n); the cells are the product of the axes",
                       true});
    options.push_back({"window", "FROM:TO",
                       "analysis window, ms: rates, ISIs and CVs are of the spikes with FROM <= t < TO (default: the "
                       "second half of the stimulus if it has an onset and offset, else of the run)"});
    for (auto& o : common_options("sweep")) options.push_back(std::move(o));
    return options;
}

std::string sweep_help(bool fi) {
    const std::string intro =
        fi ? "usage: soma fi [SCENARIO.ini] [--amplitude VALUES] [--vary KIND.PARAM=VALUES]... [options]\n\n"
             "An f-I curve: one cell per stimulus amplitude, run as one population, and each cell's steady-state\n"
             "rate (1000 / mean ISI in the analysis window). The same as 'soma sweep --vary\n"
             "stimulus.amplitude=VALUES'; a further --vary gives one curve per value.\n\n"
           : "usage: soma sweep [SCENARIO.ini] --vary KIND.PARAM=VALUES [--vary ...] [options]\n\n"
             "A parameter sweep: every combination of the --vary values is one cell of one population run\n"
             "(--vary stimulus.amplitude='linspace(0,20,41)' --vary model.g_K=30,36,42 is 123 cells; the last\n"
             "axis varies fastest). Writes NAME_sweep.csv (one row per cell: the values, spike count, rate in\n"
             "the analysis window, first-spike latency, mean ISI, CV of the ISIs) and a figure: for one axis the\n"
             "rate against the value (the f-I curve when it is the current) with the onset of firing marked, for\n"
             "two a heat map and one curve per value of the second axis. By default no traces are recorded\n"
             "(add --recorder csv for them).\n\n";
    return intro + options_help(fi ? "fi" : "sweep", sweep_options(fi)) +
           "\nEvery option of 'soma run' applies (model, stimulus, integrator, t-stop, dt, --set, threads, ...).\n"
           "Example (an f-I curve of the Hodgkin-Huxley model, 1 s steps):\n"
           "  soma sweep --stimulus step --set stimulus.onset=0 --set stimulus.offset=1000 --t-stop 1000 \\\n"
           "       --vary 'stimulus.amplitude=linspace(0,20,41)'\n";
}

/// When no cell fired on an axis of the stimulus's amplitude that stays below the step the model suggests
/// (adex needs hundreds of pA, and the f-I curve's default amplitudes end at 20): a note saying so.
std::string drive_hint(const PluginRegistry& registry, const RunSpec& run, const experiments::SweepResult& result,
                       bool fi) {
    if (result.axes.size() != 1 || result.axes.front().full_name() != "stimulus.amplitude") return {};
    if (std::ranges::any_of(result.cells, [](const auto& r) { return r.n_spikes > 0; })) return {};
    const auto model = create_model(registry, run.model.name);
    const auto* suggests = dynamic_cast<const SuggestedDrive*>(model.get());
    const auto drive = suggests != nullptr ? suggests->suggested_step(run.model.preset) : std::nullopt;
    const double highest = std::ranges::max(result.axes.front().values);
    if (!drive || !(drive->amplitude > highest)) return {};
    const std::string unit = result.axes.front().unit == "1" ? "" : " " + result.axes.front().unit;
    const std::string values = fmt::format("linspace(0, {}, 21)", readable(2 * drive->amplitude));
    return fmt::format("no cell fired: the amplitudes reach {}{}, and {} suggests a step of {}{} ({}); try e.g. {}",
                       readable(highest), unit, run.model.preset.empty() ? run.model.name : run.model.name + " (preset " + run.model.preset + ")",
                       readable(drive->amplitude), unit, drive->source,
                       fi ? fmt::format("--amplitude '{}'", values) : fmt::format("--vary 'stimulus.amplitude={}'", values));
}

/// Prints the sweep's cells (up to `max_rows`, else how many fired) and the onset of firing.
void print_sweep(const experiments::SweepResult& result, const std::string& name) {
    constexpr std::size_t max_rows = 50;
    const RunInfo& info = result.info;
    std::vector<std::string> axes;
    for (const auto& a : result.axes) axes.push_back(fmt::format("{} = {}", a.full_name(), a.given_as));
    say("{}: sweep of {} cell{} ({}), {} with {} stimulus and {}, {} ms at dt = {} ms on {} thread{}\n",
               name, result.cells.size(), result.cells.size() == 1 ? "" : "s", fmt::join(axes, " x "), info.model,
               info.stimulus, info.integrator, readable(info.t_stop), readable(info.dt), info.threads, info.threads == 1 ? "" : "s");
    say("  analysis window: {}\n", result.window.description);
    if (result.cells.size() <= max_rows) {
        std::vector<std::string> names;
        for (const auto& a : result.axes) {
            names.push_back(a.unit.empty() || a.unit == "1" ? a.name : fmt::format("{} ({})", a.name, a.unit));
        }
        std::string head = " ";
        for (const auto& n : names) head += fmt::format(" {:>{}}", n, std::max<std::size_t>(10, n.size()));
        say("{} {:>7} {:>10} {:>13}\n", head, "spikes", "rate (Hz)", "latency (ms)");
        for (std::size_t c = 0; c < result.cells.size(); ++c) {
            const auto index = experiments::axis_indices(result.axes, c);
            std::string row = " ";
            for (std::size_t k = 0; k < result.axes.size(); ++k) {
                row += fmt::format(" {:>{}.6g}", result.axes[k].values[index[k]], std::max<std::size_t>(10, names[k].size()));
            }
            const auto& r = result.cells[c];
            say("{} {:>7} {:>10} {:>13}\n", row, r.n_spikes, readable(r.rate, 6),
                std::isnan(r.latency) ? std::string("-") : readable(r.latency, 6));
        }
    } else {
        const auto fired = std::ranges::count_if(result.cells, [](const auto& r) { return r.n_window > 0; });
        say("  {} of {} cells fired in the window\n", fired, result.cells.size());
    }
    if (result.axes.size() == 1) {
        const auto [below, first] = experiments::firing_onset(result);
        const auto& a = result.axes.front();
        const std::string unit = a.unit.empty() || a.unit == "1" ? "" : " " + a.unit;
        if (std::isnan(first)) {
            say("  no cell fired in the window\n");
        } else if (std::isnan(below)) {
            say("  every cell fired in the window (from {} = {:.6g}{})\n", a.full_name(), first, unit);
        } else {
            say("  firing onset: between {} = {:.6g} and {:.6g}{}\n", a.full_name(), below, first, unit);
        }
    }
}

int sweep_or_fi(const PluginRegistry& registry, const std::vector<std::string>& args, bool fi,
                const std::shared_ptr<Distribution>& distribution) {
    const auto options = sweep_options(fi);
    auto parsed = parse_run_arguments(args, fi ? "fi" : "sweep", options);
    if (!parsed) {
        std::cout << sweep_help(fi);
        return 0;
    }
    check_plugins(registry, *parsed);
    const Reporting report = reporting(*parsed);
    if (const auto vary = parsed->extra.find("vary");
        !fi && (vary == parsed->extra.end() ||
                std::ranges::none_of(vary->second, [](const std::string& v) { return v.starts_with("stimulus.amplitude"); }))) {
        use_suggested_drive(registry, *parsed);  // the amplitude is not an axis
    }
    // The default run length and the note on late onsets see an axis of the stimulus's offset or onset as the
    // per-cell values it becomes (each of the sweep's cells takes a value of every axis).
    Scenario timed = *parsed;
    if (const auto vary = parsed->extra.find("vary"); vary != parsed->extra.end()) {
        for (const auto& text : vary->second) {
            const auto axis = experiments::parse_axis(text);
            if (axis.component == "stimulus" && (axis.name == "offset" || axis.name == "onset")) {
                timed.spec.stimulus.parameters.erase(axis.name);
                timed.spec.stimulus.cell_values.insert_or_assign(axis.name, CellValues::list(axis.values));
            }
        }
    }
    use_stimulus_duration(registry, timed);
    parsed->spec.settings.t_stop = timed.spec.settings.t_stop;
    parsed->notes = timed.notes;
    experiments::SweepSpec spec;
    note_preset_for_initial_value(registry, *parsed);
    spec.run = parsed->spec;
    spec.run.distribution = distribution;
    const bool root = !distribution || distribution->rank() == 0;  // rank 0 has the spikes and writes
    if (!parsed->recorders_given) spec.run.recorders.clear();  // the table and the figure are the outputs
    experiments::set_sweep_recording(spec.run);
    if (fi && spec.run.stimulus.name.find('+') != std::string::npos) {
        std::vector<std::string> amplitudes;  // LABEL.amplitude of the parts that have one
        const auto stimulus = make_stimulus(registry, spec.run.stimulus.name);
        for (const auto& p : stimulus->schema()) {
            if (p.name.ends_with(".amplitude")) amplitudes.push_back("stimulus." + p.name);
        }
        throw ParameterError(fmt::format(
            "soma fi varies stimulus.amplitude, but the stimulus '{}' is a sum of stimuli{}",
            spec.run.stimulus.name,
            amplitudes.empty()
                ? std::string(", none of whose parts has an amplitude; vary another of its parameters with soma sweep")
                : fmt::format(" ({}); vary the one you mean with soma sweep, e.g. --vary '{}=linspace(0, 20, 21)'",
                              fmt::join(amplitudes, ", "), amplitudes.front())));
    }
    if (const auto vary = parsed->extra.find("vary"); fi && vary != parsed->extra.end()) {
        for (const auto& text : vary->second) {
            if (experiments::parse_axis(text).full_name() == "stimulus.amplitude") {
                throw ParameterError(fmt::format("--vary '{}': soma fi varies stimulus.amplitude itself; give its values "
                                                 "with --amplitude (e.g. --amplitude '{}')",
                                                 text, text.substr(text.find('=') + 1)));
            }
        }
    }
    if (fi) {
        const auto it = parsed->extra.find("amplitude");
        std::string values = it == parsed->extra.end() ? std::string() : it->second.front();
        if (it != parsed->extra.end() && values.find_first_not_of(" \t") == std::string::npos) {
            throw ParameterError("--amplitude '' gives no amplitude; give a list (--amplitude 1,2,5) or linspace(a, b, "
                                 "n), or leave --amplitude out for the default range");
        }
        if (values.empty()) {
            // 0 to 20, made for hh's 7 uA/cm^2 step, scaled to the step the model suggests (as the stimuli's
            // defaults are: run_spec.hpp, apply_suggested_drive).
            const auto model = create_model(registry, parsed->spec.model.name);
            const auto* suggests = dynamic_cast<const SuggestedDrive*>(model.get());
            const auto drive = suggests != nullptr ? suggests->suggested_step(parsed->spec.model.preset) : std::nullopt;
            const double highest = drive ? 20 * drive->amplitude / 7 : 20;
            values = fmt::format("linspace(0, {}, 21)", readable(highest, 4));
            if (drive && drive->amplitude != 7) {
                const std::string& unit = model->current().unit;
                parsed->notes.push_back(fmt::format("the amplitudes are {}{}: 20/7 times the step of {}{} that {} "
                                                    "suggests; give --amplitude to choose them",
                                                    values, unit == "1" ? "" : " " + unit, readable(drive->amplitude),
                                                    unit == "1" ? "" : " " + unit, parsed->spec.model.name));
            }
        }
        spec.axes.push_back(experiments::parse_axis("stimulus.amplitude=" + values));
    }
    if (const auto it = parsed->extra.find("vary"); it != parsed->extra.end()) {
        for (const auto& text : it->second) spec.axes.push_back(experiments::parse_axis(text));
    }
    if (spec.axes.empty()) {
        throw ParameterError("soma sweep needs at least one axis, e.g. --vary 'stimulus.amplitude=linspace(0,20,41)' "
                             "(see 'soma sweep --help')");
    }
    spec.window = parse_window(*parsed);
    // An axis replaces a value of the same parameter given by the scenario or --set, with a note.
    std::vector<std::string> notes = parsed->notes;
    // Without --window, a stimulus that starts after the run is an error (there is no default window),
    // which says what the note would.
    if (!spec.window) std::erase(notes, stimulus_after_run_note(registry, spec.run));
    for (const auto& axis : spec.axes) {
        auto& given = axis.component == "model" ? spec.run.model.parameters : spec.run.stimulus.parameters;
        if (const auto it = given.find(axis.name); it != given.end()) {
            notes.push_back(fmt::format("{} = {} (from the scenario or --set) is replaced by the sweep's values",
                                        axis.full_name(), it->second));
            given.erase(it);
        }
    }
    print_notes(notes);

    auto output = open_outputs(registry, *parsed, spec.run, "sweep", root);
    const auto result = run_interruptibly(root ? report.progress : "off", [&](ProgressLine& progress) {
        experiments::RunControl control{&interrupted, [&](std::size_t done, std::size_t total) {
                                            progress.update(static_cast<double>(done), static_cast<double>(total),
                                                            "sweep");
                                        },
                                        {}, {}};
        if (output) control.outputs = [&](const auto& files) { output->claim(files); };
        return experiments::run_sweep(registry, spec, control);
    });
    if (!root) return 0;
    print_notes(experiments::sweep_notes(result));
    auto written = result.recorder_outputs;
    for (const auto& path : experiments::write_sweep(result, spec.run.output_dir, spec.run.name)) written.push_back(path);
    print_sweep(result, spec.run.name);
    if (const std::string hint = drive_hint(registry, spec.run, result, fi); !hint.empty()) print_notes({hint});
    nlohmann::json json;
    if (report.summary) {
        json = summary_json(result.info, parsed->command_line, distribution ? distribution->size() : 1);
        nlohmann::json axes = nlohmann::json::array();
        for (const auto& a : result.axes) {
            axes.push_back({{"parameter", a.full_name()}, {"unit", a.unit}, {"given_as", a.given_as}, {"values", a.values}});
        }
        nlohmann::json cells = nlohmann::json::array();
        for (const auto& r : result.cells) {
            cells.push_back({{"spikes", r.n_spikes},
                             {"spikes_in_window", r.n_window},
                             {"rate_Hz", r.rate},
                             {"latency_ms", number_or_null(r.latency)},
                             {"mean_isi_ms", number_or_null(r.mean_isi)},
                             {"cv_isi", number_or_null(r.cv_isi)}});
        }
        const auto [below, first] = experiments::firing_onset(result);
        json["sweep"] = {{"axes", axes},
                         {"window_ms", {result.window.from, result.window.to}},
                         {"window", result.window.description},
                         {"latency_from_ms", result.latency_reference},
                         {"firing_onset", {{"below", number_or_null(below)}, {"from", number_or_null(first)}}},
                         {"cells", cells}};
    }
    finish_outputs(std::move(written), std::move(json), output);
    return 0;
}


std::vector<ExtraOption> rheobase_options() {
    std::vector<ExtraOption> options{
        {"low", "I", "lower bound of the search, at which no cell fires (default: 0), in the stimulus parameter's unit"},
        {"high", "I", "upper bound of the search, at which every cell fires (required)"},
        {"tolerance", "I", "the search ends when each cell's rheobase is known within this (default: (high - low) / 1000)"},
        {"batch", "K", "amplitudes per cell and round, run as one population: each round narrows the interval K + 1 "
                       "times (default: 7)"},
        {"firing", "WHAT", "single: at least one spike (single-spike threshold); sustained: firing until the end of the "
                           "stimulus (default: single)"},
        {"parameter", "NAME", "the stimulus parameter searched (default: amplitude)"}};
    for (auto& o : common_options("rheobase")) options.push_back(std::move(o));
    return options;
}

/// The number of option `name`, or `fallback` when not given.
double number_option(const Scenario& scenario, const std::string& name, double fallback) {
    const auto it = scenario.extra.find(name);
    return it == scenario.extra.end() ? fallback : parse_number("--" + name, it->second.front());
}

}  // namespace

/// The options of `soma run` that a rheobase search has no use for: it records only each trial's spikes.
RunOptionUse rheobase_use() {
    RunOptionUse use;
    for (const char* option : {"record", "record-cells", "record-interval", "recorder"}) {
        use.refused[option] = "the search keeps only whether each trial fires; its outputs are NAME_rheobase.csv and "
                              "its summary";
    }
    return use;
}

int rheobase_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                     const std::shared_ptr<Distribution>& distribution) {
    const auto options = rheobase_options();
    auto parsed = parse_run_arguments(args, "rheobase", options, rheobase_use());
    if (!parsed) {
        std::cout << "usage: soma rheobase [SCENARIO.ini] --high I [--low I] [--firing single|sustained] [options]\n\n"
                     "The rheobase of each cell: the smallest amplitude of the run's stimulus (by default the step\n"
                     "of 'soma run') that makes it fire, by bisection in parallel batches. The cells are those of\n"
                     "'soma run' with the same options (--cells, per-cell --set values, --cells-from), so a\n"
                     "population gives one rheobase per cell. Writes NAME_rheobase.csv.\n\n"
                  << options_help("rheobase", options, rheobase_use())
                  << "\nExample (the leaky integrate-and-fire cell, a 500 ms step):\n"
                     "  soma rheobase --model lif --set stimulus.onset=0 --set stimulus.offset=500 --t-stop 500 \\\n"
                     "       --high 5 --tolerance 1e-6\n";
        return 0;
    }
    check_plugins(registry, *parsed);
    use_stimulus_duration(registry, *parsed);  // the whole step (or ramp) is searched, as soma run runs it
    note_preset_for_initial_value(registry, *parsed);
    const Reporting report = reporting(*parsed);
    experiments::RheobaseSpec spec;
    spec.run = parsed->spec;
    spec.run.distribution = distribution;
    const bool root = !distribution || distribution->rank() == 0;
    if (!parsed->extra.contains("high")) {
        throw ParameterError("soma rheobase needs --high, an amplitude at which every cell fires (e.g. --high 20 for the "
                             "default hh model with its step); --low (default 0) must not make any cell fire");
    }
    spec.low = number_option(*parsed, "low", 0);
    spec.high = number_option(*parsed, "high", 0);
    spec.tolerance = number_option(*parsed, "tolerance", 0);
    if (parsed->extra.contains("tolerance") && !(spec.tolerance > 0)) {
        throw ParameterError(fmt::format("--tolerance {} is not allowed; it must be > 0", readable(spec.tolerance)));
    }
    const double batch = number_option(*parsed, "batch", 7);
    if (batch != std::floor(batch) || batch < 1 || batch > 1000) {
        throw ParameterError(fmt::format("--batch {} is not allowed; give a whole number from 1 to 1000", readable(batch)));
    }
    spec.batch = static_cast<std::size_t>(batch);
    if (const auto it = parsed->extra.find("firing"); it != parsed->extra.end()) {
        const std::vector<std::string> kinds{"single", "sustained"};
        if (std::ranges::find(kinds, it->second.front()) == kinds.end()) {
            throw ParameterError(fmt::format("--firing '{}': {}", it->second.front(),
                                             unknown_name_message("definition", it->second.front(), kinds)));
        }
        spec.firing = it->second.front() == "single" ? experiments::Firing::single : experiments::Firing::sustained;
    }
    if (const auto it = parsed->extra.find("parameter"); it != parsed->extra.end()) {
        spec.parameter = it->second.front();
        if (spec.parameter.starts_with("stimulus.")) spec.parameter.erase(0, 9);  // as --set and --vary write it
    }
    std::vector<std::string> notes = parsed->notes;
    if (const auto it = spec.run.stimulus.parameters.find(spec.parameter); it != spec.run.stimulus.parameters.end()) {
        notes.push_back(fmt::format("stimulus.{} = {} (from the scenario or --set) is not used: the search varies it",
                                    spec.parameter, it->second));
        spec.run.stimulus.parameters.erase(it);
    }
    print_notes(notes);

    auto output = open_outputs(registry, *parsed, spec.run, "rheobase", root);
    const auto result = run_interruptibly(root ? report.progress : "off", [&](ProgressLine& progress) {
        std::size_t round = 0;
        experiments::RunControl control{&interrupted,
                                        [&](std::size_t done, std::size_t total) {
                                            progress.update(static_cast<double>(done), static_cast<double>(total), [&] {
                                                return round == 0 ? std::string("rheobase search, both bounds")
                                                                  : fmt::format("rheobase search, round {}", round);
                                            });
                                        },
                                        [&](std::size_t r) {
                                            round = r;
                                            progress.restart();
                                        },
                                        {}};
        return experiments::find_rheobase(registry, spec, control);
    });
    if (!root) return 0;
    const RunInfo& info = result.info;
    std::vector<std::filesystem::path> written{experiments::write_rheobase(result, spec, spec.run.output_dir, spec.run.name)};
    say("{}: rheobase ({}) of stimulus.{} for {} cell{}, {} with {} stimulus and {}, {} ms at dt = {} ms; "
               "{} round{}, {} cells simulated\n",
               spec.run.name, spec.firing == experiments::Firing::single ? "single spike" : "sustained firing",
               spec.parameter, info.n_cells, info.n_cells == 1 ? "" : "s", info.model, info.stimulus, info.integrator,
               readable(info.t_stop), readable(info.dt), result.rounds, result.rounds == 1 ? "" : "s", result.cell_runs);
    constexpr std::size_t max_lines = 20;
    for (std::size_t c = 0; c < std::min(max_lines, result.cells.size()); ++c) {
        std::string values;
        for (const auto& p : info.cell_parameters) values += fmt::format(" {}.{} = {:.6g}", p.component, p.name, p.values[c]);
        say("  cell {}{}: {:.8g} {} ({} at {:.8g})\n", c, values, result.cells[c].rheobase, result.unit,
            spec.firing == experiments::Firing::single ? "does not fire" : "does not fire until the end",
            result.cells[c].below);
    }
    if (result.cells.size() > max_lines) say("  ... (every cell in {})\n", written.front().string());
    nlohmann::json json;
    if (report.summary) {
        json = summary_json(info, parsed->command_line, distribution ? distribution->size() : 1);
        nlohmann::json cells = nlohmann::json::array();
        for (const auto& r : result.cells) cells.push_back({{"rheobase", r.rheobase}, {"below", r.below}});
        json["rheobase"] = {{"parameter", "stimulus." + spec.parameter},
                            {"unit", result.unit},
                            {"firing", spec.firing == experiments::Firing::single ? "single" : "sustained"},
                            {"low", spec.low},
                            {"high", spec.high},
                            {"tolerance", result.tolerance},
                            {"batch", spec.batch},
                            {"rounds", result.rounds},
                            {"cells", cells}};
    }
    finish_outputs(std::move(written), std::move(json), output);
    return 0;
}

int sweep_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                  const std::shared_ptr<Distribution>& distribution) {
    return sweep_or_fi(registry, args, false, distribution);
}

int fi_command(const PluginRegistry& registry, const std::vector<std::string>& args,
               const std::shared_ptr<Distribution>& distribution) {
    return sweep_or_fi(registry, args, true, distribution);
}

}  // namespace soma::app
