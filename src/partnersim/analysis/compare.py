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

import numpy as np
import pandas as pd
from scipy import special  # t quantiles and tails; scipy.stats takes ~0.6 s more to import

from partnersim.model import METRICS
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

#: The metrics a client reads first (the public contract of DESIGN.md, but ``exit_day``).
MAIN_METRICS: tuple[str, ...] = (
    "survived", "joint_revenue", "revenue_growth_a", "revenue_growth_b", "conflicts_raised",
    "conflicts_resolved", "escalations", "mean_resolution_days", "mean_open_conflicts", "mean_response_hours",
    "mean_decision_days", "final_trust", "final_alignment", "fairness_a", "fairness_b", "meeting_hours",
    "initiatives_started", "initiatives_completed", "customer_satisfaction", "team_satisfaction",
)

#: Plain-language names; ``{A}`` and ``{B}`` stand for the partners' names.
METRIC_LABELS: dict[str, str] = {
    "joint_revenue": "joint revenue",
    "revenue_growth_a": "{A}'s annual revenue growth",
    "revenue_growth_b": "{B}'s annual revenue growth",
    "survived": "the chance that the partnership survives",
    "exit_day": "the end of a partnership that fails",
    "conflicts_raised": "the number of conflicts",
    "conflicts_resolved": "the number of conflicts resolved",
    "escalations": "the number of escalations",
    "mean_resolution_days": "the time to resolve a conflict",
    "mean_open_conflicts": "the number of open conflicts at a time",
    "mean_response_hours": "the time to answer a message",
    "mean_decision_days": "the time to decide on an opportunity",
    "final_trust": "final trust",
    "final_alignment": "final alignment",
    "fairness_a": "{A}'s perceived fairness",
    "fairness_b": "{B}'s perceived fairness",
    "meeting_hours": "time spent in meetings",
    "initiatives_started": "the number of joint initiatives started",
    "initiatives_completed": "the number of joint initiatives completed",
    "customer_satisfaction": "customer satisfaction",
    "team_satisfaction": "team satisfaction",
    "revenue_uplift_a": "{A}'s revenue gain over going it alone",
    "revenue_uplift_b": "{B}'s revenue gain over going it alone",
    "exit_by_trust": "the chance of a break-up over lost trust",
    "exit_by_outgrowth": "the chance of a break-up because one partner outgrew the other",
    "renegotiations": "the number of renegotiations",
    "conflicts_surfaced_at_meetings": "the number of conflicts caught at meetings",
    "flare_ups": "the number of conflicts that flared up",
    "resolved_within_target": "the number of conflicts resolved in time",
    "unresolved_at_end": "the number of conflicts open at the end",
    "mean_trust": "average trust",
    "mean_alignment": "average alignment",
    "min_fairness": "the less satisfied partner's perceived fairness",
    "messages": "the number of messages",
    "decisions": "the number of decisions",
    "opportunities": "the number of opportunities",
    "opportunities_lost": "the number of opportunities lost to slow decisions",
    "initiatives_failed": "the number of failed initiatives",
    "milestones_missed": "the number of late milestones",
    "on_time_rate": "the share of milestones on time",
    "contribution_money_a": "{A}'s money contribution",
    "contribution_money_b": "{B}'s money contribution",
    "contribution_hours_a": "{A}'s staff-hour contribution",
    "contribution_hours_b": "{B}'s staff-hour contribution",
    "spending": "partnership spending",
    "fund_balance": "the partnership fund at the end",
    "facilitator_spend": "spending on facilitators",
    "meetings_held": "the number of meetings",
    "informal_interactions": "the number of informal contacts",
    "market_shifts": "the number of market shifts",
    "depth_reached": "the depth the partnership reaches",
}


def metric_label(metric: str, partners: tuple[str, str] | None = None, *, capitalize: bool = False) -> str:
    """A plain-language name for a metric, with the partners' names filled in.

    Examples
    --------
    >>> metric_label("fairness_b", capitalize=True)
    "Partner B's perceived fairness"
    >>> metric_label("fairness_b", ("Large Co", "Small Co"))
    "Small Co's perceived fairness"
    """
    a, b = partners or ("partner A", "partner B")
    text = METRIC_LABELS.get(metric, metric.replace("_", " ")).format(A=a, B=b)
    return text[:1].upper() + text[1:] if capitalize else text


def _partner_names(*scenarios: Scenario) -> tuple[str, str]:
    """The partners' names if every scenario agrees on them (and they are real names)."""
    names = {(s.partner_a.name, s.partner_b.name) for s in scenarios}
    if len(names) == 1:
        a, b = names.pop()
        if a and b and a != b and (a, b) != ("A", "B"):
            return (a, b)
    return ("partner A", "partner B")


def format_number(x: float) -> str:
    """A number for people: thousands separated, about three significant digits.

    Examples
    --------
    >>> [format_number(v) for v in (123456.7, 12.345, 0.21345, -3.0)]
    ['123,457', '12.3', '0.213', '-3']
    """
    if not math.isfinite(x):
        return "n/a"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}".removesuffix(".0")
    return f"{x:.3g}"


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
               "unit": METRICS.get(name, ("", ""))[0]}
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
               "unit": METRICS.get(name, ("", ""))[0]}
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


_PERCENT_UNITS = ("0/1", "fraction", "1/year")
_UNIT_WORDS = {"days": " days", "hours": " hours", "staff hours": " staff hours", "currency": " (currency)",
               "0/1": " percentage points", "fraction": " percentage points", "1/year": " percentage points a year"}


_DIRECTION_WORDS = {"exit_day": ("later", "earlier"), "mean_resolution_days": ("longer", "shorter"),
                    "mean_response_hours": ("longer", "shorter"), "mean_decision_days": ("longer", "shorter")}


def _num(value: float, unit: str) -> str:
    return format_number(100 * value if unit in _PERCENT_UNITS else value)


def describe_difference(row: pd.Series | dict, name_a: str = "A", name_b: str = "B",
                        partners: tuple[str, str] | None = None, level: float = 0.95) -> str:
    """One sentence reading a row of a comparison table (``diff = b - a``).

    Examples
    --------
    >>> row = {"metric": "fairness_b", "mean_a": 0.41, "mean_b": 0.62, "diff": 0.21,
    ...        "ci_low": 0.18, "ci_high": 0.24, "unit": "0..1"}
    >>> print(describe_difference(row, "equal funding", "proportional funding"))
    Partner B's perceived fairness is higher by 0.21 (95% CI 0.18–0.24) with proportional funding than with \
equal funding (0.41 → 0.62, on a 0–1 scale).
    >>> row = {"metric": "survived", "mean_a": 0.86, "mean_b": 0.93, "diff": 0.07,
    ...        "ci_low": 0.03, "ci_high": 0.11, "unit": "0/1"}
    >>> print(describe_difference(row, "monthly reviews", "weekly check-ins"))
    The chance that the partnership survives is higher by 7 percentage points (95% CI 3–11) with weekly \
check-ins than with monthly reviews (86% → 93%).
    """
    r = dict(row)
    metric = str(r["metric"])
    unit = str(r.get("unit") or METRICS.get(metric, ("", ""))[0])
    diff, lo, hi = float(r["diff"]), float(r["ci_low"]), float(r["ci_high"])
    mean_a, mean_b = float(r["mean_a"]), float(r["mean_b"])
    label = metric_label(metric, partners, capitalize=True)
    pct = "%" if unit in _PERCENT_UNITS else ""
    if diff == 0:
        return f"{label} is the same with {name_b} as with {name_a} ({_num(mean_a, unit)}{pct})."
    up, down = _DIRECTION_WORDS.get(metric, ("higher", "lower"))
    word = up if diff > 0 else down
    if not (math.isfinite(lo) and math.isfinite(hi)):
        ci = "no interval: too few runs"
    elif lo > 0 or hi < 0:  # the interval is on one side: say it in the direction of the change
        a_, b_ = sorted((abs(lo), abs(hi)))
        ci = f"{level:.0%} CI {_num(a_, unit)}–{_num(b_, unit)}"
    else:
        ci = f"{level:.0%} CI {_num(lo, unit)} to {_num(hi, unit)}, so the direction is uncertain"
    scale = {"0..1": ", on a 0–1 scale", "0..2": ", on a 0–2 scale"}.get(unit, "")
    levels = f"{_num(mean_a, unit)}{pct} → {_num(mean_b, unit)}{pct}{scale}"
    amount = f"{_num(abs(diff), unit)}{_UNIT_WORDS.get(unit, '')}"
    return f"{label} is {word} by {amount} ({ci}) with {name_b} than with {name_a} ({levels})."


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

    @property
    def names(self) -> tuple[str, str]:
        """The two scenarios' names (``"A"``/``"B"`` if they have the same name)."""
        na, nb = self.a.scenario.name, self.b.scenario.name
        return (na, nb) if na != nb else (f"A ({na})", f"B ({nb})")

    @property
    def partners(self) -> tuple[str, str]:
        """The partners' names, when both scenarios agree on them."""
        return _partner_names(self.a.scenario, self.b.scenario)

    def significant(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows with a significant difference (Holm-adjusted), largest effect first."""
        t = self.table[self.table["significant"]]
        if metrics is not None:
            t = t[t["metric"].isin(list(metrics))]
        return t.reindex(t["effect_size"].abs().sort_values(ascending=False, na_position="first").index)

    def reading(self, metrics: Sequence[str] | None = None) -> list[str]:
        """Plain-language sentences for the significant differences, largest effect first."""
        na, nb = self.names
        return [describe_difference(r, na, nb, self.partners, self.level)
                for _, r in self.significant(metrics).iterrows()]

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
            level: float = 0.95, alpha: float = 0.05, progress: bool | None = None) -> Comparison:
    """Compare scenario B with scenario A on common random numbers.

    Replication ``i`` of A and of B share the seed ``(seed, i)`` and every mechanism's
    random stream; the table holds the paired differences ``b - a``.

    Parameters
    ----------
    a, b
        The current and the proposed structure (scenario, TOML path or bundled name).
    reps, seed
        Replications and seed of both ensembles.
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
    sa, sb = as_scenario(a), as_scenario(b)
    seed = int(seed)
    ens_a, ens_b = run_ensembles([(sa, seed), (sb, seed if paired else seed + 1)], reps, workers, progress)
    fn = paired_differences if paired else independent_differences
    return Comparison(ens_a, ens_b, fn(ens_a.runs, ens_b.runs, metrics, level, alpha), paired, level, alpha)
