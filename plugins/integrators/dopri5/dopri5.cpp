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
/// How it serves the grid t_i = i dt: the internal steps are of the method's own choosing (usually
/// much longer than dt), and the state at each t_{i+1} is read from the dense output. The injected
/// current follows the stimulus's formula of the segment between two of its breakpoints; a step
/// that overshoots a breakpoint is used only up to it, and integration restarts there with the new
/// formula. Spikes: an upward crossing of the threshold by v between the two ends of an internal
/// step is located as the root of the interpolant of v (TOMS 748, to 1e-12 ms or a few ulps of t),
/// and `on_spike` is applied to the interpolated state at that time; after a reset (on_spike returns
/// true) integration restarts from the reset state at the spike time. The located time is the root of
/// the interpolant; its error against the exact trajectory is of the order of the tolerances divided
/// by the slope of v. A crossing that goes up and down again within one internal step is not seen
/// (limit the step with `max_step` if brief excursions matter).
///
/// Errors: RunError if odeint cannot find a step size meeting the tolerances, if the step size
/// underflows, if the state becomes NaN or infinite, or if one grid step holds more than max_spikes_per_cell_and_step (1000) spikes
/// per cell (a model that fires without bound).

#include "soma/error.hpp"
#include "soma/integrator.hpp"
#include "soma/plugin.hpp"

#include <boost/math/tools/toms748_solve.hpp>
#include <boost/numeric/odeint/stepper/generation.hpp>
#include <boost/numeric/odeint/stepper/runge_kutta_dopri5.hpp>
#include <boost/numeric/odeint/util/odeint_error.hpp>
#include <boost/range/iterator_range.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace soma::integrators {
namespace {

namespace odeint = boost::numeric::odeint;

using State = std::vector<double>;  // odeint's state: StateBatch's layout, variable-major
using Stepper = odeint::runge_kutta_dopri5<State>;
using DenseStepper = odeint::result_of::make_dense_output<Stepper>::type;

constexpr double location_tolerance = 1e-12;                // ms, absolute (see `locate`)
constexpr double infinity = std::numeric_limits<double>::infinity();

/// A located threshold crossing of one cell inside the current internal step.
struct Crossing {
    double t = 0;
    std::size_t cell = 0;
    bool operator<(const Crossing& o) const { return t < o.t || (t == o.t && cell < o.cell); }
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
          }) {
        init_defaults();
    }

    void prepare(const Model& model, const Stimulus& stimulus, std::size_t n_cells, double dt) override {
        model_ = &model;
        stimulus_ = &stimulus;
        n_cells_ = n_cells;
        const std::size_t n_vars = model.state_variables().size();
        breakpoints_ = stimulus.breakpoints();
        std::ranges::sort(breakpoints_);
        const auto [first, last] = std::ranges::unique(breakpoints_);
        breakpoints_.erase(first, last);
        breakpoint_t_.clear();
        for (const std::size_t b : breakpoints_) breakpoint_t_.push_back(static_cast<double>(b) * dt);
        for (State* s : {&x0_, &x_clip_}) s->assign(n_vars * n_cells, 0.0);
        v_.assign(n_cells, 0.0);
        for (StateBatch* s : {&rhs_y_, &rhs_dydt_, &at_event_}) *s = StateBatch(n_vars, n_cells);
        current_.assign(n_cells, 0.0);
        crossings_.clear();
        crossings_.reserve(n_cells);  // at most one crossing per cell and internal step
        next_crossing_ = 0;
        next_i_ = 0;
        // A fresh stepper, so that odeint sizes its buffers for this state once, on the first step.
        stepper_.reset();
        stepper_.emplace(odeint::make_dense_output(atol_, rtol_, max_step_, Stepper()));
    }

    void step(Model& model, const Stimulus& stimulus, std::size_t i, double dt, const StateBatch& y,
              StateBatch& y_next, std::vector<Spike>& spikes) override {
        model_ = &model;
        stimulus_ = &stimulus;
        const double t_start = static_cast<double>(i) * dt;
        const double t_end = static_cast<double>(i + 1) * dt;
        if (i == 0 || i != next_i_) {
            // Start of a run (or a caller that skipped steps): start from y.
            std::ranges::copy(y.data(), x0_.begin());
            // A modest first trial step: odeint's controller accepts a step whose error estimate is NaN,
            // and a first step of the grid's dt (which may be many ms) can overflow exp() in a model.
            restart(t_start, std::min({dt, first_step, max_step_ > 0 ? max_step_ : dt}));
        }
        next_i_ = i + 1;
        const double threshold = model.threshold();
        const std::size_t max_spikes = max_spikes_per_cell_and_step * n_cells_;
        std::size_t n_spikes = 0;
        for (;;) {
            // The crossings of the current internal step up to t_end, in time order. Later ones wait
            // for a later call; the interval stays valid until then, as nothing changes it.
            while (next_crossing_ < crossings_.size() && crossings_[next_crossing_].t <= t_end) {
                const Crossing e = crossings_[next_crossing_++];
                interpolate(e.t, at_event_.data());
                spikes.push_back({e.cell, e.t});
                ++n_spikes;
                if (!model.on_spike(e.cell, e.t, at_event_)) continue;
                // A reset: integration restarts from e.t, which invalidates the later crossings of this
                // step. Cells already at or above threshold at e.t cross simultaneously (within the
                // location tolerance; e.g. identical cells) and spike now; the others are found again.
                for (std::size_t k = next_crossing_; k < crossings_.size(); ++k) {
                    const std::size_t c = crossings_[k].cell;
                    if (at_event_.var(0)[c] < threshold) continue;
                    spikes.push_back({c, e.t});
                    ++n_spikes;
                    model.on_spike(c, e.t, at_event_);
                }
                if (n_spikes > max_spikes) too_many_spikes(max_spikes, t_start, t_end);
                std::ranges::copy(at_event_.data(), x0_.begin());
                restart(e.t, next_step_guess());
            }
            if (n_spikes > max_spikes) too_many_spikes(max_spikes, t_start, t_end);
            if (t_b_ >= t_end) break;
            advance(threshold);
        }
        interpolate(t_end, y_next.data());
    }

private:
    void apply(const ParameterValues& p) override {
        rtol_ = p["rtol"];
        atol_ = p["atol"];
        max_step_ = p["max_step"];
    }

    /// The right-hand side as odeint calls it: dxdt = f(x, t) with the current of this segment.
    struct System {
        DormandPrince5* self;
        void operator()(const State& x, State& dxdt, double t) const { self->rhs(x, dxdt, t); }
    };

    void rhs(const State& x, State& dxdt, double t) {
        std::ranges::copy(x, rhs_y_.data().begin());
        stimulus_->current(segment_, t, current_);
        model_->derivatives(t, rhs_y_, current_, rhs_dydt_);
        std::ranges::copy(rhs_dydt_.data(), dxdt.begin());
    }

    /// Starts integrating afresh from x0_ at time t with a first trial step h: the interval of the
    /// dense output shrinks to [t, t], pending crossings are dropped, and the stimulus segment is the
    /// one that holds t (a breakpoint at t starts its segment).
    void restart(double t, double h) {
        stepper_->initialize(x0_, t, h);
        t_a_ = t_b_ = t;
        stepped_ = false;
        clipped_ = false;
        crossings_.clear();
        next_crossing_ = 0;
        next_breakpoint_ = static_cast<std::size_t>(std::ranges::upper_bound(breakpoint_t_, t) - breakpoint_t_.begin());
        segment_ = next_breakpoint_ > 0 ? breakpoints_[next_breakpoint_ - 1] : 0;
    }

    /// First trial step after a restart inside or at the end of the current step: the controller's
    /// proposal, but no longer than the step just taken (a restart at every step, e.g. a neuron firing
    /// on each one, must not let the step grow without bound).
    double next_step_guess() const {
        const double proposal = stepper_->current_time_step();
        return stepped_ ? std::min(proposal, last_step_) : proposal;
    }

    /// One accepted internal step after the current interval (restarting first at a breakpoint that
    /// ended it), clipped at the next breakpoint, and the threshold crossings in it.
    void advance(double threshold, int retries = 0) {
        if (clipped_) {
            std::ranges::copy(x_clip_, x0_.begin());
            restart(t_b_, next_step_guess());
        }
        const double t0 = t_b_;
        try {
            stepper_->do_step(System{this});
        } catch (const odeint::odeint_error& e) {
            throw RunError(fmt::format("integrator 'dopri5' found no step size meeting rtol = {} and atol = {} after "
                                       "t = {} ms ({}). The model may be stiff or discontinuous there; loosen the "
                                       "tolerances (--set integrator.rtol=...) or use an implicit integrator",
                                       rtol_, atol_, t0, e.what()));
        }
        const double ta = stepper_->previous_time();
        const double tb = stepper_->current_time();
        if (!(tb > ta) || !std::isfinite(tb)) {
            throw RunError(fmt::format("integrator 'dopri5': the step size underflowed at t = {} ms (rtol = {}, atol "
                                       "= {}). Loosen the tolerances (--set integrator.rtol=...) or check the model's "
                                       "parameters",
                                       t0, rtol_, atol_));
        }
        const State& xb = stepper_->current_state();
        double sum = 0;  // NaN and infinities propagate into the sum
        for (const double x : xb) sum += x;
        if (!std::isfinite(sum) && retries < max_retries) {
            // The error estimate was NaN, so the controller accepted the step: retry it ten times shorter.
            std::ranges::copy(stepper_->previous_state(), x0_.begin());
            restart(ta, (tb - ta) / 10);
            advance(threshold, retries + 1);
            return;
        }
        if (!std::isfinite(sum)) {
            throw RunError(fmt::format("integrator 'dopri5': the state became NaN or infinite in the step from t = {} "
                                       "to {} ms (rtol = {}, atol = {}). Check the model's parameters and the "
                                       "stimulus, or tighten the tolerances. No output was written",
                                       ta, tb, rtol_, atol_));
        }
        stepped_ = true;
        last_step_ = tb - ta;
        t_a_ = ta;
        const double t_bp = next_breakpoint_ < breakpoint_t_.size() ? breakpoint_t_[next_breakpoint_] : infinity;
        clipped_ = tb >= t_bp;
        t_b_ = clipped_ ? t_bp : tb;
        if (clipped_) stepper_->calc_state(t_bp, x_clip_);
        const State& x_a = stepper_->previous_state();
        const State& x_b = clipped_ ? x_clip_ : xb;

        crossings_.clear();
        next_crossing_ = 0;
        for (std::size_t c = 0; c < n_cells_; ++c) {  // v of cell c is element c (variable-major)
            if (x_a[c] < threshold && x_b[c] >= threshold) {
                crossings_.push_back({locate(c, x_a[c] - threshold, x_b[c] - threshold, threshold), c});
            }
        }
        if (crossings_.size() > 1) std::sort(crossings_.begin(), crossings_.end());
    }

    /// The crossing time of cell `cell` in [t_a_, t_b_], where v - threshold goes from ga < 0 to gb >= 0:
    /// the root of the interpolant of v by TOMS 748, to location_tolerance (or 4 ulps of t). Returns the
    /// upper end of the final bracket, where v >= threshold.
    double locate(std::size_t cell, double ga, double gb, double threshold) {
        if (gb == 0) return t_b_;
        const auto g = [&](double t) { return v_at(t)[cell] - threshold; };
        const auto tolerance = [](double a, double b) {
            return b - a <= std::max(location_tolerance, 4 * std::numeric_limits<double>::epsilon() * std::abs(b));
        };
        std::uintmax_t iterations = 100;
        auto [lo, hi] = boost::math::tools::toms748_solve(g, t_a_, t_b_, ga, gb, tolerance, iterations);
        // TOMS 748 converges in a few evaluations on a smooth interpolant; should it stall (a root at
        // one end of an enormous step), bisection finishes the job.
        for (int n = 0; n < 4096 && !tolerance(lo, hi); ++n) {
            const double mid = lo + 0.5 * (hi - lo);
            if (mid <= lo || mid >= hi) break;
            (g(mid) < 0 ? lo : hi) = mid;
        }
        return hi;
    }

    /// v of every cell at time t in the current interval, from the dense output. v is the first n_cells
    /// elements of the state (variable-major), and odeint's range algebra iterates over the output's
    /// length, so only those are computed.
    std::span<const double> v_at(double t) {
        boost::iterator_range<double*> v(v_.data(), v_.data() + v_.size());
        stepper_->calc_state(t, v);
        return v_;
    }

    /// The whole state at time t in the current interval [t_a_, t_b_] into `out`: the exact end point of
    /// an internal step where there is one, else the dense output.
    void interpolate(double t, std::span<double> out) {
        if (!stepped_ || (t == t_b_ && !clipped_)) {
            std::ranges::copy(stepper_->current_state(), out.begin());
        } else if (t == t_b_) {
            std::ranges::copy(x_clip_, out.begin());
        } else {
            boost::iterator_range<double*> range(out.data(), out.data() + out.size());
            stepper_->calc_state(t, range);
        }
    }

    [[noreturn]] void too_many_spikes(std::size_t max_spikes, double t_start, double t_end) const {
        throw RunError(fmt::format("integrator 'dopri5': more than {} spikes ({} per cell) within one step, from "
                                   "t = {} to {} ms. The model fires without bound (e.g. its reset leaves v at "
                                   "threshold, or the current is far too strong); check its parameters",
                                   max_spikes, max_spikes_per_cell_and_step, t_start, t_end));
    }

    double rtol_ = 0, atol_ = 0, max_step_ = 0;

    const Model* model_ = nullptr;
    const Stimulus* stimulus_ = nullptr;
    std::size_t n_cells_ = 0;
    std::vector<std::size_t> breakpoints_;  // sorted, unique step indices
    std::vector<double> breakpoint_t_;      // their times, b * dt (ms)
    std::size_t next_breakpoint_ = 0;       // index of the first breakpoint after t_a_
    std::size_t segment_ = 0;               // stimulus step whose formula the current segment follows
    std::size_t next_i_ = 0;                // the grid step expected next

    std::optional<DenseStepper> stepper_;
    // The interval of the dense output in use: [t_a_, t_b_], the last internal step clipped at the next
    // breakpoint (then its end state is x_clip_), or [t, t] right after a restart (stepped_ false).
    double t_a_ = 0, t_b_ = 0;
    double last_step_ = 0;  // length of the last accepted internal step, unclipped (ms)
    static constexpr double first_step = 0.01;  // ms: first trial step of a run
    static constexpr int max_retries = 8;        // retries of a step whose state became NaN
    bool stepped_ = false, clipped_ = false;
    State x0_, x_clip_, v_;
    std::vector<Crossing> crossings_;  // of the current interval, sorted by time
    std::size_t next_crossing_ = 0;    // the first one not yet handled

    StateBatch rhs_y_, rhs_dydt_, at_event_;
    std::vector<double> current_;
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::DormandPrince5, "dopri5", "1.0.0",
            "adaptive Dormand-Prince 5(4) with dense output on Boost.Odeint, tolerances rtol and atol "
            "(Hairer, Norsett & Wanner 1993, II.5)")
