/// @file output_directory.cpp
/// The output directory of a run and the lock on its outputs (output_directory.hpp).

#include "output_directory.hpp"
#include "summary_json.hpp"

#include "soma/error.hpp"
#include "soma/model_from_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

namespace soma::app {

namespace {

/// The strings of `summary[key]`, or empty.
std::vector<std::string> recorded_strings(const nlohmann::json& summary, const char* key) {
    std::vector<std::string> strings;
    if (!summary.is_discarded() && summary.contains(key) && summary[key].is_array()) {
        for (const auto& a : summary[key]) strings.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    }
    return strings;
}

/// The command line recorded in a summary, or empty.
std::vector<std::string> recorded_command(const nlohmann::json& summary) { return recorded_strings(summary, "command"); }

/// What tells the run of a summary from another (OutputDirectory's `identity`): its "identity"; for a summary
/// written before there was one, its command line without --force.
std::vector<std::string> recorded_identity(const nlohmann::json& summary) {
    if (auto identity = recorded_strings(summary, "identity"); !identity.empty()) return identity;
    auto command = recorded_command(summary);
    std::erase(command, std::string("--force"));
    return command;
}

/// The command line of a summary for a message; for an owner record (no command line), its identity.
std::string describe_command(const nlohmann::json& summary) {
    auto command = recorded_command(summary);
    if (command.empty()) command = recorded_strings(summary, "identity");
    return command.empty() ? std::string("its command line is not recorded") : fmt::format("{}", fmt::join(command, " "));
}

/// The file names a summary lists in its "outputs" (paths as written, reduced to their names).
std::vector<std::string> recorded_outputs(const nlohmann::json& summary) {
    std::vector<std::string> files;
    if (summary.is_discarded() || !summary.contains("outputs") || !summary["outputs"].is_array()) return files;
    for (const auto& o : summary["outputs"]) {
        if (o.is_string()) files.push_back(std::filesystem::path(o.get<std::string>()).filename().string());
    }
    return files;
}

nlohmann::json read_summary(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return nlohmann::json::parse(in, nullptr, false);
}

/// The run that owns a file: the one whose summary lists it and was written last.
struct Owner {
    std::filesystem::file_time_type time;
    std::filesystem::path summary;
    std::string command;  // for messages (describe_command)
    std::vector<std::string> identity;
    std::vector<std::string> outputs;
};

/// The owner of each of `wanted` (file names in `dir`) that a summary there lists.
std::map<std::string, Owner> owners_of(const std::filesystem::path& dir, const std::set<std::string>& wanted) {
    std::map<std::string, Owner> owners;
    if (wanted.empty()) return owners;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string file = entry.path().filename().string();
        if (!file.ends_with("_summary.json") || !entry.is_regular_file(ec)) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (std::ranges::none_of(wanted, [&](const std::string& w) { return text.find(w) != std::string::npos; })) {
            continue;  // most summaries, without parsing them
        }
        const auto summary = nlohmann::json::parse(text, nullptr, false);
        const auto time = entry.last_write_time(ec);
        const auto outputs = recorded_outputs(summary);
        for (const auto& listed : outputs) {
            if (!wanted.contains(listed)) continue;
            const auto it = owners.find(listed);
            if (it == owners.end() || it->second.time < time) {
                owners[listed] = Owner{time, entry.path(), describe_command(summary), recorded_identity(summary), outputs};
            }
        }
    }
    return owners;
}

}  // namespace

std::string model_label(const std::string& model) {
    return is_model_file(model) ? std::filesystem::path(model).filename().string() : model;
}

void check_output_name(const std::string& name, std::string_view option) {
    if (name.empty() || name.find_first_not_of(" \t") == std::string::npos) {
        throw ParameterError(fmt::format("{} '{}': the output name is empty; give one, e.g. {} 'run'", option, name, option));
    }
    if (name == "." || name == ".." || name.find('/') != std::string::npos) {
        throw ParameterError(fmt::format("{} '{}' is not a plain file name: the outputs are named NAME.csv, "
                                         "NAME_spikes.csv, ... in the output directory, so NAME holds no '/' and is "
                                         "not '.' or '..'; choose the directory with --output",
                                         option, name));
    }
    if (name.front() == '.' || name.front() == '-') {
        const auto first = name.find_first_not_of(".-");
        const std::string suggested = first == std::string::npos ? "run" : name.substr(first);
        throw ParameterError(fmt::format(
            "{} '{}' begins with '{}': {}; choose a name that begins with a letter or a digit, e.g. {} '{}'", option,
            name, name.front(),
            name.front() == '.' ? "its outputs would be hidden files, like the temporary files soma keeps in the "
                                  "output directory"
                                : "its outputs' names would read as options to the tools they are given to",
            option, suggested));
    }
    if (name.size() > max_output_name_length) {
        throw ParameterError(fmt::format("{} '{}' is {} characters long; give at most {} (the outputs' file names begin "
                                         "with it)",
                                         option, name, name.size(), max_output_name_length));
    }
}

OutputDirectory::OutputDirectory(std::filesystem::path path, const std::string& name, std::filesystem::path summary_file,
                                 const std::vector<std::string>& identity, bool force, const OutputClaims& also,
                                 const std::function<void(const std::string&)>& note)
    : path_(std::move(path)), summary_file_(std::move(summary_file)), identity_(identity), force_(force) {
    if (path_.empty()) {
        throw ParameterError("--output '': the output directory's name is empty; give a directory, e.g. --output "
                             "'soma-output' (or --output '.' for the current one)");
    }
    std::error_code ec;
    created_ = std::filesystem::create_directories(path_, ec);
    if (ec) throw RunError(fmt::format("cannot create output directory '{}': {}", path_.string(), ec.message()));
    // A refusal must not leave the locks (a Python process goes on) nor a directory it created.
    try {
        remove_stale_files(note);
        // Before any simulating: a long sweep must not end in "permission denied".
        if (::access(path_.c_str(), W_OK | X_OK) != 0) {
            const std::string why = errno == EROFS ? "a read-only file system"
                                    : errno == EACCES ? "permission denied"
                                                      : std::strerror(errno);
            throw RunError(fmt::format("cannot write into output directory '{}' ({}); choose another with --output",
                                       path_.string(), why));
        }
        lock(name);
        for (const auto& other : also.names) lock(other);
        check_previous_run(name);
        check_owners(also.files);
    } catch (...) {
        release();  // the destructor does not run
        throw;
    }
}

void OutputDirectory::check_previous_run(const std::string& name) {
    // The previous run's summary, or the owner record of a run without one (--summary none).
    for (const auto& file : {summary_file_, owner_record()}) {
        std::error_code ec;
        if (!std::filesystem::exists(file, ec)) continue;
        const auto summary = read_summary(file);
        if (!force_ && recorded_identity(summary) != identity_) {
            throw RunError(fmt::format(
                "'{}' and the other outputs named '{}' in '{}' are from a different run ({}); give another --name "
                "(or --output) to keep them, or --force to replace them",
                summary_file_.string(), name, path_.string(), describe_command(summary)));
        }
        replace(file, recorded_outputs(summary));
    }
}

void OutputDirectory::claim(const std::vector<std::filesystem::path>& files) {
    std::vector<std::string> names;
    for (const auto& f : files) names.push_back(f.filename().string());
    check_owners(names);
}

void OutputDirectory::check_owners(const std::vector<std::string>& files) {
    std::set<std::string> wanted;
    std::error_code ec;
    for (const auto& f : files) {
        if (std::filesystem::exists(path_ / f, ec)) wanted.insert(f);
    }
    for (const auto& [file, owner] : owners_of(path_, wanted)) {
        if (owner.summary.filename() == summary_file_.filename() || owner.summary.filename() == owner_record().filename()) {
            continue;  // ours (check_previous_run)
        }
        if (!owner.identity.empty() && owner.identity == identity_) continue;
        if (force_) {
            replace(owner.summary, owner.outputs);
            continue;
        }
        throw RunError(fmt::format("'{}' in '{}' is an output of a different run ({}, as {} records); give another "
                                   "--name (or --output) to keep it, or --force to replace it",
                                   file, path_.string(), owner.command, owner.summary.string()));
    }
}

void OutputDirectory::replace(const std::filesystem::path& summary, const std::vector<std::string>& outputs) {
    replaced_summaries_.insert(summary.filename());
    replaced_files_.insert(outputs.begin(), outputs.end());
}

std::filesystem::path OutputDirectory::owner_record() const {
    return summary_file_.parent_path() / fmt::format(".{}", summary_file_.filename().string());
}

void OutputDirectory::write_owner_record(const std::vector<std::filesystem::path>& written) const {
    write_summary({{"identity", identity_}}, written, owner_record());
}

void OutputDirectory::keep(const std::vector<std::filesystem::path>& written) {
    keep_ = true;
    std::set<std::string> ours;
    for (const auto& w : written) ours.insert(w.filename().string());
    std::set<std::string> left;  // files of the replaced runs not written again
    for (const auto& f : replaced_files_) {
        if (!ours.contains(f)) left.insert(f);
    }
    for (const auto& s : replaced_summaries_) {
        if (!ours.contains(s.string())) left.insert(s.string());
    }
    // A file that a run not replaced has listed since is that run's.
    const auto owners = owners_of(path_, left);
    std::error_code ec;
    for (const auto& f : left) {
        const auto it = owners.find(f);
        if (it != owners.end() && !replaced_summaries_.contains(it->second.summary.filename()) &&
            it->second.summary.filename() != f) {
            continue;
        }
        if (std::filesystem::is_regular_file(path_ / f, ec)) std::filesystem::remove(path_ / f, ec);
    }
}

void OutputDirectory::lock(const std::string& name) {
    // flock on .NAME.lock; the file is removed when done. A process that opened the file just before it
    // was removed would lock a file no longer in the directory: it checks that what it locked is still
    // the file at that path, and tries again otherwise.
    const auto lock_path = path_ / fmt::format(".{}.lock", name);  // (GCC 12 warns falsely on "." + name)
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            const int error = errno;
            // open(O_CREAT) in an existing directory that takes no new files (/proc, /sys) fails with ENOENT.
            std::error_code ec;
            const bool exists = error == ENOENT && std::filesystem::is_directory(path_, ec);
            throw RunError(fmt::format("cannot create '{}': {}{}", lock_path.string(), std::strerror(error),
                                       exists ? fmt::format(" (the directory '{}' exists but takes no new files: a "
                                                            "virtual file system such as /proc?); choose another "
                                                            "--output",
                                                            path_.string())
                                              : std::string()));
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            throw RunError(fmt::format("another soma process is writing the outputs named '{}' in '{}' now; wait "
                                       "for it to finish, or give another --name or --output",
                                       name, path_.string()));
        }
        struct stat held{}, there{};
        if (::fstat(fd, &held) == 0 && ::stat(lock_path.c_str(), &there) == 0 && held.st_ino == there.st_ino &&
            held.st_dev == there.st_dev) {
            lock_paths_.push_back(lock_path);
            lock_fds_.push_back(fd);
            return;
        }
        ::close(fd);
    }
    throw RunError(fmt::format("cannot lock '{}': it keeps being replaced", lock_path.string()));
}

void OutputDirectory::remove_stale_files(const std::function<void(const std::string&)>& note) const {
    // A run killed by SIGKILL leaves its temporary files (".NAME.partial-PID-XXXXXXXX", staged_file.cpp):
    // those of processes that no longer exist are removed. It leaves its ".NAME.lock" too: one that no
    // process holds is removed as `release` does (locked while removed, so that `lock` of another process
    // sees that what it locked is gone and tries again).
    std::size_t removed = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 6 && name.front() == '.' && name.ends_with(".lock")) {
            const int fd = ::open(entry.path().c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
            if (fd < 0) continue;
            struct stat held{}, there{};
            if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &held) == 0 && S_ISREG(held.st_mode) &&
                ::lstat(entry.path().c_str(), &there) == 0 && held.st_ino == there.st_ino &&
                held.st_dev == there.st_dev) {
                std::error_code remove_error;
                if (std::filesystem::remove(entry.path(), remove_error)) ++removed;
            }
            ::close(fd);
            continue;
        }
        const auto mark = name.rfind(".partial-");
        if (name.empty() || name.front() != '.' || mark == std::string::npos) continue;
        const std::string rest = name.substr(mark + 9);
        const auto dash = rest.find('-');
        if (dash == std::string::npos || dash == 0) continue;
        long pid = 0;
        const auto [end, error] = std::from_chars(rest.data(), rest.data() + dash, pid);
        if (error != std::errc{} || end != rest.data() + dash || pid <= 0) continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to tell
        std::error_code remove_error;
        if (std::filesystem::remove(entry.path(), remove_error)) ++removed;
    }
    if (removed > 0) {
        const std::string text = fmt::format("removed {} temporary file{} left in '{}' by a run that was killed",
                                             removed, removed == 1 ? "" : "s", path_.string());
        if (note) note(text);
        else std::cerr << "soma: note: " << text << '\n';
    }
}

OutputDirectory::~OutputDirectory() { release(); }

void OutputDirectory::release() noexcept {
    std::error_code ec;
    for (std::size_t k = 0; k < lock_fds_.size(); ++k) {
        std::filesystem::remove(lock_paths_[k], ec);  // while still holding it
        ::close(lock_fds_[k]);
    }
    lock_fds_.clear();
    lock_paths_.clear();
    if (created_ && !keep_) std::filesystem::remove(path_, ec);  // only if still empty
}

}  // namespace soma::app
