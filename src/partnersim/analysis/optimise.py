"""Agreement design by optimisation: search the levers a consultant controls for the best designs.

:func:`design` runs the search of :mod:`partnersim.analysis.design_search` on a scenario: each
design is the scenario with some agreement levers changed, evaluated as an ensemble on common random
numbers (replication ``i`` of every design and of the start shares seed ``(seed, i)``), with the
derived metrics of :data:`partnersim.analysis.design_space.DESIGN_METRICS` (meeting hours and money
per month together, the smaller partner's fairness). :func:`robustness_check` runs the recommended
design and the start again with each uncertain coefficient moved by -50% and +50%;
:func:`load_design` reads a finished search back from its folder (for the report).

A search folder holds ``search.json`` (what is searched: scenario, levers, objectives,
constraints, replications, seed, model code), ``trials/trial-NNNNNN.json`` (one file per trial,
written atomically), ``designs/KEY.parquet`` (each design's runs), ``confirm-M/`` (the best designs again on
``M`` replications) and, for the check, ``robustness/``. The same call on the same folder
resumes; a different search is refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from partnersim.analysis.design_search import (
    DesignResult,
    Evaluate,
    _atomic_json,
    _Store,
    confirm,
    describe_changes,
    search,
)
from partnersim.analysis.design_space import (
    Constraint,
    Lever,
    Objective,
    add_design_metrics,
    design_key,
    parse_constraint,
    parse_levers,
    parse_objective,
)
from partnersim.scenario import InputError, Scenario

__all__ = ["SEARCH_FILE", "DesignResult", "design", "load_design", "robustness_check", "robustness_sentences",
           "search"]


# -- a search on a scenario ----------------------------------------------------------------------
SEARCH_FILE = "search.json"
CONFIRM_FILE = "confirm.json"


def _lever_json(lv: Lever) -> dict[str, Any]:
    return {"path": lv.path, "values": list(lv.values), "ordered": lv.ordered,
            "when": list(lv.when) if lv.when is not None else None}


def _lever_from_json(d: Mapping[str, Any]) -> Lever:
    return Lever(d["path"], tuple(d["values"]), bool(d["ordered"]), tuple(d["when"]) if d["when"] else None)


def _as_levers(levers: Sequence[str | Lever] | None, base: Scenario) -> tuple[Lever, ...]:
    if levers is not None and all(isinstance(x, Lever) for x in levers):
        return tuple(levers)  # type: ignore[arg-type]
    specs = None if levers is None else [x if isinstance(x, str) else _spec_error(x) for x in levers]
    return parse_levers(specs, base)


def _spec_error(x: Any) -> str:
    raise InputError("--levers", str(x), "give every lever as a spec (text) or every lever as a Lever")


def _scenario_evaluator(base: Scenario, reps: int, seed: int, workers: int | None) -> Evaluate:
    from pydantic import ValidationError

    from partnersim.analysis.batch import run_many
    from partnersim.scenario import with_changes

    def evaluate(changes: dict[str, Any]) -> pd.DataFrame:
        try:
            sc = with_changes(base, changes)
        except ValidationError as e:
            err = e.errors()[0]
            raise InputError("--levers", ".".join(str(x) for x in err["loc"]),
                             f"the design {describe_changes(changes)} is invalid: {err['msg']}") from None
        return add_design_metrics(run_many([sc], reps, seed, workers)[0], sc)

    return evaluate


def _manifest(base: Scenario, levers: Sequence[Lever], objectives: Sequence[Objective],
              constraints: Sequence[Constraint], reps: int, seed: int, sampler: str, budget: int) -> dict[str, Any]:
    from partnersim.analysis.sweep import code_fingerprint

    return {"kind": "design", "scenario": base.model_dump(mode="json"), "levers": [_lever_json(lv) for lv in levers],
            "objectives": [[o.metric, o.maximize] for o in objectives],
            "constraints": [[c.metric, c.op, c.limit] for c in constraints], "reps": int(reps), "seed": int(seed),
            "sampler": sampler, "budget": int(budget), "fingerprint": code_fingerprint()}


def _check_manifest(folder: Path, new: dict[str, Any]) -> None:
    p = folder / SEARCH_FILE
    if p.is_file():
        try:
            old = json.loads(p.read_text())
        except (OSError, ValueError) as e:
            raise InputError(str(p), None, f"cannot be read ({type(e).__name__}); use another --out") from None
        for k in ("kind", "scenario", "levers", "objectives", "constraints", "reps", "seed", "sampler", "fingerprint"):
            if old.get(k) != new.get(k):
                what = "the model code" if k == "fingerprint" else k
                raise InputError(str(folder), SEARCH_FILE, f"holds a different search ({what} differs): give the "
                                 "same arguments to resume it, or another --out")
    elif any((folder / "trials").glob("trial-*.json")):
        raise InputError(str(folder), SEARCH_FILE, "missing, but trials are there: use another --out")
    _atomic_json(p, new)


def design(scenario: Scenario | str | Path, levers: Sequence[str | Lever] | None = None,
           objectives: Sequence[str | Objective] = ("survived", "joint_revenue"),
           constraints: Sequence[str | Constraint] = (), *, budget: int = 40, reps: int = 100, seed: int = 0,
           out: str | Path | None = None, workers: int | None = None, sampler: str = "tpe",
           confirm_best: int = 3, confirm_reps: int | None = None,
           robustness: bool = True, robustness_reps: int | None = None,
           coefficients: Sequence[str] | None = None,
           on_trial: Callable[[int, int], None] | None = None) -> DesignResult:
    """Search the agreement levers of ``scenario`` for the best designs (see the module's description).

    Parameters
    ----------
    scenario
        The starting scenario (a :class:`~partnersim.scenario.Scenario`, a TOML path or a bundled name).
    levers
        Lever specs (:func:`~partnersim.analysis.design_space.parse_lever`) or :class:`Lever` objects
        (default :data:`~partnersim.analysis.design_space.DEFAULT_LEVERS`).
    objectives
        ``[max:|min:]METRIC`` each (several: a Pareto front).
    constraints
        ``METRIC<=LIMIT`` or ``METRIC>=LIMIT`` each, on the mean (``meeting_hours_per_month<=40``).
    budget
        Distinct designs to evaluate.
    reps, seed
        Replications of every design, all on seeds ``(seed, 0..reps-1)`` (common random numbers); the
        sampler's seed too.
    out
        Folder of the search (trials, each design's runs): the same call goes on where it stopped.
    workers
        Processes (default: every core; ``1`` in this process).
    sampler
        ``"tpe"`` or ``"random"``.
    confirm_best, confirm_reps
        Run the ``confirm_best`` best feasible designs and the start again on ``confirm_reps``
        replications (default ``3 x reps``; the same seeds and more) and recommend the best of them
        (``0``: recommend the search's best).
    robustness, robustness_reps, coefficients
        Check the recommended design against the start with each uncertain coefficient (default every
        ``dynamics`` number) moved by -50% and +50%, on ``robustness_reps`` replications (default ``reps``).
    on_trial
        Progress: ``on_trial(designs_done, budget)``.

    Returns
    -------
    DesignResult
        ``.table()``, ``.front``, ``.recommended``, ``.recommended_scenario``, ``.robustness``.

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> s = with_changes(load_scenario("baseline"), {"horizon_days": 365})
    >>> r = design(s, ["agreement.shared_platform", "agreement.conflict.procedure"], ["survived"], budget=3,
    ...            reps=8, workers=1, robustness=False)
    >>> len(r.designs), sorted(r.table().columns[:4])
    (4, ['changes', 'feasible', 'front', 'rank'])
    """
    from partnersim.analysis.storage import FolderLock
    from partnersim.run.simulate import as_scenario

    base = as_scenario(scenario)
    lv = _as_levers(levers, base)
    if not objectives:
        raise InputError("--objective", None, "give at least one objective")
    objs = tuple(o if isinstance(o, Objective) else parse_objective(o) for o in objectives)
    if len({o.metric for o in objs}) != len(objs):
        raise InputError("--objective", None, "a metric is named twice")
    cons = tuple(c if isinstance(c, Constraint) else parse_constraint(c) for c in constraints)
    if int(reps) < 2:
        raise InputError("--reps", None, "must be at least 2 (intervals need two replications)")
    from partnersim.analysis.screen import _get

    start = {x.path: _get(base, x.path) for x in lv}
    start.update({x.when[0]: _get(base, x.when[0]) for x in lv if x.when is not None})
    paths = {x.path for x in lv}
    for x in lv:
        if x.when is not None and x.when[0] not in paths and start[x.when[0]] != x.when[1]:
            raise InputError("--levers", x.path, f"never applies: it needs {x.when[0]} = {_words(x.when[1])}, "
                             f"which the scenario does not have; add {x.when[0]} as a lever or --set it")
    if all(len(x.values) == 1 and start.get(x.path) == x.values[0] for x in lv):
        raise InputError("--levers", None, "every lever is fixed at the scenario's value: nothing to search")
    folder = Path(out) if out is not None else None
    lock = None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(folder)
        if not lock.acquire():
            raise InputError(str(folder), None, "another design search is running in this folder")
    try:
        if folder is not None:
            _check_manifest(folder, _manifest(base, lv, objs, cons, reps, seed, sampler, budget))
        r = search(lv, objs, budget, _scenario_evaluator(base, int(reps), int(seed), workers), constraints=cons,
                   seed=seed, base=start, folder=folder, sampler=sampler, on_trial=on_trial)
        r.scenario, r.reps = base, int(reps)
        if confirm_best > 0 and bool(r.designs["feasible"].any()):
            m = int(confirm_reps) if confirm_reps is not None else 3 * int(reps)
            if m < 2:
                raise InputError("--confirm-reps", None, "must be at least 2")
            c = confirm(r, confirm_best, _scenario_evaluator(base, m, int(seed), workers),
                        folder / f"confirm-{m}" if folder is not None else None)
            c.scenario, c.reps = base, m
            r.confirmed = c
            if folder is not None:
                _atomic_json(folder / CONFIRM_FILE, {"k": int(confirm_best), "reps": m})
            if c.recommended_key != r.designs["key"].iloc[0]:
                r.notes.append(f"On {m} replications the search's best design is not the best of the "
                               f"{len(c.designs) - 1} confirmed: the recommendation is the confirmed best.")
        sep = (r.confirmed or r).separation()
        if sep:
            r.notes.append(sep)
        if robustness and r.recommended:
            r.robustness = robustness_check(r, robustness_reps or reps, coefficients, workers=workers,
                                            cache=folder / "robustness" if folder is not None else None)
        elif robustness and r.recommended == {}:
            r.notes.append("The start is the best design found: no robustness check of a change.")
    finally:
        if lock is not None:
            lock.release()
    return r


def _words(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else repr(v) if isinstance(v, str) else str(v)


def robustness_check(result: DesignResult, reps: int = 50, coefficients: Sequence[str] | None = None, *,
                     factor: float = 0.5, workers: int | None = None, cache: str | Path | None = None,
                     level: float = 0.95) -> pd.DataFrame:
    """The recommended design against the start with each uncertain coefficient moved by ``-factor`` / ``+factor``.

    Every point runs the start and the design (both with the moved coefficient) on the same seeds.

    Returns
    -------
    pandas.DataFrame
        One row per point (``centre`` first, then ``COEFFICIENT-`` and ``COEFFICIENT+``): ``point,
        coefficient, value``, per objective ``METRIC_start, METRIC_design, METRIC_diff, METRIC_low,
        METRIC_high``, ``verdict`` (``better``: clearly better on an objective and clearly worse on none;
        ``worse``, ``mixed``, ``same``) and ``constraints_hold``.
    """
    from partnersim.analysis.batch import run_many
    from partnersim.analysis.calibrate import robustness_points
    from partnersim.analysis.compare import paired_differences
    from partnersim.analysis.screen import _get
    from partnersim.scenario import leaf_fields, with_changes

    base, rec = result.scenario, result.recommended
    if base is None or not rec:
        raise ValueError("a robustness check needs a search on a scenario with a recommended change")
    names = list(coefficients) if coefficients is not None else [
        p for p, f in leaf_fields().items() if p.startswith("dynamics.") and f.annotation is float]
    unknown = [n for n in names if n not in leaf_fields()]
    if unknown:
        raise InputError("--robust-only", unknown[0], "no such coefficient")
    at = {n: float(_get(base, n)) for n in names}
    points = robustness_points(coefficients=names, factor=factor, at=at)
    pairs = []
    for _label, ch in points:
        s0 = with_changes(base, ch)
        pairs += [s0, with_changes(s0, rec)]
    runs = run_many(pairs, int(reps), result.seed, workers, cache=cache)
    metrics = [o.metric for o in result.objectives]
    cons_metrics = [c.metric for c in result.constraints]
    rows = []
    for i, (label, ch) in enumerate(points):
        a = add_design_metrics(runs[2 * i], pairs[2 * i])
        b = add_design_metrics(runs[2 * i + 1], pairs[2 * i + 1])
        d = paired_differences(a, b, list(dict.fromkeys(metrics + cons_metrics)), level).set_index("metric")
        coef = label.rstrip("+-") if label != "centre" else ""
        row: dict[str, Any] = {"point": label, "coefficient": coef,
                               "value": ch.get(coef, math.nan) if coef else math.nan}
        good = bad = 0
        for o in result.objectives:
            r = d.loc[o.metric]
            lo, hi = float(r["ci_low"]), float(r["ci_high"])
            row.update({f"{o.metric}_start": float(r["mean_a"]), f"{o.metric}_design": float(r["mean_b"]),
                        f"{o.metric}_diff": float(r["diff"]), f"{o.metric}_low": lo, f"{o.metric}_high": hi})
            up, down = lo > 0, hi < 0
            good += (up and o.maximize) or (down and not o.maximize)
            bad += (down and o.maximize) or (up and not o.maximize)
        row["verdict"] = "mixed" if good and bad else "better" if good else "worse" if bad else "same"
        row["constraints_hold"] = all(c.violation(float(d.loc[c.metric, "mean_b"])) <= 0 for c in result.constraints)
        rows.append(row)
    return pd.DataFrame(rows)


def robustness_sentences(rob: pd.DataFrame, constraints: Sequence[Constraint] = ()) -> list[str]:
    """The robustness check in two or three sentences."""
    moved = rob[rob["point"] != "centre"]
    n = len(moved)
    if not n:
        return []
    counts = moved["verdict"].value_counts()
    coefs = moved["coefficient"].nunique()
    out = [f"With each of {coefs} uncertain coefficients moved by -50% and +50% ({n} settings), the recommended "
           "design is clearly better than the start and clearly worse on no objective at "
           f"{int(counts.get('better', 0))}, clearly worse at {int(counts.get('worse', 0))}, mixed at "
           f"{int(counts.get('mixed', 0))} and not "
           f"clearly different at {int(counts.get('same', 0))}."]
    if constraints:
        broken = moved[~moved["constraints_hold"]]
        out.append(f"The constraints hold at {n - len(broken)} of {n} settings"
                   + (f" (not at {', '.join(broken['point'].head(4))}{', ...' if len(broken) > 4 else ''})."
                      if len(broken) else "."))
    worse = moved[moved["verdict"].isin(["worse", "mixed"])]
    if len(worse):
        out.append(f"Where it is not safe: {', '.join(worse['point'].head(5))}{', ...' if len(worse) > 5 else ''}.")
    return out


def load_design(folder: str | Path) -> DesignResult:
    """Read a design search back from its folder (written by :func:`design` or ``partnersim design``).

    Raises
    ------
    InputError
        If the folder holds no design search.
    """
    from partnersim.scenario import Scenario as _Sc

    folder = Path(folder)
    p = folder / SEARCH_FILE
    if not p.is_file():
        raise InputError(str(folder), SEARCH_FILE, "not a design search folder (no search.json)")
    try:
        m = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise InputError(str(p), None, f"cannot be read ({type(e).__name__})") from None
    levers = tuple(_lever_from_json(d) for d in m["levers"])
    objs = tuple(Objective(a, bool(b)) for a, b in m["objectives"])
    cons = tuple(Constraint(a, b, float(c)) for a, b, c in m["constraints"])
    base = _Sc.model_validate(m["scenario"])
    store = _Store.__new__(_Store)
    store.folder, store.runs = folder, {}
    records = store.trials()
    if store.get(design_key({})) is None:
        raise InputError(str(folder), "designs", "the start's runs are missing: run the search again")
    from partnersim.analysis.screen import _get

    start = {x.path: _get(base, x.path) for x in levers}
    r = DesignResult.build(levers, objs, cons, records, store, start, seed=int(m["seed"]), budget=int(m["budget"]))
    r.scenario, r.reps = base, int(m["reps"])
    conf = folder / CONFIRM_FILE
    if conf.is_file():
        c = json.loads(conf.read_text())
        try:
            r.confirmed = confirm(r, int(c["k"]), None, folder / f"confirm-{int(c['reps'])}")
            r.confirmed.scenario, r.confirmed.reps = base, int(c["reps"])
        except FileNotFoundError:  # a confirmation under way or cut short: the search's own ranking
            r.confirmed = None
    rob = folder / "robustness.csv"
    if rob.is_file():
        r.robustness = pd.read_csv(rob)
    sep = (r.confirmed or r).separation()
    if sep:
        r.notes.append(sep)
    return r
