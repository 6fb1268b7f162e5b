# soma_add_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...])
# Builds one Soma plug-in: a shared library loaded at run time by name (Boost.DLL).
# Symbols are hidden by default (only the descriptor alias is exported) and undefined symbols are
# refused at link time, so a plug-in that would fail at its first call fails to build instead.
function(soma_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE soma::framework ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${SOMA_PLUGIN_OUTPUT_DIRECTORY})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/${SOMA_PLUGIN_SUBDIR})
endfunction()
