/// @file fuzz_waveform.cpp
/// libFuzzer target: stimulus files, read by libsoma's table reader (framework/src/table_file.cpp) for the
/// `waveform` plug-in (plugins/stimuli/waveform.cpp) as `soma run --stimulus FILE` does, then played into
/// `lif` (or `hh`, whose current is a density) for 20 steps with dopri5 (which asks the stimulus for its
/// breakpoints).
///
/// Input: the file's content, tried under each name whose extension selects a format (.csv, .asc,
/// .voltage) and under one without (the format from the content); gzip is recognised by its first bytes.
/// The input's size picks the interpolation (hold or linear) and what follows the file's end (zero or
/// repeat), so that every input is read the same way each time. An input whose first line starts with
/// `#!` sets the waveform's parameters itself: the rest of that line is `KEY=VALUE` settings separated by
/// spaces (`#! column=2 delay=-5 scale=1e308 area=100`; `model=hh` picks the model), given as text as
/// `--set stimulus.KEY=VALUE` gives them, and the file is what follows that line. Seeds:
/// tests/fuzz/corpus/waveform.

#include "fuzz_support.hpp"

#include "soma/run_spec.hpp"

#include <map>
#include <string>
#include <string_view>

namespace {

/// The `#!` line's settings, and the rest of the input; no settings if the input has no such line.
std::pair<std::map<std::string, std::string>, std::string_view> split_settings(std::string_view input) {
    std::map<std::string, std::string> settings;
    if (!input.starts_with("#!")) return {settings, input};
    const std::size_t end = input.find('\n');
    std::string_view line = input.substr(2, end == std::string_view::npos ? std::string_view::npos : end - 2);
    while (!line.empty()) {
        const std::size_t space = line.find(' ');
        const std::string_view item = line.substr(0, space);
        line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
        const std::size_t equals = item.find('=');
        if (equals != std::string_view::npos) settings[std::string(item.substr(0, equals))] = item.substr(equals + 1);
    }
    return {settings, end == std::string_view::npos ? std::string_view{} : input.substr(end + 1)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto split = split_settings({reinterpret_cast<const char*>(data), size});
    std::map<std::string, std::string>& settings = split.first;  // (clang 14 cannot capture a structured binding)
    const std::string_view content = split.second;
    std::string model = "lif";
    if (const auto m = settings.find("model"); m != settings.end()) {
        if (m->second == "hh") model = "hh";
        settings.erase(m);
    }
    const bool own_settings = !settings.empty();
    for (const std::string extension : {".csv", ".asc", ".voltage", ""}) {
        const auto file = soma::fuzz::write_input("fuzz" + extension,
                                                  reinterpret_cast<const std::uint8_t*>(content.data()), content.size());
        soma::fuzz::fails_cleanly([&] {
            soma::RunSpec spec;
            spec.model = {model, {}, {}};
            spec.stimulus = {file.string(), {}, settings};
            if (!own_settings) {
                spec.stimulus.parameters = {{"interpolation", std::to_string(size % 2)},
                                            {"after_end", std::to_string(1 + size / 2 % 2)}};
                if (extension == ".voltage") spec.stimulus.parameters["sample_interval"] = "0.2";
            }
            spec.integrator = {"dopri5", {}, {}};
            spec.recorders = {};
            spec.settings = {2.0, 0.1, 0.0, 1, 1, 0};
            (void)soma::build_simulation(soma::fuzz::registry(), spec).run();
        });
    }
    return 0;
}
