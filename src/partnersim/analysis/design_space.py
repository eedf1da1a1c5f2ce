"""What an agreement-design search may change, and what it aims for: levers, objectives, constraints.

A **lever** is one scenario field a consultant controls, with the values the search may give it:
a choice (yes/no, a funding rule, a short list of numbers) or an evenly spaced grid of numbers.
Grids keep the designs a consultant can write into an agreement ("check-ins every 14 days", not
every 13.71) and make a design found twice the same design, evaluated once. A lever may apply
only when another field has a value (a check-in's interval only when check-ins are held; a fund's
payments only under the fund rule): it is then left out of a design where it does not apply, so
that two designs that differ only in a setting nobody uses are one design.

On the command line, a lever is written ``PATH`` (its default values: both for yes/no, every
alternative of a choice, a five-point grid around the scenario's value for a number),
``PATH=a,b,c`` (these values, in TOML syntax) or ``PATH=LOW:HIGH[:STEP]`` (a grid; the step
defaults to a quarter of the range, 1 for whole numbers). An **objective** is ``[max:|min:]METRIC``
(the direction defaults to the metric's better side), a **constraint** ``METRIC<=LIMIT`` or
``METRIC>=LIMIT``; both are read on the mean over the replications. Besides the summary metrics of
:data:`partnersim.model.METRICS`, the derived metrics of :data:`DESIGN_METRICS` are available
(meeting hours and money per month together, the smaller partner's fairness, days together).

Examples
--------
>>> lv = parse_lever("agreement.cadence.weekly.interval_days=7:21:7")
>>> lv.values, lv.when
((7.0, 14.0, 21.0), ('agreement.cadence.weekly.enabled', True))
>>> parse_objective("joint_revenue"), parse_objective("min:conflicts_raised")
(Objective(metric='joint_revenue', maximize=True), Objective(metric='conflicts_raised', maximize=False))
>>> parse_constraint("meeting_hours_per_month <= 40")
Constraint(metric='meeting_hours_per_month', op='<=', limit=40.0)
"""

from __future__ import annotations

import math
import tomllib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from partnersim.scenario import InputError, Scenario

__all__ = [
    "CONDITIONS",
    "DEFAULT_LEVERS",
    "DESIGN_METRICS",
    "Constraint",
    "Lever",
    "Objective",
    "add_design_metrics",
    "design_key",
    "known_metrics",
    "parse_constraint",
    "parse_lever",
    "parse_levers",
    "parse_objective",
]

#: The levers searched when none are named: what a consultant writes into an agreement.
DEFAULT_LEVERS: tuple[str, ...] = (
    "agreement.cadence.weekly.enabled",
    "agreement.cadence.weekly.interval_days=7,14",
    "agreement.cadence.monthly.enabled",
    "agreement.cadence.quarterly.enabled",
    "agreement.funding_rule",
    "agreement.shared_platform",
    "agreement.conflict.procedure",
    "agreement.conflict.facilitator",
    "agreement.informal_per_month=0:8:2",
    "agreement.co_ownership=0.3:0.9:0.2",
)

#: A lever whose path starts with the first item applies only when the field of the second has the third value.
CONDITIONS: tuple[tuple[str, str, Any], ...] = tuple(
    [(f"agreement.cadence.{c}.", f"agreement.cadence.{c}.enabled", True) for c in ("weekly", "monthly", "quarterly")]
    + [("agreement.conflict.resolution_target_days", "agreement.conflict.procedure", True),
       ("agreement.conflict.facilitator_", "agreement.conflict.facilitator", True),
       ("agreement.fund_monthly_", "agreement.funding_rule", "fund"),
       ("agreement.origin_share", "agreement.attribution", "origin")]
)

#: Metrics computed per run for design searches, beyond the model's summary metrics: name -> (unit, description).
DESIGN_METRICS: dict[str, tuple[str, str]] = {
    "days_together": ("days", "Days the partnership lasted (the whole period if it survived)."),
    "meeting_hours_per_month": ("staff hours/month", "Staff hours both partners spent in meetings and reviews, "
                                "per month the partnership lasted."),
    "money_per_month": ("currency/month", "Money both partners put in, per month the partnership lasted."),
    "fairness_smaller": ("0..1", "Perceived fairness of the smaller partner (by core revenue; B if equal)."),
}

_DAYS_PER_MONTH = 365.25 / 12


def known_metrics() -> dict[str, tuple[str, str]]:
    """Every metric a design may aim at or be constrained on: ``name -> (unit, description)``."""
    from partnersim.model import METRICS

    return {**METRICS, **DESIGN_METRICS}


def add_design_metrics(runs: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """``runs`` (one row per replication) with the columns of :data:`DESIGN_METRICS` added."""
    from partnersim.analysis.reading import days_together

    days = days_together(runs, scenario.horizon_days)
    months = np.maximum(days / _DAYS_PER_MONTH, 1e-9)
    smaller = "a" if scenario.partner_a.revenue < scenario.partner_b.revenue else "b"
    money = runs["contribution_money_a"].to_numpy(float) + runs["contribution_money_b"].to_numpy(float)
    return runs.assign(days_together=days, meeting_hours_per_month=runs["meeting_hours"].to_numpy(float) / months,
                       money_per_month=money / months, fairness_smaller=runs[f"fairness_{smaller}"].to_numpy(float))


def _clean(x: float) -> float:
    return float(f"{x:.10g}")  # 0.9, not 0.8999999999999999


@dataclass(frozen=True)
class Lever:
    """One field the search may set, and the values it may take.

    Attributes
    ----------
    path
        The field (a scenario's dotted path, or any name for a search that is not a scenario's).
    values
        The values, in order (a grid of numbers is ordered; the search knows it is).
    ordered
        ``True`` for a grid of numbers (searched by index), ``False`` for a choice.
    when
        ``(path, value)``: the lever applies only when that field has that value; ``None``: always.
    """

    path: str
    values: tuple[Any, ...]
    ordered: bool = False
    when: tuple[str, Any] | None = None

    @classmethod
    def grid(cls, path: str, low: float, high: float, step: float, *, integer: bool = False,
             when: tuple[str, Any] | None = None) -> Lever:
        """Evenly spaced numbers from ``low`` to ``high`` (included when the step reaches it)."""
        n = int(math.floor((high - low) / step + 1e-9)) + 1
        vals = [low + i * step for i in range(n)]
        vals = [int(round(v)) for v in vals] if integer else [_clean(v) for v in vals]
        return cls(path, tuple(vals), True, when)

    def suggest(self, trial: Any) -> Any:
        """Ask an Optuna trial for this lever's value."""
        if self.ordered:
            return self.values[trial.suggest_int(self.path, 0, len(self.values) - 1)]
        return trial.suggest_categorical(self.path, list(self.values))

    def describe(self) -> str:
        """The values in a few words (``7, 14``; ``0 to 8 by 2``)."""
        if self.ordered and len(self.values) > 3:
            return f"{self.values[0]:g} to {self.values[-1]:g} by {_clean(self.values[1] - self.values[0]):g}"
        return ", ".join(_fmt(v) for v in self.values)


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def design_key(design: Mapping[str, Any]) -> str:
    """A short stable name of a design (its lever values), the same in every process.

    Examples
    --------
    >>> design_key({"b": 1, "a": True}) == design_key({"a": True, "b": 1})
    True
    """
    import hashlib
    import json

    text = json.dumps({k: design[k] for k in sorted(design)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _condition(path: str) -> tuple[str, Any] | None:
    for prefix, switch, value in CONDITIONS:
        if path.startswith(prefix) and path != switch:
            return switch, value
    return None


def _toml_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def _number(text: str, spec: str, what: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise InputError("--levers", spec, f"{what} {text!r} is not a number") from None
    if not math.isfinite(x):
        raise InputError("--levers", spec, f"{what} must be finite")
    return x


def parse_lever(spec: str, base: Scenario | None = None) -> Lever:
    """A lever from its command-line form (``PATH``, ``PATH=a,b,c`` or ``PATH=LOW:HIGH[:STEP]``).

    Every value is checked against the field's type and bounds (on ``base``, default the
    schema's defaults), so a bad lever is an error before any run.

    Raises
    ------
    InputError
        Naming ``--levers``, the lever and what is wrong.
    """
    from pydantic import ValidationError

    from partnersim.analysis.screen import _get, _numeric_range
    from partnersim.scenario import leaf_fields, with_changes

    base = base or Scenario()
    path, sep, rest = spec.partition("=")
    path = path.strip()
    fields = leaf_fields()
    if path not in fields:
        close = [p for p in fields if p.endswith("." + path.rsplit(".", 1)[-1])][:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InputError("--levers", spec, f"no scenario field {path!r}{hint}")
    info = fields[path]
    ann = info.annotation
    if ann is str:
        raise InputError("--levers", spec, "a text field is not a lever")
    is_int = ann is int
    numeric = ann in (int, float)
    when = _condition(path)
    if not sep:
        if ann is bool:
            lever = Lever(path, (False, True), False, when)
        elif typing.get_origin(ann) is typing.Literal:
            lever = Lever(path, typing.get_args(ann), False, when)
        else:
            lo, hi = _numeric_range(float(_get(base, path)), info, is_int, 0.5, 1.5)
            step = max(1, round((hi - lo) / 4)) if is_int else (hi - lo) / 4
            lever = Lever.grid(path, lo, hi, step or 1, integer=is_int, when=when)
    elif ":" in rest:
        if not numeric:
            raise InputError("--levers", spec, "LOW:HIGH[:STEP] is for a number field")
        parts = rest.split(":")
        if len(parts) not in (2, 3):
            raise InputError("--levers", spec, "expected LOW:HIGH or LOW:HIGH:STEP")
        lo, hi = (_number(parts[0], spec, "LOW"), _number(parts[1], spec, "HIGH"))
        if hi <= lo:
            raise InputError("--levers", spec, "HIGH must be above LOW")
        step = _number(parts[2], spec, "STEP") if len(parts) == 3 else (1.0 if is_int else (hi - lo) / 4)
        if step <= 0:
            raise InputError("--levers", spec, "STEP must be above 0")
        if is_int and (lo != int(lo) or hi != int(hi) or step != int(step)):
            raise InputError("--levers", spec, "a whole-number field needs whole LOW, HIGH and STEP")
        if (hi - lo) / step > 1000:
            raise InputError("--levers", spec, "more than 1000 values: give a larger STEP")
        lever = Lever.grid(path, lo, hi, step, integer=is_int, when=when)
    else:
        items = [_toml_value(t) for t in rest.split(",") if t.strip()]
        if not items:
            raise InputError("--levers", spec, "no values after '='")
        if numeric:
            if any(isinstance(v, bool) or not isinstance(v, int | float) for v in items):
                raise InputError("--levers", spec, "values of a number field must be numbers")
            items = sorted({int(v) if is_int else float(v) for v in items})
        if len(set(map(repr, items))) != len(items):
            raise InputError("--levers", spec, "a value is listed twice")
        lever = Lever(path, tuple(items), False, when)
    for v in lever.values:
        try:
            sc = with_changes(base, {path: v})
        except ValidationError as e:
            raise InputError("--levers", spec, f"value {_fmt(v)}: {e.errors()[0]['msg']}") from None
        got = _get(sc, path)
        if is_int and float(got) != float(v):
            raise InputError("--levers", spec, f"value {_fmt(v)} is not a whole number")
    return lever


def parse_levers(specs: Sequence[str] | None, base: Scenario | None = None) -> tuple[Lever, ...]:
    """Levers from their specs (default :data:`DEFAULT_LEVERS`), switches before what they switch.

    Raises
    ------
    InputError
        For a bad spec, a field named twice, or no lever at all.
    """
    specs = list(DEFAULT_LEVERS if specs is None else specs)
    if not specs:
        raise InputError("--levers", None, "no lever given")
    levers = [parse_lever(s, base) for s in specs]
    seen: set[str] = set()
    for lv in levers:
        if lv.path in seen:
            raise InputError("--levers", lv.path, "named twice")
        seen.add(lv.path)
    # a switch is asked before the levers it switches, so a design never holds a setting that does not apply
    switches = [lv for lv in levers if lv.when is None or lv.when[0] not in seen]
    rest = [lv for lv in levers if lv not in switches]
    return tuple(switches + rest)


@dataclass(frozen=True)
class Objective:
    """An outcome to maximise or minimise (its mean over the replications)."""

    metric: str
    maximize: bool = True

    @property
    def label(self) -> str:
        """``max survived``."""
        return f"{'max' if self.maximize else 'min'} {self.metric}"


@dataclass(frozen=True)
class Constraint:
    """A limit on a metric's mean over the replications: ``metric <= limit`` or ``metric >= limit``."""

    metric: str
    op: str
    limit: float

    def violation(self, mean: float) -> float:
        """How far the mean is past the limit (0 or less: satisfied); ``inf`` for an undefined mean."""
        if not math.isfinite(mean):
            return math.inf
        return float(mean - self.limit) if self.op == "<=" else float(self.limit - mean)

    @property
    def label(self) -> str:
        """``meeting_hours_per_month <= 40``."""
        return f"{self.metric} {self.op} {self.limit:g}"


def _check_metric(name: str, option: str, spec: str, metrics: Mapping[str, Any] | None) -> None:
    known = known_metrics() if metrics is None else metrics
    if name not in known:
        close = [m for m in known if name in m or m in name][:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InputError(option, spec, f"unknown metric {name!r}{hint}")


def parse_objective(spec: str, metrics: Mapping[str, Any] | None = None) -> Objective:
    """``[max:|min:]METRIC``; without a direction, the metric's better side (an error if it has none).

    ``metrics`` are the names allowed (default :func:`known_metrics`).
    """
    from partnersim.analysis.reading import HIGHER_IS_BETTER

    text = spec.strip()
    head, sep, tail = text.partition(":")
    if sep:
        if head not in ("max", "min"):
            raise InputError("--objective", spec, "expected max:METRIC, min:METRIC or METRIC")
        _check_metric(tail.strip(), "--objective", spec, metrics)
        return Objective(tail.strip(), head == "max")
    _check_metric(text, "--objective", spec, metrics)
    if metrics is not None and text not in HIGHER_IS_BETTER:
        return Objective(text, True)
    better = {**HIGHER_IS_BETTER, "fairness_smaller": True}.get(text)
    if better is None:
        raise InputError("--objective", spec, f"say max:{text} or min:{text} (no better side is known)")
    return Objective(text, better)


def parse_constraint(spec: str, metrics: Mapping[str, Any] | None = None) -> Constraint:
    """``METRIC<=LIMIT`` or ``METRIC>=LIMIT`` (spaces allowed)."""
    for op in ("<=", ">="):
        if op in spec:
            name, _, limit = spec.partition(op)
            name = name.strip()
            _check_metric(name, "--constraint", spec, metrics)
            try:
                x = float(limit)
            except ValueError:
                raise InputError("--constraint", spec, f"limit {limit.strip()!r} is not a number") from None
            if not math.isfinite(x):
                raise InputError("--constraint", spec, "the limit must be finite")
            return Constraint(name, op, x)
    raise InputError("--constraint", spec, "expected METRIC<=LIMIT or METRIC>=LIMIT")
