/// @file hh_population_loop.cpp
/// Benchmark baseline for populations: the work of
///
///     soma run --model hh --stimulus dc --cells N --set 'stimulus.amplitude=linspace(I_MIN,I_MAX,N)'
///              --t-stop T --dt DT --record spikes --recorder none --threads K
///
/// written by hand: N Hodgkin-Huxley cells, each with its own constant current, advanced with forward
/// Euler, time outside and cells inside, the loop over cells vectorized (`#pragma omp simd`, restrict
/// pointers, glibc's libmvec exp and expm1 declared by soma/vector_math.hpp), the cells split into K
/// contiguous chunks, one std::thread each, that never wait for each other.
///
/// Same model as the `hh` plug-in: Hodgkin-Huxley with the resting potential at 0 mV, parameters of
/// W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge University Press 2002, Table 2.1,
/// p.36 (compile-time constants here), rate functions of plugins/models/hh/hh_rates.hpp. Same
/// integrator as `euler`: y(t + dt) = y(t) + dt f(y(t), I). Same spike: an upward crossing of
/// V_spike = 50 mV, its time on the straight line between the step's end points. Same currents:
/// I_k = k step + I_MIN with step = (I_MAX - I_MIN) / (N - 1) for k < N - 1 and I_MAX for the last cell
/// (numpy.linspace's arithmetic, which soma's linspace follows). The arithmetic is in the plug-ins' order and the vector
/// functions are the same 8-lane libmvec ones, so the spike times are bit-identical to Soma's
/// (bench/population.py checks it with --spikes). Every chunk starts on a multiple of 8 cells and the
/// arrays are padded to one with cells at rest, so that every cell takes the vector path (a scalar
/// remainder would call the scalar exp, whose last bits differ).
///
/// usage: soma_bench_hh_population_loop [--cells N] [--t-stop MS] [--dt MS] [--threads K]
///                                      [--i-min UA_PER_CM2] [--i-max UA_PER_CM2] [--v-init MV] [--spikes FILE]
/// Defaults: 10000 cells, 100 ms, dt 0.01 ms, 1 thread, currents 0 to 20 uA/cm^2. Prints the number
/// of spikes as `soma run` does; with --spikes also writes every spike as `cell,t` rows sorted by
/// (t, cell), as the csv recorder's `_spikes.csv` (header `cell,t (ms)`); to stderr the time spent in
/// the loop.

#include "bench_options.hpp"
#include "hh_parameters.hpp"
#include "hh_rates.hpp"

#include <fmt/format.h>
#include <fmt/os.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using namespace soma::bench::hh;  // hh_parameters.hpp
constexpr std::size_t lanes = 8;  // soma::simd_block: cells per vector of libmvec's AVX-512 exp

const soma::bench::Options options("soma_bench_hh_population_loop",
    "usage: soma_bench_hh_population_loop [--cells N] [--t-stop MS] [--dt MS] [--threads K] "
    "[--i-min UA_PER_CM2] [--i-max UA_PER_CM2] [--v-init MV] [--spikes FILE]");


struct Spike {
    double t;
    std::size_t cell;
};

/// Cells [first, first + n) of the population (n a multiple of `lanes`), all steps. Returns the number of
/// threshold crossings; with `Record`, each crossing's fraction of its step goes to frac (-1 for none)
/// and its spike to `spikes`.
template <bool Record>
std::size_t advance(std::size_t first, std::size_t n, double* __restrict v, double* __restrict m,
                    double* __restrict nk, double* __restrict h, const double* __restrict i_inj, double dt,
                    std::size_t n_steps, double* __restrict frac, std::vector<Spike>& spikes) {
    using namespace soma::hh;
    std::size_t crossings = 0;
    for (std::size_t i = 0; i < n_steps; ++i) {
#pragma omp simd simdlen(8) reduction(+ : crossings)
        for (std::size_t c = 0; c < n; ++c) {
            const double u = v[c];
            const double m3h = m[c] * m[c] * m[c] * h[c];
            const double n2 = nk[c] * nk[c];
            const double i_ion = g_Na * m3h * (u - E_Na) + g_K * n2 * n2 * (u - E_K) + g_L * (u - E_L);
            const double dv = (i_inj[c] - i_ion) / C_m;
            const double dm = alpha_m(u) * (1.0 - m[c]) - beta_m(u) * m[c];
            const double dn = alpha_n(u) * (1.0 - nk[c]) - beta_n(u) * nk[c];
            const double dh = alpha_h(u) * (1.0 - h[c]) - beta_h(u) * h[c];
            const double u_next = u + dv * dt;
            const bool crossed = u < V_spike && u_next >= V_spike;
            crossings += crossed ? 1 : 0;
            if constexpr (Record) {
                // fixed_step.cpp's linear location: s = (V_spike - v0) / (v1 - v0), or 1 if v1 is on it.
                frac[c] = crossed ? (u_next == V_spike ? 1.0 : (V_spike - u) / (u_next - u)) : -1.0;
            }
            v[c] = u_next;
            m[c] = m[c] + dm * dt;
            nk[c] = nk[c] + dn * dt;
            h[c] = h[c] + dh * dt;
        }
        if constexpr (Record) {
            const double t = static_cast<double>(i) * dt, t_end = t + dt;
            for (std::size_t c = 0; c < n; ++c) {
                if (frac[c] >= 0) spikes.push_back({std::min(t + frac[c] * (t_end - t), t_end), first + c});
            }
        }
    }
    return crossings;
}

/// Initial state of n cells (a multiple of `lanes`): v = V_init, gates at their steady state. V_init is
/// read per cell, as in the plug-in: with one value GCC would hoist the rates out of the loop and call
/// the scalar exp.
[[gnu::noipa]] void initialize(std::size_t n, const double* __restrict V_init, double* __restrict v,
                               double* __restrict m, double* __restrict nk, double* __restrict h) {
    using namespace soma::hh;
#pragma omp simd simdlen(8)
    for (std::size_t c = 0; c < n; ++c) {
        const double u = V_init[c];
        v[c] = u;
        m[c] = steady_state(alpha_m(u), beta_m(u));
        nk[c] = steady_state(alpha_n(u), beta_n(u));
        h[c] = steady_state(alpha_h(u), beta_h(u));
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n_cells = 10000, n_threads = 1;
    double t_stop = 100.0;  // ms
    double dt = 0.01;       // ms
    double i_min = 0.0, i_max = 20.0;  // uA/cm^2
    double V_init = 0.0;    // mV
    std::optional<std::string> spikes_file;
    const bool run = options.parse(argc, argv, [&](std::string_view arg, std::string_view value) {
        if (arg == "--cells") n_cells = options.count(arg, value);
        else if (arg == "--threads") n_threads = options.count(arg, value);
        else if (arg == "--t-stop") t_stop = options.number(arg, value);
        else if (arg == "--dt") dt = options.number(arg, value);
        else if (arg == "--i-min") i_min = options.number(arg, value);
        else if (arg == "--i-max") i_max = options.number(arg, value);
        else if (arg == "--v-init") V_init = options.number(arg, value);
        else if (arg == "--spikes") spikes_file = std::string(value);
        else options.error(fmt::format("unknown option '{}'", arg));
    });
    if (!run) return 0;
    if (dt <= 0 || t_stop < dt) options.error("need dt > 0 and t_stop >= dt");
    const auto n_steps = static_cast<std::size_t>(std::llround(t_stop / dt));

    // Padded to whole vectors. The padding cells get no current: HH stays at rest (0 mV, a stable
    // equilibrium), so they never cross V_spike and add nothing to the count.
    const std::size_t n_padded = (n_cells + lanes - 1) / lanes * lanes;
    std::vector<double> v(n_padded), m(n_padded), nk(n_padded), h(n_padded), i_inj(n_padded, 0.0), frac(n_padded);
    const double step = (i_max - i_min) / static_cast<double>(n_cells - 1);
    for (std::size_t k = 0; k + 1 < n_cells; ++k) i_inj[k] = static_cast<double>(k) * step + i_min;
    i_inj[n_cells - 1] = i_max;
    initialize(n_padded, std::vector<double>(n_padded, V_init).data(), v.data(), m.data(), nk.data(), h.data());

    // Chunks of whole vectors: thread k gets vectors [n_vec k / K, n_vec (k + 1) / K).
    const std::size_t n_vectors = n_padded / lanes;
    const std::size_t n_chunks = std::min(n_threads, n_vectors);
    std::vector<std::size_t> crossings(n_chunks, 0);
    std::vector<std::vector<Spike>> spikes(n_chunks);
    const auto start = std::chrono::steady_clock::now();
    {
        std::vector<std::jthread> threads;
        for (std::size_t k = 0; k < n_chunks; ++k) {
            const std::size_t first = lanes * (n_vectors * k / n_chunks);
            const std::size_t n = lanes * (n_vectors * (k + 1) / n_chunks) - first;
            const auto work = [&, k, first, n] {
                const auto run = spikes_file ? advance<true> : advance<false>;
                crossings[k] = run(first, n, &v[first], &m[first], &nk[first], &h[first], &i_inj[first], dt, n_steps,
                                   &frac[first], spikes[k]);
            };
            if (k + 1 == n_chunks) work();  // the last chunk on this thread
            else threads.emplace_back(work);
        }
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    std::size_t n_spikes = 0;
    for (const std::size_t c : crossings) n_spikes += c;
    if (!std::all_of(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n_cells),
                     [](double x) { return std::isfinite(x); })) {
        fmt::print(stderr, "soma_bench_hh_population_loop: the state became NaN or infinite\n");
        return 1;
    }
    if (spikes_file) {
        std::vector<Spike> all;
        for (const auto& s : spikes) all.insert(all.end(), s.begin(), s.end());
        std::ranges::sort(all, [](const Spike& a, const Spike& b) {
            return a.t < b.t || (a.t == b.t && a.cell < b.cell);
        });
        try {
            auto out = fmt::output_file(*spikes_file);
            out.print("cell,t (ms)\n");
            for (const auto& s : all) out.print("{},{}\n", s.cell, s.t);
        } catch (const std::system_error& e) {
            fmt::print(stderr, "soma_bench_hh_population_loop: cannot write '{}': {}\n", *spikes_file, e.what());
            return 1;
        }
    }
    fmt::print("hand loop: hh, {} cells, dc {} to {} uA/cm^2, {} ms at dt = {} ms ({} steps), {} thread(s)\n", n_cells,
               i_min, i_max, t_stop, dt, n_steps, n_chunks);
    fmt::print("  {} cells, {} spike(s)\n", n_cells, n_spikes);
    fmt::print(stderr, "  loop: {:.4f} s ({:.2f} ns per cell and step)\n", elapsed.count(),
               1e9 * elapsed.count() / static_cast<double>(n_steps) / static_cast<double>(n_cells));
    return 0;
}
