/// @file equations.cpp
/// Plug-in `equations`: neuron models read from text files and compiled at load time into programs
/// that the plug-in evaluates itself (program.hpp), so a new model needs no compiler. The file format,
/// the functions, the unit check and every error are documented in docs/equations.md; examples/models/
/// holds hh.eq, lif.eq and adex.eq, which reproduce the compiled `hh`, `lif` and `adex` plug-ins bit
/// for bit.
///
/// A model file declares parameters (name, default, unit, range, description), the injected current,
/// state variables (initial value, unit), intermediate quantities (`let`), one equation dX/dt = ...
/// per state variable, the threshold (a spike is an upward crossing of it by the first state
/// variable, located by the integrator), and optionally a reset, a refractory period (the first state
/// variable is held, dv/dt = 0, for that long after a spike), constraints between parameters
/// (`require`), presets and the step current that shows what the model does (`drive`, for the default
/// parameters or a preset: SuggestedDrive). The first state variable is the membrane potential.
///
/// How it plugs in (see framework/include/soma/model_from_file.hpp): the object created for the name
/// `equations` is a loader with the capability ModelFromFile; `load(file)` reads and checks the whole
/// file (model_file.cpp: syntax, names, units, dependencies), compiles its syntax trees (program.cpp),
/// and returns a new model whose schema is the file's parameters. Users name the file where they
/// would name a model plug-in: `soma run --model examples/models/hh.eq`.
///
/// Evaluation: one program per use, each computing its lets once: the right-hand side (outputs
/// dX/dt), the initial values, the reset, the threshold, the refractory period, the requirements and
/// exp_euler's coefficients. Every cell has its own parameter values (ModelCells::parameters, rows in
/// the file's order of parameters); the kernels evaluate the programs over the range of cells they
/// are given, block by block, and are const, allocation-free and thread-safe: the model holds nothing
/// but the immutable programs. With a refractory period, each cell's end of refractoriness is event
/// state (event_variables: "refractory_end", ms, -inf before the first spike); while t is before it
/// (with 1e-9 ms of slack absorbing the rounding of t = i dt, as the compiled lif and adex), dv/dt = 0.
///
/// Capabilities: ConditionallyLinear (for exp_euler) when some state variable other than the first
/// has an equation affine in itself and free of the current, dx/dt = a + b x (found from the syntax
/// tree, through lets); its coefficients are a = f(x = 0), b = f(x = 1) - f(x = 0) with the other
/// state variables as they are. No analytic Jacobian: cvode uses difference quotients.
/// Errors: ModelFileError "FILE:LINE:COLUMN: message" from `load`; ParameterError from `configure` and
/// `validate` (so for each cell of a run) when a `require` fails, the threshold or refractory period is
/// not a finite number (>= 0 ms), or an initial value is not finite, for the values given.

#include "model_file.hpp"
#include "program.hpp"

#include "soma/conditionally_linear.hpp"
#include "soma/error.hpp"
#include "soma/model.hpp"
#include "soma/model_from_file.hpp"
#include "soma/plugin.hpp"
#include "soma/refractory.hpp"
#include "soma/suggested_drive.hpp"
#include "soma/threshold_meaning.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace soma::equations {
namespace {

/// Event state of a model with a refractory period: the end of the current one (ms).
enum Event : std::size_t { refractory_end };
/// Slack of the refractory comparison, absorbing the rounding of t = i dt (ms).
constexpr double slack = refractory_slack;  // refractory.hpp

std::vector<ParameterSpec> schema_of(const Definition& def) {
    std::vector<ParameterSpec> schema;
    for (const auto& p : def.parameters) schema.push_back({p.name, p.unit_text, p.value, p.range, p.description});
    return schema;
}

/// A model read from a file.
class EquationModel : public Model, public ThresholdMeaningOf, public SuggestedDrive {
public:
    explicit EquationModel(Definition definition)
        : Model(schema_of(definition), definition.presets), def_(std::move(definition)) {
        for (const auto& s : def_.states) variables_.push_back({s.name, s.unit_text, s.description});
        current_ = {def_.current.name, def_.current.unit_text, def_.current.description};
        if (def_.refractory) events_.push_back({"refractory_end", "ms", "end of the current refractory period"});

        std::vector<const Expression*> derivatives, resets, requirements;
        for (const auto& s : def_.states) derivatives.push_back(&*s.derivative);
        for (const auto& r : def_.resets) resets.push_back(&r.expression);
        for (const auto& r : def_.requirements) requirements.push_back(&r.expression);
        rhs_ = compile(def_, derivatives);
        initial_ = compile_initial_values(def_);
        reset_ = compile(def_, resets);
        requirements_ = compile(def_, requirements);
        const Expression* threshold = &def_.threshold;
        threshold_ = compile(def_, std::span(&threshold, 1));
        if (def_.refractory) {
            const Expression* refractory = &*def_.refractory;
            refractory_ = compile(def_, std::span(&refractory, 1));
        }
        for (std::size_t k = 1; k < def_.states.size(); ++k) {
            if (def_.states[k].linear) linear_.push_back(k);
        }
        linear_program_ = compile_linear_coefficients(def_, linear_);
        init_defaults();
    }

    /// Without a reset (nor a refractory period) the threshold only detects spikes; with one it is a
    /// firing threshold, or the spike's peak if the file says `cut-off`. Its parameter: the threshold's
    /// expression when that is a parameter's name.
    ThresholdMeaning threshold_meaning() const override {
        const bool resets = !def_.resets.empty() || def_.refractory.has_value();
        const Node& tree = def_.threshold.tree;
        const bool parameter = tree.kind == Node::Kind::name && std::ranges::any_of(def_.parameters, [&](const auto& p) {
                                   return p.name == tree.name;
                               });
        return {!resets ? ThresholdKind::detection : def_.cut_off ? ThresholdKind::cut_off : ThresholdKind::firing,
                parameter ? tree.name : std::string()};
    }

    /// The file's `drive` for the preset (or the default parameters), if it gives one.
    std::optional<Drive> suggested_step(std::string_view preset) const override {
        for (const auto& d : def_.drives) {
            if (d.preset == preset) return Drive{d.amplitude, d.source};
        }
        return std::nullopt;
    }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }
    std::span<const Variable> event_variables() const override { return events_; }

    void thresholds(ConstBatchView parameters, std::span<double> out) const override {
        threshold_.run({parameters, {}, {}, 0.0}, [&](std::size_t first, std::size_t n, const BlockResults& r) {
            std::copy_n(r[0], n, out.begin() + static_cast<std::ptrdiff_t>(first));
        });
    }

    void initialize(const ModelCells& cells, BatchView y) const override {
        // Values validated by `check` for every cell: finite.
        initial_.run({cells.parameters, {}, {}, 0.0}, [&](std::size_t first, std::size_t n, const BlockResults& r) {
            for (std::size_t k = 0; k < y.n_vars(); ++k) std::copy_n(r[k], n, y.var(k).begin() + static_cast<std::ptrdiff_t>(first));
        });
        if (def_.refractory) std::ranges::fill(cells.events.var(refractory_end), -std::numeric_limits<double>::infinity());
    }

    void derivatives(double t, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                     const BatchView& dydt) const override {
        rhs_.run({cells.parameters, y, i_inj, t}, [&](std::size_t first, std::size_t n, const BlockResults& r) {
            for (std::size_t k = 0; k < dydt.n_vars(); ++k) {
                std::copy_n(r[k], n, dydt.var(k).begin() + static_cast<std::ptrdiff_t>(first));
            }
            if (!def_.refractory) return;
            const auto end = cells.events.var(refractory_end).subspan(first, n);
            const auto dv = dydt.var(0).subspan(first, n);
            for (std::size_t c = 0; c < n; ++c) {
                if (t < end[c] - slack) dv[c] = 0.0;
            }
        });
    }

    bool on_spike(double t, const ModelCells& cell, BatchView y) const override {
        // Every reset value is computed from the state before the reset (the program's registers), then assigned.
        reset_.run({cell.parameters, y, {}, t}, [&](std::size_t /*first*/, std::size_t /*n*/, const BlockResults& r) {
            for (std::size_t j = 0; j < def_.resets.size(); ++j) y.at(def_.resets[j].state, 0) = r[j][0];
        });
        if (def_.refractory) {
            refractory_.run({cell.parameters, {}, {}, t}, [&](std::size_t, std::size_t, const BlockResults& r) {
                cell.events.at(refractory_end, 0) = t + r[0][0];
            });
        }
        return !def_.resets.empty() || def_.refractory.has_value();
    }

protected:
    Definition def_;
    std::vector<std::size_t> linear_;  // the conditionally linear state variables (LinearEquationModel)
    Program linear_program_;          // their coefficients a, b (compile_linear_coefficients)

private:
    /// The requirements, the threshold, the refractory period and the initial values, for one cell's
    /// parameter values.
    void check(const ParameterValues& candidate) const override {
        const auto v = candidate.values();
        const ProgramInputs cell{ConstBatchView(v.data(), v.size(), 1, 1), {}, {}, 0.0};
        const auto one = [&](const Program& program, std::size_t j) {
            double value = 0;
            program.run(cell, [&](std::size_t, std::size_t, const BlockResults& r) { value = r[j][0]; });
            return value;
        };
        for (std::size_t j = 0; j < def_.requirements.size(); ++j) {
            const double holds = one(requirements_, j);
            if (holds != 0.0 && !std::isnan(holds)) continue;  // true (nonzero); NaN does not hold
            const auto& req = def_.requirements[j];
            std::vector<std::string> used;
            for_each_name(req.expression.tree, [&](const Node& n) {
                for (std::size_t k = 0; k < def_.parameters.size(); ++k) {
                    const auto& spec = def_.parameters[k];
                    const auto text = fmt::format("{} = {}{}", spec.name, v[k], spec.unit_text == "1" ? "" : " " + spec.unit_text);
                    if (spec.name == n.name && std::find(used.begin(), used.end(), text) == used.end()) used.push_back(text);
                }
            });
            throw ParameterError(fmt::format("{}'{}' does not hold{} ({}:{})",
                                             req.message.empty() ? "" : req.message + ": ", req.expression.text,
                                             used.empty() ? "" : fmt::format(" for {}", fmt::join(used, ", ")),
                                             def_.file, req.expression.line));
        }
        const double threshold = one(threshold_, 0);
        if (!std::isfinite(threshold)) {
            throw ParameterError(fmt::format("the threshold '{}' ({}:{}) is {} for these parameters",
                                             def_.threshold.text, def_.file, def_.threshold.line, threshold));
        }
        if (def_.refractory) {
            const double refractory = one(refractory_, 0);
            if (!std::isfinite(refractory) || refractory < 0) {
                throw ParameterError(fmt::format("the refractory period '{}' ({}:{}) is {} ms for these parameters; it "
                                                 "must be a finite number >= 0",
                                                 def_.refractory->text, def_.file, def_.refractory->line, refractory));
            }
        }
        for (std::size_t k = 0; k < def_.states.size(); ++k) {
            const double value = one(initial_, k);
            if (std::isfinite(value)) continue;
            const auto& s = def_.states[k];
            throw ParameterError(fmt::format("the initial value of '{}', '{}' ({}:{}), is {} for these parameters",
                                             s.name, s.initial.text, def_.file, s.line, value));
        }
    }

    std::vector<Variable> variables_, events_;
    Variable current_;
    Program rhs_, initial_, reset_, requirements_, threshold_, refractory_;
};

/// A model read from a file with conditionally linear state variables (for exp_euler).
class LinearEquationModel final : public EquationModel, public ConditionallyLinear {
public:
    using EquationModel::EquationModel;

    std::span<const std::size_t> linear_variables() const override { return linear_; }

    void linear_coefficients(double t, const ModelCells& cells, const ConstBatchView& y, const BatchView& a,
                             const BatchView& b) const override {
        linear_program_.run({cells.parameters, y, {}, t}, [&](std::size_t first, std::size_t n, const BlockResults& r) {
            for (std::size_t j = 0; j < linear_.size(); ++j) {
                std::copy_n(r[2 * j], n, a.var(j).begin() + static_cast<std::ptrdiff_t>(first));
                std::copy_n(r[2 * j + 1], n, b.var(j).begin() + static_cast<std::ptrdiff_t>(first));
            }
        });
    }
};

/// The object created for the name `equations`: reads model files (ModelFromFile); it has no state
/// variables itself and is refused as a model to run (create_model says why).
class EquationsLoader final : public Model, public ModelFromFile {
public:
    EquationsLoader() : Model(std::vector<ParameterSpec>{}) { init_defaults(); }  // Model({}) is ambiguous to clang 14

    std::span<const Variable> state_variables() const override { return {}; }
    const Variable& current() const override { return current_; }
    void thresholds(ConstBatchView /*parameters*/, std::span<double> out) const override {
        std::ranges::fill(out, std::numeric_limits<double>::infinity());
    }
    void initialize(const ModelCells& /*cells*/, BatchView /*y*/) const override {}
    void derivatives(double /*t*/, const ModelCells& /*cells*/, const ConstBatchView& /*y*/, std::span<const double> /*i_inj*/,
                     const BatchView& /*dydt*/) const override {}
    bool on_spike(double /*t*/, const ModelCells& /*cell*/, BatchView /*y*/) const override { return false; }

    std::unique_ptr<Model> load(const std::filesystem::path& file) const override {
        Definition def = read_model_file(file);
        const bool linear = std::any_of(def.states.begin(), def.states.end(), [](const StateDecl& s) { return s.linear; });
        if (linear) return std::make_unique<LinearEquationModel>(std::move(def));
        return std::make_unique<EquationModel>(std::move(def));
    }

private:
    const Variable current_{"I", "1", "the current declared by the model file"};
};

}  // namespace
}  // namespace soma::equations

SOMA_PLUGIN(soma::PluginKind::model, soma::equations::EquationsLoader, "equations", "2.0.0",
            "models from equation files, compiled when loaded: give the file as the model, e.g. --model "
            "examples/models/hh.eq (docs/equations.md)")
