/// @file steps.cpp
/// Plug-in `steps`: a piecewise-constant current that changes at up to eight given times,
///   I(t) = 0     for t < t1,
///   I(t) = I_k   for t_k <= t < t_{k+1}, k = 1 .. n - 1,
///   I(t) = I_n   for t >= t_n (to the end of the run),
/// as NEST's step_current_generator with amplitude_times {t1 .. tn} and amplitude_values {I1 .. In} (NEST
/// Simulator documentation, "step_current_generator"). Parameters are numbers, not lists, so the times and
/// currents are slots t1, I1, ..., t8, I8, of which the first `n` are used (the others are ignored). Each
/// may differ between cells, as every stimulus parameter, n included.
///
/// Defaults: n = 2, 7 uA/cm^2 from t1 = 20 ms and 0 from t2 = 70 ms, the `step` stimulus's default pulse
/// (the course seed's HH step exercise).
///
/// Grid: the used times must be whole multiples of dt (1e-9 relative, as window.hpp); `prepare` turns them
/// into step indices and `current` compares the step index with them, so the current never drifts.
/// Errors (ParameterError): from the parameter check, an n that is not a whole number and used times that
/// do not increase strictly, naming both slots; from `prepare`, a used time off the grid or two used times on
/// the same step, naming the slot, its value, the cell and a time on the grid.
/// Breakpoints: the step of each used time within the run.

#include "grid_steps.hpp"

#include "soma/plugin.hpp"
#include "soma/stimulus.hpp"

#include <algorithm>
#include <cmath>

namespace soma::stimuli {
namespace {

constexpr std::size_t max_slots = 8;
constexpr std::string_view name = "steps";

/// Schema order: n, then the slots t1, I1, t2, I2, ...
constexpr std::size_t n_used = 0;
constexpr std::size_t time_of(std::size_t k) { return 1 + 2 * k; }  // slot k = 0 .. max_slots - 1
constexpr std::size_t current_of(std::size_t k) { return 2 + 2 * k; }

std::vector<ParameterSpec> steps_schema() {
    std::vector<ParameterSpec> specs{
        {"n", "1", 2.0, Range::closed(1, max_slots), fmt::format("number of slots used, a whole number 1 to {}", max_slots)}};
    for (std::size_t k = 0; k < max_slots; ++k) {
        const double t = k == 0 ? 20.0 : k == 1 ? 70.0 : 0.0, current = k == 0 ? 7.0 : 0.0;
        specs.push_back({fmt::format("t{}", k + 1), "ms", t, Range::at_least(0),
                         k == 0 ? std::string("time of the first step (current I1 from then on)")
                                : fmt::format("time of step {} (current I{} from then on); used if n >= {}", k + 1, k + 1, k + 1)});
        specs.push_back({fmt::format("I{}", k + 1), std::string(model_current_unit), current, Range::any(),
                         fmt::format("current from t{} until the next time (or the end of the run)", k + 1)});
    }
    return specs;
}

/// Derived per cell: the step index of each slot's time, capped at the run's number of steps (an unused slot
/// gets that cap: no step of the run reaches it); then that number of steps.
constexpr std::size_t end_step = max_slots;

class Steps final : public Stimulus {
public:
    Steps() : Stimulus(steps_schema()) { init_defaults(); }

    std::span<const Variable> derived_variables() const override { return derived_; }

    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override {
        const double dt = grid.dt;
        const auto n_steps = static_cast<double>(grid.n_steps);
        for (std::size_t c = 0; c < cells.count(); ++c) {
            const std::string where = cell_label(cells.count(), first_cell, c);
            const auto used = std::min(max_slots, static_cast<std::size_t>(cells.parameters.at(n_used, c)));
            double previous = -1;
            for (std::size_t k = 0; k < max_slots; ++k) {
                if (k >= used) {
                    cells.derived.at(k, c) = n_steps;
                    continue;
                }
                const double t = cells.parameters.at(time_of(k), c);
                const double s = grid_steps(name, fmt::format("t{}", k + 1), where, t, dt);
                if (s <= previous) {
                    const double t_before = cells.parameters.at(time_of(k - 1), c);
                    throw ParameterError(fmt::format("stimulus '{}': t{} = {} ms and t{} = {} ms{} fall on the same or "
                                                     "an earlier step of dt = {} ms; the times must increase by at least "
                                                     "one step, e.g. t{} = {} ms",
                                                     name, k, t_before, k + 1, t, where, dt, k + 1,
                                                     fmt::format("{:.12g}", (previous + 1) * dt)));
                }
                previous = s;
                cells.derived.at(k, c) = std::min(s, n_steps);
            }
            cells.derived.at(end_step, c) = n_steps;
        }
    }

    void current(std::size_t i, double /*t*/, const StimulusCells& cells, std::span<double> out) const override {
        // The times increase, so the last slot whose step has come holds the current; unused slots never come.
        const auto step = static_cast<double>(i);  // exact: step indices are whole numbers below 2^53
        std::ranges::fill(out, 0.0);
        for (std::size_t k = 0; k < max_slots; ++k) {
            const auto from = cells.derived.var(k);
            const auto value = cells.parameters.var(current_of(k));
            for (std::size_t c = 0; c < out.size(); ++c) out[c] = step >= from[c] ? value[c] : out[c];
        }
    }

    std::vector<std::size_t> breakpoints(const StimulusCells& cell) const override {
        const double end = cell.derived.at(end_step, 0);
        std::vector<std::size_t> steps;
        for (std::size_t k = 0; k < max_slots; ++k) {
            const double s = cell.derived.at(k, 0);
            if (s < end) steps.push_back(static_cast<std::size_t>(s));
        }
        return steps;
    }

private:
    void check(const ParameterValues& p) const override {
        const double n = p["n"];
        if (n != std::floor(n)) {
            throw ParameterError(fmt::format("n = {} is not a whole number of slots; use {} or {}", n, std::floor(n),
                                             std::ceil(n)));
        }
        const auto values = p.values();
        for (std::size_t k = 1; k < static_cast<std::size_t>(n); ++k) {
            const double before = values[time_of(k - 1)], t = values[time_of(k)];
            if (t <= before) {
                throw ParameterError(fmt::format("t{} = {} ms must be after t{} = {} ms: the times of the steps "
                                                 "increase strictly (slots 1 to n = {} are used)",
                                                 k + 1, t, k, before, n));
            }
        }
    }

    const std::vector<Variable> derived_ = [] {
        std::vector<Variable> d;
        for (std::size_t k = 0; k < max_slots; ++k) {
            d.push_back({fmt::format("step_{}", k + 1), "1", fmt::format("step index of t{} (n_steps if unused)", k + 1)});
        }
        d.push_back({"end_step", "1", "number of steps of the run"});
        return d;
    }();
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Steps, "steps", "1.0.0",
            "piecewise-constant current: 0 before t1, I_k from t_k, for n <= 8 slots (NEST's step_current_generator)")
