/// @file fit_population.cpp
/// Benchmark of how `soma fit` evaluates a generation: N candidates of `adex` (each its own V_T and b) on one
/// recorded stimulus, run (a) as ONE population of N cells, as run_fit does, and (b) as N separate runs of
/// one cell, each built with build_simulation as a one-candidate-at-a-time optimiser would. The stimulus is
/// an Ornstein-Uhlenbeck current (the `ou` plug-in, mean 260 pA, sigma 120 pA, tau 3 ms) frozen into a
/// competition-style `.voltage` file sampled every 0.2 ms and played by the `waveform` plug-in, as `soma
/// fit` plays a recorded current; spikes are kept in memory (experiments::SpikeTimes). Prints both wall
/// times (build and run, the best of --repeats) and their ratio; the spike counts of the two must agree.
///
/// usage: soma_bench_fit_population [--candidates N] [--t-stop MS] [--dt MS] [--threads K] [--repeats R]
/// Defaults: 32 candidates (soma fit's default population), 6800 ms (a competition recording), dt 0.05 ms,
/// 1 thread, 3 repeats.

#include "bench_options.hpp"

#include "soma/experiments/responses.hpp"
#include "soma/registry.hpp"
#include "soma/run_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

const soma::bench::Options options(
    "soma_bench_fit_population",
    "usage: soma_bench_fit_population [--candidates N] [--t-stop MS] [--dt MS] [--threads K] [--repeats R]");

/// A run of `adex` on `stimulus` with per-cell V_T and b.
soma::RunSpec candidates_run(const soma::ComponentSpec& stimulus, const std::vector<double>& v_t,
                             const std::vector<double>& b, double t_stop, double dt, std::size_t threads) {
    soma::RunSpec run;
    run.model = {"adex", {}, {{"C", "200"}, {"g_L", "10"}, {"E_L", "-70"}, {"Delta_T", "2"}, {"a", "2"},
                              {"tau_w", "100"}, {"V_r", "-58"}}};
    run.model.cell_values["V_T"] = soma::CellValues::list(v_t);
    run.model.cell_values["b"] = soma::CellValues::list(b);
    run.stimulus = stimulus;
    run.integrator = {"euler", {}, {}};
    run.recorders = {};
    run.settings = soma::RunSettings{t_stop, dt, 0.0, v_t.size(), threads, 0};
    run.record.variables = {"spikes"};
    return run;
}

/// Runs `run` and returns each cell's spike count.
std::vector<std::size_t> spike_counts(const soma::PluginRegistry& registry, const soma::RunSpec& run) {
    const auto spikes = std::make_shared<soma::experiments::SpikeTimes>();
    soma::Simulation simulation = soma::build_simulation(registry, run, {spikes});
    (void)simulation.run();
    std::vector<std::size_t> counts;
    for (std::size_t c = 0; c < spikes->n_cells(); ++c) counts.push_back(spikes->of(c).size());
    return counts;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 32, threads = 1, repeats = 3;
    double t_stop = 6800, dt = 0.05;
    if (!options.parse(argc, argv, [&](std::string_view arg, std::string_view value) {
            if (arg == "--candidates") n = options.count(arg, value);
            else if (arg == "--t-stop") t_stop = options.number(arg, value);
            else if (arg == "--dt") dt = options.number(arg, value);
            else if (arg == "--threads") threads = options.count(arg, value);
            else if (arg == "--repeats") repeats = options.count(arg, value);
            else options.error(fmt::format("unknown option '{}'", arg));
        })) {
        return 0;
    }
    const soma::PluginRegistry registry;
    // The frozen current: one OU path at the recording's 0.2 ms step, written as the competition's files are.
    const auto file = std::filesystem::temp_directory_path() / fmt::format("soma-bench-fit-{}.voltage", ::getpid());
    {
        soma::RunSpec noise;
        noise.model = {"adex", {}, {}};
        noise.stimulus = {"ou", {}, {{"mean", "260"}, {"sigma", "120"}, {"tau", "3"}}};
        noise.recorders = {};
        noise.settings = soma::RunSettings{t_stop, 0.2, 0.0, 1, 1, 1};
        noise.record.variables = {"I"};
        struct Current final : soma::Recorder {
            Current() : soma::Recorder({}) { init_defaults(); }
            void begin(const soma::RunInfo&) override {}
            void sample(double, soma::ConstBatchView v) override { values.push_back(v.var(0)[0]); }
            void spike(std::size_t, double) override {}
            void finish(const soma::RunSummary&) override {}
            void commit() override {}
            void abort() noexcept override {}
            std::vector<std::filesystem::path> outputs() const override { return {}; }
            std::vector<double> values;
        };
        const auto current = std::make_shared<Current>();
        soma::Simulation simulation = soma::build_simulation(registry, noise, {current});
        (void)simulation.run();
        std::ofstream out(file);
        for (std::size_t k = 0; k < current->values.size(); ++k) out << fmt::format("{} {:.17g} 0\n", k, current->values[k]);
    }
    const soma::ComponentSpec stimulus{file.string(), {}, {{"sample_interval", "0.2"}}};
    std::mt19937_64 random(1);
    std::uniform_real_distribution<double> v_t_draw(-58, -42), b_draw(0, 150);
    std::vector<double> v_t(n), b(n);
    for (std::size_t c = 0; c < n; ++c) {
        v_t[c] = v_t_draw(random);
        b[c] = b_draw(random);
    }
    using clock = std::chrono::steady_clock;
    double population_s = std::numeric_limits<double>::infinity(), separate_s = population_s;
    std::vector<std::size_t> together, apart;
    for (std::size_t r = 0; r < repeats; ++r) {
        auto start = clock::now();
        together = spike_counts(registry, candidates_run(stimulus, v_t, b, t_stop, dt, threads));
        population_s = std::min(population_s, std::chrono::duration<double>(clock::now() - start).count());
        start = clock::now();
        apart.clear();
        for (std::size_t c = 0; c < n; ++c) {
            apart.push_back(spike_counts(registry, candidates_run(stimulus, {v_t[c]}, {b[c]}, t_stop, dt, threads)).front());
        }
        separate_s = std::min(separate_s, std::chrono::duration<double>(clock::now() - start).count());
    }
    std::filesystem::remove(file);
    if (together != apart) {
        fmt::print(stderr, "soma_bench_fit_population: the population and the separate runs disagree on spike counts\n");
        return 1;
    }
    std::size_t spikes = 0;
    for (const auto s : together) spikes += s;
    fmt::print("{} adex candidates, {:g} ms at dt = {:g} ms, {} thread{}, {} spikes in all\n", n, t_stop, dt, threads,
               threads == 1 ? "" : "s", spikes);
    fmt::print("one population run: {:.3f} s\n{} separate runs: {:.3f} s\nratio: {:.1f}x\n", population_s, n, separate_s,
               separate_s / population_s);
    return 0;
}
