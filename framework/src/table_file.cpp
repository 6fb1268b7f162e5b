/// @file table_file.cpp
/// The reader of numeric tables with units (table_file.hpp).

#include "soma/table_file.hpp"

#include "soma/error.hpp"

#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string_view>

namespace soma {
namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/// Fields of a line split at `separator`, or at runs of blanks when it is ' '.
std::vector<std::string_view> split(std::string_view line, char separator) {
    std::vector<std::string_view> fields;
    if (separator == ' ') {
        std::size_t pos = 0;
        while ((pos = line.find_first_not_of(" \t", pos)) != std::string_view::npos) {
            const auto end = std::min(line.find_first_of(" \t", pos), line.size());
            fields.push_back(line.substr(pos, end - pos));
            pos = end;
        }
        return fields;
    }
    std::size_t pos = 0;
    while (true) {
        const auto end = line.find(separator, pos);
        fields.push_back(trim(line.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos)));
        if (end == std::string_view::npos) return fields;
        pos = end + 1;
    }
}

bool is_number(std::string_view f) {
    double x = 0;
    if (f.starts_with('+')) f.remove_prefix(1);
    return !f.empty() && std::from_chars(f.data(), f.data() + f.size(), x).ec == std::errc();
}

/// Reads the lines of a text file, gzip-compressed or not; skips blank lines and `#` comments.
class LineReader {
public:
    LineReader(const std::filesystem::path& path, const std::string& what) : name_(path.string()), what_(what) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            if (ec && ec != std::errc::no_such_file_or_directory) {  // a name too long, a directory not searchable
                throw ParameterError(fmt::format("{} '{}' cannot be read: {}", what_, name_, ec.message()));
            }
            throw ParameterError(fmt::format("{} '{}' does not exist (looked in {})", what_, name_,
                                             std::filesystem::absolute(path, ec).parent_path().string()));
        }
        if (std::filesystem::is_directory(path, ec)) {
            throw ParameterError(fmt::format("{} '{}' is a directory, not a file", what_, name_));
        }
        file_.open(path, std::ios::binary);
        if (!file_) throw ParameterError(fmt::format("{} '{}' cannot be opened for reading", what_, name_));
        std::array<char, 2> magic{};
        file_.read(magic.data(), magic.size());
        gzip_ = file_.gcount() == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
                static_cast<unsigned char>(magic[1]) == 0x8b;  // RFC 1952, section 2.3.1
        file_.clear();
        file_.seekg(0);
        if (gzip_) in_.push(boost::iostreams::gzip_decompressor());
        in_.push(file_);
        in_.exceptions(std::ios::badbit);  // a corrupt gzip stream throws from inside getline
    }

    /// The next line that is not blank or a comment, or false at the end of the file.
    /// @throws ParameterError for a line longer than max_line_bytes (a small gzip file can unpack to one
    ///         line of gigabytes: it must not fill the memory).
    bool next(std::string& line) {
        try {
            while (read_line(line)) {
                ++number_;
                const auto text = trim(line);
                if (text.empty() || text.front() == '#') continue;
                line = std::string(text);
                return true;
            }
        } catch (const ParameterError&) {
            throw;
        } catch (const std::exception& e) {
            // The decompressor says only "iostream error" or "gzip error": say what that means.
            if (gzip_) {
                damage_reported_ = true;
                throw ParameterError(fmt::format("{} '{}' cannot be read after line {}: its gzip data are cut short or "
                                                 "damaged (a complete gzip file ends with its trailer; 'gzip -t' "
                                                 "checks one)",
                                                 what_, name_, number_));
            }
            throw ParameterError(fmt::format("{} '{}' cannot be read after line {} ({})", what_, name_, number_, e.what()));
        }
        return false;
    }
    [[nodiscard]] std::size_t line() const { return number_; }
    /// Whether the rest of a gzip file decompresses to its end (its data and trailer intact); true for a
    /// plain file and once next() has reported the damage. Reads (and drops) the rest.
    [[nodiscard]] bool rest_is_intact() {
        if (!gzip_ || damage_reported_) return true;  // plain, or said already
        try {
            std::array<char, 65536> chunk{};
            while (in_.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in_.gcount() > 0) {
            }
            return !in_.bad();
        } catch (const std::exception&) {
            return false;
        }
    }
    [[nodiscard]] std::string at() const { return fmt::format("{}:{}: ", name_, number_); }

private:
    /// A row of numbers or a header is far shorter.
    static constexpr std::size_t max_line_bytes = 1 << 20;

    /// std::getline with a bound on the line's length: the next line without its newline, or false at
    /// the end of the file.
    bool read_line(std::string& line) {
        line.clear();
        std::array<char, 4096> chunk{};
        while (true) {
            in_.getline(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            const auto got = static_cast<std::size_t>(in_.gcount());
            if (in_.eof()) {  // the last line, without a newline (or nothing more)
                line.append(chunk.data(), got);
                return got > 0 || !line.empty();
            }
            if (in_.fail()) {  // the chunk is full and the line goes on
                in_.clear();
                line.append(chunk.data(), got);
                if (line.size() > max_line_bytes) {
                    throw ParameterError(fmt::format("{} '{}': line {} is longer than {} MiB; is it a table of numbers, "
                                                     "one sample per line?",
                                                     what_, name_, number_ + 1, max_line_bytes >> 20));
                }
                continue;
            }
            line.append(chunk.data(), got - 1);  // got counts the newline
            return true;
        }
    }

    std::string name_;
    const std::string& what_;
    bool gzip_ = false;
    bool damage_reported_ = false;
    std::ifstream file_;
    boost::iostreams::filtering_istream in_;
    std::size_t number_ = 0;
};

/// Field `field` (1-based column `col`) of the current line as a finite number.
double number(const LineReader& reader, std::string_view field, std::size_t col, std::string_view header) {
    const std::string where = header.empty() ? fmt::format("column {}", col) : fmt::format("column {} ('{}')", col, header);
    std::string_view text = field;
    if (text.starts_with('+')) text.remove_prefix(1);
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        if (ec == std::errc::result_out_of_range) {
            throw ParameterError(fmt::format("{}{}: '{}' is out of the range of a double", reader.at(), where, field));
        }
        throw ParameterError(fmt::format("{}{}: '{}' is not a number", reader.at(), where, field));
    }
    if (!std::isfinite(value)) {
        throw ParameterError(fmt::format("{}{}: '{}' is not a finite number; every sample must be finite (no NaN or "
                                         "inf: fill or cut the gaps of the recording)",
                                         reader.at(), where, field));
    }
    return value;
}

/// The unit of a header field "NAME (UNIT)" (optionally in double quotes), or "" when it has none.
std::string unit_in(std::string_view field) {
    std::string_view text = trim(field);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = trim(text.substr(1, text.size() - 2));
    const auto open = text.rfind('(');
    if (open == std::string_view::npos || !text.ends_with(')')) return {};
    return std::string(trim(text.substr(open + 1, text.size() - open - 2)));
}

TableFormat format_of(const std::filesystem::path& file, std::string_view first_line, const TableLayout& layout) {
    std::filesystem::path name = file.filename();
    if (name.extension() == ".gz") name = name.stem();
    const auto ext = name.extension().string();
    if (ext == ".csv") return TableFormat::csv;
    if (ext == ".asc") return TableFormat::asc;
    if (first_line.starts_with('"')) return TableFormat::asc;
    // A header (a first line that does not start with a number) makes a CSV file whatever the extension: a
    // plain file never has one, so a `.spiketimes` file headed `t (ms)` holds times, not sample indices.
    const auto first_field = split(first_line, first_line.find(',') == std::string_view::npos ? ' ' : ',');
    const bool headed = first_field.empty() || !is_number(first_field.front());
    if (!layout.plain_headers.empty() && !headed &&
        std::ranges::find(layout.plain_extensions, ext) != layout.plain_extensions.end()) {
        return TableFormat::plain;
    }
    if (!layout.plain_headers.empty() && first_line.find(',') == std::string_view::npos) {
        const auto fields = split(first_line, ' ');
        if (fields.size() == layout.plain_headers.size() && is_number(fields.front())) return TableFormat::plain;
    }
    return TableFormat::csv;
}

}  // namespace

std::string Table::at(std::size_t line) const { return fmt::format("{}:{}: ", file, line); }

namespace {

Table read_rows(LineReader& reader, const std::filesystem::path& path, const TableLayout& layout) {
    Table table;
    table.file = path.string();
    std::string line;
    if (!reader.next(line)) {
        throw ParameterError(fmt::format("{} '{}' is empty: it has no header and no samples", layout.what, table.file));
    }
    table.format = format_of(path, line, layout);
    char separator = ' ';
    switch (table.format) {
        case TableFormat::csv: {
            separator = ',';
            table.header_line = reader.line();
            const auto fields = split(line, ',');
            if (fields.size() < layout.min_columns) {
                throw ParameterError(fmt::format("{}the header '{}' must name at least {} columns, separated by commas, "
                                                 "with units, e.g. {}",
                                                 reader.at(), line, layout.min_columns, layout.csv_example));
            }
            if (is_number(fields.front())) {
                throw ParameterError(fmt::format("{}the first line is a row of numbers, but a CSV file starts with a "
                                                 "header naming the columns with units, e.g. {}",
                                                 reader.at(), layout.csv_example));
            }
            for (std::size_t col = 0; col < fields.size(); ++col) {
                auto unit = unit_in(fields[col]);
                if (unit.empty()) {
                    throw ParameterError(fmt::format("{}column {} '{}' of the header has no unit: write it in "
                                                     "parentheses, e.g. {}",
                                                     reader.at(), col + 1, fields[col], layout.csv_example));
                }
                table.columns.push_back({std::string(fields[col]), std::move(unit), reader.line()});
            }
            break;
        }
        case TableFormat::asc: {
            const std::size_t n = layout.asc_names.size();
            for (std::size_t k = 0; k < n; ++k) {
                if (k > 0 && !reader.next(line)) {
                    throw ParameterError(fmt::format("{} '{}' ends in its header: an .asc file starts with {} lines of "
                                                     "quoted units, one per column (\"s\", \"pA\", \"mV\")",
                                                     layout.what, table.file, n));
                }
                const auto text = trim(line);
                if (text.size() < 2 || text.front() != '"' || text.back() != '"') {
                    throw ParameterError(fmt::format("{}'{}' is not a quoted unit: an .asc file starts with {} lines of "
                                                     "quoted units, one per column ({}: \"s\", \"pA\", \"mV\")",
                                                     reader.at(), line, n, fmt::join(layout.asc_names, ", ")));
                }
                std::string unit(trim(text.substr(1, text.size() - 2)));
                table.columns.push_back({fmt::format("{} ({})", layout.asc_names[k], unit), unit, reader.line()});
            }
            table.header_line = reader.line();
            break;
        }
        case TableFormat::plain:
            for (const auto& h : layout.plain_headers) table.columns.push_back({h, unit_in(h), 0});
            break;
    }
    std::vector<std::string> headers;
    for (const auto& c : table.columns) headers.push_back(c.header);
    table.values.resize(headers.size());
    const auto first_unit = table.columns.front().unit.empty() ? fmt::format("({})", headers.front())
                                                               : table.columns.front().unit;
    const auto add_row = [&] {
        const auto fields = split(line, separator);
        if (fields.size() != headers.size()) {
            throw ParameterError(fmt::format("{}{} column{} where {} are expected ({}); is a value missing, or a "
                                             "separator wrong?",
                                             reader.at(), fields.size(), fields.size() == 1 ? "" : "s", headers.size(),
                                             fmt::join(headers, ", ")));
        }
        for (std::size_t col = 0; col < fields.size(); ++col) {
            const double x = number(reader, fields[col], col + 1, headers[col]);
            if (col == 0 && layout.increasing_first_column && !table.lines.empty() && !(x > table.values[0].back())) {
                throw ParameterError(fmt::format("{}the time {} {} is not after the previous sample's {} {} (line {}); "
                                                 "times must increase strictly",
                                                 reader.at(), fields[0], first_unit, table.values[0].back(), first_unit,
                                                 table.lines.back()));
            }
            table.values[col].push_back(x);
        }
        table.lines.push_back(reader.line());
    };
    if (table.format == TableFormat::plain) {
        // Without a header, the number of fields is all that tells a plain file from other data: a first row
        // of numbers that is not the plain layout's (one column of times, say) is refused, not guessed at.
        if (const auto n = split(line, ' ').size(); n != headers.size()) {
            throw ParameterError(fmt::format("{}the first row '{}' has {} number{} and no header: a {} without a header "
                                             "holds the {} columns ({}); for other data, start the file with a header "
                                             "naming each column with its unit, e.g. {}",
                                             reader.at(), line, n, n == 1 ? "" : "s", layout.what, headers.size(),
                                             fmt::join(headers, ", "), layout.csv_example));
        }
        add_row();
    }
    while (reader.next(line)) add_row();
    if (table.lines.empty()) {
        throw ParameterError(fmt::format("{} '{}' has no samples after its header (line {})", layout.what, table.file,
                                         table.header_line));
    }
    return table;
}

}  // namespace

Table read_table(const std::filesystem::path& path, const TableLayout& layout) {
    LineReader reader(path, layout.what);
    try {
        return read_rows(reader, path, layout);
    } catch (const ParameterError& e) {
        // Damaged gzip data often decompress to text before the decompressor notices: blame the damage, not
        // the line it garbled.
        if (!reader.rest_is_intact()) {
            throw ParameterError(fmt::format("{} '{}': its gzip data are damaged (a complete gzip file ends with its "
                                             "trailer and checksum; 'gzip -t' checks one); reading it stopped at: {}",
                                             layout.what, path.string(), e.what()));
        }
        throw;
    }
}

}  // namespace soma
