/// @file hh.cpp
/// Plug-in `hh`: the Hodgkin-Huxley model of the squid giant axon, resting potential shifted to 0 mV.
///
/// Equations and parameter values: W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge
/// University Press 2002, section 2.2.1, Eq. (2.4)-(2.6) and Table 2.1, p.36 (after Hodgkin & Huxley
/// 1952, J. Physiol. 117:500-544); rate functions in hh_rates.hpp.
///
///   C_m dv/dt = I - g_Na m^3 h (v - E_Na) - g_K n^4 (v - E_K) - g_L (v - E_L)
///   dx/dt     = alpha_x(v) (1 - x) - beta_x(v) x,   x in {m, n, h}
///
/// Units: v in mV, t in ms, conductances in mS/cm^2, C_m in uF/cm^2, I in uA/cm^2.
/// State variables, in storage order: v, m, n, h. Initial state: v = V_init, gates at their steady
/// state for V_init. A spike is an upward crossing of V_spike, located inside the step by the
/// integrator; the model has no reset. Capabilities: ConditionallyLinear (the gates m, n, h obey
/// dx/dt = alpha_x(v) - (alpha_x(v) + beta_x(v)) x), for exponential Euler; Jacobian (analytic
/// d(dy/dt)/dy, for cvode):
///   d(dv/dt)/dv = -(g_Na m^3 h + g_K n^4 + g_L) / C_m,   d(dv/dt)/dm = -3 g_Na m^2 h (v - E_Na) / C_m,
///   d(dv/dt)/dn = -4 g_K n^3 (v - E_K) / C_m,            d(dv/dt)/dh = -g_Na m^3 (v - E_Na) / C_m,
///   d(dx/dt)/dv = alpha_x'(v) (1 - x) - beta_x'(v) x,    d(dx/dt)/dx = -(alpha_x(v) + beta_x(v)),
/// and 0 between different gates.

#include "hh_rates.hpp"

#include "soma/conditionally_linear.hpp"
#include "soma/jacobian.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"

#include <array>

namespace soma::hh {
namespace {

class HodgkinHuxley final : public Model, public ConditionallyLinear, public Jacobian {
public:
    HodgkinHuxley()
        : Model({
              {"C_m", "uF/cm^2", 1.0, Range::positive(), "membrane capacitance (G&K 2002, Table 2.1)"},
              {"g_Na", "mS/cm^2", 120.0, Range::at_least(0), "maximal Na conductance (G&K 2002, Table 2.1)"},
              {"g_K", "mS/cm^2", 36.0, Range::at_least(0), "maximal K conductance (G&K 2002, Table 2.1)"},
              {"g_L", "mS/cm^2", 0.3, Range::at_least(0), "leak conductance (G&K 2002, Table 2.1)"},
              {"E_Na", "mV", 115.0, Range::closed(-200, 200), "Na reversal potential, rest = 0 (G&K 2002, Table 2.1)"},
              {"E_K", "mV", -12.0, Range::closed(-200, 200), "K reversal potential, rest = 0 (G&K 2002, Table 2.1)"},
              {"E_L", "mV", 10.6, Range::closed(-200, 200), "leak reversal potential, rest = 0 (G&K 2002, Table 2.1)"},
              {"V_init", "mV", 0.0, Range::closed(-200, 200), "initial v; the gates start at their steady state for it"},
              {"V_spike", "mV", 50.0, Range::closed(-200, 200), "spike detection threshold (upward crossing)"},
          }) {
        init_defaults();
    }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }
    double threshold() const override { return V_spike_; }

    void initialize(StateBatch& y) override {
        const double v = V_init_;
        std::ranges::fill(y.var(0), v);
        std::ranges::fill(y.var(1), steady_state(alpha_m(v), beta_m(v)));
        std::ranges::fill(y.var(2), steady_state(alpha_n(v), beta_n(v)));
        std::ranges::fill(y.var(3), steady_state(alpha_h(v), beta_h(v)));
    }

    void derivatives(double /*t*/, const StateBatch& y, std::span<const double> i_inj,
                     StateBatch& dydt) const override {
        const auto v = y.var(0), m = y.var(1), n = y.var(2), h = y.var(3);
        const auto dv = dydt.var(0), dm = dydt.var(1), dn = dydt.var(2), dh = dydt.var(3);
        for (std::size_t c = 0; c < v.size(); ++c) {
            const double u = v[c];
            const double m3h = m[c] * m[c] * m[c] * h[c];
            const double n2 = n[c] * n[c];
            const double i_ion = g_Na_ * m3h * (u - E_Na_) + g_K_ * n2 * n2 * (u - E_K_) + g_L_ * (u - E_L_);
            dv[c] = (i_inj[c] - i_ion) / C_m_;
            dm[c] = alpha_m(u) * (1.0 - m[c]) - beta_m(u) * m[c];
            dn[c] = alpha_n(u) * (1.0 - n[c]) - beta_n(u) * n[c];
            dh[c] = alpha_h(u) * (1.0 - h[c]) - beta_h(u) * h[c];
        }
    }

    bool on_spike(std::size_t /*cell*/, double /*t*/, StateBatch& /*y*/) override { return false; }

    std::span<const std::size_t> linear_variables() const override { return gates_; }

    void linear_coefficients(double /*t*/, const StateBatch& y, StateBatch& a, StateBatch& b) const override {
        const auto v = y.var(0);
        const auto am = a.var(0), an = a.var(1), ah = a.var(2);
        const auto bm = b.var(0), bn = b.var(1), bh = b.var(2);
        for (std::size_t c = 0; c < v.size(); ++c) {
            const double u = v[c];
            am[c] = alpha_m(u);
            bm[c] = -(am[c] + beta_m(u));
            an[c] = alpha_n(u);
            bn[c] = -(an[c] + beta_n(u));
            ah[c] = alpha_h(u);
            bh[c] = -(ah[c] + beta_h(u));
        }
    }

    void jacobian(double /*t*/, const StateBatch& y, std::span<const double> /*i_inj*/, std::size_t cell,
                  std::span<double> out) const override {
        const double u = y.var(0)[cell], m = y.var(1)[cell], n = y.var(2)[cell], h = y.var(3)[cell];
        const double m2 = m * m, n3 = n * n * n;
        // Row-major 4x4, rows and columns in the order v, m, n, h.
        out[0] = -(g_Na_ * m2 * m * h + g_K_ * n3 * n + g_L_) / C_m_;
        out[1] = -3.0 * g_Na_ * m2 * h * (u - E_Na_) / C_m_;
        out[2] = -4.0 * g_K_ * n3 * (u - E_K_) / C_m_;
        out[3] = -g_Na_ * m2 * m * (u - E_Na_) / C_m_;
        const double am = alpha_m(u), bm = beta_m(u), an = alpha_n(u), bn = beta_n(u), ah = alpha_h(u), bh = beta_h(u);
        out[4] = d_alpha_m(u) * (1.0 - m) - d_beta_m(u) * m;
        out[5] = -(am + bm);
        out[6] = out[7] = 0.0;
        out[8] = d_alpha_n(u) * (1.0 - n) - d_beta_n(u) * n;
        out[9] = 0.0;
        out[10] = -(an + bn);
        out[11] = 0.0;
        out[12] = d_alpha_h(u) * (1.0 - h) - d_beta_h(u) * h;
        out[13] = out[14] = 0.0;
        out[15] = -(ah + bh);
    }

private:
    void apply(const ParameterValues& p) override {
        C_m_ = p["C_m"];
        g_Na_ = p["g_Na"];
        g_K_ = p["g_K"];
        g_L_ = p["g_L"];
        E_Na_ = p["E_Na"];
        E_K_ = p["E_K"];
        E_L_ = p["E_L"];
        V_init_ = p["V_init"];
        V_spike_ = p["V_spike"];
    }

    const std::array<Variable, 4> variables_{{
        {"v", "mV", "membrane potential, relative to rest"},
        {"m", "1", "Na activation gate"},
        {"n", "1", "K activation gate"},
        {"h", "1", "Na inactivation gate"},
    }};
    const Variable current_{"I", "uA/cm^2", "injected current density"};
    const std::array<std::size_t, 3> gates_{1, 2, 3};  // m, n, h
    double C_m_ = 0, g_Na_ = 0, g_K_ = 0, g_L_ = 0, E_Na_ = 0, E_K_ = 0, E_L_ = 0, V_init_ = 0, V_spike_ = 0;
};

}  // namespace
}  // namespace soma::hh

SOMA_PLUGIN(soma::PluginKind::model, soma::hh::HodgkinHuxley, "hh", "2.0.0",
            "Hodgkin-Huxley squid axon, rest at 0 mV (Gerstner & Kistler 2002, p.36)")
