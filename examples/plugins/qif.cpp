/// @file qif.cpp
/// Plug-in `qif`: the quadratic integrate-and-fire neuron.
///
///   tau_m dv/dt = a (v - V_rest)(v - V_c) + R I;   when v crosses V_peak upwards: spike, v <- V_reset
///
/// Sources: G. B. Ermentrout and N. Kopell, SIAM J. Appl. Math. 46:233-253 (1986) (the theta neuron,
/// the canonical type I model, which a change of variables turns into this one); P. E. Latham,
/// B. J. Richmond, P. G. Nelson and S. Nirenberg, J. Neurophysiol. 83:808-827 (2000); W. Gerstner
/// and W. M. Kistler, Spiking Neuron Models, Cambridge University Press 2002, section 4.1.2.
/// Defaults are illustrative (tau_m = 10 ms, R = 10 MOhm, V_rest = -70 mV, V_c = -55 mV,
/// a = 0.1 1/mV); units ms, mV, MOhm, nA (MOhm * nA = mV).
///
/// Without input, v below V_c relaxes to V_rest; above V_c it runs away and would reach infinity in
/// finite time, which V_peak cuts off. A constant current makes the cell fire repetitively when
/// R I > a (V_c - V_rest)^2 / 4, i.e. above the rheobase I_rh = a (V_c - V_rest)^2 / (4 R)
/// (0.5625 nA with the defaults), at a rate that grows as sqrt(I - I_rh) (type I excitability).
///
/// State variables: v. Spikes: each cell's threshold is its V_peak; the integrator locates the upward
/// crossing inside its step and calls on_spike there, which sets v to V_reset (no refractory period).
/// Every parameter may differ between cells. Capabilities: ThresholdMeaningOf (V_peak is a cut-off,
/// for figures) and Jacobian (for cvode):
/// d(dv/dt)/dv = a (2 v - V_rest - V_c) / tau_m.

#include "soma/error.hpp"
#include "soma/jacobian.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"
#include "soma/threshold_meaning.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace qif {
namespace {

using soma::BatchView;
using soma::ConstBatchView;
using soma::ModelCells;
using soma::ParameterError;
using soma::ParameterValues;
using soma::Range;
using soma::Variable;

// The parameters, in schema order: the rows of ModelCells::parameters.
enum Parameter : std::size_t { tau_m, R, a, V_rest, V_c, V_peak, V_reset, V_init };

class QuadraticIntegrateAndFire final : public soma::Model, public soma::Jacobian, public soma::ThresholdMeaningOf {
public:
    QuadraticIntegrateAndFire()
        : Model({
              {"tau_m", "ms", 10.0, Range::positive(), "membrane time constant"},
              {"R", "MOhm", 10.0, Range::positive(), "membrane resistance"},
              {"a", "1/mV", 0.1, Range::positive(), "sharpness of the quadratic nonlinearity"},
              {"V_rest", "mV", -70.0, Range::closed(-200, 200), "resting potential (stable fixed point at I = 0)"},
              {"V_c", "mV", -55.0, Range::closed(-200, 200), "critical voltage (unstable fixed point at I = 0); must be above V_rest"},
              {"V_peak", "mV", 20.0, Range::closed(-200, 200), "spike cut-off: a spike is registered when v crosses it upwards"},
              {"V_reset", "mV", -70.0, Range::closed(-200, 200), "potential after a spike; must be below V_peak"},
              {"V_init", "mV", -70.0, Range::closed(-200, 200), "initial membrane potential; must be below V_peak"},
          }) {
        init_defaults();
    }

    // The capability ThresholdMeaningOf: V_peak is the spike's cut-off, followed by the reset.
    soma::ThresholdMeaning threshold_meaning() const override { return {soma::ThresholdKind::cut_off, "V_peak"}; }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }

    void thresholds(ConstBatchView p, std::span<double> out) const override {
        std::ranges::copy(p.var(V_peak), out.begin());
    }

    void initialize(const ModelCells& cells, BatchView y) const override {
        std::ranges::copy(cells.parameters.var(V_init), y.var(0).begin());
    }

    // The hot loop: no allocation, no exception; each cell's own parameters, nothing else.
    void derivatives(double /*t*/, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                     const BatchView& dydt) const override {
        const auto& p = cells.parameters;
        const auto tau = p.var(tau_m), r = p.var(R), sharpness = p.var(a), rest = p.var(V_rest), crit = p.var(V_c);
        const auto v = y.var(0);
        const auto dv = dydt.var(0);
        for (std::size_t c = 0; c < v.size(); ++c) {
            dv[c] = (sharpness[c] * (v[c] - rest[c]) * (v[c] - crit[c]) + r[c] * i_inj[c]) / tau[c];
        }
    }

    // Called by the integrator for one cell at the located crossing time, with y its state at that time.
    bool on_spike(double /*t*/, const ModelCells& cell, BatchView y) const override {
        y.at(0, 0) = cell.parameters.at(V_reset, 0);
        return true;  // the state changed: the integrator restarts from the reset
    }

    // The capability Jacobian: d(dy/dt)/dy of one cell, row-major (here 1 x 1).
    void jacobian(double /*t*/, const ModelCells& cell, const ConstBatchView& y, std::span<const double> /*i_inj*/,
                  std::span<double> out) const override {
        const auto& p = cell.parameters;
        out[0] = p.at(a, 0) * (2.0 * y.at(0, 0) - p.at(V_rest, 0) - p.at(V_c, 0)) / p.at(tau_m, 0);
    }

private:
    // Constraints between the parameters of one cell; a run with a cell that breaks them does not start.
    void check(const ParameterValues& p) const override {
        if (p["V_c"] <= p["V_rest"]) {
            throw ParameterError(fmt::format("V_c = {} mV must be above V_rest = {} mV", p["V_c"], p["V_rest"]));
        }
        for (const char* name : {"V_c", "V_reset", "V_init"}) {
            if (p[name] >= p["V_peak"]) {
                throw ParameterError(
                    fmt::format("{} = {} mV must be below V_peak = {} mV", name, p[name], p["V_peak"]));
            }
        }
    }

    const std::array<Variable, 1> variables_{{{"v", "mV", "membrane potential"}}};
    const Variable current_{"I", "nA", "injected current"};
};

}  // namespace
}  // namespace qif

SOMA_PLUGIN(soma::PluginKind::model, qif::QuadraticIntegrateAndFire, "qif", "3.0.0",
            "quadratic integrate-and-fire, type I (Ermentrout & Kopell 1986; Latham et al. 2000)")
