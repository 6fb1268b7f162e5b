/// @file test_pulses.cpp
/// The `pulse_train` and `steps` stimuli, in runs built by soma::build_simulation:
/// - a passive LIF cell (V_th out of reach) against the exact solution of tau_m dv/dt = -v + R I for a
///   piecewise-constant I, computed here segment by segment from the stimulus's definition: rk4 and dopri5
///   at tight tolerances; euler as its own recurrence, and converging at first order;
/// - the recorded current against the definition evaluated here in continuous time: as many rising edges as
///   pulses, each at its time, also over 2e5 steps with a non-dyadic dt and period (no drift), and with
///   count = 0 (pulses until the end of the run);
/// - each cell's breakpoints against the change steps computed here from the times;
/// - per-cell trains and steps (different periods, widths, counts, onsets, slots) in one population: each cell
///   follows its own definition, and equals, bit for bit, the same cell run alone, with every integrator that
///   runs lif, on 1 and 2 threads;
/// - every bad input, with messages that name the parameter, its value, the cell and a suggestion.

#define BOOST_TEST_MODULE soma_test_pulses
#include "soma_test_support.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>

namespace {

namespace data = boost::unit_test::data;
using soma::ParameterError;
using soma::test::CapturingRecorder;
using soma::test::message_of;
using soma::test::registry;
using Text = std::map<std::string, std::string>;

/// A passive LIF: tau_m dv/dt = -v + R I with tau_m = 10 ms, R = 1 MOhm, v(0) = V_rest = 0; its threshold
/// V_th = 200 mV (the largest allowed) is far above R I <= 10 mV, so it never fires.
constexpr double tau = 10.0, resistance = 1.0;
const Text passive{{"tau_m", "10"}, {"R", "1"}, {"V_th", "200"}};

soma::RunSpec spec_of(const std::string& stimulus, const Text& parameters, const std::string& integrator,
                      double t_stop, double dt, std::size_t n_cells = 1, std::size_t threads = 1,
                      const Text& integrator_parameters = {}) {
    auto spec = soma::test::RunSpec{"lif", stimulus, integrator, passive, parameters, {t_stop, dt, 0, n_cells, threads, 0},
                                    integrator_parameters}
                    .spec();
    spec.record.variables = {"v", "I"};
    if (n_cells > 1) {
        spec.record.cells = std::vector<std::size_t>(n_cells);
        for (std::size_t c = 0; c < n_cells; ++c) (*spec.record.cells)[c] = c;
    }
    return spec;
}

soma::test::RunResult run(const soma::RunSpec& spec) { return soma::test::run_in_process(registry(), spec); }

/// The message of the ParameterError that building `spec` throws.
std::string error_of(const soma::RunSpec& spec) {
    return message_of<ParameterError>([&] { (void)soma::build_simulation(registry(), spec); });
}

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

/// A piecewise-constant current: `initial` until the first change, then each change's value from its time on.
struct Piecewise {
    double initial = 0;
    std::vector<std::pair<double, double>> changes;  ///< (time in ms, current from then on), times increasing

    /// The current at time t (ms).
    [[nodiscard]] double at(double t) const {
        const auto after = std::ranges::upper_bound(changes, t, {}, &std::pair<double, double>::first);
        return after == changes.begin() ? initial : (after - 1)->second;
    }
    /// The number of changes to a value above the one before (rising edges) before t_stop.
    [[nodiscard]] std::size_t rises(double t_stop) const {
        std::size_t n = 0;
        double before = initial;
        for (const auto& [t, value] : changes) {
            if (t < t_stop && value > before) ++n;
            before = value;
        }
        return n;
    }
};

/// The pulse train by its definition (pulse_train.cpp): baseline, plus amplitude on
/// [onset + k period, onset + k period + width) for k < count (count = 0: every pulse that starts before t_stop).
struct Train {
    double amplitude, width, period, count, onset, baseline;

    [[nodiscard]] Text text() const {
        return {{"amplitude", fmt::format("{}", amplitude)}, {"width", fmt::format("{}", width)},
                {"period", fmt::format("{}", period)},       {"count", fmt::format("{}", count)},
                {"onset", fmt::format("{}", onset)},         {"baseline", fmt::format("{}", baseline)}};
    }
    [[nodiscard]] Piecewise current(double t_stop) const {
        Piecewise p{baseline, {}};
        for (double k = 0; count == 0 ? onset + k * period < t_stop : k < count; ++k) {
            p.changes.emplace_back(onset + k * period, baseline + amplitude);
            p.changes.emplace_back(onset + k * period + width, baseline);
        }
        return p;
    }
};

/// `steps` by its definition (steps.cpp): 0 before t1, then I_k from t_k.
struct Slots {
    std::vector<std::pair<double, double>> slots;  ///< (t_k, I_k), k = 1 .. n

    [[nodiscard]] Text text() const {
        Text t{{"n", fmt::format("{}", slots.size())}};
        for (std::size_t k = 0; k < slots.size(); ++k) {
            t[fmt::format("t{}", k + 1)] = fmt::format("{}", slots[k].first);
            t[fmt::format("I{}", k + 1)] = fmt::format("{}", slots[k].second);
        }
        return t;
    }
    [[nodiscard]] Piecewise current() const { return {0.0, slots}; }
};

/// The exact v of the passive LIF at each time of `times` (increasing) under `current`: in each segment of
/// constant I, v relaxes exponentially to R I: v(t) = R I + (v(t0) - R I) exp(-(t - t0) / tau_m).
std::vector<double> exact_v(const Piecewise& current, std::span<const double> times) {
    std::vector<double> v;
    double t0 = 0, v0 = 0, I = current.initial;
    std::size_t next = 0;
    const auto advance = [&](double t) {
        v0 = resistance * I + (v0 - resistance * I) * std::exp(-(t - t0) / tau);
        t0 = t;
    };
    for (const double t : times) {
        for (; next < current.changes.size() && current.changes[next].first <= t; ++next) {
            advance(current.changes[next].first);
            I = current.changes[next].second;
        }
        advance(t);
        v.push_back(v0);
    }
    return v;
}

/// The sample times of a recorder (column 0).
std::vector<double> times_of(const CapturingRecorder& r) {
    std::vector<double> t;
    for (std::size_t row = 0; row < r.rows(); ++row) t.push_back(r.at(row, 0));
    return t;
}

/// Largest |v - exact| of recorded cell `column` (mV).
double v_error(const CapturingRecorder& r, std::size_t column, const Piecewise& current) {
    const auto t = times_of(r);
    const auto exact = exact_v(current, t);
    double worst = 0;
    for (std::size_t row = 0; row < r.rows(); ++row) worst = std::max(worst, std::abs(r.value(row, 0, column) - exact[row]));
    return worst;
}

/// Checks that the current recorded for `column` (variable `var`) is `current` during every step: the sample
/// at t_i = i dt holds the current of step i, which is the definition's value anywhere inside the step; it is
/// evaluated at the middle of the step, dt / 2 from any change, so rounding in the times cannot put it on the
/// wrong side of one. Returns the rising edges of the recording.
std::size_t check_current(const CapturingRecorder& r, std::size_t var, std::size_t column, const Piecewise& current,
                          const std::string& what) {
    const double dt = r.info.dt;
    std::size_t wrong = 0, rises = 0;
    std::string first;
    for (std::size_t row = 0; row < r.rows(); ++row) {
        const double recorded = r.value(row, var, column);
        const double expected = current.at((static_cast<double>(row) + 0.5) * dt);
        if (bits(recorded) != bits(expected) && wrong++ == 0) {
            first = fmt::format("step {}: {} recorded, {} by the definition", row, recorded, expected);
        }
        const double before = row == 0 ? current.initial : r.value(row - 1, var, column);
        if (recorded > before) ++rises;
    }
    BOOST_TEST(wrong == 0u, what << ": the current differs in " << wrong << " steps; first at " << first);
    return rises;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(against_the_exact_solution)

// The train: 2 nA pulses of 2 ms every 5 ms (200 Hz), six from 3 ms, on 0.5 nA; 40 ms at dt = 0.01 ms.
const Train train{2.0, 2.0, 5.0, 6, 3.0, 0.5};
// Five steps, one at t = 0 and one negative.
const Slots slots{{{0.0, 1.0}, {4.5, 3.0}, {12.25, -1.5}, {20.0, 0.0}, {31.0, 2.5}}};

struct Case {
    std::string stimulus;
    Text parameters;
    Piecewise current;
};
std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.stimulus; }
const std::vector<Case> cases{{"pulse_train", train.text(), train.current(40)}, {"steps", slots.text(), slots.current()}};

// rk4 on tau dv/dt = R I - v with I constant over each step (every change is on the grid, and the current of
// step i holds at all of rk4's stage times) multiplies the distance to R I by the degree-4 Taylor polynomial
// of exp(-h / tau): a local error of (h / tau)^5 / 120 = 8e-18 relative at h = 0.01 ms, below rounding; 4000
// steps of rounding at |v| <= 3 mV (measured errors 6e-15 and 2e-14 mV). 1e-11 mV leaves room, while a current
// that changed one step late would move v by (h / tau) R |dI| >= 1e-3 * 1.5 mV (the smallest jump here).
// dopri5 at rtol 1e-10, atol 1e-12 ends its steps at the breakpoints, where the exact solution has kinks:
// measured errors 5e-11 and 6e-11 mV; 1e-8 mV is over 100 times that. Without the breakpoints its steps
// cross the changes with the formula of the step they started in, and the error is about 1 mV (measured).
BOOST_DATA_TEST_CASE(rk4_and_dopri5, data::make(cases), c) {
    const auto rk4 = run(spec_of(c.stimulus, c.parameters, "rk4", 40, 0.01)).recorder;
    const auto dopri5 =
        run(spec_of(c.stimulus, c.parameters, "dopri5", 40, 0.01, 1, 1, {{"rtol", "1e-10"}, {"atol", "1e-12"}})).recorder;
    BOOST_TEST_REQUIRE(rk4->rows() == 4000u);
    const double e_rk4 = v_error(*rk4, 0, c.current), e_dopri5 = v_error(*dopri5, 0, c.current);
    BOOST_TEST_MESSAGE(c.stimulus << ": largest |v - exact| " << e_rk4 << " mV (rk4), " << e_dopri5 << " mV (dopri5)");
    BOOST_TEST(e_rk4 <= 1e-11);
    BOOST_TEST(e_dopri5 <= 1e-8);
    // The solution does move: v reaches at least 1 mV.
    double largest = 0;
    for (std::size_t row = 0; row < rk4->rows(); ++row) largest = std::max(largest, std::abs(rk4->value(row, 0, 0)));
    BOOST_TEST(largest >= 1.0);
    check_current(*rk4, 1, 0, c.current, c.stimulus + " with rk4");
    check_current(*dopri5, 1, 0, c.current, c.stimulus + " with dopri5");
}

// euler: v_{i+1} = v_i + dt (R I_i - v_i) / tau with I_i the current of step i, the recurrence computed here
// (the same operations as lif's right-hand side, so equal up to a few roundings: 1e-12 mV); and its error
// against the exact solution is first order: halving dt halves it. With jumps on the grid the error is
// e(t) = C(t) h + O(h^2), here with h / tau = 1e-3 and 5e-4, so the ratio is 2 to about 1e-3; [1.95, 2.05].
BOOST_DATA_TEST_CASE(euler_is_first_order, data::make(cases), c) {
    std::vector<double> errors;
    for (const double dt : {0.01, 0.005}) {
        const auto r = run(spec_of(c.stimulus, c.parameters, "euler", 40, dt)).recorder;
        double v = 0, worst = 0;
        for (std::size_t row = 0; row < r->rows(); ++row) {
            worst = std::max(worst, std::abs(r->value(row, 0, 0) - v));
            v = v + dt * (-(v - 0.0) + resistance * r->value(row, 1, 0)) / tau;
        }
        BOOST_TEST(worst <= 1e-12, c.stimulus << " at dt = " << dt << ": " << worst << " mV from the recurrence");
        check_current(*r, 1, 0, c.current, c.stimulus + " with euler");
        errors.push_back(v_error(*r, 0, c.current));
    }
    BOOST_TEST_MESSAGE(c.stimulus << ": euler's largest error " << errors[0] << " mV at dt = 0.01 ms, " << errors[1]
                                  << " mV at 0.005 ms");
    BOOST_TEST(errors[0] > 1e-4);  // a first-order error, not rounding
    BOOST_TEST(errors[0] / errors[1] >= 1.95);
    BOOST_TEST(errors[0] / errors[1] <= 2.05);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(the_pulses)

// The number of rising edges of the recorded current is the count, and every step's current is the
// definition's (so each edge is at onset + k period and each pulse width long).
BOOST_AUTO_TEST_CASE(count_pulses_are_delivered) {
    for (const double count : {1.0, 2.0, 7.0}) {
        const Train t{1.5, 0.3, 1.2, count, 0.0, 0.0};
        const auto r = run(spec_of("pulse_train", t.text(), "euler", 20, 0.01)).recorder;
        BOOST_TEST(check_current(*r, 1, 0, t.current(20), fmt::format("count {}", count)) == static_cast<std::size_t>(count));
    }
}

// count = 0: pulses until the end of the run, the last one cut off by it: onsets 1 + 3k < 20 ms, k = 0 .. 6.
BOOST_AUTO_TEST_CASE(count_zero_runs_to_the_end) {
    const Train t{1.0, 2.5, 3.0, 0, 1.0, -0.5};
    const auto r = run(spec_of("pulse_train", t.text(), "rk4", 20, 0.01)).recorder;
    BOOST_TEST(check_current(*r, 1, 0, t.current(20), "count 0") == 7u);
    BOOST_TEST(r->value(r->rows() - 1, 1, 0) == 0.5);  // 19.99 ms is inside the seventh pulse, [19, 21.5)
}

// 2e5 steps of dt = 0.1 ms with a period of 0.3 ms from 0.7 ms: neither is a binary fraction, so a current
// computed from accumulated or floating-point times (fmod(t - onset, period) < width) would put some of the
// 66665 edges a step early or late; every step is checked against the definition, evaluated mid-step.
BOOST_AUTO_TEST_CASE(a_long_run_does_not_drift) {
    const Train t{1.0, 0.1, 0.3, 0, 0.7, 0.0};
    auto spec = spec_of("pulse_train", t.text(), "euler", 20000, 0.1);
    spec.record.variables = {"I"};
    const auto r = run(spec).recorder;
    BOOST_TEST_REQUIRE(r->rows() == 200000u);
    // Onsets at steps 7 + 3k < 200000: k = 0 .. 66664.
    BOOST_TEST(check_current(*r, 0, 0, t.current(20000), "the long run") == 66665u);
    BOOST_TEST(t.current(20000).rises(20000) == 66665u);
}

// A pulse or step after the end of the run never comes: the current stays at the baseline.
BOOST_AUTO_TEST_CASE(changes_after_the_end) {
    const auto r = run(spec_of("pulse_train", Train{1, 1, 2, 3, 50, 0.25}.text(), "rk4", 10, 0.01)).recorder;
    for (std::size_t row = 0; row < r->rows(); ++row) BOOST_TEST_REQUIRE(r->value(row, 1, 0) == 0.25);
    const auto s = run(spec_of("steps", Slots{{{2, 1}, {30, 5}}}.text(), "rk4", 10, 0.01)).recorder;
    BOOST_TEST(check_current(*s, 1, 0, Slots{{{2, 1}, {30, 5}}}.current(), "steps") == 1u);
}

// breakpoints(cell): the steps where a cell's current changes within the run, computed here as
// round(time / dt) of every change time of the definition, for the steps before the end.
BOOST_AUTO_TEST_CASE(breakpoints_are_the_change_steps) {
    const double dt = 0.01, t_stop = 30;
    const auto n_steps = static_cast<std::size_t>(std::llround(t_stop / dt));
    const auto expected_of = [&](const Piecewise& p) {
        std::vector<std::size_t> steps;
        for (const auto& [t, value] : p.changes) {
            const auto step = static_cast<std::size_t>(std::llround(t / dt));
            if (step < n_steps) steps.push_back(step);
        }
        return steps;
    };
    const auto check = [&](const std::string& name, const Text& text, const Piecewise& p) {
        const auto stimulus = registry().create<soma::Stimulus>(soma::PluginKind::stimulus, name);
        stimulus->configure(text);
        const auto values = stimulus->values().values();
        soma::StateBatch parameters(values.size(), 1), derived(stimulus->derived_variables().size(), 1);
        for (std::size_t k = 0; k < values.size(); ++k) parameters.var(k)[0] = values[k];
        const soma::StimulusCells cells{parameters.view(), derived.view()};
        soma::StimulusGrid grid;
        grid.dt = dt;
        grid.n_steps = n_steps;
        stimulus->prepare(grid, cells, 0);
        const auto got = stimulus->breakpoints(cells.cell(0));
        const auto expected = expected_of(p);
        BOOST_TEST(got == expected, boost::test_tools::per_element());
        const bool increasing = std::ranges::adjacent_find(got, std::greater_equal<>()) == got.end();
        BOOST_TEST(increasing, name << ": breakpoints sorted and unique");
    };
    check("pulse_train", Train{1, 0.5, 4, 5, 2, 0}.text(), Train{1, 0.5, 4, 5, 2, 0}.current(t_stop));
    check("pulse_train", Train{1, 2, 3, 0, 1, 0}.text(), Train{1, 2, 3, 0, 1, 0}.current(t_stop));  // the last ends at t_stop
    check("pulse_train", Train{1, 0.01, 0.02, 0, 29.97, 0}.text(), Train{1, 0.01, 0.02, 0, 29.97, 0}.current(t_stop));
    const Slots s{{{0, 1}, {0.01, 2}, {7.5, 3}, {29.99, 4}, {30, 5}, {45, 6}}};
    check("steps", s.text(), s.current());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(per_cell_values)

// Five trains, all different: 250, 200, 133, 100 and 400 Hz, with their own widths, counts (cell 3 until the
// end), onsets, amplitudes and baselines.
const std::vector<Train> trains{
    {2.0, 1.0, 4.0, 6, 0.0, 0.0},  {1.5, 2.0, 5.0, 3, 3.5, 0.5}, {-1.0, 0.5, 7.5, 4, 10.0, 0.0},
    {3.0, 3.0, 10.0, 0, 1.0, -0.25}, {4.0, 0.01, 2.5, 10, 20.01, 1.0},
};
// Four piecewise currents with 1, 3, 8 and 5 slots.
const std::vector<Slots> slot_sets{
    Slots{{{5, 2}}},
    Slots{{{0, -1}, {10.5, 2}, {11, 0.5}}},
    Slots{{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {38, -2}}},
    Slots{{{2.5, 1}, {7.25, 0}, {20, 3}, {30, 1.5}, {59.99, 0.25}}},
};

/// The per-cell parameters of `texts` (one Text per cell) as lists, and the values of a parameter that a cell
/// leaves out (a slot it does not use) filled with 0.
Text lists_of(const std::vector<Text>& texts) {
    Text merged;
    for (const auto& t : texts) {
        for (const auto& [name, value] : t) merged[name];
    }
    for (auto& [name, list] : merged) {
        for (std::size_t c = 0; c < texts.size(); ++c) {
            const auto it = texts[c].find(name);
            list += fmt::format("{}{}", c == 0 ? "" : ",", it == texts[c].end() ? "0" : it->second);
        }
    }
    return merged;
}

struct Population {
    std::string stimulus;
    std::vector<Text> cells;
    std::vector<Piecewise> currents;
};

Population population_of(const std::string& stimulus) {
    Population p{stimulus, {}, {}};
    if (stimulus == "pulse_train") {
        for (const auto& t : trains) {
            p.cells.push_back(t.text());
            p.currents.push_back(t.current(60));
        }
    } else {
        for (const auto& s : slot_sets) {
            auto text = s.text();
            // The slots a cell does not use are ignored: give them times that would be refused if used.
            for (std::size_t k = s.slots.size(); k < 8; ++k) text[fmt::format("t{}", k + 1)] = "0.003";
            p.cells.push_back(text);
            p.currents.push_back(s.current());
        }
    }
    return p;
}

struct Identity {
    std::string stimulus, integrator;
};
std::ostream& operator<<(std::ostream& os, const Identity& c) { return os << c.stimulus << " with " << c.integrator; }
const std::vector<Identity> identity_cases{
    {"pulse_train", "euler"}, {"pulse_train", "rk4"}, {"pulse_train", "dopri5"}, {"pulse_train", "cvode"},
    {"steps", "euler"},       {"steps", "rk4"},       {"steps", "dopri5"},       {"steps", "cvode"},
};

// Each cell of the population follows its own definition (current and, with rk4, v within the tolerance of
// against_the_exact_solution), and is the cell alone, bit for bit, on 1 and 2 threads (2 threads cut the
// population between cells 1 and 2 or 2 and 3).
BOOST_DATA_TEST_CASE(each_cell_its_own_and_the_cell_alone, data::make(identity_cases), c) {
    const Population p = population_of(c.stimulus);
    const std::size_t n = p.cells.size();
    const Text adaptive{{"rtol", "1e-10"}, {"atol", "1e-12"}};
    const Text& tolerances = c.integrator == "dopri5" || c.integrator == "cvode" ? adaptive : Text{};
    std::vector<std::shared_ptr<CapturingRecorder>> alone;
    for (std::size_t cell = 0; cell < n; ++cell) {
        alone.push_back(run(spec_of(c.stimulus, p.cells[cell], c.integrator, 60, 0.01, 1, 1, tolerances)).recorder);
    }
    for (const std::size_t threads : {1u, 2u}) {
        const auto r = run(spec_of(c.stimulus, lists_of(p.cells), c.integrator, 60, 0.01, n, threads, tolerances)).recorder;
        BOOST_TEST_REQUIRE(r->info.n_cells == n);
        BOOST_TEST_REQUIRE(r->info.threads == threads);
        for (std::size_t cell = 0; cell < n; ++cell) {
            const std::string what = fmt::format("{} with {} on {} thread(s), cell {}", c.stimulus, c.integrator, threads, cell);
            const auto rises = check_current(*r, 1, cell, p.currents[cell], what);
            BOOST_TEST(rises == p.currents[cell].rises(60), what);
            if (c.integrator == "rk4") BOOST_TEST(v_error(*r, cell, p.currents[cell]) <= 1e-11, what);
            BOOST_TEST_REQUIRE(r->rows() == alone[cell]->rows());
            std::size_t differ = 0;
            for (std::size_t row = 0; row < r->rows(); ++row) {
                for (std::size_t var = 0; var < 2; ++var) {
                    differ += bits(r->value(row, var, cell)) == bits(alone[cell]->value(row, var, 0)) ? 0 : 1;
                }
            }
            BOOST_TEST(differ == 0u, what << ": " << differ << " sample values differ from the cell alone");
        }
    }
    if (c.stimulus == "pulse_train") {
        // The rising edges of the trains: 6, 3, 4, until the end (onsets 1 + 10 k < 60: 6) and 10.
        std::vector<std::size_t> rises;
        for (const auto& current : p.currents) rises.push_back(current.rises(60));
        BOOST_TEST(rises == (std::vector<std::size_t>{6, 3, 4, 6, 10}), boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(bad_input)

/// The message of building a 3-cell run of `stimulus` in which cell 2 has `bad` (the others the defaults or
/// `good`) at dt = 0.01 ms.
std::string error_in_cell_2(const std::string& stimulus, const Text& good, const Text& bad) {
    Text lists;
    for (const auto& [name, value] : bad) {
        const auto it = good.find(name);
        const std::string other = it == good.end() ? value : it->second;
        lists[name] = fmt::format("{},{},{}", other, other, value);
    }
    for (const auto& [name, value] : good) lists.emplace(name, value);
    return error_of(spec_of(stimulus, lists, "euler", 100, 0.01, 3));
}

void check_words(const std::string& message, const std::vector<std::string>& words) {
    for (const auto& w : words) SOMA_CHECK_CONTAINS(message, w);
}

BOOST_AUTO_TEST_CASE(pulse_train_errors) {
    const Text good{{"onset", "10"}, {"width", "1"}, {"period", "5"}, {"count", "3"}};
    // Off the grid: the parameter, the value, the cell, dt and a value on the grid ({:.12g}).
    check_words(error_in_cell_2("pulse_train", good, {{"onset", "10.004"}}),
                {"pulse_train", "onset of cell 2 = 10.004 ms", "not on the time grid", "dt = 0.01 ms", "such as 10 ms"});
    check_words(error_in_cell_2("pulse_train", good, {{"width", "1.2345"}}),
                {"width of cell 2 = 1.2345 ms", "not on the time grid", "such as 1.23 ms"});
    check_words(error_in_cell_2("pulse_train", good, {{"period", "33.333333333"}}),
                {"period of cell 2 = 33.333333333 ms", "not on the time grid", "such as 33.33 ms"});
    check_words(error_in_cell_2("pulse_train", good, {{"width", "0.004"}}),
                {"width of cell 2 = 0.004 ms", "such as 0.01 ms"});
    check_words(error_in_cell_2("pulse_train", good, {{"width", "1e-12"}}),
                {"width of cell 2 = 1e-12 ms", "shorter than one time step", "at least 0.01 ms"});
    // Overlapping pulses: both values, the cell.
    check_words(error_in_cell_2("pulse_train", good, {{"width", "5"}}),
                {"pulse_train", "cell 2", "width = 5 ms must be shorter than period = 5 ms", "overlap"});
    check_words(error_in_cell_2("pulse_train", good, {{"width", "7"}}), {"cell 2", "width = 7 ms", "period = 5 ms"});
    // A width just below the period falls on the same number of steps.
    check_words(error_in_cell_2("pulse_train", good, {{"width", "4.99999999999"}}),
                {"width = 4.99999999999 ms and period = 5 ms of cell 2", "500 and 500 steps", "e.g. width = 4.99 ms"});
    // A count that is not whole, or negative; a period of 0.
    check_words(error_in_cell_2("pulse_train", good, {{"count", "2.5"}}),
                {"cell 2", "count = 2.5", "not a whole number", "use 2 or 3", "0 for pulses until the end"});
    check_words(error_in_cell_2("pulse_train", good, {{"count", "-1"}}), {"cell 2", "'count' = -1", "out of range", "[0, inf)"});
    check_words(error_in_cell_2("pulse_train", good, {{"period", "0"}}), {"cell 2", "'period' = 0", "out of range", "(0, inf)"});
    // A single cell: the same messages, without a cell.
    const auto single = error_of(spec_of("pulse_train", {{"onset", "0.016"}}, "euler", 10, 0.01));
    check_words(single, {"onset = 0.016 ms", "such as 0.02 ms"});
    BOOST_TEST(single.find("cell") == std::string::npos, single);
}

BOOST_AUTO_TEST_CASE(steps_errors) {
    const Text good{{"n", "3"}, {"t1", "5"}, {"t2", "10"}, {"t3", "20"}};
    check_words(error_in_cell_2("steps", good, {{"t3", "20.0049"}}),
                {"steps", "t3 of cell 2 = 20.0049 ms", "not on the time grid", "such as 20 ms"});
    check_words(error_in_cell_2("steps", good, {{"t1", "0.126"}}), {"t1 of cell 2 = 0.126 ms", "such as 0.13 ms"});
    // Times that do not increase: both slots and values, the cell.
    check_words(error_in_cell_2("steps", good, {{"t3", "10"}}),
                {"steps", "cell 2", "t3 = 10 ms must be after t2 = 10 ms", "increase strictly"});
    check_words(error_in_cell_2("steps", good, {{"t2", "3"}}), {"cell 2", "t2 = 3 ms must be after t1 = 5 ms"});
    // Two times on the same step.
    check_words(error_in_cell_2("steps", good, {{"t3", "10.000000000001"}}),
                {"t2 = 10 ms and t3 = 10.000000000001 ms of cell 2", "same or an earlier step", "e.g. t3 = 10.01 ms"});
    // n: whole, 1 to 8.
    check_words(error_in_cell_2("steps", good, {{"n", "2.5"}}), {"cell 2", "n = 2.5", "not a whole number", "use 2 or 3"});
    check_words(error_in_cell_2("steps", good, {{"n", "9"}}), {"cell 2", "'n' = 9", "out of range", "[1, 8]"});
    check_words(error_in_cell_2("steps", good, {{"t2", "-1"}}), {"cell 2", "'t2' = -1", "out of range"});
    // Slots beyond n are not checked: t4 = 0.003 (off the grid, and before t3) is ignored with n = 3.
    BOOST_CHECK_NO_THROW((void)soma::build_simulation(registry(), spec_of("steps", {{"n", "3"}, {"t1", "5"}, {"t2", "10"},
                                                                                   {"t3", "20"}, {"t4", "0.003"}},
                                                                          "euler", 10, 0.01)));
}

BOOST_AUTO_TEST_SUITE_END()
