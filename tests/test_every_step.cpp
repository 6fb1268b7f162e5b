/// @file test_every_step.cpp
/// The adaptive integrators `dopri5` and `cvode` under a stimulus that changes every step
/// (Stimulus::changes_every_step): a staircase defined here, I_i = offset + amplitude sin(0.37 i) (nA) held
/// over step i, drives the leaky integrate-and-fire model `lif` (tau_m dv/dt = -(v - V_rest) + R I;
/// Gerstner & Kistler 2002, Eq. 4.3, p.94), run through soma::Simulation. References, computed here:
/// - a passive cell (V_th out of reach) against the exact solution under piecewise-constant current,
///   v_{i+1} = v_inf,i + (v_i - v_inf,i) exp(-dt / tau_m) with v_inf,i = V_rest + R I_i, at two tolerance
///   levels; the same run without changes_every_step misses it by far;
/// - a firing cell: each spike against the exact crossing from the previous reset,
///   t = t_0 + tau_m ln((v_inf,i - v_0) / (v_inf,i - V_th)) inside the step i where v reaches V_th, with
///   (t_0, v_0) the start of that step or the reset;
/// - the current of step i is asked for only within [t_i, t_{i+1}];
/// - a worker allocates nothing while it steps (the global operator new is replaced by one that counts).

#define BOOST_TEST_MODULE soma_test_every_step
#include "soma_test_support.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <utility>

namespace {
std::atomic<std::size_t> allocations{0};  // calls of the global operator new since the program started
}  // namespace

// Counting replacements of the global allocation functions ([new.delete.single]); new[] and the nothrow
// forms call these, and every allocation of the process, in the plug-ins too, passes here. Not inlined,
// so that g++ does not take the free() of a pointer from operator new for a mismatch.
[[gnu::noinline]] void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t /*size*/) noexcept { std::free(p); }

namespace {

namespace data = boost::unit_test::data;
using soma::test::registry;

constexpr double dt = 0.1;  // ms
const std::vector<std::string> adaptive{"dopri5", "cvode"};

/// The staircase current: I_i = offset + amplitude sin(0.37 i) during step i (nA), per cell, whatever t.
/// It counts its evaluations (per cell) and those for step i at a time outside [t_i, t_{i+1}] (beyond a
/// few ulps), which an integrator that ends an internal step at every grid time never asks for.
class Staircase final : public soma::Stimulus {
public:
    enum Parameter : std::size_t { offset, amplitude };

    explicit Staircase(bool every_step)
        : Stimulus({{"offset", std::string(soma::model_current_unit), 0.0, soma::Range::any(), "mean current"},
                    {"amplitude", std::string(soma::model_current_unit), 1.0, soma::Range::any(), "amplitude"}}),
          every_step_(every_step) {
        init_defaults();
    }

    static double value(std::pair<double, double> staircase, std::size_t i) {
        return staircase.first + staircase.second * std::sin(0.37 * static_cast<double>(i));
    }

    void prepare(const soma::StimulusGrid& grid, const soma::StimulusCells& /*cells*/,
                 std::size_t /*first_cell*/) const override {
        BOOST_TEST_REQUIRE(grid.dt == dt);
    }
    void current(std::size_t i, double t, const soma::StimulusCells& cells, std::span<double> out) const override {
        const double t_i = static_cast<double>(i) * dt, t_next = static_cast<double>(i + 1) * dt;
        const double slack = 4 * std::numeric_limits<double>::epsilon() * t_next;
        if (t < t_i - slack || t > t_next + slack) outside.fetch_add(1, std::memory_order_relaxed);
        evaluations.fetch_add(out.size(), std::memory_order_relaxed);
        const auto o = cells.parameters.var(offset), a = cells.parameters.var(amplitude);
        for (std::size_t c = 0; c < out.size(); ++c) out[c] = value({o[c], a[c]}, i);
    }
    [[nodiscard]] bool changes_every_step() const override { return every_step_; }

    mutable std::atomic<std::size_t> outside{0}, evaluations{0};

private:
    bool every_step_;
};

/// The lif cells of a run: the model's parameters (t_ref = 0) and each cell's staircase (offset, amplitude).
struct Cells {
    std::map<std::string, double> lif;
    std::vector<std::pair<double, double>> staircases;
};

/// The exact solution of one cell from v(t_0) = v_0 to the end of step n - 1 or its first crossing of V_th
/// (spike = its time, or infinity), with v at each grid time after t_0 in `v`.
struct Exact {
    std::vector<double> v;
    double spike = std::numeric_limits<double>::infinity();
    double slope = 0;  // dv/dt at the crossing, mV/ms
};

Exact relax(const std::map<std::string, double>& p, std::pair<double, double> staircase, double t_0, double v_0,
            std::size_t n) {
    const double tau = p.at("tau_m"), v_th = p.at("V_th");
    Exact e;
    double t = t_0, v = v_0;
    for (auto i = static_cast<std::size_t>(t_0 / dt); i < n; ++i) {
        const double v_inf = p.at("V_rest") + p.at("R") * Staircase::value(staircase, i);
        const double t_next = static_cast<double>(i + 1) * dt;
        if (t_next <= t) continue;  // t_0 at the end of step i (to rounding)
        const double v_end = v_inf + (v - v_inf) * std::exp(-(t_next - t) / tau);
        if (v < v_th && v_end >= v_th) {
            e.spike = t + tau * std::log((v_inf - v) / (v_inf - v_th));
            e.slope = (v_inf - v_th) / tau;
            return e;
        }
        t = t_next;
        v = v_end;
        e.v.push_back(v);
    }
    return e;
}

struct Run {
    std::shared_ptr<soma::test::CapturingRecorder> recorder;
    std::size_t outside = 0;         // evaluations of a step's current outside the step
    double evaluations_per_step = 0;  // evaluations of the current per cell and step
};

/// Runs `cells` for n steps of dt through soma::Simulation, on 2 threads, with the staircase
/// (changes_every_step = `every_step`) and `integrator` with tolerances (rtol, atol).
Run simulate(const Cells& cells, std::size_t n, bool every_step, const std::string& integrator_name,
             std::pair<double, double> tolerances) {
    auto model = registry().create<soma::Model>(soma::PluginKind::model, "lif");
    model->configure(cells.lif);
    auto stimulus = std::make_shared<Staircase>(every_step);
    auto integrator = registry().create<soma::Integrator>(soma::PluginKind::integrator, integrator_name);
    integrator->configure(std::map<std::string, double>{{"rtol", tolerances.first}, {"atol", tolerances.second}});
    auto recorder = std::make_shared<soma::test::CapturingRecorder>();

    const std::size_t n_cells = cells.staircases.size();
    soma::CellParameters parameters{soma::StateBatch(model->schema().size(), n_cells), soma::StateBatch(2, n_cells)};
    for (std::size_t k = 0; k < model->schema().size(); ++k) {
        std::ranges::fill(parameters.model.var(k), model->values().values()[k]);
    }
    for (std::size_t c = 0; c < n_cells; ++c) {
        parameters.stimulus.var(Staircase::offset)[c] = cells.staircases[c].first;
        parameters.stimulus.var(Staircase::amplitude)[c] = cells.staircases[c].second;
    }
    soma::RunInfo info;
    info.model = "lif";
    info.stimulus = "staircase";
    info.integrator = integrator_name;
    const soma::RunSettings settings{static_cast<double>(n) * dt, dt, 0.0, n_cells, 2, 0};
    soma::Simulation simulation(model, stimulus, integrator, {recorder}, settings, std::move(info),
                                std::move(parameters));
    simulation.run();
    BOOST_TEST_REQUIRE(recorder->rows() == n);
    return {recorder, stimulus->outside.load(),
            static_cast<double>(stimulus->evaluations.load()) / static_cast<double>(n * n_cells)};
}

/// Largest |v - v_exact| of cell c over the samples at t_i, i < n, against the exact values v_0, v_1, ...
double max_error(const soma::test::CapturingRecorder& recorder, std::size_t c, double v_0, const Exact& e) {
    double worst = std::abs(recorder.value(0, 0, c) - v_0);
    for (std::size_t row = 1; row < recorder.rows(); ++row) {
        worst = std::max(worst, std::abs(recorder.value(row, 0, c) - e.v[row - 1]));
    }
    return worst;
}

/// Tolerance levels (rtol, atol in mV): the integrators' defaults and tight ones.
const std::vector<std::pair<double, double>> levels{{1e-6, 1e-8}, {1e-10, 1e-12}};

/// The largest error in v (mV) that the error control allows in a run where |v| <= v_max (mV): each
/// internal step is accepted with a local error of at most atol + rtol |v| (dopri5 also adds rtol h |dv/dt|,
/// below 1 % of it here), and on this linear ODE an error decays by exp(-dt / tau_m) per grid step, so the
/// errors add up to at most (local errors of one grid step) / (1 - exp(-dt / tau_m)). A grid step has the
/// local errors of its internal steps: K = 50 of them is more than either takes in one (dopri5 one or two;
/// cvode, restarted at order 1 at each step, 9 on average and at most 21 at rtol = 1e-6, 24 and 47 at 1e-10
/// on the passive cells, counted with CVodeGetNumSteps).
double error_bound(std::pair<double, double> tolerances, double v_max, double tau) {
    constexpr double internal_steps = 50;
    return internal_steps * (tolerances.second + tolerances.first * v_max) / (1 - std::exp(-dt / tau));
}

// Passive cells (V_th = 200 mV, far above v_inf <= 12 mV): two staircases and a constant current (which
// needs no breakpoints at all), tau_m = 2 ms = 20 dt, so that the staircase's period of 1.7 ms shows in v.
const Cells passive{{{"tau_m", 2.0}, {"R", 1.0}, {"V_rest", 0.0}, {"V_th", 200.0}, {"V_reset", 0.0}, {"V_init", -3.0}},
                    {{2.0, 10.0}, {-1.0, 4.0}, {3.0, 0.0}}};
constexpr std::size_t n_passive = 2000;  // 200 ms = 100 tau_m
constexpr double v_max_passive = 12;     // |v| <= max |R I| and |V_init|, mV

/// The largest error of each passive cell in `run` against the exact solution.
std::vector<double> passive_errors(const Run& run) {
    std::vector<double> errors;
    for (const auto& staircase : passive.staircases) {
        const double v_0 = passive.lif.at("V_init");
        errors.push_back(max_error(*run.recorder, errors.size(), v_0, relax(passive.lif, staircase, 0, v_0, n_passive)));
    }
    return errors;
}

BOOST_DATA_TEST_CASE(a_passive_cell_follows_the_exact_staircase_solution, data::make(adaptive) * data::xrange(2),
                     integrator, level) {
    const auto tolerances = levels[static_cast<std::size_t>(level)];
    const double bound = error_bound(tolerances, v_max_passive, passive.lif.at("tau_m"));
    const auto run = simulate(passive, n_passive, true, integrator, tolerances);
    const auto errors = passive_errors(run);
    for (std::size_t c = 0; c < errors.size(); ++c) {
        BOOST_TEST(errors[c] <= bound, integrator << " at rtol = " << tolerances.first << ", cell " << c
                                                  << ": |v - v_exact| up to " << errors[c] << " mV");
    }
    BOOST_TEST(run.outside == 0u);
    BOOST_TEST_MESSAGE(integrator << " at rtol = " << tolerances.first << ": |v - v_exact| <= " << errors[0] << ", "
                                  << errors[1] << ", " << errors[2] << " mV (bound " << bound << " mV); "
                                  << run.evaluations_per_step << " evaluations of the current per cell and step");
    // dopri5 at its default tolerances: one internal step of 7 evaluations per grid step (the first stage
    // after the restart, then 6), and the engine's one per sample of I; 0.05 for the first steps, whose
    // trial step is 0.01 ms. (At rtol = 1e-10 it takes two internal steps per grid step.)
    if (integrator == "dopri5" && level == 0) BOOST_TEST(run.evaluations_per_step <= 8.05);
}

// Without changes_every_step the staircase has one formula for the whole run, that of step 0 (no breakpoints):
// the integrators follow the constant I_0, and the staircase cells miss the exact solution by more than 50
// times the bound (at rtol = 1e-6; 5 x 10^5 times at 1e-10). The constant current, which is honest without
// the flag, still matches.
BOOST_DATA_TEST_CASE(without_changes_every_step_the_staircase_is_missed, data::make(adaptive) * data::xrange(2),
                     integrator, level) {
    const auto tolerances = levels[static_cast<std::size_t>(level)];
    const double bound = error_bound(tolerances, v_max_passive, passive.lif.at("tau_m"));
    const auto errors = passive_errors(simulate(passive, n_passive, false, integrator, tolerances));
    BOOST_TEST_MESSAGE(integrator << " at rtol = " << tolerances.first << " without changes_every_step: |v - v_exact| "
                                  << "up to " << errors[0] << ", " << errors[1] << ", " << errors[2] << " mV");
    BOOST_TEST(errors[0] > 50 * bound);
    BOOST_TEST(errors[1] > 50 * bound);
    BOOST_TEST(errors[2] <= bound);
}

// Firing cells: v_inf between 10 and 20 mV (and 9 and 15 mV) against V_th = 8 mV, so that v rises from
// every reset to the threshold (no near miss whose outcome the solver's error could flip), and crosses it
// anywhere inside a step, at a slope of at least 0.2 mV/ms.
const Cells firing{{{"tau_m", 5.0}, {"R", 1.0}, {"V_rest", 0.0}, {"V_th", 8.0}, {"V_reset", 0.0}, {"V_init", 0.0}},
                   {{15.0, 5.0}, {12.0, 3.0}}};
constexpr std::size_t n_firing = 2000;  // 200 ms

// Each spike against the exact crossing from the previous spike's reset (or from the start), so that the
// solver's error over one inter-spike interval is measured, not its sum over the run; after the last spike
// the exact solution must not reach V_th before the end. A crossing error of dv in v moves the located time
// by dv / slope, so each spike must be within error_bound / slope of the exact time (v <= V_th = 8 mV). At
// rtol = 1e-6 that allows up to dt for the slowest crossing; the sharp check is rtol = 1e-10 (1e-5 ms).
BOOST_DATA_TEST_CASE(a_crossing_inside_a_step_is_located, data::make(adaptive) * data::xrange(2), integrator, level) {
    const auto tolerances = levels[static_cast<std::size_t>(level)];
    const double bound = error_bound(tolerances, firing.lif.at("V_th"), firing.lif.at("tau_m"));
    const auto run = simulate(firing, n_firing, true, integrator, tolerances);
    for (std::size_t c = 0; c < firing.staircases.size(); ++c) {
        const auto spikes = run.recorder->spike_times(c);
        BOOST_TEST_REQUIRE(spikes.size() > 30u);
        double t_0 = 0, v_0 = firing.lif.at("V_init"), worst = 0, off_grid = 0;
        for (const double t : spikes) {
            const Exact e = relax(firing.lif, firing.staircases[c], t_0, v_0, n_firing);
            BOOST_TEST_REQUIRE(std::isfinite(e.spike), "cell " << c << ": a spike at " << t << " ms, none exactly");
            BOOST_TEST(std::abs(t - e.spike) <= bound / e.slope, integrator << " cell " << c << ": spike at " << t
                                                                            << " ms, exactly at " << e.spike << " ms");
            worst = std::max(worst, std::abs(t - e.spike));
            off_grid = std::max(off_grid, std::abs(e.spike - std::round(e.spike / dt) * dt));
            t_0 = t;
            v_0 = firing.lif.at("V_reset");
        }
        BOOST_TEST(!std::isfinite(relax(firing.lif, firing.staircases[c], t_0, v_0, n_firing).spike),
                   "cell " << c << ": a spike after the last one, at "
                           << relax(firing.lif, firing.staircases[c], t_0, v_0, n_firing).spike << " ms");
        // The crossings are inside the steps, not at grid times (up to dt / 2 away from them).
        BOOST_TEST(off_grid > 0.4 * dt);
        BOOST_TEST_MESSAGE(integrator << " at rtol = " << tolerances.first << ", cell " << c << ": " << spikes.size()
                                      << " spikes, |t - t_exact| up to " << worst << " ms");
    }
    BOOST_TEST(run.outside == 0u);
}

// A worker steps without allocating, spikes or not: per-step breakpoints are computed, never stored. The
// worker is made and driven here as the engine does it, for 3 cells (one passive, two firing).
BOOST_DATA_TEST_CASE(a_worker_allocates_nothing_per_step, data::make(adaptive), integrator_name) {
    auto model = registry().create<soma::Model>(soma::PluginKind::model, "lif");
    model->configure(std::map<std::string, double>{{"tau_m", 5.0}, {"V_th", 8.0}});
    const Staircase stimulus(true);
    const auto integrator = registry().create<soma::Integrator>(soma::PluginKind::integrator, integrator_name);
    constexpr std::size_t n_cells = 3, n_steps = 5000;
    soma::test::ModelArrays arrays(*model, n_cells);
    soma::StateBatch stimulus_parameters(2, n_cells), derived(0, n_cells), y(1, n_cells), y_next(1, n_cells);
    const std::vector<std::pair<double, double>> staircases{{2.0, 10.0}, {15.0, 5.0}, {12.0, 3.0}};
    for (std::size_t c = 0; c < n_cells; ++c) {
        stimulus_parameters.var(Staircase::offset)[c] = staircases[c].first;
        stimulus_parameters.var(Staircase::amplitude)[c] = staircases[c].second;
    }
    model->initialize(arrays.cells(), y.view());
    std::vector<double> thresholds(n_cells);
    model->thresholds(arrays.parameters.view(), thresholds);
    const soma::StimulusCells stimulus_cells{stimulus_parameters.view(), derived.view()};
    soma::StimulusGrid grid;
    grid.dt = dt;
    grid.n_steps = n_steps;
    stimulus.prepare(grid, stimulus_cells, 0);
    const soma::Block block{model.get(), &stimulus, arrays.cells(), stimulus_cells, thresholds, 0, dt};
    const auto worker = integrator->make_worker(block);
    std::vector<soma::Spike> spikes;
    spikes.reserve(10000);

    // The first step may size scratch space (odeint sizes its steppers' temporaries at their first step).
    worker->step(0, std::as_const(y).view(), y_next.view(), spikes);
    y.swap(y_next);
    const std::size_t before = allocations.load();
    for (std::size_t i = 1; i < n_steps; ++i) {
        worker->step(i, std::as_const(y).view(), y_next.view(), spikes);
        y.swap(y_next);
    }
    const std::size_t allocated = allocations.load() - before;
    BOOST_TEST(allocated == 0u, integrator_name << ": " << allocated << " allocations in " << n_steps - 1 << " steps");
    BOOST_TEST(spikes.size() > 100u);  // the two firing cells did fire
    BOOST_TEST(stimulus.outside.load() == 0u);
}

}  // namespace
