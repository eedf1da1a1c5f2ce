"""Ensembles of replications: run them (in-process or on a local process pool), summarise, save.

Replication ``i`` of an ensemble with seed ``s`` is the run ``simulate(scenario, s, i)``:
a pure function of ``(scenario, s, i)``. Replications are sent to workers in chunks
(a few per worker, so that process overhead stays small) and put back in replication
order, so an ensemble is identical whatever the number of workers or the order in which
chunks finish.

- :func:`run_ensemble`: the whole ensemble, with a progress bar when it takes a while.
- :func:`iter_ensemble`: the same, yielding growing partial results as chunks finish
  (for live displays).
- :class:`Ensemble`: one row per replication, the weekly time series, and the views used
  by reports and plots: :meth:`Ensemble.summary`, :meth:`Ensemble.bands`,
  :meth:`Ensemble.survival`; :meth:`Ensemble.save` / :meth:`Ensemble.load` (Parquet).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partnersim.model import COLUMN_UNITS, COLUMNS, METRICS
from partnersim.run.executors import Executor, InProcessExecutor, default_workers, make_executor
from partnersim.run.progress import progress_bar, show_progress
from partnersim.run.simulate import METRIC_NAMES, as_scenario
from partnersim.run.tasks import ChunkResult, RunChunk, run_chunk
from partnersim.scenario import InputError, Scenario, dumps_scenario

__all__ = [
    "BAND_QUANTILES",
    "Ensemble",
    "EnsembleUpdate",
    "chunk_replications",
    "extend_ensemble",
    "iter_ensemble",
    "run_ensemble",
    "run_ensembles",
]

RUN_COLUMNS: tuple[str, ...] = ("replication", "seed", *METRIC_NAMES, "exit_reason")
BAND_QUANTILES: dict[str, float] = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}
MAX_CHUNK = 32  # replications per task at most: progress and partial results stay lively
_FORMAT = "partnersim.ensemble/1"
_META_KEY = b"partnersim"
_SERIES_PREFIX = "series."


@dataclass(frozen=True, eq=False)
class Ensemble:
    """Replications of one scenario.

    Attributes
    ----------
    scenario, seed
        What was run; replication ``i`` is ``simulate(scenario, seed, i)``.
    runs
        One row per replication (in replication order): ``replication, seed``, every
        metric of :data:`partnersim.model.METRICS`, ``exit_reason`` (``""`` if it survived).
    series
        Weekly time series, shape ``(replications, weeks, len(COLUMNS))``; ``weeks`` is 0
        when the ensemble was run without series.
    precision
        For an adaptive ensemble (``run_ensemble(..., precision=...)``), the
        :class:`~partnersim.analysis.precision.PrecisionReport`: how many replications the
        targets needed; ``None`` otherwise (not saved by :meth:`save`).

    Examples
    --------
    >>> from partnersim import load_scenario, run_ensemble, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 365})
    >>> ens = run_ensemble(s, reps=8, seed=1, workers=1)
    >>> list(ens.summary().columns)
    ['metric', 'unit', 'mean', 'ci_low', 'ci_high', 'n']
    >>> ens.bands(["trust"]).columns.tolist()
    ['column', 'day', 'p10', 'p25', 'median', 'p75', 'p90', 'mean']
    >>> float(ens.survival()["survival"].iloc[0])
    1.0
    """

    scenario: Scenario
    seed: int
    runs: pd.DataFrame
    series: np.ndarray
    precision: Any = None

    @property
    def reps(self) -> int:
        """Number of replications."""
        return len(self.runs)

    def __repr__(self) -> str:
        survived = self.runs["survived"].mean() if "survived" in self.runs and len(self.runs) else float("nan")
        revenue = self.runs["joint_revenue"].mean() if "joint_revenue" in self.runs and len(self.runs) else float("nan")
        weeks = self.series.shape[1] if self.series.ndim == 3 else 0
        return (f"<Ensemble {self.scenario.name!r}: reps={self.reps}, seed={self.seed}, "
                f"{self.scenario.horizon_days:g} days, {weeks} weeks of series; survival {survived:.0%}, "
                f"mean joint revenue {revenue:,.0f}; .summary(), .bands(), .survival(), .runs>")

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    @property
    def days(self) -> np.ndarray:
        """Simulation day of each row of the time series."""
        if self.series.shape[0] == 0 or self.series.shape[1] == 0:
            return np.empty(0)
        return self.series[0, :, COLUMNS.index("day")].copy()

    def timeseries_long(self) -> pd.DataFrame:
        """The time series in long form: one row per (replication, week)."""
        r, w, _ = self.series.shape
        df = pd.DataFrame(self.series.reshape(r * w, -1), columns=list(COLUMNS))
        df.insert(0, "replication", np.repeat(self.runs["replication"].to_numpy(), w))
        return df

    def summary(self, metrics: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
        """Mean and Student-t confidence interval per metric.

        Parameters
        ----------
        metrics
            Metric names (default: every metric of :data:`~partnersim.model.METRICS`).
        level
            Confidence level of the interval.

        Returns
        -------
        pandas.DataFrame
            Columns ``metric, unit, mean, ci_low, ci_high, n``; ``n`` counts the finite
            values (``exit_day`` is NaN for runs that survived). The interval is clipped to
            the metric's natural range, from its unit (counts, days, hours and money >= 0;
            ``0/1`` and ``0..1`` metrics in [0, 1]): see
            :func:`partnersim.analysis.stats.summary_table`.
        """
        from partnersim.analysis.stats import summary_table  # pure functions of arrays

        table = summary_table(self.runs, list(metrics or METRIC_NAMES), level)
        table.insert(1, "unit", [METRICS.get(m, ("", ""))[0] for m in table["metric"]])
        return table

    def bands(self, columns: Sequence[str] | str | None = None) -> pd.DataFrame:
        """Quantile bands of the weekly time series across replications.

        Parameters
        ----------
        columns
            Time-series columns (default: every column of
            :data:`~partnersim.model.COLUMNS` but ``day``).

        Returns
        -------
        pandas.DataFrame
            Long form, one row per (column, week): ``column, day, p10, p25, median, p75,
            p90, mean``. Replications that ended early are included (their series go on
            with ``active = 0``, the core businesses still running).
        """
        if isinstance(columns, str):
            columns = [columns]
        cols = [c for c in COLUMNS if c != "day"] if columns is None else list(columns)
        unknown = [c for c in cols if c not in COLUMN_UNITS]
        if unknown:
            raise KeyError(f"unknown time-series column(s) {unknown}; known: {', '.join(COLUMNS)}")
        out_cols = ["column", "day", *BAND_QUANTILES, "mean"]
        days = self.days
        if days.size == 0:
            return pd.DataFrame(columns=out_cols)
        idx = [COLUMNS.index(c) for c in cols]
        data = self.series[:, :, idx]  # (reps, weeks, k)
        probs = list(BAND_QUANTILES.values())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks
            if np.isnan(data).any():  # missing values: quantiles of the rest
                q = np.nanquantile(data, probs, axis=0)  # (5, weeks, k)
            else:  # the same numbers, ten times faster (nanquantile goes slice by slice)
                q = np.quantile(data, probs, axis=0)
            mean = np.nanmean(data, axis=0)
        w = days.size
        frame: dict[str, Any] = {"column": np.repeat(cols, w), "day": np.tile(days, len(cols))}
        for j, key in enumerate(BAND_QUANTILES):
            frame[key] = q[j].T.reshape(-1)
        frame["mean"] = mean.T.reshape(-1)
        return pd.DataFrame(frame, columns=out_cols)

    def survival(self, level: float = 0.95) -> pd.DataFrame:
        """Kaplan-Meier curve of the time to exit, censored at the horizon.

        Returns
        -------
        pandas.DataFrame
            Columns ``time`` (days), ``at_risk``, ``events``, ``censored``, ``survival``,
            ``ci_low``, ``ci_high``: see :func:`partnersim.analysis.survival.kaplan_meier`.
        """
        from partnersim.analysis.survival import kaplan_meier  # pure functions of arrays

        ended = self.runs["survived"].to_numpy(dtype=float) < 0.5
        exit_day = self.runs["exit_day"].to_numpy(dtype=float)
        durations = np.where(ended & np.isfinite(exit_day), exit_day, float(self.scenario.horizon_days))
        return kaplan_meier(durations, ended, level)

    # -- Parquet ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the ensemble to one Parquet file.

        One row per replication: the columns of :attr:`runs`, then one list column
        ``series.<name>`` per time-series column. The schema metadata (key ``partnersim``)
        holds the scenario (JSON and TOML), the seed, the package version and the
        time-series columns, so :meth:`load` gets back everything.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        from partnersim import __version__

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(self.runs, preserve_index=False)
        r, w, k = self.series.shape
        for j, col in enumerate(COLUMNS[:k]):
            flat = pa.array(np.ascontiguousarray(self.series[:, :, j]).reshape(-1), type=pa.float64())
            table = table.append_column(f"{_SERIES_PREFIX}{col}", pa.FixedSizeListArray.from_arrays(flat, w))
        meta = {
            "format": _FORMAT,
            "seed": int(self.seed),
            "reps": int(r),
            "weeks": int(w),
            "columns": list(COLUMNS[:k]),
            "scenario": json.loads(self.scenario.model_dump_json()),
            "scenario_toml": dumps_scenario(self.scenario),
            "partnersim_version": __version__,
        }
        schema_meta = dict(table.schema.metadata or {})
        schema_meta[_META_KEY] = json.dumps(meta).encode()
        pq.write_table(table.replace_schema_metadata(schema_meta), p)
        return p

    @classmethod
    def load(cls, path: str | Path) -> Ensemble:
        """Read an ensemble written by :meth:`save`.

        Raises
        ------
        InputError
            If the file is missing or is not a partnersim ensemble file.
        """
        import pyarrow.parquet as pq

        p = Path(path)
        if not p.is_file():
            raise InputError(str(path), None, "file not found")
        try:
            table = pq.read_table(p)
        except Exception as e:  # pyarrow raises several kinds for non-Parquet input
            raise InputError(str(path), None, f"not a Parquet file ({e})") from None
        raw = (table.schema.metadata or {}).get(_META_KEY)
        meta = json.loads(raw) if raw else {}
        if meta.get("format") != _FORMAT:
            raise InputError(str(path), None, "not a partnersim ensemble file (no partnersim metadata)")
        scenario = Scenario.model_validate(meta["scenario"])
        cols = meta["columns"]
        reps, weeks = int(meta["reps"]), int(meta["weeks"])
        series = np.empty((reps, weeks, len(cols)))
        for j, col in enumerate(cols):
            arr = table.column(f"{_SERIES_PREFIX}{col}").combine_chunks()
            series[:, :, j] = np.asarray(arr.flatten(), dtype=float).reshape(reps, weeks)
        run_cols = [c for c in table.column_names if not c.startswith(_SERIES_PREFIX)]
        runs = table.select(run_cols).to_pandas()
        return cls(scenario, int(meta["seed"]), runs, series)


class EnsembleUpdate:
    """Progress of :func:`iter_ensemble`: ``done`` of ``total`` replications, and the partial ensemble.

    Unpacks as ``done, total, partial = update``. The partial :class:`Ensemble` holds the
    finished replications in replication order; it is built on first access.
    """

    __slots__ = ("done", "total", "_scenario", "_seed", "_parts", "_ensemble", "_keep_series")

    def __init__(self, done: int, total: int, scenario: Scenario, seed: int,
                 parts: tuple[ChunkResult, ...], keep_series: bool) -> None:
        self.done = done
        self.total = total
        self._scenario = scenario
        self._seed = seed
        self._parts = parts
        self._keep_series = keep_series
        self._ensemble: Ensemble | None = None

    @property
    def finished(self) -> bool:
        """Whether every replication is done."""
        return self.done >= self.total

    @property
    def ensemble(self) -> Ensemble:
        """The finished replications so far, as an :class:`Ensemble`."""
        if self._ensemble is None:
            self._ensemble = _assemble(self._scenario, self._seed, self._parts, self._keep_series)
        return self._ensemble

    def __iter__(self) -> Iterator[Any]:
        yield self.done
        yield self.total
        yield self.ensemble

    def __repr__(self) -> str:
        return f"EnsembleUpdate(done={self.done}, total={self.total}, scenario={self._scenario.name!r})"


def _assemble(scenario: Scenario, seed: int, parts: Sequence[ChunkResult], keep_series: bool) -> Ensemble:
    ordered = sorted(parts, key=lambda c: c.rows[0]["replication"] if c.rows else -1)
    rows = [row for c in ordered for row in c.rows]
    extra = [k for k in rows[0] if k not in RUN_COLUMNS] if rows else []  # fired_day.<label>, fired_count.<label>
    runs = pd.DataFrame(rows, columns=[*RUN_COLUMNS, *extra])
    runs = runs.astype({"replication": "int64", "seed": "int64"})
    if keep_series and rows:
        series = np.stack([s for c in ordered for s in (c.series or [])])
    else:
        weeks = 0 if not keep_series else int(scenario.horizon_days // 7) + 1
        series = np.empty((len(rows) if not keep_series else 0, weeks, len(COLUMNS)))
    return Ensemble(scenario, int(seed), runs, series)


def chunk_replications(reps: int, workers: int, chunk_size: int | None = None) -> list[tuple[int, ...]]:
    """Split replications ``0..reps-1`` into consecutive chunks: about four per worker, at most 32 runs each.

    Examples
    --------
    >>> [len(c) for c in chunk_replications(200, 2)]
    [25, 25, 25, 25, 25, 25, 25, 25]
    >>> chunk_replications(5, 4)
    [(0,), (1,), (2,), (3,), (4,)]
    """
    reps = int(reps)
    if chunk_size is None:
        chunk_size = min(MAX_CHUNK, math.ceil(reps / (4 * max(1, int(workers))))) if reps else 1
    size = max(1, int(chunk_size))
    return [tuple(range(i, min(i + size, reps))) for i in range(0, reps, size)]


def iter_ensemble(scenario: Scenario | str | Path, reps: int = 100, seed: int = 0, workers: int | None = None,
                  *, keep_series: bool = True, chunk_size: int | None = None, executor: Executor | None = None,
                  progress: bool | None = False) -> Iterator[EnsembleUpdate]:
    """Run an ensemble, yielding an :class:`EnsembleUpdate` each time a chunk of replications finishes.

    Parameters
    ----------
    scenario
        A :class:`~partnersim.scenario.Scenario`, a TOML path or a bundled name.
    reps, seed
        Replications ``0..reps-1`` of ``seed``.
    workers
        Processes of the local pool (default: every core); ``1`` runs in this process.
    keep_series
        Keep the weekly time series (``False`` keeps only the summary rows).
    chunk_size
        Replications per task (default: about four tasks per worker, at most 32 runs each).
    executor
        Use this executor instead of the local pool (it is not closed here).
    progress
        A ``tqdm`` progress bar on standard error: ``True`` always, ``False`` never, ``None``
        when the run takes more than about a second and standard error is a terminal (or
        this is a Jupyter kernel): see :mod:`partnersim.run.progress`.

    Yields
    ------
    EnsembleUpdate
        ``done, total, partial``: the partial ensemble holds the finished replications in
        replication order; the last update holds them all.

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 180})
    >>> [(u.done, u.total) for u in iter_ensemble(s, reps=6, seed=1, workers=1, chunk_size=4)]
    [(4, 6), (6, 6)]
    """
    for _job, update in _iter_jobs([(as_scenario(scenario), int(seed))], reps, workers, keep_series=keep_series,
                                   chunk_size=chunk_size, executor=executor, progress=progress):
        yield update


def run_ensembles(jobs: Sequence[tuple[Scenario | str | Path, int]], reps: int = 100, workers: int | None = None,
                  progress: bool | None = None, *, keep_series: bool = True,
                  executor: Executor | None = None) -> list[Ensemble]:
    """Run several ensembles ``(scenario, seed)`` in one pass over the pool (for comparisons).

    Chunks of every job share the pool, so two scenarios take no longer than one of
    twice the size. Each ensemble is the same as ``run_ensemble(scenario, reps, seed)``.

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 180})
    >>> a, b = run_ensembles([(s, 1), (s, 2)], reps=3, workers=1)
    >>> (a.seed, b.seed, a.reps)
    (1, 2, 3)
    """
    resolved = [(as_scenario(sc), int(sd)) for sc, sd in jobs]
    last: dict[int, EnsembleUpdate] = {}
    for job, update in _iter_jobs(resolved, reps, workers, keep_series=keep_series, executor=executor,
                                  progress=progress):
        last[job] = update
    return [last[j].ensemble if j in last else _assemble(sc, sd, (), keep_series)
            for j, (sc, sd) in enumerate(resolved)]


def _iter_jobs(jobs: list[tuple[Scenario, int]], reps: int, workers: int | None, *, keep_series: bool,
               chunk_size: int | None = None, executor: Executor | None = None,
               progress: bool | None = False) -> Iterator[tuple[int, EnsembleUpdate]]:
    """Chunks of every job on one executor; yields ``(job index, update of that job)``."""
    reps = int(reps)
    if reps < 0:
        raise ValueError("reps must be 0 or more")
    n_workers = executor.workers if executor is not None else (int(workers) if workers else default_workers())
    chunks = chunk_replications(reps, max(1, n_workers // max(1, len(jobs))) if len(jobs) > 1 else n_workers,
                                chunk_size)
    tasks = [RunChunk(sc, sd, c, keep_series) for sc, sd in jobs for c in chunks]
    owner = [j for j in range(len(jobs)) for _ in chunks]
    if executor is None:
        # one chunk, or one worker: no pool to start
        executor = InProcessExecutor() if len(tasks) <= 1 else make_executor("local", n_workers)
    bar = _progress_bar(reps * len(jobs), " vs ".join(sc.name for sc, _ in jobs), progress)
    parts: list[list[ChunkResult]] = [[] for _ in jobs]
    done = [0] * len(jobs)
    try:
        if not tasks:
            for j, (sc, sd) in enumerate(jobs):
                yield j, EnsembleUpdate(0, 0, sc, sd, (), keep_series)
            return
        for idx, result in executor.map_unordered(run_chunk, tasks):
            j = owner[idx]
            parts[j].append(result)
            done[j] += len(result.rows)
            if bar is not None:
                bar.update(len(result.rows))
            sc, sd = jobs[j]
            yield j, EnsembleUpdate(done[j], reps, sc, sd, tuple(parts[j]), keep_series)
    finally:
        if bar is not None:
            bar.close()


def _progress_bar(total: int, name: str, progress: bool | None) -> Any:
    if total == 0 or not show_progress(progress):
        return None
    return progress_bar(total, name, True, delay=0.0 if progress else 1.0, leave=False)


def run_ensemble(scenario: Scenario | str | Path, reps: int = 100, seed: int = 0, workers: int | None = None,
                 progress: bool | None = None, *, keep_series: bool = True,
                 executor: Executor | None = None, precision: Any = None, max_reps: int | None = None,
                 batch: int | None = None) -> Ensemble:
    """Run ``reps`` replications of ``scenario`` from ``seed`` on a local process pool.

    Parameters
    ----------
    scenario
        A :class:`~partnersim.scenario.Scenario`, a TOML path or a bundled name.
    reps
        Number of replications (``0..reps-1``).
    seed
        The user's seed; replication ``i`` is ``simulate(scenario, seed, i)``.
    workers
        Processes (default: every core); ``1`` runs in this process. The result is the
        same whatever the number of workers.
    progress
        ``None`` (default) shows a progress bar on standard error once the run has taken
        more than a second, if standard error is a terminal or this is a notebook (not in
        logs or pipes); ``True`` at once, anywhere; ``False`` never.
    keep_series
        Keep the weekly time series (needed for :meth:`Ensemble.bands`).
    executor
        Run on this executor instead (for example a ``DaskExecutor``).
    precision, max_reps, batch
        Adaptive replications: ``reps`` is then the first batch, and batches of ``batch``
        (default 10) are added until each target metric's 95% interval meets its target,
        at most ``max_reps`` (default 1000) in all. ``precision={"joint_revenue": "5%",
        "final_trust": 0.02}``: a string ending in ``%`` is relative (the mean within 5% of
        the true mean), a number absolute (the interval +-0.02). ``ens.precision`` says how
        many replications were needed; see :mod:`partnersim.analysis.precision`.

    Examples
    --------
    >>> from partnersim import load_scenario
    >>> ens = run_ensemble(load_scenario("baseline"), reps=3, seed=1, workers=1)
    >>> ens.runs.shape[0], ens.series.shape[0]
    (3, 3)

    A script that uses several workers puts the call under ``if __name__ == "__main__":``
    (the pool's ``forkserver`` workers import the main script); called from a script's top
    level without it, or from a script read from standard input, the replications run in this
    process with one warning line, with the same results (:mod:`partnersim.run.lifecycle`).
    """
    if precision is not None:
        from partnersim.analysis.adaptive import adaptive_ensemble  # the rule lives with the statistics

        return adaptive_ensemble(scenario, precision, seed, workers, initial=reps, batch=batch, max_reps=max_reps,
                                 keep_series=keep_series, executor=executor, progress=progress)
    updates = iter_ensemble(scenario, reps, seed, workers, keep_series=keep_series, executor=executor,
                            progress=progress)
    last: EnsembleUpdate | None = None
    for update in updates:
        last = update
    assert last is not None
    return last.ensemble


def extend_ensemble(ens: Ensemble, stop: int, workers: int | None = None, *,
                    executor: Executor | None = None) -> Ensemble:
    """``ens`` with replications up to ``stop - 1``: the missing ones run now, the rest kept.

    Replication ``i`` depends only on (scenario, seed, i), so the result is the same as
    ``run_ensemble(ens.scenario, stop, ens.seed)``; the apps use it to refine their bands.

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 180})
    >>> small = run_ensemble(s, reps=3, seed=1, workers=1)
    >>> big = extend_ensemble(small, 5, workers=1)
    >>> big.reps, big.runs.equals(run_ensemble(s, reps=5, seed=1, workers=1).runs)
    (5, True)
    """
    start = ens.reps
    if stop <= start:
        return ens
    keep_series = ens.series.ndim == 3 and ens.series.shape[1] > 0  # (an ensemble run without series has 0 weeks)
    n_workers = executor.workers if executor is not None else (int(workers) if workers else default_workers())
    chunks = [tuple(start + r for r in c) for c in chunk_replications(stop - start, n_workers)]
    tasks = [RunChunk(ens.scenario, ens.seed, c, keep_series) for c in chunks]
    if executor is None:
        executor = InProcessExecutor() if len(tasks) <= 1 else make_executor("local", n_workers)
    parts = [result for _idx, result in executor.map_unordered(run_chunk, tasks)]
    new = _assemble(ens.scenario, ens.seed, parts, keep_series)
    runs = pd.concat([ens.runs, new.runs], ignore_index=True)
    series = np.concatenate([ens.series, new.series]) if keep_series else np.empty((len(runs), 0, len(COLUMNS)))
    return Ensemble(ens.scenario, ens.seed, runs, series)
