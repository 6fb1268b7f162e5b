#pragma once
/// @file mpi_module.hpp
/// What the MPI module (`<libdir>/soma/soma_mpi.so`, built from mpi_module.cpp when Soma is built with
/// MPI) exports, by Boost.DLL alias, to Parallel (parallel.hpp), which loads it only when an MPI
/// launcher started the process.

#include "soma/distribution.hpp"

#include <memory>
#include <string>

namespace soma::app {

/// Alias "soma_mpi_start": initializes MPI (thread level "funneled": only the main thread
/// communicates) with main's `argc` and `argv`, and returns the run's ranks over a duplicate of
/// MPI_COMM_WORLD. Destroy the distribution before calling mpi_finish.
std::shared_ptr<Distribution> mpi_start(int& argc, char**& argv);
/// Alias "soma_mpi_finish": MPI_Finalize.
void mpi_finish();
/// Alias "soma_mpi_library": the MPI library and its version (MPI_Get_library_version's first line),
/// without initializing MPI.
std::string mpi_library();

}  // namespace soma::app
