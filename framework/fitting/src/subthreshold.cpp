/// @file subthreshold.cpp
/// The subthreshold error (subthreshold.hpp).

#include "soma/fitting/subthreshold.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace soma::fitting {
namespace {

void check_trace(std::span<const double> v, const char* name) {
    for (std::size_t k = 0; k < v.size(); ++k) {
        if (!std::isfinite(v[k])) {
            throw ParameterError(fmt::format("{} membrane potential: sample {} is {}, not a finite number", name, k, v[k]));
        }
    }
}

/// Marks the samples within [s - before, s + after] of each spike s.
void exclude(std::vector<char>& out, std::span<const double> spikes, double dt, const SpikeExclusion& x,
             const char* name) {
    const double n = static_cast<double>(out.size());
    for (const double s : spikes) {
        if (!std::isfinite(s)) throw ParameterError(fmt::format("{} spike time {} is not a finite number", name, s));
        const double lo = std::max(0.0, std::ceil((s - x.before) / dt - 1e-9));
        const double hi = std::min(n - 1, std::floor((s + x.after) / dt + 1e-9));
        for (double k = lo; k <= hi; ++k) out[static_cast<std::size_t>(k)] = 1;
    }
}

}  // namespace

std::vector<char> excluded_samples(std::size_t samples, double dt, std::span<const double> spikes,
                                   const SpikeExclusion& exclusion) {
    std::vector<char> out(samples, 0);
    exclude(out, spikes, dt, exclusion, "recorded");
    return out;
}

SubthresholdError subthreshold_error(std::span<const double> model_v, std::span<const double> data_v, double dt,
                                     std::span<const double> model_spikes, std::span<const double> data_spikes,
                                     const SpikeExclusion& exclusion) {
    if (model_v.size() != data_v.size()) {
        throw ParameterError(fmt::format("the model's and the recording's membrane potentials must have the same number "
                                         "of samples to be compared: {} and {}",
                                         model_v.size(), data_v.size()));
    }
    if (!std::isfinite(dt) || dt <= 0) {
        throw ParameterError(fmt::format("sampling step dt = {} ms must be a finite number > 0", dt));
    }
    if (!(exclusion.before >= 0) || !(exclusion.after >= 0) || !std::isfinite(exclusion.before) ||
        !std::isfinite(exclusion.after)) {
        throw ParameterError(fmt::format("the window left out around spikes must be >= 0 ms on each side: before = {} "
                                         "ms, after = {} ms",
                                         exclusion.before, exclusion.after));
    }
    check_trace(model_v, "model");
    check_trace(data_v, "recorded");
    std::vector<char> out(model_v.size(), 0);
    exclude(out, model_spikes, dt, exclusion, "model");
    exclude(out, data_spikes, dt, exclusion, "data");
    SubthresholdError e;
    double squares = 0, g = 0;
    for (std::size_t k = 0; k < model_v.size(); ++k) {
        if (out[k]) continue;
        const double d = model_v[k] - data_v[k];
        const double x = d / 2.0;  // mV / 2 mV
        squares += d * d;
        g += 1 / (1 + x * x);
        ++e.samples;
    }
    if (e.samples == 0) {
        throw ParameterError(fmt::format("no sample is left to compare the membrane potentials: every one of the {} "
                                         "samples is within {} ms before or {} ms after a spike; shorten the windows or "
                                         "use a longer trace",
                                         model_v.size(), exclusion.before, exclusion.after));
    }
    e.rmse = std::sqrt(squares / static_cast<double>(e.samples));
    e.g_score = g / static_cast<double>(e.samples);
    return e;
}

}  // namespace soma::fitting
