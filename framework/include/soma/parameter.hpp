#pragma once
/// @file parameter.hpp
/// Parameter schemas: what a plug-in accepts (name, unit, default, allowed range, description),
/// in the spirit of Arbor's mechanism catalogues and NEST's model documentation.

#include <boost/config.hpp>

#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace soma {

/// An interval of allowed values. Bounds may be infinite; each end is open or closed.
struct Range {
    double lower = -std::numeric_limits<double>::infinity();
    double upper = std::numeric_limits<double>::infinity();
    bool lower_closed = false;
    bool upper_closed = false;

    /// Any finite number: (-inf, inf).
    static constexpr Range any() { return {}; }
    /// (0, inf): strictly positive.
    static constexpr Range positive() { return {0.0, std::numeric_limits<double>::infinity(), false, false}; }
    /// [lo, inf).
    static constexpr Range at_least(double lo) { return {lo, std::numeric_limits<double>::infinity(), true, false}; }
    /// [lo, hi].
    static constexpr Range closed(double lo, double hi) { return {lo, hi, true, true}; }

    /// True when `x` is finite and inside the interval.
    [[nodiscard]] bool contains(double x) const;
    /// The interval in mathematical notation, e.g. "(0, inf)" or "[0, 1]"; a bound that would need more
    /// than 10 characters with a decimal point is shown with 7 significant digits ("[-6.283185, 6.283185]"
    /// for +-2 pi), for people to read.
    [[nodiscard]] std::string to_string() const;
};

/// One entry of a schema.
struct ParameterSpec {
    std::string name;         ///< identifier as typed by the user, e.g. "g_Na" (case-sensitive)
    std::string unit;         ///< e.g. "mS/cm^2"; "1" for dimensionless
    double default_value = 0; ///< must lie in `range`
    Range range;              ///< allowed values
    std::string description;  ///< one line, with the source of the default value
    /// For a parameter that selects one of several behaviours by number (0, 1, ...): their names in that
    /// order, which the user may give instead of the number (`after_end=repeat` for 2); empty otherwise.
    std::vector<std::string> choices = {};
};

/// `text` with a name of `spec.choices` replaced by its number ("repeat" -> "2"); else `text` as it is.
/// @throws ParameterError naming the parameter, the text and its choices when `spec` has choices and
///         `text` is neither one of them nor a number, with the closest name as a suggestion.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string resolve_choice(const ParameterSpec& spec, std::string_view full_name,
                                                              std::string_view text);

/// A named parameter set, e.g. a firing pattern of a model from its paper ("regular_spiking").
/// Selecting it sets the listed parameters; the others keep their values.
struct Preset {
    std::string name;         ///< identifier, [a-z0-9_]+
    std::string description;  ///< one line, with the source of the values (paper, table, figure)
    std::map<std::string, double> values;
};

/// Unit placeholder for stimulus amplitudes: they carry the current unit of the model they drive
/// (uA/cm^2 for `hh`, nA for `lif`). Resolved in run metadata by `resolve_unit`.
inline constexpr std::string_view model_current_unit = "<model current>";

/// `unit` with each `model_current_unit` in it replaced by `current_unit` ("<model current> ms^0.5" ->
/// "nA ms^0.5").
BOOST_SYMBOL_VISIBLE std::string resolve_unit(std::string_view unit, std::string_view current_unit);

/// The values of a schema, in schema order, read by name. Cheap to copy.
class BOOST_SYMBOL_VISIBLE ParameterValues {
public:
    ParameterValues(std::span<const ParameterSpec> schema, std::vector<double> values);

    /// Value of parameter `name`.
    /// @throws ParameterError if the schema has no such name (a plug-in bug, not a user error).
    [[nodiscard]] double operator[](std::string_view name) const;
    [[nodiscard]] std::span<const double> values() const { return values_; }

private:
    std::span<const ParameterSpec> schema_;
    std::vector<double> values_;
};

/// Parses a user-supplied number for parameter `name` (for option `name` when it begins with "--").
/// Accepts decimal and scientific notation with surrounding blanks; nothing else.
/// @throws ParameterError naming the parameter and the text if it is not a finite number
///         (NaN and infinities are refused).
BOOST_SYMBOL_VISIBLE double parse_number(std::string_view name, std::string_view text);

/// The name in `known` closest to `name` by edit distance (case-insensitive), or else the only one
/// that `name` (2 characters or more) abbreviates ('pso' for 'pso_gen'), or "" if none is close enough
/// to be a plausible misspelling.
BOOST_SYMBOL_VISIBLE std::string closest_name(std::string_view name, std::span<const std::string> known);

/// Text for an error about an unknown `name` among `known`: "unknown X 'foo'; did you mean 'bar'?
/// Known: a, b, c".
BOOST_SYMBOL_VISIBLE std::string unknown_name_message(std::string_view what, std::string_view name,
                                                      std::span<const std::string> known);

}  // namespace soma
