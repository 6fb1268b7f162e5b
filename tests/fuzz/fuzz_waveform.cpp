/// @file fuzz_waveform.cpp
/// libFuzzer target: stimulus files, read by libsoma's table reader (framework/src/table_file.cpp) for the
/// `waveform` plug-in (plugins/stimuli/waveform.cpp) as `soma run --stimulus FILE` does, then played into
/// `lif` for 20 steps with dopri5 (which asks the stimulus for its breakpoints).
///
/// Input: the file's content, tried under each name whose extension selects a format (.csv, .asc,
/// .voltage) and under one without (the format from the content); gzip is recognised by its first bytes.
/// The input's size picks the interpolation (hold or linear) and what follows the file's end (zero or
/// repeat), so that every input is read the same way each time. Seeds: tests/fuzz/corpus/waveform.

#include "fuzz_support.hpp"

#include "soma/run_spec.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (const std::string extension : {".csv", ".asc", ".voltage", ""}) {
        const auto file = soma::fuzz::write_input("fuzz" + extension, data, size);
        soma::fuzz::fails_cleanly([&] {
            soma::RunSpec spec;
            spec.model = {"lif", {}, {}};
            spec.stimulus = {file.string(), {}, {{"interpolation", std::to_string(size % 2)},
                                                 {"after_end", std::to_string(1 + size / 2 % 2)}}};
            if (extension == ".voltage") spec.stimulus.parameters["sample_interval"] = "0.2";
            spec.integrator = {"dopri5", {}, {}};
            spec.recorders = {};
            spec.settings = {2.0, 0.1, 0.0, 1, 1, 0};
            (void)soma::build_simulation(soma::fuzz::registry(), spec).run();
        });
    }
    return 0;
}
