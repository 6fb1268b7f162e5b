#pragma once
/// @file units.hpp
/// Units of model files: products of powers of SI base dimensions with a scale factor, enough to check
/// that the terms of an equation agree (e.g. mS/cm^2 * mV = uA/cm^2, uA/cm^2 / (uF/cm^2) = mV/ms,
/// nS * mV = pA, pA / pF = mV/ms, MOhm * nA = mV).
///
/// A unit is written as factors joined by '*' (or '.') and '/', each a symbol with an optional SI
/// prefix and an optional integer power: "mV", "uF/cm^2", "1/ms", "mS/cm^2", "ms^-1", "1" (dimensionless).
/// '/' divides by the next factor only ("mV/ms/ms" = mV ms^-2). Symbols: m, g, s, A, mol, K, V, S, F,
/// Ohm (or ohm), C (coulomb), Hz, M (mol/L), L; prefixes: T G M k c m u n p f. A symbol is read
/// whole before a prefix is tried, so "m" is the metre, "ms" the millisecond and "mM" millimolar.

#include <array>
#include <string>
#include <string_view>

namespace soma::equations {

/// The largest power a unit may be raised to, in a unit's text ("cm^2") or in an expression (v^3): far
/// beyond any neuron model's, and small enough that the powers of the dimensions never overflow.
inline constexpr int max_unit_power = 12;
/// The largest power of a base dimension (m, kg, s, A, mol, K) in any unit: the operations below throw
/// soma::ParameterError beyond it instead of overflowing.
inline constexpr int max_dimension_power = 1000;

struct Unit {
    std::array<int, 6> dim{};  ///< powers of m, kg, s, A, mol, K
    double scale = 1;          ///< value of one of this unit in SI base units

    friend Unit operator*(const Unit& a, const Unit& b);
    friend Unit operator/(const Unit& a, const Unit& b);
    /// The unit to the power n. @throws ParameterError when a dimension's power would exceed max_dimension_power.
    [[nodiscard]] Unit pow(int n) const;
    /// Same dimension and scale (to 1e-9 relative).
    [[nodiscard]] bool same(const Unit& other) const;
    [[nodiscard]] bool same_dimension(const Unit& other) const { return dim == other.dim; }
    [[nodiscard]] bool dimensionless() const;
    /// A familiar name: one of the common units of neuron models if one matches (e.g. "uA/cm^2"),
    /// else "x unit" with a matching dimension, else a product of at most three of them to powers -4..4
    /// with the fewest factors and the smallest powers ("mV/mS", "nA^2/ms"), else SI base units ("1e-05 m^-2 A").
    [[nodiscard]] std::string to_string() const;
};

/// The unit of `text`; on error returns false and sets `error` and `error_offset` (into `text`).
bool parse_unit(std::string_view text, Unit& unit, std::string& error, std::size_t& error_offset);

/// True if `name` is a unit symbol, with or without a prefix ("mV", "ms", "m", "MOhm"): what may begin
/// the unit of a number in an expression ("18 mV").
bool is_unit_symbol(std::string_view name);

inline const Unit dimensionless_unit{};
/// ms, the unit of time of every model.
Unit millisecond();

}  // namespace soma::equations
