"""``partnersim sensitivity DIR [--metric M ...] [--out DIR] [--x P] [--y P]``."""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

__all__ = ["add_parser", "main", "format_indices"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim sensitivity``."""
    p = sub.add_parser(
        "sensitivity", help="sensitivity indices of a finished Sobol or Morris sweep",
        description="Sensitivity of a finished sweep folder, replications averaged per point first. Sobol sweeps: "
        "first-order and total indices with 95% intervals; Morris sweeps: mu* and sigma; grid sweeps: main "
        "effects and a response heatmap over two parameters (--x, --y). Prints ranked tables and writes CSV and "
        "PNG files.",
    )
    p.add_argument("folder", metavar="DIR", type=Path, help="a sweep folder (the --out of partnersim sweep)")
    p.add_argument("--metric", nargs="+", action="extend", default=None, metavar="M",
                   help="metrics to analyse (default: joint_revenue survived final_trust escalations)")
    p.add_argument("--out", type=Path, default=None, metavar="OUT", help="where to write (default DIR/sensitivity)")
    p.add_argument("--x", default=None, metavar="PARAM", help="grid sweeps: heatmap columns (default: 1st parameter)")
    p.add_argument("--y", default=None, metavar="PARAM", help="grid sweeps: heatmap rows (default: 2nd parameter)")
    p.set_defaults(func=main)


def _f(v: float) -> str:
    if not math.isfinite(v):
        return "-"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def format_indices(table, kind: str) -> str:  # noqa: ANN001 - a DataFrame
    """A plain-text ranked table of one metric's indices."""
    w = max(12, *(len(p) for p in table["parameter"]))
    if kind == "sobol":
        cols = [("S1", "S1_conf"), ("ST", "ST_conf")]
        head = f"{'rank':>4}  {'parameter':<{w}}  {'S1':>8} {'± 95%':>8}  {'ST':>8} {'± 95%':>8}"
    elif kind == "morris":
        cols = [("mu_star", "mu_star_conf"), ("sigma", None)]
        head = f"{'rank':>4}  {'parameter':<{w}}  {'mu*':>10} {'± 95%':>10}  {'sigma':>10}"
    else:
        head = f"{'rank':>4}  {'parameter':<{w}}  {'share':>8}  {'lowest mean':>12}  {'highest mean':>12}"
        lines = [head]
        for r in table.itertuples():
            lines.append(f"{r.rank:>4}  {r.parameter:<{w}}  {_f(r.share):>8}  {_f(r.low):>12}  {_f(r.high):>12}")
        return "\n".join(lines)
    lines = [head]
    for r in table.to_dict("records"):
        cells = []
        for a, b in cols:
            width = 8 if kind == "sobol" else 10
            cells.append(f"{_f(r[a]):>{width}}" + (f" {_f(r[b]):>{width}}" if b else ""))
        lines.append(f"{r['rank']:>4}  {r['parameter']:<{w}}  " + "  ".join(cells))
    return "\n".join(lines)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def main(args: argparse.Namespace) -> int:
    """Compute, print and write the sensitivity tables and figures."""
    from partnersim.analysis.sensitivity import indices, load_sweep_data, response_table
    from partnersim.scenario import InputError

    data = load_sweep_data(args.folder)
    kind = data.kind
    if kind not in ("sobol", "morris", "grid"):
        raise InputError(str(args.folder), None, f"a {kind} sweep: sensitivity needs a sobol, morris or grid design")
    out = args.out if args.out is not None else args.folder / "sensitivity"
    out.mkdir(parents=True, exist_ok=True)
    table, notes = indices(data, args.metric, seed=int(data.manifest.get("seed", 0)))
    from partnersim.plots.sweep import indices_figure, response_figure
    reps = data.manifest["replications"]
    adaptive = data.manifest.get("precision_summary")  # an adaptive sweep: each point its own count
    per_point = (f"{adaptive['reps_min']} to {adaptive['reps_max']} replications per point, adaptive" if adaptive
                 else f"{reps} replication{'s' if reps != 1 else ''} per point")
    what = {"sobol": "Sobol indices", "morris": "Morris screening", "grid": "main effects"}[kind]
    print(f"{data.manifest.get('name')}: {what} over {len(data.points)} points (means of {per_point})")
    written = []
    if len(table):
        table.to_csv(out / "indices.csv", index=False)
        written.append(out / "indices.csv")
        for metric, t in table.groupby("metric", sort=False):
            print(f"\n{metric}")
            print(format_indices(t, kind))
            fig = indices_figure(t, metric)
            fig.savefig(out / f"indices_{_safe(metric)}.png", dpi=110)
            written.append(out / f"indices_{_safe(metric)}.png")
    for n in notes:  # undefined, or too little variance to rank anything: a warning, no indices
        print(f"partnersim sensitivity: warning: {n}; no indices for it", file=sys.stderr)
    if kind == "grid":
        names = data.names
        x = args.x or names[0]
        y = args.y or (names[1] if len(names) > 1 and names[1] != x else None)
        for opt, v in (("--x", x), ("--y", y)):
            if v is not None and v not in names:
                raise InputError(opt, None, f"{v!r} is not a parameter of this sweep ({', '.join(names)})")
        metrics = list(dict.fromkeys(table["metric"])) if len(table) else []
        for metric in metrics:
            resp = response_table(data.runs, metric, x, y)
            print(f"\nmean {metric}: rows {y}, columns {x}")
            print(resp.to_string(float_format=lambda v: _f(v)))
            resp.to_csv(out / f"response_{_safe(metric)}.csv")
            response_figure(resp, metric, x, y).savefig(out / f"response_{_safe(metric)}.png", dpi=110)
            written += [out / f"response_{_safe(metric)}.csv", out / f"response_{_safe(metric)}.png"]
    elif args.x or args.y:
        print("note: --x/--y apply to grid sweeps only")
    print(f"\nwrote {len(written)} files to {out}")
    return 0
