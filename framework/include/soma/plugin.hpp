#pragma once
/// @file plugin.hpp
/// What a plug-in exports: one descriptor (kind, name, version, description, API version) and a
/// factory, published under the Boost.DLL alias `soma_plugin_descriptor`.
///
/// Writing a plug-in: derive from Model, Stimulus, Integrator or Recorder, then in one source file
///
///     SOMA_PLUGIN(soma::PluginKind::model, my_ns::MyModel, "my_model", "1.0.0",
///                 "One line: what it is, and its source (book, page)")
///
/// and build it with the CMake function `soma_add_plugin`. See docs/writing-a-plugin.md.

#include "soma/component.hpp"

#include <boost/dll/alias.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace soma {

/// Version of the binary interface between the framework and plug-ins. Bumped whenever a class in
/// framework/include/soma changes layout or virtual functions; the registry refuses a plug-in whose
/// descriptor carries another number.
inline constexpr std::uint32_t api_version = 2;

/// Alias under which a plug-in exports its descriptor.
inline constexpr const char* descriptor_alias = "soma_plugin_descriptor";

enum class PluginKind : std::uint32_t { model = 0, stimulus = 1, integrator = 2, recorder = 3 };

/// "model", "stimulus", "integrator", "recorder".
BOOST_SYMBOL_VISIBLE std::string_view to_string(PluginKind kind);

/// The record a plug-in exports. `api_version` must stay the first member in every API version,
/// so that the registry can read it before trusting anything else.
struct PluginDescriptor {
    std::uint32_t api_version;
    PluginKind kind;
    const char* name;         ///< unique within its kind; [a-z0-9_]+
    const char* version;      ///< the plug-in's own version
    const char* description;  ///< one line, with the source of its equations
    std::unique_ptr<Component> (*create)();  ///< a new instance with default parameters
};

}  // namespace soma

/// Defines and exports the descriptor of a plug-in whose class `Type` is default-constructible.
#define SOMA_PLUGIN(kind_, Type, name_, version_, description_)                                     \
    namespace {                                                                                     \
    std::unique_ptr<::soma::Component> soma_plugin_create() { return std::make_unique<Type>(); }    \
    const ::soma::PluginDescriptor soma_plugin_descriptor_object{::soma::api_version, kind_, name_, \
                                                                 version_, description_,            \
                                                                 &soma_plugin_create};              \
    }                                                                                               \
    BOOST_DLL_ALIAS(soma_plugin_descriptor_object, soma_plugin_descriptor)
