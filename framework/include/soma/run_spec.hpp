#pragma once
/// @file run_spec.hpp
/// One data object that describes a run (plug-ins, per-cell parameter values, grid, cells, threads,
/// seed, recording, outputs), and the one function that turns it into a Simulation. The `soma`
/// runner, the tests and language bindings all build runs this way.

#include "soma/cell_values.hpp"
#include "soma/distribution.hpp"
#include "soma/simulation.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soma {

class PluginRegistry;
enum class PluginKind : std::uint32_t;  // plugin.hpp

/// A plug-in and its parameter values as the user gives them.
struct ComponentSpec {
    std::string name;    ///< plug-in name; for the model also the path of a model file (model_from_file.hpp)
    std::string preset;  ///< a named parameter set (models), applied before `parameters`; "" for none
    /// Parameter text by name, as typed after `--set KIND.NAME=`. For the model and the stimulus any
    /// per-cell form of CellValues (cell_values.hpp); for integrators and recorders a number.
    std::map<std::string, std::string> parameters;
    /// Per-cell values already made (model and stimulus only), e.g. the cartesian product of a sweep's
    /// axes or an array from a language binding; a name must not be in both maps.
    std::map<std::string, CellValues> cell_values = {};
};

/// Everything that defines a run. Defaults: the course exercises' Hodgkin-Huxley step.
struct RunSpec {
    ComponentSpec model{"hh", {}, {}};
    ComponentSpec stimulus{"step", {}, {}};
    ComponentSpec integrator{"euler", {}, {}};
    std::vector<ComponentSpec> recorders{{"csv", {}, {}}, {"gnuplot", {}, {}}};
    /// n_cells = 0: as many cells as the per-cell lists fix (1 if none); threads (per rank) = 0: the
    /// cores the process is bound to if fewer than the machine's (mpirun, taskset), else the machine's
    /// cores divided by the run's ranks on this machine.
    RunSettings settings{100.0, 0.01, 0.0, 0, 0, 0};
    std::optional<std::filesystem::path> cells_from;  ///< a table of per-cell values (read_cell_table)
    RecordSpec record;
    std::string title;
    std::string name = "run";  ///< stem of the output files
    std::filesystem::path output_dir = "soma-output";
    std::string soma_version;  ///< for the metadata; empty: this library's version
    /// For the metadata: the command line that asked for the run (e.g. {"soma", "run", "--cells", "10"})
    /// and the scenario file it read, if any (RunInfo::command_line and RunInfo::inputs).
    std::vector<std::string> command_line;
    std::optional<std::filesystem::path> scenario_file;
    /// The processes the run is split over (distribution.hpp); null: this process alone.
    std::shared_ptr<Distribution> distribution;
    /// Bytes per cell that the caller will hold besides the engine's (e.g. a command's per-cell summary),
    /// counted in the check that the population fits in memory (check_population_memory).
    double caller_bytes_per_cell = 0;
};

/// The component of `spec` that KIND names, as `--set KIND.PARAM=` and scenario sections assign them:
/// "model", "stimulus", "integrator" or the name of one of its recorders; null when none is.
[[nodiscard]] BOOST_SYMBOL_VISIBLE ComponentSpec* find_component(RunSpec& spec, std::string_view kind);

/// The component that the KIND of `key` ("KIND.PARAM") names, and PARAM: how the `soma` command's `--set`
/// and scenario files, and language bindings, assign a parameter to a component.
/// @throws ParameterError "ORIGIN: 'KEY': expected KIND.PARAM ..." for a key without '.', and
///         "ORIGIN: 'KEY' names no component of this run; unknown component ..." (with the closest one)
///         when KIND names none (`origin` is e.g. "--set" or "FILE:LINE").
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::pair<ComponentSpec&, std::string> component_of(RunSpec& spec,
                                                                                      std::string_view key,
                                                                                      std::string_view origin);

/// Creates the plug-ins of `spec` through `registry`, applies the preset and every value, expands the
/// per-cell values to one value per cell (validating each against its range and the component's
/// constraints), and wires the Simulation, with `extra_recorders` (e.g. an in-memory recorder of a
/// test) after those of the spec. Nothing is written to disk. Collective over `spec.distribution`:
/// every rank builds the same run (each keeps the state of its own cells only) and then the ranks agree
/// (distribution.hpp's `agree`), so that if it fails on any rank, it throws the same error on all.
/// @throws PluginError for an unknown plug-in (as PluginRegistry::find).
/// @throws ParameterError naming the component, the parameter, the value and, for per-cell values, the
///         cell and how the value was given: an unknown parameter (with the closest name, or the
///         component that has it), a value out of range or violating a constraint, per-cell values for
///         an integrator or recorder, a parameter given both by `parameters` and by the table, a table
///         column of an unknown component, lists of different lengths (common_cell_count), and
///         everything Simulation's constructor throws.
/// @throws ModelFileError for an invalid model file.
[[nodiscard]] BOOST_SYMBOL_VISIBLE Simulation build_simulation(const PluginRegistry& registry, const RunSpec& spec,
                                                                std::vector<std::shared_ptr<Recorder>> extra_recorders = {});

/// The plug-ins `spec` uses, by kind and name, in the order build_simulation creates them: the model (the
/// `equations` plug-in for a model file), each part of the stimulus (`waveform` for a current file), the
/// integrator and the recorders. Loads nothing; a malformed stimulus part is left for build_simulation to
/// refuse.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<std::pair<PluginKind, std::string>> plugins_of(const RunSpec& spec);

/// The default drive of a model whose user gave no current (`soma run` without --stimulus or with one
/// plug-in and none of its currents set; soma.run with stimulus=None): the stimuli's defaults are made
/// for hh, whose suggested step is the step's default amplitude (7 uA/cm^2). For a model that suggests
/// another step for its preset (SuggestedDrive, suggested_drive.hpp; in the model's current unit), the
/// step's amplitude becomes that step, and every nonzero current of another stimulus (dc's amplitude,
/// the ramp's end, sine's amplitude and offset, the pulses' amplitude) its default times the model's
/// step over 7. Sums, current files and a stimulus with any of its currents given (by a value, per-cell
/// values or a column of the `cells_from` table) are left alone, as
/// are models without the capability or without a suggestion for the preset (a note says so when their
/// current is not in hh's uA/cm^2).
/// @returns the note to show the user when a current was changed (naming the values, their unit and
///          the suggestion's source), else "".
/// @throws PluginError, ParameterError, ModelFileError from creating the stimulus or the model (as
///         build_simulation would).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string apply_suggested_drive(const PluginRegistry& registry, RunSpec& spec);

/// The default length of a run whose user gave none (`soma run` without --t-stop, soma.run without
/// t_stop): when the stimulus, or a part of a sum of stimuli, has an `offset` (its own default, one value
/// for all cells, or per-cell values: a list, linspace, a column of the `cells_from` table, or draws when
/// `spec.settings.n_cells` is given) at or after `spec.settings.t_stop` in some cell, the run lasts until
/// 30 ms after the latest offset, so that every cell's stimulus is seen whole (the ramp's default 30 to
/// 170 ms: 200 ms, the course exercise's length). Values that build_simulation refuses are left to it, and
/// per-cell values of more than 2^20 cells are not looked at. A current file has no offset.
/// @returns the note to show the user when t_stop was changed, else "".
/// Throws nothing of its own: a stimulus that cannot be made is left to build_simulation, which names it.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string apply_stimulus_duration(const PluginRegistry& registry, RunSpec& spec);

/// A note when the stimulus (its default `onset`, one value for all cells or per-cell values, as for
/// apply_stimulus_duration; for a sum, the earliest onset of its parts in each cell) starts at or after the
/// end of the run in some cell: that cell would silently see no stimulus (`soma run --t-stop 10` with the
/// step's default onset of 20 ms). The note counts those cells when the onsets differ. "" otherwise, and
/// for a stimulus with a part that has no onset (ou, sine, a current file), which drives every cell.
/// Throws nothing of its own: a stimulus that cannot be made is left to build_simulation, which names it.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string stimulus_after_run_note(const PluginRegistry& registry,
                                                                       const RunSpec& spec);

}  // namespace soma
