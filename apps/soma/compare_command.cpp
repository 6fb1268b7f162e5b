/// @file compare_command.cpp
/// `soma compare`: a model run against recordings of the same input (libsoma_fitting's compare), with
/// its table, figure and summary.

#include "commands.hpp"
#include "output_directory.hpp"
#include "recording_options.hpp"
#include "report.hpp"
#include "scenario.hpp"
#include "session.hpp"
#include "summary_json.hpp"

#include "soma/distribution.hpp"
#include "soma/readable_number.hpp"
#include "soma/error.hpp"
#include "soma/fitting/compare.hpp"
#include "soma/model_from_file.hpp"
#include "soma/parameter.hpp"
#include "soma/stimulus_from_file.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <iostream>

namespace soma::app {
namespace {

std::vector<ExtraOption> compare_options() {
    std::vector<ExtraOption> options{
        {"recording", "FILES",
         "the recorded repetitions of one stimulus: comma-separated voltage files (repeatable, the files add up); "
         "spike times from a sibling .spiketimes[.gz] file, else detected as upward crossings of --spike-threshold",
         true},
        {"window", "FROM:TO", "the stretch of the figure, ms (default: the first 1000 ms)"},
        {"cell", "K", "the cell of a population drawn in the figure (default: 0)"}};
    for (auto& o : recording_options()) options.push_back(std::move(o));
    for (auto& o : common_options("compare")) options.push_back(std::move(o));
    return options;
}

std::string compare_help(const std::vector<ExtraOption>& options) {
    return "usage: soma compare --recording FILES [--recording-dt MS] [--delta MS] [--window FROM:TO] [options]\n\n"
           "Runs the model on the current recorded with the first file (unless --stimulus is given) for the\n"
           "recording's duration and compares every cell with every repetition: the coincidence factor Gamma\n"
           "(+-delta ms, chance-corrected with the model's rate), the intrinsic reliability Gamma_int of the\n"
           "repetitions, Gamma_A = Gamma / Gamma_int, spike counts and rates, and the RMSE of the membrane\n"
           "potential away from spikes. Writes NAME_compare.csv (one row per cell and repetition),\n"
           "NAME_compare.png/.svg (recorded and simulated voltage overlaid, both spike rasters) with its data,\n"
           "and NAME_compare_summary.json.\n\n" +
           options_help("compare", options, recording_command_use("compare")) +
           "\nThe run lasts as long as the recording and samples v at its step (a whole multiple of --dt); the options\n"
           "of 'soma run' that choose what a run lasts or records (--t-stop, --record, --record-cells,\n"
           "--record-interval, --recorder) do not apply. Example (the 2007 competition's challenge A, set 00, with\n"
           "the organizers' adex):\n"
           "  soma compare --model adex --set model.C=75 --set model.g_L=13 --set model.E_L=-60 \\\n"
           "       --set model.V_T=-39.99 --set model.Delta_T=0.1 --set model.a=0 --set model.b=45.99 \\\n"
           "       --set model.tau_w=13.48 --set model.V_r=-45 --set model.t_ref=1 --dt 0.05 --recording-dt 0.2 \\\n"
           "       --recording 00-0.voltage.gz,00-1.voltage.gz,00-2.voltage.gz,00-3.voltage.gz\n";
}

std::string text(double x, int digits = 3) { return std::isfinite(x) ? fmt::format("{:.{}f}", x, digits) : "-"; }

}  // namespace

int compare_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                    const std::shared_ptr<Distribution>& distribution) {
    const auto options = compare_options();
    const auto parsed = parse_run_arguments(args, "compare", options, recording_command_use("compare"));
    if (!parsed) {
        std::cout << compare_help(options);
        return 0;
    }
    check_plugins(registry, *parsed);
    const Reporting report = reporting(*parsed);
    const bool root = !distribution || distribution->rank() == 0;
    std::vector<std::string> notes = parsed->notes;

    const auto given = parsed->extra.find("recording");
    if (given == parsed->extra.end()) {
        throw ParameterError("soma compare needs --recording FILES: the comma-separated voltage files of the "
                             "repetitions of one stimulus (see 'soma compare --help')");
    }
    const RecordingSettings settings = recording_settings(*parsed);
    fitting::Evaluation evaluation;
    evaluation.delta = settings.delta;
    std::size_t cell = 0;
    if (const auto it = parsed->extra.find("cell"); it != parsed->extra.end()) {
        const double k = parse_number("--cell", it->second.front());
        if (k != std::floor(k) || k < 0) {
            throw ParameterError(fmt::format("--cell {} is not allowed; give a cell index 0, 1, ...", readable(k)));
        }
        cell = static_cast<std::size_t>(k);
    }
    const auto window = parse_window(*parsed);

    RunSpec run = parsed->spec;
    run.distribution = distribution;
    bool stimulus_given = parsed->stimulus_given;
    // A scenario file made for soma run (a fit's NAME_fit.ini) names the recorded current it was made on:
    // that file's current (and its [stimulus] values) would drive the model against another recording.
    if (const auto origin = parsed->origins.find("stimulus");
        stimulus_given && origin != parsed->origins.end() && is_stimulus_file(run.stimulus.name)) {
        notes.push_back(fmt::format("ignoring 'stimulus = {}' of the scenario file ({}) and its [stimulus] values: "
                                    "soma compare plays the current recorded with the first --recording file (give "
                                    "--stimulus to drive the model with something else)",
                                    run.stimulus.name, origin->second));
        stimulus_given = false;
        std::erase_if(run.stimulus.parameters,
                      [&](const auto& p) { return parsed->origins.contains("stimulus." + p.first); });
    }
    std::vector<std::filesystem::path> files;
    for (const auto& t : given->second) {
        for (auto& f : fitting::split_file_list(t)) files.push_back(std::move(f));
    }
    fitting::StimulusSet set;
    try {
        set = fitting::read_stimulus_set(files, settings.recording_dt, run.stimulus, settings.detection);
    } catch (const ParameterError& e) {
        throw ParameterError(fmt::format("--recording: {}", e.what()));
    }
    if (stimulus_given) {
        set.stimulus = run.stimulus;  // the user's own input instead of the recorded current
    } else {
        notes.push_back(fmt::format("the model is driven by the current recorded in {}", files.front().string()));
    }
    fitting::check_delta(evaluation.delta, {&set});
    fitting::check_sampling_step(set, run.settings.dt);
    notes.push_back(fmt::format("set '{}': {} repetition{}; spike times {}", set.name, set.repetitions.size(),
                                set.repetitions.size() == 1 ? "" : "s", set.spikes_from));
    notes.insert(notes.end(), set.notes.begin(), set.notes.end());  // a repetition without a detected spike
    if (auto note = unused_detection_note(*parsed, {&set})) notes.push_back(std::move(*note));
    const std::string model_name = model_label(run.model.name);
    if (!name_given(args)) {
        run.name = model_name + "-" + set.name;
        check_output_name(run.name, "the output name MODEL-SET (from the model and the recordings' names; --name "
                                    "gives another)");
    }
    if (!parsed->title_given) run.title = fmt::format("{} compared with set '{}'", model_name, set.name);
    const auto model = create_model(registry, run.model.name);
    evaluation.v_name = fitting::membrane_potential(*model, run.model.name);
    print_notes(notes);

    // The files may also be a fit's comparison (soma fit --name F writes F_fit-SET_compare.*).
    auto output = open_outputs(registry, *parsed, run, "compare", root, {{}, fitting::comparison_files(run.name)});
    const auto comparison = run_interruptibly(root ? report.progress : "off", [&](ProgressLine& progress) {
        experiments::RunControl control{&interrupted, [&](std::size_t done, std::size_t total) {
                                            progress.update(static_cast<double>(done), static_cast<double>(total),
                                                            "compare");
                                        },
                                        {}, {}};
        return fitting::compare(registry, run, set, evaluation, control);
    });
    if (!root) return 0;
    if (cell >= comparison.cells.size()) {
        throw ParameterError(fmt::format("--cell {}: the run has {} cell{}", cell, comparison.cells.size(),
                                         comparison.cells.size() == 1 ? "" : "s"));
    }
    auto written = fitting::write_comparison(comparison, run.output_dir, run.name,
                                             fitting::figure_window(comparison, window), cell);

    const RunInfo& info = comparison.info;
    say("{}: {} against set '{}' ({} repetition{}, {:g} ms), {} at dt = {:g} ms{}\n", run.name, info.model, set.name,
        set.repetitions.size(), set.repetitions.size() == 1 ? "" : "s", info.t_stop, info.integrator, info.dt,
        info.n_cells == 1 ? std::string() : fmt::format(", {} cells", info.n_cells));
    const auto& first = comparison.cells.front().score;
    say("  recorded: {:.1f} Hz on average; Gamma_int (reliability of the repetitions) {}\n", first.data_rate,
        text(first.gamma_int));
    say("  {:>5} {:>10} {:>10} {:>8} {:>11} {:>10}   Gamma per repetition\n", "cell", "Gamma_A", "Gamma",
        "rate (Hz)", "count ratio", "RMSE (mV)");
    constexpr std::size_t max_rows = 20;
    for (std::size_t c = 0; c < std::min(max_rows, comparison.cells.size()); ++c) {
        const auto& ce = comparison.cells[c];
        std::string per;
        for (const auto& g : ce.per_repetition) per += fmt::format(" {}", text(g.gamma));
        say("  {:>5} {:>10} {:>10} {:>8.1f} {:>11} {:>10}  {}\n", c, text(ce.score.gamma_normalised),
            text(ce.score.gamma), ce.score.model_rate, text(ce.score.count_ratio, 2), text(ce.score.rmse, 2), per);
    }
    if (comparison.cells.size() > max_rows) say("  ... (every cell in {})\n", written.front().string());
    if (const std::string note = fitting::undefined_gamma_note(comparison); !note.empty()) {
        std::cerr << "soma: note: " << note << '\n';
    }

    nlohmann::json json;
    if (report.summary) {
        json = summary_json(info, parsed->command_line, distribution ? distribution->size() : 1);
        nlohmann::json cells = nlohmann::json::array();
        for (const auto& ce : comparison.cells) {
            nlohmann::json reps = nlohmann::json::array();
            for (const auto& g : ce.per_repetition) {
                reps.push_back({{"gamma", number_or_null(g.gamma)},
                                {"coincidences", g.n_coincident},
                                {"model_spikes", g.n_model},
                                {"recorded_spikes", g.n_data}});
            }
            cells.push_back({{"gamma_normalised", number_or_null(ce.score.gamma_normalised)},
                             {"gamma", number_or_null(ce.score.gamma)},
                             {"count_ratio", number_or_null(ce.score.count_ratio)},
                             {"model_rate_Hz", ce.score.model_rate},
                             {"rmse_mV", number_or_null(ce.score.rmse)},
                             {"repetitions", reps}});
        }
        std::vector<std::string> names;
        for (const auto& r : set.repetitions) names.push_back(r.file.string());
        json["compare"] = {{"set", set.name},
                           {"recordings", names},
                           {"spike_times", set.spikes_from},
                           {"delta_ms", evaluation.delta},
                           {"exclusion_ms", {evaluation.exclusion.before, evaluation.exclusion.after}},
                           {"gamma_int", number_or_null(first.gamma_int)},
                           {"recorded_rate_Hz", first.data_rate},
                           {"cells", cells}};
    }
    finish_outputs(std::move(written), std::move(json), output);
    return 0;
}

}  // namespace soma::app
