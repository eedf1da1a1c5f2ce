"""``partnersim too-late SCENARIO (--set PATH=VALUE ... --months A:B:S | --vary PATH --values ...)``.

"When is it too late?": the same intervention started later and later, each start compared
with the scenario without it on common random numbers; or a field of an intervention or
policy of the scenario (a policy's threshold) varied, each value compared with the scenario
without that intervention or policy.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from partnersim.cli import add_progress_flag, nonneg_int, positive_int, warn_implausible
from partnersim.cli.intervene_opts import add_intervention_args, parse_set
from partnersim.cli.output import check_out_file, keep_or_rescue
from partnersim.cli.run_cmd import out_dir
from partnersim.scenario import InputError, load_scenario

__all__ = ["add_parser", "format_effects"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim too-late``."""
    p = sub.add_parser(
        "too-late", help="when is it too late? the paired effect of an intervention against its start day",
        description="Start the --set changes at each of --months (or --days), or set an intervention's or "
        "policy's field (--vary PATH, e.g. policies.0.when.below) to each of --values, and compare each with the "
        "scenario without it on the same random streams (paired, common random numbers). Prints the effect "
        "(B - A, with its 95% interval) on survival, trust and joint revenue; with --out writes too_late.csv "
        "(columns value, metric, mean_a, mean_b, diff, ci_low, ci_high, n) and too_late.png.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file (or a bundled name): A")
    add_intervention_args(p, when=False)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--months", default=None, metavar="A:B:S",
                   help="start months, start:stop:step (stop included) or a list, e.g. 0:24:3 or 0,6,12")
    g.add_argument("--days", default=None, metavar="A:B:S", help="start days, as for --months")
    p.add_argument("--vary", default=None, metavar="PATH",
                   help="an intervention's or policy's field of SCENARIO, e.g. policies.0.when.below, "
                   "interventions.facilitator.month; with --when, a field of that policy, e.g. when.below")
    p.add_argument("--values", default=None, metavar="A:B:S", help="the values of --vary, as for --months")
    p.add_argument("--metrics", default="survived,final_trust,joint_revenue",
                   help="metrics, comma-separated (default survived,final_trust,joint_revenue)")
    p.add_argument("--reps", type=positive_int, default=100, help="replications of each (default 100)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed (default 0)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for too_late.csv and too_late.png (default: no files written)")
    add_progress_flag(p)
    p.set_defaults(func=main)


def format_effects(table, unit: str) -> str:  # noqa: ANN001 - a DataFrame
    """The effects as a plain-text table: one row per start (or value), one column per metric."""
    from partnersim.analysis.reading import format_number, short_label
    from partnersim.model import METRICS

    metrics = list(dict.fromkeys(table["metric"]))
    head_x = {"month": "from month", "day": "from day"}.get(unit, unit)
    labels = []
    for m in metrics:
        u = METRICS.get(m, ("", ""))[0]
        labels.append(short_label(m) + (" (points)" if u in ("0/1", "0..1") else ""))
    w = max(26, *(len(x) for x in labels))
    lines = [f"  {head_x:>12}  " + "  ".join(f"{x:>{w}}" for x in labels)]
    for value, rows in table.groupby("value", sort=False):
        cells = []
        for m in metrics:
            r = rows[rows["metric"] == m].iloc[0]
            k = 100.0 if METRICS.get(m, ("", ""))[0] in ("0/1", "0..1") else 1.0

            def f(x: float, k: float = k) -> str:
                return format_number(k * x) if math.isfinite(x) else "-"

            cells.append(f"{f(r['diff'])} [{f(r['ci_low'])}, {f(r['ci_high'])}]")
        shown = format_number(value) if isinstance(value, float) else str(value)
        lines.append(f"  {shown:>12}  " + "  ".join(f"{x:>{w}}" for x in cells))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run every start (or value) against the scenario without it; print and write the table."""
    from partnersim.analysis.interventions import parse_grid, too_late, vary_item
    from partnersim.model import METRICS

    a = load_scenario(args.scenario)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    unknown = [m for m in metrics if m not in METRICS and m != "days_together"]
    if unknown or not metrics:
        raise InputError("--metrics", None, f"unknown metric {unknown[0]!r}; see `partnersim run --help`"
                         if unknown else "needs at least one metric")
    out = out_dir(args.out)
    if out is not None:
        check_out_file(out / "too_late.csv")
    warn_implausible("too-late", args.scenario, a)
    if args.when is not None:  # a policy stated on the command line: vary one of its fields
        from partnersim.analysis.interventions import intervene
        from partnersim.cli.intervene_opts import parse_when

        changes = parse_set(args.set_)
        if not changes:
            raise InputError("--when", None, "says when the --set changes are made: give at least one --set PATH=VALUE")
        if args.months or args.days or args.vary is None:
            raise InputError("--when", None, "a policy has no start day: vary one of its fields instead, e.g. "
                             "--vary when.below --values 0.3:0.7:0.1")
        a = intervene(a, changes, when=parse_when(args.when), delay_days=args.delay_days, name="cli",
                      source="--when")
        if not args.vary.startswith("policies."):
            args.vary = f"policies.{len(a.policies) - 1}.{args.vary}"
        args.set_ = []
    elif args.delay_days:
        raise InputError("--delay-days", None, "goes with --when (a policy)")
    if args.vary is not None:
        if args.set_ or args.months or args.days:
            raise InputError("--vary", None, "goes with --values, not with --set, --months or --days")
        if args.values is None:
            raise InputError("--vary", None, "needs --values, e.g. --values 0.3:0.6:0.1")
        if args.vary.split(".")[0] not in ("interventions", "policies"):
            raise InputError("--vary", args.vary, "must be a field of an intervention or policy of the scenario, "
                             "e.g. policies.0.when.below or interventions.0.month")
        values = parse_grid(args.values, "--values")
        table = vary_item(a, args.vary, values, reps=args.reps, seed=args.seed, workers=args.workers,
                          metrics=metrics, progress=args.progress)
        unit = args.vary
        what = f"{args.vary} at each value, against {a.name} without it"
    else:
        changes = parse_set(args.set_)
        if not changes:
            raise InputError("--set", None, "give the changes, e.g. --set agreement.cadence.weekly.enabled=true "
                             "(or --vary PATH --values ... for a field of the scenario's interventions or policies)")
        if args.values is not None:
            raise InputError("--values", None, "goes with --vary")
        if args.months is None and args.days is None:
            raise InputError("--months", None, "give the start months (e.g. --months 0:24:3) or --days")
        key = "months" if args.months is not None else "days"
        starts = parse_grid(args.months or args.days, f"--{key}")
        if any(x < 0 for x in starts):
            raise InputError(f"--{key}", None, "must be 0 or more")
        table = too_late(a, changes, **{key: starts}, reps=args.reps, seed=args.seed, workers=args.workers,
                         metrics=metrics, progress=args.progress)
        unit = key[:-1]
        what = ", ".join(f"{k}={v}" for k, v in changes.items()) + f", from each {unit}, against {a.name} without it"
    print(f"{what}: {args.reps} paired runs each (seed {args.seed}); B - A with its 95% interval\n")
    print(format_effects(table, unit))
    print()
    if out is not None:
        def write() -> None:
            from matplotlib.figure import Figure

            from partnersim.plots.interventions import plot_too_late

            csv = out / "too_late.csv"
            table.to_csv(csv, index=False)
            fig = Figure(figsize=(4.4 * len(metrics) + 0.6, 3.6), layout="constrained")
            plot_too_late(table, fig)
            fig.savefig(out / "too_late.png", dpi=110)
            print(f"wrote {csv}, {out / 'too_late.png'}")

        keep_or_rescue(write, lambda p: table.to_csv(p, index=False), ".csv", "the table")
    return 0
