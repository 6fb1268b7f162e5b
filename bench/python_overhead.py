"""What calling Soma from Python costs: soma.run against the `soma` command for the same run.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--soma build/bin/soma] [--repeat 5]

For each run (the default run: HH, 7 uA/cm^2 step, 100 ms at dt = 0.01 ms, one cell, all variables
recorded; and 10^4 cells, recording the default: spikes of all, v of cells 0 to 9), the best wall
time of --repeat runs of:
  command     `soma run --recorder none ...` (a new process: start, plug-in scan, run);
  command 1   the same with one step (--t-stop = dt): the command's fixed cost;
  soma.run    in this process, after a first call (the plug-ins are loaded once per process);
  soma.run 1  the same with one step: the fixed cost of a call from Python;
  py layer    soma.run minus soma._soma.run(run_arguments(...)): what the Python package adds on top of
              the extension (the result object, the pandas table).
The run's own work is the same in both (the same library and plug-ins, one thread each here so that
the figures do not depend on the load of the machine's other cores).
"""

import argparse
import subprocess
import sys
import time

import soma
from soma import _soma
from soma._spec import run_arguments

RUNS = {
    "default run (1 cell, 10^4 steps)": (dict(), []),
    "10^4 cells, 100 ms": (dict(cells=10_000, params={"stimulus.amplitude": "uniform(0, 20)"}),
                           ["--cells", "10000", "--set", "stimulus.amplitude=uniform(0, 20)"]),
}


def best_times(cases, repeat):
    """The best wall time of each of `cases` (callables) over `repeat` rounds; the cases are interleaved
    in each round, so that load from other processes falls on all of them alike."""
    best = [float("inf")] * len(cases)
    for _ in range(repeat):
        for k, f in enumerate(cases):
            t0 = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--soma", default="build/bin/soma")
    parser.add_argument("--repeat", type=int, default=5)
    a = parser.parse_args()
    soma.run(t_stop=0.01, threads=1)  # loads the plug-ins
    print(f"{'run':<36} {'command':>9} {'command 1':>10} {'soma.run':>9} {'soma.run 1':>11} {'py layer':>9}  (ms)")
    for label, (kwargs, args) in RUNS.items():
        kwargs = dict(kwargs, threads=1)
        cli = [a.soma, "run", "--recorder", "none", "--threads", "1", *args]
        command, command_1, python, python_1, core = best_times([
            lambda: subprocess.run(cli, check=True, capture_output=True),
            lambda: subprocess.run(cli + ["--t-stop", "0.01"], check=True, capture_output=True),
            lambda: soma.run(**kwargs),
            lambda: soma.run(**dict(kwargs, t_stop=0.01)),
            lambda: _soma.run(run_arguments(**kwargs)),
        ], a.repeat)
        print(f"{label:<36} {command * 1e3:9.1f} {command_1 * 1e3:10.1f} {python * 1e3:9.1f} {python_1 * 1e3:11.2f} "
              f"{(python - core) * 1e3:9.2f}")


if __name__ == "__main__":
    sys.exit(main())
