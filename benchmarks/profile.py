"""Profile the model with pyinstrument (a sampling profiler): where a run's time goes.

Usage (from the project root)::

    make profile                                      # = the line below
    .venv/bin/python benchmarks/profile.py            # 300 baseline runs, tree + flat table
    .venv/bin/python benchmarks/profile.py --runs 50 --scenario timezone_gap --html /tmp/p.html

A sampling profiler distorts a model made of many small calls far less than ``cProfile``
does (which adds a fixed cost to every call, so it overstates the small helpers). Prints
the call tree (simpy internals folded), then a flat table of *own* time per function,
as percentages of the whole; ``--html`` also writes pyinstrument's interactive page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from partnersim import load_scenario  # noqa: E402
from partnersim.model import run_model  # noqa: E402


def profile(scenario_name: str, runs: int, interval: float):
    """Run ``runs`` replications of a scenario under pyinstrument; return the stopped profiler."""
    from pyinstrument import Profiler

    sc = load_scenario(scenario_name)
    run_model(sc, 0, 0)  # imports and caches outside the profile
    profiler = Profiler(interval=interval)
    profiler.start()
    for r in range(runs):
        run_model(sc, 0, r)
    profiler.stop()
    return profiler


def own_time_table(profiler, top: int = 25) -> str:
    """Own (self) time per function, summed over every place it is called from, as % of total.

    Built from the session's frame tree: a frame's own time is its time less its real
    (non-synthetic) children's.
    """
    root = profiler.last_session.root_frame()
    own: dict[str, float] = {}

    def walk(frame) -> None:
        if frame.is_synthetic:
            return
        children = [c for c in frame.children if not c.is_synthetic]
        where = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"
        own[where] = own.get(where, 0.0) + frame.time - sum(c.time for c in children)
        for c in children:
            walk(c)

    walk(root)
    total = root.time or 1.0
    rows = sorted(own.items(), key=lambda kv: -kv[1])[:top]
    return "\n".join(f"{100.0 * t / total:6.1f}%  {where}" for where, t in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=300, help="replications to profile (default 300)")
    ap.add_argument("--scenario", default="baseline", help="bundled scenario name or TOML file (default baseline)")
    ap.add_argument("--interval", type=float, default=0.0002, help="sampling interval in seconds (default 0.0002)")
    ap.add_argument("--html", type=Path, help="also write pyinstrument's HTML page here")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    prof = profile(args.scenario, args.runs, args.interval)
    hide = {"hide_regex": r".*/(simpy|numpy)/.*"}
    print(prof.output_text(unicode=True, color=False, time="percent_of_total", processor_options=hide))
    print("own time per function, from wherever it is called (% of total):")
    print(own_time_table(prof))
    if args.html:
        args.html.write_text(prof.output_html())
        print(f"wrote {args.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
