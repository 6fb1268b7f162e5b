#pragma once
/// @file run_info.hpp
/// Metadata of a run, handed to every recorder before the first sample.

#include "soma/state.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace soma {

/// One parameter value as it was used in a run.
struct ParameterRecord {
    std::string component;  ///< "model", "stimulus", "integrator" or a recorder's name
    std::string name;
    double value = 0;
    std::string unit;  ///< resolved (never the `model_current_unit` placeholder)
};

/// Everything a recorder needs to label its output.
struct RunInfo {
    std::string soma_version;
    std::string title;                 ///< free text from the user (escape it before handing it to a tool)
    std::string model;                 ///< plug-in names
    std::string stimulus;
    std::string integrator;
    std::vector<std::string> recorders;
    std::vector<ParameterRecord> parameters;

    double dt = 0;               ///< ms
    double t_stop = 0;           ///< ms; the run covers [0, t_stop)
    std::size_t n_steps = 0;     ///< t_stop / dt
    std::size_t record_every = 1;  ///< a sample every this many steps
    std::size_t n_cells = 1;

    std::vector<Variable> state_variables;  ///< the model's, in storage order (first: v)
    Variable current;                       ///< the injected current's name and unit
    double threshold = 0;                   ///< spike threshold, unit of v

    std::filesystem::path output_dir;  ///< where recorders write; created before `begin`
    std::string stem;                  ///< base name of output files, e.g. "hh-step"
};

}  // namespace soma
