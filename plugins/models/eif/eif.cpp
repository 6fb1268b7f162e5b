/// @file eif.cpp
/// Plug-in `eif`: the exponential integrate-and-fire neuron (EIF).
///
///   C dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_T) / Delta_T) + I
///   if V >= V_peak: spike, V <- V_r, held there for t_ref
///
/// Source: N. Fourcaud-Trocme, D. Hansel, C. van Vreeswijk and N. Brunel, How spike generation mechanisms
/// determine the neuronal response to fluctuating inputs, J. Neurosci. 23(37):11628-11640 (2003): their
/// EIF model, C dV/dt = -g_L (V - V_L) + psi(V) + I with psi(V) = g_L Delta_T exp((V - V_T) / Delta_T).
/// Defaults: the paper's EIF fitted to the Wang-Buzsaki model: tau_m = C / g_L = 10 ms, E_L (their V_L) =
/// -65 mV, V_T = -59.9 mV, Delta_T = 3.48 mV, reset V_r = -68 mV, refractory period 1.7 ms, and the
/// cut-off V_peak = -30 mV at which they stop integrating (they add the analytic remainder of the divergence,
/// tau_m exp(-(V_peak - V_T) / Delta_T) ~ 0.002 ms; here the spike is the crossing of V_peak itself). The paper
/// works with densities (C = 1 uF/cm^2, g_L = 0.1 mS/cm^2, those of the Wang-Buzsaki model); Soma's currents
/// are in pA, so the defaults are those of a membrane patch of 1e-4 cm^2 (10^4 um^2): C = 100 pF, g_L = 10 nS.
/// Only I / area matters: I pA here is I * 1e-2 uA/cm^2 there. (BrainPy's ExpIF has the same potentials,
/// Delta_T, tau_m and refractory period as its defaults.)
///
/// Rheobase: for constant I the fixed points vanish when I exceeds I_rh = g_L (V_T - E_L - Delta_T)
/// (the minimum of g_L (V - E_L) - g_L Delta_T exp((V - V_T) / Delta_T), at V = V_T); with the defaults
/// I_rh = 10 nS * 1.62 mV = 16.2 pA. Above it the period is
///   T = t_ref + integral from V_r to V_peak of C dV / (I - g_L (V - E_L) + g_L Delta_T exp((V - V_T) / Delta_T)).
///
/// Units: V in mV, t in ms, C in pF, g_L in nS, I in pA (pA / pF = mV/ms). State variable: v (the V of the
/// equation). Initial state: V = V_init (default E_L). A spike is an upward crossing of V_peak, located by
/// the integrator; at the crossing time V <- V_r, and dV/dt = 0 for t_ref (the end resolved to 1e-9 ms, as
/// in `lif`).
///
/// Numerics: as in `adex` (see there), the right-hand side evaluates V clamped at V_clamp = V_peak + 5 Delta_T,
/// so that an explicit stage overshooting the cut-off sees a finite derivative while the kink of the clamp
/// stays beyond V_peak, out of the way of an adaptive integrator's error control; `check` keeps the largest
/// exponent (V_clamp - V_T) / Delta_T below ln(DBL_MAX / 1e20) ~ 663.7, so that exp() cannot overflow.
/// Capability: Jacobian (for cvode): d(dV/dt)/dV = g_L (exp((V - V_T) / Delta_T) - 1) / C, 0 above V_clamp
/// and while refractory.

#include "../exponential_upswing.hpp"

#include "soma/error.hpp"
#include "soma/jacobian.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace soma::eif {
namespace {

class ExponentialIntegrateAndFire final : public Model, public Jacobian {
public:
    ExponentialIntegrateAndFire()
        : Model({
              {"C", "pF", 100.0, Range::positive(), "membrane capacitance: 1 uF/cm^2 on 1e-4 cm^2 (FTHvVB 2003)"},
              {"g_L", "nS", 10.0, Range::positive(), "leak conductance: tau_m = C / g_L = 10 ms (FTHvVB 2003)"},
              {"E_L", "mV", -65.0, Range::closed(-200, 200), "leak reversal (resting) potential (FTHvVB 2003)"},
              {"V_T", "mV", -59.9, Range::closed(-200, 200),
               "threshold of the upswing, Wang-Buzsaki fit (FTHvVB 2003)"},
              {"Delta_T", "mV", 3.48, Range::positive(), "slope factor, Wang-Buzsaki fit (FTHvVB 2003)"},
              {"V_r", "mV", -68.0, Range::closed(-200, 200), "reset potential (FTHvVB 2003)"},
              {"V_peak", "mV", -30.0, Range::closed(-200, 200),
               "spike cut-off: a spike when V reaches it (FTHvVB 2003)"},
              {"t_ref", "ms", 1.7, Range::at_least(0), "refractory period, V held at V_r (FTHvVB 2003)"},
              {"V_init", "mV", -65.0, Range::closed(-200, 200), "initial membrane potential (E_L: at rest)"},
          }) {
        init_defaults();
    }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }
    double threshold() const override { return V_peak_; }

    void initialize(StateBatch& y) override {
        std::ranges::fill(y.var(0), V_init_);
        refractory_end_.assign(y.n_cells(), -std::numeric_limits<double>::infinity());
    }

    void derivatives(double t, const StateBatch& y, std::span<const double> i_inj,
                     StateBatch& dydt) const override {
        const auto V = y.var(0);
        const auto dV = dydt.var(0);
        for (std::size_t c = 0; c < V.size(); ++c) {
            if (t < refractory_end_[c] - 1e-9) {
                dV[c] = 0.0;
                continue;
            }
            const double v = std::min(V[c], V_clamp_);  // see "Numerics" above
            dV[c] = (-g_L_ * (v - E_L_) + g_L_ * Delta_T_ * std::exp((v - V_T_) / Delta_T_) + i_inj[c]) / C_;
        }
    }

    bool on_spike(std::size_t cell, double t, StateBatch& y) override {
        y.var(0)[cell] = V_r_;
        refractory_end_[cell] = t + t_ref_;
        return true;
    }

    void jacobian(double t, const StateBatch& y, std::span<const double> /*i_inj*/, std::size_t cell,
                  std::span<double> out) const override {
        const double V = y.var(0)[cell];
        out[0] = t < refractory_end_[cell] - 1e-9 || V > V_clamp_
                     ? 0.0
                     : g_L_ * (std::exp((V - V_T_) / Delta_T_) - 1.0) / C_;
    }

private:
    void check(const ParameterValues& p) const override {
        models::check_upswing(p);
    }

    void apply(const ParameterValues& p) override {
        C_ = p["C"];
        g_L_ = p["g_L"];
        E_L_ = p["E_L"];
        V_T_ = p["V_T"];
        Delta_T_ = p["Delta_T"];
        V_r_ = p["V_r"];
        V_peak_ = p["V_peak"];
        V_clamp_ = models::clamp_potential(V_peak_, Delta_T_);
        t_ref_ = p["t_ref"];
        V_init_ = p["V_init"];
    }

    const std::array<Variable, 1> variables_{{{"v", "mV", "membrane potential V"}}};
    const Variable current_{"I", "pA", "injected current"};
    double C_ = 0, g_L_ = 0, E_L_ = 0, V_T_ = 0, Delta_T_ = 0, V_r_ = 0, V_peak_ = 0, V_clamp_ = 0, t_ref_ = 0,
           V_init_ = 0;
    std::vector<double> refractory_end_;
};

}  // namespace
}  // namespace soma::eif

SOMA_PLUGIN(soma::PluginKind::model, soma::eif::ExponentialIntegrateAndFire, "eif", "1.0.0",
            "exponential integrate-and-fire, Wang-Buzsaki fit (Fourcaud-Trocme, Hansel, van Vreeswijk & Brunel "
            "2003, J. Neurosci. 23:11628)")
