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
/// The system is the whole batch, n_vars * n_cells equations. Inside CVODE they are ordered cell by
/// cell (entry c * n_vars + k is variable k of cell c), so that the Jacobian, block-diagonal because the
/// cells are independent, is a band matrix of half-bandwidth n_vars - 1 and is factorized exactly by a
/// banded LU (SUNDIALS' band solver): O(n_cells n_vars^3) work per factorization and 2 n_vars - 1
/// right-hand sides per difference-quotient Jacobian, where a dense solver would need O((n_cells n_vars)^3)
/// and n_cells n_vars. For one cell the band is the full matrix. J is the model's analytic Jacobian when
/// the model has the soma::Jacobian capability and `jacobian` = 1, else CVODE's difference quotients.
///
/// Grid: CVODE steps at its own pace and returns the state at each grid time t_{i+1} = (i + 1) dt from
/// its interpolating polynomial (CV_NORMAL mode). Stimulus: the current follows one smooth formula per
/// segment between the stimulus's breakpoints; a stop time (CVodeSetStopTime) keeps every internal step
/// inside its segment, and at each breakpoint CVODE restarts (CVodeReInit) with the next formula, so no
/// step straddles a jump or kink of the current.
///
/// Spikes: one root function per cell, g_c = v_c - threshold, direction +1 (upward crossings only).
/// CVODE's rootfinding (modified regula falsi on the interpolant) brackets a crossing to about
/// 100 u (|t| + |h|) with u = 2.2e-16 (7e-11 ms at t = 3 s, 1e-9 ms at t = 45 s), and its result is then
/// polished with TOMS 748 on the same interpolant to a few ulps of t (about 1e-12 ms at t = 3 s), so the
/// located time is the root of the interpolant to well under 1e-9 ms at any t; its distance from the
/// exact crossing is the interpolant's error, set by rtol and atol. The model's on_spike is applied to
/// the interpolated state at that time, and if it resets the cell (LIF), CVODE restarts from the reset
/// state there. A reset that leaves v at or above the threshold, or more than 1000 spikes of one cell
/// within one grid step, is reported as an error instead of looping forever.
///
/// Units: t and dt in ms; rtol dimensionless; atol in the unit of each state variable (mV for v, 1 for
/// gating variables; one number for all). Errors: a CVODE failure (negative return flag) is thrown as
/// RunError with the time, the flag's name and meaning, CVODE's message and a remedy; CVODE's own
/// printing to stderr is switched off (its messages are kept for that error).

#include "soma/error.hpp"
#include "soma/integrator.hpp"
#include "soma/jacobian.hpp"
#include "soma/plugin.hpp"

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_band.h>
#include <sunmatrix/sunmatrix_band.h>

#include <boost/math/tools/toms748_solve.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#if SUNDIALS_VERSION_MAJOR != 6
#error "the cvode plug-in is written for the SUNDIALS 6 API (Debian 12: libsundials-dev 6.4.1)"
#endif
static_assert(std::is_same_v<sunrealtype, double>, "the cvode plug-in needs SUNDIALS built in double precision");

namespace soma::integrators {
namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();
constexpr double no_stop = std::numeric_limits<double>::max();  // "stop time" of the last segment

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

class Cvode final : public Integrator {
public:
    Cvode()
        : Integrator({
              {"rtol", "1", 1e-6, Range::closed(1e-14, 1e-1),
               "relative tolerance of the local error of each internal step"},
              {"atol", "<state unit>", 1e-8, Range::closed(1e-15, 1.0),
               "absolute tolerance, in the unit of each state variable (mV for v, 1 for gates)"},
              {"max_steps", "1", 100000, Range::closed(1, 1e9),
               "most internal steps CVODE may take to reach the next grid time (whole number)"},
              {"jacobian", "1", 1, Range::closed(0, 1),
               "1: the model's analytic Jacobian if it offers one; 0: difference quotients"},
          }) {
        init_defaults();
    }

    void prepare(const Model& model, const Stimulus& stimulus, std::size_t n_cells, double dt) override {
        // Free the previous run's solver, the context last.
        mem_.reset();
        solver_.reset();
        matrix_.reset();
        y_.reset();
        work_.reset();
        context_.reset();

        n_vars_ = model.state_variables().size();
        n_cells_ = n_cells;
        dt_ = dt;
        const auto n = static_cast<sunindextype>(n_vars_ * n_cells_);
        const auto half_band = static_cast<sunindextype>(n_vars_ - 1);

        SUNContext context = nullptr;
        if (SUNContext_Create(nullptr, &context) != 0 || context == nullptr) fail_setup("SUNContext_Create");
        context_.reset(context);
        y_.reset(N_VNew_Serial(n, context));
        work_.reset(N_VNew_Serial(n, context));
        if (!y_ || !work_) fail_setup("N_VNew_Serial");
        N_VConst(0.0, y_.get());
        mem_.reset(CVodeCreate(CV_BDF, context));
        if (!mem_) fail_setup("CVodeCreate");
        void* mem = mem_.get();
        check_setup(CVodeSetErrHandlerFn(mem, &Cvode::on_error, this), "CVodeSetErrHandlerFn");
        check_setup(CVodeInit(mem, &Cvode::rhs, 0.0, y_.get()), "CVodeInit");
        check_setup(CVodeSetUserData(mem, this), "CVodeSetUserData");
        check_setup(CVodeSStolerances(mem, rtol_, atol_), "CVodeSStolerances");
        check_setup(CVodeSetMaxNumSteps(mem, max_steps_), "CVodeSetMaxNumSteps");
        matrix_.reset(SUNBandMatrix(n, half_band, half_band, context));
        if (!matrix_) fail_setup("SUNBandMatrix");
        solver_.reset(SUNLinSol_Band(y_.get(), matrix_.get(), context));
        if (!solver_) fail_setup("SUNLinSol_Band");
        check_setup(CVodeSetLinearSolver(mem, solver_.get(), matrix_.get()), "CVodeSetLinearSolver");
        jacobian_ = use_jacobian_ ? dynamic_cast<const Jacobian*>(&model) : nullptr;
        check_setup(CVodeSetJacFn(mem, jacobian_ != nullptr ? &Cvode::jac : nullptr), "CVodeSetJacFn");
        check_setup(CVodeRootInit(mem, static_cast<int>(n_cells_), &Cvode::roots), "CVodeRootInit");
        std::vector<int> upward(n_cells_, 1);
        check_setup(CVodeSetRootDirection(mem, upward.data()), "CVodeSetRootDirection");
        check_setup(CVodeSetNoInactiveRootWarn(mem), "CVodeSetNoInactiveRootWarn");

        for (StateBatch* s : {&state_, &dydt_, &event_, &reset_}) *s = StateBatch(n_vars_, n_cells_);
        current_.assign(n_cells_, 0.0);
        block_.assign(n_vars_ * n_vars_, 0.0);
        roots_found_.assign(n_cells_, 0);
        spike_count_.assign(n_cells_, 0);
        located_.clear();
        located_.reserve(n_cells_);
        resets_.clear();
        resets_.reserve(n_cells_);

        auto breakpoints = stimulus.breakpoints();
        std::ranges::sort(breakpoints);
        breakpoints.erase(std::unique(breakpoints.begin(), breakpoints.end()), breakpoints.end());
        std::erase(breakpoints, std::size_t{0});
        breakpoints_ = std::move(breakpoints);
        next_step_ = 0;
        started_ = false;
    }

    void step(Model& model, const Stimulus& stimulus, std::size_t i, double dt, const StateBatch& y,
              StateBatch& y_next, std::vector<Spike>& spikes) override {
        model_ = &model;
        stimulus_ = &stimulus;
        threshold_ = model.threshold();
        dt_ = dt;
        const double t_end = static_cast<double>(i + 1) * dt;
        if (!started_ || i != next_step_) {
            // First step (or a jump in the step sequence): start from y in the segment containing step i.
            const auto after = std::ranges::upper_bound(breakpoints_, i);
            segment_start_ = after == breakpoints_.begin() ? 0 : *(after - 1);
            begin_segment(i, y);
        } else if (segment_end_ == i) {
            segment_start_ = i;  // a breakpoint: restart with the next formula of the current
            begin_segment(i, y);
        }
        next_step_ = i + 1;
        started_ = true;

        const std::size_t first = spikes.size();
        for (;;) {
            if (t_end - t_now_ <= 4 * eps * t_end) {
                // A reset at t_end (to rounding): the restart state is the state at t_end.
                to_batch(y_.get(), y_next);
                break;
            }
            message_.clear();
            double t_return = t_now_;
            const int flag = CVode(mem_.get(), t_end, y_.get(), &t_return, CV_NORMAL);
            if (flag < 0) fail(flag, t_return);
            if (flag == CV_ROOT_RETURN) {
                on_roots(t_return, i, spikes);
                continue;
            }
            t_now_ = t_return;
            if (t_return < t_end) continue;  // a stop time before t_end (never set, but harmless)
            to_batch(y_.get(), y_next);
            break;
        }
        for (std::size_t s = first; s < spikes.size(); ++s) spike_count_[spikes[s].cell] = 0;
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
        rtol_ = p["rtol"];
        atol_ = p["atol"];
        max_steps_ = static_cast<long>(p["max_steps"]);
        use_jacobian_ = p["jacobian"] != 0;
    }

    // --- Layout: CVODE's vector is cell-major, StateBatch variable-major. ---

    void to_batch(N_Vector v, StateBatch& batch) const noexcept {
        const double* in = N_VGetArrayPointer(v);
        const auto out = batch.data();
        for (std::size_t c = 0; c < n_cells_; ++c) {
            for (std::size_t k = 0; k < n_vars_; ++k) out[k * n_cells_ + c] = in[c * n_vars_ + k];
        }
    }

    void from_batch(const StateBatch& batch, N_Vector v) const noexcept {
        const auto in = batch.data();
        double* out = N_VGetArrayPointer(v);
        for (std::size_t c = 0; c < n_cells_; ++c) {
            for (std::size_t k = 0; k < n_vars_; ++k) out[c * n_vars_ + k] = in[k * n_cells_ + c];
        }
    }

    // --- Segments and restarts. ---

    /// Starts a segment at step i from the state y at t = i dt.
    void begin_segment(std::size_t i, const StateBatch& y) {
        const auto after = std::ranges::upper_bound(breakpoints_, i);
        segment_end_ = after == breakpoints_.end() ? std::numeric_limits<std::size_t>::max() : *after;
        from_batch(y, y_.get());
        restart(static_cast<double>(i) * dt_);
    }

    /// Restarts CVODE at time t from the state in y_, with the stop time of the current segment.
    void restart(double t) {
        void* mem = mem_.get();
        message_.clear();
        if (const int flag = CVodeReInit(mem, t, y_.get()); flag < 0) fail(flag, t);
        // The stop time persists across CVodeReInit, so it is set every time (no_stop for the last segment).
        double stop = segment_end_ == std::numeric_limits<std::size_t>::max()
                          ? no_stop
                          : static_cast<double>(segment_end_) * dt_;
        if (stop <= t) stop = no_stop;  // a reset at the very end of the segment: nothing left to integrate
        if (const int flag = CVodeSetStopTime(mem, stop); flag < 0) fail(flag, t);
        t_now_ = t;
    }

    // --- Events. ---

    /// Handles a CV_ROOT_RETURN at t_root: locates each crossing, applies on_spike, restarts after resets.
    void on_roots(double t_root, std::size_t i, std::vector<Spike>& spikes) {
        void* mem = mem_.get();
        CVodeGetRootInfo(mem, roots_found_.data());
        double t_current = t_root, h_last = 0;
        CVodeGetCurrentTime(mem, &t_current);
        CVodeGetLastStep(mem, &h_last);
        // Crossings lie after the previous return (grid time, root or restart) and inside the last step.
        const double lower = std::max(t_now_, t_current - h_last);
        located_.clear();
        for (std::size_t c = 0; c < n_cells_; ++c) {
            if (roots_found_[c] > 0) located_.emplace_back(polish(c, lower, t_root, t_current, h_last), c);
        }
        std::ranges::sort(located_);
        resets_.clear();
        for (const auto& [t_spike, c] : located_) {
            if (++spike_count_[c] > max_spikes_per_cell_and_step) {
                throw RunError(fmt::format(
                    "cell {} spiked more than {} times between t = {} and {} ms: the model's reset does not take v "
                    "far enough below its threshold ({} {}), or the current is extreme; check the model's reset "
                    "and threshold parameters and the stimulus amplitude",
                    c, max_spikes_per_cell_and_step, static_cast<double>(i) * dt_, static_cast<double>(i + 1) * dt_,
                    threshold_, model_->state_variables()[0].unit));
            }
            interpolate(t_spike, event_);
            spikes.push_back({c, t_spike});
            if (!model_->on_spike(c, t_spike, event_)) continue;
            const double v = event_.var(0)[c];
            if (!(v < threshold_)) {
                throw RunError(fmt::format(
                    "at t = {} ms the model reset cell {} to v = {} {}, not below its threshold {} {}: it would "
                    "spike again at once, endlessly; set the reset potential below the threshold",
                    t_spike, c, v, model_->state_variables()[0].unit, threshold_, model_->state_variables()[0].unit));
            }
            for (std::size_t k = 0; k < n_vars_; ++k) reset_.var(k)[c] = event_.var(k)[c];
            resets_.push_back(c);
        }
        if (resets_.empty()) {
            t_now_ = t_root;
            return;
        }
        // Restart from the reset state at the last crossing of this return (the only one, usually);
        // the other cells continue from the interpolated state there.
        const double t_restart = located_.back().first;
        if (const int flag = CVodeGetDky(mem, t_restart, 0, y_.get()); flag < 0) fail(flag, t_restart);
        double* y = N_VGetArrayPointer(y_.get());
        for (const std::size_t c : resets_) {
            for (std::size_t k = 0; k < n_vars_; ++k) y[c * n_vars_ + k] = reset_.var(k)[c];
        }
        restart(t_restart);
    }

    /// The state of every cell at time t (inside the last step) from CVODE's interpolant.
    void interpolate(double t, StateBatch& out) {
        if (const int flag = CVodeGetDky(mem_.get(), t, 0, work_.get()); flag < 0) fail(flag, t);
        to_batch(work_.get(), out);
    }

    /// Root of v_c(t) - threshold on CVODE's interpolant near t_root (where it is >= 0), to a few ulps.
    /// `lower` bounds the search from below. Falls back to t_root if no sign change is found.
    double polish(std::size_t c, double lower, double t_root, double t_current, double h_last) noexcept {
        const double* w = N_VGetArrayPointer(work_.get());
        const auto g = [&](double t) {
            if (CVodeGetDky(mem_.get(), t, 0, work_.get()) < 0) return std::numeric_limits<double>::quiet_NaN();
            return w[c * n_vars_] - threshold_;
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

    [[noreturn]] void fail(int flag, double t) const {
        const std::unique_ptr<char, FreeString> name(CVodeGetReturnFlagName(flag));
        const auto [meaning, remedy] = explain(flag);
        throw RunError(fmt::format("CVODE failed at t = {} ms with {} ({}{}{}); {}", t,
                                   name ? name.get() : std::to_string(flag).c_str(), meaning,
                                   message_.empty() ? "" : ": ", message_, remedy));
    }

    [[noreturn]] void fail_setup(const char* function) const {
        throw RunError(fmt::format("could not set up CVODE: {} failed{}{}", function, message_.empty() ? "" : ": ",
                                   message_));
    }

    void check_setup(int flag, const char* function) const {
        if (flag < 0) fail_setup(function);
    }

    // --- Callbacks from CVODE (C code: they must not throw). ---

    static void on_error(int /*code*/, const char* /*module*/, const char* function, char* message,
                         void* data) noexcept {
        auto* self = static_cast<Cvode*>(data);
        try {
            self->message_ = fmt::format("{}: {}", function, message);
        } catch (...) {
            self->message_.clear();
        }
    }

    static int rhs(sunrealtype t, N_Vector y, N_Vector ydot, void* data) noexcept {
        auto& self = *static_cast<Cvode*>(data);
        self.to_batch(y, self.state_);
        self.stimulus_->current(self.segment_start_, t, self.current_);
        self.model_->derivatives(t, self.state_, self.current_, self.dydt_);
        self.from_batch(self.dydt_, ydot);
        // A NaN or infinity (e.g. from a wild Newton iterate) is a recoverable error: CVODE retries with a
        // smaller step, and gives up with CV_REPTD_RHSFUNC_ERR if it persists.
        double sum = 0;
        for (const double x : self.dydt_.data()) sum += x;
        return std::isfinite(sum) ? 0 : 1;
    }

    static int roots(sunrealtype /*t*/, N_Vector y, sunrealtype* g, void* data) noexcept {
        const auto& self = *static_cast<const Cvode*>(data);
        const double* v = N_VGetArrayPointer(y);
        for (std::size_t c = 0; c < self.n_cells_; ++c) g[c] = v[c * self.n_vars_] - self.threshold_;
        return 0;
    }

    static int jac(sunrealtype t, N_Vector y, N_Vector /*fy*/, SUNMatrix J, void* data, N_Vector /*tmp1*/,
                   N_Vector /*tmp2*/, N_Vector /*tmp3*/) noexcept {
        auto& self = *static_cast<Cvode*>(data);
        const std::size_t nv = self.n_vars_;
        self.to_batch(y, self.state_);
        self.stimulus_->current(self.segment_start_, t, self.current_);
        SUNMatZero(J);
        for (std::size_t c = 0; c < self.n_cells_; ++c) {
            self.jacobian_->jacobian(t, self.state_, self.current_, c, self.block_);
            for (std::size_t k = 0; k < nv; ++k) {
                const auto column = static_cast<sunindextype>(c * nv + k);
                double* col = SUNBandMatrix_Column(J, column);
                for (std::size_t r = 0; r < nv; ++r) {
                    SM_COLUMN_ELEMENT_B(col, static_cast<sunindextype>(c * nv + r), column) = self.block_[r * nv + k];
                }
            }
        }
        return 0;
    }

    // Parameters.
    double rtol_ = 1e-6, atol_ = 1e-8;
    long max_steps_ = 100000;
    bool use_jacobian_ = true;

    // The run.
    std::size_t n_vars_ = 0, n_cells_ = 0;
    double dt_ = 0;
    Model* model_ = nullptr;
    const Stimulus* stimulus_ = nullptr;
    const Jacobian* jacobian_ = nullptr;
    double threshold_ = 0;
    std::vector<std::size_t> breakpoints_;
    std::size_t segment_start_ = 0;  // step index whose current formula holds in this segment
    std::size_t segment_end_ = 0;    // next breakpoint (step index), or SIZE_MAX
    std::size_t next_step_ = 0;
    bool started_ = false;
    double t_now_ = 0;  // time CVODE last returned at or restarted from

    // Scratch.
    StateBatch state_, dydt_, event_, reset_;
    std::vector<double> current_, block_;
    std::vector<int> roots_found_;
    std::vector<std::size_t> spike_count_;
    std::vector<std::pair<double, std::size_t>> located_;
    std::vector<std::size_t> resets_;
    std::string message_;  // CVODE's last error or warning, for the RunError

    // SUNDIALS objects, destroyed in reverse order (the context last).
    ContextPtr context_;
    VectorPtr y_, work_;
    MatrixPtr matrix_;
    SolverPtr solver_;
    CvodePtr mem_;
};

}  // namespace
}  // namespace soma::integrators

SOMA_PLUGIN(soma::PluginKind::integrator, soma::integrators::Cvode, "cvode", "1.0.0",
            "SUNDIALS CVODE: adaptive BDF with Newton iteration, for stiff models (Hindmarsh et al. 2005)")
