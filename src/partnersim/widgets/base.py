"""What the apps share: settings from the environment, a cached cancellable ensemble runner,
lever controls bound to a base scenario, the debounced redraw loop, and the style sheet.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from partnersim.scenario import Scenario, save_scenario
from partnersim.widgets.controls import (
    lever,
    lever_changes,
    lever_values,
    make_control,
    presets,
    scenario_from_values,
)
from partnersim.widgets.debounce import Debouncer

__all__ = ["App", "Settings", "EnsembleCache", "LeverPanel", "STYLE", "default_out", "env_int", "slug"]


def env_int(name: str, default: int) -> int:
    """An integer from the environment (``default`` when unset or empty)."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else int(default)


@dataclass(frozen=True)
class Settings:
    """Sizes the notebooks and apps run with; the environment overrides the defaults.

    ``PARTNERSIM_REPS`` (replications per ensemble), ``PARTNERSIM_SEED``,
    ``PARTNERSIM_WORKERS`` (pool processes), ``PARTNERSIM_QUICK=1`` (tiny sizes: tests),
    ``PARTNERSIM_OUT`` (output folder of sweeps; default ``out/`` at the root of a source
    checkout, else ``./out``).
    """

    reps: int = 60
    seed: int = 0
    workers: int = 2
    quick: bool = False
    out: Path = Path("out")  # see default_out()

    @classmethod
    def from_env(cls, reps: int = 60) -> Settings:
        """The settings, from the environment variables (``reps`` is the default replication count)."""
        quick = os.environ.get("PARTNERSIM_QUICK", "") not in ("", "0")
        return cls(reps=env_int("PARTNERSIM_REPS", 8 if quick else reps), seed=env_int("PARTNERSIM_SEED", 0),
                   workers=env_int("PARTNERSIM_WORKERS", min(2, os.cpu_count() or 1)), quick=quick,
                   out=Path(os.environ["PARTNERSIM_OUT"]) if os.environ.get("PARTNERSIM_OUT") else default_out())


def default_out() -> Path:
    """``out/`` at the root of a source checkout (wherever the notebook runs), else ``./out``."""
    from partnersim.scenario import bundled_dir

    root = bundled_dir().parent
    return root / "out" if (root / "pyproject.toml").is_file() else Path("out")


class EnsembleCache:
    """Ensembles by (scenario, reps, seed), the most recent ``size`` kept; runs are cancellable.

    Going back to a setting seen before shows at once; a run whose ``still_wanted()`` turns
    false stops after the chunk in flight and returns ``None``.
    """

    def __init__(self, size: int = 24) -> None:
        self.size = size
        self._store: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
        self.runs = 0  # ensembles actually computed

    @staticmethod
    def key(scenario: Scenario, reps: int, seed: int) -> tuple[str, int, int]:
        """The cache key: the scenario's content (not its name or description)."""
        data = scenario.model_dump(exclude={"name", "description"})
        return (repr(data), int(reps), int(seed))

    def get(self, scenario: Scenario, reps: int, seed: int) -> Any:
        """The cached ensemble, or ``None``."""
        k = self.key(scenario, reps, seed)
        ens = self._store.get(k)
        if ens is not None:
            self._store.move_to_end(k)
            if ens.scenario.name != scenario.name:
                ens = type(ens)(scenario, ens.seed, ens.runs, ens.series)
        return ens

    def run(self, scenario: Scenario, reps: int, seed: int, workers: int,
            still_wanted: Callable[[], bool] = lambda: True,
            on_progress: Callable[[int, int], object] | None = None) -> Any:
        """The ensemble (cached or run now); ``None`` if cancelled."""
        from partnersim.run.ensemble import iter_ensemble

        hit = self.get(scenario, reps, seed)
        if hit is not None:
            return hit
        gen = iter_ensemble(scenario, reps, seed, workers, progress=False)
        last = None
        try:
            for upd in gen:
                if not still_wanted():
                    return None
                last = upd
                if on_progress is not None:
                    on_progress(upd.done, upd.total)
        finally:
            gen.close()
        assert last is not None
        ens = last.ensemble
        self.runs += 1
        self._store[self.key(scenario, reps, seed)] = ens
        while len(self._store) > self.size:
            self._store.popitem(last=False)
        return ens


def slug(text: str) -> str:
    """A file-name-safe version of ``text``.

    >>> slug("Weekly check-ins, 8h gap!")
    'weekly_check-ins_8h_gap'
    """
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", text.strip().lower()).strip("_")
    return s or "scenario"


class LeverPanel:
    """Preset dropdown and lever controls; ``scenario`` is the preset plus the controls' values.

    Parameters
    ----------
    levers
        Lever names (see :data:`partnersim.widgets.controls.LEVERS`).
    preset
        The scenario shown first: a bundled scenario's name, or a scenario file or
        :class:`~partnersim.scenario.Scenario` (added to the presets, say a client's own).
    on_change
        Called whenever a control or the preset changes, with ``sliding=True`` for a slider
        (which may still be moving) and ``False`` otherwise (a settled choice).
    large
        Large controls (workshop).
    scenarios
        The presets (default: the bundled scenarios, :func:`~partnersim.widgets.controls.presets`).
    """

    def __init__(self, levers: Sequence[str], preset: str | Path | Scenario = "baseline",
                 on_change: Callable[..., object] | None = None, *, large: bool = False,
                 scenarios: dict[str, Scenario] | None = None) -> None:
        import ipywidgets as w

        self.presets = dict(scenarios) if scenarios is not None else presets()
        preset = self._add_preset(preset)
        self.names = tuple(levers)
        self.on_change = on_change
        self._suspend = False
        self.base = self.presets[preset]
        values = lever_values(self.base, self.names)
        self.controls: dict[str, Any] = {n: make_control(lever(n), values[n], large=large) for n in self.names}
        #: What to lay out: the controls, or (large) each under its label.
        self.rows: list[Any] = list(self.controls.values())
        if large:
            import html

            self.rows = [w.VBox([w.HTML(f"<div class='ps-label' title='{html.escape(lever(n).description)}'>"
                                        f"{html.escape(lever(n).label)}</div>"), c], layout=w.Layout(width="100%"))
                         for n, c in self.controls.items()]
        self.preset = w.Dropdown(options=list(self.presets), value=preset, description="Preset",
                                 style={"description_width": "initial"}, layout=w.Layout(width="100%"))
        self.preset.add_class("ps-preset")
        if large:
            self.preset.add_class("ps-large")
        self.about = w.HTML(self._about_html())
        self.about.add_class("ps-about")
        self.preset.observe(self._preset_changed, names="value")
        for ctl in self.controls.values():
            ctl.observe(self._control_changed, names="value")

    # -- state ----------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        """The controls' values by lever name."""
        return {n: c.value for n, c in self.controls.items()}

    @property
    def changes(self) -> dict[str, Any]:
        """The dotted-path changes the controls make to the preset."""
        return lever_changes(self.base, self.values)

    def scenario(self, name: str | None = None) -> Scenario:
        """The preset with the controls' values: a new scenario, made with ``with_changes``."""
        changed = bool(self.changes)
        if name is None:
            name = f"{self.base.name} (changed)" if changed else self.base.name
        s = scenario_from_values(self.base, self.values, name=name)
        if changed:
            desc = f"Made from the preset '{self.base.name}' with: " + ", ".join(
                f"{k} = {v}" for k, v in self.changes.items()) + "."
            from partnersim.scenario import with_changes

            s = with_changes(s, {"description": desc})
        return s

    def set_values(self, values: dict[str, Any], notify: bool = True) -> None:
        """Set controls (by lever name) as one change."""
        self._suspend = True
        try:
            for n, v in values.items():
                _set_control(self.controls[n], v)
        finally:
            self._suspend = False
        if notify and self.on_change is not None:
            self.on_change(sliding=False)

    def reset(self, notify: bool = True) -> None:
        """Put every control back to the preset's values."""
        self.set_values(lever_values(self.base, self.names), notify)

    def load_preset(self, name: str) -> None:
        """Show the bundled scenario ``name``."""
        self.preset.value = name  # observer does the rest

    def save(self, path: str | Path, name: str | None = None) -> Path:
        """Write the current scenario as a TOML file (``partnersim validate`` accepts it)."""
        p = Path(path)
        return save_scenario(self.scenario(name or p.stem), p)

    def _add_preset(self, preset: str | Path | Scenario) -> str:
        """The key of ``preset`` in :attr:`presets`, adding a file or a scenario object."""
        from partnersim.scenario import load_scenario

        if isinstance(preset, str) and preset in self.presets:
            return preset
        if isinstance(preset, Scenario):
            scenario, key = preset, preset.name
        elif Path(preset).is_file():
            scenario, key = load_scenario(preset), Path(preset).stem
        else:
            raise KeyError(f"unknown preset {str(preset)!r}: not a file, and not one of {', '.join(self.presets)}")
        while key in self.presets and self.presets[key] != scenario:
            key = f"{key} (custom)"
        self.presets[key] = scenario
        return key

    # -- callbacks ------------------------------------------------------------------
    def _about_html(self) -> str:
        import html

        return f"<div class='ps-about'><b>{html.escape(self.base.name)}</b>: {html.escape(self.base.description)}</div>"

    def _preset_changed(self, change: dict[str, Any]) -> None:
        self.base = self.presets[change["new"]]
        self.about.value = self._about_html()
        self.reset(notify=True)

    def _control_changed(self, change: dict[str, Any]) -> None:
        if not self._suspend and self.on_change is not None:
            self.on_change(sliding=hasattr(change["owner"], "readout"))


def _set_control(ctl: Any, value: Any) -> None:
    """Set a control to ``value``, widening a slider or adding a dropdown option if needed."""
    if hasattr(ctl, "min") and value is not None:
        if value < ctl.min:
            ctl.min = value
        if value > ctl.max:
            ctl.max = value
    if hasattr(ctl, "options"):
        opts = list(ctl.options)
        vals = [o[1] if isinstance(o, tuple) else o for o in opts]
        if value not in vals:
            ctl.options = [*opts, ("(as in the preset)" if value is None else str(value), value)]
    ctl.value = value


def make_debouncer(job: Callable[[int], object], delay: float, threaded: bool,
                   on_error: Callable[[BaseException], object]) -> Debouncer:
    """The apps' debouncer."""
    return Debouncer(job, delay, threaded=threaded, on_error=on_error)


#: Debounce delay of a settled change (a dropdown, a toggle, a preset), in seconds.
SETTLED_DELAY = 0.05


class App:
    """What the apps share: a debounced job, a root ``widget``, a ``status`` line and, for
    the apps that draw one, a figure ``image`` dimmed while a new one is computed.

    Subclasses set ``self.debouncer``, ``self.widget`` and ``self.status`` (and ``self.image``).
    """

    debouncer: Debouncer
    widget: Any
    status: Any
    image: Any = None

    def _set_sizes(self, reps: int | None, seed: int | None, workers: int | None, default_reps: int = 60) -> None:
        """``reps``, ``seed`` and ``workers`` as given, else from :class:`Settings`; then start the
        worker pool in the background, so that it is up by the time the widgets are built."""
        from partnersim.run import executors

        st = Settings.from_env(reps=default_reps)
        self.reps = int(reps if reps is not None else st.reps)
        self.seed = int(seed if seed is not None else st.seed)
        self.workers = int(workers if workers is not None else st.workers)
        executors.prestart_pool(self.workers)

    def refresh(self) -> None:
        """Compute and draw now, in this thread."""
        self.debouncer.trigger()
        self.debouncer.flush()

    def close(self) -> None:
        """Stop the worker thread and close the widgets."""
        self.debouncer.close()
        self.widget.close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _changed(self, sliding: bool = True) -> None:
        """A control changed: mark the output stale and (re)start the debounce timer.

        ``sliding`` changes (sliders) wait for the full debounce delay; settled ones
        (dropdowns, toggles, presets) only :data:`SETTLED_DELAY`.
        """
        self.status.value = "<span class='ps-busy'>updating…</span>"
        if self.image is not None:
            self.image.add_class("ps-stale")  # dimmed until the new figure arrives
        self.debouncer.trigger(None if sliding else min(SETTLED_DELAY, self.debouncer.delay))

#: Style sheet of the apps (an HTML widget with a ``<style>`` element).
STYLE = """
<style>
.ps-app { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
.ps-app .ps-table { border-collapse: collapse; margin: 4px 0; }
.ps-app .ps-table td, .ps-app .ps-table th { padding: 2px 10px; text-align: right; }
.ps-app .ps-table td:first-child { text-align: left; }
.ps-app .ps-ci { color: #666; }
.ps-app .ps-note { color: #777; font-size: 85%; }
.ps-app .ps-status { color: #555; min-height: 1.4em; }
.ps-app .ps-figure { transition: opacity 0.15s; }
.ps-app .ps-stale { opacity: 0.5; }
.ps-app .ps-about { color: #333; margin: 2px 0 8px 0; }
.ps-app .ps-summary-title { font-weight: 600; font-size: 110%; }
.ps-app .ps-reading li { margin: 4px 0; }
.ps-workshop { font-size: 18px; }
.ps-workshop h1 { font-size: 30px; margin: 6px 0 10px 0; }
.ps-workshop h3 { font-size: 22px; margin: 14px 0 4px 0; }
.ps-workshop .ps-table { font-size: 18px; }
.ps-workshop .ps-reading { font-size: 20px; }
.ps-workshop .ps-reading ul { margin: 4px 0; padding-left: 1.2em; }
.ps-workshop .ps-lever-rhythm select, .ps-workshop .ps-lever-funding select { font-size: 16px !important; }
.ps-loading { display: none !important; }
.ps-large .widget-label, .ps-large label, .ps-large select, .ps-large input,
.ps-large .widget-readout, .ps-large button { font-size: 19px !important; }
.ps-large select { height: 38px !important; }
.ps-large { margin: 6px 0 !important; height: auto !important; }
.ps-workshop .ps-label { font-size: 19px; font-weight: 600; margin: 10px 0 0 2px; }
.ps-large .widget-toggle-button, .ps-large .widget-toggle-buttons button { font-size: 18px !important;
  height: 38px !important; }
.ps-large .noUi-handle { transform: scale(1.4); }
.ps-large input[type="checkbox"] { transform: scale(1.6); margin-right: 10px; }
.ps-large.widget-button, .ps-button-large { font-size: 19px !important; height: 42px !important; }
</style>
"""
