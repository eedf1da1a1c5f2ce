"""Figures of ensembles and comparisons, for clients: bands over time, forest plot, outcomes, survival.

Every function takes ``ax=None`` (or ``fig=None`` for a grid of panels) and returns what
it drew on. Without an axis it makes a new pyplot figure, which shows in a notebook;
the command line and the report pass axes of a bare :class:`matplotlib.figure.Figure`,
so nothing here needs a display (Agg is enough).

Scenario A is always blue and scenario B orange; several scenarios take the next colours.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from partnersim.analysis.compare import MAIN_METRICS, Comparison, _partner_names, format_number, metric_label
from partnersim.analysis.reading import short_label
from partnersim.model import COLUMN_UNITS, METRICS
from partnersim.run.ensemble import Ensemble

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "COLORS",
    "DEFAULT_OUTCOMES",
    "DEFAULT_SERIES",
    "EnsembleLike",
    "column_label",
    "figure_png",
    "plot_bands",
    "plot_distribution",
    "plot_distributions",
    "plot_forest",
    "plot_overview",
    "plot_survival",
    "save_figures",
    "standard_figures",
    "unit_text",
]

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
DAYS_PER_MONTH = 365.25 / 12
DEFAULT_SERIES: tuple[str, ...] = ("trust", "team_satisfaction", "fairness_a", "fairness_b", "escalations_cum",
                                   "joint_revenue_cum")
DEFAULT_OUTCOMES: tuple[str, ...] = ("final_trust", "joint_revenue", "conflicts_raised", "escalations",
                                     "fairness_a", "fairness_b")

#: Time-series columns in words; ``{A}``/``{B}`` are the partners' names.
COLUMN_LABELS: dict[str, str] = {
    "trust": "Trust between the partners",
    "alignment": "Alignment of priorities",
    "context": "Shared context",
    "fairness_a": "{A}'s perceived fairness",
    "fairness_b": "{B}'s perceived fairness",
    "revenue_a": "{A}'s revenue",
    "revenue_b": "{B}'s revenue",
    "joint_revenue_rate": "Joint revenue per year",
    "joint_revenue_cum": "Joint revenue so far",
    "open_conflicts": "Open conflicts",
    "latent_conflicts": "Conflicts not yet surfaced",
    "escalations_cum": "Escalations so far",
    "fund_balance": "Partnership fund",
    "contrib_money_a": "Money {A} has put in",
    "contrib_money_b": "Money {B} has put in",
    "contrib_hours_a": "Staff hours {A} has put in",
    "contrib_hours_b": "Staff hours {B} has put in",
    "spending_cum": "Partnership spending so far",
    "meeting_hours_cum": "Meeting hours so far",
    "customer_satisfaction": "Joint customers' satisfaction",
    "team_satisfaction": "Partnership team's satisfaction",
    "initiatives_active": "Initiatives under way",
    "initiatives_completed_cum": "Initiatives completed so far",
    "response_hours": "Message response time",
    "depth": "Partnership depth",
    "active": "Share of partnerships still together",
}

EnsembleLike = Ensemble | Comparison | Sequence[Ensemble] | Mapping[str, Ensemble]


def unit_text(unit: str) -> str:
    """A unit as an axis label shows it.

    Examples
    --------
    >>> unit_text("0..1"), unit_text("currency/year"), unit_text("count")
    ('out of 100', 'money per year', 'count')
    """
    return {"0..1": "out of 100", "0..2": "stage 0 to 2", "0/1": "%", "1/year": "% a year",
            "currency/year": "money per year", "currency": "money", "fraction": "%"}.get(unit, unit)


def _score_axis(axis: Any, unit: str) -> None:
    """0-1 scores read as 0-100 and shares as %, with a little room above 1 so that a line on 1 shows."""
    if unit == "0..1":
        axis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f}")
    elif unit in ("0/1", "fraction"):
        axis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f}%")


def column_label(column: str, partners: tuple[str, str] | None = None) -> str:
    """A time-series column in words, partners' names filled in.

    Examples
    --------
    >>> column_label("fairness_b", ("Large Co", "Small Co"))
    "Small Co's perceived fairness"
    """
    a, b = partners or ("Partner A", "Partner B")
    text = COLUMN_LABELS.get(column, COLUMN_UNITS.get(column, ("", column))[1].rstrip("."))
    return text.format(A=a, B=b)


def _compact(v: float, _pos: object = None) -> str:
    """Tick labels for money: 250k, 1.2M."""
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e3:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def _named(ensembles: EnsembleLike, labels: Sequence[str] | None = None) -> list[tuple[str, Ensemble]]:
    """Normalise the accepted inputs to ``[(label, ensemble), ...]``."""
    if isinstance(ensembles, Comparison):
        items = list(zip(ensembles.names, (ensembles.a, ensembles.b), strict=True))
    elif isinstance(ensembles, Ensemble):
        items = [(ensembles.name, ensembles)]
    elif isinstance(ensembles, Mapping):
        items = [(str(k), v) for k, v in ensembles.items()]
    else:
        items = [(e.name, e) for e in ensembles]
        names = [n for n, _ in items]
        if len(set(names)) < len(names):
            items = [(f"{chr(65 + i)} ({n})" if i < 26 else f"{i} ({n})", e) for i, (n, e) in enumerate(items)]
    if labels is not None:
        items = [(str(lab), e) for lab, (_, e) in zip(labels, items, strict=True)]
    if not items:
        raise ValueError("no ensemble to plot")
    return items


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _month_axis(ax: Axes, horizon_days: float) -> None:
    ax.set_xlabel("Months since the start")
    ax.set_xlim(0, horizon_days / DAYS_PER_MONTH)
    step = 3 if horizon_days <= 2 * 365 else 6 if horizon_days <= 5 * 365 else 12
    ax.set_xticks(np.arange(0, horizon_days / DAYS_PER_MONTH + 1e-9, step))


def _band_handles(items: list[tuple[str, Ensemble]], bands: bool = True) -> list[Any]:
    handles: list[Any] = [Line2D([], [], color=c, lw=2, label=f"{name}: median") for (name, _), c in
                          zip(items, COLORS * 4, strict=False)]
    if bands:
        handles += [Patch(color="0.45", alpha=0.35, label="middle 50% of runs"),
                    Patch(color="0.45", alpha=0.15, label="middle 80% of runs")]
    return handles


def plot_bands(ensembles: EnsembleLike, column: str = "trust", ax: Axes | None = None, *,
               labels: Sequence[str] | None = None, bands: bool = True, legend: bool = True) -> Axes:
    """Median and quantile bands (25–75% and 10–90% of runs) of one time series, for one or several scenarios.

    Parameters
    ----------
    ensembles
        An :class:`~partnersim.run.ensemble.Ensemble`, several (a list or a ``{label: ensemble}``
        mapping), or a :class:`~partnersim.analysis.compare.Comparison`.
    column
        A time-series column (:data:`partnersim.model.COLUMNS`), e.g. ``"trust"``.
    ax
        Axes to draw on (default: a new figure).
    labels
        Legend labels (default: the scenarios' names).
    bands
        Draw the shaded bands (else the medians only).
    legend
        Draw the legend.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from partnersim import load_scenario, run_ensemble, with_changes
    >>> ens = run_ensemble(with_changes(load_scenario("baseline"), {"horizon_days": 180}), 5, 1, workers=1)
    >>> plot_bands(ens, "trust").get_title()
    'Trust between the partners'
    """
    items = _named(ensembles, labels)
    ax = _axes(ax, (7.5, 4.2))
    horizon = max(e.scenario.horizon_days for _, e in items)
    for (name, ens), color in zip(items, COLORS * 4, strict=False):
        b = ens.bands([column])
        if b.empty:
            continue
        x = b["day"].to_numpy() / DAYS_PER_MONTH
        if bands:
            ax.fill_between(x, b["p10"], b["p90"], color=color, alpha=0.15, lw=0)
            ax.fill_between(x, b["p25"], b["p75"], color=color, alpha=0.35, lw=0)
        ax.plot(x, b["median"], color=color, lw=2, label=name)
    partners = _partner_names(*(e.scenario for _, e in items))
    label = column_label(column, None if partners == ("partner A", "partner B") else partners)
    unit = COLUMN_UNITS.get(column, ("", ""))[0]
    ax.set_title(label)
    from partnersim.analysis.reading import currency_of

    cur = currency_of(*(e.scenario for _, e in items)) if unit.startswith("currency") else ""
    shown = unit_text(unit).replace("money", cur, 1) if cur else unit_text(unit)
    ax.set_ylabel(f"{label} ({shown})" if unit else label)
    if unit in ("0..1", "0/1"):
        ax.set_ylim(-0.02, 1.04)  # a median on 0 or 1 (fairness often sits on 1) stays visible
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        _score_axis(ax.yaxis, unit)
    _month_axis(ax, horizon)
    if unit.startswith("currency"):
        ax.yaxis.set_major_formatter(_compact)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(handles=_band_handles(items, bands), fontsize="small", loc="best", frameon=False)
    return ax


def plot_overview(ensembles: EnsembleLike, columns: Sequence[str] = DEFAULT_SERIES, fig: Figure | None = None, *,
                  labels: Sequence[str] | None = None) -> Figure:
    """A grid of :func:`plot_bands` panels (two per row), one per time-series column."""
    n = len(columns)
    rows = math.ceil(n / 2)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(11, 3.6 * rows), layout="constrained")
    axes = fig.subplots(rows, 2, squeeze=False).ravel()
    for ax, col in zip(axes, columns, strict=False):
        plot_bands(ensembles, col, ax, labels=labels, legend=False)
    for ax in axes[n:]:
        ax.set_visible(False)
    handles = _band_handles(_named(ensembles, labels))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize="small",
               frameon=False)
    fig.suptitle("How the partnership develops (median and spread of the replications)")
    return fig


def plot_forest(comparison: Comparison, metrics: Sequence[str] | None = MAIN_METRICS, ax: Axes | None = None) -> Axes:
    """Forest plot of a comparison: the change from A to B per metric, with its interval.

    Each row shows the mean paired difference ``B − A`` as a percentage of A's mean and
    its confidence interval; significant differences (Holm-adjusted) are filled dark
    dots, others hollow grey. On the right, the difference in the metric's own unit.

    Parameters
    ----------
    comparison
        The result of :func:`partnersim.compare`.
    metrics
        Rows, top to bottom (default: the main metrics; ``None`` for every metric).
    ax
        Axes to draw on (default: a new figure).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from partnersim import compare, load_scenario, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 180})
    >>> c = compare(s, with_changes(s, {"agreement.funding_rule": "capacity"}), reps=5, seed=1, workers=1)
    >>> plot_forest(c).get_xlabel()
    "Change from A to B, % of A's mean"
    """
    t = comparison.table.set_index("metric")
    names = [m for m in (metrics if metrics is not None else t.index) if m in t.index]
    ax = _axes(ax, (9.0, 0.38 * len(names) + 1.6))
    partners = comparison.partners
    ys = np.arange(len(names))[::-1]
    lows, highs = [], []
    for y, m in zip(ys, names, strict=True):
        r = t.loc[m]
        base = abs(float(r["mean_a"]))
        sig = bool(r["significant"])
        color = "#08306b" if sig else "0.55"
        text = _diff_text(r, comparison.currency)
        if not (base > 1e-12 and math.isfinite(float(r["diff"]))):
            ax.annotate(f"  {text}", (1.0, y), xycoords=("axes fraction", "data"), va="center", fontsize="small",
                        color=color)
            continue
        d = 100 * float(r["diff"]) / base
        lo, hi = 100 * float(r["ci_low"]) / base, 100 * float(r["ci_high"]) / base
        if math.isfinite(lo) and math.isfinite(hi):
            ax.plot([lo, hi], [y, y], color=color, lw=2, solid_capstyle="butt")
            lows.append(lo)
            highs.append(hi)
        ax.plot([d], [y], "o", ms=7, color=color, mfc=color if sig else "white", mew=1.5)
        lows.append(d)
        highs.append(d)
        ax.annotate(f"  {text}", (1.0, y), xycoords=("axes fraction", "data"), va="center", fontsize="small",
                    color=color)
    ax.axvline(0, color="0.2", lw=1)
    ax.set_yticks(ys, [short_label(m, partners) for m in names])
    ax.set_ylim(-0.7, len(names) + 0.9)  # the top row is left free for the legend
    if lows:
        span = max(max(highs) - min(lows), 1.0)
        ax.set_xlim(min(min(lows), 0) - 0.05 * span, max(max(highs), 0) + 0.05 * span)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:+.0f}%" if v else "0")
    ax.set_xlabel("Change from A to B, % of A's mean")
    na, nb = comparison.names
    ax.set_title(f"What changes from A to B\nA: {na}    B: {nb}", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)
    runs = f"{comparison.a.reps} {'paired ' if comparison.paired else ''}runs"
    ax.legend(handles=[
        Line2D([], [], marker="o", color="#08306b", lw=2, label="a clear difference"),
        Line2D([], [], marker="o", color="0.55", mfc="white", lw=2, label="no clear difference"),
    ], title=f"average change, and the range it likely lies in ({runs})", fontsize="small",
        title_fontsize="small", ncols=2, loc="upper center", frameon=False)
    return ax


def _diff_text(r: pd.Series, currency: str = "") -> str:
    """The change and its interval in the metric's unit: ``+37 pts [+36 to +38 pts]``, ``+EUR 79,292 [...]``."""
    from partnersim.analysis.reading import format_change, format_change_range

    unit = str(r.get("unit", ""))
    d, lo, hi = float(r["diff"]), float(r["ci_low"]), float(r["ci_high"])
    if not math.isfinite(d):
        return "n/a"
    rng = format_change_range(lo, hi, unit, currency) if math.isfinite(lo) and lo != hi else ""
    return f"{format_change(d, unit, currency, short=True)}" + (f"  [{rng}]" if rng else "")


def plot_distribution(ensembles: EnsembleLike, metric: str, ax: Axes | None = None, *,
                      labels: Sequence[str] | None = None, legend: bool = True) -> Axes:
    """Distribution of one final outcome across replications (histograms, means dashed), per scenario."""
    items = _named(ensembles, labels)
    ax = _axes(ax, (5.5, 3.6))
    unit = METRICS.get(metric, ("", ""))[0]
    values = [e.runs[metric].to_numpy(dtype=float) for _, e in items]
    values = [v[np.isfinite(v)] for v in values]
    pooled = np.concatenate(values) if values else np.empty(0)
    if pooled.size:
        lo, hi = float(pooled.min()), float(pooled.max())
        integer = unit in ("count", "0/1") and np.all(pooled == np.round(pooled))
        if integer and hi - lo <= 60:
            bins = np.arange(lo - 0.5, hi + 1.5)
        elif unit == "0..1":  # scores stay within 0-1: bins of 0.025 between the values, never past 1
            step = 0.025
            left = max(0.0, math.floor(lo / step) * step)
            right = min(1.0, max(math.ceil(hi / step) * step, left + step))
            bins = np.linspace(left, right, max(2, round((right - left) / step)) + 1)
            ax.set_xlim(left - step / 2, right + step / 2)
            _score_axis(ax.xaxis, unit)
        else:
            bins = np.histogram_bin_edges(pooled, bins=min(30, max(8, int(np.sqrt(pooled.size)))))
        for (name, _), v, color in zip(items, values, COLORS * 4, strict=False):
            if v.size == 0:
                continue
            ax.hist(v, bins=bins, color=color, alpha=0.35, label=f"{name} (mean {format_number(float(v.mean()))})")
            ax.hist(v, bins=bins, color=color, histtype="step", lw=1.5)
            ax.axvline(float(v.mean()), color=color, ls="--", lw=1.5)
    else:
        ax.text(0.5, 0.5, "no values (no run ended)" if metric == "exit_day" else "no values",
                transform=ax.transAxes, ha="center", va="center", color="0.4")
    partners = _partner_names(*(e.scenario for _, e in items))
    ax.set_title(metric_label(metric, None if partners == ("partner A", "partner B") else partners, capitalize=True))
    ax.set_xlabel(f"{unit_text(unit)}" if unit else metric)
    ax.set_ylabel("Replications")
    if unit.startswith("currency"):
        ax.xaxis.set_major_formatter(_compact)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if pooled.size and legend:
        ax.legend(fontsize="x-small", frameon=False)
    return ax


def plot_distributions(ensembles: EnsembleLike, metrics: Sequence[str] = DEFAULT_OUTCOMES,
                       fig: Figure | None = None, *, labels: Sequence[str] | None = None) -> Figure:
    """Distributions of several final outcomes, one panel each (three per row)."""
    n = len(metrics)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(4.2 * cols, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, m in zip(axes, metrics, strict=False):
        plot_distribution(ensembles, m, ax, labels=labels, legend=False)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("Final outcomes across replications")
    items = _named(ensembles, labels)
    handles: list[Any] = [Patch(facecolor=c, alpha=0.5, edgecolor=c, label=name)
                          for (name, _), c in zip(items, COLORS * 4, strict=False)]
    handles.append(Line2D([], [], color="0.3", ls="--", label="mean"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize="small", frameon=False)
    return fig


def plot_survival(ensembles: EnsembleLike, ax: Axes | None = None, *, labels: Sequence[str] | None = None,
                  ci: bool = True) -> Axes:
    """Kaplan–Meier curve: the share of partnerships still together over time, per scenario.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from partnersim import load_scenario, run_ensemble, with_changes
    >>> ens = run_ensemble(with_changes(load_scenario("baseline"), {"horizon_days": 180}), 5, 1, workers=1)
    >>> plot_survival(ens).get_ylabel()
    'Partnerships still together'
    """
    items = _named(ensembles, labels)
    ax = _axes(ax, (7.5, 4.2))
    horizon = max(e.scenario.horizon_days for _, e in items)
    for (name, ens), color in zip(items, COLORS * 4, strict=False):
        km = ens.survival()
        x = np.append(km["time"].to_numpy(), ens.scenario.horizon_days) / DAYS_PER_MONTH
        s = np.append(km["survival"].to_numpy(), km["survival"].iloc[-1])
        final = float(s[-1])
        ax.step(x, s, where="post", color=color, lw=2, label=f"{name}: {final:.0%} at the end")
        if ci:
            lo = np.append(km["ci_low"].to_numpy(), km["ci_low"].iloc[-1])
            hi = np.append(km["ci_high"].to_numpy(), km["ci_high"].iloc[-1])
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(x, np.where(ok, lo, s), np.where(ok, hi, s), step="post", color=color, alpha=0.15, lw=0)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set_ylabel("Partnerships still together")
    ax.set_title("Survival of the partnership (Kaplan–Meier" + (", 95% band)" if ci else ")"))
    _month_axis(ax, horizon)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", frameon=False, loc="lower left")
    return ax


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (for reports)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def standard_figures(ensembles: EnsembleLike) -> list[tuple[str, Figure]]:
    """The standard figures, as bare :class:`~matplotlib.figure.Figure` objects (no pyplot state).

    Keys: ``comparison`` (the forest plot, for a comparison only), ``timeseries``
    (:func:`plot_overview`), ``survival`` (:func:`plot_survival`) and ``outcomes``
    (:func:`plot_distributions`).
    """
    figures: list[tuple[str, Figure]] = []
    if isinstance(ensembles, Comparison):
        f = Figure(figsize=(9.5, 0.4 * len(MAIN_METRICS) + 2.0), layout="constrained")
        plot_forest(ensembles, ax=f.subplots())
        figures.append(("comparison", f))
    rows = math.ceil(len(DEFAULT_SERIES) / 2)
    f = Figure(figsize=(11, 3.4 * rows + 0.6), layout="constrained")
    figures.append(("timeseries", plot_overview(ensembles, fig=f)))
    f = Figure(figsize=(7.5, 4.2), layout="constrained")
    plot_survival(ensembles, f.subplots())
    figures.append(("survival", f))
    f = Figure(figsize=(12.6, 7.2), layout="constrained")
    figures.append(("outcomes", plot_distributions(ensembles, fig=f)))
    return figures


def save_figures(ensembles: EnsembleLike, folder: str | Path, *, dpi: int = 110) -> list[Path]:
    """Write the :func:`standard_figures` as PNG files (``comparison.png``, ``timeseries.png``,
    ``survival.png``, ``outcomes.png``) into ``folder``; returns the paths.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in standard_figures(ensembles):
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi)
        written.append(path)
    return written
