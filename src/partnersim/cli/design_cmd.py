"""``partnersim design SCENARIO [--levers ...] [--objective ...] [--constraint ...] --budget N --out DIR``."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from partnersim.cli import add_progress_flag, nonneg_int, positive_int
from partnersim.scenario import InputError, load_scenario, with_changes

__all__ = ["add_parser", "main", "write_outputs"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare ``partnersim design``."""
    p = sub.add_parser(
        "design", help="search the agreement levers for the best designs (Pareto front, resumable)",
        description="Search the agreement levers a consultant controls (cadences, funding rule, platform, "
        "procedures, informal contact, co-ownership...) for the designs that maximise the objectives under the "
        "constraints. Every design runs on the same seeds as the start (common random numbers), so each interval "
        "is paired against it; a design proposed twice runs once. Optuna's TPE sampler, reseeded per trial: killed "
        "and started again on the same --out, the search resumes and gives the same result. Writes designs.csv, "
        "table.csv, confirmed.csv (the best designs again on more replications), trials.csv, design.md, "
        "front.png, recommended.toml and robustness.csv (the recommended design "
        "against the start with each uncertain coefficient moved by -50%% and +50%%).",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="the starting scenario (TOML file or bundled name)")
    p.add_argument("--levers", nargs="+", action="extend", default=None, metavar="SPEC",
                   help="levers: PATH (default values), PATH=a,b,c or PATH=LOW:HIGH[:STEP] (default: cadences, "
                   "weekly interval, funding rule, platform, conflict procedure, facilitator, informal contact, "
                   "co-ownership)")
    p.add_argument("--objective", nargs="+", action="extend", default=None, metavar="[max:|min:]METRIC",
                   help="outcomes to aim at, on the mean (default: survived joint_revenue); several give a Pareto "
                   "front; also meeting_hours_per_month, money_per_month, fairness_smaller, days_together")
    p.add_argument("--constraint", nargs="+", action="extend", default=None, metavar="METRIC<=LIMIT",
                   help="limits on means, e.g. 'meeting_hours_per_month<=30' 'money_per_month<=6000'")
    p.add_argument("--budget", type=positive_int, default=40, help="distinct designs to evaluate (default 40)")
    p.add_argument("--reps", type=positive_int, default=100, help="replications per design (default 100)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the runs and of the search (default 0)")
    p.add_argument("--set", nargs="+", action="extend", default=None, metavar="PATH=VALUE",
                   help="change the starting scenario first (e.g. horizon_days=730; values in TOML syntax)")
    p.add_argument("--sampler", choices=("tpe", "random"), default="tpe", help="search strategy (default tpe)")
    p.add_argument("--confirm", type=nonneg_int, default=3, metavar="K",
                   help="run the K best designs and the start again on --confirm-reps replications and recommend "
                   "the best of them (default 3; 0: no confirmation)")
    p.add_argument("--confirm-reps", type=positive_int, default=None, metavar="N",
                   help="replications of the confirmation (default 3 x --reps)")
    p.add_argument("--robustness", action=argparse.BooleanOptionalAction, default=True,
                   help="check the recommended design with each uncertain coefficient at -50%% and +50%% (default on)")
    p.add_argument("--robustness-reps", type=positive_int, default=None, metavar="N",
                   help="replications per robustness point (default: --reps)")
    p.add_argument("--robust-only", nargs="+", action="extend", default=None, metavar="PATTERN",
                   help="move only the coefficients matching these globs (default: every dynamics.* number)")
    p.add_argument("--top", type=positive_int, default=5, metavar="K", help="designs in the table (default 5)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="K",
                   help="worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--out", type=Path, default=Path("out/design"), metavar="DIR",
                   help="folder of the search and its results (default out/design); run again to resume")
    add_progress_flag(p)
    p.set_defaults(func=main)


def _coefficients(patterns: list[str] | None) -> list[str] | None:
    import fnmatch

    from partnersim.scenario import leaf_fields

    if patterns is None:
        return None
    names = [p for p, f in leaf_fields().items() if p.startswith("dynamics.") and f.annotation is float]
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, pat) for pat in patterns)]
    if not chosen:
        raise InputError("--robust-only", None, f"no dynamics coefficient matches {' '.join(patterns)}")
    return chosen


def write_outputs(result: object, out: Path, command: str = "", k: int = 5) -> list[Path]:
    """Write the tables, ``design.md``, ``front.png`` and ``recommended.toml`` of a finished search."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from partnersim.plots.design import plot_front
    from partnersim.report_design import design_markdown
    from partnersim.scenario import save_scenario

    r = result
    written = []
    for name, df in (("designs.csv", r.designs), ("table.csv", r.table(k)), ("trials.csv", r.trials)):  # type: ignore
        df.to_csv(out / name, index=False)
        written.append(out / name)
    if r.confirmed is not None:  # type: ignore[attr-defined]
        r.confirmed.table(k).to_csv(out / "confirmed.csv", index=False)  # type: ignore[attr-defined]
        written.append(out / "confirmed.csv")
    if r.robustness is not None:  # type: ignore[attr-defined]
        r.robustness.to_csv(out / "robustness.csv", index=False)  # type: ignore[attr-defined]
        written.append(out / "robustness.csv")
    (out / "design.md").write_text(design_markdown(r, command, k))
    written.append(out / "design.md")
    fig = plot_front(r)
    fig.savefig(out / "front.png", dpi=110)
    plt.close(fig)
    written.append(out / "front.png")
    sc = r.recommended_scenario  # type: ignore[attr-defined]
    if sc is not None:
        save_scenario(sc, out / "recommended.toml")
        written.append(out / "recommended.toml")
    return written


def main(args: argparse.Namespace) -> int:
    """Check every argument, search (or resume), print the ranked table, write the results."""
    from partnersim.analysis.design_space import parse_constraint, parse_levers, parse_objective
    from partnersim.analysis.optimise import design
    from partnersim.cli.output import check_out_dir
    from partnersim.cli.screen_cmd import parse_set
    from partnersim.report_design import recommended_sentences, table_lines
    from partnersim.run.progress import progress_bar, show_progress

    out = check_out_dir(args.out)
    assert out is not None
    base = load_scenario(args.scenario)
    if args.set:
        try:
            base = with_changes(base, parse_set(args.set))
        except ValidationError as e:
            err = e.errors()[0]
            raise InputError("--set", ".".join(str(x) for x in err["loc"]), err["msg"]) from None
    if args.reps < 2:
        raise InputError("--reps", None, "must be at least 2 (intervals need two replications)")
    levers = parse_levers(args.levers, base)
    objectives = [parse_objective(s) for s in (args.objective or ["survived", "joint_revenue"])]
    constraints = [parse_constraint(s) for s in (args.constraint or [])]
    coefficients = _coefficients(args.robust_only)
    bar = None

    def on_trial(done: int, total: int) -> None:
        nonlocal bar
        if show_progress(args.progress):
            if bar is None:
                bar = progress_bar(total, "design", True, delay=0.0)
            bar.n = done
            bar.refresh()

    t0 = time.perf_counter()
    try:
        r = design(base, levers, objectives, constraints, budget=args.budget, reps=args.reps, seed=args.seed,
                   out=out, workers=args.workers, sampler=args.sampler, confirm_best=args.confirm,
                   confirm_reps=args.confirm_reps, robustness=args.robustness,
                   robustness_reps=args.robustness_reps, coefficients=coefficients, on_trial=on_trial)
    finally:
        if bar is not None:
            bar.close()
    argv = ["partnersim", "design", *sys.argv[2:]] if Path(sys.argv[0]).name in ("partnersim", "__main__.py") else []
    written = write_outputs(r, out, shlex.join(argv) if argv else "", args.top)
    feas = int(r.designs["feasible"].sum())
    print(f"{base.name}: {len(r.designs) - 1} designs in {len(r.trials)} trials, {feas} feasible (start included), "
          f"{int(r.designs['front'].sum())} on the front; {args.reps} replications each; "
          f"{time.perf_counter() - t0:.0f} s")
    print("\n".join(table_lines(r, args.top)))
    if r.confirmed is not None:
        print(f"\nThe best {len(r.confirmed.designs) - 1} again, on {r.confirmed.reps} replications:")
        print("\n".join(table_lines(r.confirmed, args.top)))
    print()
    print("\n".join(recommended_sentences(r)))
    if r.robustness is not None:
        from partnersim.analysis.optimise import robustness_sentences

        print("\n".join(robustness_sentences(r.robustness, r.constraints)))
    for n in r.notes:
        print(f"note: {n}")
    print(f"wrote {', '.join(p.name for p in written)} in {out}")
    return 0
