/// @file parallel_serial.cpp
/// Parallel (parallel.hpp) in a build without MPI: always one process.

#include "parallel.hpp"

#include "soma/error.hpp"

namespace soma::app {

Parallel::Parallel(int& /*argc*/, char**& /*argv*/) {
    if (started_by_mpi_launcher()) {
        throw Error("this soma was built without MPI, so it cannot split a run over the processes mpirun started "
                    "(each would simulate every cell and write the same files); run it without mpirun, or build "
                    "Soma with MPI (libopenmpi-dev installed, cmake -DSOMA_MPI=ON)");
    }
}
Parallel::~Parallel() = default;

std::string Parallel::build_description() { return "built without MPI"; }

}  // namespace soma::app
