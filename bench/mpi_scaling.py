#!/usr/bin/python3
"""Scaling over MPI ranks: one population run as one process and split over K ranks with mpirun.

The run is an f-I sweep of N Hodgkin-Huxley cells, cell k driven by a constant current of 20 k / (N - 1)
uA/cm^2, T ms (default 1000) at dt = 0.01 ms, forward Euler, one thread per rank:

  1 rank    soma sweep --model hh --stimulus dc --vary 'stimulus.amplitude=linspace(0,20,N)'
            --t-stop T --dt 0.01 --integrator euler --threads 1
  K ranks   mpirun --oversubscribe --allow-run-as-root -np K soma sweep ... (the same arguments)

With --command run, the same population as `soma run --cells N --set 'stimulus.amplitude=linspace(0,20,N)'
--record spikes --recorder csv`. Before timing, the script checks that the K-rank run's table (and spike
file) is byte-identical to the one-process run's. Times are wall-clock times of whole processes (mpirun's start-up included);
each case runs --runs times, interleaved, and the best time is kept. The start-up of each case is timed
too, as the same command for 2 cells and one step; the last column is the speed-up without it. On a machine with fewer free cores
than ranks the ratio says more about the machine's load than about Soma.

usage: /usr/bin/python3 bench/mpi_scaling.py [--build DIR] [--mpirun PATH] [--cells N] [--ranks K] [--runs R]
                                            [--t-stop T] [--command sweep|run]
Exit status: 0, or 1 if a run failed or the outputs differ.
"""

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(here, "..", "build"), help="build directory (default: build)")
    parser.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    parser.add_argument("--cells", type=int, default=10000)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--t-stop", type=float, default=1000)
    parser.add_argument("--command", choices=("sweep", "run"), default="sweep")
    args = parser.parse_args()
    soma = os.path.abspath(os.path.join(args.build, "bin", "soma"))
    n = args.cells
    common = ["--model", "hh", "--stimulus", "dc", "--t-stop", f"{args.t_stop:g}", "--dt", "0.01", "--integrator",
              "euler", "--threads", "1", "--output", "out", "--name", "scaling", "--summary", "none"]
    if args.command == "sweep":
        run_args = ["sweep", "--vary", f"stimulus.amplitude=linspace(0,20,{n})"] + common
        compared = ("scaling_sweep.csv",)
    else:
        run_args = ["run", "--cells", str(n), "--set", f"stimulus.amplitude=linspace(0,20,{n})", "--record", "spikes",
                    "--recorder", "csv"] + common
        compared = ("scaling_spikes.csv", "scaling_cells.csv")
    launch = {1: [soma], args.ranks: [args.mpirun, "--oversubscribe", "--allow-run-as-root", "-np", str(args.ranks), soma]}
    cases = {(ranks, "run"): command + run_args for ranks, command in launch.items()}
    startup_args = run_args[:]
    if "--cells" in startup_args:
        startup_args[startup_args.index("--cells") + 1] = "2"
    startup_args[startup_args.index("--t-stop") + 1] = "0.01"
    startup_args[startup_args.index(f"stimulus.amplitude=linspace(0,20,{n})")] = "stimulus.amplitude=linspace(0,20,2)"
    cases.update({(ranks, "start"): command + startup_args for ranks, command in launch.items()})
    env = {**os.environ, "SOMA_PLUGIN_PATH": ""}
    with tempfile.TemporaryDirectory(prefix="soma-scaling-") as tmp:
        best = {}
        for run in range(args.runs):
            for (ranks, what), command in cases.items():
                cwd = os.path.join(tmp, f"{ranks}-{what}-{run}")
                os.mkdir(cwd)
                start = time.perf_counter()
                result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
                elapsed = time.perf_counter() - start
                if result.returncode != 0:
                    print(f"{' '.join(command)}: exit status {result.returncode}\n{result.stderr}", file=sys.stderr)
                    return 1
                best[ranks, what] = min(best.get((ranks, what), elapsed), elapsed)
                if run == 0 and ranks != 1 and what == "run":
                    for name in compared:
                        a, b = os.path.join(tmp, "1-run-0", "out", name), os.path.join(cwd, "out", name)
                        if not filecmp.cmp(a, b, shallow=False):
                            print(f"{name} of {ranks} ranks differs from one process's", file=sys.stderr)
                            return 1
    print(f"soma {args.command}: {n} HH cells, {args.t_stop:g} ms at dt 0.01 ms, euler, 1 thread per rank; "
          f"best of {args.runs}")
    print(f"  {'ranks':>5}  {'time (s)':>9}  {'speed-up':>8}  {'start-up (s)':>12}  {'speed-up without start-up':>25}")
    net = {ranks: best[ranks, "run"] - best[ranks, "start"] for ranks in launch}
    for ranks in launch:
        print(f"  {ranks:>5}  {best[ranks, 'run']:>9.3f}  {best[1, 'run'] / best[ranks, 'run']:>8.2f}  "
              f"{best[ranks, 'start']:>12.3f}  {net[1] / net[ranks]:>25.2f}")
    print(f"outputs of {args.ranks} ranks byte-identical to one process's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
