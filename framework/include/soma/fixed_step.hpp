#pragma once
/// @file fixed_step.hpp
/// Base of the fixed-step integrators (euler, rk4, exp_euler): one scheme step per grid step for the
/// whole block (in slices of a few hundred cells, so that they stay in the cache), with spikes located
/// inside the step for each crossing cell alone.
///
/// Spike location (parameter `locate_spikes` = 1, the default): when v of a cell crosses its threshold
/// upwards during the step [t, t + dt], the crossing is the root of the step's interpolant of v: the
/// straight line between the end points for first-order schemes, or the cubic Hermite interpolant
/// built from the states and derivatives at both ends for higher-order ones (Hairer, Norsett & Wanner,
/// Solving ODEs I, section II.6). The model's `on_spike` is applied to the interpolated state at that
/// time; if it changed the state (a reset), the scheme integrates that cell alone again from there to
/// t + dt. Everything after the block's step is done per cell, on that cell's arrays only, so a
/// cell's results do not depend on the other cells of the block.
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

#include <memory>
#include <vector>

namespace soma {

class BOOST_SYMBOL_VISIBLE FixedStepIntegrator : public Integrator {
public:
    /// How the trajectory inside a step is interpolated to locate a crossing.
    enum class Interpolant { linear, cubic_hermite };

    /// The scratch space of one scheme for one block of cells.
    class BOOST_SYMBOL_VISIBLE Scheme {
    public:
        virtual ~Scheme();
        /// One step of the scheme of length `h` (0 < h <= dt) from `y` at time `t` to `y_next`, with
        /// the current formula of stimulus step `i`, for the cells of `block`: a slice of the worker's
        /// block (contiguous cells, at most a few hundred) or one cell of it (count 1). Scratch sized for
        /// the whole block serves any of its sub-blocks (use its first `block.count()` columns). Must not
        /// throw or allocate.
        virtual void advance(const Block& block, std::size_t i, double t, double h, const ConstBatchView& y,
                             const BatchView& y_next) = 0;
    };

    /// `scheme_parameters` are the scheme's own, listed after `locate_spikes`.
    /// Derived classes call `init_defaults()` at the end of their constructor.
    explicit FixedStepIntegrator(Interpolant interpolant, std::vector<ParameterSpec> scheme_parameters = {});

    [[nodiscard]] std::unique_ptr<Worker> make_worker(const Block& block) const final;

protected:
    /// The scheme's scratch for `block`; checks capabilities (throw PluginError).
    [[nodiscard]] virtual std::unique_ptr<Scheme> make_scheme(const Block& block) const = 0;
    /// Constraints on the scheme's own parameters (throw ParameterError).
    virtual void check_scheme(const ParameterValues& /*values*/) const {}
    /// The scheme's own parameters, after validation.
    virtual void apply_scheme(const ParameterValues& /*values*/) {}

private:
    void check(const ParameterValues& values) const final;
    void apply(const ParameterValues& values) final;

    Interpolant interpolant_;
    bool locate_ = true;
};

}  // namespace soma
