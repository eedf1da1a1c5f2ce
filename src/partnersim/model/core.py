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

from partnersim.model import communication, conflicts, initiatives, interventions, meetings, review
from partnersim.model.calendar import WorkCalendar, overlap_hours
from partnersim.model.initiatives import effort
from partnersim.model.metrics import summarize
from partnersim.model.recorder import COLUMNS, Recorder
from partnersim.model.resources import INF, Pool
from partnersim.model.state import State
from partnersim.model.streams import Stream, make_streams

__all__ = ["Model", "RunOutput", "run_model", "effort", "fairness_targets"]

DAYS_PER_YEAR = 365.0
DAYS_PER_MONTH = 30.4375
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7.0
SHORT_MEMORY_DAYS = 30.0  # time constant of missed-milestone and market-shift memory
DRIFT_FLOOR = (0.15, 0.35)  # alignment drifts toward 0.15 + 0.35 x goal clarity
TRUST_PRIOR = 0.25  # weight of initial trust in earned trust
CAPACITY_WEEKS = 4  # capacity follows revenue, brought up to date every four weeks
CROSS_TRAINING_HOURS = 8.0  # hours/month for about 63% of cross-training's full effect


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
        # interventions and policies (None without any); day-0 interventions are folded in here
        scenario, self.watch = interventions.prepare(scenario)
        self.p = scenario
        self.traffic_mode = traffic
        self.env = simpy.Environment()
        self.rng = streams if streams is not None else make_streams(seed, replication)
        self.events: list[tuple] | None = [] if trace else None
        self.horizon = float(scenario.horizon_days)
        ini = scenario.initial
        pa, pb = scenario.partner_a, scenario.partner_b
        self.st = State(
            trust=ini.trust,
            alignment=ini.alignment,
            context=ini.context,
            core_revenue=[pa.revenue, pb.revenue],
        )
        self.st.relevance = ini.relevance
        self._trust_prior = TRUST_PRIOR * ini.trust  # the disposition the partners started with stays in earned trust
        self.st.reliability_record = 0.5 * (pa.reliability + pb.reliability)
        self.revenue0 = (pa.revenue, pb.revenue)
        self.counts: dict[str, float] = dict.fromkeys(
            ("conflicts_raised", "conflicts_resolved", "conflicts_surfaced_at_meetings", "flare_ups",
             "escalations", "resolution_days_sum", "resolved_within_target",
             "decisions", "decision_days_sum", "opportunities",
             "opportunities_lost", "opportunities_declined", "unfunded", "initiatives_started",
             "initiatives_completed", "initiatives_failed", "milestones", "milestones_missed",
             "meetings", "meetings_skipped", "informal", "informal_skipped", "market_shifts", "renegotiations",
             "renegotiations_failed", "facilitator_spend", "open_area", "resource_delays", "unconsented_spend",
             "target_breaches", "recurrences", "cadence_adjustments", "terms_rebalanced", "clarity_meetings"),
            0.0,
        )
        self._open_t = 0.0
        self._areas = [0.0, 0.0, 0.0, 0.0]  # time integrals of trust, alignment, customer and team satisfaction
        self.traffic = communication.Traffic()  # planned in start()
        self.rotation = 1  # who joined the last rotated meeting out of hours
        self.terms_revenue = (pa.revenue, pb.revenue)
        self.running_cadences: set[str] = set()
        self.cadence_gen: dict[str, int] = {}  # bumped when a cadence is switched off: its process stops
        self.reviews_log: list[tuple[float, float]] = []  # (day, cost so far) at reviews
        # the pair's chemistry, drawn once per run: how much their joint work is worth (fit),
        # and how far each discounts the other's contributions (self-serving bias)
        # (the standard draws are kept; their scaled values follow fit_spread and perception_bias in
        # refresh_params, so that an intervention on those changes them)
        chem = self.rng["chemistry"]
        self._fit_z = chem.normal()
        self._bias_e = (chem.exponential(1.0), chem.exponential(1.0))
        self.affinity = chem.normal()  # how naturally aligned the pair is, in standard deviations
        self.drift_apart = chem.exponential(1.0)  # how fast this pair's priorities diverge (mean 1)
        # finite resources: each partner's partnership budget and staff hours, and the fund
        self.budget = (Pool(pa.money_capacity, 0.0, INF), Pool(pb.money_capacity, 0.0, INF))
        self.hours = (Pool(INF, 0.0, INF), Pool(INF, 0.0, INF))
        self.fund = Pool(0.0, 0.0, INF)
        self.fund_in = (0.0, 0.0)
        self.strain = (0.0, 0.0)  # exhaustion of each partner's staff hours at the last advance()
        # weekly rows from day 0, plus a last row at the horizon when it is not a whole week
        self.recorder = Recorder(int(self.horizon // 7) + 1 + (1 if self.horizon % 7.0 > 1e-9 else 0))
        self._rev_t = 0.0
        self.refresh_params()
        for i, pp in enumerate(self.partners):  # budgets start with a month, staff hours with a week
            self.budget[i].level = min(pp.money_capacity, self.budget[i].cap)
            self.hours[i].level = min(pp.staff_hours, self.hours[i].cap)

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
        d, ag, mech, mk = p.dynamics, p.agreement, p.mechanisms, p.market
        self.finite = mech.resources
        self.cross_training = 1.0 - math.exp(-ag.cross_training_hours / CROSS_TRAINING_HOURS)
        self.handling = tuple(pp.responsiveness_hours * (1.0 - d.cross_training_effect * self.cross_training)
                              for pp in (pa, pb))
        spread = d.fit_spread
        self.fit = math.exp(spread * self._fit_z - 0.5 * spread * spread)
        self.bias_draw = (d.perception_bias * self._bias_e[0], d.perception_bias * self._bias_e[1])
        tracking = 0.0 if (ag.integrated_tracking or not mech.perception) else 1.0
        self.bias = tuple(min(0.9, tracking * b) for b in self.bias_draw)
        self.value_life_days = mk.value_life_years * DAYS_PER_YEAR
        # coefficients of advance(), cached (it runs at every tick and most events)
        self.rng_core = self.rng["core"]
        self._gbm = tuple(
            (pp.growth_rate - 0.5 * s * s, s)
            for pp in (pa, pb)
            for s in (pp.revenue_volatility if mech.core_noise else 0.0,)
        )
        floor = DRIFT_FLOOR[0] + DRIFT_FLOOR[1] * ag.goal_clarity + d.affinity_spread * self.affinity
        self._drift = (
            (0.0 if floor < 0.0 else (0.9 if floor > 0.9 else floor),
             d.alignment_decay * (1.0 + d.clarity_decay_factor * (1.0 - ag.goal_clarity)))
            if mech.drift else None
        )
        self._dyn = (d.context_decay, d.fairness_relaxation, d.trust_relaxation, d.conflict_trust_wear)
        # effort is measured against capacity; a capacity below one unit counts as one (no inf)
        self._inv_cap = tuple(
            (1.0 / max(pp.money_capacity, 1.0) if pp.money_capacity > 0 else 0.0, 1.0 / max(h, 1.0) if h > 0 else 0.0)
            for pp, h in ((pa, self.hours_capacity[0]), (pb, self.hours_capacity[1]))
        )
        self._two_soften = 2.0 * (1.0 - 0.4 * ag.co_ownership)
        self._aversion = (d.disadvantage_aversion, d.advantage_aversion)
        self._turnover = 0.5 * d.turnover_per_year / 52.18 if mech.feedback else 0.0
        self._relevance_drift = (d.relevance_drift * self.drift_apart * (1.0 - 0.5 * ag.co_ownership)
                                 / DAYS_PER_YEAR if mech.coevolution else 0.0)
        self._hazard = conflicts.hazard_coefficients(p)
        self._hot = (d.negativity_bias, d.latent_wear, d.overload_satisfaction, ag.cross_training_hours)
        self.update_capacity(self.env.now)

    def set_params(self, scenario: Any) -> None:
        """Replace the scenario from now on (renegotiated terms, adjusted cadences, interventions).

        Every mechanism reads ``self.p`` when it acts, so the change takes effect at once;
        a cadence switched on starts its meetings from now, one switched off holds no more
        meetings. What is planned at day 0 (routine messages, the rates of the Poisson
        processes, the mechanism switches) does not follow: the scenario layer refuses
        those fields in interventions (``partnersim.scenario.interventions.FIXED``).
        """
        self.advance(self.env.now)
        self.p = scenario
        self.refresh_params()
        for kind in tuple(self.running_cadences):  # switched off: its process holds no more meetings
            if not getattr(scenario.agreement.cadence, kind).enabled:
                self.running_cadences.discard(kind)
                self.cadence_gen[kind] = self.cadence_gen.get(kind, 0) + 1
        if self.p.mechanisms.meetings:
            self.start_cadences()

    def update_capacity(self, t: float) -> None:
        """Refill rates and caps of the pools: capacity follows each partner's revenue."""
        st, p = self.st, self.p
        ag, d = p.agreement, p.dynamics
        fund_rule = ag.funding_rule == "fund"
        months_cap = d.budget_months * (1.0 if ag.separate_budget else 2.0)  # no ring-fence: borrow from operations
        fund_in = [0.0, 0.0]
        for i, pp in enumerate(self.partners):
            r0 = self.revenue0[i]
            factor = (st.core_revenue[i] + st.joint_rate[i]) / r0 if r0 > 0.0 else 1.0
            factor = 0.0 if factor < 0.0 else (10.0 if factor > 10.0 else factor)
            money = pp.money_capacity * factor
            if fund_rule:
                fund_in[i] = ag.fund_monthly_a if i == 0 else ag.fund_monthly_b
                money = money - fund_in[i] if money > fund_in[i] else 0.0
            hours_rate = pp.staff_hours * factor / 7.0 - ag.cross_training_hours / DAYS_PER_MONTH
            if not self.finite or not st.active:
                self.budget[i].set_rate(t, 0.0, INF)
                self.hours[i].set_rate(t, 0.0, INF)
                continue
            self.budget[i].set_rate(t, money / DAYS_PER_MONTH, months_cap * money)
            self.hours[i].set_rate(t, hours_rate if hours_rate > 0.0 else 0.0,
                                   d.hours_buffer_weeks * pp.staff_hours * factor)
        if not st.active:
            fund_in = [0.0, 0.0]
        self.fund_in = (fund_in[0], fund_in[1])
        self.fund.set_rate(t, (fund_in[0] + fund_in[1]) / DAYS_PER_MONTH, INF)

    def poisson_process(self, stream: Stream, mean_gap: float, on_arrival: Callable[[float], None]):
        """A SimPy process calling ``on_arrival(t)`` at the times ``t`` of a Poisson process.

        Gaps are exponential with mean ``mean_gap`` days, drawn from ``stream``; it stops
        at the horizon or when the partnership ends.
        """
        st = self.st
        t = 0.0
        while True:
            t += stream.exponential(mean_gap)
            if t >= self.horizon:
                return
            yield self.until(t)
            if not st.active:
                return
            on_arrival(t)

    def until(self, t: float) -> simpy.Timeout:
        """A timeout to time ``t``, never negative: computed times (calendars, replies) may fall a
        round-off (1e-14 days) before now."""
        d = t - self.env.now
        return self.env.timeout(d if d > 0.0 else 0.0)

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

    def money_pools(self, amount: float, shares: tuple[float, float]) -> tuple[tuple[Pool, ...], tuple[float, ...]]:
        """The pools a cost is drawn from and how much from each (the fund, or both budgets)."""
        if self.p.agreement.funding_rule == "fund":
            return (self.fund,), (amount,)
        return self.budget, (amount * shares[0], amount * shares[1])

    def pay(self, amount: float, shares: tuple[float, float], what: str) -> None:
        """Book ``amount`` of partnership spending (already drawn from its pools)."""
        st = self.st
        if amount <= 0.0:
            return
        if self.p.agreement.funding_rule == "fund":
            if not self.finite:
                self.fund.at(self.env.now)  # (bring the balance up to date; take() would clamp it at 0)
                self.fund.level -= amount  # bottomless: the balance may go negative
            st.spent += amount
            if self.events is not None:
                self.log("pay", what, round(amount, 2), "fund")
            return
        separate = self.p.agreement.separate_budget
        crowd = self.p.dynamics.crowding_out
        for i in (0, 1):
            part = amount * shares[i]
            st.contrib_money[i] += part
            if not separate:
                x = st.core_revenue[i] - crowd * part
                st.core_revenue[i] = x if x > 0.0 else 0.0
        st.spent += amount
        if self.events is not None:
            self.log("pay", what, round(amount, 2), round(shares[0], 4))

    def add_hours(self, i: int, hours: float, weight: float = 1.0) -> None:
        """Charge staff hours to partner ``i``; ``weight`` > 1 for hours that feel heavier.

        ``contrib_hours`` counts the hours themselves; ``burden_hours`` (what perceived
        fairness weighs) counts out-of-hours meeting time 1.5 times.
        """
        self.st.contrib_hours[i] += hours
        self.st.burden_hours[i] += hours * weight

    def drained(self, i: int) -> float:
        """How exhausted partner ``i``'s staff hours are: 0 (full) to 1 (none left)."""
        if not self.finite:
            return 0.0
        return 1.0 - self.hours[i].fill(self.env.now)

    def lose_trust(self, fraction: float) -> None:
        """A one-off loss of ``fraction`` of trust (an event: breach, escalation, spending without consent)."""
        st = self.st
        st.trust *= 1.0 - (fraction if fraction < 1.0 else 1.0)

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
        self.update_capacity(self.env.now)  # pools and fund stop filling
        self.log("exit", reason)

    # -- continuous dynamics ----------------------------------------------------------
    def advance(self, t: float) -> None:
        """Integrate the slow, continuous quantities from the last update to ``t``.

        The hot path of the model (every weekly tick and most events): it reads the
        coefficients cached by :meth:`refresh_params` and spells out what would read more
        naturally as ``min``/``max`` calls and small loops.
        """
        st = self.st
        dt = t - st.last_t
        if dt <= 0.0:
            return
        st.last_t = t
        exp = math.exp
        weeks = dt / 7.0
        # joint revenue earned; each initiative's revenue decays with its life
        ja, jb = st.joint_rate
        if ja or jb:
            life = self.value_life_days
            keep = exp(-dt / life)
            years = life * (1.0 - keep) / DAYS_PER_YEAR
            st.received[0] += ja * years
            st.received[1] += jb * years
            st.joint_cum += (ja + jb) * years
            st.joint_rate[0] = ja * keep
            st.joint_rate[1] = jb * keep
        spill = st.spill
        if spill[0] or spill[1]:  # cross-promotion's customers churn like the joint ones
            keep = exp(-dt / self.value_life_days)
            core = st.core_revenue
            lost = spill[0] * (1.0 - keep)
            core[0] = core[0] - lost if core[0] > lost else 0.0
            lost = spill[1] * (1.0 - keep)
            core[1] = core[1] - lost if core[1] > lost else 0.0
            spill[0] *= keep
            spill[1] *= keep
        areas = self._areas
        areas[0] += st.trust * dt
        areas[1] += st.alignment * dt
        areas[2] += st.customer_sat * dt
        areas[3] += st.team_sat * dt
        if not st.active:
            return
        months = dt / DAYS_PER_MONTH
        fa_, fb_ = self.fund_in
        if fa_ or fb_:  # predetermined payments into the partnership fund
            st.contrib_money[0] += fa_ * months
            st.contrib_money[1] += fb_ * months
        negativity, latent_wear, overload_sat, ct = self._hot
        if ct:
            st.contrib_hours[0] += ct * months
            st.contrib_hours[1] += ct * months
        # drift: alignment decays toward a floor set by goal clarity, slower with context
        if self._drift is not None:
            floor, rate = self._drift
            rate *= 1.0 - 0.5 * st.context
            st.alignment = floor + (st.alignment - floor) * exp(-rate * weeks)
        ctx_decay, fair_relax, trust_relax, wear = self._dyn
        # shared context fades, faster when unhappy staff leave (turnover)
        sat_gap = 1.5 - st.team_sat
        st.context *= exp(-(ctx_decay + self._turnover * sat_gap) * weeks)
        if self._relevance_drift:
            st.relevance *= exp(-self._relevance_drift * dt)
        mem = exp(-dt / SHORT_MEMORY_DAYS)
        st.missed_recent *= mem
        st.shift_pressure *= mem
        # perceived fairness follows the books as each partner sees them
        fa, fb = fairness_targets(self)
        k = 1.0 - exp(-fair_relax * weeks)
        fair = st.fairness
        fair[0] += k * (fa - fair[0])
        fair[1] += k * (fb - fair[1])
        # trust moves toward earned trust, down faster than up; conflicts wear it down
        f0, f1 = fair
        earned_trust = (self._trust_prior + 0.75 * (0.3 * st.reliability_record + 0.2 * (f1 if f1 < f0 else f0)
                                                    + 0.3 * st.alignment + 0.2 * st.context))
        rate = trust_relax if earned_trust > st.trust else trust_relax * negativity
        st.trust += (1.0 - exp(-rate * weeks)) * (earned_trust - st.trust)
        if st.open or st.latent:
            sev = 0.0
            for x in st.open:
                sev += x.severity
            for x in st.latent:
                sev += latent_wear * x.severity
            st.trust *= exp(-wear * sev * weeks)
        # satisfactions: team satisfaction suffers from open conflicts and exhausted staff hours
        team_target = 0.2 + 0.35 * st.trust + 0.25 * st.context + 0.2 * st.alignment
        n_open = len(st.open) + len(st.latent)
        team_target -= 0.05 * (n_open if n_open < 4 else 4)
        if self.finite:
            ha, hb = self.hours
            sa_, sb_ = 1.0 - ha.fill(t), 1.0 - hb.fill(t)
            self.strain = (sa_, sb_)  # read by the weekly record and the conflict hazard
            team_target -= overload_sat * 0.5 * (sa_ + sb_)
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

    # -- recording and the weekly tick --------------------------------------------------
    def record(self) -> None:
        """Write the current state as one row of the time series."""
        st, c = self.st, self.counts
        now = self.env.now
        self.recorder.record((
            now, st.trust, st.alignment, st.context, st.fairness[0], st.fairness[1],
            st.core_revenue[0] + st.joint_rate[0], st.core_revenue[1] + st.joint_rate[1],
            st.joint_rate[0] + st.joint_rate[1], st.joint_cum, len(st.open) + len(st.latent),
            len(st.latent), c["escalations"], self.fund.at(now), st.contrib_money[0], st.contrib_money[1],
            st.contrib_hours[0], st.contrib_hours[1], st.spent, st.meeting_hours, st.customer_sat,
            st.team_sat, st.initiatives_active, c["initiatives_completed"], st.response_ema, st.depth,
            1.0 if st.active else 0.0, st.relevance, self.strain[0], self.strain[1],
        ))

    def weekly(self):
        """The weekly tick: integrate, check the exit rule, record, plan next week's conflicts."""
        env = self.env
        while True:
            yield env.timeout(7.0)
            now = env.now
            self.grow_revenue(now)
            self.advance(now)
            if self.st.active and int(now / 7.0 + 0.5) % CAPACITY_WEEKS == 0:
                self.update_capacity(now)
            self.st.response_ema = communication.recent_response_hours(self, now)
            if self.st.active and self.p.mechanisms.review:
                review.check_trust_exit(self)
            self.record()
            if self.watch is not None and self.st.active:
                self.watch.tick(self)  # policies on the state: after the row, before next week's conflicts
            if self.st.active and self.p.mechanisms.conflicts:
                conflicts.plan_week(self)

    # -- running ----------------------------------------------------------------------
    def start_cadences(self) -> None:
        """Start the process of every enabled cadence that is not running yet."""
        for kind in ("weekly", "monthly", "quarterly"):
            if kind not in self.running_cadences and getattr(self.p.agreement.cadence, kind).enabled:
                self.running_cadences.add(kind)
                self.env.process(meetings.cadence(self, kind))

    def start(self) -> None:
        """Start every switched-on mechanism's processes."""
        env, mech = self.env, self.p.mechanisms
        if self.watch is not None:  # first: an intervention acts before any other event at its time
            self.watch.start(self)
        self.record()
        env.process(self.weekly())
        if mech.conflicts:
            conflicts.plan_week(self)
        self.traffic = communication.plan_traffic(self)
        if mech.communication and self.traffic_mode == "process":
            for i in (0, 1):
                env.process(communication.traffic(self, i))
        if mech.meetings:
            self.start_cadences()
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
        if self.recorder.n < self.recorder.n_rows:
            self.record()
        summary = summarize(self)
        if self.watch is not None:
            summary.update(self.watch.columns())
        return RunOutput(summary, self.recorder.array(), COLUMNS,
                         self.events, self.st.exit_reason)


def fairness_targets(m: Model) -> tuple[float, float]:
    """Perceived fairness each partner's view of the books justifies (equity of input and output).

    Input is effort relative to capacity (:func:`effort` of money put in and burden hours,
    out-of-hours meeting time counting 1.5 times); each partner sees the other's input
    discounted by its self-serving bias (none with integrated tracking). Output is attributed
    joint revenue, shared equally while there is none. Getting a smaller output share than
    input share costs ``disadvantage_aversion`` per unit of gap (times two), a larger one
    ``advantage_aversion``; co-ownership softens both (by ``0.4 co_ownership``).
    """
    st = m.st
    money, burden = st.contrib_money, st.burden_hours
    (ma, ha), (mb, hb) = m._inv_cap  # effort(), spelled out (hot path)
    in_a = money[0] * ma + burden[0] * ha
    in_b = money[1] * mb + burden[1] * hb
    if in_a + in_b <= 0.0:
        return (1.0, 1.0)
    rec = st.received
    tot_out = rec[0] + rec[1]
    out_a = rec[0] / tot_out if tot_out > 0.0 else 0.5
    bias_a, bias_b = m.bias
    gap_a = in_a / (in_a + in_b * (1.0 - bias_a)) - out_a  # > 0: A feels disadvantaged
    gap_b = in_b / (in_b + in_a * (1.0 - bias_b)) - (1.0 - out_a)
    dis, adv = m._aversion
    two_soften = m._two_soften
    fa = 1.0 - two_soften * (dis * gap_a if gap_a > 0.0 else -adv * gap_a)
    fb = 1.0 - two_soften * (dis * gap_b if gap_b > 0.0 else -adv * gap_b)
    return (0.0 if fa < 0.0 else (1.0 if fa > 1.0 else fa), 0.0 if fb < 0.0 else (1.0 if fb > 1.0 else fb))


def run_model(scenario: Any, seed: int = 0, replication: int = 0, *, trace: bool = False,
              traffic: str = "planned") -> RunOutput:
    """Build and run one :class:`Model`; a pure function of (scenario, seed, replication)."""
    return Model(scenario, seed, replication, trace=trace, traffic=traffic).run()
