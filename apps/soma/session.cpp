#include "session.hpp"

#include "soma/error.hpp"
#include "soma/parameter.hpp"
#include "soma/registry.hpp"

#include <fmt/format.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <iostream>

namespace soma::app {

std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

namespace {
extern "C" void on_signal(int /*signal*/) { interrupted.store(true, std::memory_order_relaxed); }
}  // namespace

void warn_rejected(const PluginRegistry& registry) {
    for (const auto& r : registry.rejected()) std::cerr << "soma: warning: " << r.reason << " (skipped)\n";
}

std::vector<ExtraOption> common_options() {
    return {{"progress", "WHEN", "a progress line on stderr: auto (when stderr is a terminal), on or off (default: auto)"},
            {"summary", "WHAT", "json: also write NAME_summary.json (settings, per-cell results, files written); none: do "
                                "not (default: json)"}};
}

Reporting reporting(const Scenario& scenario) {
    Reporting r;
    const auto choice = [&](const char* option, const std::vector<std::string>& allowed) -> std::string {
        const auto it = scenario.extra.find(option);
        if (it == scenario.extra.end()) return {};
        const std::string& value = it->second.front();
        if (std::ranges::find(allowed, value) == allowed.end()) {
            throw ParameterError(fmt::format("--{} '{}': {}", option, value, unknown_name_message("value", value, allowed)));
        }
        return value;
    };
    if (auto v = choice("progress", {"auto", "on", "off"}); !v.empty()) r.progress = v;
    if (const auto it = scenario.extra.find("summary"); it != scenario.extra.end()) {
        r.summary = summary_wanted(it->second.front());
    }
    return r;
}

bool summary_wanted(const std::string& value) {
    const std::vector<std::string> allowed{"json", "none"};
    if (std::ranges::find(allowed, value) == allowed.end()) {
        throw ParameterError(fmt::format("--summary '{}': {}", value, unknown_name_message("value", value, allowed)));
    }
    return value == "json";
}

void print_notes(const std::vector<std::string>& notes) {
    for (const auto& note : notes) std::cerr << "soma: note: " << note << '\n';
}

void finish_outputs(std::vector<std::filesystem::path> written, nlohmann::json summary,
                    const std::filesystem::path& summary_path, std::optional<OutputDirectory>& output) {
    if (!summary.is_null()) {
        write_summary(std::move(summary), written, summary_path);
        written.push_back(summary_path);
    }
    for (const auto& path : written) fmt::print("  wrote {}\n", path.string());
    if (output) output->keep();
}

void stop_on_signals() {
    for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) std::signal(signal, on_signal);
}

OutputDirectory::OutputDirectory(std::filesystem::path path) : path_(std::move(path)) {
    std::error_code ec;
    created_ = std::filesystem::create_directories(path_, ec);
    if (ec) throw RunError(fmt::format("cannot create output directory '{}': {}", path_.string(), ec.message()));
    remove_stale_partial_files();
    // Before any simulating: a long sweep must not end in "permission denied".
    if (::access(path_.c_str(), W_OK | X_OK) != 0) {
        throw RunError(fmt::format("cannot write into output directory '{}' (permission denied); choose another "
                                   "with --output",
                                   path_.string()));
    }
}

void OutputDirectory::remove_stale_partial_files() const {
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
        std::cerr << fmt::format("soma: note: removed {} temporary file{} left in '{}' by a run that was killed\n",
                                 removed, removed == 1 ? "" : "s", path_.string());
    }
}

OutputDirectory::~OutputDirectory() {
    std::error_code ec;
    if (created_ && !keep_) std::filesystem::remove(path_, ec);  // only if still empty
}

ProgressLine::ProgressLine(const std::string& mode)
    : terminal_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()), last_(start_) {
    enabled_ = mode == "on" || (mode == "auto" && terminal_);
}

ProgressLine::~ProgressLine() {
    if (!shown_) return;
    if (!terminal_) return;  // whole lines were written
    std::fputs("\r\033[K", stderr);  // erase the line
    std::fflush(stderr);
}

void ProgressLine::update(double done, double total, const std::string& what) {
    if (!enabled_ || total <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (elapsed < 1.0 || (shown_ && since < (terminal_ ? 0.25 : 5.0)) || done >= total) return;
    last_ = now;
    const double fraction = done / total;
    const std::string rest = fraction > 0 ? fmt::format(", about {:.0f} s left", elapsed * (1 - fraction) / fraction) : "";
    const std::string line =
        fmt::format("soma: {}{}{:.0f} %, {:.0f} s elapsed{}", what, what.empty() ? "" : ", ", 100 * fraction, elapsed, rest);
    if (terminal_) std::fprintf(stderr, "\r\033[K%s", line.c_str());
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    shown_ = true;
}

}  // namespace soma::app
