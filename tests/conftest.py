"""Shared helpers of the test suite: bundled files, quiet scenarios, scripted streams, strategies.

Test modules import the helpers with ``from conftest import ...`` (pytest puts this folder
on ``sys.path``).
"""

from __future__ import annotations

import math
import typing
from pathlib import Path
from typing import Any

import annotated_types as at
from hypothesis import strategies as hs
from pydantic import BaseModel

from partnersim.model.streams import Stream
from partnersim.scenario import Scenario, with_changes
from partnersim.scenario.schema import Mechanisms

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"


def bundled_files() -> list[Path]:
    """The bundled scenario files (sweep files, ``sweep_*.toml``, are not scenarios)."""
    return sorted(p for p in SCENARIO_DIR.glob("*.toml") if not p.name.startswith("sweep_"))


MECHANISMS = tuple(Mechanisms.model_fields)


def only(*on: str, base: Scenario | None = None, **changes: Any) -> Scenario:
    """A scenario with every mechanism off except ``on``; ``changes`` use ``__`` for dots.

    >>> only("meetings", horizon_days=30).mechanisms.conflicts
    False
    """
    unknown = set(on) - set(MECHANISMS)
    assert not unknown, unknown
    ch: dict[str, Any] = {f"mechanisms.{k}": (k in on) for k in MECHANISMS}
    ch.update({k.replace("__", "."): v for k, v in changes.items()})
    return with_changes(base or Scenario(), ch)


class ScriptedStream(Stream):
    """A :class:`Stream` whose draws are scripted; an unscripted draw fails the test.

    ``exponential(mean)`` returns ``mean x`` the next scripted unit draw. ``default_*``,
    when given, is returned once a script runs out.
    """

    __slots__ = ("u", "e", "n", "default_u", "default_e", "log")

    def __init__(self, uniform=(), exponential=(), normal=(), *, default_uniform=None,
                 default_exponential=None) -> None:
        self.u = list(uniform)
        self.e = list(exponential)
        self.n = list(normal)
        self.default_u = default_uniform
        self.default_e = default_exponential
        self.log: list[tuple[str, float]] = []

    def _next(self, script: list[float], default: float | None, what: str) -> float:
        if script:
            x = script.pop(0)
        elif default is not None:
            x = default
        else:
            raise AssertionError(f"unscripted {what} draw")
        self.log.append((what, x))
        return x

    @property
    def generator(self):
        """Vectorised draws (planned message traffic) come from a fixed generator."""
        import numpy as np

        return np.random.default_rng(20260101)

    def uniform(self) -> float:
        return self._next(self.u, self.default_u, "uniform")

    def exponential(self, mean: float) -> float:
        return mean * self._next(self.e, self.default_e, "exponential")

    def normal(self) -> float:
        return self._next(self.n, 0.0, "normal")


def scripted_streams(**scripts: ScriptedStream) -> dict[str, Stream]:
    """Every mechanism's stream scripted: the given ones, the others failing on any draw.

    Two streams have neutral defaults unless scripted: ``chemistry`` (drawn once per run:
    no self-serving bias, a fit of ``exp(-fit_spread^2 / 2)``) and ``sources`` (every
    conflict from the first term of the hazard, misalignment; every resolution on interests).
    """
    from partnersim.model.streams import MECHANISM_STREAMS

    out: dict[str, Stream] = {name: ScriptedStream() for name in MECHANISM_STREAMS}
    out["chemistry"] = ScriptedStream(default_exponential=0.0)
    out["sources"] = ScriptedStream(default_uniform=0.0, default_exponential=1.0)
    out.update(scripts)
    return out


def kinds(events: list[tuple], *wanted: str) -> list[tuple]:
    """The events of the given kinds, in order."""
    return [e for e in events if e[1] in wanted]


# -- hypothesis: random valid scenarios ---------------------------------------------------

# Upper bounds for rates that only make a run slow, not different in kind (property tests).
FAST_CAPS = {
    "partner_a.message_rate": 40.0,
    "partner_b.message_rate": 40.0,
    "agreement.informal_per_month": 30.0,
    "market.opportunities_per_month": 10.0,
    "market.milestones": 10,
    "market.shifts_per_year": 24.0,
}


def _leaves(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        if model is Scenario and name in ("interventions", "policies"):
            continue  # lists, not leaves (tests/test_interventions.py)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _leaves(ann, f"{prefix}{name}.")
        else:
            out.append((f"{prefix}{name}", info))
    return out


LEAVES = dict(_leaves(Scenario))


def value_strategy(path: str, info: Any, caps: dict[str, float] | None = None) -> hs.SearchStrategy:
    """Valid values of one leaf field, from its annotation and bounds."""
    ann = info.annotation
    lo = hi = None
    lo_open = hi_open = False
    max_len = None
    for meta in info.metadata:
        if isinstance(meta, at.Ge):
            lo = meta.ge
        elif isinstance(meta, at.Gt):
            lo, lo_open = meta.gt, True
        elif isinstance(meta, at.Le):
            hi = meta.le
        elif isinstance(meta, at.Lt):
            hi, hi_open = meta.lt, True
        elif isinstance(meta, at.MaxLen):
            max_len = meta.max_length
    if caps and path in caps:
        hi, hi_open = min(hi, caps[path]) if hi is not None else caps[path], False
    if ann is bool:
        return hs.booleans()
    if ann is int:
        return hs.integers(int(lo) + lo_open, int(hi) - hi_open)
    if ann is float:
        return hs.floats(lo, hi, exclude_min=lo_open, exclude_max=hi_open, allow_nan=False)
    if ann is str:
        return hs.text(hs.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=max_len or 40)
    if typing.get_origin(ann) is typing.Literal:
        return hs.sampled_from(typing.get_args(ann))
    raise NotImplementedError(f"{path}: {ann}")


@hs.composite
def scenarios(draw, horizon: tuple[float, float] | None = None, caps: dict[str, float] | None = None,
              max_changes: int = 25) -> Scenario:
    """A random valid scenario: a random subset of fields set to random valid values."""
    paths = draw(hs.lists(hs.sampled_from(sorted(LEAVES)), max_size=max_changes, unique=True))
    changes: dict[str, Any] = {}
    for path in paths:
        changes[path] = draw(value_strategy(path, LEAVES[path], caps))
    if horizon is not None:
        changes["horizon_days"] = draw(hs.floats(*horizon))
    for who in ("partner_a", "partner_b"):  # a working day must end after it starts
        s = changes.get(f"{who}.work_start", 9.0)
        e = changes.get(f"{who}.work_end", 17.0)
        if e < s + 0.25:
            s, e = (e, s) if e < s - 0.25 else (9.0, 17.0)
            changes[f"{who}.work_start"], changes[f"{who}.work_end"] = s, e
    return with_changes(Scenario(), changes)


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-6) -> bool:
    """Float equality with tolerance (NaN equals NaN)."""
    if math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
