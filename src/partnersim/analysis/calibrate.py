"""Pattern-oriented calibration of the uncertain coefficients, and the robustness table.

**Calibration** (:func:`calibrate`): a calibration file (``docs/calibration.toml``, see
:func:`load_calibration`) names coefficients and their ranges; a Latin hypercube or scrambled
Sobol' design (``scipy.stats.qmc``, seeded) samples them; each point's patterns
(:mod:`partnersim.analysis.patterns`) are evaluated on common random numbers (every point runs
replications ``0..reps-1`` of the same seed, so points differ only by their coefficients); the
objective is the weighted sum of the patterns' normalised distances from their targets (0: every
pattern holds), ties broken by how central the statistics sit in their targets. Point 0 is the
current defaults, for reference. Written to the output folder: ``points.jsonl`` (one line per point,
appended as each finishes) and ``points.csv`` (the same as a table), ``checks.csv`` (one row per
point and check), ``ranking.md`` and ``best.toml`` (the best point as a ``[dynamics]`` snippet for
the schema defaults). Started again on the same folder, it evaluates only the missing points; a
different file or model code is refused.

**Robustness** (:func:`robustness`): each coefficient not calibrated is moved by ``-50%`` and
``+50%`` one at a time (clipped to its bounds) and the patterns are evaluated again; the table says
which patterns and behaviours still hold (``robustness.md``, ready for ``docs/model.md``).

Everything is deterministic given the file (design seed and replication seed).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from partnersim.analysis.patterns import SEED, Pattern, PatternReport, evaluate_patterns, select_patterns
from partnersim.scenario import InputError, Scenario, leaf_fields, with_changes

__all__ = [
    "DEFAULT_CALIBRATION_FILE",
    "CalibrationSpec",
    "Parameter",
    "best_toml",
    "calibrate",
    "design_points",
    "load_calibration",
    "ranking_markdown",
    "robustness",
    "robustness_markdown",
    "robustness_points",
]

DEFAULT_CALIBRATION_FILE = Path(__file__).resolve().parents[3] / "docs" / "calibration.toml"


@dataclass(frozen=True)
class Parameter:
    """A calibrated coefficient: dotted path and range (sampled on a log scale if ``log``)."""

    path: str
    low: float
    high: float
    log: bool = False

    def value(self, u: float) -> float:
        """The value at unit sample ``u`` in [0, 1]."""
        if self.log:
            return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))
        return float(self.low + u * (self.high - self.low))


@dataclass(frozen=True)
class CalibrationSpec:
    """A calibration: coefficients, design, ensembles, patterns and weights.

    Attributes
    ----------
    parameters
        The coefficients and their ranges.
    design, points, seed
        ``"lhs"`` or ``"sobol"``, number of design points (the defaults come on top), design seed.
    reps, crn_seed, alpha
        Replications per arm and point, their seed (shared by every point), significance level.
    patterns
        The patterns to calibrate to.
    weights
        Pattern id -> weight in the objective (default 1).
    source
        Where the spec was read from.
    """

    parameters: tuple[Parameter, ...]
    design: str = "lhs"
    points: int = 32
    seed: int = 1
    reps: int = 50
    crn_seed: int = SEED
    alpha: float = 0.01
    patterns: tuple[Pattern, ...] = field(default_factory=select_patterns)
    weights: Mapping[str, float] = field(default_factory=dict)
    source: str = "<python>"

    def fingerprint(self) -> str:
        """A hash of everything that determines the results (with the model code)."""
        from partnersim.analysis.sweep import code_fingerprint

        d = {"parameters": [(p.path, p.low, p.high, p.log) for p in self.parameters], "design": self.design,
             "points": self.points, "seed": self.seed, "reps": self.reps, "crn_seed": self.crn_seed,
             "alpha": self.alpha, "patterns": [p.id for p in self.patterns], "weights": dict(self.weights),
             "code": code_fingerprint()}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:20]


_CAL_KEYS = {"design", "points", "seed", "reps", "crn_seed", "alpha", "patterns"}


def load_calibration(path: str | Path | None = None, **overrides: Any) -> CalibrationSpec:
    """Read a calibration file.

    The file has a ``[calibration]`` table (``design``, ``points``, ``seed``, ``reps``,
    ``crn_seed``, ``alpha``, ``patterns``), a ``[parameters]`` table (dotted path -> ``[low, high]``
    or ``{ low = , high = , log = true }``) and an optional ``[weights]`` table (pattern id ->
    weight). ``overrides`` (``points=8``, ``reps=20``) replace values of the file.

    Raises
    ------
    InputError
        Naming the file and the field, for anything invalid.
    """
    from partnersim.scenario import read_toml

    p = Path(path) if path is not None else DEFAULT_CALIBRATION_FILE
    src = str(p)
    data = read_toml(p)
    for key in set(data) - {"calibration", "parameters", "weights"}:
        raise InputError(src, key, "unknown table (expected calibration, parameters, weights)")
    cal = dict(data.get("calibration", {}))
    for key in set(cal) - _CAL_KEYS:
        raise InputError(src, f"calibration.{key}", f"unknown key (expected one of {', '.join(sorted(_CAL_KEYS))})")
    cal.update({k: v for k, v in overrides.items() if v is not None})
    design = cal.get("design", "lhs")
    if design not in ("lhs", "sobol"):
        raise InputError(src, "calibration.design", f"{design!r}: use lhs or sobol")
    ints = {}
    for k, d, lo in (("points", 32, 1), ("seed", 1, 0), ("reps", 50, 2), ("crn_seed", SEED, 0)):
        v = cal.get(k, d)
        if not isinstance(v, int) or isinstance(v, bool) or v < lo:
            raise InputError(src, f"calibration.{k}", f"must be a whole number >= {lo}")
        ints[k] = v
    alpha = cal.get("alpha", 0.01)
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InputError(src, "calibration.alpha", "must be between 0 and 1")
    try:
        pats = select_patterns(cal.get("patterns"))
    except KeyError as e:
        raise InputError(src, "calibration.patterns", str(e.args[0])) from None
    fields = leaf_fields()
    params = []
    for path_, spec in data.get("parameters", {}).items():
        where = f"parameters.{path_}"
        if path_ not in fields or fields[path_].annotation is not float:
            raise InputError(src, where, "not a numeric scenario field")
        if isinstance(spec, list) and len(spec) == 2:
            lo, hi, log = spec[0], spec[1], False
        elif isinstance(spec, dict) and {"low", "high"} <= set(spec) <= {"low", "high", "log"}:
            lo, hi, log = spec["low"], spec["high"], bool(spec.get("log", False))
        else:
            raise InputError(src, where, "give [low, high] or { low = ..., high = ..., log = true }")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lo, hi)) or not lo < hi:
            raise InputError(src, where, "low and high must be numbers with low < high")
        if log and lo <= 0:
            raise InputError(src, where, "a log scale needs low > 0")
        for v in (lo, hi):
            try:
                with_changes(Scenario(), {path_: v})
            except ValidationError as e:
                raise InputError(src, where, f"{v:g} is out of bounds ({e.errors()[0]['msg']})") from None
        params.append(Parameter(path_, float(lo), float(hi), log))
    if not params:
        raise InputError(src, "parameters", "no coefficient to calibrate")
    weights = data.get("weights", {})
    ids = {q.id for q in pats}
    for k, w in weights.items():
        if k not in ids:
            raise InputError(src, f"weights.{k}", f"not a calibrated pattern ({', '.join(sorted(ids))})")
        if not isinstance(w, int | float) or w < 0:
            raise InputError(src, f"weights.{k}", "must be a number >= 0")
    return CalibrationSpec(tuple(params), design, ints["points"], ints["seed"], ints["reps"], ints["crn_seed"],
                           float(alpha), pats, {k: float(v) for k, v in weights.items()}, src)


def design_points(spec: CalibrationSpec) -> tuple[np.ndarray, list[dict[str, float]]]:
    """The unit sample (points x parameters) and each point's changes; row 0 is the current defaults.

    Examples
    --------
    >>> spec = CalibrationSpec((Parameter("dynamics.conflict_rate", 0.05, 0.5, log=True),), points=4, seed=3)
    >>> u, pts = design_points(spec)
    >>> u.shape, pts[0], all(0.05 <= p["dynamics.conflict_rate"] <= 0.5 for p in pts[1:])
    ((5, 1), {}, True)
    """
    from scipy.stats import qmc

    d = len(spec.parameters)
    if spec.design == "sobol":
        sampler = qmc.Sobol(d, scramble=True, seed=spec.seed)
        m = int(math.log2(spec.points))
        u = sampler.random_base2(m) if 2**m == spec.points else sampler.random(spec.points)
    else:
        u = qmc.LatinHypercube(d, seed=spec.seed).random(spec.points)
    defaults = Scenario()
    u0 = []
    for p in spec.parameters:
        v = float(_get(defaults, p.path))
        if p.log:
            u0.append((math.log(v) - math.log(p.low)) / (math.log(p.high) - math.log(p.low)) if v > 0 else math.nan)
        else:
            u0.append((v - p.low) / (p.high - p.low))
    unit = np.vstack([np.array(u0)[None, :], u])
    pts: list[dict[str, float]] = [{}]
    for row in u:
        pts.append({p.path: float(f"{p.value(x):.6g}") for p, x in zip(spec.parameters, row, strict=True)})
    return unit, pts


def _get(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for key in path.split("."):
        node = getattr(node, key)
    return node


def _centrality(report: PatternReport) -> float:
    out = []
    for r in report.results:
        for c in r.checks:
            if c.kind == "interval" and math.isfinite(c.value) and c.high > c.low:
                out.append(abs(c.value - 0.5 * (c.low + c.high)) / (c.high - c.low))
    return float(np.mean(out)) if out else 0.0


def _objective(report: PatternReport, weights: Mapping[str, float]) -> float:
    return float(sum(weights.get(r.id, 1.0) * r.distance for r in report.results if r.status != "not evaluable"))


Evaluate = Callable[[Mapping[str, float]], PatternReport]


def _evaluate_points(points: Sequence[tuple[str, dict[str, float]]], out: Path, evaluate: Evaluate,
                     weights: Mapping[str, float], manifest: dict[str, Any],
                     on_point: Callable[[int, int, float], None] | None = None) -> pd.DataFrame:
    """Evaluate labelled points, one line per point appended to out/points.jsonl; skip those already there."""
    out.mkdir(parents=True, exist_ok=True)
    man_path = out / "manifest.json"
    if man_path.is_file():
        old = json.loads(man_path.read_text())
        if old.get("fingerprint") != manifest["fingerprint"]:
            raise InputError(str(out), None, "holds the results of a different calibration file or model code; "
                             "remove it or give another --out")
    else:
        man_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    log, checks_csv = out / "points.jsonl", out / "checks.csv"
    done = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.is_file() else []
    have = {str(r["point"]) for r in done}
    keys = list(dict.fromkeys(k for _, ch in points for k in ch))
    for i, (label, changes) in enumerate(points):
        if label in have:
            continue
        rep = evaluate(changes)
        used = with_changes(Scenario(), dict(changes))
        row: dict[str, Any] = {"point": label, **{f"x.{k}": float(_get(used, k)) for k in keys},
                               "objective": _objective(rep, weights), "centrality": _centrality(rep),
                               "holding": sum(r.status == "holds" for r in rep.results), "runs": rep.runs}
        for r in rep.results:
            row[f"{r.id}.status"] = r.status
            row[f"{r.id}.distance"] = r.distance
            for j, c in enumerate(r.checks):
                row[f"{r.id}.{j}"] = c.value
        checks = rep.table().assign(point=label)
        checks.to_csv(checks_csv, mode="a", header=not checks_csv.is_file(), index=False)
        with log.open("a") as f:  # one line per finished point: the record a resumed run starts from
            f.write(json.dumps(row, allow_nan=True) + "\n")
        done.append(row)
        if on_point is not None:
            on_point(i + 1, len(points), row["objective"])
    table = pd.DataFrame(done)
    table.to_csv(out / "points.csv", index=False)
    return table


def calibrate(spec: CalibrationSpec, out: str | Path, workers: int | None = None, *,
              on_point: Callable[[int, int, float], None] | None = None) -> pd.DataFrame:
    """Run (or finish) a calibration; returns the points ranked best first.

    Parameters
    ----------
    spec
        The calibration (:func:`load_calibration`).
    out
        Folder for ``manifest.json``, ``points.csv``, ``checks.csv``, ``ranking.md``, ``best.toml``.
    workers
        Processes of the local pool (default: every core; ``1`` in this process).
    on_point
        Called as ``on_point(done, total, objective)`` after each point.

    Returns
    -------
    pandas.DataFrame
        ``points.csv`` sorted by objective then centrality, with a ``rank`` column.
    """
    from partnersim.run.executors import default_workers, make_executor

    folder = Path(out)
    _, pts = design_points(spec)
    labelled = [("default" if i == 0 else str(i), p) for i, p in enumerate(pts)]
    ex = make_executor("local", workers or default_workers())

    def evaluate(changes: Mapping[str, float]) -> PatternReport:
        return evaluate_patterns(spec.patterns, spec.reps, spec.crn_seed, coefficients=changes, alpha=spec.alpha,
                                 executor=ex)

    manifest = {"kind": "calibration", "fingerprint": spec.fingerprint(), "source": spec.source,
                "parameters": [p.path for p in spec.parameters]}
    table = _evaluate_points(labelled, folder, evaluate, spec.weights, manifest, on_point)
    ranked = table.sort_values(["objective", "centrality"], kind="stable").reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    (folder / "ranking.md").write_text(ranking_markdown(ranked, spec))
    (folder / "best.toml").write_text(best_toml(ranked, spec))
    return ranked


def ranking_markdown(ranked: pd.DataFrame, spec: CalibrationSpec, top: int = 10) -> str:
    """The best points (and the defaults) as a Markdown table."""
    ids = [p.id for p in spec.patterns]
    params = [p.path for p in spec.parameters]
    head = ["rank", "point", "objective", *[p.removeprefix("dynamics.") for p in params], *ids]
    lines = [f"Calibration `{spec.source}`: {spec.design} design, {spec.points} points plus the defaults, "
             f"{spec.reps} replications per arm (seed {spec.crn_seed}), alpha {spec.alpha:g}. Objective: weighted sum "
             "of the patterns' normalised distances from their targets (0: all hold).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    show = pd.concat([ranked.head(top), ranked[ranked["point"].astype(str) == "default"]]).drop_duplicates("point")
    defaults = Scenario()
    for r in show.to_dict("records"):
        vals = []
        for p in params:
            v = r.get(f"x.{p}", math.nan)
            v = float(_get(defaults, p)) if not isinstance(v, float | int) or not math.isfinite(v) else v
            vals.append(f"{v:.4g}")
        marks = [{"holds": "holds", "off": "off", "fails": "FAILS", "not evaluable": "n/e"}.get(
            str(r.get(f"{i}.status")), "?") for i in ids]
        lines.append(f"| {r['rank']} | {r['point']} | {r['objective']:.3f} | " + " | ".join(vals + marks) + " |")
    return "\n".join(lines) + "\n"


def best_toml(ranked: pd.DataFrame, spec: CalibrationSpec) -> str:
    """The best point as a TOML snippet (``[dynamics]`` and other sections) for the schema defaults."""
    best = ranked.iloc[0].to_dict()
    dflt = ranked[ranked["point"].astype(str) == "default"]
    d_obj = float(dflt["objective"].iloc[0]) if len(dflt) else math.nan
    lines = [f"# best of {len(ranked)} points of {spec.source} (point {best['point']}): objective "
             f"{best['objective']:.4g} (defaults: {d_obj:.4g}); {spec.reps} replications per arm, seed {spec.crn_seed}",
             "# patterns: " + ", ".join(f"{p.id} {best.get(f'{p.id}.status')}" for p in spec.patterns)]
    sections: dict[str, list[str]] = {}
    defaults = Scenario()
    for p in spec.parameters:
        v = best.get(f"x.{p.path}", math.nan)
        if not isinstance(v, float | int) or not math.isfinite(v):
            v = float(_get(defaults, p.path))
        sec, _, name = p.path.rpartition(".")
        sections.setdefault(sec, []).append(f"{name} = {float(v):.6g}")
    for sec, items in sections.items():
        lines += ["", f"[{sec}]", *items]
    return "\n".join(lines) + "\n"


def robustness_points(spec: CalibrationSpec | None = None, factor: float = 0.5,
                      coefficients: Sequence[str] | None = None,
                      at: Mapping[str, float] | None = None) -> list[tuple[str, dict[str, float]]]:
    """The robustness design: the centre, then each coefficient at ``1 - factor`` and ``1 + factor`` times its value.

    Parameters
    ----------
    spec
        A calibration: its parameters are calibrated, so not moved (default: none).
    factor
        Relative move (0.5: -50% and +50%), clipped to each field's bounds.
    coefficients
        The coefficients to move (default: every ``dynamics.*`` field not in ``spec``).
    at
        The centre (changes to the defaults, e.g. the calibrated values); default: the defaults.

    Examples
    --------
    >>> pts = robustness_points(coefficients=["dynamics.conflict_rate"])
    >>> [(label, {k: round(v, 3) for k, v in ch.items()}) for label, ch in pts]
    [('centre', {}), ('dynamics.conflict_rate-', {'dynamics.conflict_rate': 0.05}), \
('dynamics.conflict_rate+', {'dynamics.conflict_rate': 0.15})]
    """
    calibrated = {p.path for p in spec.parameters} if spec else set()
    centre = with_changes(Scenario(), dict(at or {}))
    names = list(coefficients) if coefficients is not None else [
        p for p, f in leaf_fields().items() if p.startswith("dynamics.") and f.annotation is float
        and p not in calibrated]
    base = dict(at or {})
    pts: list[tuple[str, dict[str, float]]] = [("centre", base)]
    for name in names:
        v = float(_get(centre, name))
        for sign, mult in (("-", 1 - factor), ("+", 1 + factor)):
            x = float(f"{v * mult:.6g}")
            try:
                with_changes(centre, {name: x})
            except ValidationError:  # clip to the bound it crossed
                info = leaf_fields()[name]
                lims = [getattr(m, a) for m in info.metadata for a in ("le", "lt", "ge", "gt") if hasattr(m, a)]
                x = min(max(x, min(lims)), max(lims))
            pts.append((f"{name}{sign}", {**base, name: x}))
    return pts


def robustness(spec: CalibrationSpec, out: str | Path, workers: int | None = None, *, factor: float = 0.5,
               coefficients: Sequence[str] | None = None, at: Mapping[str, float] | None = None,
               on_point: Callable[[int, int, float], None] | None = None) -> pd.DataFrame:
    """Move each uncalibrated coefficient by ``-factor`` and ``+factor`` and re-check every pattern.

    Uses ``spec``'s patterns, replications, seed and alpha; writes ``points.csv``, ``checks.csv``
    and ``robustness.md`` to ``out`` (resumable like :func:`calibrate`).

    Returns
    -------
    pandas.DataFrame
        One row per coefficient: ``coefficient, value, low, high``, then per pattern id the
        statuses at -factor and +factor (``"holds/holds"``).
    """
    from partnersim.run.executors import default_workers, make_executor

    folder = Path(out)
    pts = robustness_points(spec, factor, coefficients, at)
    ex = make_executor("local", workers or default_workers())

    def evaluate(changes: Mapping[str, float]) -> PatternReport:
        return evaluate_patterns(spec.patterns, spec.reps, spec.crn_seed, coefficients=changes, alpha=spec.alpha,
                                 executor=ex)

    fp = hashlib.sha256(json.dumps([spec.fingerprint(), factor, pts], sort_keys=True).encode()).hexdigest()[:20]
    manifest = {"kind": "robustness", "fingerprint": fp, "source": spec.source, "factor": factor}
    table = _evaluate_points(pts, folder, evaluate, spec.weights, manifest, on_point)
    rob = _robustness_table(table, pts, spec)
    centre_text = "the defaults" if not at else "the defaults with " + ", ".join(
        f"{k.removeprefix('dynamics.')} = {v:.4g}" for k, v in at.items())
    (folder / "robustness.md").write_text(robustness_markdown(rob, spec, factor, table, centre_text))
    rob.to_csv(folder / "robustness.csv", index=False)
    return rob


def _robustness_table(table: pd.DataFrame, pts: list[tuple[str, dict[str, float]]],
                      spec: CalibrationSpec) -> pd.DataFrame:
    by = table.set_index(table["point"].astype(str))
    ids = [p.id for p in spec.patterns]
    rows = []
    centre = dict(pts[0][1])
    centre_sc = with_changes(Scenario(), centre)
    names = list(dict.fromkeys(label[:-1] for label, _ in pts[1:]))
    for name in names:
        lo, hi = f"{name}-", f"{name}+"
        if lo not in by.index or hi not in by.index:
            continue
        row = {"coefficient": name, "value": float(_get(centre_sc, name)),
               "low": dict(pts)[lo][name], "high": dict(pts)[hi][name]}
        for i in ids:
            row[i] = f"{by.loc[lo, f'{i}.status']}/{by.loc[hi, f'{i}.status']}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["coefficient", "value", "low", "high", *ids])


_MARK = {"holds": "✓", "off": "~", "fails": "✗", "not evaluable": "·"}


def robustness_markdown(rob: pd.DataFrame, spec: CalibrationSpec, factor: float, table: pd.DataFrame,
                        centre_text: str = "the defaults") -> str:
    """The robustness table in Markdown: one row per coefficient, one column per pattern."""
    ids = [p.id for p in spec.patterns]
    centre = table[table["point"].astype(str) == "centre"]
    cstat = {i: str(centre[f"{i}.status"].iloc[0]) if len(centre) else "?" for i in ids}
    lines = [
        f"Robustness of the patterns and behaviours: each uncalibrated coefficient moved by -{factor:.0%} and "
        f"+{factor:.0%} (one at a time, clipped to its bounds) around {centre_text}, {spec.reps} replications per "
        f"arm (seed "
        f"{spec.crn_seed}), alpha {spec.alpha:g}. Each cell: status at -{factor:.0%}, then at +{factor:.0%}: "
        "✓ holds, ~ off target but not significantly, ✗ fails (significantly off), · not evaluable.",
        "",
        "| coefficient | value | low | high | " + " | ".join(ids) + " |",
        "|---|---|---|---|" + "---|" * len(ids),
        "| **all at their values** | | | | " + " | ".join(_MARK.get(cstat[i], "?") for i in ids) + " |",
    ]
    for r in rob.to_dict("records"):
        cells = []
        for i in ids:
            a, b = str(r[i]).split("/")
            cells.append(_MARK.get(a, "?") + _MARK.get(b, "?"))
        lines.append(f"| `{r['coefficient']}` | {r['value']:.4g} | {r['low']:.4g} | {r['high']:.4g} | "
                     + " | ".join(cells) + " |")
    robust = []
    for i in ids:
        if cstat[i] == "not evaluable":
            robust.append(f"{i}: not evaluable on this model")
            continue
        if cstat[i] != "holds":
            robust.append(f"{i}: does not hold at the centre ({cstat[i]})")
            continue
        broken = [r["coefficient"] for r in rob.to_dict("records") if "holds" != str(r[i]).split("/")[0]
                  or "holds" != str(r[i]).split("/")[1]]
        robust.append(f"{i}: robust to every move" if not broken else
                      f"{i}: broken by {', '.join(b.removeprefix('dynamics.') for b in broken)}")
    lines += ["", *[f"- {s}" for s in robust]]
    return "\n".join(lines) + "\n"
