"""Sweep storage that loses nothing: a Parquet dataset written in atomic parts, and a manifest.

Layout of a sweep folder::

    DIR/manifest.json        what was run (file hashes, versions, design) and how far it got
    DIR/sweep.toml           a copy of the sweep file
    DIR/points.parquet       the design points (point_id, parameters, unit sample)
    DIR/runs/part-000000.parquet, part-000001.parquet, ...   one row per run

Every file is written under a temporary name and then renamed (``os.replace``), so a
crash (Ctrl-C, ``kill -9``, a power cut after the data reached the disk) leaves either the
whole part or nothing. The parts are the truth: on resume the completed runs are read back
from them (temporary files are ignored and removed), and only missing runs are run. A part
that cannot be read (cut short or damaged by hand, a disk error) is moved aside on resume
(renamed ``part-NNNNNN.parquet.damaged``, with a warning) and its runs are run again;
:func:`read_runs` refuses to read a folder with one, naming it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from partnersim.scenario import InputError

__all__ = ["DamagedPart", "RunSink", "atomic_write", "read_runs", "read_points", "read_manifest", "stored_keys",
           "part_files", "arrow_schema", "FolderLock", "MANIFEST", "RUNS"]

MANIFEST = "manifest.json"
RUNS = "runs"
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
_ARROW = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}


class DamagedPart(InputError):
    """A part file of a sweep folder cannot be read; running the sweep again recomputes its runs."""

    def __init__(self, part: Path, error: BaseException) -> None:
        from partnersim.scenario.io import one_line

        what = one_line(str(error).replace(str(part), "").strip(" :'"), 60)
        super().__init__(str(part), None, f"damaged part file ({type(error).__name__}: {what}); run the same "
                         "`partnersim sweep` command again: it sets the part aside and runs its runs again")
        self.part = part


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, ``fsync`` and ``os.replace``."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def arrow_schema(param_types: dict[str, str], metrics: Iterable[str]) -> pa.Schema:
    """The schema of run rows: keys, parameters (by their field type), metrics, exit reason, error."""
    fields = [pa.field("point_id", pa.int64()), pa.field("replication", pa.int64()), pa.field("seed", pa.int64())]
    fields += [pa.field(name, _ARROW[t]) for name, t in param_types.items()]
    fields += [pa.field(m, pa.float64()) for m in metrics]
    fields += [pa.field("exit_reason", pa.string()), pa.field("error", pa.string())]
    return pa.schema(fields)


def part_files(folder: str | Path) -> list[Path]:
    """Completed part files of a sweep folder, in part order (temporary files excluded)."""
    runs = Path(folder) / RUNS
    if not runs.is_dir():
        return []
    parts = [(int(m.group(1)), p) for p in runs.iterdir() if (m := _PART.match(p.name))]
    return [p for _, p in sorted(parts)]


def _quarantine(part: Path, reason: str) -> Path:
    """Move a damaged part aside (never deleted: it may be looked at) and say so on standard error."""
    target = part.with_name(part.name + ".damaged")
    n = 1
    while target.exists():
        target = part.with_name(f"{part.name}.damaged{n}")
        n += 1
    os.replace(part, target)
    from partnersim.scenario.io import one_line

    print(one_line(f"partnersim: warning: {part}: damaged ({reason}); moved to {target.name}, its runs are run "
                   "again", 300), file=sys.stderr, flush=True)
    return target


def _read_keys(part: Path) -> pa.Table:
    t = pq.read_table(part, columns=["point_id", "replication", "error"])
    if t.column("point_id").null_count or t.column("replication").null_count:
        raise ValueError("null point_id or replication")
    return t


def stored_keys(folder: str | Path, *, repair: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """``(point_id, replication, failed)`` of every stored run, read from the completed parts.

    A part that cannot be read raises :class:`DamagedPart`; with ``repair=True`` (a sweep
    resuming, holding the folder's lock) it is moved aside instead, so that its runs are run again.
    """
    pids, reps, failed = [], [], 0
    for p in part_files(folder):
        try:
            t = _read_keys(p)
        except (OSError, ValueError, pa.ArrowException) as e:  # cut short, not Parquet, wrong columns
            if not repair:
                raise DamagedPart(p, e) from None
            _quarantine(p, f"{type(e).__name__}: {e}")
            continue
        pids.append(t.column("point_id").to_numpy())
        reps.append(t.column("replication").to_numpy())
        failed += int(pc.sum(pc.not_equal(pc.fill_null(t.column("error"), ""), "")).as_py() or 0)
    if not pids:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    return np.concatenate(pids), np.concatenate(reps), failed


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of a sweep folder, or ``None`` if there is none."""
    p = Path(folder) / MANIFEST
    if not p.is_file():
        return None
    return json.loads(p.read_text(encoding="utf-8"))


def read_points(folder: str | Path) -> Any:
    """The design points of a sweep folder as a DataFrame."""
    return pq.read_table(Path(folder) / "points.parquet").to_pandas()


def read_runs(folder: str | Path, columns: list[str] | None = None) -> Any:
    """Every stored run of a sweep folder as one DataFrame, sorted by ``point_id, replication``.

    ``error`` is null (``None``) for a run that succeeded, else the error's type and message.

    Examples
    --------
    >>> from partnersim.analysis.storage import read_runs
    >>> df = read_runs("out/sweep_cadence_funding")  # doctest: +SKIP
    >>> df.groupby("agreement.funding_rule")["survived"].mean()  # doctest: +SKIP
    """
    parts = part_files(folder)
    if not parts:
        man = read_manifest(folder)
        if man is None:
            raise FileNotFoundError(f"{folder}: not a sweep folder (no {MANIFEST})")
        schema = pa.schema([pa.field(f["name"], pa.type_for_alias(f["type"])) for f in man["schema"]])
        return schema.empty_table().to_pandas()
    tables = []
    for p in parts:
        try:
            tables.append(pq.read_table(p, columns=columns))
        except (OSError, ValueError, pa.ArrowException) as e:
            raise DamagedPart(p, e) from None
    df = pa.concat_tables(tables).to_pandas()
    if "error" in df:  # null for no error (older parts hold "")
        df["error"] = df["error"].where(df["error"].fillna("") != "", None)
    if "point_id" in df and "replication" in df:
        df = df.sort_values(["point_id", "replication"], kind="stable").reset_index(drop=True)
    return df


class FolderLock:
    """An exclusive lock on a sweep folder (released by the OS if the process dies)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; ``False`` if another process holds it."""
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no locking
            return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            self._fd = None
            return False
        return True

    def release(self) -> None:
        """Release the lock."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class RunSink:
    """Buffers run rows and writes them as Parquet parts, atomically.

    A part is written when ``part_rows`` rows are buffered or ``flush_seconds`` have passed
    since the last part, so memory stays flat and a crash loses at most one part's worth of
    runs, which the next start runs again.

    Parameters
    ----------
    folder
        The sweep folder (parts go to ``folder/runs``).
    schema
        The Arrow schema of the rows (:func:`arrow_schema`).
    part_rows, flush_seconds
        When to write a part.
    on_part
        Called after each part is written with ``(rows_in_part, failed_in_part)``.
    """

    def __init__(self, folder: Path, schema: pa.Schema, part_rows: int = 2000, flush_seconds: float = 60.0,
                 on_part: Any = None) -> None:
        self.dir = Path(folder) / RUNS
        self.dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.dir.glob("*.tmp"):
            tmp.unlink()
        existing = part_files(folder)
        self.next_part = (int(_PART.match(existing[-1].name).group(1)) + 1) if existing else 0  # type: ignore
        self.schema = schema
        self.part_rows = max(1, int(part_rows))
        self.flush_seconds = flush_seconds
        self.on_part = on_part
        self._rows: list[dict[str, Any]] = []
        self._last = time.monotonic()
        self.parts_written = 0

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        """Buffer rows; write a part when due."""
        self._rows.extend(rows)
        if len(self._rows) >= self.part_rows or time.monotonic() - self._last >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one part (nothing if the buffer is empty)."""
        self._last = time.monotonic()
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        table = pa.Table.from_pylist(rows, schema=self.schema)
        final = self.dir / f"part-{self.next_part:06d}.parquet"
        tmp = final.with_name(final.name + ".tmp")
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
        self.next_part += 1
        self.parts_written += 1
        if self.on_part is not None:
            self.on_part(len(rows), sum(1 for r in rows if r.get("error")))
