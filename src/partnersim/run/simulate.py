"""Single runs: ``simulate(scenario, seed)`` -> :class:`RunResult`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from partnersim.model import COLUMNS, METRICS, run_model
from partnersim.scenario import Scenario, load_scenario

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd  # imported on use: worker processes and `import partnersim` need no pandas

__all__ = ["RunResult", "simulate", "run_summary", "as_scenario", "METRIC_NAMES"]

METRIC_NAMES: tuple[str, ...] = tuple(METRICS)


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """Accept a :class:`Scenario`, a path to a TOML file, or a bundled scenario's name."""
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


@dataclass(frozen=True)
class RunResult:
    """The result of one run.

    Attributes
    ----------
    scenario, seed, replication
        What was run; the result is a pure function of these.
    summary
        Every metric of :data:`partnersim.model.METRICS` (name -> float); with interventions or
        policies also ``fired_day.<label>`` (first day their changes took effect, NaN if never)
        and ``fired_count.<label>`` for each.
    series
        The weekly time series as an array (rows x :data:`partnersim.model.COLUMNS`).
    exit_reason
        ``""`` if the partnership survived, else ``"trust"`` or ``"outgrown"``.
    events
        The event log ``(time, kind, *details)`` when run with ``trace=True``.
    """

    scenario: Scenario
    seed: int
    replication: int
    summary: dict[str, float]
    series: np.ndarray
    exit_reason: str
    events: list[tuple] | None = None

    @property
    def timeseries(self) -> pd.DataFrame:
        """The weekly time series as a DataFrame indexed by ``day``."""
        import pandas as pd

        return pd.DataFrame(self.series, columns=list(COLUMNS)).set_index("day")


def simulate(scenario: Scenario | str | Path, seed: int = 0, replication: int = 0, *,
             trace: bool = False) -> RunResult:
    """Run the model once; a pure function of ``(scenario, seed, replication)``.

    Parameters
    ----------
    scenario
        A :class:`~partnersim.scenario.Scenario`, a TOML path, or a bundled name.
    seed
        The user's seed.
    replication
        Replication index; with ``seed`` it selects the run's ``SeedSequence``.
    trace
        Keep the event log in ``result.events``.

    Examples
    --------
    >>> from partnersim import load_scenario, simulate
    >>> r = simulate(load_scenario("baseline"), seed=42)
    >>> sorted(r.summary)[:3]
    ['conflicts_raised', 'conflicts_resolved', 'conflicts_surfaced_at_meetings']
    >>> r.summary == simulate(load_scenario("baseline"), seed=42).summary
    True
    >>> r.timeseries[["trust", "alignment"]].shape[1]
    2
    """
    sc = as_scenario(scenario)
    out = run_model(sc, int(seed), int(replication), trace=trace)
    return RunResult(sc, int(seed), int(replication), out.summary, out.series, out.exit_reason, out.events)


def run_summary(scenario: Scenario, seed: int, replication: int) -> dict[str, Any]:
    """One flat row: replication, seed, every metric and the exit reason (picklable, for pools)."""
    out = run_model(scenario, int(seed), int(replication))
    row: dict[str, Any] = {"replication": int(replication), "seed": int(seed)}
    row.update(out.summary)
    row["exit_reason"] = out.exit_reason
    return row
