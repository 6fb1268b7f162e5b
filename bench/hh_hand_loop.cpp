/// @file hh_hand_loop.cpp
/// Benchmark baseline: the work of
///
///     soma run --model hh --stimulus dc --set stimulus.amplitude=10 --t-stop 10000 --dt 0.01
///
/// written by hand as one tight loop, without plug-ins, virtual calls or a batch.
///
/// Same model as the `hh` plug-in: Hodgkin-Huxley with the resting potential at 0 mV, parameters of
/// W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge University Press 2002, Table 2.1,
/// p.36, and the rate functions of plugins/models/hh/hh_rates.hpp. Same integrator as `euler`:
/// forward Euler with the state and the current taken at the start of the step. Same spike
/// detection: an upward crossing of V_spike = 50 mV, its time interpolated linearly inside the step.
/// Same grid: samples at t = i*dt for i < n_steps. The arithmetic is written in the same order as
/// the plug-ins', but with the scalar exp and expm1 of libm, as one cell is written by hand; the `hh`
/// plug-in computes every cell, even one alone, in a block of 8 with libmvec's vector functions (at
/// most 4 ulp from the exact value instead of 1; soma/vector_math.hpp). So the states differ in their
/// last bits; the spike count (684) and the first spike time agree.
///
/// With --csv DIR it also writes DIR/hh-dc.csv (t, v, m, n, h, I, one row per step) and
/// DIR/hh-dc_spikes.csv (cell, t) as the `csv` recorder does: fmt, shortest representation that
/// reads back to the same double. That measures the cost of recording.
///
/// usage: soma_bench_hh_loop [--csv DIR] [--t-stop MS] [--dt MS] [--amplitude UA_PER_CM2] [--v-init MV]
/// Prints the number of spikes and the first spike time in the format of `soma run`, and the time
/// spent in the loop (stderr), so that the compiler cannot drop the work.

#include "bench_options.hpp"
#include "hh_parameters.hpp"
#include "hh_rates.hpp"

#include <fmt/format.h>
#include <fmt/os.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using namespace soma::bench::hh;  // hh_parameters.hpp

const soma::bench::Options options("soma_bench_hh_loop",
                                   "usage: soma_bench_hh_loop [--csv DIR] [--t-stop MS] [--dt MS] "
                                   "[--amplitude UA_PER_CM2] [--v-init MV]");

}  // namespace

int main(int argc, char** argv) {
    double t_stop = 10000.0;   // ms
    double dt = 0.01;          // ms
    double amplitude = 10.0;   // uA/cm^2, constant (dc) current
    // A run-time value, as in the plug-in: a compile-time 0 would let the compiler fold the initial
    // gates' exp/expm1 with its own (correctly rounded) arithmetic, 1 ulp away from libm's.
    double V_init = 0.0;       // mV
    std::optional<std::string> csv_dir;
    const bool run = options.parse(argc, argv, [&](std::string_view arg, std::string_view value) {
        if (arg == "--csv") csv_dir = std::string(value);
        else if (arg == "--t-stop") t_stop = options.number(arg, value);
        else if (arg == "--dt") dt = options.number(arg, value);
        else if (arg == "--amplitude") amplitude = options.number(arg, value);
        else if (arg == "--v-init") V_init = options.number(arg, value);
        else options.error(fmt::format("unknown option '{}'", arg));
    });
    if (!run) return 0;
    if (dt <= 0 || t_stop < dt) options.error("need dt > 0 and t_stop >= dt");
    const auto n_steps = static_cast<std::size_t>(std::llround(t_stop / dt));

    using namespace soma::hh;
    std::optional<fmt::ostream> samples, spikes_out;
    if (csv_dir) {
        try {
            samples.emplace(fmt::output_file(*csv_dir + "/hh-dc.csv"));
            spikes_out.emplace(fmt::output_file(*csv_dir + "/hh-dc_spikes.csv"));
        } catch (const std::system_error& e) {
            fmt::print(stderr, "soma_bench_hh_loop: cannot write into '{}': {}\n", *csv_dir, e.what());
            return 1;
        }
        samples->print("t (ms),v (mV),m (1),n (1),h (1),I (uA/cm^2)\n");
        spikes_out->print("cell,t (ms)\n");
    }

    const auto start = std::chrono::steady_clock::now();
    double v = V_init;
    double m = steady_state(alpha_m(v), beta_m(v));
    double n = steady_state(alpha_n(v), beta_n(v));
    double h = steady_state(alpha_h(v), beta_h(v));
    std::size_t n_spikes = 0;
    double first_spike = -1;
    for (std::size_t i = 0; i < n_steps; ++i) {
        const double t = static_cast<double>(i) * dt;
        const double I = amplitude;
        if (samples) samples->print("{},{},{},{},{},{}\n", t, v, m, n, h, I);

        const double m3h = m * m * m * h;
        const double n2 = n * n;
        const double i_ion = g_Na * m3h * (v - E_Na) + g_K * n2 * n2 * (v - E_K) + g_L * (v - E_L);
        const double dv = (I - i_ion) / C_m;
        const double dm = alpha_m(v) * (1.0 - m) - beta_m(v) * m;
        const double dn = alpha_n(v) * (1.0 - n) - beta_n(v) * n;
        const double dh = alpha_h(v) * (1.0 - h) - beta_h(v) * h;
        const double v_next = v + dv * dt;

        if (v < V_spike && v_next >= V_spike) {
            const double t_spike = t + dt * (V_spike - v) / (v_next - v);
            if (n_spikes == 0) first_spike = t_spike;
            ++n_spikes;
            if (spikes_out) spikes_out->print("0,{}\n", t_spike);
        }
        v = v_next;
        m += dm * dt;
        n += dn * dt;
        h += dh * dt;
    }
    if (samples) {
        samples->close();
        spikes_out->close();
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    if (!std::isfinite(v + m + n + h)) {
        fmt::print(stderr, "soma_bench_hh_loop: the state became NaN or infinite\n");
        return 1;
    }
    fmt::print("hand loop: hh with dc {} uA/cm^2, {} ms at dt = {} ms ({} steps)\n", amplitude, t_stop, dt, n_steps);
    if (n_spikes == 0) fmt::print("  no spikes\n");
    else fmt::print("  {} spike(s), first at t = {:.6g} ms\n", n_spikes, first_spike);
    fmt::print(stderr, "  loop: {:.4f} s ({:.1f} ns/step), final v = {} mV\n", elapsed.count(),
               1e9 * elapsed.count() / static_cast<double>(n_steps), v);
    return 0;
}
