"""Opportunities, decisions, funding and joint initiatives.

Opportunities arrive as a Poisson process (``opportunities_per_month``), each found by
partner A with probability A's share of revenue. Each has a value (joint revenue per
year, lognormal), a cost (lognormal), staff hours (lognormal) and a risk U(0, 1).

Decision (decision protocol): an opportunity costing more than ``consensus_threshold``
needs consensus, otherwise the partner who found it decides alone. A partner accepts if
``risk < risk_tolerance + 0.3 (trust - 0.5)`` (plus ``0.2 co_ownership`` for the partner
who did not find it: it was involved early). Internal decision times are exponential
with mean ``decision_days x (1 - context_speedup x context)``. For consensus the finder
sends a proposal (a message through the partner's queue), the partner decides and
replies, and with probability ``1 - co_ownership`` one more round trip is needed. An
opportunity not decided within ``opportunity_window_days`` is lost.

Initiative: costs are paid by the funding rule; staff hours are split by the same
shares and charged per milestone. Each of ``milestones`` milestones is planned
``milestone_interval_days`` apart (stretched by 25% per open conflict) and confirmed by a
message round trip between the partners; each partner
delivers on time with its reliability, raised by milestone tracking at meetings
(accountability) and lowered to 70% while its budget is overcommitted; a late one slips
by an exponential time (mean ``slip_days``). At the end it succeeds with probability
``base_success x (0.4 + 0.6 alignment) x staffing``; a success adds its value to joint
revenue, attributed by the rule, and ``cross_promotion x value`` to each core business.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partnersim.model.communication import send
from partnersim.model.conflicts import funding_shares

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["arrivals", "opportunity", "initiative", "attribution_shares"]

DAYS_PER_MONTH = 30.4375


def arrivals(m: Model):
    """The Poisson stream of joint opportunities."""
    env, st = m.env, m.st
    rng = m.rng["opportunities"]
    mk = m.p.market
    mean_gap = DAYS_PER_MONTH / mk.opportunities_per_month
    t = 0.0
    while True:
        t += rng.exponential(mean_gap)
        if t >= m.horizon:
            return
        # draw every attribute now, whatever happens next (common random numbers)
        ra, rb = st.core_revenue
        origin = 0 if rng.uniform() < (ra / (ra + rb) if ra + rb > 0.0 else 0.5) else 1  # (both may be crowded out)
        value = rng.lognormal_mean(mk.opportunity_value, 0.5)
        cost = rng.lognormal_mean(mk.opportunity_cost, 0.5)
        hours = rng.lognormal_mean(mk.opportunity_hours, 0.3)
        risk = rng.uniform()
        yield env.timeout(t - env.now)
        if not st.active:
            return
        m.counts["opportunities"] += 1
        env.process(opportunity(m, origin, value, cost, hours, risk))


def _accepts(m: Model, i: int, risk: float, early: bool) -> bool:
    tol = m.partners[i].risk_tolerance + 0.3 * (m.st.trust - 0.5)
    if early:
        tol += 0.2 * m.p.agreement.co_ownership
    return risk < tol


def opportunity(m: Model, origin: int, value: float, cost: float, hours: float, risk: float):
    """Decide on one opportunity and, if taken and funded, run the initiative."""
    env, st, p = m.env, m.st, m.p
    rng = m.rng["decisions"]
    t0 = env.now
    speed = 1.0 - p.dynamics.context_speedup * st.context
    other = 1 - origin
    consensus = cost > p.agreement.consensus_threshold
    own = rng.exponential(m.partners[origin].decision_days * speed)
    if consensus:
        theirs = rng.exponential(m.partners[other].decision_days * speed)
        extra_round = rng.uniform() >= p.agreement.co_ownership
        # proposal goes out now; the partner decides, then replies
        t_reply = send(m, origin, t0)
        yield env.timeout(t_reply - env.now)
        yield env.timeout(theirs)
        if not st.active:
            return
        t_back = send(m, other, env.now)
        yield env.timeout(t_back - env.now)
        if extra_round and st.active:
            t2 = send(m, origin, env.now)
            yield env.timeout(t2 - env.now)
        if env.now - t0 < own:
            yield env.timeout(own - (env.now - t0))
    else:
        yield env.timeout(own)
    if not st.active:
        return
    took = env.now - t0
    c = m.counts
    c["decisions"] += 1
    c["decision_days_sum"] += took
    if took > p.market.opportunity_window_days:
        c["opportunities_lost"] += 1
        m.log("opportunity_lost", round(took, 4))
        return
    yes = _accepts(m, origin, risk, False) and (not consensus or _accepts(m, other, risk, True))
    if not yes:
        c["opportunities_declined"] += 1
        m.log("opportunity_declined")
        return
    shares = funding_shares(m, origin)
    if not m.pay(cost, shares, "initiative"):
        c["unfunded"] += 1
        m.log("opportunity_unfunded")
        return
    yield from initiative(m, origin, value, cost, hours, shares)


def attribution_shares(m: Model, origin: int, money: tuple[float, float],
                       hours: tuple[float, float]) -> tuple[float, float]:
    """Shares of an initiative's joint revenue under the attribution rule."""
    ag = m.p.agreement
    if ag.attribution == "equal":
        return (0.5, 0.5)
    if ag.attribution == "origin":
        a = ag.origin_share if origin == 0 else 1.0 - ag.origin_share
        return (a, 1.0 - a)
    parts = []
    for pair in (money, hours):
        tot = pair[0] + pair[1]
        if tot > 0.0:
            parts.append(pair[0] / tot)
    a = sum(parts) / len(parts) if parts else 0.5
    return (a, 1.0 - a)


def initiative(m: Model, origin: int, value: float, cost: float, hours: float,
               shares: tuple[float, float]):
    """One joint initiative: milestones, then success or failure."""
    env, st, p = m.env, m.st, m.p
    rng = m.rng["milestones"]
    c = m.counts
    c["initiatives_started"] += 1
    st.initiatives_active += 1
    m.log("initiative_starts", round(cost, 2))
    n = p.market.milestones
    if p.agreement.funding_rule == "fund":
        ha, hb = m.partners[0].staff_hours, m.partners[1].staff_hours
        hshare = (ha / (ha + hb), hb / (ha + hb)) if ha + hb > 0 else (0.5, 0.5)
    else:
        hshare = shares
    acc = m.accountability
    money = (cost * shares[0], cost * shares[1]) if p.agreement.funding_rule != "fund" else (0.0, 0.0)
    for _k in range(n):
        yield env.timeout(p.market.milestone_interval_days * (1.0 + 0.25 * len(st.open)))
        # milestone coordination: the lead reports, the milestone is confirmed on the reply
        reply = send(m, origin, env.now)
        if reply > env.now:
            yield env.timeout(reply - env.now)
        if not st.active:
            st.initiatives_active -= 1
            return
        late = False
        for i in (0, 1):
            m.add_hours(i, hours * hshare[i] / n)
            r = m.partners[i].reliability
            r = r + (1.0 - r) * acc
            if st.budget[i] < 0.0:
                r *= 0.7
            if rng.uniform() >= r:
                late = True
        c["milestones"] += 1
        if late:
            c["milestones_missed"] += 1
            st.missed_recent += 1.0
            st.reliability_record = 0.9 * st.reliability_record
            st.customer_sat = 0.9 * st.customer_sat + 0.1 * 0.4
            if m.events is not None:
                m.log("milestone_late")
            yield env.timeout(rng.exponential(p.dynamics.slip_days))
            if not st.active:
                st.initiatives_active -= 1
                return
        else:
            st.reliability_record = 0.9 * st.reliability_record + 0.1
            st.customer_sat = 0.9 * st.customer_sat + 0.1
            if m.events is not None:
                m.log("milestone_on_time")
    st.initiatives_active -= 1
    need_per_month = hours / max(n * p.market.milestone_interval_days / DAYS_PER_MONTH, 1e-9)
    staffing = min(1.0, (m.hours_capacity[0] + m.hours_capacity[1]) / max(need_per_month, 1e-9))
    m.advance(env.now)
    p_success = p.dynamics.base_success * (0.4 + 0.6 * st.alignment) * staffing
    if rng.uniform() < p_success:
        c["initiatives_completed"] += 1
        att = attribution_shares(m, origin, money, (hours * hshare[0], hours * hshare[1]))
        for i in (0, 1):
            st.joint_rate[i] += value * att[i]
            st.core_revenue[i] += p.market.cross_promotion * value
        st.trust += 0.03 * (1.0 + p.agreement.co_ownership) * (1.0 - st.trust)
        m.log("initiative_completed", round(value, 2))
    else:
        c["initiatives_failed"] += 1
        st.customer_sat *= 0.8
        st.trust *= 0.97
        m.log("initiative_failed")
