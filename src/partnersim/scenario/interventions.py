"""Interventions and policies: changes to a scenario that take effect during a run.

An **intervention** changes fields of the scenario on a given day (or month)::

    [[interventions]]
    name = "weekly check-ins"
    month = 6
    changes = { "agreement.cadence.weekly.enabled" = true }

A **policy** makes its changes when a rule on the model's observed state first holds::

    [[policies]]
    name = "facilitator"
    when = { event = "escalations", count = 2, within_days = 90 }
    changes = { "agreement.conflict.facilitator" = true }
    delay_days = 14          # the time it takes to act

The rule language is small and declarative (no code in scenario files); a ``when`` table
states exactly one of:

- ``state`` with ``below`` or ``above``: a state variable (:data:`STATE_VARIABLES`) crosses a
  threshold, checked at every weekly tick;
- ``event`` with ``count`` (and optionally ``within_days``): the ``count``-th event of a kind
  (:data:`EVENTS`) in the run, or within the last ``within_days``, checked at the event;
- ``revenue_ratio``: one partner's revenue has grown that many times as much as the other's
  since day 0 (total revenue now over revenue at the start), checked at every weekly tick.

Fields that cannot change mid-run (:data:`FIXED`: the horizon, the state at day 0,
routine messages planned at day 0, Poisson rates set at day 0, the mechanism switches)
are refused, naming the field. How the model applies the changes is documented in
:mod:`partnersim.model.interventions` and docs/model.md.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Intervention", "Policy", "When", "STATE_VARIABLES", "EVENTS", "FIXED", "DAYS_PER_MONTH",
           "fixed_reason", "check_changes", "labels", "item_fields"]

DAYS_PER_MONTH = 30.4375  # the model's month (partnersim.model.core.DAYS_PER_MONTH)

STATE_VARIABLES = ("trust", "alignment", "context", "relevance", "fairness_a", "fairness_b", "min_fairness",
                   "customer_satisfaction", "team_satisfaction", "open_conflicts")
EVENTS = ("escalations", "conflicts", "renegotiations", "flare_ups", "market_shifts")

_PLANNED = "routine messages are planned for the whole run at day 0"
_RATE = "the rate of a Poisson process set at day 0"
# dotted path (or prefix ending in '.') -> why it cannot change mid-run
FIXED: dict[str, str] = {
    "name": "a label, not a model input",
    "description": "a label, not a model input",
    "currency": "a label, not a model input",
    "horizon_days": "the length of the run",
    "initial.": "the state at day 0",
    "mechanisms.": "a mechanism switch: the model's structure, set up at day 0",
    "interventions": "interventions cannot change interventions",
    "policies": "interventions cannot change policies",
    "agreement.informal_per_month": _RATE,
    "market.opportunities_per_month": _RATE,
    "market.shifts_per_year": _RATE,
    "agreement.shared_platform": _PLANNED,
    "agreement.cross_training_hours": _PLANNED + " (handling times)",
    "dynamics.platform_self_serve": _PLANNED,
    "dynamics.cross_training_effect": _PLANNED + " (handling times)",
}
for _x in ("a", "b"):
    FIXED[f"partner_{_x}.name"] = "a label, not a model input"
    FIXED[f"partner_{_x}.revenue"] = "the revenue at day 0 (growth and uplift are measured from it)"
    for _f in ("utc_offset", "work_start", "work_end", "working_days", "message_rate", "responsiveness_hours"):
        FIXED[f"partner_{_x}.{_f}"] = _PLANNED

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_ -]{0,59}$")


def fixed_reason(path: str) -> str | None:
    """Why the field at dotted ``path`` cannot change mid-run, or ``None`` if it can.

    Examples
    --------
    >>> fixed_reason("agreement.cadence.weekly.enabled") is None
    True
    >>> fixed_reason("initial.trust")
    'the state at day 0'
    """
    if path in FIXED:
        return FIXED[path]
    for key, why in FIXED.items():
        if key.endswith(".") and path.startswith(key):
            return why
    return None


def _check_name(v: str) -> str:
    if v and not _NAME.match(v):
        raise ValueError("must start with a letter and hold only letters, digits, '_', '-' and spaces")
    return v


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _changes(value: dict[str, Any]) -> dict[str, Any]:
    """Check the paths of a ``changes`` table; whole numbers given for number fields become floats."""
    from partnersim.scenario.schema import leaf_fields  # (schema imports this module)

    if not value:
        raise ValueError("must change at least one field, e.g. { \"agreement.cadence.weekly.enabled\" = true }")
    leaves = leaf_fields()
    out: dict[str, Any] = {}
    for path, v in value.items():
        why = fixed_reason(path)
        if why is not None:
            raise ValueError(f"'{path}' cannot change mid-run ({why}); set it in the scenario itself")
        info = leaves.get(path)
        if info is None:
            import difflib

            guess = difflib.get_close_matches(path, list(leaves), n=1, cutoff=0.6)
            raise ValueError(f"unknown field '{path}'" + (f"; did you mean '{guess[0]}'?" if guess else ""))
        out[path] = float(v) if info.annotation is float and type(v) is int else v
    return out


class _ChangeSet(_Rule):
    """What interventions and policies share: a checked ``name`` and ``changes`` (fields of the subclasses)."""

    @field_validator("changes", check_fields=False)
    @classmethod
    def _check_changes(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _changes(v)

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_name(v)


class Intervention(_ChangeSet):
    """Changes that take effect on a given day (or month) of the run."""

    name: str = Field("", description="Short name (letters, digits, '_', '-', spaces); it names the result "
                      "columns. Default: interventions.<index>.", max_length=60)
    day: float | None = Field(None, description="Day the changes take effect (unit: days). Give day or month.",
                              ge=0, le=1e5, json_schema_extra={"unit": "days"})
    month: float | None = Field(None, description="Month the changes take effect (30.4375 days each). Give day "
                                "or month.", ge=0, le=3300, json_schema_extra={"unit": "months"})
    changes: dict[str, bool | int | float | str] = Field(
        description="Dotted field paths and their new values, e.g. { \"agreement.cadence.weekly.enabled\" = true }.")

    @model_validator(mode="after")
    def _when(self) -> Intervention:
        if (self.day is None) == (self.month is None):
            raise ValueError("give exactly one of day or month")
        return self

    @property
    def at_day(self) -> float:
        """The day the changes take effect."""
        return float(self.day) if self.day is not None else float(self.month) * DAYS_PER_MONTH  # type: ignore[arg-type]


class When(_Rule):
    """A policy's condition: exactly one of ``state`` (with ``below`` or ``above``), ``event``
    (with ``count``, optionally ``within_days``) or ``revenue_ratio``."""

    state: Literal[STATE_VARIABLES] | None = Field(  # type: ignore[valid-type]
        None, description="State variable watched at every weekly tick: " + ", ".join(STATE_VARIABLES) + ".")
    below: float | None = Field(None, description="Fires when the state variable is below this value.",
                                ge=-1e12, le=1e12)
    above: float | None = Field(None, description="Fires when the state variable is above this value.",
                                ge=-1e12, le=1e12)
    event: Literal[EVENTS] | None = Field(  # type: ignore[valid-type]
        None, description="Event counted, checked as it happens: " + ", ".join(EVENTS)
        + " (conflicts: conflicts that arise).")
    count: int = Field(1, description="Fires at this many events (in the run, or within within_days).",
                       ge=1, le=100_000)
    within_days: float | None = Field(None, description="Count only the events of the last this many days.",
                                      gt=0, le=1e5, json_schema_extra={"unit": "days"})
    revenue_ratio: float | None = Field(
        None, description="Fires when one partner's total revenue has grown this many times as much as the "
        "other's since day 0 (checked at every weekly tick).", gt=1, le=1e6, json_schema_extra={"unit": "ratio"})

    @model_validator(mode="after")
    def _one_rule(self) -> When:
        kinds = [k for k in ("state", "event", "revenue_ratio") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of state (with below or above), event (with count) or revenue_ratio")
        if self.state is not None and (self.below is None) == (self.above is None):
            raise ValueError(f"state = '{self.state}' needs exactly one of below or above")
        if self.state is None and (self.below is not None or self.above is not None):
            raise ValueError("below and above go with state")
        if self.event is None and (self.within_days is not None or self.count != 1):
            raise ValueError("count and within_days go with event")
        return self

    def describe(self) -> str:
        """The condition in words."""
        if self.state is not None:
            side = f"below {self.below:g}" if self.below is not None else f"above {self.above:g}"
            return f"{self.state.replace('_', ' ')} {side}"
        if self.event is not None:
            what = self.event.replace("_", " ")
            if self.within_days is not None:
                return f"{self.count} {what} within {self.within_days:g} days"
            return f"the {_ordinal(self.count)} of the {what}"
        return f"one partner's revenue growing {self.revenue_ratio:g} times the other's"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Policy(_ChangeSet):
    """Changes made when a rule on the model's observed state holds (a triggered intervention)."""

    name: str = Field("", description="Short name (letters, digits, '_', '-', spaces); it names the result "
                      "columns. Default: policies.<index>.", max_length=60)
    when: When = Field(description="The condition.")
    changes: dict[str, bool | int | float | str] = Field(
        description="Dotted field paths and their new values.")
    once: bool = Field(True, description="Fire at most once (false: whenever the condition holds, at most once "
                       "every min_gap_days).")
    min_gap_days: float = Field(0.0, description="With once = false: the fewest days between two firings.",
                                ge=0, le=1e5, json_schema_extra={"unit": "days"})
    delay_days: float = Field(0.0, description="Days between the condition holding and the changes taking effect "
                              "(the time it takes to act).", ge=0, le=1e5, json_schema_extra={"unit": "days"})

    @model_validator(mode="after")
    def _gap(self) -> Policy:
        if self.once and self.min_gap_days > 0.0:
            raise ValueError("min_gap_days goes with once = false")
        return self


def labels(scenario: Any) -> tuple[list[str], list[str]]:
    """The labels of a scenario's interventions and policies (their names, or ``interventions.<i>``)."""
    return ([iv.name or f"interventions.{i}" for i, iv in enumerate(scenario.interventions)],
            [pl.name or f"policies.{i}" for i, pl in enumerate(scenario.policies)])


def check_changes(scenario: Any) -> None:
    """Check every intervention's and policy's values against the scenario (raises ``ValueError``).

    Each set of changes must give a valid scenario on its own, and so must the scheduled
    interventions applied one after the other; names must be unique.
    """
    from pydantic import ValidationError

    from partnersim.scenario.schema import with_changes

    iv_labels, pl_labels = labels(scenario)
    seen: set[str] = set()
    for lab in (*iv_labels, *pl_labels):
        if lab in seen:
            raise ValueError(f"two interventions or policies are named '{lab}': names must be unique")
        seen.add(lab)
    base = scenario.model_copy(update={"interventions": (), "policies": ()})
    items = [(f"interventions.{i}", iv.changes) for i, iv in enumerate(scenario.interventions)]
    items += [(f"policies.{i}", pl.changes) for i, pl in enumerate(scenario.policies)]
    for where, changes in items:
        for path, value in changes.items():
            try:
                with_changes(base, {path: value})
            except ValidationError as e:
                err = e.errors()[0]
                raise ValueError(f"{where}.changes: {path}: {_message(err, path)}") from None
    order = sorted(range(len(scenario.interventions)), key=lambda i: scenario.interventions[i].at_day)
    cur = base
    for i in order:
        try:
            cur = with_changes(cur, scenario.interventions[i].changes)
        except ValidationError as e:
            raise ValueError(f"interventions.{i}.changes: after the earlier interventions: "
                             f"{_message(e.errors()[0])}") from None


def _message(err: dict[str, Any], path: str = "") -> str:
    loc = ".".join(str(x) for x in err["loc"])
    msg = str(err.get("ctx", {}).get("error", err["msg"]))
    msg = msg[:1].lower() + msg[1:]
    if err["type"] != "value_error":
        msg += f" (got {err.get('input')!r})"
    return msg if loc in ("", path) else f"{loc}: {msg}"


def item_fields(scenario: Any) -> dict[str, Any]:
    """The dotted paths of a scenario's interventions' and policies' fields that a sweep may vary, and
    their annotations: ``interventions.0.month``, ``policies.0.when.below``,
    ``interventions.0.changes.<field>`` (and the same with the item's name in place of its index).

    Examples
    --------
    >>> from partnersim.scenario import scenario_from_dict
    >>> s = scenario_from_dict({"interventions": [{"name": "checkins", "month": 6,
    ...                         "changes": {"agreement.cadence.weekly.enabled": True}}]})
    >>> sorted(p for p in item_fields(s) if p.startswith("interventions.0"))[:2]
    ['interventions.0.changes.agreement.cadence.weekly.enabled', 'interventions.0.day']
    """
    from partnersim.scenario.schema import leaf_fields

    leaves = leaf_fields()
    out: dict[str, Any] = {}
    for section, items, model in (("interventions", scenario.interventions, Intervention),
                                  ("policies", scenario.policies, Policy)):
        for i, item in enumerate(items):
            keys = [str(i)] + ([item.name] if item.name and not item.name.isdigit() else [])
            fields: dict[str, Any] = {}
            for name, info in model.model_fields.items():
                if name in ("name", "changes", "when"):
                    continue
                fields[name] = info.annotation
            if section == "policies":
                for name, info in When.model_fields.items():
                    fields[f"when.{name}"] = info.annotation
            for path in item.changes:
                fields[f"changes.{path}"] = leaves[path].annotation
            for key in keys:
                out.update({f"{section}.{key}.{k}": v for k, v in fields.items()})
    return out
