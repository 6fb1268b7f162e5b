/// @file fitzhugh_nagumo.cpp
/// Plug-in `fitzhugh_nagumo`: the FitzHugh-Nagumo model, a two-variable reduction of Hodgkin-Huxley.
///
///   dv/dt = v - v^3 / 3 - w + I
///   dw/dt = (v + a - b w) / tau
///
/// Source: R. FitzHugh, Impulses and physiological states in theoretical models of nerve membrane,
/// Biophys. J. 1:445-466 (1961), the Bonhoeffer-van der Pol model with a = 0.7 and b = 0.8. FitzHugh writes
/// dx/dt = c (y + x - x^3/3 + z), dy/dt = -(x - a + b y) / c with c = 3; with v = -x, w = y, I = -z and time
/// measured in units of 1/c this is the form above with tau = c^2 = 9. The defaults take the time scale
/// tau = 12.5 (phi = 1/tau = 0.08) of E. M. Izhikevich and R. FitzHugh, FitzHugh-Nagumo model,
/// Scholarpedia 1(9):1349 (2006), which writes the model in exactly this form.
///
/// Units: the model is dimensionless (v, w and I have unit "1"); Soma measures time in ms, so the
/// model's time unit is read as 1 ms (tau in ms, rates per ms).
/// State variables, in storage order: v, w. Initial state: the resting point for I = 0, the one real root
/// of v - v^3/3 - (v + a) / b = 0 (unique for 0 <= b < 1, which the range of b ensures; v = -a for b = 0),
/// w = v - v^3/3; for the defaults v = -1.19941, w = -0.62426.
///
/// The model has no threshold and no reset: a spike is an upward crossing of the detection level V_spike
/// (default 1.0, between the resting v and the top of the limit cycle, v ~ 2), located by the integrator;
/// `on_spike` changes nothing. Every parameter may differ between cells (each starts at its own resting point).
/// Capability: Jacobian (for cvode): [[1 - v^2, -1], [1 / tau, -b / tau]].

#include "soma/jacobian.hpp"
#include "soma/suggested_drive.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"
#include "soma/threshold_meaning.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace soma::fitzhugh_nagumo {
namespace {

/// The resting point (v, w) for I = 0: the root of g(v) = v - v^3/3 - (v + a)/b, strictly decreasing for
/// 0 < b < 1 (g'(v) = 1 - v^2 - 1/b < 0), by bisection to the last bit.
std::array<double, 2> rest(double a, double b) {
    if (b == 0) {
        const double v = -a;
        return {v, v - v * v * v / 3};
    }
    const auto g = [&](double v) { return v - v * v * v / 3 - (v + a) / b; };
    double lo = -1, hi = 1;
    while (g(lo) < 0) lo *= 2;  // g(lo) >= 0 > g(hi) brackets the root
    while (g(hi) > 0) hi *= 2;
    for (int k = 0; k < 200; ++k) {
        const double mid = lo + 0.5 * (hi - lo);
        if (mid <= lo || mid >= hi) break;
        (g(mid) > 0 ? lo : hi) = mid;
    }
    const double v = lo + 0.5 * (hi - lo);
    return {v, (v + a) / b};
}

/// Parameters, in schema order (the rows of ModelCells::parameters).
enum Parameter : std::size_t { a, b, tau, V_spike };

class FitzHughNagumo final : public Model, public Jacobian, public SuggestedDrive, public ThresholdMeaningOf {
public:
    std::optional<Drive> suggested_step(std::string_view preset) const override {
        if (!preset.empty()) return std::nullopt;
        // The resting state loses stability near I = 0.33 and regains it near 1.42 (a = 0.7, b = 0.8).
        return Drive{0.5, "inside the range of I where the defaults oscillate (about 0.33 to 1.42)"};
    }
    FitzHughNagumo()
        : Model({
              {"a", "1", 0.7, Range::closed(-100, 100), "offset of the w-nullcline (FitzHugh 1961)"},
              {"b", "1", 0.8, Range{0.0, 1.0, true, false},
               "slope factor of the w-nullcline, in [0, 1) (FitzHugh 1961)"},
              {"tau", "ms", 12.5, Range::positive(), "time constant of w, 1/0.08 (Izhikevich & FitzHugh 2006)"},
              {"V_spike", "1", 1.0, Range::closed(-100, 100), "spike detection level for v (upward crossing)"},
          }) {
        init_defaults();
    }

    ThresholdMeaning threshold_meaning() const override { return {ThresholdKind::detection, "V_spike"}; }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }

    void thresholds(ConstBatchView p, std::span<double> out) const override {
        std::ranges::copy(p.var(V_spike), out.begin());
    }

    void initialize(const ModelCells& cells, BatchView y) const override {
        const auto pa = cells.parameters.var(a), pb = cells.parameters.var(b);
        const auto v = y.var(0), w = y.var(1);
        for (std::size_t c = 0; c < v.size(); ++c) {
            const auto [v0, w0] = rest(pa[c], pb[c]);
            v[c] = v0;
            w[c] = w0;
        }
    }

    void derivatives(double /*t*/, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                     const BatchView& dydt) const override {
        const auto& p = cells.parameters;
        const auto pa = p.var(a), pb = p.var(b), pt = p.var(tau);
        const auto v = y.var(0), w = y.var(1);
        const auto dv = dydt.var(0), dw = dydt.var(1);
        for (std::size_t c = 0; c < v.size(); ++c) {
            const double x = v[c];
            dv[c] = x - x * x * x / 3.0 - w[c] + i_inj[c];
            dw[c] = (x + pa[c] - pb[c] * w[c]) / pt[c];
        }
    }

    bool on_spike(double /*t*/, const ModelCells& /*cell*/, BatchView /*y*/) const override { return false; }

    void jacobian(double /*t*/, const ModelCells& cell, const ConstBatchView& y, std::span<const double> /*i_inj*/,
                  std::span<double> out) const override {
        const double pt = cell.parameters.at(tau, 0);
        // Row-major 2x2, rows and columns in the order v, w.
        const double v = y.at(0, 0);
        out[0] = 1.0 - v * v;
        out[1] = -1.0;
        out[2] = 1.0 / pt;
        out[3] = -cell.parameters.at(b, 0) / pt;
    }

private:
    const std::array<Variable, 2> variables_{{
        {"v", "1", "membrane potential (fast, excitation) variable"},
        {"w", "1", "recovery (slow, accommodation) variable"},
    }};
    const Variable current_{"I", "1", "injected current (dimensionless)"};
};

}  // namespace
}  // namespace soma::fitzhugh_nagumo

SOMA_PLUGIN(soma::PluginKind::model, soma::fitzhugh_nagumo::FitzHughNagumo, "fitzhugh_nagumo", "2.0.0",
            "FitzHugh-Nagumo model, dimensionless, time read in ms (FitzHugh 1961, Biophys. J. 1:445)")
