#pragma once
/// @file state.hpp
/// The state of a batch of independent cells, stored structure-of-arrays.

#include <boost/config.hpp>

#include <cassert>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace soma {

/// Name and unit of a state variable or of the injected current, e.g. {"v", "mV", "membrane potential"}.
struct Variable {
    std::string name;
    std::string unit;  ///< "1" for dimensionless quantities such as gating variables
    std::string description;
};

/// State of `n_cells` cells with `n_vars` variables each.
///
/// Layout: variable-major (structure of arrays): `var(k)[c]` is variable k of cell c, stored at
/// `data()[k * n_cells + c]`, so that a model loops over contiguous cells for each variable.
class StateBatch {
public:
    StateBatch() = default;
    StateBatch(std::size_t n_vars, std::size_t n_cells) : n_vars_(n_vars), n_cells_(n_cells), data_(n_vars * n_cells) {}

    [[nodiscard]] std::size_t n_vars() const { return n_vars_; }
    [[nodiscard]] std::size_t n_cells() const { return n_cells_; }

    /// Variable k of every cell; shape [n_cells].
    [[nodiscard]] std::span<double> var(std::size_t k) {
        assert(k < n_vars_);
        return {data_.data() + k * n_cells_, n_cells_};
    }
    [[nodiscard]] std::span<const double> var(std::size_t k) const {
        assert(k < n_vars_);
        return {data_.data() + k * n_cells_, n_cells_};
    }
    /// All values; shape [n_vars * n_cells], variable-major.
    [[nodiscard]] std::span<double> data() { return data_; }
    [[nodiscard]] std::span<const double> data() const { return data_; }

    void swap(StateBatch& other) noexcept {
        std::swap(n_vars_, other.n_vars_);
        std::swap(n_cells_, other.n_cells_);
        data_.swap(other.data_);
    }

private:
    std::size_t n_vars_ = 0;
    std::size_t n_cells_ = 0;
    std::vector<double> data_;
};

}  // namespace soma
