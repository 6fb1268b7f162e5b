#include "units.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

namespace soma::equations {

namespace {

// Dimension vectors: m, kg, s, A, mol, K.
Unit base(std::array<int, 6> dim, double scale = 1) { return {dim, scale}; }

struct Symbol {
    std::string_view name;
    Unit unit;
};

const std::vector<Symbol>& symbols() {
    static const std::vector<Symbol> table{
        {"m", base({1, 0, 0, 0, 0, 0})},
        {"g", base({0, 1, 0, 0, 0, 0}, 1e-3)},
        {"s", base({0, 0, 1, 0, 0, 0})},
        {"A", base({0, 0, 0, 1, 0, 0})},
        {"mol", base({0, 0, 0, 0, 1, 0})},
        {"K", base({0, 0, 0, 0, 0, 1})},
        {"V", base({2, 1, -3, -1, 0, 0})},
        {"S", base({-2, -1, 3, 2, 0, 0})},
        {"F", base({-2, -1, 4, 2, 0, 0})},
        {"Ohm", base({2, 1, -3, -2, 0, 0})},
        {"ohm", base({2, 1, -3, -2, 0, 0})},
        {"C", base({0, 0, 1, 1, 0, 0})},
        {"Hz", base({0, 0, -1, 0, 0, 0})},
        {"M", base({-3, 0, 0, 0, 1, 0}, 1e3)},
        {"L", base({3, 0, 0, 0, 0, 0}, 1e-3)},
    };
    return table;
}

const std::vector<std::pair<char, double>>& prefixes() {
    static const std::vector<std::pair<char, double>> table{{'T', 1e12}, {'G', 1e9}, {'M', 1e6}, {'k', 1e3},
                                                            {'c', 1e-2}, {'m', 1e-3}, {'u', 1e-6}, {'n', 1e-9},
                                                            {'p', 1e-12}, {'f', 1e-15}};
    return table;
}

bool lookup(std::string_view name, Unit& out) {
    for (const auto& s : symbols()) {
        if (s.name == name) {
            out = s.unit;
            return true;
        }
    }
    if (name.size() < 2) return false;
    for (const auto& [prefix, factor] : prefixes()) {
        if (name.front() != prefix) continue;
        for (const auto& s : symbols()) {
            if (s.name == name.substr(1)) {
                out = s.unit;
                out.scale *= factor;
                return true;
            }
        }
    }
    return false;
}

// Units that messages are written in, most familiar first.
const std::vector<std::pair<std::string, Unit>>& display_units() {
    static const std::vector<std::pair<std::string, Unit>> table = [] {
        std::vector<std::pair<std::string, Unit>> t;
        for (const char* text : {"1", "mV", "ms", "1/ms", "mV/ms", "uA/cm^2", "mS/cm^2", "uF/cm^2", "nA", "pA", "nS",
                                 "pF", "MOhm", "1/mV", "cm^2", "mM", "K", "nC", "uA/cm^2/ms", "pA/ms", "nA/ms", "V", "s", "Ohm",
                                 "mS", "uF"}) {
            Unit u;
            std::string error;
            std::size_t offset = 0;
            parse_unit(text, u, error, offset);
            t.emplace_back(text, u);
        }
        return t;
    }();
    return table;
}

/// `unit` as a product of at most three of the units models are written in, each to a power -4..4, for
/// a unit that is none of them (a product in a formula: nA^2/ms, mV*nS): the product with fewest factors
/// whose scale is the unit's; nullopt when there is none.
std::optional<std::string> as_product(const Unit& unit) {
    struct Factor {
        std::string_view name;
        Unit unit;
    };
    static const std::vector<Factor> factors = [] {
        std::vector<Factor> f;
        for (const char* name : {"mV", "ms", "nA", "pA", "uA", "nS", "mS", "pF", "uF", "cm", "mM", "K"}) {
            Unit u;
            lookup(name, u);
            f.push_back({name, u});
        }
        return f;
    }();
    const auto power = [](const Unit& u, int p) {
        Unit r;
        for (std::size_t k = 0; k < r.dim.size(); ++k) r.dim[k] = u.dim[k] * p;
        r.scale = std::pow(u.scale, p);
        return r;
    };
    const auto text = [](std::vector<std::pair<std::string_view, int>> parts) {
        // Positive powers first, then "/" and the negative ones: nA^2/ms.
        std::stable_partition(parts.begin(), parts.end(), [](const auto& part) { return part.second > 0; });
        std::string out;
        for (const auto& [name, p] : parts) {
            if (p > 0) {
                out += fmt::format("{}{}{}", out.empty() ? "" : "*", name, p == 1 ? "" : fmt::format("^{}", p));
            } else {
                out += fmt::format("{}/{}{}", out.empty() ? "1" : "", name, p == -1 ? "" : fmt::format("^{}", -p));
            }
        }
        return out;
    };
    constexpr int most = 4;     // |power| of a factor
    constexpr int factors_at_most = 3;
    std::vector<std::pair<std::string_view, int>> parts, best;
    int best_weight = 0;
    // Depth-first over factors in table order, with strictly increasing factor index; of the products with
    // `left` factors, the one with the smallest sum of |powers| (mS*uF/cm^4 rather than uF^2/ms/cm^4).
    const auto search = [&](const auto& self, const Unit& rest, std::size_t from, int left, int weight) -> void {
        if (left == 0) {
            if (rest.same(Unit{}) && (best.empty() || weight < best_weight)) {
                best = parts;
                best_weight = weight;
            }
            return;
        }
        for (std::size_t i = from; i < factors.size(); ++i) {
            for (int p = -most; p <= most; ++p) {
                if (p == 0) continue;
                parts.emplace_back(factors[i].name, p);
                self(self, rest * power(factors[i].unit, -p), i + 1, left - 1, weight + std::abs(p));
                parts.pop_back();
            }
        }
    };
    for (int count = 1; count <= factors_at_most && best.empty(); ++count) search(search, unit, 0, count, 0);
    if (!best.empty()) return text(best);
    return std::nullopt;
}

}  // namespace

namespace {

/// A dimension's power, refused beyond max_dimension_power (an expression like ((v^12)^12)^12, or a
/// chain of lets squaring a unit, would otherwise overflow int).
int checked_power(long long power) {
    if (power < -max_dimension_power || power > max_dimension_power) {
        throw ParameterError(fmt::format("a unit with a dimension to the power {} arises in this model; powers of a "
                                         "dimension are limited to -{} to {} (is a quantity with a unit raised to a "
                                         "power, or multiplied by itself, again and again?)",
                                         power, max_dimension_power, max_dimension_power));
    }
    return static_cast<int>(power);
}

}  // namespace

Unit operator*(const Unit& a, const Unit& b) {
    Unit u;
    for (std::size_t k = 0; k < u.dim.size(); ++k) u.dim[k] = checked_power(0LL + a.dim[k] + b.dim[k]);
    u.scale = a.scale * b.scale;
    return u;
}

Unit operator/(const Unit& a, const Unit& b) {
    Unit u;
    for (std::size_t k = 0; k < u.dim.size(); ++k) u.dim[k] = checked_power(0LL + a.dim[k] - b.dim[k]);
    u.scale = a.scale / b.scale;
    return u;
}

Unit Unit::pow(int n) const {
    Unit u;
    for (std::size_t k = 0; k < dim.size(); ++k) u.dim[k] = checked_power(static_cast<long long>(dim[k]) * n);
    u.scale = std::pow(scale, n);
    return u;
}

bool Unit::same(const Unit& other) const {
    return dim == other.dim && std::abs(scale - other.scale) <= 1e-9 * std::max(std::abs(scale), std::abs(other.scale));
}

bool Unit::dimensionless() const { return same(dimensionless_unit); }

std::string Unit::to_string() const {
    for (const auto& [name, u] : display_units()) {
        if (same(u)) return name;
    }
    // A ratio of units of the same dimension but different scale (V/mV): a number, not 1.
    if (same_dimension(dimensionless_unit)) return fmt::format("{:g} (dimensionless, but not 1)", scale);
    for (const auto& [name, u] : display_units()) {
        if (same_dimension(u)) return fmt::format("{:g} {}", scale / u.scale, name);
    }
    if (const auto composite = as_product(*this)) return *composite;
    static constexpr std::array<std::string_view, 6> names{"m", "kg", "s", "A", "mol", "K"};
    std::string text = fmt::format("{:g}", scale);
    for (std::size_t k = 0; k < dim.size(); ++k) {
        if (dim[k] == 0) continue;
        text += dim[k] == 1 ? fmt::format(" {}", names[k]) : fmt::format(" {}^{}", names[k], dim[k]);
    }
    return text;
}

bool is_unit_symbol(std::string_view name) {
    Unit unit;
    return lookup(name, unit);
}

Unit millisecond() {
    Unit u;
    u.dim[2] = 1;
    u.scale = 1e-3;
    return u;
}

bool parse_unit(std::string_view text, Unit& unit, std::string& error, std::size_t& error_offset) {
    unit = Unit{};
    std::size_t pos = 0;
    bool divide = false;
    bool first = true;
    const auto fail = [&](std::size_t at, std::string message) {
        error = std::move(message);
        error_offset = at;
        return false;
    };
    if (text.empty()) return fail(0, "expected a unit (e.g. mV, or 1 for a dimensionless quantity)");
    while (pos < text.size()) {
        if (!first) {
            const char op = text[pos];
            if (op != '*' && op != '/' && op != '.') {
                return fail(pos, fmt::format("expected '*' or '/' in unit '{}' at '{}'", text, text.substr(pos)));
            }
            divide = op == '/';
            ++pos;
        }
        first = false;
        const std::size_t start = pos;
        while (pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_')) ++pos;
        const std::string_view symbol = text.substr(start, pos - start);
        if (symbol.empty()) return fail(start, fmt::format("expected a unit symbol in '{}' at position {}", text, start + 1));
        Unit factor;
        if (symbol == "1") {
            factor = Unit{};
        } else if (!lookup(symbol, factor)) {
            return fail(start, fmt::format("unknown unit '{}'; units are built from m, g, s, A, mol, K, V, S, F, Ohm, "
                                           "C, Hz, M (mol/L) and L with a prefix T G M k c m u n p f, e.g. mV, "
                                           "uA/cm^2, nS, 1/ms, or 1 for a dimensionless quantity (docs/equations.md)",
                                           symbol));
        }
        if (pos < text.size() && text[pos] == '^') {
            ++pos;
            const std::size_t exponent_start = pos;
            if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) ++pos;
            while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
            int power = 0;
            const auto digits = text.substr(exponent_start, pos - exponent_start);
            const char* begin = digits.data() + (!digits.empty() && digits.front() == '+' ? 1 : 0);
            const auto [end, ec] = std::from_chars(begin, digits.data() + digits.size(), power);
            if (ec != std::errc() || end != digits.data() + digits.size()) {
                return fail(exponent_start, fmt::format("expected a whole number after '^' in unit '{}'", text));
            }
            if (power < -max_unit_power || power > max_unit_power) {
                return fail(exponent_start, fmt::format("the power {} in unit '{}' is out of range; allowed: -{} to {}",
                                                        power, text, max_unit_power, max_unit_power));
            }
            factor = factor.pow(power);
        }
        unit = divide ? unit / factor : unit * factor;
    }
    return true;
}

}  // namespace soma::equations
