"""Figures of sweeps: bar charts of sensitivity indices, and response heatmaps of grid sweeps.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot, no global backend
change), so they work in scripts, servers and notebooks alike; save with ``fig.savefig``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["indices_figure", "response_figure"]


def _short(name: str) -> str:
    parts = str(name).split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else str(name)


def _labels(names: list[str]) -> list[str]:
    """Parameter paths without the first part they all share (``agreement.``)."""
    parts = [str(n).split(".") for n in names]
    while all(len(p) > 1 for p in parts) and len({p[0] for p in parts}) == 1:
        parts = [p[1:] for p in parts]
    return [".".join(p) for p in parts]


def indices_figure(table: pd.DataFrame, metric: str) -> Figure:
    """Horizontal bars of one metric's indices: Sobol ``S1``/``ST``, Morris ``mu_star``/``sigma``, or grid shares.

    Parameters
    ----------
    table
        One metric's rows of :func:`partnersim.analysis.sensitivity.indices`.
    metric
        The metric's name (the title).
    """
    t = table.iloc[::-1]  # largest at the top
    labels = _labels(list(t["parameter"]))
    pos = np.arange(len(t))
    fig = Figure(figsize=(7.5, 0.45 * len(t) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    h = 0.38
    if "ST" in t:
        ax.barh(pos + h / 2, t["ST"], h, xerr=t["ST_conf"], label="total (ST)", color="#3b6ea5", capsize=2)
        ax.barh(pos - h / 2, t["S1"], h, xerr=t["S1_conf"], label="first order (S1)", color="#9cc3e6", capsize=2)
        ax.set_xlabel("Sobol index (share of variance), 95% interval")
        ax.axvline(0, color="0.5", lw=0.8)
    elif "mu_star" in t:
        ax.barh(pos + h / 2, t["mu_star"], h, xerr=t["mu_star_conf"], label="mu* (mean |effect|)", color="#3b6ea5",
                capsize=2)
        ax.barh(pos - h / 2, t["sigma"], h, label="sigma (interactions, non-linearity)", color="#e6a23c")
        ax.set_xlabel(f"Morris elementary effect on {metric}, per whole parameter range")
    else:
        ax.barh(pos, t["share"], 0.6, label="share of variance of point means", color="#3b6ea5")
        ax.set_xlabel("main effect (share of variance over the grid)")
    ax.set_yticks(pos, labels)
    ax.set_title(f"Sensitivity of {metric}")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def response_figure(table: pd.DataFrame, metric: str, x: str, y: str | None) -> Figure:
    """A heatmap of a metric's mean over two parameters (``table`` from ``response_table``), values annotated."""
    data = table.to_numpy(dtype=float)
    fig = Figure(figsize=(1.1 * data.shape[1] + 3.0, 0.6 * data.shape[0] + 2.0), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(data, aspect="auto", cmap="viridis", origin="lower")
    ax.set_xticks(np.arange(data.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.columns])
    ax.set_yticks(np.arange(data.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y or "")
    finite = data[np.isfinite(data)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8,
                        color="white" if v < mid else "black")
    fig.colorbar(im, ax=ax, label=f"mean {metric}")
    ax.set_title(f"{metric} by {_short(x)}" + (f" and {_short(y)}" if y else ""))
    return fig
