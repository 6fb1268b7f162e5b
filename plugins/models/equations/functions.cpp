#include "functions.hpp"

#include <algorithm>
#include <array>

namespace soma::equations {

namespace {

constexpr std::array<Function, 24> table{{
    {"exp", 1, 1, UnitRule::dimensionless, true, "e^x"},
    {"expm1", 1, 1, UnitRule::dimensionless, false, "e^x - 1, accurate near 0"},
    {"exprel", 1, 1, UnitRule::dimensionless, false, "(e^x - 1)/x, = 1 at x = 0"},
    {"x_over_expm1", 1, 1, UnitRule::dimensionless, false, "x/(e^x - 1), = 1 at x = 0"},
    {"log", 1, 1, UnitRule::dimensionless, true, "natural logarithm"},
    {"log1p", 1, 1, UnitRule::dimensionless, false, "log(1 + x), accurate near 0"},
    {"log10", 1, 1, UnitRule::dimensionless, true, "base-10 logarithm"},
    {"log2", 1, 1, UnitRule::dimensionless, true, "base-2 logarithm"},
    {"sqrt", 1, 1, UnitRule::sqrt, true, "square root"},
    {"sin", 1, 1, UnitRule::dimensionless, true, "sine"},
    {"cos", 1, 1, UnitRule::dimensionless, true, "cosine"},
    {"tan", 1, 1, UnitRule::dimensionless, true, "tangent"},
    {"asin", 1, 1, UnitRule::dimensionless, true, "arc sine"},
    {"acos", 1, 1, UnitRule::dimensionless, true, "arc cosine"},
    {"atan", 1, 1, UnitRule::dimensionless, true, "arc tangent"},
    {"sinh", 1, 1, UnitRule::dimensionless, true, "hyperbolic sine"},
    {"cosh", 1, 1, UnitRule::dimensionless, true, "hyperbolic cosine"},
    {"tanh", 1, 1, UnitRule::dimensionless, true, "hyperbolic tangent"},
    {"abs", 1, 1, UnitRule::same, true, "absolute value"},
    {"sign", 1, 1, UnitRule::indicator, true, "-1, 0 or 1"},
    {"heaviside", 1, 1, UnitRule::indicator, false, "1 for x > 0, else 0"},
    {"min", 2, -1, UnitRule::all_same, true, "smallest argument"},
    {"max", 2, -1, UnitRule::all_same, true, "largest argument"},
    {"pow", 2, 2, UnitRule::dimensionless, false, "x^y (dimensionless x and y)"},
}};

// muparser's own names that model files do not offer, statement keywords, and fixed symbols.
constexpr std::array<std::string_view, 22> reserved{
    "asinh", "acosh", "atanh", "ln", "rint", "sum", "avg", "_pi", "_e",
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
