"""Shared by the tests of the soma Python module: the build's `soma` command, the source tree's
examples, and running that command into a temporary directory to compare its CSV files with the
module's arrays. ctest (tests/CMakeLists.txt) sets the environment; a test that lacks something fails."""

import os
import pathlib
import subprocess

import numpy as np
import pytest


def _required_path(variable):
    value = os.environ.get(variable)
    assert value, f"{variable} is not set: run these tests through ctest (tests/CMakeLists.txt sets it)"
    path = pathlib.Path(value)
    assert path.exists(), f"{variable}={value} does not exist: build the whole tree first"
    return path


@pytest.fixture(scope="session")
def soma_exe():
    return _required_path("SOMA_EXECUTABLE")


@pytest.fixture(scope="session")
def examples():
    return _required_path("SOMA_EXAMPLES_DIR")


def command(soma_exe, *args, check=True, env=None):
    """Runs `soma ARGS...`; the CompletedProcess (text)."""
    p = subprocess.run([str(soma_exe), *map(str, args)], capture_output=True, text=True, env=env)
    if check:
        assert p.returncode == 0, f"soma {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stderr}"
    return p


def command_error(soma_exe, *args):
    """The message of a failing `soma ARGS...`, without "soma: error: "."""
    p = command(soma_exe, *args, check=False)
    assert p.returncode != 0, f"soma {' '.join(map(str, args))} succeeded, expected an error"
    lines = [l for l in p.stderr.splitlines() if l.startswith("soma: error: ")]
    assert lines, f"no error line in:\n{p.stderr}"
    return lines[-1][len("soma: error: "):]


def read_csv(path):
    """A CSV file of the csv recorder: its column names and its columns as float64 arrays (an empty
    field is NaN); float() of the shortest round-trip text is the double that was written."""
    with open(path) as f:
        lines = [l.rstrip("\n") for l in f if not l.startswith("#")]
    header = lines[0].split(",")
    rows = [[float(x) if x else np.nan for x in l.split(",")] for l in lines[1:]]
    data = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    return {name: data[:, k] for k, name in enumerate(header)}


def run_command(soma_exe, tmp_path, *args, name="cmd"):
    """Runs `soma run ARGS --recorder csv` into tmp_path; its samples (None with --record spikes),
    spikes and per-cell table as read_csv gives them."""
    out = tmp_path / "cmd-output"
    command(soma_exe, "run", *args, "--recorder", "csv", "--output", out, "--name", name, "--summary", "none")
    samples = out / f"{name}.csv"
    return (read_csv(samples) if samples.exists() else None, read_csv(out / f"{name}_spikes.csv"),
            read_csv(out / f"{name}_cells.csv"))
