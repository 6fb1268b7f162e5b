#pragma once
/// @file state.hpp
/// Per-cell arrays: the engine owns them (StateBatch), kernels see ranges of cells of them (BatchView).
///
/// Every per-cell quantity of a run (state variables, parameters, event state such as the end of a
/// refractory period, derived stimulus values) is stored variable-major, structure of arrays:
/// variable k of cell c sits at `k * stride + c`, so that a kernel loops over contiguous cells for
/// each variable, and one cell of a range is a view of the same memory with count 1.

#include <boost/config.hpp>

#include <cassert>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace soma {

/// Name and unit of a state variable, a parameter or the injected current, e.g. {"v", "mV", "membrane potential"}.
struct Variable {
    std::string name;
    std::string unit;  ///< "1" for dimensionless quantities such as gating variables
    std::string description;
};

/// A non-owning view of `count` consecutive cells of `n_vars` per-cell arrays that lie `stride`
/// doubles apart: `var(k)[c]` is variable k of the view's cell c. `T` is `double` or `const double`.
/// Cheap to copy, but 32 bytes, which a call passes through the stack: the interfaces called every step
/// (Model::derivatives, FixedStepIntegrator::Scheme::advance, Integrator::Worker::step) take views by
/// const reference. Valid as long as the arrays it views.
template <class T>
class BasicBatchView {
public:
    BasicBatchView() = default;
    BasicBatchView(T* data, std::size_t n_vars, std::size_t stride, std::size_t count)
        : data_(data), n_vars_(n_vars), stride_(stride), count_(count) {}
    /// A read-only view of a writable one.
    template <class U>
        requires(std::is_const_v<T> && std::is_same_v<std::remove_const_t<T>, U>)
    BasicBatchView(const BasicBatchView<U>& other)  // NOLINT(google-explicit-constructor): as span's conversion
        : data_(other.raw()), n_vars_(other.n_vars()), stride_(other.stride()), count_(other.count()) {}

    [[nodiscard]] std::size_t n_vars() const { return n_vars_; }
    /// Number of cells.
    [[nodiscard]] std::size_t count() const { return count_; }
    /// Distance between variable k and k + 1 of a cell, in doubles.
    [[nodiscard]] std::size_t stride() const { return stride_; }
    [[nodiscard]] T* raw() const { return data_; }

    /// Variable k of every cell of the view; shape [count].
    [[nodiscard]] std::span<T> var(std::size_t k) const {
        assert(k < n_vars_);
        return {data_ + k * stride_, count_};
    }
    /// Variable k of cell c.
    [[nodiscard]] T& at(std::size_t k, std::size_t c) const {
        assert(k < n_vars_ && c < count_);
        return data_[k * stride_ + c];
    }
    /// The cells [first, first + n) of this view.
    [[nodiscard]] BasicBatchView cells(std::size_t first, std::size_t n) const {
        assert(first + n <= count_);
        return {data_ + first, n_vars_, stride_, n};
    }
    /// Cell c alone.
    [[nodiscard]] BasicBatchView cell(std::size_t c) const { return cells(c, 1); }

private:
    T* data_ = nullptr;
    std::size_t n_vars_ = 0;
    std::size_t stride_ = 0;
    std::size_t count_ = 0;
};

using BatchView = BasicBatchView<double>;
using ConstBatchView = BasicBatchView<const double>;

/// Copies every variable of the cells of `from` into `to` (same n_vars and count).
inline void copy_cells(ConstBatchView from, BatchView to) {
    assert(from.n_vars() == to.n_vars() && from.count() == to.count());
    for (std::size_t k = 0; k < from.n_vars(); ++k) {
        const auto a = from.var(k);
        const auto b = to.var(k);
        for (std::size_t c = 0; c < a.size(); ++c) b[c] = a[c];
    }
}

/// `n_vars` per-cell arrays of `n_cells` cells, owned (the engine's state, parameters, scratch).
///
/// Layout: variable-major (structure of arrays): `var(k)[c]` is variable k of cell c, stored at
/// `data()[k * n_cells + c]`.
class StateBatch {
public:
    StateBatch() = default;
    StateBatch(std::size_t n_vars, std::size_t n_cells) : n_vars_(n_vars), n_cells_(n_cells), data_(n_vars * n_cells) {}

    [[nodiscard]] std::size_t n_vars() const { return n_vars_; }
    [[nodiscard]] std::size_t n_cells() const { return n_cells_; }

    /// Variable k of every cell; shape [n_cells].
    [[nodiscard]] std::span<double> var(std::size_t k) { return view().var(k); }
    [[nodiscard]] std::span<const double> var(std::size_t k) const { return view().var(k); }
    /// All values; shape [n_vars * n_cells], variable-major.
    [[nodiscard]] std::span<double> data() { return data_; }
    [[nodiscard]] std::span<const double> data() const { return data_; }

    /// All cells.
    [[nodiscard]] BatchView view() { return {data_.data(), n_vars_, n_cells_, n_cells_}; }
    [[nodiscard]] ConstBatchView view() const { return {data_.data(), n_vars_, n_cells_, n_cells_}; }
    /// The cells [first, first + n).
    [[nodiscard]] BatchView cells(std::size_t first, std::size_t n) { return view().cells(first, n); }
    [[nodiscard]] ConstBatchView cells(std::size_t first, std::size_t n) const { return view().cells(first, n); }

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
