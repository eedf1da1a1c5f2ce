"""Small statistics used across faces: means with confidence intervals.

The interval of a mean is a Student-t interval, clipped to the natural range of the
quantity when it has one (a count cannot be negative, a 0..1 share cannot exceed 1): see
:func:`unit_bounds` and :func:`metric_bounds`. Paired *differences* (``analysis.compare``)
are never clipped: a difference can take either sign.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import special  # t and normal quantiles; scipy.stats takes ~0.6 s more to import

from partnersim.model import METRICS

__all__ = ["UNIT_BOUNDS", "mean_ci", "metric_bounds", "summary_table", "unit_bounds"]

UNBOUNDED: tuple[float, float] = (-math.inf, math.inf)

# unit (as declared in partnersim.model.METRICS) -> natural range of a value in that unit.
# Units of the form "LOW..HIGH" (such as "0..1", "0..2") are read by unit_bounds itself.
# "fraction" (revenue uplift, >= -1 and unbounded above) and "1/year" (growth rates) have no
# range that holds for any quantity in that unit, so they are left unbounded.
UNIT_BOUNDS: dict[str, tuple[float, float]] = {
    "count": (0.0, math.inf),
    "days": (0.0, math.inf),
    "hours": (0.0, math.inf),
    "staff hours": (0.0, math.inf),
    "currency": (0.0, math.inf),
    "0/1": (0.0, 1.0),
}

_RANGE_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)\s*$")


def unit_bounds(unit: str) -> tuple[float, float]:
    """Natural range ``(low, high)`` of a quantity declared in ``unit``; ``(-inf, inf)`` if none.

    Examples
    --------
    >>> unit_bounds("count"), unit_bounds("0..1"), unit_bounds("1/year")
    ((0.0, inf), (0.0, 1.0), (-inf, inf))
    """
    if unit in UNIT_BOUNDS:
        return UNIT_BOUNDS[unit]
    m = _RANGE_UNIT.match(unit)
    if m:
        return (float(m.group(1)), float(m.group(2)))
    return UNBOUNDED


def metric_bounds(name: str) -> tuple[float, float]:
    """Natural range of a summary metric, from its unit in :data:`partnersim.model.METRICS`.

    An unknown metric is unbounded.

    Examples
    --------
    >>> metric_bounds("opportunities_lost"), metric_bounds("final_trust")
    ((0.0, inf), (0.0, 1.0))
    """
    unit = METRICS.get(name, ("", ""))[0]
    return unit_bounds(unit)


def mean_ci(
    values: np.ndarray | pd.Series,
    level: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float, float, int]:
    """Mean and two-sided Student-t confidence interval of the finite values.

    Returns ``(mean, low, high, n)``; with fewer than two values the interval is NaN.
    With ``bounds=(lo, hi)``, the natural range of the quantity, the interval is clipped
    to it (never past the mean): the t interval of a mean of mostly-zero counts would
    otherwise reach below zero. Do not pass bounds for a difference, which can be negative.

    Examples
    --------
    >>> m, lo, hi, n = mean_ci(np.array([1.0, 2.0, 3.0]))
    >>> (m, n, round(lo, 3), round(hi, 3))
    (2.0, 3, -0.484, 4.484)
    >>> m, lo, hi, n = mean_ci(np.array([1.0, 2.0, 3.0]), bounds=(0.0, math.inf))
    >>> (m, n, round(lo, 3), round(hi, 3))
    (2.0, 3, 0.0, 4.484)
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return (math.nan, math.nan, math.nan, 0)
    m = float(x.mean())
    if n < 2:
        return (m, math.nan, math.nan, n)
    se = float(x.std(ddof=1)) / math.sqrt(n)
    h = float(special.stdtrit(n - 1, 0.5 + level / 2.0)) * se  # = scipy.stats.t.ppf
    lo, hi = m - h, m + h
    if bounds is not None:
        low, high = bounds
        lo = max(lo, min(low, m))
        hi = min(hi, max(high, m))
    return (m, lo, hi, n)


def summary_table(
    rows: pd.DataFrame,
    metrics: list[str] | tuple[str, ...],
    level: float = 0.95,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Mean and confidence interval per metric of a one-row-per-replication frame.

    Columns: ``metric, mean, ci_low, ci_high, n`` (``n`` counts finite values).
    ``ci_low``/``ci_high`` is the Student-t interval of the mean, clipped to the metric's
    natural range: ``bounds[metric]`` when given, else :func:`metric_bounds` (from the
    metric's unit; counts, days, hours and money are >= 0, ``0/1`` and ``0..1`` metrics lie
    in [0, 1]; metrics without a range, and unknown ones, are not clipped).

    Examples
    --------
    >>> rows = pd.DataFrame({"opportunities_lost": [0.0] * 19 + [1.0]})
    >>> summary_table(rows, ["opportunities_lost"])[["mean", "ci_low"]].to_numpy().tolist()
    [[0.05, 0.0]]
    """
    out = []
    for name in metrics:
        if name not in rows:
            continue
        b = bounds[name] if bounds is not None and name in bounds else metric_bounds(name)
        m, lo, hi, n = mean_ci(rows[name].to_numpy(dtype=float), level, bounds=b)
        out.append({"metric": name, "mean": m, "ci_low": lo, "ci_high": hi, "n": n})
    return pd.DataFrame(out, columns=["metric", "mean", "ci_low", "ci_high", "n"])
