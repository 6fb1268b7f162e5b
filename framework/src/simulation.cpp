#include "soma/simulation.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

namespace soma {

namespace {

void require_finite_positive(std::string_view name, double value) {
    if (!std::isfinite(value) || value <= 0) {
        throw ParameterError(fmt::format("{} = {} ms is not allowed; it must be a finite number > 0 ms", name, value));
    }
}

constexpr double max_steps = 1099511627776.0;  // 2^40: beyond this a run would take days

}  // namespace

Grid resolve_grid(const RunSettings& s) {
    require_finite_positive("dt", s.dt);
    require_finite_positive("t_stop", s.t_stop);
    if (s.t_stop < s.dt) {
        throw ParameterError(fmt::format("t_stop = {} ms is shorter than one step dt = {} ms; make t_stop >= dt",
                                         s.t_stop, s.dt));
    }
    if (s.n_cells == 0) throw ParameterError("n_cells = 0: a run needs at least one cell");
    Grid grid;
    const double steps = s.t_stop / s.dt;
    if (steps > max_steps) {
        throw ParameterError(fmt::format("t_stop / dt = {:.3g} steps is more than the limit of 2^40; increase dt or "
                                         "shorten t_stop",
                                         steps));
    }
    const double rounded = std::round(steps);
    if (std::abs(steps - rounded) <= 1e-9 * rounded) {
        grid.n_steps = static_cast<std::size_t>(rounded);
    } else {
        grid.n_steps = static_cast<std::size_t>(std::ceil(steps));
        grid.note = fmt::format("t_stop = {} ms is not a whole multiple of dt = {} ms; running {} steps, to t = {} ms",
                                s.t_stop, s.dt, grid.n_steps, static_cast<double>(grid.n_steps) * s.dt);
    }
    if (!std::isfinite(s.record_interval) || s.record_interval < 0) {
        throw ParameterError(fmt::format("record_interval = {} ms is not allowed; it must be 0 (every step) or a "
                                         "positive whole multiple of dt = {} ms",
                                         s.record_interval, s.dt));
    }
    if (s.record_interval > 0) {
        const double every = s.record_interval / s.dt;
        const double whole = std::round(every);
        if (whole < 1 || std::abs(every - whole) > 1e-9 * whole) {
            throw ParameterError(fmt::format("record_interval = {} ms is not a whole multiple of dt = {} ms; use e.g. "
                                             "{} ms",
                                             s.record_interval, s.dt, std::max(1.0, whole) * s.dt));
        }
        grid.record_every = static_cast<std::size_t>(whole);
        if (grid.record_every >= grid.n_steps && grid.n_steps > 1) {
            if (!grid.note.empty()) grid.note += "; ";
            grid.note += fmt::format("record_interval = {} ms is not shorter than the run ({} ms): only the state at "
                                     "t = 0 is sampled (spikes are all recorded)",
                                     s.record_interval, static_cast<double>(grid.n_steps) * s.dt);
        }
    }
    return grid;
}

Simulation::Simulation(std::shared_ptr<Model> model, std::shared_ptr<Stimulus> stimulus,
                       std::shared_ptr<Integrator> integrator, std::vector<std::shared_ptr<Recorder>> recorders,
                       RunSettings settings, RunInfo info)
    : model_(std::move(model)),
      stimulus_(std::move(stimulus)),
      integrator_(std::move(integrator)),
      recorders_(std::move(recorders)),
      settings_(settings),
      grid_(resolve_grid(settings)),
      info_(std::move(info)) {
    if (model_->state_variables().empty()) {
        // E.g. the loader object of the `equations` plug-in, created by name instead of through create_model.
        throw PluginError(fmt::format("model '{}' has no state variables and cannot be simulated{}", info_.model,
                                      info_.model == "equations" ? "; give a model file, e.g. examples/models/hh.eq" : ""));
    }
    stimulus_->prepare(settings_.dt);
    try {
        integrator_->prepare(*model_, *stimulus_, settings_.n_cells, settings_.dt);
    } catch (const PluginError& e) {
        throw PluginError(fmt::format("integrator '{}' cannot run model '{}': {}", info_.integrator, info_.model,
                                      e.what()));
    }

    info_.dt = settings_.dt;
    info_.n_steps = grid_.n_steps;
    info_.t_stop = static_cast<double>(grid_.n_steps) * settings_.dt;
    info_.record_every = grid_.record_every;
    info_.n_cells = settings_.n_cells;
    const auto states = model_->state_variables();
    info_.state_variables.assign(states.begin(), states.end());
    info_.current = model_->current();
    info_.threshold = model_->threshold();
    info_.parameters.clear();
    const auto add = [&](std::string_view component, const Component& c) {
        const auto schema = c.schema();
        const auto values = c.values().values();
        for (std::size_t k = 0; k < schema.size(); ++k) {
            info_.parameters.push_back(
                {std::string(component), schema[k].name, values[k], resolve_unit(schema[k].unit, info_.current.unit)});
        }
    };
    add("model", *model_);
    add("stimulus", *stimulus_);
    add("integrator", *integrator_);
    for (std::size_t r = 0; r < recorders_.size(); ++r) {
        add(r < info_.recorders.size() ? info_.recorders[r] : "recorder", *recorders_[r]);
    }
}

RunSummary Simulation::run() {
    const std::size_t n_cells = settings_.n_cells;
    const std::size_t n_vars = info_.state_variables.size();
    const double dt = settings_.dt;
    StateBatch y(n_vars, n_cells);
    StateBatch y_next(n_vars, n_cells);
    std::vector<double> current(n_cells);
    std::vector<Spike> spikes;
    spikes.reserve(n_cells);
    RunSummary summary;
    summary.n_steps = grid_.n_steps;
    std::vector<bool> has_spiked(n_cells, false);

    model_->initialize(y);
    try {
        for (const auto& r : recorders_) r->begin(info_);
        // Fail now, not after the run, if an output cannot take its final name (so that no recorder
        // commits while another cannot).
        for (const auto& r : recorders_) {
            for (const auto& path : r->outputs()) {
                std::error_code ec;
                if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
                    throw RunError(fmt::format("output '{}' exists and is not a regular file (a directory?); "
                                               "remove it or choose another --output or --name",
                                               path.string()));
                }
            }
        }
        std::size_t until_sample = 0;
        for (std::size_t i = 0; i < grid_.n_steps; ++i) {
            const double t = static_cast<double>(i) * dt;
            if (interrupt_ != nullptr && i % 4096 == 0 && interrupt_->load(std::memory_order_relaxed)) {
                throw RunError(fmt::format("interrupted at t = {} ms; no output was written", t));
            }
            if (until_sample == 0) {
                stimulus_->current(i, t, current);
                for (const auto& r : recorders_) r->sample(t, y, current);
                until_sample = grid_.record_every;
            }
            --until_sample;
            spikes.clear();
            integrator_->step(*model_, *stimulus_, i, dt, y, y_next, spikes);

            // One sum per step detects any NaN or infinity in the new state (NaN and inf propagate).
            double sum = 0;
            for (const double x : y_next.data()) sum += x;
            if (!std::isfinite(sum)) {
                for (std::size_t k = 0; k < n_vars; ++k) {
                    for (std::size_t c = 0; c < n_cells; ++c) {
                        const double x = y_next.var(k)[c];
                        if (std::isfinite(x)) continue;
                        throw RunError(fmt::format(
                            "the simulation diverged: state variable '{}' of cell {} became {} at t = {} ms (step "
                            "{}) with integrator '{}' at dt = {} ms. Either the time step is too large for this model and "
                            "stimulus (try e.g. --dt {}), or the model's equations produce a value that is not finite "
                            "there (a square root or logarithm of a negative number, a division by zero). No output "
                            "was written.",
                            info_.state_variables[k].name, c, std::isnan(x) ? "NaN" : "infinite", t + dt, i + 1, info_.integrator, dt, dt / 10));
                    }
                }
            }
            for (const auto& s : spikes) {
                for (const auto& r : recorders_) r->spike(s.cell, s.t);
                ++summary.n_spikes;
                if (!has_spiked[s.cell]) {
                    has_spiked[s.cell] = true;
                    summary.first_spikes.push_back(s);
                }
            }
            y.swap(y_next);
        }
        for (const auto& r : recorders_) r->finish();
        if (interrupt_ != nullptr && interrupt_->load(std::memory_order_relaxed)) {
            throw RunError("interrupted while writing the outputs; no output was written");
        }
        for (const auto& r : recorders_) r->commit();
    } catch (...) {
        for (const auto& r : recorders_) r->abort();  // abort is safe in any state, even before begin
        throw;
    }
    return summary;
}

}  // namespace soma
