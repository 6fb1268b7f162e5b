/// @file pulse_train.cpp
/// Plug-in `pulse_train`: `count` rectangular current pulses of `width` ms every `period` ms from `onset`,
/// on a constant `baseline`:
///   I(t) = baseline + amplitude   if onset + k period <= t < onset + k period + width for some k = 0 .. count-1,
///   I(t) = baseline               otherwise (before the onset, between the pulses and after the train).
/// The period is given rather than a frequency because every change time must lie on the dt grid, which a
/// period in ms states exactly; a frequency f in Hz is the period 1000 / f ms (40 Hz: period = 25). count = 0
/// means pulses until the end of the run.
///
/// The current is that of a NEST step_current_generator whose amplitude_times are the pulses' starts and
/// ends and whose amplitude_values alternate between amplitude and 0 (NEST Simulator documentation,
/// "step_current_generator"), or of a train of NEURON IClamp point processes with del = onset + k period,
/// dur = width and amp = amplitude (NEURON documentation, "IClamp"); onset, period and count play the roles
/// of NEURON's NetStim start, interval and number (netstim.mod).
///
/// Defaults: five 1 ms pulses of 20 uA/cm^2 at 50 Hz from 10 ms, a train that the default `hh` model
/// follows with one spike per pulse within the default 100 ms run.
///
/// Grid: onset, width and period must be whole multiples of dt (1e-9 relative, as window.hpp), so that
/// every change time onset + k period and onset + k period + width is on the grid too (a relative error of at
/// most 1e-9 in the period is at most 1e-9 relative in k period). `prepare` turns them into step indices, and
/// `current` finds the pulse of step i with integer arithmetic only, so a long run does not drift.
/// Errors (ParameterError): from the parameter check, a count that is not a whole number and a width not
/// shorter than the period (pulses would overlap); from `prepare`, onset, width or period off the grid or a
/// width or period shorter than one step, naming the parameter, its value, the cell and a value on the grid.
/// Breakpoints: the first step of every pulse and the first step after it, within the run.

#include "grid_steps.hpp"

#include "soma/plugin.hpp"
#include "soma/stimulus.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace soma::stimuli {
namespace {

enum Parameter : std::size_t { amplitude, width, period, count, onset, baseline };
/// Derived per cell, as whole numbers of steps: the first step of the first pulse, the steps of a period and
/// of a pulse, the pulses that start within the run, and the run's number of steps. Steps beyond the run are
/// capped at n_steps + 1, which changes no current inside the run and keeps every value a small integer.
enum Derived : std::size_t { on_step, period_steps, width_steps, n_pulses, end_step };

constexpr std::string_view name = "pulse_train";

class PulseTrain final : public Stimulus {
public:
    PulseTrain()
        : Stimulus({
              {"amplitude", std::string(model_current_unit), 20.0, Range::any(), "current added to the baseline during each pulse"},
              {"width", "ms", 1.0, Range::positive(), "duration of each pulse; shorter than the period"},
              {"period", "ms", 20.0, Range::positive(), "time from the start of one pulse to the next (1000 / frequency in Hz)"},
              {"count", "1", 5.0, Range::at_least(0), "number of pulses, a whole number; 0: pulses until the end of the run"},
              {"onset", "ms", 10.0, Range::at_least(0), "start of the first pulse"},
              {"baseline", std::string(model_current_unit), 0.0, Range::any(), "current outside the pulses, for the whole run"},
          }) {
        init_defaults();
    }

    std::span<const Variable> derived_variables() const override { return derived_; }

    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override {
        const double dt = grid.dt;
        const auto n_steps = static_cast<double>(grid.n_steps);
        for (std::size_t c = 0; c < cells.count(); ++c) {
            const auto p = [&](Parameter k) { return cells.parameters.at(k, c); };
            const std::string where = cell_label(cells.count(), first_cell, c);
            const double on = grid_steps(name, "onset", where, p(onset), dt);
            const double w = grid_steps(name, "width", where, p(width), dt, 1);
            const double per = grid_steps(name, "period", where, p(period), dt, 1);
            if (w >= per) {
                throw ParameterError(fmt::format("stimulus '{}': width = {} ms and period = {} ms{} fall on {} and {} "
                                                 "steps of dt = {} ms, so the pulses would overlap; make the width at "
                                                 "least one step shorter than the period, e.g. width = {} ms",
                                                 name, p(width), p(period), where, w, per, dt,
                                                 fmt::format("{:.12g}", (per - 1) * dt)));
            }
            // Pulses that start within the run: those with on + k per < n_steps, k = 0, 1, ...
            double in_run = 0;
            if (on < n_steps) {
                const auto left = static_cast<std::uint64_t>(n_steps - on);
                const auto step = static_cast<std::uint64_t>(std::min(per, n_steps));
                in_run = static_cast<double>((left + step - 1) / step);
            }
            const double wanted = p(count);
            cells.derived.at(on_step, c) = std::min(on, n_steps);
            cells.derived.at(period_steps, c) = std::min(per, n_steps + 1);
            cells.derived.at(width_steps, c) = std::min(w, n_steps + 1);
            cells.derived.at(n_pulses, c) = wanted == 0 ? in_run : std::min(wanted, in_run);
            cells.derived.at(end_step, c) = n_steps;
        }
    }

    void current(std::size_t i, double /*t*/, const StimulusCells& cells, std::span<double> out) const override {
        const auto a = cells.parameters.var(amplitude), base = cells.parameters.var(baseline);
        const auto on = cells.derived.var(on_step), per = cells.derived.var(period_steps);
        const auto w = cells.derived.var(width_steps), n = cells.derived.var(n_pulses);
        const auto step = static_cast<std::uint64_t>(i);
        for (std::size_t c = 0; c < out.size(); ++c) {
            const auto first = static_cast<std::uint64_t>(on[c]), steps = static_cast<std::uint64_t>(per[c]);
            const std::uint64_t since = step >= first ? step - first : 0;
            const bool pulse = step >= first && since / steps < static_cast<std::uint64_t>(n[c]) &&
                               since % steps < static_cast<std::uint64_t>(w[c]);
            out[c] = pulse ? base[c] + a[c] : base[c];
        }
    }

    std::vector<std::size_t> breakpoints(const StimulusCells& cell) const override {
        const auto value = [&](Derived k) { return static_cast<std::size_t>(cell.derived.at(k, 0)); };
        const std::size_t on = value(on_step), per = value(period_steps), w = value(width_steps);
        const std::size_t n = value(n_pulses), end = value(end_step);
        std::vector<std::size_t> steps;
        steps.reserve(2 * n);
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t start = on + k * per;  // < end, as the pulse starts within the run
            steps.push_back(start);
            if (start + w < end) steps.push_back(start + w);
        }
        return steps;
    }

private:
    void check(const ParameterValues& p) const override {
        const double n = p["count"];
        if (n != std::floor(n)) {
            throw ParameterError(fmt::format("count = {} is not a whole number of pulses; use {} or {} (or 0 for "
                                             "pulses until the end of the run)",
                                             n, std::floor(n), std::ceil(n)));
        }
        if (p["width"] >= p["period"]) {
            throw ParameterError(fmt::format("width = {} ms must be shorter than period = {} ms, or the pulses would "
                                             "overlap; shorten the width or lengthen the period",
                                             p["width"], p["period"]));
        }
    }

    const std::array<Variable, 5> derived_{{
        {"on_step", "1", "step index of the start of the first pulse"},
        {"period_steps", "1", "steps from one pulse's start to the next"},
        {"width_steps", "1", "steps of a pulse"},
        {"n_pulses", "1", "pulses that start within the run"},
        {"end_step", "1", "number of steps of the run"},
    }};
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::PulseTrain, "pulse_train", "1.0.0",
            "rectangular current pulses: baseline + amplitude for width ms every period ms from onset, count times")
