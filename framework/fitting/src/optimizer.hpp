#pragma once
/// @file optimizer.hpp
/// The boundary between libsoma_fitting and its optimiser module `soma/soma_fit_optimizer.so`
/// (optimizer.cpp), which holds everything of pagmo2. pagmo is loaded only by the runs that fit:
/// linked into libsoma_fitting it made every `soma` process and every `import soma` map and relocate
/// its 21 MB, some 37 MB resident and 16 ms of start-up. Internal to libsoma_fitting (not installed).

#include <cstddef>
#include <functional>
#include <vector>

namespace soma::fitting::detail {

/// One optimisation: minimise `batch_fitness` over the box [low, high] with pagmo2's pso_gen or gaco.
struct OptimizerRequest {
    bool ant_colony = false;      ///< gaco when true, else pso_gen
    std::size_t population = 0;   ///< candidates per generation
    std::size_t generations = 0;
    unsigned seed = 0;            ///< the population's seed; the algorithm's is seed + 1
    std::vector<double> low, high;  ///< bounds, one per dimension
    /// Fitness to minimise of a generation: the candidates' values concatenated (shape [candidates][dims]),
    /// one finite value per candidate returned. What it throws leaves the optimiser unchanged.
    std::function<std::vector<double>(const std::vector<double>&)> batch_fitness;
};

/// The module's entry point, exported under the alias `optimize_alias`: draws the initial population
/// and evolves it for the given generations; the caller keeps the best candidate from batch_fitness.
/// @throws what batch_fitness throws, and pagmo's std::invalid_argument for settings pagmo refuses.
using Optimize = void(const OptimizerRequest&);
inline constexpr const char* optimize_alias = "soma_fit_optimize";

/// The module's entry point, loaded on first use from `soma/soma_fit_optimizer.so` beside libsoma_fitting.
/// @throws soma::Error naming the module's path when it is missing or cannot be loaded.
[[nodiscard]] const std::function<Optimize>& optimizer();

}  // namespace soma::fitting::detail
