"""Opportunities, decisions, funding and joint initiatives.

Arrivals: candidate opportunities arrive as a Poisson process at ``MAX_FACTOR`` times
``opportunities_per_month``; each is kept with probability ``factor / MAX_FACTOR``
(thinning), where the factor is 1 for the scenario's own rate and grows with the
partners' relevance to each other, their customers' satisfaction and the partnership's
depth (seed 002: "opportunities expand as both sides explore new areas"). Each is found
by partner A with probability A's share of revenue, and has a value (joint revenue per
year, lognormal, times the pair's fit, which is drawn once per run, and 20% more per
stage of depth), a cost (lognormal),
staff hours (lognormal) and a risk U(0, 1).

Decision (decision protocol): an opportunity costing more than ``consensus_threshold``
needs consensus, otherwise the partner who found it decides alone (and commits the
other's money without its consent, which costs trust in proportion to the amount, except
from a partnership fund). A partner accepts when the risk is within its tolerance
(``risk < risk_tolerance + 0.3 (trust - 0.5)``, plus ``0.2 co_ownership`` for a partner
involved early) and its own expected gain beats its share of the cost: the joint
investment criteria of seed 000 (expected return, risk, what each puts in). Decision
times are exponential with mean ``decision_days x (1 - context_speedup x context)``; for
consensus the finder sends a proposal (a message through the partner's queue), the
partner decides and replies, and with probability ``1 - co_ownership`` one more round
trip is needed. An opportunity not decided within ``opportunity_window_days`` is lost.

Funding and staffing: the cost is paid in ``milestones`` equal tranches, the first when
the initiative starts (it must be found in the budgets, or the fund, within the decision
window, else the opportunity is declined as unfunded), the others before each later
milestone; each milestone also needs its staff hours from both partners. Work that waits
for money or staff is delivered late. Each partner delivers on time with its
reliability, raised by milestone tracking at meetings (accountability) and
cross-training, and lowered by exhausted staff hours and low team satisfaction. At the
end it succeeds with probability ``base_success x (0.4 + 0.6 alignment)``; a success adds
its value, with diminishing returns, to joint revenue (which then decays with
``value_life_years``), attributed by the rule, and a cross-promotion spill-over to each
core business in proportion to its size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partnersim.model.communication import send
from partnersim.model.conflicts import funding_shares
from partnersim.model.resources import INF, acquire

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["arrivals", "opportunity", "initiative", "attribution_shares", "arrival_factor", "MAX_FACTOR"]

DAYS_PER_MONTH = 30.4375
MAX_FACTOR = 2.0
RELEVANCE_REF = 0.7
STAFF_SHARE = 0.6  # share of a partner's staff hours it will promise to initiatives
LATE_AFTER_WAIT_DAYS = 3.0  # waiting longer than this for money or staff makes a milestone late


def arrival_factor(m: Model) -> float:
    """Opportunity rate relative to the scenario's own: relevance, customers and depth (<= MAX_FACTOR)."""
    st = m.st
    if not m.p.mechanisms.feedback:
        f = 1.0
    else:
        f = (0.4 + 0.8 * st.customer_sat) * (1.0 + 0.25 * st.depth)
    if m.p.mechanisms.coevolution:
        f *= st.relevance / RELEVANCE_REF
    return f if f < MAX_FACTOR else MAX_FACTOR


def arrivals(m: Model):
    """The thinned Poisson stream of joint opportunities."""
    env, st = m.env, m.st
    rng = m.rng["opportunities"]
    mean_gap = DAYS_PER_MONTH / (m.p.market.opportunities_per_month * MAX_FACTOR)
    t = 0.0
    while True:
        t += rng.exponential(mean_gap)
        if t >= m.horizon:
            return
        # draw every attribute now, whatever happens next (common random numbers)
        u_keep = rng.uniform()
        u_origin = rng.uniform()
        # (unit draws, scaled on arrival: an intervention on the means applies to the next arrival)
        value = rng.lognormal_mean(1.0, 0.5)
        cost = rng.lognormal_mean(1.0, 0.5)
        hours = rng.lognormal_mean(1.0, 0.3)
        risk = rng.uniform()
        yield m.until(t)
        if not st.active:
            return
        # (the slow state as of its last update, at most a week old: a rejected candidate costs no integration)
        if u_keep * MAX_FACTOR >= arrival_factor(m):
            continue
        mk = m.p.market
        value, cost, hours = mk.opportunity_value * value, mk.opportunity_cost * cost, mk.opportunity_hours * hours
        ra, rb = st.core_revenue
        origin = 0 if u_origin < (ra / (ra + rb) if ra + rb > 0.0 else 0.5) else 1  # (both may be crowded out)
        m.counts["opportunities"] += 1
        worth = value * m.fit * (1.0 + 0.2 * st.depth if m.p.mechanisms.feedback else 1.0)
        env.process(opportunity(m, origin, worth, cost, hours, risk))


def _expected_gain(m: Model, i: int, value: float, cost_share: float, hours_share: float, att: float) -> float:
    """What partner ``i`` expects to gain from an initiative, net of its share of the money and staff time."""
    mk, st = m.p.market, m.st
    p_success = m.p.dynamics.base_success * (0.4 + 0.6 * st.alignment)
    life = mk.value_life_years
    ra, rb = st.core_revenue
    core = ra + rb
    size = (ra if i == 0 else rb) / core if core > 0.0 else 0.5
    spill = 2.0 * mk.cross_promotion * size
    worth = value * _overlap_keep(m) / (1.0 + (st.joint_rate[0] + st.joint_rate[1]) / (mk.saturation * core)) \
        if core > 0.0 else 0.0
    return p_success * worth * life * mk.margin * (att + spill) - cost_share - hours_share * mk.hour_cost


def _overlap_keep(m: Model) -> float:
    return 1.0 - 0.5 * m.p.market.overlap if m.p.mechanisms.competition else 1.0


def effort(m: Model, i: int, money: float, hours: float) -> float:
    """Partner ``i``'s effort: money over its monthly money capacity plus hours over its monthly
    staff hours. One measure for perceived fairness (:func:`partnersim.model.core.fairness_targets`)
    and for attribution "by contribution"."""
    inv_money, inv_hours = m._inv_cap[i]
    return money * inv_money + hours * inv_hours


def _within_tolerance(m: Model, i: int, risk: float, early: bool) -> bool:
    tol = m.partners[i].risk_tolerance + 0.3 * (m.st.trust - 0.5)
    if early:
        tol += 0.2 * m.p.agreement.co_ownership
    return risk < tol


def _accepts(m: Model, i: int, risk: float, value: float, cost: float, hours: float,
             shares: tuple[float, float], att: tuple[float, float]) -> bool:
    """Whether partner ``i``, the risk being within its tolerance, can staff it and expects to gain."""
    own_hours = hours * _hour_shares(m, shares)[i]
    if not _can_staff(m, i, own_hours):
        return False
    share = shares[i] if m.p.agreement.funding_rule != "fund" else 0.5
    return _expected_gain(m, i, value * (1.0 - risk * 0.5), cost * share, own_hours, att[i]) > 0.0


def _can_staff(m: Model, i: int, need: float) -> bool:
    """Whether partner ``i`` has the staff hours for ``need`` more over an initiative's planned length,
    beside what it has promised already (at most 60% of its staff hours go to initiatives)."""
    if not m.finite or need <= 0.0:
        return True
    mk = m.p.market
    days = mk.milestones * mk.milestone_interval_days
    return m.st.committed[i] + need <= STAFF_SHARE * m.hours[i].rate * days


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
        yield m.until(t_reply)
        yield env.timeout(theirs)
        if not st.active:
            return
        t_back = send(m, other, env.now)
        yield m.until(t_back)
        if extra_round and st.active:
            t2 = send(m, origin, env.now)
            yield m.until(t2)
        if env.now - t0 < own:
            yield m.until(t0 + own)
    else:
        yield env.timeout(own)
    if not st.active:
        return
    took = env.now - t0
    c = m.counts
    c["decisions"] += 1
    c["decision_days_sum"] += took
    window = p.market.opportunity_window_days
    if took > window:
        c["opportunities_lost"] += 1
        m.log("opportunity_lost", round(took, 4))
        return
    # (judged on the slow state as of its last update, at most a week old)
    yes = _within_tolerance(m, origin, risk, False) and (not consensus or _within_tolerance(m, other, risk, True))
    if yes:  # (risk first: it turns most opportunities down, and costs nothing to judge)
        shares = funding_shares(m, origin)
        att = _expected_attribution(m, origin, shares, cost, hours)
        yes = _accepts(m, origin, risk, value, cost, hours, shares, att) and (
            not consensus or _accepts(m, other, risk, value, cost, hours, shares, att))
    if not yes:
        c["opportunities_declined"] += 1
        m.log("opportunity_declined")
        return
    n = p.market.milestones
    tranche = cost / n
    pools, amounts = m.money_pools(tranche, shares)
    if not (yield from acquire(m, pools, amounts, t0 + window)):
        if st.active:
            c["unfunded"] += 1
            m.log("opportunity_unfunded")
        return
    if env.now > t0 + took + LATE_AFTER_WAIT_DAYS:
        c["resource_delays"] += 1
    m.pay(tranche, shares, "initiative")
    if not consensus and p.agreement.funding_rule != "fund":
        # the finder committed the partner's money alone: trust pays, by the months of its capacity
        cap = m.partners[other].money_capacity
        months = cost * shares[other] / cap if cap > 0.0 else 0.0
        if months > 0.0:
            c["unconsented_spend"] += cost * shares[other]
            m.lose_trust(p.dynamics.consent_trust_loss * (months if months < 3.0 else 3.0))
    yield from initiative(m, origin, value, cost, hours, shares)


def _hour_shares(m: Model, shares: tuple[float, float]) -> tuple[float, float]:
    if m.p.agreement.funding_rule == "fund":
        ha, hb = m.partners[0].staff_hours, m.partners[1].staff_hours
        return (ha / (ha + hb), hb / (ha + hb)) if ha + hb > 0 else (0.5, 0.5)
    return shares


def _expected_attribution(m: Model, origin: int, shares: tuple[float, float], cost: float,
                          hours: float) -> tuple[float, float]:
    hs = _hour_shares(m, shares)
    money = _money_split(m, cost, shares)
    return attribution_shares(m, origin, money, (hours * hs[0], hours * hs[1]))


def _money_split(m: Model, cost: float, shares: tuple[float, float]) -> tuple[float, float]:
    """Who paid an initiative's money: by the funding shares, or by what each pays into the fund."""
    if m.p.agreement.funding_rule == "fund":
        fa, fb = m.p.agreement.fund_monthly_a, m.p.agreement.fund_monthly_b
        return (cost * fa / (fa + fb), cost * fb / (fa + fb)) if fa + fb > 0.0 else (0.5 * cost, 0.5 * cost)
    return (cost * shares[0], cost * shares[1])


def attribution_shares(m: Model, origin: int, money: tuple[float, float],
                       hours: tuple[float, float]) -> tuple[float, float]:
    """Shares of an initiative's joint revenue under the attribution rule.

    ``contribution`` attributes by effort, the same measure perceived fairness uses
    (money over money capacity plus hours over staff capacity), so that it is fair by
    construction.
    """
    ag = m.p.agreement
    if ag.attribution == "equal":
        return (0.5, 0.5)
    if ag.attribution == "origin":
        a = ag.origin_share if origin == 0 else 1.0 - ag.origin_share
        return (a, 1.0 - a)
    ea, eb = effort(m, 0, money[0], hours[0]), effort(m, 1, money[1], hours[1])
    a = ea / (ea + eb) if ea + eb > 0.0 else 0.5
    return (a, 1.0 - a)


def _reliable(m: Model, i: int, u: float) -> bool:
    """Whether partner ``i`` delivers a milestone on time (``u``: its uniform draw)."""
    st, d = m.st, m.p.dynamics
    r = m.partners[i].reliability
    r = r + (1.0 - r) * m.accountability
    r = r + (1.0 - r) * d.cross_training_effect * m.cross_training
    if m.finite:
        r *= 1.0 - d.overload_reliability * m.drained(i)
    if m.p.mechanisms.feedback and st.team_sat < 0.7:
        r *= 1.0 - d.satisfaction_reliability * (0.7 - st.team_sat) / 0.7
    return u < r


def initiative(m: Model, origin: int, value: float, cost: float, hours: float,
               shares: tuple[float, float]):
    """One joint initiative: milestones (each staffed and, after the first, funded), then success or failure.

    Its staff hours count as promised (``st.committed``, what :func:`_can_staff` weighs) from
    the start until each milestone draws them; whatever ends it releases the rest.
    """
    st = m.st
    n = m.p.market.milestones
    hshare = _hour_shares(m, shares)
    need = (hours * hshare[0] / n, hours * hshare[1] / n)
    committed = st.committed
    committed[0] += hours * hshare[0]
    committed[1] += hours * hshare[1]
    left = [n]  # milestones whose staff hours are still promised
    try:
        yield from _run_initiative(m, origin, value, cost, hours, shares, hshare, need, left)
    finally:  # whatever ends it, what was promised and not yet delivered is released
        committed[0] -= need[0] * left[0]
        committed[1] -= need[1] * left[0]


def _run_initiative(m: Model, origin: int, value: float, cost: float, hours: float,
                    shares: tuple[float, float], hshare: tuple[float, float], need: tuple[float, float],
                    left: list[int]):
    env, st, p = m.env, m.st, m.p
    rng = m.rng["milestones"]
    c = m.counts
    c["initiatives_started"] += 1
    st.initiatives_active += 1
    m.log("initiative_starts", round(cost, 2))
    n = p.market.milestones
    money = _money_split(m, cost, shares)
    tranche = cost / n
    for k in range(n):
        yield env.timeout(p.market.milestone_interval_days * (1.0 + 0.25 * len(st.open)))
        # milestone coordination: the lead reports, the milestone is confirmed on the reply
        reply = send(m, origin, env.now)
        if reply > env.now:
            yield env.timeout(reply - env.now)
        if not st.active:
            st.initiatives_active -= 1
            return
        u = (rng.uniform(), rng.uniform())
        slip = rng.exponential(p.dynamics.slip_days)
        on_time = _reliable(m, 0, u[0]) and _reliable(m, 1, u[1])  # as stretched as the team is now
        # the milestone's staff hours, and the next tranche of money
        t_wait = env.now
        ok = yield from acquire(m, m.hours, need, INF)
        if ok:  # this milestone's promised hours are now spent
            st.committed[0] -= need[0]
            st.committed[1] -= need[1]
            left[0] -= 1
        if ok and k < n - 1:
            pools, amounts = m.money_pools(tranche, shares)
            ok = yield from acquire(m, pools, amounts, INF)
            if ok:
                m.pay(tranche, shares, "initiative")
        if not st.active or not ok:
            st.initiatives_active -= 1
            if st.active:  # never staffed or funded: abandoned, what was paid is lost
                c["initiatives_failed"] += 1
                m.log("initiative_abandoned")
            return
        waited = env.now - t_wait
        for i in (0, 1):
            m.add_hours(i, need[i])
        late = waited > LATE_AFTER_WAIT_DAYS
        if late:
            c["resource_delays"] += 1
        late = late or not on_time
        c["milestones"] += 1
        crm_hit = 0.0 if p.agreement.joint_crm else 0.3 * p.market.shared_customers
        if late:
            c["milestones_missed"] += 1
            st.missed_recent += 1.0
            st.reliability_record = 0.9 * st.reliability_record
            st.customer_sat = 0.9 * st.customer_sat + 0.1 * 0.4 * (1.0 - crm_hit)
            if m.events is not None:
                m.log("milestone_late")
            yield env.timeout(slip)
            if not st.active:
                st.initiatives_active -= 1
                return
        else:
            st.reliability_record = 0.9 * st.reliability_record + 0.1
            st.customer_sat = 0.9 * st.customer_sat + 0.1 * (1.0 - crm_hit)
            if m.events is not None:
                m.log("milestone_on_time")
    st.initiatives_active -= 1
    m.advance(env.now)
    p_success = p.dynamics.base_success * (0.4 + 0.6 * st.alignment)
    if rng.uniform() < p_success:
        c["initiatives_completed"] += 1
        att = attribution_shares(m, origin, money, (hours * hshare[0], hours * hshare[1]))
        ra, rb = st.core_revenue
        core = ra + rb
        joint = st.joint_rate[0] + st.joint_rate[1]
        keep = _overlap_keep(m)
        # diminishing returns: worth half as much once joint revenue is `saturation` of core revenue
        worth = value * keep / (1.0 + joint / (p.market.saturation * core)) if core > 0.0 else 0.0
        size_a = ra / core if core > 0.0 else 0.5
        for i, size in ((0, size_a), (1, 1.0 - size_a)):
            st.joint_rate[i] += worth * att[i]
            spill = 2.0 * p.market.cross_promotion * worth * size  # (worth has the overlap in it)
            st.core_revenue[i] += spill
            st.spill[i] += spill
        st.trust += 0.03 * (1.0 + p.agreement.co_ownership) * (1.0 - st.trust)
        st.alignment += 0.03 * (1.0 - st.alignment)  # a shared success
        if p.mechanisms.coevolution:
            st.relevance += p.dynamics.relevance_gain * (1.0 - st.relevance)
        m.log("initiative_completed", round(worth, 2))
    else:
        c["initiatives_failed"] += 1
        st.customer_sat *= 0.8
        m.lose_trust(0.03)
        m.log("initiative_failed")
