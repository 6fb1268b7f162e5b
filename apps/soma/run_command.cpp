/// @file run_command.cpp
/// `soma run`: one simulation of a population, its per-cell lines on the terminal and the recorders'
/// files.

#include "report.hpp"
#include "commands.hpp"
#include "scenario.hpp"
#include "session.hpp"
#include "summary_json.hpp"

#include "soma/distribution.hpp"
#include "soma/error.hpp"
#include "soma/readable_number.hpp"
#include "soma/run_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>

namespace soma::app {
namespace {

/// Column texts of one row of the per-cell table, right-aligned to `widths` (widened as needed).
void print_row(const std::vector<std::string>& row, const std::vector<std::size_t>& widths) {
    std::string line = " ";
    for (std::size_t k = 0; k < row.size(); ++k) line += fmt::format(" {:>{}}", row[k], widths[k]);
    say("{}\n", line);
}

/// Under the run's line: for one cell its spikes as always; for up to `max_cell_lines` cells one line
/// per cell (its per-cell parameter values and spike statistics); for more, the totals.
void print_cells(const Simulation& simulation, const RunSpec& spec, const RunSummary& summary) {
    constexpr std::size_t max_cell_lines = 20;
    const RunInfo& info = simulation.info();
    const std::size_t n = summary.cells.size();
    if (n == 1) {
        for (const auto& p : info.cell_parameters) {  // only values drawn at random vary in a single cell
            say("  {}.{} = {:.6g} {} ({}, seed {})\n", p.component, p.name, p.values.front(), p.unit, p.given_as,
                       info.seed);
        }
        if (summary.n_spikes == 0) say("  no spikes\n");
        else say("  {} spike(s), first at t = {:.6g} ms\n", summary.n_spikes, summary.cells.front().first_spike);
        return;
    }
    if (n <= max_cell_lines) {
        std::vector<std::vector<std::string>> rows{{"cell"}};
        for (const auto& p : info.cell_parameters) {
            rows[0].push_back(fmt::format("{}.{} ({})", p.component, p.name, p.unit));
        }
        for (const char* h : {"spikes", "rate (Hz)", "first spike (ms)"}) rows[0].emplace_back(h);
        for (std::size_t c = 0; c < n; ++c) {
            const CellSummary& cell = summary.cells[c];
            std::vector<std::string> row{std::to_string(c)};
            for (const auto& p : info.cell_parameters) row.push_back(fmt::format("{:.6g}", p.values[c]));
            row.push_back(std::to_string(cell.n_spikes));
            row.push_back(fmt::format("{:.6g}", cell.rate(info.t_stop)));
            row.push_back(cell.n_spikes == 0 ? "-" : fmt::format("{:.6g}", cell.first_spike));
            rows.push_back(std::move(row));
        }
        std::vector<std::size_t> widths(rows.front().size(), 0);
        for (const auto& row : rows) {
            for (std::size_t k = 0; k < row.size(); ++k) widths[k] = std::max(widths[k], row[k].size());
        }
        for (const auto& row : rows) print_row(row, widths);
        return;
    }
    const auto fired = std::ranges::count_if(summary.cells, [](const CellSummary& c) { return c.n_spikes > 0; });
    say("  {} cells, {} spike(s), mean rate {:.6g} Hz, {} cell(s) fired\n", n, summary.n_spikes,
               1000.0 * static_cast<double>(summary.n_spikes) / (static_cast<double>(n) * info.t_stop), fired);
    const std::string table = spec.name + "_cells.csv";
    if (std::ranges::none_of(spec.recorders, [](const ComponentSpec& r) { return r.name == "csv"; })) {
        say("  (the csv recorder writes each cell's parameters, spikes and rate to {}: add --recorder csv)\n",
                   table);
        return;
    }
    for (const auto& r : simulation.recorders()) {
        for (const auto& path : r->outputs()) {
            if (path.filename() == table) say("  each cell's parameters, spikes and rate: {}\n", path.string());
        }
    }
}

/// Fewest grid steps per inter-spike interval below which a fixed grid cannot resolve a spike, its reset
/// and the approach to the next (an Euler LIF at dt = tau_m fires at every step).
constexpr double min_steps_per_isi = 5;

/// A note when cells fired with a mean inter-spike interval under min_steps_per_isi steps of `dt`: their
/// spike trains are the grid's, not the model's. "" otherwise.
std::string coarse_step_note(const RunSummary& summary, double dt) {
    std::size_t coarse = 0, first = 0;
    for (std::size_t c = 0; c < summary.cells.size(); ++c) {
        const auto& cell = summary.cells[c];
        if (cell.n_spikes >= 2 && cell.mean_isi() < min_steps_per_isi * dt) {
            if (coarse++ == 0) first = c;
        }
    }
    if (coarse == 0) return {};
    const double isi = summary.cells[first].mean_isi();
    return fmt::format("{} fired on average every {} ms, fewer than {} steps of dt = {} ms: too few to resolve a "
                       "spike and what follows it, so the spike times are the time grid's more than the model's; "
                       "rerun with a smaller --dt (e.g. {}) and compare",
                       coarse == 1 ? fmt::format("cell {}", first) : fmt::format("{} cells (the first: cell {})", coarse, first),
                       readable(isi, 4), min_steps_per_isi, readable(dt), readable(dt / 10));
}

}  // namespace

int run_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                const std::shared_ptr<Distribution>& distribution) {
    const auto options = common_options("");
    auto parsed = parse_run_arguments(args, "run", options);
    if (!parsed) {
        std::cout << run_help(options);
        return 0;
    }
    check_plugins(registry, *parsed);  // a rejected file may be the user's own build of a plug-in this run uses
    use_suggested_drive(registry, *parsed);
    use_stimulus_duration(registry, *parsed);
    note_preset_for_initial_value(registry, *parsed);
    RunSpec spec = parsed->spec;
    spec.distribution = distribution;  // under mpirun: this rank's share of the cells
    const bool root = !distribution || distribution->rank() == 0;  // rank 0 writes
    const Reporting report = reporting(*parsed);
    // The JSON summary's per-cell objects (nlohmann::json, five values each), and its text: about 1 KiB a
    // cell (measured: 100 000 cells took 75 MB more than with --summary none).
    if (report.summary && !spec.recorders.empty()) spec.caller_bytes_per_cell = 1024;

    // Wire everything before anything is written, so that bad input leaves no file.
    Simulation simulation = build_simulation(registry, spec);
    const RunInfo& info = simulation.info();
    print_notes(parsed->notes);
    if (spec.recorders.empty() && parsed->extra.contains("summary") && report.summary && root) {
        std::cerr << "soma: note: --summary json writes nothing here: --recorder none writes no file, the summary "
                     "included; give a recorder (e.g. --recorder csv) to keep the run's files and summary\n";
    }
    if (!simulation.grid().note.empty()) std::cerr << "soma: note: " << simulation.grid().note << '\n';
    if (!spec.recorders.empty() && !info.recording.note.empty()) {
        std::cerr << "soma: note: " << info.recording.note << '\n';  // which cells the recorders receive
    }
    if (root) {
        if (const auto note = simulation.output_size_note(); !note.empty()) std::cerr << "soma: note: " << note << '\n';
    }

    auto output = open_outputs(registry, *parsed, spec, "", root && !spec.recorders.empty());
    // Ctrl-C or kill ends the run cleanly: the recorders delete their temporary files.
    simulation.interrupt_on(interrupted);
    if (output) simulation.on_outputs([&](const auto& files) { output->claim(files); });
    const RunSummary summary = run_interruptibly(root ? report.progress : "off", [&](ProgressLine& progress) {
        simulation.on_progress([&](std::size_t done, std::size_t total) {
            progress.update(static_cast<double>(done), static_cast<double>(total), [&] {
                return fmt::format("t = {} of {} ms", readable(static_cast<double>(done) * info.dt, 6), readable(info.t_stop));
            });
        });
        return simulation.run();
    });

    say("{}: {} with {} stimulus and {}, {} ms at dt = {} ms ({} step{}){}\n", spec.name, info.model,
               info.stimulus, info.integrator, readable(info.t_stop), readable(info.dt), summary.n_steps, summary.n_steps == 1 ? "" : "s",
               info.n_cells == 1 ? std::string()
                                 : fmt::format(", {} cells on {} thread{}", info.n_cells, info.threads,
                                               info.threads == 1 ? "" : "s"));
    print_cells(simulation, spec, summary);
    // Only for the fixed-step schemes (those with locate_spikes), whose steps are the grid's: dopri5 and cvode
    // choose their own steps and use the grid for output only.
    const bool fixed_step = std::ranges::any_of(info.parameters, [](const ParameterRecord& p) {
        return p.component == "integrator" && p.name == "locate_spikes";
    });
    if (root && fixed_step) {
        if (const auto note = coarse_step_note(summary, info.dt); !note.empty()) std::cerr << "soma: note: " << note << '\n';
    }
    std::vector<std::filesystem::path> written;
    for (const auto& r : simulation.recorders()) {
        for (const auto& path : r->outputs()) written.push_back(path);
    }
    nlohmann::json json;
    if (output && report.summary) {
        json = summary_json(info, parsed->command_line, distribution ? distribution->size() : 1);
        nlohmann::json cells = nlohmann::json::array();
        for (const auto& c : summary.cells) {
            cells.push_back({{"spikes", c.n_spikes},
                             {"rate_Hz", c.rate(info.t_stop)},
                             {"first_spike_ms", number_or_null(c.n_spikes > 0 ? c.first_spike : std::nan(""))},
                             {"mean_isi_ms", number_or_null(c.mean_isi())},
                             {"cv_isi", number_or_null(c.cv_isi())}});
        }
        json["cells"] = std::move(cells);
        json["spikes"] = summary.n_spikes;
    }
    finish_outputs(std::move(written), std::move(json), output);
    return 0;
}

}  // namespace soma::app
