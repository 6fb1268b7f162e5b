/// @file euler.cpp
/// Plug-in `euler`: the forward (explicit) Euler method, y(t + dt) = y(t) + dt f(t, y(t), I(t)).
/// State and injected current are taken at the start of the step, exactly as the course seed's loop.
/// First order: the global error is O(dt). Source: e.g. E. Hairer, S. P. Norsett and G. Wanner,
/// Solving Ordinary Differential Equations I, Springer 1993, section I.7, p.35.

#include "soma/integrator.hpp"
#include "soma/plugin.hpp"

namespace soma::integrators {
namespace {

class ForwardEuler final : public Integrator {
public:
    ForwardEuler() : Integrator({}) { init_defaults(); }

    void prepare(const Model& model, std::size_t n_cells) override {
        dydt_ = StateBatch(model.state_variables().size(), n_cells);
    }

    void step(const Model& model, double t, double dt, std::span<const double> i_inj, const StateBatch& y,
              StateBatch& y_next) override {
        model.derivatives(t, y, i_inj, dydt_);
        const auto y0 = y.data();
        const auto f = dydt_.data();
        const auto y1 = y_next.data();
        for (std::size_t k = 0; k < y0.size(); ++k) y1[k] = y0[k] + f[k] * dt;
    }

private:
    void apply(const ParameterValues& /*values*/) override {}
    StateBatch dydt_;
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::ForwardEuler, "euler", "1.0.0",
            "forward Euler, first order, state and current at the start of the step")
