"""One-at-a-time lever screen: does every scenario field move an outcome, in the expected direction?

For every leaf field of the scenario (:func:`partnersim.scenario.leaf_fields`, names and
descriptions aside) the screen builds a *low* and a *high* variant of a base scenario, in the
*context* where the lever applies (a facilitator's cost needs a facilitator; a fund payment
needs the fund rule), runs both on common random numbers (replication ``i`` of each shares seed
``(seed, i)``), and tests every summary metric of :data:`partnersim.model.METRICS`: a paired
t-test, or for a 0/1 metric the exact McNemar test on the discordant pairs; the p-values of one
lever are Holm-corrected together. Numeric fields go from ``low_factor`` to ``high_factor``
times their value in the context (clipped to the field's bounds, or a stated range); yes/no
fields from false to true; a choice field compares each alternative with the context's value.

What each lever should do is data, in a *lever file* (``docs/screen_expectations.toml``, see
:func:`load_lever_table`): per field (glob patterns allowed), the context, the range, the
metrics it should move and in which direction (``+``, ``-``, or ``>=`` / ``<=`` for "not
lower" / "not higher"), and whether it is bookkeeping only (a cost). Fields and metrics come
from the code at run time; entries for fields or metrics the code does not have are reported as
notes and otherwise ignored.

Status of a lever, worst first: ``error`` (a variant is invalid), ``dead`` (no metric moves),
``nominal`` (only bookkeeping metrics move, such as meeting hours, and the lever is not declared
bookkeeping), ``against`` (a metric moves against its expectation), ``not seen`` (an expected
``+``/``-`` move is not significant), then ``ok``, ``bookkeeping`` and ``live`` (moves
outcomes; no expectation stated).
"""

from __future__ import annotations

import fnmatch
import math
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import annotated_types as at
import numpy as np
import pandas as pd
from pydantic import ValidationError

from partnersim.analysis.batch import run_many
from partnersim.analysis.compare import holm, paired_differences
from partnersim.model import METRICS
from partnersim.scenario import InputError, Scenario, leaf_fields, with_changes

__all__ = [
    "DEFAULT_LEVER_FILE",
    "DIRECTIONS",
    "STATUS_ORDER",
    "Lever",
    "LeverTable",
    "ScreenResult",
    "lever_effects",
    "load_lever_table",
    "mcnemar_p",
    "plan_levers",
    "screen",
    "screen_markdown",
]

#: The bundled lever file (contexts, ranges, expectations) of a checkout.
DEFAULT_LEVER_FILE = Path(__file__).resolve().parents[3] / "docs" / "screen_expectations.toml"

#: Expectation codes: ``+`` should rise, ``-`` should fall, ``>=`` must not fall, ``<=`` must not rise.
DIRECTIONS = ("+", "-", ">=", "<=")

#: Lever statuses, worst first (the order of the Markdown table).
STATUS_ORDER = ("error", "dead", "nominal", "against", "not seen", "ok", "bookkeeping", "live")

_SKIP_TYPES = (str,)
_KEYS = {"context", "low", "high", "expect", "bookkeeping", "skip", "note"}


@dataclass(frozen=True)
class Lever:
    """One low-vs-high contrast of the screen.

    Attributes
    ----------
    name
        The field's dotted path, or ``path=value`` for one alternative of a choice field.
    path
        The field's dotted path.
    low, high
        The two values compared (``diff = high - low``).
    context
        Changes applied to the base scenario first (where the lever applies).
    expect
        Metric -> expected direction (one of :data:`DIRECTIONS`).
    bookkeeping
        Declared bookkeeping only (a cost): moving only bookkeeping metrics is its job.
    note
        Free text from the lever file.
    """

    name: str
    path: str
    low: Any
    high: Any
    context: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, str] = field(default_factory=dict)
    bookkeeping: bool = False
    note: str = ""


@dataclass(frozen=True)
class LeverTable:
    """The parsed lever file: entries by field pattern, and the bookkeeping metrics.

    Attributes
    ----------
    entries
        ``(pattern, settings)`` in file order; ``settings`` holds any of ``context``, ``low``,
        ``high``, ``expect``, ``bookkeeping``, ``skip``, ``note``.
    bookkeeping_metrics
        Metrics that count effort or inputs (meeting hours, money put in), not outcomes.
    low_factor, high_factor
        Default range of a numeric field: these multiples of its value in the context.
    source
        Where the table was read from.
    """

    entries: tuple[tuple[str, dict[str, Any]], ...] = ()
    bookkeeping_metrics: tuple[str, ...] = ()
    low_factor: float = 0.5
    high_factor: float = 1.5
    source: str = "<none>"

    def settings(self, *names: str) -> dict[str, Any]:
        """The merged settings of every entry matching one of ``names`` (later entries win; contexts merge)."""
        out: dict[str, Any] = {"context": {}, "expect": {}}
        for pattern, s in self.entries:
            if any(fnmatch.fnmatchcase(n, pattern) for n in names):
                for k, v in s.items():
                    if k in ("context", "expect"):
                        out[k] = {**out[k], **v}
                    else:
                        out[k] = v
        return out


def load_lever_table(path: str | Path | None = None) -> LeverTable:
    """Read a lever file (TOML).

    The file has an optional ``[screen]`` table (``low_factor``, ``high_factor``), an optional
    ``[metrics]`` table (``bookkeeping = [metric, ...]``) and one ``[lever."PATTERN"]`` table per
    field pattern (``fnmatch`` globs on the dotted path, or on ``path=value`` for one alternative
    of a choice field), with any of ``context`` (a table of dotted path -> value), ``low``,
    ``high``, ``expect`` (metric -> ``"+"``, ``"-"``, ``">="`` or ``"<="``), ``bookkeeping``
    (bool), ``skip`` (bool) and ``note`` (text).

    Raises
    ------
    InputError
        For a missing or malformed file, or a bad entry (naming the file and the entry).
    """
    from partnersim.scenario import read_toml

    p = Path(path) if path is not None else DEFAULT_LEVER_FILE
    data = read_toml(p)
    src = str(p)
    screen_opts = data.get("screen", {})
    metrics = data.get("metrics", {})
    levers = data.get("lever", {})
    for key in set(data) - {"screen", "metrics", "lever"}:
        raise InputError(src, key, "unknown table (expected screen, metrics, lever)")
    if not isinstance(levers, dict) or not isinstance(metrics, dict) or not isinstance(screen_opts, dict):
        raise InputError(src, None, "screen, metrics and lever must be tables")
    entries = []
    for pattern, s in levers.items():
        where = f'lever."{pattern}"'
        if not isinstance(s, dict):
            raise InputError(src, where, "must be a table")
        bad = set(s) - _KEYS
        if bad:
            raise InputError(src, f"{where}.{sorted(bad)[0]}",
                             f"unknown key (expected one of {', '.join(sorted(_KEYS))})")
        for k in ("context", "expect"):
            if k in s and not isinstance(s[k], dict):
                raise InputError(src, f"{where}.{k}", "must be a table")
        for metric, d in s.get("expect", {}).items():
            if d not in DIRECTIONS:
                raise InputError(src, f"{where}.expect.{metric}", f"{d!r} is not one of {', '.join(DIRECTIONS)}")
        for k in ("bookkeeping", "skip"):
            if k in s and not isinstance(s[k], bool):
                raise InputError(src, f"{where}.{k}", "must be true or false")
        entries.append((pattern, dict(s)))
    book = metrics.get("bookkeeping", [])
    if not isinstance(book, list) or not all(isinstance(m, str) for m in book):
        raise InputError(src, "metrics.bookkeeping", "must be a list of metric names")
    factors = {}
    for k, d in (("low_factor", 0.5), ("high_factor", 1.5)):
        v = screen_opts.get(k, d)
        if not isinstance(v, int | float) or isinstance(v, bool) or v < 0:
            raise InputError(src, f"screen.{k}", "must be a number >= 0")
        factors[k] = float(v)
    if factors["low_factor"] >= factors["high_factor"]:
        raise InputError(src, "screen.low_factor", "must be below screen.high_factor")
    return LeverTable(tuple(entries), tuple(book), factors["low_factor"], factors["high_factor"], src)


def _get(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for key in path.split("."):
        node = getattr(node, key)
    return node


def _bounds(info: Any) -> tuple[float, float, bool, bool]:
    lo, hi, lo_open, hi_open = -math.inf, math.inf, False, False
    for meta in info.metadata:
        if isinstance(meta, at.Ge):
            lo = float(meta.ge)
        elif isinstance(meta, at.Gt):
            lo, lo_open = float(meta.gt), True
        elif isinstance(meta, at.Le):
            hi = float(meta.le)
        elif isinstance(meta, at.Lt):
            hi, hi_open = float(meta.lt), True
    return lo, hi, lo_open, hi_open


def _numeric_range(value: float, info: Any, is_int: bool, low_factor: float, high_factor: float) -> tuple[Any, Any]:
    """Low and high values of a numeric field around ``value``, inside its bounds."""
    lo, hi, lo_open, hi_open = _bounds(info)
    if value == 0:
        span = (hi - lo) if math.isfinite(hi - lo) else 2.0
        low, high = value, value + 0.25 * span
    else:
        a, b = value * low_factor, value * high_factor
        low, high = min(a, b), max(a, b)
    eps = 1e-6 * max(1.0, abs(value))
    low = max(low, lo + (eps if lo_open else 0.0))
    high = min(high, hi - (eps if hi_open else 0.0))
    if is_int:
        low, high = math.floor(low), math.ceil(high)
        low = max(low, math.ceil(lo + (1 if lo_open else 0)) if math.isfinite(lo) else low)
        high = min(high, math.floor(hi - (1 if hi_open else 0)) if math.isfinite(hi) else high)
        if low == high:
            low, high = (low - 1, high) if low - 1 >= lo else (low, high + 1)
        return int(low), int(high)
    return float(f"{low:.10g}"), float(f"{high:.10g}")  # 0.9, not 0.8999999999999999


def plan_levers(base: Scenario, table: LeverTable | None = None,
                only: Sequence[str] | None = None) -> tuple[list[Lever], list[str]]:
    """The screen's levers for ``base``, and notes on the lever table.

    Parameters
    ----------
    base
        The scenario every lever starts from (before its context).
    table
        The lever file (default: none, every field with the default range and no expectation).
    only
        ``fnmatch`` patterns: keep the levers whose path or name matches one of them.

    Returns
    -------
    (levers, notes)
        ``notes`` says which entries of the table match no field of the scenario and which
        expectations name a metric the model does not have.

    Examples
    --------
    >>> levers, _ = plan_levers(Scenario(), only=["agreement.funding_rule", "initial.trust"])
    >>> [(lv.name, lv.low, lv.high) for lv in levers]
    [('agreement.funding_rule=capacity', 'equal', 'capacity'), \
('agreement.funding_rule=benefit', 'equal', 'benefit'), ('agreement.funding_rule=fund', 'equal', 'fund'), \
('initial.trust', 0.3, 0.9)]
    """
    table = table or LeverTable()
    fields = leaf_fields()
    notes = []
    for pattern, s in table.entries:
        if not any(fnmatch.fnmatchcase(p, pattern) or fnmatch.fnmatchcase(p, pattern.split("=")[0])
                   for p in fields):
            notes.append(f"{table.source}: lever \"{pattern}\" matches no field of the scenario: ignored")
        for metric in s.get("expect", {}):
            if metric not in METRICS:
                notes.append(f"{table.source}: lever \"{pattern}\": expectation on unknown metric {metric!r}: ignored")
        for path in s.get("context", {}):
            if path not in fields:
                notes.append(f"{table.source}: lever \"{pattern}\": context names unknown field {path!r}")
    levers: list[Lever] = []
    for path, info in fields.items():
        ann = info.annotation
        if ann in _SKIP_TYPES:
            continue
        general = table.settings(path)
        if general.get("skip"):
            continue
        try:
            ctx_sc = with_changes(base, general["context"])
            current = _get(ctx_sc, path)
        except (ValidationError, AttributeError):
            current = _get(base, path)
        variants: list[tuple[str, Any, Any]]
        if ann is bool:
            variants = [(path, False, True)]
        elif typing.get_origin(ann) is typing.Literal:
            variants = [(f"{path}={alt}", current, alt) for alt in typing.get_args(ann) if alt != current]
        elif ann in (int, float):
            variants = [(path, *_numeric_range(float(current), info, ann is int, table.low_factor,
                                                table.high_factor))]
        else:  # pragma: no cover - a new kind of field
            notes.append(f"{path}: field type {ann!r} not screened")
            continue
        for name, low, high in variants:
            s = table.settings(path, name)
            if s.get("skip"):
                continue
            if only and not any(fnmatch.fnmatchcase(path, o) or fnmatch.fnmatchcase(name, o) for o in only):
                continue
            low = s.get("low", low)
            high = s.get("high", high)
            expect = {m: d for m, d in s["expect"].items() if m in METRICS}
            levers.append(Lever(name, path, low, high, dict(s["context"]), expect, bool(s.get("bookkeeping", False)),
                                str(s.get("note", ""))))
    return levers, notes


def mcnemar_p(low: np.ndarray, high: np.ndarray) -> float:
    """Two-sided exact McNemar test of paired 0/1 outcomes (binomial test on the discordant pairs).

    Examples
    --------
    >>> mcnemar_p(np.array([0, 0, 0, 0, 0, 0, 1]), np.array([1, 1, 1, 1, 1, 1, 1]))
    0.03125
    >>> mcnemar_p(np.array([1, 0]), np.array([1, 0]))
    1.0
    """
    from scipy import stats

    x, y = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    up = int(((x[ok] < 0.5) & (y[ok] >= 0.5)).sum())
    down = int(((x[ok] >= 0.5) & (y[ok] < 0.5)).sum())
    if up + down == 0:
        return 1.0
    return float(stats.binomtest(up, up + down, 0.5).pvalue)


def lever_effects(runs_low: pd.DataFrame, runs_high: pd.DataFrame, alpha: float = 0.01,
                  metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Every metric's paired difference ``high - low``, tested and Holm-corrected together.

    A paired t-test (:func:`partnersim.analysis.compare.paired_differences`) for each metric,
    replaced by the exact McNemar test (:func:`mcnemar_p`) for 0/1 metrics.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, mean_low, mean_high, diff, effect_size, p_value, test, p_holm,
        significant, n``; ``effect_size`` is Cohen's d_z (NaN when every pair differs by the same
        nonzero amount).
    """
    names = [m for m in (metrics or METRICS) if m in runs_low and m in runs_high]
    t = paired_differences(runs_low, runs_high, names, alpha=alpha)
    tests = []
    p = t["p_value"].to_numpy(dtype=float).copy()
    both = runs_low[["replication", *names]].merge(runs_high[["replication", *names]], on="replication",
                                                     suffixes=("__a", "__b"))
    for i, m in enumerate(t["metric"]):
        if METRICS.get(m, ("",))[0] == "0/1":
            p[i] = mcnemar_p(both[f"{m}__a"].to_numpy(), both[f"{m}__b"].to_numpy())
            tests.append("mcnemar")
        else:
            tests.append("t")
    ph = holm(p)
    return pd.DataFrame({
        "metric": t["metric"], "mean_low": t["mean_a"], "mean_high": t["mean_b"], "diff": t["diff"],
        "effect_size": t["effect_size"], "p_value": p, "test": tests, "p_holm": ph,
        "significant": np.nan_to_num(ph, nan=1.0) < alpha, "n": t["n"],
    })


@dataclass(frozen=True, eq=False)
class ScreenResult:
    """The screen's results.

    Attributes
    ----------
    levers
        One row per lever: ``lever, path, context, low, high, moved, moved_outcomes, main,
        expectation, status, note``.
    effects
        Tidy: one row per (lever, metric), the columns of :func:`lever_effects` plus ``lever``
        and ``expected`` (the expected direction, or empty).
    notes
        What the lever table says that the code does not know, and invalid variants.
    base, reps, seed, alpha
        What was screened, and how.
    runs
        Simulation runs behind the screen (distinct ensembles x ``reps``).
    """

    levers: pd.DataFrame
    effects: pd.DataFrame
    notes: tuple[str, ...]
    base: Scenario
    reps: int
    seed: int
    alpha: float
    runs: int = 0

    def status(self, lever: str) -> str:
        """The status of one lever (by name)."""
        return str(self.levers.set_index("lever").loc[lever, "status"])


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _fmt_context(ctx: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt_value(v)}" for k, v in ctx.items())


def _judge(lever: Lever, eff: pd.DataFrame, bookkeeping: set[str]) -> dict[str, Any]:
    sig = eff[eff["significant"]]
    outcomes = sig[~sig["metric"].isin(bookkeeping)]
    order = outcomes.assign(_k=outcomes["effect_size"].abs().fillna(np.inf)).sort_values("_k", ascending=False)
    main = []
    for r in order.head(4).itertuples():
        d = f"{r.effect_size:+.2f}" if math.isfinite(r.effect_size) else ("+shift" if r.diff > 0 else "-shift")
        main.append(f"{r.metric} {d}")
    if outcomes.empty and not sig.empty:
        main = [f"({', '.join(sig['metric'].head(3))})"]
    checks, against, unseen = [], [], []
    by_metric = eff.set_index("metric")
    for metric, d in lever.expect.items():
        if metric not in by_metric.index:
            continue
        r = by_metric.loc[metric]
        moved = bool(r["significant"])
        sign = 0 if not moved else (1 if r["diff"] > 0 else -1)
        bad = (d in ("+", ">=") and sign < 0) or (d in ("-", "<=") and sign > 0)
        missing = d in ("+", "-") and sign == 0
        mark = "against" if bad else ("not seen" if missing else "ok")
        checks.append(f"{metric} {d} {mark}")
        (against if bad else unseen if missing else []).append(metric)
    if sig.empty:
        status = "dead"
    elif outcomes.empty:
        status = "bookkeeping" if lever.bookkeeping else "nominal"
    elif against:
        status = "against"
    elif unseen:
        status = "not seen"
    elif lever.expect:
        status = "ok"
    else:
        status = "live"
    return {"moved": int(len(sig)), "moved_outcomes": int(len(outcomes)), "main": "; ".join(main),
            "expectation": "; ".join(checks), "status": status}


def screen(base: Scenario | str | Path = "baseline", reps: int = 200, seed: int = 0, alpha: float = 0.01,
           workers: int | None = None, *, table: LeverTable | None = None, only: Sequence[str] | None = None,
           cache: str | Path | None = None, on_batch: Callable[[int, int], None] | None = None) -> ScreenResult:
    """Screen every lever of ``base`` one at a time (low vs high, paired, Holm per lever).

    Parameters
    ----------
    base
        The base scenario (a :class:`~partnersim.scenario.Scenario`, a TOML path or a bundled name).
    reps, seed
        Paired replications per lever and their seed.
    alpha
        Significance level of each lever's Holm-corrected tests.
    workers
        Processes (default: every core; ``1`` runs in this process).
    table
        The lever file (default: :data:`DEFAULT_LEVER_FILE` if it exists).
    only
        ``fnmatch`` patterns of the levers to screen (default: all).
    cache
        Folder of cached ensembles: a screen started again runs only what is missing.
    on_batch
        Progress callback ``(done, total)`` in ensembles.

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> b = with_changes(load_scenario("baseline"), {"horizon_days": 365})
    >>> r = screen(b, reps=20, seed=1, workers=1, table=LeverTable(), only=["initial.trust", "agreement.origin_share"])
    >>> r.status("agreement.origin_share")  # no context, so equal attribution: the origin share is not used
    'dead'
    >>> r.status("initial.trust") != "dead"
    True
    """
    from partnersim.run.simulate import as_scenario

    base_sc = as_scenario(base)
    if table is None:
        table = load_lever_table() if DEFAULT_LEVER_FILE.is_file() else LeverTable()
    levers, notes = plan_levers(base_sc, table, only)
    pairs: list[tuple[Lever, Scenario, Scenario] | tuple[Lever, str]] = []
    for lv in levers:
        try:
            ctx = with_changes(base_sc, lv.context)
            lo = with_changes(ctx, {lv.path: lv.low})
            hi = with_changes(ctx, {lv.path: lv.high})
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(x) for x in err.get("loc", ()))
            pairs.append((lv, f"invalid variant: {where}: {err.get('msg', '')}"))
            continue
        pairs.append((lv, lo, hi))
    scenarios = [s for p in pairs if len(p) == 3 for s in p[1:]]  # type: ignore[misc]
    runs = iter(run_many(scenarios, reps, seed, workers, cache=cache, on_batch=on_batch))
    book = set(table.bookkeeping_metrics)
    rows, effects = [], []
    for p in pairs:
        lv = p[0]
        row = {"lever": lv.name, "path": lv.path, "context": _fmt_context(lv.context), "low": _fmt_value(lv.low),
               "high": _fmt_value(lv.high), "note": lv.note}
        if len(p) == 2:
            notes.append(f"{lv.name}: {p[1]}")
            row.update(moved=0, moved_outcomes=0, main="", expectation="", status="error", note=str(p[1]))
            rows.append(row)
            continue
        eff = lever_effects(next(runs), next(runs), alpha)
        row.update(_judge(lv, eff, book))
        rows.append(row)
        effects.append(eff.assign(lever=lv.name, expected=[lv.expect.get(m, "") for m in eff["metric"]]))
    cols = ["lever", "path", "context", "low", "high", "moved", "moved_outcomes", "main", "expectation", "status",
            "note"]
    lev = pd.DataFrame(rows, columns=cols)
    eff_all = pd.concat(effects, ignore_index=True) if effects else pd.DataFrame(
        columns=["metric", "mean_low", "mean_high", "diff", "effect_size", "p_value", "test", "p_holm", "significant",
                 "n", "lever", "expected"])
    eff_all = eff_all[["lever", *[c for c in eff_all.columns if c != "lever"]]]
    n_runs = len({s.model_dump_json() for s in scenarios}) * int(reps)
    return ScreenResult(lev, eff_all, tuple(notes), base_sc, int(reps), int(seed), float(alpha), n_runs)


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def screen_markdown(result: ScreenResult, command: str = "") -> str:
    """The screen as a Markdown page: a count by status, then one row per lever, worst status first."""
    lev = result.levers.copy()
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    lev["_r"] = lev["status"].map(rank).fillna(len(rank))
    lev = lev.sort_values(["_r", "lever"], kind="stable")
    counts = lev["status"].value_counts()
    lines = [
        "# Lever screen",
        "",
        f"Base scenario `{result.base.name}` ({result.base.horizon_days:g} days); {len(lev)} levers, each low vs "
        f"high on {result.reps} paired replications (seed {result.seed}; {result.runs:,} runs); every metric "
        f"tested (paired t-test, exact McNemar for 0/1 metrics), Holm-corrected at {result.alpha:g} per lever.",
    ]
    if command:
        lines += ["", f"Generated by `{command}`; do not edit by hand."]
    lines += [
        "",
        "Statuses, worst first: **error** (a variant is invalid), **dead** (no metric moves), **nominal** (only "
        "bookkeeping metrics such as meeting hours move), **against** (a metric moves against the expectations "
        "table), **not seen** (an expected move is not significant), **ok**, **bookkeeping** (declared a cost), "
        "**live** (moves outcomes, no expectation stated). `moved`: outcome metrics moved (all metrics in "
        "brackets); `main`: the largest moves with their signed standardized effect d_z (high - low; `shift`: the "
        "same difference in every pair). Expectations and contexts: `docs/screen_expectations.toml`.",
        "",
        "| status | count |",
        "|---|---|",
        *[f"| {s} | {int(counts.get(s, 0))} |" for s in STATUS_ORDER if counts.get(s, 0)],
        "",
        "| lever | context | low | high | moved | main moves (d_z) | expectation | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in lev.itertuples():
        lines.append(f"| `{_md_cell(r.lever)}` | {_md_cell(r.context)} | {_md_cell(r.low)} | {_md_cell(r.high)} | "
                     f"{r.moved_outcomes} ({r.moved}) | {_md_cell(r.main)} | {_md_cell(r.expectation)} | "
                     f"{r.status} |")
    if result.notes:
        lines += ["", "Notes:", "", *[f"- {_md_cell(n)}" for n in result.notes]]
    return "\n".join(lines) + "\n"
