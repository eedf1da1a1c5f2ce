"""Conflicts (arise, stay latent, surface, resolve, escalate) and market shifts.

Hazard (conflicts per day), piecewise constant over each week::

    h = conflict_rate / 30.44 * activity * exp( hazard_misalignment * (1 - alignment)
                                   + hazard_unfairness   * (1 - min fairness)
                                   + hazard_missed       * recent missed milestones
                                   + hazard_shift        * recent market shifts
                                   + hazard_style        * [styles differ]
                                   + hazard_strain       * exhausted staff hours (0..2)
                                   + hazard_competition  * market overlap
                                   + hazard_double_serving * shared customers [no joint CRM]
                                   - hazard_co_ownership * co_ownership )

At each weekly tick the number of conflicts arising in the coming week is drawn from
Poisson(7 h) and each gets a uniform time in the week, a severity U(0.2, 1) (lower by
``co_ownership_framing x co_ownership``: problems framed as shared) and a source, drawn in
proportion to the terms of the hazard (misalignment, unfairness, delivery, market, style,
strain, competition, customers) plus a routine term of 1. A conflict is latent until a
meeting or an informal contact surfaces it, or it flares up by itself after an
exponential time (mean ``flare_days``), its severity multiplied by ``flare_severity``.
Once surfaced it resolves after an exponential time whose mean
grows with severity, distrust and message latency and shrinks with context and an
agreed procedure (which works to its target: a tighter target, a quicker resolution); a
meeting may settle it sooner. Still open ``escalate_after_days`` after surfacing, or
surfaced with a severity of at least ``escalate_severity``, it escalates: trust drops, and
a facilitator (if agreed, paid from the partners' budgets or the fund) resolves it after
an exponential time with mean ``facilitator_days``.

A resolution addresses interests with probability ``interest_based`` (0.8 at least with a
facilitator): then, within the agreed time, it builds trust, and alignment if the conflict
came from misalignment or the market; a facilitator's settlement on interests builds half
that trust, whenever it comes. Settled on positions instead, it comes back later
(a new latent conflict, 0.8 times as severe) with probability ``recurrence``. With an
agreed procedure, a conflict that misses its target costs ``breach_trust_loss`` of trust.
While latent or open, conflicts wear trust down (latent ones ``latent_wear`` times as much).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from partnersim.model.communication import recent_response_hours
from partnersim.model.resources import take_now
from partnersim.model.state import ESCALATED, LATENT, RESOLVED, SURFACED, Conflict

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["hazard", "hazard_terms", "plan_week", "arise", "surface", "resolve", "escalate", "market_shifts",
           "funding_shares", "SOURCES"]

SOURCES = ("misalignment", "unfairness", "delivery", "market", "style", "strain", "competition", "customers",
           "routine")


MAX_HAZARD = 1.0  # conflicts per day: far above any calibrated hazard (about 0.01 a day)


def hazard_terms(m: Model) -> tuple[float, ...]:
    """The terms of the log-hazard, in :data:`SOURCES` order (without the routine term)."""
    st = m.st
    h_mis, h_unf, h_missed, h_shift, style, h_strain, _base, competition, customers, _co = m._hazard
    strain = m.strain[0] + m.strain[1]  # (as of the last advance(): the weekly tick)
    f0, f1 = st.fairness
    return (h_mis * (1.0 - st.alignment), h_unf * (1.0 - (f1 if f1 < f0 else f0)), h_missed * st.missed_recent,
            h_shift * st.shift_pressure, style, h_strain * strain, competition, customers)


def activity(m: Model) -> float:
    """How much the partners do together, relative to a partnership with two initiatives under way.

    ``0.2 + 0.4 x initiatives under way``, at most 1: partners who do little together have
    less to fall out over; beyond two initiatives, more work is no more reason to.
    """
    a = 0.2 + 0.4 * m.st.initiatives_active
    return a if a < 1.0 else 1.0


def hazard(m: Model) -> float:
    """Conflict hazard per day in the current state (coefficients cached by :func:`hazard_coefficients`).

    The sum of :func:`hazard_terms`, spelled out (it runs at every weekly tick).
    """
    st = m.st
    h_mis, h_unf, h_missed, h_shift, style, h_strain, base, competition, customers, co = m._hazard
    f0, f1 = st.fairness
    sa, sb = m.strain
    x = (h_mis * (1.0 - st.alignment) + h_unf * (1.0 - (f1 if f1 < f0 else f0)) + h_missed * st.missed_recent
         + h_shift * st.shift_pressure + style + h_strain * (sa + sb) + competition + customers - co)
    a = 0.2 + 0.4 * st.initiatives_active  # activity(), spelled out
    # capped (one conflict a day; exponent at 50) so that extreme valid parameters cannot overflow
    h = base * (a if a < 1.0 else 1.0) * math.exp(50.0 if x > 50.0 else x)
    return h if h < MAX_HAZARD else MAX_HAZARD


def hazard_coefficients(p: Any) -> tuple:
    """The scenario's constants in :func:`hazard_terms` and :func:`hazard`, in the order they unpack them."""
    d, pa, pb, ag, mk, mech = p.dynamics, p.partner_a, p.partner_b, p.agreement, p.market, p.mechanisms
    competition = d.hazard_competition * mk.overlap if mech.competition else 0.0
    customers = 0.0 if ag.joint_crm else d.hazard_double_serving * mk.shared_customers
    return (d.hazard_misalignment, d.hazard_unfairness, d.hazard_missed, d.hazard_shift,
            d.hazard_style * (pa.communication_style != pb.communication_style), d.hazard_strain,
            d.conflict_rate / 30.4375, competition, customers, d.hazard_co_ownership * ag.co_ownership)


def plan_week(m: Model) -> None:
    """Draw the conflicts arising in the next seven days and schedule them."""
    env = m.env
    rng = m.rng["conflicts"]
    n = rng.poisson(7.0 * hazard(m))
    if not n:
        return
    flare_days = m.p.dynamics.flare_days
    terms = hazard_terms(m)
    weights = [t if t > 0.0 else 0.0 for t in terms] + [1.0]
    total = sum(weights)
    src_rng = m.rng["sources"]
    for _ in range(n):
        delay = 7.0 * rng.uniform()
        severity = 0.2 + 0.8 * rng.uniform()
        flare = rng.exponential(flare_days)
        u = src_rng.uniform() * total
        k = 0
        while k < len(weights) - 1 and u >= weights[k]:
            u -= weights[k]
            k += 1
        if env.now + delay < m.horizon:
            env.timeout(delay).callbacks.append(
                lambda _ev, s=severity, f=flare, src=SOURCES[k]: arise(m, s, f, src))


def arise(m: Model, severity: float, flare_after: float, source: str = "routine", *,
          framed: bool = True) -> Conflict | None:
    """A conflict arises now, latent; it flares up after ``flare_after`` days unless surfaced.

    ``framed``: co-ownership softens the severity (problems framed as shared); a recurring
    conflict was framed already.
    """
    st, env = m.st, m.env
    if not st.active:
        return None
    m.open_changed()
    if framed:
        severity *= 1.0 - m.p.dynamics.co_ownership_framing * m.p.agreement.co_ownership
    c = Conflict(int(m.counts["conflicts_raised"]), env.now, severity, source)
    m.counts["conflicts_raised"] += 1
    st.latent.append(c)
    if m.events is not None:
        m.log("conflict_arises", c.id, round(severity, 4))
    if m.watch is not None:
        m.watch.event(m, "conflicts_raised")
    if env.now + flare_after < m.horizon:
        env.timeout(flare_after).callbacks.append(lambda _ev: _flare(m, c))
    return c


def _flare(m: Model, c: Conflict) -> None:
    if c.status == LATENT and m.st.active:
        c.severity *= m.p.dynamics.flare_severity
        c.flared = True
        m.counts["flare_ups"] += 1
        surface(m, c, "flare")
        if m.watch is not None:
            m.watch.event(m, "flare_ups")


def resolution_mean(m: Model, c: Conflict) -> float:
    """Mean days from surfacing to resolution without a meeting or facilitator settling it."""
    st, d = m.st, m.p.dynamics
    mean = d.resolution_days * (0.5 + c.severity)
    mean *= 1.5 - st.trust
    mean *= 1.0 - 0.5 * d.context_speedup * st.context
    mean *= 1.0 + recent_response_hours(m, m.env.now) / 24.0
    cp = m.p.agreement.conflict
    if cp.procedure:
        # the partners work to the agreed target: a tighter one speeds them up (within limits)
        pace = math.sqrt(cp.resolution_target_days / d.resolution_days)
        mean *= (1.0 - d.procedure_speedup) * (0.3 if pace < 0.3 else (2.0 if pace > 2.0 else pace))
    return mean


def surface(m: Model, c: Conflict, how: str) -> None:
    """Bring a latent conflict into the open; schedule its resolution and escalation."""
    st, env = m.st, m.env
    if c.status != LATENT:
        return
    st.latent.remove(c)
    c.status = SURFACED
    c.surfaced = env.now
    st.open.append(c)
    if how == "meeting":
        m.counts["conflicts_surfaced_at_meetings"] += 1
    m.log("conflict_surfaces", c.id, how)
    rng = m.rng["resolution"]
    natural = rng.exponential(resolution_mean(m, c))
    if env.now + natural < m.horizon:
        env.timeout(natural).callbacks.append(lambda _ev: resolve(m, c, "talks"))
    cp = m.p.agreement.conflict
    if c.severity >= cp.escalate_severity:
        escalate(m, c)
        return
    esc = cp.escalate_after_days
    if env.now + esc < m.horizon and natural > esc:
        env.timeout(esc).callbacks.append(lambda _ev: escalate(m, c))


def resolve(m: Model, c: Conflict, how: str) -> None:
    """Resolve an open conflict: on interests it can strengthen the partnership; on positions it may recur."""
    st, env = m.st, m.env
    if c.status not in (SURFACED, ESCALATED) or not st.active:
        return
    m.open_changed()
    st.open.remove(c)
    took = env.now - c.arose
    d = m.p.dynamics
    cp = m.p.agreement.conflict
    rng = m.rng["sources"]
    u_interest, u_recur, u_when = rng.uniform(), rng.uniform(), rng.exponential(60.0)
    p_interest = cp.interest_based if how != "facilitator" else max(cp.interest_based, 0.8)
    on_interests = u_interest < p_interest
    target = cp.resolution_target_days if cp.procedure else d.resolution_days
    in_time = c.status == SURFACED and env.now - c.surfaced <= target
    if on_interests and (in_time or how == "facilitator"):  # a facilitator's settlement builds half as much
        gain = d.resolution_trust_gain * c.severity * (1.0 if in_time else 0.5)
        st.trust += (gain if gain < 1.0 else 1.0) * (1.0 - st.trust)  # flared: severity > 1
        if c.source in ("misalignment", "market"):  # (only a conflict over priorities clarifies them)
            st.alignment += 0.1 * (1.0 - st.alignment)  # expectations clarified
    if in_time:
        m.counts["resolved_within_target"] += 1
    elif cp.procedure:
        m.counts["target_breaches"] += 1
        m.lose_trust(d.breach_trust_loss)
    c.status = RESOLVED
    m.counts["conflicts_resolved"] += 1
    m.counts["resolution_days_sum"] += took
    m.log("conflict_resolved", c.id, how)
    if not on_interests and u_recur < d.recurrence and env.now + u_when < m.horizon:
        m.counts["recurrences"] += 1
        sev = 0.8 * c.severity
        src = c.source
        env.timeout(u_when).callbacks.append(
            lambda _ev: arise(m, sev, m.p.dynamics.flare_days, src, framed=False))


def escalate(m: Model, c: Conflict) -> None:
    """Escalate a conflict still open; a facilitator (if agreed) takes it, at a cost."""
    st, env = m.st, m.env
    if c.status != SURFACED or not st.active:
        return
    c.status = ESCALATED
    m.counts["escalations"] += 1
    m.lose_trust(m.p.dynamics.escalation_trust_loss)
    cp = m.p.agreement.conflict
    m.log("conflict_escalates", c.id)
    if m.watch is not None:
        m.watch.event(m, "escalations")
    if not cp.facilitator:
        return
    shares = funding_shares(m, None)
    pools, amounts = m.money_pools(cp.facilitator_cost, shares)
    if take_now(m, pools, amounts):
        m.pay(cp.facilitator_cost, shares, "facilitator")
        m.counts["facilitator_spend"] += cp.facilitator_cost
        t = m.rng["resolution"].exponential(cp.facilitator_days)
        if env.now + t < m.horizon:
            env.timeout(t).callbacks.append(lambda _ev: resolve(m, c, "facilitator"))


def funding_shares(m: Model, origin: int | None = 0) -> tuple[float, float]:
    """Partner A's and B's shares of a cost under the funding rule.

    ``equal``: halves. ``capacity``: by monthly money capacity. ``benefit``: by the share of
    the initiative's gain each expects: its attributed share of the joint revenue (equal,
    ``origin_share`` for the partner who brought it under ``origin`` attribution, by
    capacity under ``contribution``) plus the cross-promotion spill-over into its core
    business, which grows with the size of its core business; a cost that is no
    initiative's (``origin=None``, a facilitator) is shared by the spill-over alone.
    ``fund``: the fund pays (the shares returned, by capacity, only split staff hours).
    """
    ag = m.p.agreement
    rule = ag.funding_rule
    if rule == "equal":
        return (0.5, 0.5)
    ca, cb = m.partners[0].money_capacity, m.partners[1].money_capacity
    by_capacity = (ca / (ca + cb), cb / (ca + cb)) if ca + cb > 0.0 else (0.5, 0.5)
    if rule != "benefit":
        return by_capacity
    if origin is None:
        att = 0.5
    elif ag.attribution == "origin":
        att = ag.origin_share if origin == 0 else 1.0 - ag.origin_share
    elif ag.attribution == "contribution":
        att = by_capacity[0]
    else:
        att = 0.5
    ra, rb = m.st.core_revenue
    size_a = ra / (ra + rb) if ra + rb > 0.0 else 0.5
    cp = 2.0 * m.p.market.cross_promotion
    if origin is None:
        a = size_a
    else:
        a = (att + cp * size_a) / (1.0 + cp)
    return (a, 1.0 - a)


def market_shifts(m: Model):
    """Market shifts: Poisson, ``shifts_per_year``; each knocks alignment and raises pressure.

    Each shift has a size, exponential with mean 1 (most are small, a few are pivots), drawn
    whatever happens; it removes ``shift_magnitude x size x (1 - context / 2)`` (at most all)
    of the alignment (shared context buffers it) and half as much of the relevance, and adds one unit
    of shift pressure to the conflict hazard; with ``clarity_after_shift`` a clarity meeting
    follows (:func:`partnersim.model.meetings.clarity_meeting`).
    """
    rng = m.rng["market"]
    return m.poisson_process(rng, 365.0 / m.p.market.shifts_per_year,
                             lambda t: _market_shift(m, t, rng.exponential(1.0)))


def _market_shift(m: Model, t: float, size: float) -> None:
    st = m.st
    m.advance(t)
    mag = m.p.market.shift_magnitude * size
    mag = mag if mag < 1.0 else 1.0
    st.alignment *= 1.0 - mag * (1.0 - 0.5 * st.context)
    if m.p.mechanisms.coevolution:  # priorities move apart unless the partners understand each other's context
        st.relevance *= 1.0 - 0.5 * mag * (1.0 - 0.5 * st.context)
    st.shift_pressure += 1.0
    m.counts["market_shifts"] += 1
    m.log("market_shift")
    if m.watch is not None:
        m.watch.event(m, "market_shifts")
    if m.p.agreement.clarity_after_shift and m.p.mechanisms.meetings:
        from partnersim.model.meetings import clarity_meeting  # (meetings imports this module)

        m.env.process(clarity_meeting(m))
