/// @file cvode.cpp
/// Plug-in `cvode`: the variable-order, variable-step BDF method of SUNDIALS CVODE with Newton
/// iteration and a direct (LU) linear solver, for stiff models. Each internal step t_n = t_{n-1} + h_n
/// of order q (1 to 5) solves
///   sum_{j=0..q} alpha_{n,j} y_{n-j} + h_n beta_{n,0} f(t_n, y_n) = 0
/// for y_n by Newton's method with the iteration matrix M = I - gamma J, gamma = h_n beta_{n,0} and
/// J = df/dy, and is accepted when the weighted RMS norm of its local error estimate is at most 1,
/// with weights w_i = 1 / (rtol |y_i| + atol); h_n and q adapt to keep it so.
/// Source: A. C. Hindmarsh, P. N. Brown, K. E. Grant, S. L. Lee, R. Serban, D. E. Shumaker and
/// C. S. Woodward, SUNDIALS: Suite of nonlinear and differential/algebraic equation solvers, ACM Trans.
/// Math. Softw. 31:363-396 (2005), section 3.1; the library is SUNDIALS 6 (Debian 12: 6.4.1).
///
/// One solver per cell, as NEST gives every neuron its own GSL stepper: each cell of a worker's block
/// has its own CVODE memory (CV_BDF, Newton) over its n_vars state variables, with its own dense
/// n_vars x n_vars matrix and LU solver (SUNDenseMatrix, SUNLinSol_Dense: O(n_vars^3) work per
/// factorization, n_vars right-hand sides per difference-quotient Jacobian), its own step size, order,
/// error weights, root function and stop times; the model and stimulus are evaluated for that cell
/// alone (count 1). A cell's steps and located times thus depend on nothing but its own values: a cell
/// in a population gives bit for bit the result it gives alone, whatever the block or the number of
/// threads. The cells of a worker share one SUNContext (a worker runs on one thread) and scratch that
/// is fully overwritten before each use. The cost is one CVODE memory per cell: about 14 kB for the 4
/// variables of hh, most of it SUNDIALS's bookkeeping of its twenty-odd vectors, and one CVode call
/// per cell and grid step. J is the model's analytic Jacobian of one cell (soma::Jacobian) when the
/// model has that capability and `jacobian` = 1, else CVODE's difference quotients.
///
/// Grid: each cell's CVODE steps at its own pace and returns the state at each grid time
/// t_{i+1} = (i + 1) dt from its interpolating polynomial (CV_NORMAL mode). Stimulus: the current
/// follows one smooth formula per segment between the cell's breakpoints; a stop time
/// (CVodeSetStopTime) keeps every internal step inside its segment, and at each breakpoint the cell's
/// CVODE restarts (CVodeReInit) with the next formula, so no step straddles a jump or kink of the current.
/// A stimulus that `changes_every_step` (a noise held over each step) has a breakpoint at every grid time,
/// computed rather than listed (no memory per step): the cell's CVODE restarts at every t_i with the
/// formula of step i (current(i, t, ...)) and the stop time t_{i+1}, so each grid step is integrated from
/// t_i to t_{i+1} alone and ends exactly there. CVodeReInit allocates nothing and copies one state; the
/// cost of a restart is CVODE's own initial step size (its estimate costs about one evaluation of the
/// right-hand side), a new Jacobian, and BDF starting again at order 1 with short steps. Measured at
/// dt = 0.1 ms and the default tolerances: a passive LIF takes 9 internal steps and 18 evaluations per
/// grid step (24 and 38 at rtol = 1e-10), HH under `ou` noise 14 steps, 24 evaluations and 7 LU
/// factorizations, 7 times the time per cell and step of a constant current; dopri5 takes one step of
/// 7 evaluations. The errors of these low-order starts add up: spike times are off by up to 0.02 ms
/// after 200 ms on a LIF firing under such a current (6e-7 ms at rtol = 1e-10), and by up to 0.05 ms
/// (mean 5e-4 ms) in 100 ms on HH under `ou` noise (4e-4 ms at rtol = 1e-8; dopri5 at its defaults:
/// 3e-5 ms). For such stimuli prefer dopri5 unless the model is stiff, or tighten rtol.
///
/// Spikes: one root function per cell, g = v - threshold of that cell, direction +1 (upward crossings
/// only). CVODE's rootfinding (modified regula falsi on the interpolant) brackets a crossing to about
/// 100 u (|t| + |h|) with u = 2.2e-16 (7e-11 ms at t = 3 s, 1e-9 ms at t = 45 s), and its result is then
/// polished with TOMS 748 on the same interpolant to a few ulps of t (about 1e-12 ms at t = 3 s), so the
/// located time is the root of the interpolant to well under 1e-9 ms at any t; its distance from the
/// exact crossing is the interpolant's error, set by rtol and atol. The model's on_spike is applied to
/// the interpolated state at that time, and if it resets the cell (LIF), that cell's CVODE restarts from
/// the reset state there. A reset that leaves v at or above the threshold, or more than 1000 spikes of
/// one cell within one grid step, is reported as an error instead of looping forever.
///
/// Units: t and dt in ms; rtol dimensionless; atol in the unit of each state variable (mV for v, 1 for
/// gating variables; one number for all). Errors: a CVODE failure (negative return flag; e.g.
/// CV_TOO_MUCH_WORK after `max_steps` internal steps of one cell without reaching the next grid time)
/// is thrown as RunError with the cell's population index, the time, the flag's name and meaning,
/// CVODE's message and a remedy; CVODE's own printing to stderr is switched off (its messages are kept
/// for that error).

#include "soma/error.hpp"
#include "soma/integrator.hpp"
#include "soma/jacobian.hpp"
#include "soma/plugin.hpp"

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <boost/math/tools/toms748_solve.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <exception>
#include <utility>

#if SUNDIALS_VERSION_MAJOR != 6
#error "the cvode plug-in is written for the SUNDIALS 6 API (Debian 12: libsundials-dev 6.4.1)"
#endif
static_assert(std::is_same_v<sunrealtype, double>, "the cvode plug-in needs SUNDIALS built in double precision");

namespace soma::integrators {
namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();
constexpr double no_stop = std::numeric_limits<double>::max();  // "stop time" of the last segment
constexpr std::size_t no_breakpoint = std::numeric_limits<std::size_t>::max();

// RAII owners of the SUNDIALS objects.
struct FreeContext {
    void operator()(SUNContext ctx) const noexcept { SUNContext_Free(&ctx); }
};
struct FreeVector {
    void operator()(N_Vector v) const noexcept { N_VDestroy(v); }
};
struct FreeMatrix {
    void operator()(SUNMatrix a) const noexcept { SUNMatDestroy(a); }
};
struct FreeSolver {
    void operator()(SUNLinearSolver s) const noexcept { SUNLinSolFree(s); }
};
struct FreeCvode {
    void operator()(void* mem) const noexcept { CVodeFree(&mem); }
};
struct FreeString {
    void operator()(char* s) const noexcept { std::free(s); }  // CVodeGetReturnFlagName mallocs its result
};
using ContextPtr = std::unique_ptr<std::remove_pointer_t<SUNContext>, FreeContext>;
using VectorPtr = std::unique_ptr<std::remove_pointer_t<N_Vector>, FreeVector>;
using MatrixPtr = std::unique_ptr<std::remove_pointer_t<SUNMatrix>, FreeMatrix>;
using SolverPtr = std::unique_ptr<std::remove_pointer_t<SUNLinearSolver>, FreeSolver>;
using CvodePtr = std::unique_ptr<void, FreeCvode>;

// Meaning of CVODE's failure flags and what the user can do about them.
std::pair<const char*, const char*> explain(int flag) {
    constexpr const char* loosen = "try looser tolerances (integrator.rtol, integrator.atol) or check the model "
                                   "and stimulus parameters";
    switch (flag) {
        case CV_TOO_MUCH_WORK:
            return {"the solver took max_steps internal steps without reaching the next grid time",
                    "raise integrator.max_steps, loosen the tolerances, or check the model and stimulus parameters"};
        case CV_TOO_MUCH_ACC:
            return {"the requested accuracy is beyond double precision here",
                    "loosen the tolerances (integrator.rtol, integrator.atol)"};
        case CV_ERR_FAILURE:
            return {"the local error test failed repeatedly or the step size reached its minimum", loosen};
        case CV_CONV_FAILURE:
            return {"the Newton iteration failed to converge repeatedly or the step size reached its minimum",
                    loosen};
        case CV_LSETUP_FAIL:
        case CV_LSOLVE_FAIL:
            return {"the linear solver failed (singular iteration matrix)",
                    "try integrator.jacobian=0 or looser tolerances, or check the model parameters"};
        case CV_RHSFUNC_FAIL:
        case CV_FIRST_RHSFUNC_ERR:
        case CV_REPTD_RHSFUNC_ERR:
        case CV_UNREC_RHSFUNC_ERR:
            return {"the model's right-hand side became NaN or infinite",
                    "check the model and stimulus parameters (the state may be diverging)"};
        default:
            return {"the solver failed", loosen};
    }
}

/// The integrator's parameters, as a worker uses them.
struct Settings {
    double rtol = 1e-6, atol = 1e-8;
    long max_steps = 100000;
    bool use_jacobian = true;
};

/// A worker's scratch, shared by its cells and fully overwritten before each use.
struct Scratch {
    std::array<double, 1> current{};  // the injected current of one cell
    std::vector<double> jacobian;     // one cell's Jacobian, row-major, n_vars * n_vars
    std::string message;              // CVODE's last error or warning, for the RunError
    std::exception_ptr thrown;        // what a plug-in threw inside a callback, rethrown when CVODE returns
};

/// One cell's CVODE and what its restarts need. Not movable: CVODE keeps a pointer to it.
struct Cell {
    Cell(const Block& cell_block, std::size_t n_variables, SUNContext context, const Settings& settings,
         const Jacobian* jacobian_capability, Scratch& scratch_space)
        : block(cell_block),
          jacobian(jacobian_capability),
          scratch(&scratch_space),
          n_vars(n_variables),
          every_step(block.stimulus->changes_every_step()) {
        const auto n = static_cast<sunindextype>(n_vars);
        y.reset(N_VNew_Serial(n, context));
        if (!y) fail_setup("N_VNew_Serial");
        N_VConst(0.0, y.get());
        mem.reset(CVodeCreate(CV_BDF, context));
        if (!mem) fail_setup("CVodeCreate");
        void* m = mem.get();
        check_setup(CVodeSetErrHandlerFn(m, &Cell::on_error, &scratch->message), "CVodeSetErrHandlerFn");
        check_setup(CVodeInit(m, &Cell::rhs, 0.0, y.get()), "CVodeInit");
        check_setup(CVodeSetUserData(m, this), "CVodeSetUserData");
        check_setup(CVodeSStolerances(m, settings.rtol, settings.atol), "CVodeSStolerances");
        check_setup(CVodeSetMaxNumSteps(m, settings.max_steps), "CVodeSetMaxNumSteps");
        matrix.reset(SUNDenseMatrix(n, n, context));
        if (!matrix) fail_setup("SUNDenseMatrix");
        solver.reset(SUNLinSol_Dense(y.get(), matrix.get(), context));
        if (!solver) fail_setup("SUNLinSol_Dense");
        check_setup(CVodeSetLinearSolver(m, solver.get(), matrix.get()), "CVodeSetLinearSolver");
        check_setup(CVodeSetJacFn(m, jacobian != nullptr ? &Cell::jac : nullptr), "CVodeSetJacFn");
        check_setup(CVodeRootInit(m, 1, &Cell::roots), "CVodeRootInit");
        int upward = 1;
        check_setup(CVodeSetRootDirection(m, &upward), "CVodeSetRootDirection");
        check_setup(CVodeSetNoInactiveRootWarn(m), "CVodeSetNoInactiveRootWarn");

        // A stimulus that changes every step has a breakpoint at every step, kept as no list; every listed
        // breakpoint is a step, so the list is not asked for.
        if (every_step) return;
        breakpoints = block.stimulus->breakpoints(block.stimulus_cells);
        std::ranges::sort(breakpoints);
        breakpoints.erase(std::unique(breakpoints.begin(), breakpoints.end()), breakpoints.end());
        std::erase(breakpoints, std::size_t{0});
    }
    Cell(const Cell&) = delete;
    Cell& operator=(const Cell&) = delete;

    [[nodiscard]] double threshold() const { return block.thresholds[0]; }

    /// The step whose formula of the current applies during step i: i itself at every step, else the last
    /// breakpoint at or before i (0 if none).
    [[nodiscard]] std::size_t segment_of(std::size_t i) const {
        if (every_step) return i;
        const auto after = std::ranges::upper_bound(breakpoints, i);
        return after == breakpoints.begin() ? 0 : *(after - 1);
    }
    /// The first breakpoint after step i (a step index), or no_breakpoint.
    [[nodiscard]] std::size_t breakpoint_after(std::size_t i) const {
        if (every_step) return i + 1;
        const auto after = std::ranges::upper_bound(breakpoints, i);
        return after == breakpoints.end() ? no_breakpoint : *after;
    }

    [[noreturn]] void fail_setup(const char* function) const {
        throw RunError(fmt::format("could not set up CVODE for cell {}: {} failed{}{}", block.first, function,
                                   scratch->message.empty() ? "" : ": ", scratch->message));
    }
    void check_setup(int flag, const char* function) const {
        if (flag < 0) fail_setup(function);
    }

    // --- Callbacks from CVODE (C code: they must not throw). ---

    static void on_error(int /*code*/, const char* /*module*/, const char* function, char* message,
                         void* data) noexcept {
        auto& text = *static_cast<std::string*>(data);
        try {
            text = fmt::format("{}: {}", function, message);
        } catch (...) {
            text.clear();
        }
    }

    // A plug-in (the model, the stimulus) that throws inside one: the exception is kept and CVODE told to
    // stop (a negative return: unrecoverable), and step() rethrows it once CVode returns.
    static int rhs(sunrealtype t, N_Vector y, N_Vector ydot, void* data) noexcept {
        const auto& self = *static_cast<const Cell*>(data);
        const BatchView dydt(N_VGetArrayPointer(ydot), self.n_vars, 1, 1);
        try {
            self.block.rhs(self.segment_start, t, ConstBatchView(N_VGetArrayPointer(y), self.n_vars, 1, 1),
                           self.scratch->current, dydt);
        } catch (...) {
            self.scratch->thrown = std::current_exception();
            return -1;
        }
        // A NaN or infinity (e.g. from a wild Newton iterate) is a recoverable error: CVODE retries with a
        // smaller step, and gives up with CV_REPTD_RHSFUNC_ERR if it persists.
        double sum = 0;
        for (std::size_t k = 0; k < self.n_vars; ++k) sum += dydt.at(k, 0);
        return std::isfinite(sum) ? 0 : 1;
    }

    static int roots(sunrealtype /*t*/, N_Vector y, sunrealtype* g, void* data) noexcept {
        const auto& self = *static_cast<const Cell*>(data);
        g[0] = N_VGetArrayPointer(y)[0] - self.threshold();
        return 0;
    }

    static int jac(sunrealtype t, N_Vector y, N_Vector /*fy*/, SUNMatrix J, void* data, N_Vector /*tmp1*/,
                   N_Vector /*tmp2*/, N_Vector /*tmp3*/) noexcept {
        const auto& self = *static_cast<const Cell*>(data);
        const std::size_t nv = self.n_vars;
        Scratch& s = *self.scratch;
        try {
            self.block.stimulus->current(self.segment_start, t, self.block.stimulus_cells, s.current);
            std::ranges::fill(s.jacobian, 0.0);
            self.jacobian->jacobian(t, self.block.model_cells, ConstBatchView(N_VGetArrayPointer(y), nv, 1, 1),
                                    s.current, s.jacobian);
        } catch (...) {
            s.thrown = std::current_exception();
            return -1;
        }
        for (std::size_t r = 0; r < nv; ++r) {
            for (std::size_t k = 0; k < nv; ++k) {
                SM_ELEMENT_D(J, static_cast<sunindextype>(r), static_cast<sunindextype>(k)) = s.jacobian[r * nv + k];
            }
        }
        return 0;
    }

    Block block;                  // this cell alone (count 1)
    const Jacobian* jacobian;     // the model's, or null for difference quotients
    Scratch* scratch;             // the worker's
    std::size_t n_vars;
    bool every_step;                       // the stimulus changes every step: a breakpoint at each
    std::vector<std::size_t> breakpoints;  // otherwise its breakpoints: sorted, unique, without 0
    std::size_t segment_start = 0;  // step index whose current formula holds in this segment
    std::size_t segment_end = 0;    // next breakpoint (step index), or no_breakpoint
    double t_now = 0;               // time CVODE last returned at or restarted from

    // SUNDIALS objects, destroyed in reverse order (the worker's context after all of them).
    VectorPtr y;  // the state at t_now: CVODE's output and restart vector
    MatrixPtr matrix;
    SolverPtr solver;
    CvodePtr mem;
};

class CellWorker final : public Integrator::Worker {
public:
    CellWorker(const Block& block, const Settings& settings) : n_vars_(block.model->state_variables().size()) {
        SUNContext context = nullptr;
        if (SUNContext_Create(nullptr, &context) != 0 || context == nullptr) {
            throw RunError("could not set up CVODE: SUNContext_Create failed");
        }
        context_.reset(context);
        work_.reset(N_VNew_Serial(static_cast<sunindextype>(n_vars_), context));
        if (!work_) throw RunError("could not set up CVODE: N_VNew_Serial failed");
        scratch_.jacobian.assign(n_vars_ * n_vars_, 0.0);
        const auto* jacobian = settings.use_jacobian ? dynamic_cast<const Jacobian*>(block.model) : nullptr;
        for (std::size_t c = 0; c < block.count(); ++c) {
            cells_.emplace_back(block.cell(c), n_vars_, context, settings, jacobian, scratch_);
        }
    }

    void step(std::size_t i, const ConstBatchView& y, const BatchView& y_next, std::vector<Spike>& spikes) override {
        // Start of a run (or a caller that skipped steps, or a retry after a failure): start from y.
        const bool from_y = !started_ || i != next_step_;
        started_ = false;  // until every cell has reached t_{i+1}
        for (std::size_t c = 0; c < cells_.size(); ++c) {
            Cell& cell = cells_[c];
            if (from_y) {
                // Start from y in the segment containing step i.
                double* state = N_VGetArrayPointer(cell.y.get());
                for (std::size_t k = 0; k < n_vars_; ++k) state[k] = y.at(k, c);
                begin_segment(cell, i, cell.segment_of(i));
            } else if (cell.segment_end == i) {
                // A breakpoint: restart from the state at t_i (in cell.y) with the next formula of the current.
                begin_segment(cell, i, i);
            }
            advance(cell, i, spikes);
            const double* state = N_VGetArrayPointer(cell.y.get());
            for (std::size_t k = 0; k < n_vars_; ++k) y_next.at(k, c) = state[k];
        }
        next_step_ = i + 1;
        started_ = true;
    }

private:
    /// Advances `cell` from t_now to t_{i+1}, leaving its state there in cell.y.
    void advance(Cell& cell, std::size_t i, std::vector<Spike>& spikes) {
        const double t_end = static_cast<double>(i + 1) * cell.block.dt;
        std::size_t n_spikes = 0;
        for (;;) {
            // A reset at t_end (to rounding): the restart state in cell.y is the state at t_end.
            if (t_end - cell.t_now <= 4 * eps * t_end) return;
            scratch_.message.clear();
            double t_return = cell.t_now;
            const int flag = CVode(cell.mem.get(), t_end, cell.y.get(), &t_return, CV_NORMAL);
            if (scratch_.thrown) std::rethrow_exception(std::exchange(scratch_.thrown, nullptr));
            if (flag < 0) fail(cell, flag, t_return);
            if (flag == CV_ROOT_RETURN) {
                on_root(cell, t_return, i, n_spikes, spikes);
                continue;
            }
            cell.t_now = t_return;
            if (t_return >= t_end) return;  // else a stop time before t_end (never set, but harmless)
        }
    }

    // --- Segments and restarts. ---

    /// Starts a segment of `cell` that follows the formula of step `start` at step i, from the state in
    /// cell.y at t = i dt.
    void begin_segment(Cell& cell, std::size_t i, std::size_t start) {
        cell.segment_start = start;
        cell.segment_end = cell.breakpoint_after(i);
        restart(cell, static_cast<double>(i) * cell.block.dt);
    }

    /// Restarts the CVODE of `cell` at time t from the state in cell.y, with the stop time of its segment.
    void restart(Cell& cell, double t) {
        void* mem = cell.mem.get();
        scratch_.message.clear();
        if (const int flag = CVodeReInit(mem, t, cell.y.get()); flag < 0) fail(cell, flag, t);
        // The stop time persists across CVodeReInit, so it is set every time (no_stop for the last segment).
        double stop =
            cell.segment_end == no_breakpoint ? no_stop : static_cast<double>(cell.segment_end) * cell.block.dt;
        if (stop <= t) stop = no_stop;  // a reset at the very end of the segment: nothing left to integrate
        if (const int flag = CVodeSetStopTime(mem, stop); flag < 0) fail(cell, flag, t);
        cell.t_now = t;
    }

    // --- Events. ---

    /// Handles a CV_ROOT_RETURN of `cell` at t_root: locates the crossing, applies on_spike, restarts after
    /// a reset.
    void on_root(Cell& cell, double t_root, std::size_t i, std::size_t& n_spikes, std::vector<Spike>& spikes) {
        void* mem = cell.mem.get();
        int found = 0;
        CVodeGetRootInfo(mem, &found);
        if (found <= 0) {  // not an upward crossing (cannot happen with direction +1)
            cell.t_now = t_root;
            return;
        }
        double t_current = t_root, h_last = 0;
        CVodeGetCurrentTime(mem, &t_current);
        CVodeGetLastStep(mem, &h_last);
        // The crossing lies after the previous return (grid time, root or restart) and inside the last step.
        const double lower = std::max(cell.t_now, t_current - h_last);
        const double t_spike = polish(cell, lower, t_root, t_current, h_last);
        const double dt = cell.block.dt;
        const std::string_view unit = cell.block.model->state_variables()[0].unit;
        if (++n_spikes > max_spikes_per_cell_and_step) {
            throw RunError(fmt::format(
                "cell {} spiked more than {} times between t = {} and {} ms: the model's reset does not take v "
                "far enough below its threshold ({} {}), or the current is extreme; check the model's reset "
                "and threshold parameters and the stimulus amplitude",
                cell.block.first, max_spikes_per_cell_and_step, static_cast<double>(i) * dt,
                static_cast<double>(i + 1) * dt, cell.threshold(), unit));
        }
        if (const int flag = CVodeGetDky(mem, t_spike, 0, work_.get()); flag < 0) fail(cell, flag, t_spike);
        const BatchView event(N_VGetArrayPointer(work_.get()), n_vars_, 1, 1);
        spikes.push_back({cell.block.first, t_spike});
        const double v_before = event.at(0, 0);
        if (!cell.block.model->on_spike(t_spike, cell.block.model_cells, event)) {
            cell.t_now = t_root;
            return;
        }
        check_reset(t_spike, cell.block.first, v_before, event.at(0, 0), cell.threshold(), unit);
        // Restart from the reset state at the spike time.
        N_VScale(1.0, work_.get(), cell.y.get());
        restart(cell, t_spike);
    }

    /// Root of v(t) - threshold of `cell` on its CVODE's interpolant near t_root (where it is >= 0), to a
    /// few ulps. `lower` bounds the search from below. Falls back to t_root if no sign change is found.
    double polish(const Cell& cell, double lower, double t_root, double t_current, double h_last) noexcept {
        const double* w = N_VGetArrayPointer(work_.get());
        const double threshold = cell.threshold();
        const auto g = [&](double t) {
            if (CVodeGetDky(cell.mem.get(), t, 0, work_.get()) < 0) return std::numeric_limits<double>::quiet_NaN();
            return w[0] - threshold;
        };
        try {
            const double g_root = g(t_root);
            if (!(g_root >= 0)) return t_root;
            if (g_root == 0) return t_root;
            // Widen a bracket [a, t_root] from CVODE's own root tolerance until g(a) < 0.
            double width = 100 * eps * (std::abs(t_current) + std::abs(h_last));
            double a = t_root, g_a = g_root;
            for (;;) {
                a = std::max(t_root - width, lower);
                g_a = g(a);
                if (g_a < 0) break;
                if (a <= lower || !(g_a >= 0)) return t_root;
                width *= 16;
            }
            std::uintmax_t iterations = 60;
            const auto tolerance = [](double lo, double hi) {
                return std::abs(hi - lo) <= 4 * eps * std::max({std::abs(lo), std::abs(hi), 1.0});
            };
            const auto [lo, hi] = boost::math::tools::toms748_solve(g, a, t_root, g_a, g_root, tolerance, iterations);
            return std::min(0.5 * (lo + hi), t_root);
        } catch (...) {
            return t_root;
        }
    }

    // --- Errors. ---

    [[noreturn]] void fail(const Cell& cell, int flag, double t) const {
        const std::unique_ptr<char, FreeString> name(CVodeGetReturnFlagName(flag));
        const auto [meaning, remedy] = explain(flag);
        throw CellError(fmt::format("CVODE failed for cell {} at t = {} ms with {} ({}{}{}); {}", cell.block.first, t,
                                   name ? name.get() : std::to_string(flag).c_str(), meaning,
                                   scratch_.message.empty() ? "" : ": ", scratch_.message, remedy),
                        cell.block.first);
    }

    // Destroyed in reverse order: the cells' SUNDIALS objects first, the context last.
    ContextPtr context_;
    std::size_t n_vars_;
    VectorPtr work_;   // scratch: one cell's interpolated state (polish, state at a spike)
    Scratch scratch_;
    std::deque<Cell> cells_;  // a deque never moves its elements, whose addresses CVODE keeps
    std::size_t next_step_ = 0;
    bool started_ = false;
};

class Cvode final : public Integrator {
public:
    Cvode()
        : Integrator({
              {"rtol", "1", 1e-6, Range::closed(1e-14, 1e-1),
               "relative tolerance of the local error of each internal step"},
              {"atol", "<state unit>", 1e-8, Range::closed(1e-15, 1.0),
               "absolute tolerance, in the unit of each state variable (mV for v, 1 for gates)"},
              {"max_steps", "1", 100000, Range::closed(1, 1e9),
               "most internal steps CVODE may take for one cell to reach the next grid time (whole number)"},
              {"jacobian", "1", 1, Range::closed(0, 1),
               "1: the model's analytic Jacobian if it offers one; 0: difference quotients"},
          }) {
        init_defaults();
    }

    /// Measured with /usr/bin/time on 2 x 10^4 cells: about 13 kB per cell (CVODE's memory block, its
    /// Nordsieck and work vectors, the dense matrix and linear solver), and 0.2 kB per state variable.
    [[nodiscard]] std::size_t solver_bytes_per_cell(std::size_t n_vars) const override {
        return 13000 + 200 * n_vars + 8 * n_vars * n_vars;
    }

    [[nodiscard]] std::unique_ptr<Integrator::Worker> make_worker(const Block& block) const override {
        return std::make_unique<CellWorker>(block, settings_);
    }

private:
    void check(const ParameterValues& p) const override {
        if (p["max_steps"] != std::floor(p["max_steps"])) {
            throw ParameterError(fmt::format("parameter 'max_steps' = {} must be a whole number", p["max_steps"]));
        }
        if (p["jacobian"] != 0 && p["jacobian"] != 1) {
            throw ParameterError(fmt::format("parameter 'jacobian' = {} must be 0 (difference quotients) or 1 (the "
                                             "model's analytic Jacobian)",
                                             p["jacobian"]));
        }
    }

    void apply(const ParameterValues& p) override {
        settings_ = {p["rtol"], p["atol"], static_cast<long>(p["max_steps"]), p["jacobian"] != 0};
    }

    Settings settings_;
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::Cvode, "cvode", "2.0.0",
            "SUNDIALS CVODE: adaptive BDF with Newton iteration, one solver per cell, for stiff models "
            "(Hindmarsh et al. 2005)")
