/// @file exp_euler.cpp
/// Plug-in `exp_euler`: exponential Euler (Rush-Larsen) for models with conditionally linear gating
/// variables (capability ConditionallyLinear, conditionally_linear.hpp). With v frozen at its value
/// at the start of the step, each gate obeys dx/dt = a + b x with constant a, b, and is advanced
/// exactly:  x(t + h) = x + (a + b x) h phi(b h),  phi(z) = (exp(z) - 1) / z  (phi(0) = 1),
/// which equals x_inf + (x - x_inf) exp(-h / tau_x). The other variables (v) take a forward Euler
/// step. First order overall; the gates stay in [0, 1] for any h. This is NEURON's `cnexp` and
/// Brian2's `exponential_euler` scheme. Source: S. Rush and H. Larsen, IEEE Trans. Biomed. Eng.
/// 25:389-392 (1978); M. Hines, NEURON documentation, "cnexp".
/// Errors: PluginError from prepare if the model does not offer ConditionallyLinear.

#include "soma/conditionally_linear.hpp"
#include "soma/error.hpp"
#include "soma/fixed_step.hpp"
#include "soma/plugin.hpp"

#include <cmath>

namespace soma::integrators {
namespace {

double phi(double z) { return z == 0.0 ? 1.0 : std::expm1(z) / z; }

class ExponentialEuler final : public FixedStepIntegrator {
public:
    ExponentialEuler() : FixedStepIntegrator(Interpolant::linear) { init_defaults(); }

private:
    void prepare_scheme(const Model& model, std::size_t n_cells) override {
        linear_ = dynamic_cast<const ConditionallyLinear*>(&model);
        if (linear_ == nullptr) {
            throw PluginError("exponential Euler needs a model whose gating variables are conditionally linear "
                              "(capability ConditionallyLinear); this model does not offer it. Use 'euler', 'rk4' "
                              "or an adaptive integrator instead");
        }
        const std::size_t n_vars = model.state_variables().size();
        const std::size_t n_linear = linear_->linear_variables().size();
        dydt_ = StateBatch(n_vars, n_cells);
        a_ = StateBatch(n_linear, n_cells);
        b_ = StateBatch(n_linear, n_cells);
        current_.assign(n_cells, 0.0);
    }

    void advance(const Model& model, const Stimulus& stimulus, std::size_t i, double t, double h, const StateBatch& y,
                 StateBatch& y_next) override {
        stimulus.current(i, t, current_);
        model.derivatives(t, y, current_, dydt_);
        const auto y0 = y.data();
        const auto f = dydt_.data();
        const auto y1 = y_next.data();
        for (std::size_t k = 0; k < y0.size(); ++k) y1[k] = y0[k] + f[k] * h;  // Euler for all, gates below
        linear_->linear_coefficients(t, y, a_, b_);
        const auto gates = linear_->linear_variables();
        for (std::size_t g = 0; g < gates.size(); ++g) {
            const auto x0 = y.var(gates[g]);
            const auto x1 = y_next.var(gates[g]);
            const auto a = a_.var(g);
            const auto b = b_.var(g);
            for (std::size_t c = 0; c < x0.size(); ++c) x1[c] = x0[c] + (a[c] + b[c] * x0[c]) * h * phi(b[c] * h);
        }
    }

    const ConditionallyLinear* linear_ = nullptr;
    StateBatch dydt_, a_, b_;
    std::vector<double> current_;
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::ExponentialEuler, "exp_euler", "1.0.0",
            "exponential Euler (Rush-Larsen): gates exact for frozen v, v by forward Euler; needs a model with "
            "conditionally linear gates (hh)")
