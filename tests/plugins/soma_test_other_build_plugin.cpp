/// @file soma_test_other_build_plugin.cpp
/// Test-only plug-in that claims to be built by the next major version of this compiler: its
/// descriptor is written by hand with the current API version but another BuildInfo. Built into a
/// test-only directory by tests/CMakeLists.txt; the registry must refuse it without calling it.

#include "soma/plugin.hpp"

namespace {

std::unique_ptr<soma::Component> create_nothing() { return nullptr; }

constexpr soma::BuildInfo this_build = SOMA_BUILD_INFO;

const soma::PluginDescriptor other_build_descriptor{
    soma::api_version,
    soma::BuildInfo{this_build.compiler, this_build.compiler_major + 1, this_build.cxx11_abi, this_build.glibcxx_debug,
                    this_build.boost_version, this_build.fmt_version},
    soma::PluginKind::model,
    "other_build_model",
    "1.0.0",
    "test plug-in that claims another compiler version",
    &create_nothing};

}  // namespace

BOOST_DLL_ALIAS(other_build_descriptor, soma_plugin_descriptor)
