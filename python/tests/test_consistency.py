"""The module behaves as the `soma` command where both do the same thing: the default drive, the
protection and replacement of output files across commands, the sweep's recording rule and notes; its
messages name Python's keywords and functions, never a whole huge value, and say what a NaN or a NUL
character is; docs/python.md shows the defaults the functions have."""

import ast
import json
import pathlib
import re
import warnings

import numpy as np
import pytest

import soma
from conftest import command, command_error, read_csv

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"


# --- the default drive ---------------------------------------------------------------------------------------

def test_default_stimulus_is_the_drive_the_model_suggests(soma_exe, tmp_path):
    """lif at its suggested 1.1 nA (see test_cli.cpp the_default_step_suits_the_model): 20 spikes, the first
    at 22.3 ms, as `soma run --model lif`; a warning says so, with Python's names."""
    with pytest.warns(UserWarning, match=r"the step's amplitude is 1.1 nA, the drive lif suggests") as warned:
        r = soma.run("lif", record="spikes")
    assert [w.filename for w in warned] == [__file__]
    assert "set params['stimulus.amplitude'] to change it" in str(warned[0].message)
    assert len(r.spike_times) == 20 and r.spike_times[0] == pytest.approx(22.398, abs=0.05)
    out = tmp_path / "cmd"
    command(soma_exe, "run", "--model", "lif", "--record", "spikes", "--recorder", "csv", "--output", out, "--name", "c",
            "--summary", "none")
    assert np.array_equal(read_csv(out / "c_spikes.csv")["t (ms)"], r.spike_times)
    # The step named gets the same drive (as --stimulus step); an amplitude given is left alone (7 nA fires
    # far more often).
    with pytest.warns(UserWarning, match=r"the step's amplitude is 1.1 nA"):
        named = soma.run("lif", stimulus="step", record="spikes")
    assert np.array_equal(named.spike_times, r.spike_times)
    given = soma.run("lif", stimulus="step", params={"stimulus.amplitude": 7}, record="spikes")
    assert len(given.spike_times) > 100 and not given.notes
    own = soma.run("lif", params={"stimulus.amplitude": 1.1}, record="spikes")
    assert np.array_equal(own.spike_times, r.spike_times) and not own.notes
    # hh's suggestion is the step's default: no warning, the course's three spikes.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(soma.run(record="spikes").spike_times) == 3


def test_sweep_takes_the_default_drive_unless_the_amplitude_is_an_axis():
    with pytest.warns(UserWarning, match="the drive adex suggests for preset adaptation"):
        r = soma.sweep({"model.b": [0, 60]}, model="adex", preset="adaptation", t_stop=100)
    assert r.cells["spikes"][0] > 0  # 500 pA makes it fire; the step's 7 pA would not
    f = soma.fi([0, 600], model="adex", preset="adaptation", t_stop=100)
    assert not any("suggests" in n for n in f.notes) and f.cells["spikes"][0] == 0 and f.cells["spikes"][1] > 0


# --- output files across commands ---------------------------------------------------------------------------

def test_sweep_does_not_overwrite_a_runs_recorder_files(tmp_path):
    out = tmp_path / "out"
    soma.run(recorders=["csv"], output_dir=out, name="x", t_stop=10)
    before = (out / "x.csv").read_bytes()
    with pytest.raises(soma.RunError) as e:
        soma.sweep({"stimulus.amplitude": [0, 10]}, recorders=["csv"], output_dir=out, name="x", t_stop=10, window=(0, 10))
    assert "'x.csv' in" in str(e.value) and "is an output of a different run (soma.run" in str(e.value)
    assert "force=True to replace it" in str(e.value) and "--" not in str(e.value)
    assert (out / "x.csv").read_bytes() == before and not (out / "x_sweep_summary.json").exists()
    assert sorted(p.name for p in out.iterdir()) == ["x.csv", "x_cells.csv", "x_spikes.csv", "x_summary.json"]
    # ... and the reverse, and soma.fi
    soma.sweep({"stimulus.amplitude": [0, 10]}, recorders=["csv"], output_dir=out, name="s", t_stop=10, window=(0, 10))
    with pytest.raises(soma.RunError, match="'s.csv' in .* is an output of a different run"):
        soma.run(recorders=["csv"], output_dir=out, name="s", t_stop=10)
    with pytest.raises(soma.RunError, match="different run"):
        soma.fi([0, 5], recorders=["csv"], output_dir=out, name="x", t_stop=10, window=(0, 10))
    # With force, the run is replaced whole: its summary goes with it.
    r = soma.sweep({"stimulus.amplitude": [0, 10]}, recorders=["csv"], output_dir=out, name="x", t_stop=10, window=(0, 10),
                   force=True)
    assert (out / "x.csv").read_bytes() != before
    sweep_files = ["_sweep.csv", "_sweep.gp", "_sweep.png", "_sweep.svg"]  # the table and figure of `soma sweep` too
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["x.csv", "x_cells.csv", "x_spikes.csv", "x_sweep_summary.json", "s.csv", "s_cells.csv", "s_spikes.csv",
         "s_sweep_summary.json"] + ["x" + f for f in sweep_files] + ["s" + f for f in sweep_files])
    assert len(read_csv(out / "x_cells.csv")["spikes"]) == 2 and out / "x.csv" in r.outputs


def test_force_removes_the_replaced_runs_other_files(tmp_path):
    out = tmp_path / "out"
    first = soma.run(recorders=["csv", "hdf5"], output_dir=out, name="x", t_stop=10)
    assert out / "x_spikes.h5" in first.outputs and (out / "x_v.h5").exists()
    second = soma.run(recorders=["csv"], output_dir=out, name="x", t_stop=10, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["x.csv", "x_cells.csv", "x_spikes.csv", "x_summary.json"]
    listed = [pathlib.Path(p).name for p in json.loads((out / "x_summary.json").read_text())["outputs"]]
    assert listed == [p.name for p in second.outputs]
    # Files the run did not write are left alone.
    (out / "mine.txt").write_text("keep")
    soma.run(recorders=["hdf5"], output_dir=out, name="x", t_stop=10, force=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["mine.txt", "x_spikes.h5", "x_v.h5", "x_m.h5", "x_n.h5", "x_h.h5", "x_I.h5", "x_summary.json"])


def test_empty_output_dir_is_refused_with_what_is_wrong(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(soma.ParameterError) as e:
        soma.run(recorders=["csv"], output_dir="", t_stop=1)
    assert str(e.value) == ("output_dir='': the output directory's name is empty; give a directory, e.g. "
                            "output_dir='soma-output' (or output_dir='.' for the current one)")
    assert list(tmp_path.iterdir()) == []


# --- the sweep's recording rule and notes -------------------------------------------------------------------

def test_sweep_records_as_a_run_with_recorders_and_refuses_samples_without(tmp_path, soma_exe):
    out = tmp_path / "out"
    soma.sweep({"stimulus.amplitude": [0, 10, 20]}, record_cells=[1], recorders=["csv"], output_dir=out, name="s",
               t_stop=5, window=(0, 5))
    samples = read_csv(out / "s.csv")
    assert list(samples) == ["t (ms)", "cell", "v (mV)", "m (1)", "n (1)", "h (1)", "I (uA/cm^2)"]
    assert set(samples["cell"]) == {1.0} and len(samples["t (ms)"]) == 500
    for kwargs, given in ((dict(record_cells=[1]), "record_cells"), (dict(record=["v"]), "record='v'")):
        with pytest.raises(soma.ParameterError) as e:
            soma.sweep({"stimulus.amplitude": [0, 10]}, t_stop=5, window=(0, 5), **kwargs)
        assert str(e.value).startswith(f"{given} is given, but a sweep without a recorder records only spikes")
        assert "recorders='csv'" in str(e.value) and "--" not in str(e.value)
    assert soma.sweep({"stimulus.amplitude": [0, 10]}, t_stop=5, window=(0, 5), record="spikes").cells["spikes"].tolist() == [0, 0]
    message = command_error(soma_exe, "sweep", "--vary", "stimulus.amplitude=0,10", "--t-stop", "5", "--window", "0:5",
                            "--record-cells", "1", "--output", tmp_path / "cmd")
    assert message.startswith("--record-cells is given, but a sweep without a recorder records only spikes")
    command(soma_exe, "sweep", "--vary", "stimulus.amplitude=0,10", "--t-stop", "5", "--window", "0:5", "--record-cells",
            "1", "--recorder", "csv", "--output", tmp_path / "cmd", "--name", "c")
    assert list(read_csv(tmp_path / "cmd" / "c.csv")) == list(samples)


def test_record_cells_must_name_a_cell():
    for empty in ([], range(0), np.array([], dtype=np.int64)):
        with pytest.raises(soma.ParameterError, match=r"record_cells=.* holds no cell; give the cells whose samples"):
            soma.run(cells=3, record_cells=empty, t_stop=1)


def test_sweep_issues_the_commands_notes_as_warnings(soma_exe, tmp_path):
    """hh at 10 uA/cm^2 on the default step fires about twice in the window [45, 70) ms: the rate rests on
    one or two intervals, which `soma sweep` notes."""
    with pytest.warns(UserWarning) as warned:
        r = soma.sweep({"stimulus.amplitude": [0, 10]})
    few = [w for w in warned if "fewer than 3 inter-spike intervals" in str(w.message)]
    assert len(few) == 1 and few[0].filename == __file__
    assert str(few[0].message).startswith("1 cell fired with fewer than 3 inter-spike intervals ending in the analysis "
                                          "window (the second half of the stimulus, [45, 70) ms)")
    assert "params['stimulus.offset']=... and t_stop" in str(few[0].message)
    assert r.notes == [str(few[0].message)] and r.cells["spikes_in_window"][1] >= 1
    p = command(soma_exe, "sweep", "--vary", "stimulus.amplitude=0,10", "--output", tmp_path, "--name", "c")
    assert "(e.g. --set stimulus.offset=... and --t-stop)" in p.stderr
    assert "fewer than 3 inter-spike intervals ending in the analysis window (the second half" in p.stderr
    with pytest.warns(UserWarning) as warned:
        soma.fi([0, 10])
    assert [w.filename for w in warned if "fewer than 3" in str(w.message)] == [__file__]


# --- messages -----------------------------------------------------------------------------------------------

def test_nan_among_per_cell_values_is_named():
    with pytest.raises(soma.ParameterError) as e:
        soma.run(params={"model.g_Na": np.array([120.0, 110.0, np.nan, np.nan])})
    assert str(e.value) == ("params['model.g_Na']: entry 2 (cell 2) is NaN, not a number (and 1 more entries); give a "
                            "number for every entry")
    with pytest.raises(soma.ParameterError, match=r"^params\['stimulus.amplitude'\]: entry 1 \(cell 1\) is NaN"):
        soma.run(params={"stimulus.amplitude": [1.0, float("nan")]})
    with pytest.raises(soma.ParameterError, match=r"^vary\['stimulus.amplitude'\]: entry 0 is NaN, not a number"):
        soma.sweep({"stimulus.amplitude": np.array([np.nan, 1.0])})


def test_messages_name_python_functions_and_keywords(tmp_path):
    with pytest.raises(soma.ParameterError) as e:
        soma.run(cells=3, params={"model.g_Na": [100, 110]})
    assert str(e.value) == ("parameter 'model.g_Na' has 2 values but the run asks for 3 cells (cells); give one value "
                            "per cell, or one value for all of them")
    current = tmp_path / "i.csv"
    current.write_text("t (ms),I (nA)\n0,1\n10,1\n")
    with pytest.raises(soma.ParameterError) as e:
        soma.run("lif", stimulus=current, t_stop=50)
    assert "shorten the run (t_stop=" in str(e.value)
    assert "or set params['stimulus.after_end']='zero' (zero current after the file) or 'repeat' (repeat the file)" in str(e.value)
    r = soma.run(cells=20, t_stop=1)
    assert r.info["recording_note"] == ("20 cells: recording the spikes of every cell and v of cells 0 to 9 only "
                                        "(choose with record and record_cells)")
    names = soma._soma.python_names
    assert names("('soma describe MODEL' lists them)") == "(soma.describe(MODEL) lists them)"
    assert names("in the unit 'soma describe' shows") == "in the unit soma.describe(...) shows"
    assert names("x.y is given twice: by --set (or the scenario) and ...") == "x.y is given twice: by params and ..."
    assert names("model.b = 5 (from the scenario or --set) is replaced") == "model.b = 5 (from params) is replaced"
    assert names("offset 3, reset 2; set model.V_r = -70 or set stimulus.amplitude") == (
        "offset 3, reset 2; set params['model.V_r']=-70 or set params['stimulus.amplitude']")


def test_nul_characters_are_refused_by_name():
    for call, where in ((lambda: soma.run(model="hh\0x"), "model"),
                        (lambda: soma.run(params={"model.g_Na": "1\x002"}), "params['model.g_Na']"),
                        (lambda: soma.run(params={"model.g\0Na": 1}), "params"),
                        (lambda: soma.run(record=["v\0"]), "record"),
                        (lambda: soma.describe("h\0h"), "name")):
        with pytest.raises(soma.ParameterError) as e:
            call()
        assert str(e.value).startswith(f"{where}: ") and "holds a NUL character (\\x00) at position" in str(e.value)
        assert "names, paths and values are text without one" in str(e.value)


def test_huge_values_are_abbreviated_in_messages():
    huge = "a" * 200000
    for call, error in ((lambda: soma.run(model=huge), soma.PluginError),
                        (lambda: soma.run(params={"model.g_Na": huge}), soma.ParameterError),
                        (lambda: soma.run(params={f"model.{huge}": 1}), soma.ParameterError),
                        (lambda: soma.run(name=huge + "/"), soma.ParameterError),
                        (lambda: soma.describe("hh", kind=huge), soma.ParameterError)):
        with pytest.raises(error) as e:
            call()
        message = str(e.value)
        assert len(message) < 2000 and re.search(r"a{60}…\(20000\d characters\)", message), message[:300]
    assert soma._soma.readable_message("unknown model '" + "b" * 81 + "'; did you") == (
        "unknown model '" + "b" * 60 + "…(81 characters)'; did you")
    assert soma._soma.readable_message("the model's current, 'short'") == "the model's current, 'short'"


def test_describe_and_list_suggest_the_closest_keyword():
    with pytest.raises(TypeError) as e:
        soma.describe(nme="hh")
    assert str(e.value).startswith("soma.describe() got an unexpected keyword argument 'nme'; did you mean 'name'?")
    with pytest.raises(TypeError) as e:
        soma.list(knd="model")
    assert str(e.value).startswith("soma.list() got an unexpected keyword argument 'knd'; did you mean 'kind'?")


# --- the documented defaults ----------------------------------------------------------------------------------

def documented_signatures():
    """(function name, {keyword: default}) of each '### `soma.NAME(...)`' heading of docs/python.md."""
    found = []
    for line in DOCS.read_text().splitlines():
        for name, arguments in re.findall(r"`soma\.(\w+)\(([^`]*)\)(?: -> [\w.]+)?`", line) if line.startswith("###") else []:
            defaults = {}
            for part in re.split(r",\s*(?![^()]*\))", arguments):
                key, eq, value = part.partition("=")
                if eq and key.strip().isidentifier():
                    defaults[key.strip()] = ast.literal_eval(value.strip())
            found.append((name, defaults))
    return found


def test_documented_defaults_are_the_functions_defaults():
    import inspect
    checked = 0
    for name, defaults in documented_signatures():
        parameters = inspect.signature(getattr(soma, name)).parameters
        for key, value in defaults.items():
            assert key in parameters, f"soma.{name} has no keyword {key}"
            actual = parameters[key].default
            assert actual == value and type(actual) in (type(value), float), (
                f"docs/python.md shows soma.{name}({key}={value!r}); the code's default is {actual!r}")
            checked += 1
    assert checked >= 25, checked
