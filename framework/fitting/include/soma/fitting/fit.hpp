#pragma once
/// @file fit.hpp
/// Fitting a model's parameters to recordings of a real neuron with pagmo2's population-based
/// optimisers (F. Biscani, D. Izzo, J. Open Source Softw. 5:2338, 2020): particle swarm (`pso_gen`,
/// Kennedy & Eberhart 1995; pagmo's generational variant) or extended ant colony (`gaco`, Schlueter et
/// al. 2009). Every generation's candidates are evaluated together through pagmo's batch fitness
/// evaluation: one population run of Soma per training set whose cells are the candidates, each cell
/// with its candidate's parameter values, so that a generation costs a few population runs instead of
/// one run per candidate and set (docs/fitting.md; the ratio is measured in docs/performance.md).
///
/// Scores (coincidence.hpp, subthreshold.hpp): the coincidence factor Gamma of the model's spike train
/// against each recorded repetition with a window of +-delta ms, normalised by the repetitions'
/// intrinsic reliability (Gamma_A = mean Gamma / Gamma_int, the score of the 2007 single-neuron
/// modeling competition, Jolivet et al., Biol. Cybern. 99:417, 2008), and the root mean square error of
/// the membrane potential away from spikes.

#include "soma/experiments/sweep.hpp"
#include "soma/fitting/evaluate.hpp"
#include "soma/fitting/recording.hpp"
#include "soma/fitting/stimulus_set.hpp"
#include "soma/fitting/subthreshold.hpp"
#include "soma/run_spec.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace soma {
class PluginRegistry;
}

namespace soma::fitting {

/// A model parameter fitted within bounds [low, high], in the parameter's unit.
struct FittedParameter {
    std::string name;  ///< the model parameter, without "model.", e.g. "V_T"
    double low = 0;
    double high = 0;
};

/// Parses `model.NAME=LOW:HIGH` (as typed after `--fit`; "model." may be left out), e.g.
/// `model.V_T=-55:-35`. Only the syntax is checked here; run_fit checks the name and the bounds
/// against the model.
/// @throws ParameterError naming the text: no `=`, another KIND than model, no `LOW:HIGH` bounds, or
///         a bound that is not a finite number.
[[nodiscard]] BOOST_SYMBOL_VISIBLE FittedParameter parse_fitted_parameter(std::string_view text);

/// What a candidate is scored by (higher is better except for `subthreshold`).
enum class Objective {
    /// Mean over the training sets of Gamma_A (mean Gamma / Gamma_int over the repetitions); of the raw
    /// Gamma for a set of one repetition. Maximised. Here and in gamma_count and weighted, the mean runs
    /// over the sets whose spike timing counts (FitSpec::min_reliability).
    gamma,
    /// Pooled root mean square error of V (mV) over the training sets' repetitions, away from the recorded
    /// spikes (SpikeExclusion; the model's spikes are not left out, so that a spike at the wrong time costs
    /// its upswing and reset). Minimised. The training and held-out scores of FitResult measure it so too.
    subthreshold,
    /// The gamma_count score minus `weight` times the subthreshold RMSE (mV, pooled over the training sets
    /// as for `subthreshold`). Maximised. The RMSE term keeps the membrane potential between spikes close to
    /// the recording's, which spike times alone leave loose (docs/fitting.md).
    weighted,
    /// Gamma_A with the spike count held to the recording's: the mean of min(Gamma_A, 1) over the training
    /// sets whose timing counts, minus the mean over all training sets of 5 max(0, |count ratio - 1| -
    /// count_tolerance) (at most 5 per set), the count ratio being the model's spikes over the mean recorded
    /// spikes of the set. Maximised; 1 at best. Gamma_A alone rises when the model over-fires at high rates
    /// (the chance correction 1 - 2 rate delta shrinks) and can exceed 1 on a set whose repetitions disagree
    /// (a small Gamma_int): the cap keeps such a set from outweighing the others and the penalty keeps the
    /// count within the tolerance (docs/fitting.md).
    gamma_count,
};

/// The objective named `text` as the command line spells it ("gamma", "subthreshold", "weighted",
/// "gamma-count"; "gamma_count" is accepted too).
/// @throws ParameterError naming `option` (e.g. "--objective"), the value, the allowed names and the closest.
[[nodiscard]] BOOST_SYMBOL_VISIBLE Objective parse_objective(std::string_view text, std::string_view option);

/// The optimiser: pagmo's algorithms that evaluate a generation in one batch (set_bfe).
enum class Algorithm { pso_gen, gaco };

/// The names of the enums as the command line spells them ("gamma", "pso_gen", ...).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string to_string(Objective objective);
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string to_string(Algorithm algorithm);

/// The candidates per generation a fit allows. pagmo's pso_gen (with the ring neighbourhood of two
/// particles on either side that run_fit uses) and gaco (whose solution archive, min(63, population)
/// solutions, must hold at least two) both need at least 2.
inline constexpr std::size_t min_population = 2;
inline constexpr std::size_t max_population = 100000;
/// The largest --weight of the weighted objective, 1/mV (at 100, 0.01 mV of RMSE weighs as
/// much as the whole range of min(Gamma_A, 1)).
inline constexpr double max_weight = 100;

/// A fit.
struct FitSpec {
    /// The model (preset, fixed parameters), the integrator, dt, threads, the MPI distribution, name and
    /// output directory. Its stimulus, t_stop, cell count, recording and recorders are ignored: each
    /// set's stimulus and duration are its own, and the cells are the candidates.
    RunSpec run;
    std::vector<FittedParameter> parameters;  ///< at least one
    std::vector<StimulusSet> training;        ///< at least one
    std::vector<StimulusSet> held_out;        ///< scored with the best parameters only; may be empty
    Objective objective = Objective::gamma_count;
    double weight = 0.1;  ///< 1/mV; `weighted` only
    double count_tolerance = 0.15;  ///< `gamma_count`, `weighted`: |count ratio - 1| allowed without penalty, in [0, 1]
    /// A training set whose repetitions agree less than this (Gamma_int < min_reliability, with `delta`) is
    /// fitted to its spike count (and, for `weighted`, its membrane potential) but not to its spike times:
    /// on such a set Gamma_A = Gamma / Gamma_int is mostly noise (with Gamma_int = 0.013, a few chance
    /// coincidences move it by 1). In [0, 1]; 0 keeps every set. The 2007 competition's constant-current
    /// sets (Gamma_int 0.06 and 0.01) fall below the default, its fluctuating ones (0.13 to 0.85) above.
    double min_reliability = 0.1;
    double delta = 2;     ///< coincidence window, +-ms
    SpikeExclusion exclusion;  ///< samples left out of the RMSE around spikes
    Algorithm algorithm = Algorithm::pso_gen;
    std::size_t population = 32;   ///< candidates per generation, min_population to max_population
    std::size_t generations = 30;  ///< generations after the initial population, >= 1
    std::uint64_t seed = 0;        ///< seed of the initial population and of the algorithm
};


/// One generation's candidates (generation 0 is the initial population).
struct Generation {
    std::size_t index = 0;
    std::size_t candidates = 0;  ///< evaluated in this generation
    double best = 0;             ///< the best objective value among them
    double median = 0;           ///< their median objective value
    double best_so_far = 0;      ///< the best over this and the earlier generations
};

struct FitResult {
    /// The fitted parameters' best values, in FitSpec order, and their units (shape [parameters]).
    std::vector<double> best;
    std::vector<std::string> units;
    double best_score = 0;                ///< the objective value of `best`
    std::vector<Generation> generations;  ///< shape [generations + 1]
    std::vector<SetScore> training, held_out;
    std::size_t evaluations = 0;      ///< candidates evaluated
    std::size_t population_runs = 0;  ///< population simulations run (one per set and generation)
    std::size_t excluded = 0;         ///< candidates refused by the model's constraints (scored worst, not run)
    std::size_t diverged = 0;         ///< candidates that could not be simulated (CellError: NaN or infinite state, endless resets; scored worst)
    /// Metadata of the best parameters' run on the first training set (plug-ins, grid, every value).
    RunInfo info;
    double seconds = 0;  ///< wall-clock time of the fit
};

/// What the caller can watch and stop: `run.interrupt` and `run.progress` as in run_sweep (progress
/// within each population run), `run.round(g)` before generation g, and `generation` after each.
struct FitControl {
    experiments::RunControl run;
    std::function<void(const Generation&)> generation;
};

/// True for an objective maximised (gamma, weighted), false for subthreshold.
[[nodiscard]] BOOST_SYMBOL_VISIBLE bool higher_is_better(Objective objective);

/// A training set whose spike timing the objective leaves out (FitSpec::min_reliability).
struct UnreliableSet {
    std::string name;  ///< the set's
    double gamma_int = 0;  ///< its repetitions' intrinsic reliability
};

/// The training sets of `spec` whose Gamma_int is below spec.min_reliability, in order (none for the
/// subthreshold objective, which uses no spike times).
/// @throws ParameterError as intrinsic_reliability (a set's spike times out of order).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<UnreliableSet> unreliable_sets(const FitSpec& spec);

/// The note telling the user that a set's spike times are left out ("training set '09': its repetitions'
/// Gamma_int 0.061 is below --min-reliability 0.1: fitted to its spike count, not its spike times"; with
/// the weighted objective "... its spike count and membrane potential ..."; with gamma, that it is left out).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string unreliable_set_note(const FitSpec& spec, const UnreliableSet& set);

/// Notes on held-out sets that record the stimulus of a training set (same_stimulus: other repetitions of
/// it), whose scores therefore say how well the fit predicts the cell's next trial, not another stimulus.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<std::string> held_out_stimulus_notes(const FitSpec& spec);

/// Checks `spec` without simulating anything (run_fit calls it first).
/// @throws ParameterError naming the parameter, the value and the allowed values: no fitted parameter,
///         a name the model does not have (with the closest name), one given twice or also per cell by
///         the run, low >= high or a bound that is not finite, bounds outside the parameter's range
///         (parameter.hpp); no training set, a set without repetitions, repetitions of different
///         lengths or sampling steps (spike_trains) or currents (more than 10 % RMS apart), a recording in two
///         training sets or in a training and a held-out set (the same file, or the same trace in a
///         copy), a spike objective with no spike in any training recording, a population below
///         min_population or above max_population, no generation, delta <= 0, a weight outside [0, max_weight], a min_reliability outside [0, 1], the gamma objective with no training set reliable
///         enough (unreliable_sets), per-cell stimulus values, fewer candidates than MPI ranks; and what
///         create_model throws for an unknown model.
BOOST_SYMBOL_VISIBLE void check_fit(const PluginRegistry& registry, const FitSpec& spec);

/// Runs the fit: the initial population (`population` candidates drawn uniformly within the bounds
/// with `seed`) and `generations` generations of the algorithm, each generation one population run per
/// training set; then scores the best candidate on every training and held-out set. Reproducible: the
/// same spec and seed give the same result bit for bit, whatever the threads or MPI ranks (every rank
/// runs the optimiser; rank 0 scores and broadcasts the scores). Collective over `spec.run.distribution`.
/// Nothing is written.
/// @throws ParameterError as check_fit; after the initial population when no candidate fired in any
///         training set while the recordings have spikes (the model or the bounds cannot make the cell
///         fire, with what to change), or when every candidate that ran fired at 1 / (2 delta) or faster in
///         every training set (Gamma undefined everywhere: a model that runs away, e.g. a reset above the
///         threshold with no refractory period), with a spike-timing objective; and what build_simulation throws.
/// @throws RunError when interrupted (control.run.interrupt) or when a run fails.
[[nodiscard]] BOOST_SYMBOL_VISIBLE FitResult run_fit(const PluginRegistry& registry, const FitSpec& spec,
                                                     const FitControl& control = {});

/// Writes into `dir`, all or none: `NAME_fit.csv` (the fit's settings as `#` lines, then one row per
/// generation: generation, candidates, best, median, best so far), its figure `NAME_fit.gp/.png/.svg`
/// (best and median against the generation), and `NAME_fit.ini`, a scenario of `soma run` with the best
/// parameters on the first training set's stimulus.
/// @returns the paths written. @throws RunError when a file cannot be written or gnuplot fails.
BOOST_SYMBOL_VISIBLE std::vector<std::filesystem::path> write_fit(const FitResult& result, const FitSpec& spec,
                                                                  const std::filesystem::path& dir,
                                                                  const std::string& name);

/// What the user should know of the best parameters' Gamma (the command's note, soma.fit's warning): that
/// they fire no spike on any training set, or that Gamma is undefined on some; "" otherwise and for the
/// subthreshold objective.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string fit_gamma_note(const FitResult& result, const FitSpec& spec);

/// Whether a fitted `value` is at one of its bounds [low, high], so that the bound may be what holds it:
/// within 1 % of the range from the bound and, unless the bound is 0, within 10 % of the bound's size
/// (21.6 in [5, 2000] is 1 % of the range from 5 but four times 5: not at it; -40.2 in [-70, -40] is).
[[nodiscard]] BOOST_SYMBOL_VISIBLE bool at_bound(double value, double low, double high);

/// The text of `NAME_fit.ini` (see write_fit): model, preset, the first training set's stimulus with its
/// parameters, integrator, dt, t_stop of that set, and in [model] the fixed and the fitted values. Its
/// comment tells how to run it: `soma run FILE` with `saved_as` as FILE, or, if empty (the Python
/// module, which writes no file), to save it first.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string fit_scenario(const FitResult& result, const FitSpec& spec,
                                                            const std::string& saved_as);

}  // namespace soma::fitting
