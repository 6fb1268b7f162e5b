# Hodgkin-Huxley model of the squid giant axon, resting potential shifted to 0 mV: the compiled `hh`
# plug-in written as an equation file (same parameters, defaults, state variables and spike threshold).
# Source: W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge University Press 2002,
# section 2.2.1, Eq. (2.4)-(2.6) and Table 2.1, p.36 (after Hodgkin & Huxley 1952, J. Physiol. 117:500).
# Units: v in mV, t in ms, conductances in mS/cm^2, C_m in uF/cm^2, I in uA/cm^2. Run it with
#   soma run --model examples/models/hh.eq
# and in NEURON's convention (rest at -65 mV, NEURON's hh defaults) with --preset neuron.
# Format: docs/equations.md.

parameter C_m = 1 uF/cm^2 (0, inf) "membrane capacitance (G&K 2002, Table 2.1)"
parameter g_Na = 120 mS/cm^2 [0, inf) "maximal Na conductance (G&K 2002, Table 2.1)"
parameter g_K = 36 mS/cm^2 [0, inf) "maximal K conductance (G&K 2002, Table 2.1)"
parameter g_L = 0.3 mS/cm^2 [0, inf) "leak conductance (G&K 2002, Table 2.1)"
parameter E_Na = 115 mV [-200, 200] "Na reversal potential, rest = 0 (G&K 2002, Table 2.1)"
parameter E_K = -12 mV [-200, 200] "K reversal potential, rest = 0 (G&K 2002, Table 2.1)"
parameter E_L = 10.6 mV [-200, 200] "leak reversal potential, rest = 0 (G&K 2002, Table 2.1)"
parameter V_rest = 0 mV [-200, 200] "potential the rate functions are referred to: they are taken at v - V_rest (0: G&K; -65: NEURON)"
parameter V_init = 0 mV [-200, 200] "initial v; the gates start at their steady state for it"
parameter V_spike = 50 mV [-200, 200] "spike detection threshold (upward crossing)"

current I uA/cm^2 "injected current density"

preset neuron "NEURON's hh mechanism as shipped: rest at -65 mV, E_Na 50, E_K -77, E_L -54.3 mV (NEURON hh.mod)" V_rest = -65, E_Na = 50, E_K = -77, E_L = -54.3, V_init = -65, V_spike = -15

# Rate functions (1/ms) of u, the potential relative to V_rest, their constants with their units (so
# that a unit mistake, say exp(-u/(18 mS)), is refused). alpha_m and alpha_n have the form
# x/(exp(x) - 1), which is 0/0 at x = 0 (u = 25 mV and u = 10 mV): x_over_expm1 is 1 there, its limit.
# The numbers are used as written (18 mV is 18: v is in mV), and the factor 1 /ms of alpha_m costs
# nothing (x*1 is x), so the rates are bit for bit hh's.
let u = v - V_rest mV
let alpha_m = 1 /ms*x_over_expm1(2.5 - 0.1 /mV*u) 1/ms
let beta_m = 4 /ms*exp(-u/(18 mV)) 1/ms
let alpha_n = 0.1 /ms*x_over_expm1(1 - 0.1 /mV*u) 1/ms
# alpha_h = 0.07 exp(-u/20 mV), beta_h = 1/(exp(3 - 0.1u/mV) + 1) and beta_n = 0.125 exp(-u/80 mV) share one
# exponential, e80 = exp(-u/80 mV): exp(-u/20 mV) = e80^4 and exp(3 - 0.1u/mV) = e^3 e80^8 (e^3 =
# 20.0855...). The compiled plug-in computes them so (one exp for three rates), and so does this file.
let e80 = exp(-u/(80 mV))
let e20 = e80^2*e80^2
let alpha_h = 0.07 /ms*e20 1/ms
let beta_h = 1 /ms/(20.085536923187667741*e20^2 + 1) 1/ms
let beta_n = 0.125 /ms*e80 1/ms

# The state starts at rest: v = V_init, each gate at its steady state alpha/(alpha + beta) there.
state v = V_init mV "membrane potential (0 at rest unless V_rest is set)"
state m = alpha_m/(alpha_m + beta_m) 1 "Na activation gate"
state n = alpha_n/(alpha_n + beta_n) 1 "K activation gate"
state h = alpha_h/(alpha_h + beta_h) 1 "Na inactivation gate"

# Written in the compiled plug-in's order of operations (m^3*h first; n^4 as n^2*n^2), so that the two
# agree to the last bit.
let I_ion = g_Na*(m^3*h)*(v - E_Na) + g_K*n^2*n^2*(v - E_K) + g_L*(v - E_L)
dv/dt = (I - I_ion)/C_m
dm/dt = alpha_m*(1 - m) - beta_m*m
dn/dt = alpha_n*(1 - n) - beta_n*n
dh/dt = alpha_h*(1 - h) - beta_h*h

# No reset: a spike is detected when v crosses V_spike upwards.
threshold v > V_spike

# The step that 'soma run' gives when no amplitude is set (the same for NEURON's convention).
drive 7 uA/cm^2 "the course exercises' step: three spikes in 50 ms"
drive 7 uA/cm^2 for neuron "the course exercises' step: three spikes in 50 ms"
