#pragma once
/// @file recording_options.hpp
/// What `soma compare` and `soma fit` share about recordings: the options --recording-dt, --delta,
/// --spike-threshold and --spike-window with their checks, and how they take `soma run`'s options (the run lasts as long as the recording, nothing is
/// recorded by recorders).

#include "scenario.hpp"

#include "soma/fitting/stimulus_set.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace soma::app {

/// --recording-dt, --delta, --spike-threshold and --spike-window, as `soma compare` and `soma fit` show them.
[[nodiscard]] std::vector<ExtraOption> recording_options();

/// The values of recording_options in a command's arguments.
struct RecordingSettings {
    std::optional<double> recording_dt;  ///< --recording-dt (ms), for files without times
    double delta = 2;                    ///< --delta (ms)
    fitting::SpikeDetection detection;   ///< --spike-threshold (mV), --spike-window (ms): upward crossings
};

/// The values of recording_options in `scenario` (the defaults where not given).
/// @throws ParameterError naming the option and the value: a --recording-dt that is not a finite number > 0,
///         a --delta that is not a finite number (its range is fitting::check_delta's, with the recordings),
///         a --spike-threshold that is not a finite number, a --spike-window outside [0, 50] ms.
[[nodiscard]] RecordingSettings recording_settings(const Scenario& scenario);

/// The note that --spike-threshold or --spike-window, given in `scenario`, do not choose the spikes because
/// every recording of `sets` has a spike file (they only check it); none otherwise.
[[nodiscard]] std::optional<std::string> unused_detection_note(const Scenario& scenario,
                                                               const std::vector<const fitting::StimulusSet*>& sets);

/// How `command` ("compare" or "fit") takes soma run's options: --t-stop, --record, --record-cells,
/// --record-interval and --recorder do not apply (nor, for "fit", --cells, --cells-from and --stimulus: the
/// cells are the candidates, the stimulus each set's current), and --name, --title (and --stimulus, --seed)
/// have the command's own defaults.
[[nodiscard]] RunOptionUse recording_command_use(std::string_view command);

}  // namespace soma::app
