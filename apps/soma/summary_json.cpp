#include "summary_json.hpp"

#include "soma/output_file.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cmath>

namespace soma::app {

nlohmann::json number_or_null(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); }

nlohmann::json summary_json(const RunInfo& info, const std::vector<std::string>& command_line, std::size_t ranks) {
    using nlohmann::json;
    json run = {{"model", info.model},
                {"preset", info.preset},
                {"stimulus", info.stimulus},
                {"integrator", info.integrator},
                {"recorders", info.recorders},
                {"title", info.title},
                {"dt_ms", info.dt},
                {"t_stop_ms", info.t_stop},
                {"steps", info.n_steps},
                {"record_interval_ms", static_cast<double>(info.record_every) * info.dt},
                {"cells", info.n_cells},
                {"threads", info.threads},
                {"ranks", ranks},
                {"seed", info.seed}};
    json recorded = json::array();
    for (const auto& v : info.recording.variables) recorded.push_back({{"name", v.name}, {"unit", v.unit}});
    run["recording"] = {{"variables", recorded}, {"cells", info.recording.cells}, {"samples", info.recording.samples}};
    json parameters = json::array();
    for (const auto& p : info.parameters) {
        // An integrator's tolerance is in the unit of each state variable (the "<state unit>" placeholder).
        const std::string unit = p.unit.starts_with('<') ? "unit of each state variable" : p.unit;
        parameters.push_back({{"component", p.component}, {"name", p.name}, {"value", p.value}, {"unit", unit}});
    }
    json cell_parameters = json::array();
    for (const auto& p : info.cell_parameters) {
        cell_parameters.push_back({{"component", p.component},
                                   {"name", p.name},
                                   {"unit", p.unit},
                                   {"given_as", p.given_as},
                                   {"values", p.values}});
    }
    json plugins = json::array();
    for (const auto& p : info.plugins) {
        plugins.push_back({{"kind", p.kind}, {"name", p.name}, {"version", p.version}, {"file", p.file.string()}});
    }
    json inputs = json::array();
    for (const auto& f : info.inputs) inputs.push_back({{"role", f.role}, {"path", f.path.string()}, {"sha256", f.sha256}});
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return {{"soma", info.soma_version},
            {"command", command_line},
            {"date", fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now)},
            {"run", run},
            {"plugins", plugins},
            {"inputs", inputs},
            {"parameters", parameters},
            {"cell_parameters", cell_parameters}};
}

void write_summary(nlohmann::json summary, const std::vector<std::filesystem::path>& outputs,
                   const std::filesystem::path& summary_path) {
    std::vector<std::string> paths;
    for (const auto& p : outputs) paths.push_back(p.string());
    paths.push_back(summary_path.string());
    summary["outputs"] = paths;
    OutputFile file(summary_path);
    // Invalid UTF-8 (a title in another encoding) is replaced, not an error: the summary must be valid JSON.
    file.write(summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    file.write("\n");
    file.commit();
}

}  // namespace soma::app
