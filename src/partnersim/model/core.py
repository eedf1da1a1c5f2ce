"""The partnership model: wiring, the weekly tick and continuous dynamics.

:class:`Model` holds the SimPy environment, the scenario (``m.p``, the one place every
mechanism reads its parameters from), the per-mechanism random streams, the state and
the recorder. Each mechanism lives in its own module as plain SimPy processes and
callbacks that take the model as first argument.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import simpy

from partnersim.model import communication, conflicts, initiatives, meetings, review
from partnersim.model.calendar import WorkCalendar, overlap_hours
from partnersim.model.metrics import summarize
from partnersim.model.recorder import COLUMNS, Recorder
from partnersim.model.state import State
from partnersim.model.streams import Stream, make_streams

__all__ = ["Model", "RunOutput", "run_model"]

DAYS_PER_YEAR = 365.0
DAYS_PER_MONTH = 30.4375
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7.0
SHORT_MEMORY_DAYS = 30.0  # time constant of missed-milestone and market-shift memory


class RunOutput:
    """What one model run produces: summary metrics, the weekly series and the event log."""

    __slots__ = ("summary", "series", "columns", "events", "exit_reason")

    def __init__(self, summary: dict[str, float], series: Any, columns: tuple[str, ...],
                 events: list[tuple] | None, exit_reason: str) -> None:
        self.summary = summary
        self.series = series
        self.columns = columns
        self.events = events
        self.exit_reason = exit_reason


class Model:
    """One partnership, simulated from day 0 to ``scenario.horizon_days``.

    Parameters
    ----------
    scenario
        A validated :class:`partnersim.scenario.Scenario` (read by attribute only).
    seed, replication
        Identify the run; every mechanism gets its own stream from them.
    trace
        Keep an event log ``(time, kind, *details)`` in ``self.events``.
    streams
        Optional ready-made streams (tests); by default from ``make_streams``.
    traffic
        ``"planned"`` (default, fast) or ``"process"``: the reference implementation of
        routine messages, one event each (same law, for tests and benchmarks).
    """

    def __init__(self, scenario: Any, seed: int = 0, replication: int = 0, *, trace: bool = False,
                 streams: dict[str, Stream] | None = None, traffic: str = "planned") -> None:
        self.p = scenario
        self.traffic_mode = traffic
        self.env = simpy.Environment()
        self.rng = streams if streams is not None else make_streams(seed, replication)
        self.events: list[tuple] | None = [] if trace else None
        self.horizon = float(scenario.horizon_days)
        ini = scenario.initial
        self.st = State(
            trust=ini.trust,
            alignment=ini.alignment,
            context=ini.context,
            core_revenue=[scenario.partner_a.revenue, scenario.partner_b.revenue],
        )
        self.st.budget = [scenario.partner_a.money_capacity, scenario.partner_b.money_capacity]
        self.st.reliability_record = 0.5 * (scenario.partner_a.reliability + scenario.partner_b.reliability)
        self.counts: dict[str, float] = dict.fromkeys(
            ("conflicts_raised", "conflicts_resolved", "conflicts_surfaced_at_meetings", "flare_ups",
             "escalations", "resolution_days_sum", "resolved_within_target",
             "decisions", "decision_days_sum", "opportunities",
             "opportunities_lost", "opportunities_declined", "unfunded", "initiatives_started",
             "initiatives_completed", "initiatives_failed", "milestones", "milestones_missed",
             "meetings", "informal", "market_shifts", "renegotiations", "facilitator_spend",
             "open_area"),
            0.0,
        )
        self._open_t = 0.0
        self._areas = [0.0, 0.0, 0.0, 0.0]  # time integrals of trust, alignment, customer and team satisfaction
        self.traffic = communication.Traffic()  # planned in start()
        self.rotation = 1  # who joined the last rotated meeting out of hours
        self.terms_revenue = (scenario.partner_a.revenue, scenario.partner_b.revenue)
        # weekly rows from day 0, plus a last row at the horizon when it is not a whole week
        self.recorder = Recorder(int(self.horizon // 7) + 1 + (1 if self.horizon % 7.0 > 1e-9 else 0))
        self._rev_t = 0.0
        self.refresh_params()

    # -- parameters -----------------------------------------------------------------
    def refresh_params(self) -> None:
        """Recompute values derived from ``self.p`` (call after replacing ``self.p``)."""
        p = self.p
        pa, pb = p.partner_a, p.partner_b
        self.partners = (pa, pb)
        self.cal = (
            WorkCalendar(pa.utc_offset, pa.work_start, pa.work_end, pa.working_days),
            WorkCalendar(pb.utc_offset, pb.work_start, pb.work_end, pb.working_days),
        )
        self.overlap = overlap_hours(*self.cal)
        self.accountability = meetings.accountability(p)
        self.hours_capacity = (pa.staff_hours * WEEKS_PER_MONTH, pb.staff_hours * WEEKS_PER_MONTH)
        # coefficients of advance(), cached (it runs at every tick and most events)
        d, ag, mech = p.dynamics, p.agreement, p.mechanisms
        self.rng_core = self.rng["core"]
        self._gbm = tuple(
            (pp.growth_rate - 0.5 * s * s, s)
            for pp in (pa, pb)
            for s in (pp.revenue_volatility if mech.core_noise else 0.0,)
        )
        self._budget_cap = ((pa.money_capacity, 3.0 * pa.money_capacity),
                            (pb.money_capacity, 3.0 * pb.money_capacity))
        self._fund = (ag.fund_monthly_a, ag.fund_monthly_b) if ag.funding_rule == "fund" else None
        self._drift = (
            (0.3 * ag.goal_clarity, d.alignment_decay * (1.0 + d.clarity_decay_factor * (1.0 - ag.goal_clarity)))
            if mech.drift else None
        )
        self._dyn = (d.context_decay, d.fairness_relaxation, d.trust_relaxation, d.conflict_trust_wear)
        self._inv_cap = tuple(
            (1.0 / pp.money_capacity if pp.money_capacity > 0 else 0.0, 1.0 / h if h > 0 else 0.0)
            for pp, h in ((pa, self.hours_capacity[0]), (pb, self.hours_capacity[1]))
        )
        self._two_soften = 2.0 * (1.0 - 0.4 * ag.co_ownership)
        self._aversion = (d.disadvantage_aversion, d.advantage_aversion)
        self._hours_cap_total = self.hours_capacity[0] + self.hours_capacity[1]
        self._hazard = conflicts.hazard_coefficients(p)

    def poisson_process(self, stream: Stream, mean_gap: float, on_arrival: Callable[[float], None]):
        """A SimPy process calling ``on_arrival(t)`` at the times ``t`` of a Poisson process.

        Gaps are exponential with mean ``mean_gap`` days, drawn from ``stream``; it stops
        at the horizon or when the partnership ends.
        """
        env, st = self.env, self.st
        t = 0.0
        while True:
            t += stream.exponential(mean_gap)
            if t >= self.horizon:
                return
            yield env.timeout(t - env.now)
            if not st.active:
                return
            on_arrival(t)

    def log(self, kind: str, *details: Any) -> None:
        """Append an event to the trace (only when tracing).

        Hot call sites test ``m.events is not None`` first, so that the details (rounded
        numbers) are not even built when not tracing.
        """
        if self.events is not None:
            self.events.append((round(self.env.now, 6), kind, *details))

    # -- bookkeeping shared by mechanisms --------------------------------------------
    def open_changed(self) -> None:
        """Accumulate the time integral of open conflicts; call before the count changes."""
        now = self.env.now
        if self.st.active:  # after an exit, open conflicts no longer count
            self.counts["open_area"] += (len(self.st.open) + len(self.st.latent)) * (now - self._open_t)
        self._open_t = now

    def pay(self, amount: float, shares: tuple[float, float], what: str) -> bool:
        """Spend ``amount`` on partnership work, by the funding rule; False if the fund is short."""
        st = self.st
        if amount <= 0.0:
            return True
        if self.p.agreement.funding_rule == "fund":
            if st.fund + 1e-9 < amount:
                return False
            st.fund -= amount
            st.spent += amount
            if self.events is not None:
                self.log("pay", what, round(amount, 2), "fund")
            return True
        separate = self.p.agreement.separate_budget
        crowd = self.p.dynamics.crowding_out
        for i in (0, 1):
            part = amount * shares[i]
            st.contrib_money[i] += part
            st.budget[i] -= part
            if not separate:
                st.core_revenue[i] = max(0.0, st.core_revenue[i] - crowd * part)
        st.spent += amount
        if self.events is not None:
            self.log("pay", what, round(amount, 2), round(shares[0], 4))
        return True

    def add_hours(self, i: int, hours: float, weight: float = 1.0) -> None:
        """Charge staff hours to partner ``i``; ``weight`` > 1 for hours that feel heavier.

        ``contrib_hours`` counts the hours themselves; ``burden_hours`` (what perceived
        fairness weighs) counts out-of-hours meeting time 1.5 times.
        """
        self.st.contrib_hours[i] += hours
        self.st.burden_hours[i] += hours * weight

    def end_partnership(self, reason: str) -> None:
        """End the partnership now; joint work stops, core businesses go on."""
        st = self.st
        if not st.active:
            return
        self.advance(self.env.now)
        self.open_changed()
        st.active = False
        st.exit_day = self.env.now
        st.exit_reason = reason
        st.joint_rate = [0.0, 0.0]
        self.log("exit", reason)

    # -- continuous dynamics ----------------------------------------------------------
    def advance(self, t: float) -> None:
        """Integrate the slow, continuous quantities from the last update to ``t``.

        The hot path of the model (every weekly tick and most events): it reads the
        coefficients cached by :meth:`refresh_params` and spells out what would read more
        naturally as ``min``/``max`` calls and small loops, with the same arithmetic in
        the same order (results are bit-identical to the plain formulation).
        """
        st = self.st
        dt = t - st.last_t
        if dt <= 0.0:
            return
        st.last_t = t
        exp = math.exp
        weeks = dt / 7.0
        # joint revenue earned
        ja, jb = st.joint_rate
        if ja or jb:
            years = dt / DAYS_PER_YEAR
            st.received[0] += ja * years
            st.received[1] += jb * years
            st.joint_cum += (ja + jb) * years
        areas = self._areas
        areas[0] += st.trust * dt
        areas[1] += st.alignment * dt
        areas[2] += st.customer_sat * dt
        areas[3] += st.team_sat * dt
        if not st.active:
            return
        # partnership budgets accrue from monthly capacity (capped at three months)
        months = dt / DAYS_PER_MONTH
        budget = st.budget
        (cap_a, lim_a), (cap_b, lim_b) = self._budget_cap
        x = budget[0] + cap_a * months
        budget[0] = x if x < lim_a else lim_a
        x = budget[1] + cap_b * months
        budget[1] = x if x < lim_b else lim_b
        if self._fund is not None:
            fa_, fb_ = self._fund
            st.contrib_money[0] += fa_ * months
            st.fund += fa_ * months
            st.contrib_money[1] += fb_ * months
            st.fund += fb_ * months
        # drift: alignment decays toward a floor set by goal clarity, slower with context
        if self._drift is not None:
            floor, rate = self._drift
            rate *= 1.0 - 0.5 * st.context
            st.alignment = floor + (st.alignment - floor) * exp(-rate * weeks)
        ctx_decay, fair_relax, trust_relax, wear = self._dyn
        st.context *= exp(-ctx_decay * weeks)
        mem = exp(-dt / SHORT_MEMORY_DAYS)
        st.missed_recent *= mem
        st.shift_pressure *= mem
        # perceived fairness follows the books (equity of input and output shares)
        fa, fb = fairness_targets(self)
        k = 1.0 - exp(-fair_relax * weeks)
        fair = st.fairness
        fair[0] += k * (fa - fair[0])
        fair[1] += k * (fb - fair[1])
        # trust relaxes toward earned trust, and open conflicts wear it down
        f0, f1 = fair
        earned_trust = (0.3 * st.reliability_record + 0.2 * (f1 if f1 < f0 else f0)
                        + 0.3 * st.alignment + 0.2 * st.context)
        st.trust += (1.0 - exp(-trust_relax * weeks)) * (earned_trust - st.trust)
        if st.open:
            sev = sum(x.severity for x in st.open)
            st.trust *= exp(-wear * sev * weeks)
        # satisfactions
        load = self.partnership_load()
        team_target = 0.2 + 0.35 * st.trust + 0.25 * st.context + 0.2 * st.alignment
        n_open = len(st.open)
        over = load - 0.6
        team_target -= 0.05 * (n_open if n_open < 4 else 4) + 0.5 * (over if over > 0.0 else 0.0)
        team_target = team_target if team_target > 0.0 else 0.0
        st.team_sat += (1.0 - exp(-0.1 * weeks)) * ((team_target if team_target < 1.0 else 1.0) - st.team_sat)
        # depth reached
        if st.depth < 2:
            done = self.counts["initiatives_completed"]
            if st.trust > 0.7 and st.context > 0.5 and done >= 3:
                st.depth = 2
            elif st.depth < 1 and st.trust > 0.55 and done >= 1:
                st.depth = 1

    def grow_revenue(self, t: float) -> None:
        """Core revenue: geometric Brownian motion on each partner's own growth, up to ``t``.

        Called at the weekly ticks and at the horizon only, so a run always takes the same
        draws from the ``core`` stream whatever else happens (common random numbers).
        """
        years = (t - self._rev_t) / DAYS_PER_YEAR
        if years <= 0.0:
            return
        self._rev_t = t
        normal = self.rng_core.normal
        rev = self.st.core_revenue
        root = math.sqrt(years)
        (drift_a, sig_a), (drift_b, sig_b) = self._gbm
        rev[0] *= math.exp(drift_a * years + sig_a * root * normal())
        rev[1] *= math.exp(drift_b * years + sig_b * root * normal())

    def partnership_load(self) -> float:
        """Recent partnership hours as a fraction of staff capacity (rough, for satisfaction)."""
        cap = self._hours_cap_total
        if cap <= 0.0:
            return 0.0
        now = self.env.now
        months = (now if now > 30.0 else 30.0) / DAYS_PER_MONTH
        hours = self.st.contrib_hours
        return (hours[0] + hours[1]) / months / cap

    # -- recording and the weekly tick --------------------------------------------------
    def record(self) -> None:
        """Write the current state as one row of the time series."""
        st, c = self.st, self.counts
        self.recorder.record((
            self.env.now, st.trust, st.alignment, st.context, st.fairness[0], st.fairness[1],
            st.core_revenue[0] + st.joint_rate[0], st.core_revenue[1] + st.joint_rate[1],
            st.joint_rate[0] + st.joint_rate[1], st.joint_cum, len(st.open) + len(st.latent),
            len(st.latent), c["escalations"], st.fund, st.contrib_money[0], st.contrib_money[1],
            st.contrib_hours[0], st.contrib_hours[1], st.spent, st.meeting_hours, st.customer_sat,
            st.team_sat, st.initiatives_active, c["initiatives_completed"], st.response_ema, st.depth,
            1.0 if st.active else 0.0,
        ))

    def weekly(self):
        """The weekly tick: integrate, check the exit rule, record, plan next week's conflicts."""
        env = self.env
        while True:
            yield env.timeout(7.0)
            self.grow_revenue(env.now)
            self.advance(env.now)
            self.st.response_ema = communication.recent_response_hours(self, env.now)
            if self.st.active and self.p.mechanisms.review:
                review.check_trust_exit(self)
            self.record()
            if self.st.active and self.p.mechanisms.conflicts:
                conflicts.plan_week(self)

    # -- running ----------------------------------------------------------------------
    def start(self) -> None:
        """Start every switched-on mechanism's processes."""
        env, mech = self.env, self.p.mechanisms
        self.record()
        env.process(self.weekly())
        if mech.conflicts:
            conflicts.plan_week(self)
        self.traffic = communication.plan_traffic(self)
        if mech.communication and self.traffic_mode == "process":
            for i in (0, 1):
                env.process(communication.traffic(self, i))
        if mech.meetings:
            for kind in ("weekly", "monthly", "quarterly"):
                if getattr(self.p.agreement.cadence, kind).enabled:
                    env.process(meetings.cadence(self, kind))
        if mech.informal and self.p.agreement.informal_per_month > 0:
            env.process(meetings.informal(self))
        if mech.opportunities and self.p.market.opportunities_per_month > 0:
            env.process(initiatives.arrivals(self))
        if mech.market_shifts and self.p.market.shifts_per_year > 0:
            env.process(conflicts.market_shifts(self))
        if mech.review:
            env.process(review.reviews(self))

    def run(self) -> RunOutput:
        """Run to the horizon and return the :class:`RunOutput`."""
        self.start()
        self.env.run(until=self.horizon)
        return self.finish()

    def finish(self) -> RunOutput:
        """Bring everything up to the horizon and summarise (after the event loop)."""
        self.grow_revenue(self.horizon)
        self.advance(self.horizon)
        self.open_changed()
        if self.recorder.n < self.recorder.data.shape[0]:
            self.record()
        return RunOutput(summarize(self), self.recorder.data[: self.recorder.n], COLUMNS,
                         self.events, self.st.exit_reason)


def fairness_targets(m: Model) -> tuple[float, float]:
    """Perceived fairness each partner's books justify (equity of input and output shares).

    Input is effort relative to capacity (money over monthly money capacity plus burden
    hours, out-of-hours meeting time counting 1.5 times, over monthly staff capacity);
    output is attributed joint revenue, shared equally
    while there is none. Getting a smaller output share than input share costs
    ``disadvantage_aversion`` per unit of gap (times two), a larger one
    ``advantage_aversion``; co-ownership softens both (by ``0.4 co_ownership``).
    """
    st = m.st
    (ma, ha), (mb, hb) = m._inv_cap
    money, burden = st.contrib_money, st.burden_hours
    in_a = money[0] * ma + burden[0] * ha
    in_b = money[1] * mb + burden[1] * hb
    tot_in = in_a + in_b
    if tot_in <= 0.0:
        return (1.0, 1.0)
    rec = st.received
    tot_out = rec[0] + rec[1]
    out_a = rec[0] / tot_out if tot_out > 0.0 else 0.5
    gap = in_a / tot_in - out_a  # > 0: A is disadvantaged
    dis, adv = m._aversion
    two_soften = m._two_soften
    pos = gap if gap > 0.0 else 0.0
    neg = -gap if -gap > 0.0 else 0.0
    fa = 1.0 - two_soften * (dis * pos + adv * neg)
    fb = 1.0 - two_soften * (dis * neg + adv * pos)
    fa = fa if fa > 0.0 else 0.0
    fb = fb if fb > 0.0 else 0.0
    return (fa if fa < 1.0 else 1.0, fb if fb < 1.0 else 1.0)


def run_model(scenario: Any, seed: int = 0, replication: int = 0, *, trace: bool = False,
              traffic: str = "planned") -> RunOutput:
    """Build and run one :class:`Model`; a pure function of (scenario, seed, replication)."""
    return Model(scenario, seed, replication, trace=trace, traffic=traffic).run()
