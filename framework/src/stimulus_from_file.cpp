#include "soma/stimulus_from_file.hpp"

#include "soma/registry.hpp"

#include <fmt/format.h>

namespace soma {

// Key function: anchors the capability's vtable and type_info in libsoma, so that dynamic_cast from a
// plug-in's stimulus to it works across shared libraries.
StimulusFromFile::~StimulusFromFile() = default;

bool is_stimulus_file(std::string_view name) { return name.find_first_of("/.") != std::string_view::npos; }

std::shared_ptr<Stimulus> create_stimulus(const PluginRegistry& registry, std::string_view name) {
    if (!is_stimulus_file(name)) {
        auto stimulus = registry.create<Stimulus>(PluginKind::stimulus, name);
        if (dynamic_cast<const StimulusFromFile*>(stimulus.get()) != nullptr) {
            throw PluginError(fmt::format("stimulus plug-in '{}' plays a current from a file: give the file's path "
                                          "as the stimulus instead of the plug-in's name, e.g. --stimulus "
                                          "data/current.csv",
                                          name));
        }
        return stimulus;
    }
    const auto loader_object = registry.create<Stimulus>(PluginKind::stimulus, stimulus_file_plugin);
    const auto* loader = dynamic_cast<const StimulusFromFile*>(loader_object.get());
    if (loader == nullptr) {
        throw PluginError(fmt::format("stimulus plug-in '{}' ({}) cannot read stimulus files (capability "
                                      "StimulusFromFile)",
                                      stimulus_file_plugin,
                                      registry.find(PluginKind::stimulus, stimulus_file_plugin).file.string()));
    }
    // The holder owns the loader (which keeps the plug-in's library loaded) and the stimulus; members are
    // destroyed in reverse order, so the stimulus, whose code lives in that library, goes first.
    struct Holder {
        std::shared_ptr<Stimulus> loader;
        std::unique_ptr<Stimulus> stimulus;
    };
    // What the loader throws other than a soma::Error (which says what is wrong with the file) names the plug-in.
    const auto& plugin = registry.find(PluginKind::stimulus, stimulus_file_plugin);
    auto loaded = guard_plugin_call(PluginKind::stimulus, plugin.name, plugin.file, "failed to read '" + std::string(name) + "'",
                                    [&] { return loader->load(std::filesystem::path(name)); });
    auto holder = std::make_shared<Holder>(Holder{loader_object, std::move(loaded)});
    Stimulus* raw = holder->stimulus.get();
    return {std::move(holder), raw};
}

}  // namespace soma
