/// @file fuzz_scenario.cpp
/// libFuzzer target: `soma run`'s scenario file and command line (apps/soma/scenario.cpp), then the per-cell
/// forms of every parameter value as build_simulation reads them (CellValues::parse, common_cell_count).
///
/// Input: the scenario file's text, up to the first NUL byte; each further NUL-separated piece is one
/// command-line argument after the file's name (`soma run FILE ARG...`). So a plain INI file
/// (examples/*.ini) is a seed as it is, and tests/fuzz/corpus/scenario holds seeds with arguments
/// (--set, --cells, ...).

#include "fuzz_support.hpp"

#include "scenario.hpp"
#include "soma/cell_values.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace {

/// The per-cell values of one component, parsed as build_simulation parses them (no plug-in is loaded:
/// which parameters a plug-in has is not the parsers' business).
void parse_values(const soma::ComponentSpec& component, std::string_view kind,
                  std::vector<std::pair<std::string, std::size_t>>& lengths) {
    for (const auto& [name, text] : component.parameters) {
        const std::string full = std::string(kind) + "." + name;
        const auto values = soma::CellValues::parse(full, text);
        (void)values.to_string();
        (void)values.first(full, 0);
        lengths.emplace_back(full, values.length());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto file_end = std::min(input.find('\0'), input.size());
    const auto file = soma::fuzz::write_input("fuzz.ini", data, file_end);
    std::vector<std::string> args{file.string()};
    for (auto rest = input.substr(file_end); !rest.empty();) {
        rest.remove_prefix(1);  // the NUL before the argument
        const auto end = std::min(rest.find('\0'), rest.size());
        args.emplace_back(rest.substr(0, end));
        rest.remove_prefix(end);
    }
    soma::fuzz::fails_cleanly([&] {
        const auto scenario = soma::app::parse_run_arguments(args);
        if (!scenario) return;  // --help
        const auto& spec = scenario->spec;
        std::vector<std::pair<std::string, std::size_t>> lengths;
        parse_values(spec.model, "model", lengths);
        parse_values(spec.stimulus, "stimulus", lengths);
        (void)soma::common_cell_count(spec.settings.n_cells, lengths);
    });
    return 0;
}
