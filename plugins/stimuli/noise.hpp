#pragma once
/// @file noise.hpp
/// The random stream of the noise stimuli `ou` and `white`: N(c, i), the standard normal number of cell c
/// (population index) at step i, which depends only on (seed, position, c, i).
///
/// Exactly, so that another program can reproduce it (all integers unsigned):
///   key     = {seed mod 2^32, seed div 2^32}: the run's --seed, or the stimulus's own `seed` parameter;
///   counter = {c, i div 2^32, position, i mod 2^32}, with `position` the stimulus's stream word
///             (StimulusGrid::position: the FNV-1a hash of its label, so the noise follows the label);
///   r       = Philox4x32-10(counter, key) (Random123's r123::Philox4x32_R<10>; Salmon et al. 2011, SC'11),
///             four 32-bit words; w0 = r[0] + 2^32 r[1], w1 = r[2] + 2^32 r[3];
///   N(c, i) = sqrt(-2 ln u01(w1)) sin(pi uneg11(w0)): the first output of Random123's Box-Muller transform
///             r123::boxmuller(w0, w1) (<Random123/boxmuller.hpp>; Box & Muller 1958, Ann. Math. Stat. 29:610),
///             where u01 maps a 64-bit word to (0, 1] and uneg11 to [-1, 1] (<Random123/uniform.hpp>), so the
///             logarithm is finite.
/// One Philox block per cell and step, so the layout covers 2^32 cells, 2^64 steps and 2^32 stimuli. The
/// words are in this order so that the noise does not reuse the blocks of the per-cell random parameter
/// values of the same seed (cell_values.cpp: counter {c mod 2^32, c div 2^32, 32-bit hash of the
/// parameter's name, 0}): the two coincide only at step 0 of a stimulus whose position equals such a hash.
///
/// Hence a cell's noise is the same whatever the number of threads, the chunking of the population, the
/// population's size (cell c's noise does not depend on N) or, later, the MPI ranks; the same seed gives
/// the same numbers bit for bit with the same C library (ln, sin and cos come from the system's libm).
///
/// Stimuli stay stateless kernels: `prepare` writes each cell's stream (population index, the key's halves
/// and the position, as exact doubles) into the first rows of the stimulus's derived per-cell arrays
/// (StimulusCells::derived), from which `current` draws.

#include "soma/error.hpp"
#include "soma/parameter.hpp"
#include "soma/stimulus.hpp"

#include <Random123/boxmuller.hpp>
#include <Random123/philox.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace soma::stimuli::noise {

/// The derived rows of a cell's stream, first in a noise stimulus's derived_variables().
enum StreamRow : std::size_t { stream_cell, stream_key_low, stream_key_high, stream_position };
/// Number of stream rows; a stimulus's own derived rows follow them.
inline constexpr std::size_t stream_rows = 4;

/// The Variables of the stream rows, in StreamRow order.
inline std::vector<Variable> stream_derived() {
    return {{"noise_cell", "1", "population index of the cell (Philox counter word 0)"},
            {"noise_key_low", "1", "seed mod 2^32 (Philox key word 0)"},
            {"noise_key_high", "1", "seed div 2^32 (Philox key word 1)"},
            {"noise_position", "1", "the stimulus's stream word, a hash of its label (Philox counter word 2)"}};
}

/// Largest value of the `seed` parameter: 2^53, below which doubles hold every whole number.
inline constexpr double max_seed = 9007199254740992.0;

/// The optional `seed` parameter of a noise stimulus; -1 (the default) takes the run's --seed.
inline ParameterSpec seed_spec() {
    return {"seed", "1", -1.0, Range::at_least(-1.0), "seed of this stimulus's noise, a whole number; -1: the run's --seed"};
}

/// @throws ParameterError unless `seed` is a whole number up to max_seed (the schema's range checks >= -1).
inline void check_seed(double seed) {
    if (seed != std::floor(seed) || seed > max_seed) {
        throw ParameterError(fmt::format("parameter 'seed' = {} is not a whole number in [-1, 2^53]; allowed: -1 (the "
                                         "run's --seed) or a whole number from 0 to 2^53 = 9007199254740992, e.g. {}",
                                         seed, std::min(std::floor(seed), max_seed)));
    }
}

/// N(c, i) of the recipe above for the 64-bit `key`, cell `cell`, stimulus `position` and step `step`.
inline double standard_normal(std::uint64_t key, std::uint32_t cell, std::uint32_t position, std::uint64_t step) {
    using Philox = r123::Philox4x32_R<10>;
    const Philox::ctr_type counter{
        {cell, static_cast<std::uint32_t>(step >> 32), position, static_cast<std::uint32_t>(step)}};
    const Philox::key_type k{{static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)}};
    const Philox::ctr_type r = Philox()(counter, k);
    return r123::boxmuller(r[0] | std::uint64_t{r[1]} << 32, r[2] | std::uint64_t{r[3]} << 32).x;
}

/// N(c, step) of the view's cell `c` (not its population index: that is in its stream rows).
inline double standard_normal(const StimulusCells& cells, std::size_t c, std::uint64_t step) {
    const BatchView& d = cells.derived;
    const std::uint64_t key =
        static_cast<std::uint64_t>(d.at(stream_key_low, c)) | static_cast<std::uint64_t>(d.at(stream_key_high, c)) << 32;
    return standard_normal(key, static_cast<std::uint32_t>(d.at(stream_cell, c)),
                           static_cast<std::uint32_t>(d.at(stream_position, c)), step);
}

/// Writes the stream rows of every cell of `cells`, whose first is population cell `first_cell`: the key
/// is the cell's parameter `seed` (row `seed_row` of the parameters) unless that is -1, then the run's
/// grid.seed.
/// @throws ParameterError if a population index or the position does not fit the counter's 32-bit words.
inline void prepare_streams(std::string_view stimulus, const StimulusGrid& grid, const StimulusCells& cells,
                            std::size_t first_cell, std::size_t seed_row) {
    constexpr std::uint64_t words = std::uint64_t{1} << 32;
    if (grid.position >= words || first_cell + cells.count() > words) {
        throw ParameterError(fmt::format("stimulus '{}': its noise covers 2^32 cells and 2^32 stimuli, but this run "
                                         "has {} cells and the stimulus is at position {}; split the population",
                                         stimulus, first_cell + cells.count(), grid.position));
    }
    for (std::size_t c = 0; c < cells.count(); ++c) {
        const double seed = cells.parameters.at(seed_row, c);
        const std::uint64_t key = seed < 0 ? grid.seed : static_cast<std::uint64_t>(seed);
        cells.derived.at(stream_cell, c) = static_cast<double>(first_cell + c);
        cells.derived.at(stream_key_low, c) = static_cast<double>(key & (words - 1));
        cells.derived.at(stream_key_high, c) = static_cast<double>(key >> 32);
        cells.derived.at(stream_position, c) = static_cast<double>(grid.position);
    }
}

}  // namespace soma::stimuli::noise
