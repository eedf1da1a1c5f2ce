"""Command-line options that state an intervention without a second file.

``--set PATH=VALUE`` (repeatable) names a change; ``--from-month M`` or ``--from-day D``
says when it takes effect (day 0 without either). ``partnersim compare A --from-month 6
--set agreement.cadence.weekly.enabled=true`` compares A with B = A plus that intervention,
on common random numbers. Values are read as TOML values (``true``, ``0.5``, ``"capacity"``;
a bare word is text).
"""

from __future__ import annotations

import argparse
import math
import tomllib
from typing import Any

import numpy as np

from partnersim.scenario import InputError, Scenario

__all__ = ["add_intervention_args", "parse_set", "scenario_b", "print_effect", "write_effect", "cli_words"]


def add_intervention_args(p: argparse.ArgumentParser, *, when: bool = True) -> None:
    """Declare ``--set`` (and, with ``when``, ``--from-month`` / ``--from-day``)."""
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="set_",
                   help="a change of B (repeatable), e.g. --set agreement.cadence.weekly.enabled=true; "
                   "with --from-month/--from-day it is an intervention on A from then on")
    g = p.add_mutually_exclusive_group()
    if when:
        g.add_argument("--from-month", type=float, default=None, metavar="M",
                       help="the --set changes take effect from month M (30.4375 days each)")
        g.add_argument("--from-day", type=float, default=None, metavar="D",
                       help="the --set changes take effect from day D")
    g.add_argument("--when", default=None, metavar="RULE",
                   help="instead, a policy: the --set changes are made when RULE holds, e.g. state=trust,below=0.5 "
                   "or event=escalations,count=2,within_days=90 or event=renegotiations or revenue_ratio=1.5")
    p.add_argument("--delay-days", type=float, default=0.0, metavar="D",
                   help="with --when: days between the rule holding and the changes (default 0)")


def parse_set(items: list[str], option: str = "--set") -> dict[str, Any]:
    """``["a.b=true", "c=0.5"]`` -> ``{"a.b": True, "c": 0.5}`` (values read as TOML values).

    Examples
    --------
    >>> parse_set(["agreement.cadence.weekly.enabled=true", "agreement.funding_rule=capacity"])
    {'agreement.cadence.weekly.enabled': True, 'agreement.funding_rule': 'capacity'}
    """
    out: dict[str, Any] = {}
    for item in items:
        path, sep, text = item.partition("=")
        path, text = path.strip(), text.strip()
        if not sep or not path or not text:
            raise InputError(option, None, f"must be PATH=VALUE, e.g. agreement.cadence.weekly.enabled=true "
                             f"(got {item!r})")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text  # a bare word: text
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(option, path, f"must be a finite number (got {text})")
        out[path] = value
    return out


def parse_when(text: str, option: str = "--when") -> dict[str, Any]:
    """``"event=escalations,count=2"`` -> ``{"event": "escalations", "count": 2}`` (values read as TOML values).

    Examples
    --------
    >>> parse_when("state=trust,below=0.5")
    {'state': 'trust', 'below': 0.5}
    """
    items = [x for x in text.split(",") if x.strip()]
    if not items:
        raise InputError(option, None, "must be KEY=VALUE[,KEY=VALUE], e.g. state=trust,below=0.5")
    return parse_set(items, option)


def scenario_b(a: Scenario, args: argparse.Namespace, b_name: str | None) -> tuple[Scenario | None, str]:
    """Scenario B from the options (``None`` when none were given) and how it reads on the command line."""
    changes = parse_set(args.set_)
    month, day = getattr(args, "from_month", None), getattr(args, "from_day", None)
    when = parse_when(args.when) if getattr(args, "when", None) is not None else None
    if not changes:
        if month is not None or day is not None or when is not None:
            opt = "--from-month" if month is not None else "--from-day" if day is not None else "--when"
            raise InputError(opt, None, "says when the --set changes take effect: give at least one --set PATH=VALUE")
        return None, ""
    if b_name is not None:
        raise InputError("--set", None, "give scenario B or --set changes to A, not both")
    from partnersim.analysis.interventions import intervene

    for opt, v in (("--from-month", month), ("--from-day", day)):
        if v is not None and not (math.isfinite(v) and v >= 0):
            raise InputError(opt, None, f"must be 0 or more (got {v:g})")
    delay = float(getattr(args, "delay_days", 0.0) or 0.0)
    if not (math.isfinite(delay) and delay >= 0):
        raise InputError("--delay-days", None, f"must be 0 or more (got {delay:g})")
    if when is not None:
        b = intervene(a, changes, when=when, delay_days=delay, name="cli", source="--when")
        said = f" when {b.policies[-1].when.describe()}" + (f", {delay:g} days later" if delay else "")
    else:
        if delay:
            raise InputError("--delay-days", None, "goes with --when (a policy)")
        b = intervene(a, changes, day=day, month=month, name="cli", source="--set")
        said = f" from month {month:g}" if month is not None else (f" from day {day:g}" if day is not None else "")
    what = ", ".join(f"{k}={v}" for k, v in changes.items())
    b = b.model_copy(update={"name": f"{a.name}, changed{said}"})
    return b, f"--set {what}{said}"


def cli_words(args: argparse.Namespace) -> list[str]:
    """The intervention options as command-line words (to show the command again)."""
    words = [] if getattr(args, "from_month", None) is None else ["--from-month", f"{args.from_month:g}"]
    words += [] if getattr(args, "from_day", None) is None else ["--from-day", f"{args.from_day:g}"]
    if getattr(args, "when", None) is not None:
        words += ["--when", args.when]
        if getattr(args, "delay_days", 0.0):
            words += ["--delay-days", f"{args.delay_days:g}"]
    for item in args.set_:
        words += ["--set", item]
    return words


def print_effect(c: Any, day: float | None) -> Any:
    """Print the paired effect over time at a few moments after the intervention day; return the table."""
    from partnersim.analysis.interventions import MAIN_SERIES, effect_over_time
    from partnersim.analysis.reading import format_number

    eff = effect_over_time(c)
    horizon = float(c.a.scenario.horizon_days)
    start = 0.0 if day is None else day
    marks = [start + x for x in (0.0, 182.625, 365.25, 730.5) if start + x < horizon] + [horizon]
    days = eff[eff["column"] == MAIN_SERIES[0]]["day"].to_numpy()
    print(f"The effect over time (B - A, paired; 95% interval){'' if day is None else f' from day {day:g}'}:")
    names = {"active": "still together (points)", "trust": "trust (points out of 100)",
             "joint_revenue_cum": "joint revenue so far"}
    head = f"  {'day':>6}  " + "  ".join(f"{names.get(col, col):>36}" for col in MAIN_SERIES)
    print(head)
    shown: set[float] = set()
    for t in marks:
        after = np.nonzero(days >= t - 1e-9)[0]
        d = float(days[after[0]] if after.size else days[-1])
        if d in shown:
            continue
        shown.add(d)
        cells = []
        for col in MAIN_SERIES:
            r = eff[(eff["column"] == col) & (eff["day"] == d)].iloc[0]
            f = 100.0 if col in ("active", "trust") else 1.0
            cells.append(f"{format_number(f * r['diff'])} [{format_number(f * r['ci_low'])}, "
                         f"{format_number(f * r['ci_high'])}]")
        print(f"  {d:>6g}  " + "  ".join(f"{x:>36}" for x in cells))
    print()
    return eff


def write_effect(eff: Any, day: float | None, out: Any) -> list[Any]:
    """Write ``effect_over_time.csv`` and ``effect_over_time.png`` into ``out``."""
    from matplotlib.figure import Figure

    from partnersim.plots.interventions import plot_effect_over_time

    csv = out / "effect_over_time.csv"
    eff.to_csv(csv, index=False)
    fig = Figure(figsize=(13, 3.6), layout="constrained")
    plot_effect_over_time(eff, day, fig)
    png = out / "effect_over_time.png"
    fig.savefig(png, dpi=110)
    return [csv, png]
