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
/// spike time v is set to V_reset and held there (dv/dt = 0) for the refractory period t_ref, whose end
/// is the event variable `refractory_end` (refractory.hpp: a time comparison with 1e-9 ms of slack
/// absorbs the rounding of t = i dt, and the fixed-step integrators split their step at the end, so
/// that it costs rk4 no first-order error; dopri5 and cvode control it through their error
/// estimates). With an integrator's
/// `locate_spikes = 0` the spike and reset happen at the end of the step instead, as in the seed.
/// Every parameter may differ between cells; the end of each cell's refractory period is event state
/// that the engine stores. Capability: Jacobian (for cvode): d(dv/dt)/dv = -1/tau_m, or 0 while refractory.

#include "soma/error.hpp"
#include "soma/jacobian.hpp"
#include "soma/suggested_drive.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"
#include "soma/refractory.hpp"
#include "soma/threshold_meaning.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

namespace soma::lif {
namespace {

/// Parameters, in schema order (the rows of ModelCells::parameters).
enum Parameter : std::size_t { tau_m, R, V_rest, V_th, V_reset, V_init, t_ref };
/// Event state: the end of the current refractory period (ms; -inf before the first spike).
enum Event : std::size_t { refractory_end };

/// Slack of the refractory comparison, absorbing the rounding of t = i dt (ms).
constexpr double slack = refractory_slack;  // refractory.hpp

class LeakyIntegrateAndFire final : public Model, public Jacobian, public SuggestedDrive, public ThresholdMeaningOf {
public:
    std::optional<Drive> suggested_step(std::string_view preset) const override {
        if (!preset.empty()) return std::nullopt;
        // Rheobase R I = V_th - V_rest = 1 nA with the defaults; 10 % above it the period is
        // tau_m ln(1.1 / 0.1) = 2.4 ms (t_ref = 0).
        return Drive{1.1, "10 % above the rheobase of the default cell (1 nA): a spike every 2.4 ms"};
    }
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

    ThresholdMeaning threshold_meaning() const override { return {ThresholdKind::firing, "V_th"}; }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }
    std::span<const Variable> event_variables() const override { return events_; }

    void thresholds(ConstBatchView p, std::span<double> out) const override {
        std::ranges::copy(p.var(V_th), out.begin());
    }

    void initialize(const ModelCells& cells, BatchView y) const override {
        std::ranges::copy(cells.parameters.var(V_init), y.var(0).begin());
        std::ranges::fill(cells.events.var(refractory_end), -std::numeric_limits<double>::infinity());
    }

    void derivatives(double t, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                     const BatchView& dydt) const override {
        if (y.count() == 1) {  // a cell alone: the same arithmetic without the vector loop's set-up
            dydt.raw()[0] = dv_dt(t, cells, y.raw(), i_inj.data(), 0);
            return;
        }
        derivatives_of_block(t, cells, y, i_inj, dydt);
    }

    bool on_spike(double t, const ModelCells& cell, BatchView y) const override {
        y.at(0, 0) = cell.parameters.at(V_reset, 0);
        cell.events.at(refractory_end, 0) = t + cell.parameters.at(t_ref, 0);
        return true;
    }

    void jacobian(double t, const ModelCells& cell, const ConstBatchView& /*y*/, std::span<const double> /*i_inj*/,
                  std::span<double> out) const override {
        out[0] = t < cell.events.at(refractory_end, 0) - slack ? 0.0 : -1.0 / cell.parameters.at(tau_m, 0);
    }

private:
    /// dv/dt of cell c (Gerstner & Kistler 2002, Eq. 4.3), 0 while the cell is refractory; `v` and
    /// `i_inj` point to the block's first cell.
    static double dv_dt(double t, const ModelCells& cells, const double* v, const double* i_inj, std::size_t c) {
        const auto& p = cells.parameters;
        return t < cells.events.at(refractory_end, c) - slack
                   ? 0.0
                   : (-(v[c] - p.at(V_rest, c)) + p.at(R, c) * i_inj[c]) / p.at(tau_m, c);
    }

    /// dv/dt of a block of cells, as `dv_dt` (the same operations, vectorized); out of line, so that a
    /// cell alone does not pay for the vector loop's set-up.
    [[gnu::noinline]] static void derivatives_of_block(double t, const ModelCells& cells, const ConstBatchView& y,
                                                       std::span<const double> i_inj, const BatchView& dydt) {
        const auto& p = cells.parameters;
        const auto tau = p.var(tau_m), r = p.var(R), rest = p.var(V_rest);
        const auto end = cells.events.var(refractory_end);
        const auto v = y.var(0);
        const auto dv = dydt.var(0);
        for (std::size_t c = 0; c < v.size(); ++c) {
            dv[c] = t < end[c] - slack ? 0.0 : (-(v[c] - rest[c]) + r[c] * i_inj[c]) / tau[c];
        }
    }

    void check(const ParameterValues& p) const override {
        if (p["V_reset"] >= p["V_th"]) {
            throw ParameterError(fmt::format("parameter 'V_reset' = {} mV must be below 'V_th' = {} mV", p["V_reset"],
                                             p["V_th"]));
        }
    }

    const std::array<Variable, 1> variables_{{{"v", "mV", "membrane potential"}}};
    const std::array<Variable, 1> events_{{{"refractory_end", "ms", "end of the current refractory period"}}};
    const Variable current_{"I", "nA", "injected current"};
};

}  // namespace
}  // namespace soma::lif

SOMA_PLUGIN(soma::PluginKind::model, soma::lif::LeakyIntegrateAndFire, "lif", "3.0.0",
            "leaky integrate-and-fire with threshold, reset and refractory period (Gerstner & Kistler 2002, p.94)")
