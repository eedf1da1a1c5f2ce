"""``partnersim sweep SWEEP [--out DIR] [--executor local|dask] [--scheduler ADDRESS] [--workers K]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from partnersim.cli import add_precision_flags, add_progress_flag, positive_int, precision_plan, warn_implausible
from partnersim.cli.output import WriteFailed, check_out_dir

__all__ = ["add_parser", "main"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim sweep``."""
    p = sub.add_parser(
        "sweep", help="run a parameter sweep file, resumable, locally or on Dask",
        description="Run a sweep file (base scenario, parameters, design, replications, seed), streaming one "
        "row per run to a Parquet dataset under DIR/runs with a progress bar. Run the same command again after "
        "an interruption: it runs the missing runs only. A sweep file changed after the start is refused.",
    )
    p.add_argument("sweep", metavar="SWEEP", help="sweep TOML file (or a bundled name such as sweep_levers_sobol)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="sweep folder (default: out/<sweep file name>)")
    p.add_argument("--executor", choices=("local", "dask", "inprocess"), default=None,
                   help="local process pool (default), Dask, or in this process")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of an existing Dask scheduler (implies --executor dask); without it, Dask "
                   "starts a LocalCluster on 127.0.0.1")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: the usable cores)")
    p.add_argument("--chunk-size", type=positive_int, default=None, metavar="N",
                   help="runs per job (default: up to 50); does not change results")
    p.add_argument("--part-rows", type=positive_int, default=1000, metavar="N",
                   help="rows per Parquet part (default 1000); does not change results")
    add_precision_flags(p, "replications per point", "the sweep file's replications", "at least 2")
    add_progress_flag(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the sweep and print what was done."""
    from partnersim.analysis.storage import read_runs
    from partnersim.analysis.sweep import default_out, plan_sweep, sweep
    from partnersim.scenario import InputError

    executor = args.executor or ("dask" if args.scheduler else "local")
    if args.scheduler and executor != "dask":
        raise InputError("--scheduler", None, f"needs --executor dask (got --executor {executor})")
    spec, design = plan_sweep(args.sweep)
    plan = precision_plan(args, spec.replications, f"{args.sweep}: replications")
    out = check_out_dir(args.out if args.out is not None else default_out(args.sweep))  # before any run
    warn_implausible("sweep", f"{args.sweep}: base", spec.base)
    planned = design.n_points * spec.replications
    where = args.scheduler or ("LocalCluster on 127.0.0.1" if executor == "dask" else "")
    size = (f"{design.n_points} points x {spec.replications} replications = {planned} runs" if plan is None else
            f"{design.n_points} points, replications per point until {plan.describe()}")  # type: ignore[attr-defined]
    print(f"{spec.name}: {design.kind} design, {size}, seed {spec.seed}; executor {executor}"
          f"{f' ({where})' if where else ''}; folder {out}", flush=True)
    try:
        res = sweep(spec, out, executor=executor, workers=args.workers, scheduler=args.scheduler,
                    progress=args.progress, chunk_size=args.chunk_size, part_rows=args.part_rows, precision=plan)
    except OSError as e:  # a full disk, a folder removed meanwhile: every part written so far is kept
        from partnersim.analysis.storage import part_files

        raise WriteFailed(f"could not write to {out} ({e.strerror or e}); the {len(part_files(out))} parts "
                          "written so far are kept: run the same command again to finish") from None
    rate = res.ran / res.seconds if res.seconds > 0 else 0.0
    print(f"{res.done} of {res.planned} runs stored ({res.ran} run now in {res.seconds:.1f} s, {rate:.0f} runs/s); "
          f"{res.failed} failed; dataset {res.folder / 'runs'}")
    if res.precision is not None:
        from partnersim.analysis.adaptive_sweep import PRECISION_FILE, describe

        print(f"{describe(res.precision)}; per point: {res.folder / PRECISION_FILE}")
    if res.failed:
        df = read_runs(res.folder, columns=["point_id", "replication", "error"])
        first = df[df["error"].notna()].iloc[0]
        print(f"first failure: point {first.point_id}, replication {first.replication}: {first.error}")
    if res.complete and design.kind in ("sobol", "morris", "grid"):
        print(f"next: partnersim sensitivity {res.folder}")
    return 0
