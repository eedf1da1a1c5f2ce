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

from partnersim.analysis.compare import (
    MAIN_METRICS,
    Comparison,
    _partner_names,
    compare,
    format_number,
    metric_label,
)
from partnersim.run.ensemble import Ensemble, run_ensemble
from partnersim.run.simulate import as_scenario
from partnersim.scenario import Scenario, dumps_scenario, field_units

__all__ = ["build_report", "report_html", "versions", "write_report"]

_TOP_FINDINGS = 8  # the largest significant effects shown first; the others are one click away
_CAPTIONS = {
    "comparison": "Each row is one outcome. The dot is the average change from A to B over paired runs, as a "
                  "percentage of A's average; the line is its 95% confidence interval. Filled dots are "
                  "significant differences; the numbers on the right are the change in the outcome's own unit.",
    "timeseries": "How the partnership develops over time. The line is the median run; the darker band holds "
                  "the middle half of the runs, the lighter band the middle 80%.",
    "survival": "The share of partnerships still together over time (Kaplan–Meier estimate; runs that reach "
                "the end of the simulated period count as still together).",
    "outcomes": "How the final outcomes spread across the replications; dashed lines are the averages.",
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


def _img(fig: Any) -> str:
    from partnersim.plots.ensemble import figure_png

    data = base64.b64encode(figure_png(fig, dpi=100)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="">'


def _figures_html(result: Ensemble | Comparison) -> str:
    from partnersim.plots.ensemble import standard_figures

    parts = []
    for key, fig in standard_figures(result):
        parts.append(f"<h2>{_e(_FIGURE_TITLES[key])}</h2>\n<figure>{_img(fig)}"
                     f"<figcaption>{_e(_CAPTIONS[key])}</figcaption></figure>")
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
    flat = [(label, _flatten(s.model_dump(exclude={"name", "description"}))) for label, s in scenarios]
    parts = []
    if len(flat) == 2:
        (la, fa), (lb, fb) = flat
        changed = [k for k in fa if fa[k] != fb.get(k)]
        rows = "".join(f'<tr class="diff"><td class="l">{_e(k)}</td><td class="l">{_e(units.get(k, ("", ""))[1])}'
                       f'</td><td>{_e(_value(fa[k]))}</td><td>{_e(_value(fb.get(k)))}</td>'
                       f'<td class="l">{_e(units.get(k, ("", ""))[0])}</td></tr>' for k in changed)
        parts.append("<h3>What differs between A and B</h3>")
        parts.append(f'<table><tr><th class="l">parameter</th><th class="l">meaning</th><th>A: {_e(la)}</th>'
                     f'<th>B: {_e(lb)}</th><th class="l">unit</th></tr>{rows}</table>' if changed else
                     "<p>The two scenarios have the same parameters.</p>")
    for label, s in scenarios:
        f = _flatten(s.model_dump(exclude={"name", "description"}))
        rows = "".join(f'<tr><td class="l">{_e(k)}</td><td>{_e(_value(v))}</td>'
                       f'<td class="l">{_e(units.get(k, ("", ""))[0])}</td>'
                       f'<td class="l">{_e(units.get(k, ("", ""))[1])}</td></tr>' for k, v in f.items())
        desc = f"<p>{_e(s.description)}</p>" if s.description else ""
        parts.append(f"<details><summary>Every parameter of {_e(label)}</summary>{desc}"
                     f'<table><tr><th class="l">parameter</th><th>value</th><th class="l">unit</th>'
                     f'<th class="l">meaning</th></tr>{rows}</table>'
                     f"<p class=\"note\">Scenario file:</p><pre>{_e(dumps_scenario(s))}</pre></details>")
    return "<h2>The scenario parameters</h2>\n" + "\n".join(parts)


def _comparison_table_html(c: Comparison, metrics: Sequence[str] | None) -> str:
    t = c.table if metrics is None else c.table[c.table["metric"].isin(list(metrics))]
    head = ('<tr><th class="l">outcome</th><th class="l">unit</th><th>A</th><th>B</th><th>B − A</th>'
            f'<th>{c.level:.0%} interval</th><th>p</th><th>adjusted p</th><th>effect size</th></tr>')
    rows = []
    for _, r in t.iterrows():
        sig = bool(r["significant"])
        ci = (f"{format_number(r['ci_low'])} to {format_number(r['ci_high'])}"
              if math.isfinite(r["ci_low"]) else "–")
        label = metric_label(r["metric"], c.partners, capitalize=True)
        rows.append(
            f'<tr class="{"sig" if sig else ""}"><td class="l">{_e(label)}'
            f' <span class="note">({_e(r["metric"])})</span></td><td class="l">{_e(r["unit"])}</td>'
            f"<td>{format_number(r['mean_a'])}</td><td>{format_number(r['mean_b'])}</td>"
            f"<td>{'+' if r['diff'] > 0 else ''}{format_number(r['diff'])}</td><td>{ci}</td>"
            f"<td>{_p(r['p_value'])}</td><td>{_p(r['p_holm'])}</td><td>{format_number(r['effect_size'])}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _summary_table_html(e: Ensemble) -> str:
    t = e.summary()
    partners = _partner_names(e.scenario)
    head = ('<tr><th class="l">outcome</th><th class="l">unit</th><th>mean</th><th>95% interval</th>'
            '<th>runs</th></tr>')
    rows = "".join(
        f'<tr><td class="l">{_e(metric_label(r.metric, partners, capitalize=True))} '
        f'<span class="note">({_e(r.metric)})</span></td><td class="l">{_e(r.unit)}</td>'
        f"<td>{format_number(r.mean)}</td><td>"
        f"{format_number(r.ci_low) + ' to ' + format_number(r.ci_high) if math.isfinite(r.ci_low) else '–'}</td>"
        f"<td>{r.n}</td></tr>" for r in t.itertuples())
    return f"<table>{head}{rows}</table>"


def _findings_comparison(c: Comparison) -> str:
    main = c.reading(MAIN_METRICS)
    other = c.significant([m for m in c.table["metric"] if m not in MAIN_METRICS])
    same = [metric_label(m, c.partners) for m in MAIN_METRICS
            if m in set(c.table["metric"]) and m not in set(c.significant()["metric"])]
    na, nb = c.names
    parts = [f"<p>Moving from <b>A: {_e(na)}</b> to <b>B: {_e(nb)}</b>, over {c.a.reps} "
             f"{'paired ' if c.paired else ''}replications:</p>"]
    if main:
        top, rest = main[:_TOP_FINDINGS], main[_TOP_FINDINGS:]
        parts.append('<ul class="findings">' + "".join(f"<li>{_e(s)}</li>" for s in top) + "</ul>")
        if rest:
            parts.append(f"<details><summary>{len(rest)} more significant difference(s) in the main outcomes"
                         '</summary><ul class="findings">' + "".join(f"<li>{_e(s)}</li>" for s in rest)
                         + "</ul></details>")
    else:
        parts.append("<p>None of the main outcomes differs significantly.</p>")
    if same:
        parts.append(f"<p>No significant difference in {_e(', '.join(same))}.</p>")
    if len(other):
        parts.append(f"<p class=\"note\">{len(other)} further outcome(s) differ significantly; see the full table "
                     "below.</p>")
    parts.append(f'<p class="note">Differences are B minus A, averaged over pairs of runs that share their random '
                 f'events (common random numbers). "Significant" means a paired t-test p-value below '
                 f"{c.alpha:g} after the Holm correction for testing {len(c.table)} outcomes at once; intervals "
                 f"are {c.level:.0%} confidence intervals of the average difference.</p>")
    return "\n".join(parts)


def _findings_single(e: Ensemble) -> str:
    s = e.summary().set_index("metric")
    km = e.survival()
    partners = _partner_names(e.scenario)
    items = [f"{float(km['survival'].iloc[-1]):.0%} of the simulated partnerships are still together after "
             f"{format_number(e.scenario.horizon_days / 30.4375)} months."]
    for m in ("final_trust", "conflicts_raised", "escalations", "fairness_a", "fairness_b", "joint_revenue"):
        if m in s.index and math.isfinite(s.loc[m, "mean"]):
            r = s.loc[m]
            ci = (f" (95% interval {format_number(r['ci_low'])} to {format_number(r['ci_high'])})"
                  if math.isfinite(r["ci_low"]) else "")
            items.append(f"{metric_label(m, partners, capitalize=True)}: {format_number(r['mean'])} on average{ci}.")
    return '<ul class="findings">' + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul>"


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


def report_html(result: Ensemble | Comparison, *, title: str | None = None, command: str | None = None) -> str:
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
    """
    if isinstance(result, Comparison):
        na, nb = result.names
        title = title or f"Partnership simulation: {na} compared with {nb}"
        e = result.a
        findings = _findings_comparison(result)
        main_table = _comparison_table_html(result, MAIN_METRICS)
        full = _comparison_table_html(result, None)
        tables = (f"<h2>The numbers</h2>{main_table}<details><summary>Every outcome ({len(result.table)})"
                  f"</summary>{full}</details>")
        scenarios = [(f"A: {na}", result.a.scenario), (f"B: {nb}", result.b.scenario)]
    else:
        e = result
        title = title or f"Partnership simulation: {e.name}"
        findings = _findings_single(e)
        tables = f"<h2>The numbers</h2>{_summary_table_html(e)}"
        scenarios = [(e.name, e.scenario)]
    horizon = max(s.horizon_days for _, s in scenarios)
    intro = ("<p class=\"note\">This report comes from a simulation model of a partnership between two "
             "businesses. Each scenario was run many times with different random events (who needs what when, "
             "market shifts, conflicts); the figures show averages and spreads over those runs. The model is a tool "
             "for thinking about how to structure the partnership, not a forecast: its coefficients are plausible "
             "and documented, not estimated from this partnership's data.</p>")
    meta = (f'<p class="meta">{e.reps} replications per scenario, seed {e.seed}, '
            f"{format_number(horizon / 30.4375)} months simulated · partnersim {_e(versions()['partnersim'])}</p>")
    body = "\n".join([
        f"<h1>{_e(title)}</h1>", meta, intro, "<h2>Key findings</h2>", findings, _figures_html(result), tables,
        _parameters_html(scenarios), _repro_html(result, command),
    ])
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            f"</body>\n</html>\n")


def build_report(scenario: Scenario | str | Path, compare_with: Scenario | str | Path | None = None, *,
                 reps: int = 100, seed: int = 0, workers: int | None = None, progress: bool | None = None,
                 title: str | None = None, command: str | None = None) -> str:
    """Run the scenario (and the comparison) and return the report's HTML.

    Parameters
    ----------
    scenario
        The scenario (A, the current structure when comparing).
    compare_with
        A second scenario (B, the proposal): the report then reads the paired differences.
    reps, seed, workers, progress
        As for :func:`partnersim.run_ensemble` and :func:`partnersim.compare`.
    title, command
        See :func:`report_html`.
    """
    if compare_with is None:
        result: Ensemble | Comparison = run_ensemble(as_scenario(scenario), reps, seed, workers, progress)
    else:
        result = compare(scenario, compare_with, reps, seed, workers, progress=progress)
    return report_html(result, title=title, command=command)


def write_report(result: Ensemble | Comparison, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`report_html` of ``result`` to ``path`` (UTF-8); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(report_html(result, **kwargs), encoding="utf-8")
    return p

