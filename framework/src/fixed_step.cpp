#include "soma/fixed_step.hpp"

#include "soma/error.hpp"
#include "soma/refractory.hpp"

#include <boost/math/tools/toms748_solve.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <queue>

namespace soma {

namespace {

std::vector<ParameterSpec> with_locate(std::vector<ParameterSpec> scheme) {
    scheme.insert(scheme.begin(), {"locate_spikes", "1", 1.0, Range::closed(0, 1),
                                   "1: locate threshold crossings inside the step and reset there; 0: check "
                                   "at the end of each step only (the course exercises' convention)"});
    return scheme;
}

// Cubic Hermite basis on s in [0, 1] (value at both ends, and derivative times h at both ends).
double hermite(double s, double y0, double y1, double hf0, double hf1) {
    const double s2 = s * s, s3 = s2 * s;
    return (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * hf0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * hf1;
}

using Interpolant = FixedStepIntegrator::Interpolant;

constexpr std::size_t slice_cells = 256;  // cells per call of the scheme (about 40 KiB of HH state and scratch)
constexpr std::size_t group_cells = 64;   // cells per vectorized threshold test

constexpr double largest = std::numeric_limits<double>::max();

/// Whether v went from below `threshold` to at least it and stayed finite: a v that overflowed to +infinity
/// has diverged (the engine's finite check reports it); resetting it would count a spike per step.
constexpr bool crosses(double v0, double v1, double threshold) {
    return (int(v0 < threshold) & int(v1 >= threshold) & int(v1 <= largest)) != 0;
}

/// Whether one of group_cells cells crossed its threshold (see `crosses`): an integer OR over a constant
/// count, which GCC vectorizes.
bool any_crossing(const double* v0, const double* v1, const double* threshold) {
    int crossed = 0;
    for (std::size_t c = 0; c < group_cells; ++c) crossed |= int(crosses(v0[c], v1[c], threshold[c]));
    return crossed != 0;
}

/// Advances one block with a scheme, then resolves the crossings of each cell alone.
class FixedStepWorker final : public Integrator::Worker {
public:
    FixedStepWorker(const Block& block, std::unique_ptr<FixedStepIntegrator::Scheme> scheme, Interpolant interpolant,
                    bool locate)
        : block_(block), scheme_(std::move(scheme)), interpolant_(interpolant), locate_(locate) {
        const std::size_t n_vars = block.model->state_variables().size();
        for (StateBatch* s : {&start_, &end_, &at_event_, &f_start_, &f_end_, &held_}) *s = StateBatch(n_vars, 1);
        const auto events = block.model->event_variables();
        for (std::size_t k = 0; k < events.size(); ++k) {
            if (events[k].name == refractory_end_variable) release_variable_ = k;
        }
    }

    void step(std::size_t i, const ConstBatchView& y, const BatchView& y_next, std::vector<Spike>& spikes) override {
        const double t = static_cast<double>(i) * block_.dt;
        const std::size_t n = block_.count();
        // Most steps of a small block end no refractory period: kept short, the rest out of line.
        if (n <= slice_cells && (releases_.empty() || releases_.top().t - 2 * refractory_slack >= t + block_.dt)) {
            scheme_->advance(block_, i, t, block_.dt, y, y_next);
            if (n == 1) {  // a cell alone: the threshold test without the group loop
                if (crosses(y.raw()[0], y_next.raw()[0], block_.thresholds[0])) crossed(0, i, t, y, y_next, spikes);
                return;
            }
            detect(0, n, i, t, y, y_next, spikes);
            return;
        }
        step_in_slices(i, t, y, y_next, spikes);
    }

private:
    /// A step of a block larger than one slice, or one in which a refractory period ends.
    [[gnu::noinline]] void step_in_slices(std::size_t i, double t, const ConstBatchView& y, const BatchView& y_next,
                                          std::vector<Spike>& spikes) {
        const std::size_t n = block_.count();
        if (!releases_.empty() && releases_.top().t - 2 * refractory_slack < t + block_.dt) {
            take_due_releases(t + block_.dt);
        }
        // Slices of cells small enough that their state, parameters and scratch stay in the cache from the
        // scheme's stages to the threshold test. A cell's results do not depend on the slicing.
        for (std::size_t first = 0; first < n; first += slice_cells) {
            const std::size_t count = std::min(slice_cells, n - first);
            scheme_->advance(block_.cells(first, count), i, t, block_.dt, y.cells(first, count),
                             y_next.cells(first, count));
            if (!due_.empty()) release(first, first + count, i, t, y, y_next);
            detect(first, first + count, i, t, y, y_next, spikes);
        }
        due_.clear();  // empty between steps: `crossed` looks in it for the cells released in this step
    }

    /// The end of a cell's refractory period: after it is reached the model's dynamics change (refractory.hpp).
    struct Release {
        double t = 0;           ///< ms: the end of the period (the event variable's value when it was noted)
        std::size_t cell = 0;   ///< index in the block
        StateBatch* state = nullptr;  ///< due this step: the cell's state at t (in free_states_), else null
        bool operator>(const Release& other) const { return t > other.t || (t == other.t && cell > other.cell); }
    };

    /// The releases whose time falls in this step (up to t_end) into due_ (empty), in the order of the cells.
    void take_due_releases(double t_end) {
        while (!releases_.empty() && releases_.top().t - 2 * refractory_slack < t_end) {
            due_.push_back(releases_.top());
            releases_.pop();
        }
        std::ranges::sort(due_, {}, &Release::cell);
        if (free_states_.size() < due_.size()) free_states_.resize(due_.size(), StateBatch(start_.n_vars(), 1));
        for (std::size_t k = 0; k < due_.size(); ++k) due_[k].state = &free_states_[k];
    }

    /// Cell `cell` of the block (count 1) from state `from` at t0 to `to` at t1, its refractory period's
    /// end inside (t0, t1) taken as a switch: the held part up to 2e-9 ms before it, then the free part
    /// from it (into `free` as well, its state at the end of the period).
    /// @returns the time the free part starts (t0 when the period does not end in the step).
    double advance_cell(const Block& cell, std::size_t i, double t0, double t1, ConstBatchView from, BatchView to,
                        BatchView free) {
        const double end = release_variable_ == npos ? t0 : cell.model_cells.events.at(release_variable_, 0);
        const double held_until = end - 2 * refractory_slack;
        if (!(held_until > t0 && held_until < t1)) {
            scheme_->advance(cell, i, t0, t1 - t0, from, to);
            return t0;
        }
        scheme_->advance(cell, i, t0, held_until - t0, from, free);  // every stage before the switch: held
        if (end < t1) {
            scheme_->advance(cell, i, end, t1 - end, free, to);  // every stage after it: free
        } else {
            copy_cells(free, to);
        }
        return std::min(end, t1);
    }

    /// The cells of [begin, end) whose refractory period ends in this step, advanced again across the end.
    void release(std::size_t begin, std::size_t end, std::size_t i, double t, const ConstBatchView& y,
                 const BatchView& y_next) {
        for (Release& r : due_) {
            if (r.cell < begin || r.cell >= end) continue;
            const Block cell = block_.cell(r.cell);
            if (cell.model_cells.events.at(release_variable_, 0) != r.t) {  // a later spike replaced it
                r.state = nullptr;
                continue;
            }
            r.t = advance_cell(cell, i, t, t + block_.dt, y.cell(r.cell), y_next.cell(r.cell), r.state->view());
            if (r.t == t) r.state = nullptr;  // not inside the step after all: the step stands
        }
    }

    /// After a reset of cell c at t_spike: its period's end, noted if it lies beyond this step.
    void note_release(std::size_t c, const Block& cell, double t_end) {
        if (release_variable_ == npos) return;
        const double end = cell.model_cells.events.at(release_variable_, 0);
        if (end - 2 * refractory_slack >= t_end) releases_.push({end, c, nullptr});
    }

    /// Finds and resolves the threshold crossings of the cells [begin, end) in the step from `y` to `y_next`;
    /// a vectorized test skips the groups of group_cells cells where none crossed (the work of a crossing is
    /// out of line in `crossed`). Out of line itself, so that a cell alone, which `step` tests inline, does
    /// not pay for its vector registers' spills.
    [[gnu::noinline]] void detect(std::size_t begin, std::size_t end, std::size_t i, double t, const ConstBatchView& y,
                const BatchView& y_next, std::vector<Spike>& spikes) {
        const double* const v0 = y.var(0).data();
        const double* const v1 = y_next.var(0).data();
        const double* const threshold = block_.thresholds.data();
        for (std::size_t first = begin; first < end; first += group_cells) {
            const std::size_t last = std::min(first + group_cells, end);
            if (last - first == group_cells && !any_crossing(&v0[first], &v1[first], &threshold[first])) continue;
            for (std::size_t c = first; c < last; ++c) {
                if (crosses(v0[c], v1[c], threshold[c])) crossed(c, i, t, y, y_next, spikes);
            }
        }
    }

    /// Cell c crossed its threshold in the step from t: records the spike and applies the model's event,
    /// located inside the step unless locate_spikes is 0.
    [[gnu::noinline]] void crossed(std::size_t c, std::size_t i, double t, const ConstBatchView& y,
                                   const BatchView& y_next, std::vector<Spike>& spikes) {
        const Block cell = block_.cell(c);
        if (!locate_) {
            spikes.push_back({cell.first, t + block_.dt});
            const double v_before = y_next.at(0, c);
            if (cell.model->on_spike(t + block_.dt, cell.model_cells, y_next.cell(c))) {
                check_reset(t + block_.dt, cell.first, v_before, y_next.at(0, c), cell.thresholds[0],
                            cell.model->state_variables()[0].unit);
                note_release(c, cell, t + block_.dt);
            }
            return;
        }
        // A cell released in this step is searched from the end of its refractory period.
        const auto released = std::ranges::find_if(due_, [&](const Release& r) { return r.cell == c && r.state; });
        double t0 = t;
        if (released != due_.end()) {
            t0 = released->t;
            copy_cells(released->state->view(), start_.view());
        } else {
            copy_cells(y.cell(c), start_.view());
        }
        copy_cells(y_next.cell(c), end_.view());
        resolve(c, cell, i, t0, t + block_.dt, spikes);
        copy_cells(end_.view(), y_next.cell(c));
    }

    /// The crossings of cell c in the (sub-)step [t0, t_end] from start_ to end_, with resets; leaves the
    /// cell's state at t_end in end_.
    void resolve(std::size_t c, const Block& cell, std::size_t i, double t0, double t_end, std::vector<Spike>& spikes) {
        const double dt = block_.dt;
        const double t = t_end - dt;
        const double threshold = cell.thresholds[0];
        for (std::size_t n = 0;; ++n) {
            if (!crosses(start_.var(0)[0], end_.var(0)[0], threshold)) break;
            if (n == max_spikes_per_cell_and_step) {
                throw CellError(fmt::format("cell {} crossed its threshold more than {} times in the step at t = {} "
                                            "ms; the reset cannot hold the model below threshold (is the current too "
                                            "large for dt = {} ms?)",
                                            cell.first, max_spikes_per_cell_and_step, fmt::format("{:.12g}", t), dt),
                                cell.first);
            }
            const double h = t_end - t0;
            const double s = locate(cell, i, t0, h, threshold);
            const double t_spike = std::min(t0 + s * h, t_end);
            interpolate(s, h);
            spikes.push_back({cell.first, t_spike});
            const double v_before = at_event_.view().at(0, 0);
            if (!cell.model->on_spike(t_spike, cell.model_cells, at_event_.view())) break;  // no reset
            check_reset(t_spike, cell.first, v_before, at_event_.view().at(0, 0), threshold,
                        cell.model->state_variables()[0].unit);
            if (t_spike >= t_end) {
                copy_cells(at_event_.view(), end_.view());
                note_release(c, cell, t_end);
                break;
            }
            // Integrate this cell again from the reset state to the end of the step (across the end of
            // its refractory period if that comes first).
            t0 = advance_cell(cell, i, t_spike, t_end, at_event_.view(), end_.view(), held_.view());
            copy_cells(t0 == t_spike ? at_event_.view() : held_.view(), start_.view());
            note_release(c, cell, t_end);
        }
    }

    /// The crossing of the threshold by the interpolant of v on [t0, t0 + h], as a fraction s of h.
    double locate(const Block& cell, std::size_t i, double t0, double h, double threshold) {
        const double va = start_.var(0)[0];
        const double vb = end_.var(0)[0];
        if (vb == threshold) return 1.0;
        if (interpolant_ == Interpolant::linear) return (threshold - va) / (vb - va);
        cell.rhs(i, t0, start_.view(), current_, f_start_.view());
        cell.rhs(i, t0 + h, end_.view(), current_, f_end_.view());
        const double hfa = h * f_start_.var(0)[0];
        const double hfb = h * f_end_.var(0)[0];
        const auto g = [&](double s) { return hermite(s, va, vb, hfa, hfb) - threshold; };
        // g(0) < 0 <= g(1). The cubic may cross more than once: bracket the first crossing on a coarse
        // scan, then solve to a few ulps.
        constexpr int scan = 8;
        double lo = 0.0, g_lo = va - threshold, hi = 1.0, g_hi = vb - threshold;
        for (int k = 1; k < scan; ++k) {
            const double s = static_cast<double>(k) / scan;
            const double g_s = g(s);
            if (g_s >= 0) {
                hi = s;
                g_hi = g_s;
                break;
            }
            lo = s;
            g_lo = g_s;
        }
        if (g_hi == 0) return hi;
        std::uintmax_t iterations = 100;
        const auto [a, b] = boost::math::tools::toms748_solve(
            g, lo, hi, g_lo, g_hi, boost::math::tools::eps_tolerance<double>(50), iterations);
        return 0.5 * (a + b);
    }

    /// The state at the fraction s of the sub-step of length h into at_event_.
    void interpolate(double s, double h) {
        for (std::size_t k = 0; k < start_.n_vars(); ++k) {
            const double a = start_.var(k)[0];
            const double b = end_.var(k)[0];
            at_event_.var(k)[0] = interpolant_ == Interpolant::linear
                                      ? a + s * (b - a)
                                      : hermite(s, a, b, h * f_start_.var(k)[0], h * f_end_.var(k)[0]);
        }
    }

    Block block_;
    std::unique_ptr<FixedStepIntegrator::Scheme> scheme_;
    Interpolant interpolant_;
    bool locate_;
    // One cell's scratch for event handling: start and end of the current sub-step, the state at the
    // event, derivatives at both ends, the state at the end of a refractory period, and the current.
    StateBatch start_, end_, at_event_, f_start_, f_end_, held_;
    double current_[1] = {0.0};
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::size_t release_variable_ = npos;  // index of the model's event variable refractory_end, if any
    // The ends of refractory periods still to come (earliest first), and those in this step with their
    // cells' states there (free_states_, reused).
    std::priority_queue<Release, std::vector<Release>, std::greater<>> releases_;
    std::vector<Release> due_;
    std::vector<StateBatch> free_states_;
};

}  // namespace

FixedStepIntegrator::Scheme::~Scheme() = default;

FixedStepIntegrator::FixedStepIntegrator(Interpolant interpolant, std::vector<ParameterSpec> scheme_parameters)
    : Integrator(with_locate(std::move(scheme_parameters))), interpolant_(interpolant) {}

void FixedStepIntegrator::check(const ParameterValues& values) const {
    const double locate = values["locate_spikes"];
    if (locate != 0 && locate != 1) {
        throw ParameterError(fmt::format("parameter 'locate_spikes' = {} must be 0 or 1", locate));
    }
    check_scheme(values);
}

void FixedStepIntegrator::apply(const ParameterValues& values) {
    locate_ = values["locate_spikes"] != 0;
    apply_scheme(values);
}

std::unique_ptr<Integrator::Worker> FixedStepIntegrator::make_worker(const Block& block) const {
    return std::make_unique<FixedStepWorker>(block, make_scheme(block), interpolant_, locate_);
}

}  // namespace soma
