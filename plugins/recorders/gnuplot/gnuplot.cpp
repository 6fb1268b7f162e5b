/// @file gnuplot.cpp
/// Plug-in `gnuplot`: a figure of the recorded traces, drawn by Debian's gnuplot through gnuplot-iostream.
///
/// Files, in the run's output directory:
/// - `<stem>.png` and `<stem>.svg`: the figure, `width` x `height` pixels, laid out as in the course
///   seed: stacked panels sharing the time axis t (ms): (1) the membrane potential v with the spike
///   threshold as a red dashed line labelled "threshold (50 mV)"; (2) the other state variables, if
///   the model has any (for `hh` the gating variables m black, h red, n blue); (3) the injected
///   current I, its axis widened to include 0. A model with one state variable (`lif`) gets panels
///   (1) and (3). Axis labels carry the model's units, e.g. "v (mV)", "I (uA/cm^2)". The title is
///   the run's title, or "<model>, <stimulus>, <integrator>". With several cells, every cell's
///   traces are drawn in each panel (one colour per variable). Spikes are not drawn separately.
/// - `<stem>.dat`: the data as text: a `#` header line with names and units (`t (ms)`, `v (mV)`,
///   ..., `I (uA/cm^2)`; `v[c] (mV)` for cell c when there are several cells), then one line per
///   sample; columns separated by tabs, numbers in the shortest form that reads back to the same
///   double (full precision). Read it with gnuplot, `numpy.loadtxt` or anything that skips `#` lines.
/// - `<stem>.gp`: the gnuplot script that draws both figures from `<stem>.dat`. To re-plot, edit it
///   and run `gnuplot <stem>.gp` in the output directory. Its variables `datafile`, `pngfile`,
///   `svgfile`, `width` and `height` can be set on the command line, e.g.
///   `gnuplot -e "width = 1800; pngfile = 'big.png'" <stem>.gp`.
/// Samples are streamed to the data file during the run; gnuplot draws the figures in `finish`.
/// All four files are written under temporary names and renamed only when the run completes.
/// Text from the user (title, file names) reaches gnuplot only as escaped string literals.
///
/// Errors: soma::RunError if the gnuplot program is not on PATH (checked in `begin`, so before the
/// run starts; install Debian's gnuplot-nox), if an output cannot be written, or if gnuplot leaves
/// a figure missing or empty (the message carries what gnuplot printed on its standard error).
/// soma::ParameterError if `width` or `height` is not a whole number of pixels.

#include "gnuplot_script.hpp"

#include "soma/error.hpp"
#include "soma/plugin.hpp"
#include "soma/recorder.hpp"
#include "soma/output_file.hpp"
#include "soma/staged_file.hpp"

#include <gnuplot-iostream.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace soma::recorders {
namespace {

using gnuplot::quote;

/// The gnuplot executable found on PATH. @throws RunError if there is none.
std::filesystem::path find_gnuplot() {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";  // execvp's default
    while (true) {
        const auto colon = dirs.find(':');
        const std::string dir(dirs.substr(0, colon));
        const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / "gnuplot";
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        if (colon == std::string_view::npos) {
            throw RunError("gnuplot recorder: the gnuplot program is not installed; install Debian's gnuplot-nox "
                           "(apt-get install gnuplot-nox) or drop this recorder");
        }
        dirs.remove_prefix(colon + 1);
    }
}

/// Diverts std::cerr into a string while alive, so that a library's own messages do not break
/// Soma's one-paragraph errors (the gnuplot recorder reports gnuplot's failures itself).
class CerrCaptured {
public:
    CerrCaptured() : previous_(std::cerr.rdbuf(captured_.rdbuf())) {}
    ~CerrCaptured() { std::cerr.rdbuf(previous_); }
    CerrCaptured(const CerrCaptured&) = delete;
    CerrCaptured& operator=(const CerrCaptured&) = delete;

private:
    std::ostringstream captured_;
    std::streambuf* previous_;
};

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

/// Contents of a small text file, without trailing blanks.
std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
    return s;
}

std::string label(const Variable& v) { return fmt::format("{} ({})", v.name, v.unit); }

std::string column(const Variable& v, std::size_t cell, std::size_t n_cells) {
    return n_cells == 1 ? label(v) : fmt::format("{}[{}] ({})", v.name, cell, v.unit);
}

class GnuplotRecorder final : public Recorder {
public:
    GnuplotRecorder()
        : Recorder({
              {"width", "px", 900, Range::closed(200, 10000), "width of the PNG and SVG figures"},
              {"height", "px", 900, Range::closed(200, 10000), "height of the PNG and SVG figures"},
          }) {
        init_defaults();
    }

    void begin(const RunInfo& info) override {
        find_gnuplot();
        info_ = info;
        data_ = OutputFile(info.output_dir / (info.stem + ".dat"));
        script_ = OutputFile(info.output_dir / (info.stem + ".gp"));
        png_ = StagedFile(info.output_dir / (info.stem + ".png"));
        svg_ = StagedFile(info.output_dir / (info.stem + ".svg"));
        i_min_ = std::numeric_limits<double>::infinity();
        i_max_ = -i_min_;
        std::vector<std::string> names{"t (ms)"};
        for (const auto& v : info.state_variables) {
            for (std::size_t c = 0; c < info.n_cells; ++c) names.push_back(column(v, c, info.n_cells));
        }
        for (std::size_t c = 0; c < info.n_cells; ++c) names.push_back(column(info.current, c, info.n_cells));
        data_.print("# {}\n", fmt::join(names, "\t"));
    }

    void sample(double t, const StateBatch& y, std::span<const double> current) override {
        data_.write_sample('\t', t, y.data(), current);
        for (const double i : current) {
            i_min_ = std::min(i_min_, i);
            i_max_ = std::max(i_max_, i);
        }
    }

    void spike(std::size_t /*cell*/, double /*t*/) override {}

    void finish() override {
        data_.close();
        script_.print("{}", script_text());
        script_.close();
        render();
    }

    void commit() override {
        data_.commit();
        script_.commit();
        png_.commit();
        svg_.commit();
    }

    void abort() noexcept override {
        data_.discard();
        script_.discard();
        png_.discard();
        svg_.discard();
    }

    std::vector<std::filesystem::path> outputs() const override {
        return {png_.final_path(), svg_.final_path(), data_.final_path(), script_.final_path()};
    }

private:
    void check(const ParameterValues& candidate) const override {
        for (const char* name : {"width", "height"}) {
            const double value = candidate[name];
            if (value != std::round(value)) {
                throw ParameterError(
                    fmt::format("parameter '{}' = {} px is not a whole number of pixels", name, value));
            }
        }
    }

    void apply(const ParameterValues& values) override {
        width_ = static_cast<int>(values["width"]);
        height_ = static_cast<int>(values["height"]);
    }

    /// Plot clauses of variable `k` (state variables first, then the current) for every cell;
    /// only the first cell's clause has a key entry.
    std::string curves(std::size_t k, const Variable& v, std::string_view colour) const {
        std::string text;
        for (std::size_t c = 0; c < info_.n_cells; ++c) {
            text += fmt::format("{}datafile using 1:{} with lines lw 2 lc rgb '{}' {}",
                                c == 0 ? "" : ", \\\n         ", 2 + k * info_.n_cells + c, colour,
                                c == 0 ? "title " + quote(v.name) : "notitle");
        }
        return text;
    }

    /// The .gp script: defaults for the file names and sizes, then both figures drawn in a loop.
    std::string script_text() const {
        const auto& vars = info_.state_variables;
        const std::string title = info_.title.empty()
                                      ? fmt::format("{}, {}, {}", info_.model, info_.stimulus, info_.integrator)
                                      : info_.title;
        // I axis: the recorded range widened to include 0, plus 10 % headroom away from 0.
        const double lo = std::min(0.0, i_min_), hi = std::max(0.0, i_max_), pad = 0.1 * (hi - lo);
        const double i_lo = pad == 0 ? -1 : (lo < 0 ? lo - pad : 0), i_hi = pad == 0 ? 1 : (hi > 0 ? hi + pad : 0);

        std::string s = fmt::format(
            "# Figure of a Soma run, written by the gnuplot recorder of Soma {}.\n"
            "# Re-plot: edit this file, then run gnuplot on it in the directory of the data file.\n"
            "# The variables below can be set before, e.g. gnuplot -e \"width = 1800\" <this file>\n"
            "if (!exists(\"datafile\")) datafile = {}\n"
            "if (!exists(\"pngfile\")) pngfile = {}\n"
            "if (!exists(\"svgfile\")) svgfile = {}\n"
            "if (!exists(\"width\")) width = {}\n"
            "if (!exists(\"height\")) height = {}\n"
            "threshold = {}\n\n"
            "do for [figure = 1:2] {{\n"
            "    reset\n"
            "    if (figure == 1) {{\n"
            "        set terminal pngcairo size width,height noenhanced font 'Sans,12'\n"
            "        set output pngfile\n"
            "    }} else {{\n"
            "        set terminal svg size width,height noenhanced font 'Sans,12' background rgb 'white'\n"
            "        set output svgfile\n"
            "    }}\n"
            "    set multiplot layout {},1 title {} font ',14' \\\n"
            "        margins 90.0/width, 1 - 40.0/width, 55.0/height, 1 - 50.0/height spacing 0, 0.03\n"
            "    set xrange [0:{}]\n"
            "    set format x ''\n"
            "    set key top right horizontal reverse Left width 3\n"
            "    set offsets 0, 0, graph 0.12, 0\n"
            "    set ylabel {}\n"
            "    plot {}, \\\n"
            "         threshold with lines lw 2 dt 2 lc rgb 'red' title sprintf('threshold (%g%s)', threshold, {})\n",
            info_.soma_version,
            quote(data_.final_path().filename().string()), quote(png_.final_path().filename().string()),
            quote(svg_.final_path().filename().string()), width_, height_, info_.threshold, vars.size() > 1 ? 3 : 2,
            quote(title), info_.t_stop, quote(label(vars[0])), curves(0, vars[0], "#1f77b4"), quote(vars[0].unit == "1" ? "" : " " + vars[0].unit));

        if (vars.size() > 1) {
            static constexpr std::array others{"#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#8c564b", "#7f7f7f"};
            const bool dimensionless = std::all_of(vars.begin() + 1, vars.end(), [](const auto& v) { return v.unit == "1"; });
            // Dimensionless variables are listed by name (for hh: the gating variables m, n, h).
            std::string ylabel, plots;
            for (std::size_t k = 1; k < vars.size(); ++k) {
                const std::string& name = vars[k].name;
                const char* colour = name == "m"   ? "black"
                                     : name == "h" ? "red"
                                     : name == "n" ? "blue"
                                                   : others[(k - 1) % others.size()];
                ylabel += (k > 1 ? ", " : "") + (dimensionless ? vars[k].name : label(vars[k]));
                plots += (k > 1 ? ", \\\n         " : "") + curves(k, vars[k], colour);
            }
            s += fmt::format("    set ylabel {}\n    plot {}\n", quote(ylabel), plots);
        }

        s += fmt::format(
            "    set format x '% h'\n"
            "    set xlabel 't (ms)'\n"
            "    set ylabel {}\n"
            "    set yrange [{}:{}]\n"
            "    unset key\n"
            "    plot {}\n"
            "    unset multiplot\n"
            "}}\n"
            "unset output\n",
            quote(label(info_.current)), i_lo, i_hi, curves(vars.size(), info_.current, "#1f77b4"));
        return s;
    }

    /// Runs gnuplot on the script with every file name pointing at the temporary files, and checks
    /// that both figures were drawn.
    void render() {
        const auto program = find_gnuplot();
        StagedFile log(data_.final_path().parent_path() / (info_.stem + ".gnuplot-stderr"));  // never committed
        try {
            const SigpipeIgnored guard;
            const CerrCaptured library_messages;  // gnuplot-iostream reports a failing gnuplot on std::cerr
            Gnuplot gp(fmt::format("{} 2>{}", gnuplot::shell_quote(program.string()),
                                   gnuplot::shell_quote(log.temp_path().string())));
            gp << fmt::format("datafile = {}\npngfile = {}\nsvgfile = {}\nload {}\n", quote(data_.temp_path().string()),
                              quote(png_.temp_path().string()), quote(svg_.temp_path().string()),
                              quote(script_.temp_path().string()));
        } catch (const std::ios_base::failure& e) {
            throw RunError(fmt::format("gnuplot recorder: cannot start {}: {}", program.string(), e.what()));
        }
        for (const StagedFile* figure : {&png_, &svg_}) {
            std::error_code ec;
            const auto size = std::filesystem::file_size(figure->temp_path(), ec);
            if (ec || size == 0) {
                const std::string said = read_text(log.temp_path());
                throw RunError(fmt::format("gnuplot recorder: gnuplot did not draw '{}'; gnuplot said: {}",
                                           figure->final_path().string(), said.empty() ? "nothing" : said));
            }
        }
    }

    int width_ = 0, height_ = 0;
    RunInfo info_;
    OutputFile data_, script_;
    StagedFile png_, svg_;
    double i_min_ = 0, i_max_ = 0;
};

}  // namespace
}  // namespace soma::recorders

SOMA_PLUGIN(soma::PluginKind::recorder, soma::recorders::GnuplotRecorder, "gnuplot", "1.0.0",
            "PNG and SVG figures of v, the other state variables and the current (textbook layout), "
            "drawn by gnuplot, with the data and a script to re-plot")
