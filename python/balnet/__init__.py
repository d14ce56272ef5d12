"""balnet from Python: load a model, run its sweep in this process, get pandas tables and numpy arrays.

    import balnet
    m = balnet.load("models/paper/cancellation.bn")
    r = m.run(set={"N": [1000, 2000], "syn": "conductance", "duration": "1 s"}, seed=1, threads=2)
    r.points                       # pandas DataFrame, the columns of points.csv
    r.scaling                      # pandas DataFrame, the columns of scaling.csv
    t, ids = r.spikes("E", point=0, trial=1)   # numpy arrays: spike times (ms) and neuron indices

The work is done by libbalnet.so (include/balnet.h) through the _balnet extension, in this process: rows,
spikes and recordings come back from memory.  Only the fits (scaling.csv) are files the library writes
(to a temporary folder without `out`, removed once read).
"""
import json
import numbers
import os
import shutil
import sys
import tempfile
from typing import NamedTuple, Optional

from . import _balnet
from ._progress import default_progress

__all__ = ["load", "compile", "Model", "Result", "ModelError", "RunError", "Diagnostic", "version",
           "hdf5_complete"]

RunError = _balnet.RunError


def _need_hdf5():
    if not _balnet.hdf5_available():
        raise RuntimeError("this balnet was built without libhdf5 (apt-get install libhdf5-dev, then rebuild)")


def hdf5_complete(path):
    """True when `path` is a finished balnet HDF5 file (docs/hdf5.md); False for a file whose writer was
    killed (complete = 0, or metadata HDF5 cannot read), a truncated file, or not one of ours."""
    _need_hdf5()
    return _balnet.hdf5_complete(os.fspath(path))


def version():
    """The library's version (the `balnet --version` of the same build)."""
    return _balnet.version()


class Diagnostic(NamedTuple):
    """One diagnostic of a model: where (file, 1-based line and column; None and 0 without a location),
    what (message), and the text `balnet check` prints for it (rendered: with the source line and caret)."""
    level: str
    file: Optional[str]
    line: int
    col: int
    message: str
    rendered: str

    def __str__(self):
        return self.rendered.rstrip("\n")


class ModelError(ValueError):
    """A model that does not load, check or expand.  str(e) is the rendered diagnostics (file:line:col,
    source line, caret); e.diagnostics holds them as Diagnostic tuples (errors, warnings and notes)."""

    def __init__(self, diagnostics, message=None):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.level == "error"]
        text = message or "\n".join(str(d) for d in (errors or self.diagnostics)) or "model error"
        super().__init__(text)


def _format_value(name, v):
    """A Python value as the language's own syntax for `--set NAME=VALUE`: strings as they are ("5 s",
    "conductance", "1..4"), numbers as numbers, a list or tuple as [a, b], a range of step 1 as a..b."""
    if isinstance(v, str):
        if not v.strip():
            raise ValueError(f"set[{name!r}]: empty value")
        return v
    if isinstance(v, bool):
        raise TypeError(f"set[{name!r}]: a bool is not a model value (use a number or a variant name)")
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        x = float(v)
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"set[{name!r}]: {x} is not a finite number")
        return repr(x)
    if isinstance(v, range):
        if v.step != 1 or len(v) == 0:
            raise ValueError(f"set[{name!r}]: only a non-empty range of step 1 is a sweep range (a..b)")
        return f"{v.start}..{v.stop - 1}"
    if isinstance(v, (list, tuple)):
        if not v:
            raise ValueError(f"set[{name!r}]: empty list")
        return "[" + ", ".join(_format_value(name, x) for x in v) + "]"
    raise TypeError(f"set[{name!r}]: cannot use a {type(v).__name__} as a model value")


def _format_sets(sets):
    if sets is None:
        return []
    if not isinstance(sets, dict):
        raise TypeError(f"set must be a dict of name -> value, not a {type(sets).__name__}")
    out = []
    for name, v in sets.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"set: names must be non-empty strings, not {name!r}")
        out.append((name, _format_value(name, v)))
    return out


def _check_seed(seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be an integer in 0 .. 2**64-1, not {seed!r}")
    return int(seed)


# The columns of the recordings (runtime/table.h) that hold whole numbers: DataFrame columns of int64.
_INT_COLUMNS = frozenset({"neuron", "pre", "post", "count"})


def _diagnostics(cm):
    return [Diagnostic(*d) for d in cm.diagnostics()]


class Model:
    """A model file or text with its overrides.  Each run() loads it again with that run's overrides (the
    library compiles a sweep as loaded; kernels come from the kernel cache the second time)."""

    def __init__(self, path=None, text=None, name="<string>", set=None, seed=None, engine="jit"):
        if (path is None) == (text is None):
            raise TypeError("Model needs exactly one of path and text")
        if path is not None:
            path = os.fspath(path)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"no model file {path!r}")
        elif not isinstance(text, str):
            raise TypeError(f"model text must be a str, not a {type(text).__name__}")
        if engine not in ("jit", "interp"):
            raise ValueError(f"engine must be 'jit' or 'interp', not {engine!r}")
        self.path, self.text, self._name, self.engine = path, text, name, engine
        self.sets = _format_sets(set)
        self.seed = _check_seed(seed)
        cm = self._load(self.sets, self.seed)
        info = cm.info()
        self.name = info["name"]
        self.warnings = [d for d in _diagnostics(cm) if d.level != "error"]

    def _load(self, sets, seed):
        """A loaded, checked and expanded _balnet.Model; ModelError when it is not."""
        cm = _balnet.Model(path=self.path, text=self.text, name=self._name, sets=sets, seed=seed,
                           engine=self.engine)
        if not cm.ok():
            raise ModelError(_diagnostics(cm))
        ok, message = cm.expand()
        if not ok:
            raise ModelError(_diagnostics(cm), message or None)
        return cm

    def check(self, set=None):
        """Loads, checks and expands the model (with the extra overrides `set`); raises ModelError on an
        error, returns the warnings (a list of Diagnostic) otherwise."""
        cm = self._load(self.sets + _format_sets(set), self.seed)
        return [d for d in _diagnostics(cm) if d.level != "error"]

    def params(self, set=None):
        """Every parameter as {name: {"value": v, "unit": u}} (what run.json records)."""
        cm = self._load(self.sets + _format_sets(set), self.seed)
        return json.loads(cm.info()["params"])

    def run(self, set=None, seed=None, threads=None, out=None, spikes=True, progress=None, resume=False,
            hdf5=None):
        """Runs the sweep (with the overrides `set`, applied after the model's own) and returns a Result.

        seed: the master seed (None: the model's simulate seed).  threads: items run on this many threads,
        a lone item splits its network over them (None: every core, as `balnet run`).  out: a results folder
        to create, as `balnet run --out` (None: no folder, the rows stay in memory; Result.save writes one).  spikes: keep every
        spike in memory for Result.spikes().  progress: a callable (done, total) called as items finish;
        None: a progress bar when stderr is a terminal; False: nothing.  Ctrl-C stops the run (the
        KeyboardInterrupt propagates; `out` then holds the finished items and run.json says incomplete).
        resume: finish the interrupted run whose folder is `out` (`balnet run --resume`): the same model,
        `set` and seed, or the folder refuses; only its missing items run, and the folder ends as an
        uninterrupted run's.  The Result's points are then the folder's; spikes and recordings are in memory
        for the items this call ran.  hdf5: a file to write every item's spikes and recordings to as it
        finishes, as `balnet run --spikes FILE.h5` (docs/hdf5.md); with spikes=False they are then not kept
        in memory, so a sweep's spikes are capped by the disk only.  The file is marked complete when every
        item ran (hdf5_complete)."""
        sets = self.sets + _format_sets(set)
        seed = self.seed if seed is None else _check_seed(seed)
        if threads is None:
            threads = os.cpu_count() or 1
        if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
            raise ValueError(f"threads must be a positive integer, not {threads!r}")
        if progress is None:
            progress = default_progress()
        elif progress is False:
            progress = None
        elif not callable(progress):
            raise TypeError("progress must be a callable (done, total), None or False")
        if resume and out is None:
            raise ValueError("resume=True needs out: the folder of the run to finish")
        if hdf5 is not None:
            _need_hdf5()
            hdf5 = os.fspath(hdf5)
        cm = self._load(sets, seed)
        model_file = self.path or self._name
        if out is None:
            # No results folder: rows, spikes and recordings stay in memory (no files, no fsync per item).
            results = cm.run(threads=int(threads), spikes=bool(spikes), progress=progress, model_file=model_file,
                             hdf5=hdf5)
            return Result(cm, results, None, model_file, bool(spikes))
        folder = os.path.abspath(os.fspath(out))
        results = cm.run(out=folder, threads=int(threads), spikes=bool(spikes), progress=progress,
                         model_file=model_file, resume=bool(resume), hdf5=hdf5)
        return Result(cm, results, folder, model_file, bool(spikes))

    def __repr__(self):
        return f"<balnet.Model {self.name!r} from {self.path or self._name!r}>"


def load(path, set=None, seed=None, engine="jit"):
    """Loads and checks a model file; ModelError (with located diagnostics) when it has errors."""
    return Model(path=path, set=set, seed=seed, engine=engine)


def compile(text, name="<string>", set=None, seed=None, engine="jit"):
    """Loads and checks a model held in a string; `name` is the file name its diagnostics show."""
    return Model(text=text, name=name, set=set, seed=seed, engine=engine)


class Result:
    """A finished sweep: its rows (points), fits (scaling), spikes and recordings (traces), in memory."""

    def __init__(self, cm, results, folder, model_file, spikes):
        sweep = cm.sweep()
        self.axes = sweep["axes"]
        self.ntrials = sweep["ntrials"]
        self.npoints = len(sweep["points"])
        self._values = sweep["points"]
        self._items = sweep["items"]
        self._cm = cm
        self._results = results
        self._model_file = model_file
        self.folder = folder          # the results folder (run with out=...), else None
        self._spikes = spikes
        self._points = self._scaling = None

    def save(self, out):
        """Writes the results folder `balnet run --out` would have written (points.csv, timings.csv,
        run.json, scaling.csv) for a run made without `out`."""
        out = os.path.abspath(os.fspath(out))
        self._cm.save(self._results, out, model_file=self._model_file)
        return out

    def _item(self, point, trial):
        for name, v, n in (("point", point, self.npoints), ("trial", trial, self.ntrials)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"{name} must be an integer, not {v!r}")
        if not 0 <= point < self.npoints:
            raise IndexError(f"point {point} out of range: this sweep has points 0 .. {self.npoints - 1}")
        if not 1 <= trial <= self.ntrials:
            raise IndexError(f"trial {trial} out of range: this sweep has trials 1 .. {self.ntrials}")
        return int(point) * self.ntrials + int(trial) - 1

    @property
    def points(self):
        """Every row as points.csv has it: point, <each sweep axis>, trial, population, statistic, value, unit."""
        if self._points is None and self.folder is not None and any(
                self._results.resumed(i) for i in range(len(self._items))):
            import pandas as pd   # a resumed run: the earlier items' rows are the folder's
            self._points = pd.read_csv(os.path.join(self.folder, "points.csv"), float_precision="round_trip",
                                       keep_default_na=False, na_values=["nan"])
        if self._points is None:
            import pandas as pd
            cols = {k: [] for k in ["point", *self.axes, "trial", "population", "statistic", "value", "unit"]}
            for item, (point, trial) in enumerate(self._items):
                for population, statistic, value, unit in self._results.rows(item):
                    cols["point"].append(point)
                    for a, v in zip(self.axes, self._values[point]):
                        cols[a].append(v)
                    cols["trial"].append(trial)
                    cols["population"].append(population)
                    cols["statistic"].append(statistic)
                    cols["value"].append(value)
                    cols["unit"].append(unit)
            df = pd.DataFrame(cols)
            for a in self.axes:   # numbers as numbers, as pandas reads them from points.csv
                try:
                    df[a] = pd.to_numeric(df[a])
                except (ValueError, TypeError):
                    pass
            self._points = df
        return self._points

    @property
    def scaling(self):
        """The log-log fits of every statistic against every numeric axis (scaling.csv, as `balnet run`)."""
        if self._scaling is None:
            import pandas as pd
            if self.folder is not None:
                path = os.path.join(self.folder, "scaling.csv")
            else:   # the library fits a results folder: write one for the fits, then drop it
                tmp = tempfile.mkdtemp(prefix="balnet-fit-")
                try:
                    path = os.path.join(self.save(os.path.join(tmp, "r")), "scaling.csv")
                    self._scaling = pd.read_csv(path, float_precision="round_trip")
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
                return self._scaling
            self._scaling = pd.read_csv(path, float_precision="round_trip")
        return self._scaling

    def timing(self, point=0, trial=1):
        """The item's timing (wall_s, compile_ms, build_ms, sim_ms, synapses, threads, kernel_wait_ms) and
        its dt_ms."""
        return self._results.info(self._item(point, trial))

    def spikes(self, population, point=0, trial=1):
        """(times, ids): numpy arrays of the population's spike times in ms (step * dt) and neuron indices,
        in time order then index order, for one item of the sweep.  Needs run(spikes=True)."""
        import numpy as np
        if not isinstance(population, str):
            raise TypeError(f"population must be a name (str), not {population!r}")
        self._need_spikes()
        item = self._item(point, trial)
        steps, ids = self._results.spikes(item, population)
        dt = self._results.info(item)["dt_ms"]
        steps = np.frombuffer(steps, dtype=np.int64)
        return steps * dt, np.frombuffer(ids, dtype=np.uint32)

    def spike_steps(self, population, point=0, trial=1):
        """(steps, ids): as spikes(), with integer time steps (what `balnet run --spikes` writes)."""
        import numpy as np
        if not isinstance(population, str):
            raise TypeError(f"population must be a name (str), not {population!r}")
        self._need_spikes()
        steps, ids = self._results.spikes(self._item(point, trial), population)
        return np.frombuffer(steps, dtype=np.int64), np.frombuffer(ids, dtype=np.uint32)

    def _need_spikes(self):
        if not self._spikes:
            raise ValueError("this run did not keep its spikes: run(..., spikes=True)")

    def save_hdf5(self, path):
        """Writes every item's spikes (populations and inputs) to one HDF5 file, chunked and compressed, with
        no cap, by the library's writer (that of `balnet run --spikes FILE.h5`; layout: docs/hdf5.md):
        /p<point>/t<trial>/spikes/<population>/{step, neuron}.  The file says complete = 1 only once it is
        fully written and every item of the sweep ran (hdf5_complete)."""
        _need_hdf5()
        self._need_spikes()
        self._cm.save_hdf5(self._results, os.fspath(path))
        return os.fspath(path)

    def traces(self, point=0, trial=1):
        """The recordings of one item as (population, name) pairs: what trace() takes."""
        return [(t["population"], t["name"]) for t in self._results.traces(self._item(point, trial))]

    def trace(self, population, name, point=0, trial=1):
        """A recording (`rate_trace`, `trace`, `raster` in a `record`, or a plastic projection's `weights`,
        `weight_stats`, ...) of one item, as a DataFrame straight from memory: the columns of the CSV file
        `balnet run` writes, traces/p<point>-t<trial>-<population>-<name>.csv (runtime/trace.h), values as
        numpy float64 in display units (indices and counts as int64).  df.attrs["units"] maps each column to
        its unit; df.attrs["note"] says why a capped recording stops early (None when complete).  population
        is the population, "all", or "PRE-POST" for a plastic projection."""
        import numpy as np
        import pandas as pd
        item = self._item(point, trial)
        traces = self._results.traces(item)
        for t in traces:
            if t["population"] == population and t["name"] == name:
                break
        else:
            have = ", ".join(f"{t['population']}/{t['name']}" for t in traces) or "none"
            raise KeyError(f"no recording {name!r} of {population!r} at point {point}, trial {trial} "
                           f"(recorded: {have})")
        cols = {}
        for c, data in zip(t["columns"], t["data"]):
            v = np.frombuffer(data, dtype=np.float64)
            # neuron and synapse indices and histogram counts are whole numbers (the CSV's %.0f columns)
            cols[c] = v.astype(np.int64) if c in _INT_COLUMNS else v
        df = pd.DataFrame(cols)
        df.attrs["units"] = dict(zip(t["columns"], t["units"]))
        df.attrs["kind"] = t["kind"]
        df.attrs["note"] = t["note"]
        return df

    def __repr__(self):
        where = f" in {self.folder}" if self.folder else ""
        return f"<balnet.Result {self.npoints} points x {self.ntrials} trials{where}>"
