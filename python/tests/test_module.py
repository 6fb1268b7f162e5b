"""The module's own behaviour: array shapes, dtypes, units and memory; describe and list against the
command's; an out-of-tree plug-in; Ctrl-C; the GIL released during a run."""

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import soma
from conftest import command


def test_arrays_shapes_dtypes_units():
    r = soma.run(cells=4, params={"stimulus.amplitude": [0, 5, 10, 15]}, record=["v", "m", "I"], record_cells=[0, 2],
                 t_stop=10, record_interval=0.1)
    assert r.t.dtype == np.float64 and r.t.shape == (100,)
    np.testing.assert_allclose(r.t, np.arange(100) * 0.1, rtol=0, atol=1e-12)
    assert r.cells.dtype == np.int64 and r.cells.tolist() == [0, 2]
    for name in ("v", "m", "I"):
        a = r[name]
        assert a.dtype == np.float64 and a.shape == (100, 2) and a.flags.c_contiguous
        assert not a.flags.owndata and a.base is not None  # a view of the run's memory, kept alive by its base
    assert r.v is r.samples["v"]
    assert (r.units["t"], r.units["v"], r.units["m"], r.units["I"]) == ("ms", "mV", "1", "uA/cm^2")
    assert r.spike_times.dtype == np.float64 and r.spike_cells.dtype == np.int64
    assert np.all(np.diff(r.spike_times) >= 0)
    summary = r.summary
    assert len(np.asarray(summary["spikes"])) == 4 and np.asarray(summary["spikes"]).dtype == np.int64
    assert np.isnan(np.asarray(summary["first_spike_ms"])[0])  # no spike without current
    assert [v["name"] for v in r.info["state_variables"]] == ["v", "m", "n", "h"]
    assert r.info["n_cells"] == 4 and r.info["thresholds"].shape == (4,)
    # The arrays outlive the result: their base holds the memory.
    v = r["v"]
    expected = v.copy()
    del r, summary
    assert np.array_equal(v, expected)


def test_pandas_summary():
    import pandas
    r = soma.run(cells=3, params={"stimulus.amplitude": np.array([0.0, 7, 14])}, record="spikes")
    assert isinstance(r.summary, pandas.DataFrame) and r.summary.index.name == "cell"
    assert list(r.summary.columns) == ["stimulus.amplitude", "spikes", "rate_Hz", "first_spike_ms", "mean_isi_ms",
                                       "cv_isi"]


def test_list_and_describe_as_command(soma_exe, examples):
    listed = command(soma_exe, "list").stdout
    plugins = soma.list()
    assert {p["kind"] for p in plugins} == {"model", "stimulus", "integrator", "recorder"}
    for p in plugins:
        assert f"  {p['name']:<16} {p['description']}" in listed
    assert [p["name"] for p in soma.list("integrator")] == sorted(p["name"] for p in soma.list("integrator"))
    text = command(soma_exe, "describe", "hh").stdout
    d = soma.describe("hh")
    assert d["kind"] == "model" and d["name"] == "hh"
    g_na = next(p for p in d["parameters"] if p["name"] == "g_Na")
    assert (g_na["unit"], g_na["default"], g_na["lower"], g_na["lower_closed"]) == ("mS/cm^2", 120.0, 0.0, True)
    for p in d["parameters"]:
        assert f"  {p['name']:<14} {p['unit']:<16} {p['default']:>10g}  {p['range']:<18} {p['description']}" in text
    assert [v["name"] for v in d["state_variables"]] == [l.split()[0] for l in
                                                        text.split("state variables:\n")[1].split("\n\n")[0].splitlines()]
    assert d["current"]["unit"] == "uA/cm^2"
    step = soma.describe("step")
    assert step["kind"] == "stimulus" and any(p["name"] == "amplitude" for p in step["parameters"])
    f = soma.describe(examples / "models" / "hh.eq")
    assert f["kind"] == "model" and [v["name"] for v in f["state_variables"]][0] == "v"


def run_python(code, env=None, **kwargs):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kwargs)


def test_out_of_tree_plugin(tmp_path, soma_exe):
    """A plug-in from SOMA_PLUGIN_PATH (the qif model of examples/plugins): listed, described and run as
    by the command with the same SOMA_PLUGIN_PATH."""
    plugin_dir = os.environ.get("SOMA_TEST_PLUGIN_PATH")
    assert plugin_dir and (pathlib.Path(plugin_dir) / "soma_model_qif.so").exists(), \
        "SOMA_TEST_PLUGIN_PATH must hold soma_model_qif.so (built by python/CMakeLists.txt)"
    env = dict(os.environ, SOMA_PLUGIN_PATH=plugin_dir)
    out = tmp_path / "qif"
    command(soma_exe, "run", "--model", "qif", "--set", "stimulus.amplitude=2", "--recorder", "csv", "--output", out,
            "--name", "q", "--summary", "none", env=env)
    p = run_python(f"""
        import numpy as np, soma
        assert any(p["name"] == "qif" and p["kind"] == "model" for p in soma.list())
        assert soma.describe("qif")["file"].startswith({plugin_dir!r})
        r = soma.run(model="qif", params={{"stimulus.amplitude": 2}})
        rows = [l for l in open({str(out / 'q_spikes.csv')!r}) if not l.startswith("#")][1:]
        t = np.array([float(l.split(",")[1]) for l in rows])
        assert len(t) > 0 and np.array_equal(r.spike_times, t), (r.spike_times, t)
        print("ok", len(t))
        """, env=env)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 0, stderr
    assert stdout.startswith("ok ")


def test_plugins_are_loaded_only_when_a_call_uses_them():
    """With plug-in files on SOMA_PLUGIN_PATH that crash or throw as soon as they are loaded (named for plug-ins
    the calls do not use), describe, run and search_path work; the one that throws is refused by name, with
    its RuntimeWarning, when it is asked for."""
    crashing = os.environ.get("SOMA_TEST_CRASHING_PLUGIN_PATH")
    throwing = os.environ.get("SOMA_TEST_THROWING_PLUGIN_PATH")
    assert crashing and (pathlib.Path(crashing) / "soma_model_segfaults.so").exists(), \
        "SOMA_TEST_CRASHING_PLUGIN_PATH must hold soma_model_segfaults.so (built by tests/CMakeLists.txt)"
    assert throwing and (pathlib.Path(throwing) / "soma_integrator_throws_on_load.so").exists(), \
        "SOMA_TEST_THROWING_PLUGIN_PATH must hold soma_integrator_throws_on_load.so (built by tests/CMakeLists.txt)"
    env = dict(os.environ, SOMA_PLUGIN_PATH=f"{crashing}:{throwing}")
    p = run_python("""
        import warnings, soma
        assert soma.describe("hh")["kind"] == "model"
        assert len(soma.run(model="lif", t_stop=40).spike_times) > 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                soma.run(model="lif", integrator="throws_on_load", t_stop=10)
            except soma.PluginError as e:
                assert "integrator plug-in 'throws_on_load' cannot be used" in str(e), e
                assert "its initialisation threw an object that is not an exception" in str(e), e
            else:
                raise AssertionError("no PluginError")
        assert any("soma_integrator_throws_on_load.so" in str(w.message) for w in caught), [str(w.message) for w in caught]
        print("ok")
        """, env=env)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 0, stderr
    assert stdout.startswith("ok")


@pytest.mark.parametrize("recorder", ["csv", "hdf5"])
def test_ctrl_c_interrupts_and_leaves_no_file(tmp_path, recorder):
    """SIGINT during a long run with a recorder: KeyboardInterrupt within a second, and neither the
    recorder's files nor their temporary files are left (the output directory it made is removed)."""
    out = tmp_path / "out"
    p = run_python(f"""
        import os, sys, time, soma
        print("started", flush=True)
        t0 = time.monotonic()
        try:
            soma.run(t_stop=1e7, cells=1000, recorders=[{recorder!r}], output_dir={str(out)!r}, name="long",
                     record="v", record_cells=[0], record_interval=10)
            print("finished")
        except KeyboardInterrupt:
            print("KeyboardInterrupt after", time.monotonic() - t0, flush=True)
        """)
    assert p.stdout.readline().strip() == "started"
    time.sleep(1.5)
    assert p.poll() is None, p.stderr.read()
    assert out.exists() and list(out.iterdir()), "the run should be writing temporary files by now"
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert p.returncode == 0, stderr
    assert stdout.startswith("KeyboardInterrupt after"), stdout + stderr
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1])
def test_sigterm_stops_the_run_and_terminates_without_leaving_files(tmp_path, signum):
    """SIGTERM, SIGHUP, ... (Python's default action: terminate) during a run with recorders: the process
    still terminates by that signal, but first the run's temporary files and its lock are removed."""
    out = tmp_path / "out"
    p = run_python(f"""
        import soma
        print("started", flush=True)
        soma.run(t_stop=1e7, cells=1000, recorders=["csv", "hdf5"], output_dir={str(out)!r}, name="long",
                 record="v", record_cells=[0], record_interval=10)
        print("finished")
        """)
    assert p.stdout.readline().strip() == "started"
    time.sleep(1.5)
    assert p.poll() is None, p.stderr.read()
    assert any(f.name.startswith(".long.") for f in out.iterdir()), "the run should be writing by now"
    p.send_signal(signum)
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == -signum, (p.returncode, stdout, stderr)
    assert "finished" not in stdout
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())


def test_sigterm_handler_of_the_program_is_left_alone(tmp_path):
    """A program that handles SIGTERM itself keeps its handler: Python runs it during the run (here it
    raises), as it runs the SIGINT handler."""
    out = tmp_path / "out"
    p = run_python(f"""
        import signal, soma
        class Stop(Exception):
            pass
        def stop(signum, frame):
            raise Stop()
        signal.signal(signal.SIGTERM, stop)
        print("started", flush=True)
        try:
            soma.run(t_stop=1e7, cells=1000, recorders=["csv"], output_dir={str(out)!r}, name="long", record="v",
                     record_cells=[0], record_interval=10)
        except Stop:
            print("stopped by the program's handler", flush=True)
        assert signal.getsignal(signal.SIGTERM) is stop
        """)
    assert p.stdout.readline().strip() == "started"
    time.sleep(1.5)
    p.send_signal(signal.SIGTERM)
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 0, stderr
    assert stdout.strip() == "stopped by the program's handler"
    assert not out.exists() or list(out.iterdir()) == []


def test_gil_released_during_run():
    """Another Python thread keeps running while soma.run simulates (in either thread)."""
    counts = []
    stop = threading.Event()

    def count():
        n = 0
        while not stop.is_set():
            n += 1
        counts.append(n)

    # Counting alone for a while gives the rate the thread runs at when nothing else holds the GIL.
    worker = threading.Thread(target=count)
    t0 = time.perf_counter()
    worker.start()
    time.sleep(0.3)
    stop.set()
    worker.join()
    alone = counts.pop() / (time.perf_counter() - t0)

    stop.clear()
    worker = threading.Thread(target=count)
    worker.start()
    t0 = time.perf_counter()
    soma.run(cells=6000, t_stop=100, record="spikes", threads=1)  # about 0.5 s: long enough to measure
    elapsed = time.perf_counter() - t0
    stop.set()
    worker.join()
    during = counts.pop() / elapsed
    assert elapsed > 0.2, "the run should last long enough to measure"
    assert during > 0.3 * alone, f"the counting thread ran at {during:.3g}/s during the run, {alone:.3g}/s alone"

    results = []
    runner = threading.Thread(target=lambda: results.append(soma.run(cells=500, t_stop=50, record="spikes")))
    runner.start()
    n = 0
    while runner.is_alive():
        n += 1
    runner.join()
    assert results and n > 1000
