#pragma once
/// @file coincidence.hpp
/// The coincidence factor Gamma between two spike trains (Kistler, Gerstner & van Hemmen, Neural Comput.
/// 9:1015, 1997; Jolivet et al., J. Comput. Neurosci. 21:35, 2006), the score of the 2007 single-neuron
/// modeling competition (Jolivet et al., Biol. Cybern. 99:417, 2008).

#include <boost/config.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace soma::fitting {

/// The coincidences of a model train with a data train.
struct Coincidence {
    std::size_t n_model = 0;       ///< spikes of the model train
    std::size_t n_data = 0;        ///< spikes of the data train
    std::size_t n_coincident = 0;  ///< pairs matched one to one, |t_model - t_data| <= delta
    double expected = 0;           ///< 2 nu_model delta n_data: coincidences of a Poisson train of the model's rate
    double gamma = 0;              ///< the coincidence factor; NaN when both trains are empty
};

/// Gamma of `model` against `data` (spike times in ms, ascending) over a recording of `duration` ms,
/// with coincidence window `delta` ms: (n_coincident - expected) / (0.5 (n_model + n_data)) / (1 - 2
/// nu_model delta), nu_model = n_model / duration.
/// @throws ParameterError for delta <= 0, duration <= 0, or times out of order.
[[nodiscard]] BOOST_SYMBOL_VISIBLE Coincidence coincidence(std::span<const double> model, std::span<const double> data,
                                                           double delta, double duration);

/// The intrinsic reliability Gamma_int of repeated recordings: the mean Gamma over all ordered pairs of
/// different repetitions. @throws ParameterError with fewer than 2 repetitions.
[[nodiscard]] BOOST_SYMBOL_VISIBLE double intrinsic_reliability(const std::vector<std::vector<double>>& repetitions,
                                                                double delta, double duration);

/// A model train scored against the repetitions of one stimulus set.
struct Score {
    double gamma = 0;             ///< mean over repetitions of Gamma(model, repetition)
    double gamma_int = 0;         ///< intrinsic reliability of the repetitions (NaN with one repetition)
    double gamma_normalised = 0;  ///< mean over repetitions of Gamma / Gamma_int (Gamma_A); NaN with one repetition
    double count_ratio = 0;       ///< model spikes / mean spikes of the repetitions
};

[[nodiscard]] BOOST_SYMBOL_VISIBLE Score score(std::span<const double> model,
                                               const std::vector<std::vector<double>>& repetitions, double delta,
                                               double duration);

}  // namespace soma::fitting
