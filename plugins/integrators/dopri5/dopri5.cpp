/// @file dopri5.cpp
/// Plug-in `dopri5`: the adaptive explicit Runge-Kutta method of Dormand and Prince, order 5 with an
/// embedded order-4 error estimate, with dense output, on Boost.Odeint (`runge_kutta_dopri5` wrapped
/// by `make_dense_output`).
///
///   k1 = f(t, y), k_s = f(t + c_s h, y + h sum_{j<s} a_sj k_j)  (s = 2..7, k7 = f at the new point: FSAL),
///   y(t + h) = y + h sum_s b_s k_s,  error estimate e = h sum_s (b_s - b*_s) k_s,
///   accepted if max_i |e_i| / (atol + rtol (|y_i| + h |f_i|)) <= 1 (odeint's default error checker);
///   otherwise h shrinks (by at most 5x) and the step is repeated; after an accepted step with error
///   below 0.5, h grows (by at most 5x), never beyond `max_step` if it is set.
/// Between its end points a step is interpolated by the continuous extension of order 4,
///   y(t + theta h) = y + h sum_s b_s(theta) k_s,  theta in [0, 1].
/// Source: J. R. Dormand and P. J. Prince, J. Comput. Appl. Math. 6:19-26 (1980); E. Hairer,
/// S. P. Norsett and G. Wanner, Solving Ordinary Differential Equations I, 2nd ed., Springer 1993,
/// section II.5, Table 5.2 (coefficients) and section II.6 (dense output, after Shampine 1986).
///
/// Units: t, h and max_step in ms; atol in the unit of each state variable (mV for v, 1 for gating
/// variables); rtol dimensionless.
///
/// One solver per cell, as NEST gives every neuron its own GSL stepper: each cell of a worker's block
/// has its own odeint stepper over its n_vars state variables, with its own step size, interval of
/// dense output, stimulus breakpoints, threshold crossings and restarts, and the model and stimulus
/// are evaluated for that cell alone (count 1). The error test, the step size and every located time
/// of a cell therefore depend on nothing but that cell's own values: a cell in a population gives
/// bit for bit the result it gives alone, whatever the block or the number of threads. The cost is
/// one stepper (a dozen vectors of n_vars doubles) per cell: about 1.6 kB for the 4 variables of hh.
///
/// How a cell's solver serves the grid t_i = i dt: the internal steps are of the method's own
/// choosing (usually much longer than dt), and the state at each t_{i+1} is read from the dense
/// output. The injected current follows the stimulus's formula of the segment between two of the
/// cell's breakpoints; a step that overshoots a breakpoint is used only up to it, and integration
/// restarts there with the new formula. A stimulus that `changes_every_step` (a noise held over each
/// step) has a breakpoint at every grid time, computed rather than listed (no memory per step): each
/// grid step is integrated from t_i to t_{i+1} with the formula of step i (current(i, t, ...)),
/// starting afresh at t_i (the first stage is evaluated anew, as the current jumped) with a first
/// trial step of the controller's last proposal (where the grid cut the last step, the larger of that
/// and the trial before the cut), itself cut to end at t_{i+1}; an internal step that would cross
/// t_{i+1} restarts likewise, so the current of step i is asked for only within [t_i, t_{i+1}]. With
/// dt below the method's own step, a grid step is then one internal step of 7 evaluations of the
/// right-hand side (a passive LIF at dt = 0.1 ms and the default tolerances; two steps at rtol = 1e-10).
///
/// Spikes: an upward crossing of the cell's threshold by v between the two ends of an internal step is
/// located as the root of the interpolant of v (TOMS 748, to 1e-12 ms or a few ulps of t), and
/// `on_spike` is applied to the interpolated state at that time;
/// after a reset (on_spike returns true) integration restarts from the reset state at the spike time.
/// The located time is the root of the interpolant; its error against the exact trajectory is of the
/// order of the tolerances divided by the slope of v. A crossing that goes up and down again within
/// one internal step is not seen (limit the step with `max_step` if brief excursions matter). A step
/// whose state became NaN or infinite (its error estimate is then NaN, which odeint accepts) is
/// retried up to 8 times, each ten times shorter.
///
/// Errors (RunError, naming the cell's population index and the time): odeint finds no step size
/// meeting the tolerances; the step size underflows; the state stays NaN or infinite; a cell needs
/// more than `max_steps` internal steps to reach the next grid time (a stiff model or extreme
/// parameters: the message gives the step size reached and suggests cvode); one cell fires more than
/// max_spikes_per_cell_and_step (1000) times within one grid step (a model that fires without bound);
/// the run was asked to stop (soma::stop_requested, asked every 4096 internal steps of a cell, so that
/// Ctrl-C stops a stiff run at once).

#include "soma/error.hpp"
#include "soma/integrator.hpp"
#include "soma/plugin.hpp"
#include "soma/readable_number.hpp"

#include <boost/math/tools/toms748_solve.hpp>
#include <boost/numeric/odeint/stepper/generation.hpp>
#include <boost/numeric/odeint/stepper/runge_kutta_dopri5.hpp>
#include <boost/numeric/odeint/util/odeint_error.hpp>
#include <boost/range/iterator_range.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace soma::integrators {
namespace {

namespace odeint = boost::numeric::odeint;

using State = std::vector<double>;  // odeint's state: one cell's n_vars variables, in the model's order
using Stepper = odeint::runge_kutta_dopri5<State>;
using DenseStepper = odeint::result_of::make_dense_output<Stepper>::type;

constexpr double location_tolerance = 1e-12;  // ms, absolute (see `locate`)
constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double first_step = 0.01;  // ms: first trial step of a run
constexpr int max_retries = 8;       // retries of a step whose state became NaN

/// The integrator's parameters, as a worker uses them.
struct Settings {
    double rtol = 0, atol = 0, max_step = 0;
    std::size_t max_steps = 0;
};

/// Where the formula of one cell's current changes: at the steps its stimulus lists (`breakpoints`), or,
/// for a stimulus that `changes_every_step`, at every grid time t_k = k dt, without a list (a list would
/// hold n_steps entries per cell). Every listed breakpoint is a grid step, so the second case covers the
/// first and the list is not asked for.
class Breakpoints {
public:
    Breakpoints(const Stimulus& stimulus, const StimulusCells& cell, double dt)
        : dt_(dt), every_step_(stimulus.changes_every_step()) {
        if (every_step_) return;
        steps_ = stimulus.breakpoints(cell);
        std::ranges::sort(steps_);
        steps_.erase(std::unique(steps_.begin(), steps_.end()), steps_.end());  // clang 14: no ranges::unique
        for (const std::size_t b : steps_) times_.push_back(static_cast<double>(b) * dt);
    }

    /// The segment holding time t (ms; a breakpoint at t starts its segment).
    struct Segment {
        std::size_t step;  // the stimulus step whose formula applies in it
        double end;        // time of the next breakpoint after t (ms); infinity: none
    };
    [[nodiscard]] Segment holding(double t) const {
        if (every_step_) {
            // The step k with k dt <= t < (k + 1) dt, with the products computed as the grid's times are.
            auto k = static_cast<std::size_t>(t / dt_);
            while (static_cast<double>(k + 1) * dt_ <= t) ++k;
            while (k > 0 && static_cast<double>(k) * dt_ > t) --k;
            return {k, static_cast<double>(k + 1) * dt_};
        }
        const auto next = static_cast<std::size_t>(std::ranges::upper_bound(times_, t) - times_.begin());
        return {next > 0 ? steps_[next - 1] : 0, next < times_.size() ? times_[next] : infinity};
    }
    [[nodiscard]] bool every_step() const { return every_step_; }

private:
    double dt_;                       // grid step, ms
    bool every_step_;
    std::vector<std::size_t> steps_;  // listed breakpoints: sorted, unique step indices
    std::vector<double> times_;       // their times, b * dt (ms)
};

/// One cell's solver: everything that changes while it is integrated.
struct Cell {
    Block block;                       // this cell alone (count 1)
    Breakpoints breakpoints;           // where its current's formula changes
    DenseStepper stepper;
    State x0, x_clip;                  // restart state; state at the breakpoint that clipped the last step
    // The interval of the dense output in use: [t_a, t_b], the last internal step clipped at the next
    // breakpoint (then its end state is x_clip), or [t, t] right after a restart (stepped false).
    double t_a = 0, t_b = 0;
    double last_step = 0;              // length of the last accepted internal step, unclipped (ms)
    // Breakpoints at every step: the trial step of the next internal step where the grid does not
    // shorten it (ms), learned from the controller's proposals (see `advance`).
    double step_guess = 0;
    double crossing = infinity;        // located crossing in the interval not yet handled; infinity: none
    double segment_end = infinity;     // time of the first breakpoint after t_a (ms); infinity: none
    std::size_t segment = 0;           // stimulus step whose formula the current segment follows
    bool stepped = false, clipped = false;
};

class CellWorker final : public Integrator::Worker {
public:
    CellWorker(const Block& block, const Settings& settings)
        : settings_(settings),
          dt_(block.dt),
          n_vars_(block.model->state_variables().size()),
          at_event_(n_vars_),
          out_(n_vars_) {
        cells_.reserve(block.count());
        for (std::size_t c = 0; c < block.count(); ++c) {
            Cell cell{.block = block.cell(c),
                      .breakpoints = Breakpoints(*block.stimulus, block.stimulus_cells.cell(c), block.dt),
                      .stepper = odeint::make_dense_output(settings.atol, settings.rtol, settings.max_step, Stepper()),
                      .x0 = State(n_vars_, 0.0),
                      .x_clip = State(n_vars_, 0.0)};
            // Sizes the dense output's buffers now rather than during the run.
            cell.stepper.initialize(cell.x0, 0.0, first_step);
            cells_.push_back(std::move(cell));
        }
    }

    void step(std::size_t i, const ConstBatchView& y, const BatchView& y_next, std::vector<Spike>& spikes) override {
        const double dt = dt_;
        const double t_start = static_cast<double>(i) * dt;
        const double t_end = static_cast<double>(i + 1) * dt;
        // Start of a run (or a caller that skipped steps, or a retry after a failure): start from y.
        const bool from_y = i == 0 || i != next_i_;
        next_i_ = std::numeric_limits<std::size_t>::max();  // until every cell has reached t_end
        for (std::size_t c = 0; c < cells_.size(); ++c) {
            Cell& cell = cells_[c];
            if (from_y) {
                for (std::size_t k = 0; k < n_vars_; ++k) cell.x0[k] = y.at(k, c);
                // A modest first trial step: odeint's controller accepts a step whose error estimate is
                // NaN, and a first step of the grid's dt (which may be many ms) can overflow exp() in a model.
                cell.step_guess = std::min({dt, first_step, settings_.max_step > 0 ? settings_.max_step : dt});
                restart(cell, t_start, cell.step_guess);
            }
            advance_to(cell, t_start, t_end, spikes);
            interpolate(cell, t_end, out_);
            for (std::size_t k = 0; k < n_vars_; ++k) y_next.at(k, c) = out_[k];
        }
        next_i_ = i + 1;
    }

private:
    /// The right-hand side of one cell as odeint calls it: dxdt = f(x, t) with the current of its segment.
    struct System {
        CellWorker* self;
        const Cell* cell;
        void operator()(const State& x, State& dxdt, double t) const {
            const std::size_t n = self->n_vars_;
            cell->block.rhs(cell->segment, t, ConstBatchView(x.data(), n, 1, 1), self->current_,
                            BatchView(dxdt.data(), n, 1, 1));
        }
    };

    /// Integrates `cell` until its dense output covers t_end, handling its crossings up to t_end.
    void advance_to(Cell& cell, double t_start, double t_end, std::vector<Spike>& spikes) {
        std::size_t n_spikes = 0, n_steps = 0;
        for (;;) {
            // The crossing of the current internal step, if it is before t_end; a later one waits for a
            // later call, as the interval stays valid until then.
            if (cell.crossing <= t_end) {
                const double t_spike = cell.crossing;
                cell.crossing = infinity;
                interpolate(cell, t_spike, at_event_);
                spikes.push_back({cell.block.first, t_spike});
                if (++n_spikes > max_spikes_per_cell_and_step) too_many_spikes(cell, t_start, t_end);
                const BatchView event(at_event_.data(), n_vars_, 1, 1);
                const double v_before = event.at(0, 0);
                if (cell.block.model->on_spike(t_spike, cell.block.model_cells, event)) {
                    check_reset(t_spike, cell.block.first, v_before, event.at(0, 0), cell.block.thresholds[0],
                                cell.block.model->state_variables()[0].unit);
                    // A reset: integration restarts from the reset state at the spike time.
                    std::ranges::copy(at_event_, cell.x0.begin());
                    restart(cell, t_spike, next_step_guess(cell));
                }
                continue;
            }
            if (cell.t_b >= t_end) return;
            if (++n_steps > settings_.max_steps) too_much_work(cell, t_end);
            if (n_steps % 4096 == 0 && stop_requested()) {
                throw RunError(fmt::format("interrupted at t = {} ms; no output was written", readable(cell.t_b, 6)));
            }
            advance(cell);
        }
    }

    /// Starts integrating `cell` afresh from its x0 at time t with a first trial step h: the interval of
    /// the dense output shrinks to [t, t], a pending crossing is dropped, and the stimulus segment is the
    /// one that holds t (a breakpoint at t starts its segment). With breakpoints at every step, h is cut
    /// to end at the next one, so that no internal step crosses a grid time.
    static void restart(Cell& cell, double t, double h) {
        const auto segment = cell.breakpoints.holding(t);
        cell.segment = segment.step;
        cell.segment_end = segment.end;
        cell.stepper.initialize(cell.x0, t, cell.breakpoints.every_step() ? std::min(h, segment.end - t) : h);
        cell.t_a = cell.t_b = t;
        cell.stepped = false;
        cell.clipped = false;
        cell.crossing = infinity;
    }

    /// First trial step after a restart inside or at the end of the current interval: the controller's
    /// proposal, but no longer than the step just taken (a restart at every step, e.g. a neuron firing
    /// on each one, must not let the step grow without bound). With breakpoints at every step:
    /// `step_guess` (see `advance`), which `restart` cuts at the next grid time.
    static double next_step_guess(const Cell& cell) {
        if (cell.breakpoints.every_step()) return cell.step_guess;
        const double proposal = cell.stepper.current_time_step();
        return cell.stepped ? std::min(proposal, cell.last_step) : proposal;
    }

    /// One accepted internal step of `cell` after its current interval (restarting first at a
    /// breakpoint that ended it), clipped at the next breakpoint, and the threshold crossing in it.
    /// With breakpoints at every step, a step that would cross the next grid time restarts instead with
    /// a step that ends there, so the clip only absorbs rounding.
    void advance(Cell& cell, int retries = 0) {
        const bool every_step = cell.breakpoints.every_step();
        if (cell.clipped) {
            cell.x0 = cell.x_clip;
            restart(cell, cell.t_b, next_step_guess(cell));
        } else if (every_step && cell.stepped && cell.t_b + cell.stepper.current_time_step() > cell.segment_end) {
            cell.x0 = cell.stepper.current_state();
            restart(cell, cell.t_b, next_step_guess(cell));
        }
        const double t0 = cell.t_b;
        const double h_trial = cell.stepper.current_time_step();
        try {
            cell.stepper.do_step(System{this, &cell});
        } catch (const odeint::odeint_error& e) {
            throw CellError(fmt::format("integrator 'dopri5': for cell {}, no step size meets rtol = {} and atol = {} "
                                       "after t = {} ms ({}). The model may be stiff or discontinuous there; loosen "
                                       "the tolerances (--set integrator.rtol=...) or use --integrator cvode",
                                       cell.block.first, settings_.rtol, settings_.atol, t0, e.what()),
                        cell.block.first);
        }
        const double ta = cell.stepper.previous_time();
        const double tb = cell.stepper.current_time();
        if (!(tb > ta) || !std::isfinite(tb)) {
            throw CellError(fmt::format("integrator 'dopri5': the step size of cell {} underflowed at t = {} ms (rtol "
                                       "= {}, atol = {}). Loosen the tolerances (--set integrator.rtol=...) or check "
                                       "the model's parameters",
                                       cell.block.first, t0, settings_.rtol, settings_.atol),
                        cell.block.first);
        }
        const State& xb = cell.stepper.current_state();
        double sum = 0;  // NaN and infinities propagate into the sum
        for (const double x : xb) sum += x;
        if (!std::isfinite(sum)) {
            if (retries < max_retries) {
                // The error estimate was NaN, so the controller accepted the step: retry it ten times shorter.
                cell.x0 = cell.stepper.previous_state();
                cell.step_guess = (tb - ta) / 10;
                restart(cell, ta, cell.step_guess);
                advance(cell, retries + 1);
                return;
            }
            throw CellError(fmt::format("integrator 'dopri5': the state of cell {} became NaN or infinite in the step "
                                       "from t = {} to {} ms (rtol = {}, atol = {}). Check the model's parameters and "
                                       "the stimulus, or tighten the tolerances. No output was written",
                                       cell.block.first, ta, tb, settings_.rtol, settings_.atol),
                        cell.block.first);
        }
        cell.stepped = true;
        cell.last_step = tb - ta;
        cell.t_a = ta;
        const double t_bp = cell.segment_end;
        if (every_step) {
            // The controller's proposal for the next step, unless this step was accepted at a trial that
            // the grid had cut below step_guess: that says nothing against step_guess (the proposal after
            // it is at most 5 times the cut step, so step_guess stays below 5 dt). A rejection would have
            // shrunk the trial by 10 % at least.
            const double proposal = cell.stepper.current_time_step();
            const bool accepted_as_cut = tb - ta > 0.95 * h_trial && h_trial < cell.step_guess;
            cell.step_guess = accepted_as_cut ? std::max(cell.step_guess, proposal) : proposal;
        }
        // A step ended at the next grid time by `restart` may fall short of it by an ulp (t + (t_bp - t)
        // rounds): that counts as reaching it.
        cell.clipped = tb >= (every_step ? t_bp - 4 * std::numeric_limits<double>::epsilon() * t_bp : t_bp);
        cell.t_b = cell.clipped ? t_bp : tb;
        if (cell.clipped) cell.stepper.calc_state(t_bp, cell.x_clip);
        const double threshold = cell.block.thresholds[0];
        const double va = cell.stepper.previous_state()[0];
        const double vb = cell.clipped ? cell.x_clip[0] : xb[0];
        cell.crossing = va < threshold && vb >= threshold ? locate(cell, va - threshold, vb - threshold) : infinity;
    }

    /// The crossing time of `cell` in [t_a, t_b], where v - threshold goes from ga < 0 to gb >= 0: the
    /// root of the interpolant of v by TOMS 748, to location_tolerance (or 4 ulps of t). Returns the
    /// upper end of the final bracket, where v >= threshold.
    double locate(const Cell& cell, double ga, double gb) {
        if (gb == 0) return cell.t_b;
        const double threshold = cell.block.thresholds[0];
        const auto g = [&](double t) { return v_at(cell, t) - threshold; };
        const auto tolerance = [](double a, double b) {
            return b - a <= std::max(location_tolerance, 4 * std::numeric_limits<double>::epsilon() * std::abs(b));
        };
        std::uintmax_t iterations = 100;
        auto [lo, hi] = boost::math::tools::toms748_solve(g, cell.t_a, cell.t_b, ga, gb, tolerance, iterations);
        // TOMS 748 converges in a few evaluations on a smooth interpolant; should it stall (a root at
        // one end of an enormous step), bisection finishes the job.
        for (int n = 0; n < 4096 && !tolerance(lo, hi); ++n) {
            const double mid = lo + 0.5 * (hi - lo);
            if (mid <= lo || mid >= hi) break;
            (g(mid) < 0 ? lo : hi) = mid;
        }
        return hi;
    }

    /// v of `cell` at time t in its current interval, from the dense output. v is the first element of
    /// the state, and odeint's range algebra iterates over the output's length, so only v is computed.
    double v_at(const Cell& cell, double t) {
        boost::iterator_range<double*> v(v_.data(), v_.data() + 1);
        cell.stepper.calc_state(t, v);
        return v_[0];
    }

    /// The whole state of `cell` at time t in its current interval [t_a, t_b] into `out` (n_vars
    /// entries): the exact end point of an internal step where there is one, else the dense output.
    static void interpolate(const Cell& cell, double t, State& out) {
        if (!cell.stepped || (t == cell.t_b && !cell.clipped)) {
            out = cell.stepper.current_state();
        } else if (t == cell.t_b) {
            out = cell.x_clip;
        } else {
            cell.stepper.calc_state(t, out);
        }
    }

    [[noreturn]] static void too_many_spikes(const Cell& cell, double t_start, double t_end) {
        throw CellError(fmt::format("integrator 'dopri5': cell {} fired more than {} spikes within one step, from "
                                   "t = {} to {} ms. The model fires without bound (e.g. its reset leaves v at "
                                   "threshold, or the current is far too strong); check its parameters",
                                   cell.block.first, max_spikes_per_cell_and_step, t_start, t_end),
                        cell.block.first);
    }

    [[noreturn]] void too_much_work(const Cell& cell, double t_end) const {
        throw CellError(fmt::format("integrator 'dopri5': cell {} took more than max_steps = {} internal steps without "
                                   "reaching t = {} ms; it is at t = {} ms with a step size of {} ms. The model "
                                   "is stiff there or its parameters are extreme: check them (e.g. a tiny C_m), use "
                                   "an implicit integrator (--integrator cvode), loosen the tolerances, or raise "
                                   "--set integrator.max_steps=...",
                                   cell.block.first, settings_.max_steps, readable(t_end), readable(cell.t_b),
                                   readable(cell.stepped ? cell.last_step : cell.stepper.current_time_step())),
                        cell.block.first);
    }

    Settings settings_;
    double dt_;  // grid step, ms
    std::size_t n_vars_;
    std::vector<Cell> cells_;
    std::size_t next_i_ = 0;  // the grid step expected next
    // Scratch, fully overwritten before each use: the current of one cell, its state at a spike or at
    // the end of the step, and its v from the dense output.
    std::array<double, 1> current_{};
    State at_event_, out_;
    std::array<double, 1> v_{};
};

class DormandPrince5 final : public Integrator {
public:
    DormandPrince5()
        : Integrator({
              {"rtol", "1", 1e-6, Range::closed(1e-13, 0.1),
               "relative tolerance of the local error per internal step"},
              {"atol", "<state unit>", 1e-8, Range::closed(1e-15, 1.0),
               "absolute tolerance, in the unit of each state variable (mV for v, 1 for gates)"},
              {"max_step", "ms", 0.0, Range::at_least(0),
               "largest internal step; 0: unlimited (limit it so that no brief spike is stepped over)"},
              {"max_steps", "1", 100000, Range::closed(1, 1e9),
               "most internal steps one cell may take to reach the next grid time (whole number)"},
          }) {
        init_defaults();
    }

    /// Measured with /usr/bin/time on 2 x 10^4 cells: about 1.2 kB per cell and 0.1 kB per state variable
    /// (the stepper's stage and dense-output states, the cell's block and breakpoints).
    [[nodiscard]] std::size_t solver_bytes_per_cell(std::size_t n_vars) const override { return 1200 + 100 * n_vars; }

    [[nodiscard]] std::unique_ptr<Integrator::Worker> make_worker(const Block& block) const override {
        return std::make_unique<CellWorker>(block, settings_);
    }

private:
    void check(const ParameterValues& p) const override {
        if (p["max_steps"] != std::floor(p["max_steps"])) {
            throw ParameterError(fmt::format("parameter 'max_steps' = {} must be a whole number", p["max_steps"]));
        }
    }

    void apply(const ParameterValues& p) override {
        settings_ = {p["rtol"], p["atol"], p["max_step"], static_cast<std::size_t>(p["max_steps"])};
    }

    Settings settings_;
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::DormandPrince5, "dopri5", "2.0.0",
            "adaptive Dormand-Prince 5(4) with dense output on Boost.Odeint, one solver per cell, tolerances "
            "rtol and atol (Hairer, Norsett & Wanner 1993, II.5)")
