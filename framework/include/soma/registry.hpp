#pragma once
/// @file registry.hpp
/// Finds plug-ins by kind and name and creates their objects (Boost.DLL).

#include "soma/component.hpp"
#include "soma/error.hpp"
#include "soma/plugin.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace soma {

/// What the registry knows of one loaded plug-in.
struct PluginInfo {
    PluginKind kind{};
    std::string name;
    std::string version;
    std::string description;
    std::filesystem::path file;
};

/// A shared library in a search directory that was not accepted as a plug-in, and why.
struct RejectedFile {
    std::filesystem::path file;
    std::string reason;
};

/// The plug-ins found in a list of directories.
///
/// Every `*.so` file in the directories is loaded with RTLD_NOW (so unresolved symbols are an error
/// now, not a crash later) and its descriptor read. A file without a descriptor, or one built
/// against another API version, is rejected with the reason. When two directories hold a plug-in
/// of the same kind and name, the first directory wins, so `SOMA_PLUGIN_PATH` can override the
/// built-in plug-ins. Objects created by `create` keep their library loaded for as long as they live.
class BOOST_SYMBOL_VISIBLE PluginRegistry {
public:
    /// Scans `dirs` in order; directories that do not exist are skipped.
    explicit PluginRegistry(std::vector<std::filesystem::path> dirs);
    /// Scans `default_search_path()`.
    PluginRegistry();
    ~PluginRegistry();
    PluginRegistry(PluginRegistry&&) noexcept;
    PluginRegistry& operator=(PluginRegistry&&) noexcept;

    /// The directories of `SOMA_PLUGIN_PATH` (colon-separated), then the plug-in directory of the
    /// build or install tree this framework library belongs to (`<libdir>/soma/plugins`).
    [[nodiscard]] static std::vector<std::filesystem::path> default_search_path();
    /// `<libdir>/soma/plugins` next to this framework library.
    [[nodiscard]] static std::filesystem::path builtin_plugin_dir();

    [[nodiscard]] const std::vector<std::filesystem::path>& search_path() const;
    /// Accepted plug-ins, sorted by kind then name.
    [[nodiscard]] std::vector<PluginInfo> plugins() const;
    [[nodiscard]] std::vector<PluginInfo> plugins(PluginKind kind) const;
    [[nodiscard]] const std::vector<RejectedFile>& rejected() const;

    /// Information on plug-in `name` of `kind`.
    /// @throws PluginError naming the searched directories, the available names of that kind (with
    ///         the closest as a suggestion) and any rejected files.
    [[nodiscard]] const PluginInfo& find(PluginKind kind, std::string_view name) const;

    /// The message for `name` when no plug-in of any kind has it (as `soma describe` reports it): the
    /// closest name as a suggestion, the known names and the directories searched; `listing` names what
    /// lists them all ("'soma list'", or a binding's function).
    [[nodiscard]] std::string unknown_plugin_message(std::string_view name,
                                                     std::string_view listing = "'soma list'") const;

    /// A new object of plug-in `name`, with default parameters.
    /// @throws PluginError as `find`.
    [[nodiscard]] std::shared_ptr<Component> create(PluginKind kind, std::string_view name) const;

    /// Typed `create`: T is Model, Stimulus, Integrator or Recorder.
    template <class T>
    [[nodiscard]] std::shared_ptr<T> create(PluginKind kind, std::string_view name) const {
        auto object = create(kind, name);
        auto typed = std::dynamic_pointer_cast<T>(object);
        if (!typed) {
            throw PluginError("plug-in '" + std::string(name) + "' says it is a " + std::string(to_string(kind)) +
                              " but its object does not implement that interface");
        }
        return typed;
    }

    /// Loads one file as a plug-in, outside any registry.
    /// @throws PluginError naming the file if it cannot be loaded (with the loader's message), has
    ///         no Soma descriptor ("not a Soma plug-in"), or was built against another API version
    ///         (naming the expected and the found version).
    [[nodiscard]] static PluginInfo inspect(const std::filesystem::path& file);

private:
    struct Entry;
    void scan(const std::filesystem::path& dir);

    std::vector<std::filesystem::path> dirs_;
    std::vector<Entry> entries_;
    std::vector<RejectedFile> rejected_;
};

}  // namespace soma
