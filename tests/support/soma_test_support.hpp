#pragma once
/// @file soma_test_support.hpp
/// Helpers shared by the in-process test suites: a Recorder that keeps a run in memory, runs built
/// with soma::build_simulation (as the `soma` runner builds them), the arrays a model's kernels see,
/// a Jacobian check, temporary directories and message checks.
///
/// The recorder is defined in the test itself; it is handed to build_simulation as an extra recorder
/// and is never loaded as a plug-in.

#include "soma/error.hpp"
#include "soma/integrator.hpp"
#include "soma/jacobian.hpp"
#include "soma/model.hpp"
#include "soma/recorder.hpp"
#include "soma/registry.hpp"
#include "soma/run_spec.hpp"
#include "soma/simulation.hpp"
#include "soma/stimulus.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace soma::test {

/// Keeps every sample and every spike of a run in memory, with the run's metadata and summary.
///
/// Sample row r holds t and then the sample's values [recorded variables, recorded cells] variable-major:
/// column 1 + k * n_cells + j is recorded variable k of recorded cell j (info.recording.variables and
/// .cells). With the default recording of a single cell that is t, the state variables, the current.
class CapturingRecorder final : public Recorder {
public:
    CapturingRecorder() : Recorder({}) { init_defaults(); }

    void begin(const RunInfo& run_info) override {
        info = run_info;
        width = 1 + run_info.recording.variables.size() * run_info.recording.cells.size();
        ++begun;
    }
    void sample(double t, ConstBatchView batch) override {
        BOOST_TEST_REQUIRE(batch.n_vars() == info.recording.variables.size());
        BOOST_TEST_REQUIRE(batch.count() == info.recording.cells.size());
        values.push_back(t);
        for (std::size_t k = 0; k < batch.n_vars(); ++k) {
            const auto row = batch.var(k);
            values.insert(values.end(), row.begin(), row.end());
        }
    }
    void spike(std::size_t cell, double t) override { spikes.push_back({cell, t}); }
    void finish(const RunSummary& run_summary) override {
        summary = run_summary;
        ++finished;
    }
    void commit() override { ++committed; }
    void abort() noexcept override { ++aborted; }
    std::vector<std::filesystem::path> outputs() const override { return {}; }

    /// Number of samples received.
    [[nodiscard]] std::size_t rows() const { return width == 0 ? 0 : values.size() / width; }
    /// Column `col` of sample `row`: 0 is t, then the values (see the class comment).
    [[nodiscard]] double at(std::size_t row, std::size_t col) const { return values[row * width + col]; }
    /// Recorded variable `var` of the `column`-th recorded cell in sample `row`.
    [[nodiscard]] double value(std::size_t row, std::size_t var, std::size_t column) const {
        return at(row, 1 + var * info.recording.cells.size() + column);
    }
    /// Spike times of population cell `cell`, in time order.
    [[nodiscard]] std::vector<double> spike_times(std::size_t cell) const {
        std::vector<double> t;
        for (const auto& s : spikes) {
            if (s.cell == cell) t.push_back(s.t);
        }
        return t;
    }

    RunInfo info;
    RunSummary summary;
    std::size_t width = 0;
    std::vector<double> values;  ///< row-major, `width` values per sample
    std::vector<Spike> spikes;
    int begun = 0, finished = 0, committed = 0, aborted = 0;
};

/// The plug-ins of this build tree, loaded once per test program.
inline const PluginRegistry& registry() {
    static const PluginRegistry instance;
    return instance;
}

/// A positional shorthand for the common soma::RunSpec of the tests: one cell on one thread, no
/// recorder but the test's own. `spec()` gives the full soma::RunSpec.
struct RunSpec {
    std::string model;
    std::string stimulus;
    std::string integrator = "euler";
    std::map<std::string, std::string> model_parameters;
    std::map<std::string, std::string> stimulus_parameters;
    RunSettings settings;  ///< by default 1 cell, 1 thread, seed 0
    std::map<std::string, std::string> integrator_parameters = {};
    std::string preset = {};  ///< a model preset, applied before `model_parameters` (as --preset)

    [[nodiscard]] soma::RunSpec spec() const {
        soma::RunSpec s;
        s.model = {model, preset, model_parameters};
        s.stimulus = {stimulus, {}, stimulus_parameters};
        s.integrator = {integrator, {}, integrator_parameters};
        s.recorders = {};
        s.settings = settings;
        s.name = "test";
        return s;
    }
};

/// Integrator parameters of the course exercises' convention: spikes and resets at the end of the step.
inline const std::map<std::string, std::string> grid_spikes{{"locate_spikes", "0"}};

struct RunResult {
    std::shared_ptr<CapturingRecorder> recorder;
    RunSummary summary;
};

/// Builds the run with soma::build_simulation (the runner's own wiring) through `registry`, with a
/// CapturingRecorder after the spec's recorders, and runs it in-process.
inline RunResult run_in_process(const PluginRegistry& registry, const soma::RunSpec& spec) {
    auto recorder = std::make_shared<CapturingRecorder>();
    Simulation simulation = build_simulation(registry, spec, {recorder});
    RunResult result{recorder, simulation.run()};
    return result;
}

inline RunResult run_in_process(const PluginRegistry& registry, const RunSpec& spec) {
    return run_in_process(registry, spec.spec());
}

/// The arrays a model's kernels see for `n_cells` cells that all have the model's current values():
/// the parameter table [schema size, n_cells] and the event state [event variables, n_cells]
/// (written by `initialize`).
struct ModelArrays {
    StateBatch parameters, events;

    ModelArrays(const Model& model, std::size_t n_cells)
        : parameters(model.schema().size(), n_cells), events(model.event_variables().size(), n_cells) {
        const auto values = model.values().values();
        for (std::size_t k = 0; k < values.size(); ++k) std::ranges::fill(parameters.var(k), values[k]);
    }
    [[nodiscard]] ModelCells cells() { return {parameters.view(), events.view()}; }
};

/// The spike threshold of `model` with its current values() (unit of v).
inline double threshold_of(const Model& model) {
    ModelArrays arrays(model, 1);
    std::vector<double> out(1);
    model.thresholds(arrays.parameters.view(), out);
    return out.front();
}

/// Checks the analytic Jacobian of `model` (named `name` in messages; one cell with the model's current
/// values()) against central differences of its right-hand side, at each membrane potential in
/// `potentials` (the other state variables at their initial values, or the second one at `second` if
/// given), with a current of 5. Central differences with h = 1e-6 relative are accurate to ~1e-8 where
/// the right-hand side is moderate, so a tolerance of 1e-5 relative leaves room and still catches any
/// wrong term.
inline void check_jacobian(const Model& model, const std::string& name, std::span<const double> potentials,
                           std::optional<double> second = std::nullopt) {
    const auto* jacobian = dynamic_cast<const Jacobian*>(&model);
    BOOST_TEST_REQUIRE(jacobian != nullptr, name << " offers no Jacobian");
    const std::size_t n = model.state_variables().size();
    ModelArrays arrays(model, 1);
    const ModelCells cell = arrays.cells();
    StateBatch y(n, 1), f_plus(n, 1), f_minus(n, 1);
    model.initialize(cell, y.view());
    const std::vector<double> current{5.0};
    std::vector<double> analytic(n * n);
    for (const double v : potentials) {
        y.var(0)[0] = v;
        if (second && n > 1) y.var(1)[0] = *second;
        jacobian->jacobian(0.0, cell, y.view(), current, analytic);
        for (std::size_t k = 0; k < n; ++k) {
            const double h = 1e-6 * std::max(1.0, std::abs(y.var(k)[0]));
            StateBatch y_plus = y, y_minus = y;
            y_plus.var(k)[0] += h;
            y_minus.var(k)[0] -= h;
            model.derivatives(0.0, cell, y_plus.view(), current, f_plus.view());
            model.derivatives(0.0, cell, y_minus.view(), current, f_minus.view());
            for (std::size_t r = 0; r < n; ++r) {
                const double numeric = (f_plus.var(r)[0] - f_minus.var(r)[0]) / (2 * h);
                const double exact = analytic[r * n + k];
                BOOST_TEST(std::abs(exact - numeric) <= 1e-5 * std::max(1.0, std::abs(numeric)),
                           name << " at v = " << v << ": d f_" << r << " / d y_" << k << " = " << exact
                                << ", finite differences " << numeric);
            }
        }
    }
}

/// A fresh, empty directory under the system's temporary directory, removed with its contents
/// when the object is destroyed.
class TempDir {
public:
    explicit TempDir(const std::string& tag = "soma-test") {
        std::random_device entropy;
        const auto base = std::filesystem::temp_directory_path();
        for (int attempt = 0; attempt < 100; ++attempt) {
            auto candidate = base / (tag + "-" + std::to_string(entropy()) + std::to_string(entropy()));
            if (std::filesystem::create_directory(candidate)) {
                path_ = std::move(candidate);
                return;
            }
        }
        throw std::runtime_error("cannot create a temporary directory in " + base.string());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

/// The message of the `Exception` that `f` throws; fails the test case if it throws nothing.
template <class Exception = Error, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const Exception& e) {
        return e.what();
    }
    BOOST_ERROR("expected an exception, but none was thrown");
    return {};
}

}  // namespace soma::test

/// Checks that `text` contains `part`, showing both when it does not.
#define SOMA_CHECK_CONTAINS(text, part)                                                                   \
    BOOST_CHECK_MESSAGE(std::string(text).find(part) != std::string::npos,                               \
                        "expected \"" << (part) << "\" in: \"" << (text) << "\"")
