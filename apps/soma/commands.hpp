#pragma once
/// @file commands.hpp
/// The commands of the `soma` runner that simulate. Each takes the arguments after its name and
/// returns the exit status (0 on success); errors are thrown (soma::Error, with a message for the
/// user) and reported by main.

#include <string>
#include <vector>

namespace soma {
class PluginRegistry;
}

namespace soma::app {

/// `soma run`: one simulation (see `soma run --help`).
int run_command(const PluginRegistry& registry, const std::vector<std::string>& args);
/// `soma sweep`: a population over the cartesian product of --vary axes, its table and figure.
int sweep_command(const PluginRegistry& registry, const std::vector<std::string>& args);
/// `soma fi`: `soma sweep` with the stimulus amplitude as the first axis (an f-I curve).
int fi_command(const PluginRegistry& registry, const std::vector<std::string>& args);
/// `soma rheobase`: the smallest stimulus amplitude that makes each cell fire.
int rheobase_command(const PluginRegistry& registry, const std::vector<std::string>& args);

}  // namespace soma::app
