"""A self-contained HTML report for a client: figures, tables, parameters, plain-language findings.

One file, no external resources: the figures are embedded as base64 PNG, the style sheet
is inline. It holds the summary (or the comparison) tables, a plain-language reading of
the significant differences, every parameter of the scenario(s), and what is needed to
reproduce it: seed, replications, versions.

Examples
--------
>>> from partnersim import load_scenario, with_changes
>>> s = with_changes(load_scenario("baseline"), {"horizon_days": 180})
>>> html = build_report(s, with_changes(s, {"agreement.funding_rule": "capacity"}), reps=5, seed=1, workers=1)
>>> html.startswith("<!DOCTYPE html>"), html.count('<img src="data:image/png;base64,')
(True, 4)
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from partnersim.analysis import reading
from partnersim.analysis.compare import MAIN_METRICS, Comparison, compare
from partnersim.analysis.reading import (
    display_name,
    format_change,
    format_change_range,
    format_number,
    format_value,
    human_unit,
    metric_unit,
    short_label,
)
from partnersim.run.ensemble import Ensemble, run_ensemble
from partnersim.run.simulate import as_scenario
from partnersim.scenario import Scenario, dumps_scenario, field_units

__all__ = ["build_report", "report_html", "versions", "write_report"]

#: The rows of a one-scenario report's main table.
_SINGLE_MAIN = ("survived", "days_together", "joint_revenue", "fairness_a", "fairness_b", "final_trust",
                "conflicts_raised", "escalations", "mean_resolution_days", "revenue_growth_a", "revenue_growth_b",
                "final_alignment", "customer_satisfaction", "team_satisfaction", "meeting_hours")

_TOP_FINDINGS = 8  # the most important findings shown first; the others are one click away
_CAPTIONS = {
    "comparison": "Each row is one outcome, most important first. The dot is the average change from A to B over "
                  "paired runs, as a percentage of A's average; the line is the range it likely lies in (a 95% "
                  "confidence interval). Filled dots are clear differences; the numbers on the right are the change "
                  "in the outcome's own unit.",
    "timeseries": "How the partnership develops over time. The line is the median run; the darker band holds "
                  "the middle half of the runs, the lighter band the middle 80%.",
    "survival": "The share of partnerships still together over time (Kaplan–Meier estimate; runs that reach "
                "the end of the simulated period count as still together).",
    "outcomes": "How the final outcomes spread across the replications; dashed lines are the averages.",
}
_ALT = {
    "comparison": "Chart of the change from A to B in each main outcome, as a percentage of A's average, with the "
                  "range it likely lies in; the same numbers are in the table 'The numbers' below.",
    "timeseries": "Charts of trust, team satisfaction, each partner's perceived fairness, escalations and joint "
                  "revenue over the simulated months: the median run and the spread of the runs.",
    "survival": "Chart of the share of partnerships still together, month by month.",
    "outcomes": "Histograms of the final outcomes across the simulated runs, with their averages.",
}
_FIGURE_TITLES = {"comparison": "What changes", "timeseries": "Over time", "survival": "Does it last?",
                  "outcomes": "Spread of the final outcomes"}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0;
       color: #1b1b1b; background: #fafafa; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: white; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.meta { color: #555; font-size: 0.95em; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; max-width: 900px; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e5e5e5; text-align: right; vertical-align: top; }
th { background: #f2f2f2; } td.l, th.l { text-align: left; }
td.n { white-space: nowrap; }
.bottom { font-size: 1.08em; background: #f3f7fc; border-left: 4px solid #08306b; padding: 8px 16px; }
.bottom p { margin: 0.5em 0; }
tr.sig td { font-weight: 600; } .note { color: #555; font-size: 0.9em; }
ul.findings li { margin: 0.35em 0; } details { margin: 0.8em 0; } summary { cursor: pointer; color: #08306b; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 0.85em; }
.diff td { background: #fff7e6; }
"""


def versions() -> dict[str, str]:
    """Versions of partnersim, Python and the main libraries (for reproducibility)."""
    out = {"python": platform.python_version()}
    for pkg in ("partnersim", "numpy", "simpy", "scipy", "pandas", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
            out[pkg] = "unknown"
    return out


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    """``1 outcome``, ``3 outcomes``."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _img(fig: Any, alt: str) -> str:
    from partnersim.plots.ensemble import figure_png

    data = base64.b64encode(figure_png(fig, dpi=100)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _figures_html(result: Ensemble | Comparison) -> str:
    from partnersim.plots.ensemble import standard_figures
    from partnersim.plots.interventions import intervention_section, mark_figure

    day = min((iv.at_day for iv in result.b.scenario.interventions), default=None) \
        if isinstance(result, Comparison) else None
    parts = []
    for key, fig in standard_figures(result):
        if day is not None and key in ("timeseries", "survival"):
            mark_figure(fig, day)  # the intervention day on the bands
        parts.append(f"<h2>{_e(_FIGURE_TITLES[key])}</h2>\n<figure>{_img(fig, _ALT[key])}"
                     f"<figcaption>{_e(_CAPTIONS[key])}</figcaption></figure>")
    parts.append(intervention_section(result, _img, _e))
    return "\n".join(parts)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return format_number(v) if abs(v) >= 1000 else f"{v:g}"
    return str(v)


def _parameters_html(scenarios: Sequence[tuple[str, Scenario]]) -> str:
    units = field_units()
    cur = reading.currency_of(*(s for _, s in scenarios))
    flat = [(label, _flatten(s.model_dump(exclude={"name", "description", "currency"}))) for label, s in scenarios]

    def unit_of(k: str) -> str:
        u = units.get(k, ("", ""))[0]  # money in the scenario's currency ("money" when it names none)
        return human_unit(u, cur or "money") if u in ("currency", "currency/year") else u

    parts = []
    if len(flat) == 2:
        (la, fa), (lb, fb) = flat
        changed = [k for k in fa if fa[k] != fb.get(k)]
        rows = "".join(f'<tr class="diff"><td class="l">{_e(k)}</td><td class="l">{_e(units.get(k, ("", ""))[1])}'
                       f'</td><td class="n">{_e(_value(fa[k]))}</td><td class="n">{_e(_value(fb.get(k)))}</td>'
                       f'<td class="l">{_e(unit_of(k))}</td></tr>' for k in changed)
        parts.append("<h3>What differs between A and B</h3>")
        parts.append(f'<table><tr><th class="l">parameter</th><th class="l">meaning</th><th>A: {_e(la)}</th>'
                     f'<th>B: {_e(lb)}</th><th class="l">unit</th></tr>{rows}</table>' if changed else
                     "<p>The two scenarios have the same parameters.</p>")
    for (label, s), prefix in zip(scenarios, ("A: ", "B: ") if len(scenarios) == 2 else ("",), strict=True):
        f = _flatten(s.model_dump(exclude={"name", "description", "currency"}))
        rows = "".join(f'<tr><td class="l">{_e(k)}</td><td class="n">{_e(_value(v))}</td>'
                       f'<td class="l">{_e(unit_of(k))}</td>'
                       f'<td class="l">{_e(units.get(k, ("", ""))[1])}</td></tr>' for k, v in f.items())
        desc = f"<p>{_e(s.description)}</p>" if s.description else ""
        parts.append(f"<details><summary>Every parameter of {_e(prefix + label)}</summary>{desc}"
                     f'<table><tr><th class="l">parameter</th><th>value</th><th class="l">unit</th>'
                     f'<th class="l">meaning</th></tr>{rows}</table>'
                     f"<p class=\"note\">Scenario file:</p><pre>{_e(dumps_scenario(s))}</pre></details>")
    return "<h2>The scenario parameters</h2>\n" + "\n".join(parts)


def _comparison_table_html(c: Comparison, metrics: Sequence[str] | None) -> str:
    t = c.table if metrics is None else c.table.set_index("metric").loc[
        [m for m in metrics if m in set(c.table["metric"])]].reset_index()
    full = metrics is None
    cur = c.currency
    head = ('<tr><th class="l">outcome</th><th>A</th><th>B</th><th>change B − A</th>'
            '<th>likely between</th><th>clear difference?</th>'
            + ('<th>p</th><th>adjusted p</th><th>effect size</th><th class="l">column</th>' if full else "")
            + "</tr>")
    rows = []
    for _, r in t.iterrows():
        sig = bool(r["significant"])
        unit = str(r["unit"] or metric_unit(str(r["metric"])))
        same = float(r["ci_low"]) == float(r["ci_high"]) and math.isfinite(float(r["diff"]))
        ci = "the same in every pair" if same else (format_change_range(float(r["ci_low"]), float(r["ci_high"]),
                                                                        unit, cur) or "–")
        cells = (f'<td class="l">{_e(short_label(str(r["metric"]), c.partners))}</td>'
                 f'<td class="n">{_e(format_value(float(r["mean_a"]), unit, cur))}</td>'
                 f'<td class="n">{_e(format_value(float(r["mean_b"]), unit, cur))}</td>'
                 f'<td class="n">{_e(format_change(float(r["diff"]), unit, cur, short=True))}</td>'
                 f'<td class="n">{_e(ci)}</td><td class="n">{"yes" if sig else "no"}</td>')
        if full:
            cells += (f'<td class="n">{_p(r["p_value"])}</td><td class="n">{_p(r["p_holm"])}</td>'
                      f'<td class="n">{format_number(r["effect_size"])}</td><td class="l">{_e(r["metric"])}</td>')
        rows.append(f'<tr class="{"sig" if sig else ""}">{cells}</tr>')
    return f"<table>{head}{''.join(rows)}</table>"


def _summary_table_html(e: Ensemble, metrics: Sequence[str] | None = None) -> str:
    from partnersim.analysis.stats import summary_table

    runs = e.runs.assign(days_together=reading.days_together(e.runs, e.scenario.horizon_days))
    names = list(metrics) if metrics is not None else ["days_together", *e.summary()["metric"]]
    t = summary_table(runs, names)
    partners = reading.partner_names(e.scenario)
    cur = reading.currency_of(e.scenario)
    full = metrics is None
    head = ('<tr><th class="l">outcome</th><th>average</th><th>likely between</th><th>runs</th>'
            + ('<th class="l">column</th>' if full else "") + "</tr>")
    rows = []
    for r in t.itertuples():
        unit = metric_unit(r.metric)
        rng = ("the same in every run" if r.ci_low == r.ci_high else
               reading.format_range(r.ci_low, r.ci_high, unit, cur) or "–")
        rows.append(f'<tr><td class="l">{_e(short_label(r.metric, partners))}</td>'
                    f'<td class="n">{_e(format_value(r.mean, unit, cur))}</td><td class="n">{_e(rng)}</td>'
                    f'<td class="n">{r.n}</td>' + (f'<td class="l">{_e(r.metric)}</td>' if full else "") + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _findings_comparison(c: Comparison) -> str:
    found = c.reading()
    top, rest = found[:_TOP_FINDINGS], found[_TOP_FINDINGS:]
    na, nb = c.names
    parts = ['<div class="bottom">' + "".join(f"<p>{_e(x)}</p>" for x in c.bottom_line()) + "</div>",
             "<h2>What the change costs</h2>",
             '<ul class="findings">' + "".join(f"<li>{_e(x)}</li>" for x in c.costs()) + "</ul>",
             "<h2>What it buys: the differences, most important first</h2>",
             f"<p>Moving from <b>A: {_e(na)}</b> to <b>B: {_e(nb)}</b>, over {c.a.reps} "
             f"{'paired ' if c.paired else ''}runs of each:</p>"]
    if top:
        parts.append('<ul class="findings">' + "".join(f"<li>{_e(x)}</li>" for x in top) + "</ul>")
        if rest:
            parts.append(f"<details><summary>{_plural(len(rest), 'more clear difference')}</summary>"
                         '<ul class="findings">' + "".join(f"<li>{_e(x)}</li>" for x in rest) + "</ul></details>")
    else:
        parts.append("<p>None of the outcomes that matter most differs clearly.</p>")
    main_sig = set(c.significant()["metric"])
    same = [reading.metric_label(m, c.partners) for m in reading.PRIORITY
            if m in set(c.table["metric"]) and m not in main_sig]
    if same:
        parts.append(f"<p>No clear difference in {_e(', '.join(same))}.</p>")
    other = c.significant([m for m in c.table["metric"] if m not in reading.PRIORITY and m not in reading.COSTS
                           and m not in reading.NOT_FINDINGS])
    if len(other):
        parts.append(f'<p class="note">{_plural(len(other), "further outcome")} also '
                     f'{"differs" if len(other) == 1 else "differ"} clearly; see "Every outcome" below.</p>')
    parts.append(f'<p class="note">Changes are B minus A, averaged over pairs of runs that share their random '
                 f'events (common random numbers). "Likely between" is the {c.level:.0%} confidence interval of '
                 f'that average; a "clear difference" is one whose paired t-test p-value is below {c.alpha:g} after '
                 f"the Holm correction for testing {len(c.table)} outcomes at once. Scores such as trust and "
                 "fairness run from 0 to 100.</p>")
    return "\n".join(parts)


def _findings_single(e: Ensemble) -> str:
    return ('<div class="bottom">' + "".join(f"<p>{_e(x)}</p>" for x in reading.ensemble_headline(e)) + "</div>"
            '<p class="note">"Likely between" is the 95% confidence interval of the average over the runs. Scores '
            "such as trust and fairness run from 0 to 100.</p>")


def _repro_html(result: Ensemble | Comparison, command: str | None) -> str:
    e = result.a if isinstance(result, Comparison) else result
    v = versions()
    rows = [("seed", str(e.seed)), ("replications", str(e.reps)),
            ("random numbers", "common (paired): replication i of A and B share seed and streams"
             if isinstance(result, Comparison) and result.paired else
             "independent seeds" if isinstance(result, Comparison) else "one seed sequence per replication"),
            ("made", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))]
    rows += [(k, val) for k, val in v.items()]
    if command:
        rows.append(("command", command))
    body = "".join(f'<tr><td class="l">{_e(k)}</td><td class="l">{_e(val)}</td></tr>' for k, val in rows)
    return ("<h2>Reproducing these numbers</h2><p>Every run is a pure function of the scenario, the seed and "
            "the replication number: the same inputs give the same numbers on any machine and any number of "
            f"processes.</p><table>{body}</table>")


def report_html(result: Ensemble | Comparison, *, title: str | None = None, command: str | None = None,
                discovery: Any = None, design: Any = None) -> str:
    """The HTML page of a report on an ensemble or a comparison.

    Parameters
    ----------
    result
        An :class:`~partnersim.run.ensemble.Ensemble` (one scenario) or a
        :class:`~partnersim.analysis.compare.Comparison` (two).
    title
        Page title (default: from the scenarios' names).
    command
        The command that made it, shown under "Reproducing these numbers".
    discovery
        A :class:`~partnersim.analysis.discover.Discovery` of a sweep: adds its section.
    design
        A design search (:class:`~partnersim.analysis.design_search.DesignResult`, e.g. from
        :func:`~partnersim.analysis.optimise.load_design`): adds its section (the front, the recommended design
        and what it costs).
    """
    if isinstance(result, Comparison):
        na, nb = result.names
        title = title or f"Partnership simulation: {na} compared with {nb}"
        e = result.a
        findings = _findings_comparison(result)
        main_table = _comparison_table_html(result, MAIN_METRICS)
        full = _comparison_table_html(result, None)
        tables = (f"<h2>The numbers</h2>{main_table}<details><summary>Every outcome ({len(result.table)}), with "
                  f"p-values and the column names of comparison.csv</summary>{full}</details>")
        scenarios = [(na, result.a.scenario), (nb, result.b.scenario)]
    else:
        e = result
        title = title or f"Partnership simulation: {display_name(e.name)}"
        findings = _findings_single(e)
        tables = (f"<h2>The numbers</h2>{_summary_table_html(e, _SINGLE_MAIN)}<details><summary>Every outcome, "
                  f"with the column names of summary.csv</summary>{_summary_table_html(e)}</details>")
        scenarios = [(display_name(e.name), e.scenario)]
    horizon = max(s.horizon_days for _, s in scenarios)
    intro = ("<h2>About this report</h2><p class=\"note\">This report comes from a simulation model of a "
             "partnership between two businesses. Each scenario was run many times with different random events "
             "(who needs what when, market shifts, conflicts); the figures show averages and spreads over those "
             "runs. The model is a tool for thinking about how to structure the partnership, not a forecast: its "
             "coefficients are plausible and documented, not estimated from this partnership's data.</p>")
    meta = (f'<p class="meta">{e.reps} replications per scenario, seed {e.seed}, '
            f"{reading.months_text(horizon)} simulated · partnersim {_e(versions()['partnersim'])}</p>")
    body = "\n".join([
        f"<h1>{_e(title)}</h1>", meta, "<h2>The bottom line</h2>", findings, _figures_html(result), tables,
        *([_discovery_html(discovery)] if discovery is not None else []),
        *([_design_html(design)] if design is not None else []),
        intro, _parameters_html(scenarios), _repro_html(result, command),
    ])
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            f"</body>\n</html>\n")


def _discovery_html(discovery: Any) -> str:
    from partnersim.report_discover import discovery_html

    return discovery_html(discovery)


def _design_html(design: Any) -> str:
    from partnersim.report_design import design_section_html

    return design_section_html(design)


def build_report(scenario: Scenario | str | Path, compare_with: Scenario | str | Path | None = None, *,
                 reps: int = 100, seed: int = 0, workers: int | None = None, progress: bool | None = None,
                 title: str | None = None, command: str | None = None, discovery: Any = None,
                 design: Any = None) -> str:
    """Run the scenario (and the comparison) and return the report's HTML.

    Parameters
    ----------
    scenario
        The scenario (A, the current structure when comparing).
    compare_with
        A second scenario (B, the proposal): the report then reads the paired differences.
    reps, seed, workers, progress
        As for :func:`partnersim.run_ensemble` and :func:`partnersim.compare`.
    title, command, discovery, design
        See :func:`report_html`.
    """
    if compare_with is None:
        result: Ensemble | Comparison = run_ensemble(as_scenario(scenario), reps, seed, workers, progress)
    else:
        result = compare(scenario, compare_with, reps, seed, workers, progress=progress)
    return report_html(result, title=title, command=command, discovery=discovery, design=design)


def write_report(result: Ensemble | Comparison, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`report_html` of ``result`` to ``path`` (UTF-8); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(report_html(result, **kwargs), encoding="utf-8")
    return p

