#pragma once
/// @file vector_math.hpp
/// SIMD maths for model kernels: blocks of `simd_block` cells whose transcendental functions run as
/// vector calls, with the same code for every cell whatever its position in the range.
///
/// How: GCC vectorizes a loop over a fixed block of cells and calls glibc's libmvec for exp, expm1,
/// log, log1p, sin, cos, pow and tanh when these are declared with the `simd` attribute, as below
/// (glibc declares them so only under -ffast-math, which Soma does not use: it would break the NaN checks).
/// Soma compiles with -fno-math-errno and -fno-trapping-math (no errno writes, so the calls can be
/// vectorized; branches if-converted) and -ffp-contract=off (no fused multiply-adds, so a loop's vector
/// body and its scalar remainder compute the same bits). Accuracy: libmvec's double-precision functions
/// are accurate to 4 ulp at most (glibc manual, "Errors in Math Functions"), against 1 ulp for the
/// scalar ones: a relative error below 1e-15, far inside every tolerance of the validation.
///
/// Exactness (model.hpp): vector and scalar libm functions may differ in the last bits, so a kernel must
/// give every cell the vector path. `for_blocks` does it: the full blocks are computed in place, and a
/// remainder of fewer cells is copied into a local block padded with copies of its last cell and
/// computed by the same (non-inlined) block function, whose loop over a block is one vector iteration. In a source file that includes this header, GCC
/// vectorizes EVERY loop that calls these functions, with a scalar remainder: so every loop over cells
/// that calls one (initial states too) must go through `for_blocks`.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#if defined(__x86_64__) && defined(__GLIBC__) && !defined(__FAST_MATH__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
extern "C" {
__attribute__((simd("notinbranch"))) double exp(double) noexcept;
__attribute__((simd("notinbranch"))) double expm1(double) noexcept;
__attribute__((simd("notinbranch"))) double log(double) noexcept;
__attribute__((simd("notinbranch"))) double log1p(double) noexcept;
__attribute__((simd("notinbranch"))) double sin(double) noexcept;
__attribute__((simd("notinbranch"))) double cos(double) noexcept;
__attribute__((simd("notinbranch"))) double tanh(double) noexcept;
__attribute__((simd("notinbranch"))) double pow(double, double) noexcept;
}
#define SOMA_VECTOR_MATH 1
#else
#define SOMA_VECTOR_MATH 0
#endif

namespace soma {

/// Cells per block of a vectorized kernel: 8 doubles, one AVX-512 register (two AVX2, four SSE2).
inline constexpr std::size_t simd_block = 8;

/// Runs `block(in, out, count)` over `n` cells: `in` and `out` hold pointers to the cells' input and
/// output arrays (each of n doubles). `block` is called once for the full blocks (count = n rounded
/// down to a multiple of simd_block, if not 0) and, for a remainder, once more on a local padded block
/// (count = simd_block). It must loop over the blocks and compute each block of simd_block cells in an
/// inner loop of exactly simd_block iterations marked `#pragma omp simd simdlen(8)`:
///
///     for (std::size_t first = 0; first < count; first += simd_block) {
///     #pragma omp simd simdlen(8)
///         for (std::size_t c = first; c < first + simd_block; ++c) { ... }
///     }
///
/// (Soma compiles with -fopenmp-simd; without the pragma GCC unrolls the short loop and calls the scalar
/// functions; without simdlen(8) it takes its preferred 256-bit width even where AVX-512 is available,
/// two 4-lane calls per block instead of one 8-lane call, which round differently; a single loop over
/// `count` would get a vectorized remainder of another width.) Outputs must not alias inputs. Make `block` a function object whose call
/// operator is `[[gnu::noipa]]` (not inlined, not cloned), so that full blocks and the padded remainder
/// run the same code. One call for all full blocks spares a call per block: 10^4 HH cells ran 20 % faster.
template <std::size_t NIn, std::size_t NOut, class Block>
void for_blocks(std::size_t n, const std::array<const double*, NIn>& in, const std::array<double*, NOut>& out,
                const Block& block) {
    const std::size_t c = n / simd_block * simd_block;  // the full blocks, in one call
    if (c > 0) block(in, out, c);
    if (c == n) return;
    std::array<const double*, NIn> bin;
    std::array<double*, NOut> bout;
    // The padding and copies are plain loops over at most simd_block values: for one cell alone they are
    // most of a step's work, and calls to memmove would cost more than the copies.
    const std::size_t rest = n - c;
    alignas(64) double tin[NIn][simd_block];
    alignas(64) double tout[NOut == 0 ? 1 : NOut][simd_block];
    for (std::size_t k = 0; k < NIn; ++k) {
        const double* from = in[k] + c;
        const double last = from[rest - 1];
        for (std::size_t j = 0; j < simd_block; ++j) tin[k][j] = last;  // a broadcast for a cell alone
        for (std::size_t j = 0; j + 1 < rest; ++j) tin[k][j] = from[j];
        bin[k] = tin[k];
    }
    for (std::size_t k = 0; k < NOut; ++k) bout[k] = tout[k];
    block(bin, bout, simd_block);
    for (std::size_t k = 0; k < NOut; ++k) {
        for (std::size_t j = 0; j < rest; ++j) out[k][c + j] = tout[k][j];
    }
}

}  // namespace soma
