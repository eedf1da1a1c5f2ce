"""Figures of interventions: the paired effect over time, and the effect against the delay.

Like :mod:`partnersim.plots.ensemble`, every function takes ``fig=None`` and returns the
figure it drew on (a new pyplot figure without one; the command line passes a bare
:class:`matplotlib.figure.Figure`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from partnersim.analysis.reading import short_label
from partnersim.model import COLUMN_UNITS, METRICS
from partnersim.plots.ensemble import COLORS, DAYS_PER_MONTH, _compact, column_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["plot_effect_over_time", "plot_too_late", "mark_intervention", "mark_figure", "intervention_section"]

_PERCENT = ("0..1", "0/1")  # scores and shares are drawn in points out of 100


def _scale(unit: str) -> tuple[float, str]:
    if unit == "0/1":
        return 100.0, "percentage points"
    if unit == "0..1":
        return 100.0, "points out of 100"
    if unit.startswith("currency"):
        return 1.0, "money"
    return 1.0, unit


def _fig(fig: Figure | None, n: int, width: float = 4.2, height: float = 3.4) -> Figure:
    if fig is not None:
        return fig
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width * n + 0.6, height), layout="constrained")


def mark_intervention(ax: Axes, day: float, label: str = "intervention", *, months: bool = True) -> None:
    """A dashed vertical line at the intervention day (x in months, or in days)."""
    x = day / DAYS_PER_MONTH if months else day
    ax.axvline(x, color="0.3", lw=1.2, ls="--", zorder=3)
    ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3), textcoords="offset points",
                ha="left", va="top", fontsize="small", color="0.3")


def plot_effect_over_time(table: pd.DataFrame, day: float | None = None, fig: Figure | None = None, *,
                          columns: Sequence[str] | None = None, level: float = 0.95) -> Figure:
    """The paired difference B - A of each series over time, with its interval (a panel per column).

    Parameters
    ----------
    table
        From :func:`partnersim.analysis.interventions.effect_over_time`.
    day
        The intervention day, drawn as a dashed line.
    fig
        Figure to draw on (default: a new one).
    columns
        The columns to draw (default: every column of the table).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from partnersim import compare, intervene, load_scenario, with_changes
    >>> from partnersim.analysis.interventions import effect_over_time
    >>> a = with_changes(load_scenario("baseline"), {"horizon_days": 364})
    >>> b = intervene(a, {"agreement.cadence.weekly.enabled": True}, month=6)
    >>> f = plot_effect_over_time(effect_over_time(compare(a, b, reps=6, seed=1, workers=1)), day=182.6)
    >>> len(f.axes)
    3
    """
    cols = list(columns) if columns is not None else list(dict.fromkeys(table["column"]))
    fig = _fig(fig, len(cols))
    axes = fig.subplots(1, len(cols), squeeze=False)[0]
    for ax, col in zip(axes, cols, strict=True):
        t = table[table["column"] == col]
        unit = COLUMN_UNITS.get(col, ("", ""))[0]
        k, shown = _scale(unit)
        x = t["day"].to_numpy() / DAYS_PER_MONTH
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.fill_between(x, k * t["ci_low"], k * t["ci_high"], color=COLORS[1], alpha=0.3, lw=0,
                        label=f"{level:.0%} interval")
        ax.plot(x, k * t["diff"], color=COLORS[1], lw=2, label="mean of B - A")
        label = "Still together" if col == "active" else column_label(col)
        ax.set_title(f"{label}: B - A", fontsize="medium")
        ax.set_ylabel(shown)
        ax.set_xlabel("Months since the start")
        if unit.startswith("currency"):
            ax.yaxis.set_major_formatter(_compact)
        if day is not None:
            mark_intervention(ax, day)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small", frameon=False, loc="lower left")
    return fig


def plot_too_late(table: pd.DataFrame, fig: Figure | None = None, *, xlabel: str | None = None) -> Figure:
    """The paired effect (B - A with its interval) of each metric against the start month, day or value.

    Parameters
    ----------
    table
        From :func:`partnersim.analysis.interventions.too_late` or ``vary_item``.
    fig
        Figure to draw on (default: a new one).
    xlabel
        Label of the x axis (default from ``table.attrs["unit"]``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from partnersim import load_scenario, with_changes
    >>> from partnersim.analysis.interventions import too_late
    >>> a = with_changes(load_scenario("baseline"), {"horizon_days": 364})
    >>> t = too_late(a, {"agreement.cadence.weekly.enabled": True}, months=[0, 6], reps=4, seed=1, workers=1)
    >>> len(plot_too_late(t).axes)
    3
    """
    metrics = list(dict.fromkeys(table["metric"]))
    fig = _fig(fig, len(metrics))
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    unit_x = table.attrs.get("unit", "value")
    xl = xlabel or {"month": "Intervention from month", "day": "Intervention from day"}.get(unit_x, unit_x)
    for ax, m in zip(axes, metrics, strict=True):
        t = table[table["metric"] == m]
        k, shown = _scale(METRICS.get(m, ("", ""))[0])
        x = t["value"].to_numpy(dtype=float)
        d = k * t["diff"].to_numpy(dtype=float)
        lo, hi = k * t["ci_low"].to_numpy(dtype=float), k * t["ci_high"].to_numpy(dtype=float)
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.errorbar(x, d, yerr=[d - lo, hi - d], fmt="o-", color=COLORS[1], capsize=3, lw=1.5)
        ax.set_title(f"{short_label(m)}: B - A", fontsize="medium")
        ax.set_ylabel(shown)
        ax.set_xlabel(xl)
        if shown == "money":
            ax.yaxis.set_major_formatter(_compact)
        ax.grid(alpha=0.3)
    return fig


def mark_figure(fig: Figure, day: float) -> Figure:
    """Draw the intervention day on every axis of a figure whose x axis is in months (bands, survival)."""
    for ax in fig.axes:
        if ax.get_xlabel().startswith("Months"):
            mark_intervention(ax, day)
    return fig


def intervention_section(result: object, img: Callable[[Figure, str], str], esc: Callable[[object], str]) -> str:
    """The report's section on B's interventions and policies: what they do in words, and the paired effect
    over time (an empty string when B has none)."""
    from partnersim.analysis.compare import Comparison
    from partnersim.analysis.interventions import (
        describe_interventions,
        effect_over_time,
        firing_lines,
        intervention_day,
    )
    from partnersim.analysis.reading import format_number

    if not isinstance(result, Comparison):
        return ""
    b = result.b.scenario
    if not (b.interventions or b.policies):
        return ""
    day = intervention_day(b)
    items = "".join(f"<li>{esc(s)}</li>" for s in describe_interventions(b) + firing_lines(result.b))
    eff = effect_over_time(result)
    end = eff[eff["day"] == eff["day"].max()].set_index("column")
    words = []
    for col, what, k, unit in (("active", "the share of partnerships still together", 100.0, " points"),
                               ("trust", "trust", 100.0, " points"),
                               ("joint_revenue_cum", "joint revenue so far", 1.0, "")):
        if col in end.index:
            r = end.loc[col]
            words.append(f"{what} differs by {format_number(k * r['diff'])}{unit} (likely between "
                         f"{format_number(k * r['ci_low'])} and {format_number(k * r['ci_high'])})")
    when = "" if day is None else (f" Until day {format_number(day)} the runs of each pair are identical (the same "
                                   "random events, the same agreement); the differences below all come after it.")
    fig = Figure(figsize=(13, 3.6), layout="constrained")
    plot_effect_over_time(eff, day, fig)
    return (f"<h2>The intervention</h2><p>Scenario B is scenario A with these changes made during the run:</p>"
            f"<ul>{items}</ul><p class=\"note\">{esc(when.strip())} By the end, B - A: "
            f"{esc('; '.join(words))}.</p><figure>{img(fig, 'Paired difference B - A over time, with its interval')}"
            "<figcaption>The mean paired difference B - A of each series, week by week, with its 95% interval; "
            "the dashed line is the intervention day.</figcaption></figure>")
