/// @file hh.cpp
/// Plug-in `hh`: the Hodgkin-Huxley model of the squid giant axon, resting potential shifted to 0 mV.
///
/// Equations and parameter values: W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge
/// University Press 2002, section 2.2.1, Eq. (2.4)-(2.6) and Table 2.1, p.36 (after Hodgkin & Huxley
/// 1952, J. Physiol. 117:500-544); rate functions in hh_rates.hpp.
///
///   C_m dv/dt = I - g_Na m^3 h (v - E_Na) - g_K n^4 (v - E_K) - g_L (v - E_L)
///   dx/dt     = alpha_x(u) (1 - x) - beta_x(u) x,   x in {m, n, h},   u = v - V_rest
///
/// V_rest (default 0) is the potential the rate functions of hh_rates.hpp are referred to: 0 in G&K and
/// the course exercises, -65 mV in NEURON's `hh` mechanism (hh.mod of NEURON 8.2, whose rates are those
/// of G&K at v + 65 mV). The preset `neuron` is NEURON's `hh` with its own defaults: V_rest = V_init =
/// -65 mV, E_Na = 50, E_K = -77 (NEURON's ion defaults), E_L = -54.3 mV (hh.mod; G&K's 10.6 - 65 would be
/// -54.4), and V_spike = -15 mV, 50 mV above rest as by default. At 6.3 degC (NEURON's default celsius)
/// its rates are not scaled, so it gives NEURON's spike times (tests/compare/compare.py).
///
/// Units: v in mV, t in ms, conductances in mS/cm^2, C_m in uF/cm^2, I in uA/cm^2. Every parameter
/// may differ between cells (the kernels read each cell's values).
/// State variables, in storage order: v, m, n, h. Initial state: v = V_init, gates at their steady
/// state for V_init (their rates at V_init - V_rest). A spike is an upward crossing of V_spike, located inside the step by the
/// integrator; the model has no reset. Capabilities: ConditionallyLinear (the gates m, n, h obey
/// dx/dt = alpha_x(v) - (alpha_x(v) + beta_x(v)) x), for exponential Euler; Jacobian (analytic
/// d(dy/dt)/dy, for cvode):
///   d(dv/dt)/dv = -(g_Na m^3 h + g_K n^4 + g_L) / C_m,   d(dv/dt)/dm = -3 g_Na m^2 h (v - E_Na) / C_m,
///   d(dv/dt)/dn = -4 g_K n^3 (v - E_K) / C_m,            d(dv/dt)/dh = -g_Na m^3 (v - E_Na) / C_m,
///   d(dx/dt)/dv = alpha_x'(u) (1 - x) - beta_x'(u) x,    d(dx/dt)/dx = -(alpha_x(u) + beta_x(u)),
/// and 0 between different gates.
/// The right-hand side and the gate coefficients run in blocks of cells with vector exp and expm1
/// (vector_math.hpp; libmvec, 4 ulp at most), two of each per cell: alpha_h, beta_h and beta_n are
/// powers of one exponential (hh_rates.hpp), within 1e-14 relative of the direct formulas.

#include "hh_rates.hpp"

#include "soma/vector_math.hpp"

#include "soma/conditionally_linear.hpp"
#include "soma/jacobian.hpp"
#include "soma/suggested_drive.hpp"
#include "soma/model.hpp"
#include "soma/plugin.hpp"
#include "soma/threshold_meaning.hpp"

#include <algorithm>
#include <array>

namespace soma::hh {
namespace {

/// Parameters, in schema order (the rows of ModelCells::parameters).
enum Parameter : std::size_t { C_m, g_Na, g_K, g_L, E_Na, E_K, E_L, V_rest, V_init, V_spike };

/// dy/dt of `count` cells, a multiple of simd_block (vector_math.hpp). in: v, m, n, h, I, C_m, g_Na, g_K, g_L, E_Na, E_K, E_L,
/// V_rest; out: dv, dm, dn, dh. The rates are taken at u = v - V_rest (u = v exactly when V_rest = 0).
struct RhsBlock {
    [[gnu::noipa]] void operator()(const std::array<const double*, 13>& in, const std::array<double*, 4>& out,
                                   std::size_t count) const {
        const double* __restrict v = in[0];
        const double* __restrict m = in[1];
        const double* __restrict n = in[2];
        const double* __restrict h = in[3];
        const double* __restrict i_inj = in[4];
        const double* __restrict cm = in[5];
        const double* __restrict gna = in[6];
        const double* __restrict gk = in[7];
        const double* __restrict gl = in[8];
        const double* __restrict ena = in[9];
        const double* __restrict ek = in[10];
        const double* __restrict el = in[11];
        const double* __restrict vr = in[12];
        double* __restrict dv = out[0];
        double* __restrict dm = out[1];
        double* __restrict dn = out[2];
        double* __restrict dh = out[3];
        for (std::size_t first = 0; first < count; first += simd_block) {
#pragma omp simd simdlen(8)
            for (std::size_t c = first; c < first + simd_block; ++c) {
                const double u = v[c] - vr[c];
                const double m3h = m[c] * m[c] * m[c] * h[c];
                const double n2 = n[c] * n[c];
                const double i_ion =
                    gna[c] * m3h * (v[c] - ena[c]) + gk[c] * n2 * n2 * (v[c] - ek[c]) + gl[c] * (v[c] - el[c]);
                dv[c] = (i_inj[c] - i_ion) / cm[c];
                dm[c] = alpha_m(u) * (1.0 - m[c]) - beta_m(u) * m[c];
                dn[c] = alpha_n(u) * (1.0 - n[c]) - beta_n(u) * n[c];
                dh[c] = alpha_h(u) * (1.0 - h[c]) - beta_h(u) * h[c];
            }
        }
    }
};

/// dy/dt of one cell (a cell alone, or the last cells of a range that fill no block) with the same bits
/// as RhsBlock gives it: the same operations in the same order (IEEE operations round alike in a vector
/// lane and in a scalar register, and no multiply-adds are contracted), and the cell's two exp and two
/// expm1 arguments packed into the lanes of one block-wide vector call each, so that each value comes
/// from the same vector function as in the block (its lanes are independent). Two vector calls instead of
/// the four of a padded block, and no padded copy: a lone HH cell's step costs about half as much.
[[gnu::noipa]] std::array<double, 4> rhs_one(double v, double m, double n, double h, double i_inj, double cm,
                                             double gna, double gk, double gl, double ena, double ek, double el,
                                             double vr) {
    const double u = v - vr;
    // Lanes 0 and 1: the exp arguments of beta_m and e80 (hh_rates.hpp); lanes 2 and 3: the expm1
    // arguments of alpha_m and alpha_n.
    alignas(64) std::array<double, simd_block> x{-u / 18.0, -u / 80.0, 2.5 - 0.1 * u, 1.0 - 0.1 * u,
                                                 0.0, 0.0, 0.0, 0.0};
    alignas(64) std::array<double, simd_block> e{}, em1{};
#pragma omp simd simdlen(8)
    for (std::size_t j = 0; j < simd_block; ++j) e[j] = std::exp(x[j]);
#pragma omp simd simdlen(8)
    for (std::size_t j = 0; j < simd_block; ++j) em1[j] = std::expm1(x[j]);
    // hh_rates.hpp's rate functions, with these values.
    const double alpha_m = x_over(x[2], em1[2]);
    const double beta_m = 4.0 * e[0];
    const double alpha_h = alpha_h_from(e[1]);
    const double beta_h = beta_h_from(e[1]);
    const double alpha_n = 0.1 * x_over(x[3], em1[3]);
    const double beta_n = beta_n_from(e[1]);
    const double m3h = m * m * m * h;
    const double n2 = n * n;
    const double i_ion = gna * m3h * (v - ena) + gk * n2 * n2 * (v - ek) + gl * (v - el);
    return {(i_inj - i_ion) / cm, alpha_m * (1.0 - m) - beta_m * m, alpha_n * (1.0 - n) - beta_n * n,
            alpha_h * (1.0 - h) - beta_h * h};
}

/// Initial state of `count` cells (a multiple of simd_block): v = V_init, gates at their steady state for it.
/// in: V_init, V_rest; out: v, m, n, h.
struct InitBlock {
    [[gnu::noipa]] void operator()(const std::array<const double*, 2>& in, const std::array<double*, 4>& out,
                                   std::size_t count) const {
        for (std::size_t first = 0; first < count; first += simd_block) {
#pragma omp simd simdlen(8)
            for (std::size_t c = first; c < first + simd_block; ++c) {
                const double u = in[0][c] - in[1][c];
                out[0][c] = in[0][c];
                out[1][c] = steady_state(alpha_m(u), beta_m(u));
                out[2][c] = steady_state(alpha_n(u), beta_n(u));
                out[3][c] = steady_state(alpha_h(u), beta_h(u));
            }
        }
    }
};

/// Coefficients a = alpha_x, b = -(alpha_x + beta_x) of the gates m, n, h of `count` cells (a multiple of simd_block).
/// in: v, V_rest; out: a_m, a_n, a_h, b_m, b_n, b_h.
struct GateBlock {
    [[gnu::noipa]] void operator()(const std::array<const double*, 2>& in, const std::array<double*, 6>& out,
                                   std::size_t count) const {
        const double* __restrict v = in[0];
        const double* __restrict vr = in[1];
        double* __restrict am = out[0];
        double* __restrict an = out[1];
        double* __restrict ah = out[2];
        double* __restrict bm = out[3];
        double* __restrict bn = out[4];
        double* __restrict bh = out[5];
        for (std::size_t first = 0; first < count; first += simd_block) {
#pragma omp simd simdlen(8)
            for (std::size_t c = first; c < first + simd_block; ++c) {
                const double u = v[c] - vr[c];
                am[c] = alpha_m(u);
                bm[c] = -(am[c] + beta_m(u));
                an[c] = alpha_n(u);
                bn[c] = -(an[c] + beta_n(u));
                ah[c] = alpha_h(u);
                bh[c] = -(ah[c] + beta_h(u));
            }
        }
    }
};

class HodgkinHuxley final : public Model, public ConditionallyLinear, public Jacobian, public SuggestedDrive, public ThresholdMeaningOf {
public:
    std::optional<Drive> suggested_step(std::string_view preset) const override {
        // NEURON's convention only moves the potentials: the same step gives the same spikes.
        if (!preset.empty() && preset != "neuron") return std::nullopt;
        return Drive{7.0, "the course exercises' step: three spikes in 50 ms"};
    }
    HodgkinHuxley()
        : Model({
              {"C_m", "uF/cm^2", 1.0, Range::positive(), "membrane capacitance (G&K 2002, Table 2.1)"},
              {"g_Na", "mS/cm^2", 120.0, Range::at_least(0), "maximal Na conductance (G&K 2002, Table 2.1)"},
              {"g_K", "mS/cm^2", 36.0, Range::at_least(0), "maximal K conductance (G&K 2002, Table 2.1)"},
              {"g_L", "mS/cm^2", 0.3, Range::at_least(0), "leak conductance (G&K 2002, Table 2.1)"},
              {"E_Na", "mV", 115.0, Range::closed(-200, 200), "Na reversal potential, rest = 0 (G&K 2002, Table 2.1)"},
              {"E_K", "mV", -12.0, Range::closed(-200, 200), "K reversal potential, rest = 0 (G&K 2002, Table 2.1)"},
              {"E_L", "mV", 10.6, Range::closed(-200, 200), "leak reversal potential, rest = 0 (G&K 2002, Table 2.1)"},
              {"V_rest", "mV", 0.0, Range::closed(-200, 200),
               "potential the rate functions are referred to: they are taken at v - V_rest (0: G&K; -65: NEURON)"},
              {"V_init", "mV", 0.0, Range::closed(-200, 200), "initial v; the gates start at their steady state for it"},
              {"V_spike", "mV", 50.0, Range::closed(-200, 200), "spike detection threshold (upward crossing)"},
          },
          {{"neuron",
            "NEURON's hh mechanism as shipped: rest at -65 mV, E_Na 50, E_K -77, E_L -54.3 mV (NEURON hh.mod)",
            {{"V_rest", -65.0}, {"E_Na", 50.0}, {"E_K", -77.0}, {"E_L", -54.3}, {"V_init", -65.0},
             {"V_spike", -15.0}}}}) {
        init_defaults();
    }

    ThresholdMeaning threshold_meaning() const override { return {ThresholdKind::detection, "V_spike"}; }

    std::span<const Variable> state_variables() const override { return variables_; }
    const Variable& current() const override { return current_; }

    void thresholds(ConstBatchView p, std::span<double> out) const override {
        std::ranges::copy(p.var(V_spike), out.begin());
    }

    void initialize(const ModelCells& cells, BatchView y) const override {
        for_blocks<2, 4>(y.count(), {cells.parameters.var(V_init).data(), cells.parameters.var(V_rest).data()},
                         {y.var(0).data(), y.var(1).data(), y.var(2).data(), y.var(3).data()}, InitBlock{});
    }

    void derivatives(double /*t*/, const ModelCells& cells, const ConstBatchView& y, std::span<const double> i_inj,
                     const BatchView& dydt) const override {
        const auto& p = cells.parameters;
        const std::size_t n = y.count(), full = n / simd_block * simd_block;
        if (full > 0) {
            RhsBlock{}({y.var(0).data(), y.var(1).data(), y.var(2).data(), y.var(3).data(), i_inj.data(),
                        p.var(C_m).data(), p.var(g_Na).data(), p.var(g_K).data(), p.var(g_L).data(),
                        p.var(E_Na).data(), p.var(E_K).data(), p.var(E_L).data(), p.var(V_rest).data()},
                       {dydt.var(0).data(), dydt.var(1).data(), dydt.var(2).data(), dydt.var(3).data()}, full);
        }
        for (std::size_t c = full; c < n; ++c) {
            const auto [dv, dm, dn, dh] =
                rhs_one(y.at(0, c), y.at(1, c), y.at(2, c), y.at(3, c), i_inj[c], p.at(C_m, c), p.at(g_Na, c),
                        p.at(g_K, c), p.at(g_L, c), p.at(E_Na, c), p.at(E_K, c), p.at(E_L, c), p.at(V_rest, c));
            dydt.at(0, c) = dv;
            dydt.at(1, c) = dm;
            dydt.at(2, c) = dn;
            dydt.at(3, c) = dh;
        }
    }

    bool on_spike(double /*t*/, const ModelCells& /*cell*/, BatchView /*y*/) const override { return false; }

    std::span<const std::size_t> linear_variables() const override { return gates_; }

    void linear_coefficients(double /*t*/, const ModelCells& cells, const ConstBatchView& y, const BatchView& a,
                             const BatchView& b) const override {
        for_blocks<2, 6>(y.count(), {y.var(0).data(), cells.parameters.var(V_rest).data()},
                         {a.var(0).data(), a.var(1).data(), a.var(2).data(), b.var(0).data(), b.var(1).data(),
                          b.var(2).data()},
                         GateBlock{});
    }

    void jacobian(double /*t*/, const ModelCells& cell, const ConstBatchView& y, std::span<const double> /*i_inj*/,
                  std::span<double> out) const override {
        const auto& p = cell.parameters;
        const double cm = p.at(C_m, 0), gna = p.at(g_Na, 0), gk = p.at(g_K, 0), gl = p.at(g_L, 0);
        const double ena = p.at(E_Na, 0), ek = p.at(E_K, 0);
        const double v = y.at(0, 0), m = y.at(1, 0), n = y.at(2, 0), h = y.at(3, 0);
        const double u = v - p.at(V_rest, 0);  // where the rates are taken
        const double m2 = m * m, n3 = n * n * n;
        // Row-major 4x4, rows and columns in the order v, m, n, h.
        out[0] = -(gna * m2 * m * h + gk * n3 * n + gl) / cm;
        out[1] = -3.0 * gna * m2 * h * (v - ena) / cm;
        out[2] = -4.0 * gk * n3 * (v - ek) / cm;
        out[3] = -gna * m2 * m * (v - ena) / cm;
        const double am = alpha_m(u), bm = beta_m(u), an = alpha_n(u), bn = beta_n(u), ah = alpha_h(u), bh = beta_h(u);
        out[4] = d_alpha_m(u) * (1.0 - m) - d_beta_m(u) * m;
        out[5] = -(am + bm);
        out[6] = out[7] = 0.0;
        out[8] = d_alpha_n(u) * (1.0 - n) - d_beta_n(u) * n;
        out[9] = 0.0;
        out[10] = -(an + bn);
        out[11] = 0.0;
        out[12] = d_alpha_h(u) * (1.0 - h) - d_beta_h(u) * h;
        out[13] = out[14] = 0.0;
        out[15] = -(ah + bh);
    }

private:
    const std::array<Variable, 4> variables_{{
        {"v", "mV", "membrane potential (0 at rest unless V_rest is set)"},
        {"m", "1", "Na activation gate"},
        {"n", "1", "K activation gate"},
        {"h", "1", "Na inactivation gate"},
    }};
    const Variable current_{"I", "uA/cm^2", "injected current density"};
    const std::array<std::size_t, 3> gates_{1, 2, 3};  // m, n, h
};

}  // namespace
}  // namespace soma::hh

SOMA_PLUGIN(soma::PluginKind::model, soma::hh::HodgkinHuxley, "hh", "3.1.0",
            "Hodgkin-Huxley squid axon, rest at 0 mV (Gerstner & Kistler 2002, p.36); preset neuron: rest at -65 mV")
