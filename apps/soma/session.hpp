#pragma once
/// @file session.hpp
/// What every command of the `soma` runner that simulates shares: a clean stop on signals, the
/// output directory (removed again if a failed command leaves it empty), and a progress line.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <type_traits>
#include <string_view>
#include <vector>

#include "output_directory.hpp"
#include "scenario.hpp"
#include "summary_json.hpp"

#include "soma/error.hpp"
#include "soma/experiments/responses.hpp"

#include <optional>
#include <utility>

namespace soma {
class PluginRegistry;
}

namespace soma::app {

/// Warns on stderr of each plug-in file the registry skipped so far (it may be the user's own build).
void warn_rejected(const PluginRegistry& registry);
/// Looks up the plug-ins `spec` uses (plugins_of; loading only those, and nothing when one is unknown: the
/// run reports that), then warns as above, so that a rejected file that a plug-in of the run could have
/// come from is named before the run.
void warn_rejected(const PluginRegistry& registry, const RunSpec& spec);

/// warn_rejected for the scenario's run, and the check of its unselected recorder sections: a section
/// that names no recorder plug-in is an error.
/// @throws ParameterError "FILE:LINE: [NAME] is no recorder ...", with the closest recorder's name.
void check_plugins(const PluginRegistry& registry, const Scenario& scenario);

/// The options every simulating command has besides those of `soma run`'s run description:
/// `--progress` and `--summary`; `kind` names the summary as summary_file does ("sweep": NAME_sweep_summary.json,
/// "" for soma run: NAME_summary.json).
std::vector<ExtraOption> common_options(std::string_view kind);

/// How a command reports: the progress line's mode ("auto", "on", "off") and whether to write
/// NAME_summary.json.
struct Reporting {
    std::string progress = "auto";
    bool summary = true;
};

/// The values of common_options in `scenario`.
/// @throws ParameterError for a value that is not one of the allowed ones.
Reporting reporting(const Scenario& scenario);

/// The value of `--summary`: true for "json", false for "none".
/// @throws ParameterError for any other value, with a suggestion.
bool summary_wanted(const std::string& value);

/// apply_suggested_drive (run_spec.hpp): a step whose amplitude the user did not give (named or the
/// default stimulus) gets the model's suggested drive, its note added to the scenario's.
/// @throws PluginError, ParameterError from creating the model (as build_simulation would).
void use_suggested_drive(const PluginRegistry& registry, Scenario& scenario);

/// When the user gave no run length, apply_stimulus_duration (run_spec.hpp), its note added to the
/// scenario's; and the note of stimulus_after_run_note when the stimulus starts after the run's end.
/// @throws PluginError, ParameterError from creating the stimulus.
void use_stimulus_duration(const PluginRegistry& registry, Scenario& scenario);

/// A note when `--set model.V_init=X` (no preset) lies 30 mV or more from the model's V_rest and one of its
/// presets rests within 10 mV of X: a NEURON user's V_init = -65 on hh (rest at 0 mV) points to --preset neuron.
void note_preset_for_initial_value(const PluginRegistry& registry, Scenario& scenario);

/// The window of `--window FROM:TO` (ms) in `scenario`, or nullopt when not given.
/// @throws ParameterError for text that is not FROM:TO with finite numbers.
std::optional<experiments::Window> parse_window(const Scenario& scenario);

/// True when the arguments name the outputs: --name, or a scenario file (whose name they take).
bool name_given(const std::vector<std::string>& args);

/// Prints each note on stderr as "soma: note: ...".
void print_notes(const std::vector<std::string>& notes);

/// Set by SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 once `stop_on_signals` has run; runs stop
/// soon after and leave no file.
extern std::atomic<bool> interrupted;
/// The signal that set `interrupted` first (SIGINT, SIGTERM, ...), 0 before any: the program exits with
/// 128 + it, as shells report a program that signal ended.
extern std::atomic<int> interrupting_signal;

/// Installs the handlers that set `interrupted`.
void stop_on_signals();

/// The summary file of a command of `kind` ("sweep", "compare", ...; empty for soma run) for the outputs named
/// `spec.name`: OUTPUT/NAME_KIND_summary.json (OUTPUT/NAME_summary.json).
[[nodiscard]] std::filesystem::path summary_file(const RunSpec& spec, std::string_view kind);

/// What tells one run of a command from another for OutputDirectory: the command (`run`, `sweep`, ...) and
/// `spec` as resolved, with numbers in their shortest form and paths absolute, and the command's own options
/// (`parsed.extra`) but not those that leave the outputs' contents alone (--threads, --progress, --summary,
/// --force) nor the output directory (the summaries compared are in it). So `--output out/` is `--output
/// out`, `--t-stop 100` the default, `--dt 1e-2` `--dt 0.01`, and a scenario file the same values given as
/// options; and a parameter given at its default value (the plug-in's, from `registry`) the same as one
/// not given (except under a preset, whose values are not the defaults); the cell count as given or implied
/// by the per-cell values (`--cells 3` where lists of 3 fix it), and `--record-cells` naming every cell where
/// every cell is recorded without it.
[[nodiscard]] std::vector<std::string> run_identity(const PluginRegistry& registry, const Scenario& parsed,
                                                    const RunSpec& spec);

/// The output directory of a command of `kind` (see summary_file) on the rank that writes (`writes`
/// true), as OutputDirectory claims it for the run_identity of `parsed` and `spec` and --force; nullopt
/// where `writes` is false (the other MPI ranks, a run without recorders).
/// @throws RunError as OutputDirectory.
[[nodiscard]] std::optional<OutputDirectory> open_outputs(const PluginRegistry& registry, const Scenario& parsed,
                                                          const RunSpec& spec, std::string_view kind, bool writes,
                                                          const OutputClaims& also = {});

/// A progress line on stderr (rewritten in place, at most a few times a second): what is running, how
/// far it is, the elapsed time and an estimate of the rest. Shown when stderr is a terminal or when
/// asked for (`--progress`); a job that ends within a second never shows it. Erased when done.
class ProgressLine {
public:
    /// @param mode "auto" (a terminal only), "on" or "off".
    explicit ProgressLine(const std::string& mode);
    ~ProgressLine();
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    /// `done` of `total` units of `what` (e.g. "round 2 of 5") are complete.
    void update(double done, double total, const std::string& what = {}) {
        if (due(done, total)) show(done, total, what);
    }
    /// As above, with `what()` giving the text, called only when the line is redrawn (a run reports
    /// every stretch of steps; formatting its time each time would cost the run of a cell alone 1 %).
    template <class What>
        requires std::is_invocable_r_v<std::string, What&>
    void update(double done, double total, What&& what) {
        if (due(done, total)) show(done, total, what());
    }
    /// Starts the estimate afresh (a new stage of the job); the line stays.
    void restart() { start_ = std::chrono::steady_clock::now(); }

private:
    /// Whether the line is to be redrawn now (enabled, a second into the job, and not redrawn too recently).
    [[nodiscard]] bool due(double done, double total) const;
    void show(double done, double total, const std::string& what);

    bool enabled_ = false;
    bool terminal_ = false;
    bool shown_ = false;
    std::chrono::steady_clock::time_point start_, last_;
};

/// Runs `body(progress)`, the simulating part of a command, with the signal handlers installed and a
/// progress line in mode `progress_mode`; returns what `body` returns. An exception thrown because a
/// signal stopped the runs becomes RunError("interrupted by a signal; no output was written").
template <class Body>
auto run_interruptibly(const std::string& progress_mode, Body&& body) {
    stop_on_signals();
    ProgressLine progress(progress_mode);
    try {
        return std::forward<Body>(body)(progress);
    } catch (...) {
        if (interrupted) throw RunError("interrupted by a signal; no output was written");
        throw;
    }
}

/// The end of a command on the rank that writes: writes `summary` to `summary_path` when it is not null
/// (write_summary, listing `written`), or the owner record of a run without one, prints every file written
/// and keeps the output directory.
/// @throws RunError from write_summary or write_owner_record, after removing the files of `written`: the
///         outputs of a command are kept as a set or not at all.
void finish_outputs(std::vector<std::filesystem::path> written, nlohmann::json summary,
                    const std::filesystem::path& summary_path, std::optional<OutputDirectory>& output);

/// finish_outputs with the summary file of `output` (open_outputs); nothing is written when `output` is empty.
void finish_outputs(std::vector<std::filesystem::path> written, nlohmann::json summary,
                    std::optional<OutputDirectory>& output);

}  // namespace soma::app
