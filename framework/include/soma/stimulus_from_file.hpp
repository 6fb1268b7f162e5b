#pragma once
/// @file stimulus_from_file.hpp
/// Stimuli read from a file: a recorded current played into a model (as NEURON's Vector.play or
/// Brian2's TimedArray). The `waveform` plug-in reads such files (formats and semantics in its source,
/// plugins/stimuli/waveform.cpp, and docs/architecture.md).
///
/// As for models from files (model_from_file.hpp), the object the registry creates for the plug-in's
/// name is a *loader*: it has the stimulus's parameters but no samples and cannot be run; it
/// implements the capability `StimulusFromFile`, whose `load` reads a file once into a new, immutable
/// Stimulus shared by all the cells of a run. The loaded stimulus has the loader's schema, so its
/// parameters are set like any stimulus's (`--set stimulus.scale=2`, per cell or not).
///
/// Users name a file where they would name a stimulus plug-in: `soma run --stimulus data/current.csv`.
/// A stimulus name containing '/' or '.' is a path (plug-in names are [a-z0-9_]+); `create_stimulus`
/// resolves both kinds.

#include "soma/stimulus.hpp"

#include <boost/config.hpp>

#include <filesystem>
#include <memory>
#include <string_view>

namespace soma {

class PluginRegistry;

/// Implemented, besides Stimulus, by the loader object of a plug-in whose stimuli come from files.
class BOOST_SYMBOL_VISIBLE StimulusFromFile {
public:
    virtual ~StimulusFromFile();

    /// Reads and checks the file `file`; returns a new stimulus that plays it, with the loader's schema
    /// (parameters at their defaults). Its code lives in the plug-in's library: keep the loader (which
    /// keeps the library loaded) alive for as long as the stimulus lives; `create_stimulus` does this.
    /// @throws ParameterError naming the file (and the line, for an error in its content) if it cannot
    ///         be read or is invalid.
    [[nodiscard]] virtual std::unique_ptr<Stimulus> load(const std::filesystem::path& file) const = 0;
};

/// Name of the stimulus plug-in that reads stimulus files.
inline constexpr std::string_view stimulus_file_plugin = "waveform";

/// True when the stimulus name `name` is the path of a file rather than a plug-in name: it contains
/// '/' or '.', e.g. "data/current.csv" or "current.csv.gz".
BOOST_SYMBOL_VISIBLE bool is_stimulus_file(std::string_view name);

/// The stimulus `name` with default parameters: a new object of stimulus plug-in `name`, or, when
/// `is_stimulus_file(name)`, the stimulus that plug-in `stimulus_file_plugin` loads from that file (the
/// returned pointer keeps the loader, and so its library, alive).
/// @throws PluginError as PluginRegistry::find (an unknown plug-in, or no `waveform` plug-in for a
///         file), or when `name` is a loader plug-in named without a file (e.g. 'waveform' alone).
/// @throws ParameterError from `StimulusFromFile::load`.
BOOST_SYMBOL_VISIBLE std::shared_ptr<Stimulus> create_stimulus(const PluginRegistry& registry, std::string_view name);

}  // namespace soma
