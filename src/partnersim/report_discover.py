"""The scenario-discovery section of the HTML report: the chosen box in words, its figure, the tree.

Used by :func:`partnersim.report.report_html` when it is given a
:class:`~partnersim.analysis.discover.Discovery`; self-contained like the rest of the page
(figures embedded as PNG, with alternative text).
"""

from __future__ import annotations

from partnersim.analysis.discover import Discovery, limit_words

__all__ = ["discovery_html"]


def discovery_html(d: Discovery) -> str:
    """The report section of a discovery: headline, boxes in words, box and trade-off figures, tree, limits."""
    from partnersim.plots.discover import box_alt, box_figure, tradeoff_figure
    from partnersim.report import _e, _img

    cond = d.condition.words(d.partners, d.currency)
    reps = f", each the mean of {d.replications} replications" if d.replications else ""
    words = d.words(tree=False)
    parts = [f"<h2>Where {_e(cond)}: scenario discovery</h2>",
             f'<p class="meta">Sweep {_e(d.name or "")}: {len(d.points):,} settings of {len(d.parameters)} '
             f"parameters{_e(reps)}; condition <code>{_e(str(d.condition))}</code>.</p>",
             '<div class="bottom">' + "".join(f"<p>{_e(s)}</p>" for s in words) + "</div>"]
    parts += [f'<p class="note">{_e(n[:1].upper() + n[1:])}.</p>' for n in d.notes]
    for b in d.boxes:
        parts.append(f"<figure>{_img(box_figure(d, b.index), box_alt(d, b.index))}<figcaption>Box {b.index + 1}: "
                     "each row is a parameter the box restricts; the red part is the box, the grey bar the whole "
                     "range the sweep tried. Coverage is the share of all the settings meeting the condition that "
                     "lie in the box; density the share of the box's settings that meet it.</figcaption></figure>")
    if d.boxes and len(d.trajectory):
        c = d.trajectory[d.trajectory["chosen"]].iloc[0]
        alt = (f"Coverage against density along the peeling trajectory, {len(d.trajectory)} steps; the chosen step "
               f"{int(c['step'])} has coverage {100 * c['coverage']:.0f}% and density {100 * c['density']:.0f}%.")
        parts.append(f"<figure>{_img(tradeoff_figure(d), alt)}<figcaption>The trade-off: each dot is a box on "
                     "the way from the whole sweep (right) to ever smaller, purer boxes (top left). A smaller box "
                     "is more certain but explains fewer of the cases.</figcaption></figure>")
        rows = "".join(f'<tr><td class="l">{_e(lim.parameter)}</td><td class="l">'
                       f"{_e(limit_words(lim, d.partners, d.currency))}</td></tr>"
                       for b in d.boxes for lim in b.limits)
        parts.append(f'<table><tr><th class="l">parameter</th><th class="l">the box</th></tr>{rows}</table>')
    if d.tree:
        items = "".join(f"<li>{_e(d.leaf_words(lf))}</li>" for lf in d.tree)
        parts.append(f"<details><summary>A second view: a shallow decision tree ({len(d.tree)} groups)</summary>"
                     f"<ul>{items}</ul></details>")
    return "\n".join(parts)
