#pragma once
/// @file cell_values.hpp
/// Per-cell parameter values as a user gives them: one number for all cells, a list, evenly spaced
/// values, random draws, or a table with one row per cell.

#include <boost/config.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soma {

/// How the values of one parameter across the cells of a population are given.
///
/// Text forms (`parse`), as typed after `--set KIND.PARAM=`:
/// - `120`: one value for every cell;
/// - `100,110,120`: one value per cell (a list; blanks around the commas are allowed);
/// - `linspace(0, 20, 41)`: n evenly spaced values from a to b, both ends included, bit for bit
///   those of numpy.linspace(a, b, n) (linspace_values);
/// - `normal(mu, sigma)`: drawn per cell from a normal distribution (sigma >= 0);
/// - `uniform(a, b)`: drawn per cell, uniformly on [a, b) (a < b).
/// Random draws are reproducible: the value of cell c depends only on the run's seed, the
/// parameter's full name (e.g. "model.C_m") and c, whatever the number of cells, threads or
/// processes (Random123's counter-based Philox4x32-10 generator, Salmon et al. 2011, SC'11).
class BOOST_SYMBOL_VISIBLE CellValues {
public:
    enum class Form { scalar, list, linspace, normal, uniform };

    /// Parses the text of parameter `parameter` (its full name, e.g. "model.g_Na", used in messages).
    /// @throws ParameterError naming the parameter and the text: a number that is not finite, an
    ///         empty list entry, linspace with n < 1, n not a whole number, n > 1e9, non-finite ends or
    ///         ends so far apart that (b - a)(n - 1) overflows, an unknown function (with the closest
    ///         known name), a wrong number of arguments, sigma < 0, uniform with a >= b, or a normal or
    ///         uniform whose draws could overflow (|mu| + 10 sigma or b - a not finite).
    [[nodiscard]] static CellValues parse(std::string_view parameter, std::string_view text);
    /// One value for all cells.
    [[nodiscard]] static CellValues constant(double value);
    /// One value per cell (e.g. a table's column); `given_as` describes the source for metadata
    /// (e.g. "column 'model.g_Na' of cells.csv"), or "" for the list itself.
    /// @throws ParameterError if `values` is empty (a programming error: a list fixes at least one cell).
    [[nodiscard]] static CellValues list(std::vector<double> values, std::string given_as = {});

    [[nodiscard]] Form form() const { return form_; }
    /// How many cells the values fix: 1 for a constant (it fits any number), the length of a list or
    /// linspace, and 0 for a random draw (it fits any number).
    [[nodiscard]] std::size_t length() const;
    /// True unless every cell gets the same value (a constant, a list or linspace of equal values, or
    /// normal with sigma = 0).
    [[nodiscard]] bool varies() const;

    /// The value of each of `n_cells` cells (shape [n_cells]): a constant repeated, a list or linspace
    /// as given, or draws for cells 0 .. n_cells - 1 with `seed`.
    /// @throws ParameterError naming `parameter` when a list's or linspace's length is neither 1 nor n_cells.
    [[nodiscard]] std::vector<double> expand(std::string_view parameter, std::size_t n_cells,
                                             std::uint64_t seed) const;

    /// The value of cell 0, as `expand` gives it for any number of cells (without making the others).
    [[nodiscard]] double first(std::string_view parameter, std::uint64_t seed) const;

    /// The form, normalised, for metadata and messages: "120", "list of 3 values", "linspace(0, 20, 41)",
    /// "normal(1, 0.1)", "uniform(0, 1)", or the `given_as` of a list.
    [[nodiscard]] std::string to_string() const;

private:
    Form form_ = Form::scalar;
    std::vector<double> values_;  // scalar: 1 value; list: the values; linspace: a, b, n; normal: mu, sigma; uniform: a, b
    std::string given_as_;
};

/// n evenly spaced values from a to b with numpy.linspace's arithmetic, so that they equal its values bit
/// for bit: value k = k * step + a with step = (b - a) / (n - 1) (or (k / (n - 1)) * (b - a) + a if the
/// step rounds to 0), for k < n - 1, and the last value b exactly; n = 1 gives a. n >= 1.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<double> linspace_values(double a, double b, std::size_t n);

/// Per-cell values read from a table file (`--cells-from FILE`).
struct CellTable {
    std::filesystem::path file;
    std::vector<std::string> columns;         ///< header names, e.g. "model.g_Na", "stimulus.amplitude"
    std::vector<std::string> units;           ///< each column's unit as the header gives it ("" if none)
    std::vector<std::vector<double>> values;  ///< values[column][row]; every column has rows() values
    [[nodiscard]] std::size_t rows() const { return values.empty() ? 0 : values.front().size(); }
};

/// Reads a table of per-cell values: CSV with a header row of column names of the form KIND.PARAM
/// (KIND is `model` or `stimulus`), optionally followed by the unit in parentheses (`model.g_Na
/// (mS/cm^2)`, which the caller checks), then one row per cell with one number per column. The summary
/// columns of a NAME_cells.csv (`cell`, `spikes`, `rate (Hz)`, `first spike (ms)`, `mean ISI (ms)`,
/// `CV ISI`) are skipped, so that a run's per-cell table can be read back; a `cell` column must number
/// the rows 0, 1, 2, ... in order (the rows are the cells). `#` starts a comment to the end of the line;
/// blank lines and comment lines are skipped, and blanks around fields are ignored. A UTF-8 byte order
/// mark and Windows line ends are accepted. A field may be enclosed in double quotes (R's write.csv
/// quotes the header), but there is no escaping: a field cannot hold a comma or a quote.
/// @throws ParameterError starting "FILE: " (FILE as given) for a file that cannot be read or holds no
///         header, and "FILE:LINE: " (LINE 1-based) for a header with no parameter column or no rows after it, a header
///         name that is not KIND.PARAM or repeats a name, a row with too few or too many fields, a `cell`
///         value that is not the row's index (from 0), a
///         missing value, a field that is not a finite number (naming the row's line and the column; a field
///         longer than 60 bytes is shown by its first 60), or a line with a NUL byte (a binary file).
[[nodiscard]] BOOST_SYMBOL_VISIBLE CellTable read_cell_table(const std::filesystem::path& file);

/// The number of cells of a run from `--cells` (`requested`, 0 when not given) and the lengths that
/// the per-cell values fix (each as {full parameter name, length()}; lengths 0 and 1 fit any count).
/// Without `requested` it is the common length of the lists (1 if there is none).
/// @throws ParameterError when two lists have different lengths (naming both parameters and their
///         lengths), or a list's length differs from `requested` (naming the parameter, its length and
///         the requested count).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::size_t
common_cell_count(std::size_t requested, std::span<const std::pair<std::string, std::size_t>> lengths);

}  // namespace soma
