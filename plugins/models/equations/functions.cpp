#include "functions.hpp"

#include <algorithm>
#include <array>

namespace soma::equations {

namespace {

constexpr std::array<Function, 24> table{{
    {"exp", 1, 1, UnitRule::dimensionless, Op::exp, "e^x"},
    {"expm1", 1, 1, UnitRule::dimensionless, Op::expm1, "e^x - 1, accurate near 0"},
    {"exprel", 1, 1, UnitRule::dimensionless, Op::exprel, "(e^x - 1)/x, = 1 at x = 0"},
    {"x_over_expm1", 1, 1, UnitRule::dimensionless, Op::x_over_expm1, "x/(e^x - 1), = 1 at x = 0"},
    {"log", 1, 1, UnitRule::dimensionless, Op::log, "natural logarithm"},
    {"log1p", 1, 1, UnitRule::dimensionless, Op::log1p, "log(1 + x), accurate near 0"},
    {"log10", 1, 1, UnitRule::dimensionless, Op::log10, "base-10 logarithm"},
    {"log2", 1, 1, UnitRule::dimensionless, Op::log2, "base-2 logarithm"},
    {"sqrt", 1, 1, UnitRule::sqrt, Op::sqrt, "square root"},
    {"sin", 1, 1, UnitRule::dimensionless, Op::sin, "sine"},
    {"cos", 1, 1, UnitRule::dimensionless, Op::cos, "cosine"},
    {"tan", 1, 1, UnitRule::dimensionless, Op::tan, "tangent"},
    {"asin", 1, 1, UnitRule::dimensionless, Op::asin, "arc sine"},
    {"acos", 1, 1, UnitRule::dimensionless, Op::acos, "arc cosine"},
    {"atan", 1, 1, UnitRule::dimensionless, Op::atan, "arc tangent"},
    {"sinh", 1, 1, UnitRule::dimensionless, Op::sinh, "hyperbolic sine"},
    {"cosh", 1, 1, UnitRule::dimensionless, Op::cosh, "hyperbolic cosine"},
    {"tanh", 1, 1, UnitRule::dimensionless, Op::tanh, "hyperbolic tangent"},
    {"abs", 1, 1, UnitRule::same, Op::abs, "absolute value"},
    {"sign", 1, 1, UnitRule::indicator, Op::sign, "-1, 0 or 1"},
    {"heaviside", 1, 1, UnitRule::indicator, Op::heaviside, "1 for x > 0, else 0"},
    {"min", 2, -1, UnitRule::all_same, Op::min, "smallest argument"},
    {"max", 2, -1, UnitRule::all_same, Op::max, "largest argument"},
    {"pow", 2, 2, UnitRule::dimensionless, Op::pow, "x^y (dimensionless x and y)"},
}};

// Statement keywords and fixed symbols.
constexpr std::array<std::string_view, 13> reserved{
    "parameter", "state", "current", "let", "threshold", "reset", "refractory", "require", "preset",
    "t", "pi", "inf", "dt"};

}  // namespace

std::span<const Function> functions() { return table; }

const Function* find_function(std::string_view name) {
    const auto it = std::find_if(table.begin(), table.end(), [&](const Function& f) { return f.name == name; });
    return it == table.end() ? nullptr : &*it;
}

bool is_reserved(std::string_view name) {
    return find_function(name) != nullptr || std::find(reserved.begin(), reserved.end(), name) != reserved.end();
}

}  // namespace soma::equations
