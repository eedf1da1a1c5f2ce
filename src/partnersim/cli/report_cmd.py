"""``partnersim report SCENARIO [--compare B] --out FILE.html [--reps N] [--seed S] [--workers K]``."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from partnersim.cli import add_progress_flag, nonneg_int, positive_int, warn_implausible
from partnersim.cli.intervene_opts import add_intervention_args, cli_words, scenario_b
from partnersim.cli.output import check_out_file, keep_or_rescue
from partnersim.scenario import load_scenario

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
    p.add_argument("--discover", type=Path, default=None, metavar="DIR",
                   help="add a scenario-discovery section on this finished sweep folder (with --where)")
    p.add_argument("--where", default=None, metavar="CONDITION", help='with --discover: e.g. "survived < 0.8"')
    p.add_argument("--box", type=nonneg_int, default=None, metavar="K",
                   help="with --discover: the step of the peeling trajectory to describe (see partnersim discover)")
    add_intervention_args(p)  # --compare stated as A plus --set changes (from --from-month M / --from-day D)
    p.add_argument("--design", type=Path, default=None, metavar="DIR",
                   help="add the design section of a finished `partnersim design` search in DIR")
    add_progress_flag(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Check the arguments, run, write the page."""
    from partnersim.report import build_report

    a = load_scenario(args.scenario)
    b, b_cli = scenario_b(a, args, args.compare)
    if b is None:
        b = load_scenario(args.compare) if args.compare else None
    out = check_out_file(args.out)  # before any run: an unwritable --out is exit 2 now, not after the runs
    discovery = _discovery(args)  # before any run too: a bad sweep folder or condition is exit 2 now
    design = None
    if args.design is not None:
        from partnersim.analysis.optimise import load_design

        design = load_design(args.design)
    for source, sc in ((args.scenario, a), (args.compare or b_cli, b)):
        if sc is not None:
            warn_implausible("report", source, sc)
    cmd = ["partnersim", "report", args.scenario, *(["--compare", args.compare] if args.compare else []),
           *(cli_words(args) if b_cli else []),
           "--reps", str(args.reps), "--seed", str(args.seed), "--out", str(out),
           *(["--title", args.title] if args.title else []),
           *(["--discover", str(args.discover), "--where", args.where] if discovery is not None else []),
           *(["--box", str(args.box)] if discovery is not None and args.box is not None else []),
           *(["--design", str(args.design)] if design else [])]
    page = build_report(a, b, reps=args.reps, seed=args.seed, workers=args.workers, title=args.title,
                        command=shlex.join(cmd), progress=args.progress, discovery=discovery, design=design)

    def write() -> None:
        out.write_text(page, encoding="utf-8")
        print(f"wrote {out} ({len(page) / 1e6:.1f} MB)")

    keep_or_rescue(write, lambda p: p.write_text(page, encoding="utf-8"), ".html", "the report")
    return 0


def _discovery(args: argparse.Namespace):  # noqa: ANN202 - a Discovery or None
    """The discovery of ``--discover DIR --where ...`` (``None`` without them)."""
    from partnersim.scenario import InputError

    if args.discover is None:
        for opt, v in (("--where", args.where), ("--box", args.box)):
            if v is not None:
                raise InputError(opt, None, "needs --discover DIR (a finished sweep folder)")
        return None
    if args.where is None:
        raise InputError("--discover", None, 'needs --where, such as --where "survived < 0.8"')
    from partnersim.analysis.discover import discover

    return discover(args.discover, args.where, box=args.box)
