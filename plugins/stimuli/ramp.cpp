/// @file ramp.cpp
/// Plug-in `ramp`: a current rising linearly from 0 at onset towards amplitude at offset, 0 from
/// offset on. With onset and offset snapped to the steps i_on and i_off, during the ramp
/// I(t) = amplitude * (t / dt - i_on) / (i_off - i_on); at the start of step i this is
/// amplitude * (i - i_on) / (i_off - i_on), exactly as the course seed's HH ramp exercise, whose
/// values are the defaults (20 uA/cm^2, 30 to 170 ms).

#include "window.hpp"

#include "soma/plugin.hpp"

#include <algorithm>

namespace soma::stimuli {
namespace {

std::vector<ParameterSpec> ramp_schema() {
    auto specs = window_schema(30.0, 170.0, "ramp");
    specs.insert(specs.begin(), {"amplitude", std::string(model_current_unit), 20.0, Range::any(), "current reached at offset"});
    return specs;
}

class Ramp final : public Stimulus {
public:
    Ramp() : Stimulus(ramp_schema()) { init_defaults(); }

    void prepare(double dt) override {
        window_ = to_steps(onset_, offset_, dt);
        length_ = static_cast<double>(window_.off - window_.on);
        dt_ = dt;
    }

    void current(std::size_t i, double t, std::span<double> out) const override {
        // At t = i dt the step count is exactly i - i_on, as in the seed; between steps, t / dt.
        const double steps = t == static_cast<double>(i) * dt_ ? static_cast<double>(i - window_.on)
                                                               : t / dt_ - static_cast<double>(window_.on);
        std::ranges::fill(out, window_.contains(i) ? steps / length_ * amplitude_ : 0.0);
    }

    std::vector<std::size_t> breakpoints() const override { return {window_.on, window_.off}; }

private:
    void check(const ParameterValues& p) const override { check_window(p); }
    void apply(const ParameterValues& p) override {
        amplitude_ = p["amplitude"];
        onset_ = p["onset"];
        offset_ = p["offset"];
    }

    double amplitude_ = 0, onset_ = 0, offset_ = 0, length_ = 1, dt_ = 1;
    StepWindow window_;
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Ramp, "ramp", "2.0.0",
            "ramp current: 0 at onset rising linearly to amplitude at offset, 0 after")
