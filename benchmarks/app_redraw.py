"""The explore notebook's path, timed in a fresh process: first figure, then lever changes.

Run by ``benchmarks/run.py`` (section ``live``) in a new interpreter, so that the first
draw pays what a notebook's first cell pays: imports, starting the pool, the first
summary table and the first matplotlib figure. Prints one JSON object::

    .venv/bin/python benchmarks/app_redraw.py --reps 100 --changes 5

It builds :class:`partnersim.widgets.ExploreApp` exactly as ``notebooks/01_explore.ipynb``
does (with ``threaded=False``, so each change is computed on ``debouncer.flush()``
instead of after the debounce delay), moves the goal-clarity lever through values not
seen before (no cache hits), and reports the app's own timings of each redraw: ensemble
run, summary table, figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--changes", type=int, default=5, help="lever changes after the first draw")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    sys.path.insert(0, str(ROOT / "src"))
    from partnersim.widgets import ExploreApp

    t_import = time.perf_counter() - t0
    app = ExploreApp("baseline", reps=args.reps, workers=args.workers, threaded=False)
    first_cell = time.perf_counter() - t0
    first = {"draw_s": app.last_seconds, **{f"{k}_s": v for k, v in app.timings.items()}}
    if app.errors:
        raise SystemExit(app.errors[-1])

    clarity = app.panel.controls["clarity"]  # a slider on a 0.05 grid
    values = [v for v in (0.3, 0.5, 0.7, 0.9, 0.4, 0.6, 0.8, 0.35, 0.55, 0.75) if abs(v - clarity.value) > 0.01]
    redraws: list[dict[str, float]] = []
    for k in range(args.changes):
        clarity.value = values[k % len(values)]  # values not seen before: no cache hits (up to 9 changes)
        app.debouncer.flush()
        redraws.append({"draw_s": app.last_seconds, **{f"{n}_s": v for n, v in app.timings.items()}})
    runs = app.cache.runs
    app.close()
    median = {key: statistics.median(r[key] for r in redraws) for key in redraws[0]} if redraws else {}
    print(json.dumps({"reps": args.reps, "workers": args.workers, "import_s": t_import, "first_cell_s": first_cell,
                      "first": first, "redraw": median, "redraws": redraws, "ensembles_run": runs,
                      "debounce_s": app.debouncer.delay}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
