#include "soma/fitting/evaluate.hpp"

#include "soma/error.hpp"
#include "soma/model.hpp"
#include "soma/recorder.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <limits>
#include <memory>

namespace soma::fitting {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// A recorder that keeps the samples of one variable of every recorded cell in memory, shape [cells,
/// samples]: 8 bytes per cell and sample (272 kB a cell over a 6.8 s recording at 0.2 ms). For the RMSE
/// around the model's spikes too, which are known only at the end, and for the traces a comparison draws.
class Trace final : public Recorder {
public:
    Trace() : Recorder({}) { init_defaults(); }
    void begin(const RunInfo& info) override {
        cells_ = info.recording.cells;
        traces_.assign(info.n_cells, {});
        const std::size_t samples = info.recording.samples ? (info.n_steps + info.record_every - 1) / info.record_every : 0;
        for (const std::size_t c : cells_) traces_[c].reserve(samples);
    }
    void sample(double /*t*/, ConstBatchView values) override {
        const auto row = values.var(0);
        for (std::size_t j = 0; j < cells_.size(); ++j) traces_[cells_[j]].push_back(row[j]);
    }
    void spike(std::size_t /*cell*/, double /*t*/) override {}
    void finish(const RunSummary& /*summary*/) override {}
    void commit() override {}
    void abort() noexcept override {}
    [[nodiscard]] std::vector<std::filesystem::path> outputs() const override { return {}; }
    /// The samples of cell `cell` (population index); empty if it was not recorded.
    [[nodiscard]] const std::vector<double>& of(std::size_t cell) const { return traces_.at(cell); }

private:
    std::vector<std::size_t> cells_;
    std::vector<std::vector<double>> traces_;
};

/// A recorder that sums, as the samples come, the squared difference between the membrane potential of each
/// recorded cell and that of each repetition of a set, over the samples outside the windows around the
/// recorded spikes: 16 bytes per cell and repetition, whatever the recording's length, which lets a fit
/// run any number of candidates. Its sums are subthreshold_error's with no model spikes, bit for bit (the
/// same terms added in the same order); like it, a repetition whose trace or the cell's is not finite on
/// the samples they share, or that leaves no sample, contributes nothing to that cell.
class SquaredError final : public Recorder {
public:
    SquaredError(const StimulusSet& set, const std::vector<std::vector<double>>& data_spikes,
                 const SpikeExclusion& exclusion)
        : Recorder({}), set_(set) {
        init_defaults();
        for (std::size_t r = 0; r < set.repetitions.size(); ++r) {
            const Recording& rec = set.repetitions[r];
            excluded_.push_back(excluded_samples(rec.v.size(), rec.dt, data_spikes[r], exclusion));
            const auto bad = std::ranges::find_if(rec.v, [](double v) { return !std::isfinite(v); });
            first_nonfinite_data_.push_back(static_cast<std::size_t>(bad - rec.v.begin()));
        }
    }
    void begin(const RunInfo& info) override {
        cells_ = info.recording.cells;
        slot_.assign(info.n_cells, none);
        for (std::size_t j = 0; j < cells_.size(); ++j) slot_[cells_[j]] = j;
        squares_.assign(excluded_.size() * cells_.size(), 0.0);
        first_nonfinite_.assign(cells_.size(), none);
        compared_.assign(excluded_.size(), 0);
        k_ = 0;
    }
    void sample(double /*t*/, ConstBatchView values) override {
        const auto row = values.var(0);
        const std::size_t n = cells_.size();
        for (std::size_t j = 0; j < n; ++j) {
            if (!std::isfinite(row[j]) && first_nonfinite_[j] == none) first_nonfinite_[j] = k_;
        }
        for (std::size_t r = 0; r < excluded_.size(); ++r) {
            if (k_ >= excluded_[r].size() || excluded_[r][k_]) continue;
            const double data = set_.repetitions[r].v[k_];
            double* squares = squares_.data() + r * n;
            for (std::size_t j = 0; j < n; ++j) {
                const double d = row[j] - data;
                squares[j] += d * d;
            }
            ++compared_[r];
        }
        ++k_;
    }
    void spike(std::size_t /*cell*/, double /*t*/) override {}
    void finish(const RunSummary& /*summary*/) override {}
    void commit() override {}
    void abort() noexcept override {}
    [[nodiscard]] std::vector<std::filesystem::path> outputs() const override { return {}; }
    /// Adds cell `cell`'s (population index) sum of squares to `r`: per repetition, as subthreshold_error's
    /// RMSE times itself times its samples, as the traced path adds it.
    void add_to(std::size_t cell, CellEvaluation& r) const {
        const std::size_t j = slot_.at(cell);
        if (j == none) return;
        for (std::size_t rep = 0; rep < excluded_.size(); ++rep) {
            const std::size_t shared = std::min(k_, excluded_[rep].size());
            if (compared_[rep] == 0 || first_nonfinite_[j] < shared || first_nonfinite_data_[rep] < shared) continue;
            const auto samples = static_cast<double>(compared_[rep]);
            const double rmse = std::sqrt(squares_[rep * cells_.size() + j] / samples);
            r.squared_error += rmse * rmse * samples;
            r.samples += compared_[rep];
        }
    }

private:
    static constexpr std::size_t none = static_cast<std::size_t>(-1);
    const StimulusSet& set_;
    std::vector<std::vector<char>> excluded_;         ///< [repetition][sample]
    std::vector<std::size_t> first_nonfinite_data_;   ///< [repetition]
    std::vector<std::size_t> cells_, slot_;           ///< recorded cells; a cell's row (or none)
    std::vector<double> squares_;                     ///< [repetition][recorded cell]
    std::vector<std::size_t> first_nonfinite_;        ///< [recorded cell]: its first sample not finite
    std::vector<std::size_t> compared_;               ///< [repetition]: samples summed
    std::size_t k_ = 0;                               ///< samples so far
};

}  // namespace

std::string membrane_potential(const Model& model, std::string_view model_name) {
    for (const auto& v : model.state_variables()) {
        if ((v.name == "v" || v.name == "V" || v.name == "V_m") && v.unit == "mV") return v.name;
    }
    std::vector<std::string> names;
    for (const auto& v : model.state_variables()) names.push_back(fmt::format("{} ({})", v.name, v.unit));
    throw ParameterError(fmt::format("model '{}' has no membrane potential v in mV to compare with the recordings "
                                     "(its state variables: {})",
                                     model_name, fmt::join(names, ", ")));
}

void check_delta(double delta, const std::vector<const StimulusSet*>& sets) {
    if (!(delta > 0) || delta > max_delta_ms) {
        throw ParameterError(fmt::format("--delta {} is not allowed; the coincidence window must be in (0, {:g}] ms "
                                         "(2 ms in the competition)",
                                         delta, max_delta_ms));
    }
    const StimulusSet* shortest = nullptr;
    double duration = std::numeric_limits<double>::infinity();
    for (const auto* set : sets) {
        if (set->repetitions.empty()) continue;
        if (const double d = set->repetitions.front().duration(); d < duration) {
            duration = d;
            shortest = set;
        }
    }
    // (A recording's duration is its samples times its step, 59.99999999999999 ms for 300 of 0.2 ms.)
    if (shortest != nullptr && delta > duration / 2 * (1 + 1e-9)) {
        throw ParameterError(fmt::format("--delta {} is not allowed for set '{}' of {:.9g} ms; the coincidence window "
                                         "must be in (0, {:.9g}] ms, at most half of the recording",
                                         delta, shortest->name, duration, std::min(max_delta_ms, duration / 2)));
    }
}

void check_sampling_step(const StimulusSet& set, double dt) {
    if (set.repetitions.empty() || !(dt > 0) || !std::isfinite(dt)) return;  // build_simulation refuses such a dt
    const double step = set.repetitions.front().dt;
    const double every = step / dt;
    const double whole = std::round(every);
    if (whole >= 1 && std::abs(every - whole) <= 1e-9 * whole) return;
    // step / n for the first n from ceil(step / dt) on that is written with at most 3 significant digits.
    const double first = std::max(1.0, std::ceil(every * (1 - 1e-12)));
    double suggestion = step / first;
    for (double n = first; n < first + 1000; ++n) {
        const double candidate = step / n;
        const double shown = std::stod(fmt::format("{:.3g}", candidate));
        if (std::abs(shown - candidate) <= 1e-9 * candidate) {
            suggestion = shown;
            break;
        }
    }
    throw ParameterError(fmt::format("set '{}': the recordings' sampling step {} ms is not a whole multiple of dt = {} "
                                     "ms, and the model's membrane potential is compared at their samples; give a "
                                     "--dt that divides {} ms, e.g. --dt {}",
                                     set.name, step, dt, step, suggestion));
}

std::vector<CellEvaluation> evaluate_population(const PluginRegistry& registry, RunSpec run, const StimulusSet& set,
                                                const Evaluation& evaluation, const experiments::RunControl& control,
                                                RunInfo* info) {
    const Recording& first = set.repetitions.front();
    const auto data_spikes = spike_trains(set.repetitions);
    const double duration = first.duration();
    double mean_spikes = 0;
    for (const auto& train : data_spikes) mean_spikes += static_cast<double>(train.size());
    mean_spikes /= static_cast<double>(data_spikes.size());

    run.stimulus = set.stimulus;
    run.recorders.clear();
    run.settings.t_stop = duration;
    run.record.cells.reset();
    if (evaluation.voltage) {
        check_sampling_step(set, run.settings.dt);
        run.settings.record_interval = first.dt;
        run.record.variables = {evaluation.v_name};
    } else {
        run.settings.record_interval = 0;
        run.record.variables = {"spikes"};
    }
    // The RMSE around the recorded spikes only is summed as the run goes; around the model's spikes too, it
    // needs the whole trace of each cell.
    const bool streamed = evaluation.voltage && !evaluation.exclude_model_spikes;
    const bool traced = evaluation.voltage && (evaluation.exclude_model_spikes || evaluation.keep_traces);
    const auto spikes = std::make_shared<experiments::SpikeTimes>();
    const auto trace = std::make_shared<Trace>();
    const auto squared_error = streamed ? std::make_shared<SquaredError>(set, data_spikes, evaluation.exclusion) : nullptr;
    std::vector<std::shared_ptr<Recorder>> extra{spikes};
    if (traced) extra.push_back(trace);
    if (streamed) extra.push_back(squared_error);
    if (evaluation.voltage) {
        // Every cell's v, whatever the population's size (the default samples only a few).
        const std::size_t n = run.settings.n_cells;
        if (n > 0) {
            std::vector<std::size_t> all(n);
            for (std::size_t c = 0; c < n; ++c) all[c] = c;
            run.record.cells = std::move(all);
        }
    }
    Simulation simulation = build_simulation(registry, run, extra);
    if (evaluation.voltage && !run.record.cells) {
        // The cell count came from per-cell lists: record them all.
        std::vector<std::size_t> all(simulation.info().n_cells);
        for (std::size_t c = 0; c < all.size(); ++c) all[c] = c;
        run.record.cells = std::move(all);
        simulation = build_simulation(registry, run, extra);
    }
    if (control.interrupt != nullptr) simulation.interrupt_on(*control.interrupt);
    if (control.progress) simulation.on_progress(control.progress);
    (void)simulation.run();
    if (info != nullptr) *info = simulation.info();
    if (simulation.recorders().empty()) return {};  // a rank other than 0: rank 0 scores
    const std::size_t n_cells = simulation.info().n_cells;
    std::vector<CellEvaluation> out(n_cells);
    for (std::size_t c = 0; c < n_cells; ++c) {
        CellEvaluation& r = out[c];
        r.spikes = spikes->of(c);
        const Score s = score(r.spikes, data_spikes, evaluation.delta, duration);
        r.per_repetition = s.repetitions;
        r.score = {set.name, data_spikes.size(), s.gamma_normalised, s.gamma, s.gamma_int, s.count_ratio, nan,
                   1000.0 * static_cast<double>(r.spikes.size()) / duration, 1000.0 * mean_spikes / duration};
        if (!evaluation.voltage) continue;
        if (evaluation.keep_traces) r.v = trace->of(c);
        if (streamed) {
            squared_error->add_to(c, r);
        } else {
            const std::vector<double>& v = trace->of(c);
            for (std::size_t k = 0; k < data_spikes.size(); ++k) {
                const Recording& rec = set.repetitions[k];
                const std::size_t n = std::min(v.size(), rec.v.size());
                try {
                    const SubthresholdError e = subthreshold_error(std::span(v).first(n), std::span(rec.v).first(n),
                                                                   rec.dt, r.spikes, data_spikes[k], evaluation.exclusion);
                    r.squared_error += e.rmse * e.rmse * static_cast<double>(e.samples);
                    r.samples += e.samples;
                } catch (const ParameterError&) {
                    // The exclusion left no sample (a model firing throughout): the RMSE is undefined.
                }
            }
        }
        r.score.rmse = r.samples == 0 ? nan : std::sqrt(r.squared_error / static_cast<double>(r.samples));
    }
    return out;
}

}  // namespace soma::fitting
