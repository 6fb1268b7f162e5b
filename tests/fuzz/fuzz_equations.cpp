/// @file fuzz_equations.cpp
/// libFuzzer target: model files of the `equations` plug-in (docs/equations.md), read, checked and compiled
/// (plugins/models/equations) as `soma run --model FILE` does, then run for 10 steps with euler and with
/// exp_euler (which uses the conditionally linear form the plug-in derives), to exercise the compiled
/// programs too.
///
/// Input: the model file's text. Seeds: examples/models/*.eq and tests/fuzz/corpus/equations.

#include "fuzz_support.hpp"

#include "soma/run_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto file = soma::fuzz::write_input("fuzz.eq", data, size);
    for (const char* integrator : {"euler", "exp_euler"}) {
        soma::fuzz::fails_cleanly([&] {
            soma::RunSpec spec;
            spec.model = {file.string(), {}, {}};
            spec.integrator = {integrator, {}, {}};
            spec.recorders = {};
            spec.settings = {1.0, 0.1, 0.0, 1, 1, 0};
            (void)soma::build_simulation(soma::fuzz::registry(), spec).run();
        });
    }
    return 0;
}
