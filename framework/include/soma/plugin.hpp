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
#include <boost/version.hpp>
#include <fmt/core.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace soma {

/// Version of the binary interface between the framework and plug-ins. Bumped whenever a class of
/// framework/include/soma that a plug-in derives from, receives or calls changes layout or virtual
/// functions; the registry refuses a plug-in whose descriptor carries another number. Not bumped for the
/// classes only the framework and its programs use (PluginRegistry, Simulation, RunSpec), for a member
/// appended at the end of RunInfo (which
/// recorders receive by reference and only read: older ones find every member they know where it was)
/// nor for a new optional capability (a class of its own, asked for with dynamic_cast).
inline constexpr std::uint32_t api_version = 6;

/// Alias under which a plug-in exports its descriptor.
inline constexpr const char* descriptor_alias = "soma_plugin_descriptor";

enum class PluginKind : std::uint32_t { model = 0, stimulus = 1, integrator = 2, recorder = 3 };

/// "model", "stimulus", "integrator", "recorder".
BOOST_SYMBOL_VISIBLE std::string_view to_string(PluginKind kind);

/// What makes two C++ builds binary-compatible across the plug-in boundary (classes with virtual
/// functions, std::string, std::vector, std::shared_ptr, exceptions and fmt::memory_buffer cross it): the
/// compiler family and major version, libstdc++'s dual-ABI flag (_GLIBCXX_USE_CXX11_ABI), libstdc++'s debug
/// mode (_GLIBCXX_DEBUG, which changes the layout of std:: containers; _GLIBCXX_ASSERTIONS does not and is
/// not compared), and the versions of Boost and fmt (OutputFile hands a plug-in an fmt::memory_buffer).
struct BuildInfo {
    const char* compiler;      ///< "gcc", "clang" or "other"
    int compiler_major;        ///< e.g. 12 for g++ 12.2
    int cxx11_abi;             ///< _GLIBCXX_USE_CXX11_ABI: 1 (new std::string) or 0; -1 if not libstdc++
    int glibcxx_debug;         ///< 1 if built with _GLIBCXX_DEBUG (libstdc++'s debug containers), else 0
    int boost_version;         ///< BOOST_VERSION / 100, e.g. 1074 for Boost 1.74
    int fmt_version;           ///< FMT_VERSION / 100, e.g. 901 for fmt 9.1

    [[nodiscard]] bool operator==(const BuildInfo& other) const;
    /// e.g. "gcc 12, libstdc++ C++11 ABI 1, Boost 1.74, fmt 9.1", with ", _GLIBCXX_DEBUG" in debug mode.
    [[nodiscard]] std::string to_string() const;
};

/// The BuildInfo of the translation unit that expands it (a plug-in's, through SOMA_PLUGIN).
#if defined(__clang__)
#define SOMA_BUILD_COMPILER "clang", __clang_major__
#elif defined(__GNUC__)
#define SOMA_BUILD_COMPILER "gcc", __GNUC__
#else
#define SOMA_BUILD_COMPILER "other", 0
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define SOMA_BUILD_CXX11_ABI _GLIBCXX_USE_CXX11_ABI
#else
#define SOMA_BUILD_CXX11_ABI (-1)
#endif
#if defined(_GLIBCXX_DEBUG)
#define SOMA_BUILD_GLIBCXX_DEBUG 1
#else
#define SOMA_BUILD_GLIBCXX_DEBUG 0
#endif
#define SOMA_BUILD_INFO                                                                                        \
    ::soma::BuildInfo {                                                                                        \
        SOMA_BUILD_COMPILER, SOMA_BUILD_CXX11_ABI, SOMA_BUILD_GLIBCXX_DEBUG, BOOST_VERSION / 100, FMT_VERSION / 100 \
    }

/// The BuildInfo of this framework library (libsoma).
BOOST_SYMBOL_VISIBLE BuildInfo framework_build();

/// The record a plug-in exports. `api_version` must stay the first member in every API version,
/// so that the registry can read it before trusting anything else; `build` comes second and is
/// compared before any other member is used.
struct PluginDescriptor {
    std::uint32_t api_version;
    BuildInfo build;          ///< how the plug-in was compiled; must equal framework_build()
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
    }                                                                                               \
    SOMA_PLUGIN_FACTORY(kind_, soma_plugin_create, name_, version_, description_)

/// Defines and exports the descriptor of a plug-in made by `factory_`, a function
/// `std::unique_ptr<soma::Component>()`: for a plug-in whose instances come from elsewhere, e.g. a
/// library it loads only when an instance is made, so that its heavy dependencies cost nothing to runs
/// that do not use it (the `hdf5` recorder does this).
#define SOMA_PLUGIN_FACTORY(kind_, factory_, name_, version_, description_)                         \
    namespace {                                                                                     \
    const ::soma::PluginDescriptor soma_plugin_descriptor_object{                                   \
        ::soma::api_version, SOMA_BUILD_INFO, kind_, name_, version_, description_, &factory_};     \
    }                                                                                               \
    BOOST_DLL_ALIAS(soma_plugin_descriptor_object, soma_plugin_descriptor)
