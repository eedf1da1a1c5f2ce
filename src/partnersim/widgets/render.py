"""What the apps show: band figures as PNG bytes, and summary tables as HTML.

Figures are drawn on a bare :class:`matplotlib.figure.Figure` (no pyplot state, safe in
the debouncer's worker thread) and handed to an ``ipywidgets.Image`` as PNG bytes, which
Voila shows without any notebook output machinery.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from partnersim.model import COLUMN_UNITS, METRICS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from partnersim.run.ensemble import Ensemble

__all__ = [
    "BAND_COLUMNS",
    "SUMMARY_METRICS",
    "bands_figure",
    "figure_png",
    "figure_svg",
    "fmt",
    "pair_summary_html",
    "reading_html",
    "significant_sentences",
    "summary_html",
    "summary_rows",
]

#: Time-series columns drawn by the apps.
BAND_COLUMNS: tuple[str, ...] = ("trust", "alignment", "joint_revenue_rate")
#: Metrics of the apps' summary tables.
SUMMARY_METRICS: tuple[str, ...] = ("survived", "final_trust", "final_alignment", "joint_revenue", "escalations",
                                    "mean_resolution_days", "mean_decision_days", "min_fairness", "meeting_hours")

_TITLES = {"trust": "Trust", "alignment": "Alignment", "joint_revenue_rate": "Joint revenue per year",
           "joint_revenue_cum": "Joint revenue\nso far",
           "revenue_a": "Revenue of A", "revenue_b": "Revenue of B"}
_LABELS = {
    "survived": "Partnership survives", "final_trust": "Trust at the end", "final_alignment": "Alignment at the end",
    "joint_revenue": "Joint revenue (total over the period)", "escalations": "Escalated conflicts",
    "mean_resolution_days": "Days to resolve a conflict", "mean_decision_days": "Days to decide",
    "min_fairness": "Fairness (less happy partner)", "meeting_hours": "Meeting hours (staff)",
}


def fmt(x: float, unit: str = "", currency: str = "") -> str:
    """A number for people, in its unit (:func:`partnersim.analysis.reading.format_value`).

    Examples
    --------
    >>> fmt(0.934, "0/1"), fmt(123456.7), fmt(0.4567, "0..1"), fmt(float("nan"))
    ('93.4%', '123,457', '46/100', 'n/a')
    """
    from partnersim.analysis.reading import format_value

    if x is None:
        return "n/a"
    return format_value(float(x), unit, currency)


def _short_label(column: str) -> str:
    from partnersim.plots import unit_text

    unit = COLUMN_UNITS.get(column, ("", ""))[0]
    name = _TITLES.get(column, column.replace("_", " "))
    return f"{name}\n({unit_text(unit)})" if unit else name


def bands_figure(columns_of: Sequence[Sequence[Ensemble]], titles: Sequence[str] | None = None,
                 columns: Sequence[str] = BAND_COLUMNS, *, size: tuple[float, float] | None = None,
                 reference: Ensemble | None = None, font: float = 10.0, across: bool = False) -> Figure:
    """Median and 25-75%/10-90% bands (:func:`partnersim.plots.plot_bands`), one panel per (group, column).

    Parameters
    ----------
    columns_of
        Groups of ensembles; each group gets its own panels, its ensembles overlaid.
    titles
        Title of each group (default: the scenario names).
    columns
        Time-series columns.
    size
        Figure size in inches (default: about 4.2 wide and 2.2 high per panel).
    reference
        An ensemble overlaid first (with its own colour) in the panels of the groups that
        do not hold it: what B is compared with.
    font
        Base font size.
    across
        ``False``: one row per column, one column of panels per group (groups side by side).
        ``True``: the columns side by side, one row per group.

    Returns
    -------
    matplotlib.figure.Figure
        Panels of the same time-series column share their y-axis.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, MultipleLocator

    from partnersim.plots import plot_bands, unit_text

    ngroups, ncols = len(columns_of), len(columns)
    horizon = max(e.scenario.horizon_days for group in columns_of for e in group)
    shape = (ngroups, ncols) if across else (ncols, ngroups)
    w, h = size or (4.2 * shape[1], 2.2 * shape[0] + 0.6)
    fig = Figure(figsize=(w, h), dpi=80)
    # fixed margins (in inches): much faster to draw than a constrained layout
    fig.subplots_adjust(left=1.0 / w, right=1 - 0.15 / w, bottom=0.55 / h, top=1 - 0.4 / h,
                        wspace=0.3 if across else 0.08, hspace=0.2 if not across else 0.4)
    axes = fig.subplots(*shape, squeeze=False, sharex=True, sharey=False if across else "row")
    for g, group in enumerate(columns_of):
        items: dict[str, Ensemble] = {}
        if reference is not None and not any(e is reference for e in group):
            items[f"A: {reference.name}"] = reference
        for k, ens in enumerate(group):
            label = titles[g] if titles is not None and len(group) == 1 else ens.name
            items[f"{label} ({k + 1})" if label in items else label] = ens
        for r, col in enumerate(columns):
            ax = axes[g, r] if across else axes[r, g]
            first_row = (g == 0) if across else (r == 0)
            plot_bands(items, col, ax, legend=first_row and (across is False or r == 0) and len(items) > 1)
            ax.tick_params(labelsize=font * 0.9)
            ax.yaxis.set_major_locator(MaxNLocator(4))  # fewer ticks: most of the drawing time is ticks
            ax.xaxis.set_major_locator(MultipleLocator(6 if horizon <= 3 * 365 else 12))
            if ax.get_legend() is not None:
                ax.legend(handles=ax.get_legend().legend_handles, fontsize=font * 0.75, loc="lower left",
                          frameon=False)
            bottom = (g == ngroups - 1) if across else (r == ncols - 1)
            ax.set_xlabel("months" if bottom else "", fontsize=font)
            if across:
                ax.set_title(_TITLES.get(col, col) if g == 0 else "", fontsize=font * 1.1)
                ax.set_ylabel(unit_text(COLUMN_UNITS.get(col, ("", ""))[0]), fontsize=font * 0.9)
            else:
                ax.set_ylabel(_short_label(col) if g == 0 else "", fontsize=font)
                title = (titles[g] if titles is not None else ", ".join(e.name for e in group)) if r == 0 else ""
                ax.set_title(title, fontsize=font * 1.15)
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def figure_svg(fig: Figure) -> bytes:
    """The figure as SVG bytes: crisp at any screen size (no stretched bitmap); as fast to draw as a PNG."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text: smaller, and the browser's font
        fig.savefig(buf, format="svg")
    return buf.getvalue()


def summary_rows(ens: Ensemble, metrics: Sequence[str] = SUMMARY_METRICS) -> list[dict[str, object]]:
    """Label, mean and 95% interval of each metric, formatted (survival from the Kaplan-Meier curve)."""
    from partnersim.analysis.reading import currency_of

    table = ens.summary(list(metrics)).set_index("metric")
    cur = currency_of(ens.scenario)
    rows = []
    for m in metrics:
        unit = METRICS.get(m, ("", ""))[0]
        mean, lo, hi = (float(table.loc[m, k]) for k in ("mean", "ci_low", "ci_high"))
        if m == "survived":
            km = ens.survival()
            if not km.empty:
                last = km.iloc[-1]
                mean, lo, hi = float(last["survival"]), float(last["ci_low"]), float(last["ci_high"])
        rows.append({"metric": m, "label": _LABELS.get(m, m.replace("_", " ")), "mean": fmt(mean, unit, cur),
                     "interval": f"{fmt(lo, unit, cur)} – {fmt(hi, unit, cur)}" if math.isfinite(lo)
                     and math.isfinite(hi) else "", "value": mean})
    return rows


def summary_html(ens: Ensemble, metrics: Sequence[str] = SUMMARY_METRICS, *, css_class: str = "ps-summary",
                 title: str | None = None) -> str:
    """An HTML table: metric, mean, 95% interval; ``data-metric``/``data-value`` on each row for tests."""
    head = f"<div class='ps-summary-title'>{html.escape(title)}</div>" if title else ""
    body = "".join(
        f"<tr data-metric='{r['metric']}' data-value='{float(r['value']):.6g}'>"  # type: ignore[arg-type]
        f"<td>{html.escape(str(r['label']))}</td><td class='ps-num'><b>{r['mean']}</b></td>"
        f"<td class='ps-ci'>{r['interval']}</td></tr>"
        for r in summary_rows(ens, metrics))
    return (f"<div class='{css_class}' data-reps='{ens.reps}'>{head}<table class='ps-table'>"
            "<tr><th></th><th>average</th><th>likely between</th></tr>"
            f"{body}</table><div class='ps-note'>{ens.reps} simulated runs</div></div>")


def reading_html(sentences: Sequence[str], *, empty: str = "No clear difference on the main measures.") -> str:
    """The plain-language reading as an HTML list."""
    if not sentences:
        return f"<div class='ps-reading'><p>{html.escape(empty)}</p></div>"
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    return f"<div class='ps-reading'><ul>{items}</ul></div>"


def significant_sentences(table: pd.DataFrame, ens_a: Ensemble, ens_b: Ensemble, names: tuple[str, str],
                          metrics: Sequence[str] | None = None, limit: int = 6) -> list[str]:
    """The plain-language reading of a paired comparison table, in the order of what matters
    (:func:`partnersim.analysis.reading.findings`, the words of the command line and the report),
    then what the change costs, when it costs (or saves) anything."""
    from partnersim.analysis.compare import Comparison
    from partnersim.analysis.reading import cost_sentences, findings

    comp = Comparison(ens_a, ens_b, table)
    said = findings(comp, metrics, limit, names=names)
    costs = [c for c in cost_sentences(comp) if not c.startswith("The change costs no")]
    return said + costs[:1]


def pair_summary_html(ens_a: Ensemble, ens_b: Ensemble, names: tuple[str, str] = ("A", "B"),
                      metrics: Sequence[str] = SUMMARY_METRICS) -> str:
    """Two scenarios' means and 95% intervals side by side, one row per metric.

    Each row carries ``data-metric``, ``data-a`` and ``data-b`` (the means) for tests.
    """
    ra, rb = summary_rows(ens_a, metrics), summary_rows(ens_b, metrics)
    body = "".join(
        f"<tr data-metric='{a['metric']}' data-a='{float(a['value']):.6g}' "  # type: ignore[arg-type]
        f"data-b='{float(b['value']):.6g}'>"  # type: ignore[arg-type]
        f"<td>{html.escape(str(a['label']))}</td>"
        f"<td class='ps-num ps-a'><b>{a['mean']}</b> <span class='ps-ci'>({a['interval']})</span></td>"
        f"<td class='ps-num ps-b'><b>{b['mean']}</b> <span class='ps-ci'>({b['interval']})</span></td></tr>"
        for a, b in zip(ra, rb, strict=True))
    return (f"<div class='ps-summary ps-pair' data-reps='{ens_b.reps}'><table class='ps-table'>"
            f"<tr><th></th><th>A: {html.escape(names[0])}</th><th>B: {html.escape(names[1])}</th></tr>"
            f"{body}</table><div class='ps-note'>the average of {ens_b.reps} simulated runs each, on the same "
            "random events (in brackets: where the average likely lies)</div></div>")
