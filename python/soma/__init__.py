"""Soma from Python: single-neuron simulations with the plug-ins of the ``soma`` command, results as
NumPy arrays.

    import soma
    r = soma.run()                      # the default run: Hodgkin-Huxley, a 7 uA/cm^2 step, 100 ms
    print(r.spike_times)                # ms
    v = r["v"]                          # float64 [n_samples, n_recorded_cells], mV, at times r.t (ms)

Functions: run, sweep, fi, rheobase, list, describe, search_path. Errors: soma.Error and its
subclasses ParameterError (bad input), PluginError (an unknown or unusable plug-in), RunError (a run
that failed: a diverging state, an output that cannot be written), ModelFileError (an invalid .eq file).
The messages are those of the ``soma`` command. Ctrl-C stops a run (KeyboardInterrupt; the recorders'
files are not left behind); other Python threads run while a simulation goes. See docs/python.md.
"""

import builtins as _builtins
import warnings as _warnings

from . import _soma
from ._results import Result, RheobaseResult, SweepResult
from ._soma import Error, ModelFileError, ParameterError, PluginError, RunError
from ._spec import axis_texts as _axis_texts
from ._spec import run_arguments as _run_arguments
from ._spec import _is_real, _is_whole

__version__ = _soma.__version__
__all__ = ["run", "sweep", "fi", "rheobase", "list", "describe", "search_path", "Result", "SweepResult",
           "RheobaseResult", "Error", "ParameterError", "PluginError", "RunError", "ModelFileError"]

_warned_rejected = False


def _warn_rejected():
    """Warns once of each plug-in file that was not accepted (it may be the user's own build)."""
    global _warned_rejected
    if _warned_rejected:
        return
    _warned_rejected = True
    for r in _soma.rejected():
        _warnings.warn(f"skipping {r['file']}: {r['reason']}", RuntimeWarning, stacklevel=3)


def run(model="hh", *, preset=None, stimulus="step", integrator="euler", params=None, t_stop=100.0, dt=0.01,
        record_interval=0.0, cells=None, cells_from=None, record=None, record_cells=None, threads=None, seed=0,
        recorders=(), output_dir="soma-output", name="run", title=None):
    """Runs one simulation, as ``soma run`` with the same options, and returns a soma.Result.

    model       a model plug-in ('hh', 'lif', ...; soma.list()) or the path of a model file
                ('examples/models/hh.eq').
    preset      a named parameter set of the model (soma.describe(model)['presets']).
    stimulus    a stimulus plug-in, or a list of several whose currents add up (as repeated --stimulus),
                each NAME or NAME:LABEL (parameters 'stimulus.LABEL.PARAM'); or a current file.
    integrator  'euler' (default), 'exp_euler', 'rk4', 'dopri5', 'cvode'.
    params      dict 'KIND.PARAM' -> value, as --set KIND.PARAM=VALUE: KIND is 'model', 'stimulus',
                'integrator' or a recorder's name. A value is a number (all cells), a list or a 1-D NumPy
                array (one value per cell), or a text form: '100,110,120', 'linspace(0,20,41)',
                'normal(MU,SIGMA)', 'uniform(A,B)' (drawn per cell with ``seed``). In the unit that
                soma.describe shows.
    t_stop, dt, record_interval   ms; record_interval 0: every step (a multiple of dt otherwise).
    cells       number of cells (default: the common length of the per-cell values, or 1).
    cells_from  a CSV table of per-cell values (header KIND.PARAM, one row per cell).
    record      names of state variables and/or the current ('I', 'I.LABEL'), e.g. ['v', 'm'], or
                'spikes' for spike times only. Default: everything for up to 10 cells, else spikes and v of
                cells 0 to 9.
    record_cells  population indices whose samples are recorded (spikes are recorded for all).
    threads     threads that advance the cells (default: the cores); results do not depend on it.
    seed        seed of the normal()/uniform() draws and of noise stimuli, 0 to 2**64 - 1.
    recorders   plug-ins that also write files into ``output_dir`` (e.g. ['csv']), named ``name``...;
                none by default. The samples are in memory either way.

    Raises ParameterError (bad input: the message names the parameter, the value and what is
    allowed), PluginError (unknown plug-in), ModelFileError, RunError (the state diverged, an output
    could not be written); KeyboardInterrupt on Ctrl-C, leaving no output file.
    """
    _warn_rejected()
    args = _run_arguments(model, preset, stimulus, integrator, params, t_stop, dt, record_interval, cells, cells_from,
                          record, record_cells, threads, seed, recorders, output_dir, name, title)
    result = Result(_soma.run(args))
    for note in result.notes:
        _warnings.warn(note, stacklevel=2)
    return result


def sweep(vary, *, window=None, **run_options):
    """A parameter sweep, as ``soma sweep``: every combination of the axes' values is one cell of one
    population run; returns a soma.SweepResult (each cell's firing in the analysis window).

    vary     dict 'KIND.PARAM' -> values (KIND 'model' or 'stimulus'; values a list, a 1-D NumPy array,
             a number or 'linspace(a,b,n)'), in order: the last axis varies fastest. E.g.
             {'stimulus.amplitude': 'linspace(0,20,41)', 'model.g_K': [30, 36, 42]} is 123 cells.
    window   (from, to) in ms: the spikes with from <= t < to are analysed (default: the second half of
             the stimulus if it has an onset and offset, else of the run).
    run_options  those of soma.run (model, stimulus, params, t_stop, ...). Unless ``record`` or
             ``recorders`` is given, only spikes are recorded.
    Raises as soma.run; ParameterError also for an axis parameter given in ``params`` too.
    """
    _warn_rejected()
    if window is not None:
        if (not isinstance(window, (tuple, _builtins.list)) or len(window) != 2
                or not all(_is_real(w) for w in window)):
            raise ParameterError(f"window={window!r}: expected (FROM, TO) in ms, e.g. window=(500, 1000) (the spikes "
                                 "with FROM <= t < TO are analysed)")
        window = (float(window[0]), float(window[1]))
    args = _run_arguments(**run_options)
    return SweepResult(_soma.sweep(args, _axis_texts(vary), window))


def fi(amplitude="linspace(0, 20, 21)", *, vary=None, window=None, **run_options):
    """An f-I curve, as ``soma fi``: soma.sweep with the stimulus amplitude as the first axis (in the
    model's current unit); ``vary`` adds further axes (one curve per value)."""
    axes = {"stimulus.amplitude": amplitude}
    if vary is not None:
        if not isinstance(vary, dict):
            raise ParameterError(f"vary={vary!r}: give a dict of KIND.PARAM names and their values")
        axes.update(vary)
    return sweep(axes, window=window, **run_options)


def rheobase(high, *, low=0.0, tolerance=None, batch=7, firing="single", parameter="amplitude", **run_options):
    """The rheobase of each cell, as ``soma rheobase``: the smallest value of the stimulus parameter
    (default its amplitude) at which the cell fires, by bisection in parallel batches; returns a
    soma.RheobaseResult.

    high, low   bounds (the parameter's unit): every cell must fire at ``high`` and none at ``low``.
    tolerance   the search ends when each rheobase is known within this (default (high - low) / 1000).
    batch       amplitudes per cell and round (1 to 1000).
    firing      'single' (at least one spike) or 'sustained' (firing until the end of the stimulus).
    run_options those of soma.run (the cells: per-cell params, cells, ...; the stimulus; t_stop, ...).
    Raises as soma.run; ParameterError also when a cell fires at ``low`` or not at ``high``.
    """
    _warn_rejected()
    for key, value in (("high", high), ("low", low)):
        if not _is_real(value):
            raise ParameterError(f"{key}={value!r} is not a number; give an amplitude in the stimulus parameter's unit")
    if tolerance is None:
        tolerance = 0.0
    elif not _is_real(tolerance) or not tolerance > 0:
        raise ParameterError(f"tolerance={tolerance!r} is not allowed; it must be a number > 0")
    if not _is_whole(batch) or not 1 <= batch <= 1000:
        raise ParameterError(f"batch={batch!r} is not allowed; give a whole number from 1 to 1000")
    if run_options.get("recorders"):
        raise ParameterError("a rheobase search writes no recorder files (its rounds are many runs); leave "
                             "recorders out and use soma.run for traces")
    if not isinstance(parameter, str) or not isinstance(firing, str):
        raise ParameterError("parameter and firing are names (text), e.g. parameter='amplitude', firing='single'")
    args = _run_arguments(**run_options)
    return RheobaseResult(_soma.rheobase(args, float(low), float(high), float(tolerance), int(batch), firing, parameter))


def list_plugins(kind=None):
    """The plug-ins found (in $SOMA_PLUGIN_PATH, then Soma's own directory), sorted by kind and name:
    a list of dicts with 'kind' ('model', 'stimulus', 'integrator', 'recorder'), 'name', 'version',
    'description' and 'file'; only those of ``kind`` if given."""
    kinds = ("model", "stimulus", "integrator", "recorder")
    if kind is not None and kind not in kinds:
        raise ParameterError(f"kind={kind!r}: give one of {', '.join(kinds)}")
    _warn_rejected()
    return [p for p in _soma.plugins() if kind is None or p["kind"] == kind]


def describe(name, kind=None):
    """A plug-in (or a model file such as 'examples/models/hh.eq'), as ``soma describe``: a dict with
    'kind', 'name', 'version', 'description', 'file', 'parameters' (a list of dicts: 'name', 'unit',
    'default', 'range' as text such as '(0, inf)', 'lower', 'upper', 'lower_closed', 'upper_closed',
    'description' with the source of the default), 'presets' ('name', 'description', 'values') and, for
    a model, 'state_variables' and 'current' ('name', 'unit', 'description'). When plug-ins of several
    kinds have the name, ``kind`` chooses (default: the first of model, stimulus, integrator, recorder).
    Raises PluginError for an unknown name (with the closest one), ModelFileError for a bad file."""
    _warn_rejected()
    import os
    found = _soma.describe(os.fspath(name))
    if kind is not None:
        matching = [d for d in found if d["kind"] == kind]
        if not matching:
            raise PluginError(f"'{name}' is not a {kind} plug-in; it is a {', '.join(d['kind'] for d in found)}")
        found = matching
    return found[0]


def search_path():
    """The directories searched for plug-ins, in order ($SOMA_PLUGIN_PATH, then Soma's own)."""
    return _soma.search_path()


list = list_plugins  # soma.list(), as ``soma list``
