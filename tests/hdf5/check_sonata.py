#!/usr/bin/python3
"""Reads back the SONATA files of Soma's hdf5 recorder with h5py and compares them with the CSV files
that the csv recorder wrote in the same run (one `soma run --recorder csv --recorder hdf5 ...` call).

Checked, for a heterogeneous population of 12 HH cells (g_Na and the amplitude per cell) and for a run
without spikes and without samples:
- <name>_spikes.h5: /spikes/<population> with `sorting` = by_time (2), float64 `timestamps` (units ms) and
  uint64 `node_ids`, equal (bit for bit: the CSV holds the shortest text that reads back to the same
  double) to <name>_spikes.csv, in time order, ties by node id; datasets of length 0 without spikes;
- <name>_<variable>.h5 for each recorded quantity: float64 `data` [samples, recorded cells] equal to the
  column of the tidy <name>.csv, with its units; `mapping` node_ids (sorted), index_pointers 0..n,
  element_ids 0 and time (start, stop, step); no report file when only spikes are recorded;
- the root attributes the SONATA guide requires (magic 0x0A7A, version 0.1) and the run's metadata
  (cells, seed, dt, shared and per-cell parameters) as the CSV's '#' lines give them;
- no temporary file is left in the output directory.
Layouts: SONATA Data Format, docs/SONATA_DEVELOPER_GUIDE.md of AllenInstitute/sonata, "Output file formats"
(see plugins/recorders/hdf5/hdf5.cpp for the details Soma follows).

Usage: check_sonata.py --soma PATH_TO_SOMA. Exit status 0 when everything holds, 1 otherwise; a missing h5py
is a failure, not a skip (scripts/test.sh installs Debian's python3-h5py).
"""

import argparse
import csv
import math
import os
import re
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as error:
    print(f"check_sonata.py: FAILED: {error}; install Debian's python3-h5py for /usr/bin/python3 "
          "(scripts/test.sh installs it)", file=sys.stderr)
    sys.exit(1)

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAILED: {what}", file=sys.stderr)
    return condition


def run_soma(soma, cwd, args):
    result = subprocess.run([soma, "run", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "SOMA_PLUGIN_PATH": ""})
    if result.returncode != 0:
        print(f"soma run {' '.join(args)}\nexit {result.returncode}\n{result.stdout}{result.stderr}", file=sys.stderr)
        sys.exit(1)
    return result.stdout


def read_csv(path):
    """The '#' lines (without '# '), the header and the rows of a CSV file of the csv recorder."""
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    comments = [line[2:] for line in lines if line.startswith("#")]
    rows = list(csv.reader(line for line in lines if not line.startswith("#")))
    return comments, rows[0], rows[1:]


def text_attribute(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def check_root(f, name, cells, seed, comments):
    check(int(f.attrs["magic"]) == 0x0A7A, f"{name}: magic = {f.attrs.get('magic')}, SONATA's is 0x0A7A")
    check(list(f.attrs["version"]) == [0, 1], f"{name}: version = {list(f.attrs['version'])}, expected [0, 1]")
    check(int(f.attrs["n_cells"]) == cells, f"{name}: n_cells = {f.attrs['n_cells']}, expected {cells}")
    check(int(f.attrs["seed"]) == seed, f"{name}: seed = {f.attrs['seed']}, expected {seed}")
    check(float(f.attrs["dt"]) == 0.01, f"{name}: dt = {f.attrs['dt']}")
    check(text_attribute(f.attrs["model"]) == "hh", f"{name}: model = {f.attrs['model']}")
    # Every parameter of the CSV's metadata: "model.g_K = 36 mS/cm^2" (shared by all cells) or
    # "model.g_Na (mS/cm^2): linspace(100, 130, 12)" (per cell).
    shared, per_cell = 0, 0
    for line in comments:
        if match := re.fullmatch(r"((?:model|stimulus)\.\w+) = (\S+)(?: (.+))?", line):
            key, value, unit = match.groups()
            shared += 1
            check(key in f.attrs and float(f.attrs[key]) == float(value),
                  f"{name}: attribute {key} = {f.attrs.get(key)}, the CSV gives {value}")
            if unit:
                check(text_attribute(f.attrs.get(f"{key}.units", "")) == unit,
                      f"{name}: attribute {key}.units = {f.attrs.get(key + '.units')}, the CSV gives {unit}")
        elif match := re.fullmatch(r"((?:model|stimulus)\.\w+) \((.+)\): (.+)", line):
            key, unit, form = match.groups()
            per_cell += 1
            check(text_attribute(f.attrs.get(f"{key}.given_as", "")) == form,
                  f"{name}: attribute {key}.given_as = {f.attrs.get(key + '.given_as')}, the CSV gives {form}")
            check(text_attribute(f.attrs.get(f"{key}.units", "")) == unit,
                  f"{name}: attribute {key}.units = {f.attrs.get(key + '.units')}, the CSV gives {unit}")
    check(shared >= 5 and per_cell >= 1, f"{name}: the CSV metadata gave {shared} shared and {per_cell} per-cell "
                                         "parameters to compare")


def check_spikes(directory, stem, population, cells, seed):
    comments, header, rows = read_csv(os.path.join(directory, f"{stem}_spikes.csv"))
    check(header == ["cell", "t (ms)"], f"spike CSV header {header}")
    with h5py.File(os.path.join(directory, f"{stem}_spikes.h5"), "r") as f:
        check_root(f, f"{stem}_spikes.h5", cells, seed, comments)
        group = f[f"spikes/{population}"]
        check(int(group.attrs["sorting"]) == 2, f"sorting = {group.attrs['sorting']}, expected by_time (2)")
        timestamps, node_ids = group["timestamps"], group["node_ids"]
        check(timestamps.dtype == np.float64, f"timestamps are {timestamps.dtype}, not float64")
        check(node_ids.dtype == np.uint64, f"node_ids are {node_ids.dtype}, not uint64")
        check(text_attribute(timestamps.attrs["units"]) == "ms", f"timestamps units {timestamps.attrs['units']}")
        t, ids = timestamps[()], node_ids[()]
    check(len(t) == len(rows) and len(ids) == len(rows), f"{len(t)} spikes in HDF5, {len(rows)} in the CSV")
    for k, (cell, time) in enumerate(rows[: len(t)]):
        check(int(ids[k]) == int(cell) and t[k] == float(time),
              f"spike {k}: HDF5 ({ids[k]}, {t[k]!r}), CSV ({cell}, {time})")
    order = [(t[k], int(ids[k])) for k in range(len(t))]
    check(order == sorted(order), "spikes are not in time order, ties by node id")
    return len(t)


def check_reports(directory, stem, population, cells, seed, variables, units, interval):
    comments, header, rows = read_csv(os.path.join(directory, f"{stem}.csv"))
    check(header == ["t (ms)", "cell"] + [f"{v} ({u})" for v, u in zip(variables, units)], f"CSV header {header}")
    recorded = sorted({int(row[1]) for row in rows})
    n_samples = len(rows) // len(recorded)
    check(len(rows) == n_samples * len(recorded), f"{len(rows)} CSV rows for {len(recorded)} cells")
    for i in range(n_samples):
        time = float(rows[i * len(recorded)][0])
        check(math.isclose(time, i * interval, rel_tol=0, abs_tol=1e-9), f"CSV sample {i} at t = {time}")
    for k, (variable, unit) in enumerate(zip(variables, units)):
        name = f"{stem}_{variable}.h5"
        with h5py.File(os.path.join(directory, name), "r") as f:
            check_root(f, name, cells, seed, comments)
            check(text_attribute(f.attrs["variable"]) == variable, f"{name}: variable = {f.attrs['variable']}")
            report = f[f"report/{population}"]
            data = report["data"]
            check(data.dtype == np.float64, f"{name}: data are {data.dtype}, not float64")
            check(text_attribute(data.attrs["units"]) == unit, f"{name}: units {data.attrs['units']}, CSV {unit}")
            values = data[()]
            mapping = report["mapping"]
            node_ids = mapping["node_ids"][()]
            check(int(mapping["node_ids"].attrs["sorted"]) == 1, f"{name}: node_ids not marked sorted")
            check(list(node_ids) == recorded, f"{name}: node_ids {list(node_ids)}, CSV cells {recorded}")
            check(list(mapping["index_pointers"][()]) == list(range(len(recorded) + 1)), f"{name}: index_pointers")
            element_ids = mapping["element_ids"]
            check(element_ids.dtype == np.uint32 and not element_ids[()].any(), f"{name}: element_ids")
            time = mapping["time"][()]
            check(len(time) == 3 and time[0] == 0 and math.isclose(time[1], n_samples * interval, abs_tol=1e-9)
                  and math.isclose(time[2], interval, abs_tol=1e-12), f"{name}: time {list(time)}")
            check(text_attribute(mapping["time"].attrs["units"]) == "ms", f"{name}: time units")
        check(values.shape == (n_samples, len(recorded)), f"{name}: data {values.shape}, CSV ({n_samples}, {len(recorded)})")
        if values.shape != (n_samples, len(recorded)):
            continue
        differ = [(i, j) for i in range(n_samples) for j in range(len(recorded))
                  if values[i, j] != float(rows[i * len(recorded) + j][2 + k])]
        check(not differ, f"{name}: {len(differ)} values differ from the CSV, first at (sample, column) "
                          f"{differ[:1]}")
    return n_samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--soma", required=True, help="the soma program")
    soma = os.path.abspath(parser.parse_args().soma)
    with tempfile.TemporaryDirectory(prefix="soma-sonata-") as cwd:
        out = os.path.join(cwd, "out")
        run_soma(soma, cwd, ["--model", "hh", "--cells", "12", "--set", "model.g_Na=linspace(100,130,12)",
                             "--set", "stimulus.amplitude=linspace(2,24,12)", "--set", "stimulus.onset=5",
                             "--t-stop", "60", "--record-interval", "0.1", "--record", "v,m,I",
                             "--record-cells", "0:4,7,11", "--threads", "2", "--seed", "3",
                             "--recorder", "csv", "--recorder", "hdf5", "--output", out, "--name", "sonata"])
        n_spikes = check_spikes(out, "sonata", "hh", 12, 3)
        check(n_spikes > 10, f"only {n_spikes} spikes: the run should make the cells fire")
        n_samples = check_reports(out, "sonata", "hh", 12, 3, ["v", "m", "I"], ["mV", "1", "uA/cm^2"], 0.1)
        check(n_samples == 600, f"{n_samples} samples, expected 600")
        files = sorted(os.listdir(out))
        expected = sorted(["sonata.csv", "sonata_spikes.csv", "sonata_cells.csv", "sonata_spikes.h5",
                           "sonata_v.h5", "sonata_m.h5", "sonata_I.h5", "sonata_summary.json"])
        check(files == expected, f"output files {files}, expected {expected}")

        # No spike and no samples: empty spike datasets, no report file.
        quiet = os.path.join(cwd, "quiet")
        run_soma(soma, cwd, ["--model", "hh", "--cells", "3", "--set", "model.g_K=30,36,40", "--set",
                             "stimulus.amplitude=0", "--t-stop", "10", "--record", "spikes", "--recorder", "csv",
                             "--recorder", "hdf5", "--output", quiet, "--name", "quiet", "--seed", "0"])
        check(check_spikes(quiet, "quiet", "hh", 3, 0) == 0, "spikes in a run without current")
        files = sorted(os.listdir(quiet))
        check(files == ["quiet_cells.csv", "quiet_spikes.csv", "quiet_spikes.h5", "quiet_summary.json"], f"output files {files}")
    if failures:
        print(f"check_sonata.py: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print(f"check_sonata.py: SONATA files agree with the CSV files ({n_spikes} spikes, {n_samples} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
