#pragma once
/// @file parallel.hpp
/// The `soma` runner's processes: when it was started by an MPI launcher (`mpirun -np K soma ...`, or
/// srun), MPI is initialized for the lifetime of a Parallel object and the run is split over the K
/// ranks (soma::Distribution, distribution.hpp); otherwise, and in a build without MPI, it is one
/// process, and MPI's libraries are not even loaded: they come with the MPI module (mpi_module.hpp),
/// which is loaded only under a launcher.

#include "soma/distribution.hpp"

#include <cstdlib>
#include <memory>
#include <string>

namespace soma::app {

/// Whether an MPI launcher started this process: Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; MPICH's
/// and Slurm's PMI launchers PMI_SIZE; PMIx-based ones PMIX_RANK.
[[nodiscard]] inline bool started_by_mpi_launcher() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
        if (std::getenv(name) != nullptr) return true;
    }
    return false;
}

class Parallel {
public:
    /// Initializes MPI (thread level "funneled": only the main thread communicates) when the
    /// environment shows an MPI launcher; `argc` and `argv` as given to main.
    /// @throws soma::Error when started by an MPI launcher in a build without MPI (each process would
    ///         simulate every cell and write the same files), or when the MPI module cannot be loaded.
    Parallel(int& argc, char**& argv);
    ~Parallel();
    Parallel(const Parallel&) = delete;
    Parallel& operator=(const Parallel&) = delete;

    /// The ranks of this run; null when the process is alone (not started by an MPI launcher).
    [[nodiscard]] const std::shared_ptr<Distribution>& distribution() const { return distribution_; }
    /// This process's rank; 0 when alone.
    [[nodiscard]] std::size_t rank() const { return distribution_ ? distribution_->rank() : 0; }

    /// For `soma --version`: "MPI: <library and version>", or "built without MPI".
    /// @throws soma::Error when the MPI module is there but cannot be loaded.
    [[nodiscard]] static std::string build_description();

    struct Module;

private:
    std::unique_ptr<Module> module_;  // destroyed after the distribution, whose code it holds
    std::shared_ptr<Distribution> distribution_;
};

}  // namespace soma::app
