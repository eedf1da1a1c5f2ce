"""``partnersim screen [SCENARIO] [--reps N] [--alpha A] [--only PATTERN ...] [--out DIR] [--markdown FILE]``."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from partnersim.cli import add_progress_flag, nonneg_int, positive_int, probability
from partnersim.cli.calibrate_cmd import read_changes_file
from partnersim.cli.run_cmd import out_dir
from partnersim.scenario import InputError, load_scenario, with_changes

__all__ = ["add_parser", "main", "parse_set"]


def parse_set(items: list[str]) -> dict[str, Any]:
    """``PATH=VALUE`` items as scenario changes; a value is read as TOML (``1826``, ``true``, ``"fund"``), else text.

    Examples
    --------
    >>> parse_set(["horizon_days=1826", "agreement.funding_rule=fund", "agreement.shared_platform=true"])
    {'horizon_days': 1826, 'agreement.funding_rule': 'fund', 'agreement.shared_platform': True}
    """
    import tomllib

    out: dict[str, Any] = {}
    for item in items:
        path, sep, text = item.partition("=")
        if not sep or not path:
            raise InputError("--set", None, f"{item!r}: expected PATH=VALUE")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        out[path.strip()] = value
    return out


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim screen``."""
    p = sub.add_parser(
        "screen", help="one-at-a-time screen: does every lever move an outcome, in the expected direction?",
        description="For every scenario field, run a low and a high variant of SCENARIO (in the context where the "
        "lever applies) on common random numbers, test every metric (paired t-test; exact McNemar for 0/1 "
        "metrics), Holm-correct per lever, and compare the directions with the expectations of the lever file. "
        "Writes screen.csv (one row per lever), screen_effects.csv (one row per lever and metric) and screen.md "
        "(dead levers and directions against expectation first). Ensembles are cached in DIR/cache: run again "
        "after an interruption, it runs only what is missing.",
    )
    p.add_argument("scenario", metavar="SCENARIO", nargs="?", default="baseline",
                   help="base scenario (TOML file or bundled name; default baseline)")
    p.add_argument("--reps", type=positive_int, default=200, help="paired replications per lever (default 200)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed (default 0)")
    p.add_argument("--alpha", type=probability, default=0.01, help="significance level per lever, Holm (default 0.01)")
    p.add_argument("--set", nargs="+", action="extend", default=None, metavar="PATH=VALUE",
                   help="change the base scenario first (e.g. horizon_days=1826; values in TOML syntax)")
    p.add_argument("--at", type=Path, default=None, metavar="TOML",
                   help="change the base scenario first by a TOML snippet of sections (such as calibrate's best.toml)")
    p.add_argument("--levers", type=Path, default=None, metavar="FILE",
                   help="lever file: contexts, ranges, expectations (default docs/screen_expectations.toml)")
    p.add_argument("--only", nargs="+", action="extend", default=None, metavar="PATTERN",
                   help="screen only the levers matching these globs (e.g. 'agreement.conflict.*')")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--out", type=Path, default=Path("out/screen"), metavar="DIR",
                   help="folder for the tables and the cache (default out/screen)")
    p.add_argument("--markdown", type=Path, default=None, metavar="FILE",
                   help="also write the Markdown table here (e.g. docs/screen.md)")
    add_progress_flag(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the screen, print the counts by status, write the tables."""
    from partnersim.analysis.screen import DEFAULT_LEVER_FILE, STATUS_ORDER, load_lever_table, screen, screen_markdown
    from partnersim.run.progress import progress_bar, show_progress

    out = out_dir(args.out)
    assert out is not None
    if args.markdown is not None and args.markdown.is_dir():
        raise InputError(str(args.markdown), "--markdown", "is a folder; give a file")
    base = load_scenario(args.scenario)
    changes = read_changes_file(args.at) if args.at is not None else {}
    changes.update(parse_set(args.set or []))
    if changes:
        try:
            base = with_changes(base, changes)
        except ValidationError as e:
            err = e.errors()[0]
            raise InputError("--set/--at", ".".join(str(x) for x in err["loc"]), err["msg"]) from None
    table = load_lever_table(args.levers if args.levers is not None else DEFAULT_LEVER_FILE)
    bar = None

    def on_batch(done: int, total: int) -> None:
        nonlocal bar
        if show_progress(args.progress):
            if bar is None:
                bar = progress_bar(total, "screen", True, delay=0.0)
            bar.n = done
            bar.refresh()

    t0 = time.perf_counter()
    try:
        r = screen(base, reps=args.reps, seed=args.seed, alpha=args.alpha, workers=args.workers, table=table,
                   only=args.only, cache=out / "cache", on_batch=on_batch)
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t0
    if r.levers.empty:
        raise InputError("--only", None, f"no lever matches {' '.join(args.only or [])}")
    out.mkdir(parents=True, exist_ok=True)
    r.levers.to_csv(out / "screen.csv", index=False)
    r.effects.to_csv(out / "screen_effects.csv", index=False)
    argv = ["partnersim", "screen", *sys.argv[2:]] if Path(sys.argv[0]).name in ("partnersim", "__main__.py") else []
    md = screen_markdown(r, shlex.join(argv) if argv else "")
    (out / "screen.md").write_text(md)
    written = [out / "screen.csv", out / "screen_effects.csv", out / "screen.md"]
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(md)
        written.append(args.markdown)
    counts = r.levers["status"].value_counts()
    print(f"{base.name}: {len(r.levers)} levers, {args.reps} paired replications each, Holm {args.alpha:g}; "
          f"{wall:.0f} s")
    print("  ".join(f"{s}: {int(counts[s])}" for s in STATUS_ORDER if s in counts))
    worst = r.levers[r.levers["status"].isin(("error", "dead", "nominal", "against"))]
    for row in worst.itertuples():
        print(f"  {row.status:<8} {row.lever}  {row.expectation or row.main}")
    for n in r.notes:
        print(f"note: {n}")
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0
