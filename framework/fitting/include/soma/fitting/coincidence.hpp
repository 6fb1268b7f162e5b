#pragma once
/// @file coincidence.hpp
/// The coincidence factor Gamma between two spike trains (Kistler, Gerstner & van Hemmen, Neural Comput.
/// 9:1015, 1997, eq. 18; Jolivet et al., J. Comput. Neurosci. 21:35, 2006, eq. 8), the score of the 2007
/// single-neuron modeling competition (Jolivet et al., Biol. Cybern. 99:417, 2008, section 2).
///
/// Gamma = (n_coincident - <n_coincident>) / (0.5 (n_model + n_data)) / N, with
///  - n_coincident: spikes of the model train matched one to one with spikes of the data train within
///    +-delta (inclusive: |t_model - t_data| <= delta; each data spike matched to at most one model spike
///    and vice versa);
///  - <n_coincident> = 2 nu_model delta n_data: the coincidences expected of a Poisson train with the
///    model's rate nu_model = n_model / duration (the chance correction uses the MODEL's rate);
///  - N = 1 - 2 nu_model delta, which makes Gamma = 1 for identical trains.
/// Gamma is 1 for identical trains, about 0 for a train independent of the data (on average), and can be
/// negative. The formula is undefined when N <= 0 (nu_model >= 1 / (2 delta), 250 Hz for delta = 2 ms).
///
/// Matching: greedy in time order. Model spikes are taken in ascending order and each is matched to the
/// earliest data spike not yet matched with t_data >= t_model - delta, if that one is <= t_model + delta.
/// For sorted trains this is a maximum one-to-one matching: the data spikes a model spike can match form
/// an interval of indices [lo_i, hi_i] with lo_i and hi_i non-decreasing in i (unit-length windows), and
/// for such interval graphs taking the earliest free candidate is optimal by the usual exchange argument
/// (any maximum matching can be rewritten, model spike by model spike in time order, into the greedy one
/// without losing a pair, since the greedy candidate is free and is no later than the one the optimum
/// uses, so it is in every later model spike's interval only if the optimum's is too). The tests check it
/// against a brute-force maximum bipartite matching.
///
/// Times are compared with a tolerance of 1e-9 delta, so that windows written as a whole number of samples
/// (10 samples of 0.2 ms = 2 ms) stay inclusive despite rounding.

#include <boost/config.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace soma::fitting {

/// The coincidences of a model train with a data train.
struct Coincidence {
    std::size_t n_model = 0;       ///< spikes of the model train
    std::size_t n_data = 0;        ///< spikes of the data train
    std::size_t n_coincident = 0;  ///< pairs matched one to one, |t_model - t_data| <= delta
    double expected = 0;           ///< 2 nu_model delta n_data: coincidences of a Poisson train of the model's rate
    double gamma = 0;              ///< the coincidence factor; NaN when undefined (see `undefined`)
    /// Empty when `gamma` is defined; else why it is NaN, for people: both trains empty, or the model's rate
    /// at or above 1 / (2 delta) (N <= 0).
    std::string undefined;
};

/// Gamma of `model` against `data` (spike times in ms, ascending) over a recording of `duration` ms,
/// with coincidence window `delta` ms (see the top of this file).
/// Edge cases: both trains empty: gamma NaN (`undefined` says why); one train empty: gamma 0 (no
/// coincidence, none expected); nu_model delta >= 0.5: gamma NaN with the reason (not an exception, so that
/// a fit can score an over-firing candidate as bad without a try block; callers that report must check).
/// @throws ParameterError for delta <= 0 or not finite, duration <= 0 or not finite, or times that are
///         not finite or out of order (naming the train, the index and the values).
[[nodiscard]] BOOST_SYMBOL_VISIBLE Coincidence coincidence(std::span<const double> model, std::span<const double> data,
                                                           double delta, double duration);

/// The intrinsic reliability Gamma_int of repeated recordings (Jolivet et al. 2008, section 2): the mean
/// Gamma(repetition i, repetition j) over all ordered pairs i != j (i taking the model's place, so the
/// chance correction uses repetition i's rate). NaN when any pair's Gamma is undefined.
/// @throws ParameterError with fewer than 2 repetitions, or as coincidence().
[[nodiscard]] BOOST_SYMBOL_VISIBLE double intrinsic_reliability(const std::vector<std::vector<double>>& repetitions,
                                                                double delta, double duration);

/// A model train scored against the repetitions of one stimulus set.
struct Score {
    std::vector<Coincidence> repetitions;  ///< Gamma(model, repetition r), one per repetition
    double gamma = 0;             ///< mean over repetitions of Gamma(model, repetition)
    double gamma_int = 0;         ///< intrinsic reliability of the repetitions (NaN with one repetition)
    /// Gamma_A of the competition: the mean over repetitions of Gamma / Gamma_int (= gamma / gamma_int);
    /// NaN with one repetition or when Gamma_int is NaN.
    double gamma_normalised = 0;
    double count_ratio = 0;       ///< model spikes / mean spikes of the repetitions (inf for silent repetitions)
    /// Empty, or why some value above is NaN (the first reason met), for people.
    std::string undefined;
};

/// Scores `model` (ms ascending) against `repetitions` (each ms ascending) of a recording of `duration` ms.
/// @throws ParameterError with no repetition, or as coincidence().
[[nodiscard]] BOOST_SYMBOL_VISIBLE Score score(std::span<const double> model,
                                               const std::vector<std::vector<double>>& repetitions, double delta,
                                               double duration);

}  // namespace soma::fitting
