/// @file euler.cpp
/// Plug-in `euler`: the forward (explicit) Euler method, y(t + h) = y(t) + h f(t, y(t), I(t)).
/// State and injected current are taken at the start of the step, exactly as the course seed's loop.
/// First order: the global error is O(dt). Spikes are located on the straight line between the
/// step's end points (see fixed_step.hpp). Source: E. Hairer, S. P. Norsett and G. Wanner, Solving
/// Ordinary Differential Equations I, 2nd ed., Springer 1993, section I.7, p.35.

#include "soma/fixed_step.hpp"
#include "soma/plugin.hpp"

namespace soma::integrators {
namespace {

class ForwardEuler final : public FixedStepIntegrator {
public:
    ForwardEuler() : FixedStepIntegrator(Interpolant::linear) { init_defaults(); }

    /// White noise held over each step: the Euler-Maruyama scheme.
    [[nodiscard]] bool takes_white_noise() const override { return true; }

private:
    class Scheme final : public FixedStepIntegrator::Scheme {
    public:
        explicit Scheme(const Block& block) : current_(block.count()) {}

        void advance(const Block& block, std::size_t i, double t, double h, ConstBatchView y,
                     BatchView y_next) override {
            const std::size_t n = block.count();
            // dy/dt into y_next, then y + h dy/dt in place: no scratch array to go through the cache.
            block.rhs(i, t, y, std::span(current_).first(n), y_next);
            for (std::size_t k = 0; k < y.n_vars(); ++k) {
                const auto y0 = y.var(k);
                const auto y1 = y_next.var(k);
                for (std::size_t c = 0; c < n; ++c) y1[c] = y0[c] + y1[c] * h;
            }
        }

    private:
        std::vector<double> current_;
    };

    std::unique_ptr<FixedStepIntegrator::Scheme> make_scheme(const Block& block) const override {
        return std::make_unique<Scheme>(block);
    }
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::ForwardEuler, "euler", "3.0.0",
            "forward Euler, first order, state and current at the start of the step")
