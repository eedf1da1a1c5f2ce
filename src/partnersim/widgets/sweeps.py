"""Helpers of the sweep and sensitivity notebooks: a sweep sized for the session, its folder,
figures as images, where the partnership fails, and which levers matter most in words.

``PARTNERSIM_QUICK=1`` shrinks a sweep (two replications, a six-month horizon, the smallest
sampling design) so the notebooks run in seconds in the test suite; ``PARTNERSIM_OUT`` is the
folder sweeps are written under (default ``out``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partnersim.scenario import find_scenario_file, read_toml
from partnersim.widgets.base import Settings

__all__ = ["prepare_sweep", "failure_points", "failure_sentences", "ranking_sentences", "show", "short_name"]


def prepare_sweep(name_or_path: str | Path, *, quick: bool | None = None,
                  out: str | Path | None = None) -> tuple[Any, Path]:
    """The sweep to run and its output folder.

    Parameters
    ----------
    name_or_path
        A sweep file, or a bundled one's name (``"sweep_cadence_funding"``).
    quick
        Shrink the sweep (default: ``PARTNERSIM_QUICK``): 2 replications, a 180-day horizon,
        a grid's or the smallest sampling design.
    out
        Output folder (default: ``$PARTNERSIM_OUT/<file name>``, ``-quick`` appended when shrunk).

    Returns
    -------
    (SweepSpec, Path)
        For :func:`partnersim.sweep`.
    """
    from partnersim.analysis.sweepfile import sweep_from_dict

    st = Settings.from_env()
    quick = st.quick if quick is None else quick
    p = find_scenario_file(name_or_path)
    data = read_toml(p)
    if quick:
        data = copy.deepcopy(data)
        data["replications"] = 2
        data.setdefault("fixed", {})["horizon_days"] = 180
        design = data.setdefault("design", {})
        if design.get("kind") == "sobol":
            design["samples"] = 8
        elif design.get("kind") in ("lhs", "morris"):
            design["samples"] = 4
    spec = sweep_from_dict(data, str(p), p.resolve().parent)
    folder = Path(out) if out is not None else st.out / (p.stem + ("-quick" if quick else ""))
    return spec, folder


def failure_points(runs: pd.DataFrame, parameters: list[str], threshold: float = 0.9) -> pd.DataFrame:
    """Design points where the partnership survives less often than ``threshold``, worst first.

    Returns
    -------
    DataFrame
        The parameters, ``survival`` (share of replications that survived), ``final_trust``
        and ``runs``, one row per failing point.
    """
    ok = runs[runs["error"].fillna("") == ""] if "error" in runs else runs
    g = ok.groupby("point_id")
    table = g[parameters].first()
    table["survival"] = g["survived"].mean()
    table["final_trust"] = g["final_trust"].mean()
    table["runs"] = g.size()
    return table[table["survival"] < threshold].sort_values("survival").reset_index(drop=True)


def failure_sentences(runs: pd.DataFrame, parameters: list[str], threshold: float = 0.9) -> list[str]:
    """Where the partnership fails, in words: per parameter, the values at which survival drops.

    Compares each parameter value's mean survival with the sweep's overall survival.
    """
    ok = runs[runs["error"].fillna("") == ""] if "error" in runs else runs
    overall = float(ok["survived"].mean())
    lines = [f"Over the whole sweep, the partnership survives in {overall:.0%} of the runs."]
    for p in parameters:
        by = ok.groupby(p)["survived"].mean()
        worst, best = by.idxmin(), by.idxmax()
        if by.max() - by.min() < 0.02:
            lines.append(f"{short_name(p)}: survival hardly depends on it ({by.min():.0%}–{by.max():.0%}).")
        else:
            lines.append(f"{short_name(p)}: survival is lowest at {_v(worst)} ({by.min():.0%}) and highest at "
                         f"{_v(best)} ({by.max():.0%}).")
    failing = failure_points(ok, parameters, threshold)
    if failing.empty:
        lines.append(f"No design point falls below {threshold:.0%} survival.")
    else:
        w = failing.iloc[0]
        where = ", ".join(f"{short_name(p)} = {_v(w[p])}" for p in parameters)
        lines.append(f"{len(failing)} design point(s) fall below {threshold:.0%} survival; the worst is {where} "
                     f"({w['survival']:.0%}).")
    return lines


def ranking_sentences(table: pd.DataFrame) -> list[str]:
    """Which levers matter most for each metric of a sensitivity table, in words."""
    lines = []
    for metric, t in table.groupby("metric", sort=False):
        col = next(c for c in ("ST", "mu_star", "share") if c in t)
        t = t.sort_values(col, ascending=False)
        top = [f"{short_name(r['parameter'])} ({r[col]:.2f})" for _, r in t.head(3).iterrows()]
        lines.append(f"{metric}: most sensitive to " + ", then ".join(top) + f" [{col}].")
    return lines


def short_name(path: str) -> str:
    """The last two parts of a dotted path (``cadence.weekly.enabled`` -> ``weekly.enabled``)."""
    parts = str(path).split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else str(path)


def _v(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x):g}"
    return str(x)


def show(fig: Any) -> Any:
    """A matplotlib figure as an ``IPython.display.Image`` (PNG), for any notebook backend."""
    from IPython.display import Image

    from partnersim.widgets.render import figure_png

    return Image(figure_png(fig))
