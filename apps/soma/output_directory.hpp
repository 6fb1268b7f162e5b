#pragma once
/// @file output_directory.hpp
/// The output directory of a run that writes files, and the claim of this process on the outputs of one
/// name in it: shared by the `soma` commands and the Python module (`recorders=`), so that both protect
/// the files alike. In the library soma_app_outputs with summary_json.hpp, which the command and the module link.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace soma::app {

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
/// If the command fails (the object is destroyed without `keep`, or the constructor throws), the locks
/// are released and a directory it created is removed again when empty.
class OutputDirectory {
public:
    /// @param command_line this command's, as in Scenario::command_line (`--force` is ignored in the
    ///        comparison); for the Python module, a description of the call ("soma.run", "model='hh'", ...).
    /// @param note receives what the user should be told (temporary files of a killed run removed); by
    ///        default printed on stderr as "soma: note: ...".
    /// @throws RunError when the directory cannot be created or written into, when another process holds
    ///         the outputs of `name`, or when they belong to a different run and `force` is false.
    OutputDirectory(std::filesystem::path path, const std::string& name, std::filesystem::path summary_file,
                    const std::vector<std::string>& command_line, bool force, const OutputClaims& also = {},
                    const std::function<void(const std::string&)>& note = {});
    ~OutputDirectory();
    OutputDirectory(const OutputDirectory&) = delete;
    OutputDirectory& operator=(const OutputDirectory&) = delete;
    void keep() { keep_ = true; }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// The command's NAME_..._summary.json.
    [[nodiscard]] const std::filesystem::path& summary_file() const { return summary_file_; }

private:
    void remove_stale_partial_files(const std::function<void(const std::string&)>& note) const;
    void lock(const std::string& name);
    void check_previous_runs(const std::string& name, const std::vector<std::string>& command_line,
                             const std::vector<std::string>& files) const;
    void check_owners(const std::vector<std::string>& files, const std::vector<std::string>& command_line) const;
    void release() noexcept;  ///< unlocks, and removes the directory if this object created it and it is empty

    std::filesystem::path path_;
    std::filesystem::path summary_file_;
    std::vector<std::filesystem::path> lock_paths_;
    std::vector<int> lock_fds_;
    bool created_ = false;
    bool keep_ = false;
};

}  // namespace soma::app
