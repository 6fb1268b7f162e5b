#include "soma/fixed_step.hpp"

#include "soma/error.hpp"

#include <boost/math/tools/toms748_solve.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace soma {

namespace {


void copy_cell(const StateBatch& from, StateBatch& to, std::size_t cell) {
    for (std::size_t k = 0; k < from.n_vars(); ++k) to.var(k)[cell] = from.var(k)[cell];
}

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

}  // namespace

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

void FixedStepIntegrator::prepare(const Model& model, const Stimulus& /*stimulus*/, std::size_t n_cells,
                                  double /*dt*/) {
    const std::size_t n_vars = model.state_variables().size();
    for (StateBatch* s : {&start_, &end_, &at_event_, &f_start_, &f_end_}) *s = StateBatch(n_vars, n_cells);
    current_.assign(n_cells, 0.0);
    prepare_scheme(model, n_cells);
}

void FixedStepIntegrator::step(Model& model, const Stimulus& stimulus, std::size_t i, double dt, const StateBatch& y,
                               StateBatch& y_next, std::vector<Spike>& spikes) {
    const double t = static_cast<double>(i) * dt;
    advance(model, stimulus, i, t, dt, y, y_next);
    const double threshold = model.threshold();
    const auto v0 = y.var(0);
    const auto v1 = y_next.var(0);
    const std::size_t first = spikes.size();
    for (std::size_t c = 0; c < v0.size(); ++c) {
        if (!(v0[c] < threshold && v1[c] >= threshold)) continue;
        if (!locate_) {
            spikes.push_back({c, t + dt});
            model.on_spike(c, t + dt, y_next);
            continue;
        }
        copy_cell(y, start_, c);
        copy_cell(y_next, end_, c);
        copy_cell(y, at_event_, c);
        resolve(model, stimulus, i, c, t, dt, y_next, spikes);
    }
    if (spikes.size() - first > 1) {
        std::stable_sort(spikes.begin() + static_cast<std::ptrdiff_t>(first), spikes.end(),
                         [](const Spike& a, const Spike& b) { return a.t < b.t; });
    }
}

void FixedStepIntegrator::resolve(Model& model, const Stimulus& stimulus, std::size_t i, std::size_t cell, double t,
                                  double dt, StateBatch& y_next, std::vector<Spike>& spikes) {
    const double t_end = t + dt;
    const double threshold = model.threshold();
    double t0 = t;
    for (std::size_t n = 0;; ++n) {
        if (!(start_.var(0)[cell] < threshold && end_.var(0)[cell] >= threshold)) break;
        if (n == max_spikes_per_cell_and_step) {
            throw RunError(fmt::format("cell {} crossed its threshold more than {} times in the step at t = {} ms; the "
                                       "reset cannot hold the model below threshold (is the current too large for dt "
                                       "= {} ms?)",
                                       cell, max_spikes_per_cell_and_step, t, dt));
        }
        const double h = t_end - t0;
        const double s = locate(model, stimulus, i, cell, t0, h, threshold);
        const double t_spike = std::min(t0 + s * h, t_end);
        interpolate(cell, s, h);
        spikes.push_back({cell, t_spike});
        if (!model.on_spike(cell, t_spike, at_event_)) break;  // no reset: the trajectory goes on unchanged
        if (t_spike >= t_end) {
            copy_cell(at_event_, end_, cell);
            break;
        }
        // Integrate again from the reset state to the end of the step.
        advance(model, stimulus, i, t_spike, t_end - t_spike, at_event_, end_);
        copy_cell(at_event_, start_, cell);
        t0 = t_spike;
    }
    copy_cell(end_, y_next, cell);
}

double FixedStepIntegrator::locate(const Model& model, const Stimulus& stimulus, std::size_t i, std::size_t cell,
                                   double t0, double h, double threshold) {
    const double va = start_.var(0)[cell];
    const double vb = end_.var(0)[cell];
    if (vb == threshold) return 1.0;
    if (interpolant_ == Interpolant::linear) return (threshold - va) / (vb - va);
    stimulus.current(i, t0, current_);
    model.derivatives(t0, start_, current_, f_start_);
    stimulus.current(i, t0 + h, current_);
    model.derivatives(t0 + h, end_, current_, f_end_);
    const double hfa = h * f_start_.var(0)[cell];
    const double hfb = h * f_end_.var(0)[cell];
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
    const auto [a, b] = boost::math::tools::toms748_solve(g, lo, hi, g_lo, g_hi,
                                                          boost::math::tools::eps_tolerance<double>(50), iterations);
    return 0.5 * (a + b);
}

void FixedStepIntegrator::interpolate(std::size_t cell, double s, double h) {
    for (std::size_t k = 0; k < start_.n_vars(); ++k) {
        const double a = start_.var(k)[cell];
        const double b = end_.var(k)[cell];
        at_event_.var(k)[cell] = interpolant_ == Interpolant::linear
                                     ? a + s * (b - a)
                                     : hermite(s, a, b, h * f_start_.var(k)[cell], h * f_end_.var(k)[cell]);
    }
}

}  // namespace soma
