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
/// If the command fails (the object is destroyed without `keep`), a directory it created is removed
/// again when empty.
class OutputDirectory {
public:
    /// @param command_line this command's, as in Scenario::command_line (`--force` is ignored in the
    ///        comparison); for the Python module, a description of the call ("soma.run", "model='hh'", ...).
    /// @param note receives what the user should be told (temporary files of a killed run removed); by
    ///        default printed on stderr as "soma: note: ...".
    /// @throws RunError when the directory cannot be created or written into, when another process holds
    ///         the outputs of `name`, or when they belong to a different run and `force` is false.
    OutputDirectory(std::filesystem::path path, const std::string& name, const std::filesystem::path& summary_file,
                    const std::vector<std::string>& command_line, bool force,
                    const std::function<void(const std::string&)>& note = {});
    ~OutputDirectory();
    OutputDirectory(const OutputDirectory&) = delete;
    OutputDirectory& operator=(const OutputDirectory&) = delete;
    void keep() { keep_ = true; }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    void remove_stale_partial_files(const std::function<void(const std::string&)>& note) const;
    void lock(const std::string& name);
    void release() noexcept;  ///< unlocks, and removes the directory if this object created it and it is empty

    std::filesystem::path path_;
    std::filesystem::path lock_path_;
    int lock_fd_ = -1;
    bool created_ = false;
    bool keep_ = false;
};

}  // namespace soma::app
