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
#include <utility>
#include <vector>

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

/// The plug-ins found in a list of directories, each loaded only when it is needed.
///
/// Constructing a registry reads nothing. On first use it lists the `*.so` files of its directories.
/// A file named `soma_KIND_NAME.so` (KIND one of model, stimulus, integrator, recorder; the name that
/// `soma_add_plugin(soma_KIND_NAME ...)` gives it) is taken to hold plug-in NAME of KIND and is loaded
/// only when that plug-in is asked for (`find`, `lookup`, `create`) or when plug-ins are listed
/// (`plugins`). The message for an unknown name lists the known ones by their files' names, loading none
/// of them. Any other `*.so` file
/// is loaded on first use, to read which plug-in it holds. So a run loads the plug-ins it uses and no
/// other, and a plug-in whose code crashes when it is loaded harms only the commands that load it.
///
/// A file is loaded with RTLD_NOW (so unresolved symbols are an error now, not a crash later) and its
/// descriptor read. A file that cannot be loaded (its initialisation throwing included, where the exception
/// can unwind through the dynamic loader: not under AddressSanitizer, whose dlopen ends the process), that has no
/// descriptor, was built against another API version or otherwise than this Soma, or whose descriptor
/// is not the plug-in its file name says, is rejected with the reason, and the next file that may hold
/// the plug-in is tried. When several files hold a plug-in of the same kind and name, the first
/// directory in the search path wins (within one directory, the first file by name), so
/// `SOMA_PLUGIN_PATH` can override the built-in plug-ins; a later file named for a plug-in that is
/// already found is rejected without being loaded. Objects created by `create` keep their library
/// loaded for as long as they live; a library stays loaded while its registry lives.
///
/// A registry may be used from several threads at once (loading is under a mutex).
class BOOST_SYMBOL_VISIBLE PluginRegistry {
public:
    /// Searches `dirs` in order; a directory named twice is searched once, and directories that do not
    /// exist are skipped. Reads no directory yet.
    explicit PluginRegistry(std::vector<std::filesystem::path> dirs);
    /// Searches `default_search_path()`.
    PluginRegistry();
    ~PluginRegistry();
    /// Moves the registry with what it loaded; a moved-from registry may only be destroyed or assigned to.
    PluginRegistry(PluginRegistry&&) noexcept;
    PluginRegistry& operator=(PluginRegistry&&) noexcept;

    /// The directories of `SOMA_PLUGIN_PATH` (colon-separated), then the plug-in directory of the
    /// build or install tree this framework library belongs to (`<libdir>/soma/plugins`).
    [[nodiscard]] static std::vector<std::filesystem::path> default_search_path();
    /// `<libdir>/soma/plugins` next to this framework library.
    [[nodiscard]] static std::filesystem::path builtin_plugin_dir();

    [[nodiscard]] const std::vector<std::filesystem::path>& search_path() const;
    /// Every accepted plug-in, sorted by kind then name; loads every plug-in file.
    [[nodiscard]] std::vector<PluginInfo> plugins() const;
    /// The accepted plug-ins of `kind`, sorted by name; loads the files named for that kind.
    [[nodiscard]] std::vector<PluginInfo> plugins(PluginKind kind) const;
    /// The files rejected so far, in search order: those not named as a plug-in (read on first use) and
    /// those named for a plug-in that was asked for or listed. After `plugins()` it is every one.
    [[nodiscard]] std::vector<RejectedFile> rejected() const;
    /// The plug-ins loaded so far, in the order they were loaded; loads nothing.
    [[nodiscard]] std::vector<PluginInfo> loaded() const;

    /// Information on plug-in `name` of `kind`.
    /// @throws PluginError naming the searched directories, the available names of that kind (with
    ///         the closest as a suggestion) and any rejected files.
    [[nodiscard]] const PluginInfo& find(PluginKind kind, std::string_view name) const;

    /// Information on plug-in `name` of `kind`, or null when there is none (loading, as `find`, only
    /// what may hold it).
    [[nodiscard]] const PluginInfo* lookup(PluginKind kind, std::string_view name) const;

    /// The message for `name` when no plug-in of any kind has it (as `soma describe` reports it): the
    /// closest name as a suggestion, the known names and the directories searched; `listing` names what
    /// lists them all ("'soma list'", or a binding's function). Loads only the files not named as a plug-in
    /// (as every use does).
    [[nodiscard]] std::string unknown_plugin_message(std::string_view name,
                                                     std::string_view listing = "'soma list'") const;

    /// A new object of plug-in `name`, with default parameters.
    /// @throws PluginError as `find`; and naming the plug-in and its file when its factory throws (any
    ///         soma::Error it throws passes unchanged) or makes no object.
    [[nodiscard]] std::shared_ptr<Component> create(PluginKind kind, std::string_view name) const;

    /// Typed `create`: T is Model, Stimulus, Integrator or Recorder.
    /// @throws PluginError as `create`, and when the object does not implement T.
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

    /// With `on`, each file is first loaded in a child process (fork), and a file whose loading ends that
    /// process (a crash, an abort or an exit in its initialisation) is rejected, saying how, instead
    /// of being loaded here. For commands that load every plug-in (`soma list`) in a process with one
    /// thread; off by default. A file that loads in the child is loaded again in this process.
    void load_in_child_first(bool on);

    /// Loads one file as a plug-in, outside any registry.
    /// @throws PluginError naming the file if it cannot be loaded (with the loader's message, or saying
    ///         that its initialisation threw), has no Soma descriptor ("not a Soma plug-in"), or was built
    ///         against another API version (naming the expected and the found version) or otherwise than
    ///         this Soma (naming both builds).
    [[nodiscard]] static PluginInfo inspect(const std::filesystem::path& file);

private:
    struct State;
    std::vector<std::filesystem::path> dirs_;
    std::unique_ptr<State> state_;
};

/// The dynamic loader's reason in Boost.DLL's message `what` of a failed load of `file`: the dlerror text,
/// e.g. "invalid ELF header", without the file's name in front (the caller names it) and without the errno
/// text that Boost.DLL appends, which has nothing to do with the failure ("Bad file descriptor"); `what`
/// itself if it has no dlerror text.
[[nodiscard]] std::string dynamic_loader_reason(std::string_view what, const std::filesystem::path& file);

/// Calls `f` (code of plug-in `name` of `kind`, in `file`) and turns what else than a soma::Error it
/// throws into a PluginError naming the plug-in, the file and `doing` (e.g. "failed to describe itself").
/// @throws soma::Error as `f` throws it; PluginError for a std::exception (with its message) or any other
///         object.
template <class F>
decltype(auto) guard_plugin_call(PluginKind kind, std::string_view name, const std::filesystem::path& file,
                                 std::string_view doing, F&& f) {
    const auto fail = [&](std::string_view why) {
        return PluginError(std::string(to_string(kind)) + " plug-in '" + std::string(name) + "' (" + file.string() +
                           ") " + std::string(doing) + ": " + std::string(why));
    };
    try {
        return std::forward<F>(f)();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw fail(e.what());
    } catch (...) {
        throw fail("it threw an object that is not an exception");
    }
}

}  // namespace soma
