/// @file step.cpp
/// Plug-in `step`: a rectangular current pulse, I = amplitude for onset <= t < offset, else 0.
/// Defaults: the course seed's HH step exercise (7 uA/cm^2 on [20, 70) ms).

#include "window.hpp"

#include "soma/plugin.hpp"

#include <algorithm>

namespace soma::stimuli {
namespace {

std::vector<ParameterSpec> step_schema() {
    auto specs = window_schema(20.0, 70.0, "pulse");
    specs.insert(specs.begin(), {"amplitude", std::string(model_current_unit), 7.0, Range::any(), "current during the pulse"});
    return specs;
}

class Step final : public Stimulus {
public:
    Step() : Stimulus(step_schema()) { init_defaults(); }

    void prepare(double dt) override { window_ = to_steps(onset_, offset_, dt); }

    void current(std::size_t i, double /*t*/, std::span<double> out) const override {
        std::ranges::fill(out, window_.contains(i) ? amplitude_ : 0.0);
    }

    std::vector<std::size_t> breakpoints() const override { return {window_.on, window_.off}; }

private:
    void check(const ParameterValues& p) const override { check_window(p); }
    void apply(const ParameterValues& p) override {
        amplitude_ = p["amplitude"];
        onset_ = p["onset"];
        offset_ = p["offset"];
    }

    double amplitude_ = 0, onset_ = 0, offset_ = 0;
    StepWindow window_;
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Step, "step", "2.0.0",
            "step current: amplitude on [onset, offset), 0 elsewhere")
