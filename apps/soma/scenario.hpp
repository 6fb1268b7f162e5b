#pragma once
/// @file scenario.hpp
/// A run as the user describes it: plug-in names, parameter values and run settings, read from a
/// scenario file (INI) and the command line with Boost.Program_options. The command line wins.

#include "soma/simulation.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soma::app {

/// Everything `soma run` needs, with the built-in defaults (the seed's HH step exercise) filled in.
struct Scenario {
    std::string title;
    std::string name;  ///< stem of output files
    std::string model = "hh";
    std::string preset;  ///< a named parameter set of the model, applied before [model] values
    std::string stimulus = "step";
    std::string integrator = "euler";
    std::vector<std::string> recorders{"csv", "gnuplot"};
    RunSettings settings{100.0, 0.01, 0.0, 1};
    std::filesystem::path output_dir = "soma-output";
    /// Parameter text by component ("model", "stimulus", "integrator" or a recorder's name), then by name.
    std::map<std::string, std::map<std::string, std::string>> parameters;
    std::vector<std::string> notes;  ///< things the user should know (printed, not errors)
};

/// Parses the arguments that follow `soma run`; nullopt when they ask for --help.
/// @throws ParameterError (or boost::program_options::error) with a message naming the option or
///         key, the value and what is allowed.
std::optional<Scenario> parse_run_arguments(const std::vector<std::string>& args);

/// Text of `soma run --help`.
std::string run_help();

}  // namespace soma::app
