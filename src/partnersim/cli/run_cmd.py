"""``partnersim run SCENARIO [--reps N] [--seed S] [--workers K] [--out DIR]``."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from partnersim.cli import add_progress_flag, nonneg_int, positive_int, warn_implausible
from partnersim.cli.output import check_out_dir, keep_or_rescue
from partnersim.model import METRICS
from partnersim.run.ensemble import run_ensemble
from partnersim.scenario import load_scenario

__all__ = ["add_parser", "format_summary", "out_dir"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim run``."""
    p = sub.add_parser(
        "run", help="run a scenario (an ensemble of replications) and summarise it",
        description="Run replications of a scenario; print mean and 95% interval per metric "
        "(clipped to the metric's natural range: a count's interval never goes below 0); "
        "with --out, write summary.csv (one row per replication), timeseries.parquet, ensemble.parquet "
        "(everything, reloadable with partnersim.Ensemble.load) and PNG figures.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file (or a bundled name)")
    p.add_argument("--reps", type=positive_int, default=100, help="replications (default 100)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed (default 0)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="folder for the output files")
    add_progress_flag(p)
    p.set_defaults(func=main)


def out_dir(path: Path | None, option: str = "--out") -> Path | None:
    """Check an output folder argument before any work: a folder we can write to (made if missing)."""
    return check_out_dir(path, option)


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"


def format_summary(table: pd.DataFrame) -> str:
    """A plain-text table: metric, unit, mean, 95% interval (clipped to the metric's range)."""
    lines = [f"{'metric':<32} {'unit':<14} {'mean':>12}   95% interval"]
    for r in table.itertuples():
        unit = METRICS.get(r.metric, ("", ""))[0]
        ci = f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]" if math.isfinite(r.ci_low) else ""
        lines.append(f"{r.metric:<32} {unit:<14} {_fmt(r.mean):>12}   {ci}")
    return "\n".join(lines)


def _write(out: Path, ens, sc) -> None:  # noqa: ANN001 - an Ensemble and its Scenario
    import pyarrow as pa
    import pyarrow.parquet as pq

    from partnersim.plots.ensemble import save_figures

    out.mkdir(parents=True, exist_ok=True)
    ens.runs.to_csv(out / "summary.csv", index=False)
    ts = pa.Table.from_pandas(ens.timeseries_long(), preserve_index=False)
    meta = dict(ts.schema.metadata or {})
    meta[b"partnersim"] = json.dumps({"seed": ens.seed, "reps": ens.reps,
                                      "scenario": json.loads(sc.model_dump_json())}).encode()
    pq.write_table(ts.replace_schema_metadata(meta), out / "timeseries.parquet")
    ens.save(out / "ensemble.parquet")
    figures = save_figures(ens, out)
    names = ", ".join(p.name for p in [out / "summary.csv", out / "timeseries.parquet",
                                       out / "ensemble.parquet", *figures])
    print(f"wrote {names} to {out}")


def main(args: argparse.Namespace) -> int:
    """Run the ensemble, print the table, write the files."""
    sc = load_scenario(args.scenario)
    out = out_dir(args.out)  # before any run: an unwritable --out is exit 2 now, not after the last run
    warn_implausible("run", args.scenario, sc)
    ens = run_ensemble(sc, reps=args.reps, seed=args.seed, workers=args.workers, progress=args.progress)
    table = ens.summary()
    print(f"{sc.name}: {args.reps} replications, seed {args.seed}, {sc.horizon_days:g} days; "
          f"survival {ens.runs['survived'].mean():.0%}")
    print(format_summary(table))
    if out is not None:
        keep_or_rescue(lambda: _write(out, ens, sc), ens.save, ".parquet",
                       "the ensemble (read it with partnersim.Ensemble.load)")
    return 0
