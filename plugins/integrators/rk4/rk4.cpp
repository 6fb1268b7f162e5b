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
    void prepare_scheme(const Model& model, std::size_t n_cells) override {
        const std::size_t n_vars = model.state_variables().size();
        for (auto& k : k_) k = StateBatch(n_vars, n_cells);
        stage_ = StateBatch(n_vars, n_cells);
        current_.assign(n_cells, 0.0);
    }

    void advance(const Model& model, const Stimulus& stimulus, std::size_t i, double t, double h, const StateBatch& y,
                 StateBatch& y_next) override {
        const auto y0 = y.data();
        const auto stage = stage_.data();
        const auto derivative = [&](double ts, const StateBatch& ys, StateBatch& k) {
            stimulus.current(i, ts, current_);
            model.derivatives(ts, ys, current_, k);
        };
        const auto set_stage = [&](double factor, const StateBatch& k) {
            const auto dk = k.data();
            for (std::size_t j = 0; j < y0.size(); ++j) stage[j] = y0[j] + factor * dk[j];
        };
        derivative(t, y, k_[0]);
        set_stage(0.5 * h, k_[0]);
        derivative(t + 0.5 * h, stage_, k_[1]);
        set_stage(0.5 * h, k_[1]);
        derivative(t + 0.5 * h, stage_, k_[2]);
        set_stage(h, k_[2]);
        derivative(t + h, stage_, k_[3]);
        const auto k1 = k_[0].data(), k2 = k_[1].data(), k3 = k_[2].data(), k4 = k_[3].data();
        const auto y1 = y_next.data();
        for (std::size_t j = 0; j < y0.size(); ++j) y1[j] = y0[j] + h / 6.0 * (k1[j] + 2.0 * (k2[j] + k3[j]) + k4[j]);
    }

    std::array<StateBatch, 4> k_;
    StateBatch stage_;
    std::vector<double> current_;
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::RungeKutta4, "rk4", "1.0.0",
            "classic fourth-order Runge-Kutta, fixed step, current evaluated at the stage times")
