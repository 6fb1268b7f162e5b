/// @file output_directory.cpp
/// The output directory of a run and the lock on its outputs (output_directory.hpp).

#include "output_directory.hpp"

#include "soma/error.hpp"

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

namespace soma::app {

OutputDirectory::OutputDirectory(std::filesystem::path path, const std::string& name,
                                 const std::filesystem::path& summary_file, const std::vector<std::string>& command_line,
                                 bool force, const std::function<void(const std::string&)>& note)
    : path_(std::move(path)) {
    std::error_code ec;
    created_ = std::filesystem::create_directories(path_, ec);
    if (ec) throw RunError(fmt::format("cannot create output directory '{}': {}", path_.string(), ec.message()));
    // A refusal must not leave the lock (a Python process goes on) nor a directory it created.
    try {
        remove_stale_partial_files(note);
        // Before any simulating: a long sweep must not end in "permission denied".
        if (::access(path_.c_str(), W_OK | X_OK) != 0) {
            throw RunError(fmt::format("cannot write into output directory '{}' (permission denied); choose another "
                                       "with --output",
                                       path_.string()));
        }
        lock(name);
        const auto without_force = [](std::vector<std::string> args) {
            std::erase(args, std::string("--force"));
            return args;
        };
        if (!force && std::filesystem::exists(summary_file, ec)) {
            std::ifstream in(summary_file);
            const auto previous = nlohmann::json::parse(in, nullptr, false);
            std::vector<std::string> before;
            if (!previous.is_discarded() && previous.contains("command") && previous["command"].is_array()) {
                for (const auto& a : previous["command"]) before.push_back(a.is_string() ? a.get<std::string>() : a.dump());
            }
            if (before.empty() || without_force(before) != without_force(command_line)) {
                throw RunError(fmt::format(
                    "'{}' and the other outputs named '{}' in '{}' are from a different run ({}); give another --name "
                    "(or --output) to keep them, or --force to replace them",
                    summary_file.string(), name, path_.string(),
                    before.empty() ? std::string("its command line is not recorded") : fmt::format("{}", fmt::join(before, " "))));
            }
        }
    } catch (...) {
        release();
        throw;
    }
}

void OutputDirectory::lock(const std::string& name) {
    // flock on .NAME.lock; the file is removed when done. A process that opened the file just before it
    // was removed would lock a file no longer in the directory: it checks that what it locked is still
    // the file at that path, and tries again otherwise.
    lock_path_ = path_ / fmt::format(".{}.lock", name);  // (GCC 12 warns falsely on "." + name)
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            throw RunError(fmt::format("cannot create '{}': {}", lock_path_.string(), std::strerror(errno)));
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            throw RunError(fmt::format("another soma process is writing the outputs named '{}' in '{}' now; wait "
                                       "for it to finish, or give another --name or --output",
                                       name, path_.string()));
        }
        struct stat held{}, there{};
        if (::fstat(fd, &held) == 0 && ::stat(lock_path_.c_str(), &there) == 0 && held.st_ino == there.st_ino &&
            held.st_dev == there.st_dev) {
            lock_fd_ = fd;
            return;
        }
        ::close(fd);
    }
    throw RunError(fmt::format("cannot lock '{}': it keeps being replaced", lock_path_.string()));
}

void OutputDirectory::remove_stale_partial_files(const std::function<void(const std::string&)>& note) const {
    // A run killed by SIGKILL leaves its temporary files (".NAME.partial-PID-XXXXXXXX", staged_file.cpp):
    // those of processes that no longer exist are removed.
    std::size_t removed = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
        const std::string name = entry.path().filename().string();
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
    if (lock_fd_ >= 0) {
        std::filesystem::remove(lock_path_, ec);  // while still holding it
        ::close(lock_fd_);
        lock_fd_ = -1;
    }
    if (created_ && !keep_) std::filesystem::remove(path_, ec);  // only if still empty
}

}  // namespace soma::app
