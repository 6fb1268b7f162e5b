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

private:
    void prepare_scheme(const Model& model, std::size_t n_cells) override {
        dydt_ = StateBatch(model.state_variables().size(), n_cells);
        current_.assign(n_cells, 0.0);
    }

    void advance(const Model& model, const Stimulus& stimulus, std::size_t i, double t, double h, const StateBatch& y,
                 StateBatch& y_next) override {
        stimulus.current(i, t, current_);
        model.derivatives(t, y, current_, dydt_);
        const auto y0 = y.data();
        const auto f = dydt_.data();
        const auto y1 = y_next.data();
        for (std::size_t k = 0; k < y0.size(); ++k) y1[k] = y0[k] + f[k] * h;
    }

    StateBatch dydt_;
    std::vector<double> current_;
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::ForwardEuler, "euler", "2.0.0",
            "forward Euler, first order, state and current at the start of the step")
