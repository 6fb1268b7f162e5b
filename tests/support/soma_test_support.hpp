#pragma once
/// @file soma_test_support.hpp
/// Helpers shared by the in-process test suites: a Recorder that keeps a run in memory, a function
/// that wires a simulation from plug-in names through the registry, and message checks.
///
/// The recorder is defined in the test itself; it is handed to Simulation directly and is never
/// loaded as a plug-in.

#include "soma/error.hpp"
#include "soma/integrator.hpp"
#include "soma/jacobian.hpp"
#include "soma/model.hpp"
#include "soma/recorder.hpp"
#include "soma/registry.hpp"
#include "soma/simulation.hpp"
#include "soma/stimulus.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <memory>
#include <string>
#include <vector>

namespace soma::test {

/// Keeps every sample (t, all state values, all currents) and every spike of a run in memory.
class CapturingRecorder final : public Recorder {
public:
    CapturingRecorder() : Recorder({}) { init_defaults(); }

    void begin(const RunInfo& run_info) override {
        info = run_info;
        width = 1 + run_info.state_variables.size() * run_info.n_cells + run_info.n_cells;
        ++begun;
    }
    void sample(double t, const StateBatch& y, std::span<const double> current) override {
        values.push_back(t);
        values.insert(values.end(), y.data().begin(), y.data().end());
        values.insert(values.end(), current.begin(), current.end());
    }
    void spike(std::size_t cell, double t) override { spikes.push_back({cell, t}); }
    void finish() override { ++finished; }
    void commit() override { ++committed; }
    void abort() noexcept override { ++aborted; }
    std::vector<std::filesystem::path> outputs() const override { return {}; }

    /// Number of samples received.
    [[nodiscard]] std::size_t rows() const { return width == 0 ? 0 : values.size() / width; }
    /// Column `col` of sample `row`: 0 is t, then the state variables (variable-major), then currents.
    [[nodiscard]] double at(std::size_t row, std::size_t col) const { return values[row * width + col]; }

    RunInfo info;
    std::size_t width = 0;
    std::vector<double> values;  ///< row-major, `width` values per sample
    std::vector<Spike> spikes;
    int begun = 0, finished = 0, committed = 0, aborted = 0;

private:
    void apply(const ParameterValues& /*values*/) override {}
};

/// The plug-ins of this build tree, loaded once per test program.
inline const PluginRegistry& registry() {
    static const PluginRegistry instance;
    return instance;
}

/// A run described by plug-in names and parameter text, as a scenario file would give it.
struct RunSpec {
    std::string model;
    std::string stimulus;
    std::string integrator = "euler";
    std::map<std::string, std::string> model_parameters;
    std::map<std::string, std::string> stimulus_parameters;
    RunSettings settings;
    std::map<std::string, std::string> integrator_parameters = {};
    std::string preset = {};  ///< a model preset, applied before `model_parameters` (as --preset)
};

/// Integrator parameters of the course exercises' convention: spikes and resets at the end of the step.
inline const std::map<std::string, std::string> grid_spikes{{"locate_spikes", "0"}};

struct RunResult {
    std::shared_ptr<CapturingRecorder> recorder;
    RunSummary summary;
};

/// Creates the plug-ins by name through `registry`, configures them and runs the simulation
/// in-process with a CapturingRecorder.
inline RunResult run_in_process(const PluginRegistry& registry, const RunSpec& spec) {
    const auto model = registry.create<Model>(PluginKind::model, spec.model);
    const auto stimulus = registry.create<Stimulus>(PluginKind::stimulus, spec.stimulus);
    const auto integrator = registry.create<Integrator>(PluginKind::integrator, spec.integrator);
    if (!spec.preset.empty()) model->apply_preset(spec.preset);
    model->configure(spec.model_parameters);
    stimulus->configure(spec.stimulus_parameters);
    integrator->configure(spec.integrator_parameters);
    auto recorder = std::make_shared<CapturingRecorder>();
    RunInfo info;
    info.model = spec.model;
    info.stimulus = spec.stimulus;
    info.integrator = spec.integrator;
    info.recorders = {"capture"};
    info.stem = "test";
    Simulation simulation(model, stimulus, integrator, {recorder}, spec.settings, info);
    RunResult result{recorder, simulation.run()};
    return result;
}

/// Checks the analytic Jacobian of `model` (named `name` in messages) against central differences of its
/// right-hand side, at each membrane potential in `potentials` (the other state variables at their
/// initial values, or the second one at `second` if given), with a current of 5. Central differences
/// with h = 1e-6 relative are accurate to ~1e-8 where the right-hand side is moderate, so a tolerance
/// of 1e-5 relative leaves room and still catches any wrong term.
inline void check_jacobian(Model& model, const std::string& name, std::span<const double> potentials,
                           std::optional<double> second = std::nullopt) {
    const auto* jacobian = dynamic_cast<const Jacobian*>(&model);
    BOOST_TEST_REQUIRE(jacobian != nullptr, name << " offers no Jacobian");
    const std::size_t n = model.state_variables().size();
    StateBatch y(n, 1), f_plus(n, 1), f_minus(n, 1);
    model.initialize(y);
    const std::vector<double> current{5.0};
    std::vector<double> analytic(n * n);
    for (const double v : potentials) {
        y.var(0)[0] = v;
        if (second && n > 1) y.var(1)[0] = *second;
        jacobian->jacobian(0.0, y, current, 0, analytic);
        for (std::size_t k = 0; k < n; ++k) {
            const double h = 1e-6 * std::max(1.0, std::abs(y.var(k)[0]));
            StateBatch y_plus = y, y_minus = y;
            y_plus.var(k)[0] += h;
            y_minus.var(k)[0] -= h;
            model.derivatives(0.0, y_plus, current, f_plus);
            model.derivatives(0.0, y_minus, current, f_minus);
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
