#pragma once
/// @file run_info.hpp
/// Metadata of a run, handed to every recorder before the first sample.

#include "soma/state.hpp"
#include "soma/threshold_meaning.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace soma {

/// One parameter value as it was used in a run, the same for every cell.
struct ParameterRecord {
    std::string component;  ///< "model", "stimulus", "integrator" or a recorder's name
    std::string name;
    double value = 0;
    std::string unit;  ///< resolved (never the `model_current_unit` placeholder)
};

/// A parameter that takes a different value in some cells: how it was given and the value of each cell.
struct CellParameterRecord {
    std::string component;  ///< "model" or "stimulus"
    std::string name;
    std::string unit;         ///< resolved
    std::string given_as;     ///< the user's form, e.g. "linspace(0, 20, 41)" or "normal(1, 0.1)"
    std::vector<double> values;  ///< shape [n_cells]
};

/// What the recorders receive: which variables of which cells, and whether samples are taken at all.
struct RecordingInfo {
    /// The recorded quantities, in the order of the rows of each sample: state variables and/or the
    /// injected current (its name is the model's current's, e.g. "I").
    std::vector<Variable> variables;
    /// For each recorded quantity, its index among the model's state variables, `current_index` for the
    /// injected current, or `part_index(k)` for the current of part k of a sum of stimuli (I.LABEL).
    std::vector<std::size_t> sources;
    static constexpr std::size_t current_index = static_cast<std::size_t>(-1);
    static constexpr std::size_t part_index(std::size_t k) { return current_index - 1 - k; }
    /// Population indices of the recorded cells, ascending; the columns of each sample.
    std::vector<std::size_t> cells;
    /// False when only spikes are recorded (`--record spikes`): `sample` is never called.
    bool samples = true;
    /// A sentence for the user when the selection was chosen by default for a large population
    /// (e.g. "recording spikes and v of cells 0 to 9 of 10000"); empty otherwise.
    std::string note;
};

/// Everything a recorder needs to label its output.
/// A plug-in a run used, as the registry found it.
struct PluginRecord {
    std::string kind;             ///< "model", "stimulus", "integrator" or "recorder"
    std::string name;
    std::string version;
    std::filesystem::path file;   ///< its shared library
};

/// A file a run read its description from: its role, path and content hash.
struct InputRecord {
    std::string role;             ///< "model file", "stimulus file", "cell table" or "scenario file"
    std::filesystem::path path;   ///< as given
    std::string sha256;           ///< SHA-256 of the file's bytes, 64 lowercase hex digits (OpenSSL)
};

struct RunInfo {
    std::string soma_version;
    std::string title;                 ///< free text from the user (escape it before handing it to a tool)
    std::string model;                 ///< plug-in names (a model file's path for file models)
    std::string preset;                ///< the model preset applied, or ""
    std::string stimulus;
    std::string integrator;
    std::vector<std::string> recorders;
    std::vector<ParameterRecord> parameters;           ///< the values shared by all cells
    std::vector<CellParameterRecord> cell_parameters;  ///< the values that differ between cells

    double dt = 0;               ///< ms
    double t_stop = 0;           ///< ms; the run covers [0, t_stop)
    std::size_t n_steps = 0;     ///< t_stop / dt
    std::size_t record_every = 1;  ///< a sample every this many steps
    std::size_t n_cells = 1;
    std::size_t threads = 1;     ///< threads the run used (results do not depend on it)
    std::uint64_t seed = 0;      ///< seed of the run's random draws

    std::vector<Variable> state_variables;  ///< the model's, in storage order (first: v)
    Variable current;                       ///< the injected current's name and unit
    std::vector<double> thresholds;         ///< each cell's spike threshold, unit of v; shape [n_cells]
    RecordingInfo recording;

    std::filesystem::path output_dir;  ///< where recorders write; created before `begin`
    std::string stem;                  ///< base name of output files, e.g. "hh-step"

    /// What `thresholds` is for the model (its ThresholdMeaningOf capability; kind `unknown` without
    /// one), so that figures can draw spikes and name the line. Appended (as the provenance below): a recorder
    /// built against the layout before reads every earlier member where it was, so plug-ins stay compatible.
    ThresholdMeaning threshold_meaning;

    // Provenance (members added at the end, so that recorders built against earlier headers still read the
    // members above at the same places).
    std::vector<std::string> command_line;  ///< the command that asked for the run, if any (RunSpec)
    std::vector<PluginRecord> plugins;      ///< every plug-in of the run: model, stimuli, integrator, recorders
    std::vector<InputRecord> inputs;        ///< the files the run was described by, with their hashes
};

/// Spike statistics of one cell over a run.
struct CellSummary {
    std::size_t n_spikes = 0;
    double first_spike = 0;  ///< ms; meaningful when n_spikes > 0
    double last_spike = 0;   ///< ms
    double isi_mean = 0;     ///< running mean of the inter-spike intervals, ms
    double isi_m2 = 0;       ///< running sum of their squared deviations from the mean, ms^2 (Welford 1962)

    /// Adds the spike at `t` (ms, not before the last one).
    void add_spike(double t);

    /// Mean firing rate over the run of length `t_stop` (ms), in Hz.
    [[nodiscard]] double rate(double t_stop) const { return 1000.0 * static_cast<double>(n_spikes) / t_stop; }
    /// Mean ISI (ms); NaN with fewer than 2 spikes.
    [[nodiscard]] double mean_isi() const;
    /// Coefficient of variation of the ISIs (sample standard deviation / mean); NaN with fewer than 3 spikes.
    [[nodiscard]] double cv_isi() const;
};

/// What a run produced besides the recorders' outputs.
struct RunSummary {
    std::size_t n_steps = 0;
    std::size_t n_spikes = 0;
    std::vector<CellSummary> cells;  ///< shape [n_cells]
};

}  // namespace soma
