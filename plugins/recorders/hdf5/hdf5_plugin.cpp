/// @file hdf5_plugin.cpp
/// The `hdf5` recorder's plug-in file: its descriptor, and a factory that loads the writer library
/// `hdf5/soma_hdf5_writer.so` (hdf5.cpp, which documents the files written) from beside this file on the
/// first recorder made. The registry loads every plug-in file at start-up; the HDF5 library and its
/// dependencies are loaded only by runs that use this recorder. The writer stays loaded until this
/// plug-in is unloaded, after the last recorder (the registry destroys instances before unloading).
/// @throws soma::PluginError naming the writer's path when it is missing or cannot be loaded.

#include "soma/error.hpp"
#include "soma/plugin.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>

#include <memory>

namespace soma::recorders {
namespace {

std::unique_ptr<Component> create_hdf5() {
    using Make = std::unique_ptr<Component>();
    static boost::dll::shared_library writer;  // loaded once; unloaded with this plug-in
    if (!writer.is_loaded()) {
        const auto path = boost::dll::this_line_location().parent_path() / "hdf5" / "soma_hdf5_writer.so";
        try {
            writer.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
        } catch (const std::exception& e) {
            throw PluginError(fmt::format("recorder plug-in 'hdf5' cannot load its writer library '{}': {} "
                                          "(it is installed with the plug-in; reinstall Soma)",
                                          path.string(), e.what()));
        }
    }
    return writer.get_alias<Make>("soma_hdf5_make")();
}

}  // namespace
}  // namespace soma::recorders

SOMA_PLUGIN_FACTORY(soma::PluginKind::recorder, soma::recorders::create_hdf5, "hdf5", "1.0.0",
                    "SONATA HDF5 files of spike times and of each recorded variable (SONATA developer guide, "
                    "Output file formats)")
