#pragma once
/// @file soma_cli_support.hpp
/// Helpers of the test suites that run the built `soma` program (SOMA_EXECUTABLE) with Boost.Process in a
/// temporary working directory: its outputs, the files it writes, CSV tables.

#include "soma_test_support.hpp"

#include <boost/process.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace soma::test::cli {

namespace bp = boost::process;
namespace fs = std::filesystem;

inline std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

struct Output {
    int code = -1;
    std::string out, err;
};

inline std::ostream& operator<<(std::ostream& os, const Output& o) {
    return os << "exit " << o.code << "\n--- stdout:\n" << o.out << "--- stderr:\n" << o.err;
}

/// Runs `soma args...` in `cwd` with the environment changed by `environment` (name, value); its standard
/// output and error go to files in `logs` (not in cwd, so that cwd holds only what soma itself writes).
inline Output run_soma(const fs::path& cwd, const fs::path& logs, const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& environment) {
    static int counter = 0;
    ++counter;
    const fs::path out = logs / ("stdout-" + std::to_string(counter) + ".txt");
    const fs::path err = logs / ("stderr-" + std::to_string(counter) + ".txt");
    bp::environment env = boost::this_process::environment();
    for (const auto& [name, value] : environment) env[name] = value;
    bp::child child(bp::exe = SOMA_EXECUTABLE, bp::args = args, bp::start_dir = cwd.string(), bp::std_in < bp::null,
                    bp::std_out > boost::filesystem::path(out.string()),
                    bp::std_err > boost::filesystem::path(err.string()), env);
    child.wait();
    Output result{child.exit_code(), read_file(out), read_file(err)};
    BOOST_TEST_MESSAGE("soma " << [&] {
        std::string joined;
        for (const auto& a : args) joined += a + " ";
        return joined;
    }() << "-> exit " << result.code);
    return result;
}

/// Runs `soma args...` in `cwd`, in this process's environment (above).
inline Output run_soma(const fs::path& cwd, const fs::path& logs, const std::vector<std::string>& args) {
    return run_soma(cwd, logs, args, {});
}

/// Names of everything in `dir`, hidden files included.
inline std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> names;
    if (!fs::exists(dir)) return names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

/// Checks that `cwd` holds nothing but, at most, an empty soma-output directory (hidden files included).
inline void check_no_output(const fs::path& cwd) {
    for (const auto& name : entries(cwd)) {
        BOOST_TEST(name == "soma-output", "unexpected file in the working directory: " << name);
    }
    const auto left = entries(cwd / "soma-output");
    std::string listing;
    for (const auto& name : left) listing += name + " ";
    BOOST_TEST(left.empty(), "files left in soma-output: " << listing);
}

/// A CSV file of the csv recorder: '#' comment lines, a header row, data rows.
struct CsvFile {
    std::vector<std::string> comments;
    std::string header;
    std::vector<std::string> rows;
};

inline CsvFile read_csv(const fs::path& file) {
    CsvFile csv;
    std::istringstream lines(read_file(file));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        if (csv.header.empty() && line.front() == '#') csv.comments.push_back(line);
        else if (csv.header.empty()) csv.header = line;
        else csv.rows.push_back(line);
    }
    return csv;
}

inline std::size_t fields(const std::string& row) { return static_cast<std::size_t>(std::count(row.begin(), row.end(), ',')) + 1; }

inline double first_field(const std::string& row) { return std::stod(row.substr(0, row.find(','))); }

}  // namespace soma::test::cli
