"""``partnersim run SCENARIO [--reps N] [--seed S] [--workers K] [--out DIR]``."""

from __future__ import annotations

import argparse
import json
import math
import textwrap
from pathlib import Path

import pandas as pd

from partnersim.cli import (
    add_precision_flags,
    add_progress_flag,
    nonneg_int,
    positive_int,
    precision_plan,
    warn_implausible,
)
from partnersim.cli.output import check_out_dir, keep_or_rescue
from partnersim.model import METRICS
from partnersim.run.ensemble import run_ensemble
from partnersim.scenario import load_scenario

__all__ = ["RUN_METRICS", "add_parser", "format_main", "format_summary", "next_steps", "out_dir", "precision_text"]

#: The rows of ``partnersim run``'s main table, in the order of what matters (``--all``: every metric).
RUN_METRICS: tuple[str, ...] = (
    "survived", "days_together", "joint_revenue", "revenue_growth_a", "revenue_growth_b", "final_trust",
    "fairness_a", "fairness_b", "conflicts_raised", "escalations", "mean_resolution_days", "mean_decision_days",
    "final_alignment", "customer_satisfaction", "team_satisfaction", "initiatives_completed", "meeting_hours",
)


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
    p.add_argument("--reps", type=positive_int, default=None,
                   help="replications (default 100; with --precision, the first batch: default 10)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed (default 0)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="folder for the output files")
    p.add_argument("--all", action="store_true", dest="show_all",
                   help="print every metric by its summary.csv column name, with its unit (default: the main ones "
                   "in words)")
    add_precision_flags(p)
    add_progress_flag(p)
    p.set_defaults(func=main)


def out_dir(path: Path | None, option: str = "--out") -> Path | None:
    """Check an output folder argument before any work: a folder we can write to (made if missing)."""
    return check_out_dir(path, option)


def _fmt(x: float) -> str:
    from partnersim.analysis.units import format_number

    return format_number(x) if math.isfinite(x) else "-"


def format_summary(table: pd.DataFrame) -> str:
    """A plain-text table of every metric: column name, unit, mean, 95% interval (clipped to its range)."""
    lines = [f"{'metric':<32} {'unit':<14} {'mean':>12}   95% interval"]
    for r in table.itertuples():
        unit = METRICS.get(r.metric, ("", ""))[0]
        ci = f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]" if math.isfinite(r.ci_low) else ""
        lines.append(f"{r.metric:<32} {unit:<14} {_fmt(r.mean):>12}   {ci}")
    return "\n".join(lines)


def format_main(table: pd.DataFrame, partners: tuple[str, str], currency: str = "",
                horizon_days: float | None = None) -> str:
    """The main metrics for people: plain names with the partners' names, averages in human units
    (%, currency, days, scores out of 100) and the range the average likely lies in (95% interval)."""
    from partnersim.analysis.reading import format_range, format_value, metric_unit, short_label

    rows = []
    for r in table.itertuples():
        unit = metric_unit(r.metric)
        label = short_label(r.metric, partners)
        if r.metric == "days_together" and horizon_days:
            label = f"Days together (average, of {horizon_days:,.0f})"
        ci = format_range(r.ci_low, r.ci_high, unit, currency) if r.ci_low != r.ci_high else ""
        rows.append((label, format_value(r.mean, unit, currency), ci))
    w = max(len(a) for a, _, _ in rows)
    v = max(12, *(len(b) for _, b, _ in rows))
    lines = [f"{'':<{w}}  {'average':>{v}}   likely between"]
    lines += [f"{a:<{w}}  {b:>{v}}   {c}".rstrip() for a, b, c in rows]
    return "\n".join(lines)


def next_steps(scenario: str, out: Path | None) -> list[str]:
    """The next useful commands after a run, as lines to print."""
    import shlex

    s = shlex.quote(scenario)
    folder = shlex.quote(str(out)) if out is not None else "out/run"
    steps = []
    if out is None:
        steps.append(("the files (summary.csv, one row per run; figures)", f"partnersim run {s} --out {folder}"))
    steps += [("a page to send to a client", f"partnersim report {s} --out {folder}/report.html"),
              ("what a change does (same random events)", f"partnersim compare {s} OTHER.toml"),
              ("every metric by its summary.csv name", f"partnersim run {s} --all")]
    return ["Next:"] + [f"  {why}:\n    {c}" for why, c in steps]


def precision_text(report) -> str:  # noqa: ANN001 - a PrecisionReport
    """How many replications the precision targets needed, and each target's interval, as lines."""
    lines = report.lines()
    return "\n".join([f"Precision targets: {report.plan.describe()}", f"Needed: {lines[0]}", *lines[1:]])


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
    extra = []
    if ens.precision is not None:  # how many replications each target needed
        ens.precision.table().to_csv(out / "precision.csv", index=False)
        extra.append(out / "precision.csv")
    figures = save_figures(ens, out)
    names = ", ".join(p.name for p in [out / "summary.csv", out / "timeseries.parquet",
                                       out / "ensemble.parquet", *extra, *figures])
    print(f"\nwrote {names} to {out}")


def main(args: argparse.Namespace) -> int:
    """Run the ensemble, print the table, write the files."""
    sc = load_scenario(args.scenario)
    out = out_dir(args.out)  # before any run: an unwritable --out is exit 2 now, not after the last run
    plan = precision_plan(args, args.reps)  # before any run: bad targets are exit 2 now
    warn_implausible("run", args.scenario, sc)
    if plan is None:
        ens = run_ensemble(sc, reps=args.reps or 100, seed=args.seed, workers=args.workers, progress=args.progress)
    else:
        ens = run_ensemble(sc, seed=args.seed, workers=args.workers, progress=args.progress, precision=plan)
    from partnersim.analysis.reading import (
        currency_of,
        days_together,
        display_name,
        ensemble_headline,
        months_text,
        partner_names,
    )
    from partnersim.analysis.stats import summary_table

    table = ens.summary()
    print(f"{display_name(sc.name)}: {ens.reps} simulated runs, seed {args.seed}, "
          f"{months_text(sc.horizon_days)} ({sc.horizon_days:,.0f} days)\n")
    if ens.precision is not None:
        print(precision_text(ens.precision) + "\n")
    print(textwrap.fill("In short: " + " ".join(ensemble_headline(ens)), 100) + "\n")
    if args.show_all:
        print(format_summary(table))
    else:
        runs = ens.runs.assign(days_together=days_together(ens.runs, sc.horizon_days))
        main_table = summary_table(runs, list(RUN_METRICS))
        print(format_main(main_table, partner_names(sc), currency_of(sc), sc.horizon_days))
        print(f"\n{len(table)} metrics in all: --all prints them, summary.csv (with --out) has one row per run.")
    if out is not None:
        keep_or_rescue(lambda: _write(out, ens, sc), ens.save, ".parquet",
                       "the ensemble (read it with partnersim.Ensemble.load)")
    print()
    print("\n".join(next_steps(args.scenario, out)))
    return 0
