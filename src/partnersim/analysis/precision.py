"""Adaptive replications: add replications in batches until each named metric's interval is narrow enough.

The procedure is Law and Kelton's sequential procedure for a specified precision (A. M. Law,
*Simulation Modeling and Analysis*, 5th ed., McGraw-Hill 2015, section 9.4.1), run in batches
and for several metrics at once:

1. Run ``n0`` replications (the first batch, at least 2).
2. At each checkpoint ``n`` (``n0``, ``n0 + b``, ``n0 + 2b``, ... and ``max_reps``), compute for
   every target metric the mean ``X(n)`` of its finite values and the half-width
   ``delta(n) = t(m - 1, 0.975) * s / sqrt(m)`` of its 95% Student-t interval (``m`` finite values).
3. Stop at the first checkpoint where every target holds:

   - a *relative* target ``gamma`` (``joint_revenue=5%``): ``delta(n) / |X(n)| <= gamma / (1 + gamma)``.
     Law and Kelton show that then ``|X(n) - mu| / |mu| <= gamma`` with probability about 95%:
     the mean is within ``gamma`` of the true mean, relative to it;
   - an *absolute* target ``beta`` (``final_trust=0.02``, in the metric's unit): ``delta(n) <= beta``.

   Otherwise run the next batch; stop at ``max_reps`` in any case (the report then says which
   targets were not met).

Each interval on its own covers its mean in about 95% of uses (not all of them at once).
Law and Kelton recommend ``n0 >= 10`` and ``gamma <= 0.15`` for the coverage to hold; the
default first batch is 10.

Special cases, said in the report's ``note``:

- *Constant values.* A metric whose values are all equal has a zero-width interval. For a
  0/1 metric (``survived``) or a count (``escalations``) at the end of its range (all 0, or
  all 1 for a 0/1 metric) that may only mean that a rare event has not happened yet, so the
  half-width is taken as ``3 / m`` instead (the "rule of three": with no event in ``m``
  runs, the event's 95% upper bound is about ``3 / m``). Any other constant metric is
  exact: its target counts as met.
- *Mean 0 with a relative target.* ``delta / |X|`` is infinite: the target cannot be met
  (unless the metric is exactly 0 in every run); the note suggests an absolute target, and
  the procedure runs to ``max_reps``.
- *An interval that includes 0 with a relative target*: said too (such a target may need
  very many replications).
- *Fewer than 2 finite values* (``exit_day`` when nearly every run survived): not met.

For paired differences (``compare``), the same rule is applied to the differences ``b - a``
of replication ``i`` of each scenario, on common random numbers; a difference of a 0/1 metric
or a count that is 0 in every pair gets the rule-of-three half-width.

Every decision is a function of the values of replications ``0..n-1`` only, and replication
``i``'s values are a pure function of ``(scenario, seed, i)``: an adaptive run that stops at
``n`` is the fixed run of ``n`` replications, number for number, whatever the executor.

- :func:`parse_target`, :func:`as_targets`: ``"joint_revenue=5%"`` -> :class:`Target`.
- :class:`Plan`: targets, first batch, batch size, maximum; its checkpoints.
- :func:`assess`: one target on some values; :func:`decide`: the rule on the values so far.
- :func:`sequential`: the generic procedure, given a function that returns more values;
  :func:`iter_sequential`: the same, one checkpoint at a time.
- :class:`PrecisionReport`: how many replications, which targets, in a table and in words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special  # t quantiles; scipy.stats takes ~0.6 s more to import

from partnersim.model import METRICS
from partnersim.scenario import InputError

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_INITIAL",
    "DEFAULT_MAX_REPS",
    "RULE_OF_THREE",
    "Check",
    "Plan",
    "PrecisionReport",
    "Target",
    "as_targets",
    "assess",
    "Step",
    "decide",
    "iter_sequential",
    "parse_target",
    "rare_event_metric",
    "sequential",
]

DEFAULT_INITIAL = 10  # Law and Kelton: n0 >= 10
DEFAULT_BATCH = 10
DEFAULT_MAX_REPS = 1000
RULE_OF_THREE = 3.0  # no event in m runs: 95% upper bound ~ 3/m (-ln 0.05 = 2.996)

_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^%\s]+)\s*(%?)\s*$")


@dataclass(frozen=True)
class Target:
    """A precision target for one metric.

    Attributes
    ----------
    metric
        The metric's name (a column of ``summary.csv``).
    value
        ``gamma`` (a fraction: 0.05 for 5%) when ``relative``, else the largest half-width
        allowed, in the metric's unit.
    relative
        Relative (``metric=5%``) or absolute (``metric=0.02``).

    Examples
    --------
    >>> t = Target("joint_revenue", 0.05, relative=True)
    >>> str(t), round(t.threshold, 5)
    ('joint_revenue=5%', 0.04762)
    """

    metric: str
    value: float
    relative: bool

    @property
    def threshold(self) -> float:
        """What the half-width (relative: over ``|mean|``) is compared with: ``gamma / (1 + gamma)`` or ``beta``."""
        return self.value / (1.0 + self.value) if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.metric}={self.value * 100:g}%" if self.relative else f"{self.metric}={self.value:g}"

    def describe(self) -> str:
        """The target in words.

        Examples
        --------
        >>> Target("joint_revenue", 0.1, True).describe(), Target("joint_revenue", 20000.0, False).describe()
        ('within 10% of the true mean (half-width at most 9.09% of the mean)', 'within +-20,000')
        """
        from partnersim.analysis.units import format_number

        return (f"within {self.value * 100:g}% of the true mean (half-width at most {self.threshold * 100:.3g}% "
                "of the mean)" if self.relative else f"within +-{format_number(self.value)}")


def parse_target(text: str, metrics: Collection[str] | None = None) -> Target:
    """Read ``METRIC=5%`` (relative) or ``METRIC=0.02`` (absolute, in the metric's unit).

    Parameters
    ----------
    text
        The target as written on the command line.
    metrics
        The metric names allowed (default: every summary metric, and ``days_together``).

    Raises
    ------
    ValueError
        With a one-line message saying what is wrong (the command line turns it into exit 2).

    Examples
    --------
    >>> parse_target("joint_revenue=5%")
    Target(metric='joint_revenue', value=0.05, relative=True)
    >>> parse_target("final_trust=0.02")
    Target(metric='final_trust', value=0.02, relative=False)
    """
    m = _TARGET.match(str(text))
    if not m:
        raise ValueError(f"{text!r}: write METRIC=5% (relative) or METRIC=0.02 (absolute, in the metric's unit)")
    name, num, pct = m.group(1), m.group(2), m.group(3) == "%"
    known = set(metrics) if metrics is not None else {*METRICS, "days_together"}
    if name not in known:
        raise ValueError(f"{text!r}: unknown metric {name!r} (the names are the columns of summary.csv: "
                         "partnersim run --all lists them)")
    try:
        value = float(num)
    except ValueError:
        raise ValueError(f"{text!r}: {num!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r}: the target must be a number above 0")
    if pct:
        value /= 100.0
        if value >= 1.0:
            raise ValueError(f"{text!r}: a relative target must be below 100%")
    return Target(name, value, pct)


def as_targets(precision: Mapping[str, float | str] | Iterable[str | Target] | str | Target,
               metrics: Collection[str] | None = None, source: str = "precision") -> tuple[Target, ...]:
    """Targets from a mapping ``{"joint_revenue": "5%", "final_trust": 0.02}``, strings or :class:`Target`.

    A number in a mapping is absolute; a string ending in ``%`` is relative. Each metric may
    have one target. Bad input raises :class:`~partnersim.scenario.InputError` naming ``source``.

    Examples
    --------
    >>> [str(t) for t in as_targets({"joint_revenue": "5%", "final_trust": 0.02})]
    ['joint_revenue=5%', 'final_trust=0.02']
    """
    if isinstance(precision, str | Target):
        precision = [precision]
    items: list[str | Target]
    if isinstance(precision, Mapping):
        items = [f"{k}={v}" for k, v in precision.items()]
    else:
        items = list(precision)
    out: list[Target] = []
    for item in items:
        try:
            t = item if isinstance(item, Target) else parse_target(item, metrics)
        except ValueError as e:
            raise InputError(source, None, str(e)) from None
        if any(o.metric == t.metric for o in out):
            raise InputError(source, t.metric, "given twice; give one target per metric")
        out.append(t)
    if not out:
        raise InputError(source, None, "no target given: write METRIC=5% or METRIC=0.02")
    return tuple(out)


@dataclass(frozen=True)
class Plan:
    """The sequential procedure's settings: targets, first batch, batch size, maximum, level.

    Examples
    --------
    >>> Plan(as_targets("final_trust=0.02"), initial=10, batch=15, max_reps=50).checkpoints()
    [10, 25, 40, 50]
    """

    targets: tuple[Target, ...]
    initial: int = DEFAULT_INITIAL
    batch: int = DEFAULT_BATCH
    max_reps: int = DEFAULT_MAX_REPS
    level: float = 0.95

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError("a plan needs at least one target")
        if int(self.initial) < 2:
            raise ValueError(f"the first batch must have at least 2 replications (got {self.initial})")
        if int(self.batch) < 1:
            raise ValueError(f"the batch must have at least 1 replication (got {self.batch})")
        if int(self.max_reps) < int(self.initial):
            raise ValueError(f"the maximum ({self.max_reps}) is below the first batch ({self.initial})")
        if not 0 < self.level < 1:
            raise ValueError(f"the level must be between 0 and 1 (got {self.level})")

    def checkpoints(self) -> list[int]:
        """Where the rule is checked: ``initial``, ``initial + batch``, ..., and ``max_reps``."""
        pts = list(range(int(self.initial), int(self.max_reps) + 1, int(self.batch)))
        if pts[-1] != self.max_reps:
            pts.append(int(self.max_reps))
        return pts

    @property
    def metrics(self) -> list[str]:
        """The target metrics, in order."""
        return [t.metric for t in self.targets]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description (stored in a sweep's manifest)."""
        return {"targets": [str(t) for t in self.targets], "initial": int(self.initial), "batch": int(self.batch),
                "max_reps": int(self.max_reps), "level": float(self.level)}

    def describe(self) -> str:
        """One line: the targets, the level, the first batch, the batch and the maximum.

        Examples
        --------
        >>> Plan(as_targets("joint_revenue=5%"), max_reps=200).describe()
        'joint_revenue=5% (95% intervals; first 10, then batches of 10, at most 200)'
        """
        return (f"{', '.join(str(t) for t in self.targets)} ({self.level:.0%} intervals; first {self.initial}, "
                f"then batches of {self.batch}, at most {self.max_reps})")


def rare_event_metric(metric: str) -> bool:
    """Whether a constant value of ``metric`` at the end of its range may be an unseen rare event.

    True for 0/1 metrics and counts (their unit in :data:`partnersim.model.METRICS`).
    """
    unit = METRICS.get(metric, ("", ""))[0]
    return unit in ("0/1", "count")


@dataclass(frozen=True)
class Check:
    """One target checked on ``n`` values.

    Attributes
    ----------
    target
        The target.
    n
        Finite values used (replications, or pairs, whose value is a number).
    mean, half_width
        The mean and the half-width of its interval (rule of three for a rare event unseen).
    precision
        What is compared with the target: ``half_width / |mean|`` (relative) or ``half_width``.
    met
        Whether the target holds.
    note
        ``""``, ``"constant"``, ``"rule of three"``, ``"mean 0"``, ``"includes 0"`` (relative
        target, the interval reaches 0) or ``"too few values"``; several joined by ``"; "``.
    """

    target: Target
    n: int
    mean: float
    half_width: float
    precision: float
    met: bool
    note: str = ""


def _half_width(x: np.ndarray, level: float) -> float:
    return float(special.stdtrit(x.size - 1, 0.5 + level / 2.0)) * float(x.std(ddof=1)) / math.sqrt(x.size)


def assess(values: np.ndarray | Sequence[float], target: Target, level: float = 0.95, *,
           difference: bool = False) -> Check:
    """Check one target on the finite ``values`` (the rule of the module docstring).

    Parameters
    ----------
    values
        One value per replication (or per pair: ``b - a``); NaN values are left out.
    target
        The target.
    level
        Confidence level of the interval.
    difference
        The values are paired differences: the rule of three applies to a difference of 0
        in every pair (for 0/1 metrics and counts), not to the ends of the metric's range.

    Examples
    --------
    >>> t = Target("final_trust", 0.1, relative=False)
    >>> c = assess([0.5, 0.6, 0.7], t)
    >>> round(c.half_width, 4), c.met
    (0.2484, False)
    >>> assess([1.0] * 40, Target("survived", 0.05, relative=False)).note  # 3/40 > 0.05
    'rule of three'
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    m = int(x.size)
    if m < 2:
        mean = float(x.mean()) if m else math.nan
        return Check(target, m, mean, math.nan, math.inf, False, "too few values")
    mean = float(x.mean())
    note = ""
    scale = max(1.0, float(np.abs(x).max()))
    if float(np.ptp(x)) <= 1e-12 * scale:  # constant
        rare = rare_event_metric(target.metric)
        if rare and difference:
            rare = mean == 0.0
        elif rare:
            low, high = (0.0, 1.0) if METRICS[target.metric][0] == "0/1" else (0.0, math.inf)
            rare = mean in (low, high)
        if rare:
            h, note = RULE_OF_THREE / m, "rule of three"
        else:
            h, note = 0.0, "constant"
    else:
        h = _half_width(x, level)
    if target.relative:
        if mean == 0.0:
            prec = 0.0 if h == 0.0 else math.inf
            if h > 0.0:
                note = f"{note}; mean 0" if note else "mean 0"
        else:
            prec = h / abs(mean)
            if h >= abs(mean):  # the interval reaches 0: the mean may as well be 0
                note = f"{note}; includes 0" if note else "includes 0"
    else:
        prec = h
    return Check(target, m, mean, h, prec, bool(prec <= target.threshold), note)


def decide(columns: Mapping[str, np.ndarray], n: int, plan: Plan, *, difference: bool = False,
           after: int = 0, needed: dict[str, int | None] | None = None,
           ) -> tuple[bool, int, tuple[Check, ...], dict[str, int | None]]:
    """The rule on the values of replications ``0..n-1``: stop, or how many replications to have next.

    Walks the plan's checkpoints up to ``n`` and stops at the first where every target holds
    (or at ``max_reps``). A pure function of the values, so a resumed or repeated run makes
    the same decisions.

    Parameters
    ----------
    columns
        For each target metric, the values of replications ``0..k-1`` (``k >= n``), in order.
    n
        Replications available (the first ``n`` values of each column are used).
    plan
        The procedure's settings.
    difference
        Values are paired differences (see :func:`assess`).
    after, needed
        To go on from an earlier call: the checkpoints up to ``after`` were checked and not
        all targets held there; ``needed`` is what that call returned (updated here).

    Returns
    -------
    (stop, reps, checks, needed)
        ``stop``: whether the procedure has ended at ``reps`` replications (targets met, or
        the maximum); else ``reps`` is the next checkpoint, to be reached before deciding
        again. ``checks``: the targets at the last checkpoint checked here (empty if none).
        ``needed``: per metric, the first checkpoint at which its target held.

    Examples
    --------
    >>> plan = Plan(as_targets("final_trust=0.5"), initial=3, batch=2, max_reps=9)
    >>> decide({"final_trust": np.array([0.1, 0.2])}, 2, plan)[:2]
    (False, 3)
    >>> decide({"final_trust": np.array([0.1, 0.2, 0.3, 9.0])}, 4, plan)[:2]
    (True, 3)
    """
    checks: tuple[Check, ...] = ()
    needed = dict.fromkeys(plan.metrics) if needed is None else needed
    for c in plan.checkpoints():
        if c <= after:
            continue
        if c > n:
            return False, c, checks, needed
        checks = tuple(assess(np.asarray(columns[t.metric][:c], dtype=float), t, plan.level, difference=difference)
                       for t in plan.targets)
        for ch in checks:
            if ch.met and needed.get(ch.target.metric) is None:
                needed[ch.target.metric] = c
        if all(ch.met for ch in checks) or c >= plan.max_reps:
            return True, c, checks, needed
    raise ValueError(f"nothing left to decide: every checkpoint up to {after} was checked")


@dataclass(frozen=True)
class PrecisionReport:
    """How an adaptive run ended.

    Attributes
    ----------
    plan
        The settings.
    reps
        Replications (or pairs) run: the result needed this many.
    checks
        Each target at ``reps``.
    needed
        Per metric, the first checkpoint at which its target held (``None``: never).
    what
        ``"replications"`` or ``"pairs"`` (for the words).

    Examples
    --------
    >>> import numpy as np
    >>> plan = Plan(as_targets("final_trust=0.05"), initial=4, batch=4, max_reps=40)
    >>> rng = np.random.default_rng(1)
    >>> values, report = sequential(lambda a, b: {"final_trust": rng.normal(0.5, 0.1, b - a)}, plan)
    >>> report.reps == len(values["final_trust"]), report.met
    (True, True)
    """

    plan: Plan
    reps: int
    checks: tuple[Check, ...]
    needed: dict[str, int | None] = field(default_factory=dict)
    what: str = "replications"

    @property
    def met(self) -> bool:
        """Whether every target holds at :attr:`reps`."""
        return bool(self.checks) and all(c.met for c in self.checks)

    @property
    def stopped(self) -> str:
        """``"met"`` (every target holds) or ``"max_reps"`` (the maximum was reached first)."""
        return "met" if self.met else "max_reps"

    def table(self) -> pd.DataFrame:
        """One row per target: ``metric, target, reps, n, mean, half_width, precision, met, needed, note``.

        ``precision`` is ``half_width / |mean|`` for a relative target, ``half_width`` for an
        absolute one; ``needed`` the first checkpoint at which the target held.
        """
        rows = [{"metric": c.target.metric, "target": str(c.target).split("=", 1)[1], "reps": self.reps, "n": c.n,
                 "mean": c.mean, "half_width": c.half_width, "precision": c.precision, "met": c.met,
                 "needed": self.needed.get(c.target.metric), "note": c.note} for c in self.checks]
        table = pd.DataFrame(rows, columns=["metric", "target", "reps", "n", "mean", "half_width", "precision", "met",
                                            "needed", "note"])
        return table.astype({"needed": "Int64"})  # empty where the target never held

    def lines(self) -> list[str]:
        """The report in words: how many replications, then one line per target."""
        head = (f"{self.reps} {self.what}: every target met" if self.met else
                f"{self.reps} {self.what} (the maximum): "
                f"{sum(not c.met for c in self.checks)} of {len(self.checks)} targets not met")
        out = [head]
        for c in self.checks:
            out.append(_check_line(c, self.needed.get(c.target.metric), self.what))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the plan, the replications, and per target the check at the end."""
        return {"plan": self.plan.to_dict(), "reps": int(self.reps), "met": self.met,
                "targets": [{"target": str(c.target), "n": c.n, "mean": _num(c.mean), "half_width": _num(c.half_width),
                             "precision": _num(c.precision), "met": c.met, "note": c.note,
                             "needed": self.needed.get(c.target.metric)} for c in self.checks]}


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _check_line(c: Check, needed: int | None, what: str) -> str:
    from partnersim.analysis.units import format_number

    t = c.target
    got = (f"+-{c.precision * 100:.2g}% of the mean" if t.relative and math.isfinite(c.precision)
           else f"+-{format_number(c.half_width)}" if math.isfinite(c.half_width) else "no interval")
    verdict = "met" if c.met else "NOT met"
    when = f", first met at {needed}" if needed is not None and c.met else ""
    on = f"{c.n} {what}" if c.n != 1 else f"1 {what.rstrip('s')}"
    line = f"  {t.metric}: target {t.describe()}; {got} on {on}: {verdict}{when}"
    notes = {
        "constant": "the same value in every run: no spread",
        "rule of three": f"the same value in every run (a rare event not seen yet): half-width taken as 3/{c.n}",
        "too few values": "fewer than 2 values that are numbers",
        "mean 0": "the mean is 0: a relative target cannot be met, give an absolute one (METRIC=0.02)",
        "includes 0": "the interval includes 0: a relative target may need very many runs, an absolute one "
                      "(METRIC=0.02) may suit better",
    }
    said = [notes[k] for k in c.note.split("; ") if k in notes]
    if c.note == "constant" and t.relative and c.mean == 0.0:
        said = ["0 in every run: no spread"]
    return line + (f" ({'; '.join(said)})" if said else "")


@dataclass(frozen=True)
class Step:
    """One checkpoint of :func:`iter_sequential`: ``reps`` values so far, the checks there, the report at the end."""

    reps: int
    checks: tuple[Check, ...]
    report: PrecisionReport | None = None

    @property
    def finished(self) -> bool:
        """Whether the procedure has ended here (then :attr:`report` is set)."""
        return self.report is not None


def iter_sequential(more: Callable[[int, int], Mapping[str, Any]], plan: Plan, *, difference: bool = False,
                    what: str = "replications", values: dict[str, np.ndarray] | None = None) -> Iterator[Step]:
    """:func:`sequential`, one checkpoint at a time: yields a :class:`Step` after each (for live displays).

    The last step has ``finished`` true and the report. ``values``, when given, is a dict
    that holds every value drawn so far (filled here).

    Examples
    --------
    >>> plan = Plan(as_targets("final_trust=1.0"), initial=3, batch=2, max_reps=15)
    >>> data = [10, 12, 11, 13, 9, 11, 10, 12, 11, 11]
    >>> [(s.reps, s.finished) for s in iter_sequential(lambda a, b: {"final_trust": data[a:b]}, plan)]
    [(3, False), (5, False), (7, False), (9, True)]
    """
    cols: dict[str, list[np.ndarray]] = {m: [] for m in plan.metrics}
    have, after = 0, 0
    needed: dict[str, int | None] = dict.fromkeys(plan.metrics)
    while True:
        arrays = {m: np.concatenate(v) if v else np.empty(0) for m, v in cols.items()}
        if values is not None:
            values.update(arrays)
        stop, target, checks, needed = decide(arrays, have, plan, difference=difference, after=after, needed=needed)
        if checks:
            after = have
        if stop:
            yield Step(target, checks, PrecisionReport(plan, target, checks, dict(needed), what))
            return
        if checks:
            yield Step(have, checks)
        got = more(have, target)
        for m in plan.metrics:
            if m not in got:
                raise KeyError(f"more({have}, {target}) gave no values for {m!r}")
            v = np.asarray(got[m], dtype=float).reshape(-1)
            if v.size != target - have:
                raise ValueError(f"more({have}, {target}) gave {v.size} values for {m!r}, not {target - have}")
            cols[m].append(v)
        have = target


def sequential(more: Callable[[int, int], Mapping[str, Any]], plan: Plan, *, difference: bool = False,
               what: str = "replications",
               on_batch: Callable[[int, tuple[Check, ...]], None] | None = None,
               ) -> tuple[dict[str, np.ndarray], PrecisionReport]:
    """The generic sequential procedure: ask ``more(start, stop)`` for values until the targets hold.

    Parameters
    ----------
    more
        ``more(start, stop)`` returns, for every target metric, the values of replications
        ``start..stop-1`` (a sequence of ``stop - start`` numbers each; NaN for a missing
        value). Called with consecutive ranges: ``(0, n0)``, ``(n0, n0 + b)``, ...
    plan
        Targets, first batch, batch size, maximum, level.
    difference
        The values are paired differences (see :func:`assess`).
    what
        ``"replications"`` or ``"pairs"``, for the report's words.
    on_batch
        Called after each checkpoint with ``(reps, checks)`` (progress, live displays).

    Returns
    -------
    (values, report)
        Every value drawn (``reps`` per metric, in replication order) and the
        :class:`PrecisionReport`.
    """
    values: dict[str, np.ndarray] = {}
    for step in iter_sequential(more, plan, difference=difference, what=what, values=values):
        if on_batch is not None:
            on_batch(step.reps, step.checks)
        if step.report is not None:
            return {m: a[:step.reps] for m, a in values.items()}, step.report
    raise AssertionError("unreachable: iter_sequential ends with a report")  # pragma: no cover
