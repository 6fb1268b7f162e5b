#pragma once
/// @file reference_traces.hpp
/// The course exercises' reference traces (tests/data/*.tsv.gz, described in tests/data/README.md),
/// read for the suites that compare Soma's runs with them (test_seed_traces.cpp, test_equations.cpp).
/// The including test defines SOMA_TEST_DATA_DIR (tests/data) and links Boost::iostreams.

#include "soma_test_support.hpp"

#include <boost/iostreams/copy.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <boost/test/unit_test.hpp>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace soma::test {

/// tests/data/README.md ("Tolerance"): a reimplementation of the exercises' forward-Euler loops matches
/// the traces to about 1e-11 (equivalent operation orders round differently), so 1e-9 absolute at every
/// step and in every column leaves a margin of 100 and still catches any change of the algorithm.
inline constexpr double trace_tolerance = 1e-9;

/// A decompressed reference trace: header names and rows of numbers (time, state variables, current).
struct ReferenceTable {
    std::vector<std::string> header;
    std::vector<std::vector<double>> rows;
};

inline std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    while (true) {
        const auto tab = line.find('\t', start);
        fields.push_back(line.substr(start, tab - start));
        if (tab == std::string::npos) break;
        start = tab + 1;
    }
    return fields;
}

/// Reads tests/data/<name>.tsv.gz through Boost.Iostreams' gzip_decompressor; a missing, empty, ragged
/// or non-numeric file fails the test.
inline ReferenceTable load_reference_trace(const std::string& name) {
    const std::filesystem::path file = std::filesystem::path(SOMA_TEST_DATA_DIR) / (name + ".tsv.gz");
    std::ifstream compressed(file, std::ios::binary);
    BOOST_TEST_REQUIRE(compressed.is_open(), "cannot open " << file);
    boost::iostreams::filtering_istream in;
    in.push(boost::iostreams::gzip_decompressor());
    in.push(compressed);
    std::ostringstream text;
    boost::iostreams::copy(in, text);

    ReferenceTable table;
    std::istringstream lines(text.str());
    std::string line;
    BOOST_TEST_REQUIRE(static_cast<bool>(std::getline(lines, line)), "empty reference file " << file);
    table.header = split_tabs(line);
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        const auto fields = split_tabs(line);
        BOOST_TEST_REQUIRE(fields.size() == table.header.size(), "ragged row in " << file << ": " << line);
        std::vector<double> row;
        for (const auto& f : fields) {
            double x = 0;
            const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), x);
            BOOST_TEST_REQUIRE((ec == std::errc() && end == f.data() + f.size()), "not a number: '" << f << "'");
            row.push_back(x);
        }
        table.rows.push_back(std::move(row));
    }
    return table;
}

/// As load_reference_trace, each file read once per process (several test cases use the same trace).
inline const ReferenceTable& reference_trace(const std::string& name) {
    static std::map<std::string, ReferenceTable> cache;
    const auto it = cache.find(name);
    if (it != cache.end()) return it->second;
    return cache.emplace(name, load_reference_trace(name)).first->second;
}

/// Preconditions of a comparison with a trace: the expected header, `rows` rows (t_stop / dt), on the
/// grid i*dt (first row at 0, last at (rows - 1) dt, to the rounding of i*dt).
inline void require_complete(const ReferenceTable& table, const std::string& name,
                             const std::vector<std::string>& header, std::size_t rows, double dt) {
    BOOST_TEST_REQUIRE(table.header == header, name << ": unexpected header of the reference trace");
    BOOST_TEST_REQUIRE(table.rows.size() == rows, name << ": " << table.rows.size() << " rows, expected " << rows);
    BOOST_TEST_REQUIRE(table.rows.front()[0] == 0.0, name << ": the trace does not start at t = 0");
    BOOST_TEST_REQUIRE(std::abs(table.rows.back()[0] - static_cast<double>(rows - 1) * dt) <= 1e-9,
                       name << ": the trace does not end at (rows - 1) dt");
}

/// Every column (t, state variables, current) of a run recorded at every step against a trace, to
/// trace_tolerance; the largest difference of each column is reported with its time.
inline void check_against_trace(const CapturingRecorder& rec, const ReferenceTable& table, const std::string& what) {
    BOOST_TEST_REQUIRE(rec.width == table.header.size(), what << ": " << rec.width << " columns, the trace has "
                                                              << table.header.size());
    BOOST_TEST_REQUIRE(rec.rows() == table.rows.size(), what << ": " << rec.rows() << " samples, the trace has "
                                                             << table.rows.size());
    for (std::size_t col = 0; col < rec.width; ++col) {
        double worst = 0;
        std::size_t worst_row = 0;
        for (std::size_t row = 0; row < rec.rows(); ++row) {
            const double d = std::abs(rec.at(row, col) - table.rows[row][col]);
            if (!(d <= worst)) {  // also catches NaN
                worst = d;
                worst_row = row;
            }
        }
        BOOST_TEST(worst <= trace_tolerance, what << " column '" << table.header[col] << "': largest difference "
                                                  << worst << " at row " << worst_row << " (t = "
                                                  << table.rows[worst_row][0] << ")");
    }
}

}  // namespace soma::test
