#pragma once
/// @file session.hpp
/// What every command of the `soma` runner that simulates shares: a clean stop on signals, the
/// output directory (removed again if a failed command leaves it empty), and a progress line.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

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

/// Warns on stderr of each plug-in file the registry skipped (it may be the user's own build).
void warn_rejected(const PluginRegistry& registry);

/// The options every simulating command has besides those of `soma run`'s run description:
/// `--progress` and `--summary`.
std::vector<ExtraOption> common_options();

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

/// When the user named no stimulus (so the run has the default step) and set no amplitude, sets the
/// amplitude to the one the model suggests for its preset (SuggestedDrive, suggested_drive.hpp), with a
/// note when it differs from the step's own default. Models without the capability keep that default.
/// @throws PluginError, ParameterError from creating the model (as build_simulation would).
void use_suggested_drive(const PluginRegistry& registry, Scenario& scenario);

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

/// Installs the handlers that set `interrupted`.
void stop_on_signals();

/// Outputs a command writes besides those named NAME (OutputDirectory): `soma fit` also writes
/// NAME_fit-SET_compare.*, the files `soma compare --name NAME_fit-SET` writes.
struct OutputClaims {
    /// Other output names (e.g. "f_fit-a"), locked as NAME is, so that no other soma process writes them meanwhile.
    std::vector<std::string> names;
    /// The file names written under them (e.g. "f_fit-a_compare.csv"); see OutputDirectory.
    std::vector<std::string> files;
};

/// The output directory of a command, created if missing, and the claim of this process on the outputs
/// named NAME in it.
///  - Temporary files that a killed run (SIGKILL) left there are removed, with a note, when the process
///    that made them no longer exists.
///  - Another soma process writing outputs of the same NAME in the same directory at the same time is
///    refused (an advisory lock on `.NAME.lock`, held until the object is destroyed), so two runs never
///    leave a mixture of their files.
///  - A different run's outputs are not replaced: when `summary_file` (the command's NAME_..._summary.json)
///    exists and records another command line, the command is refused unless `force` (--force).
///    Running the same command again replaces its outputs.
///  - Nor are the files of `also.files` when the newest summary in the directory that lists them (in its
///    "outputs") is another command's, e.g. a later `soma compare --name f_fit-a` replacing the comparison
///    files of `soma fit --name f` (listed in f_fit_summary.json), or the reverse; refused unless `force`.
///    Files without a summary (--summary none) are nobody's.
/// If the command fails (the object is destroyed without `keep`), a directory it created is removed
/// again when empty.
class OutputDirectory {
public:
    /// @param command_line this command's, as in Scenario::command_line (`--force` is ignored in the comparison).
    /// @throws RunError when the directory cannot be created or written into, when another process holds
    ///         the outputs of `name`, or when they belong to a different run and `force` is false.
    OutputDirectory(std::filesystem::path path, const std::string& name, std::filesystem::path summary_file,
                    const std::vector<std::string>& command_line, bool force, const OutputClaims& also = {});
    ~OutputDirectory();
    OutputDirectory(const OutputDirectory&) = delete;
    OutputDirectory& operator=(const OutputDirectory&) = delete;
    void keep() { keep_ = true; }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// The command's NAME_..._summary.json.
    [[nodiscard]] const std::filesystem::path& summary_file() const { return summary_file_; }

private:
    void remove_stale_partial_files() const;
    void lock(const std::string& name);
    void check_previous_runs(const std::string& name, const std::vector<std::string>& command_line,
                             const std::vector<std::string>& files) const;
    void check_owners(const std::vector<std::string>& files, const std::vector<std::string>& command_line) const;
    void release() noexcept;

    std::filesystem::path path_;
    std::filesystem::path summary_file_;
    std::vector<std::filesystem::path> lock_paths_;
    std::vector<int> lock_fds_;
    bool created_ = false;
    bool keep_ = false;
};

/// The summary file of a command of `kind` ("sweep", "compare", ...; empty for soma run) for the outputs named
/// `spec.name`: OUTPUT/NAME_KIND_summary.json (OUTPUT/NAME_summary.json).
[[nodiscard]] std::filesystem::path summary_file(const RunSpec& spec, std::string_view kind);

/// The output directory of a command of `kind` (see summary_file) on the rank that writes (`writes`
/// true), as OutputDirectory claims it for `parsed`'s command line and --force; nullopt where `writes`
/// is false (the other MPI ranks, a run without recorders).
/// @throws RunError as OutputDirectory.
[[nodiscard]] std::optional<OutputDirectory> open_outputs(const Scenario& parsed, const RunSpec& spec,
                                                          std::string_view kind, bool writes,
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
    void update(double done, double total, const std::string& what = {});
    /// Starts the estimate afresh (a new stage of the job); the line stays.
    void restart() { start_ = std::chrono::steady_clock::now(); }

private:
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
/// (write_summary, listing `written`), prints every file written and keeps the output directory.
/// @throws RunError from write_summary.
void finish_outputs(std::vector<std::filesystem::path> written, nlohmann::json summary,
                    const std::filesystem::path& summary_path, std::optional<OutputDirectory>& output);

/// finish_outputs with the summary file of `output` (open_outputs); nothing is written when `output` is empty.
void finish_outputs(std::vector<std::filesystem::path> written, nlohmann::json summary,
                    std::optional<OutputDirectory>& output);

}  // namespace soma::app
