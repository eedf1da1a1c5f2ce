"""The levers a workshop moves, as data: each control maps to dotted scenario paths.

A lever reads its value from a scenario (:meth:`Lever.read`) and turns a control value back
into ``with_changes`` changes (:meth:`Lever.changes`). The table :data:`LEVERS` is the whole
mapping between the controls and the scenario; the apps build their controls from it and
never touch model state: a control change makes a new scenario with
:func:`~partnersim.scenario.with_changes`.

Three kinds of lever:

- ``direct``: one path, the value shown times ``scale`` (horizon in years, stored in days);
- ``combo``: a dropdown whose options each set several paths (meeting rhythm: which of the
  three cadences are held; conflict handling: procedure and facilitator);
- ``offset``: a path set relative to another (partner B's time zone as hours from A's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from partnersim.scenario import Scenario, bundled_dir, field_units, load_scenario, with_changes

__all__ = [
    "LEVERS",
    "EXPLORE_LEVERS",
    "WORKSHOP_LEVERS",
    "Lever",
    "lever",
    "lever_changes",
    "lever_values",
    "make_control",
    "preset_files",
    "presets",
    "scenario_from_values",
]

Kind = Literal["direct", "combo", "offset"]
Widget = Literal["toggle", "slider", "int_slider", "dropdown"]

_CADENCES = ("weekly", "monthly", "quarterly")


def _rhythm_options() -> tuple[tuple[str, dict[str, Any]], ...]:
    names = {"weekly": "weekly check-ins", "monthly": "monthly reviews", "quarterly": "quarterly deep dives"}
    combos = [(), ("monthly",), ("weekly",), ("quarterly",), ("weekly", "monthly"), ("monthly", "quarterly"),
              ("weekly", "quarterly"), ("weekly", "monthly", "quarterly")]
    out = []
    for on in combos:
        label = "no regular meetings" if not on else " + ".join(names[c] for c in on)
        out.append((label, {f"agreement.cadence.{c}.enabled": c in on for c in _CADENCES}))
    return tuple(out)


@dataclass(frozen=True)
class Lever:
    """One control and the scenario paths it sets.

    Attributes
    ----------
    name
        Key of the lever (used by the apps and tests).
    label
        What the control says, in plain words.
    widget
        ``toggle``, ``slider``, ``int_slider`` or ``dropdown``.
    path
        The dotted scenario path (``direct`` and ``offset`` levers).
    kind
        ``direct``, ``combo`` or ``offset``.
    options
        Dropdown options ``(label, value)``; for ``combo`` levers the value is a dict of
        ``{path: value}`` changes.
    lo, hi, step
        Slider range and step, in displayed units.
    scale
        Stored value = displayed value x ``scale`` (``direct`` levers).
    relative_to
        The path an ``offset`` lever is measured from.
    help
        A one-line explanation (the field's description by default).
    """

    name: str
    label: str
    widget: Widget
    path: str = ""
    kind: Kind = "direct"
    options: tuple[tuple[str, Any], ...] = ()
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.05
    scale: float = 1.0
    relative_to: str = ""
    help: str = field(default="", compare=False)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every scenario path this lever sets."""
        if self.kind == "combo":
            return tuple(dict.fromkeys(p for _, ch in self.options for p in ch))
        if self.kind == "offset":
            return (self.path, self.relative_to)
        return (self.path,)

    @property
    def description(self) -> str:
        """The help text: :attr:`help`, or the field's description from the schema."""
        if self.help:
            return self.help
        unit, desc = field_units().get(self.path, ("", ""))
        return f"{desc} ({unit})" if unit else desc

    def read(self, scenario: Scenario) -> Any:
        """The control value that shows ``scenario``.

        A ``combo`` lever whose options do not match the scenario returns ``None``.
        """
        if self.kind == "combo":
            for label, changes in self.options:
                if all(_get(scenario, p) == v for p, v in changes.items()):
                    return label
            return None
        if self.kind == "offset":
            return _clean(_get(scenario, self.path) - _get(scenario, self.relative_to))
        value = _get(scenario, self.path)
        if isinstance(value, bool) or isinstance(value, str):
            return value
        if self.widget == "int_slider" and self.scale == 1:
            return int(value)
        return _clean(value / self.scale)

    def changes(self, value: Any, scenario: Scenario) -> dict[str, Any]:
        """The ``with_changes`` changes that give the control value ``value``, starting from ``scenario``."""
        if self.kind == "combo":
            if value is None:
                return {}
            return dict(dict(self.options)[value])
        if self.kind == "offset":
            ref = float(_get(scenario, self.relative_to))
            target = ref + float(value)
            if target > 14.0:  # keep both offsets within the schema's -12..14 hours
                ref -= target - 14.0
                target = 14.0
            elif target < -12.0:
                ref += -12.0 - target
                target = -12.0
            out = {self.path: _clean(target)}
            if ref != _get(scenario, self.relative_to):
                out[self.relative_to] = _clean(ref)
            return out
        if self.widget in ("toggle", "dropdown"):
            return {self.path: value}
        stored = value * self.scale
        if self.widget == "int_slider" and self.scale == 1:
            stored = int(value)
        return {self.path: stored}


def _clean(x: float) -> float:
    """Round away float noise (0.30000000000000004 -> 0.3)."""
    return float(round(float(x), 9))


def _get(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for key in path.split("."):
        node = getattr(node, key)
    return node


_FUNDING = (
    ("split equally", "equal"),
    ("by capacity (proportional)", "capacity"),
    ("by expected benefit", "benefit"),
    ("from a shared fund", "fund"),
)

#: Every lever, in display order.
LEVERS: tuple[Lever, ...] = (
    Lever("rhythm", "Meeting rhythm", "dropdown", kind="combo", options=_rhythm_options(),
          help="Which regular meetings the partners hold: weekly check-ins, monthly reviews, quarterly deep dives."),
    Lever("funding", "Split costs", "dropdown", "agreement.funding_rule", options=_FUNDING),
    Lever("money_a", "Money per month, A", "slider", "partner_a.money_capacity", lo=0, hi=20_000, step=500),
    Lever("money_b", "Money per month, B", "slider", "partner_b.money_capacity", lo=0, hi=20_000, step=500),
    Lever("hours_a", "Staff hours per week, A", "slider", "partner_a.staff_hours", lo=0, hi=80, step=1),
    Lever("hours_b", "Staff hours per week, B", "slider", "partner_b.staff_hours", lo=0, hi=80, step=1),
    Lever("time_gap", "Time-zone gap (hours)", "slider", "partner_b.utc_offset", kind="offset",
          relative_to="partner_a.utc_offset", lo=0, hi=12, step=1,
          help="How many hours partner B's clock is ahead of partner A's."),
    Lever("platform", "Shared online platform", "toggle", "agreement.shared_platform"),
    Lever("clarity", "Goal clarity", "slider", "agreement.goal_clarity", lo=0, hi=1, step=0.05),
    Lever("informal", "Informal contacts per month", "slider", "agreement.informal_per_month",
          lo=0, hi=16, step=1),
    Lever("co_ownership", "Co-ownership of decisions", "slider", "agreement.co_ownership", lo=0, hi=1, step=0.05),
    Lever("conflict", "Conflict handling", "dropdown", kind="combo", options=(
        ("no agreed procedure", {"agreement.conflict.procedure": False, "agreement.conflict.facilitator": False}),
        ("agreed procedure", {"agreement.conflict.procedure": True, "agreement.conflict.facilitator": False}),
        ("procedure + neutral facilitator",
         {"agreement.conflict.procedure": True, "agreement.conflict.facilitator": True}),
        ("neutral facilitator only",
         {"agreement.conflict.procedure": False, "agreement.conflict.facilitator": True}),
    ), help="An agreed resolution procedure and timeline; a neutral facilitator for escalated conflicts."),
    Lever("horizon", "Years simulated", "slider", "horizon_days", lo=0.5, hi=5, step=0.5, scale=365.0),
)

_BY_NAME = {lv.name: lv for lv in LEVERS}

#: The levers of the explore notebook (all of them).
EXPLORE_LEVERS: tuple[str, ...] = tuple(lv.name for lv in LEVERS)
#: The levers of the workshop app: the questions a room asks.
WORKSHOP_LEVERS: tuple[str, ...] = ("rhythm", "funding", "time_gap", "platform", "clarity", "informal",
                                    "co_ownership", "conflict")


def lever(name: str) -> Lever:
    """The lever called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown lever {name!r}; known: {', '.join(_BY_NAME)}") from None


def lever_values(scenario: Scenario, names: tuple[str, ...] | list[str] | None = None) -> dict[str, Any]:
    """The control value of each lever for ``scenario``.

    Examples
    --------
    >>> from partnersim import load_scenario
    >>> v = lever_values(load_scenario("baseline"))
    >>> v["rhythm"], v["funding"], v["time_gap"], v["horizon"]
    ('monthly reviews', 'equal', 0.0, 3.0)
    """
    return {n: lever(n).read(scenario) for n in (names or EXPLORE_LEVERS)}


def lever_changes(base: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """The ``with_changes`` changes for the control ``values`` that differ from ``base``.

    Levers whose value equals what ``base`` shows change nothing, so a control that cannot
    show a preset's exact value (out of the slider's range, a cadence mix) leaves it alone.
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        lv = lever(name)
        current = lv.read(base)
        if value is None or _same(value, current):
            continue
        out.update(lv.changes(value, base))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def scenario_from_values(base: Scenario, values: dict[str, Any], name: str | None = None) -> Scenario:
    """A new scenario: ``base`` with the levers set to ``values`` (through ``with_changes``).

    Examples
    --------
    >>> from partnersim import load_scenario
    >>> s = scenario_from_values(load_scenario("baseline"), {"rhythm": "weekly check-ins", "time_gap": 8})
    >>> s.agreement.cadence.weekly.enabled, s.agreement.cadence.monthly.enabled, s.partner_b.utc_offset
    (True, False, 8.0)
    """
    changes = lever_changes(base, values)
    if name is not None:
        changes["name"] = name
    return with_changes(base, changes) if changes else base


def preset_files(folder: str | Path | None = None) -> dict[str, Path]:
    """The bundled scenario files by name (sweep files, ``sweep_*.toml``, are left out)."""
    root = Path(folder) if folder is not None else bundled_dir()
    return {p.stem: p for p in sorted(root.glob("*.toml")) if not p.name.startswith("sweep_")}


def presets(folder: str | Path | None = None) -> dict[str, Scenario]:
    """The bundled scenarios, loaded, by file name (``baseline`` first)."""
    files = preset_files(folder)
    order = sorted(files, key=lambda n: (n != "baseline", n))
    return {n: load_scenario(files[n]) for n in order}


def make_control(lv: Lever, value: Any, *, large: bool = False) -> Any:
    """An ipywidgets control for lever ``lv`` showing ``value``.

    A slider's range is widened to include ``value`` if needed. A ``combo`` dropdown gets
    an extra ``"(as in the preset)"`` option, value ``None``, when the preset matches none
    of its options.
    """
    import ipywidgets as w

    style: dict[str, Any] = {"description_width": "initial"}
    layout = w.Layout(width="100%")
    # large controls (workshop): the label goes above the control (see LeverPanel), full width
    common: dict[str, Any] = {"description": "" if large else lv.label, "style": style, "layout": layout,
                              "tooltip": lv.description}
    if lv.widget == "toggle" and large:
        ctl = w.ToggleButtons(options=[("no", False), ("yes", True)], value=bool(value), tooltip=lv.description,
                              style={"button_width": "120px"})
    elif lv.widget == "toggle":
        ctl = w.Checkbox(value=bool(value), indent=False, **common)
    elif lv.widget == "dropdown":
        opts = list(lv.options) if lv.kind != "combo" else [(label, label) for label, _ in lv.options]
        if value is None or value not in [v for _, v in opts]:
            opts.append(("(as in the preset)" if value is None else str(value), value))
        ctl = w.Dropdown(options=opts, value=value, **common)
    else:
        lo, hi = lv.lo, lv.hi
        if value is not None:
            lo, hi = min(lo, value), max(hi, value)
        if lv.widget == "int_slider":
            ctl = w.IntSlider(value=int(value), min=int(lo), max=int(hi), step=int(lv.step),
                              continuous_update=True, **common)
        else:
            ctl = w.FloatSlider(value=float(value), min=float(lo), max=float(hi), step=float(lv.step),
                                continuous_update=True, readout_format=".2f" if lv.step < 1 else ".0f",
                                **common)
    ctl.add_class("ps-control")
    if large:
        ctl.add_class("ps-large")
    ctl.add_class(f"ps-lever-{lv.name}")
    return ctl
