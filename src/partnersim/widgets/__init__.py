"""Notebook and workshop apps (ipywidgets): an optional face on top of the package.

The apps rebuild scenarios from their controls alone (``with_changes`` on a bundled preset)
and call the public API; the model never imports this package.

- :class:`ExploreApp`: every lever, one scenario, bands and summary (``notebooks/01_explore``).
- :class:`CompareApp`: two scenarios, the paired comparison, forest plot, reading (``02_compare``).
- :class:`WorkshopApp`: large controls, A (a preset) and B (A plus changes) side by side (``workshop``).
"""

from partnersim.widgets.base import Settings
from partnersim.widgets.controls import LEVERS, Lever, lever_values, scenario_from_values
from partnersim.widgets.debounce import Debouncer

__all__ = [
    "LEVERS",
    "CompareApp",
    "Debouncer",
    "ExploreApp",
    "Lever",
    "Settings",
    "WorkshopApp",
    "lever_values",
    "scenario_from_values",
]

_LAZY = {
    "ExploreApp": "partnersim.widgets.explore",
    "CompareApp": "partnersim.widgets.compare",
    "WorkshopApp": "partnersim.widgets.workshop",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'partnersim.widgets' has no attribute {name!r}")
