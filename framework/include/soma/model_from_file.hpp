#pragma once
/// @file model_from_file.hpp
/// Models defined by a file instead of compiled code: the `equations` plug-in reads model files (the
/// format is documented in docs/equations.md), so a new model needs no compiler.
///
/// A Component's schema is fixed when it is constructed, but which parameters a file model has is
/// known only once the file is read. So a plug-in that reads model files is a *loader*: the object
/// the registry creates for its name has no state variables and cannot be simulated; it implements
/// the capability `ModelFromFile`, whose `load` reads a file and constructs a new Model with the
/// file's parameters, state variables and capabilities. Every Model, file-defined or compiled, thus
/// keeps a schema fixed at construction.
///
/// Users name a file model by its path where they would name a plug-in: `soma run --model
/// examples/models/hh.eq`, `soma describe examples/models/hh.eq`. A model name containing '/' or '.'
/// is a path (plug-in names are [a-z0-9_]+); `create_model` resolves both kinds.

#include "soma/model.hpp"

#include <boost/config.hpp>

#include <filesystem>
#include <memory>
#include <string_view>

namespace soma {

class PluginRegistry;

/// Implemented, besides Model, by the loader object of a plug-in whose models come from files.
class BOOST_SYMBOL_VISIBLE ModelFromFile {
public:
    virtual ~ModelFromFile();

    /// Reads, checks and compiles the model file `file`; returns a new model with the file's parameters
    /// (at their defaults), presets, state variables, current, threshold and reset. The model's code
    /// lives in the plug-in's library: keep the loader (which keeps the library loaded) alive for as
    /// long as the model lives; `create_model` does this.
    /// @throws ModelFileError for a file that cannot be read or is invalid; the message starts with
    ///         "FILE:LINE:COLUMN: " (see docs/equations.md for the errors it reports).
    [[nodiscard]] virtual std::unique_ptr<Model> load(const std::filesystem::path& file) const = 0;
};

/// Name of the model plug-in that reads model files.
inline constexpr std::string_view model_file_plugin = "equations";

/// True when the model name `name` is the path of a model file rather than a plug-in name: it
/// contains '/' or '.', e.g. "examples/models/hh.eq" or "hh.eq".
BOOST_SYMBOL_VISIBLE bool is_model_file(std::string_view name);

/// The model `name` with default parameters: a new object of model plug-in `name`, or, when
/// `is_model_file(name)`, the model that plug-in `model_file_plugin` loads from that file (the
/// returned pointer keeps the loader, and so its library, alive).
/// @throws PluginError as PluginRegistry::find (an unknown plug-in, or no `equations` plug-in for a
///         file), or when `name` is a loader plug-in named without a file (e.g. 'equations' alone).
/// @throws ModelFileError from `ModelFromFile::load`.
BOOST_SYMBOL_VISIBLE std::shared_ptr<Model> create_model(const PluginRegistry& registry, std::string_view name);

}  // namespace soma
