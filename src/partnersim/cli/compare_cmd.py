"""``partnersim compare A B [--reps N] [--seed S] [--workers K] [--out DIR]``."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from partnersim.cli import add_progress_flag, nonneg_int, positive_int, warn_implausible
from partnersim.cli.output import check_out_file, keep_or_rescue
from partnersim.cli.run_cmd import out_dir
from partnersim.scenario import load_scenario

__all__ = ["add_parser", "format_comparison"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim compare``."""
    p = sub.add_parser(
        "compare", help="paired comparison of two scenarios on common random numbers",
        description="Run A and B on the same seeds and random streams (replication i of each shares them), "
        "print the paired differences B - A per metric with 95% intervals and p-values, and write "
        "comparison.csv (columns metric, mean_a, mean_b, diff, ci_low, ci_high, p_value, then effect_size, "
        "n, p_holm, significant, unit). With --out, also the figures.",
    )
    p.add_argument("a", metavar="A", help="scenario A, the current structure (TOML file or bundled name)")
    p.add_argument("b", metavar="B", help="scenario B, the proposal (TOML file or bundled name)")
    p.add_argument("--reps", type=positive_int, default=100, help="replications of each (default 100)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed (default 0)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for comparison.csv and the figures (default: comparison.csv here, no figures)")
    add_progress_flag(p)
    p.set_defaults(func=main)


def _f(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    ax = abs(x)
    if ax >= 1e4:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _pv(p: float) -> str:
    if not math.isfinite(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_comparison(table: pd.DataFrame) -> str:
    """A plain-text comparison table; ``*`` marks significant rows (Holm-adjusted)."""
    head = (f"{'metric':<31} {'mean_a':>11} {'mean_b':>11} {'diff':>11} {'ci_low':>11} {'ci_high':>11} "
            f"{'p_value':>8} {'d_z':>7}")
    lines = [head]
    for r in table.itertuples():
        mark = "*" if r.significant else " "
        lines.append(f"{mark}{r.metric:<30} {_f(r.mean_a):>11} {_f(r.mean_b):>11} {_f(r.diff):>11} "
                     f"{_f(r.ci_low):>11} {_f(r.ci_high):>11} {_pv(r.p_value):>8} {_f(r.effect_size):>7}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Compare, print, write comparison.csv (and figures with --out)."""
    from partnersim.analysis.compare import MAIN_METRICS, compare

    a, b = load_scenario(args.a), load_scenario(args.b)
    out = out_dir(args.out)  # checked (and made) before any run
    csv_path = check_out_file((out or Path(".")) / "comparison.csv")
    warn_implausible("compare", args.a, a)
    warn_implausible("compare", args.b, b)
    c = compare(a, b, reps=args.reps, seed=args.seed, workers=args.workers, progress=args.progress)
    na, nb = c.names
    print(f"A: {na}  vs  B: {nb}: {args.reps} paired replications, seed {args.seed}; diff = B - A, "
          f"95% interval, paired t-test; * significant after Holm correction (alpha {c.alpha:g})")
    print(format_comparison(c.table))
    reading = c.reading(MAIN_METRICS)
    if reading:
        print("\nSignificant differences in the main metrics, largest effect first:")
        for s in reading:
            print(f"- {s}")
    def write() -> None:
        written = [c.to_csv(csv_path)]
        if out is not None:
            from partnersim.plots.ensemble import save_figures

            written += save_figures(c, out)
        print(f"\nwrote {', '.join(str(p) for p in written)}")

    keep_or_rescue(write, c.to_csv, ".csv", "the comparison table")
    return 0
