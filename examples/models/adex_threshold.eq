# AdEx with a dynamic threshold: examples/models/adex.eq (same parameters, defaults, units, reset and
# refractory period) whose threshold V_T + theta moves. theta relaxes towards a level that rises with the
# membrane potential above V_i (sodium inactivation: a slow depolarisation raises the threshold, a fast
# one outruns it) and jumps by b_theta at each spike:
#   C dv/dt         = -g_L (v - E_L) + g_L Delta_T exp((v - V_T - theta)/Delta_T) - w + I
#   tau_w dw/dt     = a (v - E_L) - w
#   tau_theta dtheta/dt = k_theta max(v - V_i, 0) - theta
#   if v >= V_peak: spike, v <- V_r, w <- w + b, theta <- theta + b_theta
#                   (v held at V_r for t_ref, w and theta evolving)
# Sources: the AdEx, R. Brette and W. Gerstner, J. Neurophysiol. 94:3637-3642 (2005), Eqs. (1)-(3); the
# voltage-dependent threshold, J. Platkiewicz and R. Brette, PLoS Comput. Biol. 6:e1000850 (2010), in
# the piecewise-linear steady state of B. Fontaine, J. L. Pena and R. Brette, PLoS Comput. Biol.
# 10:e1003560 (2014); the spike-triggered threshold jump, as in the generalized integrate-and-fire model
# of S. Mensi et al., J. Neurophysiol. 107:1756-1775 (2012). With k_theta = 0 and b_theta = 0 (the
# defaults) theta stays 0 and the model is adex.eq; the defaults of the threshold's time constant and
# onset are placeholders for a fit, not measured values.
# Units: v, theta in mV, w in pA, t in ms, C in pF, conductances in nS, currents in pA (pA/pF = mV/ms,
# nS*mV = pA). Forward Euler is stable for theta while dt < 2 tau_theta.
# Run it with
#   soma run --model examples/models/adex_threshold.eq --stimulus step --set stimulus.amplitude=1000 \
#            --set model.k_theta=0.5 --set model.V_i=-60 --set model.b_theta=2
# Format: docs/equations.md.

parameter C = 281 pF (0, inf) "membrane capacitance (Brette & Gerstner 2005)"
parameter g_L = 30 nS (0, inf) "leak conductance (Brette & Gerstner 2005)"
parameter E_L = -70.6 mV [-200, 200] "leak reversal (resting) potential (Brette & Gerstner 2005)"
parameter V_T = -50.4 mV [-200, 200] "threshold of the exponential upswing at theta = 0 (Brette & Gerstner 2005)"
parameter Delta_T = 2 mV (0, inf) "slope factor of the upswing (Brette & Gerstner 2005)"
parameter a = 4 nS (-inf, inf) "subthreshold adaptation (Brette & Gerstner 2005)"
parameter tau_w = 144 ms (0, inf) "adaptation time constant (Brette & Gerstner 2005)"
parameter b = 80.5 pA (-inf, inf) "spike-triggered adaptation increment of w (Brette & Gerstner 2005)"
parameter V_r = -70.6 mV [-200, 200] "reset potential, = E_L (Brette & Gerstner 2005)"
parameter V_peak = 0 mV [-200, 200] "spike cut-off: a spike when V reaches it (NEST's aeif default)"
parameter t_ref = 0 ms [0, inf) "refractory period, V held at V_r (NEST's extension; 0 in the papers)"
parameter k_theta = 0 1 [0, 1] "rise of the threshold's steady state per mV of v above V_i (Fontaine et al. 2014); 0: fixed"
parameter V_i = -60 mV [-200, 200] "membrane potential above which the threshold's steady state rises (Fontaine et al. 2014)"
parameter tau_theta = 5 ms (0, inf) "time constant of the threshold (Platkiewicz & Brette 2010)"
parameter b_theta = 0 mV [0, inf) "threshold jump at each spike (as in Mensi et al. 2012); 0: none"
require V_r < V_peak "the reset potential 'V_r' must be below the spike cut-off 'V_peak'"
# exp() must not overflow at the clamp V_peak + 5 Delta_T (below) while theta >= 0: the bound of the
# compiled adex, ln(DBL_MAX/1e20) (NEST's).
require (V_peak - V_T)/Delta_T + 5 <= log(1.7976931348623157e308/1e20) "exp() would overflow at the spike cut-off; lower 'V_peak' or raise 'Delta_T'"

current I pA "injected current"

state v = E_L mV "membrane potential V"
state w = 0 pA "adaptation current"
state theta = 0 mV "threshold shift: the upswing's threshold is V_T + theta"

# As in adex.eq, the right-hand side sees v clamped a little above the cut-off.
let V = min(v, V_peak + 5*Delta_T) mV
let I_spike = g_L*Delta_T*exp((V - V_T - theta)/Delta_T) pA
dv/dt = (-g_L*(V - E_L) + I_spike - w + I)/C
dw/dt = (a*(V - E_L) - w)/tau_w
dtheta/dt = (k_theta*max(V - V_i, 0) - theta)/tau_theta

threshold v > V_peak cut-off
reset v = V_r, w = w + b, theta = theta + b_theta
refractory t_ref

drive 1000 pA "about 1.7 times the rheobase of a 50 ms step for the default cell (as adex.eq)"
