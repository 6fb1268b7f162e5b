"""The results of soma.run, soma.sweep and soma.rheobase."""

import pathlib

import numpy as np

try:
    import pandas as _pandas
except ImportError:  # pandas is optional: tables are then dicts of arrays
    _pandas = None


def table(columns, index_name="cell"):
    """A per-cell table: a pandas DataFrame (index: the cell) when pandas is installed, else the dict of
    1-D arrays itself."""
    if _pandas is None:
        return columns
    frame = _pandas.DataFrame(columns)
    frame.index.name = index_name
    return frame


class Result:
    """The result of one run (soma.run).

    Attributes (n_samples samples, n_recorded recorded cells, n_cells cells, n_spikes spikes):
        t            float64 [n_samples], ms: the sample times (i * record_interval).
        samples      dict: recorded quantity name ('v', 'm', ..., 'I') -> float64 [n_samples, n_recorded],
                     in the unit ``units[name]``; column j is cell ``cells[j]``. Views of the run's memory
                     (no copy); they keep it alive. Empty with record='spikes'.
        cells        int64 [n_recorded]: population index of each column of the samples, ascending.
        spike_times  float64 [n_spikes], ms: every spike of every cell, in time order (ties by cell).
        spike_cells  int64 [n_spikes]: the cell of each spike.
        summary      per-cell table, n_cells rows: the per-cell parameters that differ between cells
                     ('model.g_Na', ...), 'spikes', 'rate_Hz', 'first_spike_ms', 'mean_isi_ms', 'cv_isi'
                     (NaN where undefined). A pandas DataFrame, or a dict of arrays without pandas.
        units        dict: name -> unit, for 't', every state variable, the current and every parameter.
        info         dict: the run's metadata (plug-ins, dt, t_stop, n_steps, n_cells, threads, seed,
                     parameter values, thresholds, ...; see docs/python.md).
        outputs      list of pathlib.Path: files written by the recorders given (none by default).
        notes        list of str: what the command line would print as notes (e.g. t_stop rounded).
    ``result['v']`` and ``result.v`` are ``result.samples['v']``.
    """

    def __init__(self, raw):
        self.t = raw["t"]
        self.samples = raw["samples"]
        self.spike_times = raw["spike_times"]
        self.spike_cells = raw["spike_cells"]
        self.info = raw["info"]
        self.cells = self.info["recorded_cells"]
        self.units = self.info["units"]
        self.summary = table(raw["summary"])
        self.outputs = [pathlib.Path(p) for p in raw["outputs"]]
        self.notes = list(raw["notes"])

    def __getitem__(self, name):
        if name not in self.samples:
            raise KeyError(f"{name!r} was not recorded (recorded: {', '.join(self.samples) or 'spikes only'})")
        return self.samples[name]

    def __getattr__(self, name):
        samples = self.__dict__.get("samples", {})
        if name in samples:
            return samples[name]
        raise AttributeError(f"'Result' has no attribute '{name}' (recorded: {', '.join(samples) or 'spikes only'})")

    def spikes_of(self, cell):
        """The spike times (ms, float64 [k]) of cell ``cell`` (its population index, 0 to n_cells - 1).
        Raises IndexError for another cell."""
        n = self.info["n_cells"]
        if isinstance(cell, (bool, np.bool_)) or not isinstance(cell, (int, np.integer)) or not 0 <= cell < n:
            raise IndexError(f"spikes_of({cell!r}): the cells of this run are 0 to {n - 1} (whole numbers)")
        return self.spike_times[self.spike_cells == cell]

    def __repr__(self):
        i = self.info
        recorded = ", ".join(f"{k} [{v.shape[0]}, {v.shape[1]}]" for k, v in self.samples.items()) or "spikes only"
        return (f"<soma.Result: {i['model']} with {i['stimulus']} stimulus and {i['integrator']}, {i['t_stop']:g} ms "
                f"at dt = {i['dt']:g} ms, {i['n_cells']} cell(s), {len(self.spike_times)} spike(s); {recorded}>")


class SweepResult:
    """The result of a sweep (soma.sweep, soma.fi).

    Attributes (n_cells = the product of the axes' lengths; the last axis varies fastest):
        cells         per-cell table: one column per axis ('stimulus.amplitude', ...: that cell's value),
                      the other per-cell parameters, 'spikes' (whole run), 'spikes_in_window', 'rate_Hz'
                      (1000 / mean ISI in the window), 'latency_ms' (first spike from the stimulus onset),
                      'mean_isi_ms', 'cv_isi' (NaN where undefined). DataFrame, or dict of arrays.
        axes          list of dicts: 'parameter', 'unit', 'given_as', 'values' (float64 [axis length]).
        window        (from, to) in ms: the analysis window; ``window_description`` says how it was chosen.
        latency_from  ms: the time latencies are measured from.
        firing_onset  (below, first) for one axis: the largest value without and the smallest with firing
                      in the window (NaN where there is none); (NaN, NaN) for more axes.
        info, units, outputs: as soma.Result.
    """

    def __init__(self, raw):
        self.cells = table(raw["cells"])
        self.axes = list(raw["axes"])
        self.window = tuple(raw["window"])
        self.window_description = raw["window_description"]
        self.latency_from = raw["latency_from_ms"]
        self.firing_onset = tuple(raw["firing_onset"])
        self.info = raw["info"]
        self.units = self.info["units"]
        self.outputs = [pathlib.Path(p) for p in raw["outputs"]]
        self.notes = list(raw["notes"])  # also issued as warnings

    def __repr__(self):
        axes = " x ".join(f"{a['parameter']} = {a['given_as']}" for a in self.axes)
        return f"<soma.SweepResult: {self.info['n_cells']} cells ({axes}), window {self.window_description}>"


class RheobaseResult:
    """The result of a rheobase search (soma.rheobase).

    Attributes (n_cells cells):
        rheobase   float64 [n_cells]: the smallest amplitude found to fire, in ``unit``.
        below      float64 [n_cells]: the largest amplitude found not to fire; rheobase - below <= tolerance.
        cells      per-cell table: the per-cell parameters, 'rheobase', 'below'. DataFrame, or dict of arrays.
        parameter  the stimulus parameter searched, e.g. 'stimulus.amplitude'; ``unit`` its unit.
        tolerance, rounds (population runs made), cell_runs (cells simulated in all), info, units.
    """

    def __init__(self, raw):
        columns = raw["cells"]
        self.rheobase = columns["rheobase"]
        self.below = columns["below"]
        self.cells = table(columns)
        self.parameter = raw["parameter"]
        self.unit = raw["unit"]
        self.tolerance = raw["tolerance"]
        self.rounds = raw["rounds"]
        self.cell_runs = raw["cell_runs"]
        self.info = raw["info"]
        self.units = self.info["units"]

    def __repr__(self):
        return (f"<soma.RheobaseResult: {self.parameter} of {len(self.rheobase)} cell(s), in {self.unit}, "
                f"within {self.tolerance:g}; {self.rounds} round(s)>")


class CompareResult:
    """The result of soma.compare: every cell of the run scored against every recorded repetition.

    Attributes (n_cells cells, n_reps repetitions, n_samples samples of the recording):
        gamma_normalised  float64 [n_cells]: Gamma_A = mean Gamma / Gamma_int (NaN with one repetition).
        gamma             float64 [n_cells]: mean coincidence factor Gamma over the repetitions.
        count_ratio       float64 [n_cells]: model spikes / mean recorded spikes.
        rmse              float64 [n_cells], mV: of V away from the spikes of both trains, pooled over the
                          repetitions (soma.fit's leaves out the recorded spikes only).
        model_rate        float64 [n_cells], Hz.
        repetition_gamma  float64 [n_cells, n_reps]: Gamma of each cell against each repetition.
        coincidences      int64 [n_cells, n_reps]: spikes matched one to one within +-delta.
        model_spikes      int64 [n_cells]; recorded_spikes int64 [n_reps].
        gamma_int         float: intrinsic reliability of the repetitions (NaN with one).
        recorded_rate     float, Hz: mean over the repetitions.
        spike_times       list of n_cells float64 arrays, ms: each cell's spikes.
        t                 float64 [n_samples], ms: the recording's sample times (k * its dt).
        v                 float64 [n_samples, n_cells], mV: the simulated membrane potential at those times.
        recording         dict: 'files' (pathlib.Path per repetition), 'dt' (ms), 'v' float64
                          [n_samples, n_reps] (mV), 'current' float64 [n_samples, n_reps] (pA; None if the
                          files hold none), 'spike_times' (list of n_reps float64 arrays, ms), 'spikes_from',
                          'set' (the set's name).
        cells             per-cell table: the per-cell parameters, 'gamma_normalised', 'gamma',
                          'count_ratio', 'model_rate_Hz', 'rmse_mV', 'model_spikes'. DataFrame or dict.
        delta             ms; exclusion (before, after) in ms around spikes left out of the RMSE.
        info, units, notes: as soma.Result.
    """

    def __init__(self, raw):
        columns = raw["cells"]
        self.gamma_normalised = columns["gamma_normalised"]
        self.gamma = columns["gamma"]
        self.count_ratio = columns["count_ratio"]
        self.rmse = columns["rmse_mV"]
        self.model_rate = columns["model_rate_Hz"]
        self.model_spikes = columns["model_spikes"]
        self.cells = table(columns)
        self.repetition_gamma = raw["repetition_gamma"]
        self.coincidences = raw["coincidences"]
        self.recorded_spikes = raw["recorded_spikes"]
        self.gamma_int = raw["gamma_int"]
        self.recorded_rate = raw["recorded_rate_Hz"]
        self.spike_times = list(raw["spike_times"])
        self.t = raw["t"]
        self.v = raw["v"]
        recording = dict(raw["recording"])
        recording["files"] = [pathlib.Path(f) for f in recording["files"]]
        recording["spike_times"] = list(recording["spike_times"])
        self.recording = recording
        self.delta = raw["delta"]
        self.exclusion = tuple(raw["exclusion"])
        self.info = raw["info"]
        self.units = self.info["units"]
        self.notes = list(raw["notes"])

    def __repr__(self):
        return (f"<soma.CompareResult: {self.info['model']}, {len(self.gamma)} cell(s) against set "
                f"'{self.recording['set']}' ({len(self.recorded_spikes)} repetition(s)); Gamma_int "
                f"{self.gamma_int:.3f}>")


class FitResult:
    """The result of soma.fit.

    Attributes (n_gen = generations + 1: the initial population is generation 0):
        best          dict 'model.NAME' -> the best value found (float), in ``units['model.NAME']``.
        units, bounds dicts 'model.NAME' -> unit, and -> (low, high) as given.
        best_score    the objective's value of ``best``; ``higher_is_better`` says its direction.
        objective, algorithm   their names ('gamma', 'pso_gen', ...).
        generations   dict of arrays [n_gen]: 'generation' (int64), 'candidates' (int64), 'best',
                      'median', 'best_so_far' (float64: objective values of that generation's candidates).
        training, held_out  lists of dicts, one per set: 'name', 'repetitions', 'gamma_normalised',
                      'gamma', 'gamma_int', 'count_ratio', 'model_rate_Hz', 'data_rate_Hz', 'rmse_mV'
                      (NaN where undefined), the best parameters' scores; 'rmse_mV' is the objective's,
                      V away from the recorded spikes only (soma.compare's also leaves out the model's).
        evaluations, population_runs, refused_candidates, seconds.
        scenario      text of a ``soma run`` scenario (INI) of the best parameters on the first training set.
        info          the metadata of the best parameters' run on the first training set; notes as soma.Result.
    """

    def __init__(self, raw):
        self.best = dict(raw["best"])
        self.units = dict(raw["units"])
        self.bounds = {k: tuple(v) for k, v in raw["bounds"].items()}
        self.best_score = raw["best_score"]
        self.objective = raw["objective"]
        self.higher_is_better = raw["higher_is_better"]
        self.algorithm = raw["algorithm"]
        self.generations = dict(raw["generations"])
        self.training = list(raw["training"])
        self.held_out = list(raw["held_out"])
        self.evaluations = raw["evaluations"]
        self.population_runs = raw["population_runs"]
        self.refused_candidates = raw["refused_candidates"]
        self.seconds = raw["seconds"]
        self.scenario = raw["scenario"]
        self.info = raw["info"]
        self.notes = list(raw["notes"])

    def __repr__(self):
        best = ", ".join(f"{k} = {v:.6g} {self.units[k]}".rstrip() for k, v in self.best.items())
        return (f"<soma.FitResult: {self.objective} {self.best_score:.6g} with {best}; "
                f"{len(self.generations['generation'])} generation(s)>")
