/// @file soma_test_not_a_plugin.cpp
/// Test-only shared library that is valid and loadable but not a Soma plug-in: it exports a plain
/// function and no `soma_plugin_descriptor`.

extern "C" __attribute__((visibility("default"))) int soma_test_not_a_plugin_answer() { return 42; }
