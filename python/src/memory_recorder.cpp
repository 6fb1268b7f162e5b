#include "memory_recorder.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace soma::python {
namespace {

std::size_t sample_count(const RunInfo& info) {
    if (!info.recording.samples) return 0;
    const std::size_t every = std::max<std::size_t>(1, info.record_every);
    return (info.n_steps + every - 1) / every;
}

}  // namespace

double sample_bytes(const RunInfo& info) {
    return 8.0 * static_cast<double>(sample_count(info)) *
           (static_cast<double>(info.recording.variables.size()) * static_cast<double>(info.recording.cells.size()) + 1);
}

MemoryRecorder::MemoryRecorder() : Recorder({}) { init_defaults(); }

void MemoryRecorder::begin(const RunInfo& info) {
    RunArrays& a = *arrays_;
    a.n_samples = sample_count(info);
    a.n_quantities = info.recording.samples ? info.recording.variables.size() : 0;
    a.n_columns = info.recording.samples ? info.recording.cells.size() : 0;
    a.samples.assign(a.n_quantities * a.n_samples * a.n_columns, 0.0);
    a.times.assign(a.n_samples, 0.0);
    a.spike_times.clear();
    a.spike_cells.clear();
    next_sample_ = 0;
}

void MemoryRecorder::sample(double t, ConstBatchView values) {
    RunArrays& a = *arrays_;
    if (next_sample_ >= a.n_samples || values.n_vars() != a.n_quantities || values.count() != a.n_columns) {
        throw RunError(fmt::format("in-memory recorder: sample {} of shape [{}, {}] does not fit the run's {} samples "
                                   "of shape [{}, {}]",
                                   next_sample_, values.n_vars(), values.count(), a.n_samples, a.n_quantities,
                                   a.n_columns));
    }
    a.times[next_sample_] = t;
    for (std::size_t k = 0; k < a.n_quantities; ++k) {
        const auto row = values.var(k);
        std::ranges::copy(row, a.samples.begin() +
                                   static_cast<std::ptrdiff_t>((k * a.n_samples + next_sample_) * a.n_columns));
    }
    ++next_sample_;
}

void MemoryRecorder::spike(std::size_t cell, double t) {
    arrays_->spike_times.push_back(t);
    arrays_->spike_cells.push_back(static_cast<std::int64_t>(cell));
}

}  // namespace soma::python
