"""``partnersim discover DIR --where "survived < 0.8" [--box K] [--boxes N] [--depth D] [--out OUT]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from partnersim.cli import nonneg_int, positive_int, probability

__all__ = ["add_parser", "main", "format_trajectory"]


def _depth(text: str) -> int:
    v = positive_int(text)
    if v > 4:
        raise argparse.ArgumentTypeError(f"must be 1 to 4 (got {v}); a deeper tree no longer reads as a sentence")
    return v


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim discover``."""
    p = sub.add_parser(
        "discover", help="scenario discovery: where in a finished sweep a condition holds, in plain words",
        description="Scenario discovery on a finished sweep folder: which settings lead to a condition on a "
        "metric (its mean over each point's replications), such as \"survived < 0.8\". Prints PRIM boxes "
        "(coverage, density, the restricted parameters and their limits), the peeling trajectory to choose "
        "another box from (--box), each box in plain words, and a shallow decision tree as a second view. "
        "With --out, writes the tables as CSV and the box and trade-off figures as PNG.",
    )
    p.add_argument("folder", metavar="DIR", type=Path, help="a sweep folder (the --out of partnersim sweep)")
    p.add_argument("--where", required=True, metavar="CONDITION",
                   help='METRIC OP NUMBER, OP one of < <= > >= == != (e.g. "survived < 0.8")')
    p.add_argument("--box", type=nonneg_int, default=None, metavar="K",
                   help="choose step K of the first box's peeling trajectory (default: the highest coverage "
                   "at --density)")
    p.add_argument("--boxes", type=positive_int, default=2, metavar="N", help="look for up to N boxes (default 2)")
    p.add_argument("--density", type=probability, default=0.8, metavar="D",
                   help="the density a box should reach: the default step is the one with the highest coverage "
                   "at this density or more (default 0.8)")
    p.add_argument("--depth", type=_depth, default=2, metavar="D", help="decision tree depth, 1 to 4 (default 2)")
    p.add_argument("--out", type=Path, default=None, metavar="OUT", help="write CSV tables and PNG figures here")
    p.set_defaults(func=main)


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _num(v: float | None) -> str:
    from partnersim.analysis.units import format_number

    return "" if v is None else format_number(v)


def format_trajectory(traj, limit: int = 12) -> str:  # noqa: ANN001 - a DataFrame
    """The peeling trajectory as text (thinned to about ``limit`` rows, keeping the chosen step and the ends)."""
    import numpy as np

    n = len(traj)
    keep = set(np.linspace(0, n - 1, min(n, limit)).round().astype(int)) if n else set()
    for c in traj.index[traj["chosen"]]:  # the chosen step and its neighbours
        keep |= {i for i in (c - 1, c, c + 1) if 0 <= i < n}
    keep |= set(traj.index[traj["res_dim"].diff().fillna(0) != 0])
    lines = [f"{'step':>5}  {'coverage':>8}  {'density':>7}  {'settings':>8}  {'restricted':>10}"]
    for i in sorted(keep):
        r = traj.iloc[i]
        mark = "  <- chosen" if r["chosen"] else ""
        lines.append(f"{int(r['step']):>5}  {_pct(r['coverage']):>8}  {_pct(r['density']):>7}  {int(r['n']):>8,}  "
                     f"{int(r['res_dim']):>10}{mark}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Discover, print, and write with ``--out``."""
    from partnersim.analysis.discover import discover, limit_words, parse_where
    from partnersim.cli.output import check_out_dir

    parse_where(args.where)  # the form of the condition first; the metric is checked against the sweep
    out = check_out_dir(args.out)
    d = discover(args.folder, args.where, box=args.box, max_boxes=args.boxes, target_density=args.density,
                 tree_depth=args.depth)
    n = len(d.points)
    reps = f", each the mean of {d.replications} replications" if d.replications else ""
    print(f"{d.name or args.folder}: {d.condition} at {d.n_hits:,} of {n:,} settings ({_pct(d.n_hits / n)}{reps})")
    for note in d.notes:
        print(f"note: {note}")
    print("\nPRIM boxes")
    if not d.boxes:
        print("  none: PRIM found no region denser than the sweep as a whole")
    else:
        print(f"{'box':>4}  {'step':>5}  {'coverage':>8}  {'density':>7}  {'settings':>9}  restricted")
        for b in d.boxes:
            print(f"{b.index + 1:>4}  {b.step:>5}  {_pct(b.coverage):>8}  {_pct(b.density):>7}  "
                  f"{f'{b.k}/{b.n}':>9}  {len(b.limits)}")
        rows = []
        for b in d.boxes:
            for lim in b.limits:
                if lim.kind == "range":
                    shown = f"{_num(lim.lower) or '-'} to {_num(lim.upper) or '-'}"
                    full = f"{_num(lim.full[0])} to {_num(lim.full[1])}"
                    qp = " ".join(f"{q:.2g}" for q in (lim.qp_lower, lim.qp_upper) if q is not None)
                else:
                    shown = "{" + ", ".join(map(str, lim.values)) + "}"
                    full = "{" + ", ".join(map(str, lim.full)) + "}"
                    qp = f"{lim.qp_lower:.2g}" if lim.qp_lower is not None else ""
                rows.append((str(b.index + 1), lim.parameter, shown, full, qp))
        if rows:
            w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("box", "parameter", "limits",
                                                                                 "sweep range"))]
            print(f"\n{'box':>{w[0]}}  {'parameter':<{w[1]}}  {'limits':<{w[2]}}  {'sweep range':<{w[3]}}  quasi-p")
            for r in rows:
                print(f"{r[0]:>{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:<{w[3]}}  {r[4]}")
            dropped = [f"box {b.index + 1}: {', '.join(b.dropped)}" for b in d.boxes if b.dropped]
            if dropped:
                print(f"(dropped as not significant, quasi-p > 0.05: {'; '.join(dropped)})")
        print(f"\nPeeling trajectory of box 1 (choose another step with --box K; --box {d.boxes[0].step} is "
              "the default)")
        print(format_trajectory(d.trajectory))
    print("\nIn words")
    for s in d.words(tree=False):
        print(f"- {s}")
    print(f"\nDecision tree (depth {args.depth}), leaves most affected first")
    print(f"{'leaf':>4}  {'share':>6}  {'settings':>9}  {'covers':>6}  where")
    for i, lf in enumerate(d.tree):
        where = "; ".join(limit_words(lim, d.partners, d.currency) for lim in lf.limits) or "everywhere"
        print(f"{i + 1:>4}  {_pct(lf.share):>6}  {f'{lf.k}/{lf.n}':>9}  {_pct(lf.coverage):>6}  {where}")
    if out is not None:
        _write(d, out)
    return 0


def _write(d, out: Path) -> None:  # noqa: ANN001 - a Discovery
    from partnersim.cli.output import keep_or_rescue
    from partnersim.plots.discover import box_figure, tradeoff_figure

    def write() -> None:
        files = {"boxes.csv": d.table(), "limits.csv": d.limits_table(), "trajectory.csv": d.trajectory,
                 "tree.csv": d.tree_table()}
        for name, table in files.items():
            table.to_csv(out / name, index=False)
        (out / "words.txt").write_text("\n".join(d.words()) + "\n", encoding="utf-8")
        written = [*files, "words.txt"]
        for b in d.boxes:
            box_figure(d, b.index).savefig(out / f"box_{b.index + 1}.png", dpi=110)
            written.append(f"box_{b.index + 1}.png")
        if len(d.trajectory):
            tradeoff_figure(d).savefig(out / "tradeoff.png", dpi=110)
            written.append("tradeoff.png")
        print(f"\nwrote {len(written)} files to {out}")

    keep_or_rescue(write, lambda p: p.write_text("\n".join(d.words()) + "\n", encoding="utf-8"), ".txt",
                   "the findings in words")
