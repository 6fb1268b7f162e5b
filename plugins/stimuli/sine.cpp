/// @file sine.cpp
/// Plug-in `sine`: a sinusoidal (AC) current with a DC offset,
///   I(t) = amplitude * sin(2 pi f t + phase) + offset,   t in ms, f in Hz (f/1000 cycles per ms),
/// evaluated at whatever time an integrator asks for (t = i dt at the start of step i).
/// Defaults: the course seed's HH sine exercise (7 uA/cm^2 at 10 Hz around 0.5 uA/cm^2).
/// Errors: ParameterError from prepare if the frequency is at or above the Nyquist frequency 1/(2 dt).

#include "soma/error.hpp"
#include "soma/plugin.hpp"
#include "soma/readable_number.hpp"
#include "soma/stimulus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace soma::stimuli {
namespace {

enum Parameter : std::size_t { amplitude, frequency, offset, phase };
enum Derived : std::size_t { omega };

class Sine final : public Stimulus {
public:
    Sine()
        : Stimulus({
              {"amplitude", std::string(model_current_unit), 7.0, Range::any(), "peak deviation from the offset"},
              {"frequency", "Hz", 10.0, Range::at_least(0), "frequency of the oscillation"},
              {"offset", std::string(model_current_unit), 0.5, Range::any(), "DC current added to the sine"},
              {"phase", "rad", 0.0, Range::closed(-2 * std::numbers::pi, 2 * std::numbers::pi), "phase at t = 0"},
          }) {
        init_defaults();
    }

    std::span<const Variable> derived_variables() const override { return derived_; }

    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override {
        const double dt = grid.dt;
        const double nyquist = 1000.0 / (2.0 * dt);  // Hz, with dt in ms
        for (std::size_t c = 0; c < cells.count(); ++c) {
            const double f = cells.parameters.at(frequency, c);
            if (f >= nyquist) {
                const std::string where = cells.count() > 1 || first_cell > 0 ? fmt::format(" of cell {}", first_cell + c) : "";
                throw ParameterError(fmt::format("stimulus 'sine': frequency{} = {} Hz is at or above the Nyquist "
                                                 "frequency {} Hz of dt = {} ms, so the sampled current would alias; "
                                                 "lower the frequency or the time step (dt < {} ms)",
                                                 where, readable(f), readable(nyquist), readable(dt),
                                                 readable(1000.0 / (2.0 * f))));
            }
            cells.derived.at(omega, c) = 2.0 * std::numbers::pi * (f / 1000.0);  // rad per ms
        }
    }

    void current(std::size_t /*i*/, double t, const StimulusCells& cells, std::span<double> out) const override {
        const auto a = cells.parameters.var(amplitude), o = cells.parameters.var(offset), ph = cells.parameters.var(phase);
        const auto w = cells.derived.var(omega);
        for (std::size_t c = 0; c < out.size(); ++c) out[c] = a[c] * std::sin(w[c] * t + ph[c]) + o[c];
    }

private:
    const std::array<Variable, 1> derived_{{{"omega", "rad/ms", "angular frequency"}}};
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Sine, "sine", "3.0.0",
            "sinusoidal (AC) current: amplitude sin(2 pi f t + phase) + offset, f in Hz")
