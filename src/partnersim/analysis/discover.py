"""Scenario discovery on a finished sweep: where does the partnership fail, said in plain words.

A condition on one metric (``survived < 0.8``), tested on each design point's mean over its
replications, splits the sweep's points into cases of interest and the rest. Two views of
where the cases of interest lie:

- **PRIM boxes** (EMA Workbench's :class:`ema_workbench.analysis.prim.Prim`, data-type aware:
  numbers, yes/no and lists of choices): a box is a range per number and a set of allowed
  values per choice. Its *coverage* is the share of all cases of interest inside it, its
  *density* the share of the points inside it that are cases of interest. Peeling gives a
  trajectory of ever smaller, denser boxes; one step on it is chosen (by default the one with
  the highest coverage whose density reaches a target, 80% unless told; any other with
  ``box=K``). Restrictions whose quasi-p value (Bryant & Lempert 2010, a one-sided binomial
  test) is above 0.05 are dropped from the chosen box before it is described, and its
  coverage and density are computed again for what is described.
- **A shallow decision tree** (scikit-learn's CART, depth 2 or 3): its leaves in words.

Everything is a pure function of the sweep's stored runs and the arguments (PRIM peels
deterministically; the tree's ``random_state`` is fixed).

Examples
--------
>>> from partnersim.analysis.discover import discover
>>> d = discover("out/sweep_levers_sobol", where="survived < 0.8")  # doctest: +SKIP
>>> print("\\n".join(d.words()))  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partnersim.analysis.units import format_number, format_value, metric_label, metric_unit
from partnersim.scenario import InputError

__all__ = ["OPERATORS", "Condition", "parse_where", "Limit", "Box", "Leaf", "Discovery", "discover",
           "field_label", "limit_words", "QP_ALPHA"]

#: Comparison operators of ``--where`` and what they say.
OPERATORS: dict[str, str] = {"<=": "is at most", ">=": "is at least", "==": "is exactly", "!=": "is not",
                             "<": "is below", ">": "is above"}
QP_ALPHA = 0.05  # restrictions of a chosen box with a larger quasi-p value are dropped before it is described
_KEYS = ("point_id", "replication", "seed", "exit_reason", "error")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_WHERE = re.compile(r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>\S.*?)\s*$")


# -- the condition ------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """A comparison of one metric's per-point mean with a threshold: ``survived < 0.8``."""

    metric: str
    op: str
    threshold: float

    def test(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """Which values meet the condition (NaN never does)."""
        v = np.asarray(values, dtype=float)
        t = self.threshold
        with np.errstate(invalid="ignore"):
            out = {"<": v < t, "<=": v <= t, ">": v > t, ">=": v >= t, "==": v == t, "!=": v != t}[self.op]
        return out & np.isfinite(v)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"

    def words(self, partners: tuple[str, str] | None = None, currency: str = "") -> str:
        """The condition in plain words: ``the chance that the partnership survives is below 80%``."""
        return (f"{metric_label(self.metric, partners)} {OPERATORS[self.op]} "
                f"{format_value(self.threshold, metric_unit(self.metric), currency)}")


def parse_where(text: str, metrics: Sequence[str] | None = None, source: str = "--where") -> Condition:
    """Parse ``METRIC OP NUMBER`` (``OP`` one of ``< <= > >= == !=``).

    An unknown metric (when ``metrics`` is given), a missing operator or a threshold that is
    not a finite number raise :class:`~partnersim.scenario.InputError` naming ``source``.

    Examples
    --------
    >>> parse_where("survived < 0.8")
    Condition(metric='survived', op='<', threshold=0.8)
    >>> str(parse_where("joint_revenue>=2e5", ["joint_revenue"]))
    'joint_revenue >= 200000'
    """
    m = _WHERE.match(str(text))
    if m is None:
        raise InputError(source, None, f"{text!r}: expected METRIC OP NUMBER, such as \"survived < 0.8\" "
                         f"(OP one of {' '.join(sorted(OPERATORS, key=len))})")
    metric, op, value = m.group("metric"), m.group("op"), m.group("value")
    if metrics is not None and metric not in metrics:
        g = difflib.get_close_matches(metric, list(metrics), n=1)
        raise InputError(source, None, f"unknown metric {metric!r}" + (f"; did you mean {g[0]!r}?" if g else
                                                                        " (not a metric of this sweep)"))
    if not re.fullmatch(_NUMBER, value) or not math.isfinite(float(value)):
        raise InputError(source, None, f"{text!r}: the threshold {value!r} is not a finite number")
    return Condition(metric, op, float(value))


# -- fields in words ----------------------------------------------------------------------
_NAMES = {
    "agreement.goal_clarity": "goal clarity",
    "agreement.co_ownership": "co-ownership of decisions",
    "agreement.informal_per_month": "informal contact",
    "agreement.cadence.weekly.interval_days": "the time between check-ins",
    "agreement.cadence.monthly.interval_days": "the time between strategic reviews",
    "agreement.cadence.quarterly.interval_days": "the time between deep dives",
    "agreement.review.interval_days": "the time between partnership reviews",
    "agreement.consensus_threshold": "the cost above which an initiative needs consensus",
    "agreement.cross_training_hours": "cross-training",
    "partner_a.money_capacity": "{A}'s money for the partnership", "partner_b.money_capacity":
    "{B}'s money for the partnership", "partner_a.staff_hours": "{A}'s staff hours for the partnership",
    "partner_b.staff_hours": "{B}'s staff hours for the partnership",
    "horizon_days": "the period simulated",
}
_YES_NO = {
    "agreement.cadence.weekly.enabled": ("there are weekly check-ins", "there are no weekly check-ins"),
    "agreement.cadence.monthly.enabled": ("there are monthly reviews", "there are no monthly reviews"),
    "agreement.cadence.quarterly.enabled": ("there are quarterly deep dives", "there are no quarterly deep dives"),
    "agreement.cadence.rotate_times": ("meeting times rotate", "meeting times do not rotate"),
    "agreement.shared_platform": ("there is a shared online platform", "there is no shared online platform"),
    "agreement.conflict.procedure": ("there is an agreed conflict procedure", "there is no agreed conflict procedure"),
    "agreement.conflict.facilitator": ("a neutral facilitator takes escalated conflicts",
                                       "there is no neutral facilitator"),
    "agreement.separate_budget": ("partnership spending has its own budget",
                                  "partnership spending comes out of core operations"),
    "agreement.integrated_tracking": ("costs and revenue are tracked jointly", "costs and revenue are not tracked "
                                      "jointly"),
    "agreement.joint_crm": ("customers are managed jointly", "customers are not managed jointly"),
    "agreement.clarity_after_shift": ("leaders meet after a market shift", "leaders do not meet after a market shift"),
    "agreement.review.adaptive": ("reviews act on what they see", "reviews do not adapt the agreement"),
}
_CHOICES = {
    "agreement.funding_rule": ("costs are split", {"equal": "equally", "capacity": "by capacity",
                                                   "benefit": "by expected benefit", "fund": "from a shared fund"}),
    "agreement.attribution": ("joint revenue is attributed", {"equal": "equally", "contribution": "by contribution",
                                                              "origin": "to the partner that brought it"}),
}


def _fill(text: str, partners: tuple[str, str] | None) -> str:
    a, b = partners or ("partner A", "partner B")
    return text.format(A=a, B=b)


def field_label(path: str, partners: tuple[str, str] | None = None) -> str:
    """A scenario field's name in plain words (``agreement.goal_clarity`` -> ``goal clarity``).

    Examples
    --------
    >>> field_label("agreement.goal_clarity"), field_label("partner_b.reliability", ("Big", "Small"))
    ('goal clarity', "Small's reliability")
    """
    if path in _NAMES:
        return _fill(_NAMES[path], partners)
    if path in _YES_NO:
        return _YES_NO[path][0].replace("there are ", "").replace("there is ", "")
    if path in _CHOICES:
        return path.rsplit(".", 1)[-1].replace("_", " ")
    parts = path.split(".")
    leaf = parts[-2] if parts[-1] == "enabled" and len(parts) > 1 else parts[-1]
    words = leaf.replace("_", " ")
    if parts[0] in ("partner_a", "partner_b") and len(parts) > 1:
        a, b = partners or ("partner A", "partner B")
        return f"{a if parts[0] == 'partner_a' else b}'s {words}"
    return words


def _unit(path: str) -> str:
    from partnersim.scenario import field_units

    return field_units().get(path, ("", ""))[0]


def _value_text(path: str, v: float, currency: str) -> str:
    unit = _unit(path)
    if unit in ("0/1", "fraction", "0..1", "1/year") or unit.startswith("currency") or unit in ("days", "hours"):
        return format_value(v, unit, currency)
    return f"{format_number(v)} {unit}".strip()


def _values_text(path: str, values: Sequence[Any], every: Sequence[Any] = ()) -> str:
    """Allowed values in words; all but one of three or more: said as the one excluded."""
    left_out = [v for v in every if v not in set(values)]
    negate = len(left_out) == 1 and len(every) >= 3
    shown = left_out if negate else list(values)
    if path in _CHOICES:
        verb, said = _CHOICES[path][0], [_CHOICES[path][1].get(str(v), str(v)) for v in shown]
        if negate:
            verb = verb.replace(" are ", " are not ", 1).replace(" is ", " is not ", 1)
        return f"{verb} {' or '.join(said)}"
    return f"{field_label(path)} is {'not ' if negate else ''}{' or '.join(str(v) for v in shown)}"


# -- boxes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    """One restricted dimension of a box (or of a tree leaf).

    Attributes
    ----------
    parameter
        The dotted scenario path.
    kind
        ``"range"`` (a number) or ``"set"`` (yes/no or a list of choices).
    lower, upper
        The box's limits on a number (``None`` on a side that is not restricted).
    values
        The allowed values of a yes/no or choice field (``()`` for numbers).
    full
        The sweep's range ``(min, max)`` of a number, or every value of a choice.
    qp_lower, qp_upper
        Quasi-p values of the restriction on each side (``None`` when not computed or not restricted).
    inclusive
        Whether ``lower`` and ``upper`` are values the points take (a PRIM box: "at least",
        "at most") rather than thresholds between them (a tree: "above", "below").
    """

    parameter: str
    kind: str
    lower: float | None = None
    upper: float | None = None
    values: tuple[Any, ...] = ()
    full: tuple[Any, ...] = ()
    qp_lower: float | None = None
    qp_upper: float | None = None
    inclusive: bool = False


def limit_words(lim: Limit, partners: tuple[str, str] | None = None, currency: str = "") -> str:
    """One restriction in plain words: ``goal clarity is below 35/100``, ``there are no weekly check-ins``.

    Examples
    --------
    >>> limit_words(Limit("agreement.goal_clarity", "range", upper=0.35))
    'goal clarity is below 35/100'
    >>> limit_words(Limit("agreement.cadence.weekly.enabled", "set", values=(False,)))
    'there are no weekly check-ins'
    """
    p = lim.parameter
    if lim.kind == "set":
        vals = list(lim.values)
        if p in _YES_NO and len(vals) == 1 and isinstance(vals[0], (bool, np.bool_)):
            return _YES_NO[p][0 if vals[0] else 1]
        if len(vals) == 1 and isinstance(vals[0], (bool, np.bool_)):
            return f"{'with' if vals[0] else 'without'} {field_label(p, partners)}"
        return _fill(_values_text(p, vals, lim.full), partners)
    name = field_label(p, partners)
    lo, hi = lim.lower, lim.upper
    if lo is not None and hi is not None:
        from partnersim.analysis.units import format_range

        unit = _unit(p)
        text = format_range(lo, hi, unit, currency) if unit else f"{format_number(lo)} to {format_number(hi)}"
        return f"{name} is between {text.replace(' to ', ' and ', 1)}"
    if hi is not None:
        return f"{name} is {'at most' if lim.inclusive else 'below'} {_value_text(p, hi, currency)}"
    if lo is not None:
        return f"{name} is {'at least' if lim.inclusive else 'above'} {_value_text(p, lo, currency)}"
    return f"{name} is anything"


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


@dataclass(frozen=True)
class Box:
    """A chosen PRIM box: its restrictions and how well it describes the cases of interest.

    Attributes
    ----------
    index
        The box's number (0 is the first PRIM found).
    step
        The chosen point on its peeling trajectory.
    limits
        The restricted dimensions (significant restrictions only).
    coverage, density, mass
        Share of all cases of interest inside; share of the points inside that are cases of
        interest; share of all points inside.
    n, k
        Points inside, cases of interest inside.
    mean_inside, mean_outside
        The metric's mean over the points inside, and over the points outside this box and the
        boxes found before it.
    dropped
        Restrictions dropped because their quasi-p value was above :data:`QP_ALPHA`.
    """

    index: int
    step: int
    limits: tuple[Limit, ...]
    coverage: float
    density: float
    mass: float
    n: int
    k: int
    mean_inside: float
    mean_outside: float
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Leaf:
    """A leaf of the decision tree: its path as limits and the share of cases of interest in it."""

    limits: tuple[Limit, ...]
    n: int
    k: int
    share: float
    coverage: float
    mean: float


@dataclass
class Discovery:
    """What :func:`discover` found: boxes, the peeling trajectory of the first, and the tree's leaves.

    Attributes
    ----------
    condition
        The condition that defines the cases of interest.
    points
        One row per design point: the parameters, ``value`` (the metric's mean over the point's
        replications) and ``hit`` (whether it meets the condition).
    parameters
        The swept parameters (dotted paths).
    boxes
        The chosen boxes, first found first (empty when PRIM found none dense enough).
    trajectory
        The first box's peeling trajectory: ``step, coverage, density, mass, n, k, res_dim,
        chosen`` (PRIM's own numbers, before insignificant restrictions are dropped).
    tree
        The decision tree's leaves, densest first.
    replications
        Replications per point (``None`` when not known).
    name
        The sweep's name.
    partners, currency
        For the words.
    notes
        Points left out and other remarks, one sentence each.
    """

    condition: Condition
    points: pd.DataFrame
    parameters: list[str]
    boxes: list[Box]
    trajectory: pd.DataFrame
    tree: list[Leaf]
    replications: int | None = None
    name: str = ""
    partners: tuple[str, str] | None = None
    currency: str = ""
    notes: list[str] = field(default_factory=list)
    trajectory_limits: list[tuple[Limit, ...]] = field(default_factory=list, repr=False)

    @property
    def n_hits(self) -> int:
        """Number of points that meet the condition."""
        return int(self.points["hit"].sum())

    def box_words(self, box: Box) -> str:
        """One box in plain words."""
        cond = self.condition.words(self.partners, self.currency)
        unit, cur = metric_unit(self.condition.metric), self.currency
        inside, outside = format_value(box.mean_inside, unit, cur), format_value(box.mean_outside, unit, cur)
        if not box.limits:  # step 0 (or a box on everything left): nothing restricted
            return (f"Across the whole sweep, {cond} in {_pct(box.density)} of the settings tried ({box.k:,} of "
                    f"{box.n:,}; on average {inside}).")
        where = _join([limit_words(lim, self.partners, cur) for lim in box.limits])
        return (f"When {where}, {cond} in {_pct(box.density)} of the settings tried ({box.k:,} of {box.n:,}; "
                f"on average {inside}, against {outside} elsewhere); this covers {_pct(box.coverage)} of the "
                f"{self.n_hits:,} settings where it does.")

    def leaf_words(self, leaf: Leaf) -> str:
        """One tree leaf in plain words."""
        cond = self.condition.words(self.partners, self.currency)
        where = _join([limit_words(lim, self.partners, self.currency) for lim in leaf.limits]) or "everywhere"
        return (f"When {where}: {cond} in {_pct(leaf.share)} of the settings ({leaf.k:,} of {leaf.n:,}; "
                f"{_pct(leaf.coverage)} of all such settings).")

    def words(self, *, tree: bool = True) -> list[str]:
        """The findings in plain words: a headline, each box, then the tree's leaves where most points are hits."""
        cond = self.condition.words(self.partners, self.currency)
        n = len(self.points)
        reps = f", each the mean of {self.replications} replications" if self.replications else ""
        out = [f"{cond[:1].upper() + cond[1:]} in {self.n_hits:,} of the {n:,} settings tried "
               f"({_pct(self.n_hits / n)}{reps})."]
        if not self.boxes:
            out.append("PRIM found no region where most settings meet the condition.")
        out += [self.box_words(b) for b in self.boxes]
        if tree:
            dense = [lf for lf in self.tree if lf.share >= 0.5]
            if dense:
                out.append("A decision tree says it another way:")
                out += [self.leaf_words(lf) for lf in dense]
        return out

    def table(self) -> pd.DataFrame:
        """One row per box: ``box, step, coverage, density, mass, n, k, mean_inside, mean_outside, restricted``."""
        rows = [{"box": b.index + 1, "step": b.step, "coverage": b.coverage, "density": b.density, "mass": b.mass,
                 "n": b.n, "k": b.k, "mean_inside": b.mean_inside, "mean_outside": b.mean_outside,
                 "restricted": "; ".join(lim.parameter for lim in b.limits)} for b in self.boxes]
        return pd.DataFrame(rows, columns=["box", "step", "coverage", "density", "mass", "n", "k", "mean_inside",
                                           "mean_outside", "restricted"])

    def limits_table(self) -> pd.DataFrame:
        """One row per restricted dimension of each box: limits, allowed values, the sweep's range, quasi-p values."""
        rows = []
        for b in self.boxes:
            for lim in b.limits:
                rows.append({"box": b.index + 1, "parameter": lim.parameter, "kind": lim.kind, "lower": lim.lower,
                             "upper": lim.upper, "values": "|".join(map(str, lim.values)),
                             "range": "|".join(map(str, lim.full)), "qp_lower": lim.qp_lower,
                             "qp_upper": lim.qp_upper, "words": limit_words(lim, self.partners, self.currency)})
        return pd.DataFrame(rows, columns=["box", "parameter", "kind", "lower", "upper", "values", "range", "qp_lower",
                                           "qp_upper", "words"])

    def tree_table(self) -> pd.DataFrame:
        """One row per tree leaf, densest first: ``leaf, n, k, share, coverage, mean, words``."""
        return pd.DataFrame([{"leaf": i + 1, "n": lf.n, "k": lf.k, "share": lf.share, "coverage": lf.coverage,
                              "mean": lf.mean, "words": self.leaf_words(lf)} for i, lf in enumerate(self.tree)],
                            columns=["leaf", "n", "k", "share", "coverage", "mean", "words"])


# -- reading the data ----------------------------------------------------------------------
def _from_folder(folder: Path, where: str | Condition) -> tuple[pd.DataFrame, list[str], Condition, dict[str, Any]]:
    from partnersim.analysis.sensitivity import load_sweep_data, point_means

    data = load_sweep_data(folder)
    cond = where if isinstance(where, Condition) else parse_where(where, data.metrics)
    if cond.metric not in data.metrics:
        raise InputError("--where", None, f"unknown metric {cond.metric!r} (not a metric of this sweep)")
    names = data.names
    frame = data.points[names].reset_index(drop=True).copy()
    frame["value"] = point_means(data.runs, cond.metric, len(frame))
    info: dict[str, Any] = {"replications": int(data.manifest.get("replications") or 0) or None,
                            "name": str(data.manifest.get("name") or folder.name)}
    try:
        from partnersim.analysis.units import currency_of, partner_names
        from partnersim.scenario import load_scenario

        base = load_scenario(folder / "base.toml")
        info["partners"], info["currency"] = partner_names(base), currency_of(base)
    except Exception:  # an older folder without its base: the generic names
        pass
    return frame, names, cond, info


def _from_frame(df: pd.DataFrame, where: str | Condition, parameters: Sequence[str] | None
                ) -> tuple[pd.DataFrame, list[str], Condition, dict[str, Any]]:
    from partnersim.model import METRICS

    cond = where if isinstance(where, Condition) else parse_where(where)
    if parameters is None:
        parameters = [c for c in df.columns if c not in _KEYS and c not in METRICS and not str(c).startswith("u.")
                      and c != cond.metric]
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               and c not in parameters and c not in _KEYS]
    if cond.metric not in numeric:
        g = difflib.get_close_matches(cond.metric, numeric, n=1)
        raise InputError("where", None, f"unknown metric {cond.metric!r}" + (f"; did you mean {g[0]!r}?" if g else
                                                                              " (not a numeric column)"))
    missing = [p for p in parameters if p not in df.columns]
    if missing:
        raise InputError("parameters", None, f"not columns of the frame: {', '.join(missing)}")
    parameters = list(parameters)
    if "point_id" in df:
        ok = df[df["error"].fillna("") == ""] if "error" in df else df
        frame = df.groupby("point_id", sort=True)[parameters].first()
        frame["value"] = ok.groupby("point_id")[cond.metric].mean()
        reps = int(df.groupby("point_id").size().max())
        frame = frame.reset_index(drop=True)
    else:
        frame = df[parameters].reset_index(drop=True).copy()
        frame["value"] = pd.to_numeric(df[cond.metric], errors="coerce").to_numpy(dtype=float)
        reps = None
    return frame, parameters, cond, {"replications": reps, "name": ""}


def _kinds(x: pd.DataFrame) -> dict[str, str]:
    out = {}
    for c in x.columns:
        s = x[c]
        out[c] = "range" if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) else "set"
    return out


def _for_prim(x: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame(index=x.index)
    for c in x.columns:
        if kinds[c] == "set":
            out[c] = pd.Series(list(x[c]), index=x.index, dtype=object)
        else:
            out[c] = x[c].astype(np.int64 if pd.api.types.is_integer_dtype(x[c]) else float)
    return out


def _sorted_values(values: Any) -> tuple[Any, ...]:
    return tuple(sorted(values, key=lambda v: (str(type(v)), v)))


# -- PRIM ----------------------------------------------------------------------------------
def _limits_of(lims: pd.DataFrame, init: pd.DataFrame, qp: dict[str, list[float]], kinds: dict[str, str],
               x: pd.DataFrame, *, clean: bool) -> tuple[tuple[Limit, ...], tuple[str, ...]]:
    """The restricted dimensions of PRIM's box limits (``clean``: insignificant sides dropped)."""
    out, dropped = [], []
    for c in lims.columns:
        q = qp.get(c)
        if kinds[c] == "set":
            allowed, every = set(lims[c].iloc[0]), set(init[c].iloc[0])
            if allowed == every:
                continue
            qv = q[0] if q and q[0] >= 0 else None
            if clean and qv is not None and qv > QP_ALPHA:
                dropped.append(c)
                continue
            out.append(Limit(c, "set", values=_sorted_values(allowed), full=_sorted_values(every), qp_lower=qv))
            continue
        lo, hi = float(lims[c].iloc[0]), float(lims[c].iloc[1])
        lo0, hi0 = float(init[c].iloc[0]), float(init[c].iloc[1])
        qlo = q[0] if q and q[0] >= 0 else None
        qhi = q[1] if q and q[1] >= 0 else None
        lower = lo if lo > lo0 else None
        upper = hi if hi < hi0 else None
        if clean:
            sides = []
            if lower is not None and (qlo is None or qlo > QP_ALPHA):
                lower = None
                sides.append("lower")
            if upper is not None and (qhi is None or qhi > QP_ALPHA):
                upper = None
                sides.append("upper")
            if sides:
                dropped.append(c if len(sides) == 2 or (lower is None and upper is None) else f"{c} ({sides[0]})")
        if lower is None and upper is None:
            continue
        full = (float(np.nanmin(x[c])), float(np.nanmax(x[c])))
        out.append(Limit(c, "range", lower=lower, upper=upper, full=full,
                         qp_lower=qlo if lower is not None else None, qp_upper=qhi if upper is not None else None))
    return tuple(out), tuple(dropped)


def _inside(x: pd.DataFrame, limits: Sequence[Limit]) -> np.ndarray:
    mask = np.ones(len(x), dtype=bool)
    for lim in limits:
        col = x[lim.parameter]
        if lim.kind == "set":
            mask &= col.isin(list(lim.values)).to_numpy()
            continue
        v = col.to_numpy(dtype=float)
        if lim.lower is not None:
            mask &= v >= lim.lower
        if lim.upper is not None:
            mask &= v <= lim.upper
    return mask


def _snapped(limits: Sequence[Limit], inside: pd.DataFrame) -> tuple[Limit, ...]:
    """Limits on numbers moved to the values the points inside take (same points; exact, inclusive bounds)."""
    out = []
    for lim in limits:
        if lim.kind == "range":
            v = inside[lim.parameter].to_numpy(dtype=float)
            lim = replace(lim, lower=float(v.min()) if lim.lower is not None else None,
                          upper=float(v.max()) if lim.upper is not None else None, inclusive=True)
        out.append(lim)
    return tuple(out)


def _default_step(traj: pd.DataFrame, target: float) -> int | None:
    """The highest-coverage restricted step whose density reaches ``target``, else the densest restricted one."""
    t = traj[traj["res_dim"] > 0]
    if not len(t):
        return None
    ok = t[t["density"] >= target - 1e-12]
    if len(ok):
        best = ok[np.isclose(ok["coverage"], ok["coverage"].max())]
        return int(best.sort_values(["density", "res_dim"], ascending=[False, True], kind="stable").index[0])
    best = t[np.isclose(t["density"], t["density"].max())]
    return int(best.sort_values(["coverage", "res_dim"], ascending=[False, True], kind="stable").index[0])


def _prim_boxes(x: pd.DataFrame, hit: np.ndarray, value: np.ndarray, kinds: dict[str, str], *, step: int | None,
                max_boxes: int, target: float, peel_alpha: float, mass_min: float
                ) -> tuple[list[Box], pd.DataFrame, list[tuple[Limit, ...]], list[str]]:
    with warnings.catch_warnings():  # optional extras it does not find (ipyparallel, altair): not our business
        warnings.simplefilter("ignore")
        import logging

        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    xp = _for_prim(x, kinds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # PRIM keeps any box denser than the sweep as a whole; which step to describe is chosen below
        p = prim.Prim(xp, hit.astype(int), threshold=float(hit.mean()), peel_alpha=peel_alpha, mass_min=mass_min)
    base = float(hit.mean())
    if base >= target:  # most of the sweep is already that dense: ask for halfway to a pure box
        notes_target = [f"{_pct(base)} of all settings meet the condition, more than the target density "
                        f"{_pct(target)}; the box aims at {_pct((base + 1) / 2)} instead"]
        target = (base + 1) / 2
    else:
        notes_target = []
    boxes: list[Box] = []
    trajectory = pd.DataFrame()
    traj_limits: list[tuple[Limit, ...]] = []
    taken = np.zeros(len(x), dtype=bool)
    total = int(hit.sum())
    notes: list[str] = notes_target
    for j in range(max_boxes):
        if int(hit[~taken].sum()) == 0:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        if len(traj) <= 1:
            break  # PRIM's dump box: nothing dense enough left
        chosen = _default_step(traj, target) if (j > 0 or step is None) else step
        if j == 0:
            if chosen is None or not 0 <= chosen < len(traj):
                raise InputError("--box", None, f"{chosen} is not a step of the peeling trajectory (0 to "
                                 f"{len(traj) - 1})")
            trajectory = pd.DataFrame({"step": np.arange(len(traj)), "coverage": traj["coverage"].astype(float),
                                       "density": traj["density"].astype(float), "mass": traj["mass"].astype(float),
                                       "n": traj["n"].astype(int), "k": traj["k"].astype(int),
                                       "res_dim": traj["res_dim"].astype(int)})
            trajectory["chosen"] = trajectory["step"] == chosen
            traj_limits = [_limits_of(box.box_lims[i], p.box_init, box.qp[i], kinds, x, clean=False)[0]
                           for i in range(len(traj))]
            if step is None and float(traj["density"].iloc[chosen]) < target:
                notes.append(f"no step of the first box reaches a density of {_pct(target)}; the densest is "
                             f"described ({_pct(float(traj['density'].iloc[chosen]))})")
        elif chosen is None or float(traj["density"].iloc[chosen]) < target:
            break  # later boxes only when they are dense enough
        limits, dropped = _limits_of(box.box_lims[chosen], p.box_init, box.qp[chosen], kinds, x, clean=True)
        if not limits:  # nothing significant: describe PRIM's box as it is, and say so
            limits, dropped = _limits_of(box.box_lims[chosen], p.box_init, box.qp[chosen], kinds, x, clean=False), ()
            limits = limits[0]
            hint = (f"no restriction of box {j + 1} is statistically clear (every quasi-p value is above "
                    f"{QP_ALPHA:g}): read it as a hint, and run more points or replications to confirm it")
        else:
            hint = ""
        inside = _inside(x, limits) & ~taken
        k, n = int(hit[inside].sum()), int(inside.sum())
        if n == 0 or k == 0 or (j > 0 and k / n < target):
            break
        limits = _snapped(limits, x[inside])
        boxes.append(Box(index=j, step=chosen, limits=limits, coverage=k / total, density=k / n, mass=n / len(x),
                         n=n, k=k, mean_inside=float(np.nanmean(value[inside])),
                         mean_outside=float(np.nanmean(value[~(inside | taken)])) if (~(inside | taken)).any()
                         else math.nan,
                         dropped=dropped))
        if hint:
            notes.append(hint)
        # what PRIM takes out before looking for the next box: the box as described
        remaining = p.yi_remaining
        box.update(box.box_lims[chosen], remaining[inside[remaining]])
        taken |= inside
    return boxes, trajectory, traj_limits, notes


# -- the tree ------------------------------------------------------------------------------
def _tree_leaves(x: pd.DataFrame, hit: np.ndarray, value: np.ndarray, kinds: dict[str, str], depth: int
                 ) -> list[Leaf]:
    from sklearn.tree import DecisionTreeClassifier

    cols: list[np.ndarray] = []
    meaning: list[tuple[str, Any]] = []  # (parameter, None for a number | a value for a one-hot column)
    for c in x.columns:
        s = x[c]
        if kinds[c] == "range":
            cols.append(s.to_numpy(dtype=float))
            meaning.append((c, None))
        else:
            for v in _sorted_values(set(s)):
                cols.append((s == v).to_numpy(dtype=float))
                meaning.append((c, v))
    features = np.column_stack(cols) if cols else np.zeros((len(x), 0))
    clf = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(3, len(x) // 20), random_state=0)
    clf.fit(features, hit.astype(int))
    t = clf.tree_
    total = max(1, int(hit.sum()))
    leaves = []

    def walk(node: int, path: list[tuple[int, bool, float]]) -> None:
        if t.children_left[node] == -1:
            ids = clf.apply(features) == node
            n, k = int(ids.sum()), int(hit[ids].sum())
            leaves.append(Leaf(limits=_path_limits(path, meaning, x, kinds), n=n, k=k, share=k / n if n else 0.0,
                               coverage=k / total, mean=float(np.nanmean(value[ids])) if n else math.nan))
            return
        f, thr = int(t.feature[node]), float(t.threshold[node])
        walk(int(t.children_left[node]), [*path, (f, True, thr)])
        walk(int(t.children_right[node]), [*path, (f, False, thr)])

    walk(0, [])
    return sorted(leaves, key=lambda lf: (-lf.share, -lf.k))


def _path_limits(path: list[tuple[int, bool, float]], meaning: list[tuple[str, Any]], x: pd.DataFrame,
                 kinds: dict[str, str]) -> tuple[Limit, ...]:
    ranges: dict[str, list[float | None]] = {}
    sets: dict[str, set[Any]] = {}
    for f, left, thr in path:
        c, v = meaning[f]
        if v is None:  # a number: left is <= thr
            lo_hi = ranges.setdefault(c, [None, None])
            if left:
                lo_hi[1] = thr if lo_hi[1] is None else min(lo_hi[1], thr)
            else:
                lo_hi[0] = thr if lo_hi[0] is None else max(lo_hi[0], thr)
        else:  # a one-hot column: left is "not v"
            allowed = sets.setdefault(c, set(x[c]))
            sets[c] = allowed - {v} if left else allowed & {v}
    out = []
    for c in x.columns:
        if c in ranges:
            lo, hi = ranges[c]
            out.append(Limit(c, "range", lower=lo, upper=hi, full=(float(x[c].min()), float(x[c].max()))))
        elif c in sets and sets[c] != set(x[c]):
            out.append(Limit(c, "set", values=_sorted_values(sets[c]), full=_sorted_values(set(x[c]))))
    return tuple(out)


# -- the entry point -----------------------------------------------------------------------
def discover(source: str | Path | pd.DataFrame, where: str | Condition, *, parameters: Sequence[str] | None = None,
             box: int | None = None, max_boxes: int = 2, target_density: float = 0.8, peel_alpha: float = 0.05,
             mass_min: float = 0.05, tree_depth: int = 2) -> Discovery:
    """Scenario discovery: PRIM boxes and a shallow decision tree of where ``where`` holds.

    Parameters
    ----------
    source
        A finished sweep folder, or a DataFrame: run rows with ``point_id`` (averaged per point,
        failed runs left out) or one row per point.
    where
        ``"METRIC OP NUMBER"`` (see :func:`parse_where`) or a :class:`Condition`.
    parameters
        For a DataFrame: the parameter columns (default: every column that is not a key, a
        metric or a unit sample).
    box
        The step of the first box's peeling trajectory to choose (default: the step with the
        highest coverage whose density reaches ``target_density``, else the densest step).
    max_boxes
        How many boxes to look for, one after another, each on the points the previous left
        (a later box only if it reaches ``target_density``).
    target_density
        The density a chosen box should reach.
    peel_alpha, mass_min
        PRIM's share peeled per step and the smallest box, as a share of the points.
    tree_depth
        Depth of the decision tree (2 or 3 reads best).

    Returns
    -------
    Discovery

    Raises
    ------
    InputError
        Not a finished sweep folder, an unknown metric, a condition no point (or every point)
        meets, or a ``box`` that is not a step of the trajectory.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"agreement.goal_clarity": rng.uniform(0, 1, 300), "noise": rng.uniform(0, 1, 300)})
    >>> df["survived"] = np.where(df["agreement.goal_clarity"] < 0.3, 0.4, 0.95)
    >>> d = discover(df, "survived < 0.8")
    >>> [lim.parameter for lim in d.boxes[0].limits], round(d.boxes[0].density, 2)
    (['agreement.goal_clarity'], 1.0)
    """
    if isinstance(source, pd.DataFrame):
        frame, names, cond, info = _from_frame(source, where, parameters)
    else:
        frame, names, cond, info = _from_folder(Path(source), where)
    notes = []
    bad = ~np.isfinite(frame["value"].to_numpy(dtype=float))
    if bad.any():
        notes.append(f"{int(bad.sum())} of {len(frame)} settings left out: {cond.metric} is undefined there "
                     "(no successful run with a value)")
        frame = frame[~bad].reset_index(drop=True)
    hit = cond.test(frame["value"])
    frame["hit"] = hit
    src = "--where"
    if len(frame) == 0:
        raise InputError(src, None, f"{cond.metric} is undefined at every point; nothing to discover")
    if not hit.any() or hit.all():
        v = frame["value"]
        raise InputError(src, None, f"{'no' if not hit.any() else 'every'} point meets {str(cond)!r} (point means "
                         f"of {cond.metric} run from {v.min():.4g} to {v.max():.4g}); choose a threshold in between")
    x = frame[names]
    kinds = _kinds(x)
    value = frame["value"].to_numpy(dtype=float)
    boxes, trajectory, traj_limits, more = _prim_boxes(x, hit, value, kinds, step=box, max_boxes=max_boxes,
                                                       target=target_density, peel_alpha=peel_alpha,
                                                       mass_min=mass_min)
    notes += more
    tree = _tree_leaves(x, hit, value, kinds, tree_depth)
    return Discovery(condition=cond, points=frame, parameters=list(names), boxes=boxes, trajectory=trajectory,
                     tree=tree, replications=info.get("replications"), name=info.get("name", ""),
                     partners=info.get("partners"), currency=info.get("currency", ""), notes=notes,
                     trajectory_limits=traj_limits)
