/// @file main.cpp
/// The `soma` runner: reads a run from a scenario file and the command line (scenario.hpp), has
/// build_simulation (run_spec.hpp) load and wire the plug-ins, and runs it.
///   soma run [SCENARIO.ini] [options]   run a simulation (see `soma run --help`)
///   soma list                           plug-ins by kind
///   soma describe NAME                  a plug-in's parameters and, for a model, its state variables
/// Wherever a model plug-in is named, the path of a model file (containing '/' or '.', e.g.
/// examples/models/hh.eq) may be given instead; the `equations` plug-in reads it (model_from_file.hpp).
/// Exit status: 0 on success, 1 on an error in the run or its inputs, 2 on a malformed command line.

#include "parallel.hpp"
#include "scenario.hpp"

#include "soma/error.hpp"
#include "soma/model.hpp"
#include "soma/model_from_file.hpp"
#include "soma/registry.hpp"
#include "soma/run_spec.hpp"
#include "soma/version.hpp"

#include <boost/program_options/errors.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <streambuf>

namespace soma::app {
namespace {

constexpr const char* usage =
    "usage: soma <command> [arguments]\n\n"
    "commands:\n"
    "  run [SCENARIO.ini] [options]   run a simulation (default: the course exercises' HH step)\n"
    "  list                           list the plug-ins by kind\n"
    "  describe NAME                  show a plug-in's parameters (unit, default, range) and state variables\n"
    "                                 (NAME may be a model file, e.g. examples/models/hh.eq)\n"
    "  --version                      print Soma's version\n\n"
    "'soma run --help' lists the options of a run. Plug-ins are searched in $SOMA_PLUGIN_PATH, then in\n"
    "Soma's own plug-in directory.\n";

std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_signal(int /*signal*/) { interrupted.store(true, std::memory_order_relaxed); }

constexpr PluginKind all_kinds[] = {PluginKind::model, PluginKind::stimulus, PluginKind::integrator,
                                    PluginKind::recorder};

void warn_rejected(const PluginRegistry& registry) {
    for (const auto& r : registry.rejected()) std::cerr << "soma: warning: " << r.reason << " (skipped)\n";
}

int list_plugins(const PluginRegistry& registry) {
    for (const auto kind : all_kinds) {
        fmt::print("{}:\n", kind == PluginKind::stimulus ? "stimuli" : fmt::format("{}s", to_string(kind)));
        for (const auto& p : registry.plugins(kind)) fmt::print("  {:<16} {}\n", p.name, p.description);
    }
    warn_rejected(registry);
    return 0;
}

/// Parameters, presets and, for a model, state variables and current of `object`.
void print_component(const Component& object) {
    const auto* model = dynamic_cast<const Model*>(&object);
    const std::string current_unit = model ? model->current().unit : std::string(model_current_unit);
    fmt::print("\nparameters:\n");
    if (object.schema().empty()) fmt::print("  (none)\n");
    else fmt::print("  {:<14} {:<16} {:>10}  {:<18} {}\n", "name", "unit", "default", "range", "description");
    for (const auto& s : object.schema()) {
        fmt::print("  {:<14} {:<16} {:>10}  {:<18} {}\n", s.name, resolve_unit(s.unit, current_unit),
                   s.default_value, s.range.to_string(), s.description);
    }
    if (!object.presets().empty()) {
        fmt::print("\npresets (--preset NAME):\n");
        for (const auto& preset : object.presets()) {
            std::vector<std::string> values;
            for (const auto& [key, value] : preset.values) values.push_back(fmt::format("{}={}", key, value));
            fmt::print("  {:<20} {}\n  {:<20} {}\n", preset.name, preset.description, "",
                       fmt::join(values, " "));
        }
    }
    if (dynamic_cast<const ModelFromFile*>(&object) != nullptr) {
        // A loader (the `equations` plug-in): its models are the files it reads.
        fmt::print("\nThis plug-in reads models from files: give the file's path instead of its name, e.g.\n"
                   "'soma describe examples/models/hh.eq' or 'soma run --model examples/models/hh.eq'.\n");
    } else if (model) {
        fmt::print("\nstate variables:\n");
        for (const auto& v : model->state_variables()) fmt::print("  {:<10} {:<16} {}\n", v.name, v.unit, v.description);
        const auto& i = model->current();
        fmt::print("\ninjected current: {} in {} ({})\n", i.name, i.unit, i.description);
    }
}

int describe(const PluginRegistry& registry, const std::string& name) {
    warn_rejected(registry);  // a rejected file may be the user's own build of the plug-in described
    if (is_model_file(name)) {
        // A model file: what the `equations` plug-in reads from it.
        const auto model = create_model(registry, name);
        const auto& p = registry.find(PluginKind::model, model_file_plugin);
        fmt::print("{} (model file, read by the '{}' plug-in, version {})\n  file: {}\n", name, p.name, p.version,
                   std::filesystem::absolute(name).lexically_normal().string());
        print_component(*model);
        return 0;
    }
    bool found = false;
    for (const auto kind : all_kinds) {
        for (const auto& p : registry.plugins(kind)) {
            if (p.name != name) continue;
            found = true;
            const auto object = registry.create(kind, name);
            fmt::print("{} ({} plug-in, version {})\n  {}\n  file: {}\n", p.name, to_string(kind), p.version,
                       p.description, p.file.string());
            print_component(*object);
        }
    }
    if (!found) {
        std::vector<std::string> known;
        for (const auto& p : registry.plugins()) known.push_back(p.name);
        std::vector<std::string> dirs;
        for (const auto& d : registry.search_path()) dirs.push_back(d.string());
        throw PluginError(fmt::format("{} Searched: {}. ('soma list' shows them all.)",
                                      unknown_name_message("plug-in", name, known), fmt::join(dirs, ", ")));
    }
    return 0;
}

/// Column texts of one row of the per-cell table, right-aligned to `widths` (widened as needed).
void print_row(const std::vector<std::string>& row, const std::vector<std::size_t>& widths) {
    std::string line = " ";
    for (std::size_t k = 0; k < row.size(); ++k) line += fmt::format(" {:>{}}", row[k], widths[k]);
    fmt::print("{}\n", line);
}

/// Under the run's line: for one cell its spikes as always; for up to `max_cell_lines` cells one line
/// per cell (its per-cell parameter values and spike statistics); for more, the totals.
void print_cells(const Simulation& simulation, const RunSpec& spec, const RunSummary& summary) {
    constexpr std::size_t max_cell_lines = 20;
    const RunInfo& info = simulation.info();
    const std::size_t n = summary.cells.size();
    if (n == 1) {
        for (const auto& p : info.cell_parameters) {  // only values drawn at random vary in a single cell
            fmt::print("  {}.{} = {:.6g} {} ({}, seed {})\n", p.component, p.name, p.values.front(), p.unit, p.given_as,
                       info.seed);
        }
        if (summary.n_spikes == 0) fmt::print("  no spikes\n");
        else fmt::print("  {} spike(s), first at t = {:.6g} ms\n", summary.n_spikes, summary.cells.front().first_spike);
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
    fmt::print("  {} cells, {} spike(s), mean rate {:.6g} Hz, {} cell(s) fired\n", n, summary.n_spikes,
               1000.0 * static_cast<double>(summary.n_spikes) / (static_cast<double>(n) * info.t_stop), fired);
    const std::string table = spec.name + "_cells.csv";
    if (std::ranges::none_of(spec.recorders, [](const ComponentSpec& r) { return r.name == "csv"; })) {
        fmt::print("  (the csv recorder writes each cell's parameters, spikes and rate to {}: add --recorder csv)\n",
                   table);
        return;
    }
    for (const auto& r : simulation.recorders()) {
        for (const auto& path : r->outputs()) {
            if (path.filename() == table) fmt::print("  each cell's parameters, spikes and rate: {}\n", path.string());
        }
    }
}

int run(const PluginRegistry& registry, const std::vector<std::string>& args,
        const std::shared_ptr<Distribution>& distribution) {
    const auto parsed = parse_run_arguments(args);
    if (!parsed) {
        std::cout << run_help();
        return 0;
    }
    warn_rejected(registry);  // a rejected file may be the user's own build of a plug-in this run uses
    RunSpec spec = parsed->spec;
    spec.distribution = distribution;  // under mpirun: this rank's share of the cells

    // Wire everything before anything is written, so that bad input leaves no file.
    Simulation simulation = build_simulation(registry, spec);
    const RunInfo& info = simulation.info();
    for (const auto& note : parsed->notes) std::cerr << "soma: note: " << note << '\n';
    if (!simulation.grid().note.empty()) std::cerr << "soma: note: " << simulation.grid().note << '\n';
    if (!spec.recorders.empty() && !info.recording.note.empty()) {
        std::cerr << "soma: note: " << info.recording.note << '\n';  // which cells the recorders receive
    }

    bool created_output_dir = false;
    if (!spec.recorders.empty() && (!distribution || distribution->rank() == 0)) {  // rank 0 writes
        std::error_code ec;
        created_output_dir = std::filesystem::create_directories(spec.output_dir, ec);
        if (ec) {
            throw RunError(fmt::format("cannot create output directory '{}': {}", spec.output_dir.string(),
                                       ec.message()));
        }
    }
    // Ctrl-C or kill ends the run cleanly: the recorders delete their temporary files.
    simulation.interrupt_on(interrupted);
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, on_signal);
    RunSummary summary;
    try {
        summary = simulation.run();
    } catch (...) {
        std::error_code ec;
        if (created_output_dir) std::filesystem::remove(spec.output_dir, ec);  // only if still empty
        if (interrupted) throw RunError("interrupted by a signal; no output was written");
        throw;
    }

    fmt::print("{}: {} with {} stimulus and {}, {:.6g} ms at dt = {:.6g} ms ({} step{}){}\n", spec.name, info.model,
               info.stimulus, info.integrator, info.t_stop, info.dt, summary.n_steps, summary.n_steps == 1 ? "" : "s",
               info.n_cells == 1 ? std::string()
                                 : fmt::format(", {} cells on {} thread{}", info.n_cells, info.threads,
                                               info.threads == 1 ? "" : "s"));
    print_cells(simulation, spec, summary);
    for (const auto& r : simulation.recorders()) {
        for (const auto& path : r->outputs()) fmt::print("  wrote {}\n", path.string());
    }
    return 0;
}

int main_impl(const PluginRegistry& registry, const std::vector<std::string>& args, const Parallel& parallel) {
    if (args.empty()) {
        std::cerr << usage;
        return 2;
    }
    const std::string& command = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "--version") {
        fmt::print("soma {} ({})\n", version, Parallel::build_description());
        return 0;
    }
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << usage;
        return 0;
    }
    if (command == "run") return run(registry, rest, parallel.distribution());
    if (command == "list") {
        if (!rest.empty()) {
            std::cerr << "soma: error: 'soma list' takes no arguments; 'soma describe NAME' shows one plug-in\n";
            return 2;
        }
        return list_plugins(registry);
    }
    if (command == "describe") {
        if (rest.size() != 1) {
            std::cerr << "soma: error: 'soma describe' takes one plug-in name, e.g. 'soma describe hh'\n";
            return 2;
        }
        return describe(registry, rest.front());
    }
    const std::vector<std::string> commands{"run", "list", "describe"};
    std::cerr << "soma: error: " << unknown_name_message("command", command, commands) << "\n\n" << usage;
    return 2;
}

/// Under mpirun, ranks other than 0 print nothing: rank 0 prints the run's lines and its errors, which are
/// every rank's (the ranks agree on failures, distribution.hpp). C's stderr stays, for MPI's own messages.
void quiet_output() {
    static struct : std::streambuf {
        int overflow(int c) override { return traits_type::not_eof(c); }
    } discard;
    [[maybe_unused]] const std::FILE* null = std::freopen("/dev/null", "w", stdout);
    std::cout.rdbuf(&discard);
    std::cerr.rdbuf(&discard);
}

}  // namespace
}  // namespace soma::app

int main(int argc, char** argv) {
    // Declared outside the try block: the registry keeps every plug-in library loaded until the
    // handlers below have used (and destroyed) an exception that plug-in code threw; MPI, if started,
    // ends after that.
    std::optional<soma::app::Parallel> parallel;
    std::optional<soma::PluginRegistry> registry;
    try {
        parallel.emplace(argc, argv);
        if (parallel->rank() != 0) soma::app::quiet_output();
        registry.emplace();
        const int status =
            soma::app::main_impl(*registry, std::vector<std::string>(argv + 1, argv + argc), *parallel);
        std::cout.flush();
        if (std::fflush(stdout) != 0 || !std::cout) {
            std::cerr << "soma: error: cannot write to standard output\n";
            return 1;
        }
        return status;
    } catch (const boost::program_options::error& e) {
        std::cerr << "soma: error: " << e.what() << " (see 'soma run --help')\n";
        return 2;
    } catch (const soma::Error& e) {
        std::cerr << "soma: error: " << e.what() << '\n';
        return soma::app::interrupted ? 130 : 1;  // 128 + SIGINT, as shells report an interrupted program
    } catch (const std::exception& e) {
        if (parallel && parallel->rank() != 0) {
            std::fprintf(stderr, "soma: error on rank %zu: %s\n", parallel->rank(), e.what());  // not agreed on
        }
        std::cerr << "soma: error: " << e.what() << '\n';
        return 1;
    }
}
