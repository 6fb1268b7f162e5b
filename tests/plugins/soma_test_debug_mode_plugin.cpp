/// @file soma_test_debug_mode_plugin.cpp
/// Test-only plug-in compiled with _GLIBCXX_DEBUG (tests/CMakeLists.txt), libstdc++'s debug mode, whose
/// std:: containers have another layout than the framework's: its descriptor is the one SOMA_PLUGIN would
/// write, and the registry must refuse it without calling it.

#include "soma/plugin.hpp"

#if !defined(_GLIBCXX_DEBUG)
#error "this test plug-in must be compiled with -D_GLIBCXX_DEBUG"
#endif

namespace {

std::unique_ptr<soma::Component> create_nothing() { return nullptr; }

const soma::PluginDescriptor debug_mode_descriptor{soma::api_version,
                                                   SOMA_BUILD_INFO,
                                                   soma::PluginKind::model,
                                                   "debug_mode_model",
                                                   "1.0.0",
                                                   "test plug-in built in libstdc++'s debug mode",
                                                   &create_nothing};

}  // namespace

BOOST_DLL_ALIAS(debug_mode_descriptor, soma_plugin_descriptor)
