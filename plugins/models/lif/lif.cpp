/// @file lif.cpp
/// Plug-in `lif`: the leaky integrate-and-fire neuron.
///
///   tau_m dv/dt = -(v - V_rest) + R I;   if v >= V_th: spike, v <- V_reset, clamp for t_ref
///
/// Source: W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge University Press 2002,
/// section 4.1.1, Eq. (4.3)-(4.5), p.94 (Lapicque 1907). Defaults are the course seed's
/// dimensionless values (tau_m = 1, V_th = 1, V_reset = V_rest = 0, R = 1, no refractory period),
/// read in ms, mV, MOhm and nA (MOhm * nA = mV).
///
/// State variables: v. A spike is an upward crossing of V_th, located by the integrator; at the
/// spike time v is set to V_reset and held there (dv/dt = 0) for the refractory period t_ref (a time
/// comparison with 1e-9 ms of slack absorbs the rounding of t = i dt). The end of the refractory
/// period is not located by fixed-step integrators: the step across it is first order, so with
/// t_ref > 0 the ISI error of rk4 is O(dt) (e.g. 5e-4 relative at dt = 0.01 ms); dopri5 and cvode
/// control it through their error estimates. With an integrator's
/// `locate_spikes = 0` the spike and reset happen at the end of the step instead, as in the seed.
/// Capability: Jacobian (for cvode): d(dv/dt)/dv = -1/tau_m, or 0 while refractory.

#include "soma/error.hpp"
#include "soma/jacobian.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"

#include <fmt/format.h>

#include <array>
#include <limits>

namespace soma::lif {
namespace {

class LeakyIntegrateAndFire final : public Model, public Jacobian {
public:
    LeakyIntegrateAndFire()
        : Model({
              {"tau_m", "ms", 1.0, Range::positive(), "membrane time constant"},
              {"R", "MOhm", 1.0, Range::positive(), "membrane resistance"},
              {"V_rest", "mV", 0.0, Range::closed(-200, 200), "resting potential"},
              {"V_th", "mV", 1.0, Range::closed(-200, 200), "firing threshold"},
              {"V_reset", "mV", 0.0, Range::closed(-200, 200), "reset potential after a spike; must be below V_th"},
              {"V_init", "mV", 0.0, Range::closed(-200, 200), "initial membrane potential"},
              {"t_ref", "ms", 0.0, Range::at_least(0), "absolute refractory period (v held at V_reset)"},
          }) {
        init_defaults();
    }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }
    double threshold() const override { return V_th_; }

    void initialize(StateBatch& y) override {
        std::ranges::fill(y.var(0), V_init_);
        refractory_end_.assign(y.n_cells(), -std::numeric_limits<double>::infinity());
    }

    void derivatives(double t, const StateBatch& y, std::span<const double> i_inj,
                     StateBatch& dydt) const override {
        const auto v = y.var(0);
        const auto dv = dydt.var(0);
        for (std::size_t c = 0; c < v.size(); ++c) {
            dv[c] = t < refractory_end_[c] - 1e-9 ? 0.0 : (-(v[c] - V_rest_) + R_ * i_inj[c]) / tau_m_;
        }
    }

    bool on_spike(std::size_t cell, double t, StateBatch& y) override {
        y.var(0)[cell] = V_reset_;
        refractory_end_[cell] = t + t_ref_;
        return true;
    }

    void jacobian(double t, const StateBatch& /*y*/, std::span<const double> /*i_inj*/, std::size_t cell,
                  std::span<double> out) const override {
        out[0] = t < refractory_end_[cell] - 1e-9 ? 0.0 : -1.0 / tau_m_;
    }

private:
    void check(const ParameterValues& p) const override {
        if (p["V_reset"] >= p["V_th"]) {
            throw ParameterError(fmt::format("parameter 'V_reset' = {} mV must be below 'V_th' = {} mV", p["V_reset"],
                                             p["V_th"]));
        }
    }

    void apply(const ParameterValues& p) override {
        tau_m_ = p["tau_m"];
        R_ = p["R"];
        V_rest_ = p["V_rest"];
        V_th_ = p["V_th"];
        V_reset_ = p["V_reset"];
        V_init_ = p["V_init"];
        t_ref_ = p["t_ref"];
    }

    const std::array<Variable, 1> variables_{{{"v", "mV", "membrane potential"}}};
    const Variable current_{"I", "nA", "injected current"};
    double tau_m_ = 0, R_ = 0, V_rest_ = 0, V_th_ = 0, V_reset_ = 0, V_init_ = 0, t_ref_ = 0;
    std::vector<double> refractory_end_;
};

}  // namespace
}  // namespace soma::lif

SOMA_PLUGIN(soma::PluginKind::model, soma::lif::LeakyIntegrateAndFire, "lif", "2.0.0",
            "leaky integrate-and-fire with threshold, reset and refractory period (Gerstner & Kistler 2002, p.94)")
