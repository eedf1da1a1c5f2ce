"""Patterns the model is calibrated to (pattern-oriented modelling), as data plus a check.

A :class:`Pattern` names the ensembles it needs (:class:`Arm`: a bundled scenario, changes, a
horizon) and a check that turns their one-row-per-replication tables into :class:`Check` s:

- an *interval* check: a statistic (a share, a median life) with a target interval and a
  confidence interval at level ``1 - alpha``;
- a *test* check: a one-sided paired test on common random numbers (paired t-test, or the exact
  McNemar test for survival), which holds when ``p < alpha``.

A check *holds* when the statistic is inside its target (a test: significant in the claimed
direction); it is *significantly off* when its confidence interval lies outside the target (a
test: significant in the opposite direction). A pattern holds when all its checks hold, fails when
one is significantly off, and is "off" otherwise; a pattern whose metrics the model does not report
is "not evaluable". Each check also has a normalised *distance* from its target (0 inside it), the
pieces of the calibration objective (:mod:`partnersim.analysis.calibrate`).

The patterns (``../shared/MODEL.md``, issue 11):

- **P1** a typical agreement (the bundled baseline over 5 years) fails or ends early in 30-70% of
  runs (Bamford, Gomes-Casseres & Robinson; Kale & Singh 2009);
- **P2** structure helps without guaranteeing: the consultant's proposal survives 5 years in 53-73%
  of runs (Kale, Dyer & Singh 2002: 63% success with a dedicated alliance function), and more often
  than a handshake deal (the bundled ``handshake``: the baseline without monthly reviews, goal
  clarity 0.2, no informal contact), which survives in 10-50%: Kale et al.'s 50% without a
  dedicated function is for formal alliances, so it bounds a handshake deal from above (seed 000:
  most partnerships fail because they are treated as casual handshake deals), while issue 11 calls
  a handshake that is always dead an artefact (not doomed: at least 10%);
- **P3** median partnership life about 7 years (Bleeke & Ernst): Kaplan-Meier over 10 years;
- **P4** partnerships end in several ways: among runs that end, no exit reason above 80%;
- **B1-B5** the five behaviours of MODEL.md, as in ``tests/test_behaviours.py`` (same scenarios,
  metrics and tests; :func:`paired_check` and :func:`survival_check` are its two tests).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from partnersim.analysis.checks import (
    Check,
    durations,
    interval_check,
    km_median_years,
    paired_check,
    share_ci,
    survival_check,
)
from partnersim.model import METRICS
from partnersim.scenario import Scenario, load_scenario, with_changes

__all__ = [
    "BEHAVIOURS",
    "EXIT_METRICS",
    "PATTERNS",
    "SEED",
    "Arm",
    "Check",
    "Pattern",
    "PatternReport",
    "PatternResult",
    "evaluate_patterns",
    "interval_check",
    "km_median_years",
    "paired_check",
    "patterns_markdown",
    "select_patterns",
    "share_ci",
    "survival_check",
]

#: Seed of the pattern ensembles (the seed of tests/test_behaviours.py).
SEED = 20261123
#: The exit reasons of P4, one 0/1 metric each.
EXIT_METRICS = ("exit_by_trust", "exit_by_shortfall", "exit_by_outgrowth", "exit_by_agreement")
FIVE_YEARS = 1826.0
TEN_YEARS = 3650.0  # the longest horizon a scenario allows (schema: horizon_days <= 3650)


@dataclass(frozen=True)
class Arm:
    """One ensemble a pattern needs: a bundled scenario with changes.

    Attributes
    ----------
    key
        Name of the arm (the key of its runs in the check).
    base
        Bundled scenario name (or a TOML path).
    changes
        Dotted-path changes applied to it (a horizon, a lever).
    reps_factor
        Replications as a multiple of the evaluation's ``reps`` (rare events need more).
    """

    key: str
    base: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    reps_factor: int = 1

    def scenario(self, coefficients: Mapping[str, Any] | None = None) -> Scenario:
        """The arm's scenario, with ``coefficients`` (a calibration point) applied last."""
        sc = with_changes(load_scenario(self.base), dict(self.changes)) if self.changes else load_scenario(self.base)
        return with_changes(sc, dict(coefficients)) if coefficients else sc


@dataclass(frozen=True)
class PatternResult:
    """A pattern's checks on one set of ensembles.

    ``status`` is ``"holds"``, ``"off"`` (not inside the target, but not significantly),
    ``"fails"`` (a check significantly off) or ``"not evaluable"``; ``distance`` is the mean of the
    checks' distances (``nan`` when not evaluable).
    """

    id: str
    name: str
    checks: tuple[Check, ...]
    status: str
    distance: float
    note: str = ""

    @property
    def holds(self) -> bool | None:
        """True / False, or None when not evaluable."""
        return None if self.status == "not evaluable" else self.status == "holds"


Evaluator = Callable[[Mapping[str, pd.DataFrame], float], "list[Check] | str"]


@dataclass(frozen=True)
class Pattern:
    """A pattern: what it claims, its source, the ensembles it needs and its check.

    ``evaluate(runs, alpha)`` gets the arms' runs by key and returns the checks, or a string
    saying why the pattern cannot be evaluated on this model.
    """

    id: str
    name: str
    source: str
    arms: tuple[Arm, ...]
    evaluate: Evaluator
    alpha: float = 0.01

    def check(self, runs: Mapping[str, pd.DataFrame], alpha: float | None = None) -> PatternResult:
        """Evaluate the pattern on its arms' runs."""
        a = self.alpha if alpha is None else alpha
        out = self.evaluate(runs, a)
        if isinstance(out, str):
            return PatternResult(self.id, self.name, (), "not evaluable", math.nan, out)
        checks = tuple(out)
        if all(c.holds for c in checks):
            status = "holds"
        elif any(c.off for c in checks):
            status = "fails"
        else:
            status = "off"
        dist = float(np.mean([c.distance for c in checks])) if checks else math.nan
        return PatternResult(self.id, self.name, checks, status, dist)


# -- the patterns ------------------------------------------------------------------------------------

def _p1(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check]:
    r = runs["baseline_5y"]
    ended = int((r["survived"] < 0.5).sum())
    n = len(r)
    return [interval_check("ended within 5 years (share)", ended / n if n else math.nan, 0.30, 0.70,
                           share_ci(ended, n, alpha), f"{ended} of {n} runs ended")]


def _p2(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check]:
    out = []
    for key, label, lo, hi in (("structured_5y", "structured agreement survives 5 years", 0.53, 0.73),
                               ("handshake_5y", "handshake deal survives 5 years", 0.10, 0.50)):
        r = runs[key]
        k, n = int((r["survived"] >= 0.5).sum()), len(r)
        out.append(interval_check(label, k / n if n else math.nan, lo, hi, share_ci(k, n, alpha), f"{k} of {n}"))
    out.append(survival_check(runs["structured_5y"], runs["handshake_5y"], alpha,
                              "structured survives more than handshake"))
    return out


def _p3(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check]:
    from partnersim.analysis.survival import kaplan_meier, survival_at

    r = runs["baseline_10y"]
    median, reached = km_median_years(r, TEN_YEARS)
    t, ended = durations(r, TEN_YEARS)
    km = kaplan_meier(t, ended, 1 - alpha)
    s7 = float(survival_at(km, 7 * 365.25))
    row = km[km["time"] <= 7 * 365.25].iloc[-1]
    ci = (float(row["ci_low"]), float(row["ci_high"]))
    if s7 == 1.0:
        ci = (share_ci(len(r), len(r), alpha)[0], 1.0)
    note = f"median {median:.1f} years" if reached else f"median beyond {median:.0f} years (not reached)"
    return [interval_check("median life, years (Kaplan-Meier)", median, 5.0, 9.0, note=note),
            interval_check("survival at 7 years (Kaplan-Meier)", s7, 0.35, 0.65, ci)]


def _p4(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check] | str:
    missing = [m for m in EXIT_METRICS if m not in METRICS]
    if missing:
        return f"the model does not report {', '.join(missing)}"
    r = runs["baseline_10y"]
    ended = r[r["survived"] < 0.5]
    if len(ended) < 5:
        return f"only {len(ended)} of {len(r)} runs ended: too few to tell how they end"
    counts = {m: int((ended[m] >= 0.5).sum()) for m in EXIT_METRICS}
    top = max(counts, key=lambda m: counts[m])
    share = counts[top] / len(ended)
    shares = ", ".join(f"{m.removeprefix('exit_by_')} {c / len(ended):.0%}" for m, c in counts.items())
    return [interval_check("largest exit reason (share of ended runs)", share, 0.0, 0.80,
                           share_ci(counts[top], len(ended), alpha), f"{len(ended)} ended: {shares}")]


def _b1(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check]:
    full, none = runs["full_cadence"], runs["no_cadence"]
    return [paired_check(full, none, "escalations", "less", alpha),
            paired_check(full, none, "mean_resolution_days", "less", alpha)]


def _b2(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check]:
    prop, equal = runs["funding_proportional_3to1"], runs["funding_equal_3to1"]
    return [paired_check(prop, equal, "fairness_a", "greater", alpha),
            paired_check(prop, equal, "fairness_b", "greater", alpha),
            paired_check(prop, equal, "conflicts_raised", "less", alpha)]


def _b3(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check]:
    gap, same, platform = runs["timezone_gap"], runs["timezone_same"], runs["timezone_gap_platform"]
    checks = [paired_check(gap, same, "mean_response_hours", "greater", alpha),
              paired_check(platform, gap, "mean_response_hours", "less", alpha)]
    g, s, p = (df["mean_response_hours"].to_numpy(dtype=float) for df in (gap, same, platform))
    d = (g - p) - 0.5 * (g - s)  # > 0 on average: the platform recovers at least half of the increase
    d = d[np.isfinite(d)]
    recovered = (np.nanmean(g) - np.nanmean(p)) / (np.nanmean(g) - np.nanmean(s))
    c = paired_check(pd.DataFrame({"d": d}), pd.DataFrame({"d": np.zeros_like(d)}), "d", "greater", alpha,
                     "platform and rotation recover at least half")
    checks.append(replace(c, note=f"recovered {recovered:.0%} of the increase"))
    return checks


def _b4(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check]:
    high, low = runs["continuity_high"], runs["continuity_low"]
    return [paired_check(high, low, "mean_decision_days", "less", alpha),
            paired_check(high, low, "mean_trust", "greater", alpha),
            paired_check(high, low, "final_trust", "greater", alpha)]


def _b5(runs: Mapping[str, pd.DataFrame], alpha: float) -> list[Check]:
    low2, high2 = runs["clarity_low"], runs["clarity_high"]
    n = len(low2) // 2  # the t-tests on the first half (as the test file: 200 of 400)
    low, high = low2.iloc[:n], high2.iloc[:n]
    return [paired_check(low, high, "mean_alignment", "less", alpha),
            paired_check(low, high, "final_alignment", "less", alpha),
            paired_check(low, high, "conflicts_raised", "greater", alpha),
            survival_check(high2, low2, alpha, "high clarity survives more")]


_H5 = {"horizon_days": FIVE_YEARS}

PATTERNS: tuple[Pattern, ...] = (
    Pattern("P1", "A typical agreement fails or ends early in 30-70% of runs (5 years)",
            "Bamford, Gomes-Casseres & Robinson; Kale & Singh 2009",
            (Arm("baseline_5y", "baseline", _H5),), _p1),
    Pattern("P2", "Structure helps without guaranteeing: about 63% vs 50% survive 5 years",
            "Kale, Dyer & Singh 2002",
            (Arm("structured_5y", "consultant_proposal", _H5), Arm("handshake_5y", "handshake", _H5)), _p2),
    Pattern("P3", "Median partnership life about 7 years", "Bleeke & Ernst",
            (Arm("baseline_10y", "baseline", {"horizon_days": TEN_YEARS}),), _p3),
    Pattern("P4", "Partnerships end in several ways: no exit reason above 80% of the ends",
            "Bleeke & Ernst; seeds 000 and 002",
            (Arm("baseline_10y", "baseline", {"horizon_days": TEN_YEARS}),), _p4),
)

BEHAVIOURS: tuple[Pattern, ...] = (
    Pattern("B1", "Full cadence: fewer escalations, quicker resolution than no cadence", "MODEL.md 1; seed 000",
            (Arm("full_cadence", "full_cadence"), Arm("no_cadence", "no_cadence")), _b1),
    Pattern("B2", "3:1 capacities: proportional funding fairer, fewer conflicts than equal", "MODEL.md 2; seed 000",
            (Arm("funding_proportional_3to1", "funding_proportional_3to1"),
             Arm("funding_equal_3to1", "funding_equal_3to1")), _b2),
    Pattern("B3", "A 9-hour gap raises response times; platform and rotation recover at least half",
            "MODEL.md 3; seed 000",
            (Arm("timezone_gap", "timezone_gap"), Arm("timezone_same", "timezone_gap", {"partner_b.utc_offset": 0.0}),
             Arm("timezone_gap_platform", "timezone_gap_platform")), _b3),
    Pattern("B4", "More informal contact: quicker decisions, higher trust", "MODEL.md 4; seed 002",
            (Arm("continuity_high", "high_continuity"),
             Arm("continuity_low", "high_continuity", {"agreement.informal_per_month": 0.5})), _b4),
    Pattern("B5", "Low goal clarity: faster alignment decay, more conflicts, lower survival", "MODEL.md 5; seed 000",
            (Arm("clarity_low", "low_clarity", reps_factor=2),
             Arm("clarity_high", "low_clarity", {"agreement.goal_clarity": 0.9}, reps_factor=2)), _b5),
)


def select_patterns(ids: Sequence[str] | None = None) -> tuple[Pattern, ...]:
    """The patterns and behaviours with these ids (default: all, P1-P4 then B1-B5).

    Raises
    ------
    KeyError
        For an unknown id.
    """
    everything = {p.id: p for p in (*PATTERNS, *BEHAVIOURS)}
    if ids is None:
        return tuple(everything.values())
    unknown = [i for i in ids if i not in everything]
    if unknown:
        raise KeyError(f"unknown pattern(s) {', '.join(unknown)}; known: {', '.join(everything)}")
    return tuple(everything[i] for i in ids)


@dataclass(frozen=True, eq=False)
class PatternReport:
    """Every pattern's result on one set of coefficients.

    Attributes
    ----------
    results
        One :class:`PatternResult` per pattern, in order.
    reps, seed, coefficients
        How the ensembles were run, and the coefficient changes applied to every arm.
    runs
        Number of simulation runs behind the report.
    """

    results: tuple[PatternResult, ...]
    reps: int
    seed: int
    coefficients: Mapping[str, Any]
    runs: int

    @property
    def objective(self) -> float:
        """Sum of the evaluable patterns' distances (0: every pattern holds)."""
        return float(sum(r.distance for r in self.results if r.status != "not evaluable"))

    def table(self) -> pd.DataFrame:
        """One row per check: ``pattern, status, check, kind, value, low, high, ci_low, ci_high, p_value,
        holds, off, distance, note``."""
        rows = []
        for r in self.results:
            if not r.checks:
                rows.append({"pattern": r.id, "status": r.status, "check": "", "kind": "", "note": r.note})
            for c in r.checks:
                rows.append({"pattern": r.id, "status": r.status, "check": c.name, "kind": c.kind, "value": c.value,
                             "low": c.low, "high": c.high, "ci_low": c.ci_low, "ci_high": c.ci_high,
                             "p_value": c.p_value, "holds": c.holds, "off": c.off, "distance": c.distance,
                             "note": c.note})
        cols = ["pattern", "status", "check", "kind", "value", "low", "high", "ci_low", "ci_high", "p_value", "holds",
                "off", "distance", "note"]
        return pd.DataFrame(rows, columns=cols)

    def status(self) -> dict[str, str]:
        """Pattern id -> status."""
        return {r.id: r.status for r in self.results}


def evaluate_patterns(patterns: Sequence[Pattern] | None = None, reps: int = 200, seed: int = SEED,
                      workers: int | None = None, *, coefficients: Mapping[str, Any] | None = None,
                      alpha: float | None = None, cache: Any = None, executor: Any = None) -> PatternReport:
    """Run every arm the patterns need (once each, on common random numbers) and check the patterns.

    Parameters
    ----------
    patterns
        Default: :func:`select_patterns` (all).
    reps, seed
        Replications per arm (times the arm's ``reps_factor``) and their seed.
    workers, executor
        Processes of the local pool (default: every core), or an executor.
    coefficients
        Dotted-path changes applied to every arm (a calibration point: ``{"dynamics.conflict_rate": 0.2}``).
    alpha
        Significance level of every check (default: each pattern's own, 0.01).
    cache
        Folder of cached ensembles (see :func:`partnersim.analysis.batch.run_many`).

    Examples
    --------
    >>> rep = evaluate_patterns(select_patterns(["P1"]), reps=10, workers=1)
    >>> rep.status()["P1"] in ("holds", "off", "fails")
    True
    """
    from partnersim.analysis.batch import run_many

    pats = tuple(patterns) if patterns is not None else select_patterns()
    coeffs = dict(coefficients or {})
    scen: dict[str, Scenario] = {}
    need: dict[str, int] = {}
    arm_of: dict[tuple[str, str], str] = {}
    for p in pats:
        for arm in p.arms:
            sc = arm.scenario(coeffs)
            k = sc.model_dump_json()
            scen[k] = sc
            need[k] = max(need.get(k, 0), arm.reps_factor)
            arm_of[(p.id, arm.key)] = k
    by_reps: dict[int, list[str]] = {}
    for k, f in need.items():
        by_reps.setdefault(f, []).append(k)
    rows: dict[str, pd.DataFrame] = {}
    for f, keys in sorted(by_reps.items()):
        for k, r in zip(keys, run_many([scen[k] for k in keys], reps * f, seed, workers, cache=cache,
                                       executor=executor, batch=max(1, len(keys))), strict=True):
            rows[k] = r
    results = []
    for p in pats:
        runs = {}
        for arm in p.arms:
            r = rows[arm_of[(p.id, arm.key)]]
            runs[arm.key] = r.iloc[:reps * arm.reps_factor].reset_index(drop=True)
        results.append(p.check(runs, alpha))
    total = sum(reps * need[k] for k in need)
    return PatternReport(tuple(results), int(reps), int(seed), coeffs, total)


def _fmt(v: float) -> str:
    if not isinstance(v, float | int) or not math.isfinite(v):
        return "-"
    return f"{v:.3g}"


def patterns_markdown(report: PatternReport) -> str:
    """The report as a Markdown table: one row per check."""
    lines = ["| pattern | status | check | value | target | interval | p | note |", "|---|---|---|---|---|---|---|---|"]
    for r in report.results:
        if not r.checks:
            lines.append(f"| {r.id} | {r.status} | | | | | | {r.note} |")
        for c in r.checks:
            target = f"[{_fmt(c.low)}, {_fmt(c.high)}]" if c.kind == "interval" else "p < alpha"
            ci = f"[{_fmt(c.ci_low)}, {_fmt(c.ci_high)}]"
            lines.append(f"| {r.id} | {r.status} | {c.name} | {_fmt(c.value)} | {target} | {ci} | "
                         f"{_fmt(c.p_value)} | {c.note} |")
    return "\n".join(lines) + "\n"
