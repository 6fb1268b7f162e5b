/// @file adex.cpp
/// Plug-in `adex`: the adaptive exponential integrate-and-fire neuron (AdEx).
///
///   C dV/dt     = -g_L (V - E_L) + g_L Delta_T exp((V - V_T) / Delta_T) - w + I
///   tau_w dw/dt = a (V - E_L) - w
///   if V >= V_peak: spike, V <- V_r, w <- w + b (and V is held at V_r for t_ref; w evolves, or with
///   hold_w = 1 is held too)
///
/// Source of the equations: R. Brette and W. Gerstner, Adaptive exponential integrate-and-fire model as
/// an effective description of neuronal activity, J. Neurophysiol. 94:3637-3642 (2005): the membrane and
/// adaptation equations and the reset above. Defaults: that paper's regular-spiking cell (C = 281 pF, g_L = 30 nS,
/// E_L = -70.6 mV, V_T = -50.4 mV, Delta_T = 2 mV, tau_w = 144 ms, a = 4 nS, b = 0.0805 nA, V_r = E_L;
/// the same values are the defaults of NEST's `aeif_*` models and of Brian2's example
/// `frompapers/Brette_Gerstner_2005.py`). V_peak, the numerical cut-off of the upswing, is 0 mV as in
/// NEST's `aeif_*` models and in the Brian2 and ANNarchy reproductions of Naud et al. 2008 (the spike
/// times hardly depend on it once V_peak is a few Delta_T above V_T: the upswing diverges in finite time).
/// The refractory period t_ref is NEST's extension (default 0, as in the papers); NEST's aeif models let w
/// evolve during it. `hold_w` = 1 holds w as well, as the forward-Euler AdEx of the 2007 single-neuron
/// modeling competition's organizers does (Jolivet et al., Biol. Cybern. 99:417, 2008; their code skips the
/// whole update while refractory: with their parameters and forward Euler at 0.2 ms, hold_w = 1 gives 1622
/// spikes on challenge A's set 00 against their 1627, while letting w evolve gives 1836; docs/fitting.md).
///
/// Presets: the firing patterns of R. Naud, N. Marcille, C. Clopath and W. Gerstner, Firing patterns in
/// the adaptive exponential integrate-and-fire model, Biol. Cybern. 99:335-347 (2008), Table 1 (parameters
/// of Fig. 4): each preset sets C, g_L, E_L, V_T, Delta_T, a, tau_w, b and V_r; the step current of the
/// table (a stimulus parameter, not a model one) is named in the preset's description. The paper itself was
/// not at hand; the rows below are those of two independent transcriptions of Table 1 (ANNarchy's notebook
/// `AdEx.ipynb`, and the EPFL LCN course script of "Biological modeling of neural networks", 2015) and of the
/// Brian2 example `frompapers/Naud_et_al_2008_adex_firing_patterns.py` (Schmitt & Billaudelle 2022, with
/// parameters "adapted by P. Mueller to match the figures"), in pF, nS, mV, mV, mV, nS, ms, pA, mV, pA:
///
///   pattern (Fig. 4)               C    g_L  E_L  V_T  D_T  a    tau_w  b    V_r  I
///   tonic spiking (a)             200   10  -70  -50   2    2    30     0   -58  500   (all three agree)
///   adaptation (b)                200   12  -70  -50   2    2   300    60   -58  500   (all three agree)
///   initial burst (c)             130   18  -58  -50   2    4   150   120   -50  400   (all three agree)
///   regular bursting (d)          200   10  -58  -50   2    2   120   100   -46  210   (all three agree)
///   delayed accelerating (e)      200   12  -70  -50   2  -10   300     0   -58  300   (all three agree)
///   delayed regular bursting (f)  200   12  -70  -50   2   -6   300     0   -58  110   (both transcriptions)
///                                 100   10  -65  -50   2  -10    90    30   -47  110   (Brian2)
///   transient spiking (g)         100   10  -65  -50   2  -10    90    30   -47  350   (ANNarchy; LCN: V_r -50)
///                                 100   10  -65  -50   2   10    90   100   -47  180   (Brian2)
///   irregular spiking (h)         100   12  -60  -50   2  -11   130    30   -48  160   (all three agree)
///
/// The transcribed rows (f) and (g) do not give their patterns: simulated here (dopri5, rtol 1e-8, from rest,
/// 500 ms step), row (f) does not fire at all at 110 pA, and row (g) fires tonically at 350 pA (87 spikes,
/// steady ISI 6.2 ms; 68 spikes with V_r = -50). The LCN script marks both as "not working". (The transcribed
/// row (g) is Brian2's row (f) but for the current.) Brian2's rows, corrected to match Fig. 4f and 4g, do
/// give the patterns, and the presets `delayed_regular_bursting` and `transient_spiking` use them; every other
/// preset is the row on which all three sources agree.
///
/// Units: V in mV, w in pA, t in ms, C in pF, conductances in nS, currents in pA (pA / pF = mV/ms,
/// nS * mV = pA). State variables, in storage order: v (the V of the equations), w. Initial state: V = E_L,
/// w = 0 (the cell at rest before the step, as in the reproductions of Naud et al. 2008).
///
/// Numerics: the exponential makes V diverge in finite time; the model is meant for V <= V_peak. As in
/// NEST's `aeif_*` models, the right-hand side evaluates V clamped, as min(V, V_clamp), but with the clamp
/// V_clamp = V_peak + 5 Delta_T a little above the cut-off rather than at it: an explicit stage that overshoots
/// (the stages of rk4's step through the upswing land far beyond V_peak) sees the finite derivatives at
/// V_clamp, which carry it on across V_peak, so the crossing is still found and w is not corrupted; yet the
/// kink of the clamped right-hand side lies beyond V_peak, where an adaptive integrator's accepted steps never
/// start (with the clamp exactly at V_peak, dopri5's step size underflowed in the initial_burst pattern at
/// atol = 1e-10: steps straddling the kink kept failing its error test). The exponent thus never exceeds
/// (V_peak - V_T) / Delta_T + 5, which `check` keeps below ln(DBL_MAX / 1e20) ~ 663.7 (NEST's bound) for every
/// cell's values, so exp() cannot overflow. Adaptive integrators resolve the upswing up to V_peak, with steps that shrink like the time
/// left before the divergence, tau_m exp(-(V_peak - V_T) / Delta_T) (~1e-10 ms at the defaults' 25 Delta_T): a
/// V_peak much further above V_T brings them down to the rounding of t in long runs.
/// A spike is an upward crossing of V_peak, located by the integrator; at the crossing time V <- V_r,
/// w <- w + b, and dV/dt = 0 (and dw/dt = 0 with hold_w = 1) until t_ref later (the end resolved to 1e-9
/// ms, as in `lif`).
/// Every parameter may differ between cells (V_clamp is each cell's own); the end of each cell's
/// refractory period is event state that the engine stores.
/// Capability: ConditionallyLinear (for exp_euler): w, with dw/dt = a (V - E_L) / tau_w - w / tau_w.
/// Capability: Jacobian (for cvode), with E = exp((V - V_T) / Delta_T):
///   d(dV/dt)/dV = g_L (E - 1) / C,   d(dV/dt)/dw = -1 / C,   d(dw/dt)/dV = a / tau_w,   d(dw/dt)/dw = -1 / tau_w,
/// with the V-derivatives 0 above V_clamp and d(dV/dt)/d(V, w) = 0 while refractory (and the w row 0 with
/// hold_w = 1).
/// The right-hand side runs in blocks of cells with vector exp (vector_math.hpp; libmvec, 4 ulp at most),
/// with the operations and the order of the `equations` plug-in, so that examples/models/adex.eq gives
/// the same results bit for bit; the per-cell Jacobian uses the scalar exp.

#include "soma/vector_math.hpp"  // before <cmath>: vector exp for the kernels

#include "../exponential_upswing.hpp"

#include "soma/conditionally_linear.hpp"
#include "soma/jacobian.hpp"
#include "soma/suggested_drive.hpp"

#include <utility>
#include "soma/model.hpp"
#include "soma/plugin.hpp"
#include "soma/refractory.hpp"
#include "soma/threshold_meaning.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace soma::adex {
namespace {

/// One row of Naud et al. 2008, Table 1 (see the file comment for the two corrected rows).
Preset naud(const char* name, const char* what, double C, double g_L, double E_L, double a, double tau_w, double b,
            double V_r) {
    return {name, what,
            {{"C", C}, {"g_L", g_L}, {"E_L", E_L}, {"V_T", -50.0}, {"Delta_T", 2.0}, {"a", a}, {"tau_w", tau_w},
             {"b", b}, {"V_r", V_r}}};
}

std::vector<Preset> naud_2008_presets() {
    return {
        naud("tonic_spiking", "tonic spiking, with a 500 pA step (Naud et al. 2008, Table 1, Fig. 4a)",
             200, 10, -70, 2, 30, 0, -58),
        naud("adaptation", "spike-frequency adaptation, with a 500 pA step (Naud et al. 2008, Table 1, Fig. 4b)",
             200, 12, -70, 2, 300, 60, -58),
        naud("initial_burst", "initial burst, then tonic spikes, with a 400 pA step (Naud et al. 2008, Table 1, "
             "Fig. 4c)", 130, 18, -58, 4, 150, 120, -50),
        naud("regular_bursting", "regular bursting, with a 210 pA step (Naud et al. 2008, Table 1, Fig. 4d)",
             200, 10, -58, 2, 120, 100, -46),
        naud("delayed_accelerating", "delayed, accelerating spiking, with a 300 pA step (Naud et al. 2008, "
             "Table 1, Fig. 4e)", 200, 12, -70, -10, 300, 0, -58),
        naud("delayed_regular_bursting", "delayed regular bursting, with a 110 pA step (Naud et al. 2008, Fig. 4f; "
             "Table 1 as corrected in Brian2's example, see adex.cpp)", 100, 10, -65, -10, 90, 30, -47),
        naud("transient_spiking", "transient spiking, with a 180 pA step (Naud et al. 2008, Fig. 4g; Table 1 as "
             "corrected in Brian2's example, see adex.cpp)", 100, 10, -65, 10, 90, 100, -47),
        naud("irregular_spiking", "irregular spiking, with a 160 pA step (Naud et al. 2008, Table 1, Fig. 4h)",
             100, 12, -60, -11, 130, 30, -48),
    };
}

/// Parameters, in schema order (the rows of ModelCells::parameters).
enum Parameter : std::size_t { C, g_L, E_L, V_T, Delta_T, a, tau_w, b, V_r, V_peak, t_ref, hold_w };
/// Event state: the end of the current refractory period (ms; -inf before the first spike).
enum Event : std::size_t { refractory_end };

/// Slack of the refractory comparison, absorbing the rounding of t = i dt (ms).
constexpr double slack = refractory_slack;  // refractory.hpp

/// dV/dt and dw/dt of `count` cells (a multiple of simd_block) at time t (ms) (vector_math.hpp). in: V, w, I, C, g_L, E_L, V_T,
/// Delta_T, a, tau_w, V_peak, refractory_end, hold_w; out: dV, dw.
struct RhsBlock {
    double t;
    [[gnu::noipa]] void operator()(const std::array<const double*, 13>& in, const std::array<double*, 2>& out,
                                   std::size_t count) const {
        const double* __restrict V = in[0];
        const double* __restrict w = in[1];
        const double* __restrict i_inj = in[2];
        const double* __restrict cap = in[3];
        const double* __restrict gl = in[4];
        const double* __restrict el = in[5];
        const double* __restrict vt = in[6];
        const double* __restrict delta = in[7];
        const double* __restrict adapt = in[8];
        const double* __restrict tau = in[9];
        const double* __restrict peak = in[10];
        const double* __restrict end = in[11];
        const double* __restrict hold = in[12];
        double* __restrict dV = out[0];
        double* __restrict dw = out[1];
        for (std::size_t first = 0; first < count; first += simd_block) {
#pragma omp simd simdlen(8)
            for (std::size_t c = first; c < first + simd_block; ++c) {
                // V clamped (see "Numerics" above): min(V, V_clamp), by value (std::min's references do not vectorize).
                const double clamp = models::clamp_potential(peak[c], delta[c]);
                const double v = clamp < V[c] ? clamp : V[c];
                const bool refractory = t < end[c] - slack;
                const double w_rate = (adapt[c] * (v - el[c]) - w[c]) / tau[c];
                dw[c] = refractory && hold[c] != 0.0 ? 0.0 : w_rate;
                const double spike = gl[c] * delta[c] * std::exp((v - vt[c]) / delta[c]);
                dV[c] = refractory ? 0.0 : (-gl[c] * (v - el[c]) + spike - w[c] + i_inj[c]) / cap[c];
            }
        }
    }
};

class AdaptiveExponential final : public Model, public ConditionallyLinear, public Jacobian, public SuggestedDrive,
                                  public ThresholdMeaningOf {
public:
    std::optional<Drive> suggested_step(std::string_view preset) const override {
        // The steps of Naud et al. 2008, Fig. 4, as the presets' descriptions give them.
        static constexpr std::pair<std::string_view, double> figure_4[] = {
            {"tonic_spiking", 500},       {"adaptation", 500},         {"initial_burst", 400},
            {"regular_bursting", 210},    {"delayed_accelerating", 300}, {"delayed_regular_bursting", 110},
            {"transient_spiking", 180},   {"irregular_spiking", 160}};
        if (preset.empty()) {
            return Drive{1000.0, "about 1.7 times the rheobase of a 50 ms step for the default cell (598 pA): "
                                 "three spikes"};
        }
        for (const auto& [name, amplitude] : figure_4) {
            if (name == preset) return Drive{amplitude, "the step of this pattern in Naud et al. 2008, Fig. 4"};
        }
        return std::nullopt;
    }
    AdaptiveExponential()
        : Model(
              {
                  {"C", "pF", 281.0, Range::positive(), "membrane capacitance (Brette & Gerstner 2005)"},
                  {"g_L", "nS", 30.0, Range::positive(), "leak conductance (Brette & Gerstner 2005)"},
                  {"E_L", "mV", -70.6, Range::closed(-200, 200),
                   "leak reversal (resting) potential (Brette & Gerstner 2005)"},
                  {"V_T", "mV", -50.4, Range::closed(-200, 200),
                   "threshold of the exponential upswing (Brette & Gerstner 2005)"},
                  {"Delta_T", "mV", 2.0, Range::positive(), "slope factor of the upswing (Brette & Gerstner 2005)"},
                  {"a", "nS", 4.0, Range::any(), "subthreshold adaptation (Brette & Gerstner 2005)"},
                  {"tau_w", "ms", 144.0, Range::positive(), "adaptation time constant (Brette & Gerstner 2005)"},
                  {"b", "pA", 80.5, Range::any(), "spike-triggered adaptation increment of w (Brette & Gerstner 2005)"},
                  {"V_r", "mV", -70.6, Range::closed(-200, 200), "reset potential, = E_L (Brette & Gerstner 2005)"},
                  {"V_peak", "mV", 0.0, Range::closed(-200, 200),
                   "spike cut-off: a spike when V reaches it (NEST's aeif default)"},
                  {"t_ref", "ms", 0.0, Range::at_least(0),
                   "refractory period, V held at V_r (NEST's extension; 0 in the papers)"},
                  {"hold_w", "1", 0.0, Range::closed(0, 1),
                   "1: w is held during the refractory period too (the 2007 competition organizers' AdEx); 0: w "
                   "evolves (NEST's aeif)"},
              },
              naud_2008_presets()) {
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
        std::ranges::copy(cells.parameters.var(E_L), y.var(0).begin());
        std::ranges::fill(y.var(1), 0.0);
        std::ranges::fill(cells.events.var(refractory_end), -std::numeric_limits<double>::infinity());
    }

    void derivatives(double t, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                     const BatchView& dydt) const override {
        const auto& p = cells.parameters;
        for_blocks<13, 2>(y.count(),
                          {y.var(0).data(), y.var(1).data(), i_inj.data(), p.var(C).data(), p.var(g_L).data(),
                           p.var(E_L).data(), p.var(V_T).data(), p.var(Delta_T).data(), p.var(a).data(),
                           p.var(tau_w).data(), p.var(V_peak).data(), cells.events.var(refractory_end).data(),
                           p.var(hold_w).data()},
                          {dydt.var(0).data(), dydt.var(1).data()}, RhsBlock{t});
    }

    bool on_spike(double t, const ModelCells& cell, BatchView y) const override {
        const auto& p = cell.parameters;
        y.at(0, 0) = p.at(V_r, 0);
        y.at(1, 0) += p.at(b, 0);
        cell.events.at(refractory_end, 0) = t + p.at(t_ref, 0);
        return true;
    }

    std::span<const std::size_t> linear_variables() const override { return linear_; }

    /// dw/dt = A + B w with A = a (V - E_L) / tau_w and B = -1 / tau_w (V clamped as in `derivatives`),
    /// computed as the `equations` plug-in computes them for adex.eq, A = f(w = 0) and B = f(w = 1) - f(w = 0),
    /// so that exp_euler gives the same results bit for bit with both.
    void linear_coefficients(double t, const ModelCells& cells, const ConstBatchView& y, const BatchView& A,
                             const BatchView& B) const override {
        const auto& p = cells.parameters;
        for (std::size_t c = 0; c < y.count(); ++c) {
            if (p.at(hold_w, c) != 0.0 && t < cells.events.at(refractory_end, c) - slack) {
                A.at(0, c) = B.at(0, c) = 0.0;  // w held
                continue;
            }
            const double clamp = models::clamp_potential(p.at(V_peak, c), p.at(Delta_T, c));
            const double v = clamp < y.at(0, c) ? clamp : y.at(0, c);
            const double drive = p.at(a, c) * (v - p.at(E_L, c));
            const double at_zero = (drive - 0.0) / p.at(tau_w, c);
            A.at(0, c) = at_zero;
            B.at(0, c) = (drive - 1.0) / p.at(tau_w, c) - at_zero;
        }
    }

    void jacobian(double t, const ModelCells& cell, const ConstBatchView& y, std::span<const double> /*i_inj*/,
                  std::span<double> out) const override {
        const auto& p = cell.parameters;
        const double cap = p.at(C, 0), delta = p.at(Delta_T, 0), tau = p.at(tau_w, 0);
        // Row-major 2x2, rows and columns in the order V, w.
        const double V = y.at(0, 0);
        const bool clamped = V > models::clamp_potential(p.at(V_peak, 0), delta);
        if (t < cell.events.at(refractory_end, 0) - slack) {
            out[0] = out[1] = 0.0;
        } else {
            out[0] = clamped ? 0.0 : p.at(g_L, 0) * (std::exp((V - p.at(V_T, 0)) / delta) - 1.0) / cap;
            out[1] = -1.0 / cap;
        }
        if (p.at(hold_w, 0) != 0.0 && t < cell.events.at(refractory_end, 0) - slack) {
            out[2] = out[3] = 0.0;  // w held
        } else {
            out[2] = clamped ? 0.0 : p.at(a, 0) / tau;
            out[3] = -1.0 / tau;
        }
    }

private:
    void check(const ParameterValues& p) const override {
        models::check_upswing(p);
        if (p["hold_w"] != 0 && p["hold_w"] != 1) {
            throw ParameterError(fmt::format("parameter 'hold_w' = {} must be 0 (w evolves during the refractory "
                                             "period) or 1 (w is held)", p["hold_w"]));
        }
    }

    const std::array<Variable, 2> variables_{{
        {"v", "mV", "membrane potential V"},
        {"w", "pA", "adaptation current"},
    }};
    const std::array<Variable, 1> events_{{{"refractory_end", "ms", "end of the current refractory period"}}};
    const std::array<std::size_t, 1> linear_{{1}};  // w
    const Variable current_{"I", "pA", "injected current"};
};

}  // namespace
}  // namespace soma::adex

SOMA_PLUGIN(soma::PluginKind::model, soma::adex::AdaptiveExponential, "adex", "2.0.0",
            "adaptive exponential integrate-and-fire (Brette & Gerstner 2005) with the firing patterns of "
            "Naud et al. 2008 as presets")
