"""Interventions compared on common random numbers: their effect over time, and when it is too late.

- :func:`intervene` makes scenario B from A without a second file: A plus changes from a
  given day or month.
- :func:`effect_over_time` is the paired difference ``B - A`` of the main weekly series,
  week by week, with its interval: what the intervention does from its day on.
- :func:`too_late` runs the same intervention from several days (or months) against the
  scenario without it, all on the same random streams, and tabulates the paired effect
  on survival, trust and joint revenue against the delay; :func:`vary_item` does the same
  for any field of an intervention or policy (a policy's threshold, say).

Replication ``i`` of every variant runs on the streams of replication ``i`` of A, so the
runs of a pair are identical up to the intervention day and differ only by what it did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from partnersim.analysis.compare import Comparison
from partnersim.run.ensemble import Ensemble, run_ensembles
from partnersim.run.simulate import as_scenario
from partnersim.scenario import InputError, Scenario, scenario_from_dict, with_changes

__all__ = ["intervene", "from_month", "effect_over_time", "firing_lines", "too_late", "vary_item", "without_item",
           "intervention_day", "describe_interventions", "MAIN_SERIES", "EFFECT_METRICS", "EFFECT_COLUMNS",
           "parse_grid"]

#: The series whose paired difference shows an intervention's effect over time.
MAIN_SERIES: tuple[str, ...] = ("active", "trust", "joint_revenue_cum")
#: The metrics of "when is it too late?".
EFFECT_METRICS: tuple[str, ...] = ("survived", "final_trust", "joint_revenue")
#: Columns of :func:`too_late` and :func:`vary_item` tables.
EFFECT_COLUMNS = ["value", "metric", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "n"]


def intervene(scenario: Scenario | str | Path, changes: dict[str, Any], *, day: float | None = None,
              month: float | None = None, when: dict[str, Any] | None = None, delay_days: float = 0.0,
              once: bool = True, min_gap_days: float = 0.0, name: str = "", source: str = "intervene") -> Scenario:
    """Scenario A plus an intervention: ``changes`` take effect from ``day`` (or ``month``), or, with
    ``when``, whenever a policy's rule holds.

    Parameters
    ----------
    scenario
        Scenario A (a :class:`~partnersim.scenario.Scenario`, a TOML path or a bundled name).
    changes
        Dotted field paths and their new values, as in a scenario file's ``changes``.
    day, month
        When they take effect (give one; neither means day 0).
    when
        Instead of a day: a policy's rule, e.g. ``{"state": "trust", "below": 0.5}``,
        ``{"event": "escalations", "count": 2, "within_days": 90}``, ``{"event": "renegotiations"}``
        or ``{"revenue_ratio": 1.5}`` (see :class:`partnersim.scenario.Policy`).
    delay_days, once, min_gap_days
        With ``when``: the time it takes to act; fire once or repeatedly (at most every ``min_gap_days``).
    name
        The intervention's name (it names the result columns ``fired_day.<name>``).
    source
        What errors name as the input (``"--set"`` on the command line).

    Returns
    -------
    Scenario
        A copy of A with the intervention appended to its ``interventions`` (with ``when``: the
        policy appended to its ``policies``).

    Raises
    ------
    InputError
        A field that does not exist, cannot change mid-run, or a value out of bounds.

    Examples
    --------
    >>> from partnersim import intervene, load_scenario
    >>> b = intervene(load_scenario("baseline"), {"agreement.cadence.weekly.enabled": True}, month=6)
    >>> b.interventions[0].month, b.interventions[0].changes
    (6.0, {'agreement.cadence.weekly.enabled': True})
    >>> p = intervene("baseline", {"agreement.conflict.facilitator": True}, delay_days=14,
    ...               when={"event": "escalations", "count": 2, "within_days": 90})
    >>> p.policies[0].when.describe()
    '2 escalations within 90 days'
    """
    sa = as_scenario(scenario)
    if day is not None and month is not None:
        raise InputError(source, "day", "give day or month, not both")
    item: dict[str, Any] = {"changes": dict(changes)}
    if when is not None:
        if day is not None or month is not None:
            raise InputError(source, "when", "a policy acts when its rule holds: give when or a day/month, not both")
        item.update(when=dict(when), delay_days=float(delay_days), once=bool(once), min_gap_days=float(min_gap_days))
        if name:
            item["name"] = name
        data = sa.model_dump()
        data["policies"] = [*data["policies"], item]
        return scenario_from_dict(data, source)
    if month is not None:
        item["month"] = float(month)
    else:
        item["day"] = float(day) if day is not None else 0.0
    if name:
        item["name"] = name
    data = sa.model_dump()
    data["interventions"] = [*data["interventions"], item]
    return scenario_from_dict(data, source)


def from_month(scenario: Scenario, changes: dict[str, Any], month: float, *, name: str = "",
               label: str = "from month") -> Scenario:
    """Scenario A with ``changes`` made from ``month`` on; those that cannot change mid-run (a horizon,
    a time zone: see ``partnersim.scenario.interventions.FIXED``) are made from the start.

    The faces' "from month N" control: ``month = 0`` is :func:`~partnersim.scenario.with_changes`.

    Examples
    --------
    >>> from partnersim import load_scenario
    >>> b = from_month(load_scenario("baseline"), {"agreement.cadence.weekly.enabled": True,
    ...                                             "partner_b.utc_offset": 8.0}, 6)
    >>> b.partner_b.utc_offset, b.interventions[0].changes
    (8.0, {'agreement.cadence.weekly.enabled': True})
    """
    from partnersim.scenario.interventions import fixed_reason

    fixed = {k: v for k, v in changes.items() if fixed_reason(k) is not None}
    mid = {k: v for k, v in changes.items() if k not in fixed}
    if month <= 0 or not mid:
        return with_changes(scenario, {**changes, **({"name": name} if name else {})})
    base = with_changes(scenario, {**fixed, **({"name": name} if name else {})})
    return intervene(base, mid, month=month, name=label)


def intervention_day(scenario: Scenario) -> float | None:
    """The earliest scheduled intervention day of a scenario (``None`` without any)."""
    days = [iv.at_day for iv in scenario.interventions]
    return min(days) if days else None


def describe_interventions(scenario: Scenario) -> list[str]:
    """Each intervention and policy of a scenario in words (for reports and the command line)."""
    from partnersim.analysis.reading import format_number

    def what(changes: dict[str, Any]) -> str:
        return ", ".join(f"{k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in changes.items())

    out = []
    for i, iv in enumerate(scenario.interventions):
        when = (f"month {format_number(iv.month)} (day {format_number(iv.at_day)})" if iv.month is not None
                else f"day {format_number(iv.at_day)}")
        out.append(f"{iv.name or f'Intervention {i}'}: from {when}, {what(iv.changes)}")
    for i, pl in enumerate(scenario.policies):
        how = "once" if pl.once else ("repeatedly" + (f", at least {pl.min_gap_days:g} days apart"
                                                       if pl.min_gap_days else ""))
        delay = f" {pl.delay_days:g} days later" if pl.delay_days else ""
        out.append(f"{pl.name or f'Policy {i}'}: when {pl.when.describe()}, {what(pl.changes)}{delay} ({how})")
    return out


def firing_lines(ens: Ensemble) -> list[str]:
    """How often each intervention and policy fired in an ensemble's runs, in words."""
    from partnersim.analysis.reading import format_number

    out = []
    for col in ens.runs.columns:
        if not col.startswith("fired_count."):
            continue
        label = col.removeprefix("fired_count.")
        n = int((ens.runs[col] > 0).sum())
        days = ens.runs[f"fired_day.{label}"].dropna()
        line = f"{label}: took effect in {n} of {len(ens.runs)} runs"
        if n and float(days.min()) == float(days.max()):
            line += f", on day {format_number(float(days.min()))}"
        elif n:
            line += (f", first on day {format_number(float(days.median()))} (median; from day "
                     f"{format_number(float(days.min()))} to {format_number(float(days.max()))})")
            mean_n = float(ens.runs[col].mean())
            if mean_n > n / len(ens.runs) + 1e-9:
                line += f", {format_number(mean_n)} times per run on average"
        out.append(line)
    return out


def _paired(a: np.ndarray, b: np.ndarray, level: float) -> tuple[np.ndarray, ...]:
    """Mean of a and b, mean paired difference b - a and its t interval, along axis 0 (NaN pairs left out)."""
    d = b - a
    ok = np.isfinite(d)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dz = np.where(ok, d, 0.0)
        mean = dz.sum(axis=0) / n
        var = (np.where(ok, d - mean, 0.0) ** 2).sum(axis=0) / (n - 1)
        se = np.sqrt(var / n)
        h = np.where(n > 1, special.stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2.0) * se, np.nan)
        h = np.where(se == 0.0, 0.0, h)
        ma, mb = np.nanmean(a, axis=0), np.nanmean(b, axis=0)
    return ma, mb, mean, mean - h, mean + h, n


def effect_over_time(a: Ensemble | Comparison, b: Ensemble | None = None,
                     columns: Sequence[str] = MAIN_SERIES, level: float = 0.95) -> pd.DataFrame:
    """The paired difference ``B - A`` of weekly series, week by week, with its interval.

    Parameters
    ----------
    a, b
        Two ensembles run on the same seeds (or one :class:`~partnersim.analysis.compare.Comparison`).
    columns
        Time-series columns (default :data:`MAIN_SERIES`: ``active``, i.e. the share still
        together, ``trust`` and ``joint_revenue_cum``).
    level
        Confidence level of the paired t interval of each week.

    Returns
    -------
    pandas.DataFrame
        Long form: ``column, day, mean_a, mean_b, diff, ci_low, ci_high, n``. Before the
        intervention day ``diff`` is exactly 0 with a zero-width interval (identical runs).

    Examples
    --------
    >>> from partnersim import compare, intervene, load_scenario, with_changes
    >>> a = with_changes(load_scenario("baseline"), {"horizon_days": 364})
    >>> b = intervene(a, {"agreement.cadence.weekly.enabled": True}, month=6)
    >>> eff = effect_over_time(compare(a, b, reps=8, seed=1, workers=1))
    >>> trust = eff[eff.column == "trust"]
    >>> bool((trust[trust.day <= 182]["diff"] == 0).all())
    True
    """
    if isinstance(a, Comparison):
        a, b = a.a, a.b
    if b is None:
        raise TypeError("effect_over_time needs two ensembles, or a Comparison")
    from partnersim.model import COLUMNS

    if a.series.shape != b.series.shape or a.series.size == 0:
        raise ValueError("the two ensembles need weekly series of the same shape (run with keep_series=True)")
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise KeyError(f"unknown time-series column(s) {unknown}; known: {', '.join(COLUMNS)}")
    days = a.series[0, :, 0]
    frames = []
    for col in columns:
        j = COLUMNS.index(col)
        ma, mb, d, lo, hi, n = _paired(a.series[:, :, j], b.series[:, :, j], level)
        frames.append(pd.DataFrame({"column": col, "day": days, "mean_a": ma, "mean_b": mb, "diff": d,
                                    "ci_low": lo, "ci_high": hi, "n": n}))
    return pd.concat(frames, ignore_index=True)


def without_item(scenario: Scenario, path: str) -> Scenario:
    """The scenario without the intervention or policy that ``path`` (``interventions.0.month``,
    ``policies.<name>.when.below``) points into."""
    section, key = path.split(".")[:2]
    items = list(getattr(scenario, section))
    idx = int(key) if key.isdigit() else next((i for i, x in enumerate(items) if x.name == key), None)
    if idx is None or not 0 <= idx < len(items):
        raise InputError("--vary", path, f"no {section[:-1]} '{key}' in the scenario (it has {len(items)})")
    del items[idx]
    return scenario.model_copy(update={section: tuple(items)})


def _effects(base: Scenario, variants: list[tuple[float, Scenario]], reps: int, seed: int, workers: int | None,
             metrics: Sequence[str], level: float, progress: bool | None) -> pd.DataFrame:
    ensembles = run_ensembles([(base, seed)] + [(sc, seed) for _, sc in variants], reps, workers, progress,
                              keep_series=False)
    from partnersim.analysis import reading as _reading

    def runs(ens: Ensemble) -> pd.DataFrame:
        return ens.runs.assign(days_together=_reading.days_together(ens.runs, ens.scenario.horizon_days))

    ra = runs(ensembles[0])
    rows = []
    for (value, _sc), ens in zip(variants, ensembles[1:], strict=True):
        rb = runs(ens)
        for m in metrics:
            ma, mb, d, lo, hi, n = _paired(ra[m].to_numpy(float)[:, None], rb[m].to_numpy(float)[:, None], level)
            rows.append({"value": value, "metric": m, "mean_a": float(ma[0]), "mean_b": float(mb[0]),
                         "diff": float(d[0]), "ci_low": float(lo[0]), "ci_high": float(hi[0]), "n": int(n[0])})
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def too_late(scenario: Scenario | str | Path, changes: dict[str, Any], *, months: Sequence[float] | None = None,
             days: Sequence[float] | None = None, reps: int = 100, seed: int = 0, workers: int | None = None,
             metrics: Sequence[str] = EFFECT_METRICS, level: float = 0.95,
             progress: bool | None = None) -> pd.DataFrame:
    """The paired effect of the same intervention started later and later: "when is it too late?".

    Every variant (A plus ``changes`` from one of the ``months`` or ``days``) runs on the
    seeds and streams of A, so each row is a paired comparison with A.

    Returns
    -------
    pandas.DataFrame
        Columns ``value`` (the month, or the day), ``metric``, ``mean_a``, ``mean_b``,
        ``diff`` (B - A), ``ci_low``, ``ci_high`` (paired t interval), ``n``; one row per
        start and metric, with ``unit`` (``"month"`` or ``"day"``) in ``.attrs``.

    Examples
    --------
    >>> from partnersim import load_scenario, with_changes
    >>> a = with_changes(load_scenario("baseline"), {"horizon_days": 364})
    >>> t = too_late(a, {"agreement.cadence.weekly.enabled": True}, months=[0, 6, 12], reps=6, seed=1, workers=1)
    >>> t[t.metric == "final_trust"]["value"].tolist()
    [0.0, 6.0, 12.0]
    >>> float(t[(t.metric == "final_trust") & (t.value == 12)]["diff"].iloc[0])  # after the horizon: no effect
    0.0
    """
    sa = as_scenario(scenario)
    if (months is None) == (days is None):
        raise ValueError("give months or days")
    starts = [float(x) for x in (months if months is not None else days)]  # type: ignore[union-attr]
    key = "month" if months is not None else "day"
    variants = [(x, intervene(sa, changes, **{key: x})) for x in starts]
    table = _effects(sa, variants, reps, seed, workers, metrics, level, progress)
    table.attrs.update(unit=key, changes=dict(changes))
    return table


def vary_item(scenario: Scenario | str | Path, path: str, values: Sequence[Any], *, reps: int = 100, seed: int = 0,
              workers: int | None = None, metrics: Sequence[str] = EFFECT_METRICS, level: float = 0.95,
              progress: bool | None = None) -> pd.DataFrame:
    """The paired effect of an intervention or policy against the scenario without it, for several values
    of one of its fields (``path``, e.g. ``policies.0.when.below`` or ``interventions.0.month``).

    A is the scenario without that intervention or policy; each B sets ``path`` to one value.
    Returns the table of :func:`too_late` (``value`` holds the field's value).

    Examples
    --------
    >>> from partnersim import load_scenario
    >>> from partnersim.scenario import scenario_from_dict
    >>> data = {**load_scenario("baseline").model_dump(), "horizon_days": 364.0, "policies": [
    ...     {"when": {"state": "trust", "below": 0.5}, "changes": {"agreement.conflict.facilitator": True}}]}
    >>> t = vary_item(scenario_from_dict(data), "policies.0.when.below", [0.3, 0.6], reps=4, seed=1, workers=1)
    >>> sorted(set(t["value"]))
    [0.3, 0.6]
    """
    sa = as_scenario(scenario)
    base = without_item(sa, path)
    variants = []
    for v in values:
        try:
            variants.append((v, with_changes(sa, {path: v})))
        except (ValueError, TypeError) as e:  # pydantic's ValidationError is a ValueError
            from pydantic import ValidationError

            from partnersim.scenario.io import format_validation_error

            if isinstance(e, ValidationError):
                err = format_validation_error(e, "--values")
                raise InputError("--values", path, f"{v!r}: {err.message}") from None
            raise InputError("--vary", path, str(e)) from None
    table = _effects(base, variants, reps, seed, workers, metrics, level, progress)
    table.attrs.update(unit=path)
    return table


def parse_grid(text: str, source: str = "--months") -> list[float]:
    """``"0:24:3"`` (start:stop:step, stop included) or ``"0,6,12"`` as a list of numbers.

    Examples
    --------
    >>> parse_grid("0:12:3")
    [0.0, 3.0, 6.0, 9.0, 12.0]
    >>> parse_grid("0.3,0.5")
    [0.3, 0.5]
    """
    try:
        if ":" in text:
            parts = [float(x) for x in text.split(":")]
            if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError
            n = int(math.floor((parts[1] - parts[0]) / parts[2] + 1e-9)) + 1
            vals = [round(parts[0] + i * parts[2], 10) for i in range(min(n, 1001))]
        else:
            vals = [float(x) for x in text.split(",") if x.strip()]
        if not vals or not all(math.isfinite(v) for v in vals):
            raise ValueError
    except ValueError:
        raise InputError(source, None, f"must be start:stop:step (e.g. 0:24:3) or a list such as 0,6,12 "
                         f"(got {text!r})") from None
    if len(vals) > 1000:
        raise InputError(source, None, f"{text!r} gives more than 1000 values")
    return vals

