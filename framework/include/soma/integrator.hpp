#pragma once
/// @file integrator.hpp
/// The Integrator interface: advances the state of a batch by one time step.
/// As in Boost.Odeint, the stepper (integrator) and the system (model) are separate objects.

#include "soma/component.hpp"
#include "soma/model.hpp"

#include <span>

namespace soma {

/// A fixed-step integration scheme.
class BOOST_SYMBOL_VISIBLE Integrator : public Component {
public:
    using Component::Component;

    /// Called once before a run: allocate scratch space for `n_cells` cells of `model`, and check
    /// that the model has any capability the scheme needs.
    /// @throws PluginError if the model lacks a required capability.
    virtual void prepare(const Model& model, std::size_t n_cells) = 0;

    /// Advances from `y` at time `t` (ms) to `y_next` at `t + dt`, with the injected current
    /// `i_inj` (shape [n_cells]) held at its value at `t` for the whole step.
    /// `y` and `y_next` have the same shape and do not alias. Must not throw or allocate.
    virtual void step(const Model& model, double t, double dt, std::span<const double> i_inj,
                      const StateBatch& y, StateBatch& y_next) = 0;
};

}  // namespace soma
