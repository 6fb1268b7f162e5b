/// @file gnuplot.cpp
/// Plug-in `gnuplot`: figures of a run, drawn by Debian's gnuplot (soma/gnuplot.hpp).
///
/// Figures, in the run's output directory: `<stem>.png` and `<stem>.svg`, `width` x `height` pixels,
/// stacked panels sharing the time axis t (ms), titled with the run's title or "<model>, <stimulus>,
/// <integrator>".
/// - One cell (a population of 1), laid out as in the course exercises: (1) the membrane potential
///   v with the cell's spike threshold as a red dashed line, named for what the model's threshold is
///   (RunInfo::threshold_meaning): "spike cut-off (V_peak = 0 mV)" where v is reset on reaching its
///   peak (adex, eif, izhikevich, model files with `cut-off`), "firing threshold (V_th = 1 mV)" where
///   v is reset at a firing threshold (lif), "detection level (50 mV)" where the threshold only detects
///   spikes (hh), "threshold (...)" for a model that does not say; (2) the other state variables (for
///   `hh` the gating variables m black, h red, n blue); (3) the injected current I, its axis widened to
///   include 0. Each panel is drawn if its quantities are recorded (`lif` has no panel 2).
/// - A population (more than one cell), or spikes only (`--record spikes`): (1) a spike raster, one
///   dot per spike at (t, cell index); (2) the population rate in Hz: the spikes of all cells in bins
///   of `binwidth` = max(dt, t_stop / 200) ms, divided by (number of cells * binwidth), drawn as
///   bars, the bin width stated in the axis label; (3) if samples are recorded, v (or, if v is not
///   recorded, the first recorded quantity) of up to 5 recorded cells spread evenly over the recorded
///   ones (first and last included), one colour per cell, each labelled with its parameters that
///   differ between cells, e.g. "cell 3: stimulus.amplitude = 7.5 µA/cm²", and the threshold line
///   if these cells share one threshold.
/// Spikes of models that reset (cut-off or firing threshold) are drawn as vertical strokes at the
/// spike times, as in Naud et al. 2008 (Biol. Cybern. 99:335), Fig. 4, and Izhikevich 2003 (IEEE TNN
/// 14:1569), Fig. 2: v's trace passes through the point (t_spike, top) between the last sample before
/// the reset and the first after it, where top is the cut-off V_peak (the value v reaches there), or,
/// above a firing threshold V_th (the model has no peak), V_th + (V_th - lowest v of the trace) / 2
/// (1.5 mV for the course exercises' lif, which rests and resets at 0 mV).
/// Labels are UTF-8 (`set encoding utf8`): units as written, "I (µA/cm²)", "v (mV)", none for
/// dimensionless quantities ("m, n, h", "I" of izhikevich); data files keep the ASCII form, "I (uA/cm^2)",
/// which programs read back. User text (the title) is made valid UTF-8 first: each byte that is not
/// part of a valid sequence is shown as U+FFFD, so that the SVG stays a valid XML document.
///
/// Thinning: the figure shows what a screen can, not every sample. Each plotted trace is cut into
/// 2 * `width` equal time bins of [0, t_stop) (two per pixel column), and each bin keeps its lowest
/// and its highest sample (with their times) and, for v of a model that resets, the stroke of the first
/// spike of the cell in it (spikes come from the spike times, so none falls between two samples or two
/// bins). Every extremum of a trace and every spike therefore stays visible, and the data file and the
/// SVG have at most 3 points per bin and trace whatever the run's length (hh-sine: 0.5 and 0.3 MB);
/// the bins take 40 bytes each in memory. A population's raster keeps a spike only where it inks a
/// pixel that no earlier spike inked, on a grid of a column per pixel of `width` and a row per pixel of
/// one panel's height (`height` / 3, or / 2 without traces), both finer than the raster's plot area: the
/// figure looks the same, and its points are bounded by the grid (10^4 cells firing 1.4 10^7 spikes:
/// an SVG of a few MB instead of 1.1 GB). The population rate is counted from every spike. Every
/// sample and every spike is in the csv (or hdf5) recorder's files.
///
/// Data and script, beside the figures:
/// - `<stem>.dat` (when samples are recorded): the figure's points, not the run's samples: one block
///   per trace (gnuplot's `index`, blocks separated by two blank lines), each a `#` header line
///   "t (ms)<tab>NAME (UNIT)" (ASCII units, e.g. `v (mV)`, `m (1)`, `I (uA/cm^2)`; a population's
///   traces as `v[3] (mV)` for cell 3), then per bin in time order its lowest and highest sample and
///   its spike stroke (t_spike, top), one point per line, t and value separated by a tab. One cell:
///   every recorded quantity; a population: the plotted quantity of the plotted cells only.
/// - `<stem>_spikes.dat` (population or spikes only): two blocks, the raster's points (`# t (ms)<tab>cell`,
///   the spikes that ink a new pixel, in the order they came) and the population rate (`# t (ms)<tab>
///   population rate (Hz)`, per bin its centre and its rate).
/// - `<stem>.gp`: the gnuplot script that draws both figures from the data files. To re-plot, edit it
///   and run `gnuplot <stem>.gp` in the output directory. Its variables `datafile`, `spikefile`,
///   `pngfile`, `svgfile`, `width` and `height` can be set on the command line, e.g.
///   `gnuplot -e "width = 1800; pngfile = 'big.png'" <stem>.gp`.
/// Sample times are written with the decimals of dt (soma::TimeFormat), spike times and other numbers
/// in the shortest form that reads back to the same double. The spike list is streamed during the
/// run; the traces' bins are written, and the figures drawn by gnuplot, in `finish`. All files are
/// written under temporary names and renamed only when the run completes. Text from the user (title,
/// file names) reaches gnuplot only as escaped string literals.
///
/// Errors: soma::RunError if the gnuplot program is not on PATH (checked in `begin`, so before the
/// run starts; install Debian's gnuplot-nox), if an output cannot be written, or if gnuplot leaves
/// a figure missing or empty (the message carries what gnuplot printed on its standard error).
/// soma::ParameterError if `width` or `height` is not a whole number of pixels.

#include "soma/error.hpp"
#include "soma/gnuplot.hpp"
#include "soma/output_file.hpp"
#include "soma/plugin.hpp"
#include "soma/recorder.hpp"
#include "soma/staged_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <limits>

namespace soma::recorders {
namespace {

using gnuplot::quote;
using gnuplot::quote_text;

/// The gnuplot program. @throws RunError if it is not installed.
std::filesystem::path gnuplot_program() {
    try {
        return gnuplot::find("gnuplot recorder");
    } catch (const RunError& e) {
        throw RunError(std::string(e.what()) + ", or leave the figures out: --recorder csv");
    }
}

/// A quantity's name and unit as data files write them (ASCII, read back by programs): "I (uA/cm^2)".
std::string data_label(const Variable& v) { return fmt::format("{} ({})", v.name, v.unit); }

/// " µA/cm²" for a figure's label after a number; "" if dimensionless.
std::string unit_suffix(std::string_view unit) {
    const std::string shown = gnuplot::display_unit(unit);
    return shown.empty() ? "" : " " + shown;
}

/// A quantity's name and unit as figures show them: "I (µA/cm²)", "v (mV)", "m" (dimensionless).
std::string label(const Variable& v) { return gnuplot::axis_label(v.name, v.unit); }

/// `text` with each '%' doubled, for the format of a gnuplot sprintf.
std::string escape_percent(std::string_view text) {
    std::string out;
    for (const char c : text) out += c == '%' ? std::string("%%") : std::string(1, c);
    return out;
}

/// Indices of at most `k` of `n` items, spread evenly (first and last included), ascending.
std::vector<std::size_t> spread(std::size_t n, std::size_t k) {
    std::vector<std::size_t> picked;
    if (n <= k) {
        for (std::size_t j = 0; j < n; ++j) picked.push_back(j);
        return picked;
    }
    for (std::size_t j = 0; j < k; ++j) picked.push_back((j * (n - 1) + (k - 1) / 2) / (k - 1));  // rounded
    return picked;
}

/// One time bin of a thinned trace: its lowest and highest sample with their times (ms), and the time
/// of the first spike of the trace's cell in it (NaN if none, or if the trace draws no spikes).
struct Bin {
    double t_low = std::numeric_limits<double>::quiet_NaN();
    double low = std::numeric_limits<double>::infinity();
    double t_high = std::numeric_limits<double>::quiet_NaN();
    double high = -std::numeric_limits<double>::infinity();
    double t_spike = std::numeric_limits<double>::quiet_NaN();
};

/// One plotted quantity of one cell, thinned to what a figure can show: `bins` equal time bins of
/// [0, t_stop), each keeping its extremes (and, for v of a model that resets, its first spike).
struct Trace {
    std::size_t row = 0;     // the quantity's row in each sample
    std::size_t column = 0;  // the cell's column in each sample
    std::size_t cell = 0;    // the cell's population index
    bool strokes = false;    // v of a model that resets: each spike is drawn as a stroke to its peak
    std::string header;      // the data file's column name, e.g. "v (mV)" or "v[3] (mV)"
    std::vector<Bin> bins;
};

/// One panel of a figure: its settings and its plot command, as script lines.
using Panel = std::string;

class GnuplotRecorder final : public Recorder {
public:
    GnuplotRecorder()
        : Recorder({
              {"width", "px", 900, Range::closed(200, 10000), "width of the PNG and SVG figures"},
              {"height", "px", 900, Range::closed(200, 10000), "height of the PNG and SVG figures"},
          }) {
        init_defaults();
    }

    /// The data file (at most 3 points of about 45 bytes per bin of each plotted trace), the SVG's paths
    /// (about 16 bytes per point), a PNG of width * height / 4 bytes (measured: 70 to 300 KB at 900 x 900)
    /// and 8 KiB for the script; a population's raster at most one point per pixel of its grid (about
    /// 25 bytes in its data file and 80 in the SVG), and its rate's bins.
    [[nodiscard]] double expected_bytes(const RunInfo& info) const override {
        const RecordingInfo& r = info.recording;
        double bytes = 8192.0 + static_cast<double>(width_) * static_cast<double>(height_) / 4;
        if (r.samples && !r.variables.empty() && !r.cells.empty()) {
            const double traces = static_cast<double>(
                info.n_cells > 1 ? std::min(max_traces, r.cells.size()) : r.variables.size());
            const double samples = std::ceil(static_cast<double>(info.n_steps) /
                                             static_cast<double>(std::max<std::size_t>(1, info.record_every)));
            bytes += traces * std::min(samples + 1, 3.0 * static_cast<double>(n_bins())) * (45 + 16);
        }
        if (info.n_cells > 1 || !r.samples) {
            const double grid = static_cast<double>(width_) * static_cast<double>(height_) / 2;
            bytes += std::min(grid, static_cast<double>(info.n_cells) * static_cast<double>(info.n_steps)) * (25 + 80) +
                     200 * 60;
        }
        return bytes;
    }

    void begin(const RunInfo& info) override {
        gnuplot_program();
        info_ = info;
        const RecordingInfo& r = info.recording;
        population_ = info.n_cells > 1 || !r.samples;
        const bool has_traces = r.samples && !r.variables.empty() && !r.cells.empty();
        time_ = TimeFormat(info.dt);
        plotted_ = 0;
        traces_.clear();
        const ThresholdKind kind = info.threshold_meaning.kind;
        const bool resets = kind == ThresholdKind::cut_off || kind == ThresholdKind::firing;
        const auto add = [&](std::size_t row, std::size_t column, std::string header) {
            const std::size_t cell = r.cells[column];
            traces_.push_back({row, column, cell, resets && r.sources[row] == 0, std::move(header),
                               std::vector<Bin>(n_bins())});
        };
        if (has_traces && population_) {
            const auto v = std::ranges::find(r.sources, std::size_t{0});
            plotted_ = v != r.sources.end() ? static_cast<std::size_t>(v - r.sources.begin()) : 0;
            const Variable& var = r.variables[plotted_];
            for (const std::size_t j : spread(r.cells.size(), max_traces)) {
                add(plotted_, j, fmt::format("{}[{}] ({})", var.name, r.cells[j], var.unit));
            }
        } else if (has_traces) {
            for (std::size_t k = 0; k < r.variables.size(); ++k) add(k, 0, data_label(r.variables[k]));
        }

        const auto path = [&](std::string_view suffix) { return info.output_dir / (info.stem + std::string(suffix)); };
        data_ = traces() ? OutputFile(path(".dat")) : OutputFile();
        spike_data_ = population_ ? OutputFile(path("_spikes.dat")) : OutputFile();
        script_ = OutputFile(path(".gp"));
        png_ = StagedFile(path(".png"));
        svg_ = StagedFile(path(".svg"));
        n_spikes_ = 0;
        if (population_) {
            spike_data_.print("# t (ms)\tcell\n");
            // The raster's grid: a column per pixel of the figure's width, and a row per pixel of the
            // height of one panel (the raster's plot area is smaller than both).
            raster_columns_ = static_cast<std::size_t>(width_);
            raster_rows_ = std::max<std::size_t>(1, static_cast<std::size_t>(height_) / (has_traces ? 3 : 2));
            inked_.assign((raster_columns_ * raster_rows_ + 63) / 64, 0);
            rate_bin_ = info.t_stop / static_cast<double>(std::clamp<std::size_t>(info.n_steps, 1, 200));
            rate_counts_.assign(static_cast<std::size_t>(std::ceil(info.t_stop / rate_bin_ - 1e-9)) + 1, 0);
        }
    }

    void sample(double t, ConstBatchView values) override {
        if (!traces()) return;
        const std::size_t b = bin_of(t);
        for (Trace& trace : traces_) {
            const double x = values.at(trace.row, trace.column);
            Bin& bin = trace.bins[b];
            if (x < bin.low) bin.low = x, bin.t_low = t;
            if (x > bin.high) bin.high = x, bin.t_high = t;
        }
    }

    void spike(std::size_t cell, double t) override {
        ++n_spikes_;
        for (Trace& trace : traces_) {
            if (!trace.strokes || trace.cell != cell) continue;
            Bin& bin = trace.bins[bin_of(t)];
            if (std::isnan(bin.t_spike)) bin.t_spike = t;
        }
        if (!population_) return;
        const double bin = std::floor(t / rate_bin_);
        ++rate_counts_[bin <= 0 ? 0 : std::min(rate_counts_.size() - 1, static_cast<std::size_t>(bin))];
        // A raster point only where the spike inks a pixel that no earlier spike inked.
        const double column = std::floor(t / info_.t_stop * static_cast<double>(raster_columns_));
        const std::size_t pixel =
            (cell * raster_rows_ / info_.n_cells) * raster_columns_ +
            (column <= 0 ? 0 : std::min(raster_columns_ - 1, static_cast<std::size_t>(column)));
        std::uint64_t& word = inked_[pixel / 64];
        const std::uint64_t mask = std::uint64_t{1} << (pixel % 64);
        if ((word & mask) != 0) return;
        word |= mask;
        row_.clear();
        fmt::format_to(std::back_inserter(row_), FMT_COMPILE("{}\t{}\n"), t, cell);
        spike_data_.write({row_.data(), row_.size()});
    }

    void finish(const RunSummary& /*summary*/) override {
        if (traces()) {
            write_traces();
            data_.close();
        }
        if (population_) {
            write_rates();
            spike_data_.close();
        }
        script_.print("{}", script_text());
        script_.close();
        render();
    }

    void commit() override {
        if (traces()) data_.commit();
        if (population_) spike_data_.commit();
        script_.commit();
        png_.commit();
        svg_.commit();
    }

    void abort() noexcept override {
        data_.discard();
        spike_data_.discard();
        script_.discard();
        png_.discard();
        svg_.discard();
    }

    std::vector<std::filesystem::path> outputs() const override {
        std::vector<std::filesystem::path> paths{png_.final_path(), svg_.final_path()};
        if (traces()) paths.push_back(data_.final_path());
        if (population_) paths.push_back(spike_data_.final_path());
        paths.push_back(script_.final_path());
        return paths;
    }

private:
    static constexpr std::size_t max_traces = 5;
    static constexpr std::size_t key_row = 17;  // px per row of the population key
    static constexpr std::size_t bins_per_pixel = 2;

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

    [[nodiscard]] bool traces() const { return !traces_.empty(); }
    /// Time bins per trace: two per pixel of the figure's width (the time axis is narrower).
    [[nodiscard]] std::size_t n_bins() const { return bins_per_pixel * static_cast<std::size_t>(width_); }
    /// The bin of time `t` (ms, in [0, t_stop)).
    [[nodiscard]] std::size_t bin_of(double t) const {
        const double x = std::floor(t / info_.t_stop * static_cast<double>(n_bins()));
        return x <= 0 ? 0 : std::min(n_bins() - 1, static_cast<std::size_t>(x));
    }

    /// The top of the spike strokes of `trace` (v of a model that resets), in the unit of v: a cut-off's
    /// value, V_peak; above a firing threshold (no peak is modelled), the threshold plus half the
    /// distance from the lowest v of the trace to it (1 if v never went below it).
    [[nodiscard]] double stroke_top(const Trace& trace) const {
        const double threshold = info_.thresholds.at(trace.cell);
        if (info_.threshold_meaning.kind == ThresholdKind::cut_off) return threshold;
        double lowest = std::numeric_limits<double>::infinity();
        for (const Bin& b : trace.bins) lowest = std::min(lowest, b.low);
        return threshold + (lowest < threshold ? 0.5 * (threshold - lowest) : 1.0);
    }

    /// The data file: one block per trace (gnuplot's `index`, blocks separated by two blank lines),
    /// each a `#` header "t (ms)<tab>NAME (UNIT)" and, per bin in time order, its lowest and highest
    /// sample and, for v of a model that resets, the point (t_spike, stroke_top) of its first spike.
    void write_traces() {
        for (std::size_t k = 0; k < traces_.size(); ++k) {
            const Trace& trace = traces_[k];
            const double top = trace.strokes ? stroke_top(trace) : 0.0;
            row_.clear();
            fmt::format_to(std::back_inserter(row_), "{}# t (ms)\t{}\n", k == 0 ? "" : "\n\n", trace.header);
            for (const Bin& b : trace.bins) {
                const auto point = [&](double t, double x, bool on_grid) {
                    // A sample time is written with the decimals of dt, a spike time in full.
                    if (on_grid) time_.append(row_, t);
                    else append_number(row_, t);
                    row_.push_back('\t');
                    append_number(row_, x);
                    row_.push_back('\n');
                };
                bool spike_pending = !std::isnan(b.t_spike);
                const auto sample_point = [&](double t, double x) {
                    if (spike_pending && b.t_spike < t) point(b.t_spike, top, false), spike_pending = false;
                    point(t, x, true);
                };
                if (!std::isnan(b.t_low)) {
                    const bool low_first = b.t_low <= b.t_high;
                    sample_point(low_first ? b.t_low : b.t_high, low_first ? b.low : b.high);
                    if (b.t_high != b.t_low) sample_point(low_first ? b.t_high : b.t_low, low_first ? b.high : b.low);
                }
                if (spike_pending) point(b.t_spike, top, false);
                if (row_.size() > (1u << 16)) {
                    data_.write({row_.data(), row_.size()});
                    row_.clear();
                }
            }
            data_.write({row_.data(), row_.size()});
        }
    }

    /// The population rate, the second block of the spike data file: per bin of `rate_bin_` ms, its
    /// centre (ms) and the spikes of all cells in it / (number of cells * bin width), in Hz.
    void write_rates() {
        row_.clear();
        fmt::format_to(std::back_inserter(row_), "\n\n# t (ms)\tpopulation rate (Hz)\n");
        const double per_spike = 1000.0 / (static_cast<double>(info_.n_cells) * rate_bin_);
        for (std::size_t b = 0; b < rate_counts_.size(); ++b) {
            const double centre = (static_cast<double>(b) + 0.5) * rate_bin_;
            if (centre > info_.t_stop) break;
            append_number(row_, centre);
            row_.push_back('\t');
            append_number(row_, static_cast<double>(rate_counts_[b]) * per_spike);
            row_.push_back('\n');
        }
        spike_data_.write({row_.data(), row_.size()});
    }

    /// The title of the dashed red line at v = `threshold` (a gnuplot variable), for the model's kind of
    /// threshold: "spike cut-off (V_peak = 0 mV)", "firing threshold (V_th = 1 mV)", "detection level
    /// (50 mV)", or "threshold (...)" if the model does not say; a gnuplot expression.
    std::string threshold_title(const Variable& v) const {
        const ThresholdMeaning& m = info_.threshold_meaning;
        const char* what = m.kind == ThresholdKind::cut_off  ? "spike cut-off"
                           : m.kind == ThresholdKind::firing ? "firing threshold"
                           : m.kind == ThresholdKind::detection ? "detection level"
                                                                : "threshold";
        const bool named = !m.parameter.empty() && m.kind != ThresholdKind::detection && m.kind != ThresholdKind::unknown;
        return fmt::format("sprintf({}, threshold)",
                           quote_text(fmt::format("{} ({}%g{})", what, named ? escape_percent(m.parameter) + " = " : "",
                                                  escape_percent(unit_suffix(v.unit)))));
    }

    /// The dashed red line at the spike threshold, with its key entry.
    std::string threshold_curve(const Variable& v) const {
        return fmt::format(", \\\n         threshold with lines lw 2 dt 2 lc rgb 'red' title {}", threshold_title(v));
    }

    /// Key entry of population cell `cell`: its index and its parameters that differ between cells.
    std::string cell_title(std::size_t cell) const {
        std::vector<std::string> values;
        for (const auto& p : info_.cell_parameters) {
            if (values.size() == 3) {
                values.emplace_back("...");
                break;
            }
            // The component only where two per-cell parameters share a name (model.E_L, stimulus.E_L).
            const bool ambiguous = std::ranges::count_if(info_.cell_parameters, [&](const CellParameterRecord& q) {
                                       return q.name == p.name;
                                   }) > 1;
            values.push_back(fmt::format("{}{} = {:.4g}{}", ambiguous ? p.component + "." : "", p.name, p.values[cell],
                                         unit_suffix(p.unit)));
        }
        return values.empty() ? fmt::format("cell {}", cell) : fmt::format("cell {}: {}", cell, fmt::join(values, ", "));
    }

    /// The panels of one cell: v with its threshold, the other state variables, the current.
    std::vector<Panel> cell_panels(std::string& variables) const {
        const RecordingInfo& r = info_.recording;
        std::vector<Panel> panels;
        const auto curve = [](std::size_t k, const Variable& v, std::string_view colour) {
            return fmt::format("datafile index {} using 1:2 with lines lw 2 lc rgb '{}' title {}", k, colour,
                               quote_text(v.name));
        };
        std::string others_label, others;
        static constexpr std::array palette{"#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#8c564b", "#7f7f7f"};
        for (std::size_t k = 0; k < r.variables.size(); ++k) {
            const Variable& v = r.variables[k];
            if (r.sources[k] == 0) {
                variables += fmt::format("threshold = {}\n", info_.thresholds.at(0));
                // The key in one row above the data (v and the line at the cut-off, which v reaches at
                // every spike): a second row would lie across the line.
                panels.push_back(fmt::format("    set key top right horizontal reverse Left width -4 samplen 2 maxrows 1\n"
                                             "    set offsets 0, 0, graph 0.2, 0\n"
                                             "    set ylabel {}\n"
                                             "    plot {}{}\n",
                                             quote_text(label(v)), curve(k, v, "#1f77b4"), threshold_curve(v)));
            } else if (r.sources[k] != RecordingInfo::current_index) {
                // Dimensionless variables are listed by name (for hh: the gating variables m, n, h).
                const std::string& name = v.name;
                const char* colour = name == "m"   ? "black"
                                     : name == "h" ? "red"
                                     : name == "n" ? "blue"
                                                   : palette[(r.sources[k] - 1) % palette.size()];
                const bool first = others.empty();
                others_label += (first ? "" : ", ") + label(v);
                others += (first ? "" : ", \\\n         ") + curve(k, v, colour);
            }
        }
        if (!others.empty()) {
            panels.push_back(fmt::format("    set key top right horizontal reverse Left width 3\n"
                                         "    set offsets 0, 0, graph 0.12, 0\n"
                                         "    set ylabel {}\n"
                                         "    plot {}\n",
                                         quote_text(others_label), others));
        }
        for (std::size_t k = 0; k < r.variables.size(); ++k) {
            if (r.sources[k] != RecordingInfo::current_index) continue;
            // I axis: the recorded range widened to include 0, plus 10 % headroom away from 0.
            double i_min = 0, i_max = 0;
            for (const Bin& b : traces_[k].bins) {
                if (std::isnan(b.t_low)) continue;
                i_min = std::min(i_min, b.low);
                i_max = std::max(i_max, b.high);
            }
            const double pad = 0.1 * (i_max - i_min);
            const double i_lo = pad == 0 ? -1 : (i_min < 0 ? i_min - pad : 0), i_hi = pad == 0 ? 1 : (i_max > 0 ? i_max + pad : 0);
            panels.push_back(fmt::format("    unset key\n"
                                         "    set ylabel {}\n"
                                         "    set yrange [{}:{}]\n"
                                         "    plot {}\n",
                                         quote_text(label(r.variables[k])), i_lo, i_hi, curve(k, r.variables[k], "#1f77b4")));
        }
        return panels;
    }

    /// The panels of a population: spike raster, population rate, a few traces. The traces' key goes
    /// below the figure; `key_height` is set to the pixels it needs.
    std::vector<Panel> population_panels(std::string& variables, int& key_height) const {
        const std::size_t n = info_.n_cells;
        variables += fmt::format("binwidth = {}\n", rate_bin_);
        std::vector<Panel> panels;
        const std::string dots = n <= 100 ? "points pt 7 ps 0.5" : n <= 1000 ? "points pt 7 ps 0.25" : "dots";
        panels.push_back(fmt::format("    unset key\n"
                                     "    set ylabel 'cell'\n"
                                     "    set yrange [-0.5:{}]\n"
                                     "{}"
                                     "{}",
                                     static_cast<double>(n) - 0.5, n <= 10 ? "    set ytics 1\n" : "",
                                     n_spikes_ == 0 ? "    set label 1 'no spikes' at graph 0.5, 0.5 center\n"
                                                      "    plot NaN notitle\n"
                                                      "    unset label 1\n"
                                                    : fmt::format("    plot spikefile index 0 using 1:2 with {} lc rgb 'black' notitle\n", dots)));
        panels.push_back(fmt::format(
            "    unset key\n"
            "    set ytics autofreq\n"
            "    set ylabel 'population rate (Hz)'\n"
            "    set label 1 sprintf('%g ms bins', binwidth) at graph 0.98, graph 0.92 right front\n"
            "{}",
            n_spikes_ == 0
                ? std::string("    set yrange [0:1]\n    plot 0 with lines lw 2 lc rgb '#1f77b4' notitle\n")
                : std::string("    set yrange [0:*]\n"
                              "    set style fill solid 0.6 noborder\n"
                              "    set boxwidth binwidth absolute\n"
                              "    plot spikefile index 1 using 1:2 with boxes lc rgb '#1f77b4' notitle\n")) +
            "    unset label 1\n");
        if (traces()) {
            const RecordingInfo& r = info_.recording;
            const Variable& v = r.variables[plotted_];
            static constexpr std::array palette{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"};
            // The threshold line only when it is the same for every plotted cell, and v is plotted.
            const double threshold = info_.thresholds.at(traces_.front().cell);
            const bool shared = r.sources[plotted_] == 0 && std::ranges::all_of(traces_, [&](const Trace& trace) {
                                    return info_.thresholds.at(trace.cell) == threshold;
                                });
            // The key is drawn by hand under the time axis, in rows of two entries (one if the figure
            // is narrow): gnuplot's own key layout misjudges the width of small-font entries.
            // Two entries per row only if the longest fits in half the width (about 6.5 px per character
            // of the 10-point font, plus the line sample).
            std::vector<std::string> titles;
            std::size_t longest = 0;
            for (const Trace& trace : traces_) {
                titles.push_back(cell_title(trace.cell));
                longest = std::max(longest, titles.back().size());
            }
            const double entry_px = 36 + 6.5 * static_cast<double>(longest);
            const std::size_t entries = traces_.size() + (shared ? 1 : 0);
            const std::size_t per_row = 2 * entry_px <= static_cast<double>(width_) - 130 ? 2 : 1;
            const std::size_t rows = (entries + per_row - 1) / per_row;
            key_height = static_cast<int>(key_row * rows + 12);
            // keyx(column), keyy(row): the screen position of a key entry's line sample (row 0 at the bottom).
            std::string key = fmt::format("    keyx(column) = (90 + column * (width - 130) / {}.0) / width\n"
                                          "    keyy(row) = ({}.0 + {} * row) / height\n",
                                          per_row, 6 + key_row / 2, key_row);
            std::string plots;
            const auto entry = [&](std::size_t e, const std::string& title, std::string_view style) {
                const std::size_t column = e % per_row, row = rows - 1 - e / per_row;
                key += fmt::format("    set arrow {0} from screen keyx({1}), keyy({2}) to screen keyx({1}) + 30.0/width, "
                                   "keyy({2}) nohead {3} front\n"
                                   "    set label {0} {4} at screen keyx({1}) + 36.0/width, keyy({2}) left front font ',10'\n",
                                   e + 1, column, row, style, title);
            };
            for (std::size_t i = 0; i < traces_.size(); ++i) {
                const std::string colour = fmt::format("lw 1.5 lc rgb '{}'", palette[i % palette.size()]);
                plots += fmt::format("{}datafile index {} using 1:2 with lines {} notitle",
                                     i == 0 ? "" : ", \\\n         ", i, colour);
                entry(i, quote_text(titles[i]), colour);
            }
            if (shared) {
                variables += fmt::format("threshold = {}\n", threshold);
                plots += ", \\\n         threshold with lines lw 2 dt 2 lc rgb 'red' notitle";
                entry(traces_.size(), threshold_title(v), "lw 2 dt 2 lc rgb 'red'");
            }
            panels.push_back(fmt::format("    unset key\n"
                                         "    set offsets 0, 0, graph 0.05, graph 0.05\n"
                                         "    set yrange [*:*]\n"
                                         "    set ylabel {}\n"
                                         "{}"
                                         "    plot {}\n",
                                         quote_text(label(v)), key, plots));
        }
        return panels;
    }

    /// The .gp script: defaults for the file names and sizes, then both figures drawn in a loop.
    std::string script_text() const {
        std::string variables;
        int key_height = 0;
        const std::vector<Panel> panels =
            population_ ? population_panels(variables, key_height) : cell_panels(variables);
        const std::string title = info_.title.empty()
                                      ? fmt::format("{}, {}, {}", info_.model, info_.stimulus, info_.integrator)
                                      : info_.title;
        // 90 characters at 14 points fit the default width of 900 pixels; more lines push the panels down.
        const gnuplot::WrappedText heading = gnuplot::wrapped_text(title, 90);
        const auto file = [](const char* name, bool used, const auto& path) {
            return used ? fmt::format("if (!exists(\"{}\")) {} = {}\n", name, name, quote(path.filename().string()))
                        : std::string();
        };
        std::string s = fmt::format(
            "# Figure of a Soma run, written by the gnuplot recorder of Soma {}.\n"
            "# Re-plot: edit this file, then run gnuplot on it in the directory of the data file.\n"
            "# The variables below can be set before, e.g. gnuplot -e \"width = 1800\" <this file>\n"
            "{}{}{}{}"
            "if (!exists(\"width\")) width = {}\n"
            "if (!exists(\"height\")) height = {}\n"
            "{}\n"
            "{}"
            "    set multiplot layout {},1 title {} font ',14' \\\n"
            "        margins 90.0/width, 1 - 40.0/width, {}.0/height, 1 - {}.0/height spacing 0, 0.03\n"
            "    set xrange [0:{}]\n"
            "    set format x ''\n",
            info_.soma_version, file("datafile", traces(), data_.final_path()),
            file("spikefile", population_, spike_data_.final_path()), file("pngfile", true, png_.final_path()),
            file("svgfile", true, svg_.final_path()), width_, height_, variables,
            gnuplot::png_and_svg_loop("width", "height", 12), panels.size(), heading.expression,
            55 + key_height, 50 + 22 * (heading.lines - 1), info_.t_stop);
        for (std::size_t p = 0; p < panels.size(); ++p) {
            if (p + 1 == panels.size()) s += "    set format x '% h'\n    set xlabel 't (ms)'\n";
            s += panels[p];
        }
        s += "    unset multiplot\n}\nunset output\n";
        return s;
    }

    /// Runs gnuplot on the script with every file name pointing at the temporary files, and checks
    /// that both figures were drawn.
    void render() {
        const std::string commands =
            (traces() ? fmt::format("datafile = {}\n", quote(data_.temp_path().string())) : std::string()) +
            (population_ ? fmt::format("spikefile = {}\n", quote(spike_data_.temp_path().string())) : std::string()) +
            fmt::format("pngfile = {}\nsvgfile = {}\nload {}\n", quote(png_.temp_path().string()),
                        quote(svg_.temp_path().string()), quote(script_.temp_path().string()));
        const std::array<const StagedFile*, 2> figures{&png_, &svg_};
        gnuplot::draw(gnuplot_program(), commands, figures, "gnuplot recorder");
    }

    int width_ = 0, height_ = 0;
    RunInfo info_;
    bool population_ = false;      // raster, rate and a few traces instead of one cell's panels
    std::size_t plotted_ = 0;      // population: the row of the plotted quantity in each sample
    std::vector<Trace> traces_;    // the plotted traces, thinned (none if no samples are recorded)
    TimeFormat time_;
    fmt::memory_buffer row_;
    OutputFile data_, spike_data_, script_;
    StagedFile png_, svg_;
    std::size_t n_spikes_ = 0;
    // Population: the raster's grid of pixels (a bit per pixel, set once a spike is drawn there) and
    // the spike counts of the rate's bins of rate_bin_ ms.
    std::size_t raster_columns_ = 0, raster_rows_ = 0;
    std::vector<std::uint64_t> inked_;
    double rate_bin_ = 0;
    std::vector<std::size_t> rate_counts_;
};

}  // namespace
}  // namespace soma::recorders

SOMA_PLUGIN(soma::PluginKind::recorder, soma::recorders::GnuplotRecorder, "gnuplot", "2.0.0",
            "PNG and SVG figures: one cell's v, other state variables and current (textbook layout), or a "
            "population's spike raster, rate and a few traces; drawn by gnuplot, with the data and a script to re-plot")
