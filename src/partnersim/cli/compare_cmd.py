"""``partnersim compare A B [--reps N] [--seed S] [--workers K] [--out DIR]``."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from partnersim.cli import add_precision_flags, add_progress_flag, nonneg_int, positive_int, warn_implausible
from partnersim.cli.intervene_opts import add_intervention_args, cli_words, print_effect, scenario_b, write_effect
from partnersim.cli.output import check_out_file, keep_or_rescue
from partnersim.cli.run_cmd import out_dir
from partnersim.scenario import InputError, load_scenario

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.analysis.compare import Comparison

__all__ = ["add_parser", "format_comparison", "format_main"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim compare``."""
    p = sub.add_parser(
        "compare", help="paired comparison of two scenarios on common random numbers",
        description="Run A and B on the same seeds and random streams (replication i of each shares them), "
        "print the bottom line, what the change costs, the main outcomes (B - A, in their units, with the range "
        "the difference likely lies in: a 95% interval) and the findings ranked by what matters. With --out, "
        "write comparison.csv (columns metric, mean_a, mean_b, diff, ci_low, ci_high, p_value, then effect_size, "
        "n, p_holm, significant, unit; one row per metric) and the figures; without it, nothing is written.",
    )
    p.add_argument("a", metavar="A", help="scenario A, the current structure (TOML file or bundled name)")
    p.add_argument("b", metavar="B", nargs="?", default=None,
                   help="scenario B, the proposal (TOML file or bundled name); or state B as A plus --set changes")
    p.add_argument("--reps", type=positive_int, default=None,
                   help="replications of each (default 100; with --precision, the first batch of pairs: default 10)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed (default 0)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for comparison.csv and the figures (default: no files written)")
    p.add_argument("--all", action="store_true", dest="show_all",
                   help="print every metric by its comparison.csv name, with p-values and effect sizes")
    add_precision_flags(p, "pairs", interval="the 95%% interval of the metric's difference B - A")
    add_intervention_args(p)  # B = A plus --set changes (from --from-month M / --from-day D)
    add_progress_flag(p)
    p.set_defaults(func=main)


def _f(x: float) -> str:
    from partnersim.analysis.reading import format_number

    return format_number(x) if math.isfinite(x) else "-"


def _pv(p: float) -> str:
    if not math.isfinite(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_comparison(table: pd.DataFrame) -> str:
    """Every metric as a plain-text table (comparison.csv's names and units); ``*`` marks significant
    rows (Holm-adjusted). Numbers are formatted alike: thousands separated, about three digits."""
    head = (f" {'metric':<30} {'unit':<12} {'mean_a':>11} {'mean_b':>11} {'diff':>11} {'ci_low':>11} "
            f"{'ci_high':>11} {'p_value':>8} {'d_z':>7}")
    lines = [head]
    for r in table.itertuples():
        mark = "*" if r.significant else " "
        lines.append(f"{mark}{r.metric:<30} {r.unit:<12} {_f(r.mean_a):>11} {_f(r.mean_b):>11} {_f(r.diff):>11} "
                     f"{_f(r.ci_low):>11} {_f(r.ci_high):>11} {_pv(r.p_value):>8} {_f(r.effect_size):>7}")
    return "\n".join(lines)


def format_main(c: Comparison) -> str:
    """The main outcomes for people: A, B, the change B - A in its unit and the range it likely lies in."""
    from partnersim.analysis.compare import MAIN_METRICS
    from partnersim.analysis.reading import format_change, format_change_range, format_value, short_label

    t = c.table.set_index("metric")
    cur = c.currency
    rows = []
    for m in MAIN_METRICS:
        if m not in t.index:
            continue
        r = t.loc[m]
        unit = str(r["unit"])
        same = float(r["ci_low"]) == float(r["ci_high"])
        rng = "the same in every pair" if same and math.isfinite(float(r["diff"])) else (
            format_change_range(float(r["ci_low"]), float(r["ci_high"]), unit, cur))
        rows.append(("*" if bool(r["significant"]) else " ", short_label(m, c.partners),
                     format_value(float(r["mean_a"]), unit, cur), format_value(float(r["mean_b"]), unit, cur),
                     format_change(float(r["diff"]), unit, cur, short=True), rng))
    w = [max(len(row[k]) for row in rows) for k in range(6)]
    w[2], w[3], w[4] = max(w[2], 7), max(w[3], 7), max(w[4], 9)
    lines = [f"  {'':<{w[1]}}  {'A':>{w[2]}}  {'B':>{w[3]}}  {'B - A':>{w[4]}}  likely B - A"]
    lines += [f"{s} {n:<{w[1]}}  {a:>{w[2]}}  {b:>{w[3]}}  {d:>{w[4]}}  {g}".rstrip() for s, n, a, b, d, g in rows]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Compare; print the bottom line, the costs, the main outcomes and the findings; write files with --out."""
    import shlex
    import textwrap

    from partnersim.analysis.compare import compare

    a = load_scenario(args.a)
    b, b_cli = scenario_b(a, args, args.b)
    if b is None:
        if args.b is None:
            raise InputError("B", None, "give scenario B, or changes to A with --set PATH=VALUE "
                             "(and --from-month M for an intervention)")
        b = load_scenario(args.b)
    out = out_dir(args.out)  # checked (and made) before any run
    if out is not None:
        check_out_file(out / "comparison.csv")
    from partnersim.cli import precision_plan

    plan = precision_plan(args, args.reps)  # bad targets: exit 2 before any run
    warn_implausible("compare", args.a, a)
    warn_implausible("compare", args.b or b_cli, b)
    c = compare(a, b, reps=args.reps or (plan.initial if plan else 100), seed=args.seed, workers=args.workers,
                progress=args.progress, precision=plan)
    na, nb = c.names

    def para(title: str, sentences: list[str]) -> None:
        print(title)
        for s_ in sentences:
            print(textwrap.fill(s_, 100, initial_indent="- ", subsequent_indent="  "))
        print()

    print(f"A: {na}  vs  B: {nb}: {c.a.reps} paired runs (seed {args.seed}), each pair on the same random events\n")
    if c.precision is not None:
        from partnersim.cli.run_cmd import precision_text

        print(precision_text(c.precision).replace("Precision targets:", "Precision targets (B - A):") + "\n")
    para("In short:", c.bottom_line())
    para("What the change costs:", c.costs())
    if args.show_all:
        print(f"Every metric (diff = B - A, 95% interval, paired t-test; * significant after a Holm correction, "
              f"alpha {c.alpha:g}):")
        print(format_comparison(c.table))
    else:
        print("The main outcomes (* a clear difference: significant after correcting for testing every metric):")
        print(format_main(c))
    print()
    para("What changes, most important first:", c.reading() or ["No clear difference in the outcomes that matter."])
    from partnersim.analysis.interventions import describe_interventions, firing_lines, intervention_day

    eff = None
    if b.interventions or b.policies:
        para("B's interventions and policies:", describe_interventions(b) + firing_lines(c.b))
        eff = print_effect(c, intervention_day(b))
    if out is not None:
        def write() -> None:
            from partnersim.plots.ensemble import save_figures

            written = [c.to_csv(out / "comparison.csv"), *save_figures(c, out)]
            if c.precision is not None:  # how many pairs each target needed
                c.precision.table().to_csv(out / "precision.csv", index=False)
                written.append(out / "precision.csv")
            if eff is not None:
                written += write_effect(eff, intervention_day(b), out)
            print(f"wrote {', '.join(str(p) for p in written)}\n")

        keep_or_rescue(write, c.to_csv, ".csv", "the comparison table")
    qa = shlex.quote(args.a)
    qb = shlex.quote(args.b) if args.b is not None else " ".join(shlex.quote(x) for x in cli_words(args))
    steps = []
    if out is None:
        steps.append(("the table and figures as files", f"partnersim compare {qa} {qb} --out out/compare"))
    steps += [("a page to send to a client",
               f"partnersim report {qa} --compare {qb} --out {shlex.quote(str(out or 'out/compare'))}/report.html")]
    if not args.show_all:
        steps.append(("every metric, with p-values", f"partnersim compare {qa} {qb} --all"))
    print("Next:")
    for why, cmd in steps:
        print(f"  {why}:\n    {cmd}")
    return 0
