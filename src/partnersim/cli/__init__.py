"""The ``partnersim`` command line.

Each command lives in its own module with two functions: ``add_parser(subparsers)``,
which declares the command and its arguments, and ``main(args) -> int``. Commands are
imported when used, so ``partnersim --help`` stays fast. Bad input raises
:class:`~partnersim.scenario.InputError` (or is an argparse error): one line on
standard error, exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from partnersim.cli.output import WriteFailed
from partnersim.scenario import InputError

__all__ = ["main", "COMMANDS", "OneLineParser", "add_precision_flags", "add_progress_flag", "positive_int",
           "nonneg_int", "precision_target", "probability", "warn_implausible"]

# command -> (module, one-line help); a module that is not there yet is left out.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("partnersim.cli.run_cmd", "run a scenario (an ensemble of replications) and summarise it"),
    "compare": ("partnersim.cli.compare_cmd", "paired comparison of two scenarios on common random numbers"),
    "report": ("partnersim.cli.report_cmd", "write a self-contained HTML report for a client"),
    "sweep": ("partnersim.cli.sweep_cmd", "run a parameter sweep file, resumable, locally or on Dask"),
    "sensitivity": ("partnersim.cli.sensitivity_cmd", "sensitivity indices of a finished Sobol or Morris sweep"),
    "discover": ("partnersim.cli.discover_cmd", "scenario discovery: where in a sweep a condition holds, in words"),
    "screen": ("partnersim.cli.screen_cmd", "one-at-a-time lever screen: dead levers, directions against expectation"),
    "calibrate": ("partnersim.cli.calibrate_cmd", "pattern-oriented calibration of the coefficients (resumable)"),
    "robustness": ("partnersim.cli.calibrate_cmd", "which patterns hold when each coefficient moves by +-50%"),
    "patterns": ("partnersim.cli.calibrate_cmd", "check the calibration patterns and the five behaviours"),
    "design": ("partnersim.cli.design_cmd", "search the agreement levers for the best designs (Pareto front)"),
    "validate": ("partnersim.cli.scenario_cmds", "check a scenario file"),
    "schema": ("partnersim.cli.scenario_cmds", "print the JSON Schema of scenario files"),
    "scenarios": ("partnersim.cli.scenario_cmds", "list the bundled scenarios"),
    "too-late": ("partnersim.cli.too_late_cmd", "when is it too late? an intervention's effect against its start"),
}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from partnersim.scenario.io import one_line

        self.exit(2, one_line(f"{self.prog}: error: {message}", 300) + "\n")


def _int_at_least(low: int, words: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {words} (got {value})")
        return value

    return parse


positive_int = _int_at_least(1, "at least 1")
positive_int.__doc__ = "argparse type: an integer >= 1."


def probability(text: str) -> float:
    """argparse type: a number strictly between 0 and 1."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (got {v:g})")
    return v
nonneg_int = _int_at_least(0, "0 or more")
nonneg_int.__doc__ = "argparse type: an integer >= 0 (seeds)."


def warn_implausible(command: str, source: object, scenario: object) -> int:
    """Print each plausibility warning of ``scenario`` on standard error (one line each); return how many."""
    from partnersim.scenario import plausibility_warnings
    from partnersim.scenario.io import one_line

    found = plausibility_warnings(scenario)  # type: ignore[arg-type]
    for field, message in found:
        print(one_line(f"partnersim {command}: warning: {one_line(source, 80)}: {field}: {message}", 300),
              file=sys.stderr)
    return len(found)


def add_progress_flag(p: argparse.ArgumentParser) -> None:
    """``--progress/--no-progress``: force the progress bar on or off (default: only on a terminal)."""
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar on standard error, or not (default: only when it is a terminal)")


def precision_target(text: str) -> object:
    """argparse type: ``METRIC=5%`` (relative) or ``METRIC=0.02`` (absolute), a precision target."""
    from partnersim.analysis.precision import parse_target

    try:
        return parse_target(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_precision_flags(p: argparse.ArgumentParser, what: str = "replications", first: str = "--reps",
                        first_default: str = "default 10", interval: str = "the metric's 95%% interval") -> None:
    """``--precision METRIC=TARGET`` (repeatable), ``--max-reps N``, ``--batch N``: adaptive replications."""
    p.add_argument("--precision", type=precision_target, action="append", default=None, metavar="METRIC=TARGET",
                   help=f"add {what} in batches until {interval} meets TARGET: METRIC=5%% (relative: "
                   "the mean within 5%% of the true mean) or METRIC=0.02 (absolute, in the metric's unit); repeat "
                   f"for several metrics; {first} is then the first batch ({first_default}). See docs/precision.md")
    p.add_argument("--max-reps", type=positive_int, default=None, metavar="N",
                   help=f"with --precision: at most N {what} (default 1000)")
    p.add_argument("--batch", type=positive_int, default=None, metavar="N",
                   help=f"with --precision: {what} added per batch (default 10)")


def precision_plan(args: argparse.Namespace, initial: int | None, first: str = "--reps") -> object | None:
    """The adaptive plan of ``--precision/--max-reps/--batch`` (``None`` without ``--precision``).

    ``initial`` is the first batch (``None``: the default, 10). Bad combinations raise
    :class:`~partnersim.scenario.InputError` naming the option.
    """
    from partnersim.analysis.adaptive import make_plan

    if not args.precision:
        for opt, value in (("--max-reps", args.max_reps), ("--batch", args.batch)):
            if value is not None:
                raise InputError(opt, None, "needs --precision METRIC=TARGET (adaptive replications)")
        return None
    seen: set[str] = set()
    for t in args.precision:
        if t.metric in seen:
            raise InputError("--precision", t.metric, "given twice; give one target per metric")
        seen.add(t.metric)
    if initial is not None and initial < 2:
        raise InputError(first, None, f"with --precision the first batch needs at least 2 replications (got {initial})")
    from partnersim.analysis.precision import DEFAULT_INITIAL, DEFAULT_MAX_REPS

    first_batch = initial if initial is not None else DEFAULT_INITIAL
    if (args.max_reps if args.max_reps is not None else DEFAULT_MAX_REPS) < first_batch:
        raise InputError("--max-reps", None, f"must be at least the first batch ({first} {first_batch}; got "
                         f"{args.max_reps})")
    return make_plan(args.precision, first_batch, args.batch, args.max_reps)


def build_parser() -> OneLineParser:
    """The top-level parser with every available command."""
    from partnersim import __version__

    parser = OneLineParser(prog="partnersim", description="Simulate two-business partnerships.")
    parser.add_argument("--version", action="version", version=f"partnersim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    seen: set[str] = set()
    for _name, (module, _help) in COMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name == module:
                continue
            raise
        if module in seen:
            continue
        seen.add(module)
        mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``partnersim`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as e:
        print(f"partnersim {args.command}: error: {e}", file=sys.stderr)
        return 2
    except WriteFailed as e:  # not bad input: the results are kept elsewhere, and the message says where
        print(f"partnersim {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"partnersim {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        if os.environ.get("PARTNERSIM_DEBUG"):
            raise
        if isinstance(e, OSError) and e.filename is not None:  # a path that cannot be used (a name too long)
            print(f"partnersim {args.command}: error: {InputError(str(e.filename), None, e.strerror or str(e))}",
                  file=sys.stderr)
            return 2
        from partnersim.scenario.io import one_line

        # a bug, not bad input: one line, and the traceback on request
        print(f"partnersim {args.command}: internal error: {one_line(f'{type(e).__name__}: {e}', 180)} "
              "(set PARTNERSIM_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
