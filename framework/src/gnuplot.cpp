#include "soma/gnuplot.hpp"

#include "soma/error.hpp"
#include "soma/integrator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <vector>
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

/// posix_spawn's attributes, destroyed when done.
class SpawnAttributes {
public:
    SpawnAttributes() { posix_spawnattr_init(&attributes_); }
    ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    [[nodiscard]] posix_spawnattr_t* get() { return &attributes_; }

private:
    posix_spawnattr_t attributes_{};
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
        "    set encoding utf8\n"
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

namespace {

/// The length of the valid UTF-8 sequence at the start of `s` (1 to 4), or 0 if it does not start
/// with one (RFC 3629: no overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char lead = at(0);
    if (lead < 0x80) return 1;
    // The second byte's range depends on the lead byte (RFC 3629, section 4); later ones are 80..BF.
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) n = 2;
    else if (lead == 0xe0) n = 3, lo = 0xa0;
    else if (lead == 0xed) n = 3, hi = 0x9f;
    else if (lead >= 0xe1 && lead <= 0xef) n = 3;
    else if (lead == 0xf0) n = 4, lo = 0x90;
    else if (lead == 0xf4) n = 4, hi = 0x8f;
    else if (lead >= 0xf1 && lead <= 0xf3) n = 4;
    else return 0;
    if (s.size() < n || at(1) < lo || at(1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (at(k) < 0x80 || at(k) > 0xbf) return 0;
    }
    return n;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const std::size_t n = utf8_sequence(text);
        out += n == 0 ? std::string_view("\xef\xbf\xbd") : text.substr(0, n);  // U+FFFD for a bad byte
        text.remove_prefix(std::max<std::size_t>(n, 1));
    }
    return out;
}

std::string quote_text(std::string_view text) { return quote(valid_utf8(text)); }

WrappedText wrapped_text(std::string_view text, std::size_t columns) {
    const std::string valid = valid_utf8(text);
    const auto length = [](std::string_view s) {  // code points: the bytes that start one
        return static_cast<std::size_t>(std::ranges::count_if(s, [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
    };
    std::vector<std::string> lines{""};
    std::string_view rest = valid;
    while (!rest.empty()) {
        const auto blank = rest.find(' ');
        const std::string_view word = rest.substr(0, blank);
        rest = blank == std::string_view::npos ? std::string_view{} : rest.substr(blank + 1);
        std::string& line = lines.back();
        if (!line.empty() && length(line) + 1 + length(word) > columns) {
            lines.emplace_back(word);
        } else {
            if (!line.empty()) line += ' ';
            line.append(word);
        }
    }
    WrappedText wrapped{quote(lines.front()), lines.size()};
    for (std::size_t k = 1; k < lines.size(); ++k) wrapped.expression += ".\"\\n\"." + quote(lines[k]);
    return wrapped;
}

std::string axis_label(std::string_view name, std::string_view unit) {
    const std::string shown = display_unit(unit);
    return shown.empty() ? std::string(name) : fmt::format("{} ({})", name, shown);
}

std::string display_unit(std::string_view unit) {
    if (unit.empty() || unit == "1") return "";
    static constexpr std::string_view superscripts[] = {"\u2070", "\u00b9", "\u00b2", "\u00b3", "\u2074",
                                                        "\u2075", "\u2076", "\u2077", "\u2078", "\u2079"};
    const auto is_letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    std::string out;
    std::size_t i = 0;
    while (i < unit.size()) {
        const char c = unit[i];
        if (is_letter(c)) {
            // A unit symbol with its prefix: the micro prefix u is written µ, Ohm is written Ω.
            std::size_t end = i;
            while (end < unit.size() && is_letter(unit[end])) ++end;
            std::string_view word = unit.substr(i, end - i);
            static constexpr std::string_view micro_of[] = {"A", "F", "S", "V", "m", "s", "M", "g", "L", "l", "C", "Ohm", "mol"};
            if (word.size() > 1 && word.front() == 'u' && std::ranges::find(micro_of, word.substr(1)) != std::end(micro_of)) {
                out += "\u00b5";
                word.remove_prefix(1);
            }
            if (word.ends_with("Ohm")) {
                out += word.substr(0, word.size() - 3);
                out += "\u03a9";
            } else {
                out += word;
            }
            i = end;
        } else if (c == '^' && i + 1 < unit.size() && (std::isdigit(static_cast<unsigned char>(unit[i + 1])) != 0 ||
                                                        (unit[i + 1] == '-' && i + 2 < unit.size() &&
                                                         std::isdigit(static_cast<unsigned char>(unit[i + 2])) != 0))) {
            // An exponent: superscript digits (and minus sign).
            ++i;
            if (unit[i] == '-') {
                out += "\u207b";
                ++i;
            }
            while (i < unit.size() && std::isdigit(static_cast<unsigned char>(unit[i])) != 0) {
                out += superscripts[unit[i] - '0'];
                ++i;
            }
        } else if (c == '*') {
            out += "\u00b7";  // middle dot
            ++i;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
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

namespace {

/// Whether the figure file `file` (to be committed as `final`) ends as its format ends: a PNG with its
/// IEND chunk (the PNG specification, section 5.6), an SVG with `</svg>`; other formats are not checked.
bool complete(const std::filesystem::path& file, const std::filesystem::path& final) {
    const std::string extension = final.extension().string();
    if (extension != ".png" && extension != ".svg") return true;
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    const std::streamoff size = in.tellg();
    constexpr std::streamoff tail_size = 64;
    if (!in || size <= 0) return false;
    in.seekg(std::max<std::streamoff>(0, size - tail_size));
    std::string tail(static_cast<std::size_t>(std::min(size, tail_size)), '\0');
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    if (!in) return false;
    if (extension == ".png") {
        constexpr std::string_view iend("IEND\xAE\x42\x60\x82", 8);
        return std::string_view(tail).ends_with(iend);
    }
    while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back()))) tail.pop_back();
    return std::string_view(tail).ends_with("</svg>");
}

}  // namespace

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
    // In a process group of its own, so that stopping it stops what it started too (a gnuplot wrapper
    // script, a helper of its terminal).
    SpawnAttributes attributes;
    posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(attributes.get(), 0);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, program.c_str(), actions.get(), attributes.get(), argv, environ);
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
    // A run's files are committed together, figures with data: say how to get the data alone.
    constexpr std::string_view without_figures =
        "no output was written (a run's files are kept together); 'soma run --recorder csv' writes the data "
        "without figures";
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (true) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR)) break;
        const bool late = std::chrono::steady_clock::now() > deadline;
        if (late || stop_requested()) {
            ::kill(-pid, SIGKILL);  // its group
            ::waitpid(pid, &status, 0);
            if (!late) throw RunError(fmt::format("{}: interrupted while gnuplot was drawing; no output was written", who));
            throw RunError(fmt::format("{}: gnuplot did not finish within {} s and was stopped; {}", who, limit.count(),
                                       without_figures));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (const StagedFile* figure : figures) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(figure->temp_path(), ec);
        const bool empty = ec || size == 0;
        if (empty || !complete(figure->temp_path(), figure->final_path())) {
            // gnuplot does not report a failed write (a full disk, a file-size limit): it exits 0.
            const std::string said = read_text(log.temp_path());
            const auto space = std::filesystem::space(figure->temp_path().parent_path(), ec);
            const std::string full =
                !ec && space.available < (1u << 20)
                    ? fmt::format(" (the file system holding it has {} bytes free)", space.available)
                    : "";
            throw RunError(fmt::format("{}: gnuplot did not {} '{}'{}; gnuplot said: {}; {}", who,
                                       empty ? "draw" : "finish writing", figure->final_path().string(), full,
                                       said.empty() ? "nothing" : said, without_figures));
        }
    }
}

}  // namespace soma::gnuplot
