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
/// in `lif`). Every parameter may differ between cells (V_clamp below is each cell's own); the end of each
/// cell's refractory period is event state that the engine stores.
///
/// Numerics: as in `adex` (see there), the right-hand side evaluates V clamped at V_clamp = V_peak + 5 Delta_T,
/// so that an explicit stage overshooting the cut-off sees a finite derivative while the kink of the clamp
/// stays beyond V_peak, out of the way of an adaptive integrator's error control; `check` keeps the largest
/// exponent (V_clamp - V_T) / Delta_T below ln(DBL_MAX / 1e20) ~ 663.7 for every cell's values, so that exp()
/// cannot overflow.
/// Capability: Jacobian (for cvode): d(dV/dt)/dV = g_L (exp((V - V_T) / Delta_T) - 1) / C, 0 above V_clamp
/// and while refractory.
/// The right-hand side runs in blocks of cells with vector exp (vector_math.hpp; libmvec, 4 ulp at most);
/// the per-cell Jacobian uses the scalar exp.

#include "soma/vector_math.hpp"  // before <cmath>: vector exp for the kernels

#include "../exponential_upswing.hpp"

#include "soma/jacobian.hpp"
#include "soma/suggested_drive.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"
#include "soma/refractory.hpp"
#include "soma/threshold_meaning.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace soma::eif {
namespace {

/// Parameters, in schema order (the rows of ModelCells::parameters).
enum Parameter : std::size_t { C, g_L, E_L, V_T, Delta_T, V_r, V_peak, t_ref, V_init };
/// Event state: the end of the current refractory period (ms; -inf before the first spike).
enum Event : std::size_t { refractory_end };

/// Slack of the refractory comparison, absorbing the rounding of t = i dt (ms).
constexpr double slack = refractory_slack;  // refractory.hpp

/// dV/dt of `count` cells (a multiple of simd_block) at time t (ms) (vector_math.hpp). in: V, I, C, g_L, E_L, V_T, Delta_T, V_peak,
/// refractory_end; out: dV.
struct RhsBlock {
    double t;
    [[gnu::noipa]] void operator()(const std::array<const double*, 9>& in, const std::array<double*, 1>& out,
                                   std::size_t count) const {
        const double* __restrict V = in[0];
        const double* __restrict i_inj = in[1];
        const double* __restrict cap = in[2];
        const double* __restrict gl = in[3];
        const double* __restrict el = in[4];
        const double* __restrict vt = in[5];
        const double* __restrict delta = in[6];
        const double* __restrict peak = in[7];
        const double* __restrict end = in[8];
        double* __restrict dV = out[0];
        for (std::size_t first = 0; first < count; first += simd_block) {
#pragma omp simd simdlen(8)
            for (std::size_t c = first; c < first + simd_block; ++c) {
                // V clamped (see "Numerics" above): min(V, V_clamp), by value (std::min's references do not vectorize).
                const double clamp = models::clamp_potential(peak[c], delta[c]);
                const double v = clamp < V[c] ? clamp : V[c];
                const double spike = gl[c] * delta[c] * std::exp((v - vt[c]) / delta[c]);
                dV[c] = t < end[c] - slack ? 0.0 : (-gl[c] * (v - el[c]) + spike + i_inj[c]) / cap[c];
            }
        }
    }
};

class ExponentialIntegrateAndFire final : public Model, public Jacobian, public SuggestedDrive, public ThresholdMeaningOf {
public:
    std::optional<Drive> suggested_step(std::string_view preset) const override {
        if (!preset.empty()) return std::nullopt;
        return Drive{100.0, "about 4 times the rheobase of a 50 ms step for the default cell (26 pA): three spikes"};
    }
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

    ThresholdMeaning threshold_meaning() const override { return {ThresholdKind::cut_off, "V_peak"}; }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }
    std::span<const Variable> event_variables() const override { return events_; }

    void thresholds(ConstBatchView p, std::span<double> out) const override {
        std::ranges::copy(p.var(V_peak), out.begin());
    }

    void initialize(const ModelCells& cells, BatchView y) const override {
        std::ranges::copy(cells.parameters.var(V_init), y.var(0).begin());
        std::ranges::fill(cells.events.var(refractory_end), -std::numeric_limits<double>::infinity());
    }

    void derivatives(double t, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                     const BatchView& dydt) const override {
        const auto& p = cells.parameters;
        for_blocks<9, 1>(y.count(),
                         {y.var(0).data(), i_inj.data(), p.var(C).data(), p.var(g_L).data(), p.var(E_L).data(),
                          p.var(V_T).data(), p.var(Delta_T).data(), p.var(V_peak).data(),
                          cells.events.var(refractory_end).data()},
                         {dydt.var(0).data()}, RhsBlock{t});
    }

    bool on_spike(double t, const ModelCells& cell, BatchView y) const override {
        y.at(0, 0) = cell.parameters.at(V_r, 0);
        cell.events.at(refractory_end, 0) = t + cell.parameters.at(t_ref, 0);
        return true;
    }

    void jacobian(double t, const ModelCells& cell, const ConstBatchView& y, std::span<const double> /*i_inj*/,
                  std::span<double> out) const override {
        const auto& p = cell.parameters;
        const double V = y.at(0, 0), delta = p.at(Delta_T, 0);
        out[0] = t < cell.events.at(refractory_end, 0) - slack || V > models::clamp_potential(p.at(V_peak, 0), delta)
                     ? 0.0
                     : p.at(g_L, 0) * (std::exp((V - p.at(V_T, 0)) / delta) - 1.0) / p.at(C, 0);
    }

private:
    void check(const ParameterValues& p) const override { models::check_upswing(p); }

    const std::array<Variable, 1> variables_{{{"v", "mV", "membrane potential V"}}};
    const std::array<Variable, 1> events_{{{"refractory_end", "ms", "end of the current refractory period"}}};
    const Variable current_{"I", "pA", "injected current"};
};

}  // namespace
}  // namespace soma::eif

SOMA_PLUGIN(soma::PluginKind::model, soma::eif::ExponentialIntegrateAndFire, "eif", "2.0.0",
            "exponential integrate-and-fire, Wang-Buzsaki fit (Fourcaud-Trocme, Hansel, van Vreeswijk & Brunel "
            "2003, J. Neurosci. 23:11628)")
