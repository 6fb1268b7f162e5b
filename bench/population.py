#!/usr/bin/python3
"""Population benchmarks: Soma against a vectorized hand-written loop, Brian2 and NEURON; threads; one
cell against hand loops; peak memory while recording every cell. Prints tables (see docs/performance.md).

All population cases run the same simulation: N Hodgkin-Huxley cells (Gerstner & Kistler 2002, p.36,
rest at 0 mV), cell k driven by a constant current I_k = 20 k / (N - 1) uA/cm^2 (linspace(0, 20, N)),
from rest for 100 ms at dt = 0.01 ms, forward Euler, spikes (upward crossings of 50 mV) only:

  hand loop     bin/soma_bench_hh_population_loop (bench/hh_population_loop.cpp), 1 and 2 threads
  soma          soma run --model hh --stimulus dc --cells N --set 'stimulus.amplitude=linspace(0,20,N)'
                --t-stop 100 --dt 0.01 --record spikes --recorder none --threads 1 (and 2)
  soma engine   bin/soma_bench_population, the same run wired with build_simulation: the time of
                Simulation::run alone (no start-up), as the driver reports it
  Brian2        a NeuronGroup with the same equations (tests/compare/compare.py's BRIAN2_EQUATIONS),
                method 'euler', dt 0.01 ms, threshold and refractory 'v >= 50*mV' (upward crossings),
                SpikeMonitor, Cython target; whole process, and inside it import, build (code generation
                and Cython compilation or cache load) and run (the time loop); also the first run with
                an empty Cython cache
  NEURON        N one-compartment sections with the built-in hh mechanism shifted to rest 0 mV as in
                compare.py (celsius 6.3, V = u - 65 mV), an IClamp each, NetCons at -15 mV; fixed
                step dt 0.01 ms with secondorder = 0 (NEURON's default: implicit Euler for v, the hh
                gates by their cnexp scheme); rates computed exactly (usetable_hh = 0) and, second row,
                from NEURON's default tables (usetable_hh = 1)

One cell, 10 000 ms at dt 0.01 ms (10^6 steps), recording off:
  HH at 10 uA/cm^2   bin/soma_bench_hh_loop (bench/hh_hand_loop.cpp) against soma run --model hh
  LIF at 2 nA        bin/soma_bench_lif_loop (bench/lif_hand_loop.cpp) against soma run --model lif with
                     tau_m 10 ms, R 10 MOhm, V_th 15 mV, V_reset 0 mV, t_ref 2 ms

Memory: peak resident set size (GNU time -v) of soma run with the N cells recording v of every cell at
every step to CSV (--record v --record-cells 0:N --recorder csv), written to a temporary directory.

Before timing, the script checks that the hand loops and Soma compute the same runs: the population
loop's and the LIF loop's spike times must be bit-identical to Soma's csv recorder's, the single-cell
HH spike counts equal. Times are wall-clock times of whole processes (start-up included); each case
runs --runs times (Brian2 and NEURON --slow-runs times), the runs of all cases interleaved, and the
best (smallest) time is kept. CPU time (user + system) and peak RSS come from wait4 of each process.

usage: /usr/bin/python3 bench/population.py [--build DIR] [--runs N] [--slow-runs N] [--cells N]
                                            [--no-brian2] [--no-neuron] [--no-memory]
Needs a Release build with the benchmark targets (soma, soma_bench_*; built by default), GNU time for
the memory case, and for the Brian2 and NEURON rows Debian's python3-brian (with python3-dev for
Cython) and python3-neuron, imported by /usr/bin/python3. Exit status: 0, or 1 if a run failed or the
hand loops and Soma disagree, 2 for a usage error.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "compare"))  # compare.py: the HH set-ups of Brian2 and NEURON

T_STOP, DT, I_MAX = 100.0, 0.01, 20.0         # ms, ms, uA/cm^2: the population run
SINGLE_T_STOP = 10000.0                        # ms: the one-cell runs (10^6 steps)
HH_AMPLITUDE = 10.0                            # uA/cm^2
LIF = dict(amplitude=2.0, tau_m=10.0, R=10.0, V_th=15.0, t_ref=2.0)  # nA, ms, MOhm, mV, ms


def currents(n):
    """linspace(0, I_MAX, n) in the order soma::CellValues evaluates it (the last value exactly I_MAX)."""
    return [I_MAX * k / (n - 1) for k in range(n - 1)] + [I_MAX] if n > 1 else [0.0]


# ---------------------------------------------------------------------------------------------------
# Child processes: one Brian2 or NEURON run, printing one JSON line

def brian2_child(args):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FutureWarnings of Debian's pythran on import
        import brian2 as b2
    import compare
    from brian2 import ms, mV, uF, msiemens, cm
    imported = time.perf_counter()
    b2.prefs.codegen.target = "cython"
    b2.prefs.codegen.runtime.cython.cache_dir = args.cache_dir
    b2.defaultclock.dt = DT * ms
    g = compare.G_K
    namespace = dict(C_m=g["C_m"] * uF / cm**2, g_Na=g["g_Na"] * msiemens / cm**2, g_K=g["g_K"] * msiemens / cm**2,
                     g_L=g["g_L"] * msiemens / cm**2, E_Na=g["E_Na"] * mV, E_K=g["E_K"] * mV, E_L=g["E_L"] * mV)
    # The refractory condition makes a spike an upward crossing: no new spike until v is below 50 mV again.
    group = b2.NeuronGroup(args.cells, compare.BRIAN2_EQUATIONS, method="euler", threshold="v >= 50*mV",
                           refractory="v >= 50*mV", namespace=namespace)
    group.I_amp = currents(args.cells)
    group.I_on = 1
    group.v = 0 * mV
    group.m, group.n, group.h = compare.steady_gates(0.0)
    monitor = b2.SpikeMonitor(group)
    network = b2.Network(group, monitor)
    before = time.perf_counter()
    network.run(T_STOP * ms, namespace=namespace)
    total = time.perf_counter() - before
    loop = b2.device._last_run_time  # the time loop alone (brian2/core/network.py)
    print(json.dumps(dict(spikes=int(monitor.num_spikes), version=b2.__version__, imported=imported - start,
                          build=before - imported + total - loop, run=loop)))


def neuron_child(args):
    start = time.perf_counter()
    from neuron import h, __version__
    import compare
    h.load_file("stdrun.hoc")
    imported = time.perf_counter()
    sections, clamps, netcons = [], [], []
    times, cells = h.Vector(), h.Vector()
    for k, amplitude in enumerate(currents(args.cells)):
        sec = compare.neuron_section(h)  # area 1e-3 cm^2: 1 nA = 1 uA/cm^2
        clamp = h.IClamp(sec(0.5))
        clamp.delay, clamp.dur, clamp.amp = 0.0, 1e9, amplitude
        netcon = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
        netcon.threshold = compare.V_SPIKE + compare.V_REST_NEURON  # -15 mV
        netcon.record(times, cells, k)
        sections.append(sec)
        clamps.append(clamp)
        netcons.append(netcon)
    h.usetable_hh = args.tables
    h.cvode.active(0)
    h.secondorder = 0
    h.dt = DT
    h.steps_per_ms = round(1.0 / DT)
    h.tstop = T_STOP
    built = time.perf_counter()
    h.finitialize(compare.V_REST_NEURON)
    h.continuerun(T_STOP)
    done = time.perf_counter()
    assert abs(h.dt - DT) < 1e-15, h.dt
    print(json.dumps(dict(spikes=len(times), version=__version__, imported=imported - start, build=built - imported,
                          run=done - built)))


# ---------------------------------------------------------------------------------------------------
# Measuring

class Failure(Exception):
    pass


def run_timed(command, env):
    """Runs `command`; returns its wall time (s), its CPU time (user + system, s, from os.wait4: of that
    process and the children it waited for), its stdout and its stderr."""
    start = time.perf_counter()
    p = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    text = {}
    readers = [threading.Thread(target=lambda s=s, k=k: text.__setitem__(k, s.read())) for s, k in
               ((p.stdout, "out"), (p.stderr, "err"))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    for r in readers:
        r.join()
    p.stdout.close()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise Failure(f"{' '.join(command)} failed ({p.returncode}):\n{text['err'].strip()[-2000:]}")
    return dict(wall=wall, cpu=usage.ru_utime + usage.ru_stime, out=text["out"], err=text["err"])


def spike_count(text):
    """The spike count in the output of soma run, the driver or a hand loop."""
    if re.search(r"^\s*no spikes", text, re.M):
        return 0
    match = re.search(r"(\d+) spike\(s\)", text)
    return int(match.group(1)) if match else None


class Case:
    """A command timed `runs` times. With `rss_file`, it runs under GNU time, which writes the peak RSS of
    the command alone to that file (wait4's ru_maxrss would include the Python process it was forked
    from); wait4's CPU time includes GNU time's child."""

    def __init__(self, name, label, command, runs, parse=None, rss_file=None):
        self.name, self.label, self.runs, self.rss_file = name, label, runs, rss_file
        self.command = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file)] + command if rss_file else command
        self.parse = parse or (lambda r: dict(spikes=spike_count(r["out"])))
        self.best = None      # the run with the smallest wall time
        self.cpu = None       # the smallest CPU time
        self.extra = {}       # from `parse` of the best run

    def record(self, result):
        parsed = self.parse(result)
        if self.rss_file:
            result["rss_kib"] = int(Path(self.rss_file).read_text().split()[-1])
        if self.best is None or result["wall"] < self.best["wall"]:
            self.best, self.extra = result, parsed
        self.cpu = result["cpu"] if self.cpu is None else min(self.cpu, result["cpu"])


def time_cases(cases, env, log):
    """Interleaved: run k of every case (that still needs runs), then run k + 1, ..."""
    for k in range(max(c.runs for c in cases)):
        log(f"  round {k + 1}: " + ", ".join(c.name for c in cases if k < c.runs))
        for case in cases:
            if k < case.runs:
                case.record(run_timed(case.command, env))


def json_line(result):
    return json.loads(result["out"].strip().splitlines()[-1])


def engine_time(result):
    match = re.search(r"Simulation::run: ([0-9.]+) s", result["err"])
    return dict(spikes=spike_count(result["out"]), engine=float(match.group(1)) if match else None)


def child_available(module):
    done = subprocess.run(["/usr/bin/python3", "-c", f"import {module}"], capture_output=True, text=True)
    return done.returncode == 0


def read_spikes(path):
    return [line for line in Path(path).read_text().splitlines() if not line.startswith("#")]


# ---------------------------------------------------------------------------------------------------
# Main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("child", nargs="?", choices=["brian2", "neuron"], help=argparse.SUPPRESS)
    parser.add_argument("--build", default="build", help="Release build directory (default: ./build)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each fast case (default 5)")
    parser.add_argument("--slow-runs", type=int, default=2, help="runs of each Brian2 and NEURON case (default 2)")
    parser.add_argument("--cells", type=int, default=10000, help="population size (default 10000)")
    parser.add_argument("--no-brian2", action="store_true", help="skip Brian2")
    parser.add_argument("--no-neuron", action="store_true", help="skip NEURON")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory case (writes N x 10^4 samples)")
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    parser.add_argument("--tables", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cells < 2 or args.runs < 1 or args.slow_runs < 1:
        parser.error("--cells must be at least 2, --runs and --slow-runs at least 1")
    if args.child == "brian2":
        return brian2_child(args)
    if args.child == "neuron":
        return neuron_child(args)

    build = Path(args.build)
    names = ("soma", "soma_bench_population", "soma_bench_hh_population_loop", "soma_bench_hh_loop",
             "soma_bench_lif_loop")
    tools = {name: str(build / "bin" / name) for name in names}
    missing = [p for p in tools.values() if not os.access(p, os.X_OK)]
    if missing:
        parser.error(f"not built: {', '.join(missing)}; build first: cmake -S . -B {build} && "
                     f"cmake --build {build} -j2")
    env = {k: v for k, v in os.environ.items() if k != "SOMA_PLUGIN_PATH"}  # the built-in plug-ins only
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    out = print
    n = args.cells
    soma, driver = tools["soma"], tools["soma_bench_population"]
    population = ["--model", "hh", "--stimulus", "dc", "--cells", str(n),
                  "--set", f"stimulus.amplitude=linspace(0,{I_MAX:g},{n})", "--t-stop", f"{T_STOP:g}", "--dt", f"{DT:g}"]
    run_hh = population + ["--record", "spikes"]
    hand_hh = [tools["soma_bench_hh_population_loop"], "--cells", str(n), "--t-stop", f"{T_STOP:g}", "--dt", f"{DT:g}",
               "--i-max", f"{I_MAX:g}"]
    single_hh = ["--model", "hh", "--stimulus", "dc", "--set", f"stimulus.amplitude={HH_AMPLITUDE:g}",
                 "--t-stop", f"{SINGLE_T_STOP:g}", "--dt", f"{DT:g}"]
    single_lif = ["--model", "lif", "--stimulus", "dc", "--set", f"stimulus.amplitude={LIF['amplitude']:g}",
                  "--set", f"model.tau_m={LIF['tau_m']:g}", "--set", f"model.R={LIF['R']:g}",
                  "--set", f"model.V_th={LIF['V_th']:g}", "--set", f"model.t_ref={LIF['t_ref']:g}",
                  "--t-stop", f"{SINGLE_T_STOP:g}", "--dt", f"{DT:g}"]
    hand_lif = [tools["soma_bench_lif_loop"], "--amplitude", f"{LIF['amplitude']:g}", "--tau-m", f"{LIF['tau_m']:g}",
                "--R", f"{LIF['R']:g}", "--V-th", f"{LIF['V_th']:g}", "--t-ref", f"{LIF['t_ref']:g}",
                "--t-stop", f"{SINGLE_T_STOP:g}", "--dt", f"{DT:g}"]
    load_before = os.getloadavg()
    problems = []
    with tempfile.TemporaryDirectory(prefix="soma-population-") as tmp:
        tmp = Path(tmp)
        # -- Same runs? ---------------------------------------------------------------------------------
        log("Checking that the hand loops and Soma compute the same runs...")
        run_timed(hand_hh + ["--spikes", str(tmp / "hand_spikes.csv")], env)
        run_timed([soma, "run"] + run_hh + ["--threads", "2", "--recorder", "csv", "--output", str(tmp),
                                            "--name", "hh"], env)
        same_population = read_spikes(tmp / "hand_spikes.csv") == read_spikes(tmp / "hh_spikes.csv")
        run_timed(hand_lif + ["--spikes", str(tmp / "lif_hand_spikes.csv")], env)
        run_timed([soma, "run"] + single_lif + ["--recorder", "csv", "--record", "spikes", "--output", str(tmp),
                                                "--name", "lif"], env)
        same_lif = read_spikes(tmp / "lif_hand_spikes.csv") == read_spikes(tmp / "lif_spikes.csv")
        for ok, what in ((same_population, f"HH population ({n} cells)"), (same_lif, "LIF")):
            log(f"  {what}: spike times of the hand loop and Soma {'bit-identical' if ok else 'DIFFER'}")
            if not ok:
                problems.append(f"{what}: the hand loop's spike times differ from Soma's")

        # -- Timing -------------------------------------------------------------------------------------
        def timed(name, label, command, runs, parse=None):  # a population case, with its peak RSS
            return Case(name, label, command, runs, parse, tmp / f"{name}.rss")

        soma_hh = [soma, "run"] + run_hh + ["--recorder", "none"]
        cases = [
            timed("hand1", "hand loop, 1 thread", hand_hh + ["--threads", "1"], args.runs),
            timed("soma1", "soma run, 1 thread", soma_hh + ["--threads", "1"], args.runs),
            timed("engine1", "soma, Simulation::run only, 1 thread", [driver] + run_hh + ["--threads", "1"], args.runs,
                  engine_time),
            timed("hand2", "hand loop, 2 threads", hand_hh + ["--threads", "2"], args.runs),
            timed("soma2", "soma run, 2 threads", soma_hh + ["--threads", "2"], args.runs),
        ]
        brian2_cold = None
        if not args.no_brian2:
            if child_available("brian2"):
                cache = tmp / "brian2-cache"
                command = ["/usr/bin/python3", __file__, "brian2", "--cells", str(n), "--cache-dir", str(cache)]
                log("Brian2: first run, with an empty Cython cache (compiles)...")
                brian2_cold = run_timed(command, env)
                brian2_cold.update(json_line(brian2_cold))
                cases.append(timed("brian2", "Brian2, Cython", command, args.slow_runs, json_line))
            else:
                problems.append("Brian2 skipped: /usr/bin/python3 cannot import brian2 "
                                "(apt-get install python3-brian python3-dev)")
        if not args.no_neuron:
            if child_available("neuron"):
                for tables in (0, 1):
                    command = ["/usr/bin/python3", __file__, "neuron", "--cells", str(n), "--tables", str(tables)]
                    label = "NEURON, exact rates" if tables == 0 else "NEURON, rate tables"
                    cases.append(timed(f"neuron{tables}", label, command, args.slow_runs, json_line))
            else:
                problems.append("NEURON skipped: /usr/bin/python3 cannot import neuron "
                                "(apt-get install neuron python3-neuron)")
        cases += [
            Case("hh_hand", "hand loop (bench/hh_hand_loop.cpp)", [tools["soma_bench_hh_loop"], "--amplitude",
                 f"{HH_AMPLITUDE:g}", "--t-stop", f"{SINGLE_T_STOP:g}", "--dt", f"{DT:g}"], args.runs),
            Case("hh_soma", "soma run", [soma, "run"] + single_hh + ["--recorder", "none"], args.runs),
            Case("lif_hand", "hand loop (bench/lif_hand_loop.cpp)", hand_lif, args.runs),
            Case("lif_soma", "soma run", [soma, "run"] + single_lif + ["--recorder", "none"], args.runs),
        ]
        log(f"Timing, best of {args.runs} runs ({args.slow_runs} for Brian2 and NEURON), interleaved...")
        time_cases(cases, env, log)
        by = {c.name: c for c in cases}
        if by["hh_hand"].extra["spikes"] != by["hh_soma"].extra["spikes"]:
            problems.append("HH one cell: the hand loop's spike count differs from Soma's")

        # -- Memory -------------------------------------------------------------------------------------
        memory = None
        if not args.no_memory:
            log(f"Memory: {n} cells recording v of every cell at every step to CSV...")
            command = ["/usr/bin/time", "-v", soma, "run"] + population + [
                "--record", "v", "--record-cells", f"0:{n}", "--recorder", "csv", "--output", str(tmp / "memory"),
                "--threads", "1"]
            result = run_timed(command, env)
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result["err"])
            size = sum(f.stat().st_size for f in (tmp / "memory").iterdir())
            memory = dict(rss_kib=int(match.group(1)), wall=result["wall"], bytes=size)
    load_after = os.getloadavg()

    # -- Tables -------------------------------------------------------------------------------------------
    cpu_model = next((line.split(":", 1)[1].strip() for line in subprocess.run(
        ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name")), "?")
    out(f"CPU: {cpu_model}, {os.cpu_count()} cores; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after")
    out("")
    out(f"HH population: {n} cells, dc linspace(0, {I_MAX:g}, {n}) uA/cm^2, {T_STOP:g} ms at dt = {DT:g} ms, "
        f"euler, spikes only")
    out("")
    out("| case | spikes | wall (s) | CPU (s) | peak RSS (MiB) | / soma, 1 thread (wall) |")
    out("|---|---:|---:|---:|---:|---:|")
    base = by["soma1"].best["wall"]
    for name in ("hand1", "soma1", "engine1", "hand2", "soma2", "brian2", "neuron0", "neuron1"):
        if name not in by:
            continue
        c = by[name]
        wall = c.extra["engine"] if name == "engine1" else c.best["wall"]
        cpu = "–" if name == "engine1" else f"{c.cpu:.3f}"
        out(f"| {c.label} | {c.extra['spikes']} | {wall:.3f} | {cpu} | {c.best['rss_kib'] / 1024:.1f} | "
            f"{wall / base:.2f} |")
    out("")
    if "brian2" in by:
        b = by["brian2"].extra
        out(f"Brian2 {b['version']} inside its process (best run): import {b['imported']:.2f} s, "
            f"build {b['build']:.2f} s (code generation, Cython cache), run {b['run']:.2f} s. First run with an empty "
            f"Cython cache: "
            f"{brian2_cold['wall']:.2f} s, of which build {brian2_cold['build']:.2f} s.")
    for name in ("neuron0", "neuron1"):
        if name in by:
            x = by[name].extra
            out(f"{by[name].label} ({x['version']}) inside its process: import {x['imported']:.2f} s, "
                f"build {x['build']:.2f} s ({n} sections), run {x['run']:.2f} s.")
    out("")
    out(f"One cell, {SINGLE_T_STOP:g} ms at dt = {DT:g} ms (10^6 steps), euler, recording off")
    out("")
    out("| model | case | spikes | wall (s) | CPU (s) |")
    out("|---|---|---:|---:|---:|")
    for model, names in (("HH, 10 uA/cm^2", ("hh_hand", "hh_soma")), ("LIF, 2 nA", ("lif_hand", "lif_soma"))):
        for name in names:
            c = by[name]
            out(f"| {model} | {c.label} | {c.extra['spikes']} | {c.best['wall']:.4f} | {c.cpu:.4f} |")
    out("")
    if memory:
        out(f"Memory: soma run, {n} cells, v of every cell every step to CSV ({memory['bytes'] / 2**30:.2f} GiB "
            f"written in {memory['wall']:.1f} s): peak RSS {memory['rss_kib'] / 1024:.1f} MiB")
        out("")

    w = lambda name: by[name].best["wall"]  # noqa: E731
    rows = [("soma / hand loop, 1 thread", w("soma1") / w("hand1")),
            ("soma engine / hand loop, 1 thread", by["engine1"].extra["engine"] / w("hand1"))]
    if "brian2" in by:
        rows.append(("Brian2 / soma", w("brian2") / w("soma1")))
    for name in ("neuron0", "neuron1"):
        if name in by:
            rows.append((f"{by[name].label} / soma", w(name) / w("soma1")))
    rows += [("soma, 1 thread / 2 threads", w("soma1") / w("soma2")),
             ("hand loop, 1 thread / 2 threads", w("hand1") / w("hand2")),
             ("HH one cell: soma / hand loop", w("hh_soma") / w("hh_hand")),
             ("LIF one cell: soma / hand loop", w("lif_soma") / w("lif_hand"))]
    if memory:
        rows.append(("peak RSS recording every cell (MiB)", memory["rss_kib"] / 1024))
    out("| result (wall-clock ratios) | value |")
    out("|---|---:|")
    for label, value in rows:
        out(f"| {label} | {value:.2f} |")
    out("")
    out(f"Spike times bit-identical to Soma's: population hand loop {'yes' if same_population else 'NO'}, "
        f"LIF hand loop {'yes' if same_lif else 'NO'}; HH one cell: same count "
        f"({by['hh_hand'].extra['spikes']} and {by['hh_soma'].extra['spikes']}).")
    for p in problems:
        out(f"note: {p}")
    return 1 if any("differ" in p for p in problems) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as error:
        print(f"bench/population.py: {error}", file=sys.stderr)
        sys.exit(1)
