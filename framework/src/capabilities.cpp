#include "soma/conditionally_linear.hpp"
#include "soma/integrator.hpp"
#include "soma/error.hpp"
#include "soma/jacobian.hpp"
#include "soma/model_from_file.hpp"
#include "soma/readable_number.hpp"
#include "soma/registry.hpp"
#include "soma/suggested_drive.hpp"
#include "soma/threshold_meaning.hpp"

#include <fmt/format.h>

namespace soma {

// Key functions: anchor the capabilities' vtables and type_info in libsoma, so that dynamic_cast
// from a plug-in's model to them works across shared libraries.
ConditionallyLinear::~ConditionallyLinear() = default;
Jacobian::~Jacobian() = default;
ModelFromFile::~ModelFromFile() = default;
SuggestedDrive::~SuggestedDrive() = default;
ThresholdMeaningOf::~ThresholdMeaningOf() = default;
Integrator::Worker::~Worker() = default;

void check_reset(double t_spike, std::size_t cell, double v_before, double v, double threshold, std::string_view unit) {
    if (v < threshold || v == v_before) return;
    std::string shown;  // appended, not " " + unit: GCC 12 warns falsely (-Wrestrict) on that
    if (unit != "1") shown.append(" ").append(unit);
    throw CellError(fmt::format("at t = {} ms the model reset cell {} to v = {}{}, not below its threshold {}{}: it "
                                "would spike again at once, endlessly, or stay above the threshold and never fire "
                                "again; set the reset potential below the threshold",
                                readable(t_spike, 9), cell, readable(v, 6), shown, readable(threshold, 6), shown),
                    cell);
}

bool is_model_file(std::string_view name) { return name.find_first_of("/.") != std::string_view::npos; }

std::shared_ptr<Model> create_model(const PluginRegistry& registry, std::string_view name) {
    if (!is_model_file(name)) {
        auto model = registry.create<Model>(PluginKind::model, name);
        if (dynamic_cast<const ModelFromFile*>(model.get()) != nullptr) {
            throw PluginError(fmt::format("model plug-in '{}' reads its model from a file: give the file's path as "
                                          "the model instead of the plug-in's name, e.g. --model "
                                          "examples/models/hh.eq (docs/equations.md)",
                                          name));
        }
        return model;
    }
    const auto loader_object = registry.create<Model>(PluginKind::model, model_file_plugin);
    const auto* loader = dynamic_cast<const ModelFromFile*>(loader_object.get());
    if (loader == nullptr) {
        throw PluginError(fmt::format("model plug-in '{}' ({}) cannot read model files (capability ModelFromFile)",
                                      model_file_plugin, registry.find(PluginKind::model, model_file_plugin).file.string()));
    }
    // The holder owns the loader (which keeps the plug-in's library loaded) and the model; members are
    // destroyed in reverse order, so the model, whose code lives in that library, goes first.
    struct Holder {
        std::shared_ptr<Model> loader;
        std::unique_ptr<Model> model;
    };
    // What the loader throws other than a soma::Error (which says what is wrong with the file) names the plug-in.
    const auto& plugin = registry.find(PluginKind::model, model_file_plugin);
    auto loaded = guard_plugin_call(PluginKind::model, plugin.name, plugin.file, "failed to read '" + std::string(name) + "'",
                                    [&] { return loader->load(std::filesystem::path(name)); });
    auto holder = std::make_shared<Holder>(Holder{loader_object, std::move(loaded)});
    Model* raw = holder->model.get();
    return {std::move(holder), raw};
}

}  // namespace soma
