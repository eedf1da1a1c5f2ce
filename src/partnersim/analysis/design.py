"""Experiment designs: a sweep's parameters -> design points.

- ``grid``: the full factorial (``itertools.product``) of each parameter's values, in file
  order, the last parameter varying fastest. A range gives ``steps`` evenly spaced values,
  both ends included (rounded for whole-number fields).
- ``lhs``: SALib's Latin hypercube, ``samples`` points.
- ``sobol``: SALib's Saltelli/Sobol' sampler (``SALib.sample.sobol``), ``N (D + 2)`` points,
  or ``N (2D + 2)`` with second-order indices.
- ``morris``: SALib's Morris trajectories, ``N (D + 1)`` points on ``levels`` levels.

Sampled designs draw a unit sample ``u`` in [0, 1] per parameter and map it to a value:

- a numeric range: ``low + u (high - low)``; whole-number fields take
  ``low + floor(u (high - low + 1))``, capped at ``high``, so each whole number is equally likely;
- a list of values (text, yes/no, or numbers given as a list): ``values[floor(u n)]``
  (capped at the last), each value equally likely. For a yes/no field given as
  ``[false, true]`` this is a threshold: ``u >= 0.5`` means true.

The unit sample is kept (columns ``u.<path>``) because sensitivity analysis works on it.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from partnersim.analysis.sweepfile import Parameter, SweepSpec

__all__ = ["Design", "make_design", "salib_problem", "sample_unit", "unit_to_values", "grid_levels"]


@dataclass(frozen=True)
class Design:
    """Design points of a sweep.

    Attributes
    ----------
    kind
        ``"grid"``, ``"lhs"``, ``"sobol"`` or ``"morris"``.
    parameters
        The swept parameters, in order.
    values
        Parameter path -> array of the value at each point (length ``n_points``).
    unit
        The unit sample, shape ``(n_points, D)``, or ``None`` for a grid.
    meta
        What sensitivity analysis needs (``second_order``, ``levels``, ``samples``, ``seed``).
    """

    kind: str
    parameters: tuple[Parameter, ...]
    values: dict[str, np.ndarray]
    unit: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return len(next(iter(self.values.values()))) if self.values else 0

    @property
    def names(self) -> list[str]:
        """Parameter paths."""
        return [p.path for p in self.parameters]

    def changes(self, point: int) -> dict[str, Any]:
        """The scenario changes of one point (plain Python values)."""
        return {name: arr[point].item() if hasattr(arr[point], "item") else arr[point]
                for name, arr in self.values.items()}

    def table(self) -> Any:
        """The points as a DataFrame: ``point_id``, the parameters, and ``u.<path>`` for sampled designs."""
        import pandas as pd

        df = pd.DataFrame({"point_id": np.arange(self.n_points, dtype=np.int64)})
        for name, arr in self.values.items():
            df[name] = arr
        if self.unit is not None:
            for j, name in enumerate(self.names):
                df[f"u.{name}"] = self.unit[:, j]
        return df


_NP_DTYPE = {"float": np.float64, "int": np.int64, "bool": np.bool_, "str": object}


def grid_levels(p: Parameter) -> list[Any]:
    """The values a grid takes for one parameter."""
    if p.values is not None:
        return list(p.values)
    assert p.low is not None and p.high is not None and p.steps is not None
    vals = np.linspace(p.low, p.high, p.steps)
    if p.dtype == "int":
        return [int(round(v)) for v in vals]
    return [float(v) for v in vals]


def unit_to_values(p: Parameter, u: np.ndarray) -> np.ndarray:
    """Map a unit sample (values in [0, 1]) to the parameter's values (see the module docstring)."""
    u = np.asarray(u, dtype=float)
    if p.values is not None:
        n = len(p.values)
        idx = np.minimum(np.floor(u * n).astype(np.int64), n - 1)
        idx = np.maximum(idx, 0)
        out = np.empty(len(u), dtype=_NP_DTYPE[p.dtype])
        for i, j in enumerate(idx):
            out[i] = p.values[j]
        return out
    assert p.low is not None and p.high is not None
    if p.dtype == "int":
        lo, hi = int(p.low), int(p.high)
        return np.minimum(lo + np.floor(u * (hi - lo + 1)).astype(np.int64), hi)
    return p.low + u * (p.high - p.low)


def salib_problem(names: list[str]) -> dict[str, Any]:
    """The SALib problem on the unit cube (every parameter in [0, 1])."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def sample_unit(kind: str, n_params: int, samples: int, seed: int, *, second_order: bool = False,
                levels: int = 4) -> np.ndarray:
    """SALib's sample for ``kind`` (``lhs``, ``sobol``, ``morris``) on the unit cube, shape ``(points, n_params)``.

    The rows are in SALib's order, which its ``analyze`` functions expect.
    """
    problem = salib_problem([f"x{i}" for i in range(n_params)])
    n = samples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's advice on sample sizes is in our own validation
        if kind == "lhs":
            from SALib.sample import latin

            return latin.sample(problem, n, seed=seed)
        if kind == "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem, n, calc_second_order=second_order, seed=seed)
        if kind == "morris":
            from SALib.sample import morris

            return morris.sample(problem, n, num_levels=levels, seed=seed)
    raise ValueError(f"unknown design kind {kind!r}")


def make_design(spec: SweepSpec) -> Design:
    """The design points of a sweep (a pure function of the sweep: the same file, the same points).

    Examples
    --------
    >>> from partnersim.analysis.sweepfile import sweep_from_dict
    >>> spec = sweep_from_dict({"parameters": {"agreement.funding_rule": ["equal", "fund"],
    ...                                         "agreement.goal_clarity": {"range": [0.2, 0.8], "steps": 3}}})
    >>> d = make_design(spec)
    >>> d.n_points, d.changes(1)
    (6, {'agreement.funding_rule': 'equal', 'agreement.goal_clarity': 0.5})
    """
    params = spec.parameters
    d = spec.design
    names = [p.path for p in params]
    if d.kind == "grid":
        combos = list(itertools.product(*(grid_levels(p) for p in params)))
        values = {}
        for j, p in enumerate(params):
            arr = np.empty(len(combos), dtype=_NP_DTYPE[p.dtype])
            for i, c in enumerate(combos):
                arr[i] = c[j]
            values[p.path] = arr
        return Design("grid", params, values, None, {})
    seed = d.seed if d.seed is not None else spec.seed
    assert d.samples is not None
    unit = np.asarray(sample_unit(d.kind, len(names), d.samples, seed, second_order=d.second_order,
                                  levels=d.levels), dtype=float)
    values = {p.path: unit_to_values(p, unit[:, j]) for j, p in enumerate(params)}
    meta = {"samples": d.samples, "seed": seed, "second_order": d.second_order, "levels": d.levels}
    return Design(d.kind, params, values, unit, meta)
