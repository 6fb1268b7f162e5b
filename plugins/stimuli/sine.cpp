/// @file sine.cpp
/// Plug-in `sine`: a sinusoidal (AC) current with a DC offset,
///   I(t) = amplitude * sin(2 pi f t + phase) + offset,   t in ms, f in Hz (f/1000 cycles per ms),
/// evaluated at whatever time an integrator asks for (t = i dt at the start of step i).
/// Defaults: the course seed's HH sine exercise (7 uA/cm^2 at 10 Hz around 0.5 uA/cm^2).
/// Errors: ParameterError from prepare if the frequency is at or above the Nyquist frequency 1/(2 dt).

#include "soma/error.hpp"
#include "soma/plugin.hpp"
#include "soma/stimulus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace soma::stimuli {
namespace {

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

    void prepare(double dt) override {
        const double nyquist = 1000.0 / (2.0 * dt);  // Hz, with dt in ms
        if (frequency_ >= nyquist) {
            throw ParameterError(fmt::format("sine: frequency = {} Hz is at or above the Nyquist frequency {} Hz of "
                                             "dt = {} ms, so the sampled current would alias; lower the frequency "
                                             "or the time step (dt < {} ms)",
                                             frequency_, nyquist, dt, 1000.0 / (2.0 * frequency_)));
        }
    }

    void current(std::size_t /*i*/, double t, std::span<double> out) const override {
        std::ranges::fill(out, amplitude_ * std::sin(omega_ * t + phase_) + offset_);
    }

private:
    void apply(const ParameterValues& p) override {
        amplitude_ = p["amplitude"];
        frequency_ = p["frequency"];
        omega_ = 2.0 * std::numbers::pi * (frequency_ / 1000.0);  // rad per ms
        offset_ = p["offset"];
        phase_ = p["phase"];
    }

    double amplitude_ = 0, frequency_ = 0, omega_ = 0, offset_ = 0, phase_ = 0;
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Sine, "sine", "2.0.0",
            "sinusoidal (AC) current: amplitude sin(2 pi f t + phase) + offset, f in Hz")
