#pragma once
/// @file functions.hpp
/// The operations of model files: the operators and the functions expressions may call, each with its
/// unit rule and its value for one cell (what program.cpp evaluates, cell by cell).
///
/// The values are those of the C++ standard library (std::exp, std::pow, ...) and of the helpers
/// below, so that a file written in a compiled model's order of operations computes what it computes.
/// program.cpp evaluates `apply` in vector loops (vector_math.hpp), where exp, expm1, log, log1p, sin,
/// cos, tanh and pow are libmvec's vector functions (4 ulp at most), as in the compiled `hh`; constants
/// folded at load time use the scalar functions, as a C++ compiler folds them.
/// Comparisons, `&&`, `||` and the conditional take any nonzero operand (NaN included) as true and give
/// 1 or 0. `min` and `max` of more than two arguments are folded from the left, min(a, b, c) =
/// min(min(a, b), c), each as std::min and std::max (so NaN in the first argument propagates).

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

namespace soma::equations {

/// An operation of the compiled programs (program.hpp). `select` is the conditional c ? a : b.
enum class Op : std::uint8_t {
    // operators
    copy, neg, add, sub, mul, div, pow, lt, le, gt, ge, eq, ne, land, lor, select,
    // functions of one argument
    exp, expm1, exprel, x_over_expm1, log, log1p, log10, log2, sqrt, sin, cos, tan, asin, acos, atan, sinh, cosh,
    tanh, abs, sign, heaviside,
    // functions of two arguments
    min, max,
};
inline constexpr std::size_t n_ops = static_cast<std::size_t>(Op::max) + 1;

/// Number of operands of `op`: 1, 2, or 3 (select).
constexpr int arity(Op op) {
    if (op == Op::copy || op == Op::neg || (op >= Op::exp && op <= Op::heaviside)) return 1;
    return op == Op::select ? 3 : 2;
}

/// How a function treats units.
enum class UnitRule {
    dimensionless,  ///< arguments and result dimensionless (exp, log, sin, exprel, ...)
    same,           ///< result in the argument's unit (abs)
    all_same,       ///< arguments in one unit, result in it (min, max)
    sqrt,           ///< result in the square root of the argument's unit (every power even)
    indicator,      ///< any argument, dimensionless result (sign, heaviside)
};

struct Function {
    std::string_view name;
    int min_args = 1;
    int max_args = 1;  ///< -1: any number
    UnitRule rule = UnitRule::dimensionless;
    Op op = Op::exp;  ///< what it computes; min and max of n arguments are n - 1 of these
    std::string_view doc;
};

/// The functions available in expressions.
std::span<const Function> functions();
/// The function named `name`, or nullptr.
const Function* find_function(std::string_view name);
/// Names that no declaration may take: the functions, the keywords, `t`, `pi`, `inf` and `dt`.
bool is_reserved(std::string_view name);

/// (exp(x) - 1) / x, continuous at x = 0 where it is 1; via expm1 for accuracy near 0.
inline double exprel(double x) { return x == 0.0 ? 1.0 : std::expm1(x) / x; }
/// x / (exp(x) - 1), continuous at x = 0 where it is 1 (the form of HH's alpha_m and alpha_n);
/// the same formula as plugins/models/hh/hh_rates.hpp.
inline double x_over_expm1(double x) { return x == 0.0 ? 1.0 : x / std::expm1(x); }

/// The value of `op` for one cell: operands a, b (binary) and c (select: a ? b : c). Every operation
/// of the programs is computed by this one definition.
template <Op op>
inline double apply(double a, [[maybe_unused]] double b, [[maybe_unused]] double c) {
    constexpr auto truth = [](bool x) { return x ? 1.0 : 0.0; };
    if constexpr (op == Op::copy) return a;
    else if constexpr (op == Op::neg) return -a;
    else if constexpr (op == Op::add) return a + b;
    else if constexpr (op == Op::sub) return a - b;
    else if constexpr (op == Op::mul) return a * b;
    else if constexpr (op == Op::div) return a / b;
    else if constexpr (op == Op::pow) return std::pow(a, b);
    else if constexpr (op == Op::lt) return truth(a < b);
    else if constexpr (op == Op::le) return truth(a <= b);
    else if constexpr (op == Op::gt) return truth(a > b);
    else if constexpr (op == Op::ge) return truth(a >= b);
    else if constexpr (op == Op::eq) return truth(a == b);
    else if constexpr (op == Op::ne) return truth(a != b);
    else if constexpr (op == Op::land) return truth(a != 0.0 && b != 0.0);
    else if constexpr (op == Op::lor) return truth(a != 0.0 || b != 0.0);
    else if constexpr (op == Op::select) return a != 0.0 ? b : c;
    else if constexpr (op == Op::exp) return std::exp(a);
    else if constexpr (op == Op::expm1) return std::expm1(a);
    else if constexpr (op == Op::exprel) return exprel(a);
    else if constexpr (op == Op::x_over_expm1) return x_over_expm1(a);
    else if constexpr (op == Op::log) return std::log(a);
    else if constexpr (op == Op::log1p) return std::log1p(a);
    else if constexpr (op == Op::log10) return std::log10(a);
    else if constexpr (op == Op::log2) return std::log2(a);
    else if constexpr (op == Op::sqrt) return std::sqrt(a);
    else if constexpr (op == Op::sin) return std::sin(a);
    else if constexpr (op == Op::cos) return std::cos(a);
    else if constexpr (op == Op::tan) return std::tan(a);
    else if constexpr (op == Op::asin) return std::asin(a);
    else if constexpr (op == Op::acos) return std::acos(a);
    else if constexpr (op == Op::atan) return std::atan(a);
    else if constexpr (op == Op::sinh) return std::sinh(a);
    else if constexpr (op == Op::cosh) return std::cosh(a);
    else if constexpr (op == Op::tanh) return std::tanh(a);
    else if constexpr (op == Op::abs) return std::abs(a);
    else if constexpr (op == Op::sign) return a < 0.0 ? -1.0 : (a > 0.0 ? 1.0 : 0.0);
    else if constexpr (op == Op::heaviside) return truth(a > 0.0);
    else if constexpr (op == Op::min) return b < a ? b : a;  // std::min(a, b)
    else return a < b ? b : a;                                // std::max(a, b)
}

}  // namespace soma::equations
