/// @file recording.cpp
/// Recordings and spike files (recording.hpp), read with libsoma's table reader (soma/table_file.hpp), the
/// same one that the `waveform` stimulus plays currents from.
///
/// Voltage files: CSV with a time column (`t (ms)` or `t (s)`), one potential column in mV (`V (mV)`) and at
/// most one current column (pA, nA or uA; converted to pA); challenge B `.asc` files (time, current,
/// potential); challenge A `.voltage` files (sample index, current in pA, potential in mV; the sampling step
/// must be given). Times are taken relative to the first sample (sample k at k dt); the file's step is
/// (t_last - t_first) / (samples - 1), and every step must agree with the first to 1e-6 of a step (and a given dt
/// to 1e-6 relative), else the file is refused.

#include "soma/fitting/recording.hpp"

#include "soma/error.hpp"
#include "soma/table_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace soma::fitting {
namespace {

double ms_per(const Table& table, const TableColumn& c, const std::string& what) {
    if (c.unit == "ms") return 1.0;
    if (c.unit == "s") return 1000.0;
    throw ParameterError(fmt::format("{}column 1 ('{}') of the {}: the time's unit '{}' is not known; known: ms, s",
                                     table.at(c.line), c.header, what, c.unit));
}

double pa_per(const std::string& unit) {
    if (unit == "pA") return 1.0;
    if (unit == "nA") return 1e3;
    if (unit == "uA") return 1e6;
    return 0;
}

void check_dt(std::optional<double> dt) {
    if (dt && (!std::isfinite(*dt) || *dt <= 0)) {
        throw ParameterError(fmt::format("sampling step = {} ms must be a finite number > 0 (0.2 ms for the 2007 "
                                         "competition's challenge A)",
                                         *dt));
    }
}

}  // namespace

std::vector<double> detect_spikes(const std::vector<double>& v, double dt, const SpikeDetection& detection) {
    if (!std::isfinite(dt) || dt <= 0) {
        throw ParameterError(fmt::format("spike detection: sampling step dt = {} ms must be a finite number > 0", dt));
    }
    if (!std::isfinite(detection.refractory) || detection.refractory < 0) {
        throw ParameterError(fmt::format("spike detection: refractory window = {} ms must be a finite number >= 0",
                                         detection.refractory));
    }
    if (!std::isfinite(detection.level)) {
        throw ParameterError(fmt::format("spike detection: level = {} must be a finite number", detection.level));
    }
    std::vector<double> spikes;
    const auto add = [&](std::size_t k) {
        const double t = static_cast<double>(k) * dt;
        // A tolerance of 1e-9 dt, so that a window of whole samples keeps its last sample.
        if (spikes.empty() || t - spikes.back() >= detection.refractory - 1e-9 * dt) spikes.push_back(t);
    };
    for (std::size_t k = 1; k < v.size(); ++k) {
        if (detection.rule == SpikeDetection::Rule::threshold) {
            if (v[k - 1] < detection.level && v[k] >= detection.level) add(k);
        } else if (v[k] - v[k - 1] > detection.level) {
            add(k - 1);
        }
    }
    return spikes;
}

std::vector<double> read_spike_times(const std::filesystem::path& file, std::optional<double> dt) {
    check_dt(dt);
    TableLayout layout;
    layout.what = "spike file";
    layout.plain_headers = {"sample index", "count"};
    layout.plain_extensions = {".spiketimes"};
    layout.csv_example = "'t (ms)'";
    layout.min_columns = 1;
    const Table table = read_table(file, layout);
    double ms = 0;
    if (table.format == TableFormat::plain) {
        if (!dt) {
            throw ParameterError(fmt::format("spike file '{}' holds sample indices (a .spiketimes file): give the "
                                             "sampling step to turn them into times, e.g. --recording-dt 0.2 (ms)",
                                             table.file));
        }
        ms = *dt;
    } else {
        ms = ms_per(table, table.columns[0], "spike file");
    }
    std::vector<double> t;
    for (std::size_t k = 0; k < table.rows(); ++k) {
        const double x = table.values[0][k];
        if (table.format == TableFormat::plain && x != std::round(x)) {
            throw ParameterError(fmt::format("{}spike file '{}': sample index {} is not a whole number; a .spiketimes "
                                             "file lists the indices of the samples at which the spikes start",
                                             table.at(table.lines[k]), table.file, x));
        }
        t.push_back(x * ms);
    }
    return t;
}

Recording read_recording(const std::filesystem::path& voltage, std::optional<double> dt,
                         const std::optional<std::filesystem::path>& spikes, const SpikeDetection& detection) {
    check_dt(dt);
    TableLayout layout;
    layout.what = "recording";
    layout.plain_headers = {"sample index", "I (pA)", "V (mV)"};
    layout.plain_extensions = {".voltage"};
    layout.csv_example = "'t (ms),V (mV),I (pA)'";
    Table table = read_table(voltage, layout);
    Recording rec;
    rec.file = voltage;
    const std::size_t n = table.rows();
    if (n < 2) {
        throw ParameterError(fmt::format("recording '{}' has only one sample (line {}); a trace needs at least two",
                                         table.file, table.lines.back()));
    }
    // Which column is what.
    std::optional<std::size_t> v_col, i_col;
    double i_scale = 1;
    if (table.format == TableFormat::plain) {
        v_col = 2;
        i_col = 1;
    } else {
        for (std::size_t c = 1; c < table.columns.size(); ++c) {
            const auto& col = table.columns[c];
            if (col.unit == "mV" && !v_col) {
                v_col = c;
            } else if (pa_per(col.unit) > 0 && !i_col) {
                i_col = c;
                i_scale = pa_per(col.unit);
            } else {
                // A potential or a current in another unit: say which unit to convert it to.
                const std::string hint = col.unit == "V" || col.unit == "uV"
                                             ? fmt::format(" (a potential in {}: give it in mV)", col.unit)
                                         : col.unit.ends_with('A') && !(pa_per(col.unit) > 0)
                                             ? fmt::format(" (a current in {}: give it in pA, nA or uA)", col.unit)
                                             : std::string();
                throw ParameterError(fmt::format("{}column {} ('{}') of recording '{}' is not expected{}: a recording "
                                                 "has the time, one membrane potential in mV and at most one current "
                                                 "in pA, nA or uA, e.g. {}",
                                                 table.at(col.line), c + 1, col.header, table.file, hint,
                                                 layout.csv_example));
            }
        }
        if (!v_col) {
            throw ParameterError(fmt::format("{}recording '{}' has no membrane potential column in mV, e.g. {}",
                                             table.at(table.header_line), table.file, layout.csv_example));
        }
    }
    // The sampling step.
    if (table.format == TableFormat::plain) {
        if (!dt) {
            throw ParameterError(fmt::format("recording '{}' has no times (sample index, current in pA, potential in "
                                             "mV): give its sampling step, e.g. --recording-dt 0.2 (ms, the 2007 "
                                             "competition's challenge A)",
                                             table.file));
        }
        rec.dt = *dt;
        const auto& index = table.values[0];
        rec.t0 = index[0] * rec.dt;
        for (std::size_t k = 0; k < n; ++k) {
            if (std::abs(index[k] - index[0] - static_cast<double>(k)) > 1e-6) {
                throw ParameterError(fmt::format("{}recording '{}': sample index {} where {} is expected; the rows of a "
                                                 ".voltage file are consecutive samples",
                                                 table.at(table.lines[k]), table.file, index[k],
                                                 index[0] + static_cast<double>(k)));
            }
        }
    } else {
        const double scale = ms_per(table, table.columns[0], "recording");
        const auto& t = table.values[0];
        const double first = (t[1] - t[0]) * scale;
        for (std::size_t k = 2; k < n; ++k) {
            const double here = (t[k] - t[k - 1]) * scale;
            if (std::abs(here - first) > 1e-6 * first) {
                throw ParameterError(fmt::format("{}recording '{}' is not sampled at a fixed step: {} ms from the "
                                                 "previous sample, where the first two samples are {} ms apart",
                                                 table.at(table.lines[k]), table.file, here, first));
            }
        }
        const double step = (t[n - 1] - t[0]) * scale / static_cast<double>(n - 1);  // the mean: less rounding
        if (dt && std::abs(*dt - step) > 1e-6 * step) {
            throw ParameterError(fmt::format("recording '{}' is sampled every {:.9g} ms (from its times), but the "
                                             "sampling step given is {} ms; leave the step out for a file with times, "
                                             "or give the right one",
                                             table.file, step, *dt));
        }
        rec.dt = step;
        rec.t0 = t[0] * scale;
    }
    rec.v = std::move(table.values[*v_col]);
    if (i_col) {
        rec.current = std::move(table.values[*i_col]);
        for (double& x : rec.current) x *= i_scale;
    }
    // The spikes.
    if (spikes) {
        rec.spikes = read_spike_times(*spikes, rec.dt);
        rec.spikes_from = spikes->string();
        for (std::size_t k = 0; k < rec.spikes.size(); ++k) {
            if (rec.spikes[k] < rec.t0 || rec.spikes[k] >= rec.t0 + rec.duration()) {
                throw ParameterError(fmt::format("spike file '{}': spike {} at {} ms is outside the trace of recording "
                                                 "'{}', [{}, {}) ms; is it the spike file of another recording, or is "
                                                 "the sampling step wrong?",
                                                 spikes->string(), k + 1, rec.spikes[k], table.file, rec.t0,
                                                 rec.t0 + rec.duration()));
            }
            rec.spikes[k] -= rec.t0;
        }
        // A file in another clock, or of another recording, can still fall inside the trace: compare it with
        // the spikes on the trace, when the detection sees them (a trace sampled too coarsely may show none).
        const auto detected = detect_spikes(rec.v, rec.dt, detection);
        if (!detected.empty()) {
            std::size_t near = 0, j = 0;
            for (const double t : rec.spikes) {
                while (j < detected.size() && detected[j] < t - 2) ++j;
                if (j < detected.size() && detected[j] <= t + 2) ++near;
            }
            if (2 * near < rec.spikes.size()) {
                rec.spike_file_note = fmt::format(
                    "spike file '{}': only {} of its {} spikes {} within 2 ms of the {} found on the trace of '{}' "
                    "(upward crossings of {} mV); is it the spike file of this recording, with times in the trace's "
                    "clock{}?",
                    spikes->string(), near, rec.spikes.size(), near == 1 ? "lies" : "lie", detected.size(), table.file,
                    detection.level,
                    rec.t0 != 0 ? fmt::format(" (which starts at {} ms)", rec.t0) : "");
            }
        }
    } else {
        rec.spikes = detect_spikes(rec.v, rec.dt, detection);
        rec.spikes_from = detection.rule == SpikeDetection::Rule::threshold
                              ? fmt::format("detected: upward crossings of {} mV, {} ms apart at least", detection.level,
                                            detection.refractory)
                              : fmt::format("detected: jumps of more than {} mV in one sample, {} ms apart at least",
                                            detection.level, detection.refractory);
    }
    return rec;
}

}  // namespace soma::fitting

namespace soma::fitting {

std::vector<std::vector<double>> spike_trains(const std::vector<Recording>& repetitions) {
    if (repetitions.empty()) throw ParameterError("no recording given: at least one repetition is needed");
    std::vector<std::vector<double>> trains;
    const Recording& first = repetitions.front();
    for (const auto& r : repetitions) {
        if (std::abs(r.dt - first.dt) > 1e-6 * first.dt) {
            throw ParameterError(fmt::format("repetitions '{}' and '{}' are sampled at different steps ({} and {} ms); "
                                             "repetitions of one stimulus must be sampled alike",
                                             first.file.string(), r.file.string(), first.dt, r.dt));
        }
        if (r.v.size() != first.v.size()) {
            throw ParameterError(fmt::format("repetitions '{}' and '{}' have different lengths ({} and {} samples, {} "
                                             "and {} ms); repetitions of one stimulus must be equally long",
                                             first.file.string(), r.file.string(), first.v.size(), r.v.size(),
                                             first.duration(), r.duration()));
        }
        trains.push_back(r.spikes);
    }
    return trains;
}

}  // namespace soma::fitting
