"""Input that would otherwise be ignored, or end in an exception that is not Soma's, is refused with a
soma exception (or, for a misspelled keyword, a TypeError with a suggestion) whose message names the
public function's argument, the value and what is allowed; the command's messages speak of Python's
keywords (record_cells=..., high=...) where the command's say --record-cells, --high."""

import fcntl

import numpy as np
import pytest

import soma
from conftest import command, command_error


# --- 1. what was asked is recorded ---------------------------------------------------------------------

def test_record_names_with_cells_record_every_cell(tmp_path, soma_exe):
    """record=['v'] with cells=20 is a choice: v of all 20 cells, as `soma run --record v --cells 20`."""
    r = soma.run(record=["v"], cells=20, t_stop=5)
    assert r.cells.tolist() == list(range(20)) and r["v"].shape == (500, 20)
    assert r.info["recording_note"] == ""
    out = tmp_path / "cmd"
    command(soma_exe, "run", "--record", "v", "--cells", "20", "--t-stop", "5", "--recorder", "csv", "--output", out,
            "--name", "c", "--summary", "none")
    rows = [l.split(",") for l in (out / "c.csv").read_text().splitlines() if not l.startswith("#")][1:]
    assert sorted({int(row[1]) for row in rows}) == list(range(20))
    v = np.array([float(row[2]) for row in rows]).reshape(500, 20)
    assert np.array_equal(v, r["v"])


def test_record_cells_above_ten_are_recorded():
    r = soma.run(cells=30, record_cells=range(5, 25), t_stop=2)
    assert r.cells.tolist() == list(range(5, 25)) and set(r.samples) == {"v", "m", "n", "h", "I"}
    assert r["v"].shape == (200, 20)


def test_default_recording_of_many_cells_is_still_capped():
    r = soma.run(cells=20, t_stop=2)
    assert r.cells.tolist() == list(range(10)) and list(r.samples) == ["v"]
    assert "20 cells" in r.info["recording_note"]


# --- 3. what would be ignored is refused --------------------------------------------------------------

def test_rheobase_refuses_the_searched_parameter_as_a_fixed_value():
    with pytest.raises(soma.ParameterError) as e:
        soma.rheobase(20, params={"stimulus.amplitude": 5})
    assert str(e.value) == ("params['stimulus.amplitude'] = 5: stimulus.amplitude is the parameter the rheobase "
                            "search varies (parameter='amplitude'), from low=0 to high=20; leave it out of params")


@pytest.mark.parametrize("option,value", [("record", "vv"), ("record_cells", [5])])
def test_rheobase_refuses_recording_options(option, value):
    with pytest.raises(soma.ParameterError, match=f"{option} does not apply to soma.rheobase: the search keeps only "
                                                  "whether each trial fires"):
        soma.rheobase(20, **{option: value})


def test_fi_refuses_amplitudes_given_twice():
    with pytest.raises(soma.ParameterError) as e:
        soma.fi([1, 2, 3], vary={"stimulus.amplitude": [4, 5]}, t_stop=10)
    assert "fi: the amplitudes are given twice" in str(e.value)
    assert "amplitude=[1, 2, 3]" in str(e.value) and "vary['stimulus.amplitude']" in str(e.value)


def test_fi_takes_the_amplitudes_from_vary_alone():
    r = soma.fi(vary={"stimulus.amplitude": [0, 10]}, t_stop=100)
    assert r.axes[0]["parameter"] == "stimulus.amplitude" and r.axes[0]["values"].tolist() == [0, 10]


def test_record_cells_with_spikes_only_is_refused(soma_exe):
    expected = ("record_cells is given, but record is 'spikes' (spike times only, no samples); leave "
                "record_cells out, or record variables, e.g. record='v'")
    with pytest.raises(soma.ParameterError) as e:
        soma.run(record="spikes", record_cells=[0], cells=2)
    assert str(e.value) == expected
    assert command_error(soma_exe, "run", "--record", "spikes", "--record-cells", "0", "--cells", "2",
                         "--recorder", "none") == ("--record-cells is given, but --record is 'spikes' (spike times "
                                                   "only, no samples); leave --record-cells out, or record variables, "
                                                   "e.g. --record 'v'")


def test_masked_arrays_are_refused():
    values = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(soma.ParameterError) as e:
        soma.run(params={"model.g_Na": values})
    assert str(e.value).startswith("params['model.g_Na']: a masked array; masked values are not supported")
    with pytest.raises(soma.ParameterError, match="record_cells: a masked array; masked values are not supported"):
        soma.run(cells=3, record_cells=np.ma.masked_array([0, 1], mask=[True, False]))


# --- 4. exceptions that were not Soma's ------------------------------------------------------------------

def test_huge_numbers():
    with pytest.raises(soma.ParameterError) as e:
        soma.run(cells=10**30)
    assert str(e.value).startswith("cells=1000000000000000000000000000000 is too large; give at most")
    with pytest.raises(soma.ParameterError) as e:
        soma.run(threads=10**30)
    assert str(e.value).startswith("threads=1000000000000000000000000000000 is too large; give at most 1024 threads")
    with pytest.raises(soma.ParameterError, match=r"cells=1000\.\.\.0 \(a number of 401 digits\) is too large"):
        soma.run(cells=10**400)
    with pytest.raises(soma.ParameterError, match="t_stop=1000...0 .a number of 401 digits. is too large for a "
                                                  "double"):
        soma.run(t_stop=10**400)
    with pytest.raises(soma.ParameterError, match=r"params\['model.g_Na'\]: 1000...0 .a number of 401 digits. is too "
                                                  "large for a double"):
        soma.run(params={"model.g_Na": 10**400})
    with pytest.raises(soma.ParameterError, match=r"threads=10\*\*30|threads=1000000000000000000000000000000 is too "
                                                  "large"):
        soma.run(threads=10**30)


def test_describe_of_no_name():
    with pytest.raises(soma.ParameterError) as e:
        soma.describe(None)
    assert str(e.value) == "describe: name=None (of type NoneType) is not a plug-in name; give a name such as 'hh' or a model file's path"


@pytest.mark.parametrize("call, public", [
    (lambda: soma.run(modle="hh"), "soma.run"),
    (lambda: soma.sweep({"stimulus.amplitude": [1]}, modle="hh"), "soma.sweep"),
    (lambda: soma.fi([1], modle="hh"), "soma.fi"),
    (lambda: soma.rheobase(20, modle="hh"), "soma.rheobase"),
    (lambda: soma.compare(["x.csv"], modle="hh"), "soma.compare"),
    (lambda: soma.fit({"model.V_T": (-55, -35)}, [["x.csv"]], modle="hh"), "soma.fit"),
])
def test_misspelled_keywords(call, public):
    with pytest.raises(TypeError) as e:
        call()
    assert str(e.value).startswith(f"{public}() got an unexpected keyword argument 'modle'; did you mean 'model'?")


def test_a_keyword_of_run_given_to_a_function_without_it():
    """recorders= to soma.compare is not a misspelling of its 'recording': the message says whose keyword it is."""
    with pytest.raises(TypeError) as e:
        soma.compare(["x.csv"], recorders=["csv"])
    assert str(e.value).startswith("soma.compare() got an unexpected keyword argument 'recorders'; that is a keyword "
                                   "of soma.run; the keywords of this function are recording, ")
    assert "did you mean" not in str(e.value)


def test_unknown_keyword_without_a_close_one():
    with pytest.raises(TypeError) as e:
        soma.sweep({"stimulus.amplitude": [1]}, zzzzzz=1)
    assert str(e.value).startswith("soma.sweep() got an unexpected keyword argument 'zzzzzz'; its keywords are ")
    assert "run_arguments" not in str(e.value)


# --- 5. Python's names in the command's messages -----------------------------------------------------------

def test_messages_use_python_names():
    with pytest.raises(soma.ParameterError) as e:
        soma.run(record=["vv"])
    assert str(e.value).startswith("record: unknown variable 'vv'; did you mean 'v'?")
    with pytest.raises(soma.ParameterError) as e:
        soma.run(record_cells=[5])
    assert str(e.value) == "record_cells: cell 5 is out of range; the population has 1 cell (0 to 0)"
    with pytest.raises(soma.ParameterError) as e:
        soma.rheobase(1)
    assert "give a larger high, e.g. high=" in str(e.value) and "--" not in str(e.value)
    with pytest.raises(soma.ParameterError) as e:
        soma.rheobase(1, low=2)
    assert str(e.value).startswith("the search interval [low=2, high=1] is not valid")
    with pytest.raises(soma.ParameterError) as e:
        soma.sweep({"stimulus.amplitude": [1]}, window=(50, 200), t_stop=100)
    assert str(e.value).startswith("window") and "--" not in str(e.value)


def test_python_names_mapping():
    names = soma._soma.python_names
    assert names("--record-cells: cell 5") == "record_cells: cell 5"
    assert names("give a larger --high, e.g. --high 25") == "give a larger high, e.g. high=25"
    assert names("--population 3 is not allowed") == "population=3 is not allowed"
    assert names("try e.g. --dt 0.005, or --record-interval") == "try e.g. dt=0.005, or record_interval"
    assert names("--set model.g_Na=100") == "params['model.g_Na']=100"
    assert names("--vary 'stimulus.amplitude=linspace(0,20,41)'") == "vary['stimulus.amplitude']=linspace(0,20,41)"
    assert names("--firing 'x'") == "firing='x'"
    assert names("--recorder none, --output, --held-out") == "recorders=[], output_dir, held_out"
    assert names("--cell 3 and --summary") == "--cell 3 and --summary"  # no Python name: unchanged


# --- 6. describe's kind ------------------------------------------------------------------------------------

def test_describe_kind_is_checked():
    with pytest.raises(soma.ParameterError) as e:
        soma.describe("hh", kind="modle")
    assert str(e.value) == ("kind='modle': unknown kind 'modle'; did you mean 'model'? Known: model, stimulus, "
                            "integrator, recorder.")
    assert soma.describe("step", kind="stimulus")["kind"] == "stimulus"


# --- 7. array-likes ----------------------------------------------------------------------------------------

def test_pandas_series_as_per_cell_values():
    import pandas as pd
    r = soma.run(params={"stimulus.amplitude": pd.Series([0.0, 10.0, 20.0])}, record="spikes")
    plain = soma.run(params={"stimulus.amplitude": [0.0, 10.0, 20.0]}, record="spikes")
    assert r.info["n_cells"] == 3
    assert np.array_equal(r.spike_times, plain.spike_times) and np.array_equal(r.spike_cells, plain.spike_cells)
    s = soma.run(cells=5, record_cells=pd.Series([1, 3]), t_stop=1)
    assert s.cells.tolist() == [1, 3]


def test_messages_never_print_a_whole_array():
    big = np.zeros((1000, 2))
    with pytest.raises(soma.ParameterError) as e:
        soma.run(params={"model.g_Na": big})
    assert len(str(e.value)) < 300 and "shape (1000, 2)" in str(e.value)
    with pytest.raises(soma.ParameterError) as e:
        soma.run(record_cells=np.arange(10000.0))
    assert len(str(e.value)) < 300 and "float64" in str(e.value)
    with pytest.raises(soma.ParameterError) as e:
        soma.run(params={"model.g_Na": [1.0] * 10000 + ["x"]})
    assert len(str(e.value)) < 300
    import pandas as pd
    with pytest.raises(soma.ParameterError) as e:
        soma.run(params={"model.g_Na": pd.Series(["a"] * 5000)})
    assert len(str(e.value)) < 300


# --- 11. files written through recorders= have the command's protections -------------------------------------

def test_recorders_refuse_a_different_runs_files(tmp_path, soma_exe):
    out = tmp_path / "out"
    soma.run(recorders=["csv"], output_dir=out, name="x", t_stop=10)
    soma.run(recorders=["csv"], output_dir=out, name="x", t_stop=10)  # the same run again: replaced
    assert (out / "x_summary.json").exists()
    with pytest.raises(soma.RunError) as e:
        soma.run(recorders=["csv"], output_dir=out, name="x", t_stop=20)
    assert "are from a different run" in str(e.value) and "force=True to replace them" in str(e.value)
    assert "--" not in str(e.value)
    r = soma.run(recorders=["csv"], output_dir=out, name="x", t_stop=20, force=True)
    assert r.t[-1] == pytest.approx(19.99)
    # the command's files are another run's too, both ways
    command(soma_exe, "run", "--recorder", "csv", "--output", tmp_path / "cmd", "--name", "y", "--t-stop", "10")
    with pytest.raises(soma.RunError, match="are from a different run"):
        soma.run(recorders=["csv"], output_dir=tmp_path / "cmd", name="y", t_stop=10)
    message = command_error(soma_exe, "run", "--recorder", "csv", "--output", out, "--name", "x", "--t-stop", "20")
    assert "are from a different run" in message


def test_recorders_take_the_lock(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".x.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(soma.RunError) as e:
            soma.run(recorders=["csv"], output_dir=out, name="x", t_stop=10)
    assert str(e.value).startswith("another soma process is writing the outputs named 'x' in ")
    assert not (out / "x.csv").exists()


def test_sweep_recorders_are_protected_too(tmp_path):
    out = tmp_path / "out"
    soma.sweep({"stimulus.amplitude": [0, 10]}, recorders=["csv"], output_dir=out, name="s", t_stop=60)
    assert (out / "s_sweep_summary.json").exists()
    with pytest.raises(soma.RunError, match="different run"):
        soma.sweep({"stimulus.amplitude": [0, 20]}, recorders=["csv"], output_dir=out, name="s", t_stop=60)
    r = soma.sweep({"stimulus.amplitude": [0, 20]}, recorders=["csv"], output_dir=out, name="s", t_stop=60, force=True)
    assert out / "s.csv" in r.outputs


# --- 4. messages in Python's terms, with a way out -----------------------------------------------------

def test_vary_must_be_a_dict_and_its_keys_kind_param():
    example = "e.g. vary={'stimulus.amplitude': 'linspace(0,20,41)', 'model.g_K': [30, 36, 42]}"
    with pytest.raises(soma.ParameterError) as e:
        soma.sweep(["stimulus.amplitude=1,2"], t_stop=10)
    assert str(e.value) == f"vary=['stimulus.amplitude=1,2']: give a dict of 'KIND.PARAM' names and their values, {example}"
    with pytest.raises(soma.ParameterError) as e:
        soma.sweep({"amplitude": [1, 2]}, t_stop=10)
    assert str(e.value).startswith("vary key 'amplitude': expected 'KIND.PARAM' with KIND 'model' or 'stimulus'")
    with pytest.raises(soma.ParameterError) as e:
        soma.sweep({"modle.g_K": [30, 36]}, t_stop=10)
    assert "unknown kind 'modle'; did you mean 'model'?" in str(e.value)


@pytest.mark.parametrize("name, expected", [
    ("", "name='': the output name is empty; give one, e.g. name='run'"),
    ("..", "name='..' is not a plain file name"),
    ("a/b", "name='a/b' is not a plain file name"),
    ("x" * 300, "is 300 characters long; give at most 100"),
])
def test_bad_output_names_are_parameter_errors(tmp_path, name, expected, soma_exe):
    with pytest.raises(soma.ParameterError) as e:
        soma.run(recorders=["csv"], output_dir=tmp_path / "out", name=name, t_stop=1)
    assert expected in str(e.value)
    assert not (tmp_path / "out").exists()
    # the command's message, with --name for name=
    message = command_error(soma_exe, "run", "--t-stop", "1", "--output", tmp_path / "cmd", "--name", name)
    if name:
        assert soma._soma.readable_message(soma._soma.python_names(message)) == str(e.value)


def test_rheobase_of_a_model_parameter_points_to_a_sweep():
    with pytest.raises(soma.ParameterError) as e:
        soma.rheobase(20, parameter="g_K", t_stop=10)
    assert "'g_K' is a parameter of the model, but the rheobase search varies a current of the stimulus" in str(e.value)


def test_rheobase_tolerance_must_be_below_the_interval():
    with pytest.raises(soma.ParameterError) as e:
        soma.rheobase(20, tolerance=50)
    assert str(e.value).startswith("tolerance=50 is not smaller than the search interval ([low=0, high=20] is 20 wide)")


def test_title_of_another_type_says_what_a_title_is():
    with pytest.raises(soma.ParameterError) as e:
        soma.run(title=3, t_stop=1)
    assert str(e.value) == "title=3 (of type int): give the figures' title as text, e.g. title='HH, 10 uA/cm^2 step'"


def test_memory_refusal_suggests_only_what_would_help():
    with pytest.raises(soma.ParameterError) as e:
        soma.run(t_stop=1e7, cells=1000, record="v")
    message = str(e.value)
    assert "(1 quantity of 1000 cells at 1000000000 times)" in message and "GiB" in message and " GB" not in message
    assert "record fewer quantities" not in message and "record fewer cells (record_cells=...)" in message
    with pytest.raises(soma.ParameterError) as e:
        soma.run(t_stop=1e8, record_cells=[0])
    assert "record fewer quantities (record=['v'])" in str(e.value) and "record fewer cells" not in str(e.value)


def test_recorders_none_is_no_recorder(tmp_path):
    for recorders in ("none", ["none"], None):
        r = soma.run(recorders=recorders, output_dir=tmp_path / "out", t_stop=1)
        assert r.outputs == [] and not (tmp_path / "out").exists()
    with pytest.raises(soma.ParameterError, match="recorder 'none' cannot be combined with other recorders"):
        soma.run(recorders=["none", "csv"], output_dir=tmp_path / "out", t_stop=1)


def test_record_as_text_and_record_cells_as_a_number():
    r = soma.run(record="v,m", record_cells=1, cells=3, t_stop=1)
    assert list(r.samples) == ["v", "m"] and r.cells.tolist() == [1]


def test_a_stimulus_file_with_plus_in_its_name_says_why(tmp_path):
    path = tmp_path / "a+b.csv"
    path.write_text("# t (ms), I (uA/cm^2)\n0,1\n10,2\n")
    with pytest.raises(soma.ParameterError) as e:
        soma.run(stimulus=str(path), t_stop=1)
    assert f"('{path}' is a file, but '+' joins stimuli, so a stimulus file's name cannot hold '+'" in str(e.value)
    with pytest.raises(soma.PluginError) as e:  # two plug-ins, one misspelt: no word about files
        soma.run(stimulus="step+uo", t_stop=1)
    assert "joins stimuli" not in str(e.value)


def test_review_findings_are_refused_clearly(tmp_path):
    for key in ("name", "title"):
        with pytest.raises(soma.ParameterError) as e:
            soma.run(recorders="csv", output_dir=tmp_path / "o", t_stop=1, **{key: "a\nb"})
        assert str(e.value) == f"{key}='a\\nb' contains a control character (such as a newline); use plain text"
    assert not (tmp_path / "o").exists()
    with pytest.raises(soma.ParameterError, match=r"recorders=5 \(of type int\): give recorder names as text"):
        soma.run(recorders=5, t_stop=1)
    r = soma.run(cells=3, t_stop=30, record="spikes")
    for cell in (5, -1, 1.5, True):
        with pytest.raises(IndexError, match="the cells of this run are 0 to 2"):
            r.spikes_of(cell)
    assert np.array_equal(r.spikes_of(np.int64(2)), r.spike_times[r.spike_cells == 2])


def test_second_review_leftovers(tmp_path):
    r = soma.run(t_stop=1)
    with pytest.raises(KeyError, match=r"'vv' was not recorded \(recorded: v, m, n, h, I\)"):
        r["vv"]
    with pytest.raises(soma.ParameterError, match=r"vary\['model.g_Na'\] is empty; give the axis's values"):
        soma.sweep({"model.g_Na": []}, t_stop=1)
    for kwargs, used_by in ((dict(weight=5), "weighted"), (dict(count_tolerance=0.5, objective="gamma"), "gamma-count")):
        with pytest.raises(soma.ParameterError, match=f"is used only by objective='{used_by}'"):
            soma.fit({"model.V_T": (-55, -45)}, [[tmp_path / "none.csv"]], model="adex", **kwargs)
    # The count tolerance serves the weighted objective too, which the command's --count-tolerance does.
    with pytest.raises(soma.ParameterError, match=r"objective='gamma-count' or objective='weighted', not by objective='gamma'"):
        soma.fit({"model.V_T": (-55, -45)}, [[tmp_path / "none.csv"]], model="adex", count_tolerance=0.5,
                 objective="gamma")
    with pytest.raises(soma.ParameterError, match=r"min_reliability='high' is not a number"):
        soma.fit({"model.V_T": (-55, -45)}, [[tmp_path / "none.csv"]], model="adex", min_reliability="high")


def test_a_part_current_of_a_single_stimulus_points_to_i():
    with pytest.raises(soma.ParameterError) as e:
        soma.run(stimulus="step", record="I.step", t_stop=1)
    assert "unknown variable 'I.step'" in str(e.value)
    assert "with one stimulus, record its current as 'I'" in str(e.value)
    r = soma.run(stimulus=["step", "dc:bias"], record=["I", "I.bias"], t_stop=1)  # a sum has its parts
    assert set(r.samples) == {"I", "I.bias"}
