/// @file fit.cpp
/// run_fit: pagmo2's pso_gen or gaco (in the optimiser module, optimizer.hpp) over a batch fitness that runs
/// each training set's stimulus once for all the candidates of a generation (one cell per candidate).

#include "soma/fitting/fit.hpp"

#include "optimizer.hpp"

#include "soma/error.hpp"
#include "soma/experiments/figure.hpp"
#include "soma/experiments/responses.hpp"
#include "soma/fitting/coincidence.hpp"
#include "soma/gnuplot.hpp"
#include "soma/model.hpp"
#include "soma/model_from_file.hpp"
#include "soma/output_file.hpp"
#include "soma/parameter.hpp"
#include "soma/registry.hpp"
#include "soma/stimulus_from_file.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace soma::fitting {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
/// pagmo's fitness (minimised) of a candidate that cannot be scored: refused by the model's constraints,
/// or a score that is not a number. Finite, so that the optimisers' arithmetic stays defined, and worse
/// than any score: |Gamma| <= 1 for rates below 1 / (4 delta), and an RMSE of 1e6 mV is not a membrane.
constexpr double worst_fitness = 1e6;
std::string set_label(const StimulusSet& set, std::string_view kind) {
    return fmt::format("{} set '{}'", kind, set.name);
}

void check_set(const StimulusSet& set, std::string_view kind) {
    const std::string label = set_label(set, kind);
    if (set.repetitions.empty()) throw ParameterError(fmt::format("{} has no recording", label));
    const Recording& first = set.repetitions.front();
    if (!(first.dt > 0) || first.v.empty()) {
        throw ParameterError(fmt::format("{}: {} has no samples or no sampling step", label, first.file.string()));
    }
    for (const auto& [name, text] : set.stimulus.parameters) {
        if (text.find_first_of(",(") != std::string::npos) {
            throw ParameterError(fmt::format("{}: stimulus.{} = '{}': a fit plays the same stimulus into every candidate; "
                                             "give one value",
                                             label, name, text));
        }
    }
    if (!set.stimulus.cell_values.empty()) {
        throw ParameterError(fmt::format("{}: a fit plays the same stimulus into every candidate; per-cell stimulus "
                                         "values are not allowed",
                                         label));
    }
    try {
        (void)spike_trains(set.repetitions);  // the same sampling step and length
    } catch (const ParameterError& e) {
        throw ParameterError(fmt::format("{}: {}", label, e.what()));
    }
    try {
        check_same_stimulus(set);
    } catch (const ParameterError& e) {
        throw ParameterError(fmt::format("{}: {}", label, e.what()));
    }
}

double median(std::vector<double> x) {
    if (x.empty()) return nan;
    const auto mid = x.begin() + static_cast<std::ptrdiff_t>(x.size() / 2);
    std::nth_element(x.begin(), mid, x.end());
    if (x.size() % 2 == 1) return *mid;
    return 0.5 * (*mid + *std::max_element(x.begin(), mid));
}

/// One set's recorded spike trains and what the scores need of them.
struct SetData {
    const StimulusSet* set = nullptr;
    std::vector<std::vector<double>> spikes;  // shape [repetitions][spikes]
    double duration = 0;                      // ms
    double mean_spikes = 0;
};

/// A candidate's scores on one set, with the sums for pooling the RMSE over sets.
struct CandidateSet {
    SetScore score;
    double squared_error = 0;  // sum over the compared samples of (V_model - V_data)^2, mV^2
    std::size_t samples = 0;
    std::size_t spikes = 0;
};

/// Everything the batch fitness needs.
struct Context {
    const PluginRegistry* registry = nullptr;
    const FitSpec* spec = nullptr;
    const FitControl* control = nullptr;
    std::shared_ptr<Model> model;   // configured with the preset and the fixed values
    std::vector<std::size_t> index; // each fitted parameter's index in the schema
    std::string v_name;
    std::vector<SetData> training, held_out;
    bool data_spikes = false;  // the training recordings have spikes

    std::vector<Generation> generations;
    std::vector<double> best_x;
    double best_score = nan;
    std::size_t evaluations = 0, population_runs = 0, excluded = 0, diverged = 0;
    std::exception_ptr failure;  // a failure inside pagmo's calls, rethrown after it returns
};

double gamma_term(const SetScore& s) {
    const double g = s.repetitions > 1 ? s.gamma_normalised : s.gamma;
    return std::isfinite(g) ? g : -1;
}

/// Whether a set's spike timing counts in the objective: its repetitions agree at least
/// spec.min_reliability (a set of one repetition has no Gamma_int and always counts; so does every set
/// when min_reliability is 0, a Gamma_int below 0 included).
bool timing_counts(const FitSpec& spec, const SetScore& s) {
    return spec.min_reliability <= 0 || !(s.gamma_int < spec.min_reliability);
}

/// The count penalty of one set (see Objective::gamma_count): 5 max(0, |count ratio - 1| - tolerance), at
/// most 5.
double count_penalty(const SetScore& s, double tolerance) {
    const double r = s.count_ratio;
    // No recorded spike (r = inf when the model fires, NaN when neither does): the largest penalty, or none.
    const double excess = std::isnan(r) ? 0.0 : std::isinf(r) ? 1.0 : std::max(0.0, std::abs(r - 1) - tolerance);
    return 5 * std::min(excess, 1.0);
}

/// The objective of a candidate from its scores on every training set (NaN when undefined).
double objective(const FitSpec& spec, const std::vector<CandidateSet>& sets) {
    double gamma = 0, penalty = 0, squared = 0;
    std::size_t timed = 0, samples = 0;
    for (const auto& s : sets) {
        if (timing_counts(spec, s.score)) {
            gamma += spec.objective == Objective::gamma ? gamma_term(s.score) : std::min(gamma_term(s.score), 1.0);
            ++timed;
        }
        penalty += count_penalty(s.score, spec.count_tolerance);
        squared += s.squared_error;
        samples += s.samples;
    }
    if (timed > 0) gamma /= static_cast<double>(timed);
    penalty /= static_cast<double>(sets.size());
    const double rmse = samples == 0 ? nan : std::sqrt(squared / static_cast<double>(samples));
    switch (spec.objective) {
        case Objective::gamma: return gamma;
        case Objective::gamma_count: return gamma - penalty;
        case Objective::subthreshold: return rmse;
        case Objective::weighted: return gamma - penalty - spec.weight * rmse;
    }
    return nan;
}

bool better(Objective objective, double a, double b) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return higher_is_better(objective) ? a > b : a < b;
}

/// Runs `candidates` (each the fitted values in FitSpec order, all valid) on `data` as one population and
/// scores each. `voltage`: record v (the subthreshold term). `distributed`: split over the ranks.
std::vector<CandidateSet> run_set(const Context& context, const SetData& data,
                                  const std::vector<std::vector<double>>& candidates, bool voltage, bool distributed,
                                  RunInfo* info = nullptr) {
    const FitSpec& spec = *context.spec;
    RunSpec run = spec.run;
    run.cells_from.reset();
    for (std::size_t p = 0; p < spec.parameters.size(); ++p) {
        std::vector<double> values(candidates.size());
        for (std::size_t c = 0; c < candidates.size(); ++c) values[c] = candidates[c][p];
        run.model.cell_values[spec.parameters[p].name] = CellValues::list(std::move(values), "the fit's candidates");
    }
    run.settings.n_cells = candidates.size();
    if (!distributed) run.distribution.reset();
    Evaluation evaluation{spec.delta, spec.exclusion, voltage, false, context.v_name, false};
    const auto cells = evaluate_population(*context.registry, run, *data.set, evaluation, context.control->run, info);
    std::vector<CandidateSet> out(candidates.size());
    for (std::size_t c = 0; c < cells.size(); ++c) {
        out[c].score = cells[c].score;
        out[c].squared_error = cells[c].squared_error;
        out[c].samples = cells[c].samples;
        out[c].spikes = cells[c].spikes.size();
    }
    return out;
}

std::vector<std::byte> to_bytes(const std::vector<double>& x) {
    std::vector<std::byte> bytes(x.size() * sizeof(double));
    if (!x.empty()) std::memcpy(bytes.data(), x.data(), bytes.size());
    return bytes;
}

std::vector<double> from_bytes(const std::vector<std::byte>& bytes) {
    std::vector<double> x(bytes.size() / sizeof(double));
    if (!x.empty()) std::memcpy(x.data(), bytes.data(), x.size() * sizeof(double));
    return x;
}

/// Scores one generation (or the initial population): the objective of each candidate, worst_fitness for
/// those the model refuses. Logs the generation. Collective over the distribution.
std::vector<double> evaluate_generation(Context& context, const std::vector<std::vector<double>>& candidates) {
    const FitSpec& spec = *context.spec;
    const std::size_t g = context.generations.size();
    if (context.control->run.round) context.control->run.round(g);
    // Candidates that violate a constraint of the model (its ranges are the bounds' own) are not run.
    std::vector<std::size_t> valid;
    std::vector<double> values(context.model->values().values().begin(), context.model->values().values().end());
    std::string refusal;  // the model's reason for the first candidate it refused
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        for (std::size_t p = 0; p < context.index.size(); ++p) values[context.index[p]] = candidates[c][p];
        try {
            context.model->validate(values);
            valid.push_back(c);
        } catch (const ParameterError& e) {
            ++context.excluded;
            if (refusal.empty()) refusal = e.what();
        }
    }
    if (g == 0 && valid.empty()) {
        throw ParameterError(fmt::format(
            "model '{}' refused all {} candidates of the initial population, e.g. the first: {}; bound the fitted "
            "parameters to values the model takes together with its fixed ones",
            spec.run.model.name, candidates.size(), refusal));
    }
    std::vector<std::vector<double>> run_candidates;
    for (const std::size_t c : valid) run_candidates.push_back(candidates[c]);
    const bool voltage = spec.objective != Objective::gamma;
    const auto& distribution = spec.run.distribution;
    const std::size_t ranks = distribution ? distribution->size() : 1;
    std::vector<std::vector<CandidateSet>> per_set;
    // A candidate that cannot be simulated (CellError: its state diverges, an unstable adaptation say, or
    // its reset cannot hold it below threshold) scores worst instead of ending the fit:
    // it is left out and the generation's other candidates run again. (Under MPI with several ranks only
    // the rank of that cell knows which it was, so there a divergence ends the fit with its message.)
    while (!run_candidates.empty()) {
        try {
            per_set.clear();
            for (const SetData& data : context.training) {
                per_set.push_back(run_set(context, data, run_candidates, voltage, run_candidates.size() >= ranks));
                ++context.population_runs;
            }
            break;
        } catch (const CellError& e) {
            if (ranks > 1 || e.cell() >= run_candidates.size()) throw;
            if (g == 0 && run_candidates.size() == 1) {  // the last one: no candidate of the initial population runs
                std::string why = e.what();  // without the run's own closing words: the fit says what to do
                for (const std::string_view end : {" No output was written.", "."}) {
                    if (why.ends_with(end)) why.resize(why.size() - end.size());
                }
                throw ParameterError(fmt::format(
                    "no candidate of the initial population could be simulated with model '{}' and these bounds; the "
                    "last one: {}; narrow the bounds (for adex, a reset V_r above V_T needs a refractory period t_ref)",
                    spec.run.model.name, why));
            }
            run_candidates.erase(run_candidates.begin() + static_cast<std::ptrdiff_t>(e.cell()));
            valid.erase(valid.begin() + static_cast<std::ptrdiff_t>(e.cell()));
            ++context.diverged;
        }
    }
    // Rank 0 scores; the others receive its numbers: the objectives, whether any candidate fired, and whether
    // any fired below 1 / (2 delta) on some set (where its Gamma is defined).
    std::vector<double> objectives(candidates.size(), nan);
    double fired = 0, below_limit = 0;
    const double rate_limit = 500.0 / spec.delta;  // Hz
    for (std::size_t j = 0; j < run_candidates.size(); ++j) {
        std::vector<CandidateSet> sets;
        for (const auto& s : per_set) {
            sets.push_back(s[j]);
            if (s[j].spikes > 0) fired = 1;
            if (s[j].score.model_rate < rate_limit) below_limit = 1;
        }
        objectives[valid[j]] = objective(spec, sets);
    }
    if (distribution && distribution->size() > 1) {
        std::vector<double> message = objectives;
        message.push_back(fired);
        message.push_back(below_limit);
        auto bytes = to_bytes(message);
        distribution->broadcast(bytes);
        message = from_bytes(bytes);
        below_limit = message.back();
        message.pop_back();
        fired = message.back();
        message.pop_back();
        objectives = std::move(message);
    }
    context.evaluations += candidates.size();
    if (g == 0 && fired == 0 && context.data_spikes && spec.objective != Objective::subthreshold) {
        std::vector<std::string> bounds;
        for (const auto& p : spec.parameters) bounds.push_back(fmt::format("model.{}={:g}:{:g}", p.name, p.low, p.high));
        throw ParameterError(fmt::format(
            "none of the {} candidates of the initial population fired in any training set, while the recordings have "
            "spikes: model '{}' cannot fire with these bounds ({}) and its fixed values; widen the bounds of the "
            "threshold or excitability parameters (e.g. a lower V_T), fit more parameters, or check the model's current "
            "unit against the recording's (pA)",
            candidates.size(), spec.run.model.name, fmt::join(bounds, ", ")));
    }
    if (g == 0 && fired == 1 && below_limit == 0 && spec.objective != Objective::subthreshold) {
        throw ParameterError(fmt::format(
            "every candidate of the initial population that ran fired at {:g} Hz or faster (1 / (2 delta), delta = "
            "{:g} ms) in every training set, where Gamma is undefined: with these bounds and its fixed values, model "
            "'{}' fires too fast for the window; bound the parameters to slower firing or give a smaller --delta (a "
            "reset above the threshold with no refractory period, e.g. adex's V_r above V_T with t_ref = 0, fires at "
            "every step)",
            rate_limit, spec.delta, spec.run.model.name));
    }
    Generation log;
    log.index = g;
    log.candidates = candidates.size();
    std::vector<double> defined;
    log.best = nan;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        if (std::isnan(objectives[c])) continue;
        defined.push_back(objectives[c]);
        if (better(spec.objective, objectives[c], log.best)) log.best = objectives[c];
        if (better(spec.objective, objectives[c], context.best_score)) {
            context.best_score = objectives[c];
            context.best_x = candidates[c];
        }
    }
    log.median = median(std::move(defined));
    log.best_so_far = context.best_score;
    context.generations.push_back(log);
    if (context.control->generation) context.control->generation(log);
    std::vector<double> fitness(candidates.size());
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        const double x = objectives[c];
        fitness[c] = !std::isfinite(x) ? worst_fitness : higher_is_better(spec.objective) ? -x : x;
    }
    return fitness;
}

/// The best candidate scored on each set, one run of one cell per set, on every rank alike.
std::vector<SetScore> score_sets(const Context& context, const std::vector<SetData>& sets,
                                 const std::vector<double>& best, RunInfo* info) {
    std::vector<SetScore> out;
    for (std::size_t k = 0; k < sets.size(); ++k) {
        const auto r = run_set(context, sets[k], {best}, true, false, k == 0 ? info : nullptr);
        out.push_back(r.front().score);
    }
    return out;
}

SetData set_data(const StimulusSet& set) {
    SetData d;
    d.set = &set;
    d.duration = set.repetitions.front().duration();
    d.spikes = spike_trains(set.repetitions);
    for (const auto& train : d.spikes) d.mean_spikes += static_cast<double>(train.size());
    d.mean_spikes /= static_cast<double>(set.repetitions.size());
    return d;
}

std::shared_ptr<Model> configured_model(const PluginRegistry& registry, const RunSpec& run) {
    auto model = create_model(registry, run.model.name);
    const auto prefix = [&](const ParameterError& e) {
        return ParameterError(fmt::format("model '{}': {}", run.model.name, e.what()));
    };
    try {
        if (!run.model.preset.empty()) model->apply_preset(run.model.preset);
        model->configure(run.model.parameters);
    } catch (const ParameterError& e) {
        throw prefix(e);
    }
    return model;
}

}  // namespace

FittedParameter parse_fitted_parameter(std::string_view text) {
    const auto eq = text.find('=');
    const auto fail = [&](std::string_view why) {
        return ParameterError(fmt::format("--fit '{}': {}; expected model.NAME=LOW:HIGH, e.g. --fit model.V_T=-55:-35 "
                                          "(in the parameter's unit, 'soma describe MODEL' lists them)",
                                          text, why));
    };
    if (eq == std::string_view::npos) throw fail("no '='");
    std::string name(text.substr(0, eq));
    if (const auto dot = name.find('.'); dot != std::string::npos) {
        if (name.substr(0, dot) != "model") throw fail(fmt::format("only model parameters are fitted, not '{}'", name));
        name.erase(0, dot + 1);
    }
    if (name.empty()) throw fail("no parameter name");
    const std::string_view bounds = text.substr(eq + 1);
    const auto colon = bounds.find(':');
    if (colon == std::string_view::npos) throw fail("no bounds LOW:HIGH (a fitted parameter needs both)");
    FittedParameter p;
    p.name = name;
    try {
        p.low = parse_number("model." + name + " (lower bound)", bounds.substr(0, colon));
        p.high = parse_number("model." + name + " (upper bound)", bounds.substr(colon + 1));
    } catch (const ParameterError& e) {
        throw fail(e.what());
    }
    return p;
}

std::string to_string(Objective objective) {
    switch (objective) {
        case Objective::gamma: return "gamma";
        case Objective::subthreshold: return "subthreshold";
        case Objective::weighted: return "weighted";
        case Objective::gamma_count: return "gamma-count";
    }
    return "?";
}

Objective parse_objective(std::string_view text, std::string_view option) {
    static const std::vector<std::pair<std::string, Objective>> names = {
        {"gamma-count", Objective::gamma_count}, {"gamma_count", Objective::gamma_count},
        {"gamma", Objective::gamma}, {"subthreshold", Objective::subthreshold}, {"weighted", Objective::weighted}};
    std::vector<std::string> allowed;
    for (const auto& [name, objective] : names) {
        if (name == text) return objective;
        if (name != "gamma_count") allowed.push_back(name);
    }
    throw ParameterError(fmt::format("{}: {}", option, unknown_name_message("objective", std::string(text), allowed)));
}

std::string to_string(Algorithm algorithm) { return algorithm == Algorithm::pso_gen ? "pso_gen" : "gaco"; }

bool higher_is_better(Objective objective) { return objective != Objective::subthreshold; }

void check_fit(const PluginRegistry& registry, const FitSpec& spec) {
    if (spec.parameters.empty()) {
        throw ParameterError("a fit needs at least one parameter to fit, e.g. --fit model.V_T=-55:-35");
    }
    // Per-cell values first: the model would refuse them as "not a number".
    for (const auto& p : spec.parameters) {
        if (spec.run.model.cell_values.contains(p.name)) {
            throw ParameterError(fmt::format("model.{} is fitted, so it cannot also be given per cell", p.name));
        }
    }
    if (!spec.run.model.cell_values.empty() || spec.run.cells_from) {
        throw ParameterError("a fit gives each candidate its own values: per-cell model values (--cells-from, a table) "
                             "are not allowed");
    }
    for (const auto& [name, text] : spec.run.model.parameters) {
        if (text.find_first_of(",(") != std::string::npos) {
            throw ParameterError(fmt::format("model.{} = '{}': a fit gives each candidate its own values; give one value "
                                             "(or fit it with --fit model.{}=LOW:HIGH)",
                                             name, text, name));
        }
    }
    const auto model = configured_model(registry, spec.run);
    const auto schema = model->schema();
    std::vector<std::string> names;
    for (const auto& s : schema) names.push_back(s.name);
    std::set<std::string> seen;
    for (const auto& p : spec.parameters) {
        const auto it = std::ranges::find(names, p.name);
        if (it == names.end()) {
            throw ParameterError(fmt::format("--fit: model '{}': {}", spec.run.model.name,
                                             unknown_name_message("parameter", p.name, names)));
        }
        if (!seen.insert(p.name).second) {
            throw ParameterError(fmt::format("--fit: model.{} is given twice; fit each parameter once", p.name));
        }
        const ParameterSpec& s = schema[static_cast<std::size_t>(it - names.begin())];
        if (!std::isfinite(p.low) || !std::isfinite(p.high) || p.low >= p.high) {
            throw ParameterError(fmt::format("--fit model.{}={:g}:{:g}: the bounds must be finite numbers with LOW < HIGH",
                                             p.name, p.low, p.high));
        }
        if (!s.range.contains(p.low) || !s.range.contains(p.high)) {
            throw ParameterError(fmt::format("--fit model.{}={:g}:{:g}: the bounds must lie in the parameter's allowed "
                                             "range {} {}, but {} {:g} does not",
                                             p.name, p.low, p.high, s.range.to_string(), s.unit,
                                             s.range.contains(p.low) ? "HIGH" : "LOW",
                                             s.range.contains(p.low) ? p.high : p.low));
        }
    }
    (void)membrane_potential(*model, spec.run.model.name);
    if (spec.training.empty()) {
        throw ParameterError("a fit needs at least one training set, e.g. --train 00-0.voltage.gz,00-1.voltage.gz");
    }
    // A recording given twice: the same file (however its path is spelled) or the same trace (a copy).
    struct Seen {
        std::filesystem::path file;  ///< canonical
        const Recording* recording;
        const StimulusSet* set;
    };
    const auto canonical = [](const std::filesystem::path& file) {
        std::error_code ec;
        const auto c = std::filesystem::weakly_canonical(file, ec);
        return ec ? file : c;
    };
    std::vector<Seen> training_files;
    // (Within a set, repetitions are different files, and may be identical traces: synthetic ones.)
    const auto in_training = [&](const Recording& r, const StimulusSet& set) -> const Seen* {
        const auto file = canonical(r.file);
        const auto it = std::ranges::find_if(training_files, [&](const Seen& s) {
            return s.set != &set && (s.file == file || (s.recording->dt == r.dt && s.recording->v == r.v));
        });
        return it == training_files.end() ? nullptr : &*it;
    };
    const auto same_as = [&](const Seen& s, const Recording& r) {
        return s.file == canonical(r.file) ? std::string("the same file")
                                           : fmt::format("the same trace as {}", s.recording->file.string());
    };
    for (const auto& set : spec.training) {
        check_set(set, "training");
        for (const auto& r : set.repetitions) {
            if (const Seen* s = in_training(r, set)) {
                const std::string other = s->set->name == set.name ? "another training set of that name"
                                                                    : fmt::format("training set '{}'", s->set->name);
                throw ParameterError(fmt::format("training set '{}': {} is also in {} ({}); give each recording once",
                                                 set.name, r.file.string(), other, same_as(*s, r)));
            }
            training_files.push_back({canonical(r.file), &r, &set});
        }
    }
    for (const auto& set : spec.held_out) {
        check_set(set, "held-out");
        for (const auto& r : set.repetitions) {
            if (const Seen* s = in_training(r, set)) {
                throw ParameterError(fmt::format("held-out set '{}': {} is also in training set '{}' ({}); a held-out "
                                                 "set must be one the fit has not seen",
                                                 set.name, r.file.string(), s->set->name, same_as(*s, r)));
            }
        }
    }
    if (spec.objective != Objective::subthreshold &&
        std::ranges::none_of(spec.training, [](const StimulusSet& set) {
            return std::ranges::any_of(set.repetitions, [](const Recording& r) { return !r.spikes.empty(); });
        })) {
        throw ParameterError(fmt::format("--objective {}: no training recording has a spike, so there are no spike "
                                         "times or counts to fit; use --objective subthreshold to fit the membrane "
                                         "potential, or train on recordings where the cell fires",
                                         to_string(spec.objective)));
    }
    if (spec.population < min_population || spec.population > max_population) {
        throw ParameterError(fmt::format("--population {} is not allowed; give a whole number from {} to {} (candidates "
                                         "per generation: {} needs at least {})",
                                         spec.population, min_population, max_population, to_string(spec.algorithm),
                                         min_population));
    }
    if (spec.generations == 0) throw ParameterError("--generations 0 is not allowed; give at least 1");
    std::vector<const StimulusSet*> sets;
    for (const auto* group : {&spec.training, &spec.held_out}) {
        for (const auto& set : *group) sets.push_back(&set);
    }
    check_delta(spec.delta, sets);
    if (!(spec.count_tolerance >= 0 && spec.count_tolerance <= 1)) {
        throw ParameterError(fmt::format("--count-tolerance {:g} is not allowed; give a number in [0, 1] (0.15: the "
                                         "count within 15 % of the recording's)", spec.count_tolerance));
    }
    if (!(spec.min_reliability >= 0 && spec.min_reliability <= 1)) {
        throw ParameterError(fmt::format("--min-reliability {:g} is not allowed; give a number in [0, 1] (0: fit the "
                                         "spike times of every training set)", spec.min_reliability));
    }
    if (spec.objective == Objective::gamma) {
        if (const auto left_out = unreliable_sets(spec); left_out.size() == spec.training.size()) {
            throw ParameterError(fmt::format(
                "--objective gamma: no training set's repetitions agree enough to fit spike times (Gamma_int {:.3g} "
                "of set '{}' is below --min-reliability {:g}); lower --min-reliability or use --objective gamma-count",
                left_out.front().gamma_int, left_out.front().name, spec.min_reliability));
        }
    }
    if (!(spec.weight >= 0 && spec.weight <= max_weight)) {
        throw ParameterError(fmt::format("--weight {:g} is not allowed; give a number in [0, {:g}] (1/mV: 0.1 makes a "
                                         "1 mV error cost as much as 0.1 of Gamma_A)",
                                         spec.weight, max_weight));
    }
    if (const auto& d = spec.run.distribution; d && d->size() > spec.population) {
        throw ParameterError(fmt::format("--population {} is smaller than the {} MPI ranks that share the candidates; "
                                         "give at least {}",
                                         spec.population, d->size(), d->size()));
    }
}

std::vector<UnreliableSet> unreliable_sets(const FitSpec& spec) {
    std::vector<UnreliableSet> out;
    if (spec.objective == Objective::subthreshold || spec.min_reliability <= 0) return out;
    for (const auto& set : spec.training) {
        if (set.repetitions.size() < 2) continue;
        const double gamma_int =
            intrinsic_reliability(spike_trains(set.repetitions), spec.delta, set.repetitions.front().duration());
        if (gamma_int < spec.min_reliability) out.push_back({set.name, gamma_int});
    }
    return out;
}

std::string unreliable_set_note(const FitSpec& spec, const UnreliableSet& set) {
    const char* fitted_to =
        spec.objective == Objective::gamma      ? "left out of --objective gamma, which uses spike times only"
        : spec.objective == Objective::weighted ? "fitted to its spike count and membrane potential, not its spike times"
                                                : "fitted to its spike count, not its spike times";
    return fmt::format("training set '{}': its repetitions' Gamma_int {:.3f} is below --min-reliability {:g}: {}", set.name,
                       set.gamma_int, spec.min_reliability, fitted_to);
}

std::vector<std::string> held_out_stimulus_notes(const FitSpec& spec) {
    std::vector<std::string> notes;
    for (const auto& held : spec.held_out) {
        for (const auto& train : spec.training) {
            if (!same_stimulus(train, held)) continue;
            notes.push_back(fmt::format("held-out set '{}' records the stimulus of training set '{}' (their currents "
                                        "agree within 10 % RMS): its scores say how well the fit predicts other trials "
                                        "of that stimulus, not another stimulus",
                                        held.name, train.name));
            break;
        }
    }
    return notes;
}

FitResult run_fit(const PluginRegistry& registry, const FitSpec& spec, const FitControl& control) {
    const auto start = std::chrono::steady_clock::now();
    check_fit(registry, spec);
    auto context = std::make_shared<Context>();
    context->registry = &registry;
    context->spec = &spec;
    context->control = &control;
    context->model = configured_model(registry, spec.run);
    context->v_name = membrane_potential(*context->model, spec.run.model.name);
    for (const auto& p : spec.parameters) context->index.push_back(context->model->index_of(p.name));
    for (const auto& set : spec.training) context->training.push_back(set_data(set));
    for (const auto& set : spec.held_out) context->held_out.push_back(set_data(set));
    context->data_spikes = std::ranges::any_of(context->training, [](const SetData& d) { return d.mean_spikes > 0; });

    // pagmo's seeds are 32-bit: the population's and the algorithm's both from the fit's seed.
    detail::OptimizerRequest request;
    request.ant_colony = spec.algorithm == Algorithm::gaco;
    request.population = spec.population;
    request.generations = spec.generations;
    request.seed = static_cast<unsigned>(spec.seed ^ (spec.seed >> 32));
    for (const auto& p : spec.parameters) {
        request.low.push_back(p.low);
        request.high.push_back(p.high);
    }
    // Minimise the negated (or, for the RMSE, the plain) objective of each candidate.
    request.batch_fitness = [&context](const std::vector<double>& dvs) {
        const std::size_t n = context->spec->parameters.size();
        std::vector<std::vector<double>> candidates;
        for (std::size_t k = 0; k + n <= dvs.size(); k += n) {
            candidates.emplace_back(dvs.begin() + static_cast<std::ptrdiff_t>(k),
                                    dvs.begin() + static_cast<std::ptrdiff_t>(k + n));
        }
        if (context->failure) return std::vector<double>(candidates.size(), worst_fitness);
        try {
            return evaluate_generation(*context, candidates);
        } catch (...) {
            // pagmo may call on (gaco's archive update): keep the first failure, answer the worst fitness, and
            // throw it when pagmo returns.
            context->failure = std::current_exception();
            throw;
        }
    };
    try {
        detail::optimizer()(request);
    } catch (...) {
        if (context->failure) std::rethrow_exception(context->failure);
        throw;
    }
    if (context->failure) std::rethrow_exception(context->failure);

    FitResult result;
    result.best = context->best_x;
    result.best_score = context->best_score;
    for (const auto& p : spec.parameters) {
        result.units.push_back(context->model->schema()[context->model->index_of(p.name)].unit);
    }
    result.generations = context->generations;
    result.evaluations = context->evaluations;
    result.population_runs = context->population_runs;
    result.excluded = context->excluded;
    result.diverged = context->diverged;
    if (result.best.empty()) {
        throw ParameterError("no candidate of the fit could be scored: every one violated a constraint of the model or "
                             "gave no defined score; check the bounds against 'soma describe MODEL'");
    }
    result.training = score_sets(*context, context->training, result.best, &result.info);
    result.held_out = score_sets(*context, context->held_out, result.best, nullptr);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

bool at_bound(double value, double low, double high) {
    const auto near = [&](double bound) {
        const double distance = std::abs(value - bound);
        return distance < 0.01 * (high - low) && (bound == 0 || distance < 0.1 * std::abs(bound));
    };
    return near(low) || near(high);
}

std::string fit_gamma_note(const FitResult& result, const FitSpec& spec) {
    if (spec.objective == Objective::subthreshold) return {};  // spikes do not enter the objective
    if (std::ranges::all_of(result.training, [](const SetScore& t) { return t.model_rate == 0; })) {
        return "the best parameters fire no spike on any training set: a silent model scores Gamma = 0, which beat "
               "every candidate that fired; widen the bounds of the excitability parameters or give a larger budget "
               "(--population, --generations)";
    }
    if (std::ranges::any_of(result.training, [](const SetScore& t) { return std::isnan(t.gamma); })) {
        return fmt::format("Gamma is undefined on some training sets for the best parameters (a rate at or above "
                           "1 / (2 delta) = {:g} Hz); such sets count as Gamma = -1 in the objective",
                           500.0 / spec.delta);
    }
    return {};
}

std::string fit_scenario(const FitResult& result, const FitSpec& spec, const std::string& saved_as) {
    const StimulusSet& set = spec.training.front();
    const auto absolute = [](const std::string& path) {
        return is_model_file(path) ? std::filesystem::absolute(path).lexically_normal().string() : path;
    };
    std::string text = fmt::format(
        "# The best parameters of 'soma fit' ({} of {} parameter{}, objective {} = {:.6g}), on the stimulus of training "
        "set '{}'.\n# Run it with: soma run {}\n",
        to_string(spec.algorithm), spec.parameters.size(), spec.parameters.size() == 1 ? "" : "s",
        to_string(spec.objective), result.best_score, set.name,
        saved_as.empty() ? std::string("FILE.ini, once saved as FILE.ini") : saved_as);
    text += fmt::format("model = {}\n", absolute(spec.run.model.name));
    if (!spec.run.model.preset.empty()) text += fmt::format("preset = {}\n", spec.run.model.preset);
    // The stimulus file as an absolute path: the scenario must not depend on where it is run from.
    text += fmt::format("stimulus = {}\n", is_stimulus_file(set.stimulus.name)
                                                ? std::filesystem::absolute(set.stimulus.name).lexically_normal().string()
                                                : set.stimulus.name);
    text += fmt::format("integrator = {}\n", spec.run.integrator.name);
    // Shortest representations that read back exactly (0.05, not 0.050000000000000003).
    text += fmt::format("t_stop = {}\ndt = {}\nrecord_interval = {}\nname = {}_fit_run\n",
                        set.repetitions.front().duration(), spec.run.settings.dt, set.repetitions.front().dt,
                        spec.run.name);
    text += "\n[model]\n";
    for (const auto& [name, value] : spec.run.model.parameters) {
        if (std::ranges::none_of(spec.parameters, [&](const FittedParameter& p) { return p.name == name; })) {
            text += fmt::format("{} = {}\n", name, value);
        }
    }
    for (std::size_t p = 0; p < spec.parameters.size(); ++p) {
        text += fmt::format("# fitted in [{:g}, {:g}] {}\n{} = {}\n", spec.parameters[p].low,
                            spec.parameters[p].high, result.units[p], spec.parameters[p].name, result.best[p]);
    }
    if (!set.stimulus.parameters.empty()) {
        text += "\n[stimulus]\n";
        for (const auto& [name, value] : set.stimulus.parameters) text += fmt::format("{} = {}\n", name, value);
    }
    if (!spec.run.integrator.parameters.empty()) {
        text += "\n[integrator]\n";
        for (const auto& [name, value] : spec.run.integrator.parameters) text += fmt::format("{} = {}\n", name, value);
    }
    return text;
}

std::vector<std::filesystem::path> write_fit(const FitResult& result, const FitSpec& spec,
                                             const std::filesystem::path& dir, const std::string& name) {
    const std::string stem = name + "_fit";
    const bool higher = higher_is_better(spec.objective);
    const std::string definition =
        spec.objective == Objective::gamma_count
            ? fmt::format("mean over the training sets of min(Gamma_A, 1) - 5 max(0, |count ratio - 1| - {:g}), Gamma_A "
                          "= mean Gamma / Gamma_int over the repetitions (raw Gamma for a set of one repetition), "
                          "coincidence window +-{:g} ms, count ratio = model spikes / mean recorded spikes; higher is "
                          "better, 1 at best",
                          spec.count_tolerance, spec.delta)
        : spec.objective == Objective::gamma
            ? fmt::format("mean over the training sets of Gamma_A = mean Gamma / Gamma_int over the repetitions (raw "
                          "Gamma for a set of one repetition), coincidence window +-{:g} ms; higher is better, 1 as "
                          "good as the cell predicts itself",
                          spec.delta)
        : spec.objective == Objective::subthreshold
            ? fmt::format("root mean square error of V (mV) over every repetition of the training sets, leaving out "
                          "{:g} ms before and {:g} ms after each spike; lower is better",
                          spec.exclusion.before, spec.exclusion.after)
            : fmt::format("Gamma_A (window +-{:g} ms) - {:g}/mV x RMSE of V (mV, without {:g} ms before and {:g} ms "
                          "after spikes); higher is better",
                          spec.delta, spec.weight, spec.exclusion.before, spec.exclusion.after);
    OutputFile table(dir / (stem + ".csv"));
    std::vector<std::string> fitted, sets;
    for (std::size_t p = 0; p < spec.parameters.size(); ++p) {
        fitted.push_back(fmt::format("model.{} in [{:g}, {:g}] {}: best {:.8g}", spec.parameters[p].name,
                                     spec.parameters[p].low, spec.parameters[p].high, result.units[p], result.best[p]));
    }
    for (const auto& s : spec.training) sets.push_back(fmt::format("'{}' ({} repetitions)", s.name, s.repetitions.size()));
    table.print("# soma fit: model {}{}, integrator {}, dt = {:g} ms; algorithm {}, {} candidates per generation, {} "
                "generations, seed {}\n",
                spec.run.model.name, spec.run.model.preset.empty() ? "" : " preset " + spec.run.model.preset,
                spec.run.integrator.name, spec.run.settings.dt, to_string(spec.algorithm), spec.population,
                spec.generations, spec.seed);
    table.print("# fitted: {}\n# training sets: {}\n", fmt::join(fitted, "; "), fmt::join(sets, ", "));
    table.print("# objective ({}): {}\n", to_string(spec.objective), definition);
    table.print("# generation 0 is the initial population (uniform within the bounds); candidates: evaluated in the "
                "generation; best, median: of their objective values ({} candidates refused by the model's "
                "constraints in all are left out); best so far: over this and the earlier generations\n",
                result.excluded);
    table.print("generation,candidates,best,median,best so far\n");
    fmt::memory_buffer row;
    for (const auto& g : result.generations) {
        fmt::format_to(std::back_inserter(row), "{},{}", g.index, g.candidates);
        for (const double x : {g.best, g.median, g.best_so_far}) {
            row.push_back(',');
            if (!std::isnan(x)) append_number(row, x);
        }
        row.push_back('\n');
    }
    table.write({row.data(), row.size()});
    table.close();

    OutputFile scenario(dir / (stem + ".ini"));
    scenario.print("{}", fit_scenario(result, spec, name + "_fit.ini"));
    scenario.close();

    experiments::Figure figure(dir, stem);
    const std::string ylabel = spec.objective == Objective::subthreshold ? "RMSE of V (mV)"
                               : spec.objective == Objective::gamma  ? "Gamma_A"
                               : spec.objective == Objective::gamma_count ? "min(Gamma_A, 1) - count penalty"
                                                                      : "Gamma_A - weight x RMSE";
    // Generations are whole numbers: tics every 1, 2, 5, 10, 20, ... generations, at most about ten of them.
    std::size_t tic = 1;
    for (std::size_t scale = 1; spec.generations / tic > 10; scale *= 10) {
        for (const std::size_t m : {1, 2, 5}) {
            tic = m * scale;
            if (spec.generations / tic <= 10) break;
        }
    }
    const std::string body = fmt::format(
        "set datafile separator ','\nset datafile commentschars '#'\nset grid lc rgb '#dddddd'\n"
        "set xrange [0:{}]\nset xtics 0,{}\nset mxtics 1\nset format x '%.0f'\n"
        "set title {} noenhanced\nset xlabel 'generation'\nset ylabel {} noenhanced\nset key {} right\n"
        "plot datafile using 1:5 with lines lw 2 lc rgb '#1f4e79' title 'best so far', "
        "datafile using 1:3 with points pt 7 ps 0.6 lc rgb '#1f4e79' title 'best of the generation', "
        "datafile using 1:4 with linespoints pt 6 ps 0.6 lc rgb '#c0392b' title 'median of the generation'\n",
        spec.generations, tic,
        gnuplot::quote(fmt::format("soma fit: {} with {} ({} x {} candidates)", spec.run.model.name,
                                   to_string(spec.algorithm), spec.generations + 1, spec.population)),
        gnuplot::quote(ylabel), higher ? "bottom" : "top");
    figure.draw(body, {{"datafile", table.temp_path(), table.final_path()}});
    table.commit();
    scenario.commit();
    figure.commit();
    std::vector<std::filesystem::path> written{table.final_path(), scenario.final_path()};
    for (const auto& p : figure.outputs()) written.push_back(p);
    return written;
}

namespace detail {

const std::function<Optimize>& optimizer() {
    static std::mutex mutex;
    static boost::dll::shared_library module;  // loaded once, for the life of the process
    static std::function<Optimize> optimize;
    const std::scoped_lock lock(mutex);
    if (!optimize) {
        const auto path = boost::dll::this_line_location().parent_path() / "soma" / "soma_fit_optimizer.so";
        try {
            module.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
            optimize = module.get_alias<Optimize>(optimize_alias);
        } catch (const std::exception& e) {
            throw Error(fmt::format("soma fit cannot load its optimiser module '{}': {} (it is installed with "
                                    "libsoma_fitting; reinstall Soma)",
                                    path.string(), dynamic_loader_reason(e.what(), path.string())));
        }
    }
    return optimize;
}

}  // namespace detail

}  // namespace soma::fitting
