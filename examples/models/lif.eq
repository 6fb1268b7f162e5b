# Leaky integrate-and-fire neuron: the compiled `lif` plug-in written as an equation file (same
# parameters, defaults, threshold, reset and refractory period).
#   tau_m dv/dt = -(v - V_rest) + R I;   if v >= V_th: spike, v <- V_reset, held there for t_ref
# Source: W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge University Press 2002,
# section 4.1.1, Eq. (4.3)-(4.5), p.94 (Lapicque 1907). Defaults are the course exercises' dimensionless
# values, read in ms, mV, MOhm and nA (MOhm * nA = mV). Run it with
#   soma run --model examples/models/lif.eq --stimulus step --set stimulus.amplitude=1.5
# Format: docs/equations.md.

parameter tau_m = 1 ms (0, inf) "membrane time constant"
parameter R = 1 MOhm (0, inf) "membrane resistance"
parameter V_rest = 0 mV [-200, 200] "resting potential"
parameter V_th = 1 mV [-200, 200] "firing threshold"
parameter V_reset = 0 mV [-200, 200] "reset potential after a spike; must be below V_th"
parameter V_init = 0 mV [-200, 200] "initial membrane potential"
parameter t_ref = 0 ms [0, inf) "absolute refractory period (v held at V_reset)"
require V_reset < V_th "the reset potential 'V_reset' must be below the threshold 'V_th'"

current I nA "injected current"

state v = V_init mV "membrane potential"
dv/dt = (-(v - V_rest) + R*I)/tau_m

# A spike is an upward crossing of V_th; at its time v is reset and held (dv/dt = 0) for t_ref.
threshold v > V_th
reset v = V_reset
refractory t_ref

# The step that 'soma run' gives when no amplitude is set: 10 % above the rheobase R I = V_th - V_rest.
drive 1.1 nA "10 % above the rheobase of the default cell (1 nA): a spike every 2.4 ms"
