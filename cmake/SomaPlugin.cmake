# soma_add_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...])
# Builds one Soma plug-in: a shared library loaded at run time by name (Boost.DLL).
#
# This one file serves both Soma's own build (plugins/) and projects that build plug-ins against an
# installed Soma: `find_package(Soma)` includes it from <prefix>/lib/cmake/Soma, next to the imported
# target Soma::framework (in Soma's own tree, Soma::framework is an alias of the framework library).
#
# The plug-in is a MODULE library named <target>.so (no "lib" prefix), compiled as C++20 with hidden
# symbols (only the descriptor alias that SOMA_PLUGIN exports is visible, so plug-ins never clash),
# linked with -Wl,--no-undefined (a plug-in that would fail at its first call fails to build instead)
# and against Soma::framework, which brings the headers and their usage requirements (Boost headers,
# fmt). Extra libraries go after LIBRARIES.
#
# Where it goes (variables read when the function is called; set them before calling it to change them):
#   SOMA_PLUGIN_OUTPUT_DIRECTORY  the build output; default <project build dir>/plugins
#                                 (Soma's own build sets <build>/lib/soma/plugins). Point
#                                 SOMA_PLUGIN_PATH at it to run the plug-in without installing it.
#   SOMA_PLUGIN_INSTALL_DIR       the `cmake --install` destination, relative to the install prefix;
#                                 default ${CMAKE_INSTALL_LIBDIR}/soma/plugins, which is the directory an
#                                 installed `soma` searches by itself when the prefix is Soma's own.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(soma_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;LIBRARIES")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "soma_add_plugin(${target}): unexpected arguments '${ARG_UNPARSED_ARGUMENTS}'; "
                        "usage: soma_add_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...])")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "soma_add_plugin(${target}): no SOURCES given")
  endif()
  if(NOT TARGET Soma::framework)
    message(FATAL_ERROR "soma_add_plugin(${target}): the target Soma::framework does not exist; "
                        "call find_package(Soma REQUIRED) first")
  endif()
  if(DEFINED SOMA_PLUGIN_OUTPUT_DIRECTORY)
    set(output_dir "${SOMA_PLUGIN_OUTPUT_DIRECTORY}")
  else()
    set(output_dir "${PROJECT_BINARY_DIR}/plugins")
  endif()
  if(DEFINED SOMA_PLUGIN_INSTALL_DIR)
    set(install_dir "${SOMA_PLUGIN_INSTALL_DIR}")
  else()
    set(install_dir "${CMAKE_INSTALL_LIBDIR}/soma/plugins")
  endif()

  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Soma::framework ${ARG_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${output_dir}"
    # Installed, the plug-in finds libsoma relative to itself when both are in one prefix
    # (<libdir>/soma/plugins -> <libdir>), and otherwise through the absolute directory it was linked
    # against (an installed Soma in another prefix); no LD_LIBRARY_PATH either way.
    INSTALL_RPATH_USE_LINK_PATH ON)
  if(NOT IS_ABSOLUTE "${install_dir}" AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    file(RELATIVE_PATH to_libdir "/prefix/${install_dir}" "/prefix/${CMAKE_INSTALL_LIBDIR}")
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${to_libdir}")
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION "${install_dir}")
endfunction()
