# Adaptive exponential integrate-and-fire neuron (AdEx): the compiled `adex` plug-in written as an
# equation file (same parameters, defaults, presets, state variables, threshold, reset and refractory
# period; see plugins/models/adex/adex.cpp for the sources of every value).
#   C dv/dt     = -g_L (v - E_L) + g_L Delta_T exp((v - V_T)/Delta_T) - w + I
#   tau_w dw/dt = a (v - E_L) - w
#   if v >= V_peak: spike, v <- V_r, w <- w + b (and v is held at V_r for t_ref, w evolving)
# Source: R. Brette and W. Gerstner, J. Neurophysiol. 94:3637-3642 (2005), Eqs. (1)-(3); defaults: the
# regular-spiking cell of that paper. Presets: the firing patterns of R. Naud, N. Marcille, C. Clopath and
# W. Gerstner, Biol. Cybern. 99:335-347 (2008), Table 1 (rows f and g as corrected in Brian2's example).
# Units: v in mV, w in pA, t in ms, C in pF, conductances in nS, currents in pA (pA/pF = mV/ms,
# nS*mV = pA). Run it with
#   soma run --model examples/models/adex.eq --preset adaptation --stimulus step \
#            --set stimulus.amplitude=500 --set stimulus.offset=400 --t-stop 400
# (the step's default window, [20, 70) ms, is too short for the adaptation to show; on [20, 400) ms the
# interspike intervals lengthen from 11 to 76 ms).
# Format: docs/equations.md.

parameter C = 281 pF (0, inf) "membrane capacitance (Brette & Gerstner 2005)"
parameter g_L = 30 nS (0, inf) "leak conductance (Brette & Gerstner 2005)"
parameter E_L = -70.6 mV [-200, 200] "leak reversal (resting) potential (Brette & Gerstner 2005)"
parameter V_T = -50.4 mV [-200, 200] "threshold of the exponential upswing (Brette & Gerstner 2005)"
parameter Delta_T = 2 mV (0, inf) "slope factor of the upswing (Brette & Gerstner 2005)"
parameter a = 4 nS (-inf, inf) "subthreshold adaptation (Brette & Gerstner 2005)"
parameter tau_w = 144 ms (0, inf) "adaptation time constant (Brette & Gerstner 2005)"
parameter b = 80.5 pA (-inf, inf) "spike-triggered adaptation increment of w (Brette & Gerstner 2005)"
parameter V_r = -70.6 mV [-200, 200] "reset potential, = E_L (Brette & Gerstner 2005)"
parameter V_peak = 0 mV [-200, 200] "spike cut-off: a spike when V reaches it (NEST's aeif default)"
parameter t_ref = 0 ms [0, inf) "refractory period, V held at V_r (NEST's extension; 0 in the papers)"
require V_r < V_peak "the reset potential 'V_r' must be below the spike cut-off 'V_peak'"
# exp() must not overflow at the clamp V_peak + 5 Delta_T (below): the bound of the compiled plug-in,
# ln(DBL_MAX/1e20) (NEST's).
require (V_peak - V_T)/Delta_T + 5 <= log(1.7976931348623157e308/1e20) "exp() would overflow at the spike cut-off; lower 'V_peak' or raise 'Delta_T'"

preset tonic_spiking "tonic spiking, with a 500 pA step (Naud et al. 2008, Table 1, Fig. 4a)" C = 200, g_L = 10, E_L = -70, V_T = -50, Delta_T = 2, a = 2, tau_w = 30, b = 0, V_r = -58
preset adaptation "spike-frequency adaptation, with a 500 pA step (Naud et al. 2008, Table 1, Fig. 4b)" C = 200, g_L = 12, E_L = -70, V_T = -50, Delta_T = 2, a = 2, tau_w = 300, b = 60, V_r = -58
preset initial_burst "initial burst, then tonic spikes, with a 400 pA step (Naud et al. 2008, Table 1, Fig. 4c)" C = 130, g_L = 18, E_L = -58, V_T = -50, Delta_T = 2, a = 4, tau_w = 150, b = 120, V_r = -50
preset regular_bursting "regular bursting, with a 210 pA step (Naud et al. 2008, Table 1, Fig. 4d)" C = 200, g_L = 10, E_L = -58, V_T = -50, Delta_T = 2, a = 2, tau_w = 120, b = 100, V_r = -46
preset delayed_accelerating "delayed, accelerating spiking, with a 300 pA step (Naud et al. 2008, Table 1, Fig. 4e)" C = 200, g_L = 12, E_L = -70, V_T = -50, Delta_T = 2, a = -10, tau_w = 300, b = 0, V_r = -58
preset delayed_regular_bursting "delayed regular bursting, with a 110 pA step (Naud et al. 2008, Fig. 4f; Table 1 as corrected in Brian2's example, see adex.cpp)" C = 100, g_L = 10, E_L = -65, V_T = -50, Delta_T = 2, a = -10, tau_w = 90, b = 30, V_r = -47
preset transient_spiking "transient spiking, with a 180 pA step (Naud et al. 2008, Fig. 4g; Table 1 as corrected in Brian2's example, see adex.cpp)" C = 100, g_L = 10, E_L = -65, V_T = -50, Delta_T = 2, a = 10, tau_w = 90, b = 100, V_r = -47
preset irregular_spiking "irregular spiking, with a 160 pA step (Naud et al. 2008, Table 1, Fig. 4h)" C = 100, g_L = 12, E_L = -60, V_T = -50, Delta_T = 2, a = -11, tau_w = 130, b = 30, V_r = -48

current I pA "injected current"

state v = E_L mV "membrane potential V"
state w = 0 pA "adaptation current"

# The model is meant for v <= V_peak: as in the compiled plug-in (and NEST's aeif models), the right-hand
# side sees v clamped, a little above the cut-off (at V_peak + 5 Delta_T, see adex.cpp), so that a stage
# overshooting the cut-off stays finite.
let V = min(v, V_peak + 5*Delta_T) mV
let I_spike = g_L*Delta_T*exp((V - V_T)/Delta_T) pA
dv/dt = (-g_L*(V - E_L) + I_spike - w + I)/C
dw/dt = (a*(V - E_L) - w)/tau_w

threshold v > V_peak cut-off
reset v = V_r, w = w + b
refractory t_ref

# The steps that 'soma run' gives when no amplitude is set: for the default cell, and the step of each
# firing pattern in Naud et al. 2008, Fig. 4.
drive 1000 pA "about 1.7 times the rheobase of a 50 ms step for the default cell (598 pA): three spikes"
drive 500 pA for tonic_spiking "the step of this pattern in Naud et al. 2008, Fig. 4"
drive 500 pA for adaptation "the step of this pattern in Naud et al. 2008, Fig. 4"
drive 400 pA for initial_burst "the step of this pattern in Naud et al. 2008, Fig. 4"
drive 210 pA for regular_bursting "the step of this pattern in Naud et al. 2008, Fig. 4"
drive 300 pA for delayed_accelerating "the step of this pattern in Naud et al. 2008, Fig. 4"
drive 110 pA for delayed_regular_bursting "the step of this pattern in Naud et al. 2008, Fig. 4"
drive 180 pA for transient_spiking "the step of this pattern in Naud et al. 2008, Fig. 4"
drive 160 pA for irregular_spiking "the step of this pattern in Naud et al. 2008, Fig. 4"
