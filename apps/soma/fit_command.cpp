/// @file fit_command.cpp
/// `soma fit`: a model's parameters fitted to recordings (libsoma_fitting's run_fit), with the table of
/// generations, its figure, a scenario of the best parameters, a summary and the scores per set.

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
#include "soma/fitting/fit.hpp"
#include "soma/fitting/recording.hpp"
#include "soma/fitting/stimulus_set.hpp"
#include "soma/model_from_file.hpp"
#include "soma/parameter.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <utility>

namespace soma::app {
namespace {

namespace fs = std::filesystem;

std::vector<ExtraOption> fit_options() {
    std::vector<ExtraOption> options{
        {"fit", "model.PARAM=LOW:HIGH",
         "a model parameter to fit and its bounds, in its unit (repeatable), e.g. --fit model.V_T=-55:-35", true},
        {"train", "FILES",
         "a training set (repeatable): the comma-separated voltage files of one stimulus's repetitions; the stimulus "
         "is the current recorded in the first",
         true},
        {"held-out", "FILES", "a held-out set (repeatable), as --train: scored with the best parameters only", true},
        {"validate", "FILES", "the same as --held-out", true},
        {"objective", "WHAT",
         "gamma-count: maximise the mean over the sets of min(Gamma_A, 1) less a penalty when the spike count is "
         "off the recording's by more than --count-tolerance; gamma: maximise the mean Gamma_A = Gamma / Gamma_int "
         "(raw Gamma with one repetition), which rewards over-firing at high rates; subthreshold: minimise the RMSE "
         "of V away from spikes; weighted: the gamma-count score - weight x RMSE (default: gamma-count)"},
        {"count-tolerance", "F",
         "gamma-count, weighted: the relative spike-count error allowed without penalty, in [0, 1] (default: 0.15)"},
        {"min-reliability", "R",
         "a training set whose repetitions agree less (Gamma_int < R) is fitted to its spike count, not its spike "
         "times, in [0, 1] (default: 0.1; 0 fits every set's spike times)"},
        {"weight", "PER_MV", "weight of the RMSE (mV) in the weighted objective, 1/mV, in [0, 100] (default: 0.1)"},
        {"algorithm", "NAME", "pso_gen (particle swarm) or gaco (ant colony), pagmo2's (default: pso_gen)"},
        {"population", "N",
         fmt::format("candidates per generation, run as one population, {} to {} (default: 32)",
                     fitting::min_population, fitting::max_population)},
        {"generations", "G", "generations after the initial population, 1 to 100000 (default: 30)"}};
    for (auto& o : recording_options()) options.push_back(std::move(o));
    for (auto& o : common_options("fit")) options.push_back(std::move(o));
    return options;
}

std::string fit_help(const std::vector<ExtraOption>& options) {
    return "usage: soma fit --fit model.PARAM=LOW:HIGH [--fit ...] --train FILES [--train ...] [--held-out FILES]\n"
           "                [--objective gamma-count|gamma|subthreshold|weighted] [options]\n\n"
           "Fits model parameters to recordings of a real cell with pagmo2's particle swarm (pso_gen) or ant colony\n"
           "(gaco). Each generation's candidates run as one population per training set (one cell per candidate),\n"
           "driven by the current recorded with the set (the waveform stimulus). Spike times are read from a\n"
           "sibling .spiketimes[.gz] file when there is one, else detected (upward crossings of --spike-threshold).\n"
           "Writes NAME_fit.csv (best and median score per generation), its figure NAME_fit.png/.svg,\n"
           "NAME_fit.ini (a scenario of 'soma run' with the best parameters), NAME_fit-SET_compare.* for every\n"
           "training and held-out set (the best parameters against the set, as 'soma compare' draws it) and\n"
           "NAME_fit_summary.json, and prints the best parameters with the scores on every training and held-out\n"
           "set: Gamma_A (Gamma / Gamma_int), the raw Gamma, the spike-count ratio (model / recording) and the\n"
           "RMSE of V away from the recorded spikes (NAME_fit-SET_compare.* leave out the model's spikes too).\n\n" +
           options_help("fit", options, recording_command_use("fit")) +
           "\nEach run lasts as long as its set's recordings and samples v at their step (a whole multiple of --dt);\n"
           "the cells are the candidates (under mpirun they are split across the ranks), so the options of\n"
           "'soma run' that choose what a run lasts, drives or records (--t-stop, --cells, --cells-from,\n"
           "--stimulus, --record, --record-cells, --record-interval, --recorder) do not apply.\n"
           "Example (the 2007 competition's challenge A, two sets of 4 repetitions):\n"
           "  soma fit --model adex --fit model.V_T=-55:-35 --fit model.b=0:100 --recording-dt 0.2 \\\n"
           "       --train 00-0.voltage.gz,00-1.voltage.gz,00-2.voltage.gz,00-3.voltage.gz \\\n"
           "       --held-out 05-0.voltage.gz,05-1.voltage.gz,05-2.voltage.gz,05-3.voltage.gz\n";
}

/// The set of `--OPTION FILES`, its spike source as a note.
fitting::StimulusSet read_set(const std::string& text, const std::string& option, const RecordingSettings& settings,
                              const ComponentSpec& stimulus_settings, std::vector<std::string>& notes) {
    const auto files = fitting::split_file_list(text);
    if (files.empty()) {
        throw ParameterError(fmt::format("--{} '{}': no file; give the comma-separated voltage files of one stimulus's "
                                         "repetitions",
                                         option, text));
    }
    try {
        auto set = fitting::read_stimulus_set(files, settings.recording_dt, stimulus_settings, settings.detection);
        notes.push_back(fmt::format("{} set '{}': {} repetition{}; spike times {}",
                                    option == "train" ? "training" : option, set.name, files.size(),
                                    files.size() == 1 ? "" : "s", set.spikes_from));
        notes.insert(notes.end(), set.notes.begin(), set.notes.end());  // a repetition without a detected spike
        return set;
    } catch (const ParameterError& e) {
        throw ParameterError(fmt::format("--{}: {}", option, e.what()));
    }
}

std::size_t whole_option(const Scenario& scenario, const std::string& name, std::size_t fallback, std::size_t least,
                         std::size_t most) {
    const auto it = scenario.extra.find(name);
    if (it == scenario.extra.end()) return fallback;
    const double x = parse_number("--" + name, it->second.front());
    if (x != std::floor(x) || x < static_cast<double>(least) || x > static_cast<double>(most)) {
        throw ParameterError(fmt::format("--{} {} is not allowed; give a whole number from {} to {}", name, readable(x), least, most));
    }
    return static_cast<std::size_t>(x);
}

/// A set the best parameters are compared with, and the name of that comparison's outputs.
struct Shown {
    const fitting::StimulusSet* set = nullptr;
    std::string kind;  ///< "training" or "held-out"
    std::string name;   ///< NAME_fit-SET (NAME_fit-SET-K for a second set of the same name, K from 2)
    std::string label;  ///< SET, or SET-K as in its outputs' name, for the score table
};

std::vector<Shown> shown_sets(const fitting::FitSpec& spec) {
    std::vector<Shown> shown;
    const std::pair<const std::vector<fitting::StimulusSet>*, const char*> groups[] = {{&spec.training, "training"},
                                                                                   {&spec.held_out, "held-out"}};
    // A second set of a name gets the first suffix that no set's own name has (00-0-2 may be a set's name).
    std::set<std::string> own, taken;
    for (const auto& [sets, kind] : groups) {
        for (const auto& set : *sets) own.insert(spec.run.name + "_fit-" + set.name);
    }
    for (const auto& [sets, kind] : groups) {
        for (const auto& set : *sets) {
            const std::string base = spec.run.name + "_fit-" + set.name;
            const auto free = [&](const std::string& n) { return !taken.contains(n) && (n == base || !own.contains(n)); };
            std::string name = base;
            for (int k = 2; !free(name); ++k) name = fmt::format("{}-{}", base, k);
            taken.insert(name);
            shown.push_back({&set, kind, name, set.name + name.substr(base.size())});
        }
    }
    return shown;
}

double number_or(const Scenario& scenario, const std::string& name, double fallback) {
    const auto it = scenario.extra.find(name);
    return it == scenario.extra.end() ? fallback : parse_number("--" + name, it->second.front());
}

template <class E>
E choice(const Scenario& scenario, const std::string& option, const std::vector<std::pair<std::string, E>>& choices,
         E fallback) {
    const auto it = scenario.extra.find(option);
    if (it == scenario.extra.end()) return fallback;
    std::vector<std::string> names;
    for (const auto& [n, e] : choices) {
        if (n == it->second.front()) return e;
        names.push_back(n);
    }
    throw ParameterError(fmt::format("--{} '{}': {}", option, it->second.front(),
                                     unknown_name_message(option, it->second.front(), names)));
}

std::string score_text(double x, int digits = 3) { return std::isnan(x) ? "-" : fmt::format("{:.{}f}", x, digits); }

/// One line per set of `kind`; `shown` (in the order of the scores) labels each as its outputs do.
void print_scores(const std::vector<fitting::SetScore>& sets, const std::vector<Shown>& shown, std::string_view kind) {
    auto label = std::ranges::find(shown, kind, &Shown::kind);
    for (const auto& s : sets) {
        say("  {:<9} {:<12} {:>4} {:>8} {:>8} {:>9} {:>11} {:>10} {:>10}\n", kind, (label++)->label, s.repetitions,
                   score_text(s.gamma_normalised), score_text(s.gamma), score_text(s.gamma_int), score_text(s.count_ratio, 2),
                   score_text(s.model_rate, 1), score_text(s.rmse, 2));
    }
}

nlohmann::json sets_json(const std::vector<fitting::SetScore>& sets) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : sets) {
        out.push_back({{"name", s.name},
                       {"repetitions", s.repetitions},
                       {"gamma_normalised", number_or_null(s.gamma_normalised)},
                       {"gamma", number_or_null(s.gamma)},
                       {"gamma_int", number_or_null(s.gamma_int)},
                       {"count_ratio", number_or_null(s.count_ratio)},
                       {"model_rate_Hz", number_or_null(s.model_rate)},
                       {"data_rate_Hz", number_or_null(s.data_rate)},
                       {"rmse_mV", number_or_null(s.rmse)}});
    }
    return out;
}

}  // namespace

int fit_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                const std::shared_ptr<Distribution>& distribution) {
    const auto options = fit_options();
    const auto parsed = parse_run_arguments(args, "fit", options, recording_command_use("fit"));
    if (!parsed) {
        std::cout << fit_help(options);
        return 0;
    }
    check_plugins(registry, *parsed);
    const Reporting report = reporting(*parsed);
    const bool root = !distribution || distribution->rank() == 0;
    std::vector<std::string> notes = parsed->notes;

    fitting::FitSpec spec;
    spec.run = parsed->spec;
    spec.run.distribution = distribution;
    spec.seed = spec.run.settings.seed;
    // Unless named, the outputs are named after the model (MODEL_fit.csv), not after the stimulus.
    if (!name_given(args)) {
        spec.run.name = model_label(spec.run.model.name);
    }
    if (const auto it = parsed->extra.find("fit"); it != parsed->extra.end()) {
        for (const auto& text : it->second) spec.parameters.push_back(fitting::parse_fitted_parameter(text));
    }
    if (spec.parameters.empty()) {
        throw ParameterError("soma fit needs at least one --fit model.PARAM=LOW:HIGH, e.g. --fit model.V_T=-55:-35 "
                             "(see 'soma fit --help')");
    }
    for (const auto& p : spec.parameters) {
        if (const auto it = spec.run.model.parameters.find(p.name); it != spec.run.model.parameters.end()) {
            notes.push_back(fmt::format("model.{} = {} (from the scenario or --set) is not used: it is fitted", p.name,
                                        it->second));
            spec.run.model.parameters.erase(it);
        }
    }
    const RecordingSettings settings = recording_settings(*parsed);
    const auto train = parsed->extra.find("train");
    if (train == parsed->extra.end()) {
        throw ParameterError("soma fit needs at least one --train FILES: the comma-separated voltage files of one "
                             "stimulus's repetitions (see 'soma fit --help')");
    }
    if (const auto it = parsed->extra.find("objective"); it != parsed->extra.end()) {
        spec.objective = fitting::parse_objective(it->second.front(), "--objective");
    }
    spec.count_tolerance = number_or(*parsed, "count-tolerance", spec.count_tolerance);
    const bool counts = spec.objective == fitting::Objective::gamma_count || spec.objective == fitting::Objective::weighted;
    if (parsed->extra.contains("count-tolerance") && !counts) {
        notes.push_back("--count-tolerance is used by --objective gamma-count and weighted only");
    }
    spec.min_reliability = number_or(*parsed, "min-reliability", spec.min_reliability);
    if (parsed->extra.contains("min-reliability") && spec.objective == fitting::Objective::subthreshold) {
        notes.push_back("--min-reliability is not used by --objective subthreshold (no spike times)");
    }
    spec.algorithm = choice<fitting::Algorithm>(
        *parsed, "algorithm", {{"pso_gen", fitting::Algorithm::pso_gen}, {"gaco", fitting::Algorithm::gaco}},
        fitting::Algorithm::pso_gen);
    spec.weight = number_or(*parsed, "weight", spec.weight);
    spec.delta = settings.delta;
    spec.population =
        whole_option(*parsed, "population", spec.population, fitting::min_population, fitting::max_population);
    spec.generations = whole_option(*parsed, "generations", spec.generations, 1, 100000);
    if (parsed->extra.contains("weight") && spec.objective != fitting::Objective::weighted) {
        notes.push_back("--weight is used by --objective weighted only");
    }
    // Read the recordings only once the options are known to be valid.
    for (const auto& text : train->second) {
        spec.training.push_back(read_set(text, "train", settings, spec.run.stimulus, notes));
    }
    for (const char* option : {"held-out", "validate"}) {
        if (const auto it = parsed->extra.find(option); it != parsed->extra.end()) {
            for (const auto& text : it->second) {
                spec.held_out.push_back(read_set(text, "held-out", settings, spec.run.stimulus, notes));
            }
        }
    }
    std::vector<const fitting::StimulusSet*> all_sets;
    for (const auto* sets : {&spec.training, &spec.held_out}) {
        for (const auto& set : *sets) all_sets.push_back(&set);
    }
    const std::string model_name = model_label(spec.run.model.name);
    std::vector<std::string> training_names;
    for (const auto& set : spec.training) training_names.push_back(fmt::format("'{}'", set.name));
    const std::string fitted_to = fmt::format("{} fitted to set{} {}", model_name, spec.training.size() == 1 ? "" : "s",
                                              fmt::join(training_names, ", "));
    if (!parsed->title_given) spec.run.title = fitted_to;
    fitting::check_fit(registry, spec);  // before the output directory exists
    // The best parameters' comparisons sample v at each set's step: refused now rather than after the fit.
    for (const auto* set : all_sets) fitting::check_sampling_step(*set, spec.run.settings.dt);
    for (const auto& u : fitting::unreliable_sets(spec)) notes.push_back(fitting::unreliable_set_note(spec, u));
    for (auto& n : fitting::held_out_stimulus_notes(spec)) notes.push_back(std::move(n));
    if (auto note = unused_detection_note(*parsed, all_sets)) notes.push_back(std::move(*note));
    print_notes(notes);

    // The best parameters are compared with every set, as soma compare --name NAME_fit-SET would write it.
    const std::vector<Shown> shown = shown_sets(spec);
    OutputClaims claims;
    for (const auto& s : shown) {
        check_output_name(s.name, "the comparisons' name NAME_fit-SET (SET from the recordings' file names: shorter "
                                  "file names or --name shorten it)");
        claims.names.push_back(s.name);
        for (auto& f : fitting::comparison_files(s.name)) claims.files.push_back(std::move(f));
    }
    auto output = open_outputs(registry, *parsed, spec.run, "fit", root, claims);
    const auto result = run_interruptibly(root ? report.progress : "off", [&](ProgressLine& progress) {
        std::size_t generation = 0;
        double best = std::numeric_limits<double>::quiet_NaN();
        fitting::FitControl control;
        control.run.interrupt = &interrupted;
        control.run.progress = [&](std::size_t done, std::size_t total) {
            progress.update(static_cast<double>(generation) + static_cast<double>(done) / static_cast<double>(total),
                            static_cast<double>(spec.generations + 1),
                            fmt::format("fit, generation {} of {}{}", generation, spec.generations,
                                        std::isnan(best) ? std::string() : fmt::format(", best {:.4g}", best)));
        };
        control.run.round = [&](std::size_t g) { generation = g; };
        control.generation = [&](const fitting::Generation& g) { best = g.best_so_far; };
        return fitting::run_fit(registry, spec, control);
    });
    // The best parameters against every training and held-out set, as soma compare shows a run (every rank
    // takes part).
    RunSpec best = spec.run;
    best.cells_from.reset();
    for (std::size_t p = 0; p < spec.parameters.size(); ++p) {
        best.model.parameters[spec.parameters[p].name] = fmt::format("{}", result.best[p]);  // shortest exact
    }
    best.settings.n_cells = 1;
    fitting::Evaluation evaluation{spec.delta, spec.exclusion, true, true,
                                   fitting::membrane_potential(*create_model(registry, best.model.name), best.model.name)};
    std::vector<fitting::Comparison> comparisons;
    for (const auto& s : shown) {
        if (!parsed->title_given) best.title = fmt::format("{}, compared with {} set '{}'", fitted_to, s.kind, s.set->name);
        comparisons.push_back(fitting::compare(registry, best, *s.set, evaluation, {&interrupted, {}, {}, {}}));
    }
    if (!root) return 0;
    auto written = fitting::write_fit(result, spec, spec.run.output_dir, spec.run.name);
    for (std::size_t k = 0; k < shown.size(); ++k) {
        for (auto& path : fitting::write_comparison(comparisons[k], spec.run.output_dir, shown[k].name,
                                                    fitting::figure_window(comparisons[k], std::nullopt))) {
            written.push_back(std::move(path));
        }
    }

    const bool higher = fitting::higher_is_better(spec.objective);
    say("{}: fit of {} parameter{} of {} with {}, {} candidates x {} generations ({} population runs, {} "
               "candidates evaluated{}) in {:.1f} s\n",
               spec.run.name, spec.parameters.size(), spec.parameters.size() == 1 ? "" : "s", spec.run.model.name,
               to_string(spec.algorithm), spec.population, spec.generations, result.population_runs, result.evaluations,
               (result.excluded > 0 ? fmt::format(", {} refused by the model's constraints", result.excluded) : "") +
                   (result.diverged > 0 ? fmt::format(", {} diverged (scored worst)", result.diverged) : ""),
               result.seconds);
    say("  objective {} ({} is better): {:.6g}\n  best parameters:\n", to_string(spec.objective),
               higher ? "higher" : "lower", result.best_score);
    for (std::size_t p = 0; p < spec.parameters.size(); ++p) {
        const auto& fp = spec.parameters[p];
        const bool at_bound = fitting::at_bound(result.best[p], fp.low, fp.high);
        say("    model.{:<10} = {:>12.6g} {:<6} (bounds {:g} to {:g}){}\n", fp.name, result.best[p], result.units[p],
                   fp.low, fp.high, at_bound ? "  at a bound: widen it" : "");
    }
    say("  scores (Gamma_A = Gamma / Gamma_int; count ratio: model / recorded spikes; RMSE of V away from the recorded\n"
        "  spikes, as the objective measures it: the _compare files leave out the model's spikes too):\n");
    say("  {:<9} {:<12} {:>4} {:>8} {:>8} {:>9} {:>11} {:>10} {:>10}\n", "", "set", "reps", "Gamma_A", "Gamma",
               "Gamma_int", "count ratio", "rate (Hz)", "RMSE (mV)");
    print_scores(result.training, shown, "training");
    print_scores(result.held_out, shown, "held-out");
    if (const std::string note = fitting::fit_gamma_note(result, spec); !note.empty()) {
        std::cerr << "soma: note: " << note << '\n';
    }
    nlohmann::json json;
    if (report.summary) {
        json = summary_json(result.info, parsed->command_line, distribution ? distribution->size() : 1);
        nlohmann::json parameters = nlohmann::json::array();
        for (std::size_t p = 0; p < spec.parameters.size(); ++p) {
            parameters.push_back({{"name", "model." + spec.parameters[p].name},
                                  {"unit", result.units[p]},
                                  {"low", spec.parameters[p].low},
                                  {"high", spec.parameters[p].high},
                                  {"best", result.best[p]}});
        }
        nlohmann::json generations = nlohmann::json::array();
        for (const auto& g : result.generations) {
            generations.push_back({{"generation", g.index},
                                   {"candidates", g.candidates},
                                   {"best", number_or_null(g.best)},
                                   {"median", number_or_null(g.median)},
                                   {"best_so_far", number_or_null(g.best_so_far)}});
        }
        json["fit"] = {{"algorithm", to_string(spec.algorithm)},
                       {"objective", to_string(spec.objective)},
                       {"higher_is_better", higher},
                       {"weight_per_mV", spec.weight},
                       {"count_tolerance", spec.count_tolerance},
                       {"min_reliability", spec.min_reliability},
                       {"delta_ms", spec.delta},
                       {"population", spec.population},
                       {"generations", spec.generations},
                       {"seed", spec.seed},
                       {"evaluations", result.evaluations},
                       {"population_runs", result.population_runs},
                       {"refused_candidates", result.excluded},
                       {"diverged_candidates", result.diverged},
                       {"seconds", result.seconds},
                       {"best_score", number_or_null(result.best_score)},
                       {"parameters", parameters},
                       {"per_generation", generations},
                       {"training", sets_json(result.training)},
                       {"held_out", sets_json(result.held_out)},
                       {"rmse_definition", "rmse_mV of training and held_out: the objective's, V away from the recorded "
                                           "spikes (2 ms before to 5 ms after each); the comparisons' RMSE also leaves "
                                           "out the model's spikes"},
                       {"comparisons", [&] {
                            nlohmann::json out = nlohmann::json::array();
                            for (const auto& c : shown) {
                                out.push_back({{"set", c.set->name}, {"kind", c.kind}, {"name", c.name}});
                            }
                            return out;
                        }()}};
    }
    finish_outputs(std::move(written), std::move(json), output);
    return 0;
}

}  // namespace soma::app
