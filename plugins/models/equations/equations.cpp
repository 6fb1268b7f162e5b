/// @file equations.cpp
/// Plug-in `equations`: neuron models read from text files and evaluated at run time with muparser
/// (Debian libmuparser-dev 2.3.3), so a new model needs no compiler. The file format, the helper
/// functions, the unit check and every error are documented in docs/equations.md; examples/models/
/// holds hh.eq, lif.eq and adex.eq, which reproduce the compiled `hh`, `lif` and `adex` plug-ins.
///
/// A model file declares parameters (name, default, unit, range, description), the injected current,
/// state variables (initial value, unit), intermediate quantities (`let`), one equation dX/dt = ...
/// per state variable, the threshold (a spike is an upward crossing of it by the first state
/// variable, located by the integrator), and optionally a reset, a refractory period (the first state
/// variable is held, dv/dt = 0, for that long after a spike), constraints between parameters
/// (`require`) and presets. The first state variable is the membrane potential.
///
/// How it plugs in (see framework/include/soma/model_from_file.hpp): the object created for the name
/// `equations` is a loader with the capability ModelFromFile; `load(file)` reads and checks the whole
/// file (model_file.cpp: syntax, names, units, dependencies), compiles every expression with muparser,
/// and returns a new model whose schema is the file's parameters. Users name the file where they
/// would name a model plug-in: `soma run --model examples/models/hh.eq`.
///
/// Evaluation: every name is a muparser variable bound to one slot of a fixed array (parameters,
/// states, the current, t, lets). The right-hand side is one muparser expression list
/// "let1 = (...), ..., (dx1/dt), (dx2/dt), ..." evaluated once per cell: muparser's bytecode assigns
/// the lets in order and leaves the derivatives as its results. Everything is parsed and compiled in
/// `load`; `derivatives` only copies numbers into slots and calls muparser's Eval, which neither
/// allocates nor throws for compiled bytecode. The threshold, the refractory period and the
/// constraints depend on parameters only and are evaluated when parameters change.
///
/// Capabilities: ConditionallyLinear (for exp_euler) when some state variable other than the first
/// has an equation affine in itself and free of the current, dx/dt = a + b x (found from the syntax
/// tree, through lets); its coefficients are a = f(x = 0), b = f(x = 1) - f(x = 0) with the other
/// state variables as they are. No analytic Jacobian: cvode uses difference quotients.
/// Errors: ModelFileError "FILE:LINE:COLUMN: message" from `load`; ParameterError from `configure`
/// when a `require` fails or the threshold or refractory period is not a finite number (>= 0 ms);
/// ParameterError from `initialize` when an initial value is not finite.

#include "functions.hpp"
#include "model_file.hpp"

#include "soma/conditionally_linear.hpp"
#include "soma/error.hpp"
#include "soma/model.hpp"
#include "soma/model_from_file.hpp"
#include "soma/plugin.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <muParser.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

namespace soma::equations {
namespace {

constexpr std::size_t max_program_chars = 15000;  // muparser refuses expressions of more than 20000 characters

/// Where each name's value lives: parameters, states, the current, t, then lets.
class Slots {
public:
    explicit Slots(const Definition& def)
        : parameter_(0),
          state_(def.parameters.size()),
          current_(state_ + def.states.size()),
          time_(current_ + 1),
          let_(time_ + 1),
          values_(let_ + def.lets.size(), 0.0) {
        for (std::size_t k = 0; k < def.parameters.size(); ++k) names_.emplace_back(def.parameters[k].name, parameter_ + k);
        for (std::size_t k = 0; k < def.states.size(); ++k) names_.emplace_back(def.states[k].name, state_ + k);
        names_.emplace_back(def.current.name, current_);
        names_.emplace_back("t", time_);
        for (std::size_t k = 0; k < def.lets.size(); ++k) names_.emplace_back(def.lets[k].name, let_ + k);
    }
    Slots(const Slots&) = delete;
    Slots& operator=(const Slots&) = delete;

    /// Binds every name, the helper functions and `pi` in `parser`.
    void define(mu::Parser& parser) {
        for (const auto& [name, slot] : names_) parser.DefineVar(name, &values_[slot]);
        parser.DefineConst("pi", std::numbers::pi);
        parser.DefineFun("exprel", &exprel);
        parser.DefineFun("x_over_expm1", &x_over_expm1);
        parser.DefineFun("expm1", &equations::expm1);
        parser.DefineFun("log1p", &equations::log1p);
        parser.DefineFun("heaviside", &heaviside);
        parser.DefineFun("pow", static_cast<double (*)(double, double)>(&std::pow));
    }

    double* parameters() { return &values_[parameter_]; }
    double* states() { return &values_[state_]; }
    double& current() { return values_[current_]; }
    double& time() { return values_[time_]; }

private:
    std::size_t parameter_, state_, current_, time_, let_;
    std::vector<double> values_;  // never resized: muparser holds pointers into it
    std::vector<std::pair<std::string, std::size_t>> names_;
};

/// muparser's message for a compile error of `e`, as a ModelFileError at the right column. The
/// expressions were checked by model_file.cpp, so this only happens if muparser disagrees with it.
[[noreturn]] void muparser_error(const Definition& def, const Expression& e, const mu::Parser::exception_type& error) {
    const auto pos = error.GetPos() >= 0 ? static_cast<std::size_t>(error.GetPos()) : 0;
    throw ModelFileError(fmt::format("{}:{}:{}: muparser cannot compile '{}': {}", def.file, e.line,
                                     e.offset + std::min(pos, e.text.size()) + 1, e.text, error.GetMsg()));
}

/// A sequence of expressions compiled by muparser: lets assigned to their slots in order, then outputs.
class Program {
public:
    Program() = default;
    Program(Program&&) = default;
    Program& operator=(Program&&) = default;

    /// `lets`: which lets to compute first (by index, in file order); `outputs`: the results.
    Program(const Definition& def, Slots& slots, const std::vector<bool>& lets,
            const std::vector<const Expression*>& outputs) {
        std::vector<std::pair<std::string, bool>> statements;  // text, is an output
        for (std::size_t k = 0; k < def.lets.size(); ++k) {
            if (lets[k]) statements.emplace_back(fmt::format("{} = ({})", def.lets[k].name, def.lets[k].expression.text), false);
        }
        for (const auto* e : outputs) statements.emplace_back(fmt::format("({})", e->text), true);
        std::size_t output = 0;
        for (std::size_t first = 0; first < statements.size();) {
            Chunk chunk;
            std::string text;
            std::size_t k = first;
            for (; k < statements.size(); ++k) {
                if (k > first && text.size() + 2 + statements[k].first.size() > max_program_chars) break;
                if (k > first) text += ", ";
                if (statements[k].second) chunk.outputs.emplace_back(static_cast<int>(k - first), output++);
                text += statements[k].first;
            }
            chunk.parser = std::make_unique<mu::Parser>();
            slots.define(*chunk.parser);
            try {
                chunk.parser->SetExpr(text);
                int n = 0;
                chunk.parser->Eval(n);  // compiles to bytecode
            } catch (const mu::Parser::exception_type& error) {
                throw ModelFileError(fmt::format("{}: muparser cannot compile '{}': {}", def.file, text, error.GetMsg()));
            }
            chunks_.push_back(std::move(chunk));
            first = k;
        }
    }

    [[nodiscard]] bool empty() const { return chunks_.empty(); }

    /// Evaluates the program; writes output j to out[j * stride].
    void run(double* out, std::size_t stride = 1) const noexcept {
        for (const auto& chunk : chunks_) {
            int n = 0;
            const double* results = chunk.parser->Eval(n);
            for (const auto& [result, output] : chunk.outputs) out[output * stride] = results[result];
        }
    }

    /// The single output.
    [[nodiscard]] double value() const noexcept {
        double v = 0;
        run(&v);
        return v;
    }

private:
    struct Chunk {
        std::unique_ptr<mu::Parser> parser;
        std::vector<std::pair<int, std::size_t>> outputs;  // (index among the chunk's results, output index)
    };
    std::vector<Chunk> chunks_;
};

std::vector<bool> lets_of(const Definition& def, const std::vector<const Expression*>& expressions) {
    std::vector<bool> lets(def.lets.size(), false);
    for (const auto* e : expressions) {
        for (std::size_t k = 0; k < lets.size(); ++k) lets[k] = lets[k] || e->deps.lets[k];
    }
    return lets;
}

Program program(const Definition& def, Slots& slots, const std::vector<const Expression*>& outputs) {
    return Program(def, slots, lets_of(def, outputs), outputs);
}

std::vector<ParameterSpec> schema_of(const Definition& def) {
    std::vector<ParameterSpec> schema;
    for (const auto& p : def.parameters) schema.push_back({p.name, p.unit_text, p.value, p.range, p.description});
    return schema;
}

/// A model read from a file.
class EquationModel : public Model {
public:
    explicit EquationModel(Definition definition)
        : Model(schema_of(definition), definition.presets), def_(std::move(definition)), slots_(def_) {
        for (const auto& s : def_.states) variables_.push_back({s.name, s.unit_text, s.description});
        current_ = {def_.current.name, def_.current.unit_text, def_.current.description};

        // Compile every expression, each alone first so that a complaint of muparser names its column.
        for (const auto* e : all_expressions()) {
            mu::Parser parser;
            slots_.define(parser);
            try {
                parser.SetExpr(e->text);
                parser.Eval();
            } catch (const mu::Parser::exception_type& error) {
                muparser_error(def_, *e, error);
            }
        }
        std::vector<const Expression*> derivatives;
        for (const auto& s : def_.states) derivatives.push_back(&*s.derivative);
        rhs_ = program(def_, slots_, derivatives);
        for (const auto& s : def_.states) initial_.push_back(program(def_, slots_, {&s.initial}));
        threshold_ = program(def_, slots_, {&def_.threshold});
        if (def_.refractory) refractory_ = program(def_, slots_, {&*def_.refractory});
        std::vector<const Expression*> resets;
        for (const auto& r : def_.resets) resets.push_back(&r.expression);
        if (!resets.empty()) reset_ = program(def_, slots_, resets);
        reset_values_.assign(resets.size(), 0.0);
        for (const auto& r : def_.requirements) requirements_.push_back(program(def_, slots_, {&r.expression}));
        // exp_euler's coefficients: the lets that no conditionally linear variable changes are computed
        // once per cell (linear_common_); each equation then recomputes only the lets that depend on
        // a linear variable, for x = 0 and x = 1.
        for (std::size_t k = 1; k < def_.states.size(); ++k) {
            if (def_.states[k].linear) linear_.push_back(k);
        }
        std::vector<bool> varies(def_.lets.size(), false), common(def_.lets.size(), false);
        for (std::size_t l = 0; l < def_.lets.size(); ++l) {
            for (const auto k : linear_) varies[l] = varies[l] || def_.lets[l].expression.deps.states[k];
        }
        for (const auto k : linear_) {
            const auto& f = *def_.states[k].derivative;
            std::vector<bool> own(def_.lets.size(), false);
            for (std::size_t l = 0; l < def_.lets.size(); ++l) {
                if (!f.deps.lets[l]) continue;
                (varies[l] ? own[l] : common[l]) = true;
            }
            linear_programs_.emplace_back(def_, slots_, own, std::vector<const Expression*>{&f});
        }
        linear_common_ = Program(def_, slots_, common, {});
        init_defaults();
    }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }
    double threshold() const override { return threshold_value_; }

    void initialize(StateBatch& y) override {
        // Initial values depend on parameters and earlier states only: the same for every cell.
        double* states = slots_.states();
        for (std::size_t k = 0; k < def_.states.size(); ++k) {
            const double value = initial_[k].value();
            if (!std::isfinite(value)) {
                const auto& s = def_.states[k];
                throw ParameterError(fmt::format("the initial value of '{}', '{}' ({}:{}), is {} for these parameters",
                                                 s.name, s.initial.text, def_.file, s.line, value));
            }
            states[k] = value;
            std::ranges::fill(y.var(k), value);
        }
        refractory_end_.assign(y.n_cells(), -std::numeric_limits<double>::infinity());
    }

    void derivatives(double t, const StateBatch& y, std::span<const double> i_inj,
                     StateBatch& dydt) const override {
        const std::size_t n_cells = y.n_cells(), n_vars = y.n_vars();
        const double* in = y.data().data();
        double* out = dydt.data().data();
        double* states = slots_.states();
        slots_.time() = t;
        for (std::size_t c = 0; c < n_cells; ++c) {
            for (std::size_t k = 0; k < n_vars; ++k) states[k] = in[k * n_cells + c];
            slots_.current() = i_inj[c];
            rhs_.run(out + c, n_cells);
            // While refractory, the membrane potential is held (as in the compiled lif and adex; the end
            // is resolved to 1e-9 ms, absorbing the rounding of t = i dt).
            if (def_.refractory && t < refractory_end_[c] - 1e-9) out[c] = 0.0;
        }
    }

    bool on_spike(std::size_t cell, double t, StateBatch& y) override {
        if (!reset_.empty()) {
            double* states = slots_.states();
            for (std::size_t k = 0; k < y.n_vars(); ++k) states[k] = y.var(k)[cell];
            slots_.time() = t;
            reset_.run(reset_values_.data());  // every value from the state before the reset
            for (std::size_t r = 0; r < def_.resets.size(); ++r) y.var(def_.resets[r].state)[cell] = reset_values_[r];
        }
        if (def_.refractory) refractory_end_[cell] = t + refractory_value_;
        return !reset_.empty() || def_.refractory.has_value();
    }

protected:
    Definition def_;
    mutable Slots slots_;  // muparser reads and writes these while evaluating (const) derivatives
    // For LinearEquationModel: the conditionally linear state variables and their equations.
    std::vector<std::size_t> linear_;
    std::vector<Program> linear_programs_;  // per linear variable: the lets that depend on one, its equation
    Program linear_common_;                  // the other lets those equations need

private:
    std::vector<const Expression*> all_expressions() const {
        std::vector<const Expression*> all;
        for (const auto& s : def_.states) {
            all.push_back(&s.initial);
            all.push_back(&*s.derivative);
        }
        for (const auto& l : def_.lets) all.push_back(&l.expression);
        all.push_back(&def_.threshold);
        if (def_.refractory) all.push_back(&*def_.refractory);
        for (const auto& r : def_.resets) all.push_back(&r.expression);
        for (const auto& r : def_.requirements) all.push_back(&r.expression);
        return all;
    }

    /// Evaluates the parameter-only expressions for `values`; the slots keep the current parameters.
    struct ParameterOnly {
        double threshold = 0, refractory = 0;
    };

    ParameterOnly evaluate(const ParameterValues& values) const {
        double* p = slots_.parameters();
        const auto v = values.values();
        std::vector<double> saved(p, p + v.size());
        std::copy(v.begin(), v.end(), p);
        struct Restore {
            double* p;
            std::vector<double>& saved;
            ~Restore() { std::copy(saved.begin(), saved.end(), p); }
        } restore{p, saved};
        for (std::size_t r = 0; r < requirements_.size(); ++r) {
            const double holds = requirements_[r].value();
            if (holds != 0.0 && !std::isnan(holds)) continue;  // true (nonzero); NaN does not hold
            const auto& req = def_.requirements[r];
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
        ParameterOnly result;
        result.threshold = threshold_.value();
        if (!std::isfinite(result.threshold)) {
            throw ParameterError(fmt::format("the threshold '{}' ({}:{}) is {} for these parameters",
                                             def_.threshold.text, def_.file, def_.threshold.line, result.threshold));
        }
        if (def_.refractory) {
            result.refractory = refractory_.value();
            if (!std::isfinite(result.refractory) || result.refractory < 0) {
                throw ParameterError(fmt::format("the refractory period '{}' ({}:{}) is {} ms for these parameters; it "
                                                 "must be a finite number >= 0",
                                                 def_.refractory->text, def_.file, def_.refractory->line,
                                                 result.refractory));
            }
        }
        return result;
    }

    void check(const ParameterValues& candidate) const override { evaluate(candidate); }

    void apply(const ParameterValues& values) override {
        const auto result = evaluate(values);
        std::ranges::copy(values.values(), slots_.parameters());
        threshold_value_ = result.threshold;
        refractory_value_ = result.refractory;
    }

    std::vector<Variable> variables_;
    Variable current_;
    Program rhs_, threshold_, refractory_, reset_;
    std::vector<Program> initial_, requirements_;
    mutable std::vector<double> reset_values_;
    std::vector<double> refractory_end_;
    double threshold_value_ = 0, refractory_value_ = 0;
};

/// A model read from a file with conditionally linear state variables (for exp_euler).
class LinearEquationModel final : public EquationModel, public ConditionallyLinear {
public:
    using EquationModel::EquationModel;

    std::span<const std::size_t> linear_variables() const override { return linear_; }

    void linear_coefficients(double t, const StateBatch& y, StateBatch& a, StateBatch& b) const override {
        const std::size_t n_cells = y.n_cells(), n_vars = y.n_vars();
        const double* in = y.data().data();
        double* states = slots_.states();
        slots_.time() = t;
        for (std::size_t c = 0; c < n_cells; ++c) {
            for (std::size_t k = 0; k < n_vars; ++k) states[k] = in[k * n_cells + c];
            linear_common_.run(nullptr);
            for (std::size_t j = 0; j < linear_.size(); ++j) {
                double& x = states[linear_[j]];
                const double saved = x;
                x = 0.0;
                const double f0 = linear_programs_[j].value();
                x = 1.0;
                const double f1 = linear_programs_[j].value();
                x = saved;
                a.var(j)[c] = f0;
                b.var(j)[c] = f1 - f0;
            }
        }
    }
};

/// The object created for the name `equations`: reads model files (ModelFromFile); it has no state
/// variables itself and is refused as a model to run (create_model says why).
class EquationsLoader final : public Model, public ModelFromFile {
public:
    EquationsLoader() : Model({}) { init_defaults(); }

    std::span<const Variable> state_variables() const override { return {}; }
    const Variable& current() const override { return current_; }
    double threshold() const override { return std::numeric_limits<double>::infinity(); }
    void initialize(StateBatch& /*y*/) override {}
    void derivatives(double /*t*/, const StateBatch& /*y*/, std::span<const double> /*i_inj*/,
                     StateBatch& /*dydt*/) const override {}
    bool on_spike(std::size_t /*cell*/, double /*t*/, StateBatch& /*y*/) override { return false; }

    std::unique_ptr<Model> load(const std::filesystem::path& file) const override {
        Definition def = read_model_file(file);
        const bool linear = std::any_of(def.states.begin(), def.states.end(), [](const StateDecl& s) { return s.linear; });
        if (linear) return std::make_unique<LinearEquationModel>(std::move(def));
        return std::make_unique<EquationModel>(std::move(def));
    }

private:
    void apply(const ParameterValues& /*values*/) override {}

    const Variable current_{"I", "1", "the current declared by the model file"};
};

}  // namespace
}  // namespace soma::equations

SOMA_PLUGIN(soma::PluginKind::model, soma::equations::EquationsLoader, "equations", "1.0.0",
            "models from equation files, evaluated with muparser: give the file as the model, e.g. --model "
            "examples/models/hh.eq (docs/equations.md)")
