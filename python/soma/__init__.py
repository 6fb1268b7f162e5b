"""Soma from Python: single-neuron simulations with the plug-ins of the ``soma`` command, results as
NumPy arrays.

    import soma
    r = soma.run()                      # the default run: Hodgkin-Huxley, a 7 uA/cm^2 step, 100 ms
    print(r.spike_times)                # ms
    v = r["v"]                          # float64 [n_samples, n_recorded_cells], mV, at times r.t (ms)

Functions: run, sweep, fi, rheobase, compare, fit, list, describe, search_path. Errors: soma.Error and its
subclasses ParameterError (bad input), PluginError (an unknown or unusable plug-in), RunError (a run
that failed: a diverging state, an output that cannot be written), ModelFileError (an invalid .eq file).
The messages are those of the ``soma`` command. Ctrl-C stops a run (KeyboardInterrupt; the recorders'
files are not left behind); other Python threads run while a simulation goes. See docs/python.md.
"""

import builtins as _builtins
import functools as _functools
import inspect as _inspect
import os as _os
import warnings as _warnings

from . import _soma
from ._results import CompareResult, FitResult, Result, RheobaseResult, SweepResult
from ._soma import Error, ModelFileError, ParameterError, PluginError, RunError
from ._spec import axis_texts as _axis_texts
from ._spec import run_arguments as _run_arguments
from ._spec import _is_real, _is_whole
from ._spec import number_text as _number_text
from ._spec import plain_text as _spec_plain_text
from ._spec import shown as _shown
from ._spec import stimulus_set as _stimulus_set

__version__ = _soma.__version__
__all__ = ["run", "sweep", "fi", "rheobase", "compare", "fit", "list", "describe", "search_path", "Result",
           "SweepResult", "RheobaseResult", "CompareResult", "FitResult", "Error", "ParameterError", "PluginError", "RunError", "ModelFileError"]

_warned_rejected = set()  # the files warned of
_PACKAGE_DIR = _os.path.dirname(_os.path.abspath(__file__))


def _warn(message, category=UserWarning):
    """Issues a warning attributed to the user's line: the first caller outside this package (whatever the
    depth of soma's own calls, e.g. soma.fi calling soma.sweep)."""
    frame, level = _inspect.currentframe(), 1
    while frame is not None and _os.path.dirname(_os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame, level = frame.f_back, level + 1
    del frame
    _warnings.warn(message, category, stacklevel=level)


def _warn_rejected():
    """Warns once of each plug-in file that was not accepted (it may be the user's own build). Plug-ins are
    loaded as calls need them, so this runs before each call and after it (_loading)."""
    for r in _soma.rejected():
        if r["file"] in _warned_rejected:
            continue
        _warned_rejected.add(r["file"])
        _warn(f"skipping {r['file']}: {r['reason']}", RuntimeWarning)


def _loading(function):
    """``function`` of _soma, followed (also when it raises) by the warnings of the plug-in files it refused."""
    def call(*args):
        try:
            return function(*args)
        finally:
            _warn_rejected()
    return call


def _keywords(function):
    """The keyword arguments ``function`` takes by name (those of soma.run too, for one with **run_options)."""
    names = []
    for p in _inspect.signature(function).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            names += [n for n in _keywords(run) if n not in names]
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            names.append(p.name)
    return names


def _checked_keywords(function=None, *, public=None):
    """``function``, raising a TypeError that names soma.FUNCTION (``public``, default the function's name)
    and suggests the closest keyword (the command's suggestion, libsoma's closest_name) for a keyword it
    does not take, e.g. modle='hh'."""
    if function is None:
        return _functools.partial(_checked_keywords, public=public)

    @_functools.wraps(function)
    def checked(*args, **kwargs):
        known = None
        for key in kwargs:
            known = known or _keywords(function)
            if key not in known:
                close = _soma.closest_name(key, known)
                if key in _keywords(run):  # e.g. recorders= to soma.compare: not a misspelling
                    hint = f"that is a keyword of soma.run; the keywords of this function are {', '.join(known)}"
                else:
                    hint = f"did you mean '{close}'?" if close else f"its keywords are {', '.join(known)}"
                raise TypeError(f"soma.{public or function.__name__}() got an unexpected keyword argument "
                                f"'{_soma.readable_message(key)}'; {hint}")
        return function(*args, **kwargs)
    return checked


@_checked_keywords
def run(model="hh", *, preset=None, stimulus=None, integrator="euler", params=None, t_stop=None, dt=0.01,
        record_interval=0.0, cells=None, cells_from=None, record=None, record_cells=None, threads=None, seed=0,
        recorders=(), output_dir="soma-output", name="run", title=None, force=False):
    """Runs one simulation, as ``soma run`` with the same options, and returns a soma.Result.

    model       a model plug-in ('hh', 'lif', ...; soma.list()) or the path of a model file
                ('examples/models/hh.eq').
    preset      a named parameter set of the model (soma.describe(model)['presets']).
    stimulus    a stimulus plug-in, or a list of several whose currents add up (as repeated --stimulus),
                each NAME or NAME:LABEL (parameters 'stimulus.LABEL.PARAM'); or a current file. None
                (default): as ``soma run`` without --stimulus, a step on [20, 70) ms whose amplitude the
                model suggests for its parameters or preset (hh: 7 uA/cm^2, lif: 1.1 nA; a warning says so
                when it is not the step's own 7), unless params sets 'stimulus.amplitude'; 'step' gets the
                same amplitude (as --stimulus step).
    integrator  'euler' (default), 'exp_euler', 'rk4', 'dopri5', 'cvode'.
    params      dict 'KIND.PARAM' -> value, as --set KIND.PARAM=VALUE: KIND is 'model', 'stimulus',
                'integrator' or a recorder's name. A value is a number (all cells), a list or a 1-D NumPy
                array (one value per cell), or a text form: '100,110,120', 'linspace(0,20,41)',
                'normal(MU,SIGMA)', 'uniform(A,B)' (drawn per cell with ``seed``). In the unit that
                soma.describe shows.
    t_stop, dt, record_interval   ms; record_interval 0: every step (a multiple of dt otherwise). t_stop
                None (default): 100 ms, or 30 ms past the stimulus's offset when that is later (the latest
                of per-cell offsets; a warning says so; the ramp's 170 ms: 200 ms), as ``soma run`` without
                --t-stop.
    cells       number of cells (default: the common length of the per-cell values, or 1).
    cells_from  a CSV table of per-cell values (header KIND.PARAM, one row per cell).
    record      names of state variables and/or the current ('I', 'I.LABEL'), e.g. ['v', 'm'] or 'v,m' (of
                every cell, or of ``record_cells``), or 'spikes' for spike times only. Default: everything for up
                to 10 cells, else spikes and v of cells 0 to 9.
    record_cells  population indices whose samples are recorded (one index or several; spikes are recorded
                for all); not with record='spikes'.
    threads     threads that advance the cells (default: the cores); results do not depend on it.
    seed        seed of the normal()/uniform() draws and of noise stimuli, 0 to 2**64 - 1.
    recorders   plug-ins that also write files into ``output_dir`` (e.g. ['csv'] or 'csv'; 'none': none),
                named ``name``..., with
                ``name``_summary.json recording the call; none by default. The samples are in memory
                either way. As for the command, another process writing the same names at the same time
                is refused, and so are files of the same name from a different run (or command)...
    force       ... unless force=True; the same call again replaces its own files.
    Per-cell values and record_cells may be any 1-D array-like (NumPy array, pandas Series, ...);
    masked arrays are refused.

    Raises ParameterError (bad input: the message names the parameter, the value and what is
    allowed), PluginError (unknown plug-in), ModelFileError, RunError (the state diverged, an output
    could not be written, the files are another run's); TypeError for a keyword it does not take (with
    the closest one); KeyboardInterrupt on Ctrl-C, leaving no output file.
    """
    _warn_rejected()
    args = _run_arguments(model, preset, stimulus, integrator, params, t_stop, dt, record_interval, cells, cells_from,
                          record, record_cells, threads, seed, recorders, output_dir, name, title, force)
    result = Result(_loading(_soma.run)(args))
    for note in result.notes:
        _warn(note)
    return result


@_checked_keywords
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
            raise ParameterError(f"window={_shown(window)}: expected (FROM, TO) in ms, e.g. window=(500, 1000) (the spikes "
                                 "with FROM <= t < TO are analysed)")
        window = (float(window[0]), float(window[1]))
    args = _run_arguments(**run_options)
    raw = _loading(_soma.sweep)(args, _axis_texts(vary), window)
    for note in raw["notes"]:
        _warn(note)
    return SweepResult(raw)


_DEFAULT_AMPLITUDES = "linspace(0, 20, 21)"


@_checked_keywords
def fi(amplitude=None, *, vary=None, window=None, **run_options):
    """An f-I curve, as ``soma fi``: soma.sweep with the stimulus amplitude as the first axis (in the
    model's current unit; default 'linspace(0, 20, 21)', or the values of vary['stimulus.amplitude']);
    ``vary`` adds further axes (one curve per value). Amplitudes given both as ``amplitude`` and in
    ``vary`` raise ParameterError."""
    if vary is not None and not isinstance(vary, dict):
        raise ParameterError(f"vary={_shown(vary)}: give a dict of KIND.PARAM names and their values")
    vary = dict(vary or {})
    if "stimulus.amplitude" in vary:
        if amplitude is not None:
            raise ParameterError(f"fi: the amplitudes are given twice, as amplitude={_shown(amplitude)} and as "
                                 f"vary['stimulus.amplitude']={_shown(vary['stimulus.amplitude'])}; give them once "
                                 "(amplitude=...)")
        amplitude = vary.pop("stimulus.amplitude")
    axes = {"stimulus.amplitude": _DEFAULT_AMPLITUDES if amplitude is None else amplitude}
    axes.update(vary)
    return sweep(axes, window=window, **run_options)


@_checked_keywords
def rheobase(high, *, low=0.0, tolerance=None, batch=7, firing="single", parameter="amplitude", **run_options):
    """The rheobase of each cell, as ``soma rheobase``: the smallest value of the stimulus parameter
    (default its amplitude) at which the cell fires, by bisection in parallel batches; returns a
    soma.RheobaseResult.

    high, low   bounds (the parameter's unit): every cell must fire at ``high`` and none at ``low``.
    tolerance   the search ends when each rheobase is known within this (default (high - low) / 1000).
    batch       amplitudes per cell and round (1 to 1000).
    firing      'single' (at least one spike) or 'sustained' (firing until the end of the stimulus).
    run_options those of soma.run (the cells: per-cell params, cells, ...; the stimulus; t_stop, ...).
    Raises as soma.run; ParameterError also when a cell fires at ``low`` or not at ``high``, and for the
    searched parameter given in ``params`` (the search sets it).
    """
    _warn_rejected()
    for key, value in (("high", high), ("low", low)):
        if not _is_real(value):
            raise ParameterError(f"{key}={_shown(value)} is not a number; give an amplitude in the stimulus "
                                 "parameter's unit")
    if tolerance is None:
        tolerance = 0.0
    elif not _is_real(tolerance) or not tolerance > 0:
        raise ParameterError(f"tolerance={_shown(tolerance)} is not allowed; it must be a number > 0")
    if not _is_whole(batch) or not 1 <= batch <= 1000:
        raise ParameterError(f"batch={_shown(batch)} is not allowed; give a whole number from 1 to 1000")
    if run_options.get("recorders"):
        raise ParameterError("a rheobase search writes no recorder files (its rounds are many runs); leave "
                             "recorders out and use soma.run for traces")
    for option in ("record", "record_cells"):
        if run_options.get(option) is not None:
            raise ParameterError(f"{option} does not apply to soma.rheobase: the search keeps only whether each trial "
                                 "fires; leave it out and use soma.run for traces")
    if not isinstance(parameter, str) or not isinstance(firing, str):
        raise ParameterError("parameter and firing are names (text), e.g. parameter='amplitude', firing='single'")
    searched = parameter if parameter.startswith("stimulus.") else f"stimulus.{parameter}"
    params = run_options.get("params")
    if isinstance(params, dict) and searched in params:
        raise ParameterError(f"params['{searched}'] = {_shown(params[searched])}: {searched} is the parameter the "
                             f"rheobase search varies (parameter='{parameter}'), from low={float(low):g} to "
                             f"high={float(high):g}; leave it out of params")
    args = _run_arguments(**run_options)
    return RheobaseResult(_loading(_soma.rheobase)(args, float(low), float(high), float(tolerance), int(batch), firing, parameter))


def _recording_options(recording_dt, delta, spike_threshold, spike_window):
    for key, value, unit in (("spike_threshold", spike_threshold, "mV"), ("spike_window", spike_window, "ms")):
        if not _is_real(value):
            raise ParameterError(f"{key}={_shown(value)} is not a number; give it in {unit}")
    if recording_dt is not None:
        if not _is_real(recording_dt):
            raise ParameterError(f"recording_dt={_shown(recording_dt)} is not a number; give the sampling step of recordings "
                                 "without times in ms, e.g. recording_dt=0.2")
        recording_dt = float(recording_dt)
    if not _is_real(delta):
        raise ParameterError(f"delta={_shown(delta)} is not a number; give the coincidence window in ms, e.g. delta=2")
    return recording_dt, float(delta), float(spike_threshold), float(spike_window)


@_checked_keywords
def compare(recording, *, model="hh", preset=None, stimulus=None, integrator="euler", params=None, dt=0.01,
            cells=None, cells_from=None, threads=None, seed=0, recording_dt=None, delta=2.0, spike_threshold=0.0,
            spike_window=0.5):
    """A model run against recordings of the same input, as ``soma compare``; returns a soma.CompareResult.

    recording     the recorded repetitions of one stimulus: a list of voltage files (paths), or one text of
                  comma-separated files. Spike times come from a sibling .spiketimes[.gz] file, else they
                  are detected: upward crossings of spike_threshold (mV, default 0), crossings within
                  spike_window ms (default 0.5, in [0, 50]) of a spike ignored.
    recording_dt  sampling step (ms) of files without times (0.2 for the 2007 competition's files).
    delta         coincidence window of Gamma, +-ms.
    stimulus      None (default): the current recorded in the first file drives the model; else a
                  stimulus as in soma.run, instead of it.
    model, preset, integrator, params, dt, cells, cells_from, threads, seed: as soma.run (per-cell
                  values make a population, every cell scored). The run lasts as long as the recording.
    Raises ParameterError (a file that cannot be read, repetitions that do not match, bad values),
    PluginError, RunError as soma.run; KeyboardInterrupt on Ctrl-C. Writes no file. Warns (UserWarning,
    also in ``notes``) of each recording on which the detection finds no spike, naming the file and the
    detection threshold.
    """
    _warn_rejected()
    recording_dt, delta, spike_threshold, spike_window = _recording_options(recording_dt, delta, spike_threshold,
                                                                            spike_window)
    files = _stimulus_set("recording", recording)
    args = _run_arguments(model, preset, stimulus, integrator, params, dt=dt,
                          cells=cells, cells_from=cells_from, threads=threads, seed=seed)
    raw = _loading(_soma.compare)(args, files, recording_dt, delta, spike_threshold, spike_window, stimulus is not None)
    for warning in raw["warnings"]:
        _warn(warning)
    return CompareResult(raw)


def _bounds_text(key, bounds):
    if not isinstance(key, str):
        raise ParameterError(f"fit: the key {_shown(key)} is not text; keys are model.PARAM, e.g. 'model.V_T'")
    if isinstance(bounds, str):
        return f"{key}={bounds}"
    if (not isinstance(bounds, (tuple, _builtins.list)) or len(bounds) != 2
            or not all(_is_real(b) for b in bounds)):
        raise ParameterError(f"fit['{key}']={_shown(bounds)}: give the bounds (LOW, HIGH) in the parameter's unit, e.g. "
                             "fit={'model.V_T': (-55, -35)}")
    where = f"fit['{key}']: "
    return f"{key}={_number_text(bounds[0], where)}:{_number_text(bounds[1], where)}"


def _sets(name, sets):
    if isinstance(sets, (str, _os.PathLike)):
        sets = [sets]
    if not isinstance(sets, (tuple, _builtins.list)):
        raise ParameterError(f"{name}={_shown(sets)}: give a list of stimulus sets, each a list of the voltage files of one "
                             f"stimulus's repetitions, e.g. {name}=[['00-0.voltage', '00-1.voltage']]")
    return [_stimulus_set(name, s) for s in sets]


def _whole(name, value, least, most, library_range=False):
    """A whole number from ``least`` to ``most``. With ``library_range``, libsoma_fitting's check_fit
    checks the range, so that every value out of it gets the same message; then only what is not a
    count at all is refused here (in the same words)."""
    low, high = (0, 2**64 - 1) if library_range else (least, most)
    if not _is_whole(value) or not low <= value <= high:
        raise ParameterError(f"{name}={_shown(value)} is not allowed; give a whole number from {least} to {most}")
    return int(value)


@_checked_keywords
def fit(fit, train, *, held_out=(), model="hh", preset=None, integrator="euler", params=None, dt=0.01, threads=None,
        seed=0, recording_dt=None, objective="gamma-count", weight=None, count_tolerance=None, min_reliability=0.1,
        delta=2.0, spike_threshold=0.0, spike_window=0.5, algorithm="pso_gen", population=32, generations=30):
    """Fits model parameters to recordings, as ``soma fit`` (the same seed gives the same result, bit for
    bit, whatever ``threads``); returns a soma.FitResult. Writes no file.

    fit          dict 'model.PARAM' -> (LOW, HIGH), the bounds in the parameter's unit, e.g.
                 {'model.V_T': (-55, -35), 'model.b': (0, 100)}; the text 'LOW:HIGH' of --fit is
                 taken too ({'model.V_T': '-55:-35'}).
    train        the training sets: a list of sets, each a list of the voltage files of one stimulus's
                 repetitions (or one text of comma-separated files); the current recorded in a set's
                 first file drives the model. A single text or path is one set.
    held_out     sets, as ``train``, scored with the best parameters only.
    recording_dt sampling step (ms) of files without times.
    spike_threshold, spike_window  spike detection on recordings without a spike file, as soma.compare.
    objective    'gamma-count' (maximise min(Gamma_A, 1) less a penalty when the spike count is off the
                 recording's by more than count_tolerance), 'gamma' (maximise Gamma_A, the raw Gamma for a
                 set of one repetition), 'subthreshold' (minimise the RMSE of V away from the recorded
                 spikes, mV) or 'weighted' (the 'gamma-count' score - weight x RMSE); docs/fitting.md.
    weight       1/mV, for 'weighted' only (default 0.1).   delta: coincidence window of Gamma, +-ms.
    count_tolerance  relative spike-count error allowed without penalty, in [0, 1], for 'gamma-count' and
                 'weighted' only (default 0.15). Either given with another objective raises ParameterError
                 (it would do nothing).
    min_reliability  a training set whose repetitions agree less (Gamma_int below it) is fitted to its spike
                 count, not its spike times (warned), in [0, 1] (default 0.1; 0 fits every set's times).
    algorithm    'pso_gen' (particle swarm) or 'gaco' (ant colony), pagmo2's.
    population   candidates per generation (one population run per training set and generation).
    generations  generations after the initial population.
    seed         seed of the initial population and of the algorithm.
    model, preset, integrator, params ('model.X' fixed values), dt, threads: as soma.run.
    Raises ParameterError with the command's message (unknown or twice-given parameter, bounds outside
    the parameter's range, unreadable or mismatched recordings, a held-out set that is also a training
    set, no candidate firing, ...), PluginError, RunError; KeyboardInterrupt on Ctrl-C. Warns (UserWarning)
    of each recording on which the detection finds no spike, as soma.compare.
    """
    _warn_rejected()
    if not isinstance(fit, dict):
        raise ParameterError(f"fit={_shown(fit)}: give a dict of model parameters and their bounds, e.g. "
                             "fit={'model.V_T': (-55, -35)}")
    fitted = [_bounds_text(k, b) for k, b in fit.items()]
    recording_dt, delta, spike_threshold, spike_window = _recording_options(recording_dt, delta, spike_threshold,
                                                                            spike_window)
    for key, value, used_by in (("weight", weight, ("weighted",)),
                                ("count_tolerance", count_tolerance, ("gamma-count", "weighted"))):
        if value is not None and isinstance(objective, str) and objective.replace("_", "-") not in used_by:
            by = " or ".join(f"objective='{o}'" for o in used_by)
            raise ParameterError(f"{key}={_shown(value)} is used only by {by}, not by "
                                 f"objective='{objective}'; leave {key} out or choose {by}")
    weight = 0.1 if weight is None else weight
    count_tolerance = 0.15 if count_tolerance is None else count_tolerance
    if not _is_real(weight):
        raise ParameterError(f"weight={_shown(weight)} is not a number; give the weight of the RMSE in 1/mV, e.g. 0.1")
    for key, value, example in (("count_tolerance", count_tolerance, 0.15), ("min_reliability", min_reliability, 0.1)):
        if not _is_real(value):
            raise ParameterError(f"{key}={_shown(value)} is not a number; give a number in [0, 1], e.g. {example}")
    for key, value in (("objective", objective), ("algorithm", algorithm)):
        if not isinstance(value, str):
            raise ParameterError(f"{key}={_shown(value)}: give its name (text)")
    population = _whole("population", population, _soma.min_population, _soma.max_population, library_range=True)
    generations = _whole("generations", generations, 1, 100000)
    training, held = _sets("train", train), _sets("held_out", held_out)
    args = _run_arguments(model, preset, "step", integrator, params, dt=dt, threads=threads, seed=seed)
    raw = _loading(_soma.fit)(args, fitted, training, held, recording_dt, objective, float(weight), float(count_tolerance),
                    float(min_reliability), delta, spike_threshold, spike_window,
                    algorithm, population, generations)
    for note in raw["notes"]:
        if ("is not used: it is fitted" in note or "is below min_reliability" in note or "records the stimulus of" in note
                or note in raw["warnings"]):
            _warn(note)
    return FitResult(raw)


@_checked_keywords(public="list")
def list_plugins(kind=None):
    """The plug-ins found (in $SOMA_PLUGIN_PATH, then Soma's own directory), sorted by kind and name:
    a list of dicts with 'kind' ('model', 'stimulus', 'integrator', 'recorder'), 'name', 'version',
    'description' and 'file'; only those of ``kind`` if given."""
    _check_kind(kind)
    _warn_rejected()
    return [p for p in _loading(_soma.plugins)() if kind is None or p["kind"] == kind]


_KINDS = ["model", "stimulus", "integrator", "recorder"]


def _check_kind(kind):
    if kind is not None and kind not in _KINDS:
        if not isinstance(kind, str):
            raise ParameterError(f"kind={_shown(kind)}: give one of {', '.join(_KINDS)}")
        raise ParameterError(_soma.readable_message(f"kind={kind!r}: {_soma.unknown_name_message('kind', kind, _KINDS)}"))


@_checked_keywords
def describe(name, kind=None):
    """A plug-in (or a model file such as 'examples/models/hh.eq'), as ``soma describe``: a dict with
    'kind', 'name', 'version', 'description', 'file', 'parameters' (a list of dicts: 'name', 'unit',
    'default', 'range' as text such as '(0, inf)', 'lower', 'upper', 'lower_closed', 'upper_closed',
    'description' with the source of the default), 'presets' ('name', 'description', 'values') and, for
    a model, 'state_variables' and 'current' ('name', 'unit', 'description'). When plug-ins of several
    kinds have the name, ``kind`` chooses (default: the first of model, stimulus, integrator, recorder).
    Raises PluginError for an unknown name (with the closest one), ModelFileError for a bad file,
    ParameterError for a name that is not text or a path, or a ``kind`` that is none of those four."""
    if not isinstance(name, (str, _os.PathLike)):
        raise ParameterError(f"describe: name={_shown(name)} (of type {type(name).__name__}) is not a plug-in name; "
                             "give a name such as 'hh' or a model file's path")
    _check_kind(kind)
    _warn_rejected()
    found = _loading(_soma.describe)(_spec_plain_text("name", _os.fspath(name)))
    if kind is not None:
        matching = [d for d in found if d["kind"] == kind]
        if not matching:
            raise PluginError(f"{_shown(_os.fspath(name))} is not a {kind} plug-in; it is a "
                              f"{', '.join(d['kind'] for d in found)}")
        found = matching
    return found[0]


def search_path():
    """The directories searched for plug-ins, in order ($SOMA_PLUGIN_PATH, then Soma's own)."""
    return _soma.search_path()


list = list_plugins  # soma.list(), as ``soma list``
