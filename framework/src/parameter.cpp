#include "soma/parameter.hpp"

#include "soma/error.hpp"
#include "soma/readable_number.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace soma {

bool Range::contains(double x) const {
    if (!std::isfinite(x)) return false;
    const bool above = lower_closed ? x >= lower : x > lower;
    const bool below = upper_closed ? x <= upper : x < upper;
    return above && below;
}

std::string Range::to_string() const {
    return fmt::format("{}{}, {}{}", lower_closed ? '[' : '(', readable(lower), readable(upper),
                       upper_closed ? ']' : ')');
}

std::string resolve_unit(std::string_view unit, std::string_view current_unit) {
    // The placeholder may be part of a unit, e.g. white noise's "<model current> ms^0.5".
    std::string resolved(unit);
    for (auto at = resolved.find(model_current_unit); at != std::string::npos;
         at = resolved.find(model_current_unit, at + current_unit.size())) {
        resolved.replace(at, model_current_unit.size(), current_unit);
    }
    return resolved;
}

ParameterValues::ParameterValues(std::span<const ParameterSpec> schema, std::vector<double> values)
    : schema_(schema), values_(std::move(values)) {}

double ParameterValues::operator[](std::string_view name) const {
    for (std::size_t k = 0; k < schema_.size(); ++k) {
        if (schema_[k].name == name) return values_[k];
    }
    throw ParameterError(fmt::format("internal error: no parameter '{}' in this schema", name));
}

double parse_number(std::string_view name, std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    const auto last = text.find_last_not_of(" \t");
    const std::string_view trimmed = first == std::string_view::npos ? std::string_view{} : text.substr(first, last - first + 1);
    // from_chars does not take a leading '+'; users do type it.
    const std::string_view digits = !trimmed.empty() && trimmed.front() == '+' ? trimmed.substr(1) : trimmed;
    // "--high" names an option of a command, anything else a parameter.
    const std::string what = fmt::format("{} '{}'", name.starts_with("--") ? "option" : "parameter", name);
    double value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size()) {
        throw ParameterError(fmt::format("{}: '{}' is not a number (write it as e.g. 7, -65.5 or 1e-3, without a unit)",
                                         what, text));
    }
    if (ec == std::errc::result_out_of_range || !std::isfinite(value)) {
        throw ParameterError(fmt::format("{}: '{}' is not a finite number (NaN and infinities are not allowed)", what,
                                         text));
    }
    return value;
}

namespace {

/// The optimal string alignment distance (Levenshtein's, with a swap of two neighbouring letters as one
/// edit: "stpe" is 1 from "step", 2 from "sine"), ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const auto same = [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    };
    std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            row[j] = std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
                row[j] = std::min(row[j], before[j - 2] + 1);
            }
        }
        std::swap(before, previous);
        std::swap(previous, row);
    }
    return previous[b.size()];
}

}  // namespace

std::string closest_name(std::string_view name, std::span<const std::string> known) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, name.size() / 3) + 1;
    for (const auto& candidate : known) {
        const std::size_t d = edit_distance(name, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    if (!best.empty() || name.size() < 2) return best;
    // An abbreviation: the one known name that begins with `name` ('pso' for 'pso_gen').
    const auto begins = [&](const std::string& candidate) {
        return candidate.size() > name.size() && edit_distance(name, candidate.substr(0, name.size())) == 0;
    };
    if (std::ranges::count_if(known, begins) == 1) return *std::ranges::find_if(known, begins);
    return best;
}

std::string unknown_name_message(std::string_view what, std::string_view name, std::span<const std::string> known) {
    std::string message = fmt::format("unknown {} '{}'", what, name);
    const auto suggestion = closest_name(name, known);
    message += suggestion.empty() ? std::string(".") : fmt::format("; did you mean '{}'?", suggestion);
    message += known.empty() ? std::string(" None are available.") : fmt::format(" Known: {}.", fmt::join(known, ", "));
    return message;
}

std::string resolve_choice(const ParameterSpec& spec, std::string_view full_name, std::string_view text) {
    if (spec.choices.empty()) return std::string(text);
    const auto first = text.find_first_not_of(" \t");
    const std::string_view trimmed =
        first == std::string_view::npos ? std::string_view{} : text.substr(first, text.find_last_not_of(" \t") - first + 1);
    for (std::size_t k = 0; k < spec.choices.size(); ++k) {
        if (trimmed == spec.choices[k]) return std::to_string(k);
    }
    const bool is_number = !trimmed.empty() && (std::isdigit(static_cast<unsigned char>(trimmed.front())) ||
                                                 trimmed.front() == '-' || trimmed.front() == '+' || trimmed.front() == '.');
    if (is_number || trimmed.find_first_of(",(") != std::string_view::npos) return std::string(text);  // numbers, per-cell forms
    std::string listed;
    for (std::size_t k = 0; k < spec.choices.size(); ++k) {
        listed += fmt::format("{}{} ({})", k == 0 ? "" : ", ", spec.choices[k], k);
    }
    const auto suggestion = closest_name(trimmed, spec.choices);
    throw ParameterError(fmt::format("parameter '{}': '{}' is none of its choices: {}; give the name or its number{}",
                                     full_name, text, listed,
                                     suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
}

}  // namespace soma
