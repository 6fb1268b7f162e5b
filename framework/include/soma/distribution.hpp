#pragma once
/// @file distribution.hpp
/// How one run is split over several processes ("ranks", e.g. started by `mpirun -np K soma run`):
/// each rank advances a contiguous range of the population's cells, and rank 0 alone hands samples
/// and spikes to the recorders. libsoma does not depend on any message-passing library: it talks to
/// the other ranks through this interface only, and the `soma` runner provides an MPI implementation
/// when it is built with MPI. The default, SingleProcess, is one rank and does no communication.
///
/// Every member marked "collective" must be called by every rank, in the same order; the engine
/// (Simulation, build_simulation) arranges that even when a rank fails, by agreeing on failures
/// instead of letting one rank throw while the others wait.

#include <boost/config.hpp>

#include <cstddef>
#include <exception>
#include <span>
#include <vector>

namespace soma {

/// The processes of one run. Implementations: SingleProcess here; MPI in the `soma` runner.
class BOOST_SYMBOL_VISIBLE Distribution {
public:
    Distribution() = default;
    Distribution(const Distribution&) = delete;
    Distribution& operator=(const Distribution&) = delete;
    virtual ~Distribution();

    /// This process's index, in [0, size()). Rank 0 writes the outputs and prints.
    [[nodiscard]] virtual std::size_t rank() const = 0;
    /// Number of processes of the run, >= 1.
    [[nodiscard]] virtual std::size_t size() const = 0;
    /// Number of the run's processes on this machine (this one included), >= 1: a rank's default
    /// thread count is the machine's cores divided by it.
    [[nodiscard]] virtual std::size_t ranks_on_node() const = 0;

    /// Collective: every rank's `mine`, on rank 0 as size() parts in rank order (part 0 its own);
    /// empty on the other ranks. The parts may differ in length.
    [[nodiscard]] virtual std::vector<std::vector<std::byte>> gather(std::span<const std::byte> mine) = 0;
    /// Collective: rank 0's `bytes` replace `bytes` on every other rank (any length).
    virtual void broadcast(std::vector<std::byte>& bytes) = 0;
};

/// One process: rank 0 of 1; `gather` returns `mine` as the only part and `broadcast` does nothing.
class BOOST_SYMBOL_VISIBLE SingleProcess final : public Distribution {
public:
    [[nodiscard]] std::size_t rank() const override { return 0; }
    [[nodiscard]] std::size_t size() const override { return 1; }
    [[nodiscard]] std::size_t ranks_on_node() const override { return 1; }
    [[nodiscard]] std::vector<std::vector<std::byte>> gather(std::span<const std::byte> mine) override;
    void broadcast(std::vector<std::byte>& /*bytes*/) override {}
};

/// A rank's share of a population: cells [first, end).
struct CellRange {
    std::size_t first = 0;
    std::size_t end = 0;
    [[nodiscard]] std::size_t count() const { return end - first; }
};

/// The contiguous cells of rank `rank` of `size` in a population of `n_cells`:
/// [n_cells * rank / size, n_cells * (rank + 1) / size). Empty when size > n_cells for some ranks.
[[nodiscard]] BOOST_SYMBOL_VISIBLE CellRange rank_cells(std::size_t n_cells, std::size_t rank, std::size_t size);

/// Collective: agrees on the outcome of a step that each rank did on its own. `local` is this rank's
/// failure, or null. If no rank failed, returns on every rank. Otherwise every rank throws the
/// failure of the lowest failed rank: that rank rethrows `local` itself, the others a soma::Error of
/// the same type (ParameterError, PluginError, RunError, ModelFileError; RunError for any other
/// exception) with the same message.
BOOST_SYMBOL_VISIBLE void agree(Distribution& distribution, const std::exception_ptr& local);

}  // namespace soma
