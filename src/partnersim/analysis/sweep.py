"""Batch sweeps: a design yields jobs, an executor runs them, a sink stores the rows.

``sweep(file, out)`` reads a sweep file (:mod:`partnersim.analysis.sweepfile`), makes its
design points (:mod:`partnersim.analysis.design`), cuts the runs into chunks, runs them on an
executor (:mod:`partnersim.run.executors`) and streams one row per run into a Parquet dataset
(:mod:`partnersim.analysis.storage`). Running it again on the same folder runs only the
missing runs; a failing run becomes a row with its error, and the sweep goes on.

Seeding (common random numbers): run (point ``p``, replication ``r``) is
``run_model(scenario_p, seed, r)``, i.e. ``SeedSequence(seed, spawn_key=(r, mechanism))``
per mechanism. Replication ``r`` of every point shares the same random streams, so points
differ only by their parameters; and every number is the same whatever the executor, the
worker count, the chunking or the order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from partnersim.analysis.design import Design, make_design
from partnersim.analysis.storage import (
    MANIFEST,
    FolderLock,
    RunSink,
    arrow_schema,
    atomic_write,
    part_files,
    read_manifest,
    read_runs,
    stored_keys,
)
from partnersim.analysis.sweepfile import SweepSpec, load_sweep
from partnersim.model import METRICS, run_model
from partnersim.run.executors import Executor, make_executor
from partnersim.run.progress import progress_bar
from partnersim.scenario import InputError, Scenario, with_changes
from partnersim.scenario.io import format_validation_error

__all__ = ["sweep", "SweepResult", "SweepChunk", "run_sweep_chunk", "plan_sweep", "default_out", "code_fingerprint"]

NAN = float("nan")


def fired_keys(base: Scenario) -> tuple[str, ...]:
    """The result columns of the base's interventions and policies (when each first took effect, how often)."""
    from partnersim.scenario.interventions import labels

    iv, pl = labels(base)
    return tuple(k for lab in (*iv, *pl) for k in (f"fired_day.{lab}", f"fired_count.{lab}"))


@dataclass(frozen=True)
class SweepChunk:
    """A job: some runs ``(point_id, replication)`` of a sweep, with each point's scenario changes."""

    base: Scenario
    seed: int
    items: tuple[tuple[int, int], ...]
    changes: dict[int, dict[str, Any]]
    extra: tuple[str, ...] = ()  # summary keys beyond METRICS: fired_day.<label>, fired_count.<label>


def run_sweep_chunk(task: SweepChunk) -> list[dict[str, Any]]:
    """Run one chunk; one flat row per run. A failing run gives a row with ``error`` set and NaN metrics
    (``error`` is ``None`` for a run that succeeded)."""
    rows = []
    scenarios: dict[int, Scenario | Exception] = {}
    for pid, rep in task.items:
        ch = task.changes[pid]
        row: dict[str, Any] = {"point_id": int(pid), "replication": int(rep), "seed": int(task.seed), **ch}
        try:
            sc = scenarios.get(pid)
            if sc is None:
                try:
                    sc = with_changes(task.base, ch)
                except ValidationError as e:
                    err = format_validation_error(e, "point")
                    sc = ValueError(f"invalid scenario: {err.field + ': ' if err.field else ''}{err.message}")
                scenarios[pid] = sc
            if isinstance(sc, Exception):
                raise sc
            out = run_model(sc, task.seed, rep)
            row.update({m: float(out.summary.get(m, NAN)) for m in (*METRICS, *task.extra)})
            row["exit_reason"] = str(out.exit_reason)
            row["error"] = None  # null in the dataset: no error
        except Exception as e:  # recorded, and the sweep goes on
            row.update(dict.fromkeys((*METRICS, *task.extra), NAN))
            row["exit_reason"] = ""
            row["error"] = f"{type(e).__name__}: {e}" or type(e).__name__
        rows.append(row)
    return rows


class _Chunks(Sequence):
    """The jobs, built on demand from the missing runs (so memory does not grow with the sweep)."""

    def __init__(self, spec: SweepSpec, design: Design, missing: np.ndarray, size: int) -> None:
        self.spec, self.design, self.missing, self.size = spec, design, missing, size

    def __len__(self) -> int:
        return math.ceil(len(self.missing) / self.size)

    def __getitem__(self, i: int) -> SweepChunk:  # type: ignore[override]
        if not 0 <= i < len(self):
            raise IndexError(i)
        flat = self.missing[i * self.size:(i + 1) * self.size]
        reps = self.spec.replications
        items = tuple((int(f // reps), int(f % reps)) for f in flat)
        changes = {p: self.design.changes(p) for p in sorted({p for p, _ in items})}
        return SweepChunk(self.spec.base, self.spec.seed, items, changes, fired_keys(self.spec.base))


@dataclass(frozen=True)
class SweepResult:
    """What a call to :func:`sweep` did.

    Attributes
    ----------
    folder
        The sweep folder.
    planned, done, failed
        Runs in the design, runs stored (all sessions), stored runs that failed.
    ran
        Runs done by this call.
    seconds
        Wall time of this call.
    precision
        For an adaptive sweep (``precision=...``), one row per point: ``point_id, reps,
        status`` and each target's ``mean``, ``half_width``, ``met``, ``needed`` (also in
        ``DIR/precision.csv``); ``None`` for a fixed sweep.
    """

    folder: Path
    planned: int
    done: int
    failed: int
    ran: int
    seconds: float
    precision: Any = None

    @property
    def complete(self) -> bool:
        """Whether every planned run is stored."""
        return self.done >= self.planned

    def runs(self) -> Any:
        """The stored runs as a DataFrame (see :func:`partnersim.analysis.storage.read_runs`)."""
        return read_runs(self.folder)


def default_out(sweep_file: str | Path) -> Path:
    """The default sweep folder: ``out/<sweep file name without .toml>``."""
    return Path("out") / Path(sweep_file).stem


def plan_sweep(sweep_file: str | Path | SweepSpec) -> tuple[SweepSpec, Design]:
    """Load a sweep file and make its design (no runs)."""
    spec = sweep_file if isinstance(sweep_file, SweepSpec) else load_sweep(sweep_file)
    return spec, make_design(spec)


def code_fingerprint() -> str:
    """sha256 of the model's source (``partnersim/model/*.py`` and the scenario schema).

    Stored in the manifest, so that a sweep is not finished with different model code (an
    editable install keeps its version number while its code changes).
    """
    import hashlib

    import partnersim.model as model_pkg
    import partnersim.scenario.schema as schema_mod

    h = hashlib.sha256()
    files = sorted(Path(model_pkg.__file__).parent.glob("*.py")) + [Path(schema_mod.__file__)]
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_manifest(spec: SweepSpec, design: Design, schema: Any) -> dict[str, Any]:
    from partnersim import __version__

    try:
        from importlib.metadata import version

        salib = version("SALib")
    except Exception:  # pragma: no cover
        salib = "unknown"
    return {
        "format": "partnersim-sweep/1",
        "name": spec.name,
        "description": spec.description,
        "sweep_file": spec.source,
        "sweep_sha256": spec.sha256,
        "base_sha256": spec.base_sha256,
        "package_version": __version__,
        "model_sha256": code_fingerprint(),
        "salib_version": salib,
        "design": {"kind": design.kind, **{k: getattr(spec.design, k) for k in ("samples", "second_order",
                                                                                 "levels", "seed")},
                   **design.meta},
        "parameters": [p.describe() for p in spec.parameters],
        "seed": spec.seed,
        "replications": spec.replications,
        "points": design.n_points,
        "metrics": list(METRICS),
        "schema": [{"name": f.name, "type": str(f.type)} for f in schema],
        "planned": design.n_points * spec.replications,
        "done": 0,
        "failed": 0,
        "parts": 0,
        "started": _now(),
        "updated": _now(),
        "ended": None,
        "sessions": [],
    }


def _open_folder(out: Path, spec: SweepSpec, design: Design, schema: Any) -> dict[str, Any]:
    from partnersim import __version__
    from partnersim.scenario import dumps_scenario

    man = read_manifest(out)
    src = spec.source
    if man is None:
        # files of a start that died before its manifest was written are fine
        known = {".lock", "sweep.toml", "base.toml", "points.parquet", "points.parquet.tmp", "runs"}
        others = [p.name for p in out.iterdir() if (p.name not in known and not p.name.startswith(".partnersim-probe-"))
                  or (p.name == "runs" and any(p.iterdir()))]
        if others:
            raise InputError(str(out), None, "exists and is not a sweep folder (no manifest.json); "
                             "choose another --out")
        if spec.text:
            atomic_write(out / "sweep.toml", spec.text.encode("utf-8"))
        atomic_write(out / "base.toml", dumps_scenario(spec.base, full=True).encode("utf-8"))
        import pyarrow as pa
        import pyarrow.parquet as pq

        tmp = out / "points.parquet.tmp"
        pq.write_table(pa.Table.from_pandas(design.table(), preserve_index=False), tmp)
        tmp.replace(out / "points.parquet")
        man = _new_manifest(spec, design, schema)
        return man
    if man.get("sweep_sha256") != spec.sha256:
        raise InputError(src, None, f"changed since the sweep in {out} started; restore the file, or remove that "
                         "folder (or choose another --out) to start afresh")
    if man.get("base_sha256") != spec.base_sha256:
        raise InputError(src, "base", f"the base scenario changed since the sweep in {out} started; restore it, "
                         "or remove that folder (or choose another --out) to start afresh")
    if man.get("package_version") != __version__:
        raise InputError(src, None, f"the sweep in {out} was started with partnersim {man.get('package_version')}, "
                         f"this is {__version__}; finish it with that version, or remove the folder to start afresh")
    if man.get("model_sha256") != code_fingerprint():
        raise InputError(src, None, f"the model code changed since the sweep in {out} started (partnersim "
                         f"{__version__}); finish it with the code it started with, or remove the folder to start "
                         "afresh")
    from partnersim.analysis.storage import read_points

    stored = read_points(out)
    mine = design.table()
    if list(stored.columns) != list(mine.columns) or not stored.equals(mine):
        raise InputError(src, "design", f"the design points differ from those stored in {out} (a different "
                         "SALib version?); remove the folder to start afresh")
    return man


def _executor(executor: str | Executor, workers: int | None, scheduler: str | None) -> tuple[Executor, bool]:
    if isinstance(executor, Executor):
        return executor, False
    if executor not in ("inprocess", "local", "dask"):
        raise InputError("--executor", None, f"unknown executor {executor!r}: use local, dask or inprocess")
    try:
        return make_executor(executor, workers, scheduler), True
    except (OSError, TimeoutError) as e:
        raise InputError("--scheduler", None, f"cannot connect to the Dask scheduler {scheduler!r}: {e}") from None
    except ImportError as e:  # pragma: no cover - dask not installed
        raise InputError("--executor", None, f"dask is not installed ({e}); pip install 'partnersim[dask]'") from None


def sweep(sweep_file: str | Path | SweepSpec, out: str | Path | None = None, *, executor: str | Executor = "local",
          workers: int | None = None, scheduler: str | None = None, progress: bool | None = None,
          chunk_size: int | None = None, part_rows: int = 1000, precision: Any = None, max_reps: int | None = None,
          batch: int | None = None) -> SweepResult:
    """Run a sweep file, streaming one row per run into a Parquet dataset under ``out``.

    Run it again on the same folder after an interruption (Ctrl-C, ``kill -9``, a lost Dask
    worker) and it runs only the missing runs; the finished dataset equals an uninterrupted
    one. A sweep file changed after the start is refused. Seeding: replication ``r`` of every
    design point runs with ``SeedSequence(seed, spawn_key=(r, mechanism))`` (common random
    numbers), so results do not depend on the executor, the workers, the chunks or the order.

    Parameters
    ----------
    sweep_file
        A sweep TOML file (see :mod:`partnersim.analysis.sweepfile`) or a loaded sweep.
    out
        The sweep folder (default ``out/<file name>``).
    executor
        ``"local"`` (process pool, the default), ``"inprocess"``, ``"dask"``, or an
        :class:`~partnersim.run.executors.Executor` (not closed here).
    workers
        Worker processes (default: the usable cores); for Dask without ``scheduler``, the
        size of the loopback ``LocalCluster``.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``).
    progress
        A progress bar on standard error (runs done, runs per second, time left): ``True``
        always, ``False`` never, ``None`` (default) when standard error is a terminal or
        this is a notebook (not in logs or pipes).
    chunk_size
        Runs per job (default: up to 50, fewer for small sweeps). Does not change results.
    part_rows
        Rows per Parquet part (a part is also written at least every 30 seconds).
    precision, max_reps, batch
        Adaptive replications per point: the file's ``replications`` first, then batches of
        ``batch`` (default 10) for each point until its targets are met, at most
        ``max_reps`` (default 1000) per point: ``precision={"survived": 0.05}`` (see
        :mod:`partnersim.analysis.adaptive_sweep`). A resumed sweep needs the same options.

    Returns
    -------
    SweepResult
        Counts, the folder, and ``.runs()`` to read the rows as a DataFrame.

    Examples
    --------
    >>> from partnersim import sweep
    >>> res = sweep("scenarios/sweep_cadence_funding.toml", "out/cadence", workers=2)  # doctest: +SKIP
    >>> runs = res.runs()  # one row per run: point_id, replication, seed, parameters, metrics  # doctest: +SKIP
    >>> runs.groupby(["agreement.funding_rule", "agreement.cadence.weekly.enabled"])["survived"].mean()
    ... # doctest: +SKIP
    """
    t0 = time.monotonic()
    spec, design = plan_sweep(sweep_file)
    plan = _precision_plan(spec, precision, max_reps, batch)
    folder = Path(out) if out is not None else default_out(spec.source if spec.source != "<sweep>" else spec.name)
    if folder.exists() and not folder.is_dir():
        raise InputError(str(folder), None, "is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder)
    if not lock.acquire():
        raise InputError(str(folder), None, "another partnersim sweep is writing to this folder")
    try:
        return _run(spec, design, folder, executor, workers, scheduler, progress, chunk_size, part_rows, t0, plan)
    finally:
        lock.release()


def _precision_plan(spec: SweepSpec, precision: Any, max_reps: int | None, batch: int | None) -> Any:
    if precision is None:
        return None
    from partnersim.analysis.adaptive import make_plan

    if spec.replications < 2:
        raise InputError(spec.source, "replications", "with --precision this is the first batch: it needs at least 2")
    plan = make_plan(precision, spec.replications, batch, max_reps, source="--precision")
    for t in plan.targets:
        if t.metric not in METRICS:
            raise InputError("--precision", t.metric, "is not stored by sweeps; use exit_day or survived")
    return plan


def _run(spec: SweepSpec, design: Design, folder: Path, executor: str | Executor, workers: int | None,
         scheduler: str | None, progress: bool | None, chunk_size: int | None, part_rows: int,
         t0: float, plan: Any = None) -> SweepResult:
    import json

    from partnersim.analysis.adaptive_sweep import check_plan

    reps = spec.replications
    schema = arrow_schema({p.path: p.dtype for p in spec.parameters}, [*METRICS, *fired_keys(spec.base)])
    man = _open_folder(folder, spec, design, schema)
    check_plan(man, plan, folder, spec.source)
    if plan is not None:
        return _run_precision(spec, design, folder, man, schema, plan, executor, workers, scheduler, progress,
                              chunk_size, part_rows, t0)
    planned = design.n_points * reps
    pids, rps, failed = stored_keys(folder, repair=True)  # (a damaged part is set aside: its runs run again)
    done = np.zeros(planned, dtype=bool)
    if len(pids):
        flat = pids * reps + rps
        if flat.min() < 0 or flat.max() >= planned or np.any(rps >= reps):
            raise InputError(str(folder), None, "holds runs outside this sweep's design; remove it to start afresh")
        done[flat] = True
    missing = np.flatnonzero(~done)
    state = {"done": int(done.sum()), "failed": int(failed), "ran": 0}
    session = {"started": _now(), "ended": None, "runs": 0,
               "executor": executor if isinstance(executor, str) else type(executor).__name__}
    man["sessions"] = [*man.get("sessions", []), session]

    def save_manifest() -> None:
        man.update(done=state["done"], failed=state["failed"], updated=_now(), parts=len(list(
            (folder / "runs").glob("part-*.parquet"))) if (folder / "runs").is_dir() else 0)
        session["runs"] = state["ran"]
        if state["done"] >= planned and man.get("ended") is None:
            man["ended"] = _now()
        atomic_write(folder / MANIFEST, json.dumps(man, indent=2, default=str).encode("utf-8"))

    def on_part(n: int, nfail: int) -> None:
        state["done"] += n
        state["failed"] += nfail
        state["ran"] += n
        save_manifest()

    save_manifest()
    sink = RunSink(folder, schema, part_rows=part_rows, flush_seconds=30.0, on_part=on_part)
    if len(missing) == 0:
        session["ended"] = _now()
        save_manifest()
        return SweepResult(folder, planned, state["done"], state["failed"], 0, time.monotonic() - t0)

    ex, owned = _executor(executor, workers, scheduler)
    bar = progress_bar(planned, spec.name, progress, initial=planned - len(missing), smoothing=0.05)
    try:
        size = chunk_size or max(1, min(50, math.ceil(len(missing) / (4 * max(1, ex.workers)))))
        for _, rows in ex.map_unordered(run_sweep_chunk, _Chunks(spec, design, missing, size)):
            sink.add(rows)
            bar.update(len(rows))
    finally:
        try:
            sink.flush()
        finally:
            bar.close()
            session["ended"] = _now()
            save_manifest()
            if owned:
                ex.close()
    return SweepResult(folder, planned, state["done"], state["failed"], state["ran"], time.monotonic() - t0)


def _run_precision(spec: SweepSpec, design: Design, folder: Path, man: dict[str, Any], schema: Any, plan: Any,
                   executor: str | Executor, workers: int | None, scheduler: str | None, progress: bool | None,
                   chunk_size: int | None, part_rows: int, t0: float) -> SweepResult:
    """An adaptive sweep (:mod:`partnersim.analysis.adaptive_sweep`): rounds of batches per point."""
    import json

    from partnersim.analysis.adaptive_sweep import manifest_summary, run_adaptive

    stored_keys(folder, repair=True)  # a damaged part is set aside: its runs run again
    stored = read_runs(folder, columns=["point_id", "replication", "error", *plan.metrics]) if (
        folder / "runs").is_dir() else None
    state = {"done": 0 if stored is None else len(stored), "ran": 0, "planned": int(man.get("planned", 0)),
             "failed": 0 if stored is None else int(stored["error"].notna().sum())}
    session = {"started": _now(), "ended": None, "runs": 0,
               "executor": executor if isinstance(executor, str) else type(executor).__name__}
    man["sessions"] = [*man.get("sessions", []), session]
    summary: dict[str, Any] = {}

    def save_manifest(finished: bool = False) -> None:
        man.update(done=state["done"], failed=state["failed"], planned=state["planned"], updated=_now(),
                   parts=len(part_files(folder)))
        if summary:
            man["precision_summary"] = summary
        session["runs"] = state["ran"]
        if finished and man.get("ended") is None:
            man["ended"] = _now()
        atomic_write(folder / MANIFEST, json.dumps(man, indent=2, default=str).encode("utf-8"))

    def on_part(n: int, nfail: int) -> None:
        state["done"] += n
        state["failed"] += nfail
        state["ran"] += n
        save_manifest()

    save_manifest()
    sink = RunSink(folder, schema, part_rows=part_rows, flush_seconds=30.0, on_part=on_part)
    holder: dict[str, Any] = {}
    bar = progress_bar(max(1, state["planned"]), spec.name, progress, initial=state["done"], smoothing=0.05)

    def executor_() -> Executor:
        if "ex" not in holder:
            holder["ex"], holder["owned"] = _executor(executor, workers, scheduler)
        return holder["ex"]

    def run_items(todo: list[tuple[int, int]]) -> Any:
        ex = executor_()
        size = chunk_size or max(1, min(50, math.ceil(len(todo) / (4 * max(1, ex.workers)))))
        chunks = []
        for i in range(0, len(todo), size):
            items = tuple(todo[i:i + size])
            chunks.append(SweepChunk(spec.base, spec.seed, items,
                                     {p: design.changes(p) for p in sorted({p for p, _ in items})}))
        bar.total = state["done"] + len(todo)
        bar.refresh()
        for _, rows in ex.map_unordered(run_sweep_chunk, chunks):
            bar.update(len(rows))
            yield rows

    def end_round(planned: int) -> None:
        sink.flush()  # every round on disk: a kill loses at most the round under way
        state["planned"] = planned
        save_manifest()

    try:
        table = run_adaptive(plan, design.n_points, folder, stored, run_items, sink.add, end_round)
        summary.update(manifest_summary(table))
    finally:
        try:
            sink.flush()
        finally:
            bar.total = bar.n
            bar.close()
            session["ended"] = _now()
            save_manifest(finished=bool(summary) and summary.get("running", 1) == 0)
            if holder.get("owned"):
                holder["ex"].close()
    return SweepResult(folder, state["planned"], state["done"], state["failed"], state["ran"],
                       time.monotonic() - t0, table)
