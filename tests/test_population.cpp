/// @file test_population.cpp
/// Populations of cells that all differ, wired by soma::build_simulation:
/// - a heterogeneous LIF population (tau_m, t_ref > 0, V_reset, amplitude and onset per cell) and a
///   heterogeneous HH population (g_Na, g_K, amplitude, onset per cell), run as one population with 1, 2
///   and 3 threads, give every cell the same spike times and samples, bit for bit, as that cell run alone
///   (n_cells = 1 with its values as scalars), with every integrator that can run the model;
/// - the LIF population with constant currents against the exact inter-spike interval of each cell;
/// - the per-cell value forms (lists, linspace, normal, uniform, tables) as build_simulation expands them,
///   and every malformed form, with messages that name the parameter, the value and, per cell, the cell;
/// - the recording selection (variables and cells) against an unrestricted run.

#define BOOST_TEST_MODULE soma_test_population
#include "soma_test_support.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <fmt/format.h>

#include <barrier>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <numeric>
#include <thread>

#include <unistd.h>

namespace {

namespace data = boost::unit_test::data;
using soma::ParameterError;
using soma::test::CapturingRecorder;
using soma::test::message_of;
using soma::test::registry;
using Text = std::map<std::string, std::string>;

/// A soma::RunSpec with no recorder of its own (the tests add a CapturingRecorder).
soma::RunSpec spec_of(const std::string& model, const Text& model_parameters, const std::string& stimulus,
                      const Text& stimulus_parameters, const std::string& integrator, soma::RunSettings settings,
                      const Text& integrator_parameters = {}) {
    return soma::test::RunSpec{model,    stimulus, integrator, model_parameters, stimulus_parameters,
                               settings, integrator_parameters}
        .spec();
}

soma::test::RunResult run(const soma::RunSpec& spec) { return soma::test::run_in_process(registry(), spec); }

/// The run's metadata without running it.
soma::RunInfo info_of(const soma::RunSpec& spec) { return soma::build_simulation(registry(), spec).info(); }

/// The values of per-cell parameter `component.name` in `info`; fails the test if it does not vary.
std::vector<double> cell_values(const soma::RunInfo& info, const std::string& component, const std::string& name) {
    for (const auto& p : info.cell_parameters) {
        if (p.component == component && p.name == name) return p.values;
    }
    BOOST_TEST_REQUIRE(false, component << "." << name << " is not among the per-cell parameters");
    return {};
}

/// A file `name` in `dir` with `text`.
std::filesystem::path write_file(const soma::test::TempDir& dir, const std::string& name, const std::string& text) {
    const auto file = dir.path() / name;
    std::ofstream(file) << text;
    return file;
}

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

/// `n` values `f(k)`, k = 0 .. n - 1, as the text of a list ("1.5,2.25,...").
template <class F>
std::string list_of(std::size_t n, F f) {
    std::string text;
    for (std::size_t k = 0; k < n; ++k) text += fmt::format("{}{}", k == 0 ? "" : ",", f(k));
    return text;
}

// ---------------------------------------------------------------------------------------------------------------
// The populations of the identity tests. 53 and 51 cells: not multiples of the models' vector blocks (8 cells),
// so cells fall in partial blocks, and 1, 2 and 3 threads cut the population at different cells.

constexpr std::size_t n_lif = 53, n_hh = 51;

/// LIF: tau_m from 5 to 15 ms, t_ref from 0.5 to 3 ms (drawn), V_reset from -0.5 to 0.54 mV (a list), a
/// step current drawn around 2.5 nA (R I = 2.5 mV > V_th = 1 mV for nearly all cells) switched on at one of
/// seven onsets and off at 50 ms: about five spikes per cell, each followed by its refractory period.
soma::RunSpec lif_population(const std::string& integrator) {
    auto spec = spec_of("lif",
                        {{"tau_m", "linspace(5, 15, 53)"},
                         {"t_ref", "uniform(0.5, 3)"},
                         {"V_reset", list_of(n_lif, [](std::size_t k) { return fmt::format("{:.2f}", -0.5 + 0.02 * k); })}},
                        "step",
                        {{"amplitude", "normal(2.5, 0.5)"},
                         {"onset", list_of(n_lif, [](std::size_t k) { return fmt::format("{:.2f}", 1 + 1.25 * (k % 7)); })},
                         {"offset", "50"}},
                        integrator, {60, 0.01, 0, n_lif, 1, 2024});
    spec.record.variables = {"v", "I"};
    return spec;
}

/// HH: g_Na from 90 to 150 mS/cm^2, g_K drawn from 25 to 45 mS/cm^2, a step current drawn around 9 uA/cm^2
/// (from silent cells to repetitive firing) switched on at one of nine onsets and off at 40 ms.
soma::RunSpec hh_population(const std::string& integrator) {
    auto spec = spec_of("hh", {{"g_Na", "linspace(90, 150, 51)"}, {"g_K", "uniform(25, 45)"}}, "step",
                        {{"amplitude", "normal(9, 3)"},
                         {"onset", list_of(n_hh, [](std::size_t k) { return fmt::format("{:.2f}", 2 + 1.5 * (k % 9)); })},
                         {"offset", "40"}},
                        integrator, {50, 0.01, 0, n_hh, 1, 7});
    spec.record.variables = {"v", "m", "n", "h", "I"};
    return spec;
}

/// Cell `cell` of `population` alone: one cell with that cell's values (as `info` lists them) as plain
/// numbers. fmt's "{}" is the shortest text that reads back to the same double.
soma::RunSpec alone(const soma::RunSpec& population, const soma::RunInfo& info, std::size_t cell) {
    soma::RunSpec spec = population;
    spec.settings.n_cells = 1;
    spec.settings.threads = 1;
    spec.record.cells = std::vector<std::size_t>{0};
    for (const auto& p : info.cell_parameters) {
        auto& parameters = p.component == "model" ? spec.model.parameters : spec.stimulus.parameters;
        parameters.at(p.name) = fmt::format("{}", p.values[cell]);
    }
    for (const auto* parameters : {&spec.model.parameters, &spec.stimulus.parameters}) {
        for (const auto& [name, text] : *parameters) {
            BOOST_TEST_REQUIRE(text.find_first_of(",(") == std::string::npos, name << " = " << text << " is left per-cell");
        }
    }
    return spec;
}

/// Checks, bit for bit, that population column `column` (population cell `cell`) of `population` holds
/// the samples of `single` (a run of that cell alone), and that the cell's spikes are those of `single`.
void check_identical(const CapturingRecorder& population, std::size_t column, std::size_t cell,
                     const CapturingRecorder& single, const std::string& what) {
    BOOST_TEST_REQUIRE(population.info.recording.cells.at(column) == cell);
    const auto& variables = population.info.recording.variables;
    BOOST_TEST_REQUIRE(variables.size() == single.info.recording.variables.size());
    BOOST_TEST_REQUIRE(population.rows() == single.rows(), what << " cell " << cell);
    std::size_t differ = 0;
    std::string first;
    for (std::size_t row = 0; row < single.rows(); ++row) {
        if (bits(population.at(row, 0)) != bits(single.at(row, 0))) ++differ;
        for (std::size_t k = 0; k < variables.size(); ++k) {
            const double a = population.value(row, k, column), b = single.value(row, k, 0);
            if (bits(a) == bits(b)) continue;
            if (differ++ == 0) {
                first = fmt::format("{} at t = {} ms: {} in the population, {} alone", variables[k].name,
                                    single.at(row, 0), a, b);
            }
        }
    }
    BOOST_TEST(differ == 0u, what << ", cell " << cell << ": " << differ << " sample values differ; first: " << first);
    const auto t_population = population.spike_times(cell), t_single = single.spike_times(0);
    BOOST_TEST_REQUIRE(t_population.size() == t_single.size(),
                       what << ", cell " << cell << ": " << t_population.size() << " spikes in the population, "
                            << t_single.size() << " alone");
    for (std::size_t s = 0; s < t_single.size(); ++s) {
        BOOST_TEST(bits(t_population[s]) == bits(t_single[s]), what << ", cell " << cell << ", spike " << s << ": "
                                                                     << fmt::format("{}", t_population[s]) << " vs "
                                                                     << fmt::format("{}", t_single[s]) << " ms");
    }
    BOOST_TEST(population.summary.cells.at(cell).n_spikes == t_single.size());
}

struct Identity {
    std::string model, integrator;
};
std::ostream& operator<<(std::ostream& os, const Identity& c) { return os << c.model << " with " << c.integrator; }

const std::vector<Identity> identity_cases{
    {"lif", "euler"}, {"lif", "rk4"},       {"lif", "dopri5"}, {"lif", "cvode"},  {"hh", "euler"},
    {"hh", "rk4"},    {"hh", "exp_euler"}, {"hh", "dopri5"},  {"hh", "cvode"},
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(a_cell_in_a_population_is_the_cell_alone)

BOOST_DATA_TEST_CASE(same_spikes_and_samples_bit_for_bit, data::make(identity_cases), c) {
    const soma::RunSpec population = c.model == "lif" ? lif_population(c.integrator) : hh_population(c.integrator);
    const std::size_t n = population.settings.n_cells;
    const soma::RunInfo info = info_of(population);
    BOOST_TEST_REQUIRE(info.n_cells == n);
    BOOST_TEST_REQUIRE(info.cell_parameters.size() == (c.model == "lif" ? 5u : 4u));

    std::vector<std::shared_ptr<CapturingRecorder>> singles;
    std::size_t spiking = 0;
    for (std::size_t cell = 0; cell < n; ++cell) {
        singles.push_back(run(alone(population, info, cell)).recorder);
        spiking += singles.back()->spikes.empty() ? 0 : 1;
    }
    // The population is heterogeneous in its firing too: most cells fire, and not all alike.
    BOOST_TEST(spiking >= n / 2, spiking << " of " << n << " cells fire");

    for (const std::size_t threads : {1u, 2u, 3u}) {
        soma::RunSpec spec = population;
        spec.settings.threads = threads;
        spec.record.cells = std::vector<std::size_t>(n);
        std::iota(spec.record.cells->begin(), spec.record.cells->end(), std::size_t{0});
        const auto result = run(spec);
        BOOST_TEST_REQUIRE(result.recorder->info.threads == threads);
        const std::string what = fmt::format("{} with {} on {} thread(s)", c.model, c.integrator, threads);
        for (std::size_t cell = 0; cell < n; ++cell) check_identical(*result.recorder, cell, cell, *singles[cell], what);
        BOOST_TEST(result.summary.n_spikes == result.recorder->spikes.size());
    }
}

// A population larger than a tile (simulation.hpp: a thread advances tile_cells cells at a time through each
// stretch): the first and last cell of every tile, for 1, 2 and 3 threads (whose ranges, of 552, 276 and
// 184 cells, cut the tiles at different cells), get the bits they get alone.
BOOST_AUTO_TEST_CASE(cells_at_the_edges_of_tiles_run_as_alone) {
    const std::size_t n = 2 * soma::tile_cells + 40;
    auto population = spec_of("hh", {{"g_Na", fmt::format("linspace(90, 150, {})", n)}, {"g_K", "uniform(25, 45)"}},
                              "step", {{"amplitude", "normal(9, 3)"}, {"onset", "2"}, {"offset", "40"}}, "euler",
                              {30, 0.01, 0, n, 1, 7});
    population.record.variables = {"v", "m", "n", "h", "I"};
    const soma::RunInfo info = info_of(population);
    std::vector<std::size_t> edges;
    for (const std::size_t threads : {1u, 2u, 3u}) {
        for (std::size_t k = 0; k < threads; ++k) {
            const std::size_t begin = n * k / threads, end = n * (k + 1) / threads;
            for (std::size_t first = begin; first < end; first += soma::tile_cells) {
                edges.push_back(first);
                edges.push_back(std::min(first + soma::tile_cells, end) - 1);
            }
        }
    }
    std::ranges::sort(edges);
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    BOOST_TEST_REQUIRE(edges.size() >= 10u);
    std::vector<std::shared_ptr<CapturingRecorder>> singles;
    for (const std::size_t cell : edges) singles.push_back(run(alone(population, info, cell)).recorder);
    for (const std::size_t threads : {1u, 2u, 3u}) {
        soma::RunSpec spec = population;
        spec.settings.threads = threads;
        spec.record.cells = edges;
        const auto result = run(spec);
        const std::string what = fmt::format("{} cells on {} thread(s)", n, threads);
        for (std::size_t j = 0; j < edges.size(); ++j) check_identical(*result.recorder, j, edges[j], *singles[j], what);
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
// A run over K ranks (distribution.hpp) is the single-process run, bit for bit, and a failure on one rank stops
// them all with the same error. The ranks are threads of this process exchanging through memory: the engine's
// protocol without MPI (tests/mpi runs the `soma` program under mpirun).

namespace {

/// K ranks as K threads: gather and broadcast through shared buffers between two barriers.
class ThreadRanks {
public:
    explicit ThreadRanks(std::size_t k) : barrier_(static_cast<std::ptrdiff_t>(k)), parts_(k) {}

    class Rank final : public soma::Distribution {
    public:
        Rank(ThreadRanks& all, std::size_t rank) : all_(all), rank_(rank) {}
        [[nodiscard]] std::size_t rank() const override { return rank_; }
        [[nodiscard]] std::size_t size() const override { return all_.parts_.size(); }
        [[nodiscard]] std::size_t ranks_on_node() const override { return size(); }
        [[nodiscard]] std::vector<std::vector<std::byte>> gather(std::span<const std::byte> mine) override {
            all_.parts_[rank_].assign(mine.begin(), mine.end());
            all_.barrier_.arrive_and_wait();
            std::vector<std::vector<std::byte>> parts;
            if (rank_ == 0) parts = all_.parts_;
            all_.barrier_.arrive_and_wait();
            return parts;
        }
        void broadcast(std::vector<std::byte>& bytes) override {
            if (rank_ == 0) all_.root_ = bytes;
            all_.barrier_.arrive_and_wait();
            if (rank_ != 0) bytes = all_.root_;
            all_.barrier_.arrive_and_wait();
        }

    private:
        ThreadRanks& all_;
        std::size_t rank_;
    };

    /// Runs `spec` on every rank; each rank's result, or its error message.
    struct Outcome {
        soma::test::RunResult result;
        std::string error;
    };
    std::vector<Outcome> run(const soma::RunSpec& spec) {
        std::vector<Outcome> outcomes(parts_.size());
        std::vector<std::jthread> threads;
        for (std::size_t r = 0; r < parts_.size(); ++r) {
            threads.emplace_back([&, r] {
                soma::RunSpec mine = spec;
                mine.distribution = std::make_shared<Rank>(*this, r);
                try {
                    outcomes[r].result = soma::test::run_in_process(registry(), mine);
                } catch (const std::exception& e) {
                    outcomes[r].error = e.what();
                }
            });
        }
        threads.clear();  // joins
        return outcomes;
    }

private:
    std::barrier<> barrier_;
    std::vector<std::vector<std::byte>> parts_;
    std::vector<std::byte> root_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(a_population_over_ranks)

BOOST_AUTO_TEST_CASE(gives_the_single_process_calls_to_the_recorders_of_rank_0) {
    soma::RunSpec spec = hh_population("euler");
    spec.record.cells = std::vector<std::size_t>{0, 1, 16, 17, 18, 33, 34, 50};  // both sides of the boundaries
    const auto single = run(spec);
    BOOST_TEST_REQUIRE(single.summary.n_spikes > 0u);
    for (const std::size_t k : {2u, 3u}) {
        ThreadRanks ranks(k);
        const auto outcomes = ranks.run(spec);
        for (std::size_t r = 0; r < k; ++r) {
            BOOST_TEST_REQUIRE(outcomes[r].error.empty(), "rank " << r << " of " << k << ": " << outcomes[r].error);
            const auto& summary = outcomes[r].result.summary;
            BOOST_TEST(summary.n_spikes == single.summary.n_spikes);
            BOOST_TEST_REQUIRE(summary.cells.size() == single.summary.cells.size());
            for (std::size_t c = 0; c < summary.cells.size(); ++c) {
                BOOST_TEST(bits(summary.cells[c].isi_m2) == bits(single.summary.cells[c].isi_m2));
            }
            BOOST_TEST(outcomes[r].result.recorder->begun == (r == 0 ? 1 : 0), "rank " << r << " of " << k);
        }
        const auto& recorder = *outcomes[0].result.recorder;
        BOOST_TEST(recorder.committed == 1);
        BOOST_TEST_REQUIRE(recorder.values.size() == single.recorder->values.size());
        BOOST_TEST(std::ranges::equal(recorder.values, single.recorder->values,
                                      [](double a, double b) { return bits(a) == bits(b); }),
                   k << " ranks: the samples differ");
        BOOST_TEST_REQUIRE(recorder.spikes.size() == single.recorder->spikes.size());
        for (std::size_t s = 0; s < recorder.spikes.size(); ++s) {
            BOOST_TEST((recorder.spikes[s].cell == single.recorder->spikes[s].cell &&
                        bits(recorder.spikes[s].t) == bits(single.recorder->spikes[s].t)),
                       k << " ranks: spike " << s);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_failure_on_one_rank_is_every_ranks_error) {
    soma::RunSpec spec = hh_population("euler");
    spec.model.parameters["C_m"] = list_of(n_hh, [](std::size_t k) { return k == 40 ? "1e-4" : "1"; });
    const std::string expected = message_of<soma::RunError>([&] { (void)run(spec); });
    BOOST_TEST_REQUIRE(expected.find("cell 40") != std::string::npos, expected);
    ThreadRanks ranks(3);
    const auto outcomes = ranks.run(spec);
    for (std::size_t r = 0; r < 3; ++r) BOOST_TEST(outcomes[r].error == expected, "rank " << r);

    ThreadRanks too_many(3);
    spec.settings.n_cells = 2;
    spec.model.parameters.clear();
    spec.stimulus.parameters.clear();
    for (const auto& outcome : too_many.run(spec)) {
        BOOST_TEST(outcome.error == "mpirun started 3 ranks for 2 cells; start at most 2 ranks (-np 2), or simulate "
                                    "more cells");
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(against_independent_references)

// LIF with a constant current I from v(0) = V_init, V_rest = 0:
//   tau_m dv/dt = -v + R I  =>  v(t) = R I + (v(t0) - R I) exp(-(t - t0) / tau_m).
// From v(t0) = v0 < V_th < R I, v reaches V_th after s = tau_m ln((R I - v0) / (R I - V_th)). The first
// spike starts from v0 = V_init at t = 0; after each spike v is held at V_reset for t_ref and then starts
// from v0 = V_reset, so every inter-spike interval is
//   ISI = t_ref + tau_m ln((R I - V_reset) / (R I - V_th))
// (which is t_ref + tau_m ln(R I / (R I - (V_th - V_reset))) only when V_reset = V_rest).
//
// Tolerances: the first spike is a threshold crossing located on dopri5's dense output; at rtol 1e-10 (atol
// 1e-12) v is within ~1e-10 of the exact solution and the slope at threshold is (R I - V_th) / tau_m >= 0.05
// mV/ms here, so its time is within ~1e-9 ms (measured 2e-10): 1e-8 ms. The ISIs also contain the end of the
// refractory period, where the right-hand side jumps from 0 to (R I - V_reset) / tau_m off the grid (lif.cpp);
// the embedded error estimate of the step across that jump is only first order in its length, so the
// accepted step leaves an error proportional to rtol: measured largest ISI errors over these 60 cells 2.8e-6,
// 3.2e-7, 3.4e-8 and 4.8e-9 ms at rtol 1e-8 to 1e-11, down to 2e-9 ms at 1e-12 (lif's 1e-9 ms slack on the
// refractory end). 2e-7 ms is 6 times the value at rtol 1e-10 and less than 1e-6 of every ISI (the shortest
// is ~0.4 ms): a cell run with another cell's values misses it by orders of magnitude.
BOOST_AUTO_TEST_CASE(lif_isi_is_the_exact_formula_in_every_cell) {
    constexpr std::size_t n = 60;
    auto spec = spec_of("lif",
                        {{"tau_m", "linspace(2, 12, 60)"},
                         {"t_ref", "uniform(0.2, 3)"},
                         {"V_reset", "uniform(-1, 0.5)"},
                         {"R", list_of(n, [](std::size_t k) { return fmt::format("{}", 0.8 + 0.01 * static_cast<double>(k % 40)); })}},
                        "dc", {{"amplitude", "uniform(2, 5)"}}, "dopri5", {100, 0.01, 10, 0, 2, 99},
                        {{"rtol", "1e-10"}, {"atol", "1e-12"}});
    spec.record.variables = {"spikes"};
    const auto result = run(spec);
    const auto& info = result.recorder->info;
    BOOST_TEST_REQUIRE(info.n_cells == n);
    const auto tau = cell_values(info, "model", "tau_m"), t_ref = cell_values(info, "model", "t_ref");
    const auto V_reset = cell_values(info, "model", "V_reset"), R = cell_values(info, "model", "R");
    const auto I = cell_values(info, "stimulus", "amplitude");
    const double V_th = 1.0, V_init = 0.0;  // lif's defaults, shared by all cells
    double worst = 0;
    for (std::size_t c = 0; c < n; ++c) {
        const double RI = R[c] * I[c];
        BOOST_TEST_REQUIRE(RI - V_th >= 0.5);
        const double first = tau[c] * std::log((RI - V_init) / (RI - V_th));
        const double isi = t_ref[c] + tau[c] * std::log((RI - V_reset[c]) / (RI - V_th));
        const auto t = result.recorder->spike_times(c);
        BOOST_TEST_REQUIRE(t.size() >= 4u, "cell " << c);
        BOOST_TEST(t.size() == static_cast<std::size_t>(std::floor((100 - first) / isi)) + 1, "cell " << c);
        worst = std::max(worst, std::abs(t.front() - first));
        for (std::size_t k = 1; k < t.size(); ++k) worst = std::max(worst, std::abs(t[k] - t[k - 1] - isi));
        BOOST_TEST(std::abs(t.front() - first) <= 1e-8, "cell " << c << ": first spike " << t.front() << ", exact " << first);
        for (std::size_t k = 1; k < t.size(); ++k) {
            BOOST_TEST(std::abs(t[k] - t[k - 1] - isi) <= 2e-7,
                       "cell " << c << ", ISI " << k << ": " << t[k] - t[k - 1] << " ms, exact " << isi << " ms");
        }
    }
    BOOST_TEST_MESSAGE("lif population against the exact ISI: largest difference " << worst << " ms");
}

// The same formula with rk4 at dt = 0.01 ms, which needs the end of each refractory period located: the right-hand
// side jumps there, and a step across the jump integrated as one step errs by O(dt) (1.4e-3 ms per ISI measured
// before the fixed-step schemes split their step at refractory_end). t_ref also takes values below dt (a period that
// ends in the step of its spike) and multiples of dt (a period that ends on the grid).
// Tolerance: rk4's error on this linear ODE is ~(dt / tau_m)^4 / 120 relative (< 1e-10 mV), the crossing located on
// the cubic Hermite interpolant errs by ~h^4 max|v''''| / 384 < 1e-11 mV, i.e. < 1e-9 ms at slopes >= 0.05 mV/ms, and
// the switch is moved by at most 2e-9 ms (refractory.hpp): 1e-8 ms, 1e5 times below the error of the unsplit step.
BOOST_AUTO_TEST_CASE(lif_isi_is_the_exact_formula_with_a_fixed_step_too) {
    constexpr std::size_t n = 30;
    auto spec = spec_of("lif",
                        {{"tau_m", "linspace(2, 12, 30)"},
                         {"t_ref", list_of(n, [](std::size_t k) {
                              return fmt::format("{}", k % 3 == 0 ? 0.001 + 0.002 * static_cast<double>(k % 5)
                                                       : k % 3 == 1 ? 0.01 * static_cast<double>(k)
                                                                    : 0.137 * static_cast<double>(k) + 0.0031);
                          })},
                         {"V_reset", "uniform(-1, 0.5)"}},
                        "dc", {{"amplitude", "uniform(2, 5)"}}, "rk4", {100, 0.01, 10, 0, 2, 99}, {});
    spec.record.variables = {"spikes"};
    const auto result = run(spec);
    const auto& info = result.recorder->info;
    BOOST_TEST_REQUIRE(info.n_cells == n);
    const auto tau = cell_values(info, "model", "tau_m"), t_ref = cell_values(info, "model", "t_ref");
    const auto V_reset = cell_values(info, "model", "V_reset");
    const auto I = cell_values(info, "stimulus", "amplitude");
    const double V_th = 1.0, V_init = 0.0, R = 1.0;  // lif's defaults, shared by all cells
    double worst = 0;
    for (std::size_t c = 0; c < n; ++c) {
        const double RI = R * I[c];
        const double first = tau[c] * std::log((RI - V_init) / (RI - V_th));
        const double isi = t_ref[c] + tau[c] * std::log((RI - V_reset[c]) / (RI - V_th));
        const auto t = result.recorder->spike_times(c);
        BOOST_TEST_REQUIRE(t.size() >= 4u, "cell " << c);
        BOOST_TEST(t.size() == static_cast<std::size_t>(std::floor((100 - first) / isi)) + 1, "cell " << c);
        for (std::size_t k = 1; k < t.size(); ++k) {
            worst = std::max(worst, std::abs(t[k] - t[k - 1] - isi));
            BOOST_TEST(std::abs(t[k] - t[k - 1] - isi) <= 1e-8, "cell " << c << " (t_ref " << t_ref[c] << " ms), ISI " << k
                                                                          << ": " << t[k] - t[k - 1] << " ms, exact "
                                                                          << isi << " ms");
        }
    }
    BOOST_TEST_MESSAGE("lif population with rk4 against the exact ISI: largest difference " << worst << " ms");
}

// The CV of ISIs of a regular spike train: the spike times of a LIF cell firing every 3.79 ms (as doubles, the ISIs
// differ by ~1e-14), as the _cells.csv summary computes it, against the two-pass value computed here. The sum of
// squares minus n mean^2 gave 1.8e-8 for such a train (a first user found it), the two-pass value is ~1e-15.
BOOST_AUTO_TEST_CASE(the_cv_of_a_regular_train_is_not_rounding_noise) {
    soma::CellSummary cell;
    std::vector<double> t;
    for (int k = 0; k < 26; ++k) t.push_back(1.6 + 3.79 * k);
    for (const double x : t) cell.add_spike(x);
    std::vector<double> isi;
    for (std::size_t k = 1; k < t.size(); ++k) isi.push_back(t[k] - t[k - 1]);
    const double mean = std::accumulate(isi.begin(), isi.end(), 0.0) / static_cast<double>(isi.size());
    double ss = 0;
    for (const double x : isi) ss += (x - mean) * (x - mean);
    const double cv = std::sqrt(ss / static_cast<double>(isi.size() - 1)) / mean;
    BOOST_TEST(cell.n_spikes == 26u);
    BOOST_TEST(cell.first_spike == 1.6);
    BOOST_TEST(std::abs(cell.mean_isi() - mean) <= 1e-14);
    BOOST_TEST(std::abs(cell.cv_isi() - cv) <= 1e-14, "CV " << cell.cv_isi() << ", two-pass " << cv);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(per_cell_value_forms)

const soma::RunSettings few_cells{10, 0.01, 0, 0, 1, 0};  // n_cells 0: as many as the lists fix

// A list gives each cell its value, in order, and fixes the number of cells; the thresholds follow V_th.
BOOST_AUTO_TEST_CASE(lists) {
    const auto info = info_of(spec_of("lif", {{"tau_m", "5, 10,15"}, {"V_th", "1,2,3"}}, "dc",
                                      {{"amplitude", "1.5,2,2.5"}}, "euler", few_cells));
    BOOST_TEST(info.n_cells == 3u);
    BOOST_TEST(cell_values(info, "model", "tau_m") == (std::vector<double>{5, 10, 15}), boost::test_tools::per_element());
    BOOST_TEST(cell_values(info, "stimulus", "amplitude") == (std::vector<double>{1.5, 2, 2.5}),
               boost::test_tools::per_element());
    BOOST_TEST(info.thresholds == (std::vector<double>{1, 2, 3}), boost::test_tools::per_element());
    for (const auto& p : info.cell_parameters) BOOST_TEST(p.given_as == "list of 3 values");
    // A parameter that is the same in every cell is listed once, with the shared values.
    BOOST_TEST(std::ranges::none_of(info.parameters, [](const auto& p) { return p.name == "tau_m"; }));
    BOOST_TEST(std::ranges::any_of(info.parameters, [](const auto& p) { return p.name == "V_reset" && p.value == 0.0; }));
    // One value and a list: the value is shared by every cell of the list.
    const auto one = info_of(spec_of("lif", {{"tau_m", "5,10"}, {"t_ref", "2"}}, "dc", {}, "euler", few_cells));
    BOOST_TEST(one.n_cells == 2u);
    BOOST_TEST(std::ranges::any_of(one.parameters, [](const auto& p) { return p.name == "t_ref" && p.value == 2.0; }));
}

// linspace(a, b, n): cell k gets a + (b - a) k / (n - 1) and the last cell b (cell_values.hpp). numpy.linspace
// computes k ((b - a) / (n - 1)) + a (numpy/core/function_base.py), which rounds differently: the two agree
// to a few units of the last place of max(|a|, |b|) (each is three correctly rounded operations on numbers no
// larger than that), so 4 eps max(|a|, |b|); for dyadic steps both are exact, and equal. (numpy 1.24's
// linspace gives the formula used here for these cases, differing from Soma's in 0, 1, 1, 0 and 3 values of the
// first five, by at most 1 eps max(|a|, |b|).)
BOOST_AUTO_TEST_CASE(linspace_is_numpys) {
    for (const auto& [a, b, n] : std::vector<std::tuple<double, double, std::size_t>>{
             {0, 1, 5}, {90, 150, 51}, {-1, 1, 7}, {0.1, 0.7, 7}, {2.5, -3.25, 100}, {5, 5, 3}, {3, 4, 1}}) {
        const auto text = fmt::format("linspace({}, {}, {})", a, b, n);
        const auto info = info_of(spec_of("hh", {}, "dc", {{"amplitude", text}}, "euler", few_cells));
        BOOST_TEST_REQUIRE(info.n_cells == n, text);
        const auto& params = info.cell_parameters;
        const bool varies = n > 1 && a != b;
        BOOST_TEST_REQUIRE(params.size() == (varies ? 1u : 0u), text);
        if (!varies) {
            // The same value in every cell: a shared parameter, recorded with that value.
            const auto shared = std::ranges::find_if(info.parameters, [](const auto& p) { return p.name == "amplitude"; });
            BOOST_TEST_REQUIRE((shared != info.parameters.end()), text);
            BOOST_TEST(shared->value == a, text << ": the metadata give amplitude = " << shared->value);
            continue;
        }
        BOOST_TEST(params.front().given_as == text);
        const auto& values = params.front().values;
        // numpy.linspace (numpy/core/function_base.py): y = arange(n) * step + a, then y[-1] = b.
        const double step = (b - a) / static_cast<double>(n - 1);
        for (std::size_t k = 0; k < n; ++k) {
            const double numpy = k + 1 == n ? b : static_cast<double>(k) * step + a;
            BOOST_TEST(bits(values[k]) == bits(numpy), text << " value " << k << ": " << values[k] << ", numpy " << numpy);
        }
        BOOST_TEST(values.front() == a);
        BOOST_TEST(values.back() == b);
    }
    // Values printed by numpy 1.24.2 itself (float.hex of numpy.linspace(0.1, 0.7, 7), and values 111 and 207
    // of numpy.linspace(0, 20, 10000), where a + (b - a) k / (n - 1) rounds differently).
    const auto seven = info_of(spec_of("hh", {}, "dc", {{"amplitude", "linspace(0.1, 0.7, 7)"}}, "euler", few_cells));
    BOOST_TEST(cell_values(seven, "stimulus", "amplitude") ==
                   (std::vector<double>{0x1.999999999999ap-4, 0x1.999999999999ap-3, 0x1.3333333333333p-2,
                                        0x1.999999999999ap-2, 0x1.0000000000000p-1, 0x1.3333333333333p-1,
                                        0x1.6666666666666p-1}),
               boost::test_tools::per_element());
    const auto many = soma::linspace_values(0, 20, 10000);
    BOOST_TEST(bits(many[111]) == bits(0x1.c6b3938c2c8c7p-3));
    BOOST_TEST(bits(many[207]) == bits(0x1.a7fa7847e4597p-2));
    // Dyadic steps are exact in both: 0, 0.25, 0.5, 0.75, 1.
    const auto quarter = info_of(spec_of("hh", {}, "dc", {{"amplitude", "linspace(0, 1, 5)"}}, "euler", few_cells));
    BOOST_TEST(cell_values(quarter, "stimulus", "amplitude") == (std::vector<double>{0, 0.25, 0.5, 0.75, 1}),
               boost::test_tools::per_element());
}

// normal and uniform: drawn per cell from the run's seed (recorded in RunInfo.seed); the same seed gives the
// same values, another seed other values; a cell's value does not depend on the number of cells, and two
// parameters with the same distribution get independent draws.
BOOST_AUTO_TEST_CASE(random_draws_follow_the_seed) {
    const auto draws = [](std::uint64_t seed, std::size_t n_cells) {
        auto spec = spec_of("hh", {{"C_m", "normal(1, 0.05)"}, {"g_K", "uniform(30, 40)"}, {"g_L", "uniform(30, 40)"}},
                            "dc", {}, "euler", {10, 0.01, 0, n_cells, 1, seed});
        return info_of(spec);
    };
    const auto a = draws(7, 2000), b = draws(7, 2000), c = draws(8, 2000), small = draws(7, 10);
    BOOST_TEST(a.seed == 7u);
    BOOST_TEST(c.seed == 8u);
    for (const std::string name : {"C_m", "g_K", "g_L"}) {
        const auto va = cell_values(a, "model", name), vb = cell_values(b, "model", name), vc = cell_values(c, "model", name);
        BOOST_TEST(va == vb, boost::test_tools::per_element());
        std::size_t same = 0;
        for (std::size_t k = 0; k < va.size(); ++k) same += va[k] == vc[k] ? 1 : 0;
        BOOST_TEST(same == 0u, name << ": " << same << " of 2000 cells drew the same value with seeds 7 and 8");
        const auto vs = cell_values(small, "model", name);
        BOOST_TEST(vs == std::vector<double>(va.begin(), va.begin() + 10), boost::test_tools::per_element());
    }
    const auto g_K = cell_values(a, "model", "g_K"), g_L = cell_values(a, "model", "g_L");
    BOOST_TEST((g_K != g_L));
    BOOST_TEST(std::ranges::all_of(g_K, [](double x) { return x >= 30 && x < 40; }));
    // Moments: the mean of 2000 draws is within 5 standard errors (sigma / sqrt(2000)) of the distribution's,
    // and the sample standard deviation within 10 % (its relative standard error is 1 / sqrt(2 * 1999) = 1.6 %).
    const auto C_m = cell_values(a, "model", "C_m");
    const double mean = std::accumulate(C_m.begin(), C_m.end(), 0.0) / 2000;
    double ss = 0;
    for (const double x : C_m) ss += (x - mean) * (x - mean);
    BOOST_TEST(std::abs(mean - 1) <= 5 * 0.05 / std::sqrt(2000.0), "mean " << mean);
    BOOST_TEST(std::abs(std::sqrt(ss / 1999) / 0.05 - 1) <= 0.1);
    const double mean_K = std::accumulate(g_K.begin(), g_K.end(), 0.0) / 2000;
    BOOST_TEST(std::abs(mean_K - 35) <= 5 * (10 / std::sqrt(12.0)) / std::sqrt(2000.0), "mean " << mean_K);
    for (const auto& p : a.cell_parameters) {
        BOOST_TEST((p.given_as == "normal(1, 0.05)" || p.given_as == "uniform(30, 40)"), p.given_as);
    }
}

// A table (--cells-from): one row per cell, columns KIND.NAME, '#' lines and blank lines skipped; it fixes the
// number of cells and combines with lists of the same length; a parameter given both ways is refused.
BOOST_AUTO_TEST_CASE(tables) {
    const soma::test::TempDir dir("soma-test-cells");
    const auto file = write_file(dir, "cells.csv",
                            "# four cells\nmodel.g_Na, stimulus.amplitude,model.g_K\n120,7,36\n\n110,8.5,30\n"
                            "# a comment between rows\n100,10,33.5\n90,-1,40\n");
    auto spec = spec_of("hh", {{"C_m", "1,1.1,1.2,1.3"}}, "step", {{"onset", "5"}}, "euler", few_cells);
    spec.cells_from = file;
    const auto info = info_of(spec);
    BOOST_TEST(info.n_cells == 4u);
    BOOST_TEST(cell_values(info, "model", "g_Na") == (std::vector<double>{120, 110, 100, 90}), boost::test_tools::per_element());
    BOOST_TEST(cell_values(info, "model", "g_K") == (std::vector<double>{36, 30, 33.5, 40}), boost::test_tools::per_element());
    BOOST_TEST(cell_values(info, "stimulus", "amplitude") == (std::vector<double>{7, 8.5, 10, -1}),
               boost::test_tools::per_element());
    BOOST_TEST(cell_values(info, "model", "C_m") == (std::vector<double>{1, 1.1, 1.2, 1.3}), boost::test_tools::per_element());
    for (const auto& p : info.cell_parameters) {
        if (p.name != "C_m") SOMA_CHECK_CONTAINS(p.given_as, "column '" + p.component + "." + p.name + "' of " + file.string());
    }
    // Given by the table and by a value.
    spec.model.parameters["g_Na"] = "100";
    const auto twice = message_of<ParameterError>([&] { (void)info_of(spec); });
    SOMA_CHECK_CONTAINS(twice, "model.g_Na is given twice");
    SOMA_CHECK_CONTAINS(twice, file.string());
    // A list of another length than the table.
    spec.model.parameters.erase("g_Na");
    spec.model.parameters["C_m"] = "1,2";
    const auto lengths = message_of<ParameterError>([&] { (void)info_of(spec); });
    SOMA_CHECK_CONTAINS(lengths, "model.C_m");
    SOMA_CHECK_CONTAINS(lengths, "has 2 values");
    SOMA_CHECK_CONTAINS(lengths, "has 4");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(bad_per_cell_values)

const soma::RunSettings auto_cells{10, 0.01, 0, 0, 1, 3};

std::string error_of(const soma::RunSpec& spec) {
    return message_of<ParameterError>([&] { (void)info_of(spec); });
}

BOOST_AUTO_TEST_CASE(lists_of_different_lengths_name_both_parameters_and_lengths) {
    const auto message = error_of(spec_of("lif", {{"tau_m", "1,2,3"}}, "dc", {{"amplitude", "1,2"}}, "euler", auto_cells));
    SOMA_CHECK_CONTAINS(message, "'model.tau_m' has 3 values");
    SOMA_CHECK_CONTAINS(message, "'stimulus.amplitude' has 2");
}

BOOST_AUTO_TEST_CASE(a_list_longer_than_the_cells) {
    const auto message = error_of(spec_of("lif", {{"tau_m", "1,2,3"}}, "dc", {}, "euler", {10, 0.01, 0, 2, 1, 0}));
    SOMA_CHECK_CONTAINS(message, "'model.tau_m' has 3 values");
    SOMA_CHECK_CONTAINS(message, "2 cells");
}

// In a RunSpec, n_cells = 0 means "as many as the lists fix" and threads = 0 "the machine's cores"; the engine
// itself refuses both.
BOOST_AUTO_TEST_CASE(no_cells_and_no_threads) {
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([] { (void)soma::resolve_grid({10, 0.01, 0, 0, 1, 0}); }), "cells = 0");
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([] { (void)soma::resolve_grid({10, 0.01, 0, 1, 0, 0}); }), "threads = 0");
    BOOST_TEST(info_of(spec_of("lif", {}, "dc", {}, "euler", {10, 0.01, 0, 0, 1, 0})).n_cells == 1u);
    BOOST_TEST(info_of(spec_of("lif", {}, "dc", {}, "euler", {10, 0.01, 0, 4, 0, 0})).threads >= 1u);
}

BOOST_AUTO_TEST_CASE(linspace_with_fewer_than_one_value) {
    for (const std::string n : {"0", "-3", "2.5"}) {
        const auto message = error_of(spec_of("lif", {{"tau_m", "linspace(1, 2, " + n + ")"}}, "dc", {}, "euler", auto_cells));
        SOMA_CHECK_CONTAINS(message, "model.tau_m");
        SOMA_CHECK_CONTAINS(message, "n = " + n + " must be a whole number >= 1");
    }
}

BOOST_AUTO_TEST_CASE(unknown_distribution) {
    const auto message = error_of(spec_of("lif", {}, "dc", {{"amplitude", "gauss(1, 0.1)"}}, "euler", auto_cells));
    SOMA_CHECK_CONTAINS(message, "stimulus.amplitude");
    SOMA_CHECK_CONTAINS(message, "unknown function 'gauss'");
    SOMA_CHECK_CONTAINS(message, "normal");
}

// A draw outside the parameter's range: the message names the cell, the value, the range, the form and the
// seed. The cell is the first that fails: the cells before it are valid (a run of just those builds), since a
// cell's draw does not depend on the number of cells.
BOOST_AUTO_TEST_CASE(a_random_draw_out_of_range_names_the_cell) {
    const auto spec_for = [](std::size_t n_cells) {
        return spec_of("hh", {{"g_Na", "uniform(-40, 200)"}}, "dc", {}, "euler", {10, 0.01, 0, n_cells, 1, 5});
    };
    const auto message = error_of(spec_for(200));
    SOMA_CHECK_CONTAINS(message, "model 'hh', cell ");
    SOMA_CHECK_CONTAINS(message, "'g_Na'");
    SOMA_CHECK_CONTAINS(message, "out of range");
    SOMA_CHECK_CONTAINS(message, "[0, inf)");
    SOMA_CHECK_CONTAINS(message, "model.g_Na is uniform(-40, 200) with seed 5");
    const auto at = message.find(", cell ");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    const std::size_t cell = std::stoul(message.substr(at + 7));
    BOOST_TEST_REQUIRE(cell < 200u);
    if (cell > 0) BOOST_TEST(info_of(spec_for(cell)).n_cells == cell);
    SOMA_CHECK_CONTAINS(error_of(spec_for(cell + 1)), fmt::format("cell {}:", cell));
}

// Tables: an unknown column (with the closest name), a missing value and a field that is not a number
// (naming the line and the column).
BOOST_AUTO_TEST_CASE(bad_tables) {
    const soma::test::TempDir dir("soma-test-cells");
    auto spec = spec_of("hh", {}, "dc", {}, "euler", auto_cells);
    spec.cells_from = write_file(dir, "unknown.csv", "model.g_nA,stimulus.amplitude\n120,7\n");
    auto message = error_of(spec);
    SOMA_CHECK_CONTAINS(message, "unknown.csv");
    SOMA_CHECK_CONTAINS(message, "'g_nA'");
    SOMA_CHECK_CONTAINS(message, "did you mean 'g_Na'?");

    spec.cells_from = write_file(dir, "missing.csv", "# cells\nmodel.g_Na,model.g_K\n120,36\n110,\n");
    message = error_of(spec);
    SOMA_CHECK_CONTAINS(message, (dir.path() / "missing.csv").string() + ":4: ");
    SOMA_CHECK_CONTAINS(message, "missing value for 'model.g_K' (column 2)");

    spec.cells_from = write_file(dir, "text.csv", "model.g_Na,model.g_K\n120,36\n110,36\n100,abc\n");
    message = error_of(spec);
    SOMA_CHECK_CONTAINS(message, (dir.path() / "text.csv").string() + ":4: ");
    SOMA_CHECK_CONTAINS(message, "'abc'");
    SOMA_CHECK_CONTAINS(message, "for 'model.g_K' (column 2)");

    // A unit in a header must be the parameter's.
    std::ofstream(dir.path() / "units.csv") << "model.g_Na (mV),model.g_K (mS/cm^2)\n120,36\n";
    spec.cells_from = dir.path() / "units.csv";
    SOMA_CHECK_CONTAINS(error_of(spec), "gives 'model.g_Na' in mV, but model.g_Na is in mS/cm^2");

    spec.cells_from = dir.path() / "no-such-table.csv";
    SOMA_CHECK_CONTAINS(error_of(spec), "--cells-from: ");
    SOMA_CHECK_CONTAINS(error_of(spec), "no-such-table.csv: cannot be read: no such file");
}

BOOST_AUTO_TEST_CASE(recording_an_unknown_variable_or_a_cell_out_of_range) {
    auto spec = spec_of("hh", {{"g_Na", "linspace(100, 120, 50)"}}, "dc", {}, "euler", auto_cells);
    spec.record.variables = {"v", "vv"};
    SOMA_CHECK_CONTAINS(error_of(spec), "--record: unknown variable 'vv'; did you mean 'v'?");
    spec.record.variables = {"v"};
    spec.record.cells = std::vector<std::size_t>{0, 49, 50};
    SOMA_CHECK_CONTAINS(error_of(spec), "--record-cells: cell 50 is out of range; the population has 50 cells (0 to 49)");
}

// A cell that diverges is named with its per-cell values: with 40 times G&K's g_Na, HH at 10 uA/cm^2 and dt =
// 0.05 ms overflows within a millisecond; the other two cells run 20 ms at that dt (the same run without cell 2
// passes).
BOOST_AUTO_TEST_CASE(a_diverging_cell_is_named_with_its_values) {
    auto spec = spec_of("hh", {{"g_Na", "120,120,5000"}}, "dc", {{"amplitude", "10"}}, "euler", {20, 0.05, 0, 0, 2, 0});
    const auto message = message_of<soma::RunError>([&] { (void)run(spec); });
    SOMA_CHECK_CONTAINS(message, "the simulation diverged: state variable 'v' of cell 2 (model.g_Na = 5000 mS/cm^2)");
    spec.model.parameters["g_Na"] = "120,120";
    BOOST_CHECK_NO_THROW((void)run(spec));
}

// The memory check comes before any per-cell array is made (10^12 cells would otherwise throw bad_alloc or
// exhaust the machine), and it counts the solver's own state: for a population that the engine's arrays
// alone would let through (about 0.2 to 0.6 kB per HH cell), cvode's state per cell (about 13 kB, measured)
// does not fit. The cell count is derived from this machine's memory, read here independently.
BOOST_AUTO_TEST_CASE(a_population_that_would_not_fit_is_refused_before_allocating) {
    const auto message = error_of(spec_of("hh", {}, "dc", {}, "euler", {10, 0.01, 0, 1'000'000'000'000, 1, 0}));
    SOMA_CHECK_CONTAINS(message, "1000000000000 cells need about");
    SOMA_CHECK_CONTAINS(message, "more than this machine can hold");

    const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    BOOST_TEST_REQUIRE(memory > 0);
    const auto n = static_cast<std::size_t>(0.8 * memory / 8000);  // 8 kB per cell: more than euler, less than cvode
    SOMA_CHECK_CONTAINS(error_of(spec_of("hh", {}, "dc", {}, "cvode", {10, 0.01, 0, n, 1, 0})),
                        fmt::format("{} cells need about", n));
    // The same population with euler passes the check (it is not built here: it would take gigabytes).
    const soma::PluginRegistry& plugins = registry();
    BOOST_CHECK_NO_THROW(soma::check_population_memory(
        n, *plugins.create<soma::Model>(soma::PluginKind::model, "hh"),
        *plugins.create<soma::Stimulus>(soma::PluginKind::stimulus, "dc"),
        *plugins.create<soma::Integrator>(soma::PluginKind::integrator, "euler")));
    // ... but not when the caller holds 8 kB a cell of its own too (a command's per-cell summary).
    auto with_summary = spec_of("hh", {}, "dc", {}, "euler", {10, 0.01, 0, n, 1, 0});
    with_summary.caller_bytes_per_cell = 8000;
    SOMA_CHECK_CONTAINS(error_of(with_summary), "and the command's own per-cell results), more than this machine");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(recording_selection)

soma::RunSpec hh_20(const std::string& integrator) {
    return spec_of("hh", {{"g_K", "linspace(30, 40, 20)"}}, "step", {{"amplitude", "linspace(2, 20, 20)"}, {"onset", "2"}},
                   integrator, {30, 0.01, 0, 20, 2, 0});
}

// Recording v of cells 0, 5 and 10 gives exactly those columns, with the values of a run that records every
// variable of every cell, and the spikes of every cell.
BOOST_DATA_TEST_CASE(selected_columns_equal_an_unrestricted_run, data::make(std::vector<std::string>{"rk4", "dopri5"}),
                     integrator) {
    auto all = hh_20(integrator);
    all.record.variables = {"v", "m", "n", "h", "I"};
    all.record.cells = std::vector<std::size_t>(20);
    std::iota(all.record.cells->begin(), all.record.cells->end(), std::size_t{0});
    const auto full = run(all);

    auto some = hh_20(integrator);
    some.record.variables = {"v"};
    some.record.cells = std::vector<std::size_t>{10, 0, 5};  // any order; recorded ascending
    const auto selected = run(some);
    const auto& recording = selected.recorder->info.recording;
    BOOST_TEST(recording.cells == (std::vector<std::size_t>{0, 5, 10}), boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(recording.variables.size() == 1u);
    BOOST_TEST(recording.variables.front().name == "v");
    BOOST_TEST(recording.note.empty());
    BOOST_TEST_REQUIRE(selected.recorder->width == 4u);
    BOOST_TEST_REQUIRE(selected.recorder->rows() == full.recorder->rows());
    std::size_t differ = 0;
    for (std::size_t row = 0; row < full.recorder->rows(); ++row) {
        differ += bits(selected.recorder->at(row, 0)) != bits(full.recorder->at(row, 0));
        for (std::size_t j = 0; j < 3; ++j) {
            differ += bits(selected.recorder->value(row, 0, j)) != bits(full.recorder->value(row, 0, recording.cells[j]));
        }
    }
    BOOST_TEST(differ == 0u);
    BOOST_TEST_REQUIRE(selected.recorder->spikes.size() == full.recorder->spikes.size());
    BOOST_TEST(selected.recorder->spikes.size() > 10u);
    for (std::size_t s = 0; s < full.recorder->spikes.size(); ++s) {
        BOOST_TEST(selected.recorder->spikes[s].cell == full.recorder->spikes[s].cell);
        BOOST_TEST(bits(selected.recorder->spikes[s].t) == bits(full.recorder->spikes[s].t));
    }
}

// Above 10 cells the default is the spikes of every cell and v of cells 0 to 9, with a note; "spikes" alone
// records no samples at all.
BOOST_AUTO_TEST_CASE(defaults_and_spikes_only) {
    const auto by_default = run(hh_20("euler"));
    const auto& recording = by_default.recorder->info.recording;
    BOOST_TEST_REQUIRE(recording.variables.size() == 1u);
    BOOST_TEST(recording.variables.front().name == "v");
    BOOST_TEST(recording.cells == (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), boost::test_tools::per_element());
    SOMA_CHECK_CONTAINS(recording.note, "20 cells");

    auto spikes_only = hh_20("euler");
    spikes_only.record.variables = {"spikes"};
    const auto only = run(spikes_only);
    BOOST_TEST(!only.recorder->info.recording.samples);
    BOOST_TEST(only.recorder->values.empty());
    BOOST_TEST_REQUIRE(only.recorder->spikes.size() == by_default.recorder->spikes.size());
    for (std::size_t s = 0; s < only.recorder->spikes.size(); ++s) {
        BOOST_TEST(bits(only.recorder->spikes[s].t) == bits(by_default.recorder->spikes[s].t));
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(csv_recorder)

/// A CSV file of the csv recorder: its '#' lines, the header's fields and the rows' fields.
struct Csv {
    std::vector<std::string> comments, header;
    std::vector<std::vector<std::string>> rows;
};

std::vector<std::string> fields(const std::string& line) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1) {
        out.push_back(line.substr(start, comma - start));
    }
    out.push_back(line.substr(start));
    return out;
}

Csv read_csv(const std::filesystem::path& file) {
    std::ifstream in(file);
    BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot read " << file);
    Csv csv;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with('#')) csv.comments.push_back(line);
        else if (csv.header.empty()) csv.header = fields(line);
        else csv.rows.push_back(fields(line));
    }
    return csv;
}

/// The number in `field`, which must be all of it.
double number(const std::string& field) {
    double x = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), x);
    BOOST_TEST_REQUIRE((ec == std::errc() && end == field.data() + field.size()), "not a number: '" << field << "'");
    return x;
}

// 20 HH cells (g_Na and the amplitude per cell) through the csv recorder, with a CapturingRecorder in the same
// run: the tidy samples (t, cell, v, h, I of the recorded cells), the spikes and the per-cell table read back in
// C++ hold what the engine delivered. Values are written in the shortest form that reads back to the same
// double, so they must compare equal; times are written with the decimals of dt (0.3, not
// 0.30000000000000004), so they must agree to 1e-9 ms. The per-cell statistics are recomputed here from the
// captured spikes: the rate n / t_stop and the first spike exactly, the mean ISI to 1e-12 relative (a sum of
// intervals against their span), the CV to 1e-9 relative (Soma's one-pass variance loses ~eps n / CV^2
// relatively: < 1e-11 here).
BOOST_AUTO_TEST_CASE(files_hold_the_run) {
    const soma::test::TempDir dir("soma-test-csv");
    auto spec = spec_of("hh", {{"g_Na", "linspace(100, 130, 20)"}}, "step",
                        {{"amplitude", "linspace(0, 30, 20)"}, {"onset", "5"}, {"offset", "55"}}, "rk4",
                        {60, 0.01, 0.1, 20, 2, 11});
    spec.recorders = {{"csv", {}, {}}};
    spec.output_dir = dir.path();
    spec.name = "pop";
    spec.record.variables = {"v", "h", "I"};
    spec.record.cells = std::vector<std::size_t>{1, 4, 7, 10, 13, 16, 19};
    const auto result = run(spec);
    const auto& capture = *result.recorder;
    const auto& info = capture.info;
    const auto& cells = info.recording.cells;

    const Csv samples = read_csv(dir.path() / "pop.csv");
    BOOST_TEST(samples.header == (std::vector<std::string>{"t (ms)", "cell", "v (mV)", "h (1)", "I (uA/cm^2)"}),
               boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(capture.rows() == 600u);
    BOOST_TEST_REQUIRE(samples.rows.size() == capture.rows() * cells.size());
    std::size_t differ = 0;
    for (std::size_t row = 0; row < capture.rows(); ++row) {
        for (std::size_t j = 0; j < cells.size(); ++j) {
            const auto& f = samples.rows[row * cells.size() + j];
            BOOST_TEST_REQUIRE(f.size() == 5u);
            BOOST_TEST_REQUIRE(std::abs(number(f[0]) - capture.at(row, 0)) <= 1e-9, "row " << row << ": t = " << f[0]);
            BOOST_TEST_REQUIRE(f[1] == std::to_string(cells[j]));
            for (std::size_t k = 0; k < 3; ++k) differ += bits(number(f[2 + k])) != bits(capture.value(row, k, j)) ? 1 : 0;
        }
    }
    BOOST_TEST(differ == 0u, differ << " sample values differ from the captured ones");

    const Csv spikes = read_csv(dir.path() / "pop_spikes.csv");
    BOOST_TEST(spikes.header == (std::vector<std::string>{"cell", "t (ms)"}), boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(spikes.rows.size() == capture.spikes.size());
    BOOST_TEST(capture.spikes.size() > 20u);
    for (std::size_t s = 0; s < spikes.rows.size(); ++s) {
        BOOST_TEST(spikes.rows[s].at(0) == std::to_string(capture.spikes[s].cell), "spike " << s);
        BOOST_TEST(bits(number(spikes.rows[s].at(1))) == bits(capture.spikes[s].t), "spike " << s);
    }

    const Csv table = read_csv(dir.path() / "pop_cells.csv");
    BOOST_TEST(table.header == (std::vector<std::string>{"cell", "model.g_Na (mS/cm^2)", "stimulus.amplitude (uA/cm^2)",
                                                         "spikes", "rate (Hz)", "first spike (ms)", "mean ISI (ms)",
                                                         "CV ISI"}),
               boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(table.rows.size() == 20u);
    const auto g_Na = cell_values(info, "model", "g_Na"), amplitude = cell_values(info, "stimulus", "amplitude");
    std::size_t with_cv = 0, silent = 0;
    for (std::size_t c = 0; c < 20; ++c) {
        const auto& f = table.rows[c];
        BOOST_TEST_REQUIRE(f.size() == 8u);
        BOOST_TEST(f[0] == std::to_string(c));
        BOOST_TEST(bits(number(f[1])) == bits(g_Na[c]));
        BOOST_TEST(bits(number(f[2])) == bits(amplitude[c]));
        const auto t = capture.spike_times(c);
        BOOST_TEST(f[3] == std::to_string(t.size()), "cell " << c);
        BOOST_TEST(number(f[4]) == 1000.0 * static_cast<double>(t.size()) / 60.0, "cell " << c);
        if (t.empty()) {
            ++silent;
            BOOST_TEST(f[5].empty());
        } else {
            BOOST_TEST(bits(number(f[5])) == bits(t.front()), "cell " << c);
        }
        if (t.size() < 2) {
            BOOST_TEST(f[6].empty());
            BOOST_TEST(f[7].empty());
            continue;
        }
        std::vector<double> isi;
        for (std::size_t k = 1; k < t.size(); ++k) isi.push_back(t[k] - t[k - 1]);
        const double mean = std::accumulate(isi.begin(), isi.end(), 0.0) / static_cast<double>(isi.size());
        BOOST_TEST(std::abs(number(f[6]) / mean - 1) <= 1e-12, "cell " << c);
        if (t.size() < 3) {
            BOOST_TEST(f[7].empty());
            continue;
        }
        double ss = 0;
        for (const double x : isi) ss += (x - mean) * (x - mean);
        const double cv = std::sqrt(ss / static_cast<double>(isi.size() - 1)) / mean;
        BOOST_TEST(std::abs(number(f[7]) - cv) <= 1e-9 * cv, "cell " << c << ": CV " << f[7] << ", here " << cv);
        ++with_cv;
    }
    BOOST_TEST(silent >= 1u);  // the empty fields are exercised
    BOOST_TEST(with_cv >= 5u);

    // The metadata of every file: the run, what was recorded, the shared and the per-cell parameters.
    for (const auto* file : {&samples, &spikes, &table}) {
        const auto has = [&](const std::string& line) { return std::ranges::find(file->comments, line) != file->comments.end(); };
        BOOST_TEST(has("# cells: 20, threads: 2, seed: 11"));
        BOOST_TEST(has("# recorded: spikes of every cell; v, h, I of cells 1, 4, 7, 10, 13, 16, 19"));
        BOOST_TEST(has("# model.g_K = 36 mS/cm^2"));
        BOOST_TEST(has("# model.g_Na (mS/cm^2): linspace(100, 130, 20)"));
        BOOST_TEST(has("# stimulus.amplitude (uA/cm^2): linspace(0, 30, 20)"));
    }
    BOOST_TEST(capture.committed == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// A state that overflows to +infinity is a divergence, not a spike: without the finite check, a LIF driven
// far beyond any physiological current (R I = 1e10 MOhm x 1e300 nA overflows v in the first Euler step) crossed
// its threshold at every step, was reset, and the run counted a spike per step with spike location off, or
// reported endless resets within a step ("is the current too large") with it on.
BOOST_AUTO_TEST_CASE(a_state_overflowing_to_infinity_is_a_divergence_not_a_spike) {
    for (const char* locate : {"0", "1"}) {
        BOOST_TEST_CONTEXT("locate_spikes = " << locate) {
            const auto spec = spec_of("lif", {{"R", "1e10"}}, "dc", {{"amplitude", "1e300"}}, "euler", {20, 0.1, 0, 0, 1, 0},
                                      {{"locate_spikes", locate}});
            const auto message = message_of<soma::RunError>([&] { (void)run(spec); });
            SOMA_CHECK_CONTAINS(message, "the simulation diverged: state variable 'v' of cell 0");
            SOMA_CHECK_CONTAINS(message, "became infinite at t = 0.1 ms (step 1)");
        }
    }
}
