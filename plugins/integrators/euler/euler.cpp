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

        void advance(const Block& block, std::size_t i, double t, double h, const ConstBatchView& y,
                     const BatchView& y_next) override {
            const std::size_t n = block.count();
            // dy/dt into y_next, then y + h dy/dt in place: no scratch array to go through the cache.
            block.rhs(i, t, y, std::span(current_).first(n), y_next);
            if (n == 1) {  // a cell alone: no vector loop to set up per variable (same arithmetic)
                const double* const y0 = y.raw();
                double* const y1 = y_next.raw();
                const std::size_t s0 = y.stride(), s1 = y_next.stride();
                for (std::size_t k = 0; k < y.n_vars(); ++k) {
                    y1[k * s1] = y0[k * s0] + y1[k * s1] * h;
                    // Keeps GCC from vectorizing this loop over the few state variables: the vector
                    // version's checks and stack realignment cost a lone cell more than they save.
                    asm("" : : "r"(k));
                }
                return;
            }
            update(h, y, y_next);
        }

    private:
        /// y + h dy/dt, dy/dt in `y_next`, for a block of cells. Out of line, so that a cell alone does not
        /// pay for the vector loop's registers.
        [[gnu::noinline]] static void update(double h, const ConstBatchView& y, const BatchView& y_next) {
            for (std::size_t k = 0; k < y.n_vars(); ++k) {
                const auto y0 = y.var(k);
                const auto y1 = y_next.var(k);
                for (std::size_t c = 0; c < y0.size(); ++c) y1[c] = y0[c] + y1[c] * h;
            }
        }

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
