/// @file csv.cpp
/// Plug-in `csv`: writes the samples, the spike times and each cell's spike statistics as CSV files.
///
/// Files, in the run's output directory, each starting with the same `#` lines of run metadata:
/// - `<stem>.csv`, the samples of the recorded quantities (not written with `--record spikes`):
///   - one cell (a population of 1): wide layout, the header `t (ms),v (mV),m (1),n (1),h (1),I (uA/cm^2)`
///     (the recorded quantities with their units; `1` for dimensionless ones), then one row per sample;
///   - more cells: tidy (long) layout, the header `t (ms),cell,v (mV),...`, then one row per sample
///     time and recorded cell (time order, then ascending cell). `pandas.read_csv(f, comment="#")`
///     gives a tidy frame; `df.pivot(index="t (ms)", columns="cell", values="v (mV)")` a wide one.
/// - `<stem>_spikes.csv`: the header `cell,t (ms)`, then one row per spike of every cell (recorded
///   or not), in time order, ties by cell.
/// - `<stem>_cells.csv`: the header `cell,<per-cell parameters>,spikes,rate (Hz),first spike (ms),mean
///   ISI (ms),CV ISI` after two `#` lines that define the rate and the CV, then one row per cell of the
///   population. The per-cell parameters are those that
///   differ between cells, as `model.g_Na (mS/cm^2)`; `rate` is spikes / t_stop; `CV ISI` is the
///   sample standard deviation of the inter-spike intervals over their mean (soma::CellSummary). A
///   field is empty where its value is undefined: the first spike of a cell without spikes, the mean
///   ISI with fewer than 2 spikes, the CV with fewer than 3 (pandas reads an empty field as NaN).
///
/// Metadata lines: Soma's version; the title; the plug-ins and the model preset; dt, t_stop, steps and
/// record interval; cells, threads and seed; what was recorded (`v, I of cells 0:10, 12`: `a:b` are the
/// cells a to b - 1); the note on a default selection, if any; then one line per parameter,
/// `# model.g_Na = 120 mS/cm^2` for a value shared by all cells and `# stimulus.amplitude:
/// linspace(1.1, 3, 20) nA` (as the user gave it) for one that differs between cells. Dimensionless
/// values and the integrators' tolerances (whose unit is that of each state variable) have no unit.
///
/// Numbers: the sample times i * dt with the decimals of dt (soma::TimeFormat: 0.7, not
/// 0.7000000000000001); everything else in the shortest form that reads back to the same double.
/// Rows are written as they come through bounded buffers, so memory does not grow with the run; all
/// files are written under temporary names and renamed only when the run completes.
///
/// Errors: soma::RunError if a file cannot be created or written.

#include "soma/output_file.hpp"
#include "soma/plugin.hpp"
#include "soma/recorder.hpp"
#include "soma/run_metadata.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <vector>

namespace soma::recorders {
namespace {

/// Rows are handed to the file once the buffer holds this many bytes (and at the end of each sample).
constexpr std::size_t flush_bytes = std::size_t{1} << 15;

std::string column(std::string_view name, std::string_view unit) { return fmt::format("{} ({})", name, unit); }

/// `x`, or nothing when it is NaN (an undefined statistic).
void append_defined(fmt::memory_buffer& out, double x) {
    if (!std::isnan(x)) append_number(out, x);
}

/// Characters of a double in shortest form with its separator: up to 17 significant digits, sign,
/// point and exponent make 24 at most; the values of a run are mostly 17 to 20 characters long.
constexpr double number_chars = 20;

/// Characters of the text of `x`.
template <class T>
double chars(const T& x) {
    return static_cast<double>(fmt::formatted_size("{}", x));
}

/// Number of samples of the run `info`.
double sample_count(const RunInfo& info) {
    return std::ceil(static_cast<double>(info.n_steps) / static_cast<double>(std::max<std::size_t>(1, info.record_every)));
}

class Csv final : public Recorder {
public:
    Csv() : Recorder({}) { init_defaults(); }

    /// The samples' rows (t as written, the cell, 20 characters per value), the per-cell rows and 4 KiB
    /// of metadata per file; the spikes cannot be known in advance.
    [[nodiscard]] double expected_bytes(const RunInfo& info) const override {
        const RecordingInfo& r = info.recording;
        double bytes = 3 * 4096.0;
        const auto n_vars = static_cast<double>(r.variables.size()), n_cells = static_cast<double>(info.n_cells);
        if (r.samples) {
            fmt::memory_buffer t;
            TimeFormat(info.dt).append(t, info.t_stop);
            const double cell = info.n_cells == 1 ? 0 : chars(info.n_cells) + 1;
            const double row = static_cast<double>(t.size()) + cell + n_vars * number_chars + 1;
            bytes += sample_count(info) * static_cast<double>(r.cells.size()) * row;
        }
        return bytes + n_cells * (chars(info.n_cells) + static_cast<double>(info.cell_parameters.size() + 5) * number_chars);
    }

    void begin(const RunInfo& info) override {
        n_cells_ = info.n_cells;
        t_stop_ = info.t_stop;
        samples_on_ = info.recording.samples;
        wide_ = info.n_cells == 1;
        time_ = TimeFormat(info.dt);
        recorded_cells_ = info.recording.cells;
        cell_parameters_.clear();
        for (const auto& p : info.cell_parameters) cell_parameters_.push_back(p.values);

        const std::string comments = metadata_comments(info);
        const auto path = [&](std::string_view suffix) { return info.output_dir / (info.stem + std::string(suffix)); };
        if (samples_on_) {
            samples_ = OutputFile(path(".csv"));
            std::vector<std::string> columns{"t (ms)"};
            if (!wide_) columns.emplace_back("cell");
            for (const auto& v : info.recording.variables) columns.push_back(column(v.name, v.unit));
            samples_.print("{}{}\n", comments, fmt::join(columns, ","));
        }
        spikes_ = OutputFile(path("_spikes.csv"));
        spikes_.print("{}cell,t (ms)\n", comments);
        cells_ = OutputFile(path("_cells.csv"));
        std::vector<std::string> columns{"cell"};
        for (const auto& p : info.cell_parameters) columns.push_back(column(p.component + "." + p.name, p.unit));
        for (const char* c : {"spikes", "rate (Hz)", "first spike (ms)", "mean ISI (ms)", "CV ISI"}) columns.emplace_back(c);
        cells_.print("{}# rate (Hz): spikes / t_stop, over the whole run (the rate of soma sweep and soma fi is 1000 / "
                     "the mean ISI in their analysis window)\n# CV ISI: sample standard deviation of the inter-spike "
                     "intervals over their mean\n{}\n",
                     comments, fmt::join(columns, ","));
    }

    void sample(double t, ConstBatchView values) override {
        const auto out = std::back_inserter(row_);
        time_text_.clear();
        time_.append(time_text_, t);
        for (std::size_t j = 0; j < values.count(); ++j) {
            row_.append(time_text_);
            if (!wide_) fmt::format_to(out, FMT_COMPILE(",{}"), recorded_cells_[j]);
            for (std::size_t k = 0; k < values.n_vars(); ++k) {
                row_.push_back(',');
                append_number(row_, values.at(k, j));
            }
            row_.push_back('\n');
            if (row_.size() >= flush_bytes) flush(samples_);
        }
        flush(samples_);
    }

    void spike(std::size_t cell, double t) override {
        fmt::format_to(std::back_inserter(row_), FMT_COMPILE("{},{}\n"), cell, t);
        flush(spikes_);
    }

    void finish(const RunSummary& summary) override {
        if (summary.cells.size() != n_cells_) {
            throw RunError(fmt::format("csv recorder: the run's summary has {} cells, the run {}", summary.cells.size(),
                                       n_cells_));
        }
        if (samples_on_) samples_.close();
        spikes_.close();
        const auto out = std::back_inserter(row_);
        for (std::size_t c = 0; c < n_cells_; ++c) {
            const CellSummary& s = summary.cells[c];
            fmt::format_to(out, FMT_COMPILE("{}"), c);
            for (const auto& values : cell_parameters_) {
                row_.push_back(',');
                append_number(row_, values[c]);
            }
            fmt::format_to(out, FMT_COMPILE(",{},"), s.n_spikes);
            append_number(row_, s.rate(t_stop_));
            row_.push_back(',');
            if (s.n_spikes > 0) append_number(row_, s.first_spike);
            row_.push_back(',');
            append_defined(row_, s.mean_isi());
            row_.push_back(',');
            append_defined(row_, s.cv_isi());
            row_.push_back('\n');
            if (row_.size() >= flush_bytes) flush(cells_);
        }
        flush(cells_);
        cells_.close();
    }

    void commit() override {
        if (samples_on_) samples_.commit();
        spikes_.commit();
        cells_.commit();
    }

    void abort() noexcept override {
        row_.clear();
        samples_.discard();
        spikes_.discard();
        cells_.discard();
    }

    std::vector<std::filesystem::path> outputs() const override {
        std::vector<std::filesystem::path> paths;
        if (samples_on_) paths.push_back(samples_.final_path());
        paths.push_back(spikes_.final_path());
        paths.push_back(cells_.final_path());
        return paths;
    }

private:
    void flush(OutputFile& file) {
        file.write({row_.data(), row_.size()});
        row_.clear();
    }

    std::size_t n_cells_ = 1;
    double t_stop_ = 0;
    bool samples_on_ = true;
    bool wide_ = true;
    TimeFormat time_;
    std::vector<std::size_t> recorded_cells_;          // population index of each column of a sample
    std::vector<std::vector<double>> cell_parameters_;  // [parameter][cell], for the summary rows
    fmt::memory_buffer row_, time_text_;                // reused: bounded by flush_bytes plus one row
    OutputFile samples_, spikes_, cells_;
};

}  // namespace
}  // namespace soma::recorders

SOMA_PLUGIN(soma::PluginKind::recorder, soma::recorders::Csv, "csv", "2.0.0",
            "CSV files of the recorded samples (one row per time, or per time and cell for a population), of "
            "spike times, and of each cell's parameters and spike statistics")
