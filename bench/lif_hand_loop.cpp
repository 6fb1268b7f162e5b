/// @file lif_hand_loop.cpp
/// Benchmark baseline: the work of
///
///     soma run --model lif --stimulus dc --set stimulus.amplitude=2 --set model.tau_m=10 --set model.R=10
///              --set model.V_th=15 --set model.t_ref=2 --t-stop 10000 --dt 0.01 --recorder none
///
/// written by hand as one tight loop: one leaky integrate-and-fire cell, forward Euler.
///
/// Same model as the `lif` plug-in: tau_m dv/dt = -(v - V_rest) + R I, v held at V_reset for t_ref
/// after a spike (W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge University Press
/// 2002, section 4.1.1, Eq. (4.3)-(4.5), p.94). Same integrator and spike handling as `euler` with
/// locate_spikes = 1 (framework/src/fixed_step.cpp): the crossing of V_th is located on the straight
/// line between the step's end points, v is reset there, and the rest of the step is integrated
/// again from the reset state, the refractory test allowing 1e-9 ms of slack; the step in which a
/// refractory period ends is split there (held up to 2e-9 ms before the end, free from the end on,
/// framework/include/soma/refractory.hpp). The arithmetic is in the plug-ins' order, so the spike
/// times are bit-identical to Soma's.
///
/// usage: soma_bench_lif_loop [--t-stop MS] [--dt MS] [--amplitude NA] [--tau-m MS] [--R MOHM] [--V-rest MV]
///                            [--V-th MV] [--V-reset MV] [--V-init MV] [--t-ref MS] [--spikes FILE]
/// Defaults: 10000 ms at dt 0.01 ms (10^6 steps), 2 nA, tau_m 10 ms, R 10 MOhm, V_rest 0 mV,
/// V_th 15 mV, V_reset 0 mV, V_init 0 mV, t_ref 2 ms. Prints the number of spikes and the first
/// spike time in the format of `soma run`; with --spikes writes them as the csv recorder's
/// `_spikes.csv` (header `cell,t (ms)`); to stderr the time spent in the loop.

#include "bench_options.hpp"

#include <fmt/format.h>
#include <fmt/os.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

namespace {

constexpr double slack = 1e-9;  // ms, as the plug-in's refractory comparison

const soma::bench::Options options("soma_bench_lif_loop",
    "usage: soma_bench_lif_loop [--t-stop MS] [--dt MS] [--amplitude NA] [--tau-m MS] [--R MOHM] [--V-rest MV]\n"
    "                           [--V-th MV] [--V-reset MV] [--V-init MV] [--t-ref MS] [--spikes FILE]");


}  // namespace

int main(int argc, char** argv) {
    double t_stop = 10000.0, dt = 0.01;                   // ms
    double amplitude = 2.0;                               // nA
    double tau_m = 10.0, R = 10.0;                        // ms, MOhm
    double V_rest = 0.0, V_th = 15.0, V_reset = 0.0, V_init = 0.0;  // mV
    double t_ref = 2.0;                                   // ms
    std::optional<std::string> spikes_file;
    const bool run = options.parse(argc, argv, [&](std::string_view arg, std::string_view value) {
        if (arg == "--t-stop") t_stop = options.number(arg, value);
        else if (arg == "--dt") dt = options.number(arg, value);
        else if (arg == "--amplitude") amplitude = options.number(arg, value);
        else if (arg == "--tau-m") tau_m = options.number(arg, value);
        else if (arg == "--R") R = options.number(arg, value);
        else if (arg == "--V-rest") V_rest = options.number(arg, value);
        else if (arg == "--V-th") V_th = options.number(arg, value);
        else if (arg == "--V-reset") V_reset = options.number(arg, value);
        else if (arg == "--V-init") V_init = options.number(arg, value);
        else if (arg == "--t-ref") t_ref = options.number(arg, value);
        else if (arg == "--spikes") spikes_file = std::string(value);
        else options.error(fmt::format("unknown option '{}'", arg));
    });
    if (!run) return 0;
    if (dt <= 0 || t_stop < dt) options.error("need dt > 0 and t_stop >= dt");
    if (tau_m <= 0 || R <= 0 || t_ref < 0 || V_reset >= V_th) {
        options.error("need tau_m > 0, R > 0, t_ref >= 0 and V_reset < V_th");
    }
    const auto n_steps = static_cast<std::size_t>(std::llround(t_stop / dt));

    // dv/dt at time t for v (the plug-in's `derivatives`): 0 while refractory.
    double refractory_end = -std::numeric_limits<double>::infinity();
    const auto dvdt = [&](double t, double v) {
        return t < refractory_end - slack ? 0.0 : (-(v - V_rest) + R * amplitude) / tau_m;
    };
    // fixed_step.cpp's advance_cell: v0 at t0 to v1 at t1, split at the end of the refractory period
    // when it falls inside; returns where the free part starts and v there ({t0, v0} without a split).
    const auto advance = [&](double t0, double t1, double v0, double& v1) -> std::pair<double, double> {
        const double held_until = refractory_end - 2 * slack;
        if (!(held_until > t0 && held_until < t1)) {
            v1 = v0 + dvdt(t0, v0) * (t1 - t0);
            return {t0, v0};
        }
        const double v_free = v0 + dvdt(t0, v0) * (held_until - t0);
        v1 = refractory_end < t1 ? v_free + dvdt(refractory_end, v_free) * (t1 - refractory_end) : v_free;
        return {std::min(refractory_end, t1), v_free};
    };
    // fixed_step.cpp's crosses: from below to at least V_th, and finite.
    const auto crosses = [&](double v0, double v1) {
        return v0 < V_th && v1 >= V_th && v1 <= std::numeric_limits<double>::max();
    };

    const auto start = std::chrono::steady_clock::now();
    std::vector<double> spikes;
    double v = V_init;
    bool release_pending = false;  // a refractory period that ends after the step of its spike
    for (std::size_t i = 0; i < n_steps; ++i) {
        const double t = static_cast<double>(i) * dt;
        const double t_end = t + dt;
        double v_end = v + dvdt(t, v) * dt;
        double t0 = t, v_start = v;
        if (release_pending && refractory_end - 2 * slack < t_end) {
            release_pending = false;
            std::tie(t0, v_start) = advance(t, t_end, v, v_end);
        }
        if (crosses(v, v_end)) {
            // fixed_step.cpp's resolve: locate, reset, integrate the rest of the step; repeat.
            while (crosses(v_start, v_end)) {
                const double s = v_end == V_th ? 1.0 : (V_th - v_start) / (v_end - v_start);
                const double t_spike = std::min(t0 + s * (t_end - t0), t_end);
                spikes.push_back(t_spike);
                refractory_end = t_spike + t_ref;
                release_pending = refractory_end - 2 * slack >= t_end;
                if (t_spike >= t_end) {
                    v_end = V_reset;
                    break;
                }
                const auto [t_free, v_free] = advance(t_spike, t_end, V_reset, v_end);
                t0 = t_free;
                v_start = t_free == t_spike ? V_reset : v_free;
            }
        }
        v = v_end;
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    if (!std::isfinite(v)) {
        fmt::print(stderr, "soma_bench_lif_loop: v became NaN or infinite\n");
        return 1;
    }
    if (spikes_file) {
        try {
            auto out = fmt::output_file(*spikes_file);
            out.print("cell,t (ms)\n");
            for (const double t : spikes) out.print("0,{}\n", t);
        } catch (const std::system_error& e) {
            fmt::print(stderr, "soma_bench_lif_loop: cannot write '{}': {}\n", *spikes_file, e.what());
            return 1;
        }
    }
    fmt::print("hand loop: lif with dc {} nA, {} ms at dt = {} ms ({} steps)\n", amplitude, t_stop, dt, n_steps);
    if (spikes.empty()) fmt::print("  no spikes\n");
    else fmt::print("  {} spike(s), first at t = {:.6g} ms\n", spikes.size(), spikes.front());
    fmt::print(stderr, "  loop: {:.4f} s ({:.1f} ns/step), final v = {} mV\n", elapsed.count(),
               1e9 * elapsed.count() / static_cast<double>(n_steps), v);
    return 0;
}
