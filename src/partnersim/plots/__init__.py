"""Plots (matplotlib): the same functions serve the command line, the report and the notebooks.

- :mod:`partnersim.plots.ensemble`: time-series bands, comparison forest plot,
  distributions of final outcomes, survival curves.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from partnersim import load_scenario, run_ensemble, with_changes
>>> from partnersim.plots import plot_bands
>>> ens = run_ensemble(with_changes(load_scenario("baseline"), {"horizon_days": 180}), reps=4, seed=1, workers=1)
>>> plot_bands(ens, "trust").get_ylabel()
'Trust between the partners (out of 100)'
"""

from partnersim.plots import ensemble as _ensemble
from partnersim.plots.ensemble import *  # noqa: F403 - the package's public names are the module's

__all__ = [name for name in _ensemble.__all__ if name != "EnsembleLike"]
