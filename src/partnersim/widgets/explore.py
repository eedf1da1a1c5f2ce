"""The explore app: every lever, one scenario, its bands and summary redrawn on each change."""

from __future__ import annotations

import html
import time
import traceback
from pathlib import Path
from typing import Any

from partnersim.scenario import Scenario
from partnersim.widgets.base import STYLE, App, EnsembleCache, LeverPanel, make_debouncer, slug
from partnersim.widgets.controls import EXPLORE_LEVERS
from partnersim.widgets.render import BAND_COLUMNS, bands_figure, figure_png, summary_html

__all__ = ["ExploreApp"]


class ExploreApp(App):
    """Controls for the main levers; every change re-runs an ensemble and redraws.

    Parameters
    ----------
    preset
        The scenario to start from: a bundled scenario's name, a scenario file or a
        :class:`~partnersim.scenario.Scenario` (say, a client's own).
    reps, seed, workers
        Ensemble size, seed and pool processes (defaults from :class:`~partnersim.widgets.base.Settings`,
        i.e. the ``PARTNERSIM_*`` environment variables).
    delay
        Debounce delay in seconds: a change is computed once the controls have been still this long.
    threaded
        Compute on a worker thread (``True``, interactive). ``False``: nothing runs until
        :meth:`refresh` or ``debouncer.flush()`` (tests).
    save_dir
        Folder of "save as scenario".
    levers
        The levers shown (names of :data:`partnersim.widgets.controls.LEVERS`).
    columns
        Time-series columns drawn (default trust, alignment, joint revenue; ``revenue_a``,
        ``revenue_b`` and every other column of :data:`partnersim.model.COLUMNS` work).

    Examples
    --------
    >>> from partnersim.widgets import ExploreApp
    >>> app = ExploreApp("baseline", reps=4, workers=1, threaded=False)  # doctest: +SKIP
    >>> app.panel.controls["rhythm"].value = "weekly check-ins"  # doctest: +SKIP
    >>> app.debouncer.flush()  # doctest: +SKIP
    True
    >>> app.ensemble.scenario.agreement.cadence.weekly.enabled  # doctest: +SKIP
    True
    """

    def __init__(self, preset: str | Path | Scenario = "baseline", *, reps: int | None = None, seed: int | None = None,
                 workers: int | None = None, delay: float = 0.3, threaded: bool = True,
                 save_dir: str | Path = ".", levers: tuple[str, ...] = EXPLORE_LEVERS,
                 columns: tuple[str, ...] = BAND_COLUMNS) -> None:
        import ipywidgets as w

        self._set_sizes(reps, seed, workers)
        self.save_dir = Path(save_dir)
        self.columns = tuple(columns)
        self.cache = EnsembleCache()
        self.ensemble: Any = None
        self.last_seconds = float("nan")
        self.timings: dict[str, float] = {}
        self.errors: list[str] = []
        self.panel = LeverPanel(levers, preset, self._changed)
        # "from month N": the changes made during the run, from month N on (0: from the start)
        self.from_month = w.IntSlider(value=0, min=0, max=120, step=1, description="changes from month",
                                      style={"description_width": "initial"}, layout=w.Layout(width="100%"),
                                      continuous_update=False,
                                      tooltip="the preset until this month, then the preset with the changes")
        self.from_month.add_class("ps-lever-from_month")
        self.from_month.observe(lambda _c: self._changed(sliding=False), names="value")
        self.image = w.Image(format="png", layout=w.Layout(width="100%", max_width="1100px"))
        self.image.add_class("ps-figure")
        self.summary = w.HTML()
        self.summary.add_class("ps-summary-box")
        self.status = w.HTML()
        self.status.add_class("ps-status")
        self.save_name = w.Text(value="my_scenario", description="File name", style={"description_width": "initial"})
        self.save_button = w.Button(description="Save as scenario", icon="save")
        self.save_message = w.HTML()
        self.save_button.on_click(lambda _b: self._save_clicked())
        self.debouncer = make_debouncer(self._job, delay, threaded, self._error)
        controls = w.VBox([self.panel.preset, self.panel.about, *self.panel.rows, self.from_month,
                           w.HBox([self.save_name, self.save_button]), self.save_message],
                          layout=w.Layout(width="420px", min_width="340px"))
        right = w.VBox([self.status, self.image, self.summary], layout=w.Layout(flex="1 1 auto"))
        self.widget = w.VBox([w.HTML(STYLE), w.HBox([controls, right])])
        self.widget.add_class("ps-app")
        self.refresh()

    # -- public ---------------------------------------------------------------------
    @property
    def scenario(self) -> Any:
        """The scenario the controls describe (the preset plus the changes, from month ``from_month.value``
        on when it is not 0: an intervention on the preset)."""
        month = int(self.from_month.value)
        if month > 0 and self.panel.changes:
            from partnersim.analysis.interventions import from_month

            return from_month(self.panel.base, self.panel.changes, month,
                              name=f"{self.panel.base.name} (changed from month {month})", label=f"from month {month}")
        return self.panel.scenario()


    def save(self, path: str | Path | None = None) -> Path:
        """Save the current scenario as TOML (``partnersim validate`` accepts it); returns the path."""
        p = Path(path) if path is not None else self.save_dir / f"{slug(self.save_name.value)}.toml"
        if int(self.from_month.value) > 0 and self.panel.changes:  # the file carries its [[interventions]]
            from partnersim.scenario import save_scenario, with_changes

            return save_scenario(with_changes(self.scenario, {"name": p.stem}), p)
        return self.panel.save(p, name=p.stem)



    # -- callbacks ------------------------------------------------------------------

    def _save_clicked(self) -> None:
        try:
            p = self.save()
            self.save_message.value = f"Saved <code>{html.escape(str(p))}</code>"
        except Exception as e:  # shown to the user, not raised into the event loop
            self.save_message.value = f"<span style='color:#b00'>Could not save: {html.escape(str(e))}</span>"

    def _error(self, e: BaseException) -> None:
        self.errors.append("".join(traceback.format_exception(e)))
        self.status.value = f"<span style='color:#b00'>Error: {html.escape(str(e))}</span>"

    def _job(self, gen: int) -> None:
        t0 = time.perf_counter()
        sc = self.scenario
        current = lambda: self.debouncer.is_current(gen)  # noqa: E731
        progress = lambda d, t: setattr(self.status, "value", f"running… {d}/{t}")  # noqa: E731
        ens = self.cache.run(sc, self.reps, self.seed, self.workers, current, progress)
        if ens is None or not current():
            return
        t1 = time.perf_counter()
        table = summary_html(ens, title=sc.name)
        if not current():
            return
        self.ensemble = ens
        self.summary.value = table  # the numbers first, then the figure
        t2 = time.perf_counter()
        fig = bands_figure([[ens]], columns=self.columns, across=True, size=(4.0 * len(self.columns), 3.0))
        if sc.interventions:
            from partnersim.plots.interventions import mark_intervention

            for ax in fig.axes:
                mark_intervention(ax, min(iv.at_day for iv in sc.interventions), "changes")
        png = figure_png(fig)
        if not current():
            return
        self.image.value = png
        self.image.remove_class("ps-stale")
        self.last_seconds = time.perf_counter() - t0
        self.timings = {"run": t1 - t0, "summary": t2 - t1, "figure": self.last_seconds - (t2 - t0)}
        self.status.value = f"{ens.reps} runs, drawn in {self.last_seconds:.2f} s"
