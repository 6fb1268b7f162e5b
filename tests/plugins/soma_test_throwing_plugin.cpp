/// @file soma_test_throwing_plugin.cpp
/// Test-only plug-in whose constructor throws an int, as careless plug-in code may: the registry must
/// turn it into a PluginError naming the plug-in instead of letting it terminate the program. Built
/// into its own test-only directory by tests/CMakeLists.txt.

#include "soma/plugin.hpp"

namespace {

std::unique_ptr<soma::Component> create_throwing() { throw 42; }

const soma::PluginDescriptor throwing_descriptor{soma::api_version,
                                                 SOMA_BUILD_INFO,
                                                 soma::PluginKind::model,
                                                 "throws_int",
                                                 "0.0.1",
                                                 "test plug-in whose constructor throws an int",
                                                 &create_throwing};

}  // namespace

BOOST_DLL_ALIAS(throwing_descriptor, soma_plugin_descriptor)
