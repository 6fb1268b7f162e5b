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

    /// White noise held over each step: v by forward Euler (Euler-Maruyama), the gates exponentially.
    [[nodiscard]] bool takes_white_noise() const override { return true; }

private:
    class Scheme final : public FixedStepIntegrator::Scheme {
    public:
        Scheme(const Block& block, const ConditionallyLinear& linear)
            : linear_(linear),
              dydt_(block.model->state_variables().size(), block.count()),
              a_(linear.linear_variables().size(), block.count()),
              b_(linear.linear_variables().size(), block.count()),
              current_(block.count()) {}

        void advance(const Block& block, std::size_t i, double t, double h, const ConstBatchView& y,
                     const BatchView& y_next) override {
            const std::size_t n = block.count();
            const BatchView dydt = dydt_.cells(0, n), a = a_.cells(0, n), b = b_.cells(0, n);
            block.rhs(i, t, y, std::span(current_).first(n), dydt);
            for (std::size_t k = 0; k < y.n_vars(); ++k) {  // Euler for all, gates below
                const auto y0 = y.var(k);
                const auto f = dydt.var(k), y1 = y_next.var(k);
                for (std::size_t c = 0; c < n; ++c) y1[c] = y0[c] + f[c] * h;
            }
            linear_.linear_coefficients(t, block.model_cells, y, a, b);
            const auto gates = linear_.linear_variables();
            for (std::size_t g = 0; g < gates.size(); ++g) {
                const auto x0 = y.var(gates[g]);
                const auto x1 = y_next.var(gates[g]);
                const auto ag = a.var(g), bg = b.var(g);
                for (std::size_t c = 0; c < n; ++c) x1[c] = x0[c] + (ag[c] + bg[c] * x0[c]) * h * phi(bg[c] * h);
            }
        }

    private:
        const ConditionallyLinear& linear_;
        StateBatch dydt_, a_, b_;
        std::vector<double> current_;
    };

    std::unique_ptr<FixedStepIntegrator::Scheme> make_scheme(const Block& block) const override {
        const auto* linear = dynamic_cast<const ConditionallyLinear*>(block.model);
        if (linear == nullptr) {
            throw PluginError("exponential Euler needs a model whose gating variables are conditionally linear "
                              "(capability ConditionallyLinear); this model does not offer it. Use 'euler', 'rk4' "
                              "or an adaptive integrator instead");
        }
        return std::make_unique<Scheme>(block, *linear);
    }
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::ExponentialEuler, "exp_euler", "2.0.0",
            "exponential Euler (Rush-Larsen): gates exact for frozen v, v by forward Euler; needs a model with "
            "conditionally linear variables besides v (hh, adex, model files with such variables)")
