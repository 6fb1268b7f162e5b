#pragma once
/// @file recording.hpp
/// Recordings of real neurons: a membrane-potential trace (and the injected current, when the file has it)
/// sampled at a fixed step, and the cell's spike times, read from a spike file or detected on the trace.
///
/// Formats (each may be gzip-compressed): the 2007 single-neuron modeling competition's challenge A
/// `.voltage` and `.spiketimes` files and challenge B `.asc` files (Jolivet et al., Biol. Cybern. 99:417,
/// 2008), and CSV with the units in the header, all read by libsoma's one table reader (soma/table_file.hpp),
/// the same that the `waveform` stimulus plays currents from. Details in recording.cpp and docs/fitting.md.

#include <boost/config.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace soma::fitting {

/// The longest refractory window of spike detection that the commands take, ms: a spike lasts about 1 ms.
inline constexpr double max_spike_window_ms = 50;

/// How spikes are found on a recorded voltage trace.
struct SpikeDetection {
    enum class Rule {
        /// The first sample of each upward crossing of `level` (mV): V[k-1] < level <= V[k]; a crossing
        /// within `refractory` ms of the previous spike is ignored.
        threshold,
        /// The competition's rule: the first sample k with V[k+1] - V[k] > `level` (mV per sample); again
        /// with the refractory window.
        jump,
    };
    Rule rule = Rule::threshold;
    double level = 0;       ///< mV (threshold) or mV per sample (jump)
    /// ms: 0.5, below the shortest interval of challenge A's cell (1 ms), with which both rules find every spike
    /// of its .spiketimes files; a spike crosses 0 mV only once.
    double refractory = 0.5;
};

/// One recorded trial: what one electrode measured while one stimulus was injected.
struct Recording {
    std::filesystem::path file;           ///< the voltage file
    double dt = 0;                        ///< sampling step, ms
    double t0 = 0;                        ///< ms: the file's time of its first sample (its index x dt without times)
    std::vector<double> v;                ///< membrane potential, mV; shape [samples], sample k at t = k dt
    std::vector<double> current;          ///< injected current, pA; shape [samples], or empty if the file has none
    std::vector<double> spikes;           ///< spike times, ms, ascending
    std::string spikes_from;              ///< where `spikes` came from, for people: a file, or the detection rule
    /// When the spike file's times miss most of the spikes detected on the trace (a file in another clock,
    /// or of another recording), a note saying so; "" otherwise.
    std::string spike_file_note;
    [[nodiscard]] double duration() const { return static_cast<double>(v.size()) * dt; }  ///< ms
};

/// The spike times (ms, ascending) that `detection` finds on the trace `v` (mV, step `dt` ms).
/// @throws ParameterError for dt <= 0 or a refractory window < 0.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<double> detect_spikes(const std::vector<double>& v, double dt,
                                                                     const SpikeDetection& detection);

/// The spike times in `file`, ms ascending. The rule (table_file.hpp): a file whose first line is a header
/// naming the unit (`t (ms)` or `t (s)`) holds times, whatever its extension (`.csv`, `.spiketimes`, ...);
/// a file without a header holds sample indices (multiplied by `dt`) only in the competition's `.spiketimes`
/// format, two whitespace-separated columns: the sample index and a count (ignored).
/// @throws ParameterError naming the file (and the line) when it cannot be read, is empty, holds a value
///         that is not a finite number, or times that decrease; for a header-less file that is not in the
///         competition's format (e.g. one column of numbers: times or indices?), asking for a header; for
///         sample indices without `dt` or that are not whole numbers.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<double> read_spike_times(const std::filesystem::path& file,
                                                                        std::optional<double> dt);

/// Reads a recording: the trace from `voltage` (its sampling step from the file's times, or `dt`, ms,
/// for a file without times; both given and different by more than 1e-6 relative is an error), the
/// spikes from `spikes` when given, else detected with `detection`. Times are relative to the file's first
/// sample (sample k at k dt, `t0` its time in the file): the times of a spike file, in the trace's clock,
/// are moved by -t0 as well; currents are converted to pA. With a spike file, the spikes that `detection`
/// finds on the trace are checked against it: when it finds some and fewer than half of the file's spikes
/// lie within 2 ms of one, `spike_file_note` says so.
/// @throws ParameterError naming the file (and the line) for an unreadable or invalid file, a missing or
///         disagreeing sampling step, times not at a fixed step, a column that is neither the time, the
///         potential (mV) nor the current (pA, nA, uA), an empty spike file, or spike times outside the trace
///         [t0, t0 + duration).
[[nodiscard]] BOOST_SYMBOL_VISIBLE Recording read_recording(const std::filesystem::path& voltage,
                                                            std::optional<double> dt,
                                                            const std::optional<std::filesystem::path>& spikes,
                                                            const SpikeDetection& detection);

/// The spike trains of the repetitions of one stimulus, checked to be comparable: the same sampling step
/// (to 1e-6 relative) and the same number of samples.
/// @throws ParameterError naming the two files that differ, with their steps or lengths, or for no recording.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<std::vector<double>> spike_trains(const std::vector<Recording>& repetitions);

}  // namespace soma::fitting
