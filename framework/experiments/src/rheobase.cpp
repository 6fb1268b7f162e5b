#include "soma/experiments/rheobase.hpp"

#include "soma/error.hpp"
#include "soma/readable_number.hpp"
#include "soma/model_from_file.hpp"
#include "soma/registry.hpp"
#include "soma/stimulus_sum.hpp"
#include "soma/output_file.hpp"
#include "soma/parameter.hpp"
#include "soma/run_metadata.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <cmath>

namespace soma::experiments {

namespace {

constexpr std::size_t max_batch = 1000;
constexpr std::size_t max_listed = 5;  // cells named in a message

/// The cells `cells` (population indices) as a short list for a message.
std::string cell_list(const std::vector<std::size_t>& cells) {
    std::vector<std::size_t> shown(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(std::min(cells.size(), max_listed)));
    return fmt::format("{} {}{}", cells.size() == 1 ? "cell" : "cells", fmt::join(shown, ", "),
                       cells.size() > max_listed ? fmt::format(" and {} more", cells.size() - max_listed) : "");
}

/// The run of `trials[i]` = (cell of the population, amplitude): each trial is one cell with the
/// population cell's parameter values and the amplitude; returns each trial's firing.
std::vector<bool> run_trials(const PluginRegistry& registry, const RheobaseSpec& spec, const RunInfo& cells,
                             const std::vector<std::pair<std::size_t, double>>& trials, double stimulus_end,
                             const RunControl& control, std::size_t round) {
    RunSpec run = spec.run;
    run.recorders.clear();
    run.cells_from.reset();
    for (ComponentSpec* c : {&run.model, &run.stimulus}) {
        c->parameters.clear();
        c->cell_values.clear();
    }
    // Every value of the cells explicitly: the shared ones as constants, the per-cell ones repeated for
    // each of a cell's trials (random draws are those of the population's cell, not redrawn).
    for (const auto& p : cells.parameters) {
        if (p.component != "model" && p.component != "stimulus") continue;
        (p.component == "model" ? run.model : run.stimulus).cell_values[p.name] = CellValues::constant(p.value);
    }
    for (const auto& p : cells.cell_parameters) {
        std::vector<double> values;
        values.reserve(trials.size());
        for (const auto& [cell, amplitude] : trials) values.push_back(p.values[cell]);
        (p.component == "model" ? run.model : run.stimulus).cell_values[p.name] =
            CellValues::list(std::move(values), p.given_as);
    }
    std::vector<double> amplitudes;
    amplitudes.reserve(trials.size());
    for (const auto& t : trials) amplitudes.push_back(t.second);
    run.stimulus.cell_values[spec.parameter] = CellValues::list(std::move(amplitudes), "the rheobase search");
    run.settings.n_cells = trials.size();
    run.record.variables = {"spikes"};
    run.record.cells.reset();
    if (control.round) control.round(round);
    Simulation simulation = build_simulation(registry, run);
    if (control.interrupt != nullptr) simulation.interrupt_on(*control.interrupt);
    if (control.progress) simulation.on_progress(control.progress);
    const RunSummary summary = simulation.run();  // on every rank, under MPI
    std::vector<bool> out(trials.size());
    for (std::size_t i = 0; i < trials.size(); ++i) out[i] = fired(summary.cells[i], spec.firing, stimulus_end);
    return out;
}

}  // namespace

bool fired(const CellSummary& cell, Firing firing, double stimulus_end) {
    if (firing == Firing::single) return cell.n_spikes >= 1;
    return cell.n_spikes >= 2 && stimulus_end - cell.last_spike < 2 * cell.mean_isi();
}

RheobaseResult find_rheobase(const PluginRegistry& registry, const RheobaseSpec& spec, const RunControl& control) {
    if (!std::isfinite(spec.low) || !std::isfinite(spec.high) || spec.low >= spec.high) {
        throw ParameterError(fmt::format("the search interval [--low {:g}, --high {:g}] is not valid: both bounds must be "
                                         "finite numbers with low < high",
                                         spec.low, spec.high));
    }
    const double tolerance = spec.tolerance == 0 ? (spec.high - spec.low) / 1000 : spec.tolerance;
    if (!std::isfinite(tolerance) || tolerance <= 0) {
        throw ParameterError(fmt::format("--tolerance {:g} is not allowed; it must be a finite number > 0", spec.tolerance));
    }
    if (tolerance >= spec.high - spec.low) {
        throw ParameterError(fmt::format("--tolerance {:g} is not smaller than the search interval ([--low {:g}, --high "
                                         "{:g}] is {:g} wide), so the search would stop before its first round; give "
                                         "a smaller tolerance (default: the interval / 1000 = {:g})",
                                         tolerance, spec.low, spec.high, spec.high - spec.low,
                                         (spec.high - spec.low) / 1000));
    }
    if (spec.batch == 0 || spec.batch > max_batch) {
        throw ParameterError(fmt::format("--batch {} is not allowed; give 1 to {} amplitudes per cell and round",
                                         spec.batch, max_batch));
    }
    if (tolerance < 1e-12 * std::max(std::abs(spec.low), std::abs(spec.high))) {
        throw ParameterError(fmt::format("--tolerance {:g} is finer than the search can resolve between {:g} and {:g} "
                                         "(amplitudes are doubles); give at least {:g}",
                                         tolerance, spec.low, spec.high,
                                         1e-12 * std::max(std::abs(spec.low), std::abs(spec.high))));
    }
    // The cells as a run would make them, without simulating them: their per-cell values and metadata.
    RunSpec base = spec.run;
    base.recorders.clear();
    base.distribution.reset();
    base.record.variables = {"spikes"};
    base.record.cells.reset();
    RheobaseResult result;
    {
        const Simulation cells = build_simulation(registry, base);
        result.info = cells.info();
    }
    RunInfo& info = result.info;
    const std::string full = "stimulus." + spec.parameter;
    const auto shared = std::ranges::find_if(info.parameters, [&](const ParameterRecord& p) {
        return p.component == "stimulus" && p.name == spec.parameter;
    });
    if (shared == info.parameters.end()) {
        const bool per_cell = std::ranges::any_of(info.cell_parameters, [&](const CellParameterRecord& p) {
            return p.component == "stimulus" && p.name == spec.parameter;
        });
        if (per_cell) {
            throw ParameterError(fmt::format("{} is given per cell, but it is the parameter the rheobase search varies; "
                                             "leave it out of --set and the table",
                                             full));
        }
        std::vector<std::string> names;
        for (const auto& p : info.parameters) {
            if (p.component == "stimulus") names.push_back(p.name);
        }
        const bool of_model = std::ranges::any_of(info.parameters, [&](const ParameterRecord& p) {
            return p.component == "model" && p.name == spec.parameter;
        });
        throw ParameterError(fmt::format(
            "stimulus '{}': {}{}", info.stimulus, unknown_name_message("parameter", spec.parameter, names),
            of_model ? fmt::format(" ('{}' is a parameter of the model, but the rheobase search varies a current of "
                                   "the stimulus, e.g. its amplitude; to vary model.{}, sweep it)",
                                   spec.parameter, spec.parameter)
                     : std::string()));
    }
    result.unit = shared->unit;
    if (result.unit != info.current.unit) {
        throw ParameterError(fmt::format("stimulus.{} is in {}, not a current ({}): the rheobase search varies a current, "
                                         "e.g. --parameter amplitude",
                                         spec.parameter, result.unit.empty() ? "no unit" : result.unit, info.current.unit));
    }
    result.info.parameters.erase(shared);  // its value is the search's, not the given one
    result.tolerance = tolerance;
    {
        // Every round runs batch trials of every cell at once: refuse what cannot fit before the first.
        const auto model = create_model(registry, spec.run.model.name);
        const auto stimulus = make_stimulus(registry, spec.run.stimulus.name);
        const auto integrator = registry.create<Integrator>(PluginKind::integrator, spec.run.integrator.name);
        const std::size_t trials_per_round = info.n_cells * std::max<std::size_t>(2, spec.batch);
        try {
            check_population_memory(trials_per_round, *model, *stimulus, *integrator);
        } catch (const ParameterError& e) {
            throw ParameterError(fmt::format("the rheobase search runs {} cells x {} amplitudes at once: {} (or give a "
                                             "smaller --batch)",
                                             info.n_cells, std::max<std::size_t>(2, spec.batch), e.what()));
        }
    }
    const double stimulus_end = default_window(info).to;
    const std::size_t n = info.n_cells;

    // Round 0: both bounds for every cell.
    std::vector<std::pair<std::size_t, double>> trials;
    for (std::size_t c = 0; c < n; ++c) {
        trials.emplace_back(c, spec.low);
        trials.emplace_back(c, spec.high);
    }
    auto fires = [&] {
        try {
            return run_trials(registry, spec, info, trials, stimulus_end, control, 0);
        } catch (const CellError& e) {
            if (e.cell() % 2 == 0) throw;
            // A trial at the upper bound: the amplitude, not the time step, is what to change.
            throw CellError(fmt::format("at the upper bound --high {} {}: {} If the amplitude is what drove it there, give "
                                        "a smaller --high (an amplitude at which every cell fires)",
                                        readable(spec.high), result.unit, e.what()),
                            e.cell());
        }
    }();
    ++result.rounds;
    result.cell_runs += trials.size();
    std::vector<std::size_t> at_low, not_at_high;
    for (std::size_t c = 0; c < n; ++c) {
        if (fires[2 * c]) at_low.push_back(c);
        if (!fires[2 * c + 1]) not_at_high.push_back(c);
    }
    if (!at_low.empty()) {
        throw ParameterError(fmt::format("{} already {} at the lower bound {} = {:g} {}; give a lower --low (or the "
                                         "cell fires without input)",
                                         cell_list(at_low),
                                         spec.firing == Firing::single ? (at_low.size() == 1 ? "fires" : "fire")
                                                                       : (at_low.size() == 1 ? "fires until the end"
                                                                                             : "fire until the end"),
                                         full, spec.low, result.unit));
    }
    // A cell whose stimulus starts at or after the end of the run fires at no amplitude: say that, not --high.
    const auto onset_of = [&](std::size_t c) -> std::optional<double> {
        for (const auto& p : info.cell_parameters) {
            if (p.component == "stimulus" && p.name == "onset") return p.values[c];
        }
        for (const auto& p : info.parameters) {
            if (p.component == "stimulus" && p.name == "onset") return p.value;
        }
        return std::nullopt;
    };
    std::vector<std::size_t> unstimulated;
    for (const std::size_t c : not_at_high) {
        if (const auto onset = onset_of(c); onset && *onset >= info.t_stop) unstimulated.push_back(c);
    }
    if (!unstimulated.empty()) {
        throw ParameterError(fmt::format("{}: the stimulus starts at or after the end of the run ({} ms), so no "
                                         "amplitude makes {} fire; lengthen the run (--t-stop) or start the stimulus "
                                         "earlier (its onset)",
                                         cell_list(unstimulated), readable(info.t_stop),
                                         unstimulated.size() == 1 ? "it" : "them"));
    }
    if (!not_at_high.empty()) {
        throw ParameterError(fmt::format("{} {} not {} at the upper bound {} = {:g} {}; give a larger --high, e.g. "
                                         "--high {:g}{}; if the cell fires at lower amplitudes, it may be in depolarization block at this one: "
                                         "then give a smaller --high",
                                         cell_list(not_at_high), not_at_high.size() == 1 ? "does" : "do",
                                         spec.firing == Firing::single ? "fire" : "fire until the end of the stimulus",
                                         full, spec.high, result.unit, spec.high + 2 * (spec.high - spec.low),
                                         spec.firing == Firing::sustained ? " (or a longer stimulus)" : ""));
    }
    result.cells.assign(n, CellRheobase{spec.high, spec.low});
    std::vector<bool> resolved(n, false);
    const std::size_t k = spec.batch;
    while (true) {
        trials.clear();
        std::vector<std::size_t> active;
        for (std::size_t c = 0; c < n; ++c) {
            const auto& r = result.cells[c];
            if (r.rheobase - r.below <= tolerance || resolved[c]) continue;
            active.push_back(c);
            for (std::size_t j = 1; j <= k; ++j) {
                trials.emplace_back(c, r.below + (r.rheobase - r.below) * static_cast<double>(j) / static_cast<double>(k + 1));
            }
        }
        if (active.empty()) break;
        fires = run_trials(registry, spec, info, trials, stimulus_end, control, result.rounds);
        ++result.rounds;
        result.cell_runs += trials.size();
        for (std::size_t a = 0; a < active.size(); ++a) {
            CellRheobase& r = result.cells[active[a]];
            const CellRheobase before = r;
            for (std::size_t j = 0; j < k; ++j) {
                const double amplitude = trials[a * k + j].second;
                if (fires[a * k + j]) {
                    r.rheobase = amplitude;  // the first that fires bounds the interval from above
                    break;
                }
                r.below = amplitude;
            }
            // At the resolution of doubles the trial amplitudes fall on the ends: the interval cannot narrow.
            if (r.rheobase == before.rheobase && r.below == before.below) resolved[active[a]] = true;
        }
    }
    return result;
}

std::filesystem::path write_rheobase(const RheobaseResult& result, const RheobaseSpec& spec,
                                     const std::filesystem::path& dir, const std::string& name) {
    OutputFile table(dir / (name + "_rheobase.csv"));
    const std::string unit = result.unit.empty() || result.unit == "1" ? "" : fmt::format(" ({})", result.unit);
    std::string header = metadata_comments(result.info);
    header += fmt::format("# rheobase of stimulus.{}: {}; searched in [{:g}, {:g}]{} by bisection in batches of {} "
                          "amplitudes per cell, to a tolerance of {:g}{}, in {} population runs of {} cells in all\n",
                          spec.parameter,
                          spec.firing == Firing::single
                              ? "the smallest amplitude with at least one spike (single-spike threshold)"
                              : "the smallest amplitude with sustained firing (at least two spikes, the last less than "
                                "two mean ISIs before the stimulus ends)",
                          spec.low, spec.high, unit, spec.batch, result.tolerance, unit, result.rounds, result.cell_runs);
    header += "# rheobase: the smallest amplitude found to fire; below: the largest found not to fire\n";
    std::vector<std::string> columns{"cell"};
    for (const auto& p : result.info.cell_parameters) {
        columns.push_back(p.unit.empty() || p.unit == "1" ? p.component + "." + p.name
                                                          : fmt::format("{}.{} ({})", p.component, p.name, p.unit));
    }
    columns.push_back("rheobase" + unit);
    columns.push_back("below" + unit);
    table.print("{}{}\n", header, fmt::join(columns, ","));
    fmt::memory_buffer row;
    for (std::size_t c = 0; c < result.cells.size(); ++c) {
        fmt::format_to(std::back_inserter(row), "{}", c);
        for (const auto& p : result.info.cell_parameters) {
            row.push_back(',');
            append_number(row, p.values[c]);
        }
        row.push_back(',');
        append_number(row, result.cells[c].rheobase);
        row.push_back(',');
        append_number(row, result.cells[c].below);
        row.push_back('\n');
    }
    table.write({row.data(), row.size()});
    table.commit();
    return table.final_path();
}

}  // namespace soma::experiments
