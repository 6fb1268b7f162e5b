#pragma once
/// @file conditionally_linear.hpp
/// Model capability: state variables that are linear in themselves for a frozen membrane potential,
/// dx/dt = a(v) + b(v) x (the gating variables of Hodgkin-Huxley-type models, with a = x_inf/tau_x
/// and b = -1/tau_x). Exponential Euler (Rush & Larsen 1978, IEEE Trans. Biomed. Eng. 25:389)
/// advances them exactly over a step with v frozen; NEURON's cnexp and Brian2's exponential_euler
/// use the same idea.

#include "soma/model.hpp"

#include <boost/config.hpp>

#include <cstddef>
#include <span>

namespace soma {

/// Implemented, besides Model, by models that offer the conditionally linear form.
class BOOST_SYMBOL_VISIBLE ConditionallyLinear {
public:
    virtual ~ConditionallyLinear();

    /// Indices (into the model's state variables) of the conditionally linear variables; never
    /// includes 0 (v).
    [[nodiscard]] virtual std::span<const std::size_t> linear_variables() const = 0;

    /// Coefficients a (unit of x per ms) and b (1/ms) of each conditionally linear variable at time
    /// `t` (ms) for state `y` (shape [n_vars, count]): `a` and `b` have shape
    /// [linear_variables().size(), count], rows in the order of `linear_variables()`. The same
    /// exactness and thread-safety rules as Model's kernels apply. Must not throw or allocate.
    virtual void linear_coefficients(double t, const ModelCells& cells, const ConstBatchView& y, const BatchView& a,
                                     const BatchView& b) const = 0;
};

}  // namespace soma
