#!/usr/bin/python3
"""Runs the same `soma run` as one process and under `mpirun -np 2` and `-np 3`, and checks that the
outputs are the same.

The run: a heterogeneous population of 37 HH cells (g_Na by linspace, the step's amplitude drawn from
normal(), so per-cell parameters of both kinds) driven by a step plus Ornstein-Uhlenbeck noise, with
samples of v and I of cells on both sides of the ranks' boundaries, and the csv, gnuplot and hdf5
recorders. Checked:
- every output file is byte-identical to the one-process run's (the tidy CSV, the spikes, the per-cell
  table, the gnuplot script and figure, the hdf5 files), and so is what soma prints; the hdf5 files are
  compared by their groups, datasets (values, dtypes, shapes) and attributes (h5py) first;
- more ranks than cells: exit status 1, the message once, no output directory;
- a cell that diverges on rank 1: the same message as one process gives, once, exit status 1 and no
  output directory, without hanging (every run has a time limit).

Usage: check_mpi.py --soma PATH_TO_SOMA --mpirun PATH_TO_MPIRUN. Exit status 0 when everything holds,
1 otherwise. A missing mpirun or h5py is a failure, not a skip (scripts/setup.sh installs openmpi-bin,
scripts/test.sh python3-h5py).
"""

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as error:
    print(f"check_mpi.py: FAILED: {error}; install Debian's python3-h5py for /usr/bin/python3", file=sys.stderr)
    sys.exit(1)

failures = []
TIME_LIMIT = 300  # s per run: a hang fails the test instead of blocking it


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAILED: {what}", file=sys.stderr)
    return condition


def run(command, cwd):
    # Open MPI's own leaks are not Soma's: a sanitizer build must not fail on them.
    env = {**os.environ, "SOMA_PLUGIN_PATH": "",
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIME_LIMIT, env=env)
    except subprocess.TimeoutExpired:
        check(False, f"'{' '.join(command)}' did not end within {TIME_LIMIT} s (a hang?)")
        return None


def soma_run(args, ranks, cwd, soma_command="run"):
    command = [args.soma, soma_command] if ranks == 0 else [
        args.mpirun, "--oversubscribe", "--allow-run-as-root", "-np", str(ranks), args.soma, soma_command]
    return lambda run_args: run(command + run_args, cwd)


def same_output(a, b):
    """Whether two output files are equal: JSON summaries but for their date and number of ranks, other
    files byte for byte (HDF5 files too: the recorder stores no object times); for HDF5 files, first their
    datasets and attributes (h5py), which tells a difference of values from one of layout."""
    if a.endswith(".h5") and h5_tree(a) != h5_tree(b):
        return False
    if a.endswith(".json"):
        with open(a) as fa, open(b) as fb:
            ja, jb = json.load(fa), json.load(fb)
        for j in (ja, jb):
            j.pop("date", None)
            j.get("run", {}).pop("ranks", None)
        return ja == jb
    return filecmp.cmp(a, b, shallow=False)


def compare_commands(args, tmp, label, soma_command, command_args, ranks_list):
    """Runs `soma SOMA_COMMAND COMMAND_ARGS` as one process and with each number of ranks; checks that
    every run writes the same files with the same contents and prints the same."""
    outputs = {}
    for ranks in (0, *ranks_list):
        cwd = os.path.join(tmp, f"{label}-np{ranks}")
        os.mkdir(cwd)
        result = soma_run(args, ranks, cwd, soma_command)(command_args)
        if result is None:
            continue
        if not check(result.returncode == 0, f"{label}, {ranks or 1} rank(s): exit status {result.returncode}\n"
                     f"{result.stdout}{result.stderr}"):
            continue
        outputs[ranks] = (cwd, result.stdout, sorted(os.listdir(os.path.join(cwd, "out"))))
    if 0 not in outputs:
        return None
    base, base_stdout, base_files = outputs[0]
    for ranks in ranks_list:
        if ranks not in outputs:
            continue
        cwd, stdout, files = outputs[ranks]
        check(files == base_files, f"{label}, -np {ranks}: files {files}, one process: {base_files}")
        check(stdout == base_stdout, f"{label}, -np {ranks} prints\n{stdout}one process prints\n{base_stdout}")
        for name in set(files) & set(base_files):
            check(same_output(os.path.join(base, "out", name), os.path.join(cwd, "out", name)),
                  f"{label}, -np {ranks}: {name} differs from the one-process run's")
        print(f"{label}, -np {ranks}: {len(files)} outputs equal to the one-process run's")
    return base_files


def h5_tree(path):
    """Every dataset (dtype, shape, values) and attribute of an HDF5 file, by name."""
    items = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                items[name] = (str(obj.dtype), obj.shape, obj[()].tobytes())
            for key, value in obj.attrs.items():
                items[f"{name}@{key}"] = np.asarray(value).tobytes()
        visit("/", f)
        f.visititems(visit)
    return items


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--soma", required=True)
    parser.add_argument("--mpirun", required=True)
    args = parser.parse_args()
    args.soma = os.path.abspath(args.soma)
    if not (os.path.isfile(args.mpirun) and os.access(args.mpirun, os.X_OK)):
        print(f"check_mpi.py: FAILED: mpirun '{args.mpirun}' is not an executable file; install Debian's "
              "openmpi-bin (scripts/setup.sh does)", file=sys.stderr)
        return 1

    population = ["--model", "hh", "--cells", "37", "--stimulus", "step", "--stimulus", "ou",
                  "--set", "model.g_Na=linspace(100,130,37)", "--set", "stimulus.step.amplitude=normal(8,3)",
                  "--set", "stimulus.step.onset=5", "--set", "stimulus.ou.sigma=2", "--seed", "11",
                  "--t-stop", "40", "--record", "v,I", "--record-interval", "0.05",
                  "--record-cells", "0:3,11,12,13,17,18,24,25,36", "--threads", "1",
                  "--recorder", "csv", "--recorder", "gnuplot", "--recorder", "hdf5",
                  "--output", "out", "--name", "pop"]
    with tempfile.TemporaryDirectory(prefix="soma-mpi-") as tmp:
        base_files = compare_commands(args, tmp, "run", "run", population, (2, 3))
        if base_files is not None:
            check(any(f.endswith(".h5") for f in base_files) and "pop_cells.csv" in base_files,
                  f"the one-process run wrote csv, per-cell table and hdf5 files: {base_files}")
        # A sweep with noise (each cell its own stream) and a rheobase search: the same tables, figures
        # and summaries from rank 0 as from one process.
        sweep = ["--stimulus", "step", "--stimulus", "ou", "--set", "stimulus.ou.sigma=1", "--seed", "5",
                 "--vary", "stimulus.step.amplitude=linspace(4,16,7)", "--vary", "model.g_K=30,36,42",
                 "--t-stop", "60", "--threads", "1", "--output", "out", "--name", "sw"]
        compare_commands(args, tmp, "sweep", "sweep", sweep, (2,))
        rheobase = ["--model", "lif", "--cells", "5", "--set", "model.V_th=linspace(1,3,5)", "--set",
                    "stimulus.onset=0", "--set", "stimulus.offset=100", "--high", "4", "--tolerance", "1e-5",
                    "--threads", "1", "--output", "out", "--name", "rb"]
        compare_commands(args, tmp, "rheobase", "rheobase", rheobase, (2,))

        # More ranks than cells: refused before anything is written.
        cwd = os.path.join(tmp, "too-many")
        os.mkdir(cwd)
        result = soma_run(args, 3, cwd)(["--cells", "2", "--recorder", "csv", "--output", "out"])
        if result is not None:
            message = "mpirun started 3 ranks for 2 cells; start at most 2 ranks (-np 2), or simulate more cells"
            check(result.returncode == 1, f"3 ranks for 2 cells: exit status {result.returncode}, expected 1")
            check(result.stderr.count(message) == 1, f"3 ranks for 2 cells: the message once in\n{result.stderr}")
            check(not os.path.exists(os.path.join(cwd, "out")), "3 ranks for 2 cells: no output directory")

        # A cell of rank 1 diverges (a capacitance far too small for euler at this dt): the same error as in
        # one process, from rank 0 only, and nothing written.
        diverging = ["--cells", "6", "--set", "model.C_m=1,1,1,1,1e-4,1", "--t-stop", "5",
                     "--recorder", "csv", "--recorder", "hdf5", "--output", "out", "--threads", "1"]
        errors = {}
        for ranks in (0, 2):
            cwd = os.path.join(tmp, f"diverge{ranks}")
            os.mkdir(cwd)
            result = soma_run(args, ranks, cwd)(diverging)
            if result is None:
                continue
            check(result.returncode == 1, f"diverging, {ranks or 1} rank(s): exit status {result.returncode}")
            check(result.stderr.count("diverged") == 1, f"diverging, {ranks or 1} rank(s): one message in\n"
                  f"{result.stderr}")
            check(not os.path.exists(os.path.join(cwd, "out")), f"diverging, {ranks or 1} rank(s): no output")
            errors[ranks] = next((line for line in result.stderr.splitlines() if "diverged" in line), "")
        if len(errors) == 2:
            check("cell 4" in errors[0] and errors[0] == errors[2],
                  f"diverging: one process says\n{errors[0]}\n2 ranks say\n{errors[2]}")

    if failures:
        print(f"check_mpi.py: {len(failures)} check(s) FAILED", file=sys.stderr)
        return 1
    print("check_mpi.py: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
