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

enum Parameter : std::size_t { amplitude, onset, offset };
/// Derived: the window's steps, then the grid step (ms) for the ramp between grid times.
enum Derived : std::size_t { grid_dt = off_step + 1 };

class Ramp final : public Stimulus {
public:
    Ramp() : Stimulus(ramp_schema()) { init_defaults(); }

    std::span<const Variable> derived_variables() const override { return derived_; }

    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override {
        const double dt = grid.dt;
        window_to_steps(cells, onset, offset, dt, first_cell);
        std::ranges::fill(cells.derived.var(grid_dt), dt);
    }

    void current(std::size_t i, double t, const StimulusCells& cells, std::span<double> out) const override {
        const auto a = cells.parameters.var(amplitude);
        const auto on = cells.derived.var(on_step), off = cells.derived.var(off_step), dt = cells.derived.var(grid_dt);
        const auto step = static_cast<double>(i);
        for (std::size_t c = 0; c < out.size(); ++c) {
            // At t = i dt the step count is exactly i - i_on, as in the seed; between steps, t / dt.
            const double steps = t == step * dt[c] ? step - on[c] : t / dt[c] - on[c];
            out[c] = step >= on[c] && step < off[c] ? steps / (off[c] - on[c]) * a[c] : 0.0;
        }
    }

    std::vector<std::size_t> breakpoints(const StimulusCells& cell) const override { return window_breakpoints(cell); }

private:
    void check(const ParameterValues& p) const override { check_window(p); }

    const std::vector<Variable> derived_ = [] {
        auto d = window_derived();
        d.push_back({"dt", "ms", "grid step"});
        return d;
    }();
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Ramp, "ramp", "3.0.0",
            "ramp current: 0 at onset rising linearly to amplitude at offset, 0 after")
