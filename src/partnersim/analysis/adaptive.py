"""Adaptive ensembles and comparisons: replications in batches until the intervals are narrow enough.

The rule is :mod:`partnersim.analysis.precision` (Law and Kelton's sequential procedure);
this module feeds it with replications of the model:

- :func:`adaptive_ensemble`: replications of one scenario, until each target metric's 95%
  interval meets its target (``run_ensemble(..., precision=...)`` calls it).
- :func:`adaptive_compare`: pairs of replications of A and B on common random numbers, until
  each target metric's paired difference ``b - a`` meets its target
  (``compare(..., precision=...)`` calls it).
- :func:`iter_adaptive_ensemble`: the same, one checkpoint at a time, with the partial
  ensemble (for the apps: redraw the bands after each batch, stop when ``finished``).
- :func:`check_runs`: the targets on any table of runs.

Replication ``i`` is ``simulate(scenario, seed, i)`` whatever the batch it ran in, so an
adaptive ensemble that stopped at ``n`` replications equals ``run_ensemble(scenario, n, seed)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from partnersim.analysis.precision import (
    DEFAULT_BATCH,
    DEFAULT_INITIAL,
    DEFAULT_MAX_REPS,
    Check,
    Plan,
    PrecisionReport,
    as_targets,
    assess,
    iter_sequential,
    sequential,
)
from partnersim.run.executors import Executor, InProcessExecutor, default_workers, make_executor
from partnersim.run.simulate import METRIC_NAMES, as_scenario
from partnersim.run.tasks import ChunkResult, RunChunk, run_chunk
from partnersim.scenario import InputError, Scenario

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.analysis.compare import Comparison
    from partnersim.run.ensemble import Ensemble

__all__ = ["AdaptiveUpdate", "PrecisionSpec", "adaptive_compare", "adaptive_ensemble", "check_runs",
           "iter_adaptive_ensemble", "make_plan"]

#: What ``precision=`` accepts: ``{"joint_revenue": "5%", "final_trust": 0.02}``, ``["joint_revenue=5%"]``, ...
PrecisionSpec = Mapping[str, float | str] | Sequence[str] | str

_METRICS = (*METRIC_NAMES, "days_together")


def make_plan(precision: Any, initial: int | None = None, batch: int | None = None,
              max_reps: int | None = None, level: float = 0.95, source: str = "precision") -> Plan:
    """A :class:`~partnersim.analysis.precision.Plan` from user input; bad input raises ``InputError``.

    Examples
    --------
    >>> make_plan({"joint_revenue": "5%"}).checkpoints()[:3]
    [10, 20, 30]
    """
    if isinstance(precision, Plan):
        return precision
    targets = as_targets(precision, _METRICS, source)
    try:
        return Plan(targets, int(initial if initial is not None else DEFAULT_INITIAL),
                    int(batch if batch is not None else DEFAULT_BATCH),
                    int(max_reps if max_reps is not None else DEFAULT_MAX_REPS), float(level))
    except ValueError as e:
        raise InputError(source, None, str(e)) from None


def _with_days_together(runs: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    from partnersim.analysis.reading import days_together

    return runs.assign(days_together=days_together(runs, horizon_days)) if len(runs) else runs.assign(
        days_together=np.empty(0))


def check_runs(runs: pd.DataFrame, precision: Any, level: float = 0.95, *,
               horizon_days: float | None = None) -> tuple[Check, ...]:
    """Check precision targets on a one-row-per-replication table (such as a partial ``Ensemble.runs``).

    For a live display: stop adding replications when every check is met. (The adaptive
    functions check only at fixed checkpoints, so that their results are reproducible.)

    Examples
    --------
    >>> runs = pd.DataFrame({"final_trust": [0.50, 0.52, 0.51, 0.49]})
    >>> [c.met for c in check_runs(runs, "final_trust=0.05")]
    [True]
    """
    targets = precision.targets if isinstance(precision, Plan) else as_targets(precision, _METRICS)
    if any(t.metric == "days_together" for t in targets) and "days_together" not in runs:
        if horizon_days is None:
            raise ValueError("days_together needs horizon_days")
        runs = _with_days_together(runs, horizon_days)
    return tuple(assess(runs[t.metric].to_numpy(dtype=float), t, level) for t in targets)


def _executor(executor: Executor | None, workers: int | None) -> Executor:
    if executor is not None:
        return executor
    n = int(workers) if workers else default_workers()
    return InProcessExecutor() if n <= 1 else make_executor("local", n)


def _run_range(jobs: Sequence[tuple[Scenario, int]], start: int, stop: int, executor: Executor,
               keep_series: bool, bar: Any) -> list[list[ChunkResult]]:
    """Replications ``start..stop-1`` of every job, on one executor; the chunks per job."""
    from partnersim.run.ensemble import chunk_replications

    per_job = max(1, executor.workers // max(1, len(jobs)))
    chunks = [tuple(start + r for r in c) for c in chunk_replications(stop - start, per_job)]
    tasks = [RunChunk(sc, sd, c, keep_series) for sc, sd in jobs for c in chunks]
    owner = [j for j in range(len(jobs)) for _ in chunks]
    out: list[list[ChunkResult]] = [[] for _ in jobs]
    for idx, result in executor.map_unordered(run_chunk, tasks):
        out[owner[idx]].append(result)
        if bar is not None:
            bar.update(len(result.rows))
    return out


def _runs_frame(parts: Sequence[ChunkResult]) -> pd.DataFrame:
    from partnersim.run.ensemble import RUN_COLUMNS

    ordered = sorted(parts, key=lambda c: c.rows[0]["replication"] if c.rows else -1)
    return pd.DataFrame([row for c in ordered for row in c.rows], columns=list(RUN_COLUMNS))


def _close(bar: Any) -> None:
    """Close a progress bar, ending it at the runs done (its total was the maximum)."""
    if bar is not None:
        bar.total = bar.n
        bar.refresh()
        bar.close()


def _bar(total: int, name: str, progress: bool | None) -> Any:
    from partnersim.run.ensemble import _progress_bar

    return _progress_bar(total, name, progress)


class AdaptiveUpdate:
    """A checkpoint of :func:`iter_adaptive_ensemble`: replications so far, the checks, the partial ensemble.

    Attributes
    ----------
    reps
        Replications run so far (``0..reps-1``).
    checks
        Each target at ``reps`` (:class:`~partnersim.analysis.precision.Check`: ``.met``,
        ``.half_width``, ...).
    report
        The :class:`~partnersim.analysis.precision.PrecisionReport` on the last update, else ``None``.
    """

    __slots__ = ("reps", "checks", "report", "_build", "_ensemble")

    def __init__(self, reps: int, checks: tuple[Check, ...], report: PrecisionReport | None,
                 build: Callable[[], Ensemble]) -> None:
        self.reps, self.checks, self.report = reps, checks, report
        self._build = build
        self._ensemble: Ensemble | None = None

    @property
    def finished(self) -> bool:
        """Whether the targets are met (or the maximum reached): the last update."""
        return self.report is not None

    @property
    def ensemble(self) -> Ensemble:
        """The replications so far as an :class:`~partnersim.run.ensemble.Ensemble` (built on first access)."""
        if self._ensemble is None:
            self._ensemble = self._build()
        return self._ensemble

    def __repr__(self) -> str:
        met = sum(c.met for c in self.checks)
        return f"AdaptiveUpdate(reps={self.reps}, met={met}/{len(self.checks)}, finished={self.finished})"


def iter_adaptive_ensemble(scenario: Scenario | str | Path, precision: Any, seed: int = 0,
                           workers: int | None = None, *, initial: int | None = None, batch: int | None = None,
                           max_reps: int | None = None, level: float = 0.95, keep_series: bool = True,
                           executor: Executor | None = None, progress: bool | None = False,
                           ) -> Iterator[AdaptiveUpdate]:
    """:func:`adaptive_ensemble`, yielding an :class:`AdaptiveUpdate` at each checkpoint (for the apps).

    A live display draws ``update.ensemble.bands()`` after each batch and stops when
    ``update.finished`` (every target met, or the maximum). Stopping the loop earlier leaves a
    partial ensemble that is still the fixed one of ``update.reps`` replications.

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 180})
    >>> ups = list(iter_adaptive_ensemble(s, {"final_trust": 0.02}, seed=1, workers=1, initial=4, batch=4))
    >>> ups[-1].finished, ups[-1].ensemble.reps == ups[-1].reps, [u.reps for u in ups][:2]
    (True, True, [4, 8])
    """
    from partnersim.run.ensemble import Ensemble, _assemble

    sc = as_scenario(scenario)
    plan = make_plan(precision, initial, batch, max_reps, level)
    ex = _executor(executor, workers)
    parts: list[ChunkResult] = []
    bar = _bar(plan.max_reps, sc.name, progress)

    def more(start: int, stop: int) -> dict[str, np.ndarray]:
        new = _run_range([(sc, int(seed))], start, stop, ex, keep_series, bar)[0]
        parts.extend(new)
        runs = _with_days_together(_runs_frame(new), sc.horizon_days)
        return {m: runs[m].to_numpy(dtype=float) for m in plan.metrics}

    def builder(snapshot: tuple[ChunkResult, ...], report: PrecisionReport | None) -> Callable[[], Ensemble]:
        def build() -> Ensemble:
            ens = _assemble(sc, int(seed), snapshot, keep_series)
            return Ensemble(ens.scenario, ens.seed, ens.runs, ens.series, precision=report)
        return build

    try:
        for step in iter_sequential(more, plan):
            yield AdaptiveUpdate(step.reps, step.checks, step.report, builder(tuple(parts), step.report))
    finally:
        _close(bar)


def adaptive_ensemble(scenario: Scenario | str | Path, precision: Any, seed: int = 0, workers: int | None = None,
                      *, initial: int | None = None, batch: int | None = None, max_reps: int | None = None,
                      level: float = 0.95, keep_series: bool = True, executor: Executor | None = None,
                      progress: bool | None = None,
                      on_batch: Callable[[int, tuple[Check, ...]], None] | None = None) -> Ensemble:
    """Replications of ``scenario`` in batches until each target metric's interval meets its target.

    Parameters
    ----------
    scenario
        A :class:`~partnersim.scenario.Scenario`, a TOML path or a bundled name.
    precision
        The targets: ``{"joint_revenue": "5%", "final_trust": 0.02}`` (a string ending in
        ``%`` is relative, a number absolute in the metric's unit), ``["joint_revenue=5%"]``
        or a :class:`~partnersim.analysis.precision.Plan`.
    seed, workers
        As for :func:`~partnersim.run.ensemble.run_ensemble`.
    initial, batch, max_reps
        First batch (default 10, at least 2), later batches (default 10), maximum (default 1000).
    level
        Confidence level of the intervals (default 0.95).
    keep_series, executor, progress
        As for :func:`~partnersim.run.ensemble.run_ensemble`.
    on_batch
        Called after each checkpoint with ``(replications, checks)``.

    Returns
    -------
    Ensemble
        Replications ``0..n-1``, the same as ``run_ensemble(scenario, n, seed)``; its
        ``precision`` attribute is the :class:`~partnersim.analysis.precision.PrecisionReport`
        (``.reps``, ``.met``, ``.table()``, ``.lines()``).

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 180})
    >>> ens = adaptive_ensemble(s, {"final_trust": 0.05}, seed=1, workers=1, initial=4, batch=4, max_reps=40)
    >>> ens.reps == ens.precision.reps, ens.precision.met
    (True, True)
    """
    for update in iter_adaptive_ensemble(scenario, precision, seed, workers, initial=initial, batch=batch,
                                         max_reps=max_reps, level=level, keep_series=keep_series,
                                         executor=executor, progress=progress):
        if on_batch is not None:
            on_batch(update.reps, update.checks)
        if update.finished:
            return update.ensemble
    raise AssertionError("unreachable: the last update is finished")  # pragma: no cover


def adaptive_compare(a: Scenario | str | Path, b: Scenario | str | Path, precision: Any, seed: int = 0,
                     workers: int | None = None, *, initial: int | None = None, batch: int | None = None,
                     max_reps: int | None = None, metrics: Sequence[str] | None = None, level: float = 0.95,
                     alpha: float = 0.05, progress: bool | None = None, executor: Executor | None = None,
                     on_batch: Callable[[int, tuple[Check, ...]], None] | None = None) -> Comparison:
    """Pairs of replications of A and B (common random numbers) until each target's paired difference is precise.

    For each target metric the rule is applied to the differences ``b - a`` of the pairs
    (replication ``i`` of A and of B share every random stream): its 95% interval must meet
    the target, relative (to ``|mean difference|``) or absolute. A relative target on a
    difference near 0 cannot be met; prefer an absolute one ("``joint_revenue=20000``": the
    difference known to +-20,000).

    Parameters
    ----------
    a, b, seed, workers, metrics, level, alpha, progress
        As for :func:`~partnersim.analysis.compare.compare`.
    precision, initial, batch, max_reps, on_batch
        As for :func:`adaptive_ensemble`.
    executor
        Run on this executor instead of the local pool.

    Returns
    -------
    Comparison
        The same as ``compare(a, b, reps=n, seed=seed)`` for the ``n`` pairs needed; its
        ``precision`` attribute is the report (counted in pairs).

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> short = {"horizon_days": 180}
    >>> a = with_changes(load_scenario("baseline"), short)
    >>> b = with_changes(load_scenario("full_cadence"), short)
    >>> c = adaptive_compare(a, b, {"final_trust": 0.05}, seed=1, workers=1, initial=4, batch=4, max_reps=40)
    >>> c.a.reps == c.precision.reps, c.precision.what
    (True, 'pairs')
    """
    from partnersim.analysis.compare import comparison_of
    from partnersim.run.ensemble import _assemble

    sa, sb = as_scenario(a), as_scenario(b)
    seed = int(seed)
    plan = make_plan(precision, initial, batch, max_reps, level)
    ex = _executor(executor, workers)
    parts_a: list[ChunkResult] = []
    parts_b: list[ChunkResult] = []
    bar = _bar(2 * plan.max_reps, f"{sa.name} vs {sb.name}", progress)

    def more(start: int, stop: int) -> dict[str, np.ndarray]:
        new_a, new_b = _run_range([(sa, seed), (sb, seed)], start, stop, ex, True, bar)
        parts_a.extend(new_a)
        parts_b.extend(new_b)
        ra = _with_days_together(_runs_frame(new_a), sa.horizon_days)
        rb = _with_days_together(_runs_frame(new_b), sb.horizon_days)
        return {m: rb[m].to_numpy(dtype=float) - ra[m].to_numpy(dtype=float) for m in plan.metrics}

    try:
        _values, report = sequential(more, plan, difference=True, what="pairs", on_batch=on_batch)
    finally:
        _close(bar)
    ens_a = _assemble(sa, seed, parts_a, True)
    ens_b = _assemble(sb, seed, parts_b, True)
    return comparison_of(ens_a, ens_b, metrics=metrics, paired=True, level=level, alpha=alpha, precision=report)


def report_of(obj: Any) -> PrecisionReport | None:
    """The precision report of an adaptive ensemble or comparison (``None`` for a fixed one)."""
    return getattr(obj, "precision", None)
