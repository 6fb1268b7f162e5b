#pragma once
/// @file evaluate.hpp
/// A population run scored against the recordings of one stimulus set: each cell's spike train against
/// every repetition (the coincidence factor, coincidence.hpp) and its membrane potential against the
/// recorded ones away from spikes (subthreshold.hpp). `soma compare` scores the cells of a run this way,
/// `soma fit` the candidates of a generation.

#include "soma/experiments/sweep.hpp"
#include "soma/fitting/coincidence.hpp"
#include "soma/fitting/stimulus_set.hpp"
#include "soma/fitting/subthreshold.hpp"
#include "soma/run_spec.hpp"

#include <boost/config.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace soma {
class Model;
class PluginRegistry;
}

namespace soma::fitting {

/// One cell scored against one stimulus set.
struct SetScore {
    std::string name;             ///< the set's
    std::size_t repetitions = 0;
    double gamma_normalised = 0;  ///< Gamma_A = mean over repetitions of Gamma / Gamma_int; NaN with one repetition
    double gamma = 0;             ///< mean raw Gamma over the repetitions
    double gamma_int = 0;         ///< intrinsic reliability of the repetitions; NaN with one
    double count_ratio = 0;       ///< model spikes / mean recorded spikes
    double rmse = 0;              ///< subthreshold RMSE, mV, pooled over the repetitions; NaN if no sample is left
    double model_rate = 0;        ///< Hz
    double data_rate = 0;         ///< Hz, mean over the repetitions
};

/// What evaluate_population measures.
struct Evaluation {
    double delta = 2;          ///< coincidence window, +-ms
    SpikeExclusion exclusion;  ///< samples left out of the RMSE around spikes
    bool voltage = true;       ///< record v and compute the RMSE (else the RMSE is NaN)
    bool keep_traces = false;  ///< keep each cell's simulated v in CellEvaluation::v
    std::string v_name = "v";  ///< the model's membrane potential (membrane_potential)
    /// Leave out the samples around the model's spikes as well as the recorded ones (SpikeExclusion). A fit
    /// sets it false: excluding around the model's spikes lets a model that fires all the time hide every
    /// sample, while around the recorded spikes only, a spike at the wrong time costs its upswing and reset.
    /// When false, the squared errors are summed during the run and no cell's trace is kept (unless
    /// keep_traces): memory no longer grows with the recording's length times the cells.
    bool exclude_model_spikes = true;
};

/// The name of `model`'s membrane potential: its state variable v, V or V_m in mV.
/// @throws ParameterError naming the model (`model_name`) and its state variables when it has none.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string membrane_potential(const Model& model, std::string_view model_name);

/// The largest coincidence window of Gamma that check_delta allows, ms (the competition's is 2 ms).
inline constexpr double max_delta_ms = 50;

/// Checks the coincidence window of Gamma, `delta` (+-ms): a number in (0, max_delta_ms] and at most half
/// of the shortest recording of `sets` (a recording's duration, its samples times its step; within a
/// wider window every spike of a train is within it of every other). What `soma compare`, `soma fit`,
/// soma.compare and soma.fit check (check_fit calls it with the fit's training and held-out sets).
/// @throws ParameterError "--delta D is not allowed; ..." naming the value, the allowed range in ms and, for
///         a window too wide for a recording, its set and duration.
BOOST_SYMBOL_VISIBLE void check_delta(double delta, const std::vector<const StimulusSet*>& sets);

/// Checks that the membrane potential can be sampled at the recordings' step: their step must be a whole
/// multiple of the time step `dt` (to 1e-9 relative, as a run's record_interval; evaluate_population calls it
/// when it compares voltages).
/// @throws ParameterError naming the set, the step and dt, with a dt that would do (the largest one not
///         above `dt` that divides the step and is written with few digits, e.g. --dt 0.025 for 0.2 ms and 0.03).
BOOST_SYMBOL_VISIBLE void check_sampling_step(const StimulusSet& set, double dt);

/// One cell of the run against the set.
struct CellEvaluation {
    SetScore score;
    std::vector<Coincidence> per_repetition;  ///< Gamma against each repetition; shape [repetitions]
    std::vector<double> spikes;               ///< the cell's spike times, ms
    double squared_error = 0;  ///< sum of (V_model - V_data)^2 over the compared samples, mV^2
    std::size_t samples = 0;   ///< samples compared, over all repetitions
    std::vector<double> v;     ///< simulated v at the recording's samples (keep_traces), unit of v
};

/// Runs `run` (its model, cells and per-cell values, integrator, dt, threads, distribution; its
/// stimulus, duration, recording and recorders are replaced: the set's stimulus for the recording's
/// duration, with v sampled at the recording's step) and scores every cell against `set`.
/// On a rank other than 0 under MPI the result is empty (rank 0 has the spikes and samples).
/// @throws as build_simulation and Simulation::run; ParameterError when v cannot be sampled at the
///         recording's step (not a whole multiple of dt).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<CellEvaluation> evaluate_population(
    const PluginRegistry& registry, RunSpec run, const StimulusSet& set, const Evaluation& evaluation,
    const experiments::RunControl& control, RunInfo* info = nullptr);

}  // namespace soma::fitting
