"""partnersim: simulate two-business partnerships (cadences, funding rules, conflicts, growth).

Examples
--------
>>> from partnersim import load_scenario, simulate
>>> result = simulate(load_scenario("baseline"), seed=1)
>>> 0.0 <= result.summary["final_trust"] <= 1.0
True
"""

from importlib.metadata import PackageNotFoundError, version

from partnersim.run import RunResult, simulate
from partnersim.scenario import InputError, Scenario, load_scenario, save_scenario, with_changes

try:
    __version__ = version("partnersim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

# Heavier entry points are imported on first use (``from partnersim import sweep``).
_LAZY = {
    "run_ensemble": "partnersim.run.ensemble",
    "Ensemble": "partnersim.run.ensemble",
    "compare": "partnersim.analysis.compare",
    "sweep": "partnersim.analysis.sweep",
    "intervene": "partnersim.analysis.interventions",
}

__all__ = [
    "Ensemble",
    "InputError",
    "RunResult",
    "Scenario",
    "__version__",
    "compare",
    "intervene",
    "load_scenario",
    "run_ensemble",
    "save_scenario",
    "simulate",
    "sweep",
    "with_changes",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'partnersim' has no attribute {name!r}")
