/// @file rk4.cpp
/// Plug-in `rk4`: the classic fourth-order Runge-Kutta method with a fixed step,
///   k1 = f(t, y), k2 = f(t + h/2, y + h/2 k1), k3 = f(t + h/2, y + h/2 k2), k4 = f(t + h, y + h k3),
///   y(t + h) = y + h/6 (k1 + 2 k2 + 2 k3 + k4),
/// with the injected current evaluated at each stage's time (the stimulus's formula of the step).
/// Global error O(dt^4). Spikes are located on the cubic Hermite interpolant of the step (see
/// fixed_step.hpp). Source: E. Hairer, S. P. Norsett and G. Wanner, Solving Ordinary Differential
/// Equations I, 2nd ed., Springer 1993, section II.1, Table 1.2, p.138 (Kutta 1901).

#include "soma/fixed_step.hpp"
#include "soma/plugin.hpp"

#include <array>

namespace soma::integrators {
namespace {

class RungeKutta4 final : public FixedStepIntegrator {
public:
    RungeKutta4() : FixedStepIntegrator(Interpolant::cubic_hermite) { init_defaults(); }

private:
    class Scheme final : public FixedStepIntegrator::Scheme {
    public:
        explicit Scheme(const Block& block) : current_(block.count()) {
            const std::size_t n_vars = block.model->state_variables().size();
            for (auto& k : k_) k = StateBatch(n_vars, block.count());
            stage_ = StateBatch(n_vars, block.count());
        }

        void advance(const Block& block, std::size_t i, double t, double h, const ConstBatchView& y,
                     const BatchView& y_next) override {
            const std::size_t n = block.count();
            const std::span<double> current = std::span(current_).first(n);
            const BatchView stage = stage_.cells(0, n);
            const BatchView k1 = k_[0].cells(0, n), k2 = k_[1].cells(0, n), k3 = k_[2].cells(0, n),
                            k4 = k_[3].cells(0, n);
            const auto set_stage = [&](double factor, BatchView k) {
                for (std::size_t v = 0; v < y.n_vars(); ++v) {
                    const auto y0 = y.var(v);
                    const auto dk = k.var(v), out = stage.var(v);
                    for (std::size_t c = 0; c < n; ++c) out[c] = y0[c] + factor * dk[c];
                }
            };
            block.rhs(i, t, y, current, k1);
            set_stage(0.5 * h, k1);
            block.rhs(i, t + 0.5 * h, stage, current, k2);
            set_stage(0.5 * h, k2);
            block.rhs(i, t + 0.5 * h, stage, current, k3);
            set_stage(h, k3);
            block.rhs(i, t + h, stage, current, k4);
            for (std::size_t v = 0; v < y.n_vars(); ++v) {
                const auto y0 = y.var(v);
                const auto a = k1.var(v), b = k2.var(v), c3 = k3.var(v), d = k4.var(v);
                const auto y1 = y_next.var(v);
                for (std::size_t c = 0; c < n; ++c) y1[c] = y0[c] + h / 6.0 * (a[c] + 2.0 * (b[c] + c3[c]) + d[c]);
            }
        }

    private:
        std::array<StateBatch, 4> k_;
        StateBatch stage_;
        std::vector<double> current_;
    };

    std::unique_ptr<FixedStepIntegrator::Scheme> make_scheme(const Block& block) const override {
        return std::make_unique<Scheme>(block);
    }
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::RungeKutta4, "rk4", "2.0.0",
            "classic fourth-order Runge-Kutta, fixed step, current evaluated at the stage times")
