#include "report.hpp"
#include "session.hpp"

#include "soma/error.hpp"
#include "soma/parameter.hpp"
#include "soma/model_from_file.hpp"
#include "soma/registry.hpp"
#include "soma/stimulus.hpp"
#include "soma/suggested_drive.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <signal.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

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

void use_suggested_drive(const PluginRegistry& registry, Scenario& scenario) {
    ComponentSpec& stimulus = scenario.spec.stimulus;
    if (scenario.stimulus_given || stimulus.name != "step" || stimulus.parameters.contains("amplitude")) return;
    const auto model = create_model(registry, scenario.spec.model.name);
    const auto* suggests = dynamic_cast<const SuggestedDrive*>(model.get());
    if (suggests == nullptr) return;
    const auto drive = suggests->suggested_step(scenario.spec.model.preset);
    if (!drive) return;
    const auto step = registry.create<Stimulus>(PluginKind::stimulus, "step");
    const auto schema = step->schema();
    const auto it = std::ranges::find(schema, std::string("amplitude"), &ParameterSpec::name);
    if (it != schema.end() && it->default_value == drive->amplitude) return;
    stimulus.parameters["amplitude"] = fmt::format("{}", drive->amplitude);
    const std::string& unit = model->current().unit;
    scenario.notes.push_back(fmt::format("the step's amplitude is {:g}{}, the drive {} suggests{} ({}); set "
                                         "stimulus.amplitude to change it",
                                         drive->amplitude, unit == "1" ? "" : " " + unit, scenario.spec.model.name,
                                         scenario.spec.model.preset.empty() ? "" : " for preset " + scenario.spec.model.preset,
                                         drive->source));
}

/// The window of `--window FROM:TO` (ms), or nullopt when not given.
std::optional<experiments::Window> parse_window(const Scenario& scenario) {
    const auto it = scenario.extra.find("window");
    if (it == scenario.extra.end()) return std::nullopt;
    const std::string& text = it->second.front();
    const auto colon = text.find(':');
    const auto number = [&](std::string_view part, double& x) {
        const auto first = part.find_first_not_of(' ');
        if (first == std::string_view::npos) return false;
        part.remove_prefix(first);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), x);
        return ec == std::errc{} && ptr == part.data() + part.size() && std::isfinite(x);
    };
    experiments::Window w;
    if (colon == std::string::npos || !number(std::string_view(text).substr(0, colon), w.from) ||
        !number(std::string_view(text).substr(colon + 1), w.to)) {
        throw ParameterError(fmt::format("--window '{}': expected FROM:TO in ms, e.g. --window 500:1000 (the spikes "
                                         "with FROM <= t < TO are analysed)",
                                         text));
    }
    w.description = fmt::format("[{:g}, {:g}) ms, as given", w.from, w.to);
    return w;
}

bool name_given(const std::vector<std::string>& args) {
    return std::ranges::any_of(args, [](const std::string& a) {
        return a == "--name" || a.starts_with("--name=") || a.ends_with(".ini");
    });
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
    for (const auto& path : written) say("  wrote {}\n", path.string());
    if (output) output->keep();
}

void stop_on_signals() {
    for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) std::signal(signal, on_signal);
}

namespace {

std::vector<std::string> without_force(std::vector<std::string> args) {
    std::erase(args, std::string("--force"));
    return args;
}

/// The command line recorded in a summary, or empty.
std::vector<std::string> recorded_command(const nlohmann::json& summary) {
    std::vector<std::string> command;
    if (!summary.is_discarded() && summary.contains("command") && summary["command"].is_array()) {
        for (const auto& a : summary["command"]) command.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    }
    return command;
}

}  // namespace

std::filesystem::path summary_file(const RunSpec& spec, std::string_view kind) {
    return spec.output_dir / (kind.empty() ? spec.name + "_summary.json" : fmt::format("{}_{}_summary.json", spec.name, kind));
}

std::optional<OutputDirectory> open_outputs(const Scenario& parsed, const RunSpec& spec, std::string_view kind,
                                            bool writes, const OutputClaims& also) {
    if (!writes) return std::nullopt;
    return std::optional<OutputDirectory>(std::in_place, spec.output_dir, spec.name, summary_file(spec, kind),
                                          parsed.command_line, parsed.force, also);
}

void finish_outputs(std::vector<std::filesystem::path> written, nlohmann::json summary,
                    std::optional<OutputDirectory>& output) {
    if (!output) summary = nullptr;
    const std::filesystem::path path = output ? output->summary_file() : std::filesystem::path();
    finish_outputs(std::move(written), std::move(summary), path, output);
}

OutputDirectory::OutputDirectory(std::filesystem::path path, const std::string& name, std::filesystem::path summary_file,
                                 const std::vector<std::string>& command_line, bool force, const OutputClaims& also)
    : path_(std::move(path)), summary_file_(std::move(summary_file)) {
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
    try {
        lock(name);
        for (const auto& other : also.names) lock(other);
        if (!force) check_previous_runs(name, command_line, also.files);
    } catch (...) {
        release();  // the destructor does not run
        throw;
    }
}

void OutputDirectory::check_previous_runs(const std::string& name, const std::vector<std::string>& command_line,
                                          const std::vector<std::string>& files) const {
    std::error_code ec;
    if (std::filesystem::exists(summary_file_, ec)) {
        std::ifstream in(summary_file_);
        const std::vector<std::string> before = recorded_command(nlohmann::json::parse(in, nullptr, false));
        if (before.empty() || without_force(before) != without_force(command_line)) {
            throw RunError(fmt::format(
                "'{}' and the other outputs named '{}' in '{}' are from a different run ({}); give another --name "
                "(or --output) to keep them, or --force to replace them",
                summary_file_.string(), name, path_.string(),
                before.empty() ? std::string("its command line is not recorded") : fmt::format("{}", fmt::join(before, " "))));
        }
    }
    check_owners(files, command_line);
}

void OutputDirectory::check_owners(const std::vector<std::string>& files, const std::vector<std::string>& command_line) const {
    // The owner of a file is the run whose summary lists it and was written last.
    std::set<std::string> wanted;
    std::error_code ec;
    for (const auto& f : files) {
        if (std::filesystem::exists(path_ / f, ec)) wanted.insert(f);
    }
    if (wanted.empty()) return;
    struct Owner {
        std::filesystem::file_time_type time;
        std::filesystem::path summary;
        std::vector<std::string> command;
    };
    std::map<std::string, Owner> owners;
    for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
        const std::string file = entry.path().filename().string();
        if (!file.ends_with("_summary.json") || !entry.is_regular_file(ec)) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (std::ranges::none_of(wanted, [&](const std::string& w) { return text.find(w) != std::string::npos; })) {
            continue;  // most summaries, without parsing them
        }
        const auto summary = nlohmann::json::parse(text, nullptr, false);
        if (summary.is_discarded() || !summary.contains("outputs") || !summary["outputs"].is_array()) continue;
        const auto time = entry.last_write_time(ec);
        for (const auto& o : summary["outputs"]) {
            if (!o.is_string()) continue;
            const std::string listed = std::filesystem::path(o.get<std::string>()).filename().string();
            if (!wanted.contains(listed)) continue;
            const auto it = owners.find(listed);
            if (it == owners.end() || it->second.time < time) {
                owners[listed] = Owner{time, entry.path(), recorded_command(summary)};
            }
        }
    }
    for (const auto& [file, owner] : owners) {
        if (owner.summary.filename() == summary_file_.filename()) continue;  // ours (checked above)
        if (!owner.command.empty() && without_force(owner.command) == without_force(command_line)) continue;
        throw RunError(fmt::format("'{}' in '{}' is an output of a different run ({}, as {} records); give another "
                                   "--name (or --output) to keep it, or --force to replace it",
                                   file, path_.string(),
                                   owner.command.empty() ? std::string("its command line is not recorded")
                                                         : fmt::format("{}", fmt::join(owner.command, " ")),
                                   owner.summary.string()));
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
            throw RunError(fmt::format("cannot create '{}': {}", lock_path.string(), std::strerror(errno)));
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
