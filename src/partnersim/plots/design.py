"""The plot of a design search: every design evaluated, the Pareto front, the start and the recommended design.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from partnersim.analysis.design_search import search
>>> from partnersim.analysis.design_space import Lever, Objective
>>> def ev(ch):
...     x, y = ch.get("x", 0), ch.get("y", 0)
...     return pd.DataFrame({"replication": [0, 1], "f": [x + 0.0] * 2, "g": [4.0 - x - y] * 2})
>>> r = search([Lever("x", (0, 1, 2), True), Lever("y", (0, 1), False)], [Objective("f"), Objective("g")], 5, ev,
...            base={"x": 0, "y": 0}, metrics={"f": ("", ""), "g": ("", "")})
>>> plot_front(r).axes[0].get_xlabel()
'g (max)'
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_front"]


def _label(result: Any, metric: str, maximize: bool | None = None) -> str:
    from partnersim.analysis.design_space import DESIGN_METRICS
    from partnersim.analysis.units import METRIC_LABELS, human_unit, metric_unit, partner_names, short_label

    if metric in METRIC_LABELS or metric in DESIGN_METRICS:
        partners = partner_names(result.scenario) if result.scenario is not None else None
        text = short_label(metric, partners) if metric in METRIC_LABELS else DESIGN_METRICS[metric][1].split(",")[0]
        unit = metric_unit(metric) or DESIGN_METRICS.get(metric, ("", ""))[0]
        cur = result.scenario.currency if result.scenario is not None else ""
        shown = human_unit(unit, cur) if unit and unit not in ("0/1", "0..1") else ""
        text = f"{text} ({shown})" if shown.strip() else text
    else:
        text = metric
    if maximize is not None:
        text += " (max)" if maximize else " (min)"
    return text


def plot_front(result: Any, ax: Any = None) -> Any:
    """Scatter the designs of ``result`` (a :class:`~partnersim.analysis.design_search.DesignResult`).

    With two or more objectives: the second objective across, the first up; the Pareto front joined
    by a line. With one: the objective against the first constraint's metric, else against meeting
    hours per month, else against the trial that found the design. Infeasible designs are grey
    crosses, the start a black square, the recommended design a star.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    else:
        fig = ax.figure
    d = result.designs
    objs = result.objectives
    y_m, y_max = objs[0].metric, objs[0].maximize
    if len(objs) >= 2:
        x_m, x_max = objs[1].metric, objs[1].maximize
    elif result.constraints:
        x_m, x_max = result.constraints[0].metric, None
    elif "meeting_hours_per_month" in d:
        x_m, x_max = "meeting_hours_per_month", None
    else:
        x_m, x_max = "trial", None
    feas = d["feasible"].to_numpy(bool)
    x, y = d[x_m].to_numpy(float), d[y_m].to_numpy(float)
    ax.scatter(x[feas], y[feas], s=28, color="#8fb3d9", label="feasible design", zorder=2)
    if (~feas).any():
        ax.scatter(x[~feas], y[~feas], s=28, marker="x", color="#9a9a9a", label="breaks a constraint", zorder=2)
    front = d[d["front"]]
    if len(front):
        order = np.argsort(front[x_m].to_numpy(float))
        ax.plot(front[x_m].to_numpy(float)[order], front[y_m].to_numpy(float)[order], "-o", color="#1f5fa8",
                ms=6, label="Pareto front" if len(objs) >= 2 else "best", zorder=3)
    start = d[d["key"] == result.start_key]
    ax.scatter(start[x_m], start[y_m], marker="s", s=60, color="black", label="start", zorder=4)
    if result.recommended_key is not None:
        top = d[d["key"] == result.recommended_key]
        ax.scatter(top[x_m], top[y_m], marker="*", s=240, color="#d95f02", edgecolor="black", linewidth=0.6,
                   label="recommended", zorder=5)
    if result.constraints and x_m == result.constraints[0].metric:
        ax.axvline(result.constraints[0].limit, color="#b22222", ls="--", lw=1, label="constraint limit")
    ax.set_xlabel("trial" if x_m == "trial" else _label(result, x_m, x_max))
    ax.set_ylabel(_label(result, y_m, y_max))
    from matplotlib.ticker import PercentFormatter

    from partnersim.analysis.units import metric_unit

    for metric, axis in ((x_m, ax.xaxis), (y_m, ax.yaxis)):
        if result.scenario is not None and metric_unit(metric) == "0/1":
            axis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(f"{len(d) - 1} designs and the start, {int(d['front'].sum())} on the front", fontsize=10)
    return fig
