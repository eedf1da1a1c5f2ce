"""Figures of scenario discovery: a PRIM box against the sweep's ranges, and the peeling trade-off.

Built with :class:`matplotlib.figure.Figure` (no pyplot), like :mod:`partnersim.plots.sweep`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from partnersim.analysis.discover import Discovery, field_label, limit_words

__all__ = ["box_figure", "tradeoff_figure", "box_alt"]

_BOX = "#c0392b"
_RANGE = "#d5d8dc"


def _value(v: object) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    return str(v)


def box_figure(d: Discovery, box: int = 0) -> Figure:
    """The restricted dimensions of one box: its limits (red) against the sweep's whole range (grey).

    Numbers are drawn on their range scaled to 0-1, with the limits written at the ends;
    yes/no and choice fields show every value, the allowed ones filled.

    Parameters
    ----------
    d
        A :func:`~partnersim.analysis.discover.discover` result.
    box
        Which box (0 is the first).
    """
    if not d.boxes or not d.boxes[box].limits:
        fig = Figure(figsize=(7, 1.6), layout="constrained")
        ax = fig.add_subplot()
        ax.axis("off")
        text = (f"No box: no region where most settings meet {d.condition}" if not d.boxes else
                f"Box {box + 1} restricts nothing: it is the whole sweep")
        ax.text(0.5, 0.5, text, ha="center", va="center")
        return fig
    b = d.boxes[box]
    lims = list(b.limits)
    fig = Figure(figsize=(8.5, 0.75 * max(1, len(lims)) + 1.5), layout="constrained")
    ax = fig.add_subplot()
    for row, lim in enumerate(reversed(lims)):
        ax.plot([0, 1], [row, row], color=_RANGE, lw=10, solid_capstyle="butt", zorder=1)
        if lim.kind == "range":
            lo0, hi0 = lim.full
            span = (hi0 - lo0) or 1.0
            lo = lim.lower if lim.lower is not None else lo0
            hi = lim.upper if lim.upper is not None else hi0
            a, z = (lo - lo0) / span, (hi - lo0) / span
            ax.plot([a, z], [row, row], color=_BOX, lw=10, solid_capstyle="butt", zorder=2)
            ax.text(-0.02, row, f"{lo0:.3g}", ha="right", va="center", fontsize=8, color="0.4")
            ax.text(1.02, row, f"{hi0:.3g}", ha="left", va="center", fontsize=8, color="0.4")
            for pos, v, on in ((a, lo, lim.lower is not None), (z, hi, lim.upper is not None)):
                if on:
                    ax.text(pos, row + 0.22, f"{v:.3g}", ha="center", va="bottom", fontsize=8, color=_BOX)
        else:
            every = list(lim.full) or list(lim.values)
            xs = np.linspace(0.1, 0.9, len(every)) if len(every) > 1 else np.array([0.5])
            for xv, v in zip(xs, every, strict=True):
                on = v in set(lim.values)
                ax.scatter([xv], [row], s=90, zorder=3, color=_BOX if on else "white", edgecolors=_BOX)
                ax.text(xv, row + 0.22, _value(v), ha="center", va="bottom", fontsize=8,
                        color=_BOX if on else "0.4")
    ax.set_yticks(range(len(lims)), [field_label(lim.parameter, d.partners) for lim in reversed(lims)])
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.6, len(lims) - 0.3)
    ax.set_xticks([])
    for s in ("top", "right", "bottom"):
        ax.spines[s].set_visible(False)
    ax.set_title(f"Box {b.index + 1}: where {d.condition} — coverage {100 * b.coverage:.0f}%, density "
                 f"{100 * b.density:.0f}% ({b.k} of {b.n} settings)", fontsize=10)
    ax.set_xlabel("red: the box; grey: the sweep's whole range (numbers scaled to it)", fontsize=8)
    return fig


def tradeoff_figure(d: Discovery) -> Figure:
    """Coverage against density along the first box's peeling trajectory, coloured by restricted dimensions.

    The chosen step is ringed and labelled; every point is one step (a box) of the trajectory.
    """
    fig = Figure(figsize=(6.5, 4.6), layout="constrained")
    ax = fig.add_subplot()
    t = d.trajectory
    if t is None or not len(t):
        ax.axis("off")
        ax.text(0.5, 0.5, "No peeling trajectory (no box found)", ha="center", va="center")
        return fig
    res = t["res_dim"].to_numpy(int)
    levels = sorted(set(res))
    import matplotlib as mpl

    cmap = mpl.colormaps["viridis"].resampled(max(2, len(levels)))
    for i, r in enumerate(levels):
        m = res == r
        ax.scatter(t["coverage"][m], t["density"][m], s=28, color=cmap(i), label=f"{r} restricted", zorder=2)
    ax.plot(t["coverage"], t["density"], color="0.75", lw=0.8, zorder=1)
    chosen = t[t["chosen"]]
    if len(chosen):
        c = chosen.iloc[0]
        ax.scatter([c["coverage"]], [c["density"]], s=160, facecolors="none", edgecolors=_BOX, lw=2, zorder=3)
        ax.annotate(f"chosen: step {int(c['step'])}", (c["coverage"], c["density"]), textcoords="offset points",
                    xytext=(-10, -18), ha="right", fontsize=8, color=_BOX)
    ax.set_xlabel("coverage: share of all cases of interest inside the box")
    ax.set_ylabel("density: share of the box that are cases of interest")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(max(0.0, float(t["density"].min()) - 0.05), 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", title="dimensions", title_fontsize=8)
    ax.set_title(f"Peeling trajectory for {d.condition}", fontsize=10)
    return fig


def box_alt(d: Discovery, box: int = 0) -> str:
    """Alternative text for :func:`box_figure` (for the report's image)."""
    if not d.boxes:
        return f"No box was found where most settings meet {d.condition}."
    b = d.boxes[box]
    said = "; ".join(limit_words(lim, d.partners, d.currency) for lim in b.limits)
    return (f"Box {b.index + 1} against the sweep's ranges: {said}. Coverage {100 * b.coverage:.0f}%, density "
            f"{100 * b.density:.0f}%.")
