"""Adaptive sweeps: each design point gets replications in batches until its targets are met.

``sweep(file, out, precision=...)`` (``partnersim sweep FILE --precision ...``) runs the sweep
file's ``replications`` for every point first, then, round after round, one more batch for
each point whose targets are not met yet (at most ``max_reps`` per point), with the rule of
:mod:`partnersim.analysis.precision`. Each point's decisions depend only on its own runs
``0..n-1``, which are pure functions of (point, seed, replication), so the rows stored are
the same whatever the executor, the order, or how often the sweep was interrupted.

What is stored, besides the runs (``DIR/runs``, as for any sweep):

- ``manifest.json`` has ``precision``: the plan (targets, first batch, batch, maximum, level).
  A resumed sweep must be given the same plan (it is refused otherwise), so that it makes
  the same decisions; ``planned`` counts the runs decided on so far.
- ``precision.csv``: one row per point: ``point_id, reps, status`` (``met``, ``max_reps``,
  ``failed`` or ``running``), then per target ``<metric>.mean``, ``<metric>.half_width``,
  ``<metric>.met``. Rewritten after every round. The runs are the truth: on resume, each
  point's state is recomputed from its stored runs.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partnersim.analysis.precision import Check, Plan, decide
from partnersim.scenario import InputError

__all__ = ["PRECISION_FILE", "check_plan", "describe", "manifest_summary", "read_precision", "run_adaptive"]

PRECISION_FILE = "precision.csv"


def check_plan(man: dict[str, Any], plan: Plan | None, folder: Path, source: str) -> None:
    """Record the plan in a new sweep's manifest; refuse to resume a sweep with another one."""
    mine = plan.to_dict() if plan is not None else None
    if not man.get("sessions"):  # a new sweep folder
        man["precision"] = mine
        return
    stored = man.get("precision")
    if stored == mine:
        return
    if stored is None:
        raise InputError("--precision", None, f"the sweep in {folder} was started without --precision; run it "
                         "without, or remove that folder (or choose another --out) to start afresh")
    said = " ".join(f"--precision {t}" for t in stored["targets"])
    raise InputError("--precision", None, f"the sweep in {folder} was started with {said} --max-reps "
                     f"{stored['max_reps']} --batch {stored['batch']}; give the same options to resume it, or "
                     "remove that folder (or choose another --out) to start afresh")


def read_precision(folder: str | Path) -> pd.DataFrame | None:
    """The per-point table ``precision.csv`` of an adaptive sweep (``None`` for a fixed sweep)."""
    p = Path(folder) / PRECISION_FILE
    return pd.read_csv(p) if p.is_file() else None


class _Point:
    """One design point's runs so far and where the rule stands."""

    __slots__ = ("values", "errors", "after", "needed", "done", "reps", "checks", "status")

    def __init__(self, plan: Plan) -> None:
        self.values: dict[int, tuple[float, ...]] = {}
        self.errors: set[int] = set()
        self.after = 0
        self.needed: dict[str, int | None] = dict.fromkeys(plan.metrics)
        self.done = False
        self.reps = plan.initial
        self.checks: tuple[Check, ...] = ()
        self.status = "running"

    def prefix(self) -> int:
        k = 0
        while k in self.values:
            k += 1
        return k

    def step(self, plan: Plan) -> list[int]:
        """Decide on the runs so far; the replications to run next (none when finished)."""
        if self.done:
            return []
        k = self.prefix()
        if k >= plan.initial and all(r in self.errors for r in range(k)):
            self.done, self.reps, self.status = True, k, "failed"
            return []
        cols = {m: np.array([self.values[r][j] for r in range(k)], dtype=float) for j, m in enumerate(plan.metrics)}
        stop, c, checks, self.needed = decide(cols, k, plan, after=self.after, needed=self.needed)
        if checks:
            self.checks = checks
        if stop:
            self.done, self.reps, self.status = True, c, "met" if all(ch.met for ch in checks) else "max_reps"
            return []
        self.after = max([p for p in plan.checkpoints() if p <= k], default=0)
        self.reps = c
        return [r for r in range(c) if r not in self.values]


def _table(points: list[_Point], plan: Plan) -> pd.DataFrame:
    rows = []
    for pid, pt in enumerate(points):
        row: dict[str, Any] = {"point_id": pid, "reps": pt.reps, "status": pt.status}
        by = {c.target.metric: c for c in pt.checks}
        for m in plan.metrics:
            c = by.get(m)
            row[f"{m}.mean"] = c.mean if c else math.nan
            row[f"{m}.half_width"] = c.half_width if c else math.nan
            row[f"{m}.met"] = bool(c.met) if c else False
            row[f"{m}.needed"] = pt.needed.get(m)
        rows.append(row)
    return pd.DataFrame(rows)


def run_adaptive(plan: Plan, n_points: int, folder: Path, stored: pd.DataFrame | None,
                 run_items: Callable[[list[tuple[int, int]]], Any], add_rows: Callable[[list[dict]], None],
                 end_round: Callable[[int], None]) -> pd.DataFrame:
    """Rounds of batches until every point is finished; the per-point table.

    Parameters
    ----------
    plan
        The rule; ``plan.initial`` is the sweep file's ``replications``.
    n_points
        Design points.
    folder
        The sweep folder (``precision.csv`` is written there after each round).
    stored
        The runs stored so far (``point_id, replication, error`` and the target metrics).
    run_items
        Runs ``[(point_id, replication), ...]`` and yields lists of rows as they finish.
    add_rows
        Stores rows (the sweep's sink).
    end_round
        Called after each round with the planned runs so far (flush, manifest, progress).
    """
    from partnersim.analysis.storage import atomic_write

    points = [_Point(plan) for _ in range(n_points)]
    metrics = plan.metrics

    def take(rows: Any) -> None:
        cols = {m: rows[m].to_numpy(dtype=float) for m in metrics}
        err = rows["error"].fillna("").astype(str).to_numpy() != ""
        pids, reps = rows["point_id"].to_numpy(), rows["replication"].to_numpy()
        for i in range(len(rows)):
            pt = points[int(pids[i])]
            r = int(reps[i])
            pt.values[r] = tuple(float(cols[m][i]) for m in metrics)
            if err[i]:
                pt.errors.add(r)

    if stored is not None and len(stored):
        bad = (stored["point_id"] < 0) | (stored["point_id"] >= n_points) | (stored["replication"] < 0) | (
            stored["replication"] >= plan.max_reps)
        if bad.any():
            raise InputError(str(folder), None, "holds runs outside this sweep's design; remove it to start afresh")
        take(stored)

    def write_table() -> pd.DataFrame:
        table = _table(points, plan)
        buf = io.StringIO()
        table.to_csv(buf, index=False)
        atomic_write(folder / PRECISION_FILE, buf.getvalue().encode("utf-8"))
        return table

    while True:
        todo = [(pid, r) for pid, pt in enumerate(points) for r in pt.step(plan)]
        planned = sum(pt.reps for pt in points)
        if not todo:
            table = write_table()
            end_round(planned)
            return table
        for rows in run_items(todo):
            add_rows(rows)
            take(pd.DataFrame(rows, columns=["point_id", "replication", "error", *metrics]))
        write_table()
        end_round(planned)


def manifest_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Counts for the manifest: points finished, met, at the maximum, failed; replications min/median/max."""
    reps = table["reps"].to_numpy() if len(table) else np.zeros(0)
    return {"points": int(len(table)), "met": int((table["status"] == "met").sum()),
            "max_reps": int((table["status"] == "max_reps").sum()), "failed": int((table["status"] == "failed").sum()),
            "running": int((table["status"] == "running").sum()),
            "reps_min": int(reps.min()) if reps.size else 0, "reps_median": float(np.median(reps)) if reps.size else 0,
            "reps_max": int(reps.max()) if reps.size else 0}


def describe(table: pd.DataFrame) -> str:
    """One line: replications per point and how many points met their targets."""
    s = manifest_summary(table)
    return (f"replications per point: {s['reps_min']} to {s['reps_max']} (median {s['reps_median']:g}); "
            f"{s['met']} of {s['points']} points met every target, {s['max_reps']} reached the maximum"
            + (f", {s['failed']} failed" if s["failed"] else ""))
