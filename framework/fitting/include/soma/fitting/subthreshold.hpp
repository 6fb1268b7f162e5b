#pragma once
/// @file subthreshold.hpp
/// How well a model's membrane potential follows a recorded one away from spikes.

#include <boost/config.hpp>

#include <cstddef>
#include <span>

namespace soma::fitting {

/// Which samples count: those farther than `before` ms before and `after` ms after every spike of
/// either train.
struct SpikeExclusion {
    double before = 2;  ///< ms
    double after = 5;   ///< ms
};

struct SubthresholdError {
    std::size_t samples = 0;  ///< samples compared
    double rmse = 0;          ///< root mean square of V_model - V_data over those samples, mV
    /// The competition's criterion (Jolivet et al. 2008): the mean of g(x) = 1 / (1 + x^2) with
    /// x = (V_model - V_data) / 2 mV; 1 for a perfect match.
    double g_score = 0;
};

/// Compares two traces sampled at the same step `dt` ms (shape [samples], equal lengths), leaving out the
/// samples near the spikes (ms, ascending) of either.
/// @throws ParameterError for traces of different lengths, dt <= 0, or no sample left to compare.
[[nodiscard]] BOOST_SYMBOL_VISIBLE SubthresholdError subthreshold_error(std::span<const double> model_v,
                                                                        std::span<const double> data_v, double dt,
                                                                        std::span<const double> model_spikes,
                                                                        std::span<const double> data_spikes,
                                                                        const SpikeExclusion& exclusion);

}  // namespace soma::fitting
