#!/usr/bin/python3
"""Time to accuracy: the CPU time each integrator needs for all spike times within 1 us of a reference.

The run: Hodgkin-Huxley (`hh`, Gerstner & Kistler 2002 p.36, rest at 0 mV),
one cell, constant current 10 uA/cm^2 from rest, 1000 ms, 69 spikes (upward crossings of 50 mV).

Reference: Soma's rk4 at dt = 1e-4 ms (1e7 steps; spikes located on the cubic Hermite interpolant of
the step). It is checked against rk4 at dt = 5e-5 ms: the spike times must agree within 1e-6 ms (they
agree to ~1e-11 ms), unless --skip-reference-check.

Target: the same number of spikes and max over ALL spikes |t - t_ref| < 1e-3 ms (1 us).

Sweeps (the first setting that meets the target is the cheapest of its sweep, because the cost grows
monotonically along it):
  Soma euler, exp_euler, rk4  dt = 0.02 ms / 2^k, k = 0, 1, ...; if 0.02 ms already meets the target,
                              dt = 0.04, 0.08, ... until one does not (the largest that does is reported)
  Soma dopri5, cvode          rtol = 1e-3, 1e-4, ... (10x), atol = rtol * 1e-2 (atol is in the unit of
                              each state: mV for v, 1 for gates, so the error weight of a state is
                              rtol (|y| + 0.01)); output grid dt = 1 ms: the internal steps are the
                              integrator's own, a finer grid only adds returns at the grid times (at
                              dt = 0.01 ms cvode, rtol 1e-7, takes 0.073 s instead of 0.043 s)
  NEURON CVODE (NetCon)       atol = 1e-3, 1e-4, ... with rtol 0 (NEURON's default), spike times from a
                              NetCon (threshold -15 mV, cvode.condition_order(2): crossing interpolated
                              linearly between CVODE steps)
  NEURON CVODE, rtol tied     the same with rtol = atol * 100 (Soma's coupling); NetCon times
  NEURON CVODE + v at 1 us    rtol 0 and atol as above, but v recorded every 0.001 ms from CVODE's
                              interpolant (Vector.record) and the crossing located on the cubic through
                              the 4 samples around it (as tests/compare/compare.py does)
  NEURON fixed step CN        secondorder = 2 (Crank-Nicolson), h.dt = 0.02 ms / 2^k, v recorded every step,
                              crossing on the cubic through 4 steps
NEURON's model is set up as in tests/compare/compare.py: `hh` mechanism, usetable_hh = 0, celsius 6.3,
el_hh = -54.4, ena 50, ek -77 mV, cm 1 uF/cm^2, one segment of area 1e5 um^2 (1 nA = 1 uA/cm^2), IClamp
delay 0, dur 1e9, amp 10 nA, finitialize(-65); V = u - 65 mV.

Timing (CPU time, user + system):
  Soma    each `soma run` is a child process: the getrusage(RUSAGE_CHILDREN) difference around it, so
          process start-up (loading the plug-ins, ~4 ms) is included. Output: `--recorder csv
          --record-interval 500`, i.e. 3 sample rows plus the spikes file (the spike times are read from
          it); the CSV cost is negligible. The start-up is measured the same way on a one-step run
          (euler, dt = t_stop = 0.01 ms) and the table shows the CPU time both with and without it.
  NEURON  time.process_time() around h.finitialize + h.continuerun in this process; building the model
          and importing NEURON are excluded (there is no start-up in NEURON's numbers).
The time of the setting that meets the target is the best of --repeats runs (3), or of 10 when a run
takes under 0.05 s. A sweep gives up when the next run would take more than --max-run seconds (8): the
table then shows the best setting reached and, from the last two points, the order, the dt needed and
the CPU time it would take (extrapolated, marked ~).

Usage: /usr/bin/python3 bench/time_to_accuracy.py [--soma build/bin/soma] [--max-run 8] [--repeats 3]
Needs NEURON 8.2 (Debian `neuron`, `python3-neuron`) and numpy for the NEURON rows (--no-neuron skips
them). Takes about 40 s. See docs/performance.md, "Time to accuracy".
"""

import argparse
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The model set-up and Soma helpers are shared with the validation script (tests/compare/compare.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "compare"))
from compare import neuron_section, read_spikes, soma_integrators  # noqa: E402

T_STOP = 1000.0         # ms
AMPLITUDE = 10.0        # uA/cm^2
TARGET_MS = 1e-3        # max |spike time - reference|
REF_DT, REF_CHECK_DT = 1e-4, 5e-5
FIXED_DT0 = 0.02        # ms, first dt of the fixed-step sweeps
TOL0 = 1e-3             # first tolerance of the adaptive sweeps
ATOL_FACTOR = 1e-2      # Soma adaptive: atol = rtol * ATOL_FACTOR
ADAPTIVE_DT = 1.0       # ms, Soma's output grid for the adaptive integrators
RECORD_INTERVAL = 500.0  # ms: samples at 0, 500 and 1000 ms only
V_REST_NEURON = -65.0
THRESHOLD_NEURON = 50.0 + V_REST_NEURON   # -15 mV
NEURON_DENSE_DT = 0.001  # ms
SOMA_MIN_RTOL = {"dopri5": 1e-13, "cvode": 1e-13}  # atol = rtol * 1e-2 must stay >= 1e-15 (their range)
NEURON_MIN_ATOL = 1e-14


def log(*parts):
    print(*parts, flush=True)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def max_error(spikes, reference):
    """max |t - t_ref| over all spikes (ms), or inf if the counts differ."""
    if spikes is None or len(spikes) != len(reference) or not spikes:
        return math.inf
    return max(abs(a - b) for a, b in zip(spikes, reference))


def fmt_err(e):
    return "count" if e == math.inf else f"{e:.2e}"


# ---------------------------------------------------------------------------------------------------
# Soma

class Soma:
    def __init__(self, exe, outdir):
        self.exe, self.outdir, self.count = exe, Path(outdir), 0

    def command(self, integrator, dt, sets=(), t_stop=T_STOP, record_interval=RECORD_INTERVAL, name="run"):
        cmd = [self.exe, "run", "--model", "hh", "--stimulus", "dc", "--set", f"stimulus.amplitude={AMPLITUDE:g}",
               "--integrator", integrator, "--dt", repr(dt), "--t-stop", f"{t_stop:g}",
               "--recorder", "csv", "--record-interval", repr(record_interval),
               "--output", str(self.outdir), "--name", name]
        for s in sets:
            cmd += ["--set", s]
        return cmd

    def run(self, cmd):
        """(spike times or None, CPU seconds, error text)."""
        spikes_file = self.outdir / f"{cmd[cmd.index('--name') + 1]}_spikes.csv"
        spikes_file.unlink(missing_ok=True)
        before = children_cpu()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        cpu = children_cpu() - before
        if done.returncode != 0:
            lines = [l for l in done.stderr.strip().splitlines() if not l.startswith("soma: note")]
            return None, cpu, (lines[-1] if lines else f"exit status {done.returncode}")
        return read_spikes(spikes_file), cpu, ""

    def integrators(self):
        return soma_integrators(self.exe)


def best_time(run_once, repeats, first=None):
    """Best CPU time of `repeats` calls of run_once() -> seconds (10 calls if one takes < 0.05 s);
    `first` is a time already measured (counted as one of them)."""
    times = [first] if first is not None else []
    while True:
        n = repeats if (min(times) if times else math.inf) >= 0.05 else max(repeats, 10)
        if len(times) >= n:
            return min(times)
        times.append(run_once())


class Row:
    def __init__(self, label):
        self.label = label
        self.setting = None     # string of the setting reached / used
        self.err = math.inf
        self.n = 0
        self.cpu = None         # s, as measured (Soma: process, start-up included)
        self.net = None         # s, compute only (Soma: minus start-up; NEURON: = cpu)
        self.reached = False
        self.note = ""
        self.extrapolated = None  # (dt needed, CPU s, compute s, order) when a fixed-step sweep gave up


def sweep(label, settings, run_setting, repeats, max_run, reference, fixed_step, startup=0.0,
          show=lambda x: f"{x:g}"):
    """Runs settings in order until one meets the target; returns a Row. run_setting(x) -> (spikes,
    cpu, error text). fixed_step: cost ~ 1/x, extrapolate the dt needed if the budget runs out."""
    row = Row(label)
    settings_first = None
    history = []   # (setting, err, cpu) of the runs that finished
    last_x = last_cpu = None
    for k, x in enumerate(settings):
        if last_cpu is not None:
            predicted = last_cpu * (last_x / x if fixed_step else 1.5)
            if predicted > max_run:
                row.note = f"stopped: next run ~{predicted:.0f} s > --max-run {max_run:g} s"
                break
        if k == 0:
            settings_first = x
        spikes, cpu, error = run_setting(x)
        err = max_error(spikes, reference)
        n = len(spikes) if spikes is not None else 0
        log(f"  {label:<28} {show(x):>12}  max err {fmt_err(err):>9}  spikes {n:>3}  cpu {cpu:8.4f} s"
            + (f"  ({error})" if error else ""))
        last_x, last_cpu = x, cpu
        if spikes is None:
            continue
        history.append((x, err, cpu))
        if err < TARGET_MS and fixed_step and k == 0:
            # Met at the first dt of the sweep: try coarser ones (2x) until one fails.
            while True:
                spikes2, cpu2, error2 = run_setting(2 * x)
                err2 = max_error(spikes2, reference)
                log(f"  {label:<28} {show(2 * x):>12}  max err {fmt_err(err2):>9}  spikes "
                    f"{len(spikes2) if spikes2 else 0:>3}  cpu {cpu2:8.4f} s  (coarser: the first dt met the target)"
                    + (f"  ({error2})" if error2 else ""))
                if not err2 < TARGET_MS:
                    break
                x, err, n, cpu = 2 * x, err2, len(spikes2), cpu2
            row.note = (f"the first dt of the sweep ({show(settings_first)}) met the target; coarser: "
                        f"{show(x)} is the largest that does, {show(2 * x)} does not")
        if err < TARGET_MS:
            row.reached, row.setting, row.err, row.n = True, show(x), err, n
            row.cpu = best_time(lambda: run_setting(x)[1], repeats, first=cpu)
            row.net = max(row.cpu - startup, 0.0)
            return row
    else:
        row.note = row.note or "end of the sweep"
    finite = [h for h in history if h[1] < math.inf]
    if finite:
        x, err, cpu = min(finite, key=lambda h: h[1])
        row.setting, row.err = show(x), err
        row.n = len(reference)
        row.cpu, row.net = cpu, max(cpu - startup, 0.0)
    if fixed_step and len(finite) >= 2 and finite[-1][1] < finite[-2][1]:
        (x1, e1, _), (x2, e2, c2) = finite[-2], finite[-1]
        order = math.log(e1 / e2) / math.log(x1 / x2)
        x_need = x2 * (TARGET_MS / e2) ** (1.0 / order)
        net_need = max(c2 - startup, 0.0) * x2 / x_need
        row.note = (f"{row.note}; measured order {order:.2f} (last two runs): needs dt ~{x_need:.2g} ms, "
                    f"~{net_need + startup:.3g} s").lstrip("; ")
        row.extrapolated = (x_need, net_need + startup, net_need, order)
    return row


# ---------------------------------------------------------------------------------------------------
# NEURON

class Neuron:
    def __init__(self):
        os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
        import numpy
        from neuron import h, __version__
        self.np, self.h, self.version = numpy, h, __version__
        h.load_file("stdrun.hoc")
        sec = neuron_section(h)  # hh, tables off, el_hh -54.4, area so that 1 nA = 1 uA/cm^2
        seg = sec(0.5)
        self.stim = h.IClamp(seg)
        self.stim.delay, self.stim.dur, self.stim.amp = 0.0, 1e9, AMPLITUDE
        self.sec, self.seg = sec, seg
        self.cvode = h.CVode()
        self.netcon = h.NetCon(seg._ref_v, None, sec=sec)
        self.netcon.threshold = THRESHOLD_NEURON
        self.nc_times = h.Vector()
        self.netcon.record(self.nc_times)
        h.tstop = T_STOP

    def _simulate(self):
        t0 = time.process_time()
        self.h.finitialize(V_REST_NEURON)
        self.h.continuerun(T_STOP)
        return time.process_time() - t0

    def crossings(self, v, dt):
        """Upward crossings of the threshold in v sampled every dt from 0, on the cubic through the 4
        samples around each (error O(dt^4))."""
        np = self.np
        v = np.asarray(v)
        times = []
        for i in np.nonzero((v[:-1] < THRESHOLD_NEURON) & (v[1:] >= THRESHOLD_NEURON))[0]:
            if 1 <= i < len(v) - 2:
                p = np.polyfit([-1.0, 0.0, 1.0, 2.0], v[i - 1:i + 3], 3)
                lo, hi = 0.0, 1.0
                for _ in range(60):
                    mid = 0.5 * (lo + hi)
                    lo, hi = (mid, hi) if np.polyval(p, mid) < THRESHOLD_NEURON else (lo, mid)
                s = 0.5 * (lo + hi)
            else:
                s = (THRESHOLD_NEURON - v[i]) / (v[i + 1] - v[i])
            times.append((i + s) * dt)
        return times

    def cvode_netcon(self, atol, rtol_factor=0.0):
        self.cvode.active(1)
        self.cvode.condition_order(2)
        self.cvode.atol(atol)
        self.cvode.rtol(atol * rtol_factor)
        cpu = self._simulate()
        return list(self.nc_times), cpu, ""

    def cvode_dense(self, atol):
        self.cvode.active(1)
        self.cvode.condition_order(2)
        self.cvode.atol(atol)
        self.cvode.rtol(0)
        rec = self.h.Vector()
        rec.record(self.seg._ref_v, NEURON_DENSE_DT)
        cpu = self._simulate()
        v = rec.as_numpy().copy()
        rec.play_remove()
        return self.crossings(v, NEURON_DENSE_DT), cpu, ""

    def fixed_cn(self, dt):
        h = self.h
        self.cvode.active(0)
        h.secondorder = 2
        h.dt = dt
        h.steps_per_ms = round(1.0 / dt)
        rec = h.Vector()
        rec.record(self.seg._ref_v)
        cpu = self._simulate()
        v = rec.as_numpy().copy()
        rec.play_remove()
        h.secondorder = 0
        if abs(h.dt - dt) > 1e-12 * dt:
            return None, cpu, f"NEURON changed dt to {h.dt}"
        return self.crossings(v, dt), cpu, ""


# ---------------------------------------------------------------------------------------------------

def geometric(x0, factor, stop):
    x = x0
    while x >= stop * (1 - 1e-9):
        yield x
        x *= factor


def halving(x0, n=40):
    for k in range(n):
        yield x0 / 2 ** k


def machine():
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{model or platform.processor()}, {os.cpu_count()} CPUs, load average {load:.2f} at the start"


def main():
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--soma", default=os.environ.get("SOMA") or str(here.parent / "build" / "bin" / "soma"),
                        help="the soma runner (default: $SOMA, else build/bin/soma)")
    parser.add_argument("--max-run", type=float, default=8.0,
                        help="give up a sweep when its next run would take longer than this (CPU s; default 8)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of the setting found (best of; default 3)")
    parser.add_argument("--skip-reference-check", action="store_true",
                        help="do not check the reference against rk4 at dt = 5e-5 ms (saves ~4 s)")
    parser.add_argument("--no-neuron", action="store_true", help="Soma only")
    parser.add_argument("--keep", metavar="DIR", help="write Soma's output into DIR and keep it")
    args = parser.parse_args()
    exe = os.path.abspath(args.soma)
    if not os.access(exe, os.X_OK):
        print(f"time_to_accuracy.py: {exe} is not an executable (give --soma or SOMA)", file=sys.stderr)
        return 2
    os.environ.pop("SOMA_PLUGIN_PATH", None)  # the built-in plug-ins, as bench/run.sh
    started = time.perf_counter()

    tmp = None
    if args.keep:
        outdir = Path(args.keep)
        outdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="soma-tta-")
        outdir = Path(tmp)
    try:
        return run(args, Soma(exe, outdir), started)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, soma, started):
    log(f"Time to accuracy: HH (Gerstner & Kistler), dc {AMPLITUDE:g} uA/cm^2, {T_STOP:g} ms, "
        f"target: every spike within {TARGET_MS:g} ms of the reference")
    log(f"Machine: {machine()}")
    available = soma.integrators()

    # Reference
    ref, cpu, error = soma.run(soma.command("rk4", REF_DT, name="ref"))
    if ref is None:
        print(f"reference run failed: {error}", file=sys.stderr)
        return 1
    log(f"Reference: soma rk4, dt = {REF_DT:g} ms: {len(ref)} spikes, first {ref[0]:.9f}, last {ref[-1]:.9f} ms "
        f"({cpu:.2f} s)")
    if not args.skip_reference_check:
        check, cpu, error = soma.run(soma.command("rk4", REF_CHECK_DT, name="ref-check"))
        e = max_error(check, ref)
        log(f"  check: rk4 at dt = {REF_CHECK_DT:g} ms differs by max {fmt_err(e)} ms ({cpu:.2f} s)")
        if not e < 1e-6:
            print("the reference is not converged to 1e-6 ms", file=sys.stderr)
            return 1

    # Soma start-up: a one-step run, same recorder
    startup_cmd = soma.command("euler", 0.01, t_stop=0.01, record_interval=0.01, name="startup")
    startup = min(soma.run(startup_cmd)[1] for _ in range(10))
    log(f"Soma start-up (one euler step, csv recorder), best of 10: {startup * 1e3:.1f} ms CPU")
    log("")
    log("Sweeps:")

    rows = []
    for name in ("euler", "exp_euler", "rk4"):
        if name not in available:
            log(f"  soma {name}: not built")
            continue
        rows.append(sweep(f"soma {name}", halving(FIXED_DT0),
                          lambda dt, n=name: soma.run(soma.command(n, dt, name=n)),
                          args.repeats, args.max_run, ref, True, startup, show=lambda x: f"dt {x:.6g}"))
    for name in ("dopri5", "cvode"):
        if name not in available:
            log(f"  soma {name}: not built (not listed by `soma list`)")
            rows.append(Row(f"soma {name}"))
            rows[-1].note = "not built"
            continue
        rows.append(sweep(f"soma {name}", geometric(TOL0, 0.1, SOMA_MIN_RTOL[name]),
                          lambda r, n=name: soma.run(soma.command(
                              n, ADAPTIVE_DT, [f"integrator.rtol={r:g}", f"integrator.atol={r * ATOL_FACTOR:g}"],
                              name=n)),
                          args.repeats, args.max_run, ref, False, startup,
                          show=lambda x: f"rtol {x:.0e}"))

    neuron_version = None
    if not args.no_neuron:
        try:
            nrn = Neuron()
            neuron_version = nrn.version
        except ImportError as e:
            log(f"  NEURON: cannot import ({e}); install Debian's neuron and python3-neuron, run with "
                f"/usr/bin/python3")
            nrn = None
        if nrn is not None:
            rows.append(sweep("NEURON CVODE (NetCon)", geometric(TOL0, 0.1, NEURON_MIN_ATOL), nrn.cvode_netcon,
                              args.repeats, args.max_run, ref, False, show=lambda x: f"atol {x:.0e}"))
            rows.append(sweep("NEURON CVODE, rtol=100atol", geometric(TOL0 * ATOL_FACTOR, 0.1, NEURON_MIN_ATOL),
                              lambda a: nrn.cvode_netcon(a, 1.0 / ATOL_FACTOR),
                              args.repeats, args.max_run, ref, False, show=lambda x: f"rtol {x / ATOL_FACTOR:.0e}"))
            rows.append(sweep("NEURON CVODE + v at 1 us", geometric(TOL0, 0.1, NEURON_MIN_ATOL), nrn.cvode_dense,
                              args.repeats, args.max_run, ref, False, show=lambda x: f"atol {x:.0e}"))
            rows.append(sweep("NEURON fixed step CN", halving(FIXED_DT0), nrn.fixed_cn,
                              args.repeats, args.max_run, ref, True, show=lambda x: f"dt {x:.6g}"))

    # Table
    done = [r for r in rows if r.reached]
    fastest = min((r.net for r in done), default=None)
    log("")
    log(f"HH, dc {AMPLITUDE:g} uA/cm^2, {T_STOP:g} ms, {len(ref)} spikes; target: every spike time within "
        f"{TARGET_MS * 1e3:g} us of soma rk4 at dt = {REF_DT:g} ms. CPU time (user + sys), best of "
        f"{args.repeats} (of 10 if under 0.05 s).")
    log(f"Soma: whole process incl. start-up ({startup * 1e3:.1f} ms); \"compute\" = minus start-up. "
        f"NEURON{' ' + neuron_version if neuron_version else ''}: finitialize + continuerun only.")
    log("")
    log("| integrator | setting reached | max error (ms) | spikes | CPU (s) | compute (s) | / fastest |")
    log("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if r.setting is None:
            log(f"| {r.label} | – | – | – | – | – | {r.note} |")
            continue
        if r.reached:
            ratio = f"{r.net / fastest:.1f}" if fastest else "–"
            log(f"| {r.label} | {r.setting} | {r.err:.1e} | {r.n} | {r.cpu:.4f} | {r.net:.4f} | {ratio} |")
        else:
            if r.extrapolated:
                x_need, t_need, net_need, order = r.extrapolated
                ratio = f"~{net_need / fastest:.0f}" if fastest else "–"
                log(f"| {r.label} | {r.setting}: not met; ~dt {x_need:.1g} needed | {r.err:.1e} | {r.n} | "
                    f"{r.cpu:.3f}; ~{t_need:.3g} needed | ~{net_need:.3g} | {ratio} |")
            else:
                log(f"| {r.label} | {r.setting} (not met) | {r.err:.1e} | {r.n} | {r.cpu:.3f} | – | – |")
    notes = [f"{r.label}: {r.note}" for r in rows if r.note]
    if notes:
        log("")
        for n in notes:
            log(f"  {n}")
    log("")
    log(f"Total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
