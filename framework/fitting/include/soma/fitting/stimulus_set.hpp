#pragma once
/// @file stimulus_set.hpp
/// A stimulus and the cell's recorded responses to it (the repetitions of one stimulus set), read from
/// the voltage files of the repetitions, as `soma compare` and `soma fit` take them.

#include "soma/run_spec.hpp"
#include "soma/fitting/recording.hpp"

#include <boost/config.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace soma::fitting {

/// One stimulus and the cell's responses to it: the repetitions of one stimulus set.
struct StimulusSet {
    std::string name;  ///< for people and the outputs, e.g. "00" or the first file's stem
    /// The current played into the model, e.g. the `waveform` plug-in reading the first repetition's file
    /// (name: the file's path, parameters: {"sample_interval", "0.2"}); its parameters must be the same
    /// for every cell (no per-cell forms).
    ComponentSpec stimulus;
    /// The recorded trials, all of the same length and sampling step (shape [repetitions]).
    std::vector<Recording> repetitions;
    /// How the spike times were found, for a note: "from the sibling .spiketimes files", ...
    std::string spikes_from;
    /// What the user should be warned of: each repetition on which the spike detection found no spike
    /// (naming the file, the detection rule and the trace's range), and each spike file that misses most
    /// of the spikes on its trace (Recording::spike_file_note).
    std::vector<std::string> notes = {};
};

/// Reads the repetitions of one stimulus from their voltage files (`files`, at least one; read_recording
/// with `dt` for files without times). Each file's spikes come from a sibling spike file when there is
/// one (`NN-R.voltage.gz` -> `NN-R.spiketimes` or `NN-R.spiketimes.gz`), else they are detected with
/// `detection`. The set's name is the common beginning of the files' names ("00-0", "00-1" -> "00"); its
/// stimulus plays the current recorded in the first file (its parameters from `stimulus_settings`, plus
/// `sample_interval` = dt for a file without times, and `delay` = -t0 for a file whose first sample is at
/// t0 != 0, so that it plays at the run's start, as the traces are compared). A repetition whose detection
/// finds no spike gets a note in `notes` (scores against it compare with an empty train), and so does one
/// whose spike file misses most of the spikes on its trace.
/// @throws ParameterError from read_recording (naming the file), for no file, when the repetitions are not
///         comparable (spike_trains) or not of one stimulus (check_same_stimulus), or for a `delay` in
///         `stimulus_settings` other than -t0 (0 for a file that starts at 0): it would shift the current
///         against the trace.
[[nodiscard]] BOOST_SYMBOL_VISIBLE StimulusSet read_stimulus_set(const std::vector<std::filesystem::path>& files,
                                                                 std::optional<double> dt,
                                                                 const ComponentSpec& stimulus_settings,
                                                                 const SpikeDetection& detection = {});

/// Checks that the repetitions of `set` are different recordings of one stimulus: no file twice, no copy
/// (the same trace, current and spike times as another repetition; repetitions synthesised from one trace
/// with different spike times are allowed), and the currents recorded with them (when the files have currents) within 10 % RMS of the first's (the
/// competition's repetitions differ by 0.6 %, different stimuli by tens of percent).
/// @throws ParameterError naming the files.
BOOST_SYMBOL_VISIBLE void check_same_stimulus(const StimulusSet& set);

/// Whether sets `a` and `b` record one stimulus: their first repetitions' currents (both recorded, at the
/// same step and length) within 10 % RMS of `a`'s, as check_same_stimulus asks of repetitions.
[[nodiscard]] BOOST_SYMBOL_VISIBLE bool same_stimulus(const StimulusSet& a, const StimulusSet& b);

/// The comma-separated file names of `text` ("a.voltage.gz, b.voltage.gz"), blanks around each removed.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<std::filesystem::path> split_file_list(const std::string& text);

}  // namespace soma::fitting
