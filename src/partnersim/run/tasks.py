"""Picklable task functions that executors run in worker processes.

Imported by the forkserver at start-up, so workers have the model loaded before the
first task arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from partnersim.model import run_model

__all__ = ["RunChunk", "ChunkResult", "run_chunk"]


@dataclass(frozen=True)
class RunChunk:
    """Replications ``reps`` of ``scenario`` with ``seed``; ``keep_series`` keeps time series."""

    scenario: Any
    seed: int
    reps: tuple[int, ...]
    keep_series: bool = True


@dataclass(frozen=True)
class ChunkResult:
    """Summary rows (dicts, with ``replication``, ``seed``, ``exit_reason``) and series per run."""

    rows: list[dict[str, Any]]
    series: list[np.ndarray] | None


def run_chunk(task: RunChunk) -> ChunkResult:
    """Run one chunk of replications (a pure function of the task)."""
    rows, series = [], []
    for r in task.reps:
        out = run_model(task.scenario, task.seed, r)
        rows.append({"replication": int(r), "seed": int(task.seed), **out.summary, "exit_reason": out.exit_reason})
        if task.keep_series:
            series.append(out.series)
    return ChunkResult(rows, series if task.keep_series else None)
