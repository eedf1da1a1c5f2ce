"""Sweep files (TOML): a base scenario, parameters to vary, a design, replications and a seed.

A sweep file looks like this::

    # Which meeting cadence suits which funding rule?
    name = "cadence_by_funding"
    base = "baseline.toml"        # a scenario file, relative to this file, or a bundled name
    seed = 1                      # replication r of every point uses SeedSequence(seed, spawn_key=(r, ...))
    replications = 20             # runs per design point

    [fixed]                       # optional: changes applied to the base for every point
    horizon_days = 730

    [design]
    kind = "grid"                 # grid | lhs | sobol | morris

    [parameters]                  # dotted scenario paths (quoted, or as nested tables)
    "agreement.funding_rule" = ["equal", "capacity", "benefit", "fund"]
    "agreement.cadence.weekly.enabled" = [false, true]
    "agreement.goal_clarity" = { range = [0.2, 0.9], steps = 4 }

A parameter is either a list of values (``[a, b]`` or ``{ values = [a, b] }``) or a numeric
range (``{ range = [low, high] }``; grids also need ``steps``, the number of evenly spaced
values including both ends). Yes/no and text fields take lists only.

Design keys: ``kind``; ``samples`` (``lhs``: number of points; ``sobol``: the base sample N,
a power of 2, giving N (D + 2) points, or N (2D + 2) with ``second_order = true``;
``morris``: the number of trajectories, giving N (D + 1) points); ``levels`` (``morris``,
default 4); ``seed`` (the sampler's seed, default the sweep's ``seed``).

A sweep's size is computed from the file before anything is sampled (:func:`design_points`):
a design of more than :data:`MAX_POINTS` points or :data:`MAX_RUNS` runs (points x
replications) is refused, naming the size. Types are strict, as in scenario files.

Errors are :class:`~partnersim.scenario.InputError` naming the file and the dotted field, for
example ``sweeps/x.toml: parameters.agreement.goal_clarity.range: ...``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from partnersim.scenario import (
    InputError,
    Scenario,
    find_scenario_file,
    leaf_fields,
    load_scenario,
    read_toml_bytes,
    with_changes,
)
from partnersim.scenario.interventions import item_fields
from partnersim.scenario.io import format_validation_error, scenario_from_dict

__all__ = ["DESIGN_KINDS", "MAX_RUNS", "MAX_POINTS", "design_points", "DesignSpec", "Parameter", "SweepSpec",
           "load_sweep", "sweep_from_dict", "field_kind"]

DESIGN_KINDS = ("grid", "lhs", "sobol", "morris")
MAX_RUNS = 10_000_000  # runs (points x replications) a sweep may plan
MAX_POINTS = 1_000_000  # design points a sweep may plan (the design is held in memory)
_LEAF_KEYS = {"values", "range", "steps"}


class _Strict(BaseModel):
    # strict: a number is a number, a yes/no is true or false (TOML has the types; no silent coercion)
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class DesignSpec(_Strict):
    """The ``[design]`` table of a sweep file."""

    kind: Literal["grid", "lhs", "sobol", "morris"] = Field("grid", description="The experiment design.")
    samples: int | None = Field(None, ge=1, le=10_000_000, description="lhs: points; sobol: base N; morris: "
                                "trajectories.")
    second_order: bool = Field(False, description="sobol: also sample for second-order indices.")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels.")
    seed: int | None = Field(None, ge=0, description="Sampler seed (default: the sweep's seed).")


class _ParamSpec(_Strict):
    values: list[Any] | None = None
    range: list[float] | None = Field(None, min_length=2, max_length=2)
    steps: int | None = Field(None, ge=2, le=100_000)


class _Top(_Strict):
    name: str = Field("sweep", max_length=200)
    description: str = Field("", max_length=5000)
    base: str | dict[str, Any] = Field("baseline", description="Scenario file (relative path or bundled name) "
                                       "or an inline scenario table.")
    seed: int = Field(0, ge=0)
    replications: int = Field(1, ge=1, le=1_000_000)
    fixed: dict[str, Any] = Field(default_factory=dict)
    design: DesignSpec = Field(DesignSpec())
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Parameter:
    """One swept scenario field.

    Attributes
    ----------
    path
        Dotted scenario path, also the column name in the results.
    dtype
        ``"float"``, ``"int"``, ``"bool"`` or ``"str"`` (the field's type).
    values
        The list of values (categorical / grid levels), or ``None`` for a range.
    low, high
        The range, or ``None`` for a list.
    steps
        Grid steps of a range (grids only).
    """

    path: str
    dtype: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = None

    def describe(self) -> dict[str, Any]:
        """A JSON-able description (stored in the manifest)."""
        d: dict[str, Any] = {"path": self.path, "dtype": self.dtype}
        if self.values is not None:
            d["values"] = list(self.values)
        else:
            d["range"] = [self.low, self.high]
            if self.steps is not None:
                d["steps"] = self.steps
        return d


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: what to run, not how or where.

    Attributes
    ----------
    name, description
        From the file.
    base
        The base scenario with ``fixed`` applied.
    seed, replications
        Replication ``r`` of every point runs with ``run_model(scenario_p, seed, r)``.
    design
        The design table.
    parameters
        The swept parameters, in file order.
    source
        Where it came from (file path or ``"<sweep>"``).
    sha256
        Hash of the file's bytes (or of the dictionary's canonical JSON).
    text
        The file's text (stored next to the results), or ``""``.
    """

    name: str
    description: str
    base: Scenario
    seed: int
    replications: int
    design: DesignSpec
    parameters: tuple[Parameter, ...]
    source: str
    sha256: str
    text: str = ""

    @property
    def base_sha256(self) -> str:
        """Hash of the resolved base scenario (so a changed base file is noticed too)."""
        return hashlib.sha256(self.base.model_dump_json().encode()).hexdigest()

    @property
    def names(self) -> list[str]:
        """Parameter paths in order."""
        return [p.path for p in self.parameters]

    @property
    def n_points(self) -> int:
        """Design points (computed from the design table, nothing sampled)."""
        return design_points(self.design, self.parameters)

    @property
    def n_runs(self) -> int:
        """Runs planned: points x replications."""
        return self.n_points * self.replications


def design_points(design: DesignSpec, parameters: tuple[Parameter, ...] | list[Parameter]) -> int:
    """How many points a design has, computed without making it (so that its size can be refused first).

    grid: the product of each parameter's number of values (or steps); lhs: ``samples``;
    sobol: ``N (D + 2)``, or ``N (2 D + 2)`` with second-order indices; morris: ``N (D + 1)``.
    """
    d = len(parameters)
    if design.kind == "grid":
        return math.prod(len(p.values) if p.values is not None else int(p.steps or 1) for p in parameters)
    n = int(design.samples or 0)
    if design.kind == "lhs":
        return n
    if design.kind == "sobol":
        return n * (2 * d + 2 if design.second_order else d + 2)
    return n * (d + 1)


def _leaf_fields() -> dict[str, Any]:
    """Every scenario leaf path and its annotation (the type a sweep value must fit)."""
    return {path: info.annotation for path, info in leaf_fields().items()}


def field_kind(annotation: Any) -> str:
    """``"bool"``, ``"int"``, ``"float"`` or ``"str"`` for a scenario field annotation."""
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "str"
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if args:
            return field_kind(args[0])
    return "str"


def _flatten(table: dict[str, Any], prefix: str, is_leaf: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not is_leaf(value):
            out.update(_flatten(value, f"{path}.", is_leaf))
        else:
            out[path] = value
    return out


def _check_path(path: str, leaves: dict[str, Any], source: str, section: str) -> None:
    if path in leaves:
        return
    where = f"{section}.{path}"
    under = [p for p in leaves if p.startswith(path + ".")]
    if under:
        raise InputError(source, where, f"'{path}' is a section, not a parameter; e.g. '{under[0]}'")
    guess = difflib.get_close_matches(path, list(leaves), n=1, cutoff=0.6)
    if not guess:  # a misspelt last part: compare the last parts only
        last = path.rsplit(".", 1)[-1]
        tails = {p.rsplit(".", 1)[-1]: p for p in leaves}
        g = difflib.get_close_matches(last, list(tails), n=1, cutoff=0.7)
        guess = [tails[g[0]]] if g else []
    hint = f"; did you mean '{guess[0]}'?" if guess else "; see `partnersim schema` for the fields"
    raise InputError(source, where, f"unknown scenario field{hint}")


def _check_value(base: Scenario, path: str, value: Any, source: str, where: str) -> None:
    try:
        with_changes(base, {path: value})
    except ValidationError as e:
        err = format_validation_error(e, source)
        raise InputError(source, where, err.message) from None


def _parameter(path: str, raw: Any, kind: str, base: Scenario, dtype: str, source: str) -> Parameter:
    where = f"parameters.{path}"
    if isinstance(raw, list):
        raw = {"values": raw}
    if not isinstance(raw, dict):
        raise InputError(source, where, "must be a list of values or a table such as { range = [low, high] }")
    try:
        spec = _ParamSpec.model_validate(raw)
    except ValidationError as e:
        err = format_validation_error(e, source, _ParamSpec)
        raise InputError(source, f"{where}.{err.field}" if err.field else where, err.message) from None
    if (spec.values is None) == (spec.range is None):
        raise InputError(source, where, "give either values = [...] or range = [low, high]")
    if spec.values is not None:
        if spec.steps is not None:
            raise InputError(source, f"{where}.steps", "steps goes with a range, not with values")
        vals = spec.values
        if not vals:
            raise InputError(source, f"{where}.values", "needs at least one value")
        if kind != "grid" and len(vals) < 2:
            raise InputError(source, f"{where}.values", "needs at least 2 values (put constants in [fixed])")
        if len({json.dumps(v, sort_keys=True) for v in vals}) != len(vals):
            raise InputError(source, f"{where}.values", "has repeated values")
        for i, v in enumerate(vals):
            if dtype in ("float", "int") and isinstance(v, bool):
                raise InputError(source, f"{where}.values[{i}]", f"must be a number (got {v!r})")
            if dtype == "int" and isinstance(v, float):
                raise InputError(source, f"{where}.values[{i}]", f"must be a whole number (got {v!r})")
            _check_value(base, path, v, source, f"{where}.values[{i}]")
        conv = {"float": float, "int": int, "bool": bool, "str": str}[dtype]
        return Parameter(path, dtype, values=tuple(conv(v) for v in vals))
    if dtype not in ("float", "int"):
        example = "[false, true]" if dtype == "bool" else "[\"a\", \"b\"]"
        raise InputError(source, f"{where}.range", f"a {'yes/no' if dtype == 'bool' else 'text'} field takes a "
                         f"list of values such as {example}, not a range")
    assert spec.range is not None
    low, high = spec.range
    if not low < high:
        raise InputError(source, f"{where}.range", f"must be [low, high] with low < high (got [{low:g}, {high:g}])")
    if dtype == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise InputError(source, f"{where}.range", "must be whole numbers for a whole-number field")
    _check_value(base, path, int(low) if dtype == "int" else low, source, f"{where}.range")
    _check_value(base, path, int(high) if dtype == "int" else high, source, f"{where}.range")
    if kind == "grid" and spec.steps is None:
        raise InputError(source, f"{where}.steps", "a grid needs steps (evenly spaced values, ends included)")
    if kind != "grid" and spec.steps is not None:
        raise InputError(source, f"{where}.steps", f"steps applies to grid designs only (this is {kind})")
    if dtype == "int" and spec.steps is not None and spec.steps > high - low + 1:
        raise InputError(source, f"{where}.steps", f"at most {int(high - low + 1)} whole numbers in this range")
    return Parameter(path, dtype, low=float(low), high=float(high), steps=spec.steps)


def _resolve_base(base: str | dict[str, Any], source: str, folder: Path | None) -> Scenario:
    if isinstance(base, dict):
        try:
            return scenario_from_dict(base, source)
        except InputError as e:
            raise InputError(source, f"base.{e.field}" if e.field else "base", e.message) from None
    p = Path(base)
    cands = []
    if folder is not None and not p.is_absolute():
        cands.append(folder / p)
    cands.append(p)
    for c in cands:
        if c.is_file():
            return load_scenario(c)
    if len(p.parts) == 1 and find_scenario_file(p).is_file():
        return load_scenario(find_scenario_file(p))
    raise InputError(source, "base", f"scenario file not found: {base!r} (relative to the sweep file, or a bundled "
                     "name such as 'baseline')")


def sweep_from_dict(data: dict[str, Any], source: str = "<sweep>", folder: Path | None = None, *,
                    sha256: str | None = None, text: str = "") -> SweepSpec:
    """Validate a sweep given as a dictionary (the parsed TOML).

    Parameters
    ----------
    data
        The sweep's keys (see the module docstring).
    source
        Name used in error messages.
    folder
        Folder against which a relative ``base`` path is resolved.
    sha256, text
        The file's hash and text, when read from a file.

    Raises
    ------
    InputError
        Naming ``source`` and the dotted field.
    """
    try:
        top = _Top.model_validate(data)
    except ValidationError as e:
        raise format_validation_error(e, source, _Top) from None
    kind = top.design.kind
    d = top.design
    if kind == "grid" and d.samples is not None:
        raise InputError(source, "design.samples", "a grid takes no samples: its points are all combinations")
    if kind != "grid" and d.samples is None:
        raise InputError(source, "design.samples", f"a {kind} design needs samples")
    if kind == "sobol" and d.samples is not None and d.samples & (d.samples - 1):
        raise InputError(source, "design.samples", f"must be a power of 2 for sobol (got {d.samples})")
    if d.second_order and kind != "sobol":
        raise InputError(source, "design.second_order", "applies to sobol designs only")
    if "levels" in data.get("design", {}) and kind != "morris":
        raise InputError(source, "design.levels", "applies to morris designs only")

    base = _resolve_base(top.base, source, folder)
    leaves = {**_leaf_fields(), **item_fields(base)}  # with interventions.0.month, policies.0.when.below, ...
    fixed = _flatten(top.fixed, "", lambda v: False)
    for path in fixed:
        _check_path(path, leaves, source, "fixed")
    if fixed:
        for path, value in fixed.items():
            _check_value(base, path, value, source, f"fixed.{path}")
        base = with_changes(base, fixed)

    raw_params = _flatten(top.parameters, "", lambda v: bool(set(v) & _LEAF_KEYS))
    if not raw_params:
        raise InputError(source, "parameters", "needs at least one parameter")
    params = []
    for path, raw in raw_params.items():
        _check_path(path, leaves, source, "parameters")
        if path in fixed:
            raise InputError(source, f"parameters.{path}", "is also in [fixed]; keep it in one place")
        params.append(_parameter(path, raw, kind, base, field_kind(leaves[path]), source))
    points = design_points(top.design, params)
    runs = points * top.replications
    if points > MAX_POINTS or runs > MAX_RUNS:
        where = ("parameters" if kind == "grid" else "design.samples") if points > MAX_POINTS else "replications"
        raise InputError(source, where, f"the design is {points:,} points x {top.replications:,} replications = "
                         f"{runs:,} runs; at most {MAX_POINTS:,} points and {MAX_RUNS:,} runs (split the sweep, "
                         "or use fewer values, samples or replications)")
    if sha256 is None:
        sha256 = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return SweepSpec(top.name, top.description, base, top.seed, top.replications, top.design, tuple(params),
                     source, sha256, text)


def load_sweep(path: str | Path) -> SweepSpec:
    """Load and validate a sweep file.

    Examples
    --------
    >>> from partnersim.analysis.sweepfile import load_sweep
    >>> spec = load_sweep("scenarios/sweep_cadence_funding.toml")  # doctest: +SKIP
    >>> spec.design.kind, spec.names  # doctest: +SKIP
    ('grid', ['agreement.cadence.weekly.enabled', 'agreement.funding_rule'])

    Raises
    ------
    InputError
        With a one-line message naming the file and the field.
    """
    p = find_scenario_file(path)
    data, raw = read_toml_bytes(p)  # one read: the hash is of the text parsed
    return sweep_from_dict(data, str(path), p.resolve().parent, sha256=hashlib.sha256(raw).hexdigest(),
                           text=raw.decode("utf-8"))
