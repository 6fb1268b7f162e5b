#pragma once
/// @file commands.hpp
/// The commands of the `soma` runner that simulate. Each takes the arguments after its name and
/// returns the exit status (0 on success); errors are thrown (soma::Error, with a message for the
/// user) and reported by main. `distribution`: the MPI ranks that share the cells (null for one
/// process); every rank runs the command, rank 0 writes the outputs.

#include <memory>
#include <string>
#include <vector>

namespace soma {
class Distribution;
class PluginRegistry;
}

namespace soma::app {

/// `soma run`: one simulation (see `soma run --help`).
int run_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                const std::shared_ptr<Distribution>& distribution);
/// `soma sweep`: a population over the cartesian product of --vary axes, its table and figure.
int sweep_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                const std::shared_ptr<Distribution>& distribution);
/// `soma fi`: `soma sweep` with the stimulus amplitude as the first axis (an f-I curve).
int fi_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                const std::shared_ptr<Distribution>& distribution);
/// `soma rheobase`: the smallest stimulus amplitude that makes each cell fire.
int rheobase_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                const std::shared_ptr<Distribution>& distribution);

/// `soma compare`: a model run against recordings of the same input (compare_command.cpp).
int compare_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                    const std::shared_ptr<Distribution>& distribution);

/// `soma fit`: model parameters fitted to recordings (fit_command.cpp).
int fit_command(const PluginRegistry& registry, const std::vector<std::string>& args,
                const std::shared_ptr<Distribution>& distribution);

}  // namespace soma::app
