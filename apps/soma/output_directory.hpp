#pragma once
/// @file output_directory.hpp
/// The output directory of a run that writes files, and the claim of this process on the outputs of one
/// name in it: shared by the `soma` commands and the Python module (`recorders=`), so that both protect
/// the files alike. In the library soma_app_outputs with summary_json.hpp, which the command and the module link.

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace soma::app {

/// The longest output name (--name, name=): its files' temporary names must stay within a file
/// system's 255 bytes.
constexpr std::size_t max_output_name_length = 100;

/// Checks an output name (--name, name=), which every output file's name begins with.
/// @throws ParameterError when it is empty, holds '/', begins with '.' (a hidden file; "." and "..")
///         or '-' (read as an option by other tools), or is longer than
///         max_output_name_length; `option` names the option in the message ("--name").
void check_output_name(const std::string& name, std::string_view option);

/// How outputs and titles name a model: a compiled model by its name ("hh"), a model file by its file
/// name ("hh.eq" for examples/models/hh.eq), so that its outputs ("hh.eq-step") differ from the
/// compiled model's ("hh-step") and say what ran.
std::string model_label(const std::string& model);

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
///    that made them no longer exists, and so are lock files (below) that no process holds.
///  - Another soma process writing outputs of the same NAME in the same directory at the same time is
///    refused (an advisory lock on `.NAME.lock`, held until the object is destroyed), so two runs never
///    leave a mixture of their files.
///  - A different run's outputs are not replaced: when `summary_file` (the command's NAME_..._summary.json),
///    or the owner record of a run without one (`owner_record`), exists and records another identity, the
///    command is refused unless `force` (--force). Running the same command again replaces its outputs.
///    The identity is what tells runs apart (run_identity in session.hpp for the commands, the function and
///    its arguments for the Python module); a summary written before summaries recorded one is compared by
///    its command line.
///  - Nor are the files of `also.files` when the newest summary in the directory that lists them (in its
///    "outputs") is another command's, e.g. a later `soma compare --name f_fit-a` replacing the comparison
///    files of `soma fit --name f` (listed in f_fit_summary.json), or the reverse; refused unless `force`.
///  - Nor are a run's own outputs, once known (`claim`, before the run's first step), when they are another
///    command's: `soma sweep --recorder csv --name x` does not overwrite the x.csv of `soma run --name x`.
///  - With `force`, the runs whose outputs are replaced (the previous run recorded in `summary_file`, and the
///    owners of the files claimed) are replaced whole: `keep` removes the files they listed that this command
///    did not write again, and their summaries, so no file of a replaced run is left beside the new ones.
///    (The same command run again replaces its own run the same way.)
/// If the command fails (the object is destroyed without `keep`, or the constructor throws), the locks
/// are released and a directory it created is removed again when empty; nothing is removed.
class OutputDirectory {
public:
    /// @param identity what tells this run from another (see above), recorded in its summary as "identity".
    /// @param note receives what the user should be told (temporary files of a killed run removed); by
    ///        default printed on stderr as "soma: note: ...".
    /// @throws ParameterError when `path` is empty (--output '').
    /// @throws RunError when the directory cannot be created or written into, when another process holds
    ///         the outputs of `name`, or when they belong to a different run and `force` is false.
    OutputDirectory(std::filesystem::path path, const std::string& name, std::filesystem::path summary_file,
                    const std::vector<std::string>& identity, bool force, const OutputClaims& also = {},
                    const std::function<void(const std::string&)>& note = {});
    ~OutputDirectory();
    OutputDirectory(const OutputDirectory&) = delete;
    OutputDirectory& operator=(const OutputDirectory&) = delete;
    /// Refuses, unless `force`, the run's outputs `files` (paths in the directory, e.g. from
    /// Simulation::on_outputs) that are another command's (the newest summary listing one records another
    /// command line); with `force`, their runs are replaced (see `keep`).
    /// @throws RunError naming the file, the other command and its summary.
    void claim(const std::vector<std::filesystem::path>& files);
    /// The command succeeded and wrote `written` (its summary included): its outputs stay, and the files of
    /// the runs it replaced that it did not write again are removed (those that no other run has listed
    /// since), with those runs' summaries.
    void keep(const std::vector<std::filesystem::path>& written);
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] const std::vector<std::string>& identity() const { return identity_; }
    /// Where a run without a summary (--summary none) records its identity and outputs, so that its files
    /// stay protected: `.` and the summary's file name (hidden), beside it.
    [[nodiscard]] std::filesystem::path owner_record() const;
    /// Writes the owner record for a run that writes no summary; to be passed to `keep` with `written`.
    /// @throws RunError when it cannot be written.
    void write_owner_record(const std::vector<std::filesystem::path>& written) const;
    /// The command's NAME_..._summary.json.
    [[nodiscard]] const std::filesystem::path& summary_file() const { return summary_file_; }

private:
    void remove_stale_files(const std::function<void(const std::string&)>& note) const;
    void lock(const std::string& name);
    void check_previous_run(const std::string& name);
    /// Refuses (unless force_) or replaces the runs that own `files` (file names in the directory).
    void check_owners(const std::vector<std::string>& files);
    /// Remembers the run of `summary` as replaced: its summary and the files it lists.
    void replace(const std::filesystem::path& summary, const std::vector<std::string>& outputs);
    void release() noexcept;  ///< unlocks, and removes the directory if this object created it and it is empty

    std::filesystem::path path_;
    std::filesystem::path summary_file_;
    std::vector<std::filesystem::path> lock_paths_;
    std::vector<int> lock_fds_;
    std::vector<std::string> identity_;
    bool force_ = false;
    std::set<std::filesystem::path> replaced_summaries_;  ///< of the runs replaced
    std::set<std::string> replaced_files_;                ///< file names their summaries list
    bool created_ = false;
    bool keep_ = false;
};

}  // namespace soma::app
