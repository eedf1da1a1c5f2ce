"""Many ensembles on common random numbers, cached on disk: the run layer of screen and calibrate.

:func:`run_many` runs each distinct scenario once on the same seed (replication ``i`` of every
scenario shares seed ``(seed, i)``, so any two of them form a paired comparison), through
:func:`partnersim.run.ensemble.run_ensembles` on one executor, a few ensembles at a time. With a
``cache`` folder, each finished ensemble's summary rows are written there as a Parquet file
named by a hash of (scenario, seed, reps, model code): an interrupted screen or calibration
started again runs only what is missing, and a change to the model code never reuses stale rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from partnersim.run.ensemble import run_ensembles
from partnersim.run.executors import Executor, default_workers, make_executor
from partnersim.scenario import Scenario

__all__ = ["ensemble_key", "run_many"]


def ensemble_key(scenario: Scenario, seed: int, reps: int, fingerprint: str = "") -> str:
    """A short stable hash of what determines an ensemble's rows.

    Examples
    --------
    >>> from partnersim.scenario import Scenario
    >>> ensemble_key(Scenario(), 1, 10) == ensemble_key(Scenario(), 1, 10)
    True
    >>> ensemble_key(Scenario(), 1, 10) == ensemble_key(Scenario(), 2, 10)
    False
    """
    h = hashlib.sha256()
    h.update(json.dumps(scenario.model_dump(mode="json"), sort_keys=True).encode())
    h.update(f"|{int(seed)}|{int(reps)}|{fingerprint}".encode())
    return h.hexdigest()[:20]


def run_many(scenarios: Sequence[Scenario], reps: int, seed: int = 0, workers: int | None = None, *,
             cache: str | Path | None = None, batch: int = 8, executor: Executor | None = None,
             on_batch: Callable[[int, int], None] | None = None) -> list[pd.DataFrame]:
    """Summary rows of an ensemble of each scenario, all on seed ``seed`` (common random numbers).

    Parameters
    ----------
    scenarios
        The scenarios; duplicates run once.
    reps, seed
        Replications ``0..reps-1`` of ``seed`` for every scenario.
    workers
        Processes of the local pool (default: every core; ``1`` runs in this process).
    cache
        Folder of cached ensembles (created if needed); ``None`` caches nothing.
    batch
        Ensembles per pass over the pool (a cache file is written after each pass).
    executor
        Run on this executor instead of the local pool (not closed here).
    on_batch
        Called as ``on_batch(done, total)`` (distinct ensembles) after each pass.

    Returns
    -------
    list of pandas.DataFrame
        One frame per scenario, in order: one row per replication (``replication, seed``, every
        metric, ``exit_reason``).

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 90})
    >>> a, b = run_many([s, s], reps=3, seed=1, workers=1)
    >>> a.equals(b), len(a)
    (True, 3)
    """
    from partnersim.analysis.sweep import code_fingerprint

    fp = code_fingerprint() if cache is not None else ""
    keys = [ensemble_key(s, seed, reps, fp) for s in scenarios]
    distinct: dict[str, Scenario] = {}
    for k, s in zip(keys, scenarios, strict=True):
        distinct.setdefault(k, s)
    folder = Path(cache) if cache is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    done: dict[str, pd.DataFrame] = {}
    todo = []
    for k, s in distinct.items():
        f = folder / f"{k}.parquet" if folder is not None else None
        if f is not None and f.is_file():
            done[k] = pd.read_parquet(f)
        else:
            todo.append((k, s))
    # the local pool is kept for the process's later calls (see partnersim.run.executors)
    ex = executor if executor is not None else make_executor("local", workers or default_workers())
    size = max(1, int(batch))
    for i in range(0, len(todo), size):
        part = todo[i:i + size]
        ens = run_ensembles([(s, seed) for _, s in part], reps, executor=ex, progress=False, keep_series=False)
        for (k, _), e in zip(part, ens, strict=True):
            done[k] = e.runs
            if folder is not None:
                tmp = folder / f"{k}.parquet.tmp"
                e.runs.to_parquet(tmp, index=False)
                tmp.replace(folder / f"{k}.parquet")
        if on_batch is not None:
            on_batch(len(distinct) - len(todo) + i + len(part), len(distinct))
    return [done[k] for k in keys]
