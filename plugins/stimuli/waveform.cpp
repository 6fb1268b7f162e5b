/// @file waveform.cpp
/// Plug-in `waveform`: a current read from a file and played into the model, as NEURON's Vector.play
/// and Brian2's TimedArray. Users give the file as the stimulus: `--stimulus data/current.csv`
/// (stimulus_from_file.hpp); the object made for the plug-in's name is the loader, which reads the file
/// once into an immutable stimulus shared by all the cells of a run (the samples are stored once, not
/// per cell; each cell keeps only its parameters and 5 derived numbers).
///
/// Files (each may be gzip-compressed, recognised by its first bytes; the format by the extension before
/// any `.gz`, else by the content; `#` lines and blank lines are skipped):
///  - CSV (`.csv`): a header naming the time and the currents with their units in parentheses, e.g.
///    `t (ms),I (pA)` or `time (s),cell 1 (nA),cell 2 (nA)`; times in ms or s, currents in pA, nA or
///    uA, or as densities in uA/cm^2 or mA/cm^2 (what soma's csv recorder writes for hh); one row of
///    numbers per sample. Several current columns are allowed: parameter `column` picks
///    one per cell (1-based among the current columns). Columns in mV or V (a recording's membrane
///    potential) are ignored.
///  - the 2007 single-neuron modeling competition's challenge A recordings (`.voltage`; Jolivet et al.,
///    Biol. Cybern. 99:417, 2008): three whitespace-separated columns, sample index, current (pA),
///    membrane potential (mV, ignored), no header and no times: `sample_interval` (ms) gives the step
///    (0.2 ms, the organizers' 5 kHz) and is required.
///  - its challenge B recordings (`.asc`): three header lines with the quoted units of the columns
///    (`"s"` or `"ms"`, then `"pA"`, `"nA"` or `"uA"`, then the potential's), then rows of time, current
///    and potential (ignored).
/// Times must increase strictly; every value must be a finite number. The files are read by libsoma's table
/// reader (soma/table_file.hpp), shared with the recordings of libsoma_fitting.
///
/// The current. The file gives samples x_k at file times s_k (k = 0 .. N-1). Its last sample lasts one
/// sampling interval h = s_{N-1} - s_{N-2}, so the file ends at E = s_{N-1} + h (34000 samples at 0.2 ms
/// last 6800 ms). Run time t is file time t - `delay`. The file's current f at file time u is
///  - `interpolation` = 0, sample-and-hold: the sample at or before u (x_k on [s_k, s_{k+1}));
///  - `interpolation` = 1, linear between samples (NEURON's Vector.play with continuous = 1), the last
///    sample going linearly to the value that follows the file over [s_{N-1}, E];
/// 0 before the first sample; after the end, by `after_end`: 0 refuse a run longer than the file
/// (prepare names both lengths; with linear interpolation the file is known up to its last sample), 1
/// zero, 2 repeat the file with period E - s_0. It is resampled onto the run's grid t_i = i dt: with
/// hold, the current during step i is f(t_i - delay), the sample at or before t_i (Brian2's TimedArray
/// holds values[j] on [j dt, (j+1) dt) the same way; NEURON's fixed-step play takes the sample at the
/// step's end instead); with linear interpolation it goes linearly from f(t_i - delay) to
/// f(t_{i+1} - delay) (a bend between two grid times is spread over that step). With hold and dt = h
/// the current of step i is sample i exactly. Times match to 1e-9 dt (rounding of times written in s).
/// Sources: NEURON's documentation of Vector.play (programming/math/vector), Brian2's of TimedArray.
///
/// Units: the file's currents are converted to the model's current unit (StimulusGrid::current_unit)
/// by powers of ten (a division when the unit is larger, so that 125 pA read for a model in nA is the
/// double nearest 0.125): pA, nA, uA among themselves, and uA/cm^2, mA/cm^2 among themselves. Between
/// the two kinds the membrane area `area` (um^2, 1 um^2 = 1e-8 cm^2) is needed: a current is divided by
/// it for a model in a density, a density multiplied by it for a model in a current. Then I = `scale` * f + `offset`, everywhere (offset
/// also before and after the file).
///
/// Breakpoints (for adaptive integrators): with hold, the steps at which a cell's current changes value;
/// with linear interpolation, those at which its slope changes.
/// Errors: ParameterError naming the file (and the line and column for its content) from `load`: no such
/// file, empty, no samples, one sample, not a number, not finite (NaN, inf), times not increasing, a row
/// with the wrong number of columns, an unknown unit (listing the known ones), a bad header; from
/// `configure` (check): a column the file does not have, a whole-number parameter that is not, a
/// sample_interval for a file with times; from `prepare` (naming the cell): a 3-column file without
/// sample_interval, a model current unit it cannot convert to, a current for a density model (or the
/// reverse) without `area`, a run
/// longer than the file with after_end = 0.

#include "soma/error.hpp"
#include "soma/plugin.hpp"
#include "soma/stimulus.hpp"
#include "soma/stimulus_from_file.hpp"
#include "soma/table_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soma::stimuli {
namespace {

// --- Units ---------------------------------------------------------------------------------------------------

/// A current unit: 10^exponent A, per cm^2 for a density.
struct CurrentUnit {
    std::string_view name;
    int exponent;
    bool density;
};

/// Units of the files' currents and of the models' currents the waveform converts to.
constexpr std::array<CurrentUnit, 5> current_units{
    {{"pA", -12, false}, {"nA", -9, false}, {"uA", -6, false}, {"uA/cm^2", -6, true}, {"mA/cm^2", -3, true}}};

template <std::size_t N>
std::optional<CurrentUnit> find_unit(const std::array<CurrentUnit, N>& units, std::string_view name) {
    for (const auto& u : units) {
        if (u.name == name) return u;
    }
    return std::nullopt;
}

template <std::size_t N>
std::string unit_names(const std::array<CurrentUnit, N>& units) {
    std::string text;
    for (const auto& u : units) text += fmt::format("{}{}", text.empty() ? "" : ", ", u.name);
    return text;
}

// --- The recording -------------------------------------------------------------------------------------------

enum class Format { csv, voltage, asc };

/// A file's samples, read once by the loader and never changed.
struct Recording {
    std::string file;                  ///< as the user gave it, for messages
    Format format = Format::csv;
    std::string time_unit;             ///< "ms" or "s"; "" for a 3-column file (sample index)
    double ms_per_tick = 1;            ///< ms per unit of the time column; 0 for a 3-column file (sample_interval)
    std::vector<double> ticks;         ///< each sample's time, in the time column's unit (the index, 3-column files)
    std::vector<std::string> columns;  ///< the current columns' headers, e.g. "I (pA)"
    std::vector<CurrentUnit> units;    ///< each current column's unit
    std::vector<double> values;        ///< [columns, samples], column after column, in the file's units

    [[nodiscard]] std::size_t size() const { return ticks.size(); }
    [[nodiscard]] const double* column(std::size_t k) const { return values.data() + k * size(); }
};

double ms_per(const Table& table, const TableColumn& c) {
    if (c.unit == "ms") return 1.0;
    if (c.unit == "s") return 1000.0;
    throw ParameterError(fmt::format("{}column 1 ('{}'): the time's unit '{}' is not known; known: ms, s (the first "
                                     "column is the time, then the currents)",
                                     table.at(c.line), c.header, c.unit));
}

CurrentUnit current_unit(const Table& table, const TableColumn& c, std::size_t col) {
    if (const auto u = find_unit(current_units, c.unit)) return *u;
    throw ParameterError(fmt::format("{}column {} ('{}'): the current's unit '{}' is not known; known: {}",
                                     table.at(c.line), col, c.header, c.unit, unit_names(current_units)));
}

/// Reads and checks a stimulus file (see the top of this file) with the shared table reader (table_file.hpp).
Recording read_recording(const std::filesystem::path& path) {
    TableLayout layout;
    layout.what = "stimulus file";
    layout.plain_headers = {"sample index", "I (pA)", "V (mV)"};
    layout.plain_extensions = {".voltage"};
    Table table = read_table(path, layout);
    Recording rec;
    rec.file = table.file;
    // Currents: every column after the time in a CSV file; the second of .voltage and .asc files (the third,
    // the potential, is read as a number and dropped).
    std::size_t last = table.columns.size();
    switch (table.format) {
        case TableFormat::csv:
            rec.format = Format::csv;
            rec.time_unit = table.columns[0].unit;
            rec.ms_per_tick = ms_per(table, table.columns[0]);
            break;
        case TableFormat::asc:
            rec.format = Format::asc;
            rec.time_unit = table.columns[0].unit;
            rec.ms_per_tick = ms_per(table, table.columns[0]);
            last = 2;
            break;
        case TableFormat::plain:
            rec.format = Format::voltage;
            rec.ms_per_tick = 0;  // sample_interval
            last = 2;
            break;
    }
    // A CSV recording may hold membrane potentials too (`V (mV)`, as soma's csv recorder writes them): those
    // columns are not currents and are left out.
    std::vector<std::size_t> currents;
    for (std::size_t col = 1; col < last; ++col) {
        if (table.format == TableFormat::csv && (table.columns[col].unit == "mV" || table.columns[col].unit == "V")) {
            continue;
        }
        currents.push_back(col);
        rec.columns.push_back(table.columns[col].header);
        rec.units.push_back(current_unit(table, table.columns[col], col + 1));
    }
    if (currents.empty()) {
        throw ParameterError(fmt::format("stimulus file '{}' has no current column (a unit pA, nA, uA, uA/cm^2 or mA/cm^2), only times "
                                         "and potentials",
                                         rec.file));
    }
    if (table.rows() == 1) {
        throw ParameterError(fmt::format("stimulus file '{}' has only one sample (line {}); at least two are needed "
                                         "(the time between samples says how long the last one lasts)",
                                         rec.file, table.lines.back()));
    }
    rec.ticks = std::move(table.values[0]);
    for (const std::size_t col : currents) {
        rec.values.insert(rec.values.end(), table.values[col].begin(), table.values[col].end());
    }
    return rec;
}

// --- The stimulus --------------------------------------------------------------------------------------------

enum Parameter : std::size_t { column, interpolation, after_end, delay, scale, offset, sample_interval, area };
enum Derived : std::size_t { gain_multiply, gain_divide, ms_per_tick, step, n_steps };
enum AfterEnd { refuse = 0, zero = 1, repeat = 2 };

std::vector<ParameterSpec> waveform_schema() {
    return {
        {"column", "1", 1.0, Range::at_least(1),
         "current column of the file this cell plays, 1-based among the current columns (CSV files may have one per cell)"},
        {"interpolation", "1", 0.0, Range::closed(0, 1),
         "0 (hold) sample-and-hold (Brian2's TimedArray), 1 (linear) linear between samples (NEURON's Vector.play, "
         "continuous = 1)",
         {"hold", "linear"}},
        {"after_end", "1", 0.0, Range::closed(0, 2),
         "after the file's end: 0 (refuse) refuse a run longer than the file, 1 (zero) zero current, 2 (repeat) repeat "
         "the file",
         {"refuse", "zero", "repeat"}},
        {"delay", "ms", 0.0, Range::any(), "run time at which the file's t = 0 falls (current 0 before its first sample)"},
        {"scale", "1", 1.0, Range::any(), "factor applied to the file's current, after conversion to the model's unit"},
        {"offset", std::string(model_current_unit), 0.0, Range::any(), "current added after scaling, during the whole run"},
        {"sample_interval", "ms", 0.0, Range::at_least(0),
         "time between the rows of a 3-column file without times (0.2 ms for the 2007 competition's challenge A); 0 "
         "for files with a time column"},
        {"area", "um^2", 0.0, Range::at_least(0),
         "membrane area, between a current and a density (a file in pA for a model in uA/cm^2: I = I_file / area, "
         "or the reverse); 0 when not needed"},
    };
}

/// One cell's values, read from its arrays.
struct CellValues {
    std::size_t column = 0;  // 0-based
    bool linear = false;
    AfterEnd after = refuse;
    double delay = 0, scale = 1, offset = 0, multiply = 1, divide = 1, ms_per_tick = 1, dt = 0;
    std::size_t steps = 0;
};

class Waveform final : public Stimulus, public StimulusFromFile {
public:
    /// The loader: the schema, no samples.
    Waveform() : Stimulus(waveform_schema()) { init_defaults(); }
    explicit Waveform(std::shared_ptr<const Recording> recording)
        : Stimulus(waveform_schema()), recording_(std::move(recording)) {
        init_defaults();
    }

    std::unique_ptr<Stimulus> load(const std::filesystem::path& file) const override {
        return std::make_unique<Waveform>(std::make_shared<const Recording>(read_recording(file)));
    }

    std::span<const Variable> derived_variables() const override { return derived_; }

    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override {
        if (!recording_) {
            throw ParameterError("stimulus 'waveform' plays a current from a file: give the file's path as the "
                                 "stimulus, e.g. --stimulus data/current.csv");
        }
        const Recording& rec = *recording_;
        const auto target = find_unit(current_units, grid.current_unit);
        if (!target) {
            throw ParameterError(fmt::format("stimulus file '{}': the model's current is in '{}', but a waveform converts "
                                             "the file's currents only to {}; use a model whose current has one of "
                                             "these units",
                                             rec.file, grid.current_unit, unit_names(current_units)));
        }
        const double t_run = static_cast<double>(grid.n_steps) * grid.dt;
        for (std::size_t c = 0; c < cells.count(); ++c) {
            const std::string where = cells.count() > 1 || first_cell > 0 ? fmt::format(" (cell {})", first_cell + c) : "";
            const auto p = [&](Parameter k) { return cells.parameters.at(k, c); };
            double tick = rec.ms_per_tick;
            if (rec.format == Format::voltage) {
                tick = p(sample_interval);
                if (tick <= 0) {
                    throw ParameterError(fmt::format("stimulus file '{}' is a 3-column recording without times (sample "
                                                     "index, current in pA, potential in mV): set its sampling step, "
                                                     "e.g. --set stimulus.sample_interval=0.2 (ms, the 2007 "
                                                     "competition's challenge A); sample_interval{} is 0 ms",
                                                     rec.file, where));
                }
            }
            const auto col = static_cast<std::size_t>(p(column)) - 1;
            const CurrentUnit& unit = rec.units[col];
            int k = unit.exponent - target->exponent;
            double divide = 1, multiply = 1;
            if (target->density != unit.density) {
                const double a = p(area);
                if (a <= 0) {
                    throw ParameterError(fmt::format(
                        "stimulus file '{}': the model's current is {} ({}) and the file's ({}) {}, so the file's is {} "
                        "the membrane area: give the area in um^2 as stimulus.area{}, e.g. --set stimulus.area=20000",
                        rec.file, target->density ? "a density" : "a current", target->name, rec.columns[col],
                        unit.density ? "a density" : "a current", target->density ? "divided by" : "multiplied by",
                        where));
                }
                // 1 um^2 = 1e-8 cm^2: I = J a 1e-8, J = I / (a 1e-8).
                if (target->density) {
                    k += 8;
                    divide = a;
                } else {
                    k -= 8;
                    multiply = a;
                }
            }
            double power = 1;
            for (int e = 0; e < std::abs(k); ++e) power *= 10;  // exact: |k| <= 22
            cells.derived.at(gain_multiply, c) = (k >= 0 ? power : 1.0) * multiply;
            cells.derived.at(gain_divide, c) = k >= 0 ? divide : power * divide;
            cells.derived.at(ms_per_tick, c) = tick;
            cells.derived.at(step, c) = grid.dt;
            cells.derived.at(n_steps, c) = static_cast<double>(grid.n_steps);
            if (static_cast<AfterEnd>(p(after_end)) == refuse) {
                const bool linear = p(interpolation) != 0;
                const double end = linear ? file_end(tick, true) : file_end(tick, false);
                const double needed = t_run - p(delay);
                if (needed > end + 1e-9 * std::max(grid.dt, std::abs(needed))) {
                    // A run must last one step at least: a file that ends sooner fits none.
                    const double fits = end + p(delay);
                    const std::string shorten =
                        fits >= grid.dt ? fmt::format("shorten the run (--t-stop {}), or", fmt::format("{:.12g}", fits))
                                        : fmt::format("no run fits in it (a run lasts at least one step, dt = {} ms): "
                                                      "give a longer file, or",
                                                      fmt::format("{:.12g}", grid.dt));
                    throw ParameterError(fmt::format(
                        "stimulus file '{}' is shorter than the run{}: the run lasts {} ms{}, so it needs the file up to "
                        "t = {} ms, but the file {} ({} samples from {} to {} ms); {} set "
                        "stimulus.after_end = 'zero' (zero current after the file) or 'repeat' (repeat the file)",
                        rec.file, where, fmt::format("{:.12g}", t_run),
                        p(delay) != 0 ? fmt::format(" with its t = 0 at {} ms (delay)", p(delay)) : "",
                        fmt::format("{:.12g}", needed),
                        linear ? fmt::format("is known up to its last sample at {} ms (linear interpolation)",
                                             fmt::format("{:.12g}", end))
                               : fmt::format("ends at {} ms", fmt::format("{:.12g}", end)),
                        rec.size(), fmt::format("{:.12g}", rec.ticks.front() * tick),
                        fmt::format("{:.12g}", rec.ticks.back() * tick), shorten));
                }
            }
        }
    }

    void current(std::size_t i, double t, const StimulusCells& cells, std::span<double> out) const override {
        if (!recording_) {
            std::ranges::fill(out, 0.0);
            return;
        }
        for (std::size_t c = 0; c < out.size(); ++c) {
            const CellValues v = values_of(cells, c);
            const double g = grid_value(i, v);
            if (!v.linear) {
                out[c] = g;
                continue;
            }
            const double t_i = static_cast<double>(i) * v.dt;
            out[c] = g + (grid_value(i + 1, v) - g) * ((t - t_i) / v.dt);
        }
    }

    std::vector<std::size_t> breakpoints(const StimulusCells& cell) const override {
        std::vector<std::size_t> steps;
        if (!recording_) return steps;
        const Recording& rec = *recording_;
        const CellValues v = values_of(cell, 0);
        const std::size_t n = rec.size();
        const double s0 = rec.ticks.front() * v.ms_per_tick, period = file_end(v.ms_per_tick, false) - s0;
        const double t_run = static_cast<double>(v.steps) * v.dt;
        // A change of value (hold) or of slope (linear) at step j: the current of step j differs from step j-1's.
        const auto changes = [&](std::size_t j) {
            if (j == 0 || j >= v.steps) return false;
            if (!v.linear) return grid_value(j, v) != grid_value(j - 1, v);
            const double a = grid_value(j - 1, v), b = grid_value(j, v), c = grid_value(j + 1, v);
            return c - b != b - a;
        };
        // The current can change only in the steps at or after a sample's time (or the file's end).
        const auto near = [&](double tau) {
            if (tau < 0) return;
            const auto j = static_cast<std::size_t>(std::floor(tau / v.dt));
            for (const std::size_t candidate : {j, j + 1}) {
                if ((steps.empty() || candidate > steps.back()) && changes(candidate)) steps.push_back(candidate);
            }
        };
        const double repetitions = v.after == repeat ? std::max(0.0, std::ceil((t_run - v.delay - s0) / period)) + 1 : 1;
        if (repetitions * static_cast<double>(n) > static_cast<double>(v.steps) + 2) {
            // More samples fall in the run than it has steps (a file much finer than dt, or repeated with
            // a period shorter than dt): look at every step instead of at every sample.
            for (std::size_t j = 1; j < v.steps; ++j) {
                if (changes(j)) steps.push_back(j);
            }
            return steps;
        }
        for (std::size_t r = 0; r < static_cast<std::size_t>(repetitions); ++r) {
            for (std::size_t k = 0; k < n; ++k) {
                const double tau = rec.ticks[k] * v.ms_per_tick + static_cast<double>(r) * period + v.delay;
                if (tau > t_run + v.dt) return steps;
                near(tau);
            }
        }
        near(s0 + period + v.delay);  // the file's end (after_end = 1: to zero)
        return steps;
    }

private:
    void check(const ParameterValues& p) const override {
        for (const auto* name : {"column", "interpolation", "after_end"}) {
            if (p[name] != std::floor(p[name])) {
                throw ParameterError(fmt::format("parameter '{}' = {} must be a whole number", name, p[name]));
            }
        }
        if (!recording_) return;
        const Recording& rec = *recording_;
        if (p["column"] > static_cast<double>(rec.columns.size())) {
            throw ParameterError(fmt::format("parameter 'column' = {}: file '{}' has {} current column{} ({}); use "
                                             "{}",
                                             p["column"], rec.file, rec.columns.size(), rec.columns.size() == 1 ? "" : "s",
                                             fmt::join(rec.columns, ", "),
                                             rec.columns.size() == 1 ? std::string("1")
                                                                     : fmt::format("1 to {}", rec.columns.size())));
        }
        if (rec.format != Format::voltage && p["sample_interval"] != 0) {
            throw ParameterError(fmt::format("parameter 'sample_interval' = {} ms: file '{}' has its own times (in {}); "
                                             "sample_interval is for 3-column recordings without times, leave it 0",
                                             p["sample_interval"], rec.file, rec.time_unit));
        }
    }

    CellValues values_of(const StimulusCells& cells, std::size_t c) const {
        const auto p = [&](std::size_t k) { return cells.parameters.at(k, c); };
        const auto d = [&](std::size_t k) { return cells.derived.at(k, c); };
        return {static_cast<std::size_t>(p(column)) - 1,
                p(interpolation) != 0,
                static_cast<AfterEnd>(static_cast<int>(p(after_end))),
                p(delay),
                p(scale),
                p(offset),
                d(gain_multiply),
                d(gain_divide),
                d(ms_per_tick),
                d(step),
                static_cast<std::size_t>(d(n_steps))};
    }

    /// The file's end E = s_{N-1} + (s_{N-1} - s_{N-2}), in ms of file time; with `known` the time up to which
    /// linear interpolation knows the current without what follows the file (its last sample).
    double file_end(double tick, bool known) const {
        const auto& s = recording_->ticks;
        const std::size_t n = s.size();
        return known ? s[n - 1] * tick : (s[n - 1] + (s[n - 1] - s[n - 2])) * tick;
    }

    /// Index of the last sample at or before file time u (ms, within `tol`), u in [s_0 - tol, E).
    std::size_t locate(double u, double tick, double tol) const {
        const auto& s = recording_->ticks;
        const std::size_t n = s.size();
        const auto at_or_before = [&](std::size_t k) { return s[k] * tick <= u + tol; };
        // Uniform sampling (the usual case) gives the index at once; otherwise a binary search.
        const double guess = (u - s[0] * tick) / ((s[n - 1] - s[0]) * tick) * static_cast<double>(n - 1);
        const auto k = static_cast<std::size_t>(std::clamp(guess, 0.0, static_cast<double>(n - 1)));
        for (const std::size_t j : {k, k + 1, k == 0 ? k : k - 1}) {
            if (j < n && at_or_before(j) && (j + 1 == n || !at_or_before(j + 1))) return j;
        }
        std::size_t lo = 0, hi = n;  // the answer is the last j with at_or_before(j)
        while (hi - lo > 1) {
            const std::size_t mid = lo + (hi - lo) / 2;
            (at_or_before(mid) ? lo : hi) = mid;
        }
        return lo;
    }

    /// The file's current f at file time u (ms), in the file's unit (see the top of this file).
    double file_value(double u, const CellValues& v, double tol) const {
        const Recording& rec = *recording_;
        const auto& s = rec.ticks;
        const std::size_t n = rec.size();
        const double* x = rec.column(v.column);
        const double tick = v.ms_per_tick;
        const double s0 = s[0] * tick;
        if (u < s0 - tol) return 0.0;  // before the file
        const double end = file_end(tick, false);
        if (v.after == repeat) {
            const double period = end - s0;
            const double r = std::floor((u - s0 + tol) / period);
            if (r > 0) u -= r * period;
            if (u >= end - tol) u -= period;  // rounding of the quotient at a repetition's start
        } else if (u >= end - tol) {
            return v.after == zero ? 0.0 : x[n - 1];  // after the end (refused by prepare for after_end = 0)
        }
        const std::size_t k = locate(u, tick, tol);
        if (!v.linear || std::abs(u - s[k] * tick) <= tol) return x[k];
        const double next = k + 1 < n ? x[k + 1] : v.after == repeat ? x[0] : v.after == zero ? 0.0 : x[n - 1];
        const double s_next = k + 1 < n ? s[k + 1] * tick : end;
        return x[k] + (next - x[k]) * ((u - s[k] * tick) / (s_next - s[k] * tick));
    }

    /// The cell's current at grid time t_i, in the model's unit.
    double grid_value(std::size_t i, const CellValues& v) const {
        const double t = static_cast<double>(i) * v.dt;
        const double f = file_value(t - v.delay, v, 1e-9 * std::max(v.dt, std::abs(t)));
        return f * v.multiply / v.divide * v.scale + v.offset;
    }

    std::shared_ptr<const Recording> recording_;  // null for the loader
    const std::array<Variable, 5> derived_{{
        {"gain_multiply", "1", "factor of the unit conversion (a power of ten, times the area from a density)"},
        {"gain_divide", "1", "divisor of the unit conversion (a power of ten, times the area for a density)"},
        {"ms_per_tick", "ms", "ms per unit of the file's time column (sample_interval for a 3-column file)"},
        {"dt", "ms", "the run's time step"},
        {"n_steps", "1", "the run's number of steps"},
    }};
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Waveform, "waveform", "1.0.0",
            "a current read from a file (CSV with units, or the 2007 competition's .voltage and .asc recordings), "
            "held or interpolated between samples: give the file as the stimulus, e.g. --stimulus data/current.csv")
