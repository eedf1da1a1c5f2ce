"""Checks of ensemble statistics against targets: the building blocks of the patterns.

A :class:`Check` is either an *interval* check (a statistic, its target interval and its
confidence interval at level ``1 - alpha``) or a *test* check (a one-sided paired test on common
random numbers). It holds inside its target (a test: significant in the claimed direction), is
*off* when its interval lies outside the target (a test: significant the other way), and has a
normalised distance from its target (0 when it holds, at most :data:`MAX_DISTANCE`), the pieces of
the calibration objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

__all__ = [
    "MAX_DISTANCE",
    "Check",
    "durations",
    "interval_check",
    "km_median_years",
    "paired_check",
    "share_ci",
    "survival_check",
]

MAX_DISTANCE = 3.0

@dataclass(frozen=True)
class Check:
    """One statistic against its target, or one one-sided test.

    Attributes
    ----------
    name
        What is checked.
    kind
        ``"interval"`` or ``"test"``.
    value
        The statistic (a test: the mean difference ``a - b``).
    low, high
        Target interval (a test: ``nan``).
    ci_low, ci_high
        Confidence interval of the statistic at level ``1 - alpha`` (a test: of the difference).
    p_value
        A test's one-sided p-value in the claimed direction (an interval: ``nan``).
    holds
        Inside the target / significant in the claimed direction.
    off
        Significantly off: the interval outside the target / significant the other way.
    distance
        Normalised distance from the target (0 when it holds, at most 3).
    note
        Detail in words.
    """

    name: str
    kind: str
    value: float
    low: float = math.nan
    high: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    holds: bool = False
    off: bool = False
    distance: float = 0.0
    note: str = ""



def share_ci(k: int, n: int, alpha: float = 0.01) -> tuple[float, float]:
    """Clopper-Pearson (exact) interval of a share ``k / n`` at level ``1 - alpha``.

    Examples
    --------
    >>> [round(x, 3) for x in share_ci(5, 10, 0.05)]
    [0.187, 0.813]
    >>> share_ci(0, 10, 0.05)[0]
    0.0
    """
    if n == 0:
        return (math.nan, math.nan)
    lo = 0.0 if k == 0 else float(special.betaincinv(k, n - k + 1, alpha / 2))
    hi = 1.0 if k == n else float(special.betaincinv(k + 1, n - k, 1 - alpha / 2))
    return (lo, hi)


def _interval_distance(value: float, low: float, high: float) -> float:
    if not math.isfinite(value):
        return 1.0
    width = (high - low) if high > low else 1.0
    d = (low - value) / width if value < low else (value - high) / width if value > high else 0.0
    return float(min(MAX_DISTANCE, d))


def interval_check(name: str, value: float, low: float, high: float, ci: tuple[float, float] = (math.nan, math.nan),
                   note: str = "") -> Check:
    """A statistic against its target ``[low, high]``; off when its interval ``ci`` misses the target.

    Examples
    --------
    >>> c = interval_check("share", 0.9, 0.3, 0.7, (0.85, 0.95))
    >>> (c.holds, c.off, round(c.distance, 6))
    (False, True, 0.5)
    """
    holds = bool(math.isfinite(value) and low <= value <= high)
    lo, hi = ci
    off = bool(math.isfinite(lo) and math.isfinite(hi) and (hi < low or lo > high))
    return Check(name, "interval", float(value), low, high, float(lo), float(hi), math.nan, holds, off,
                 0.0 if holds else _interval_distance(value, low, high), note)


def _test_distance(p: float, alpha: float) -> float:
    """0 when ``p < alpha``; else how far the one-sided z is from the critical z, in units of it."""
    if p < alpha:
        return 0.0
    z_crit = float(special.ndtri(1 - alpha))
    z = float(special.ndtri(1 - min(max(p, 1e-12), 1 - 1e-12)))
    return float(min(MAX_DISTANCE, max(0.0, (z_crit - z) / z_crit)))


def paired_check(a: pd.DataFrame, b: pd.DataFrame, metric: str, alternative: str, alpha: float = 0.01,
                 name: str | None = None) -> Check:
    """One-sided paired t-test of ``a[metric]`` against ``b[metric]`` (pairs by row; NaN pairs left out).

    ``alternative`` is ``"less"`` (``a`` lower than ``b``) or ``"greater"``. The logic of
    ``tests/test_behaviours.py::assert_paired``.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    >>> b = pd.DataFrame({"x": [2.1, 2.9, 4.2, 5.0, 6.1]})
    >>> paired_check(a, b, "x", "less").holds
    True
    """
    x, y = a[metric].to_numpy(dtype=float), b[metric].to_numpy(dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    label = name or f"{metric} {'<' if alternative == 'less' else '>'}"
    if ok.sum() < 2:
        return Check(label, "test", math.nan, note=f"{metric}: {int(ok.sum())} defined pairs", distance=1.0)
    d = x[ok] - y[ok]
    if np.all(d == d[0]):  # no variance: the sign decides
        good = d[0] < 0 if alternative == "less" else d[0] > 0
        bad = d[0] > 0 if alternative == "less" else d[0] < 0
        p, p_other = (0.0, 1.0) if good else ((1.0, 0.0) if bad else (1.0, 1.0))
    else:
        p = float(stats.ttest_rel(x[ok], y[ok], alternative=alternative).pvalue)
        other = "greater" if alternative == "less" else "less"
        p_other = float(stats.ttest_rel(x[ok], y[ok], alternative=other).pvalue)
    diff = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan
    h = float(special.stdtrit(d.size - 1, 1 - alpha / 2)) * se if math.isfinite(se) else math.nan
    note = f"{x[ok].mean():.4g} vs {y[ok].mean():.4g} ({int(ok.sum())} pairs)"
    return Check(label, "test", diff, ci_low=diff - h, ci_high=diff + h, p_value=p, holds=p < alpha,
                 off=p_other < alpha, distance=_test_distance(p, alpha), note=note)


def survival_check(a: pd.DataFrame, b: pd.DataFrame, alpha: float = 0.01, name: str = "survived >") -> Check:
    """Exact one-sided McNemar test that ``a`` survives where ``b`` does not more often than the reverse.

    The logic of ``tests/test_behaviours.py::assert_survives_more``.

    Examples
    --------
    >>> a = pd.DataFrame({"survived": [1.0] * 20})
    >>> b = pd.DataFrame({"survived": [0.0] * 8 + [1.0] * 12})
    >>> c = survival_check(a, b)
    >>> c.holds, round(c.p_value, 5)
    (True, 0.00391)
    """
    x, y = a["survived"].to_numpy(dtype=float), b["survived"].to_numpy(dtype=float)
    only_a = int(((x == 1) & (y == 0)).sum())
    only_b = int(((x == 0) & (y == 1)).sum())
    n = only_a + only_b
    p = float(stats.binomtest(only_a, n, 0.5, alternative="greater").pvalue) if n else 1.0
    p_other = float(stats.binomtest(only_b, n, 0.5, alternative="greater").pvalue) if n else 1.0
    note = f"survival {x.mean():.3f} vs {y.mean():.3f}, discordant {only_a}/{only_b}"
    return Check(name, "test", float(x.mean() - y.mean()), p_value=p, holds=p < alpha, off=p_other < alpha,
                 distance=_test_distance(p, alpha), note=note)


def durations(runs: pd.DataFrame, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    ended = runs["survived"].to_numpy(dtype=float) < 0.5
    exit_day = runs["exit_day"].to_numpy(dtype=float)
    return np.where(ended & np.isfinite(exit_day), exit_day, horizon), ended


def km_median_years(runs: pd.DataFrame, horizon: float) -> tuple[float, bool]:
    """Kaplan-Meier median time to exit in years, and whether it was reached before the horizon.

    When the curve never drops to 0.5 the median is only known to exceed the horizon: returns
    ``(horizon in years, False)``.

    Examples
    --------
    >>> runs = pd.DataFrame({"survived": [0, 0, 0, 1], "exit_day": [365.25, 730.5, 1095.75, float("nan")]})
    >>> km_median_years(runs, 3652.0)
    (2.0, True)
    """
    from partnersim.analysis.survival import kaplan_meier

    t, ended = durations(runs, horizon)
    km = kaplan_meier(t, ended)
    below = km[km["survival"] <= 0.5]
    if below.empty:
        return (horizon / 365.25, False)
    return (float(below["time"].iloc[0]) / 365.25, True)
