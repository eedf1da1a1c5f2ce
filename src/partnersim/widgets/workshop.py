"""The workshop app: large controls, A (a preset) and B (A plus the room's changes) side by side.

Served without code by Voila (``make workshop``). A facilitator picks a preset (A), moves
the controls (B = A with those changes, made with ``with_changes``), and within about a
second the room sees both scenarios' trust, alignment and joint revenue bands, their
numbers, and what changed, in plain words (a paired comparison on common random numbers).
"""

from __future__ import annotations

import html
import time
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import Any

from partnersim.scenario import Scenario
from partnersim.widgets.base import STYLE, App, EnsembleCache, LeverPanel, make_debouncer
from partnersim.widgets.controls import WORKSHOP_LEVERS
from partnersim.widgets.render import (
    bands_figure,
    figure_svg,
    pair_summary_html,
    reading_html,
    significant_sentences,
)

__all__ = ["WorkshopApp", "READING_METRICS", "WORKSHOP_COLUMNS"]

#: Metrics the reading talks about, in the order of what matters (meeting hours are said as a cost).
READING_METRICS: tuple[str, ...] = (
    "survived", "joint_revenue", "fairness_a", "fairness_b", "final_trust", "conflicts_raised", "escalations",
    "mean_resolution_days", "final_alignment", "min_fairness", "customer_satisfaction", "team_satisfaction",
    "initiatives_completed", "mean_decision_days", "mean_response_hours", "meeting_hours",
)
#: Runs per scenario unless ``PARTNERSIM_REPS`` says otherwise: a change redrawn in about a second on a busy
#: 2-core machine (``benchmarks/workshop_browser.py``).
DEFAULT_REPS = 40
#: The workshop's panels: trust, alignment and the joint revenue earned so far (a total, as in the table).
WORKSHOP_COLUMNS: tuple[str, ...] = ("trust", "alignment", "joint_revenue_cum")
#: After the first figure the bands refine: pairs of runs are added in batches until the differences
#: B - A of the headline measures are known this well (95% interval half-widths; joint revenue as a share
#: of A's mean), or until ``refine_to`` runs each (``PARTNERSIM_REFINE_TO``, default 5 x the first size,
#: at most 200).
SETTLE_TARGETS: dict[str, float] = {"survived": 0.05, "final_trust": 0.02, "joint_revenue": 0.05}
REFINE_MAX = 200



class WorkshopApp(App):
    """Two scenarios side by side, for a room of non-programmers.

    Parameters
    ----------
    preset
        What A starts as: a bundled scenario's name, a scenario file or a
        :class:`~partnersim.scenario.Scenario` (say, a client's own).
    reps, seed, workers
        Ensemble size, seed and processes (defaults from the ``PARTNERSIM_*`` environment).
    delay
        Debounce delay in seconds.
    threaded
        Compute on a worker thread (``True``); ``False`` for tests (``debouncer.flush()``).
    refine_to
        Runs each that the bands refine to after the first figure, while nobody moves a control and
        until the headline differences have settled (:data:`SETTLE_TARGETS`, Law and Kelton's
        precision rule: :mod:`partnersim.analysis.precision`). Default: ``PARTNERSIM_REFINE_TO``, else
        five times ``reps`` (at most 200) when threaded, no refinement when not (tests).
    """

    def __init__(self, preset: str | Path | Scenario = "baseline", *, reps: int | None = None, seed: int | None = None,
                 workers: int | None = None, delay: float = 0.3, threaded: bool = True,
                 levers: tuple[str, ...] = WORKSHOP_LEVERS, refine_to: int | None = None) -> None:
        import os

        import ipywidgets as w

        self._set_sizes(reps, seed, workers, default_reps=DEFAULT_REPS)
        if refine_to is None:
            env = os.environ.get("PARTNERSIM_REFINE_TO", "").strip()
            refine_to = int(env) if env.isdigit() else (min(REFINE_MAX, 5 * self.reps) if threaded else self.reps)
        self.refine_to = max(int(refine_to), self.reps)
        self.cache = EnsembleCache()
        self._largest: OrderedDict[tuple, Any] = OrderedDict()  # per scenario, the ensemble with the most runs
        self.ensembles: tuple[Any, Any] | None = None
        self.table: Any = None
        self.sentences: list[str] = []
        self.last_seconds = float("nan")
        self.timings: dict[str, float] = {}
        self.errors: list[str] = []
        self.panel = LeverPanel(levers, preset, self._changed, large=True)
        self.reset_button = w.Button(description="Back to the preset", icon="undo",
                                     layout=w.Layout(width="auto", height="44px"))
        self.reset_button.add_class("ps-button-large")
        self.reset_button.on_click(lambda _b: self._reset())
        # "from month N": B's changes made during the run, from month N on (0: from the start)
        self.from_month = w.IntSlider(value=0, min=0, max=self._months(), step=1, continuous_update=True,
                                      description="", style={"description_width": "initial"},
                                      layout=w.Layout(width="100%"),
                                      tooltip="B is A until this month, then A with your changes (0: from the start)")
        for cls in ("ps-control", "ps-large", "ps-lever-from_month"):
            self.from_month.add_class(cls)
        self.from_month.observe(lambda _c: self._changed(), names="value")
        self.panel.preset.observe(lambda _c: self._preset_horizon(), names="value")
        self.image = w.Image(format="svg+xml", layout=w.Layout(width="100%", max_width="1250px"))
        self.image.add_class("ps-figure")
        self.summary = w.HTML()
        self.summary.add_class("ps-summary-box")
        self.reading = w.HTML()
        self.reading.add_class("ps-reading-box")
        self.status = w.HTML()
        self.status.add_class("ps-status")
        self.debouncer = make_debouncer(self._job, delay, threaded, self._error)
        head = w.HTML("<h1>What if&hellip;? Two ways to run a partnership</h1>"
                      "<div class='ps-about'>A is a starting point (pick a preset). B is A with the changes "
                      "you make on the left. Lines are the middle outcome; shaded bands show the range over "
                      "many simulated futures.</div>")
        self.panel.preset.description = ""
        left = w.VBox([w.HTML("<div class='ps-label'>A: start from a preset</div>"), self.panel.preset,
                       self.panel.about, w.HTML("<h3>B: change the partnership</h3>"),
                       *self.panel.rows,
                       w.VBox([w.HTML("<div class='ps-label' title='B is A until this month, then A with your "
                                      "changes'>Your changes start in month (0: from the start)</div>"),
                               self.from_month], layout=w.Layout(width="100%")),
                       self.reset_button],
                      layout=w.Layout(width="470px", min_width="470px", flex="0 0 470px", padding="0 16px 0 0"))
        # what changes first (in view at 1366x768), then the figure, then the numbers
        right = w.VBox([self.status, w.HTML("<h3 style='margin-top:0'>What changes from A to B</h3>"),
                        self.reading, self.image, self.summary],
                       layout=w.Layout(flex="1 1 auto", min_width="0"))
        self.widget = w.VBox([w.HTML(STYLE), head, w.HBox([left, right])])
        self.widget.add_class("ps-app")
        self.widget.add_class("ps-workshop")
        self.refresh()

    # -- public ---------------------------------------------------------------------
    @property
    def scenario_a(self) -> Any:
        """Scenario A: the preset."""
        return self.panel.base

    @property
    def scenario_b(self) -> Any:
        """Scenario B: the preset with the controls' changes (from month ``from_month.value`` on, if not 0)."""
        month = int(self.from_month.value)
        if month > 0 and self.panel.changes:
            from partnersim.analysis.interventions import from_month

            return from_month(self.panel.base, self.panel.changes, month, name=f"{self.panel.base.name} + changes "
                              f"from month {month}", label=f"from month {month}")
        return self.panel.scenario(name=f"{self.panel.base.name} + changes" if self.panel.changes else None)

    def _months(self) -> int:
        return max(1, int(self.panel.base.horizon_days / 30.4375))

    def _preset_horizon(self) -> None:
        self.from_month.max = self._months()

    def _reset(self) -> None:
        self.from_month.unobserve_all()  # one redraw for both
        self.from_month.value = 0
        self.from_month.observe(lambda _c: self._changed(), names="value")
        self.panel.reset()




    # -- callbacks ------------------------------------------------------------------

    def _error(self, e: BaseException) -> None:
        self.errors.append("".join(traceback.format_exception(e)))
        self.status.value = f"<span style='color:#b00'>Something went wrong: {html.escape(str(e))}</span>"

    def _job(self, gen: int) -> None:
        t0 = time.perf_counter()
        sa, sb = self.scenario_a, self.scenario_b
        current = lambda: self.debouncer.is_current(gen)  # noqa: E731
        progress = lambda d, t: setattr(self.status, "value", f"simulating… {d}/{t} runs")  # noqa: E731
        # a setting seen before shows at once, with as many runs as it was refined to
        n = min(self._runs_known(sa), self._runs_known(sb))
        if n > self.reps:
            ens_a, ens_b = self._grow(sa, n, current), self._grow(sb, n, current)
        else:
            ens_a = self.cache.run(sa, self.reps, self.seed, self.workers, current, progress)
            ens_b = self.cache.run(sb, self.reps, self.seed, self.workers, current, progress) \
                if ens_a is not None else None
        if ens_a is None or ens_b is None or not current():
            return
        self._keep(ens_a)
        self._keep(ens_b)
        self._show(ens_a, ens_b, t0, gen)
        self._refine(ens_a, ens_b, gen)

    # -- refinement: the bands settle after the first figure ------------------------
    def settled(self, ens_a: Any, ens_b: Any) -> bool:
        """Whether the differences B - A of :data:`SETTLE_TARGETS` are known well enough (paired runs)."""
        import numpy as np

        from partnersim.analysis.precision import Target, assess

        ra, rb = ens_a.runs, ens_b.runs
        for metric, value in SETTLE_TARGETS.items():
            if metric == "joint_revenue":  # a share of A's mean, said as an amount
                value = value * max(abs(float(np.nanmean(ra[metric].to_numpy(dtype=float)))), 1.0)
            d = rb[metric].to_numpy(dtype=float) - ra[metric].to_numpy(dtype=float)
            if not assess(d, Target(metric, float(value), False), difference=True).met:
                return False
        return True

    def _refine(self, ens_a: Any, ens_b: Any, gen: int) -> None:
        """Add pairs in batches (half the first size) and redraw, until settled, ``refine_to`` or a new change."""
        current = lambda: self.debouncer.is_current(gen)  # noqa: E731
        t0 = time.perf_counter()
        step = max(1, self.reps // 2)
        if self._key(ens_a.scenario) == self._key(ens_b.scenario):
            return  # B is A: every difference is 0 by construction
        while ens_b.reps < self.refine_to and current() and not self.settled(ens_a, ens_b):
            stop = min(self.refine_to, ens_b.reps + step)
            self.status.value = (f"<span class='ps-refining'>refining the bands: {stop} simulated futures "
                                 "each…</span>")
            grown = (self._grow(ens_a.scenario, stop, current), self._grow(ens_b.scenario, stop, current))
            if grown[0] is None or grown[1] is None or not current():
                return
            ens_a, ens_b = grown
            self._show(ens_a, ens_b, t0, gen, first=False)
        if current() and ens_b.reps > self.reps:
            self.status.value = (f"<span class='ps-done'>updated in {self.last_seconds:.1f} s; bands settled at "
                                 f"{ens_b.reps} simulated futures each</span>")

    def _key(self, scenario: Any) -> tuple:
        return self.cache.key(scenario, 0, self.seed)

    def _runs_known(self, scenario: Any) -> int:
        ens = self._largest.get(self._key(scenario))
        return ens.reps if ens is not None else 0

    def _keep(self, ens: Any) -> None:
        k = self._key(ens.scenario)
        if self._runs_known(ens.scenario) < ens.reps:
            self._largest[k] = ens
        self._largest.move_to_end(k)
        while len(self._largest) > self.cache.size:
            self._largest.popitem(last=False)

    def _grow(self, scenario: Any, stop: int, current: Any) -> Any:
        """Replications ``0..stop-1`` of ``scenario``: the known ones and the missing ones run now."""
        from partnersim.run.ensemble import Ensemble, extend_ensemble

        ens = self._largest.get(self._key(scenario))
        if ens is None:
            ens = self.cache.run(scenario, self.reps, self.seed, self.workers, current)
            if ens is None:
                return None
        if ens.reps < stop:
            ens = extend_ensemble(ens, stop, self.workers)
            self._keep(ens)
        if ens.scenario.name != scenario.name or ens.reps > stop:
            ens = Ensemble(scenario, ens.seed, ens.runs.iloc[:stop].reset_index(drop=True), ens.series[:stop])
        return ens

    def _show(self, ens_a: Any, ens_b: Any, t0: float, gen: int, first: bool = True) -> None:
        """Draw the numbers, the reading and the figure of A and B (``first``: the change's first figure)."""
        from partnersim.analysis.compare import paired_differences

        t1 = time.perf_counter()
        sa = ens_a.scenario
        names = (sa.name, "your changes" if self.panel.changes else sa.name)
        table = paired_differences(ens_a.runs, ens_b.runs, READING_METRICS)
        month = int(self.from_month.value) if ens_b.scenario.interventions else 0
        if self.panel.changes:
            sentences = significant_sentences(table, ens_a, ens_b, (f"A ({sa.name})", "B (the changes)"),
                                              READING_METRICS, limit=4)
            if month:
                from partnersim.scenario.interventions import fixed_reason

                fixed = [k for k in self.panel.changes if fixed_reason(k) is not None]
                said = (f"B has your changes from month {month} on; a time-zone gap or a horizon can only change "
                        "at the start, so B has those from the start." if fixed else
                        f"B is A until month {month} and A with your changes from month {month} on: every "
                        f"difference comes after month {month}.")
                sentences = [said, *(sentences or [f"With {ens_b.reps} runs each, no clear "
                                                                      "difference between A and B on the main "
                                                                      "measures."])]
            reading = reading_html(sentences, empty=f"With {ens_b.reps} runs each, no clear difference between A "
                                   "and B on the main measures.")
        else:
            sentences = []
            reading = reading_html([], empty="B is the same as A: move a control on the left to make B different.")
        summary = pair_summary_html(ens_a, ens_b, names)
        t2 = time.perf_counter()
        fig = bands_figure([[ens_a], [ens_b]], titles=[f"A: {sa.name}", f"B: {names[1]}"], columns=WORKSHOP_COLUMNS,
                           reference=ens_a, size=(10.0, 5.6), font=11.0)
        if month:
            from partnersim.plots.interventions import mark_intervention

            for ax in fig.axes[1::2]:  # B's column: the month its changes start
                mark_intervention(ax, month * 30.4375, f"month {month}")
        svg = figure_svg(fig)
        if not self.debouncer.is_current(gen):
            return
        self.ensembles, self.table, self.sentences = (ens_a, ens_b), table, sentences
        self.summary.value = summary
        self.reading.value = reading
        self.image.value = svg
        self.image.remove_class("ps-stale")
        if first:  # (the refinements after it are timed apart)
            self.last_seconds = time.perf_counter() - t0
            self.timings = {"run": t1 - t0, "numbers": t2 - t1, "figure": self.last_seconds - (t2 - t0)}
            self.status.value = f"<span class='ps-done'>updated in {self.last_seconds:.1f} s</span>"
