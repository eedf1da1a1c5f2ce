"""The core of a design search: ask-and-tell over levers, any evaluator, designs kept by key, Pareto ranking.

:func:`partnersim.analysis.optimise.design` runs it on a scenario; this module knows nothing of the model.

Every design is an ensemble on **common random numbers**: replication ``i`` of every design, and
of the start, runs on seed ``(seed, i)``, so two designs differ only by their levers and every
design's interval is paired against the start. A design proposed twice is evaluated once (its runs
are kept by design). With several objectives the result is a **Pareto front** (the feasible
designs no other feasible design beats on every objective).

The search is Optuna's TPE sampler (single or multi-objective; constraints through
``Trial.set_constraint``) driven by ask-and-tell, one trial at a time. It is **resumable and
reproducible**: the sampler is created afresh for every trial with a seed derived from
``(seed, trial number)``, so a trial's proposal depends only on the seed and the trials before it;
each finished trial is written to its own file atomically, and a search started again on the same
folder rebuilds the study from those files and goes on. A search killed at any moment (even
``kill -9``) and resumed gives the same trials, designs and table as one never interrupted.

:func:`search` is the core, with a generic ``evaluate(changes) -> runs`` function (one row per
replication, one column per metric), so that a problem with a known optimum can be plugged in.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from partnersim.analysis.design_space import Lever, Objective
>>> def evaluate(changes):  # a noiseless bowl with its top at x = 3
...     x = changes.get("x", 0)
...     return pd.DataFrame({"replication": range(4), "score": [-(x - 3) ** 2] * 4})
>>> r = search([Lever("x", tuple(range(7)), ordered=True)], [Objective("score")], budget=7, evaluate=evaluate,
...            base={"x": 0}, metrics={"score": ("", "")})
>>> r.recommended
{'x': 3}
"""

from __future__ import annotations

import contextlib
import json
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partnersim.analysis.design_space import (
    Constraint,
    Lever,
    Objective,
    design_key,
)
from partnersim.scenario import InputError, Scenario

__all__ = ["START", "DesignResult", "confirm", "describe_changes", "search"]

Evaluate = Callable[[dict[str, Any]], pd.DataFrame]
START = "start"
_COSTS = ("meeting_hours_per_month", "money_per_month")


# -- the core: ask-and-tell, one trial at a time --------------------------------------------------
@contextlib.contextmanager
def _quiet_optuna() -> Iterator[Any]:
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield optuna
    finally:
        optuna.logging.set_verbosity(level)


def _sampler(optuna: Any, kind: str, seed: int, number: int, startup: int) -> Any:
    """A sampler seeded from ``(seed, trial number)``: its proposal depends on nothing else but the history."""
    s = int(np.random.SeedSequence([int(seed), int(number)]).generate_state(1)[0])
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=s)
    return optuna.samplers.TPESampler(seed=s, n_startup_trials=startup)


def _suggest(levers: Sequence[Lever], trial: Any, base: Mapping[str, Any]) -> dict[str, Any]:
    """The trial's design, as changes from ``base``: levers that do not apply are left out."""
    chosen: dict[str, Any] = {}
    for lv in levers:
        if lv.when is not None:
            switch, value = lv.when
            if chosen.get(switch, base.get(switch)) != value:
                continue
        chosen[lv.path] = lv.suggest(trial)
    return {k: v for k, v in chosen.items() if v != base.get(k, _MISSING)}


_MISSING = object()


def _space_size(levers: Sequence[Lever]) -> int:
    n = 1
    for lv in levers:
        n *= len(lv.values)
    return n


def _atomic_json(path: Path, data: Any) -> None:
    from partnersim.analysis.storage import atomic_write

    atomic_write(path, (json.dumps(data, indent=1, sort_keys=True, default=_json_default) + "\n").encode())


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"not JSON: {type(x).__name__}")


class _Store:
    """Where a search keeps its trials and each design's runs (a folder, or memory)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.runs: dict[str, pd.DataFrame] = {}
        if folder is not None:
            (folder / "trials").mkdir(parents=True, exist_ok=True)
            (folder / "designs").mkdir(parents=True, exist_ok=True)
            for tmp in list(folder.glob("*/*.tmp")):
                tmp.unlink()

    def trials(self) -> list[dict[str, Any]]:
        if self.folder is None:
            return []
        out = []
        while (p := self.folder / "trials" / f"trial-{len(out):06d}.json").is_file():
            out.append(json.loads(p.read_text()))
        return out

    def add_trial(self, record: dict[str, Any]) -> None:
        if self.folder is not None:
            _atomic_json(self.folder / "trials" / f"trial-{record['number']:06d}.json", record)

    def get(self, key: str) -> pd.DataFrame | None:
        if key in self.runs:
            return self.runs[key]
        if self.folder is not None and (p := self.folder / "designs" / f"{key}.parquet").is_file():
            self.runs[key] = pd.read_parquet(p)
            return self.runs[key]
        return None

    def put(self, key: str, runs: pd.DataFrame) -> None:
        self.runs[key] = runs
        if self.folder is not None:
            tmp = self.folder / "designs" / f"{key}.parquet.tmp"
            runs.to_parquet(tmp, index=False)
            tmp.replace(self.folder / "designs" / f"{key}.parquet")


def _means(runs: pd.DataFrame, names: Sequence[str]) -> dict[str, float]:
    out = {}
    for m in names:
        x = runs[m].to_numpy(dtype=float) if m in runs else np.array([np.nan])
        x = x[np.isfinite(x)]
        out[m] = float(x.mean()) if len(x) else math.nan
    return out


def search(levers: Sequence[Lever], objectives: Sequence[Objective], budget: int, evaluate: Evaluate, *,
           constraints: Sequence[Constraint] = (), seed: int = 0, base: Mapping[str, Any] | None = None,
           folder: str | Path | None = None, sampler: str = "tpe", startup: int | None = None,
           metrics: Mapping[str, tuple[str, str]] | None = None, max_trials: int | None = None,
           on_trial: Callable[[int, int], None] | None = None) -> DesignResult:
    """Search ``levers`` for the designs best on ``objectives`` under ``constraints``.

    Parameters
    ----------
    levers
        What may change (switches before what they switch, as :func:`parse_levers` orders them).
    objectives, constraints
        What to aim for and what must hold, on each design's mean over its replications.
    budget
        Distinct designs to evaluate (the start excluded); a design proposed again is not run again.
    evaluate
        ``evaluate(changes)`` -> one row per replication (a ``replication`` column and one column per
        metric) for the design ``changes`` (``{}`` is the start). It should use common random numbers.
    seed
        Seed of the search (the sampler of trial ``n`` is seeded from ``(seed, n)``).
    base
        The start's value of each lever (a lever's condition reads it when its switch is not a lever).
    folder
        Where trials and runs are kept: the same call on the same folder goes on where it stopped.
    sampler
        ``"tpe"`` (Optuna's TPE, multi-objective when there are several objectives) or ``"random"``.
    startup
        Random trials before TPE models the history (default: two more than the levers, at most 10).
    metrics
        Metric names allowed and their units (default :func:`known_metrics`).
    max_trials
        Trials at most (default ``20 x budget``): proposals of designs already seen cost a trial each.
    on_trial
        Called as ``on_trial(distinct_designs_done, budget)`` after each trial.

    Returns
    -------
    DesignResult
    """
    budget = int(budget)
    if budget < 1:
        raise InputError("--budget", None, "must be at least 1")
    if sampler not in ("tpe", "random"):
        raise InputError("--sampler", None, f"{sampler!r}: expected tpe or random")
    base = dict(base or {})
    # not from the budget: a search resumed with a larger budget must propose what it proposed before
    startup = int(startup) if startup is not None else min(10, len(levers) + 2)
    max_trials = int(max_trials) if max_trials is not None else 20 * budget
    folder_p = Path(folder) if folder is not None else None
    store = _Store(folder_p)
    names = list(dict.fromkeys([o.metric for o in objectives] + [c.metric for c in constraints]))
    start_key = design_key({})
    if store.get(start_key) is None:
        store.put(start_key, evaluate({}))
    records = _within_budget(store.trials(), budget)
    with _quiet_optuna() as optuna:
        from optuna.distributions import distribution_to_json, json_to_distribution
        from optuna.trial import TrialState, create_trial

        directions = ["maximize" if o.maximize else "minimize" for o in objectives]
        study = optuna.create_study(directions=directions, sampler=_sampler(optuna, sampler, seed, 0, startup))
        for rec in records:
            study.add_trial(create_trial(
                state=TrialState[rec["state"]], values=rec["values"] if rec["state"] == "COMPLETE" else None,
                params=rec["params"],
                distributions={k: json_to_distribution(v) for k, v in rec["distributions"].items()},
                system_attrs=rec["system_attrs"]))
        distinct = {r["key"] for r in records if r["new"]}
        seen = {start_key, *distinct}
        # every design of the space seen (the start counts when its values are in the space): stop
        size = _space_size(levers) - (1 if all(base.get(lv.path, _MISSING) in lv.values for lv in levers) else 0)
        n = len(records)
        while len(distinct) < budget and n < max_trials and len(distinct) < size:
            study.sampler = _sampler(optuna, sampler, seed, n, startup)
            trial = study.ask()
            changes = _suggest(levers, trial, base)
            key = design_key(changes)
            # new: not proposed before (decided by the trials, not by the runs kept: a search killed between
            # a design's runs and its trial file has the runs, and must count the design as the first time)
            new = key not in seen
            seen.add(key)
            if new:
                distinct.add(key)
            runs = store.get(key)
            if runs is None:
                runs = evaluate(dict(changes))
                store.put(key, runs)
            means = _means(runs, names)
            for c in constraints:
                trial.set_constraint(c.label, c.violation(means[c.metric]))
            values = [means[o.metric] for o in objectives]
            if all(math.isfinite(v) for v in values):
                study.tell(trial, values)
                state = "COMPLETE"
            else:
                study.tell(trial, state=TrialState.FAIL)
                state = "FAIL"
            frozen = study.trials[-1]
            store.add_trial({
                "number": n, "state": state, "values": values if state == "COMPLETE" else None,
                "params": frozen.params, "system_attrs": frozen.system_attrs,
                "distributions": {k: distribution_to_json(d) for k, d in frozen.distributions.items()},
                "design": changes, "key": key, "new": new,
            })
            records.append({"number": n, "design": changes, "key": key, "new": new})
            n += 1
            if on_trial is not None:
                on_trial(len(distinct), budget)
    r = DesignResult.build(levers, objectives, constraints, records, store, base, seed=seed, budget=budget,
                           metrics=metrics)
    if len(distinct) < budget:
        r.notes.append(f"Only {len(distinct)} designs of the budget of {budget} were evaluated: "
                       + ("the search space has no more." if len(distinct) >= size else
                          f"{n} trials proposed designs already seen (the limit); the search has settled."))
    return r


def _within_budget(records: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The trials of a search with this budget: a folder searched further keeps what a smaller budget saw."""
    new = 0
    for i, r in enumerate(records):
        new += bool(r["new"])
        if new >= budget:
            return records[:i + 1]
    return records


# -- the result ----------------------------------------------------------------------------------
def _pareto_levels(values: np.ndarray) -> np.ndarray:
    """Non-dominated sorting of rows (every column to maximise): level 1 is the front."""
    n = len(values)
    level = np.zeros(n, dtype=int)
    left = np.arange(n)
    k = 1
    while len(left):
        v = values[left]
        dominated = np.array([bool(np.any(np.all(v >= v[i], axis=1) & np.any(v > v[i], axis=1)))
                              for i in range(len(left))])
        level[left[~dominated]] = k
        left = left[dominated]
        k += 1
    return level


@dataclass(eq=False)
class DesignResult:
    """What a design search found.

    Attributes
    ----------
    designs
        One row per distinct design, best first: ``rank, key, trial`` (first trial that proposed it;
        -1 for the start), ``proposals``, one column per lever (empty where it does not apply or is
        the start's value), ``changes`` (in words), the mean of every objective and constraint
        metric, ``violation`` (0 when every constraint holds), ``feasible``, ``front`` (on the
        Pareto front of the feasible designs), ``level`` (non-dominated sorting level).
    trials
        One row per trial: ``trial, key, new`` (``False``: a design already evaluated, not run again).
    runs
        Each design's runs by key (one row per replication); the start's key is ``designs.key[trial == -1]``.
    """

    levers: tuple[Lever, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    designs: pd.DataFrame
    trials: pd.DataFrame
    runs: dict[str, pd.DataFrame]
    base: dict[str, Any]
    seed: int = 0
    budget: int = 0
    scenario: Scenario | None = None
    reps: int = 0
    robustness: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    design_changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    confirmed: DesignResult | None = None

    @classmethod
    def build(cls, levers: Sequence[Lever], objectives: Sequence[Objective], constraints: Sequence[Constraint],
              records: Sequence[Mapping[str, Any]], store: _Store, base: Mapping[str, Any], **kw: Any) -> DesignResult:
        """Rank the designs of a finished search."""
        kw.pop("metrics", None)
        start_key = design_key({})
        order: dict[str, dict[str, Any]] = {start_key: {"trial": -1, "design": {}, "proposals": 0}}
        for r in records:
            changes = {lv.path: r["design"][lv.path] for lv in levers if lv.path in r["design"]}  # in lever order
            d = order.setdefault(r["key"], {"trial": r["number"], "design": changes, "proposals": 0})
            d["proposals"] += 1
        names = list(dict.fromkeys([o.metric for o in objectives] + [c.metric for c in constraints]))
        costs = [m for m in _COSTS if m not in names]
        runs = {k: store.get(k) for k in order}
        rows = []
        for key, d in order.items():
            r = runs[key]
            assert r is not None
            means = _means(r, names + [m for m in costs if m in r])
            viol = sum(max(0.0, c.violation(means[c.metric])) for c in constraints)
            rows.append({"key": key, "trial": d["trial"], "proposals": d["proposals"],
                         **{lv.path: d["design"].get(lv.path) for lv in levers},
                         "changes": describe_changes(d["design"]), **means, "violation": viol})
        df = pd.DataFrame(rows)
        obj = np.column_stack([df[o.metric].to_numpy(float) * (1 if o.maximize else -1) for o in objectives])
        defined = np.all(np.isfinite(obj), axis=1)
        feasible = (df["violation"].to_numpy() <= 0) & defined
        df["feasible"] = feasible
        level = np.full(len(df), 10**6, dtype=int)
        score = np.full(len(df), -np.inf)
        if feasible.any():
            level[feasible] = _pareto_levels(obj[feasible])
            v = obj[feasible]
            span = np.where(np.ptp(v, axis=0) > 0, np.ptp(v, axis=0), 1.0)
            score[feasible] = ((v - v.min(axis=0)) / span).mean(axis=1)
        df["level"] = level
        df["front"] = level == 1
        df["_score"] = score
        df["_v"] = np.where(feasible, 0.0, df["violation"].fillna(np.inf).replace(0.0, np.inf))
        df = df.sort_values(["feasible", "level", "_score", "_v", "trial"], ascending=[False, True, False, True, True],
                            kind="stable").drop(columns=["_score", "_v"]).reset_index(drop=True)
        df.insert(0, "rank", np.arange(1, len(df) + 1))
        trials = pd.DataFrame([{"trial": r["number"], "key": r["key"], "new": r["new"]} for r in records],
                              columns=["trial", "key", "new"])
        return cls(tuple(levers), tuple(objectives), tuple(constraints), df, trials,
                   {k: v for k, v in runs.items() if v is not None}, dict(base),
                   design_changes={k: dict(d["design"]) for k, d in order.items()}, **kw)

    # what a reader asks for
    @property
    def start_key(self) -> str:
        """The key of the starting design (no change)."""
        return design_key({})

    @property
    def front(self) -> pd.DataFrame:
        """The Pareto front: the feasible designs no other feasible design beats on every objective."""
        return self.designs[self.designs["front"]].reset_index(drop=True)

    @property
    def recommended(self) -> dict[str, Any] | None:
        """The recommended design as changes from the start (``{}``: keep the start; ``None``: nothing feasible).

        With one objective, the feasible design with the best mean; with several, the front's design
        with the best average of its objectives scaled 0-1 over the feasible designs.
        """
        key = self.recommended_key
        return None if key is None else self.changes_of(key)

    @property
    def recommended_key(self) -> str | None:
        """The key of the recommended design: the best confirmed one when the best were confirmed."""
        if self.confirmed is not None:
            return self.confirmed.recommended_key
        top = self.designs.iloc[0]
        return str(top["key"]) if bool(top["feasible"]) else None

    def changes_of(self, key: str) -> dict[str, Any]:
        """A design's changes from the start, by key."""
        return dict(self.design_changes[key])

    @property
    def recommended_scenario(self) -> Scenario | None:
        """The start scenario with the recommended design (for a search on a scenario)."""
        rec = self.recommended
        if self.scenario is None or rec is None:
            return None
        from partnersim.scenario import with_changes

        sc = with_changes(self.scenario, rec)
        return sc.model_copy(update={"name": f"{self.scenario.name} (designed)", "description": (
            f"{self.scenario.description} Recommended by a design search: {describe_changes(rec)}.")[:5000]})

    def metrics(self) -> list[str]:
        """The objective and constraint metrics, then the costs (meeting hours, money per month) if known."""
        names = list(dict.fromkeys([o.metric for o in self.objectives] + [c.metric for c in self.constraints]))
        return names + [m for m in _COSTS if m not in names and m in self.designs]

    def table(self, k: int = 5, level: float = 0.95) -> pd.DataFrame:
        """The ``k`` best designs and the start, with each metric's mean and paired interval against the start.

        Columns: ``rank, changes, feasible, front``, then per metric ``METRIC`` (mean),
        ``METRIC_diff``, ``METRIC_low``, ``METRIC_high`` (the paired difference from the start and
        its interval), and ``METRIC_clear`` (the interval excludes 0).
        """
        from partnersim.analysis.compare import paired_differences

        names = self.metrics()
        start = self.runs[self.start_key]
        top = self.designs.head(int(k))
        if self.start_key not in set(top["key"]):
            top = pd.concat([top, self.designs[self.designs["key"] == self.start_key]])
        rows = []
        for r in top.itertuples():
            row: dict[str, Any] = {"rank": r.rank, "changes": r.changes if r.key != self.start_key else START,
                                   "feasible": r.feasible, "front": r.front}
            diff = paired_differences(start, self.runs[r.key], names, level).set_index("metric")
            for m in names:
                row[m] = getattr(r, m) if hasattr(r, m) else self.designs.set_index("key").loc[r.key, m]
                row[f"{m}_diff"], row[f"{m}_low"], row[f"{m}_high"] = (
                    float(diff.loc[m, "diff"]), float(diff.loc[m, "ci_low"]), float(diff.loc[m, "ci_high"]))
                row[f"{m}_clear"] = bool(row[f"{m}_low"] > 0 or row[f"{m}_high"] < 0)
            rows.append(row)
        return pd.DataFrame(rows)

    def separation(self, level: float = 0.95) -> str:
        """Whether the replications tell the recommended design from the runner-up, on the first objective."""
        from partnersim.analysis.compare import paired_differences

        feas = self.designs[self.designs["feasible"]]
        if len(feas) < 2:
            return ""
        o = self.objectives[0]
        a, b = feas.iloc[0], feas.iloc[1]
        d = paired_differences(self.runs[b.key], self.runs[a.key], [o.metric], level).iloc[0]
        lo, hi = float(d["ci_low"]), float(d["ci_high"])
        told = (lo > 0 or hi < 0)
        return (f"The recommended design against the runner-up on {o.metric}: {float(d['diff']):+.4g} "
                f"[{lo:+.4g}, {hi:+.4g}] ({int(level * 100)}% paired interval, {int(d['n'])} replications): "
                + ("told apart." if told else "not told apart; more replications (--reps) would separate them, "
                   "or both are as good."))

    def __repr__(self) -> str:
        conf = f", the best {len(self.confirmed.designs) - 1} confirmed" if self.confirmed is not None else ""
        return (f"<DesignResult{conf}: {len(self.designs)} designs ({int(self.designs['feasible'].sum())} feasible, "
                f"{int(self.designs['front'].sum())} on the front) from {len(self.trials)} trials; "
                f".table(), .front, .recommended>")


def describe_changes(changes: Mapping[str, Any]) -> str:
    """A design's changes in a few words: ``weekly.enabled=yes, funding_rule=capacity``."""
    if not changes:
        return "no change"

    def short(p: str) -> str:
        return p.removeprefix("agreement.").removeprefix("cadence.")

    def val(v: Any) -> str:
        return ("yes" if v else "no") if isinstance(v, bool) else (f"{v:g}" if isinstance(v, float) else str(v))

    return ", ".join(f"{short(k)}={val(v)}" for k, v in changes.items())


def confirm(result: DesignResult, k: int, evaluate: Evaluate | None, folder: str | Path | None = None) -> DesignResult:
    """The ``k`` best feasible designs of a search and the start, evaluated again by ``evaluate`` (more replications).

    A search picks its best designs on the replications it had, so their means are biased upwards
    (the winner's curse); run again on more replications (a superset, on the same seeds) they are
    ranked afresh, and the start may win. ``folder`` keeps the runs (a confirmation resumes);
    ``evaluate=None`` reads them only.

    Returns
    -------
    DesignResult
        The confirmed designs alone, ranked (its ``trials`` are the trials that found them).
    """
    feas = result.designs[result.designs["feasible"]]
    keys = [str(x) for x in feas["key"].head(int(k))]
    store = _Store(Path(folder) if folder is not None else None)
    start_key = design_key({})
    for key in dict.fromkeys([start_key, *keys]):
        if store.get(key) is None:
            if evaluate is None:
                raise FileNotFoundError(f"the confirmation's runs of design {key} are missing")
            store.put(key, evaluate(dict(result.design_changes[key])))
    first = result.designs.set_index("key")["trial"]
    records = [{"number": int(first[key]), "design": result.design_changes[key], "key": key, "new": True}
               for key in keys if key != start_key]
    return DesignResult.build(result.levers, result.objectives, result.constraints, records, store, result.base,
                              seed=result.seed, budget=len(records))

