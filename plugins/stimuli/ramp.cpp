/// @file ramp.cpp
/// Plug-in `ramp`: a current rising linearly from 0 at onset towards amplitude at offset, 0 from
/// offset on. At step i (onset step i_on, offset step i_off): I = amplitude * (i - i_on) / (i_off - i_on),
/// exactly as the course seed's HH ramp exercise, whose values are the defaults (20 uA/cm^2, 30 to 170 ms).

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
    }

    void current(std::size_t i, std::span<double> out) const override {
        const double value = window_.contains(i) ? static_cast<double>(i - window_.on) / length_ * amplitude_ : 0.0;
        std::ranges::fill(out, value);
    }

private:
    void check(const ParameterValues& p) const override { check_window(p); }
    void apply(const ParameterValues& p) override {
        amplitude_ = p["amplitude"];
        onset_ = p["onset"];
        offset_ = p["offset"];
    }

    double amplitude_ = 0, onset_ = 0, offset_ = 0, length_ = 1;
    StepWindow window_;
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Ramp, "ramp", "1.0.0",
            "ramp current: 0 at onset rising linearly to amplitude at offset, 0 after")
