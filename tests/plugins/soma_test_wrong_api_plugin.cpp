/// @file soma_test_wrong_api_plugin.cpp
/// Test-only plug-in that claims to be built against the next Soma plug-in API version: its
/// descriptor is written by hand (SOMA_PLUGIN would stamp the current version). Built into a
/// test-only directory by tests/CMakeLists.txt; the registry must refuse it without calling it.

#include "soma/plugin.hpp"

namespace {

std::unique_ptr<soma::Component> create_nothing() { return nullptr; }

const soma::PluginDescriptor wrong_api_descriptor{soma::api_version + 1,
                                                  SOMA_BUILD_INFO,
                                                  soma::PluginKind::model,
                                                  "future_model",
                                                  "9.9.9",
                                                  "test plug-in built against the next API version",
                                                  &create_nothing};

}  // namespace

BOOST_DLL_ALIAS(wrong_api_descriptor, soma_plugin_descriptor)
