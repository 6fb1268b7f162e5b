/// @file soma_test_segfault_plugin.cpp
/// Test-only plug-in whose library crashes (SIGSEGV) as soon as it is loaded, in the constructor of a
/// global object, before Soma can read its descriptor. Built by tests/CMakeLists.txt as
/// `soma_model_segfaults.so` into a test-only directory: a command that does not use the model
/// `segfaults` must never load it.

#include "soma/plugin.hpp"

#include <csignal>

namespace {

const int crash_when_loaded = [] {
    std::raise(SIGSEGV);
    return 0;
}();

std::unique_ptr<soma::Component> create_nothing() { return nullptr; }

}  // namespace

SOMA_PLUGIN_FACTORY(soma::PluginKind::model, create_nothing, "segfaults", "0.0.1",
                    "test plug-in whose library crashes when it is loaded")
