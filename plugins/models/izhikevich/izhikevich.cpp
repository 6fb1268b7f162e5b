/// @file izhikevich.cpp
/// Plug-in `izhikevich`: the simple model of spiking neurons of Izhikevich.
///
///   dv/dt = 0.04 v^2 + 5 v + 140 - u + I
///   du/dt = a (b v - u)
///   if v >= v_peak (30 mV): spike, v <- c, u <- u + d
///
/// Source: E. M. Izhikevich, Simple model of spiking neurons, IEEE Trans. Neural Netw. 14(6):1569-1572
/// (2003), Eqs. (1)-(3); the spike cut-off v_peak = 30 mV is that of Eq. (3). Defaults and presets: the
/// (a, b, c, d) of the paper's Fig. 2, which shows each cortical type's response to a step of dc current
/// I = 10 (time resolution 0.1 ms, says its caption):
///   regular spiking (RS)           a = 0.02  b = 0.2   c = -65  d = 8   (the defaults)
///   intrinsically bursting (IB)    a = 0.02  b = 0.2   c = -55  d = 4
///   chattering (CH)                a = 0.02  b = 0.2   c = -50  d = 2
///   fast spiking (FS)              a = 0.1   b = 0.2   c = -65  d = 2
///   low-threshold spiking (LTS)    a = 0.02  b = 0.25  c = -65  d = 2
/// Initial state as in the paper's MATLAB program: v = V_init (-65 mV), u = b v.
///
/// Units: t in ms and v in mV, as in the paper; u and I are the paper's dimensionless quantities (the
/// coefficients 0.04, 5 and 140 make every term of dv/dt a number of mV/ms, and u and I are read on that
/// scale), so their unit is "1"; a is a rate in 1/ms, b and d are dimensionless.
/// State variables, in storage order: v, u. A spike is an upward crossing of v_peak, located by the
/// integrator; at the crossing time v <- c and u <- u + d. Every parameter may differ between cells.
///
/// Numerics: v diverges in finite time above the threshold (the quadratic), and the model is defined for
/// v <= v_peak only; the right-hand side evaluates v as min(v, v_peak), so that an explicit stage that
/// overshoots v_peak sees the (finite, positive) derivatives at v_peak instead of squaring a runaway v.
/// The paper's program takes forward Euler steps (two of 0.5 ms for v per 1 ms step) and resets on the
/// grid; Soma's integrators locate the crossing inside the step, which moves spike times slightly but
/// leaves the patterns as they are.
/// Capability: Jacobian (for cvode):
///   d(dv/dt)/dv = 0.08 v + 5 (0 above v_peak),   d(dv/dt)/du = -1,   d(du/dt)/dv = a b (0 above v_peak),
///   d(du/dt)/du = -a.

#include "soma/error.hpp"
#include "soma/jacobian.hpp"
#include "soma/suggested_drive.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"
#include "soma/threshold_meaning.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

namespace soma::izhikevich {
namespace {

Preset fig2(const char* name, const char* what, double a, double b, double c, double d) {
    return {name, what, {{"a", a}, {"b", b}, {"c", c}, {"d", d}}};
}

std::vector<Preset> izhikevich_2003_presets() {
    return {
        fig2("regular_spiking", "RS: tonic spikes with adaptation (Izhikevich 2003, Fig. 2)", 0.02, 0.2, -65, 8),
        fig2("intrinsically_bursting", "IB: an initial burst, then single spikes (Izhikevich 2003, Fig. 2)", 0.02,
             0.2, -55, 4),
        fig2("chattering", "CH: repetitive bursts of closely spaced spikes (Izhikevich 2003, Fig. 2)", 0.02, 0.2,
             -50, 2),
        fig2("fast_spiking", "FS: high-frequency spikes without adaptation (Izhikevich 2003, Fig. 2)", 0.1, 0.2,
             -65, 2),
        fig2("low_threshold_spiking", "LTS: high-frequency spikes with adaptation (Izhikevich 2003, Fig. 2)", 0.02,
             0.25, -65, 2),
    };
}

/// Parameters, in schema order (the rows of ModelCells::parameters). The kernels index cells by j: c is
/// the paper's reset value.
enum Parameter : std::size_t { a, b, c, d, v_peak, V_init };

class Izhikevich final : public Model, public Jacobian, public SuggestedDrive, public ThresholdMeaningOf {
public:
    std::optional<Drive> suggested_step(std::string_view) const override {
        return Drive{10.0, "the step I = 10 of Izhikevich 2003, Fig. 2"};  // the default is the RS preset
    }
    Izhikevich()
        : Model(
              {
                  {"a", "1/ms", 0.02, Range::positive(), "time scale of the recovery variable u (Izhikevich 2003, RS)"},
                  {"b", "1", 0.2, Range::closed(-100, 100), "sensitivity of u to v (Izhikevich 2003, RS)"},
                  {"c", "mV", -65.0, Range::closed(-200, 200), "reset value of v after a spike (Izhikevich 2003, RS)"},
                  {"d", "1", 8.0, Range::any(), "increment of u after a spike (Izhikevich 2003, RS)"},
                  {"v_peak", "mV", 30.0, Range::closed(-200, 200),
                   "spike cut-off: a spike when v reaches it (Izhikevich 2003, Eq. 3)"},
                  {"V_init", "mV", -65.0, Range::closed(-200, 200),
                   "initial v; u starts at b V_init (as in the program of Izhikevich 2003)"},
              },
              izhikevich_2003_presets()) {
        init_defaults();
    }

    ThresholdMeaning threshold_meaning() const override { return {ThresholdKind::cut_off, "v_peak"}; }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }

    void thresholds(ConstBatchView p, std::span<double> out) const override {
        std::ranges::copy(p.var(v_peak), out.begin());
    }

    void initialize(const ModelCells& cells, BatchView y) const override {
        const auto& p = cells.parameters;
        const auto pb = p.var(b), v0 = p.var(V_init);
        const auto v = y.var(0), u = y.var(1);
        for (std::size_t j = 0; j < v.size(); ++j) {
            v[j] = v0[j];
            u[j] = pb[j] * v0[j];
        }
    }

    void derivatives(double /*t*/, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                     const BatchView& dydt) const override {
        const auto& p = cells.parameters;
        const auto pa = p.var(a), pb = p.var(b), peak = p.var(v_peak);
        const auto v = y.var(0), u = y.var(1);
        const auto dv = dydt.var(0), du = dydt.var(1);
        for (std::size_t j = 0; j < v.size(); ++j) {
            const double x = std::min(v[j], peak[j]);  // see "Numerics" above
            dv[j] = (0.04 * x + 5.0) * x + 140.0 - u[j] + i_inj[j];
            du[j] = pa[j] * (pb[j] * x - u[j]);
        }
    }

    bool on_spike(double /*t*/, const ModelCells& cell, BatchView y) const override {
        y.at(0, 0) = cell.parameters.at(c, 0);
        y.at(1, 0) += cell.parameters.at(d, 0);
        return true;
    }

    void jacobian(double /*t*/, const ModelCells& cell, const ConstBatchView& y, std::span<const double> /*i_inj*/,
                  std::span<double> out) const override {
        const auto& p = cell.parameters;
        const double pa = p.at(a, 0);
        // Row-major 2x2, rows and columns in the order v, u.
        const double v = y.at(0, 0);
        const bool clamped = v > p.at(v_peak, 0);
        out[0] = clamped ? 0.0 : 0.08 * v + 5.0;
        out[1] = -1.0;
        out[2] = clamped ? 0.0 : pa * p.at(b, 0);
        out[3] = -pa;
    }

private:
    void check(const ParameterValues& p) const override {
        if (p["c"] >= p["v_peak"]) {
            throw ParameterError(
                fmt::format("parameter 'c' = {} mV must be below 'v_peak' = {} mV", p["c"], p["v_peak"]));
        }
    }

    const std::array<Variable, 2> variables_{{
        {"v", "mV", "membrane potential"},
        {"u", "1", "membrane recovery variable (the paper's dimensionless scale, as I)"},
    }};
    const Variable current_{"I", "1", "injected current (the paper's dimensionless scale)"};
};

}  // namespace
}  // namespace soma::izhikevich

SOMA_PLUGIN(soma::PluginKind::model, soma::izhikevich::Izhikevich, "izhikevich", "2.0.0",
            "Izhikevich's simple model with the cortical cell types of Fig. 2 as presets (Izhikevich 2003, "
            "IEEE TNN 14:1569)")
