"""A design search for people: the ranked table in words and numbers, and the report's design section.

:func:`table_lines` is what ``partnersim design`` prints; :func:`design_markdown` is its
``design.md``; :func:`design_section_html` is the section of the HTML report
(``partnersim report SCENARIO --design DIR``): the front, the recommended design, what it costs in
meeting hours and money, and how it stands up when the uncertain coefficients move.
"""

from __future__ import annotations

import html
import math
from typing import Any

from partnersim.analysis.design_space import DESIGN_METRICS
from partnersim.analysis.units import (
    currency_of,
    format_change,
    format_change_range,
    format_value,
    metric_unit,
    partner_names,
    short_label,
)

__all__ = ["design_markdown", "design_section_html", "design_words", "recommended_sentences", "table_lines"]

_CADENCE = {"weekly": "weekly check-ins", "monthly": "monthly reviews", "quarterly": "quarterly deep dives"}
_SWITCHES = {"agreement.shared_platform": "a shared platform", "agreement.conflict.procedure": "a conflict procedure",
             "agreement.conflict.facilitator": "a facilitator for escalations", "agreement.joint_crm": "a joint CRM",
             "agreement.integrated_tracking": "integrated financial tracking",
             "agreement.clarity_after_shift": "clarity meetings after market shifts",
             "agreement.review.adaptive": "adaptive reviews", "agreement.separate_budget": "a separate budget",
             "agreement.cadence.rotate_times": "rotating meeting times"}


def design_words(changes: dict[str, Any]) -> str:
    """A design's changes from the start in words a client reads.

    Examples
    --------
    >>> design_words({"agreement.cadence.weekly.enabled": True, "agreement.cadence.weekly.interval_days": 14.0,
    ...               "agreement.funding_rule": "capacity", "agreement.conflict.facilitator": False})
    'weekly check-ins every 14 days; funding by capacity; no facilitator for escalations'
    """
    if not changes:
        return "no change"
    parts: list[str] = []
    done: set[str] = set()
    for path, v in changes.items():
        if path in done:
            continue
        bits = path.split(".")
        if len(bits) == 4 and bits[1] == "cadence" and bits[2] in _CADENCE:
            c = bits[2]
            name = _CADENCE[c]
            if bits[3] == "enabled":
                if not v:
                    parts.append(f"no {name}")
                    continue
                every = changes.get(f"agreement.cadence.{c}.interval_days")
                done.add(f"agreement.cadence.{c}.interval_days")
                parts.append(f"{name} every {every:g} days" if every is not None else name)
            elif bits[3] == "interval_days":
                parts.append(f"{name} every {v:g} days")
            else:
                parts.append(f"{name}: {bits[3].replace('_', ' ')} {_v(v)}")
        elif path in _SWITCHES:
            bare = _SWITCHES[path].removeprefix("a ").removeprefix("an ")
            parts.append(_SWITCHES[path] if v is True else f"no {bare}" if v is False else
                         f"{_SWITCHES[path]}: {_v(v)}")
        elif path == "agreement.funding_rule":
            parts.append(f"funding by {v}" if v != "fund" else "a partnership fund")
        elif path == "agreement.informal_per_month":
            parts.append(f"{v:g} informal contacts a month")
        else:
            parts.append(f"{path.removeprefix('agreement.').replace('_', ' ')} {_v(v)}")
    return "; ".join(parts)


def _v(v: Any) -> str:
    return ("yes" if v else "no") if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)


def _unit(metric: str) -> str:
    # the per-month metrics are named "... a month": their numbers are hours and money
    per_month = {"meeting_hours_per_month": "staff hours", "money_per_month": "currency"}
    return per_month.get(metric) or metric_unit(metric) or DESIGN_METRICS.get(metric, ("", ""))[0]


def _name(result: Any, metric: str) -> str:
    partners = partner_names(result.scenario) if result.scenario is not None else None
    if metric in DESIGN_METRICS and metric != "days_together":
        return {"meeting_hours_per_month": "Meeting hours a month", "money_per_month": "Money put in a month",
                "fairness_smaller": "Smaller partner's sense of fairness"}[metric]
    return short_label(metric, partners) if result.scenario is not None else metric


def _cur(result: Any) -> str:
    return currency_of(result.scenario) if result.scenario is not None else ""


def _parts(result: Any, row: Any, m: str, start: bool) -> tuple[str, str]:
    unit, cur = _unit(m), _cur(result)
    mean = format_value(float(row[m]), unit, cur) if math.isfinite(float(row[m])) else "-"
    if start:
        return mean, ""
    lo, hi = float(row[f"{m}_low"]), float(row[f"{m}_high"])
    mark = "*" if bool(row[f"{m}_clear"]) else ""
    return mean, f"({format_change_range(lo, hi, unit, cur)}){mark}"


def _cell(result: Any, row: Any, m: str, start: bool) -> str:
    return " ".join(x for x in _parts(result, row, m, start) if x)


def _cell_html(result: Any, row: Any, m: str, start: bool) -> str:
    """The mean, and under it the interval of the change: each on one line (they wrap only between them)."""
    return "<td>" + "<br>".join(f'<span class="nw" style="white-space:nowrap">{_e(x)}</span>'
                                for x in _parts(result, row, m, start) if x) + "</td>"


def _words(result: Any, row: dict[str, Any]) -> str:
    key = result.designs.loc[result.designs["rank"] == row["rank"], "key"].iloc[0]
    return design_words(result.changes_of(key)) if result.scenario is not None else str(row["changes"])


def table_lines(result: Any, k: int = 5) -> list[str]:
    """The ranked table as plain-text lines: each design's changes, then its metrics (start's value, or mean
    and the paired 95% interval of the change from the start; ``*`` marks an interval that excludes 0)."""
    t = result.table(k)
    metrics = result.metrics()
    lines = []
    for r in t.itertuples(index=False):
        row = r._asdict()
        start = row["changes"] == "start"
        flag = "" if row["feasible"] else "  [breaks a constraint]"
        head = "start (the scenario as it is)" if start else f"#{row['rank']} {_words(result, row)}"
        lines.append(head + flag)
        lines.append("    " + "; ".join(f"{_name(result, m)}: {_cell(result, row, m, start)}" for m in metrics))
    return lines


def recommended_sentences(result: Any) -> list[str]:
    """The recommended design and what it costs, in a few sentences."""
    rec = result.recommended
    if rec is None:
        return ["No design evaluated meets every constraint: loosen a constraint or search other levers."]
    if not rec:
        if result.confirmed is not None:
            return [f"Run again on {result.confirmed.reps} replications, none of the best designs found beats the "
                    "start: keep the start."]
        return ["The best design found is the start itself: none of the designs evaluated does better."]
    result = result.confirmed if result.confirmed is not None else result
    t = result.table(1).iloc[0]
    out = [f"Recommended: {design_words(rec)}."]
    gains = []
    for o in result.objectives:
        m = o.metric
        gains.append(f"{_name(result, m).lower()} {format_value(float(t[m]), _unit(m), _cur(result))} "
                     f"({format_change(float(t[f'{m}_diff']), _unit(m), _cur(result))} on the start, 95% interval "
                     f"{format_change_range(float(t[f'{m}_low']), float(t[f'{m}_high']), _unit(m), _cur(result))})")
    out.append("It gives " + "; ".join(gains) + ".")
    clear = [o for o in result.objectives
             if (float(t[f"{o.metric}_low"]) > 0 if o.maximize else float(t[f"{o.metric}_high"]) < 0)]
    if not clear:
        out.append(f"None of these gains over the start is clear at {result.reps} replications: run more "
                   "(--reps) before recommending a change.")
    costs = [m for m in ("meeting_hours_per_month", "money_per_month") if m in t]
    if costs:
        parts = [f"{_name(result, m).lower()} {format_value(float(t[m]), _unit(m), _cur(result))} "
                 f"({format_change(float(t[f'{m}_diff']), _unit(m), _cur(result))})" for m in costs]
        out.append("It costs " + " and ".join(parts) + " (both partners together, per month the partnership lasts).")
    return out


def _robust(result: Any) -> list[str]:
    from partnersim.analysis.optimise import robustness_sentences

    if result.robustness is None:
        return []
    return robustness_sentences(result.robustness, result.constraints)


def design_markdown(result: Any, command: str = "", k: int = 5) -> str:
    """``design.md``: what was searched, the recommended design, the ranked table, the robustness check."""
    sc = result.scenario
    lines = ["# Agreement design", ""]
    if sc is not None:
        lines.append(f"Start: `{sc.name}` ({sc.horizon_days:g} days). ")
    lines += [f"Objectives: {', '.join(o.label for o in result.objectives)}; constraints: "
              f"{', '.join(c.label for c in result.constraints) or 'none'}; {len(result.designs) - 1} designs "
              f"evaluated in {len(result.trials)} trials (budget {result.budget}), {result.reps} replications each "
              f"on common random numbers (seed {result.seed}).", ""]
    if command:
        lines += [f"Generated by `{command}`.", ""]
    lines += [*recommended_sentences(result), "", "## The best designs", ""]
    lines += [f"- {x}" if not x.startswith("    ") else f"  {x.strip()}" for x in table_lines(result, k)]
    if result.confirmed is not None:
        lines += ["", f"## The best {len(result.confirmed.designs) - 1} again, on {result.confirmed.reps} "
                  "replications", ""]
        lines += [f"- {x}" if not x.startswith("    ") else f"  {x.strip()}"
                  for x in table_lines(result.confirmed, k)]
    rob = _robust(result)
    if rob:
        lines += ["", "## Robustness over the uncertain coefficients", "", *rob]
    if result.notes:
        lines += ["", "Notes:", "", *[f"- {n}" for n in result.notes]]
    return "\n".join(lines) + "\n"


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _table_note(result: Any) -> str:
    if result.confirmed is None:
        return f"The best designs of the search, {result.reps} runs each."
    return (f"The best {len(result.confirmed.designs) - 1} designs of the search and the start, run again on "
            f"{result.confirmed.reps} runs each (the search's best are lucky as well as good: this ranks them "
            "afresh).")


def design_section_html(result: Any, k: int = 5) -> str:
    """The report's design section: the front plot, the recommended design and its cost, the table, robustness."""
    import base64

    from partnersim.plots.design import plot_front
    from partnersim.plots.ensemble import figure_png

    fig = plot_front(result)
    png = base64.b64encode(figure_png(fig, dpi=100)).decode("ascii")
    import matplotlib.pyplot as plt

    plt.close(fig)
    objs = ", ".join(o.label for o in result.objectives)
    alt = (f"Scatter plot of the {len(result.designs) - 1} agreement designs evaluated and the start, on {objs}; "
           "the Pareto front is "
           "joined by a line, the start is a black square and the recommended design an orange star.")
    shown = result.confirmed if result.confirmed is not None else result
    t = shown.table(k)
    metrics = result.metrics()
    head = "".join(f"<th>{_e(_name(result, m))}</th>" for m in metrics)
    body = []
    for r in t.itertuples(index=False):
        row = r._asdict()
        start = row["changes"] == "start"
        label = "start (as it is)" if start else f"#{row['rank']} {_words(shown, row)}"
        if not row["feasible"]:
            label += " (breaks a constraint)"
        label_td = f'<td class="l">{_e(label)}</td>'
        cells = "".join(_cell_html(shown, row, m, start) for m in metrics)
        body.append(f"<tr>{label_td}{cells}</tr>")
    rob = _robust(result)
    parts = [
        "<h2>Agreement design: the best designs found</h2>",
        f"<p>{_e(len(result.designs) - 1)} agreement designs were evaluated ({_e(result.reps)} runs each, on the "
        f"same random events as the start), aiming at {_e(objs)}"
        + (f" with {_e(', '.join(c.label for c in result.constraints))}" if result.constraints else "") + ".</p>",
        "".join(f"<p><strong>{_e(s)}</strong></p>" if i == 0 else f"<p>{_e(s)}</p>"
                for i, s in enumerate(recommended_sentences(result))),
        f'<figure><img src="data:image/png;base64,{png}" alt="{_e(alt)}"><figcaption>Each dot is one design; '
        "each axis says whether it is maximised or minimised. The line joins the designs no other design beats "
        "on every objective (the Pareto front).</figcaption></figure>",
        f'<table><thead><tr><th class="l">Design</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>",
        f'<p class="note">{_e(_table_note(result))} Each cell: the design\'s average, then the range the '
        "change from the start likely lies in "
        "(95% interval over paired runs); * marks a clear change.</p>",
    ]
    if rob:
        parts += ["<h3>Does it hold if the model's coefficients are off?</h3>", *[f"<p>{_e(s)}</p>" for s in rob]]
    for n in result.notes:
        parts.append(f'<p class="note">{_e(n)}</p>')
    return "<section>\n" + "\n".join(parts) + "\n</section>"
