#pragma once
/// @file summary_json.hpp
/// The machine-readable summary of a command (`NAME_summary.json` beside its outputs): Soma's version,
/// the command line, the date, the run's settings and parameter values, the per-cell results and the
/// files written. Written with nlohmann::json; NaN (an undefined statistic) is written as null.

#include "soma/run_info.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace soma::app {

/// The parts every summary has: "soma" (version), "command" (the arguments), "date" (UTC, ISO 8601),
/// "run" (plug-ins, grid, cells, threads, seed, recording), "plugins" (kind, name, version, library file
/// of each), "inputs" (role, path and SHA-256 of each file the run was described by), "parameters" (values shared by all cells,
/// with units), "cell_parameters" (per-cell values: unit, how given, values). `ranks`: the MPI processes
/// that shared the cells (in "run").
[[nodiscard]] nlohmann::json summary_json(const RunInfo& info, const std::vector<std::string>& command_line,
                                          std::size_t ranks = 1);

/// `x`, or null when it is NaN.
[[nodiscard]] nlohmann::json number_or_null(double x);

/// Adds "outputs" (the paths, `summary_path` last) and writes `summary` to `summary_path` (all or
/// nothing). @throws RunError when the file cannot be written.
void write_summary(nlohmann::json summary, const std::vector<std::filesystem::path>& outputs,
                   const std::filesystem::path& summary_path);

}  // namespace soma::app
