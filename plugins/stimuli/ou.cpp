/// @file ou.cpp
/// Plug-in `ou`: an Ornstein-Uhlenbeck current (coloured noise), the stationary Gaussian process
///   dI = -(I - mean) / tau dt + sigma sqrt(2 / tau) dW,   mean I = mean, Var I = sigma^2,
///   autocorrelation <(I(t) - mean)(I(t + s) - mean)> = sigma^2 exp(-|s| / tau),
/// sampled exactly on the grid t_i = i dt by the exact updating formula of D. T. Gillespie, Exact numerical
/// simulation of the Ornstein-Uhlenbeck process and its integral, Phys. Rev. E 54:2084-2091 (1996), valid
/// for any dt > 0 (from the process's Gaussian transition probability, no discretization error):
///   x_0     = mean + sigma N(c, 0)                                     (the stationary distribution),
///   x_{k+1} = mean + (x_k - mean) e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) N(c, k + 1),
/// with N(c, i) the standard normal numbers of cell c (population index) of noise.hpp. So the current is
/// stationary from t = 0, and x_i depends only on (seed, position, c, N(c, 0) .. N(c, i)).
/// The current during step i is x_i, held over the step [t_i, t_i + dt) whatever time an integrator asks
/// for: every integrator (fixed-step or adaptive) sees the same piecewise-constant sample path, on which
/// the model's ODE is an ordinary, well-defined ODE; adaptive integrators end a step at every grid step
/// (changes_every_step). Units: mean and sigma in the model's current unit (pA, nA or uA/cm^2), tau in ms.
///
/// Each cell's x and the step it belongs to live in the stimulus's derived rows (engine-owned, one column
/// per cell), after the stream rows of noise.hpp; `current(i)` advances them lazily to step i. Asked again
/// for the same step (integrator stages, spike location, recording) it returns the stored value; asked for
/// an earlier step than stored, which no integrator does, it recomputes the cell's sequence from x_0.
/// Errors: ParameterError (from the schema's ranges, naming the cell) for sigma < 0, tau <= 0 or a `seed`
/// that is not -1 or a whole number in [0, 2^53].

#include "noise.hpp"

#include "soma/plugin.hpp"

#include <cmath>
#include <string>

namespace soma::stimuli {
namespace {

enum Parameter : std::size_t { mean, sigma, tau, seed };
/// After the stream rows: the per-step decay e^{-dt/tau}, the innovation's standard deviation
/// sigma sqrt(1 - e^{-2 dt/tau}), then the process's value x and the step it belongs to.
enum Derived : std::size_t { decay = noise::stream_rows, innovation, x_value, x_step };

std::vector<Variable> ou_derived() {
    auto rows = noise::stream_derived();
    rows.push_back({"decay", "1", "e^{-dt/tau}, the correlation of x over one step"});
    rows.push_back({"innovation", std::string(model_current_unit), "sigma sqrt(1 - e^{-2 dt/tau})"});
    rows.push_back({"x", std::string(model_current_unit), "the current of step x_step"});
    rows.push_back({"x_step", "1", "the step whose current x holds"});
    return rows;
}

class OrnsteinUhlenbeck final : public Stimulus {
public:
    OrnsteinUhlenbeck()
        : Stimulus({
              {"mean", std::string(model_current_unit), 0.0, Range::any(), "mean of the current"},
              {"sigma", std::string(model_current_unit), 1.0, Range::at_least(0),
               "standard deviation of the current (stationary)"},
              {"tau", "ms", 5.0, Range::positive(), "correlation time: the autocorrelation is exp(-|s| / tau)"},
              noise::seed_spec(),
          }) {
        init_defaults();
    }

    std::span<const Variable> derived_variables() const override { return derived_; }
    bool changes_every_step() const override { return true; }

    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override {
        noise::prepare_streams("ou", grid, cells, first_cell, seed);
        for (std::size_t c = 0; c < cells.count(); ++c) {
            const double ratio = grid.dt / cells.parameters.at(tau, c);
            cells.derived.at(decay, c) = std::exp(-ratio);
            // 1 - e^{-2 dt/tau} as -expm1: exact to rounding when dt << tau.
            cells.derived.at(innovation, c) = cells.parameters.at(sigma, c) * std::sqrt(-std::expm1(-2.0 * ratio));
            start(cells, c);
        }
    }

    void current(std::size_t i, double /*t*/, const StimulusCells& cells, std::span<double> out) const override {
        const auto x = cells.derived.var(x_value);
        const auto step = cells.derived.var(x_step);
        const auto target = static_cast<double>(i);
        for (std::size_t c = 0; c < out.size(); ++c) {
            if (step[c] != target) advance(cells, c, i);
            out[c] = x[c];
        }
    }

private:
    void check(const ParameterValues& p) const override { noise::check_seed(p["seed"]); }

    /// x_0 of view cell c.
    static void start(const StimulusCells& cells, std::size_t c) {
        cells.derived.at(x_value, c) =
            cells.parameters.at(mean, c) + cells.parameters.at(sigma, c) * noise::standard_normal(cells, c, 0);
        cells.derived.at(x_step, c) = 0.0;
    }

    /// Moves view cell c's x to step i (from x_0 if i is before the stored step).
    static void advance(const StimulusCells& cells, std::size_t c, std::size_t i) {
        auto k = static_cast<std::size_t>(cells.derived.at(x_step, c));
        if (i < k) {
            start(cells, c);
            k = 0;
        }
        const double m = cells.parameters.at(mean, c);
        const double a = cells.derived.at(decay, c), b = cells.derived.at(innovation, c);
        double x = cells.derived.at(x_value, c);
        while (k < i) {
            ++k;
            x = m + (x - m) * a + b * noise::standard_normal(cells, c, k);
        }
        cells.derived.at(x_value, c) = x;
        cells.derived.at(x_step, c) = static_cast<double>(i);
    }

    const std::vector<Variable> derived_ = ou_derived();
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::OrnsteinUhlenbeck, "ou", "1.0.0",
            "Ornstein-Uhlenbeck current (coloured noise): mean, sigma, correlation time tau, sampled exactly "
            "(Gillespie 1996)")
