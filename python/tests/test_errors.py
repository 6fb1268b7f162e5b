"""Bad input raises the documented exception (a subclass of soma.Error) with the `soma` command's
message, its options named by the Python keywords (soma._soma.python_names, tested in test_refusals.py);
what only Python can get wrong (types, shapes) raises ParameterError naming the argument."""

import numpy as np
import pytest

import soma
from conftest import command_error

# (keyword arguments of soma.run, the same run's options of `soma run`, the exception)
SAME_AS_COMMAND = [
    (dict(model="hhx"), ["--model", "hhx"], soma.PluginError),
    (dict(stimulus=["step", "nosuch"]), ["--stimulus", "step", "--stimulus", "nosuch"], soma.PluginError),
    (dict(integrator="rk5"), ["--integrator", "rk5"], soma.PluginError),
    (dict(params={"model.g_Nax": 1}), ["--set", "model.g_Nax=1"], soma.ParameterError),
    (dict(params={"model.amplitude": 1}), ["--set", "model.amplitude=1"], soma.ParameterError),
    (dict(params={"model.C_m": -1}), ["--set", "model.C_m=-1.0"], soma.ParameterError),
    (dict(params={"model.g_Na": "abc"}), ["--set", "model.g_Na=abc"], soma.ParameterError),
    (dict(params={"model.g_Na": float("nan")}), ["--set", "model.g_Na=nan"], soma.ParameterError),
    (dict(params={"model.g_Na": "linspace(1, 2)"}), ["--set", "model.g_Na=linspace(1, 2)"], soma.ParameterError),
    (dict(params={"model.g_Na": "gauss(1, 2)"}), ["--set", "model.g_Na=gauss(1, 2)"], soma.ParameterError),
    (dict(params={"model.g_Na": [100, 110], "stimulus.amplitude": [1, 2, 3]}),
     ["--set", "model.g_Na=100.0,110.0", "--set", "stimulus.amplitude=1.0,2.0,3.0"], soma.ParameterError),
    (dict(cells=3, params={"model.g_Na": np.array([100.0, 110.0])}), ["--cells", "3", "--set", "model.g_Na=100.0,110.0"],
     soma.ParameterError),
    (dict(params={"model.C_m": np.array([1.0, -1.0])}), ["--set", "model.C_m=1.0,-1.0"], soma.ParameterError),
    (dict(params={"integrator.locate_spikes": [0, 1]}), ["--set", "integrator.locate_spikes=0,1"],
     soma.ParameterError),
    (dict(preset="fast"), ["--preset", "fast"], soma.ParameterError),
    (dict(record=["vv"]), ["--record", "vv"], soma.ParameterError),
    (dict(record_cells=[5]), ["--record-cells", "5"], soma.ParameterError),
    (dict(dt=-1), ["--dt", "-1"], soma.ParameterError),
    (dict(t_stop=0.001, dt=0.01), ["--t-stop", "0.001", "--dt", "0.01"], soma.ParameterError),
    (dict(record_interval=0.015), ["--record-interval", "0.015"], soma.ParameterError),
    (dict(threads=2000), ["--threads", "2000"], soma.ParameterError),
    (dict(dt=0.5, params={"stimulus.amplitude": 500}), ["--dt", "0.5", "--set", "stimulus.amplitude=500.0"],
     soma.RunError),
]


@pytest.mark.parametrize("kwargs,args,error", SAME_AS_COMMAND, ids=[" ".join(a) for _, a, _ in SAME_AS_COMMAND])
def test_same_message_as_command(kwargs, args, error, soma_exe):
    expected = command_error(soma_exe, "run", "--recorder", "none", *args)
    with pytest.raises(error) as e:
        soma.run(**kwargs)
    assert isinstance(e.value, soma.Error)
    assert str(e.value) == soma._soma.python_names(expected)


def test_model_file_error(tmp_path, soma_exe):
    bad = tmp_path / "bad.eq"
    bad.write_text("state v [mV] = 0\ndv/dt = (-v + I) / tau [mV/ms]\n")
    expected = command_error(soma_exe, "run", "--recorder", "none", "--model", bad)
    with pytest.raises(soma.ModelFileError) as e:
        soma.run(model=bad)
    assert str(e.value) == expected and isinstance(e.value, soma.Error)


def test_unknown_component_as_set(soma_exe):
    """A key whose KIND is no component of the run: --set's message, naming `params` instead."""
    expected = command_error(soma_exe, "run", "--recorder", "none", "--set", "stimulu.amplitude=1")
    with pytest.raises(soma.ParameterError) as e:
        soma.run(params={"stimulu.amplitude": 1})
    assert str(e.value) == expected.replace("--set: ", "params: ", 1)
    assert "did you mean 'stimulus'" in str(e.value)


def test_describe_unknown(soma_exe):
    expected = command_error(soma_exe, "describe", "hhh")
    with pytest.raises(soma.PluginError) as e:
        soma.describe("hhh")
    assert str(e.value) == expected.replace("('soma list' shows them all.)", "(soma.list() shows them all.)")


def test_sweep_and_rheobase_errors(soma_exe):
    expected = command_error(soma_exe, "sweep", "--vary", "model.nosuch=1,2")
    with pytest.raises(soma.ParameterError) as e:
        soma.sweep({"model.nosuch": [1, 2]})
    assert str(e.value) == expected
    expected = command_error(soma_exe, "rheobase", "--high", "1")
    with pytest.raises(soma.ParameterError) as e:
        soma.rheobase(1)
    assert str(e.value) == soma._soma.python_names(expected) and "--" in expected
    expected = command_error(soma_exe, "rheobase", "--high", "20", "--firing", "sustaind")
    with pytest.raises(soma.ParameterError) as e:
        soma.rheobase(20, firing="sustaind")
    assert str(e.value) == expected.replace("--firing 'sustaind'", "firing='sustaind'")


# Python types the command line cannot produce: (keyword arguments, words the message must contain).
WRONG_TYPES = [
    (dict(params={"model.g_Na": object()}), ["params['model.g_Na']", "object", "is not a parameter value"]),
    (dict(params={"model.g_Na": [1, "x"]}), ["params['model.g_Na']", "entry 1", "'x'", "is not a number"]),
    (dict(params={"model.g_Na": True}), ["params['model.g_Na']", "True"]),
    (dict(params={"model.g_Na": np.ones((2, 3))}), ["params['model.g_Na']", "shape (2, 3)", "1-D"]),
    (dict(params={"model.g_Na": np.array(["a"])}), ["params['model.g_Na']", "dtype <U1"]),
    (dict(params={"model.g_Na": np.array([])}), ["params['model.g_Na']", "empty array"]),
    (dict(params=[("model.g_Na", 1)]), ["params=", "dict"]),
    (dict(params={1: 2}), ["params", "key 1"]),
    (dict(params={"g_Na": 1}), ["params", "'g_Na'", "KIND.PARAM"]),
    (dict(t_stop="100"), ["t_stop='100'", "not a number"]),
    (dict(dt=None), ["dt=None", "not a number"]),
    (dict(cells=0), ["cells=0", "at least 1 cell"]),
    (dict(cells=2.5), ["cells=2.5", "not a whole number"]),
    (dict(threads=0), ["threads=0", "at least 1 thread"]),
    (dict(seed=-1), ["seed=-1", "from 0 to 18446744073709551615"]),
    (dict(seed=1.5), ["seed=1.5", "not a valid seed"]),
    (dict(record=[1]), ["record=[1]", "list of names"]),
    (dict(record=["v", ""]), ["record=", "empty name"]),
    (dict(record_cells=[-1]), ["record_cells", "-1", "not a cell index"]),
    (dict(record_cells=[0.5]), ["record_cells", "cell indices"]),
    (dict(model=3), ["model=3", "int"]),
    (dict(stimulus=[]), ["stimulus=[]", "at least one"]),
    (dict(recorders=["csv", "csv"]), ["recorder 'csv' is listed twice"]),
]


@pytest.mark.parametrize("kwargs,words", WRONG_TYPES, ids=[repr(k) for k, _ in WRONG_TYPES])
def test_wrong_python_types(kwargs, words):
    with pytest.raises(soma.ParameterError) as e:
        soma.run(**kwargs)
    for w in words:
        assert w in str(e.value), f"{w!r} not in {str(e.value)!r}"


def test_other_wrong_arguments():
    with pytest.raises(soma.ParameterError, match=r"window=\(1,\): expected \(FROM, TO\)"):
        soma.sweep({"stimulus.amplitude": [1, 2]}, window=(1,))
    with pytest.raises(soma.ParameterError, match="batch=0 is not allowed; give a whole number from 1 to 1000"):
        soma.rheobase(20, batch=0)
    with pytest.raises(soma.ParameterError, match="tolerance=0 is not allowed"):
        soma.rheobase(20, tolerance=0)
    with pytest.raises(soma.ParameterError, match="kind='models'"):
        soma.list("models")
    with pytest.raises(TypeError):
        soma.run(nosuch=1)  # an unknown keyword: Python's own error
