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

__all__ = [
    "InputError",
    "RunResult",
    "Scenario",
    "__version__",
    "load_scenario",
    "save_scenario",
    "simulate",
    "with_changes",
]
