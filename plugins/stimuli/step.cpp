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

enum Parameter : std::size_t { amplitude, onset, offset };

class Step final : public Stimulus {
public:
    Step() : Stimulus(step_schema()) { init_defaults(); }

    std::span<const Variable> derived_variables() const override { return derived_; }

    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override {
        window_to_steps(cells, onset, offset, grid.dt, first_cell);
    }

    void current(std::size_t i, double /*t*/, const StimulusCells& cells, std::span<double> out) const override {
        const auto a = cells.parameters.var(amplitude);
        const auto on = cells.derived.var(on_step), off = cells.derived.var(off_step);
        const auto step = static_cast<double>(i);
        for (std::size_t c = 0; c < out.size(); ++c) out[c] = step >= on[c] && step < off[c] ? a[c] : 0.0;
    }

    std::vector<std::size_t> breakpoints(const StimulusCells& cell) const override { return window_breakpoints(cell); }

private:
    void check(const ParameterValues& p) const override { check_window(p); }

    const std::vector<Variable> derived_ = window_derived();
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Step, "step", "3.0.0",
            "step current: amplitude on [onset, offset), 0 elsewhere")
