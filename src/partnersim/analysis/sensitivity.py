"""Sensitivity analysis of a finished sweep: Sobol indices, Morris screening, grid responses.

- **Sobol** (a ``sobol`` sweep): first-order ``S1`` and total ``ST`` indices with their
  bootstrap confidence intervals (``SALib.analyze.sobol``).
- **Morris** (a ``morris`` sweep): ``mu_star`` (mean absolute elementary effect, per unit of the
  normalised parameter, so comparable across parameters) with its interval, and ``sigma``
  (spread of the effects: interactions or non-linearity) (``SALib.analyze.morris``).
- **Grid** (a ``grid`` sweep): main effects (the spread of each parameter's marginal means,
  and the share of the variance of point means they explain) and a response table of a metric
  over two parameters (means over replications and the other parameters).

Replications are averaged per design point before the analysis (failed runs and undefined
values left out), so the indices describe the expected metric, not one noisy run. The
analysis works on the unit sample the design drew (see :mod:`partnersim.analysis.design`).
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partnersim.analysis.design import salib_problem
from partnersim.analysis.storage import read_manifest, read_points, read_runs
from partnersim.scenario import InputError

__all__ = ["DEFAULT_METRICS", "MIN_VARYING_POINTS", "SweepData", "variance_problem",
           "load_sweep_data", "point_means", "sobol_indices", "morris_indices",
           "grid_effects", "response_table", "indices"]

DEFAULT_METRICS = ("joint_revenue", "survived", "final_trust", "escalations")


@dataclass(frozen=True)
class SweepData:
    """A sweep folder's manifest, design points and runs."""

    folder: Path
    manifest: dict[str, Any]
    points: pd.DataFrame
    runs: pd.DataFrame

    @property
    def kind(self) -> str:
        """Design kind."""
        return str(self.manifest["design"]["kind"])

    @property
    def names(self) -> list[str]:
        """Parameter paths."""
        return [p["path"] for p in self.manifest["parameters"]]

    @property
    def metrics(self) -> list[str]:
        """Metric columns."""
        return list(self.manifest["metrics"])


def load_sweep_data(folder: str | Path, *, require_complete: bool = True) -> SweepData:
    """Read a sweep folder; an unfinished sweep is an :class:`InputError` unless ``require_complete=False``."""
    f = Path(folder)
    man = read_manifest(f)
    if man is None:
        raise InputError(str(folder), None, "not a sweep folder (no manifest.json); run `partnersim sweep` first")
    runs = read_runs(f)
    if require_complete and len(runs) < man["planned"]:
        raise InputError(str(folder), None, f"the sweep is unfinished ({len(runs)} of {man['planned']} runs); run "
                         "the same `partnersim sweep` command again to finish it")
    return SweepData(f, man, read_points(f), runs)


def point_means(runs: pd.DataFrame, metric: str, n_points: int) -> np.ndarray:
    """Mean of ``metric`` over each point's replications (failed runs and NaN left out); NaN if none."""
    ok = runs[runs["error"].fillna("") == ""] if "error" in runs else runs
    m = ok.groupby("point_id")[metric].mean()  # pandas mean skips NaN
    out = np.full(n_points, np.nan)
    idx = m.index.to_numpy(dtype=np.int64)
    out[idx] = m.to_numpy(dtype=float)
    return out


MIN_VARYING_POINTS = 3  # a metric that differs from its usual value at fewer points has nothing to rank


def variance_problem(y: np.ndarray) -> str | None:
    """Why ``y`` (one value per point) has too little variance to rank parameters by, or ``None``.

    Constant, or varying by no more than round-off (a standard deviation of at most 1e-9 of
    its typical size), or differing from its most common value at fewer than
    :data:`MIN_VARYING_POINTS` points: indices computed from it would be noise.
    """
    v = np.asarray(y, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    std = float(np.std(v))
    if std == 0:
        return "constant over the design (no sensitivity to measure)"
    if std <= 1e-9 * max(1.0, float(np.mean(np.abs(v)))):
        return f"almost constant over the design (standard deviation {std:.2g}: round-off, no sensitivity to measure)"
    values, counts = np.unique(v, return_counts=True)
    varying = int(v.size - counts.max())
    if varying < MIN_VARYING_POINTS:
        return (f"differs from its usual value {values[counts.argmax()]:.4g} at only {varying} of {v.size} points "
                "(too little variance to rank anything)")
    return None


def _check_y(y: np.ndarray, metric: str) -> None:
    bad = int(np.isnan(y).sum())
    if bad:
        raise ValueError(f"{metric}: undefined at {bad} of {len(y)} points (no successful run with a value)")
    problem = variance_problem(y)
    if problem:
        raise ValueError(f"{metric}: {problem}")


def sobol_indices(y: np.ndarray, names: list[str], *, second_order: bool = False, seed: int = 0,
                  num_resamples: int = 200, conf_level: float = 0.95) -> pd.DataFrame:
    """Sobol first-order and total indices of ``y`` (one value per point of a Saltelli/Sobol sample).

    Returns
    -------
    DataFrame
        ``parameter, S1, S1_conf, ST, ST_conf`` ranked by ``ST`` (largest first); ``*_conf`` is the
        half-width of the ``conf_level`` interval.

    Examples
    --------
    >>> import numpy as np
    >>> from partnersim.analysis.design import sample_unit
    >>> u = sample_unit("sobol", 2, 256, seed=1)
    >>> t = sobol_indices(3 * u[:, 0] + u[:, 1], ["a", "b"])
    >>> list(t["parameter"])
    ['a', 'b']
    """
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    _check_y(y, "y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sobol.analyze(salib_problem(names), y, calc_second_order=second_order, num_resamples=num_resamples,
                            conf_level=conf_level, seed=seed)
    df = pd.DataFrame({"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                       "ST_conf": res["ST_conf"]})
    return df.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)


def morris_indices(unit: np.ndarray, y: np.ndarray, names: list[str], *, levels: int = 4, seed: int = 0,
                   num_resamples: int = 200, conf_level: float = 0.95) -> pd.DataFrame:
    """Morris screening of ``y`` over the unit sample ``unit`` (SALib's trajectories, in order).

    Returns
    -------
    DataFrame
        ``parameter, mu_star, mu_star_conf, sigma, mu`` ranked by ``mu_star``; effects are per
        unit of the normalised parameter (its whole range, or its whole list of values, is 1).
    """
    from SALib.analyze import morris

    y = np.asarray(y, dtype=float)
    _check_y(y, "y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = morris.analyze(salib_problem(names), np.asarray(unit, dtype=float), y, num_resamples=num_resamples,
                             conf_level=conf_level, num_levels=levels, seed=seed)
    df = pd.DataFrame({"parameter": names, "mu_star": np.asarray(res["mu_star"], dtype=float),
                       "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
                       "sigma": np.asarray(res["sigma"], dtype=float), "mu": np.asarray(res["mu"], dtype=float)})
    return df.sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)


def grid_effects(points: pd.DataFrame, y: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Main effects on a full factorial grid.

    Returns
    -------
    DataFrame
        ``parameter, low, high, spread, share``: the lowest and highest marginal mean of ``y``
        over the parameter's values, their difference, and ``Var(E[y | parameter]) / Var(y)``
        over the grid (the first-order index of the grid's own distribution), ranked by share.
    """
    y = np.asarray(y, dtype=float)
    df = points[names].copy()
    df["_y"] = y
    df = df[np.isfinite(df["_y"])]
    var = float(df["_y"].var(ddof=0))
    rows = []
    for n in names:
        m = df.groupby(n)["_y"].mean()
        w = df.groupby(n)["_y"].size() / len(df)
        share = float((w * (m - df["_y"].mean()) ** 2).sum() / var) if var > 0 else float("nan")
        rows.append({"parameter": n, "low": float(m.min()), "high": float(m.max()),
                     "spread": float(m.max() - m.min()), "share": share})
    return pd.DataFrame(rows).sort_values("share", ascending=False, kind="stable").reset_index(drop=True)


def response_table(runs: pd.DataFrame, metric: str, x: str, y: str | None = None) -> pd.DataFrame:
    """Mean of ``metric`` by ``y`` (rows) and ``x`` (columns), over replications and other parameters."""
    ok = runs[runs["error"].fillna("") == ""] if "error" in runs else runs
    cols = pd.unique(ok[x])  # in design order (runs are sorted by point)
    if y is None:
        return ok.groupby(x)[metric].mean().to_frame().T.reindex(columns=cols)
    return ok.pivot_table(index=y, columns=x, values=metric, aggfunc="mean", observed=True).reindex(
        index=pd.unique(ok[y]), columns=cols)


def _check_metrics(metrics: list[str], available: list[str], source: str) -> None:
    for m in metrics:
        if m not in available:
            g = difflib.get_close_matches(m, available, n=1)
            raise InputError(source, None, f"unknown metric {m!r}" + (f"; did you mean {g[0]!r}?" if g else ""))


def indices(data: SweepData, metrics: list[str] | None = None, *, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """Sensitivity indices of a Sobol or Morris sweep (or main effects of a grid), one block per metric.

    Returns
    -------
    (DataFrame, list of str)
        The table with a ``metric`` column first, and notes on metrics that were skipped
        (undefined at some points, or with too little variance: see :func:`variance_problem`).
    """
    metrics = list(metrics or DEFAULT_METRICS)
    _check_metrics(metrics, data.metrics, "--metric")
    n = len(data.points)
    names = data.names
    design = data.manifest["design"]
    blocks, notes = [], []
    for m in metrics:
        y = point_means(data.runs, m, n)
        try:
            if data.kind == "sobol":
                t = sobol_indices(y, names, second_order=bool(design.get("second_order")), seed=seed)
            elif data.kind == "morris":
                unit = data.points[[f"u.{p}" for p in names]].to_numpy(dtype=float)
                t = morris_indices(unit, y, names, levels=int(design.get("levels") or 4), seed=seed)
            elif data.kind == "grid":
                if np.isnan(y).all():
                    raise ValueError(f"{m}: undefined at every point")
                problem = variance_problem(y)
                if problem:
                    raise ValueError(f"{m}: {problem}")
                t = grid_effects(data.points, y, names)
            else:
                raise InputError(str(data.folder), None, f"a {data.kind} sweep has no sensitivity indices here; "
                                 "use sobol, morris or grid designs (or read the runs with read_runs)")
        except ValueError as e:
            notes.append(str(e).replace("y:", f"{m}:", 1))
            continue
        t.insert(0, "metric", m)
        t.insert(2, "rank", np.arange(1, len(t) + 1))
        blocks.append(t)
    table = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame()
    return table, notes
