"""Ensembles of replications (sequential here; see executors for parallel runs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from partnersim.model import COLUMNS, run_model
from partnersim.run.simulate import METRIC_NAMES, as_scenario
from partnersim.scenario import Scenario

__all__ = ["Ensemble", "run_ensemble"]


@dataclass(frozen=True)
class Ensemble:
    """Replications of one scenario.

    Attributes
    ----------
    scenario, seed
        What was run; replication ``i`` used ``SeedSequence(seed, spawn_key=(i, ...))``.
    runs
        One row per replication: ``replication, seed``, every metric, ``exit_reason``.
    series
        Weekly time series, shape ``(replications, weeks, len(COLUMNS))``.
    """

    scenario: Scenario
    seed: int
    runs: pd.DataFrame
    series: np.ndarray

    @property
    def reps(self) -> int:
        """Number of replications."""
        return len(self.runs)

    def timeseries_long(self) -> pd.DataFrame:
        """The time series in long form: one row per (replication, week)."""
        r, w, _ = self.series.shape
        df = pd.DataFrame(self.series.reshape(r * w, -1), columns=list(COLUMNS))
        df.insert(0, "replication", np.repeat(self.runs["replication"].to_numpy(), w))
        return df


def run_ensemble(scenario: Scenario | str | Path, reps: int = 100, seed: int = 0) -> Ensemble:
    """Run ``reps`` replications of ``scenario`` from ``seed`` (sequentially).

    Examples
    --------
    >>> from partnersim import load_scenario
    >>> ens = run_ensemble(load_scenario("baseline"), reps=3, seed=1)
    >>> ens.runs.shape[0], ens.series.shape[0]
    (3, 3)
    """
    sc = as_scenario(scenario)
    rows, series = [], []
    for i in range(int(reps)):
        out = run_model(sc, int(seed), i)
        row = {"replication": i, "seed": int(seed), **out.summary, "exit_reason": out.exit_reason}
        rows.append(row)
        series.append(out.series)
    runs = pd.DataFrame(rows, columns=["replication", "seed", *METRIC_NAMES, "exit_reason"])
    return Ensemble(sc, int(seed), runs, np.stack(series) if series else np.empty((0, 0, len(COLUMNS))))
