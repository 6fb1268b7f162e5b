/// @file soma_test_throw_on_load_plugin.cpp
/// Test-only plug-in whose library throws an int as soon as it is loaded, in the constructor of a global
/// object: the registry must refuse it with a PluginError naming the file, and only when it is asked for.
/// Built by tests/CMakeLists.txt as `soma_integrator_throws_on_load.so` into the directory of the
/// throwing test plug-ins.

#include "soma/plugin.hpp"

namespace {

int throw_an_int() { throw 42; }

const int thrown_when_loaded = throw_an_int();

std::unique_ptr<soma::Component> create_nothing() { return nullptr; }

}  // namespace

SOMA_PLUGIN_FACTORY(soma::PluginKind::integrator, create_nothing, "throws_on_load", "0.0.1",
                    "test plug-in whose library throws an int when it is loaded")
