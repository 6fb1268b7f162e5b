/// @file coincidence.cpp
/// The coincidence factor (coincidence.hpp, where the formula, its sources and the matching are described).

#include "soma/fitting/coincidence.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace soma::fitting {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

void check_window(double delta, double duration) {
    if (!std::isfinite(delta) || delta <= 0) {
        throw ParameterError(fmt::format("coincidence window delta = {} ms must be a finite number > 0 (the "
                                         "competition uses 2 ms)",
                                         delta));
    }
    if (!std::isfinite(duration) || duration <= 0) {
        throw ParameterError(fmt::format("recording duration = {} ms must be a finite number > 0 (it gives the model's "
                                         "rate for the chance correction)",
                                         duration));
    }
}

void check_train(std::span<const double> t, const char* name) {
    for (std::size_t k = 0; k < t.size(); ++k) {
        if (!std::isfinite(t[k])) {
            throw ParameterError(fmt::format("{} spike train: time {} (spike {}) is not a finite number", name, t[k], k));
        }
        if (k > 0 && t[k] < t[k - 1]) {
            throw ParameterError(fmt::format("{} spike train is not in ascending order: spike {} at {} ms comes after "
                                             "spike {} at {} ms; sort the times",
                                             name, k, t[k], k - 1, t[k - 1]));
        }
    }
}

/// Greedy one-to-one matching in time order (maximum for sorted trains: coincidence.hpp).
std::size_t matched_pairs(std::span<const double> model, std::span<const double> data, double delta) {
    const double window = delta * (1 + 1e-9);
    std::size_t j = 0, pairs = 0;
    for (const double m : model) {
        // Data spikes too early for this model spike are too early for every later one: skip them for good.
        while (j < data.size() && data[j] < m - window) ++j;
        if (j < data.size() && data[j] <= m + window) {
            ++pairs;
            ++j;
        }
    }
    return pairs;
}

double mean(const std::vector<double>& x) {
    double sum = 0;
    for (const double v : x) sum += v;
    return sum / static_cast<double>(x.size());
}

}  // namespace

Coincidence coincidence(std::span<const double> model, std::span<const double> data, double delta, double duration) {
    check_window(delta, duration);
    check_train(model, "model");
    check_train(data, "data");
    Coincidence c;
    c.n_model = model.size();
    c.n_data = data.size();
    c.n_coincident = matched_pairs(model, data, delta);
    const double nu_model = static_cast<double>(c.n_model) / duration;  // per ms
    c.expected = 2 * nu_model * delta * static_cast<double>(c.n_data);
    const double norm = 1 - 2 * nu_model * delta;
    if (c.n_model == 0 && c.n_data == 0) {
        c.gamma = nan;
        c.undefined = "both spike trains are empty";
    } else if (norm <= 0) {
        c.gamma = nan;
        c.undefined = fmt::format("the model fires at {:.6g} Hz, at or above 1 / (2 delta) = {:.6g} Hz, where the "
                                  "coincidence factor's normalisation 1 - 2 rate delta is <= 0",
                                  nu_model * 1000, 1000 / (2 * delta));
    } else {
        c.gamma = (static_cast<double>(c.n_coincident) - c.expected) /
                  (0.5 * static_cast<double>(c.n_model + c.n_data)) / norm;
    }
    return c;
}

double intrinsic_reliability(const std::vector<std::vector<double>>& repetitions, double delta, double duration) {
    if (repetitions.size() < 2) {
        throw ParameterError(fmt::format("the intrinsic reliability needs at least 2 repetitions of the recording; "
                                         "{} given",
                                         repetitions.size()));
    }
    std::vector<double> gammas;
    for (std::size_t i = 0; i < repetitions.size(); ++i) {
        for (std::size_t j = 0; j < repetitions.size(); ++j) {
            if (i != j) gammas.push_back(coincidence(repetitions[i], repetitions[j], delta, duration).gamma);
        }
    }
    return mean(gammas);
}

Score score(std::span<const double> model, const std::vector<std::vector<double>>& repetitions, double delta,
            double duration) {
    if (repetitions.empty()) throw ParameterError("a score needs at least one recorded repetition; none given");
    Score s;
    std::vector<double> gammas;
    double spikes = 0;
    for (const auto& r : repetitions) {
        s.repetitions.push_back(coincidence(model, r, delta, duration));
        gammas.push_back(s.repetitions.back().gamma);
        if (s.undefined.empty() && !s.repetitions.back().undefined.empty()) {
            s.undefined = fmt::format("Gamma against a repetition is undefined: {}", s.repetitions.back().undefined);
        }
        spikes += static_cast<double>(r.size());
    }
    s.gamma = mean(gammas);
    const double mean_spikes = spikes / static_cast<double>(repetitions.size());
    s.count_ratio = mean_spikes > 0 ? static_cast<double>(model.size()) / mean_spikes
                                    : (model.empty() ? nan : std::numeric_limits<double>::infinity());
    if (repetitions.size() < 2) {
        s.gamma_int = nan;
        s.gamma_normalised = nan;
        if (s.undefined.empty()) s.undefined = "one repetition only: no intrinsic reliability Gamma_int";
        return s;
    }
    s.gamma_int = intrinsic_reliability(repetitions, delta, duration);
    if (std::isnan(s.gamma_int) && s.undefined.empty()) {
        s.undefined = "Gamma between two repetitions is undefined (both empty, or one fires at >= 1 / (2 delta))";
    }
    s.gamma_normalised = s.gamma / s.gamma_int;
    return s;
}

}  // namespace soma::fitting
