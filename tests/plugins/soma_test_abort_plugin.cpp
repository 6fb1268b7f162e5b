/// @file soma_test_abort_plugin.cpp
/// Test-only plug-in whose library calls std::abort() as soon as it is loaded, in the constructor of a
/// global object. Built by tests/CMakeLists.txt as `soma_stimulus_aborts.so` into a test-only directory:
/// a command that does not use the stimulus `aborts` must never load it.

#include "soma/plugin.hpp"

#include <cstdlib>

namespace {

const int abort_when_loaded = [] {
    std::abort();
    return 0;
}();

std::unique_ptr<soma::Component> create_nothing() { return nullptr; }

}  // namespace

SOMA_PLUGIN_FACTORY(soma::PluginKind::stimulus, create_nothing, "aborts", "0.0.1",
                    "test plug-in whose library aborts when it is loaded")
