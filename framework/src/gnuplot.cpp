#include "soma/gnuplot.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace soma::gnuplot {
namespace {

/// Ignores SIGPIPE while alive, so that a gnuplot that dies early cannot kill the process.
class SigpipeIgnored {
public:
    SigpipeIgnored() {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        sigaction(SIGPIPE, &ignore, &previous_);
    }
    ~SigpipeIgnored() { sigaction(SIGPIPE, &previous_, nullptr); }
    SigpipeIgnored(const SigpipeIgnored&) = delete;
    SigpipeIgnored& operator=(const SigpipeIgnored&) = delete;

private:
    struct sigaction previous_ {};
};

/// A file descriptor, closed when destroyed.
class Descriptor {
public:
    explicit Descriptor(int fd = -1) : fd_(fd) {}
    ~Descriptor() { close(); }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    [[nodiscard]] int get() const { return fd_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

/// posix_spawn's file actions, destroyed when done.
class FileActions {
public:
    FileActions() { posix_spawn_file_actions_init(&actions_); }
    ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    [[nodiscard]] posix_spawn_file_actions_t* get() { return &actions_; }

private:
    posix_spawn_file_actions_t actions_{};
};

/// Contents of a small text file, without trailing blanks.
std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
    return s;
}

}  // namespace

std::string png_and_svg_loop(std::string_view width, std::string_view height, int font_size) {
    return fmt::format(
        "do for [figure = 1:2] {{\n"
        "    reset\n"
        "    if (figure == 1) {{\n"
        "        set terminal pngcairo size {0},{1} noenhanced font 'Sans,{2}' background rgb 'white'\n"
        "        set output pngfile\n"
        "    }} else {{\n"
        "        set terminal svg size {0},{1} noenhanced font 'Sans,{2}' background rgb 'white'\n"
        "        set output svgfile\n"
        "    }}\n",
        width, height, font_size);
}

std::string quote(std::string_view text) {
    std::string quoted = "'";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\'') {
            quoted += "''";
        } else {
            quoted += byte < 0x20 || byte == 0x7f ? ' ' : c;
        }
    }
    return quoted + "'";
}

std::filesystem::path find(std::string_view who) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";  // execvp's default
    while (true) {
        const auto colon = dirs.find(':');
        const std::filesystem::path dir(std::string(dirs.substr(0, colon)));
        // An empty or relative entry would run a `gnuplot` planted in the working directory: skipped.
        const auto candidate = dir / "gnuplot";
        std::error_code ec;
        if (dir.is_absolute() && std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        if (colon == std::string_view::npos) {
            throw RunError(fmt::format("{}: the gnuplot program is not installed; install Debian's gnuplot-nox "
                                       "(apt-get install gnuplot-nox)",
                                       who));
        }
        dirs.remove_prefix(colon + 1);
    }
}

void draw(const std::filesystem::path& program, std::string_view commands, std::span<const StagedFile* const> figures,
          std::string_view who, std::chrono::seconds limit) {
    const std::filesystem::path first = figures.empty() ? std::filesystem::path("gnuplot") : figures.front()->final_path();
    StagedFile log(first.parent_path() / (first.stem().string() + ".gnuplot-stderr"));  // never committed
    int ends[2] = {-1, -1};
    if (::pipe2(ends, O_CLOEXEC) != 0) {
        throw RunError(fmt::format("{}: cannot start {}: {}", who, program.string(), std::strerror(errno)));
    }
    Descriptor read_end(ends[0]), write_end(ends[1]);
    FileActions actions;
    posix_spawn_file_actions_adddup2(actions.get(), read_end.get(), STDIN_FILENO);
    posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, log.temp_path().c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::string name = program.string();
    char* argv[] = {name.data(), nullptr};
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, program.c_str(), actions.get(), nullptr, argv, environ);
    read_end.close();
    if (spawned != 0) {
        throw RunError(fmt::format("{}: cannot start {}: {}", who, program.string(), std::strerror(spawned)));
    }
    {
        const SigpipeIgnored guard;  // a gnuplot that exits early makes the write fail with EPIPE instead
        std::string_view rest = commands;
        while (!rest.empty()) {
            const ssize_t n = ::write(write_end.get(), rest.data(), rest.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // gnuplot has gone: its standard error says why
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        write_end.close();  // end of input: gnuplot exits when done
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (true) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR)) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            throw RunError(fmt::format("{}: gnuplot did not finish within {} s and was stopped", who, limit.count()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (const StagedFile* figure : figures) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(figure->temp_path(), ec);
        if (ec || size == 0) {
            const std::string said = read_text(log.temp_path());
            throw RunError(fmt::format("{}: gnuplot did not draw '{}'; gnuplot said: {}", who,
                                       figure->final_path().string(), said.empty() ? "nothing" : said));
        }
    }
}

}  // namespace soma::gnuplot
