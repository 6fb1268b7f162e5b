/// @file population_driver.cpp
/// Benchmark driver: one run wired as the `soma` runner wires it (a soma::RunSpec given to
/// soma::build_simulation, plug-ins from the build tree's plug-in directory), then
/// Simulation::run(). It prints the spike count in the runner's format and, to stderr, the time spent
/// in Simulation::run alone: the engine without process start-up, plug-in loading and wiring.
///
/// usage: soma_bench_population [--model NAME] [--stimulus NAME] [--integrator NAME] [--set KIND.NAME=VALUE]...
///                              [--cells N] [--t-stop MS] [--dt MS] [--threads K] [--record NAMES]
///                              [--record-cells A:B] [--recorder NAME|none] [--output DIR] [--name STEM]
/// The options mean what they mean for `soma run` (see `soma run --help`), with these limits:
/// --record takes a comma-separated list; --record-cells one range A:B (cells A to B - 1);
/// --recorder one plug-in, or `none` (the default) for no output. Defaults: hh, dc, euler, 1 cell,
/// 100 ms, dt 0.01 ms, 1 thread, spikes only.

#include "bench_options.hpp"

#include "soma/error.hpp"
#include "soma/registry.hpp"
#include "soma/run_spec.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace {

const soma::bench::Options options(
    "soma_bench_population",
    "usage: soma_bench_population [--model NAME] [--stimulus NAME] [--integrator NAME] [--set KIND.NAME=VALUE]...\n"
    "                             [--cells N] [--t-stop MS] [--dt MS] [--threads K] [--record NAMES]\n"
    "                             [--record-cells A:B] [--recorder NAME|none] [--output DIR] [--name STEM]");

soma::ComponentSpec& component(soma::RunSpec& spec, std::string_view kind) {
    if (kind == "model") return spec.model;
    if (kind == "stimulus") return spec.stimulus;
    if (kind == "integrator") return spec.integrator;
    if (kind == "recorder" && spec.recorders.size() == 1) return spec.recorders.front();
    options.error(fmt::format("--set {}.*: give a model, stimulus, integrator or (after --recorder) recorder parameter",
                            kind));
}

}  // namespace

int main(int argc, char** argv) {
    soma::RunSpec spec;
    spec.stimulus.name = "dc";
    spec.recorders.clear();
    spec.settings = soma::RunSettings{100.0, 0.01, 0.0, 1, 1, 0};
    spec.record.variables = {"spikes"};
    std::vector<std::string> sets;
    const bool run = options.parse(argc, argv, [&](std::string_view arg, std::string_view value) {
        if (arg == "--model") spec.model.name = value;
        else if (arg == "--stimulus") spec.stimulus.name = value;
        else if (arg == "--integrator") spec.integrator.name = value;
        else if (arg == "--set") sets.emplace_back(value);
        else if (arg == "--cells") spec.settings.n_cells = options.count(arg, value, 0);
        else if (arg == "--t-stop") spec.settings.t_stop = options.number(arg, value);
        else if (arg == "--dt") spec.settings.dt = options.number(arg, value);
        else if (arg == "--threads") spec.settings.threads = options.count(arg, value, 0);
        else if (arg == "--output") spec.output_dir = value;
        else if (arg == "--name") spec.name = value;
        else if (arg == "--recorder") {
            spec.recorders.clear();
            if (value != "none") spec.recorders.push_back({std::string(value), {}, {}});
        } else if (arg == "--record") {
            spec.record.variables.clear();
            for (std::size_t begin = 0; begin <= value.size();) {
                const std::size_t end = std::min(value.find(',', begin), value.size());
                spec.record.variables.emplace_back(value.substr(begin, end - begin));
                begin = end + 1;
            }
        } else if (arg == "--record-cells") {
            const std::size_t colon = value.find(':');
            if (colon == std::string_view::npos) options.error(fmt::format("--record-cells needs A:B, not '{}'", value));
            const std::size_t first = options.count(arg, value.substr(0, colon), 0);
            const std::size_t last = options.count(arg, value.substr(colon + 1), 0);
            if (last <= first) options.error(fmt::format("--record-cells {}: A:B needs A < B", value));
            spec.record.cells.emplace();
            for (std::size_t c = first; c < last; ++c) spec.record.cells->push_back(c);
        } else {
            options.error(fmt::format("unknown option '{}'", arg));
        }
    });
    if (!run) return 0;
    // After --recorder, so that recorder.* applies to the one given.
    for (const auto& s : sets) {
        const std::size_t dot = s.find('.'), eq = s.find('=');
        if (dot == std::string::npos || eq == std::string::npos || eq < dot) {
            options.error(fmt::format("--set needs KIND.NAME=VALUE, not '{}'", s));
        }
        auto& parameters = component(spec, std::string_view(s).substr(0, dot)).parameters;
        parameters[s.substr(dot + 1, eq - dot - 1)] = s.substr(eq + 1);
    }
    try {
        const soma::PluginRegistry registry;
        soma::Simulation simulation = soma::build_simulation(registry, spec);
        const auto start = std::chrono::steady_clock::now();
        const soma::RunSummary summary = simulation.run();
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        const auto& info = simulation.info();
        const double cell_steps = static_cast<double>(summary.n_steps) * static_cast<double>(info.n_cells);
        fmt::print("driver: {} with {}, {}, {} ms at dt = {} ms ({} steps), {} cells on {} thread(s)\n", info.model,
                   info.stimulus, info.integrator, info.t_stop, info.dt, summary.n_steps, info.n_cells, info.threads);
        if (info.n_cells == 1) {
            if (summary.n_spikes == 0) {
                fmt::print("  no spikes\n");
            } else {
                const double first = summary.cells.front().first_spike;
                fmt::print("  {} spike(s), first at t = {:.6g} ms\n", summary.n_spikes, first);
            }
        } else {
            fmt::print("  {} cells, {} spike(s)\n", info.n_cells, summary.n_spikes);
        }
        fmt::print(stderr, "  Simulation::run: {:.4f} s ({:.2f} ns per cell and step)\n", elapsed.count(),
                   1e9 * elapsed.count() / cell_steps);
    } catch (const soma::Error& e) {
        fmt::print(stderr, "soma_bench_population: {}\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "soma_bench_population: unexpected error: {}\n", e.what());
        return 1;
    }
    return 0;
}
