"""``partnersim run SCENARIO [--reps N] [--seed S] [--out DIR]``."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from partnersim.analysis.stats import summary_table
from partnersim.cli import nonneg_int, positive_int
from partnersim.model import METRICS
from partnersim.run.ensemble import run_ensemble
from partnersim.scenario import load_scenario

__all__ = ["add_parser", "format_summary"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim run``."""
    p = sub.add_parser(
        "run", help="run a scenario (an ensemble of replications) and summarise it",
        description="Run replications of a scenario; print mean and 95%% interval per metric; "
        "with --out, write summary.csv (one row per replication) and timeseries.parquet.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file (or a bundled name)")
    p.add_argument("--reps", type=positive_int, default=100, help="replications (default 100)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed (default 0)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="folder for the output files")
    p.set_defaults(func=main)


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"


def format_summary(table: pd.DataFrame) -> str:
    """A plain-text table: metric, unit, mean, 95% interval."""
    lines = [f"{'metric':<32} {'unit':<14} {'mean':>12}   95% interval"]
    for r in table.itertuples():
        unit = METRICS.get(r.metric, ("", ""))[0]
        ci = f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]" if math.isfinite(r.ci_low) else ""
        lines.append(f"{r.metric:<32} {unit:<14} {_fmt(r.mean):>12}   {ci}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run the ensemble, print the table, write the files."""
    sc = load_scenario(args.scenario)
    ens = run_ensemble(sc, reps=args.reps, seed=args.seed)
    table = summary_table(ens.runs, list(METRICS))
    print(f"{sc.name}: {args.reps} replications, seed {args.seed}, {sc.horizon_days:g} days; "
          f"survival {ens.runs['survived'].mean():.0%}")
    print(format_summary(table))
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        ens.runs.to_csv(out / "summary.csv", index=False)
        ens.timeseries_long().to_parquet(out / "timeseries.parquet", index=False)
        print(f"wrote {out / 'summary.csv'} and {out / 'timeseries.parquet'}")
    return 0
