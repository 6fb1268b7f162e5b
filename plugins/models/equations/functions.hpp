#pragma once
/// @file functions.hpp
/// The functions model files may call, with their unit rules, and the helpers muparser lacks.

#include <cmath>
#include <span>
#include <string_view>

namespace soma::equations {

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
    bool builtin = true;  ///< provided by muparser's mu::Parser; else defined by the plug-in
    std::string_view doc;
};

/// The functions available in expressions.
std::span<const Function> functions();
/// The function named `name`, or nullptr.
const Function* find_function(std::string_view name);
/// Names that no declaration may take: muparser's built-in functions and constants that model files
/// do not offer (so that they cannot shadow them), the keywords, `t` and `pi`.
bool is_reserved(std::string_view name);

// Helpers defined for muparser (and for nothing else).

/// (exp(x) - 1) / x, continuous at x = 0 where it is 1; via expm1 for accuracy near 0.
inline double exprel(double x) { return x == 0.0 ? 1.0 : std::expm1(x) / x; }
/// x / (exp(x) - 1), continuous at x = 0 where it is 1 (the form of HH's alpha_m and alpha_n);
/// the same formula as plugins/models/hh/hh_rates.hpp.
inline double x_over_expm1(double x) { return x == 0.0 ? 1.0 : x / std::expm1(x); }
/// 1 for x > 0, else 0.
inline double heaviside(double x) { return x > 0.0 ? 1.0 : 0.0; }
inline double expm1(double x) { return std::expm1(x); }
inline double log1p(double x) { return std::log1p(x); }

}  // namespace soma::equations
