#pragma once
/// @file subthreshold.hpp
/// How well a model's membrane potential follows a recorded one away from spikes: the root mean square
/// error and the mean of g(x) = 1 / (1 + x^2), x = (V_model - V_data) / 2 mV, over the samples outside
/// windows around the spikes of either train. The criterion g with its 2 mV scale is the one the brief of
/// this library gives for the 2007 competition (Jolivet et al., Biol. Cybern. 99:417, 2008); its wording
/// in the paper could not be checked where this was written, so docs/fitting.md presents it as a
/// subthreshold score in the spirit of the competition, not as its official number.

#include <boost/config.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace soma::fitting {

/// Which samples count: sample k (at t_k = k dt) is left out when s - before <= t_k <= s + after for a
/// spike s of either train (times compared with a tolerance of 1e-9 dt); all the others count.
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
/// @throws ParameterError for traces of different lengths, dt <= 0, a window before or after < 0, a value
///         that is not finite (naming the trace and the sample), spike times not finite, or no sample left
///         to compare.
[[nodiscard]] BOOST_SYMBOL_VISIBLE SubthresholdError subthreshold_error(std::span<const double> model_v,
                                                                        std::span<const double> data_v, double dt,
                                                                        std::span<const double> model_spikes,
                                                                        std::span<const double> data_spikes,
                                                                        const SpikeExclusion& exclusion);

/// The samples of a trace of `samples` samples at step `dt` ms that lie within the windows of `exclusion`
/// around `spikes` (ms): 1 for those subthreshold_error leaves out for this train, 0 for the others;
/// shape [samples].
/// @throws ParameterError for a spike time that is not finite.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<char> excluded_samples(std::size_t samples, double dt,
                                                                      std::span<const double> spikes,
                                                                      const SpikeExclusion& exclusion);

}  // namespace soma::fitting
