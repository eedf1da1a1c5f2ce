"""``partnersim calibrate FILE`` and ``partnersim robustness FILE``: pattern-oriented calibration and robustness."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from partnersim.cli import positive_int, probability
from partnersim.cli.run_cmd import out_dir

__all__ = ["add_parser", "main_calibrate", "main_robustness", "main_patterns", "read_changes_file"]


def read_changes_file(path: Path) -> dict[str, Any]:
    """Scenario changes from a TOML snippet of sections (``[dynamics]``, as in calibrate's best.toml).

    Raises
    ------
    InputError
        If the file is unreadable or a value is not valid for its field (naming the file and field).
    """
    from pydantic import ValidationError

    from partnersim.scenario import InputError, Scenario, read_toml, with_changes

    data = read_toml(path)
    out: dict[str, Any] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for k, v in node.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            elif not prefix:
                raise InputError(str(path), k, "expected tables of fields, e.g. [dynamics]")
            else:
                out[f"{prefix}{k}"] = v

    walk(data, "")
    try:
        with_changes(Scenario(), out)
    except ValidationError as e:
        err = e.errors()[0]
        raise InputError(str(path), ".".join(str(x) for x in err["loc"]), err["msg"]) from None
    return out


def _common(p: argparse.ArgumentParser, default_out: str) -> None:
    p.add_argument("file", metavar="FILE", type=Path, nargs="?", default=None,
                   help="calibration file (default docs/calibration.toml)")
    p.add_argument("--reps", type=positive_int, default=None, help="replications per arm (default: the file's)")
    p.add_argument("--patterns", nargs="+", default=None, metavar="ID",
                   help="patterns to evaluate (default: the file's), e.g. P1 P2 B1")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--out", type=Path, default=Path(default_out), metavar="DIR",
                   help=f"output folder (default {default_out}); run again to finish an interrupted run")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim calibrate``, ``partnersim robustness`` and ``partnersim patterns``."""
    p = sub.add_parser(
        "calibrate", help="pattern-oriented calibration of the uncertain coefficients (resumable)",
        description="Sample the coefficients of the calibration file (Latin hypercube or Sobol', seeded), evaluate "
        "every pattern at each point on common random numbers, and rank the points by the weighted distance of the "
        "patterns from their targets. Writes points.csv, checks.csv, ranking.md and best.toml (a TOML snippet for "
        "the schema defaults). Deterministic given the file; run again to finish an interrupted calibration.",
    )
    _common(p, "out/calibration")
    p.add_argument("--points", type=positive_int, default=None, help="design points (default: the file's)")
    p.set_defaults(func=main_calibrate)
    r = sub.add_parser(
        "robustness", help="which patterns hold when each uncalibrated coefficient moves by -50%% / +50%%",
        description="Move every dynamics coefficient the calibration file does not calibrate by -F and +F (one at a "
        "time, clipped to its bounds), evaluate every pattern, and write robustness.md (a Markdown table for "
        "docs/model.md), robustness.csv, points.csv and checks.csv. Resumable.",
    )
    _common(r, "out/robustness")
    r.add_argument("--factor", type=probability, default=0.5, help="relative move (default 0.5: -50%% and +50%%)")
    r.add_argument("--only", nargs="+", default=None, metavar="PATH",
                   help="move only these coefficients (dotted paths)")
    r.add_argument("--at", type=Path, default=None, metavar="TOML",
                   help="centre: a TOML snippet of coefficients (such as calibrate's best.toml); default: the defaults")
    r.set_defaults(func=main_robustness)
    q = sub.add_parser(
        "patterns", help="check the calibration patterns (P1-P4) and the five behaviours (B1-B5) once",
        description="Evaluate every pattern on the current defaults: a table of each check's statistic, target, "
        "interval and status. Writes patterns.csv and patterns.md to --out.",
    )
    q.add_argument("--reps", type=positive_int, default=200, help="replications per arm (default 200)")
    q.add_argument("--patterns", nargs="+", default=None, metavar="ID", help="patterns to evaluate (default all)")
    q.add_argument("--workers", type=positive_int, default=None, metavar="K", help="worker processes")
    q.add_argument("--out", type=Path, default=Path("out/patterns"), metavar="DIR", help="output folder")
    q.set_defaults(func=main_patterns)


def _progress(what: str):
    t0 = time.perf_counter()

    def on_point(done: int, total: int, objective: float) -> None:
        print(f"{what}: point {done}/{total}: objective {objective:.3f} ({time.perf_counter() - t0:.0f} s)",
              file=sys.stderr, flush=True)

    return on_point


def _spec(args: argparse.Namespace, **extra):  # noqa: ANN202
    from partnersim.analysis.calibrate import load_calibration

    return load_calibration(args.file, reps=args.reps, patterns=args.patterns, **extra)


def main_calibrate(args: argparse.Namespace) -> int:
    """Run or finish a calibration and print the ranking."""
    from partnersim.analysis.calibrate import calibrate

    out = out_dir(args.out)
    spec = _spec(args, points=args.points)
    t0 = time.perf_counter()
    ranked = calibrate(spec, out, args.workers, on_point=_progress("calibrate"))
    print((out / "ranking.md").read_text())
    print((out / "best.toml").read_text())
    print(f"{len(ranked)} points, {int(ranked['runs'].sum())} runs; {time.perf_counter() - t0:.0f} s this session; "
          f"wrote {out}/points.csv, checks.csv, ranking.md, best.toml")
    return 0


def main_robustness(args: argparse.Namespace) -> int:
    """Run or finish the robustness table and print it."""
    from partnersim.analysis.calibrate import robustness
    from partnersim.scenario import InputError

    out = out_dir(args.out)
    spec = _spec(args)
    at = read_changes_file(args.at) if args.at is not None else None
    if args.only:
        from partnersim.scenario import leaf_fields
        for name in args.only:
            if name not in leaf_fields():
                raise InputError("--only", None, f"{name!r} is not a scenario field")
    t0 = time.perf_counter()
    robustness(spec, out, args.workers, factor=args.factor, coefficients=args.only, at=at,
               on_point=_progress("robustness"))
    print((out / "robustness.md").read_text())
    print(f"{time.perf_counter() - t0:.0f} s this session; wrote {out}/robustness.md, robustness.csv, points.csv, "
          "checks.csv")
    return 0


def main_patterns(args: argparse.Namespace) -> int:
    """Evaluate the patterns once on the defaults and print the table."""
    from partnersim.analysis.patterns import evaluate_patterns, patterns_markdown, select_patterns
    from partnersim.scenario import InputError

    out = out_dir(args.out)
    try:
        pats = select_patterns(args.patterns)
    except KeyError as e:
        raise InputError("--patterns", None, str(e.args[0])) from None
    t0 = time.perf_counter()
    rep = evaluate_patterns(pats, args.reps, workers=args.workers)
    md = patterns_markdown(rep)
    out.mkdir(parents=True, exist_ok=True)
    rep.table().to_csv(out / "patterns.csv", index=False)
    (out / "patterns.md").write_text(md)
    print(md)
    print(f"objective {rep.objective:.3f}; {rep.runs} runs, {time.perf_counter() - t0:.0f} s; "
          f"wrote {out}/patterns.csv, patterns.md")
    return 0
