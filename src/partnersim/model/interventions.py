"""Interventions and policies inside a run: when their changes take effect, and the record of it.

The scenario's ``interventions`` and ``policies`` (validated in
:mod:`partnersim.scenario.interventions`) are applied through :meth:`Model.set_params
<partnersim.model.core.Model.set_params>`: the state is brought up to now, ``m.p`` is
replaced by a copy with the changes, the derived coefficients are recomputed and any
cadence switched on starts from now. Nothing here draws a random number, so every
mechanism's stream is the same as in the run without them.

When:

- an intervention at day 0 is folded into the scenario before the model is built (the
  run is then the changed scenario's run from the start); one at day ``d`` inside the
  horizon takes effect at ``d``, before any other event at that time (its timeout is
  created first); one at or after the horizon never does;
- a ``state`` or ``revenue_ratio`` policy is checked at every weekly tick, after the
  week's row is recorded and before the next week's conflicts are drawn; with no delay its
  changes take effect at once (so the coming week's conflicts see them);
- an ``event`` policy is checked as the event is counted; its changes take effect right
  after that event (a zero timeout), or ``delay_days`` later;
- nothing is applied once the partnership has ended.

Each firing is recorded: ``fired_day.<label>`` (the first day the changes took effect,
NaN if never) and ``fired_count.<label>`` in the run's summary, and ``("intervention",
label)``, ``("policy_triggered", label)``, ``("policy", label)`` in the trace.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["Watch", "prepare", "apply_changes", "state_value", "result_keys"]

NAN = float("nan")
DAYS_PER_MONTH = 30.4375


def apply_changes(p: Any, changes: dict[str, Any]) -> Any:
    """A copy of the scenario ``p`` with dotted-path ``changes`` (values already validated)."""
    for path, value in changes.items():
        p = _set(p, path.split("."), value)
    return p


def _set(obj: Any, keys: list[str], value: Any) -> Any:
    if len(keys) == 1:
        return obj.model_copy(update={keys[0]: value})
    return obj.model_copy(update={keys[0]: _set(getattr(obj, keys[0]), keys[1:], value)})


def at_day(iv: Any) -> float:
    """The day an intervention takes effect."""
    return float(iv.day) if iv.day is not None else float(iv.month) * DAYS_PER_MONTH


def result_keys(label: str) -> tuple[str, str]:
    """The summary keys of an intervention's or policy's record: first day, number of firings."""
    return f"fired_day.{label}", f"fired_count.{label}"


def state_value(m: Model, name: str) -> float:
    """The value of a watched state variable (see ``STATE_VARIABLES`` of the scenario layer)."""
    st = m.st
    if name == "trust":
        return st.trust
    if name == "alignment":
        return st.alignment
    if name == "context":
        return st.context
    if name == "relevance":
        return st.relevance
    if name == "fairness_a":
        return st.fairness[0]
    if name == "fairness_b":
        return st.fairness[1]
    if name == "min_fairness":
        return min(st.fairness)
    if name == "customer_satisfaction":
        return st.customer_sat
    if name == "team_satisfaction":
        return st.team_sat
    if name == "open_conflicts":
        return float(len(st.open) + len(st.latent))
    raise KeyError(name)


def revenue_ratio(m: Model) -> float:
    """How many times as much one partner's total revenue has grown since day 0 as the other's."""
    st = m.st
    g = [(st.core_revenue[i] + st.joint_rate[i]) / m.revenue0[i] if m.revenue0[i] > 0.0 else 1.0 for i in (0, 1)]
    lo, hi = min(g), max(g)
    return hi / lo if lo > 1e-12 else float("inf")


class _PolicyState:
    __slots__ = ("label", "rule", "last", "pending", "done")

    def __init__(self, label: str, rule: Any) -> None:
        self.label = label
        self.rule = rule
        self.last = -1.0  # when it last triggered
        self.pending = False  # triggered, waiting for its delay
        self.done = False  # a once-policy that has triggered


class Watch:
    """The interventions and policies of one run, and the record of their firings."""

    __slots__ = ("labels", "fired", "scheduled", "tick_rules", "event_rules", "event_times", "folded")

    def __init__(self, p: Any) -> None:
        ivs, pls = p.interventions, p.policies
        iv_labels = [iv.name or f"interventions.{i}" for i, iv in enumerate(ivs)]
        pl_labels = [pl.name or f"policies.{i}" for i, pl in enumerate(pls)]
        self.labels = (*iv_labels, *pl_labels)
        self.fired: dict[str, list[float]] = {lab: [NAN, 0.0] for lab in self.labels}
        order = sorted(range(len(ivs)), key=lambda i: (at_day(ivs[i]), i))
        self.scheduled = [(at_day(ivs[i]), iv_labels[i], ivs[i].changes) for i in order]
        states = [_PolicyState(lab, pl) for lab, pl in zip(pl_labels, pls, strict=True)]
        self.tick_rules = [s for s in states if s.rule.when.event is None]
        self.event_rules: dict[str, list[_PolicyState]] = {}
        for s in states:
            if s.rule.when.event is not None:
                self.event_rules.setdefault(_COUNTED[s.rule.when.event], []).append(s)
        self.event_times: dict[str, list[float]] = {k: [] for k in self.event_rules}
        self.folded: list[str] = []

    # -- scheduled interventions ---------------------------------------------------------
    def fold_day0(self, p: Any) -> Any:
        """The scenario with the day-0 interventions applied (they take effect before the model is built)."""
        for day, label, changes in self.scheduled:
            if day <= 0.0:
                p = apply_changes(p, changes)
                self._mark(label, 0.0)
                self.folded.append(label)
        return p

    def start(self, m: Model) -> None:
        """Schedule the interventions inside the horizon (called first in ``Model.start``)."""
        for label in self.folded:
            m.log("intervention", label)
        env = m.env
        for day, label, changes in self.scheduled:
            if 0.0 < day < m.horizon:
                env.timeout(day).callbacks.append(
                    lambda _ev, lab=label, ch=changes: self._apply(m, lab, ch, "intervention"))

    def _apply(self, m: Model, label: str, changes: dict[str, Any], kind: str) -> None:
        if not m.st.active:
            return
        m.set_params(apply_changes(m.p, changes))
        self._mark(label, m.env.now)
        m.log(kind, label)

    def _mark(self, label: str, t: float) -> None:
        rec = self.fired[label]
        if rec[1] == 0.0:
            rec[0] = t
        rec[1] += 1.0

    # -- policies ------------------------------------------------------------------------
    def tick(self, m: Model) -> None:
        """Check the state policies (at the weekly tick, after the row is recorded)."""
        now = m.env.now
        for s in self.tick_rules:
            if self._ready(s, now) and _holds(m, s.rule.when):
                self._trigger(m, s, now, at_tick=True)

    def event(self, m: Model, kind: str) -> None:
        """Count one event of ``kind`` (a key of ``m.counts``) and check the policies that watch it."""
        rules = self.event_rules.get(kind)
        if rules is None:
            return
        now = m.env.now
        times = self.event_times[kind]
        times.append(now)
        for s in rules:
            w = s.rule.when
            n = len(times) if w.within_days is None else len(times) - bisect_left(times, now - w.within_days)
            if n >= w.count and self._ready(s, now):
                self._trigger(m, s, now, at_tick=False)

    def _ready(self, s: _PolicyState, now: float) -> bool:
        if s.done or s.pending:
            return False
        return s.last < 0.0 or now - s.last >= s.rule.min_gap_days

    def _trigger(self, m: Model, s: _PolicyState, now: float, *, at_tick: bool) -> None:
        s.last = now
        s.done = s.rule.once
        m.log("policy_triggered", s.label)
        delay = s.rule.delay_days
        if at_tick and delay <= 0.0:
            self._apply(m, s.label, s.rule.changes, "policy")
            return
        if now + delay >= m.horizon:
            return
        s.pending = True

        def act(_ev: Any) -> None:
            s.pending = False
            self._apply(m, s.label, s.rule.changes, "policy")

        m.env.timeout(delay).callbacks.append(act)

    # -- results -------------------------------------------------------------------------
    def columns(self) -> dict[str, float]:
        """``fired_day.<label>`` and ``fired_count.<label>`` for every intervention and policy."""
        out: dict[str, float] = {}
        for label in self.labels:
            day_key, count_key = result_keys(label)
            out[day_key], out[count_key] = self.fired[label]
        return out


# the policy event names and the counts they follow
_COUNTED = {"escalations": "escalations", "conflicts": "conflicts_raised", "renegotiations": "renegotiations",
            "flare_ups": "flare_ups", "market_shifts": "market_shifts"}


def _holds(m: Model, w: Any) -> bool:
    if w.state is not None:
        x = state_value(m, w.state)
        return x < w.below if w.below is not None else x > w.above
    return revenue_ratio(m) >= w.revenue_ratio


def prepare(scenario: Any) -> tuple[Any, Watch | None]:
    """The scenario to build the model from (day-0 interventions folded in) and the run's :class:`Watch`
    (``None`` when the scenario has neither interventions nor policies)."""
    if not (getattr(scenario, "interventions", ()) or getattr(scenario, "policies", ())):
        return scenario, None
    watch = Watch(scenario)
    return watch.fold_day0(scenario), watch
