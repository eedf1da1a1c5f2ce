"""Small statistics used across faces: means with confidence intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["mean_ci", "summary_table"]


def mean_ci(values: np.ndarray | pd.Series, level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and two-sided Student-t confidence interval of the finite values.

    Returns ``(mean, low, high, n)``; with fewer than two values the interval is NaN.

    Examples
    --------
    >>> m, lo, hi, n = mean_ci(np.array([1.0, 2.0, 3.0]))
    >>> (m, n, round(lo, 3), round(hi, 3))
    (2.0, 3, -0.484, 4.484)
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
    h = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * se
    return (m, m - h, m + h, n)


def summary_table(rows: pd.DataFrame, metrics: list[str] | tuple[str, ...], level: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval per metric of a one-row-per-replication frame.

    Columns: ``metric, mean, ci_low, ci_high, n`` (``n`` counts finite values).
    """
    out = []
    for name in metrics:
        if name not in rows:
            continue
        m, lo, hi, n = mean_ci(rows[name].to_numpy(dtype=float), level)
        out.append({"metric": name, "mean": m, "ci_low": lo, "ci_high": hi, "n": n})
    return pd.DataFrame(out, columns=["metric", "mean", "ci_low", "ci_high", "n"])
