#include "soma/run_metadata.hpp"

#include "soma/gnuplot.hpp"
#include "soma/output_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace soma {

namespace {

/// " unit", or nothing for dimensionless values and the `<state unit>` of integrator tolerances.
std::string unit_suffix(const std::string& unit) {
    return unit.empty() || unit == "1" || unit.front() == '<' ? "" : " " + unit;
}

/// Ascending cell indices as runs: "0:10, 12, 20:25" (a:b is a to b - 1, as Python's slices).
std::string cell_runs(const std::vector<std::size_t>& cells) {
    std::vector<std::string> runs;
    for (std::size_t i = 0; i < cells.size();) {
        std::size_t j = i + 1;
        while (j < cells.size() && cells[j] == cells[j - 1] + 1) ++j;
        runs.push_back(j - i == 1 ? fmt::format("{}", cells[i]) : fmt::format("{}:{}", cells[i], cells[j - 1] + 1));
        i = j;
    }
    return fmt::format("{}", fmt::join(runs, ", "));
}

}  // namespace

std::string one_line(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = ' ';
    }
    return gnuplot::valid_utf8(text);
}


std::string metadata_comments(const RunInfo& info) {
    const TimeFormat time(info.dt);
    fmt::memory_buffer interval;
    time.append(interval, static_cast<double>(info.record_every) * info.dt);
    std::string text = fmt::format(
        "# Soma {}\n# title: {}\n# model: {}, preset: {}, stimulus: {}, integrator: {}, recorders: {}\n"
        "# dt: {} ms, t_stop: {} ms, steps: {}, record interval: {} ms\n# cells: {}, threads: {}, seed: {}\n",
        info.soma_version, one_line(info.title), info.model, info.preset.empty() ? "none" : info.preset, info.stimulus,
        info.integrator, info.recorders.empty() ? std::string("none") : fmt::format("{}", fmt::join(info.recorders, " ")), info.dt, info.t_stop, info.n_steps, fmt::to_string(interval),
        info.n_cells, info.threads, info.seed);
    if (!info.command_line.empty()) {
        std::string command;
        for (const auto& a : info.command_line) {
            const bool plain = !a.empty() && a.find_first_of(" \t'\"\\$`;&|<>()*?[]{}#~!") == std::string::npos;
            std::string quoted = "'";  // as a shell takes it back: 'it'\''s'
            for (const char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
            command += (command.empty() ? "" : " ") + (plain ? a : quoted + "'");
        }
        text += fmt::format("# command: {}\n", one_line(command));
    }
    for (const auto& p : info.plugins) {
        text += fmt::format("# plug-in: {} {} {} ({})\n", p.kind, p.name, p.version, one_line(p.file.string()));
    }
    for (const auto& f : info.inputs) {
        text += fmt::format("# {}: {} (sha256 {})\n", f.role, one_line(f.path.string()), f.sha256);
    }
    const RecordingInfo& r = info.recording;
    std::vector<std::string> names;
    for (const auto& v : r.variables) names.push_back(v.name);
    if (!r.samples) {
        text += "# recorded: spikes of every cell; no samples\n";
    } else {
        const std::string cells = cell_runs(r.cells);
        text += fmt::format("# recorded: spikes of every cell; {} of {}\n", fmt::join(names, ", "),
                            r.cells.empty()                          ? std::string("no cell")
                            : r.cells.size() == 1                    ? "cell " + cells
                            : cells.find(':') == std::string::npos ? "cells " + cells
                                                                     : "cells " + cells + " (a:b = cells a to b - 1)");
    }
    if (!r.note.empty()) text += fmt::format("# note: {}\n", one_line(r.note));
    for (const auto& p : info.parameters) {
        text += fmt::format("# {}.{} = {}{}\n", p.component, p.name, p.value, unit_suffix(p.unit));
    }
    for (const auto& p : info.cell_parameters) {
        text += fmt::format("# {}.{}{}: {}\n", p.component, p.name, p.unit == "1" ? std::string() : fmt::format(" ({})", p.unit), one_line(p.given_as));
    }
    return text;
}


}  // namespace soma
