"""Results in words for people: the bottom line, the cost of a change and the findings, ranked.

The one source of the plain-language reading: the command line, the HTML report and the
apps all call these functions, so that they say the same thing in the same words. The
numbers and names they use are in :mod:`partnersim.analysis.units` (re-exported here).

- Numbers in human units: shares as percentages, 0-1 scores out of 100, money in the
  scenario's ``currency``, times in days or hours (:func:`format_value`, :func:`format_change`).
- Findings ranked by what matters to a partnership (:data:`PRIORITY`: survival, joint
  revenue, each partner's fairness, trust, conflicts, ...), not by effect size; what a change
  costs (meeting hours, money: :data:`COSTS`) said as a cost (:func:`cost_sentences`).
- Time to a break-up read from the survival curve, so that partnerships still together at
  the end count (:func:`survival_numbers`; ``days_together`` is the restricted mean).
- "Likely between X and Y" is a 95% confidence interval of the mean (of the paired difference).

Examples
--------
>>> format_value(0.934, "0/1"), format_value(0.62, "0..1"), format_value(515047.2, "currency", "EUR")
('93.4%', '62/100', 'EUR 515,047')
>>> format_change(0.07, "0/1"), format_change(-118180, "currency", "$"), format_change(2.5, "days")
('+7 percentage points', '-$118,180', '+2.5 days')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from partnersim.analysis.units import (
    _HUNDRED,
    DAYS_PER_MONTH,
    DERIVED_METRICS,
    METRIC_LABELS,
    currency_of,
    display_name,
    format_change,
    format_change_range,
    format_number,
    format_range,
    format_value,
    human_unit,
    metric_label,
    metric_unit,
    money_text,
    months_text,
    partner_names,
    short_label,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from partnersim.analysis.compare import Comparison
    from partnersim.run.ensemble import Ensemble

__all__ = [
    "COSTS",
    "DERIVED_METRICS",
    "HIGHER_IS_BETTER",
    "METRIC_LABELS",
    "NOT_FINDINGS",
    "PRIORITY",
    "bottom_line",
    "cost_sentences",
    "currency_of",
    "days_together",
    "describe_difference",
    "display_name",
    "ensemble_headline",
    "findings",
    "format_change",
    "format_number",
    "format_change_range",
    "format_range",
    "format_value",
    "human_unit",
    "metric_label",
    "metric_unit",
    "money_text",
    "months_text",
    "partner_names",
    "short_label",
    "survival_numbers",
]

PRIORITY: tuple[str, ...] = (
    "survived", "days_together", "joint_revenue", "fairness_a", "fairness_b", "final_trust", "conflicts_raised",
    "escalations", "mean_open_conflicts", "mean_resolution_days", "revenue_growth_a", "revenue_growth_b",
    "final_alignment", "customer_satisfaction", "team_satisfaction", "initiatives_completed", "mean_decision_days",
    "mean_response_hours", "initiatives_started", "min_fairness",
)

#: What a change costs: said as a cost, after the bottom line, never as a finding.
COSTS: tuple[str, ...] = ("meeting_hours", "contribution_money_a", "contribution_money_b", "facilitator_spend",
                          "contribution_hours_a", "contribution_hours_b")

#: Metrics that are no finding on their own: fewer conflicts resolved may just mean fewer arose, and
#: ``exit_day`` averages only the runs that ended (``days_together`` reads it properly).
NOT_FINDINGS: tuple[str, ...] = ("conflicts_resolved", "exit_day")

#: Which way is better, for the metrics of :data:`PRIORITY`.
HIGHER_IS_BETTER: dict[str, bool] = {
    "survived": True, "days_together": True, "joint_revenue": True, "fairness_a": True, "fairness_b": True,
    "final_trust": True, "conflicts_raised": False, "escalations": False, "mean_open_conflicts": False,
    "mean_resolution_days": False, "revenue_growth_a": True, "revenue_growth_b": True, "final_alignment": True,
    "customer_satisfaction": True, "team_satisfaction": True, "initiatives_completed": True,
    "mean_decision_days": False, "mean_response_hours": False, "initiatives_started": True, "min_fairness": True,
}

#: Plain-language names; ``{A}`` and ``{B}`` stand for the partners' names.
_DIRECTION_WORDS = {"exit_day": ("later", "earlier"), "days_together": ("longer", "shorter"),
                    "mean_resolution_days": ("longer", "shorter"), "mean_response_hours": ("longer", "shorter"),
                    "mean_decision_days": ("longer", "shorter")}


def _amount(d: float, unit: str, currency: str) -> str:
    return format_change(abs(d), unit, currency, sign=False)


def _range(lo: float, hi: float, unit: str, currency: str) -> str:
    """``likely between X and Y``; both in the metric's unit, no signs when on one side of zero."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "too few runs to say how sure"
    if lo > 0 or hi < 0:
        a, b = sorted((abs(lo), abs(hi)))
        first = _amount(a, unit, currency)
        second = _amount(b, unit, currency)
        word = human_unit(unit, currency) if unit not in _HUNDRED else ("points" if unit == "0..1" else
                                                                       "percentage points")
        if word and first.endswith(" " + word):  # the unit once: "between 3 and 5 days"
            first = first.removesuffix(" " + word)
        return f"likely between {first} and {second}"
    return (f"the direction is uncertain: between {format_change(lo, unit, currency)} and "
            f"{format_change(hi, unit, currency)}")


# -- one difference -------------------------------------------------------------------
def describe_difference(row: pd.Series | Mapping[str, Any], name_a: str = "A", name_b: str = "B",
                        partners: tuple[str, str] | None = None, level: float = 0.95, currency: str = "") -> str:
    """One sentence reading a row of a comparison table (``diff = b - a``).

    ``level`` is kept for callers: the sentence says "likely" for the interval, whatever its level.

    Examples
    --------
    >>> row = {"metric": "fairness_b", "mean_a": 0.41, "mean_b": 0.62, "diff": 0.21,
    ...        "ci_low": 0.18, "ci_high": 0.24, "unit": "0..1"}
    >>> print(describe_difference(row, "equal funding", "proportional funding"))
    Partner B's perceived fairness is higher by 21 points with proportional funding than with equal funding \
(41/100 → 62/100; likely between 18 and 24 points).
    >>> row = {"metric": "survived", "mean_a": 0.86, "mean_b": 0.93, "diff": 0.07,
    ...        "ci_low": 0.03, "ci_high": 0.11, "unit": "0/1"}
    >>> print(describe_difference(row, "monthly reviews", "weekly check-ins"))
    The chance that the partnership survives is higher by 7 percentage points with weekly check-ins than with \
monthly reviews (86% → 93%; likely between 3 and 11 percentage points).
    """
    r = dict(row)
    metric = str(r["metric"])
    unit = str(r.get("unit") or metric_unit(metric))
    diff, lo, hi = float(r["diff"]), float(r["ci_low"]), float(r["ci_high"])
    mean_a, mean_b = float(r["mean_a"]), float(r["mean_b"])
    label = metric_label(metric, partners, capitalize=True)
    if diff == 0:
        return f"{label} is the same with {name_b} as with {name_a} ({format_value(mean_a, unit, currency)})."
    up, down = _DIRECTION_WORDS.get(metric, ("higher", "lower"))
    word = up if diff > 0 else down
    levels = f"{format_value(mean_a, unit, currency)} → {format_value(mean_b, unit, currency)}"
    how_sure = _range(lo, hi, unit, currency)
    if lo == hi == diff:
        how_sure = "the same in every pair of runs"
    return (f"{label} is {word} by {_amount(diff, unit, currency)} with {name_b} than with {name_a} "
            f"({levels}; {how_sure}).")


# -- a comparison ---------------------------------------------------------------------
def _rows(c: Comparison) -> dict[str, dict[str, Any]]:
    return {str(r["metric"]): dict(r) for _, r in c.table.iterrows()}


def findings(c: Comparison, metrics: Sequence[str] | None = None, limit: int | None = None,
             names: tuple[str, str] | None = None) -> list[str]:
    """Sentences for the significant differences, in the order of what matters (:data:`PRIORITY`).

    Costs (:data:`COSTS`) are left to :func:`cost_sentences`, and :data:`NOT_FINDINGS` out;
    ``metrics`` gives the metrics and their order instead; ``names`` the two scenarios' names
    in the sentences (default ``c.names``).
    """
    rows = _rows(c)
    order = list(metrics) if metrics is not None else [m for m in PRIORITY if m not in COSTS]
    na, nb = names or c.names
    partners, currency = c.partners, c.currency
    out = []
    for m in order:
        r = rows.get(m)
        if r is None or m in NOT_FINDINGS or not bool(r["significant"]):
            continue
        out.append(describe_difference(r, na, nb, partners, c.level, currency))
    return out[:limit] if limit is not None else out


def cost_sentences(c: Comparison) -> list[str]:
    """What the change costs (or saves), in staff hours and money, per partner where it differs."""
    rows = _rows(c)
    pa, pb = c.partners
    currency = c.currency
    months = max(c.a.scenario.horizon_days, c.b.scenario.horizon_days) / DAYS_PER_MONTH
    out = []
    r = rows.get("meeting_hours")
    if r is not None and bool(r["significant"]) and float(r["diff"]) != 0:
        d = float(r["diff"])
        per_week = abs(d) / (months * DAYS_PER_MONTH / 7)
        verb = "costs" if d > 0 else "saves"
        period = months_text(months * DAYS_PER_MONTH)
        out.append(f"The change {verb} {format_number(abs(d))} staff hours of meetings over the {period} "
                   f"(about {format_number(per_week)} hours a week, both partners together; "
                   f"{format_number(float(r['mean_a']))} → {format_number(float(r['mean_b']))} hours).")
    money = []
    for key, who in (("contribution_money_a", pa), ("contribution_money_b", pb)):
        r = rows.get(key)
        if r is not None and bool(r["significant"]) and float(r["diff"]) != 0:
            d = float(r["diff"])
            money.append(f"{who} puts in {_amount(d, 'currency', currency)} {'more' if d > 0 else 'less'} "
                         f"({format_value(float(r['mean_a']), 'currency', currency)} → "
                         f"{format_value(float(r['mean_b']), 'currency', currency)})")
    if money:
        out.append("Money: " + "; ".join(money) + ".")
    r = rows.get("facilitator_spend")
    if r is not None and bool(r["significant"]) and float(r["diff"]) != 0:
        d = float(r["diff"])
        out.append(f"{_amount(d, 'currency', currency)} {'more' if d > 0 else 'less'} is spent on facilitators "
                   f"({format_value(float(r['mean_a']), 'currency', currency)} → "
                   f"{format_value(float(r['mean_b']), 'currency', currency)}).")
    if not out:
        out.append("The change costs no clearly different staff time or money.")
    return out


def _versus(r: Mapping[str, Any] | None, unit: str, currency: str, name_a: str) -> str:
    if r is None:
        return "n/a"
    b, a = format_value(float(r["mean_b"]), unit, currency), format_value(float(r["mean_a"]), unit, currency)
    return f"{b} ({a} with {name_a})"


def bottom_line(c: Comparison) -> list[str]:
    """Two or three sentences: survival and joint revenue; each partner's fairness and the conflicts;
    on balance, how many of the outcomes that matter B clearly improves or worsens."""
    rows = _rows(c)
    pa, pb = c.partners
    cur = c.currency
    na, nb = c.names
    months = max(c.a.scenario.horizon_days, c.b.scenario.horizon_days) / DAYS_PER_MONTH
    out = [f"With {nb}, {_versus(rows.get('survived'), '0/1', cur, 'A')} of the simulated partnerships are still "
           f"together after {months_text(months * DAYS_PER_MONTH)}, and joint revenue over the period is "
           f"{_versus(rows.get('joint_revenue'), 'currency', cur, 'A')}."]
    out.append(f"{pa}'s perceived fairness is {_versus(rows.get('fairness_a'), '0..1', cur, 'A')}, {pb}'s "
               f"{_versus(rows.get('fairness_b'), '0..1', cur, 'A')}; conflicts number "
               f"{_versus(rows.get('conflicts_raised'), 'count', cur, 'A')}, escalations "
               f"{_versus(rows.get('escalations'), 'count', cur, 'A')}.")
    better, worse = [], []
    for m in PRIORITY:
        r = rows.get(m)
        if r is None or m not in HIGHER_IS_BETTER or not bool(r["significant"]) or float(r["diff"]) == 0:
            continue
        good = (float(r["diff"]) > 0) == HIGHER_IS_BETTER[m]
        label = short_label(m, (pa, pb))
        if not label.startswith((pa, pb)):
            label = label[:1].lower() + label[1:]
        (better if good else worse).append(label)
    if better or worse:
        def listed(items: list[str]) -> str:
            return f" ({', '.join(items[:4])}{', ...' if len(items) > 4 else ''})" if items else ""

        parts = [f"clearly better on {len(better)}{listed(better)}"] if better else []
        parts.append(f"clearly worse on {len(worse)}{listed(worse)}" if worse else "clearly worse on none")
        out.append(f"Of the outcomes that matter most, B ({nb}) is " + " and ".join(parts) + ".")
    else:
        out.append(f"On the outcomes that matter most, {c.a.reps} paired runs show no clear difference between A "
                   "and B.")
    return out


# -- one ensemble ---------------------------------------------------------------------
def days_together(runs: pd.DataFrame, horizon_days: float) -> np.ndarray:
    """Days each run's partnership lasted: its exit day, or the horizon if it was still together."""
    ended = runs["survived"].to_numpy(dtype=float) < 0.5
    exit_day = runs["exit_day"].to_numpy(dtype=float)
    return np.where(ended & np.isfinite(exit_day), exit_day, float(horizon_days))


def survival_numbers(e: Ensemble) -> dict[str, float]:
    """Survival read from the Kaplan-Meier curve (runs still together at the end count as such).

    Returns ``survival`` (the share still together at the horizon), ``median_days`` (the
    median time to a break-up; NaN when fewer than half break up within the period),
    ``days_together`` (the restricted mean: average days together, up to the horizon) and
    ``horizon_days``.
    """
    km = e.survival()
    below = km[km["survival"] <= 0.5]
    return {"survival": float(km["survival"].iloc[-1]),
            "median_days": float(below["time"].iloc[0]) if len(below) else math.nan,
            "days_together": float(days_together(e.runs, e.scenario.horizon_days).mean()),
            "horizon_days": float(e.scenario.horizon_days)}


def ensemble_headline(e: Ensemble) -> list[str]:
    """Two sentences on one scenario: survival and joint revenue; trust, fairness and conflicts."""
    runs = e.runs
    pa, pb = partner_names(e.scenario)
    cur = currency_of(e.scenario)
    sv = survival_numbers(e)
    mean = {m: float(np.nanmean(runs[m].to_numpy(dtype=float))) if m in runs and runs[m].notna().any()
            else math.nan for m in ("joint_revenue", "final_trust", "fairness_a", "fairness_b",
                                    "conflicts_raised", "escalations")}
    if math.isfinite(sv["median_days"]):
        lasting = f"half of them break up within {format_number(sv['median_days'] / DAYS_PER_MONTH)} months"
    elif sv["survival"] < 1:
        lasting = (f"{format_value(1 - sv['survival'], '0/1')} break up; on average a partnership lasts "
                   f"{format_number(sv['days_together'] / DAYS_PER_MONTH)} of the {months_text(sv['horizon_days'])}")
    else:
        lasting = "none breaks up"
    first = (f"{format_value(sv['survival'], '0/1')} of the simulated partnerships are still together after "
             f"{months_text(sv['horizon_days'])} ({lasting}); joint revenue over the period averages "
             f"{format_value(mean['joint_revenue'], 'currency', cur)}.")
    fa, fb = format_value(mean["fairness_a"], "0..1"), format_value(mean["fairness_b"], "0..1")
    second = (f"Trust ends at {format_value(mean['final_trust'], '0..1')} on average, {pa}'s perceived fairness "
              f"at {fa} and {pb}'s at {fb}; "
              f"about {format_number(mean['conflicts_raised'])} conflicts arise, "
              f"{format_number(mean['escalations'])} of them escalated.")
    return [first, second]
