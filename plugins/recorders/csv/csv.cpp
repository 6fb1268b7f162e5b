/// @file csv.cpp
/// Plug-in `csv`: writes the samples and the spike times of a run as CSV files.
///
/// Files, in the run's output directory:
/// - `<stem>.csv`: `#` comment lines with the run metadata (Soma version, plug-ins, every parameter
///   with its unit, dt, t_stop), then a header row `t (ms),v (mV),...,I (uA/cm^2)` and one row per
///   sample. With more than one cell, columns are `v[c] (mV)` for each cell c.
/// - `<stem>_spikes.csv`: the same comment lines, then `cell,t (ms)` and one row per spike.
/// Numbers are written in the shortest form that reads back to the same double (full precision).
/// Read them with e.g. `numpy.loadtxt(f, delimiter=",", skiprows=...)` or `pandas.read_csv(f, comment="#")`.
/// Both files are written under temporary names and renamed only when the run completes.

#include "soma/plugin.hpp"
#include "soma/recorder.hpp"
#include "soma/output_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace soma::recorders {
namespace {

std::string column(const Variable& v, std::size_t cell, std::size_t n_cells) {
    const std::string name = n_cells == 1 ? v.name : fmt::format("{}[{}]", v.name, cell);
    return fmt::format("{} ({})", name, v.unit);
}

class Csv final : public Recorder {
public:
    Csv() : Recorder({}) { init_defaults(); }

    void begin(const RunInfo& info) override {
        n_cells_ = info.n_cells;
        samples_ = OutputFile(info.output_dir / (info.stem + ".csv"));
        spikes_ = OutputFile(info.output_dir / (info.stem + "_spikes.csv"));
        const std::string comments = metadata(info);
        std::vector<std::string> columns{"t (ms)"};
        for (const auto& v : info.state_variables) {
            for (std::size_t c = 0; c < n_cells_; ++c) columns.push_back(column(v, c, n_cells_));
        }
        for (std::size_t c = 0; c < n_cells_; ++c) columns.push_back(column(info.current, c, n_cells_));
        samples_.print("{}{}\n", comments, fmt::join(columns, ","));
        spikes_.print("{}cell,t (ms)\n", comments);
    }

    void sample(double t, const StateBatch& y, std::span<const double> current) override {
        samples_.write_sample(',', t, y.data(), current);
    }

    void spike(std::size_t cell, double t) override { spikes_.print("{},{}\n", cell, t); }

    void finish() override {
        samples_.close();
        spikes_.close();
    }

    void commit() override {
        samples_.commit();
        spikes_.commit();
    }

    void abort() noexcept override {
        samples_.discard();
        spikes_.discard();
    }

    std::vector<std::filesystem::path> outputs() const override {
        return {samples_.final_path(), spikes_.final_path()};
    }

private:
    static std::string metadata(const RunInfo& info) {
        std::string text =
            fmt::format("# Soma {}\n# title: {}\n# model: {}, stimulus: {}, integrator: {}, recorders: {}\n",
                        info.soma_version, info.title, info.model, info.stimulus, info.integrator,
                        fmt::join(info.recorders, " "));
        text += fmt::format("# dt: {} ms, t_stop: {} ms, steps: {}, record interval: {} ms, cells: {}\n", info.dt,
                            info.t_stop, info.n_steps, static_cast<double>(info.record_every) * info.dt, info.n_cells);
        for (const auto& p : info.parameters) {
            text += fmt::format("# {}.{} = {}{}\n", p.component, p.name, p.value, p.unit == "1" ? "" : " " + p.unit);
        }
        return text;
    }

    void apply(const ParameterValues& /*values*/) override {}

    std::size_t n_cells_ = 1;
    OutputFile samples_, spikes_;
};

}  // namespace
}  // namespace soma::recorders

SOMA_PLUGIN(soma::PluginKind::recorder, soma::recorders::Csv, "csv", "1.0.0",
            "CSV files of every state variable and the current, and of spike times, at full precision")
