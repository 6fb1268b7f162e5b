#pragma once
/// @file phase_command.hpp
/// `soma phase`: the phase plane of a two-variable model (soma/experiments/phase_plane.hpp).

#include "soma/registry.hpp"

#include <string>
#include <vector>

namespace soma::app {

/// Runs `soma phase` with the arguments that follow it; returns the exit status (0 done or --help,
/// 1 an error in the inputs or the run, 2 a malformed command line). Errors are printed as
/// "soma phase: MESSAGE"; on any error nothing is written.
int phase(const PluginRegistry& registry, const std::vector<std::string>& args);

}  // namespace soma::app
