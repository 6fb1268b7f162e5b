#pragma once
/// @file memory_recorder.hpp
/// The recorder behind soma.run: keeps a run's samples and spikes in memory, laid out so that NumPy
/// arrays can view them without a copy.

#include "soma/recorder.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace soma::python {

/// What one run recorded, owned by one Python object that every array of the result views (its base).
struct RunArrays {
    /// Variable-major: quantity k of sample s of recorded column j at `(k * n_samples + s) * n_columns + j`,
    /// so that each quantity is one C-contiguous block of shape [n_samples, n_columns].
    std::vector<double> samples;
    std::vector<double> times;              ///< ms; shape [n_samples]
    std::vector<double> spike_times;        ///< ms, in time order, ties by cell; shape [n_spikes]
    std::vector<std::int64_t> spike_cells;  ///< population index of each spike; shape [n_spikes]
    std::size_t n_quantities = 0;           ///< recorded quantities (RecordingInfo::variables)
    std::size_t n_samples = 0;              ///< samples the run takes
    std::size_t n_columns = 0;              ///< recorded cells (RecordingInfo::cells)
};

/// Bytes the samples of the run `info` take in memory (8 per value).
[[nodiscard]] double sample_bytes(const RunInfo& info);

/// A recorder that stores everything in a RunArrays: samples in a buffer allocated once in `begin`
/// (the run's sample count is known then), spikes appended as they come. It writes no file, so
/// `commit` and `abort` have nothing to do; the caller checks `sample_bytes` against the memory first.
class MemoryRecorder final : public Recorder {
public:
    MemoryRecorder();
    void begin(const RunInfo& info) override;
    void sample(double t, ConstBatchView values) override;
    void spike(std::size_t cell, double t) override;
    void finish(const RunSummary&) override {}
    void commit() override {}
    void abort() noexcept override {}
    [[nodiscard]] std::vector<std::filesystem::path> outputs() const override { return {}; }

    /// The recorded values; complete once the run has returned.
    [[nodiscard]] const std::shared_ptr<RunArrays>& arrays() const { return arrays_; }

private:
    std::shared_ptr<RunArrays> arrays_ = std::make_shared<RunArrays>();
    std::size_t next_sample_ = 0;
};

}  // namespace soma::python
