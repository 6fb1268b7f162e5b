/// @file cell_values.cpp
/// Per-cell parameter values (cell_values.hpp): the text forms, their expansion to cells, tables.
///
/// Random draws, exactly, so that another program can reproduce them (all integers unsigned):
///   stream  = 32-bit FNV-1a of the parameter's full name as bytes, e.g. "model.C_m":
///             h = 2166136261; for each byte c: h = (h xor c) * 16777619 mod 2^32;
///   key     = {seed mod 2^32, seed div 2^32};
///   counter = {cell mod 2^32, cell div 2^32, stream, 0};
///   r       = Philox4x32-10(counter, key) (Random123 r123::Philox4x32_R<10>), four 32-bit words;
///   w1      = r[0] + 2^32 r[1], w2 = r[2] + 2^32 r[3] (64-bit words);
///   normal(mu, sigma): u1 = w1 2^-64 + 2^-65 and u2 = w2 2^-64 + 2^-65 in double (r123::u01<double>),
///             both in (0, 1], so log(u1) is finite; z = sqrt(-2 log u1) * cos((2 pi) u2) (Box-Muller,
///             the first of its pair); value = mu + sigma * z;
///   uniform(a, b): u = floor(w1 / 2^11) 2^-53, in [0, 1); value = a + (b - a) * u, or the largest
///             double below b where that rounds to b.
/// One Philox block per cell and parameter, so cell c's value does not depend on the other cells.

#include "soma/cell_values.hpp"
#include "soma/readable_number.hpp"

#include "soma/error.hpp"
#include "soma/parameter.hpp"

#include <Random123/philox.h>
#include <Random123/uniform.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <numbers>

namespace soma {
namespace {

constexpr std::string_view all_forms =
    "a number (e.g. 120), numbers separated by commas (e.g. 100,110,120), linspace(a, b, n), "
    "normal(mu, sigma) or uniform(a, b)";

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

/// The pieces of `s` between commas, trimmed ("" gives one empty piece).
std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> pieces;
    for (std::size_t start = 0;;) {
        const auto comma = s.find(',', start);
        pieces.push_back(trim(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
        if (comma == std::string_view::npos) return pieces;
        start = comma + 1;
    }
}

/// A field quoted for a message; with `abbreviate`, its first 60 bytes if it is longer (a table file's
/// field: a binary file's first "line" can be kilobytes long; the Python binding abbreviates its own).
std::string quoted_field(std::string_view field, bool abbreviate = true) {
    constexpr std::size_t most = 60;
    if (!abbreviate || field.size() <= most) return fmt::format("'{}'", field);
    return fmt::format("'{}...' ({} bytes)", field.substr(0, most), field.size());
}

/// "" if `text` is a finite number (stored in `value`) by the rules of parse_number (decimal or
/// scientific notation, an optional leading '+'), else what is wrong with it (`text` abbreviated as by
/// quoted_field with `abbreviate`).
std::string number_problem(std::string_view text, double& value, bool abbreviate = false) {
    std::string_view digits = text;
    const bool plus = digits.starts_with('+');
    if (plus) digits.remove_prefix(1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || (plus && digits.starts_with('-')) || ec == std::errc::invalid_argument ||
        end != digits.data() + digits.size()) {
        return fmt::format("{} is not a number", quoted_field(text, abbreviate));
    }
    if (ec == std::errc::result_out_of_range) return fmt::format("{} cannot be held in double precision (too large or too small)", quoted_field(text, abbreviate));
    if (!std::isfinite(value)) return fmt::format("{} is not a finite number (NaN and infinities are not allowed)", quoted_field(text, abbreviate));
    return {};
}

bool is_identifier(std::string_view s) {
    const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    return !s.empty() && !std::isdigit(static_cast<unsigned char>(s.front())) && std::all_of(s.begin(), s.end(), word);
}

struct Function {
    std::string_view name;
    CellValues::Form form;
    std::array<std::string_view, 3> arguments;  // names; "" past the last
    std::string_view usage;                     // e.g. "normal(mu, sigma), e.g. normal(1, 0.1)"
    [[nodiscard]] std::size_t arity() const { return arguments[2].empty() ? 2 : 3; }
};

constexpr std::array<Function, 3> functions{{
    {"linspace", CellValues::Form::linspace, {"a", "b", "n"}, "linspace(a, b, n), e.g. linspace(0, 20, 41)"},
    {"normal", CellValues::Form::normal, {"mu", "sigma", ""}, "normal(mu, sigma), e.g. normal(1, 0.1)"},
    {"uniform", CellValues::Form::uniform, {"a", "b", ""}, "uniform(a, b) with a < b, e.g. uniform(0, 1)"},
}};

std::uint32_t fnv1a(std::string_view bytes) {
    std::uint32_t h = 2166136261u;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h;
}

/// Draws for cells 0 .. n_cells - 1 by the recipe at the top of this file; (p, q) is (mu, sigma) or (a, b).
std::vector<double> draw(CellValues::Form form, double p, double q, std::string_view parameter, std::size_t n_cells,
                         std::uint64_t seed) {
    using Philox = r123::Philox4x32_R<10>;  // Philox4x32-10
    const Philox philox;
    const Philox::key_type key{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    const std::uint32_t stream = fnv1a(parameter);
    std::vector<double> values(n_cells);
    for (std::size_t c = 0; c < n_cells; ++c) {
        const auto cell = static_cast<std::uint64_t>(c);
        const Philox::ctr_type counter{{static_cast<std::uint32_t>(cell), static_cast<std::uint32_t>(cell >> 32), stream, 0}};
        const Philox::ctr_type r = philox(counter, key);
        const std::uint64_t w1 = r[0] | std::uint64_t{r[1]} << 32;
        const std::uint64_t w2 = r[2] | std::uint64_t{r[3]} << 32;
        if (form == CellValues::Form::normal) {
            const double u1 = r123::u01<double>(w1);
            const double u2 = r123::u01<double>(w2);
            const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
            values[c] = p + q * z;
        } else {
            const double u = static_cast<double>(w1 >> 11) * 0x1p-53;
            const double value = p + (q - p) * u;
            values[c] = value < q ? value : std::nextafter(q, p);
        }
    }
    return values;
}

}  // namespace

CellValues CellValues::parse(std::string_view parameter, std::string_view text) {
    const std::string_view t = trim(text);
    const auto error = [&](std::string_view problem, std::string_view write) {
        return ParameterError(fmt::format("parameter '{}' = '{}': {}; write {}", parameter, t, problem, write));
    };
    if (t.empty()) throw ParameterError(fmt::format("parameter '{}': no value given; write {}", parameter, all_forms));

    CellValues result;
    const auto open = t.find('(');
    if (open == std::string_view::npos && t.find(')') == std::string_view::npos) {
        const auto entries = split(t);
        if (entries.size() == 1) {
            double value = 0;
            if (const auto problem = number_problem(t, value); !problem.empty()) {
                throw ParameterError(fmt::format("parameter '{}': {}; write {}", parameter, problem, all_forms));
            }
            return constant(value);
        }
        result.form_ = Form::list;
        result.values_.resize(entries.size());
        for (std::size_t k = 0; k < entries.size(); ++k) {
            constexpr std::string_view list_form = "the values separated by commas, e.g. 100,110,120";
            if (entries[k].empty()) throw error(fmt::format("entry {} of the list is empty", k + 1), list_form);
            if (const auto problem = number_problem(entries[k], result.values_[k]); !problem.empty()) {
                throw error(fmt::format("entry {} of the list: {}", k + 1, problem), list_form);
            }
        }
        return result;
    }

    const std::string_view name = open == std::string_view::npos ? std::string_view{} : trim(t.substr(0, open));
    if (!is_identifier(name)) throw error("this is not a number, a list or a function", all_forms);
    const auto function = std::find_if(functions.begin(), functions.end(), [&](const auto& f) { return f.name == name; });
    if (function == functions.end()) {
        const std::vector<std::string> known{"linspace", "normal", "uniform"};
        throw ParameterError(fmt::format("parameter '{}' = '{}': {} Write {}.", parameter, t,
                                         unknown_name_message("function", name, known), all_forms));
    }
    if (!t.ends_with(')')) {
        const auto close = t.find(')', open);
        if (close == std::string_view::npos) throw error("')' is missing at the end", function->usage);
        const std::string_view after = trim(t.substr(close + 1));
        throw error(after.starts_with(',') ? fmt::format("{}(...) gives all the values and cannot be part of a list",
                                                         name)
                                           : fmt::format("unexpected text '{}' after ')'", after),
                    function->usage);
    }
    const std::string_view inside = trim(t.substr(open + 1, t.size() - open - 2));
    const auto arguments = inside.empty() ? std::vector<std::string_view>{} : split(inside);
    if (arguments.size() != function->arity()) {
        throw error(fmt::format("{} takes {} arguments, not {}", name, function->arity(), arguments.size()), function->usage);
    }
    result.form_ = function->form;
    result.values_.resize(arguments.size());
    for (std::size_t k = 0; k < arguments.size(); ++k) {
        const std::string_view what = function->arguments[k];
        if (arguments[k].empty()) throw error(fmt::format("argument {} ({}) is empty", k + 1, what), function->usage);
        if (const auto problem = number_problem(arguments[k], result.values_[k]); !problem.empty()) {
            throw error(fmt::format("argument {} ({}): {}", k + 1, what, problem), function->usage);
        }
    }

    const double p = result.values_[0], q = result.values_[1];
    switch (result.form_) {
    case Form::linspace: {
        const double n = result.values_[2];
        if (n < 1 || n != std::floor(n)) {
            throw error(fmt::format("the number of values n = {} must be a whole number >= 1", readable(n)), function->usage);
        }
        if (n > 1e9) throw error(fmt::format("n = {} is more than the 1e9 values allowed", readable(n)), function->usage);
        if (!std::isfinite((q - p) * (n - 1))) {
            throw error("a and b are so far apart that (b - a)(n - 1) overflows double precision", function->usage);
        }
        break;
    }
    case Form::normal:
        if (q < 0) throw error(fmt::format("sigma = {} must be >= 0 (it is the standard deviation)", q), function->usage);
        if (!std::isfinite(std::abs(p) + 10 * q)) {
            throw error("mu and sigma are so large that the draws could overflow double precision", function->usage);
        }
        break;
    case Form::uniform:
        if (p >= q) throw error(fmt::format("a = {} must be less than b = {}", p, q), function->usage);
        if (!std::isfinite(q - p)) throw error("b - a overflows double precision", function->usage);
        break;
    default:
        break;
    }
    return result;
}

CellValues CellValues::constant(double value) {
    CellValues result;
    result.values_ = {value};
    return result;
}

CellValues CellValues::list(std::vector<double> values, std::string given_as) {
    if (values.empty()) throw ParameterError("internal error: CellValues::list needs at least one value");
    CellValues result;
    result.form_ = Form::list;
    result.values_ = std::move(values);
    result.given_as_ = std::move(given_as);
    return result;
}

std::size_t CellValues::length() const {
    switch (form_) {
    case Form::scalar: return 1;
    case Form::list: return values_.size();
    case Form::linspace: return static_cast<std::size_t>(values_[2]);
    default: return 0;
    }
}

bool CellValues::varies() const {
    switch (form_) {
    case Form::scalar: return false;
    case Form::list:
        return std::any_of(values_.begin(), values_.end(), [&](double v) { return v != values_.front(); });
    case Form::linspace: return values_[2] > 1 && values_[0] != values_[1];
    case Form::normal: return values_[1] > 0;
    case Form::uniform: return std::nextafter(values_[0], values_[1]) < values_[1];  // else every draw is a
    }
    return true;
}

std::vector<double> linspace_values(double a, double b, std::size_t n) {
    std::vector<double> values(n);
    if (n == 1) {
        values[0] = a;
        return values;
    }
    // numpy.linspace's arithmetic (numpy/core/function_base.py, numpy 1.20 to 2.x): k * step + a, or
    // (k / (n - 1)) * (b - a) + a where the step rounds to 0; the last value b exactly.
    const double div = static_cast<double>(n - 1), delta = b - a, step = delta / div;
    for (std::size_t k = 0; k + 1 < n; ++k) {
        const double x = static_cast<double>(k);
        values[k] = step == 0 ? x / div * delta + a : x * step + a;
    }
    values[n - 1] = b;
    return values;
}

std::vector<double> CellValues::expand(std::string_view parameter, std::size_t n_cells, std::uint64_t seed) const {
    if (form_ == Form::normal || form_ == Form::uniform) return draw(form_, values_[0], values_[1], parameter, n_cells, seed);
    const std::size_t n = length();
    if (n == 1) return std::vector<double>(n_cells, values_[0]);
    if (n != n_cells) {
        const std::string source = form_ == Form::list && given_as_.empty() ? "" : " (" + to_string() + ")";
        throw ParameterError(fmt::format("parameter '{}' has {} values{} but the run has {} cell{}; give one value per "
                                         "cell, or one value for all of them",
                                         parameter, n, source, n_cells, n_cells == 1 ? "" : "s"));
    }
    if (form_ == Form::list) return values_;
    return linspace_values(values_[0], values_[1], n);
}

double CellValues::first(std::string_view parameter, std::uint64_t seed) const {
    if (form_ == Form::normal || form_ == Form::uniform) return draw(form_, values_[0], values_[1], parameter, 1, seed)[0];
    return values_[0];  // a constant, a list's first value, or linspace's a
}

std::string CellValues::to_string() const {
    switch (form_) {
    case Form::scalar: return fmt::format("{}", values_[0]);
    case Form::list:
        return !given_as_.empty() ? given_as_
                                  : fmt::format("list of {} value{}", values_.size(), values_.size() == 1 ? "" : "s");
    case Form::linspace: return fmt::format("linspace({}, {}, {})", values_[0], values_[1], values_[2]);
    case Form::normal: return fmt::format("normal({}, {})", values_[0], values_[1]);
    case Form::uniform: return fmt::format("uniform({}, {})", values_[0], values_[1]);
    }
    return {};
}

namespace {
/// The columns of a NAME_cells.csv that are not parameters (the csv recorder writes them).
constexpr std::array<std::string_view, 6> summary_columns{"cell",           "spikes",        "rate (Hz)",
                                                          "first spike (ms)", "mean ISI (ms)", "CV ISI"};
}  // namespace

CellTable read_cell_table(const std::filesystem::path& file) {
    const std::string path = file.string();
    const auto error = [&](std::size_t line, std::string_view what) {
        return ParameterError(line == 0 ? fmt::format("{}: {}", path, what) : fmt::format("{}:{}: {}", path, line, what));
    };
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw error(0, "cannot be read: it is a directory, not a table file");
    std::ifstream in(file);
    if (!in) {
        throw error(0, std::filesystem::exists(file, ec) ? "cannot be opened for reading" : "cannot be read: no such file");
    }

    CellTable table;
    table.file = file;
    std::size_t header_line = 0, n_fields = 0;
    std::vector<std::size_t> field_of;  // the field of each parameter column
    std::optional<std::size_t> cell_field;  // the field of a `cell` column (a NAME_cells.csv's first)
    std::size_t rows_read = 0;
    std::string buffer;
    for (std::size_t number = 1; std::getline(in, buffer); ++number) {
        std::string_view line = buffer;
        if (line.find('\0') != std::string_view::npos) {
            throw error(number, "holds a NUL byte: this is not a text table; give a CSV file whose first line "
                                "that is not blank or a comment names the columns (model.g_Na,stimulus.amplitude)");
        }
        if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
        if (line.ends_with('\r')) line.remove_suffix(1);
        line = trim(line);
        if (const auto hash = line.find('#'); hash != std::string_view::npos) line = trim(line.substr(0, hash));
        if (line.empty()) continue;  // blank, or a comment
        auto fields = split(line);
        // A field in double quotes, as R's write.csv writes a header: its text (no quote or comma inside).
        for (auto& f : fields) {
            if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = trim(f.substr(1, f.size() - 2));
        }

        if (header_line == 0) {
            header_line = number;
            for (std::size_t k = 0; k < fields.size(); ++k) {
                std::string_view name = fields[k];
                // The summary columns of a NAME_cells.csv, so that it can be read back as a table.
                if (name == "cell") cell_field = k;
                if (std::ranges::find(summary_columns, name) != summary_columns.end()) continue;
                std::string unit;  // "model.g_Na (mS/cm^2)": the unit, as NAME_cells.csv writes it
                if (const auto open = name.find(" ("); open != std::string_view::npos && name.ends_with(')')) {
                    unit = trim(name.substr(open + 2, name.size() - open - 3));
                    name = trim(name.substr(0, open));
                }
                const auto dot = name.find('.');
                const std::string_view kind = name.substr(0, dot);
                // stimulus.LABEL.NAME for a part of a sum of stimuli.
                const auto dotted_identifier = [](std::string_view rest) {
                    for (auto d = rest.find('.'); d != std::string_view::npos; d = rest.find('.')) {
                        if (!is_identifier(rest.substr(0, d))) return false;
                        rest.remove_prefix(d + 1);
                    }
                    return is_identifier(rest);
                };
                if (k == 0 && name.empty() && fields.size() > 1) {
                    throw error(number, "column 1 of the header has no name: a row index, as pandas' to_csv writes "
                                        "one by default and R's write.csv writes row names? Write the table without it "
                                        "(df.to_csv(FILE, index=False); write.csv(df, FILE, row.names = FALSE))");
                }
                if (dot == std::string_view::npos || (kind != "model" && kind != "stimulus") ||
                    !dotted_identifier(name.substr(dot + 1))) {
                    throw error(number, fmt::format("column {} of the header, {}, is not a parameter name of the form "
                                                    "model.NAME or stimulus.NAME (e.g. model.g_Na or "
                                                    "stimulus.amplitude, optionally with its unit: model.g_Na "
                                                    "(mS/cm^2)); the first line that is not blank or a comment names "
                                                    "the columns",
                                                    k + 1, quoted_field(fields[k])));
                }
                const auto previous = std::find(table.columns.begin(), table.columns.end(), name);
                if (previous != table.columns.end()) {
                    throw error(number, fmt::format("column {} repeats '{}' of column {}; give each parameter once", k + 1,
                                                    name, previous - table.columns.begin() + 1));
                }
                table.columns.emplace_back(name);
                table.units.push_back(std::move(unit));
                field_of.push_back(k);
            }
            n_fields = fields.size();
            table.values.resize(table.columns.size());
            continue;
        }

        if (fields.size() != n_fields) {
            throw error(number, fmt::format("the row has {} field{} but the header (line {}) names {} column{}; give "
                                            "one value per column, separated by commas",
                                            fields.size(), fields.size() == 1 ? "" : "s", header_line, n_fields,
                                            n_fields == 1 ? "" : "s"));
        }
        if (cell_field) {
            // The rows are the cells in order: a `cell` column must say so, not reorder or repeat them.
            const std::size_t row = rows_read;
            double cell = 0;
            if (!number_problem(fields[*cell_field], cell, true).empty() || cell != static_cast<double>(row)) {
                throw error(number, fmt::format("column 'cell' (column {}) gives {} where this row is cell {}: the rows "
                                                "are the cells in order, from 0; number them 0, 1, 2, ... or leave the "
                                                "column out",
                                                *cell_field + 1, quoted_field(fields[*cell_field], true), row));
            }
        }
        for (std::size_t j = 0; j < table.columns.size(); ++j) {
            const std::size_t k = field_of[j];
            const std::string& column = table.columns[j];
            if (fields[k].empty()) throw error(number, fmt::format("missing value for '{}' (column {})", column, k + 1));
            double value = 0;
            if (const auto problem = number_problem(fields[k], value, true); !problem.empty()) {
                throw error(number, fmt::format("{} for '{}' (column {}); write plain numbers such as 120, -65.5 or "
                                                "1e-3, without a unit",
                                                problem, column, k + 1));
            }
            table.values[j].push_back(value);
        }
        ++rows_read;
    }
    if (in.bad()) throw error(0, "could not be read to the end");
    if (header_line == 0) {
        throw error(0, "holds no header; the first line that is not blank or a comment names the columns, e.g. "
                       "model.g_Na,stimulus.amplitude, and each line after it gives one cell's values");
    }
    if (table.columns.empty()) {
        throw error(header_line, "the header names no parameter column (model.NAME or stimulus.NAME)");
    }
    if (table.rows() == 0) throw error(header_line, "the header has no rows after it; give one row of values per cell");
    return table;
}

std::size_t common_cell_count(std::size_t requested, std::span<const std::pair<std::string, std::size_t>> lengths) {
    const std::pair<std::string, std::size_t>* first = nullptr;
    for (const auto& entry : lengths) {
        const auto& [name, length] = entry;
        if (length <= 1) continue;
        if (requested != 0 && length != requested) {
            throw ParameterError(fmt::format("parameter '{}' has {} values but the run asks for {} cell{} (--cells, or "
                                             "cells in a scenario file); give one value per cell, or one value for "
                                             "all of them",
                                             name, length, requested, requested == 1 ? "" : "s"));
        }
        if (first == nullptr) {
            first = &entry;
        } else if (length != first->second) {
            throw ParameterError(fmt::format("parameter '{}' has {} values but parameter '{}' has {}; per-cell values "
                                             "must all have the same length, one value per cell",
                                             first->first, first->second, name, length));
        }
    }
    return requested != 0 ? requested : first != nullptr ? first->second : 1;
}

}  // namespace soma
