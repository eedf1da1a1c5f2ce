"""Run layer: single runs, ensembles and executors."""

from partnersim.run.simulate import METRIC_NAMES, RunResult, as_scenario, run_summary, simulate

__all__ = ["METRIC_NAMES", "RunResult", "as_scenario", "run_summary", "simulate"]
