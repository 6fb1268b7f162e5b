/// @file optimizer.cpp
/// The optimiser module (optimizer.hpp): pagmo2's pso_gen or gaco over a user-defined problem whose
/// batch fitness is the caller's, evaluated through pagmo's member_bfe (one call per generation).

#include "optimizer.hpp"

#include <boost/dll/alias.hpp>
#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/gaco.hpp>
#include <pagmo/algorithms/pso_gen.hpp>
#include <pagmo/batch_evaluators/member_bfe.hpp>
#include <pagmo/bfe.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/types.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace soma::fitting::detail {
namespace {

/// gaco's solution archive ("kernel") holds at most this many solutions (pagmo's default, 63), and at most
/// the population (pagmo refuses a larger one); pagmo's gaco reads its first two solutions, so it needs 2.
constexpr std::size_t gaco_kernel = 63;

/// pagmo's user-defined problem; copies share the request, which outlives them.
struct Problem {
    const OptimizerRequest* request = nullptr;

    [[nodiscard]] pagmo::vector_double fitness(const pagmo::vector_double& x) const { return batch_fitness(x); }
    [[nodiscard]] std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
        return {request->low, request->high};
    }
    [[nodiscard]] pagmo::vector_double batch_fitness(const pagmo::vector_double& dvs) const {
        return request->batch_fitness(dvs);
    }
    [[nodiscard]] bool has_batch_fitness() const { return true; }
    [[nodiscard]] std::string get_name() const { return "soma fit"; }
};

void optimize(const OptimizerRequest& request) {
    const pagmo::problem problem{Problem{&request}};
    const pagmo::bfe bfe{pagmo::member_bfe{}};
    pagmo::population population(problem, bfe, request.population, request.seed);
    const auto generations = static_cast<unsigned>(request.generations);
    pagmo::algorithm algorithm;
    if (!request.ant_colony) {
        pagmo::pso_gen uda(generations, 0.7298, 2.05, 2.05, 0.5, 5u, 2u, 4u, false, request.seed + 1);
        uda.set_bfe(bfe);
        algorithm = pagmo::algorithm{uda};
    } else {
        const auto kernel = static_cast<unsigned>(std::min(gaco_kernel, request.population));
        pagmo::gaco uda(generations, kernel, 1.0, 0., 0.01, 1u, 7u, 100000u, 100000u, 0., false, request.seed + 1);
        uda.set_bfe(bfe);
        algorithm = pagmo::algorithm{uda};
    }
    (void)algorithm.evolve(population);
}

}  // namespace
}  // namespace soma::fitting::detail

BOOST_DLL_ALIAS(soma::fitting::detail::optimize, soma_fit_optimize)
