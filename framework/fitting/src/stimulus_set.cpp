#include "soma/fitting/stimulus_set.hpp"

#include "soma/error.hpp"
#include "soma/parameter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace soma::fitting {
namespace {

namespace fs = std::filesystem;

/// `file` without `.gz` and its last extension: "dir/00-0.voltage.gz" -> "dir/00-0".
fs::path base_of(const fs::path& file) {
    fs::path p = file;
    if (p.extension() == ".gz") p.replace_extension();
    p.replace_extension();
    return p;
}

/// A recording file without a time column (the competition's challenge A `.voltage`).
bool without_times(const fs::path& file) {
    fs::path p = file;
    if (p.extension() == ".gz") p.replace_extension();
    return p.extension() == ".voltage";
}

/// The common beginning of the files' names ("00-0", "00-1" -> "00").
std::string set_name(const std::vector<fs::path>& files) {
    std::string common = base_of(files.front()).filename().string();
    for (const auto& f : files) {
        const std::string s = base_of(f).filename().string();
        std::size_t n = 0;
        while (n < common.size() && n < s.size() && common[n] == s[n]) ++n;
        common.resize(n);
    }
    while (!common.empty() && (common.back() == '-' || common.back() == '_' || common.back() == '.')) common.pop_back();
    return common.empty() ? base_of(files.front()).filename().string() : common;
}

/// Repetitions count as one stimulus when their currents differ by at most this RMS, relative to the RMS
/// of the first one's current. The competition's repetitions are the same injected current measured
/// again: 0.6 % apart in RMS on set 00 of challenge A, while two different sets differ by tens of percent.
constexpr double same_current_tolerance = 0.1;

double rms(const std::vector<double>& x) {
    double sum = 0;
    for (const double v : x) sum += v * v;
    return x.empty() ? 0 : std::sqrt(sum / static_cast<double>(x.size()));
}

/// The RMS (pA) of b's recorded current less a's, sample by sample; none when either has no current or
/// they differ in length.
std::optional<double> current_difference(const Recording& a, const Recording& b) {
    if (a.current.empty() || b.current.size() != a.current.size()) return std::nullopt;
    std::vector<double> difference(a.current.size());
    for (std::size_t i = 0; i < difference.size(); ++i) difference[i] = b.current[i] - a.current[i];
    return rms(difference);
}

}  // namespace

void check_same_stimulus(const StimulusSet& set) {
    if (set.repetitions.empty()) return;
    const Recording& first = set.repetitions.front();
    for (std::size_t k = 1; k < set.repetitions.size(); ++k) {
        const Recording& r = set.repetitions[k];
        for (std::size_t j = 0; j < k; ++j) {
            std::error_code ec;  // recordings made in memory name files that need not exist
            const bool same = fs::equivalent(set.repetitions[j].file, r.file, ec);
            if (same || (ec && set.repetitions[j].file == r.file)) {
                throw ParameterError(fmt::format("{} is given twice as a repetition; each repetition is another "
                                                 "recording of the same stimulus",
                                                 r.file.string()));
            }
            // A copy: the same samples and spike times (synthetic repetitions share a trace, not their spikes).
            const Recording& other = set.repetitions[j];
            if (other.dt == r.dt && other.v == r.v && other.current == r.current && other.spikes == r.spikes) {
                throw ParameterError(fmt::format("{} is the same recording as {} (the same trace and spike times): "
                                                 "each repetition is another trial of the same stimulus, and a copy "
                                                 "would make the repetitions agree perfectly (Gamma_int 1)",
                                                 r.file.string(), other.file.string()));
            }
        }
        const auto difference = current_difference(first, r);
        if (difference && *difference > same_current_tolerance * rms(first.current)) {
            throw ParameterError(fmt::format("the repetitions must record the same stimulus, but the current of {} "
                                             "differs from that of {} by {:.3g} pA RMS ({:.0f} % of its RMS, more than "
                                             "{:.0f} %); give each stimulus as its own set",
                                             r.file.string(), first.file.string(), *difference,
                                             100 * *difference / rms(first.current), 100 * same_current_tolerance));
        }
    }
}

bool same_stimulus(const StimulusSet& a, const StimulusSet& b) {
    if (a.repetitions.empty() || b.repetitions.empty()) return false;
    const Recording& x = a.repetitions.front();
    const auto difference = current_difference(x, b.repetitions.front());
    return difference && x.dt == b.repetitions.front().dt && *difference <= same_current_tolerance * rms(x.current);
}

std::vector<fs::path> split_file_list(const std::string& text) {
    std::vector<fs::path> out;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        part.erase(0, part.find_first_not_of(' '));
        part.erase(part.find_last_not_of(' ') + 1);
        if (!part.empty()) out.emplace_back(part);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

StimulusSet read_stimulus_set(const std::vector<fs::path>& files, std::optional<double> dt,
                              const ComponentSpec& stimulus_settings, const SpikeDetection& detection) {
    if (files.empty()) throw ParameterError("no recording: give the voltage files of the stimulus's repetitions");
    StimulusSet set;
    set.name = set_name(files);
    std::size_t from_files = 0;
    for (const auto& f : files) {
        const std::string name = f.filename().string();
        if (name.ends_with(".spiketimes") || name.ends_with(".spiketimes.gz")) {
            throw ParameterError(fmt::format("'{}' is a spike file: give the voltage files of the repetitions (e.g. "
                                             "00-0.voltage.gz); the sibling .spiketimes file of each is read with it",
                                             f.string()));
        }
        std::optional<fs::path> spikes;
        for (const char* ext : {".spiketimes", ".spiketimes.gz"}) {
            const fs::path candidate = base_of(f).string() + ext;
            std::error_code ec;  // a name too long, say: no spike file; reading the voltage file says why
            if (fs::exists(candidate, ec)) {
                spikes = candidate;
                break;
            }
        }
        if (spikes) ++from_files;
        set.repetitions.push_back(read_recording(f, dt, spikes, detection));
        const Recording& r = set.repetitions.back();
        if (!r.spike_file_note.empty()) set.notes.push_back(r.spike_file_note);
        if (!spikes && r.spikes.empty()) {
            const auto [low, high] = std::ranges::minmax(r.v);
            std::string rule = r.spikes_from;
            if (rule.starts_with("detected: ")) rule.erase(0, 10);
            set.notes.push_back(fmt::format("recording '{}': no spike detected ({}) on a trace from {:.3g} to {:.3g} "
                                            "mV; if the cell fired, give the spike times in a sibling .spiketimes file "
                                            "(Gamma compares the model with an empty spike train here)",
                                            f.string(), rule, low, high));
        }
    }
    (void)spike_trains(set.repetitions);  // comparable: the same step and length
    check_same_stimulus(set);
    set.spikes_from = from_files == files.size() ? std::string("from the sibling .spiketimes files")
                      : from_files == 0
                          ? fmt::format("detected on the traces ({})", set.repetitions.front().spikes_from)
                          : fmt::format("from .spiketimes files for {} of them, detected for the others", from_files);
    set.stimulus.name = files.front().string();
    set.stimulus.parameters = stimulus_settings.parameters;
    if (without_times(files.front()) && dt) {
        // The current is played at the step its trace is sampled at: another would stretch it against the trace.
        if (const auto given = set.stimulus.parameters.find("sample_interval");
            given != set.stimulus.parameters.end()) {
            double interval = std::numeric_limits<double>::quiet_NaN();
            try {
                interval = parse_number("sample_interval", given->second);
            } catch (const ParameterError&) {  // a list or a word: refused too
            }
            if (!(std::abs(interval - *dt) <= 1e-9 * *dt)) {
                throw ParameterError(fmt::format(
                    "parameter 'sample_interval' = {} ms of the recorded current would stretch it against the "
                    "recorded trace of '{}', sampled every {} ms (--recording-dt); leave 'sample_interval' out",
                    given->second, files.front().string(), *dt));
            }
        }
        set.stimulus.parameters["sample_interval"] = fmt::format("{}", *dt);  // shortest exact
    }
    // The waveform plays the file in its own clock, and the traces are compared from the run's start: the
    // first sample, at t0 in the file, plays at 0 (delay = -t0). A delay given must be that one (a fit's
    // scenario of such a recording has it): any other would shift the current against the trace.
    const double t0 = set.repetitions.front().t0;
    if (const auto given = set.stimulus.parameters.find("delay"); given != set.stimulus.parameters.end()) {
        double delay = std::numeric_limits<double>::quiet_NaN();
        try {
            delay = parse_number("delay", given->second);
        } catch (const ParameterError&) {  // a per-cell list, say: refused below
        }
        if (!(std::abs(delay + t0) <= 1e-9 * std::max(1.0, std::abs(t0)))) {
            throw ParameterError(fmt::format(
                "parameter 'delay' = {} ms of the recorded current would shift it against the recorded trace: the "
                "recording '{}' is compared from its first sample{}, which plays at the run's start; leave 'delay' "
                "out",
                given->second, files.front().string(), t0 != 0 ? fmt::format(" (at {} ms in the file)", t0) : ""));
        }
    }
    if (t0 != 0) set.stimulus.parameters["delay"] = fmt::format("{}", -t0);
    return set;
}

}  // namespace soma::fitting
