"""The compare app: two scenarios (two files, or A plus tweaks), the paired comparison,
the forest plot and the plain-language reading."""

from __future__ import annotations

import html
import time
import traceback
from pathlib import Path
from typing import Any

from partnersim.scenario import Scenario, load_scenario, with_changes
from partnersim.widgets.base import STYLE, App, make_debouncer
from partnersim.widgets.controls import presets
from partnersim.widgets.render import bands_figure, figure_png, reading_html

__all__ = ["CompareApp", "TWEAKS"]

#: The B option that means "A with the tweaks".
TWEAKS = "(A plus tweaks)"
#: At most this many sentences in the reading (the main metrics, largest effect first).
READING_LIMIT = 8
_TABLE_COLUMNS = ["metric", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "p_value", "effect_size", "significant"]


def _resolve(s: Scenario | str | Path, known: dict[str, Scenario]) -> Scenario:
    if isinstance(s, Scenario):
        return s
    return known[str(s)] if str(s) in known else load_scenario(s)


class CompareApp(App):
    """Pick two scenarios; see what changes from A to B, with intervals and in words.

    Parameters
    ----------
    a
        Scenario A: a bundled name, a TOML path or a :class:`~partnersim.scenario.Scenario`.
    b
        Scenario B, likewise; ``None`` means A plus ``tweaks``.
    tweaks
        Dotted-path changes that make B from A (``{"agreement.cadence.weekly.enabled": True}``).
    from_month
        The tweaks take effect from this month on (B is A until then; 0: from the start); the
        ``from_month`` slider changes it. Tweaks that cannot change mid-run (a time zone, the horizon)
        apply from the start.
    reps, seed, workers
        Replications (paired, common random numbers), seed and processes (defaults from the
        ``PARTNERSIM_*`` environment).
    threaded
        Recompute on a worker thread after a dropdown change (``True``); ``False`` for tests.

    Attributes
    ----------
    comparison
        The last :class:`partnersim.analysis.compare.Comparison`.
    """

    def __init__(self, a: Scenario | str | Path = "baseline", b: Scenario | str | Path | None = None, *,
                 tweaks: dict[str, Any] | None = None, from_month: int = 0, reps: int | None = None,
                 seed: int | None = None, workers: int | None = None, delay: float = 0.3,
                 threaded: bool = True) -> None:
        import ipywidgets as w

        self._set_sizes(reps, seed, workers, default_reps=100)
        self.tweaks = dict(tweaks or {})
        self.comparison: Any = None
        self.errors: list[str] = []
        self.last_seconds = float("nan")
        self.scenarios: dict[str, Scenario] = presets()
        a_key = self._register(_resolve(a, self.scenarios))
        b_key = TWEAKS if b is None else self._register(_resolve(b, self.scenarios))
        opts = list(self.scenarios)
        style = {"description_width": "initial"}
        self.pick_a = w.Dropdown(options=opts, value=a_key, description="A (current)", style=style)
        self.pick_b = w.Dropdown(options=[*opts, TWEAKS], value=b_key, description="B (proposed)", style=style)
        self.tweak_text = w.HTML(self._tweaks_html())
        # "from month N": the tweaks made during the run, from month N on (0: from the start)
        self.from_month = w.IntSlider(value=int(from_month), min=0, max=max(120, int(from_month)), step=1,
                                      description="tweaks from month", style=style, continuous_update=False)
        self.from_month.add_class("ps-lever-from_month")
        self.from_month.observe(lambda _c: self._changed(), names="value")
        self.status = w.HTML()
        self.status.add_class("ps-status")
        self.reading = w.HTML()
        self.forest = w.Image(format="png", layout=w.Layout(max_width="1000px"))
        self.bands = w.Image(format="png", layout=w.Layout(max_width="1100px"))
        self.table = w.HTML()
        self.debouncer = make_debouncer(self._job, delay, threaded, self._error)
        self.pick_a.observe(lambda _c: self._changed(), names="value")
        self.pick_b.observe(lambda _c: self._changed(), names="value")
        self.widget = w.VBox([
            w.HTML(STYLE), w.HBox([self.pick_a, self.pick_b]), self.tweak_text, self.from_month, self.status,
            w.HTML("<h3>In plain words</h3>"), self.reading,
            w.HTML("<h3>What changes from A to B</h3>"), self.forest,
            w.HTML("<h3>How the partnership develops</h3>"), self.bands,
            w.HTML("<h3>The paired comparison</h3>"), self.table,
        ])
        self.widget.add_class("ps-app")
        self.refresh()

    # -- public ---------------------------------------------------------------------
    @property
    def scenario_a(self) -> Scenario:
        """Scenario A."""
        return self.scenarios[self.pick_a.value]

    @property
    def scenario_b(self) -> Scenario:
        """Scenario B (A plus the tweaks when B is ``TWEAKS``)."""
        if self.pick_b.value == TWEAKS:
            base = self.scenario_a
            month = int(self.from_month.value)
            if month > 0 and self.tweaks:
                from partnersim.analysis.interventions import from_month

                return from_month(base, self.tweaks, month, name=f"{base.name} + tweaks from month {month}",
                                  label=f"from month {month}")
            return with_changes(base, {**self.tweaks, "name": f"{base.name} + tweaks"})
        return self.scenarios[self.pick_b.value]




    # -- callbacks ------------------------------------------------------------------
    def _register(self, s: Scenario) -> str:
        """Add a scenario to the dropdowns' choices; its key (the name, made unique if needed)."""
        key = s.name
        while key in self.scenarios and self.scenarios[key] != s:
            key = f"{key} (custom)"
        self.scenarios[key] = s
        return key

    def _tweaks_html(self) -> str:
        if not self.tweaks:
            return "<div class='ps-about'>Tweaks: none (B = A when B is “A plus tweaks”).</div>"
        items = ", ".join(f"<code>{html.escape(k)} = {html.escape(repr(v))}</code>" for k, v in self.tweaks.items())
        return f"<div class='ps-about'>Tweaks that make “A plus tweaks”: {items}</div>"

    def _changed(self) -> None:
        self.status.value = "updating…"
        self.debouncer.trigger()

    def _error(self, e: BaseException) -> None:
        self.errors.append("".join(traceback.format_exception(e)))
        self.status.value = f"<span style='color:#b00'>Error: {html.escape(str(e))}</span>"

    def _job(self, gen: int) -> None:
        import matplotlib.figure

        from partnersim.analysis.compare import compare
        from partnersim.plots import plot_forest

        t0 = time.perf_counter()
        sa, sb = self.scenario_a, self.scenario_b
        comp = compare(sa, sb, self.reps, self.seed, self.workers, progress=False)
        if not self.debouncer.is_current(gen):
            return
        # the command line's words: the bottom line, then the findings by what matters, then the cost
        sentences = comp.bottom_line()[:1] + comp.reading(limit=READING_LIMIT) + [
            c for c in comp.costs() if not c.startswith("The change costs no")]
        fig = matplotlib.figure.Figure(figsize=(12.0, 7.5), dpi=80)
        fig.subplots_adjust(left=0.3, right=0.78, top=0.94, bottom=0.08)  # room for the annotations on the right
        plot_forest(comp, ax=fig.subplots())
        forest = figure_png(fig)
        bands = figure_png(bands_figure([[comp.a, comp.b]], across=True, size=(12.0, 3.2)))
        t = comp.table[[c for c in _TABLE_COLUMNS if c in comp.table.columns]]
        if not self.debouncer.is_current(gen):
            return
        self.comparison = comp
        self.reading.value = reading_html(sentences, empty=f"With {comp.a.reps} paired runs, no clear "
                                          "difference between A and B.")
        self.forest.value = forest
        self.bands.value = bands
        self.table.value = t.to_html(index=False, float_format=lambda x: f"{x:.4g}", classes="ps-table")
        self.last_seconds = time.perf_counter() - t0
        self.status.value = (f"A = <b>{html.escape(sa.name)}</b>, B = <b>{html.escape(sb.name)}</b>: "
                             f"{comp.a.reps} paired runs each, {self.last_seconds:.1f} s")
