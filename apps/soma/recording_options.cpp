#include "recording_options.hpp"

#include "soma/error.hpp"
#include "soma/fitting/evaluate.hpp"
#include "soma/parameter.hpp"

#include <fmt/format.h>


namespace soma::app {

std::vector<ExtraOption> recording_options() {
    return {{"recording-dt", "MS", "sampling step of recordings without times, ms (0.2 for the 2007 competition's files)"},
            {"delta", "MS", fmt::format("coincidence window of Gamma, +-ms, in (0, {:g}] and at most half of the "
                                        "shortest recording (default: 2, the competition's)",
                                        fitting::max_delta_ms)},
            {"spike-threshold", "MV",
             "recordings without a spike file: a spike is an upward crossing of this level, mV (default: 0)"},
            {"spike-window", "MS",
             "recordings without a spike file: crossings within this many ms of a spike are ignored, in [0, 50] "
             "(default: 0.5, below the 1 ms shortest interval of the 2007 competition's cell)"}};
}

RecordingSettings recording_settings(const Scenario& scenario) {
    RecordingSettings settings;
    const auto number = [&](const char* option, const std::string& text, const std::string& allowed) {
        try {
            return parse_number(option, text);
        } catch (const ParameterError&) {
            throw ParameterError(fmt::format("--{} '{}' is not allowed; give a finite number {}", option, text, allowed));
        }
    };
    if (const auto it = scenario.extra.find("recording-dt"); it != scenario.extra.end()) {
        const double dt = number("recording-dt", it->second.front(), "> 0 (ms)");
        if (!(dt > 0)) throw ParameterError(fmt::format("--recording-dt {} is not allowed; it must be > 0 ms", dt));
        settings.recording_dt = dt;
    }
    if (const auto it = scenario.extra.find("delta"); it != scenario.extra.end()) {
        // The range is checked with the recordings (fitting::check_delta).
        settings.delta = number("delta", it->second.front(),
                                fmt::format("in (0, {:g}] ms (2 ms in the competition)", fitting::max_delta_ms));
    }
    if (const auto it = scenario.extra.find("spike-threshold"); it != scenario.extra.end()) {
        settings.detection.level = number("spike-threshold", it->second.front(), "(mV)");
    }
    if (const auto it = scenario.extra.find("spike-window"); it != scenario.extra.end()) {
        const double window = number("spike-window", it->second.front(), "in [0, 50] ms");
        if (!(window >= 0 && window <= fitting::max_spike_window_ms)) {
            throw ParameterError(fmt::format("--spike-window {} is not allowed; give a number in [0, {:g}] ms (a spike "
                                             "lasts about 1 ms; the default 0.5)",
                                             window, fitting::max_spike_window_ms));
        }
        settings.detection.refractory = window;
    }
    return settings;
}

std::optional<std::string> unused_detection_note(const Scenario& scenario,
                                                 const std::vector<const fitting::StimulusSet*>& sets) {
    if (!scenario.extra.contains("spike-threshold") && !scenario.extra.contains("spike-window")) return std::nullopt;
    for (const auto* set : sets) {
        for (const auto& r : set->repetitions) {
            if (r.spikes_from.starts_with("detected")) return std::nullopt;
        }
    }
    return "--spike-threshold and --spike-window do not choose the spikes here: every recording has a spike file "
           "(they only check it against its trace)";
}

RunOptionUse recording_command_use(std::string_view command) {
    const bool fit = command == "fit";
    RunOptionUse use;
    use.refused = {
        {"t-stop", "the run lasts as long as the recording"},
        {"record", "the membrane potential and the spikes are taken for the comparison; the outputs are the "
                   "command's own"},
        {"record-cells", "every cell is compared with the recording"},
        {"record-interval", "the membrane potential is sampled at the recording's step"},
        {"recorder", "the outputs are the command's own tables and figures"},
    };
    if (fit) {
        use.refused["cells"] = "the cells are the candidates (--population sets their number)";
        use.refused["cells-from"] = "each candidate has its own values of the fitted parameters (--fit)";
        use.refused["stimulus"] = "each set is driven by its own recorded current (the waveform stimulus; "
                                  "--set stimulus.PARAM applies to it)";
        use.help["name"] = "base name of output files (default: the model's name)";
        use.help["title"] = "title written into the data files' metadata (default: 'MODEL fitted to SETS')";
        use.help["seed"] = "seed of the initial population and of the optimiser (and of noise stimuli), a whole "
                           "number >= 0 (default: 0)";
        use.help["set"] = "set a parameter that is not fitted, in the unit 'soma describe' shows (one value: "
                          "e.g. --set model.t_ref=1); KIND is model, stimulus (the recorded current's waveform "
                          "stimulus) or integrator";
    } else {
        use.help["stimulus"] = "drive the model with this stimulus plug-in instead of the current recorded in the "
                               "first --recording file (default: that current, the waveform stimulus)";
        use.help["name"] = "base name of output files (default: MODEL-SET, SET the common beginning of the "
                           "recordings' names)";
        use.help["title"] = "title written into the data files' metadata (default: 'MODEL compared with set SET')";
        use.help["set"] = "set a parameter, in the unit 'soma describe' shows; KIND is model, stimulus or integrator "
                          "(e.g. --set model.b=60). Model and stimulus parameters may differ between cells, each "
                          "compared with the recording: 100,110,120 (one value per cell), linspace(0,20,41), "
                          "normal(MU,SIGMA) or uniform(A,B) (drawn per cell, see --seed)";
        use.help["cells"] = "number of cells, each compared with every repetition (default: the common length of "
                            "the per-cell lists, or 1)";
    }
    return use;
}

}  // namespace soma::app
