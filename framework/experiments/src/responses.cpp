#include "soma/experiments/responses.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace soma::experiments {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The value (ms) of stimulus time parameter `name` shared by every cell, if the run has one.
std::optional<double> stimulus_time(const RunInfo& info, std::string_view name) {
    for (const auto& p : info.cell_parameters) {
        if (p.component == "stimulus" && p.name == name) return std::nullopt;  // differs between cells
    }
    for (const auto& p : info.parameters) {
        if (p.component == "stimulus" && p.name == name && p.unit == "ms") return p.value;
    }
    return std::nullopt;
}

}  // namespace

Window default_window(const RunInfo& info) {
    const double t_stop = info.t_stop;
    const auto onset = stimulus_time(info, "onset");
    const auto offset = stimulus_time(info, "offset");
    if (onset && *onset >= t_stop) {
        throw ParameterError(fmt::format("the stimulus starts at {:g} ms, at or after the end of the run "
                                         "({:g} ms): lengthen the run (--t-stop) or start the stimulus earlier",
                                         *onset, t_stop));
    }
    if (onset && offset && *offset > *onset) {
        const double end = std::min(*offset, t_stop);
        const double from = *onset + (end - *onset) / 2;
        return {from, end, fmt::format("the second half of the stimulus, [{:g}, {:g}) ms", from, end)};
    }
    return {t_stop / 2, t_stop, fmt::format("the second half of the run, [{:g}, {:g}) ms", t_stop / 2, t_stop)};
}

void check_window(const Window& w, double t_stop, std::string_view option) {
    if (!std::isfinite(w.from) || !std::isfinite(w.to) || w.from < 0 || w.to <= w.from || w.to > t_stop) {
        throw ParameterError(fmt::format("{} [{:g}, {:g}) ms is not a window of the run: it must satisfy 0 <= FROM "
                                         "< TO <= t_stop = {:g} ms",
                                         option, w.from, w.to, t_stop));
    }
}

double latency_reference(const RunInfo& info) { return stimulus_time(info, "onset").value_or(0.0); }

SpikeTimes::SpikeTimes() : Recorder({}) { init_defaults(); }

void SpikeTimes::begin(const RunInfo& info) { times_.assign(info.n_cells, {}); }

void SpikeTimes::spike(std::size_t cell, double t) { times_[cell].push_back(t); }

std::vector<CellResponse> SpikeTimes::responses(const Window& window, double reference) const {
    std::vector<CellResponse> out;
    out.reserve(times_.size());
    for (const auto& t : times_) out.push_back(response(t, window, reference));
    return out;
}

CellResponse response(const std::vector<double>& times, const Window& window, double reference) {
    CellResponse r;
    r.n_spikes = times.size();
    r.latency = times.empty() ? nan : times.front() - reference;
    const auto first = std::ranges::lower_bound(times, window.from);
    const auto last = std::ranges::lower_bound(times, window.to);
    r.n_window = static_cast<std::size_t>(last - first);
    r.mean_isi = nan;
    r.cv_isi = nan;
    // The intervals that end in the window: each spike in it with the spike before it (which may lie
    // before the window), so that one spike in a short window still gives the interval that led to it.
    const auto from = first == times.begin() ? first + 1 : first;
    if (from < last) {
        // Welford's update (as CellSummary), so that a regular train's CV is 0, not rounding noise.
        double mean = 0, m2 = 0;
        std::size_t k = 0;
        for (auto it = from; it != last; ++it) {
            const double isi = *it - *(it - 1);
            ++k;
            const double d = isi - mean;
            mean += d / static_cast<double>(k);
            m2 += d * (isi - mean);
        }
        r.n_isi = k;
        r.mean_isi = mean;
        r.rate = 1000.0 / mean;
        if (k >= 2) r.cv_isi = std::sqrt(m2 / static_cast<double>(k - 1)) / mean;
    } else {
        r.rate = 1000.0 * static_cast<double>(r.n_window) / (window.to - window.from);  // the first spike, or none
    }
    return r;
}

}  // namespace soma::experiments
