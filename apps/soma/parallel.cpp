/// @file parallel.cpp
/// Parallel (parallel.hpp): loads the MPI module (mpi_module.hpp) when an MPI launcher started the
/// process, so that a plain run does not load MPI's libraries.

#include "parallel.hpp"

#include "mpi_module.hpp"

#include "soma/error.hpp"
#include "soma/registry.hpp"

#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

namespace soma::app {

/// The loaded MPI module, kept while MPI runs (the distribution's code is in it).
struct Parallel::Module {
    boost::dll::shared_library library;
};

namespace {

/// `<libdir>/soma/soma_mpi.so`, next to the plug-in directory.
std::filesystem::path module_path() {
    return (PluginRegistry::builtin_plugin_dir().parent_path() / "soma_mpi.so").lexically_normal();
}

/// The MPI module, or null when this Soma was built without it; throws if it is there but cannot be
/// loaded. Loaded with its symbols global, as Open MPI's own components, which it loads in turn, need.
std::unique_ptr<Parallel::Module> load_module() {
    const auto path = module_path();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return nullptr;
    auto module = std::make_unique<Parallel::Module>();
    try {
        module->library.load(path.string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_global);
    } catch (const std::exception& e) {
        throw Error(fmt::format("Soma's MPI module '{}' cannot be loaded: {}; is Open MPI installed (Debian: "
                                "libopenmpi3)? Without mpirun, soma runs without it",
                                path.string(), dynamic_loader_reason(e.what(), path)));
    }
    return module;
}

}  // namespace

Parallel::Parallel(int& argc, char**& argv) {
    if (!started_by_mpi_launcher()) return;
    module_ = load_module();
    if (!module_) {
        throw Error(fmt::format("this soma was built without MPI ('{}' does not exist), so it cannot split a run "
                                "over the processes mpirun started (each would simulate every cell and write the "
                                "same files); run it without mpirun, or build Soma with MPI (libopenmpi-dev "
                                "installed, cmake -DSOMA_MPI=ON)",
                                module_path().string()));
    }
    distribution_ = module_->library.get_alias<decltype(mpi_start)>("soma_mpi_start")(argc, argv);
}

Parallel::~Parallel() {
    if (!module_) return;
    distribution_.reset();  // frees its communicator before MPI ends
    module_->library.get_alias<decltype(mpi_finish)>("soma_mpi_finish")();
}

std::string Parallel::build_description() {
    const auto module = load_module();
    if (!module) return "built without MPI";
    return fmt::format("MPI: {}", module->library.get_alias<decltype(mpi_library)>("soma_mpi_library")());
}

}  // namespace soma::app
