#!/usr/bin/python3
"""Run the same Hodgkin-Huxley simulations in NEURON, Brian2 and Soma; print spike times and rates.

The model is Gerstner & Kistler 2002, p.36 (rest at 0 mV): C_m = 1 uF/cm^2, g_Na = 120, g_K = 36,
g_L = 0.3 mS/cm^2, E_Na = 115, E_K = -12, E_L = 10.6 mV; a spike is an upward crossing of 50 mV.

Case 1: a 7 uA/cm^2 step on [20, 70) ms, 100 ms: spike times side by side and their differences from
        NEURON's CVODE (crossings located on v sampled every 1 us from CVODE's interpolant, cubic between
        samples).
Case 2: f-I at 7, 10, 15, 20 uA/cm^2, constant current from rest for 3 s: mean rate from the ISIs of
        the spikes at t >= 1000 ms, rate = 1000 (n - 1) / (t_last - t_first), against the reference
        rates of ../data/hh-fi.csv (NEURON's CVODE, made by ../data/make_hh_fi.py), the rows at these
        currents.

Case 3: NEURON's hh exactly as shipped (rest at -65 mV, el_hh = -54.3 mV, ena 50, ek -77), case 1's
        step, against Soma's `hh --preset neuron` with rk4 and cvode: no potential is shifted by this
        script, so the preset itself is checked (same spike count, every time within 0.01 ms).

Exit status: 0 if Soma's rk4 (dt = 0.01 ms), dopri5 and cvode (those that are built) give the same
number of spikes as NEURON's CVODE in case 1 with every spike time within 0.01 ms of it, and f-I
rates within 0.1 % of the reference, and the same in case 3; 1 otherwise (the failing checks are printed), and also when NEURON
or Brian2 cannot be imported, the reference rates cannot be read, or rk4, dopri5 or cvode is not built:
a comparison that did not run fails; 2 for a usage error.

Needs Debian's `neuron`, `python3-neuron` and `python3-brian` (NEURON 8.2, Brian2 2.5), which install
into /usr/bin/python3. See README.md in this directory and docs/validation.md.
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

try:
    import numpy as np
except ImportError:  # comes with python3-brian; main() reports it like a missing NEURON or Brian2
    np = None

# ---------------------------------------------------------------------------------------------------
# The model and the cases

G_K = dict(C_m=1.0, g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=115.0, E_K=-12.0, E_L=10.6)  # G&K 2002 p.36
V_REST_NEURON = -65.0       # NEURON's hh: V = u - 65 mV
V_SPIKE = 50.0              # mV above rest (G&K); -15 mV in NEURON
STEP = dict(amplitude=7.0, onset=20.0, offset=70.0, t_stop=100.0)
FI_CURRENTS = [7.0, 10.0, 15.0, 20.0]
FI_T_STOP = 3000.0
FI_T_FROM = 1000.0
FI_REFERENCE_CSV = Path(__file__).resolve().parent.parent / "data" / "hh-fi.csv"  # NEURON CVODE
FI_REFERENCE_EULER = {7.0: 58.40, 10.0: 68.33, 15.0: 78.64, 20.0: 86.45}  # the course exercises' forward
                                                                           # Euler, dt = 0.01 ms (printed only)

TOL_SPIKE_MS = 0.01         # case 1: |Soma - NEURON CVODE| per spike
TOL_RATE_REL = 1e-3         # case 2: |Soma - reference| / reference
ADAPTIVE_RTOL, ADAPTIVE_ATOL = 1e-8, 1e-10  # Soma's dopri5 and cvode

NEURON_ATOL = 1e-8          # NEURON CVODE absolute tolerance (rtol 0, NEURON's default)
NEURON_DENSE_DT = 0.001     # ms: v sampled from CVODE's interpolant to locate crossings
NEURON_FIXED_DT = 0.0002    # ms: fixed-step (Crank-Nicolson) run checking the CVODE spike times


def gate_rates(u):
    """G&K rate functions (1/ms) at u mV above rest: (alpha_m, beta_m, alpha_n, beta_n, alpha_h, beta_h)."""
    def x_over_expm1(x):
        return 1.0 if x == 0.0 else x / math.expm1(x)
    return (x_over_expm1(2.5 - 0.1 * u), 4.0 * math.exp(-u / 18.0),
            0.1 * x_over_expm1(1.0 - 0.1 * u), 0.125 * math.exp(-u / 80.0),
            0.07 * math.exp(-u / 20.0), 1.0 / (math.exp(3.0 - 0.1 * u) + 1.0))


def steady_gates(u):
    am, bm, an, bn, ah, bh = gate_rates(u)
    return am / (am + bm), an / (an + bn), ah / (ah + bh)


def upward_crossings(t0, dt, v, threshold, cubic=False):
    """Times where the samples v (at t0 + i dt) cross `threshold` upwards: linear between the two samples
    around the crossing (error O(dt^2)), or with `cubic` on the cubic through the four samples around
    it (error O(dt^4))."""
    v = np.asarray(v, dtype=float)
    times = []
    for i in np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]:
        s = (threshold - v[i]) / (v[i + 1] - v[i])
        if cubic and 1 <= i < len(v) - 2:
            p = np.polyfit([-1.0, 0.0, 1.0, 2.0], v[i - 1:i + 3], 3)  # p(0) = v[i] < threshold <= p(1)
            lo, hi = 0.0, 1.0
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if np.polyval(p, mid) < threshold else (lo, mid)
            s = 0.5 * (lo + hi)
        times.append(t0 + (i + s) * dt)
    return times


def read_fi_reference(path=FI_REFERENCE_CSV, currents=FI_CURRENTS):
    """{current: rate (Hz)} from the rows of the f-I reference CSV (`#` comments, a header, then
    `I (uA/cm^2),spikes in window,rate (Hz)`) at `currents`; ValueError if one is missing."""
    rates = {}
    lines = [line for line in Path(path).read_text().splitlines() if line and not line.startswith("#")]
    for line in lines[1:]:
        amp, _, rate = line.split(",")
        rates[float(amp)] = float(rate)
    missing = [i for i in currents if i not in rates]
    if missing:
        raise ValueError(f"{path}: no row at {', '.join(f'{i:g}' for i in missing)} uA/cm^2")
    return {i: rates[i] for i in currents}


def mean_rate(spikes, t_from=FI_T_FROM):
    """Hz from the ISIs of the spikes at t >= t_from (ms); nan if fewer than two."""
    s = [t for t in spikes if t >= t_from]
    return 1000.0 * (len(s) - 1) / (s[-1] - s[0]) if len(s) >= 2 else float("nan")


class Result:
    """One simulator/method: case-1 spike times and f-I spike trains (per current)."""

    def __init__(self, simulator, method, dt, checked=False):
        self.simulator, self.method, self.dt, self.checked = simulator, method, dt, checked
        self.step = None    # list of spike times (ms) or None
        self.fi = {}        # current -> list of spike times (ms)
        self.seconds = 0.0

    @property
    def label(self):
        return f"{self.simulator} {self.method}"


# ---------------------------------------------------------------------------------------------------
# NEURON 8.2: built-in hh mechanism, V = u - 65 mV

def neuron_section(h):
    """One isopotential section, area 1e5 um^2 = 1e-3 cm^2 so that 1 nA = 1 uA/cm^2."""
    sec = h.Section(name="soma")
    sec.nseg = 1
    sec.L = sec.diam = math.sqrt(1e5 / math.pi)  # lateral area pi d L = 1e5 um^2
    sec.cm = G_K["C_m"]
    sec.insert("hh")
    h.usetable_hh = 0
    h.celsius = 6.3
    seg = sec(0.5)
    seg.hh.gnabar = G_K["g_Na"] * 1e-3  # S/cm^2
    seg.hh.gkbar = G_K["g_K"] * 1e-3
    seg.hh.gl = G_K["g_L"] * 1e-3
    seg.hh.el = G_K["E_L"] + V_REST_NEURON   # -54.4
    sec.ena = G_K["E_Na"] + V_REST_NEURON    # 50
    sec.ek = G_K["E_K"] + V_REST_NEURON      # -77
    assert abs(seg.area() - 1e5) < 1e-6, seg.area()
    return sec


def neuron_run(h, sec, amp, delay, dur, t_stop, mode, threshold=V_SPIKE + V_REST_NEURON, v_init=V_REST_NEURON):
    """Spike times (ms) of one run. mode: 'cvode' (NetCon, condition_order 2), 'cvode-dense' (v from
    CVODE's interpolant every NEURON_DENSE_DT, crossings on the cubic through the 4 samples around them)
    or 'fixed' (Crank-Nicolson, dt NEURON_FIXED_DT, crossings on the cubic through 4 steps)."""
    seg = sec(0.5)
    stim = h.IClamp(seg)
    stim.delay, stim.dur, stim.amp = delay, dur, amp  # nA = uA/cm^2 here
    cvode = h.CVode()
    netcon = vrec = None
    if mode in ("cvode", "cvode-dense"):
        cvode.active(1)
        cvode.atol(NEURON_ATOL)
        cvode.rtol(0)
        cvode.condition_order(2)  # threshold crossings interpolated between CVODE steps
        if mode == "cvode":
            netcon = h.NetCon(seg._ref_v, None, sec=sec)
            netcon.threshold = threshold
            times = h.Vector()
            netcon.record(times)
        else:
            vrec = h.Vector()
            vrec.record(seg._ref_v, NEURON_DENSE_DT)
    else:
        cvode.active(0)
        h.secondorder = 2
        h.dt = NEURON_FIXED_DT
        h.steps_per_ms = round(1.0 / NEURON_FIXED_DT)
        vrec = h.Vector()
        vrec.record(seg._ref_v)
    h.tstop = t_stop
    h.finitialize(v_init)
    h.continuerun(t_stop)
    if mode == "fixed":
        assert abs(h.dt - NEURON_FIXED_DT) < 1e-15, h.dt
        h.secondorder = 0
    cvode.active(0)
    if netcon is not None:
        return list(times)
    step = NEURON_DENSE_DT if mode == "cvode-dense" else NEURON_FIXED_DT
    return upward_crossings(0.0, step, vrec.as_numpy(), threshold, cubic=True)


def run_neuron(results, log):
    from neuron import h, __version__
    h.load_file("stdrun.hoc")
    sec = neuron_section(h)
    log(f"NEURON {__version__}: hh mechanism (usetable_hh = 0, celsius = {h.celsius:g}), "
        f"el_hh = {sec(0.5).hh.el:g}, ena = {sec.ena:g}, ek = {sec.ek:g} mV, cm = {sec.cm:g} uF/cm^2, "
        f"area = {sec(0.5).area():g} um^2, IClamp, finitialize({V_REST_NEURON:g}); "
        f"CVODE atol {NEURON_ATOL:g}, spikes: NetCon threshold {V_SPIKE + V_REST_NEURON:g} mV")
    modes = [("cvode-dense", "CVODE", "adaptive", False),
             ("cvode", "CVODE NetCon", "adaptive", True),
             ("fixed", "fixed-step CN", f"{NEURON_FIXED_DT:g}", False)]
    for mode, name, dt, fi in modes:
        r = Result("NEURON", name, dt)
        start = time.perf_counter()
        r.step = neuron_run(h, sec, STEP["amplitude"], STEP["onset"], STEP["offset"] - STEP["onset"],
                            STEP["t_stop"], mode)
        if fi:
            for amp in FI_CURRENTS:
                r.fi[amp] = neuron_run(h, sec, amp, 0.0, 1e9, FI_T_STOP, mode)
        r.seconds = time.perf_counter() - start
        results.append(r)


# ---------------------------------------------------------------------------------------------------
# Case 3: NEURON's hh exactly as shipped (rest at -65 mV, el_hh = -54.3 mV) against Soma's
# `hh --preset neuron`, which should be that mechanism: no shift of any potential by this script.

def neuron_native_step(h):
    """Spike times (ms) of NEURON's hh with its own defaults, case 1's step, CVODE NetCon at -15 mV."""
    assert sum(1 for _ in h.allsec()) == 0, "case 3 needs a NEURON without the sections of case 1"
    sec = h.Section(name="native")
    sec.L = sec.diam = math.sqrt(1e5 / math.pi)  # 1 nA = 1 uA/cm^2
    sec.insert("hh")
    h.usetable_hh = 0
    h.celsius = 6.3                               # NEURON's default: rates not scaled
    defaults = dict(el=sec(0.5).hh.el, ena=sec.ena, ek=sec.ek, gnabar=sec(0.5).hh.gnabar, cm=sec.cm)
    times = neuron_run(h, sec, STEP["amplitude"], STEP["onset"], STEP["offset"] - STEP["onset"],
                       STEP["t_stop"], "cvode", threshold=-15.0, v_init=-65.0)
    return defaults, times


def case_neuron_convention(soma, outdir, out):
    """Case 3's table and its check lines."""
    from neuron import h
    defaults, reference = neuron_native_step(h)
    out("Case 3: NEURON's hh as shipped (" + ", ".join(f"{k} = {v:g}" for k, v in defaults.items())
        + "), finitialize(-65), the step of case 1, NetCon at -15 mV;")
    out("Soma: hh --preset neuron (rest at -65 mV). Spike times (ms):")
    out(f"  {'NEURON CVODE':<14}" + "".join(f"{t:>14.6f}" for t in reference))
    step = ["--stimulus", "step", "--set", f"stimulus.amplitude={STEP['amplitude']:g}",
            "--set", f"stimulus.onset={STEP['onset']:g}", "--set", f"stimulus.offset={STEP['offset']:g}"]
    lines = []
    for integrator in ("rk4", "cvode"):
        extra = ["--preset", "neuron"] + (tolerance_settings(soma, integrator) if integrator == "cvode" else [])
        try:
            spikes = soma_run(soma, outdir, f"neuron-preset-{integrator}", integrator, 0.01, step, STEP["t_stop"],
                              extra)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            lines.append(f"FAIL  Soma {integrator} --preset neuron: {error}")
            continue
        out(f"  {'Soma ' + integrator:<14}" + "".join(f"{t:>14.6f}" for t in spikes))
        name = f"Soma {integrator} --preset neuron"
        if len(spikes) != len(reference) or not reference:
            lines.append(f"FAIL  {name}: {len(spikes)} spikes, NEURON's hh as shipped {len(reference)}")
            continue
        worst = max(abs(a - b) for a, b in zip(spikes, reference))
        lines.append(f"{'PASS' if worst <= TOL_SPIKE_MS else 'FAIL'}  {name}: spike times, max |difference| from "
                     f"NEURON's hh as shipped {worst:.2e} ms (tolerance {TOL_SPIKE_MS:g} ms)")
    return lines


# ---------------------------------------------------------------------------------------------------
# Brian2 2.5: the G&K equations, rest at 0 mV

BRIAN2_EQUATIONS = """
dv/dt = (I - I_ion) / C_m : volt
I_ion = g_Na*m**3*h*(v - E_Na) + g_K*n**4*(v - E_K) + g_L*(v - E_L) : amp/meter**2
dm/dt = alpha_m*(1 - m) - beta_m*m : 1
dn/dt = alpha_n*(1 - n) - beta_n*n : 1
dh/dt = alpha_h*(1 - h) - beta_h*h : 1
alpha_m = 1/exprel(2.5 - 0.1*v/mV)/ms : Hz
beta_m = 4*exp(-v/(18*mV))/ms : Hz
alpha_n = 0.1/exprel(1 - 0.1*v/mV)/ms : Hz
beta_n = 0.125*exp(-v/(80*mV))/ms : Hz
alpha_h = 0.07*exp(-v/(20*mV))/ms : Hz
beta_h = 1/(exp(3 - 0.1*v/mV) + 1)/ms : Hz
I = I_amp*I_on*uA/cm**2 : amp/meter**2
I_amp : 1 (constant)
I_on : 1
"""


def brian2_run(b2, method, dt, currents, t_stop, window=None):
    """Spike trains (one per current) of a NeuronGroup with one neuron per current. With `window`
    (onset, offset) the current is on for the steps that start in [onset, offset), constant within a
    step (as Soma's step stimulus and NEURON's IClamp with the edge on the grid); else always on."""
    from brian2 import ms, mV, uF, msiemens, cm
    b2.start_scope()
    b2.defaultclock.dt = dt * ms
    namespace = dict(C_m=G_K["C_m"] * uF / cm**2, g_Na=G_K["g_Na"] * msiemens / cm**2,
                     g_K=G_K["g_K"] * msiemens / cm**2, g_L=G_K["g_L"] * msiemens / cm**2,
                     E_Na=G_K["E_Na"] * mV, E_K=G_K["E_K"] * mV, E_L=G_K["E_L"] * mV)
    group = b2.NeuronGroup(len(currents), BRIAN2_EQUATIONS, method=method, namespace=namespace)
    group.I_amp = currents
    group.v = 0 * mV
    group.m, group.n, group.h = steady_gates(0.0)
    if window is None:
        group.I_on = 1
    else:
        group.I_on = 0
        # The edges are on the grid; eps guards against t = i*dt rounding to just below them.
        namespace.update(t_on=window[0] * ms, t_off=window[1] * ms, eps=1e-6 * dt * ms)
        group.run_regularly("I_on = int(t >= t_on - eps) * int(t < t_off - eps)", when="start")
    monitor = b2.StateMonitor(group, "v", record=True)
    network = b2.Network(group, monitor)
    network.run(t_stop * ms, namespace=namespace)
    t0 = float(monitor.t[0] / ms)
    return [upward_crossings(t0, dt, monitor.v[k] / mV, V_SPIKE) for k in range(len(currents))]


def run_brian2(results, target, log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FutureWarnings of Debian's pythran on import
        import brian2 as b2
    b2.BrianLogger.log_level_error()
    note = ""
    if target == "auto":
        from brian2.codegen.runtime.cython_rt import CythonCodeObject
        target = "cython" if CythonCodeObject.is_available() else "numpy"
        if target == "numpy":
            note = " (Cython unusable: is python3-dev installed?)"
    b2.BrianLogger.log_level_warn()
    b2.prefs.codegen.target = target
    fast = target != "numpy"  # numpy needs ~0.65 ms per rk4 step: minutes for the f-I runs
    log(f"Brian2 {b2.__version__}: G&K equations (rest 0 mV, exprel for alpha_m and alpha_n), "
        f"codegen target {target}{note}, v recorded every step (StateMonitor), 50 mV crossings linear "
        f"between samples" + ("" if fast else "; numpy is slow: case 1 at dt 0.01 ms only"))
    runs = [("rk4", 0.01, True), ("exponential_euler", 0.01, True), ("euler", 0.01, True), ("rk4", 0.001, False)]
    for method, dt, fi in runs:
        if not fast and dt < 0.01:
            continue
        r = Result("Brian2", {"exponential_euler": "exp_euler"}.get(method, method), f"{dt:g}")
        start = time.perf_counter()
        r.step = brian2_run(b2, method, dt, [STEP["amplitude"]], STEP["t_stop"],
                            (STEP["onset"], STEP["offset"]))[0]
        if fi and fast:
            r.fi = dict(zip(FI_CURRENTS, brian2_run(b2, method, dt, FI_CURRENTS, FI_T_STOP)))
        r.seconds = time.perf_counter() - start
        results.append(r)


# ---------------------------------------------------------------------------------------------------
# Soma: the built runner, CSV recorder

def soma_integrators(soma):
    """Names of the integrator plug-ins `soma list` shows."""
    out = subprocess.run([soma, "list"], check=True, capture_output=True, text=True).stdout
    names, section = [], None
    for line in out.splitlines():
        if line and not line[0].isspace():
            section = line.strip().rstrip(":")
        elif section == "integrators" and line.strip():
            names.append(line.split()[0])
    return names


def soma_parameters(soma, plugin):
    """Parameter names `soma describe PLUGIN` lists."""
    out = subprocess.run([soma, "describe", plugin], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    names = []
    for k, line in enumerate(lines):
        if line.strip().startswith("name") and k > 0 and lines[k - 1].strip() == "parameters:":
            for row in lines[k + 1:]:
                if not row.strip():
                    break
                names.append(row.split()[0])
            break
    return names


def tolerance_settings(soma, integrator):
    """--set arguments for the relative and absolute tolerances of an adaptive integrator."""
    params = soma_parameters(soma, integrator)
    settings = []
    for value, pattern in ((ADAPTIVE_RTOL, r"^(rtol|reltol|rel_tol|relative_tolerance)$"),
                           (ADAPTIVE_ATOL, r"^(atol|abstol|abs_tol|absolute_tolerance)$")):
        match = [p for p in params if re.match(pattern, p)]
        if not match:
            raise RuntimeError(f"soma describe {integrator}: no tolerance parameter matching {pattern} "
                               f"among {params}")
        settings += ["--set", f"integrator.{match[0]}={value:g}"]
    return settings


def read_spikes(path):
    spikes = []
    for line in Path(path).read_text().splitlines():
        if not line or line.startswith("#") or line.startswith("cell"):
            continue
        cell, t = line.split(",")
        spikes.append(float(t))
    return spikes


def soma_run(soma, outdir, name, integrator, dt, stimulus, t_stop, extra):
    command = [soma, "run", "--model", "hh", "--integrator", integrator, "--dt", f"{dt:g}",
               "--t-stop", f"{t_stop:g}", "--recorder", "csv", "--output", str(outdir), "--name", name,
               "--record-interval", "1"] + stimulus + extra
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr.strip()}")
    return read_spikes(Path(outdir) / f"{name}_spikes.csv")


def run_soma(results, soma, outdir, log, problems):
    available = soma_integrators(soma)
    wanted = ["euler", "exp_euler", "rk4", "dopri5", "cvode"]
    missing = [i for i in wanted if i not in available]
    log(f"Soma {soma}: integrators {' '.join(i for i in wanted if i in available)}"
        + (f"; not built: {' '.join(missing)}" if missing else "")
        + f"; adaptive ones with rtol {ADAPTIVE_RTOL:g}, atol {ADAPTIVE_ATOL:g}")
    if "rk4" not in available:
        problems.append("Soma rk4: not listed by `soma list`")
    problems += [f"Soma {i}: not built (not listed by `soma list`)" for i in ("dopri5", "cvode") if i in missing]
    runs = [("euler", 0.01, True, False), ("exp_euler", 0.01, True, False), ("rk4", 0.01, True, True),
            ("rk4", 0.001, True, False), ("dopri5", 0.01, True, True), ("cvode", 0.01, True, True)]
    step = ["--stimulus", "step", "--set", f"stimulus.amplitude={STEP['amplitude']:g}",
            "--set", f"stimulus.onset={STEP['onset']:g}", "--set", f"stimulus.offset={STEP['offset']:g}"]
    for integrator, dt, fi, checked in runs:
        if integrator not in available:
            continue
        adaptive = integrator in ("dopri5", "cvode")
        r = Result("Soma", integrator, "adaptive" if adaptive else f"{dt:g}", checked)
        start = time.perf_counter()
        try:
            extra = tolerance_settings(soma, integrator) if adaptive else []
            stem = f"{integrator}-{dt:g}"
            r.step = soma_run(soma, outdir, f"step-{stem}", integrator, dt, step, STEP["t_stop"], extra)
            if fi:
                for amp in FI_CURRENTS:
                    r.fi[amp] = soma_run(soma, outdir, f"fi{amp:g}-{stem}", integrator, dt,
                                         ["--stimulus", "dc", "--set", f"stimulus.amplitude={amp:g}"],
                                         FI_T_STOP, extra)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            problems.append(f"Soma {integrator}: {error}")
            r.step, r.fi = None, {}
        r.seconds = time.perf_counter() - start
        results.append(r)


# ---------------------------------------------------------------------------------------------------
# Tables and checks

def print_step_table(results, reference, out):
    n = max(len(r.step) for r in results if r.step is not None)
    head = f"{'simulator':<9} {'method':<18} {'dt (ms)':>8}"
    out("Case 1: HH, 7 uA/cm^2 step on [20, 70) ms, 100 ms. Spike times (ms), upward crossings of 50 mV")
    out("(-15 mV in NEURON's V = u - 65 mV).")
    out("")
    out(head + "".join(f"{'spike ' + str(k + 1):>14}" for k in range(n)) + f"{'n':>4}")
    for r in results:
        if r.step is None:
            continue
        out(f"{r.simulator:<9} {r.method:<18} {r.dt:>8}" + "".join(f"{t:>14.6f}" for t in r.step)
            + " " * 14 * (n - len(r.step)) + f"{len(r.step):>4}")
    out("")
    out(f"Differences from {reference.label} (ms); max is the largest |difference|:")
    out("")
    out(head + "".join(f"{'spike ' + str(k + 1):>12}" for k in range(n)) + f"{'max':>11}")
    for r in results:
        if r.step is None or r is reference:
            continue
        if len(r.step) != len(reference.step):
            out(f"{r.simulator:<9} {r.method:<18} {r.dt:>8}  {len(r.step)} spikes instead of "
                f"{len(reference.step)}")
            continue
        d = [a - b for a, b in zip(r.step, reference.step)]
        out(f"{r.simulator:<9} {r.method:<18} {r.dt:>8}" + "".join(f"{x:>+12.2e}" for x in d)
            + f"{max(abs(x) for x in d):>11.2e}")


def print_fi_table(results, fi_reference, out):
    out(f"Case 2: f-I, constant current from rest, {FI_T_STOP:g} ms; rate = 1000 (n-1)/(t_last - t_first) "
        f"over the spikes at t >= {FI_T_FROM:g} ms (Hz).")
    out("Last column: the largest |rate - reference| / reference.")
    out("")
    head = f"{'simulator':<9} {'method':<18} {'dt (ms)':>8}" + "".join(
        f"{f'{i:g} uA/cm^2':>13}" for i in FI_CURRENTS) + f"{'max rel.':>11}"
    out(head)
    out(f"{'reference':<9} {'hh-fi.csv':<18} {'':>8}" + "".join(f"{fi_reference[i]:>13.5f}" for i in FI_CURRENTS))
    out(f"{'course':<9} {'Euler':<18} {'0.01':>8}" + "".join(f"{FI_REFERENCE_EULER[i]:>10.2f}   " for i in FI_CURRENTS))
    for r in results:
        if not r.fi:
            continue
        rates = [mean_rate(r.fi[i]) for i in FI_CURRENTS]
        rel = max(abs(f - fi_reference[i]) / fi_reference[i] for f, i in zip(rates, FI_CURRENTS))
        out(f"{r.simulator:<9} {r.method:<18} {r.dt:>8}" + "".join(f"{f:>13.5f}" for f in rates)
            + f"{100 * rel:>10.4f}%")


def print_same_scheme(results, out):
    """Soma's and Brian2's forward Euler are the same algorithm: their spike times should be equal."""
    find = lambda sim: next((r for r in results if r.simulator == sim and r.method == "euler" and r.dt == "0.01"
                             and r.step is not None), None)
    soma, brian = find("Soma"), find("Brian2")
    if soma is None or brian is None:
        return
    trains = [(soma.step, brian.step)] + [(soma.fi[i], brian.fi[i]) for i in FI_CURRENTS
                                           if i in soma.fi and i in brian.fi]
    if any(len(a) != len(b) for a, b in trains):
        out("Same scheme: Soma euler and Brian2 euler (dt 0.01 ms) give different spike counts")
        return
    worst = max(abs(x - y) for a, b in trains for x, y in zip(a, b))
    out(f"Same scheme: Soma euler and Brian2 euler (dt 0.01 ms), all {sum(len(a) for a, _ in trains)} spike "
        f"times: max |difference| {worst:.1e} ms")


def checks(results, reference, fi_reference, problems):
    """Lines 'PASS ...' / 'FAIL ...' for Soma's checked integrators."""
    lines = []
    for r in results:
        if not r.checked:
            continue
        name = f"Soma {r.method}" + (f" (dt {r.dt} ms)" if r.dt != "adaptive" else
                                      f" (rtol {ADAPTIVE_RTOL:g}, atol {ADAPTIVE_ATOL:g})")
        if r.step is None:
            lines.append(f"FAIL  {name}: no result")
            continue
        if reference is None or reference.step is None:
            lines.append(f"FAIL  {name}: no NEURON CVODE reference for case 1")
        elif len(r.step) != len(reference.step):
            lines.append(f"FAIL  {name}: case 1 has {len(r.step)} spikes, NEURON CVODE {len(reference.step)}")
        else:
            worst = max(abs(a - b) for a, b in zip(r.step, reference.step))
            verdict = "PASS" if worst <= TOL_SPIKE_MS else "FAIL"
            lines.append(f"{verdict}  {name}: case 1 spike times, max |difference| from NEURON CVODE "
                         f"{worst:.2e} ms (tolerance {TOL_SPIKE_MS:g} ms)")
        for i in FI_CURRENTS:
            f = mean_rate(r.fi.get(i, []))
            rel = abs(f - fi_reference[i]) / fi_reference[i] if f == f else float("inf")
            if rel > TOL_RATE_REL:
                lines.append(f"FAIL  {name}: f-I at {i:g} uA/cm^2: {f:.4f} Hz, reference {fi_reference[i]:.5f} "
                             f"Hz ({100 * rel:.4f} % > {100 * TOL_RATE_REL:g} %)")
        worst = max((abs(mean_rate(r.fi[i]) - fi_reference[i]) / fi_reference[i] for i in FI_CURRENTS
                     if i in r.fi), default=float("inf"))
        if worst <= TOL_RATE_REL:
            lines.append(f"PASS  {name}: f-I rates, max |relative difference| from the reference "
                         f"{100 * worst:.2g} % (tolerance {100 * TOL_RATE_REL:g} %)")
    lines += [f"FAIL  {p}" for p in problems]
    return lines


def main():
    here = Path(__file__).resolve().parent
    default_soma = os.environ.get("SOMA") or str(here / ".." / ".." / "build" / "bin" / "soma")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--soma", default=default_soma,
                        help="the soma runner (default: $SOMA, else ../../build/bin/soma from this script)")
    parser.add_argument("--brian2-target", default="auto", choices=["auto", "cython", "numpy"],
                        help="Brian2 code generation target; auto (default): cython when it compiles, else "
                             "numpy, which is too slow for the f-I runs (~0.65 ms per rk4 step) and runs "
                             "case 1 at dt 0.01 ms only")
    parser.add_argument("--keep", metavar="DIR", help="write Soma's output files into DIR and keep them")
    args = parser.parse_args()
    soma = os.path.abspath(args.soma)
    if not os.access(soma, os.X_OK):
        print(f"compare.py: the soma runner {soma} is not an executable (give --soma or SOMA)", file=sys.stderr)
        return 2

    out = lambda s="": print(s, flush=True)
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")  # no "no DISPLAY" warning
    try:
        if np is None:
            raise ImportError("No module named 'numpy'")
        import neuron  # noqa: F401
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import brian2  # noqa: F401
    except ImportError as error:
        print(f"compare.py: {error}; install Debian's neuron, python3-neuron and python3-brian "
              f"(scripts/test.sh does) and run with /usr/bin/python3", file=sys.stderr)
        return 1
    try:
        fi_reference = read_fi_reference()
    except (OSError, ValueError) as error:
        print(f"compare.py: the f-I reference rates: {error} (tests/data/make_hh_fi.py writes them)",
              file=sys.stderr)
        return 1

    started = time.perf_counter()
    out("Hodgkin-Huxley (Gerstner & Kistler 2002, p.36; rest 0 mV) in NEURON, Brian2 and Soma")
    out("")
    results, problems = [], []
    run_neuron(results, out)
    run_brian2(results, args.brian2_target, out)
    with tempfile.TemporaryDirectory(prefix="soma-compare-") as tmp:
        outdir = args.keep or tmp
        os.makedirs(outdir, exist_ok=True)
        run_soma(results, soma, outdir, out, problems)
        case3 = []  # its table is printed after those of cases 1 and 2
        convention = case_neuron_convention(soma, outdir, case3.append)
    out("")
    reference = next(r for r in results if r.simulator == "NEURON" and r.method == "CVODE")
    print_step_table(results, reference, out)
    out("")
    print_fi_table(results, fi_reference, out)
    out("")
    print_same_scheme(results, out)
    out("")
    for line in case3:
        out(line)
    out("")
    out("Run times (s): " + ", ".join(f"{r.label} {r.dt}: {r.seconds:.1f}" for r in results))
    out("")
    lines = checks(results, reference, fi_reference, problems) + convention
    out("Checks:")
    for line in lines:
        out("  " + line)
    failed = [line for line in lines if line.startswith("FAIL")]
    passed = [line for line in lines if line.startswith("PASS")]
    out("")
    out(f"{'FAILED' if failed else 'PASSED'}: {len(passed)} of {len(passed) + len(failed)} checks passed "
        f"({time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
