"""soma.compare and soma.fit against the `soma compare` and `soma fit` commands on recordings made here
(an AdEx cell driven by a current file, recorded by the csv recorder, its spike times in a sibling
.spiketimes file as sample indices; and competition-style voltage files with spikes every 40 samples),
as tests/test_cli.cpp makes them: the same tables and the same fit bit for bit, bad input with the
command's messages."""

import csv
import json
import math

import numpy as np
import pytest

import soma
from conftest import command, command_error, read_csv


@pytest.fixture
def recording(tmp_path, soma_exe):
    """tmp_path/rec.csv (t, V, I of adex on a 1000 pA step from 10 to 190 ms, every 0.1 ms) and
    rec.spiketimes; the recorded spike times (ms)."""
    with open(tmp_path / "cur.csv", "w") as f:
        f.write("t (ms),I (pA)\n")
        for k in range(2000):
            f.write(f"{0.1 * k:.1f},{1000 if 100 <= k < 1900 else 0}\n")
    command(soma_exe, "run", "--model", "adex", "--stimulus", tmp_path / "cur.csv", "--t-stop", "200", "--dt", "0.05",
            "--record-interval", "0.1", "--record", "v,I", "--recorder", "csv", "--output", tmp_path, "--name", "rec",
            "--summary", "none")
    spikes = read_csv(tmp_path / "rec_spikes.csv")["t (ms)"]
    indices = [round(t / 0.1) for t in spikes]
    with open(tmp_path / "rec.spiketimes", "w") as f:
        f.writelines(f"{k} 0\n" for k in indices)
    (tmp_path / "rec_spikes.csv").unlink()
    (tmp_path / "rec_cells.csv").unlink()
    return np.array(indices) * 0.1


def read_table(path):
    """NAME_compare.csv: its columns, numbers as float64 arrays (an empty field NaN), 'recording' as text."""
    with open(path) as f:
        rows = list(csv.reader(l for l in f if not l.startswith("#")))
    return {name: (np.array([r[k] for r in rows[1:]]) if name == "recording" else
                   np.array([float(r[k]) if r[k] else np.nan for r in rows[1:]]))
            for k, name in enumerate(rows[0])}


def write_voltage(path, first):
    """PATH.voltage (sample, current in pA, V in mV) and PATH.spiketimes: a current of a slow and a fast
    sinusoid, V flat at -65 mV with spikes every 40 samples from sample `first`, 500 ms at 0.2 ms."""
    with open(f"{path}.voltage", "w") as v, open(f"{path}.spiketimes", "w") as s:
        for k in range(2500):
            t = 0.2 * k
            spike = k >= first and (k - first) % 40 == 0
            v.write(f"{k} {800 + 300 * math.sin(t / 8) + 150 * math.sin(t / 1.3):.6f} {20.0 if spike else -65.0:.6f}\n")
            if spike:
                s.write(f"{k} 1\n")


def test_a_model_against_its_own_recording(tmp_path, recording):
    """The same model on the recorded current: Gamma 1, every spike coincident, the sampled v the
    recorded one bit for bit (RMSE 0)."""
    r = soma.compare([tmp_path / "rec.csv"], model="adex", dt=0.05)
    n = len(recording)
    assert n >= 5
    assert r.gamma.shape == r.gamma_normalised.shape == r.rmse.shape == r.count_ratio.shape == (1,)
    assert r.gamma[0] == 1 and r.rmse[0] == 0 and r.count_ratio[0] == 1
    assert math.isnan(r.gamma_int) and math.isnan(r.gamma_normalised[0])  # one repetition
    assert r.repetition_gamma.shape == (1, 1) and r.coincidences.tolist() == [[n]]
    assert r.model_spikes.tolist() == [n] and r.recorded_spikes.tolist() == [n]
    np.testing.assert_allclose(r.spike_times[0], recording, rtol=0, atol=0.05)  # located within a sample
    np.testing.assert_array_equal(r.recording["spike_times"][0], recording)
    assert r.t.shape == (2000,) and r.v.shape == (2000, 1) and r.recording["v"].shape == (2000, 1)
    assert np.array_equal(r.v[:, 0], r.recording["v"][:, 0])
    assert r.recording["current"].shape == (2000, 1) and r.recording["current"][500, 0] == 1000
    assert r.recording["spikes_from"] == "from the sibling .spiketimes files"
    assert any("sibling .spiketimes" in note for note in r.notes)


def test_compare_equals_the_command_table(tmp_path, soma_exe, recording):
    """Three cells (stronger adaptation) against two repetitions: the command's NAME_compare.csv, value
    for value (the table writes the shortest round-trip text; an empty field is NaN)."""
    (tmp_path / "rec2.csv").write_bytes((tmp_path / "rec.csv").read_bytes())
    (tmp_path / "rec2.spiketimes").write_text("\n".join(f"{round(t / 0.1) + 30} 0" for t in recording) + "\n")
    files = f"{tmp_path / 'rec.csv'},{tmp_path / 'rec2.csv'}"
    r = soma.compare(files, model="adex", dt=0.05, params={"model.b": [60, 90, 120]}, delta=1.5, threads=2)
    command(soma_exe, "compare", "--model", "adex", "--dt", "0.05", "--set", "model.b=60,90,120", "--delta", "1.5",
            "--recording", files, "--output", tmp_path / "out", "--name", "c")
    table = read_table(tmp_path / "out" / "c_compare.csv")
    assert r.repetition_gamma.shape == (3, 2) and len(table["cell"]) == 6
    assert table["recording"].tolist() == [str(f) for f in r.recording["files"]] * 3
    cell = table["cell"].astype(int)
    rep = table["repetition"].astype(int)
    assert np.array_equal(r.repetition_gamma[cell, rep], table["Gamma"], equal_nan=True)
    assert np.array_equal(r.coincidences[cell, rep], table["coincidences"])
    assert np.array_equal(r.model_spikes[cell], table["model spikes"])
    assert np.array_equal(r.recorded_spikes[rep], table["recorded spikes"])
    assert np.array_equal(np.full(len(cell), r.gamma_int), table["Gamma_int"], equal_nan=True)
    for mine, theirs in ((r.gamma_normalised, "Gamma_A"), (r.count_ratio, "count ratio"),
                         (r.model_rate, "model rate (Hz)"), (r.rmse, "RMSE (mV)")):
        assert np.array_equal(mine[cell], table[theirs], equal_nan=True), theirs
    assert np.array_equal(np.full(len(cell), r.recorded_rate), table["recorded rate (Hz)"])
    assert np.array_equal(np.asarray(r.cells["model.b"]), [60.0, 90.0, 120.0])
    assert r.gamma_int < 0.5  # the shifted repetition is another train
    np.testing.assert_allclose(r.gamma, r.repetition_gamma.mean(axis=1), rtol=1e-15)


def test_fit_equals_the_command(tmp_path, soma_exe):
    """A small fit (6 candidates, 2 generations) gives the command's best parameters and scores bit
    for bit with the same seed, on 1 thread here and 2 there."""
    for name, first in (("a-0", 100), ("a-1", 101), ("b-0", 120)):
        write_voltage(tmp_path / name, first)
    a = [tmp_path / "a-0.voltage", tmp_path / "a-1.voltage"]
    # Every set here has the same current: b-0 is another trial of a's stimulus, which soma.fit warns of.
    with pytest.warns(UserWarning, match="held-out set 'b-0' records the stimulus of training set 'a'"):
        r = soma.fit({"model.V_T": (-55, -45), "model.b": (0, 100)}, [a], held_out=[[tmp_path / "b-0.voltage"]],
                     model="adex", recording_dt=0.2, dt=0.1, population=6, generations=2, seed=7, threads=1)
    command(soma_exe, "fit", "--model", "adex", "--fit", "model.V_T=-55:-45", "--fit", "model.b=0:100",
            "--train", ",".join(map(str, a)), "--held-out", tmp_path / "b-0.voltage", "--recording-dt", "0.2",
            "--dt", "0.1", "--population", "6", "--generations", "2", "--seed", "7", "--threads", "2",
            "--output", tmp_path / "out", "--name", "f")
    summary = json.loads((tmp_path / "out" / "f_fit_summary.json").read_text())["fit"]
    assert r.best == {p["name"]: p["best"] for p in summary["parameters"]}
    assert r.units == {"model.V_T": "mV", "model.b": "pA"}
    assert r.best_score == summary["best_score"]
    g = r.generations
    assert g["best"].shape == g["median"].shape == (3,)
    assert g["generation"].tolist() == [x["generation"] for x in summary["per_generation"]]
    assert g["best"].tolist() == [x["best"] for x in summary["per_generation"]]
    assert g["median"].tolist() == [x["median"] for x in summary["per_generation"]]
    def same(mine, theirs):
        assert mine["name"] == theirs["name"] and mine["repetitions"] == theirs["repetitions"]
        for key in ("gamma_normalised", "gamma", "gamma_int", "count_ratio", "model_rate_Hz", "data_rate_Hz", "rmse_mV"):
            assert (math.isnan(mine[key]) and theirs[key] is None) or mine[key] == theirs[key], key
    assert [s["name"] for s in r.training] == ["a"] and [s["name"] for s in r.held_out] == ["b-0"]
    for mine, theirs in zip(r.training + r.held_out, summary["training"] + summary["held_out"]):
        same(mine, theirs)
    assert r.evaluations == summary["evaluations"] and r.population_runs == summary["population_runs"]
    assert "[model]" in r.scenario and r.info["model"] == "adex"


# (soma.fit's bad arguments, the same fit's options of `soma fit`): the messages are the command's
# from the first ': ' on (before it, the argument's name: 'train' for '--train').
BAD_FITS = [
    (dict(fit={"model.V_t": (-55, -45)}), ["--fit", "model.V_t=-55.0:-45.0"]),
    (dict(fit={"model.V_T": "-55"}), ["--fit", "model.V_T=-55"]),
    (dict(fit={"model.V_T": (-45, -55)}), ["--fit", "model.V_T=-45.0:-55.0"]),
    (dict(fit={"model.tau_w": (-5, 5)}), ["--fit", "model.tau_w=-5.0:5.0"]),
    (dict(held_out=["a-0.voltage"]), ["--held-out", "a-0.voltage"]),
    (dict(train=["missing.voltage"]), ["--train", "missing.voltage"]),
    (dict(algorithm="pso-gen"), ["--algorithm", "pso-gen"]),
    (dict(objective="gama"), ["--objective", "gama"]),
    (dict(algorithm="pso"), ["--algorithm", "pso"]),  # an abbreviation: did you mean 'pso_gen'?
    (dict(params={"model.b": [1, 2]}), ["--set", "model.b=1,2"]),  # per-cell values: the fit's own message
    (dict(params={"model.b": "normal(1,0.1)"}), ["--set", "model.b=normal(1,0.1)"]),
]


@pytest.mark.parametrize("kwargs, options", BAD_FITS)
def test_bad_fits_raise_the_command_message(kwargs, options, tmp_path, soma_exe, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_voltage(tmp_path / "a-0", 100)
    arguments = dict(fit={"model.V_T": (-55, -45)}, train=["a-0.voltage"], model="adex", recording_dt=0.2,
                     population=4, generations=1)
    arguments.update(kwargs)
    base = ["fit", "--model", "adex", "--recording-dt", "0.2", "--population", "4", "--generations", "1"]
    if "fit" not in kwargs:
        base += ["--fit", "model.V_T=-55.0:-45.0"]
    if "train" not in kwargs:
        base += ["--train", "a-0.voltage"]
    expected = command_error(soma_exe, *base, *options)
    with pytest.raises(soma.ParameterError) as error:
        soma.fit(**arguments)
    message = str(error.value)
    if expected.startswith("--") and not expected.startswith("--fit "):  # --fit model.X=A:B -> fit={'model.X': (A, B)}
        expected = expected.split(": ", 1)[1]
        message = message.split(": ", 1)[1]
    assert message == soma._soma.python_names(expected)
    assert not (tmp_path / "soma-output").exists()


def test_bad_compare_input(tmp_path, recording):
    with pytest.raises(soma.ParameterError, match="recording: .*missing.csv"):
        soma.compare([tmp_path / "missing.csv"], model="adex")
    with pytest.raises(soma.ParameterError, match="delta=0 is not allowed"):
        soma.compare([tmp_path / "rec.csv"], model="adex", dt=0.05, delta=0)
    with pytest.raises(soma.ParameterError, match="recording: "):
        soma.compare(42, model="adex")
    with pytest.raises(soma.PluginError):
        soma.compare([tmp_path / "rec.csv"], model="adexx")


def write_silent_recording(path):
    """PATH.csv: t, V, I of 200 ms at 0.1 ms with V between -70 and -40 mV: below the 0 mV of the spike
    detection throughout."""
    with open(path, "w") as f:
        f.write("t (ms),V (mV),I (pA)\n")
        for k in range(2000):
            f.write(f"{0.1 * k:.1f},{-70 + 30 * math.sin(k / 50) ** 2:.6f},{100 * math.sin(k / 30):.6f}\n")


def test_compare_warns_of_a_recording_without_detected_spikes(tmp_path, soma_exe):
    write_silent_recording(tmp_path / "quiet.csv")
    with pytest.warns(UserWarning) as warned:
        r = soma.compare([tmp_path / "quiet.csv"], model="adex", dt=0.05)
    messages = [str(w.message) for w in warned]
    note = next(m for m in messages if "no spike" in m)
    assert str(tmp_path / "quiet.csv") in note and "0 mV" in note and "-40 mV" in note
    assert r.recorded_spikes.tolist() == [0]
    assert note in r.notes
    p = command(soma_exe, "compare", "--model", "adex", "--dt", "0.05", "--recording", tmp_path / "quiet.csv",
                "--output", tmp_path / "out")
    assert f"soma: note: {note}" in p.stderr


def test_spike_detection_keywords_are_the_options(tmp_path, soma_exe):
    """spike_threshold and spike_window detect spikes as --spike-threshold and --spike-window: a trace whose
    spikes peak at -10 mV (20, 20.6 and 60 ms) has none at the default 0 mV, 3 at -20 mV, 2 with a 1 ms window;
    bad values get the command's message with the keyword's name."""
    with open(tmp_path / "low.csv", "w") as f:
        f.write("t (ms),V (mV),I (pA)\n")
        f.writelines(f"{0.2 * k:.1f},{-10 if k in (100, 103, 300) else -65},500\n" for k in range(500))
    with pytest.warns(UserWarning, match="no spike detected"):
        assert soma.compare([tmp_path / "low.csv"], model="adex", dt=0.1).recorded_spikes.tolist() == [0]
    assert soma.compare([tmp_path / "low.csv"], model="adex", dt=0.1, spike_threshold=-20).recorded_spikes.tolist() == [3]
    r = soma.compare([tmp_path / "low.csv"], model="adex", dt=0.1, spike_threshold=-20, spike_window=1)
    assert r.recorded_spikes.tolist() == [2]
    p = command(soma_exe, "compare", "--model", "adex", "--dt", "0.1", "--recording", tmp_path / "low.csv",
                "--spike-threshold", "-20", "--spike-window", "1", "--output", tmp_path / "out")
    assert read_table(tmp_path / "out" / "adex-low_compare.csv")["recorded spikes"].tolist() == [2]
    with pytest.raises(soma.ParameterError, match=r"spike_window=-1 is not allowed; give a number in \[0, 50\] ms"):
        soma.compare([tmp_path / "low.csv"], model="adex", dt=0.1, spike_window=-1)
    with pytest.raises(soma.ParameterError, match=r"spike_threshold='x' is not a number"):
        soma.fit({"model.V_T": (-55, -45)}, [[tmp_path / "low.csv"]], spike_threshold="x")


def test_fit_warns_of_a_recording_without_detected_spikes(tmp_path):
    write_silent_recording(tmp_path / "quiet.csv")
    with pytest.warns(UserWarning, match=r"recording '.*quiet.csv': no spike detected"):
        soma.fit({"model.V_T": (-55, -45)}, [[tmp_path / "quiet.csv"]], model="adex", dt=0.1, objective="subthreshold",
                 population=4, generations=1)


def test_fit_scenario_numbers_are_shortest(tmp_path, soma_exe):
    """The .ini of the best parameters writes dt = 0.1, not 0.10000000000000001 (the command's too)."""
    for name, first in (("a-0", 100), ("a-1", 101)):
        write_voltage(tmp_path / name, first)
    a = [tmp_path / "a-0.voltage", tmp_path / "a-1.voltage"]
    r = soma.fit({"model.V_T": (-55, -45)}, [a], model="adex", recording_dt=0.2, dt=0.1, population=4, generations=1)
    lines = r.scenario.splitlines()
    assert "# Run it with: soma run FILE.ini, once saved as FILE.ini" in lines  # no file of the command's name
    assert "dt = 0.1" in lines and "sample_interval = 0.2" in lines
    assert not any("0000000" in l for l in lines if not l.startswith("#")), r.scenario
    best = next(l for l in lines if l.startswith("V_T = "))
    assert float(best.split(" = ")[1]) == r.best["model.V_T"] and best == f"V_T = {r.best['model.V_T']!r}"
    command(soma_exe, "fit", "--model", "adex", "--fit", "model.V_T=-55:-45", "--train", ",".join(map(str, a)),
            "--recording-dt", "0.2", "--dt", "0.1", "--population", "4", "--generations", "1",
            "--output", tmp_path / "out", "--name", "f")
    ini = (tmp_path / "out" / "f_fit.ini").read_text().splitlines()
    assert "dt = 0.1" in ini and "sample_interval = 0.2" in ini
    assert "# Run it with: soma run f_fit.ini" in ini


def test_spike_file_with_a_unit_is_read_as_times(tmp_path, recording):
    """A .spiketimes file with a header naming the unit holds times (CSV), whatever its extension."""
    (tmp_path / "rec.spiketimes").write_text("t (ms)\n" + "".join(f"{t!r}\n" for t in recording))
    r = soma.compare([tmp_path / "rec.csv"], model="adex", dt=0.05)
    np.testing.assert_array_equal(r.recording["spike_times"][0], recording)
    assert r.recorded_spikes.tolist() == [len(recording)]


def test_spike_file_of_one_column_without_header_is_refused(tmp_path, recording):
    (tmp_path / "rec.spiketimes").write_text("".join(f"{t!r}\n" for t in recording))
    with pytest.raises(soma.ParameterError) as e:
        soma.compare([tmp_path / "rec.csv"], model="adex", dt=0.05)
    message = str(e.value)
    assert message.startswith(f"recording: {tmp_path / 'rec.spiketimes'}:1: the first row '{recording[0]!r}' has 1 "
                              "number")
    assert "sample index, count" in message and "'t (ms)'" in message


def write_short_recording(path):
    """PATH.csv: t, V, I of 60 ms at 0.1 ms, V crossing 0 mV every 10 ms (spikes detected there)."""
    with open(path, "w") as f:
        f.write("t (ms),V (mV),I (pA)\n")
        for k in range(600):
            f.write(f"{0.1 * k:.1f},{20.0 if k % 100 == 50 else -65.0},{500.0}\n")


@pytest.mark.parametrize("delta", [0, -1, 60, float("inf"), float("nan"), 40])
def test_delta_is_checked_as_by_the_commands(delta, tmp_path, soma_exe, monkeypatch):
    """The window must be in (0, 50] ms and at most half the recording (here 60 ms): soma.compare and soma.fit
    refuse what `soma compare` and `soma fit` refuse, with the message naming delta, the value and the range."""
    monkeypatch.chdir(tmp_path)
    write_short_recording(tmp_path / "short.csv")
    expected = command_error(soma_exe, "compare", "--model", "adex", "--dt", "0.1", "--recording", "short.csv",
                             "--delta", str(delta))
    if math.isfinite(delta):
        assert expected.startswith(f"--delta {delta:g} is not allowed")
    with pytest.raises(soma.ParameterError) as e:
        soma.compare(["short.csv"], model="adex", dt=0.1, delta=delta)
    shown = f"{delta:g}"
    assert str(e.value).startswith(f"delta={shown} is not allowed")
    assert "must be in (0, 50] ms" in str(e.value) or "must be in (0, 30] ms, at most half of the recording" in str(e.value)
    if math.isfinite(delta):
        assert str(e.value) == soma._soma.python_names(expected)
    with pytest.raises(soma.ParameterError) as f:
        soma.fit({"model.V_T": (-55, -45)}, ["short.csv"], model="adex", dt=0.1, delta=delta, population=4,
                 generations=1)
    assert str(f.value) == str(e.value)


def test_population_below_the_minimum_has_one_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_voltage(tmp_path / "a-0", 100)
    messages = []
    for population in (0, 1, 100001):
        with pytest.raises(soma.ParameterError) as e:
            soma.fit({"model.V_T": (-55, -45)}, ["a-0.voltage"], model="adex", recording_dt=0.2, population=population,
                     generations=1)
        messages.append(str(e.value))
    for population, message in zip((0, 1, 100001), messages):
        assert message == (f"population={population} is not allowed; give a whole number from 2 to 100000 (candidates "
                           "per generation: pso_gen needs at least 2)")
    with pytest.raises(soma.ParameterError, match=r"^population=2.5 is not allowed; give a whole number from 2 to 100000"):
        soma.fit({"model.V_T": (-55, -45)}, ["a-0.voltage"], model="adex", recording_dt=0.2, population=2.5)


def test_compare_and_fit_say_why_gamma_is_undefined(tmp_path, recording, soma_exe):
    """A model firing at or above 1 / (2 delta) has no Gamma: soma.compare and soma.fit warn as the commands note."""
    options = dict(model="adex", dt=0.05, delta=20.0)  # 1 / (2 delta) = 25 Hz, below adex's rate on the step
    with pytest.warns(UserWarning, match="Gamma is undefined for some cells"):
        c = soma.compare([tmp_path / "rec.csv"], **options)
    assert np.isnan(c.cells["gamma"][0])
    assert any(n.startswith("Gamma is undefined for some cells") for n in c.notes)
    err = command(soma_exe, "compare", "--model", "adex", "--dt", "0.05", "--delta", "20", "--recording",
                  tmp_path / "rec.csv", "--output", tmp_path / "cmd", "--summary", "none").stderr
    assert "soma: note: Gamma is undefined for some cells" in err
    # A fit in which every candidate fires that fast is refused after the initial population, as the command is.
    with pytest.raises(soma.ParameterError, match=r"fired at 25 Hz or faster \(1 / \(2 delta\), delta = 20 ms\)"):
        soma.fit({"model.V_T": (-55, -45)}, [[tmp_path / "rec.csv"]], population=4, generations=1, **options)
