"""Every result of the module equals the `soma` command's output for the same run: the samples and
spike times bit for bit (the csv recorder writes the shortest text that reads back to the same
double), the sample times to 1e-9 dt (the CSV writes them with the decimals of dt: 0.3, not
0.30000000000000004), and the per-cell statistics bit for bit."""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import soma
from conftest import command, read_csv, run_command


def column(table, key):
    """A column of a per-cell table (a DataFrame, or a dict without pandas) as an array."""
    return np.asarray(table[key])


def assert_same_run(result, tmp_path, soma_exe, *args):
    """`result` equals `soma run ARGS --recorder csv`: samples, times, spikes and per-cell table."""
    samples, spikes, cells = run_command(soma_exe, tmp_path, *args)
    info = result.info
    dt = info["dt"]
    # Spikes of every cell, in time order (ties by cell).
    assert np.array_equal(result.spike_times, spikes["t (ms)"])
    assert np.array_equal(result.spike_cells, spikes["cell"].astype(np.int64))
    # Samples: one cell, the wide layout; more, one row per time and recorded cell.
    if samples is None:
        assert result.samples == {} and result.t.shape == (0,)
    else:
        n_rec = len(result.cells)
        t = samples["t (ms)"] if info["n_cells"] == 1 else samples["t (ms)"][::n_rec]
        assert result.t.shape == t.shape
        np.testing.assert_allclose(result.t, t, rtol=0, atol=1e-9 * dt)
        if info["n_cells"] > 1:
            assert np.array_equal(samples["cell"].reshape(-1, n_rec), np.broadcast_to(result.cells, (len(t), n_rec)))
        for name, values in result.samples.items():
            expected = samples[f"{name} ({result.units[name]})"].reshape(len(t), n_rec)
            assert values.shape == (len(t), n_rec)
            assert np.array_equal(values, expected), f"{name} differs from the command's"
        header = [k for k in samples if k not in ("t (ms)", "cell")]
        assert header == [f"{n} ({result.units[n]})" for n in result.samples]
    # Per-cell table.
    assert np.array_equal(column(result.summary, "spikes"), cells["spikes"].astype(np.int64))
    for mine, theirs in (("rate_Hz", "rate (Hz)"), ("first_spike_ms", "first spike (ms)"),
                         ("mean_isi_ms", "mean ISI (ms)"), ("cv_isi", "CV ISI")):
        assert np.array_equal(column(result.summary, mine), cells[theirs], equal_nan=True), mine
    for key, p in info["cell_parameters"].items():
        assert np.array_equal(column(result.summary, key), cells[f"{key} ({p['unit']})"])


def test_default_run(tmp_path, soma_exe):
    """soma.run() is `soma run`: Hodgkin-Huxley, a 7 uA/cm^2 step, 100 ms at dt = 0.01 ms."""
    r = soma.run()
    assert (r.info["model"], r.info["stimulus"], r.info["integrator"]) == ("hh", "step", "euler")
    assert r.info["parameters"]["stimulus.amplitude"] == 7 and r.units["stimulus.amplitude"] == "uA/cm^2"
    assert len(r.spike_times) > 0
    assert_same_run(r, tmp_path, soma_exe)


def course_exercises(examples):
    spec = importlib.util.spec_from_file_location("course", examples / "python" / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    return course.EXERCISES


@pytest.mark.parametrize("name", ["hh-step", "hh-ramp", "hh-sine", "lif-step", "lif-sine"])
def test_course_exercise(name, tmp_path, soma_exe, examples):
    """examples/python/course.py runs each course exercise exactly as `soma run examples/NAME.ini`."""
    options = course_exercises(examples)[name]
    r = soma.run(**options)
    assert_same_run(r, tmp_path, soma_exe, examples / f"{name}.ini")


def test_population_from_numpy_arrays(tmp_path, soma_exe):
    """Per-cell values from a NumPy array, a linspace and normal() draws (seeded) in 6 cells on 2
    threads, two of them and two variables recorded: the command's run with the same values as text."""
    g_na = np.array([100.0, 105.5, 111.0, 116.5, 122.0, 1e2 / 3 + 100])
    r = soma.run(params={"model.g_Na": g_na, "stimulus.amplitude": "linspace(5, 15, 6)",
                         "model.C_m": "normal(1, 0.05)"},
                 record=["v", "m"], record_cells=[4, 1], threads=2, seed=7, t_stop=50)
    assert r["v"].shape == (5000, 2) and r.cells.tolist() == [1, 4]
    assert np.array_equal(r.info["cell_parameters"]["model.g_Na"]["values"], g_na)
    assert r.info["cell_parameters"]["model.g_Na"]["given_as"] == "list of 6 values"
    assert_same_run(r, tmp_path, soma_exe, "--set", "model.g_Na=" + ",".join(repr(x) for x in g_na),
                    "--set", "stimulus.amplitude=linspace(5, 15, 6)", "--set", "model.C_m=normal(1, 0.05)",
                    "--record", "v,m", "--record-cells", "4,1", "--threads", "2", "--seed", "7", "--t-stop", "50")


def test_summed_stimuli_and_integrator(tmp_path, soma_exe):
    """Several stimuli summed (as repeated --stimulus), their parts' currents, and rk4."""
    r = soma.run(stimulus=["step", "sine:s"], integrator="rk4",
                 params={"stimulus.step.amplitude": 3, "stimulus.s.amplitude": 2, "stimulus.s.frequency": 50},
                 record=["v", "I", "I.s"], t_stop=60, dt=0.02)
    assert set(r.samples) == {"v", "I", "I.s"} and r.units["I.s"] == "uA/cm^2"
    assert_same_run(r, tmp_path, soma_exe, "--stimulus", "step", "--stimulus", "sine:s", "--integrator", "rk4",
                    "--set", "stimulus.step.amplitude=3", "--set", "stimulus.s.amplitude=2",
                    "--set", "stimulus.s.frequency=50", "--record", "v,I,I.s", "--t-stop", "60", "--dt", "0.02")


def test_model_file_and_preset(tmp_path, soma_exe, examples):
    """A model from examples/models/adex.eq with one of its presets, sampled every 0.1 ms."""
    model = examples / "models" / "adex.eq"
    preset = soma.describe(model)["presets"][0]["name"]
    r = soma.run(model=model, preset=preset, params={"stimulus.amplitude": 0.5}, t_stop=200, dt=0.05,
                 record_interval=0.1, integrator="exp_euler")
    assert r.t.shape == (2000,)
    assert_same_run(r, tmp_path, soma_exe, "--model", model, "--preset", preset, "--set", "stimulus.amplitude=0.5",
                    "--t-stop", "200", "--dt", "0.05", "--record-interval", "0.1", "--integrator", "exp_euler")


def test_large_population_default_recording(tmp_path, soma_exe):
    """10^4 cells: by default spikes of all and v of cells 0 to 9, as the command records them."""
    r = soma.run(cells=10_000, params={"stimulus.amplitude": "uniform(0, 20)"}, t_stop=20, dt=0.025)
    assert list(r.samples) == ["v"] and r["v"].shape == (800, 10) and r.cells.tolist() == list(range(10))
    assert r.info["recording_note"]
    assert_same_run(r, tmp_path, soma_exe, "--cells", "10000", "--set", "stimulus.amplitude=uniform(0, 20)",
                    "--t-stop", "20", "--dt", "0.025")


def test_spikes_only(tmp_path, soma_exe):
    r = soma.run(record="spikes", cells=3, params={"stimulus.amplitude": [0, 10, 20]})
    assert r.samples == {} and r.t.shape == (0,)
    assert_same_run(r, tmp_path, soma_exe, "--record", "spikes", "--cells", "3", "--set", "stimulus.amplitude=0,10,20")


def test_recorders_write_the_commands_files(tmp_path, soma_exe):
    """With recorders=['csv'] the module writes the command's files: their rows are the same bytes."""
    r = soma.run(recorders=["csv"], output_dir=tmp_path / "py", name="x", t_stop=30)
    assert sorted(p.name for p in r.outputs) == ["x.csv", "x_cells.csv", "x_spikes.csv", "x_summary.json"]
    command(soma_exe, "run", "--recorder", "csv", "--output", tmp_path / "cmd", "--name", "x", "--t-stop", "30")
    for f in ("x.csv", "x_spikes.csv", "x_cells.csv"):
        rows = lambda p: [l for l in p.read_text().splitlines() if not l.startswith("#")]
        assert rows(tmp_path / "py" / f) == rows(tmp_path / "cmd" / f), f


def test_sweep_equals_command(tmp_path, soma_exe):
    """soma.fi is `soma fi`: the NAME_sweep.csv table, cell for cell."""
    s = soma.fi("linspace(0, 20, 9)", vary={"model.g_K": [30, 36]}, t_stop=200,
                params={"stimulus.onset": 0, "stimulus.offset": 200})
    out = tmp_path / "sweep"
    command(soma_exe, "fi", "--amplitude", "linspace(0, 20, 9)", "--vary", "model.g_K=30,36", "--t-stop", "200",
            "--set", "stimulus.onset=0", "--set", "stimulus.offset=200", "--output", out, "--name", "s",
            "--summary", "none")
    table = read_csv(out / "s_sweep.csv")
    assert len(column(s.cells, "rate_Hz")) == 18
    assert np.array_equal(column(s.cells, "stimulus.amplitude"), table["stimulus.amplitude (uA/cm^2)"])
    assert np.array_equal(column(s.cells, "model.g_K"), table["model.g_K (mS/cm^2)"])
    for mine, theirs in (("spikes", "spikes"), ("spikes_in_window", "spikes in window"), ("rate_Hz", "rate (Hz)"),
                         ("latency_ms", "latency (ms)"), ("mean_isi_ms", "mean ISI (ms)"), ("cv_isi", "CV ISI")):
        assert np.array_equal(column(s.cells, mine).astype(float), table[theirs], equal_nan=True), mine
    assert s.window == (100.0, 200.0)


def test_sweep_with_recorders_writes_the_commands_table_and_figure(tmp_path, soma_exe):
    """soma.sweep with recorders writes what `soma sweep --recorder csv` writes: NAME_sweep.csv (its rows
    equal to the command's) and the figure, besides the recorders' files; all listed in `outputs`."""
    out = tmp_path / "py"
    with pytest.warns(UserWarning, match="fewer than 3 inter-spike intervals"):  # the 50 ms step: a short window
        s = soma.sweep({"stimulus.amplitude": [0, 10, 20]}, recorders=["csv"], output_dir=out, name="s", t_stop=100)
    written = {p.name for p in map(pathlib.Path, s.outputs)}
    assert {"s_sweep.csv", "s_sweep.png", "s_sweep.gp", "s.csv", "s_spikes.csv"} <= written, written
    assert all((out / f).exists() for f in written)
    cmd = tmp_path / "cmd"
    command(soma_exe, "sweep", "--vary", "stimulus.amplitude=0,10,20", "--t-stop", "100", "--recorder", "csv",
            "--output", cmd, "--name", "s", "--summary", "none")
    mine, theirs = read_csv(out / "s_sweep.csv"), read_csv(cmd / "s_sweep.csv")
    assert mine.keys() == theirs.keys()
    for key in mine:
        assert np.array_equal(mine[key], theirs[key], equal_nan=True), key


def test_rheobase_equals_command(tmp_path, soma_exe):
    """soma.rheobase is `soma rheobase`: the NAME_rheobase.csv table, for cells of different R (the LIF rheobase is V_th / R)."""
    r = soma.rheobase(5, low=0, tolerance=1e-6, model="lif", t_stop=200,
                      params={"stimulus.onset": 0, "stimulus.offset": 200, "model.R": np.array([2.0, 1.0, 0.5])})
    out = tmp_path / "rheo"
    command(soma_exe, "rheobase", "--model", "lif", "--high", "5", "--tolerance", "1e-6", "--t-stop", "200",
            "--set", "stimulus.onset=0", "--set", "stimulus.offset=200", "--set", "model.R=2.0,1.0,0.5",
            "--output", out, "--name", "r", "--summary", "none")
    table = read_csv(out / "r_rheobase.csv")
    assert r.rheobase.shape == (3,) and r.unit == "nA"
    assert np.array_equal(r.rheobase, table["rheobase (nA)"]) and np.array_equal(r.below, table["below (nA)"])
    assert np.array_equal(np.asarray(r.cells["model.R"]), table["model.R (MOhm)"])
    assert np.all(r.rheobase - r.below <= 1e-6)
    np.testing.assert_allclose(r.rheobase, [0.5, 1, 2], atol=1e-6)


def test_default_length_fits_the_stimulus(tmp_path, soma_exe):
    """t_stop=None is the command without --t-stop: 30 ms past the ramp's offset, 200 ms, with a warning."""
    with pytest.warns(UserWarning, match="the run lasts 200 ms, until 30 ms after the end of the ramp at 170 ms"):
        r = soma.run(stimulus="ramp", record=["v"])
    assert r.info["t_stop"] == 200.0 and r.t[-1] == pytest.approx(199.99)
    assert_same_run(r, tmp_path, soma_exe, "--stimulus", "ramp", "--record", "v")
    assert soma.run(stimulus="ramp", t_stop=100, record="spikes").info["t_stop"] == 100.0
    with pytest.warns(UserWarning, match=r"the step starts at 20 ms, at or after the end of the run \(10 ms\): the cells "
                                         "receive no stimulus"):
        assert soma.run(t_stop=10, record="spikes").spikes_of(0).size == 0
