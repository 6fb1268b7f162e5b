"""Checks the keyword arguments of soma.run, soma.sweep and soma.rheobase for their Python types and
turns them into the run description of the C++ core (the options of the ``soma`` command).

Every value the ``soma`` command would also accept goes on as the command's text (numbers in their
shortest round-trip form, so that the framework reads back exactly the same double), so that the
framework checks it and words its errors as for the command line. Only what the command line cannot
express (a NumPy array of per-cell values) goes on as numbers.
"""

import numbers
import os
import pathlib

import numpy as np

from . import _soma
from ._soma import ParameterError

_FORMS = ("a number, a list of numbers, a 1-D array (NumPy, pandas Series, ...) or a text form such as "
          "'linspace(0,20,41)' or 'normal(1,0.1)'")
_SEED_MAX = 2**64 - 1
_COUNT_MAX = 2**64 - 1  # a std::size_t; the run's memory check refuses far fewer cells
_THREADS_MAX = 1024  # RunSettings::max_threads (simulation.hpp), which the run refuses beyond


def shown(value):
    """``value`` as a message shows it: an array or a Series by its type, shape and dtype, a long
    number or list abbreviated, never the whole of a large object."""
    if isinstance(value, (bool, np.bool_)):
        return repr(value)
    if isinstance(value, numbers.Integral):
        digits = str(int(value))
        return digits if len(digits) <= 40 else f"{digits[:4]}...{digits[-1]} (a number of {len(digits.lstrip('-'))} digits)"
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, np.generic):
        return f"a {type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, str):
        return _soma.readable_message(repr(value))
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({type(value).__name__}" + (
        f" of {len(value)} entries)" if hasattr(value, "__len__") else ")")


def to_float(where, value):
    """``float(value)``, with a ParameterError naming ``where`` for a number too large for a double."""
    try:
        return float(value)
    except OverflowError:
        raise ParameterError(f"{where}{shown(value)} is too large for a double (at most about 1.8e308)") from None


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _is_whole(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def plain_text(where, value):
    """``value`` (text), refused when it holds a NUL character, which no name, path or value can hold (and
    which would cut the messages about it short)."""
    if "\0" in value:
        raise ParameterError(f"{where}: {shown(value)} holds a NUL character (\\x00) at position {value.index(chr(0))}; "
                             "names, paths and values are text without one")
    return value


def _finite_entries(where, values):
    """Refuses a NaN among per-cell ``values`` (a float64 array), naming the entry: a NaN is not a value."""
    bad = np.flatnonzero(np.isnan(values))
    if bad.size:
        cell = f" (cell {bad[0]})" if where.startswith("params") else ""
        raise ParameterError(f"{where}: entry {bad[0]}{cell} is NaN, not a number"
                             + (f" (and {bad.size - 1} more entries)" if bad.size > 1 else "")
                             + "; give a number for every entry")
    return values


def number_text(x, where=""):
    """The shortest text that reads back as the double ``float(x)`` (Python's repr), without the '.0' of a
    whole number, as the command writes numbers (75, not 75.0)."""
    text = repr(to_float(where, x))
    return text[:-2] if text.endswith(".0") else text


def array_like(where, value):
    """``value`` (a NumPy array or anything np.asarray takes: a pandas Series, array.array, ...) as a
    NumPy array; masked arrays are refused (their masked entries would be used as if they were values)."""
    if isinstance(value, np.ma.MaskedArray):
        raise ParameterError(f"{where}: a masked array; masked values are not supported: give a plain array (e.g. "
                             "a.compressed() to drop the masked entries, or a.filled(x) to replace them)")
    try:
        return np.asarray(value)
    except Exception as e:  # noqa: BLE001 - whatever the object's __array__ raises
        raise ParameterError(f"{where}: {shown(value)} cannot be read as an array ({e})") from None


def _is_array_like(value):
    return isinstance(value, np.ndarray) or hasattr(value, "__array__")


def value_text(where, value):
    """``value`` as the text of ``--set KIND.PARAM=``, or a float64 array for an array-like."""
    if isinstance(value, str):
        return plain_text(where, value)
    if _is_real(value):
        return number_text(value, f"{where}: ")
    if _is_array_like(value):
        array = array_like(where, value)
        if array.ndim == 0:
            return value_text(where, array[()])
        if array.ndim != 1:
            raise ParameterError(f"{where}: {shown(value)}; give a 1-D array, one value per cell")
        if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
            raise ParameterError(f"{where}: {shown(value)}; give numbers (float or int)")
        if array.size == 0:
            raise ParameterError(f"{where}: an empty array; give at least one value (one for all cells, or one per cell)")
        return _finite_entries(where, np.ascontiguousarray(array, dtype=np.float64))
    if isinstance(value, (list, tuple, range)):
        for k, x in enumerate(value):
            if not _is_real(x):
                raise ParameterError(f"{where}: entry {k} of the list, {shown(x)}, is not a number; give {_FORMS}")
        _finite_entries(where, np.array([to_float(f"{where}: entry {k} of the list, ", x) for k, x in enumerate(value)],
                                        dtype=np.float64))
        return ",".join(number_text(x, f"{where}: entry {k} of the list, ") for k, x in enumerate(value))
    raise ParameterError(f"{where}: {shown(value)} (of type {type(value).__name__}) is not a parameter value; give "
                         f"{_FORMS}")


def _time(name, value, example):
    if not _is_real(value):
        raise ParameterError(f"{name}={shown(value)} is not a number; give a time in ms, e.g. {name}={example}")
    return to_float(f"{name}=", value)


def _count(name, value, what, if_left_out, at_most=None):
    if not _is_whole(value):
        raise ParameterError(f"{name}={shown(value)} is not a whole number; give the number of {what}s, at least 1 "
                             f"(or leave {name} out to {if_left_out})")
    if value < 1:
        raise ParameterError(f"{name}={shown(value)}: a run needs at least 1 {what} (leave {name} out to {if_left_out})")
    if value > _COUNT_MAX:
        # too long a number to count; the run itself refuses more than at_most (its own message, as the command's)
        raise ParameterError(f"{name}={shown(value)} is too large; give at most {at_most or _COUNT_MAX} {what}s (or leave "
                             f"{name} out to {if_left_out})")
    return int(value)


def _names(name, value):
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ParameterError(f"{name}={shown(value)}: give a list of names, e.g. {name}=['v', 'I'], or {name}='spikes'")
    names = [plain_text(name, v).strip() for v in value]
    if not names or any(not n for n in names):
        raise ParameterError(f"{name}={shown(value)}: an empty name in the list; give state variables and/or the "
                             f"model's current, e.g. {name}=['v', 'I'], or {name}='spikes' (soma.describe(MODEL) lists "
                             "them)")
    return names


def _cells(name, value):
    if _is_whole(value):
        value = [value]
    elif _is_array_like(value):
        array = array_like(name, value)
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            raise ParameterError(f"{name}: {shown(value)}; give a 1-D array of cell indices (integers)")
        value = array.tolist()
    if not isinstance(value, (list, tuple, range)) or not all(_is_whole(c) for c in value):
        raise ParameterError(f"{name}={shown(value)}: give cell indices (whole numbers from 0), e.g. {name}=[0, 5, 10] "
                             f"or {name}=range(10)")
    if len(value) == 0:
        raise ParameterError(f"{name}={shown(value)} holds no cell; give the cells whose samples are recorded, e.g. "
                             f"{name}=[0, 5, 10] or {name}=range(10), or record='spikes' for spike times only (leave "
                             f"{name} out for the default recording)")
    for c in value:
        if c < 0:
            raise ParameterError(f"{name}: {shown(c)} is not a cell index; cell indices are whole numbers from 0")
        if c > _COUNT_MAX:
            raise ParameterError(f"{name}: {shown(c)} is too large for a cell index (at most {_COUNT_MAX})")
    return [int(c) for c in value]


# What each text argument is, and an example of it, for the message about a value that is not text.
_TEXTS = {"title": ("the figures' title", "'HH, 10 uA/cm^2 step'"), "output_dir": ("a directory", "'soma-output'"),
          "cells_from": ("a file", "'cells.csv'"), "name": ("the outputs' name", "'run'"),
          "preset": ("a name", "'tonic'"), "stimulus": ("a name", "'step'"), "integrator": ("a name", "'rk4'"),
          "recorders": ("a name", "['csv']")}


def _text(name, value):
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        what, example = _TEXTS.get(name, ("a name", "'hh'"))
        raise ParameterError(f"{name}={shown(value)} (of type {type(value).__name__}): give {what} as text, "
                             f"e.g. {name}={example}")
    return plain_text(name, value)


def run_arguments(model="hh", preset=None, stimulus=None, integrator="euler", params=None, t_stop=None, dt=0.01,
                  record_interval=0.0, cells=None, cells_from=None, record=None, record_cells=None, threads=None,
                  seed=0, recorders=(), output_dir="soma-output", name="run", title=None, force=False):
    """The C++ core's RunArguments of soma.run's keyword arguments (see soma.run)."""
    a = _soma.RunArguments()
    a.model = _text("model", model)
    if preset is not None:
        a.preset = _text("preset", preset)
        if not a.preset:
            raise ParameterError("preset needs a name (soma.describe(MODEL) lists the model's presets)")
    a.default_stimulus = stimulus is None
    if stimulus is None:
        stimulus = "step"  # at the amplitude the model suggests (as `soma run` without --stimulus)
    if isinstance(stimulus, (list, tuple)):
        if not stimulus:
            raise ParameterError("stimulus=[]: give at least one stimulus, e.g. stimulus='step' or ['step', 'ou']")
        a.stimulus = "+".join(_text("stimulus", s) for s in stimulus)  # as repeated --stimulus
    else:
        a.stimulus = _text("stimulus", stimulus)
    a.integrator = _text("integrator", integrator)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ParameterError(f"params={shown(params)}: give a dict of KIND.PARAM names and values, e.g. "
                             "params={'model.g_Na': 100, 'stimulus.amplitude': 'linspace(0,20,41)'}")
    texts, arrays = {}, {}
    for key, value in params.items():
        if not isinstance(key, str):
            raise ParameterError(f"params: the key {shown(key)} is not text; keys are KIND.PARAM, e.g. 'model.g_Na'")
        plain_text("params", key)
        v = value_text(f"params['{key}']", value)
        (arrays if isinstance(v, np.ndarray) else texts)[key] = v
    a.text_parameters = texts
    a.array_parameters = arrays
    if recorders is not None and not isinstance(recorders, (str, list, tuple)):
        raise ParameterError(f"recorders={shown(recorders)} (of type {type(recorders).__name__}): give recorder names "
                             "as text, e.g. recorders=['csv'] or recorders='csv'")
    if isinstance(recorders, str):
        recorders = [recorders]
    if recorders is None:
        recorders = []
    a.recorders = [_text("recorders", r) for r in recorders]
    if "none" in a.recorders:  # as --recorder none
        if len(a.recorders) > 1:
            raise ParameterError("recorder 'none' cannot be combined with other recorders")
        a.recorders = []
    if len(set(a.recorders)) != len(a.recorders):
        twice = next(r for r in a.recorders if a.recorders.count(r) > 1)
        raise ParameterError(f"recorder '{twice}' is listed twice; name each recorder once")
    a.t_stop_given = t_stop is not None
    a.t_stop = _time("t_stop", 100.0 if t_stop is None else t_stop, 100)
    a.dt = _time("dt", dt, 0.01)
    a.record_interval = _time("record_interval", record_interval, 0.1)
    if cells is not None:
        a.cells = _count("cells", cells, "cell", "take the number from the per-cell lists")
    if threads is not None:
        a.threads = _count("threads", threads, "thread", f"use all {os.cpu_count() or 1} cores", _THREADS_MAX)
    if not _is_whole(seed) or not 0 <= seed <= _SEED_MAX:
        raise ParameterError(f"seed={shown(seed)} is not a valid seed; give a whole number from 0 to {_SEED_MAX}, "
                             "e.g. seed=42")
    a.seed = int(seed)
    if cells_from is not None:
        a.cells_from = _text("cells_from", cells_from)
    if record is not None:
        a.record = _names("record", record)
    if record_cells is not None:
        a.record_cells = _cells("record_cells", record_cells)
    a.output_dir = _text("output_dir", output_dir)
    a.name = _text("name", name)  # checked as --name is
    for key, text in (("name", a.name), ("title", title if isinstance(title, str) else "")):
        if any(ord(c) < 0x20 or ord(c) == 0x7f for c in text):
            raise ParameterError(f"{key}={shown(text)} contains a control character (such as a newline); use plain text")
    if title is not None:
        a.title = _text("title", title)
    if not isinstance(force, (bool, np.bool_)):
        raise ParameterError(f"force={shown(force)}: give True (replace the files of a different run of the same name) "
                             "or False")
    a.force = bool(force)
    return a


def axis_texts(vary):
    """The axes of a sweep as ``--vary`` texts, KIND.PARAM=VALUES, in the order given."""
    example = "e.g. vary={'stimulus.amplitude': 'linspace(0,20,41)', 'model.g_K': [30, 36, 42]}"
    if isinstance(vary, dict):
        texts = []
        for key, values in vary.items():
            if not isinstance(key, str):
                raise ParameterError(f"vary key {shown(key)} (of type {type(key).__name__}): the keys are "
                                     f"'KIND.PARAM' names (text), {example}")
            plain_text("vary", key)
            kind, dot, name = key.partition(".")
            if dot and name.strip() and "=" not in key and kind.strip() not in ("model", "stimulus"):
                raise ParameterError(f"vary key '{key}': "
                                     + _soma.unknown_name_message("kind", kind.strip(), ["model", "stimulus"])
                                     + " (a sweep varies parameters of the model or of the stimulus)")
            if not dot or "=" in key or not name.strip():
                raise ParameterError(f"vary key '{key}': expected 'KIND.PARAM' with KIND 'model' or 'stimulus' "
                                     f"and the values as the dict's value, {example}")
            if isinstance(values, (list, tuple, np.ndarray)) and len(values) == 0:
                raise ParameterError(f"vary['{key}'] is empty; give the axis's values, e.g. [30, 36, 42] or "
                                     "'linspace(0,20,41)'")
            v = value_text(f"vary['{key}']", values)
            if isinstance(v, np.ndarray):
                v = ",".join(number_text(x) for x in v)
            texts.append(f"{key}={v}")
        return texts
    raise ParameterError(f"vary={shown(vary)}: give a dict of 'KIND.PARAM' names and their values, {example}")


def stimulus_set(name, files):
    """The files of one stimulus set as texts: a path, a text of comma-separated files, or a list of paths."""
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    if isinstance(files, (list, tuple)) and all(isinstance(f, (str, os.PathLike)) for f in files):
        return [plain_text(name, os.fspath(f)) for f in files]
    raise ParameterError(f"{name}: {shown(files)} is not a set of recordings; give the voltage files of one stimulus's "
                         "repetitions, as a list of paths or a text of comma-separated files")
