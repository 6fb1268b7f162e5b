/// @file white.cpp
/// Plug-in `white`: a Gaussian white-noise current I(t) = mean + sigma xi(t), <xi(t) xi(t')> = delta(t - t'),
/// sampled on the grid t_i = i dt as
///   I_i = mean + sigma N(c, i) / sqrt(dt),   held over the step [t_i, t_i + dt),
/// with N(c, i) the standard normal numbers of cell c (population index) of noise.hpp. Over a step the
/// held current's integral is mean dt + sigma sqrt(dt) N(c, i), the increment of mean t + sigma W(t) (W a
/// Wiener process), so forward Euler on the model is the Euler-Maruyama scheme for the stochastic
/// differential equation with additive noise sigma dW (P. E. Kloeden and E. Platen, Numerical Solution of
/// Stochastic Differential Equations, Springer 1992, section 9.1): the increments have variance sigma^2 dt
/// and the statistics of the membrane potential do not depend on dt (to the scheme's O(dt) bias).
/// E.g. for the `lif` model, tau_m dv/dt = -(v - V_rest) + R I, the free membrane potential is stationary
/// with mean V_rest + R mean and variance R^2 sigma^2 / (2 tau_m).
/// Units: mean in the model's current unit; sigma in that unit times ms^(1/2) (nA ms^0.5 for `lif`, pA
/// ms^0.5 for `adex`, uA/cm^2 ms^0.5 for `hh`), so that sigma^2 is the noise's intensity per ms.
/// Only integrators that integrate white noise in this Euler-Maruyama sense run it (`euler`, `exp_euler`:
/// Integrator::takes_white_noise); the engine refuses the others with a PluginError, since a higher-order
/// or adaptive scheme would treat the 1/sqrt(dt) samples as a smooth current.
/// Errors: ParameterError (from the schema's ranges, naming the cell) for sigma < 0 or a `seed` that is
/// not -1 or a whole number in [0, 2^53].

#include "noise.hpp"

#include "soma/plugin.hpp"

#include <cmath>
#include <string>

namespace soma::stimuli {
namespace {

enum Parameter : std::size_t { mean, sigma, seed };
/// After the stream rows: sigma / sqrt(dt), the standard deviation of the held current.
enum Derived : std::size_t { scale = noise::stream_rows };

std::vector<Variable> white_derived() {
    auto rows = noise::stream_derived();
    rows.push_back({"scale", std::string(model_current_unit), "sigma / sqrt(dt), standard deviation of I in a step"});
    return rows;
}

class WhiteNoise final : public Stimulus {
public:
    WhiteNoise()
        : Stimulus({
              {"mean", std::string(model_current_unit), 0.0, Range::any(), "mean of the current"},
              {"sigma", std::string(model_current_unit) + " ms^0.5", 1.0, Range::at_least(0),
               "noise amplitude: I = mean + sigma xi(t), xi white with unit intensity"},
              noise::seed_spec(),
          }) {
        init_defaults();
    }

    std::span<const Variable> derived_variables() const override { return derived_; }
    bool changes_every_step() const override { return true; }
    bool white_noise() const override { return true; }

    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override {
        noise::prepare_streams("white", grid, cells, first_cell, seed);
        const double root_dt = std::sqrt(grid.dt);
        for (std::size_t c = 0; c < cells.count(); ++c) cells.derived.at(scale, c) = cells.parameters.at(sigma, c) / root_dt;
    }

    void current(std::size_t i, double /*t*/, const StimulusCells& cells, std::span<double> out) const override {
        const auto m = cells.parameters.var(mean);
        const auto s = cells.derived.var(scale);
        for (std::size_t c = 0; c < out.size(); ++c) out[c] = m[c] + s[c] * noise::standard_normal(cells, c, i);
    }

private:
    void check(const ParameterValues& p) const override { noise::check_seed(p["seed"]); }

    const std::vector<Variable> derived_ = white_derived();
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::WhiteNoise, "white", "1.0.0",
            "Gaussian white-noise current mean + sigma xi(t), held over each step (Euler-Maruyama; euler, "
            "exp_euler)")
