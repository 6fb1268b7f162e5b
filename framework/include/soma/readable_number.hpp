#pragma once
/// @file readable_number.hpp
/// Numbers in messages, as people write them.

#include <boost/config.hpp>

#include <string>

namespace soma {

/// `x` for a message: the shortest form that reads back to the same double ("0.1", "2000000", "1e-9"),
/// unless that has more than 10 characters and a decimal point (2 pi: "6.283185307179586", or
/// 0.0004889525583919354), then 7 significant digits ("6.283185", "0.0004889526"). Exponents without a
/// plus sign or leading zeros ("1e40", "4.68e-9", not "1e+40", "4.68e-09"); "inf", "-inf", "nan" as such.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string readable(double x);

/// `x` for a message with at most `significant` significant digits, exponents as `readable` writes them
/// ("5.04e10", not "5.04e+10").
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string readable(double x, int significant);

}  // namespace soma
