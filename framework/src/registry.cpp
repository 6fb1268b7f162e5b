#include "soma/registry.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

namespace soma {

std::string_view to_string(PluginKind kind) {
    switch (kind) {
        case PluginKind::model: return "model";
        case PluginKind::stimulus: return "stimulus";
        case PluginKind::integrator: return "integrator";
        case PluginKind::recorder: return "recorder";
    }
    return "unknown kind";
}

BuildInfo framework_build() { return SOMA_BUILD_INFO; }

bool BuildInfo::operator==(const BuildInfo& other) const {
    return std::string_view(compiler) == other.compiler && compiler_major == other.compiler_major &&
           cxx11_abi == other.cxx11_abi && glibcxx_debug == other.glibcxx_debug &&
           boost_version == other.boost_version && fmt_version == other.fmt_version;
}

std::string BuildInfo::to_string() const {
    return fmt::format("{} {}, libstdc++ C++11 ABI {}, Boost {}.{}, fmt {}.{}{}", compiler, compiler_major, cxx11_abi,
                       boost_version / 1000, boost_version % 1000, fmt_version / 100, fmt_version % 100,
                       glibcxx_debug != 0 ? ", _GLIBCXX_DEBUG" : "");
}

std::string dynamic_loader_reason(std::string_view what, const std::filesystem::path& file) {
    constexpr std::string_view marker = "dlerror system message: ";
    const auto begin = what.find(marker);
    const auto end = what.rfind(')');
    if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return std::string(what);
    std::string_view reason = what.substr(begin + marker.size(), end - begin - marker.size());
    if (const std::string prefix = file.string() + ": "; reason.starts_with(prefix)) reason.remove_prefix(prefix.size());
    return std::string(reason);
}

namespace {

struct Loaded {
    std::shared_ptr<boost::dll::shared_library> library;
    const PluginDescriptor* descriptor = nullptr;
};

using Key = std::pair<PluginKind, std::string>;

constexpr PluginKind all_kinds[] = {PluginKind::model, PluginKind::stimulus, PluginKind::integrator,
                                    PluginKind::recorder};

bool valid_kind(PluginKind kind) {
    return kind == PluginKind::model || kind == PluginKind::stimulus || kind == PluginKind::integrator ||
           kind == PluginKind::recorder;
}

// The plug-in a file name `soma_KIND_NAME.so` promises (NAME in [a-z0-9_]+), or none for another name.
std::optional<Key> named_plugin(const std::filesystem::path& file) {
    const std::string stem = file.stem().string();
    constexpr std::string_view prefix = "soma_";
    if (!std::string_view(stem).starts_with(prefix)) return std::nullopt;
    const std::string_view rest = std::string_view(stem).substr(prefix.size());
    for (const auto kind : all_kinds) {
        const std::string head = std::string(to_string(kind)) + "_";
        if (!rest.starts_with(head)) continue;
        const std::string_view name = rest.substr(head.size());
        const bool well_formed = !name.empty() && std::ranges::all_of(name, [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
        if (!well_formed) return std::nullopt;
        return Key{kind, std::string(name)};
    }
    return std::nullopt;
}

// Loads `file` and validates its descriptor; throws PluginError with a message naming the file.
Loaded load(const std::filesystem::path& file) {
    auto library = std::make_shared<boost::dll::shared_library>();
    try {
        library->load(boost::dll::fs::path(file.string()),
                      boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const boost::dll::fs::system_error& e) {
        throw PluginError(fmt::format("cannot load plug-in file '{}': {}", file.string(), dynamic_loader_reason(e.what(), file)));
    } catch (const std::exception& e) {
        // A std::exception thrown by the library's own initialisation.
        throw PluginError(fmt::format("cannot load plug-in file '{}': {}", file.string(), e.what()));
    } catch (...) {
        // The library's initialisation (a constructor of a global object) threw something else.
        throw PluginError(fmt::format("cannot load plug-in file '{}': its initialisation threw an object that is "
                                      "not an exception",
                                      file.string()));
    }
    if (!library->has(descriptor_alias)) {
        throw PluginError(fmt::format("'{}' is not a Soma plug-in: it exports no '{}' (build plug-ins with "
                                      "SOMA_PLUGIN and soma_add_plugin)",
                                      file.string(), descriptor_alias));
    }
    const auto& descriptor = library->get_alias<const PluginDescriptor>(descriptor_alias);
    if (descriptor.api_version != api_version) {
        throw PluginError(fmt::format("plug-in '{}' was built against Soma plug-in API version {}, but this Soma "
                                      "expects version {}; rebuild the plug-in against this Soma",
                                      file.string(), descriptor.api_version, api_version));
    }
    if (!(descriptor.build == framework_build())) {
        throw PluginError(fmt::format("plug-in '{}' was built with {}, but this Soma with {}; the two cannot share "
                                      "C++ objects. Rebuild the plug-in with the same compiler, libraries and _GLIBCXX_DEBUG "
                                      "setting as Soma "
                                      "(find_package(Soma) and soma_add_plugin do this)",
                                      file.string(), descriptor.build.to_string(), framework_build().to_string()));
    }
    if (!valid_kind(descriptor.kind) || descriptor.name == nullptr || descriptor.create == nullptr) {
        throw PluginError(fmt::format("plug-in '{}' has a malformed descriptor (kind {}, name {})", file.string(),
                                      static_cast<std::uint32_t>(descriptor.kind),
                                      descriptor.name ? descriptor.name : "missing"));
    }
    return {std::move(library), &descriptor};
}

PluginInfo info_of(const PluginDescriptor& d, const std::filesystem::path& file) {
    return {d.kind, d.name, d.version ? d.version : "", d.description ? d.description : "", file};
}

Key key_of(const PluginDescriptor& d) { return {d.kind, d.name}; }

std::string already_provided(const std::filesystem::path& file, const Key& key, const std::filesystem::path& first) {
    return fmt::format("'{}': {} plug-in '{}' is already provided by '{}', which comes first in the search path",
                       file.string(), to_string(key.first), key.second, first.string());
}

/// Whether loading `file` ends the process that loads it (a crash, an abort or an exit in the library's
/// initialisation): loads it in a child process and says how the child ended, or nothing when it returned.
/// The child only loads the file and leaves with _exit(0).
std::optional<std::string> crash_on_loading(const std::filesystem::path& file) {
    std::fflush(nullptr);  // nothing buffered is written twice
    const pid_t child = ::fork();
    if (child < 0) return std::nullopt;  // cannot tell: load it here
    if (child == 0) {
        try {
            (void)load(file);
        } catch (...) {  // the parent reports what a load that returns throws
        }
        ::_exit(0);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    std::string how;
    if (WIFSIGNALED(status)) {
        const char* name = ::sigdescr_np(WTERMSIG(status));
        how = fmt::format("signal {} ({})", WTERMSIG(status), name != nullptr ? name : "unknown");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        how = fmt::format("exit status {}", WEXITSTATUS(status));  // e.g. a sanitizer's report of a crash
    } else {
        return std::nullopt;
    }
    return fmt::format("loading '{}' ended the process that loaded it with {} while the library initialised "
                       "itself; it was not loaded",
                       file.string(), how);
}

}  // namespace

/// Everything a registry learns as it is used, under one mutex: the files of its directories, what
/// each turned out to be, and the plug-ins found.
struct PluginRegistry::State {
    struct File {
        enum class Status { unread, offered, accepted, rejected };
        std::filesystem::path path;
        std::optional<Key> named;  ///< the plug-in its name promises, if it follows soma_KIND_NAME.so
        Status status = Status::unread;
        Loaded loaded;             ///< while offered (loaded, not yet taken or refused)
    };
    struct Entry {
        PluginInfo info;
        std::shared_ptr<boost::dll::shared_library> library;
        const PluginDescriptor* descriptor = nullptr;
    };

    std::mutex mutex;
    bool probe_in_child = false;  ///< load each file in a child process first (load_in_child_first)
    bool scanned = false;
    std::vector<File> files;                       ///< every *.so of every directory, in search order
    std::deque<Entry> entries;                     ///< the accepted plug-ins, in load order; never moved
    std::map<Key, const Entry*> resolved;          ///< every plug-in looked for; null: there is none
    std::vector<std::pair<std::size_t, std::string>> rejected;  ///< file index, reason

    void reject(std::size_t file, std::string reason) {
        files[file].status = File::Status::rejected;
        files[file].loaded = {};  // unloads it
        rejected.emplace_back(file, std::move(reason));
    }

    /// Loads file `i` (not yet read) and validates it: offered, or rejected with the reason.
    void read(std::size_t i) {
        File& f = files[i];
        if (probe_in_child) {
            if (auto crash = crash_on_loading(f.path)) return reject(i, std::move(*crash));
        }
        try {
            f.loaded = load(f.path);
        } catch (const PluginError& e) {
            return reject(i, e.what());
        }
        const Key found = key_of(*f.loaded.descriptor);
        if (f.named && found != *f.named) {
            const auto& [kind, name] = found;
            return reject(i, fmt::format("'{}' is named as {} plug-in '{}' but holds {} plug-in '{}'; name the file "
                                         "soma_{}_{}.so (as soma_add_plugin(soma_{}_{} ...) does)",
                                         f.path.string(), to_string(f.named->first), f.named->second, to_string(kind),
                                         name, to_string(kind), name, to_string(kind), name));
        }
        f.status = File::Status::offered;
    }

    /// On first use: lists the directories' *.so files and reads those whose names promise no plug-in.
    void scan(const std::vector<std::filesystem::path>& dirs) {
        if (scanned) return;
        scanned = true;
        for (const auto& dir : dirs) {
            std::error_code ec;
            if (!std::filesystem::is_directory(dir, ec)) continue;
            std::vector<std::filesystem::path> paths;
            for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
                if (entry.is_regular_file(ec) && entry.path().extension() == ".so") paths.push_back(entry.path());
            }
            std::sort(paths.begin(), paths.end());
            for (auto& path : paths) {
                auto named = named_plugin(path);
                files.push_back({std::move(path), std::move(named), File::Status::unread, {}});
            }
        }
        for (std::size_t i = 0; i < files.size(); ++i) {
            if (!files[i].named) read(i);
        }
    }

    const Entry* accept(std::size_t i) {
        File& f = files[i];
        f.status = File::Status::accepted;
        entries.push_back({info_of(*f.loaded.descriptor, f.path), std::move(f.loaded.library), f.loaded.descriptor});
        f.loaded = {};
        return &entries.back();
    }

    /// The plug-in `key`: the first file in search order that holds it, loading the files named for it
    /// until one is accepted. Later files that hold it are rejected (those named for it unread).
    const Entry* resolve(const std::vector<std::filesystem::path>& dirs, const Key& key) {
        scan(dirs);
        if (const auto it = resolved.find(key); it != resolved.end()) return it->second;
        const Entry* winner = nullptr;
        for (std::size_t i = 0; i < files.size(); ++i) {
            File& f = files[i];
            if (f.named) {
                if (*f.named != key || f.status == File::Status::rejected) continue;
                if (winner != nullptr) {
                    reject(i, already_provided(f.path, key, winner->info.file));
                    continue;
                }
                read(i);
            } else if (f.status != File::Status::offered || key_of(*f.loaded.descriptor) != key) {
                continue;
            } else if (winner != nullptr) {
                reject(i, already_provided(f.path, key, winner->info.file));
                continue;
            }
            if (f.status == File::Status::offered) winner = accept(i);
        }
        resolved.emplace(key, winner);
        return winner;
    }

    /// Every plug-in of `kind` (of every kind: none), found: sorted by kind, then name.
    std::vector<PluginInfo> list(const std::vector<std::filesystem::path>& dirs, std::optional<PluginKind> kind) {
        scan(dirs);
        std::vector<Key> keys;
        for (const auto& f : files) {
            if (f.named) keys.push_back(*f.named);
            else if (f.status == File::Status::offered) keys.push_back(key_of(*f.loaded.descriptor));
        }
        for (const auto& key : keys) {
            if (!kind || key.first == *kind) (void)resolve(dirs, key);
        }
        std::vector<PluginInfo> all;
        for (const auto& [key, entry] : resolved) {
            if (entry != nullptr && (!kind || key.first == *kind)) all.push_back(entry->info);
        }
        return all;  // the map's order: kind, then name
    }

    /// The names of the plug-ins of `kind` (of every kind: none) that the files promise, without loading
    /// any more of them: the names of the files named soma_KIND_NAME.so not rejected so far, and the
    /// plug-ins found in the others. Sorted, each once.
    std::vector<std::string> known_names(const std::vector<std::filesystem::path>& dirs, std::optional<PluginKind> kind) {
        scan(dirs);
        std::vector<std::string> known;
        const auto add = [&](const Key& key) {
            if (!kind || key.first == *kind) known.push_back(key.second);
        };
        for (const auto& f : files) {
            if (f.status == File::Status::rejected) continue;
            if (f.named) add(*f.named);
            else if (f.status == File::Status::offered) add(key_of(*f.loaded.descriptor));
        }
        for (const auto& [key, entry] : resolved) {
            if (entry != nullptr) add(key);
        }
        std::ranges::sort(known);
        known.erase(std::unique(known.begin(), known.end()), known.end());
        return known;
    }

    std::string not_found(const std::vector<std::filesystem::path>& dirs, PluginKind kind, std::string_view name) {
        const std::vector<std::string> known = known_names(dirs, kind);
        std::vector<std::string> searched;
        for (const auto& d : dirs) searched.push_back(d.string());
        // Files named for it that were refused come first: they are what the user meant.
        std::vector<std::string> refused, others;
        for (const auto& [file, reason] : rejected_in_order()) {
            const auto& named = files[file].named;
            (named && named->first == kind && named->second == name ? refused : others).push_back(reason);
        }
        std::string message =
            refused.empty()
                ? unknown_name_message(std::string(to_string(kind)) + " plug-in", name, known)
                : fmt::format("{} plug-in '{}' cannot be used: {}.", to_string(kind), name, fmt::join(refused, "; "));
        message += fmt::format(" Searched: {} (set SOMA_PLUGIN_PATH to add directories).", fmt::join(searched, ", "));
        for (const auto& reason : others) message += fmt::format(" Rejected: {}.", reason);
        return message;
    }

    /// `rejected` in search order (file index), not in the order the files were read.
    std::vector<std::pair<std::size_t, std::string>> rejected_in_order() const {
        auto order = rejected;
        std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        return order;
    }

    std::vector<RejectedFile> rejected_files() const {
        std::vector<RejectedFile> out;
        for (auto& [file, reason] : rejected_in_order()) out.push_back({files[file].path, std::move(reason)});
        return out;
    }
};

PluginRegistry::PluginRegistry(std::vector<std::filesystem::path> dirs) : state_(std::make_unique<State>()) {
    // A directory named twice (e.g. in SOMA_PLUGIN_PATH and as the built-in one) is searched once.
    for (auto& dir : dirs) {
        std::error_code ec;
        const auto canonical = std::filesystem::weakly_canonical(dir, ec);
        const bool seen = std::any_of(dirs_.begin(), dirs_.end(), [&](const auto& d) {
            std::error_code ec2;
            return std::filesystem::weakly_canonical(d, ec2) == canonical;
        });
        if (!seen) dirs_.push_back(std::move(dir));
    }
}

PluginRegistry::PluginRegistry() : PluginRegistry(default_search_path()) {}
PluginRegistry::~PluginRegistry() = default;
PluginRegistry::PluginRegistry(PluginRegistry&&) noexcept = default;
PluginRegistry& PluginRegistry::operator=(PluginRegistry&&) noexcept = default;

std::filesystem::path PluginRegistry::builtin_plugin_dir() {
    const auto self = boost::dll::this_line_location();
    return std::filesystem::path(self.parent_path().string()) / "soma" / "plugins";
}

std::vector<std::filesystem::path> PluginRegistry::default_search_path() {
    std::vector<std::filesystem::path> dirs;
    if (const char* env = std::getenv("SOMA_PLUGIN_PATH")) {
        std::string_view rest(env);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const auto part = rest.substr(0, colon);
            if (!part.empty()) dirs.emplace_back(part);
            rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        }
    }
    dirs.push_back(builtin_plugin_dir());
    return dirs;
}

const std::vector<std::filesystem::path>& PluginRegistry::search_path() const { return dirs_; }

std::vector<PluginInfo> PluginRegistry::plugins() const {
    const std::lock_guard lock(state_->mutex);
    return state_->list(dirs_, std::nullopt);
}

std::vector<PluginInfo> PluginRegistry::plugins(PluginKind kind) const {
    const std::lock_guard lock(state_->mutex);
    return state_->list(dirs_, kind);
}

std::vector<RejectedFile> PluginRegistry::rejected() const {
    const std::lock_guard lock(state_->mutex);
    state_->scan(dirs_);
    return state_->rejected_files();
}

std::vector<PluginInfo> PluginRegistry::loaded() const {
    const std::lock_guard lock(state_->mutex);
    std::vector<PluginInfo> out;
    for (const auto& e : state_->entries) out.push_back(e.info);
    return out;
}

const PluginInfo* PluginRegistry::lookup(PluginKind kind, std::string_view name) const {
    const std::lock_guard lock(state_->mutex);
    const auto* entry = state_->resolve(dirs_, {kind, std::string(name)});
    return entry != nullptr ? &entry->info : nullptr;
}

const PluginInfo& PluginRegistry::find(PluginKind kind, std::string_view name) const {
    const std::lock_guard lock(state_->mutex);
    if (const auto* entry = state_->resolve(dirs_, {kind, std::string(name)})) return entry->info;
    throw PluginError(state_->not_found(dirs_, kind, name));
}

std::string PluginRegistry::unknown_plugin_message(std::string_view name, std::string_view listing) const {
    const std::lock_guard lock(state_->mutex);
    const std::vector<std::string> known = state_->known_names(dirs_, std::nullopt);
    std::vector<std::string> dirs;
    for (const auto& d : dirs_) dirs.push_back(d.string());
    return fmt::format("{} Searched: {}. ({} shows them all.)", unknown_name_message("plug-in", name, known),
                       fmt::join(dirs, ", "), listing);
}

std::shared_ptr<Component> PluginRegistry::create(PluginKind kind, std::string_view name) const {
    const State::Entry* entry = nullptr;
    {
        const std::lock_guard lock(state_->mutex);
        entry = state_->resolve(dirs_, {kind, std::string(name)});
        if (entry == nullptr) throw PluginError(state_->not_found(dirs_, kind, name));
    }
    // An entry never changes once made, so the plug-in's own code runs outside the lock. Whatever its
    // factory throws reaches the caller as a soma::Error naming the plug-in.
    std::unique_ptr<Component> object = guard_plugin_call(kind, name, entry->info.file, "failed to construct",
                                                          [&] { return entry->descriptor->create(); });
    if (object == nullptr) {
        throw PluginError(
            fmt::format("{} plug-in '{}' ({}) made no object", to_string(kind), name, entry->info.file.string()));
    }
    // The holder owns the library and the object; members are destroyed in reverse order, so the
    // object (whose code lives in the library) goes first and the library is unloaded after it.
    struct Holder {
        std::shared_ptr<boost::dll::shared_library> library;
        std::unique_ptr<Component> object;
    };
    auto holder = std::make_shared<Holder>(Holder{entry->library, std::move(object)});
    Component* raw = holder->object.get();
    return {std::move(holder), raw};
}

void PluginRegistry::load_in_child_first(bool on) {
    const std::lock_guard lock(state_->mutex);
    state_->probe_in_child = on;
}

PluginInfo PluginRegistry::inspect(const std::filesystem::path& file) {
    const auto loaded = load(file);
    return info_of(*loaded.descriptor, file);
}

}  // namespace soma
