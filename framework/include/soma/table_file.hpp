#pragma once
/// @file table_file.hpp
/// Reads a numeric table with its columns' units from a file: the one reader of sampled data in Soma (the
/// `waveform` stimulus's currents, libsoma_fitting's recordings and spike files).
///
/// Formats (each may be gzip-compressed, recognised by its first two bytes 1f 8b, RFC 1952 section 2.3.1;
/// `#` lines and blank lines are skipped). The format: `.csv` and `.asc` by the extension before any `.gz`;
/// a first line in double quotes is asc; a first line that does not start with a number is a header, so the
/// file is csv whatever its extension (a `.spiketimes` file headed `t (ms)` holds times); a plain extension
/// selects plain only for a file without a header, whose first row must then have the layout's number of
/// fields (else it is refused: one column of numbers could be times or sample indices); other files by
/// their content:
///  - csv (`.csv`): a header naming every column with its unit in parentheses, e.g. `t (ms),I (pA)`, then one
///    comma-separated row of numbers per sample;
///  - asc (`.asc`, or a first line in double quotes): the 2007 single-neuron modeling competition's challenge
///    B files (Jolivet et al., Biol. Cybern. 99:417, 2008): one line per column with its quoted unit
///    (`"s"`, `"pA"`, `"mV"`), then whitespace-separated rows;
///  - plain (an extension of TableLayout::plain_extensions, e.g. `.voltage`, without a header, or rows of
///    numbers with as many whitespace-separated fields as TableLayout::plain_headers): no header; the columns
///    are named by the layout (challenge A's `.voltage` and `.spiketimes` files).
/// Every value must be a finite number; every row has as many fields as there are columns.

#include <boost/config.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace soma {

enum class TableFormat { csv, asc, plain };

/// One column of a table.
struct TableColumn {
    std::string header;     ///< as the file (or the layout) names it, e.g. "I (pA)"
    std::string unit;       ///< the unit in its parentheses (csv) or quotes (asc), e.g. "pA"; "" when none
    std::size_t line = 0;   ///< the file's line that gave the unit (0 for plain files)
};

/// How to read a file: what it is called in messages, and what its header-less forms hold.
struct TableLayout {
    std::string what = "file";                  ///< in messages: "stimulus file 'F' ..."
    /// Names (with units in parentheses, or none) of the columns of a plain file, e.g.
    /// {"sample index", "I (pA)", "V (mV)"}; empty: plain files are not accepted.
    std::vector<std::string> plain_headers;
    std::vector<std::string> plain_extensions;  ///< e.g. {".voltage"}
    std::vector<std::string> asc_names{"t", "I", "V"};  ///< the columns of an asc file, one quoted unit line each
    std::string csv_example = "'t (ms),I (pA)'";        ///< a header to show in messages
    std::size_t min_columns = 2;                ///< csv: at least this many columns
    bool increasing_first_column = true;        ///< the first column (time) must increase strictly
};

/// A table read from a file: values[c][r] is column c of row r, in the file's units.
struct Table {
    std::string file;                          ///< as given, for messages
    TableFormat format = TableFormat::csv;
    std::vector<TableColumn> columns;
    std::vector<std::vector<double>> values;   ///< shape [columns][rows]
    std::vector<std::size_t> lines;            ///< the file's line (1-based) of each row
    std::size_t header_line = 0;               ///< the header's last line (0 for plain files)
    [[nodiscard]] std::size_t rows() const { return lines.size(); }
    /// "FILE:LINE: ", to start a message about that line.
    [[nodiscard]] std::string at(std::size_t line) const;
};

/// Reads `path` as described at the top of this file.
/// @throws ParameterError naming the file (and "FILE:LINE: " with the column for its content): no such file,
///         a directory, unreadable, truncated or damaged gzip data (named as such, rather than a row they
///         garble), empty, a header without units or a csv file without header, a header-less file with a plain extension whose first row does not
///         have the layout's number of fields, an asc header that is not quoted units, a row with the wrong number of
///         fields, a value that is not a finite number, a first column that does not increase strictly
///         (with `increasing_first_column`), or no row after the header.
[[nodiscard]] BOOST_SYMBOL_VISIBLE Table read_table(const std::filesystem::path& path, const TableLayout& layout);

}  // namespace soma
