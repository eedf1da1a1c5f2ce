"""``partnersim report SCENARIO [--compare B] --out FILE.html [--reps N] [--seed S] [--workers K]``."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from partnersim.cli import add_progress_flag, nonneg_int, positive_int
from partnersim.scenario import InputError, load_scenario

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim report``."""
    p = sub.add_parser(
        "report", help="write a self-contained HTML report for a client",
        description="Run a scenario (or compare it with another on common random numbers) and write one "
        "self-contained HTML page: figures, summary tables, the scenarios' parameters, the significant "
        "differences in words, the seed and the versions used.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file (or a bundled name); A when comparing")
    p.add_argument("--compare", metavar="B", default=None, help="compare with this scenario (the proposal)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.html", help="the HTML file to write")
    p.add_argument("--reps", type=positive_int, default=100, help="replications (default 100)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed (default 0)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--title", default=None, help="page title (default: from the scenario names)")
    add_progress_flag(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Check the arguments, run, write the page."""
    from partnersim.report import build_report

    out = Path(args.out)
    if out.is_dir():
        raise InputError(str(out), "--out", "is a folder; give a file name such as report.html")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise InputError(str(out), "--out", f"{parent} is a file, not a folder")
    a = load_scenario(args.scenario)
    b = load_scenario(args.compare) if args.compare else None
    cmd = ["partnersim", "report", args.scenario, *(["--compare", args.compare] if args.compare else []),
           "--reps", str(args.reps), "--seed", str(args.seed), "--out", str(out),
           *(["--title", args.title] if args.title else [])]
    page = build_report(a, b, reps=args.reps, seed=args.seed, workers=args.workers, title=args.title,
                        command=shlex.join(cmd), progress=args.progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out} ({len(page) / 1e6:.1f} MB)")
    return 0
