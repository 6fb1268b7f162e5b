#include "soma/registry.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <set>

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

struct PluginRegistry::Entry {
    PluginInfo info;
    std::shared_ptr<boost::dll::shared_library> library;
    const PluginDescriptor* descriptor = nullptr;
};

namespace {

struct Loaded {
    std::shared_ptr<boost::dll::shared_library> library;
    const PluginDescriptor* descriptor = nullptr;
};

bool valid_kind(PluginKind kind) {
    return kind == PluginKind::model || kind == PluginKind::stimulus || kind == PluginKind::integrator ||
           kind == PluginKind::recorder;
}

// Loads `file` and validates its descriptor; throws PluginError with a message naming the file.
Loaded load(const std::filesystem::path& file) {
    auto library = std::make_shared<boost::dll::shared_library>();
    try {
        library->load(boost::dll::fs::path(file.string()),
                      boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        // Boost.DLL's message carries the dynamic loader's (dlerror) text, e.g. "invalid ELF header".
        throw PluginError(fmt::format("cannot load plug-in file '{}': {}", file.string(), e.what()));
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

}  // namespace

PluginRegistry::PluginRegistry(std::vector<std::filesystem::path> dirs) {
    // A directory named twice (e.g. in SOMA_PLUGIN_PATH and as the built-in one) is scanned once.
    for (auto& dir : dirs) {
        std::error_code ec;
        const auto canonical = std::filesystem::weakly_canonical(dir, ec);
        const bool seen = std::any_of(dirs_.begin(), dirs_.end(), [&](const auto& d) {
            std::error_code ec2;
            return std::filesystem::weakly_canonical(d, ec2) == canonical;
        });
        if (!seen) dirs_.push_back(std::move(dir));
    }
    for (const auto& dir : dirs_) scan(dir);
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

void PluginRegistry::scan(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec) && entry.path().extension() == ".so") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        try {
            auto loaded = load(file);
            const auto& d = *loaded.descriptor;
            const auto taken = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
                return e.info.kind == d.kind && e.info.name == d.name;
            });
            if (taken == entries_.end()) {
                entries_.push_back({info_of(d, file), std::move(loaded.library), loaded.descriptor});
            } else {
                rejected_.push_back({file, fmt::format("'{}': {} plug-in '{}' is already provided by '{}', which comes "
                                                       "first in the search path",
                                                       file.string(), to_string(d.kind), d.name,
                                                       taken->info.file.string())});
            }
        } catch (const PluginError& e) {
            rejected_.push_back({file, e.what()});
        }
    }
}

const std::vector<std::filesystem::path>& PluginRegistry::search_path() const { return dirs_; }

std::vector<PluginInfo> PluginRegistry::plugins() const {
    std::vector<PluginInfo> all;
    for (const auto& e : entries_) all.push_back(e.info);
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
    });
    return all;
}

std::vector<PluginInfo> PluginRegistry::plugins(PluginKind kind) const {
    auto all = plugins();
    std::erase_if(all, [&](const auto& p) { return p.kind != kind; });
    return all;
}

const std::vector<RejectedFile>& PluginRegistry::rejected() const { return rejected_; }

const PluginInfo& PluginRegistry::find(PluginKind kind, std::string_view name) const {
    for (const auto& e : entries_) {
        if (e.info.kind == kind && e.info.name == name) return e.info;
    }
    std::vector<std::string> known;
    for (const auto& p : plugins(kind)) known.push_back(p.name);
    std::vector<std::string> dirs;
    for (const auto& d : dirs_) dirs.push_back(d.string());
    std::string message = unknown_name_message(std::string(to_string(kind)) + " plug-in", name, known);
    message += fmt::format(" Searched: {} (set SOMA_PLUGIN_PATH to add directories).", fmt::join(dirs, ", "));
    for (const auto& r : rejected_) message += fmt::format(" Rejected: {}.", r.reason);
    throw PluginError(message);
}

std::string PluginRegistry::unknown_plugin_message(std::string_view name, std::string_view listing) const {
    std::vector<std::string> known;
    for (const auto& p : plugins()) known.push_back(p.name);
    std::vector<std::string> dirs;
    for (const auto& d : dirs_) dirs.push_back(d.string());
    return fmt::format("{} Searched: {}. ({} shows them all.)", unknown_name_message("plug-in", name, known),
                       fmt::join(dirs, ", "), listing);
}

std::shared_ptr<Component> PluginRegistry::create(PluginKind kind, std::string_view name) const {
    const auto& info = find(kind, name);
    const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return &e.info == &info; });
    // The holder owns the library and the object; members are destroyed in reverse order, so the
    // object (whose code lives in the library) goes first and the library is unloaded after it.
    struct Holder {
        std::shared_ptr<boost::dll::shared_library> library;
        std::unique_ptr<Component> object;
    };
    // Whatever the plug-in's constructor throws reaches the caller as a soma::Error naming the plug-in.
    std::unique_ptr<Component> object;
    try {
        object = it->descriptor->create();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw PluginError(fmt::format("{} plug-in '{}' ({}) failed to construct: {}", to_string(kind), name,
                                      info.file.string(), e.what()));
    } catch (...) {
        throw PluginError(fmt::format("{} plug-in '{}' ({}) failed to construct: it threw an object that is not an "
                                      "exception",
                                      to_string(kind), name, info.file.string()));
    }
    if (object == nullptr) {
        throw PluginError(fmt::format("{} plug-in '{}' ({}) made no object", to_string(kind), name, info.file.string()));
    }
    auto holder = std::make_shared<Holder>(Holder{it->library, std::move(object)});
    Component* raw = holder->object.get();
    return {std::move(holder), raw};
}

PluginInfo PluginRegistry::inspect(const std::filesystem::path& file) {
    const auto loaded = load(file);
    return info_of(*loaded.descriptor, file);
}

}  // namespace soma
