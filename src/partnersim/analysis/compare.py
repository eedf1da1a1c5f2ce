"""Paired comparison of two scenarios on common random numbers.

Replication ``i`` of scenario A and replication ``i`` of scenario B run with the same
seed and, inside the model, the same per-mechanism random streams. What differs between
the two runs of a pair is what the scenarios change, so the paired differences
``b - a`` vary far less than two independent samples would, and the confidence
interval of the mean difference is narrower for the same number of runs.

Sign convention: ``diff = mean(b - a)``. A positive difference means the metric is
higher under B (the proposed structure) than under A (the current one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special  # t quantiles and tails; scipy.stats takes ~0.6 s more to import

from partnersim.analysis import reading as _reading
from partnersim.analysis.reading import (
    METRIC_LABELS,
    describe_difference,
    format_number,
    metric_label,
    metric_unit,
)
from partnersim.analysis.reading import partner_names as _partner_names
from partnersim.run.ensemble import Ensemble, run_ensembles
from partnersim.run.simulate import METRIC_NAMES, as_scenario
from partnersim.scenario import Scenario

__all__ = [
    "COMPARISON_COLUMNS",
    "MAIN_METRICS",
    "METRIC_LABELS",
    "Comparison",
    "compare",
    "describe_difference",
    "format_number",
    "holm",
    "independent_differences",
    "metric_label",
    "paired_differences",
]

#: Columns of a comparison table; the first seven are the public contract (``comparison.csv``).
COMPARISON_COLUMNS = ["metric", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "p_value",
                      "effect_size", "n", "p_holm", "significant", "unit"]

#: The metrics a client reads first, in the order of what matters to a partnership (costs last);
#: the rows of the main tables and of the forest plot.
MAIN_METRICS: tuple[str, ...] = (
    "survived", "days_together", "joint_revenue", "fairness_a", "fairness_b", "final_trust", "conflicts_raised",
    "escalations", "mean_open_conflicts", "mean_resolution_days", "revenue_growth_a", "revenue_growth_b",
    "final_alignment", "customer_satisfaction", "team_satisfaction", "initiatives_completed", "initiatives_started",
    "mean_decision_days", "mean_response_hours", "meeting_hours",
)

def _t_interval(mean: float, se: float, df: float, level: float) -> tuple[float, float, float]:
    """(low, high, two-sided p of mean == 0) of a t statistic."""
    h = float(special.stdtrit(df, 0.5 + level / 2.0)) * se  # = scipy.stats.t.ppf
    p = float(2.0 * special.stdtr(df, -abs(mean / se)))  # = 2 scipy.stats.t.sf(|t|)
    return mean - h, mean + h, p


def _is_constant(d: np.ndarray, scale: float) -> bool:
    return bool(np.ptp(d) <= 1e-12 * max(1.0, scale))


def holm(p: np.ndarray | Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN and does not count as a test).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adj
    return out


def _finish(rows: list[dict], level: float, alpha: float) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=[c for c in COMPARISON_COLUMNS if c not in ("p_holm", "significant")])
    table.insert(table.columns.get_loc("n") + 1, "p_holm", holm(table["p_value"].to_numpy(dtype=float)))
    table.insert(table.columns.get_loc("p_holm") + 1, "significant", table["p_holm"].to_numpy() < alpha)
    table["n"] = table["n"].astype("int64")
    table.attrs["level"] = level
    table.attrs["alpha"] = alpha
    return table


def paired_differences(runs_a: pd.DataFrame, runs_b: pd.DataFrame, metrics: Sequence[str] | None = None,
                       level: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Paired comparison of two one-row-per-replication tables, matched on ``replication``.

    For each metric, the pairs where both values are finite are used (``exit_day`` is
    NaN for a run that survived): ``mean_a`` and ``mean_b`` are their means, ``diff`` the
    mean of ``b - a``, ``ci_low``/``ci_high`` its Student-t interval, ``p_value`` the
    paired t-test, ``effect_size`` Cohen's d_z (mean over standard deviation of the
    differences), ``n`` the pairs used, ``p_holm`` the Holm-adjusted p-value over the
    metrics of the table, and ``significant`` whether ``p_holm < alpha``. When every
    pair differs by the same amount (say ``survived`` is 1 in every run of both), the
    interval is that amount and the p-value is 1 if it is zero, else 0.

    Examples
    --------
    >>> a = pd.DataFrame({"replication": [0, 1, 2, 3], "final_trust": [0.5, 0.6, 0.4, 0.55]})
    >>> b = a.assign(final_trust=a["final_trust"] + [0.1, 0.12, 0.09, 0.11])
    >>> t = paired_differences(a, b, ["final_trust"])
    >>> round(float(t["diff"].iloc[0]), 3), bool(t["significant"].iloc[0])
    (0.105, True)
    """
    names = [m for m in (metrics or METRIC_NAMES) if m in runs_a and m in runs_b]
    both = runs_a[["replication", *names]].merge(runs_b[["replication", *names]], on="replication",
                                                   suffixes=("__a", "__b"), validate="one_to_one")
    rows = []
    for name in names:
        xa = both[f"{name}__a"].to_numpy(dtype=float)
        xb = both[f"{name}__b"].to_numpy(dtype=float)
        ok = np.isfinite(xa) & np.isfinite(xb)
        a_, b_ = xa[ok], xb[ok]
        n = int(ok.sum())
        row = {"metric": name, "mean_a": math.nan, "mean_b": math.nan, "diff": math.nan, "ci_low": math.nan,
               "ci_high": math.nan, "p_value": math.nan, "effect_size": math.nan, "n": n,
               "unit": metric_unit(name)}
        if n:
            d = b_ - a_
            diff = float(d.mean())
            row.update(mean_a=float(a_.mean()), mean_b=float(b_.mean()), diff=diff)
            if n < 2:
                pass  # one pair: a difference, but no interval and no test
            elif _is_constant(d, float(max(np.abs(a_).max(), np.abs(b_).max()))):
                row.update(ci_low=diff, ci_high=diff, p_value=1.0 if diff == 0 else 0.0,
                           effect_size=0.0 if diff == 0 else math.nan)
            else:
                sd = float(d.std(ddof=1))
                lo, hi, p = _t_interval(diff, sd / math.sqrt(n), n - 1, level)
                row.update(ci_low=lo, ci_high=hi, p_value=p, effect_size=diff / sd)
        rows.append(row)
    return _finish(rows, level, alpha)


def independent_differences(runs_a: pd.DataFrame, runs_b: pd.DataFrame, metrics: Sequence[str] | None = None,
                            level: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Unpaired comparison (Welch's t): for runs on independent seeds.

    Same columns as :func:`paired_differences`; ``effect_size`` is Cohen's d with the
    pooled standard deviation and ``n`` the smaller sample.

    Examples
    --------
    >>> a = pd.DataFrame({"replication": [0, 1, 2], "final_trust": [0.5, 0.6, 0.4]})
    >>> b = pd.DataFrame({"replication": [0, 1, 2], "final_trust": [0.7, 0.8, 0.6]})
    >>> round(float(independent_differences(a, b, ["final_trust"])["diff"].iloc[0]), 3)
    0.2
    """
    names = [m for m in (metrics or METRIC_NAMES) if m in runs_a and m in runs_b]
    rows = []
    for name in names:
        a_ = runs_a[name].to_numpy(dtype=float)
        b_ = runs_b[name].to_numpy(dtype=float)
        a_, b_ = a_[np.isfinite(a_)], b_[np.isfinite(b_)]
        na, nb = a_.size, b_.size
        row = {"metric": name, "mean_a": math.nan, "mean_b": math.nan, "diff": math.nan, "ci_low": math.nan,
               "ci_high": math.nan, "p_value": math.nan, "effect_size": math.nan, "n": min(na, nb),
               "unit": metric_unit(name)}
        if na and nb:
            diff = float(b_.mean() - a_.mean())
            row.update(mean_a=float(a_.mean()), mean_b=float(b_.mean()), diff=diff)
            va = float(a_.var(ddof=1)) if na > 1 else math.nan
            vb = float(b_.var(ddof=1)) if nb > 1 else math.nan
            scale = float(max(np.abs(a_).max(), np.abs(b_).max()))
            if na > 1 and nb > 1 and va + vb <= 1e-24 * max(1.0, scale) ** 2:
                row.update(ci_low=diff, ci_high=diff, p_value=1.0 if diff == 0 else 0.0,
                           effect_size=0.0 if diff == 0 else math.nan)
            elif na > 1 and nb > 1:
                se2 = va / na + vb / nb
                df = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
                lo, hi, p = _t_interval(diff, math.sqrt(se2), df, level)
                pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
                row.update(ci_low=lo, ci_high=hi, p_value=p, effect_size=diff / pooled)
        rows.append(row)
    return _finish(rows, level, alpha)


@dataclass(frozen=True, eq=False)
class Comparison:
    """The result of :func:`compare`: both ensembles and the table of differences ``b - a``.

    Attributes
    ----------
    a, b
        The two ensembles (same seed and replications when ``paired``).
    table
        One row per metric, columns :data:`COMPARISON_COLUMNS`.
    paired
        Whether B ran on A's seeds (common random numbers).
    level, alpha
        Confidence level of the intervals; significance level (Holm-adjusted p-values).
    """

    a: Ensemble
    b: Ensemble
    table: pd.DataFrame
    paired: bool = True
    level: float = 0.95
    alpha: float = 0.05
    precision: Any = None  # a PrecisionReport when run adaptively (compare(..., precision=...))

    @property
    def names(self) -> tuple[str, str]:
        """The two scenarios' names as people read them (:func:`~partnersim.analysis.reading.display_name`;
        ``"A (name)"``/``"B (name)"`` if they have the same name)."""
        na, nb = (_reading.display_name(e.scenario.name) for e in (self.a, self.b))
        return (na, nb) if na != nb else (f"A ({na})", f"B ({nb})")

    @property
    def partners(self) -> tuple[str, str]:
        """The partners' names, when both scenarios agree on them."""
        return _partner_names(self.a.scenario, self.b.scenario)

    @property
    def currency(self) -> str:
        """The currency money is shown in, when both scenarios name the same one (else ``""``)."""
        return _reading.currency_of(self.a.scenario, self.b.scenario)

    def significant(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows with a significant difference (Holm-adjusted), largest effect first."""
        t = self.table[self.table["significant"]]
        if metrics is not None:
            t = t[t["metric"].isin(list(metrics))]
        return t.reindex(t["effect_size"].abs().sort_values(ascending=False, na_position="first").index)

    def reading(self, metrics: Sequence[str] | None = None, limit: int | None = None) -> list[str]:
        """The significant differences in words, ranked by what matters to a partnership.

        Survival, joint revenue, each partner's fairness, trust and conflicts come first
        (:data:`partnersim.analysis.reading.PRIORITY`); costs are in :meth:`costs`. This is
        what ``partnersim compare``, the report and the apps print. ``metrics`` gives other
        metrics, in that order.
        """
        return _reading.findings(self, metrics, limit)

    def bottom_line(self) -> list[str]:
        """Two or three sentences: survival, joint revenue, each partner's fairness, conflicts, on balance."""
        return _reading.bottom_line(self)

    def costs(self) -> list[str]:
        """What the change costs (or saves) in meeting hours and money, in the partners' names."""
        return _reading.cost_sentences(self)

    def __repr__(self) -> str:
        na, nb = self.names
        sig = int(self.table["significant"].sum())
        return (f"<Comparison A={na!r} B={nb!r}: {self.a.reps} {'paired ' if self.paired else ''}replications, "
                f"seed {self.a.seed}; {sig} of {len(self.table)} metrics differ significantly; "
                ".reading(), .bottom_line(), .costs(), .table>")

    def to_csv(self, path: str | Path) -> Path:
        """Write the table (``comparison.csv``): the contract columns first."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(p, index=False)
        return p

    def __getitem__(self, key: str) -> pd.Series:
        return self.table[key]

    def _repr_html_(self) -> str:
        return self.table.to_html(index=False)


def compare(a: Scenario | str | Path, b: Scenario | str | Path, reps: int = 100, seed: int = 0,
            workers: int | None = None, *, metrics: Sequence[str] | None = None, paired: bool = True,
            level: float = 0.95, alpha: float = 0.05, progress: bool | None = None,
            precision: Any = None, max_reps: int | None = None, batch: int | None = None) -> Comparison:
    """Compare scenario B with scenario A on common random numbers.

    Replication ``i`` of A and of B share the seed ``(seed, i)`` and every mechanism's
    random stream; the table holds the paired differences ``b - a``.

    Parameters
    ----------
    a, b
        The current and the proposed structure (scenario, TOML path or bundled name).
    reps, seed
        Replications and seed of both ensembles (with ``precision``, ``reps`` is the first
        batch of pairs).
    workers
        Processes (default: every core; ``1`` in this process). Both ensembles share the pool.
    metrics
        Metrics of the table (default: every metric).
    paired
        ``False`` runs B on seed ``seed + 1`` and uses Welch's unpaired test: what you
        would get without common random numbers (for teaching and for checks).
    level, alpha
        Confidence level of the intervals, significance level (Holm-adjusted).
    progress
        Progress bar: ``None`` when slow and standard error is a terminal (or a notebook),
        ``True`` always, ``False`` never.
    precision, max_reps, batch
        Adaptive replications: add pairs in batches (default 10) until the paired
        difference of each target metric is precise enough, at most ``max_reps`` (default
        1000): ``precision={"joint_revenue": 20000, "final_trust": "10%"}`` (see
        :func:`partnersim.analysis.adaptive.adaptive_compare`); ``.precision`` then says how
        many pairs were needed.

    Returns
    -------
    Comparison
        ``.table`` has the columns ``metric, mean_a, mean_b, diff, ci_low, ci_high,
        p_value`` then ``effect_size`` (Cohen's d_z), ``n``, ``p_holm``, ``significant``,
        ``unit``; ``.reading()`` says the significant differences in words.

    Examples
    --------
    >>> from partnersim import compare, load_scenario, with_changes
    >>> short = {"horizon_days": 365}
    >>> eq = with_changes(load_scenario("funding_equal_3to1"), short)
    >>> prop = with_changes(load_scenario("funding_proportional_3to1"), short)
    >>> c = compare(eq, prop, reps=20, seed=1, workers=1)
    >>> list(c.table.columns[:7])
    ['metric', 'mean_a', 'mean_b', 'diff', 'ci_low', 'ci_high', 'p_value']
    >>> bool(c.table.set_index("metric").loc["fairness_b", "diff"] > 0)
    True
    """
    if precision is not None:
        if not paired:
            raise ValueError("precision= needs paired=True (the rule is applied to paired differences)")
        from partnersim.analysis.adaptive import adaptive_compare

        return adaptive_compare(a, b, precision, seed, workers, initial=reps, batch=batch, max_reps=max_reps,
                                metrics=metrics, level=level, alpha=alpha, progress=progress)
    sa, sb = as_scenario(a), as_scenario(b)
    seed = int(seed)
    ens_a, ens_b = run_ensembles([(sa, seed), (sb, seed if paired else seed + 1)], reps, workers, progress)
    return comparison_of(ens_a, ens_b, metrics=metrics, paired=paired, level=level, alpha=alpha)


def comparison_of(ens_a: Ensemble, ens_b: Ensemble, *, metrics: Sequence[str] | None = None, paired: bool = True,
                  level: float = 0.95, alpha: float = 0.05, precision: Any = None) -> Comparison:
    """The :class:`Comparison` of two ensembles already run (paired: on the same seed)."""
    sa, sb = ens_a.scenario, ens_b.scenario
    fn = paired_differences if paired else independent_differences
    names = list(metrics or METRIC_NAMES)
    if metrics is None or "days_together" in names:  # exit_day read with the runs that did not end
        names = [m for m in names if m != "days_together"] + ["days_together"]
    runs_a = ens_a.runs.assign(days_together=_reading.days_together(ens_a.runs, sa.horizon_days))
    runs_b = ens_b.runs.assign(days_together=_reading.days_together(ens_b.runs, sb.horizon_days))
    return Comparison(ens_a, ens_b, fn(runs_a, runs_b, names, level, alpha), paired, level, alpha, precision)
