#pragma once
/// @file jacobian.hpp
/// Model capability: the analytic Jacobian of the right-hand side, for implicit integrators (CVODE's
/// BDF with Newton iteration). Without it, CVODE approximates the Jacobian by difference quotients.

#include "soma/model.hpp"

#include <boost/config.hpp>

#include <cstddef>
#include <span>

namespace soma {

/// Implemented, besides Model, by models that can give d(dy/dt)/dy.
class BOOST_SYMBOL_VISIBLE Jacobian {
public:
    virtual ~Jacobian();

    /// Jacobian of the right-hand side of one cell (`cell.count()` = 1) at time `t` (ms) for its state
    /// `y` (shape [n_vars, 1]) and current `i_inj` (shape [1]): `out` has n_vars * n_vars entries,
    /// row-major, out[r * n_vars + k] = d(dy_r/dt)/dy_k in 1/ms (in the units of y_r over y_k). Cells
    /// are independent, so a population's Jacobian is block-diagonal with these blocks. Must not throw
    /// or allocate.
    virtual void jacobian(double t, const ModelCells& cell, const ConstBatchView& y, std::span<const double> i_inj,
                          std::span<double> out) const = 0;
};

}  // namespace soma
