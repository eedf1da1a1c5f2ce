"""Kaplan-Meier survival curves of time to exit (right-censored at the horizon).

A small exact implementation: no fitting, no dependencies beyond numpy, pandas and scipy.
The curve is a step function that starts at 1 at time 0 and drops at each time an exit
is observed, by the share of partnerships still at risk that ended then. Runs that
survive to the horizon are censored there: they count as at risk up to the horizon and
never as exits.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

__all__ = ["KM_COLUMNS", "kaplan_meier", "survival_at"]

KM_COLUMNS = ["time", "at_risk", "events", "censored", "survival", "ci_low", "ci_high"]


def kaplan_meier(durations: np.ndarray | pd.Series, observed: np.ndarray | pd.Series,
                 level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier estimate of the survival function, with Greenwood log-log intervals.

    Parameters
    ----------
    durations
        Time to the event, or to censoring, for each subject (finite, >= 0).
    observed
        ``True`` where the event (the partnership ending) was observed, ``False`` where the
        subject was censored (still going at the end of observation).
    level
        Confidence level of the pointwise interval.

    Returns
    -------
    pandas.DataFrame
        One row for time 0 and one per distinct duration, with columns ``time``,
        ``at_risk`` (subjects with duration >= time), ``events``, ``censored``,
        ``survival`` (the estimate just after ``time``), ``ci_low`` and ``ci_high``
        (the "log-log" interval of Kalbfleisch and Prentice, NaN where undefined).
        Ties: events at a time are counted before censorings at the same time.

    Examples
    --------
    Five partnerships: exits on days 2, 3 and 3, two still going (censored) on days 2 and 5.

    >>> km = kaplan_meier([2, 2, 3, 3, 5], [True, False, True, True, False])
    >>> km[["time", "at_risk", "events", "survival"]].round(3).to_numpy().tolist()
    [[0.0, 5.0, 0.0, 1.0], [2.0, 5.0, 1.0, 0.8], [3.0, 3.0, 2.0, 0.267], [5.0, 1.0, 0.0, 0.267]]
    """
    t = np.asarray(durations, dtype=float)
    d = np.asarray(observed, dtype=bool)
    if t.shape != d.shape:
        raise ValueError("durations and observed must have the same length")
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise ValueError("durations must be finite and non-negative")
    n = t.size
    times = np.unique(t)
    rows = [(0.0, n, 0, 0, 1.0, math.nan, math.nan)]
    z = float(special.ndtri(0.5 + level / 2.0))  # = scipy.stats.norm.ppf
    s, greenwood = 1.0, 0.0
    for u in times:
        at_risk = int(np.count_nonzero(t >= u))
        events = int(np.count_nonzero((t == u) & d))
        censored = int(np.count_nonzero((t == u) & ~d))
        if events:
            s *= 1.0 - events / at_risk
            if at_risk > events:
                greenwood += events / (at_risk * (at_risk - events))
            else:
                greenwood = math.inf
        lo, hi = _loglog_interval(s, greenwood, z)
        if u == 0.0:
            rows[0] = (0.0, at_risk, events, censored, s, lo, hi)
        else:
            rows.append((float(u), at_risk, events, censored, s, lo, hi))
    out = pd.DataFrame(rows, columns=KM_COLUMNS)
    return out.astype({"at_risk": "int64", "events": "int64", "censored": "int64"})


def _loglog_interval(s: float, greenwood: float, z: float) -> tuple[float, float]:
    """Pointwise interval on log(-log S): stays inside [0, 1]; NaN when S is 0 or 1."""
    if not (0.0 < s < 1.0) or not math.isfinite(greenwood):
        return (1.0, 1.0) if s == 1.0 else (math.nan, math.nan)
    ls = math.log(s)
    se = math.sqrt(greenwood) / abs(ls)
    # S ** exp(+/- z se): the larger exponent gives the lower bound
    return (s ** math.exp(z * se), s ** math.exp(-z * se))


def survival_at(curve: pd.DataFrame, time: float | np.ndarray) -> float | np.ndarray:
    """Read a Kaplan-Meier curve (from :func:`kaplan_meier`) at ``time``: a right-continuous step.

    Examples
    --------
    >>> km = kaplan_meier([2, 2, 3, 3, 5], [True, False, True, True, False])
    >>> float(survival_at(km, 2.5)), float(survival_at(km, 1.0))
    (0.8, 1.0)
    """
    times = curve["time"].to_numpy()
    surv = curve["survival"].to_numpy()
    idx = np.searchsorted(times, np.asarray(time, dtype=float), side="right") - 1
    out = surv[np.clip(idx, 0, None)]
    return float(out) if np.ndim(out) == 0 else out
