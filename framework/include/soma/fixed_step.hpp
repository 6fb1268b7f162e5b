#pragma once
/// @file fixed_step.hpp
/// Base of the fixed-step integrators (euler, rk4, exp_euler): one scheme step per grid step, with
/// spikes located inside the step.
///
/// Spike location (parameter `locate_spikes` = 1, the default): when v crosses the threshold upwards
/// during the step [t, t + dt], the crossing is the root of the step's interpolant of v: the straight
/// line between the end points for first-order schemes, or the cubic Hermite interpolant built from
/// the states and derivatives at both ends for higher-order ones (Hairer, Norsett & Wanner, Solving
/// ODEs I, section II.6). The model's `on_spike` is applied to the interpolated state at that time;
/// if it changed the state (a reset), the scheme integrates again from there to t + dt.
/// Accuracy of the located time, for a crossing with nonzero slope: O(dt^2) for the linear
/// interpolant and O(dt^4) for the cubic one, on top of the scheme's own error in the trajectory
/// (O(dt) for Euler and exponential Euler, O(dt^4) for RK4). Crossings are detected from the values
/// at the ends of the step: one that goes up and back down within a step is missed. The end of a
/// refractory period is a jump in the right-hand side that is not on the grid; a step across it
/// loses the scheme's order (first order for that step).
/// Errors: RunError if one cell crosses its threshold more than max_spikes_per_cell_and_step times
/// within one step (integrator.hpp).
///
/// With `locate_spikes` = 0 the threshold is checked only at the end of each step: the spike time is
/// t + dt and a reset replaces the state at t + dt, as in the course exercises Soma started from.

#include "soma/integrator.hpp"

#include <vector>

namespace soma {

class BOOST_SYMBOL_VISIBLE FixedStepIntegrator : public Integrator {
public:
    /// How the trajectory inside a step is interpolated to locate a crossing.
    enum class Interpolant { linear, cubic_hermite };

    /// `scheme_parameters` are the scheme's own, listed after `locate_spikes`.
    /// Derived classes call `init_defaults()` at the end of their constructor.
    explicit FixedStepIntegrator(Interpolant interpolant, std::vector<ParameterSpec> scheme_parameters = {});

    void prepare(const Model& model, const Stimulus& stimulus, std::size_t n_cells, double dt) final;
    void step(Model& model, const Stimulus& stimulus, std::size_t i, double dt, const StateBatch& y,
              StateBatch& y_next, std::vector<Spike>& spikes) final;

protected:
    /// Allocate the scheme's scratch space; check capabilities (throw PluginError).
    virtual void prepare_scheme(const Model& model, std::size_t n_cells) = 0;
    /// One step of the scheme of length `h` (0 < h <= dt) from `y` at time `t` to `y_next`, with
    /// the current formula of stimulus step `i`. Must not throw or allocate.
    virtual void advance(const Model& model, const Stimulus& stimulus, std::size_t i, double t, double h,
                         const StateBatch& y, StateBatch& y_next) = 0;
    /// Constraints on the scheme's own parameters (throw ParameterError).
    virtual void check_scheme(const ParameterValues& /*values*/) const {}
    /// The scheme's own parameters, after validation.
    virtual void apply_scheme(const ParameterValues& /*values*/) {}

private:
    void check(const ParameterValues& values) const final;
    void apply(const ParameterValues& values) final;
    void resolve(Model& model, const Stimulus& stimulus, std::size_t i, std::size_t cell, double t, double dt,
                 StateBatch& y_next, std::vector<Spike>& spikes);
    double locate(const Model& model, const Stimulus& stimulus, std::size_t i, std::size_t cell, double t0,
                  double h, double threshold);
    void interpolate(std::size_t cell, double s, double h);

    Interpolant interpolant_;
    bool locate_ = true;
    // Scratch for event handling: start and end of the current sub-step, the state at the event,
    // derivatives at both ends, and the current.
    StateBatch start_, end_, at_event_, f_start_, f_end_;
    std::vector<double> current_;
};

}  // namespace soma
