/// @file mpi_module.cpp
/// The MPI module (soma_mpi.so, mpi_module.hpp): MPI through its C API, and a soma::Distribution over
/// MPI_COMM_WORLD. Parallel (parallel.cpp) loads it only under an MPI launcher, so that a plain
/// `soma run` does not load Open MPI's seven libraries (about 1 ms of a 8 ms start).

#include "mpi_module.hpp"

#include "soma/error.hpp"

#include <boost/dll/alias.hpp>
#include <fmt/format.h>
#include <mpi.h>

#include <climits>
#include <cstdint>
#include <numeric>
#include <string_view>

namespace soma::app {
namespace {

/// A run's ranks: a duplicate of MPI_COMM_WORLD (so that no other message can match the engine's), and
/// its ranks on this machine.
class MpiDistribution final : public Distribution {
public:
    MpiDistribution() {
        MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
        int rank = 0, size = 0;
        MPI_Comm_rank(comm_, &rank);
        MPI_Comm_size(comm_, &size);
        rank_ = static_cast<std::size_t>(rank);
        size_ = static_cast<std::size_t>(size);
        MPI_Comm node = MPI_COMM_NULL;
        MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
        int on_node = 1;
        MPI_Comm_size(node, &on_node);
        MPI_Comm_free(&node);
        on_node_ = static_cast<std::size_t>(on_node);
    }
    ~MpiDistribution() override { MPI_Comm_free(&comm_); }

    [[nodiscard]] std::size_t rank() const override { return rank_; }
    [[nodiscard]] std::size_t size() const override { return size_; }
    [[nodiscard]] std::size_t ranks_on_node() const override { return on_node_; }

    [[nodiscard]] std::vector<std::vector<std::byte>> gather(std::span<const std::byte> mine) override {
        // Every rank learns every size, so that all refuse a message too long for MPI's int counts alike.
        const std::uint64_t my_size = mine.size();
        std::vector<std::uint64_t> sizes(size_);
        MPI_Allgather(&my_size, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, comm_);
        check_count(std::accumulate(sizes.begin(), sizes.end(), std::uint64_t{0}));
        std::vector<int> counts(size_), offsets(size_);
        for (std::size_t r = 0; r < size_; ++r) {
            counts[r] = static_cast<int>(sizes[r]);
            offsets[r] = r == 0 ? 0 : offsets[r - 1] + counts[r - 1];
        }
        std::vector<std::byte> all(rank_ == 0 ? static_cast<std::size_t>(offsets.back() + counts.back()) : 0);
        MPI_Gatherv(mine.data(), counts[rank_], MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE, 0,
                    comm_);
        std::vector<std::vector<std::byte>> parts;
        if (rank_ != 0) return parts;
        for (std::size_t r = 0; r < size_; ++r) {
            parts.emplace_back(all.begin() + offsets[r], all.begin() + offsets[r] + counts[r]);
        }
        return parts;
    }

    void broadcast(std::vector<std::byte>& bytes) override {
        std::uint64_t n = bytes.size();
        MPI_Bcast(&n, 1, MPI_UINT64_T, 0, comm_);
        check_count(n);
        bytes.resize(static_cast<std::size_t>(n));
        MPI_Bcast(bytes.data(), static_cast<int>(n), MPI_BYTE, 0, comm_);
    }

private:
    /// Every rank calls it with the same count, so all throw alike.
    static void check_count(std::uint64_t bytes) {
        if (bytes > static_cast<std::uint64_t>(INT_MAX)) {
            throw RunError(fmt::format("the ranks would exchange {} bytes in one message, more than MPI's limit of "
                                       "{}; record fewer cells or variables (--record, --record-cells)",
                                       bytes, INT_MAX));
        }
    }

    MPI_Comm comm_ = MPI_COMM_NULL;
    std::size_t rank_ = 0, size_ = 1, on_node_ = 1;
};

}  // namespace

std::shared_ptr<Distribution> mpi_start(int& argc, char**& argv) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    return std::make_shared<MpiDistribution>();
}

void mpi_finish() { MPI_Finalize(); }

std::string mpi_library() {
    char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int length = 0;
    MPI_Get_library_version(text, &length);  // allowed before MPI_Init
    const std::string_view library(text, static_cast<std::size_t>(length));
    return std::string(library.substr(0, library.find_first_of(",\n")));
}

}  // namespace soma::app

BOOST_DLL_ALIAS(soma::app::mpi_start, soma_mpi_start)
BOOST_DLL_ALIAS(soma::app::mpi_finish, soma_mpi_finish)
BOOST_DLL_ALIAS(soma::app::mpi_library, soma_mpi_library)
