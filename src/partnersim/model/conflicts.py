"""Conflicts (arise, stay latent, surface, resolve, escalate) and market shifts.

Hazard (conflicts per day), piecewise constant over each week::

    h = conflict_rate / 30.44 * exp( hazard_misalignment * (1 - alignment)
                                   + hazard_unfairness   * (1 - min fairness)
                                   + hazard_missed       * recent missed milestones
                                   + hazard_shift        * recent market shifts
                                   + hazard_style        * [styles differ]
                                   + hazard_strain       * months of overcommitted budget (at most 2) )

At each weekly tick the number of conflicts arising in the coming week is drawn from
Poisson(7 h) and each gets a uniform time in the week and a severity U(0.2, 1). A
conflict is latent until a meeting or an informal contact surfaces it, or it flares up
by itself after an exponential time (mean ``flare_days``), its severity multiplied by
``flare_severity``. Once surfaced it resolves after an exponential time whose mean
grows with severity, distrust and message latency and shrinks with context and an
agreed procedure; a meeting may settle it sooner. Still open ``escalate_after_days``
after surfacing, it escalates: trust drops, and a facilitator (if agreed, at a cost)
resolves it after an exponential time with mean ``facilitator_days``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from partnersim.model.communication import recent_response_hours
from partnersim.model.state import ESCALATED, LATENT, RESOLVED, SURFACED, Conflict

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["hazard", "plan_week", "arise", "surface", "resolve", "escalate", "market_shifts",
           "funding_shares"]


MAX_HAZARD = 1.0  # conflicts per day: far above any calibrated hazard (about 0.01 a day)


def hazard(m: Model) -> float:
    """Conflict hazard per day in the current state (coefficients cached by :func:`hazard_coefficients`)."""
    st = m.st
    h_mis, h_unf, h_missed, h_shift, style, h_strain, base, caps = m._hazard
    budget = st.budget
    strain = 0.0
    for i in (0, 1):
        if budget[i] < 0.0 and caps[i] > 0.0:
            strain += -budget[i] / caps[i]
    f0, f1 = st.fairness
    x = (h_mis * (1.0 - st.alignment)
         + h_unf * (1.0 - (f1 if f1 < f0 else f0))
         + h_missed * st.missed_recent
         + h_shift * st.shift_pressure
         + style
         + h_strain * (2.0 if strain > 2.0 else strain))
    # capped (one conflict a day; exponent at 50) so that extreme valid parameters cannot overflow
    h = base * math.exp(50.0 if x > 50.0 else x)
    return h if h < MAX_HAZARD else MAX_HAZARD


def hazard_coefficients(p: Any) -> tuple:
    """The scenario's constants in :func:`hazard`, in the order it unpacks them."""
    d, pa, pb = p.dynamics, p.partner_a, p.partner_b
    return (d.hazard_misalignment, d.hazard_unfairness, d.hazard_missed, d.hazard_shift,
            d.hazard_style * (pa.communication_style != pb.communication_style), d.hazard_strain,
            d.conflict_rate / 30.4375, (pa.money_capacity, pb.money_capacity))


def plan_week(m: Model) -> None:
    """Draw the conflicts arising in the next seven days and schedule them."""
    env = m.env
    rng = m.rng["conflicts"]
    n = rng.poisson(7.0 * hazard(m))
    if not n:
        return
    flare_days = m.p.dynamics.flare_days
    for _ in range(n):
        delay = 7.0 * rng.uniform()
        severity = 0.2 + 0.8 * rng.uniform()
        flare = rng.exponential(flare_days)
        if env.now + delay < m.horizon:
            env.timeout(delay).callbacks.append(
                lambda _ev, s=severity, f=flare: arise(m, s, f))


def arise(m: Model, severity: float, flare_after: float) -> Conflict | None:
    """A conflict arises now, latent; it flares up after ``flare_after`` days unless surfaced."""
    st, env = m.st, m.env
    if not st.active:
        return None
    m.open_changed()
    c = Conflict(int(m.counts["conflicts_raised"]), env.now, severity)
    m.counts["conflicts_raised"] += 1
    st.latent.append(c)
    if m.events is not None:
        m.log("conflict_arises", c.id, round(severity, 4))
    if env.now + flare_after < m.horizon:
        env.timeout(flare_after).callbacks.append(lambda _ev: _flare(m, c))
    return c


def _flare(m: Model, c: Conflict) -> None:
    if c.status == LATENT and m.st.active:
        c.severity *= m.p.dynamics.flare_severity
        c.flared = True
        m.counts["flare_ups"] += 1
        surface(m, c, "flare")


def resolution_mean(m: Model, c: Conflict) -> float:
    """Mean days from surfacing to resolution without a meeting or facilitator settling it."""
    st, d = m.st, m.p.dynamics
    mean = d.resolution_days * (0.5 + c.severity)
    mean *= 1.5 - st.trust
    mean *= 1.0 - 0.5 * d.context_speedup * st.context
    mean *= 1.0 + recent_response_hours(m, m.env.now) / 24.0
    if m.p.agreement.conflict.procedure:
        mean *= 1.0 - d.procedure_speedup
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
    esc = m.p.agreement.conflict.escalate_after_days
    if env.now + esc < m.horizon and natural > esc:
        env.timeout(esc).callbacks.append(lambda _ev: escalate(m, c))


def resolve(m: Model, c: Conflict, how: str) -> None:
    """Resolve an open conflict; resolved within the agreed time, it strengthens trust."""
    st, env = m.st, m.env
    if c.status not in (SURFACED, ESCALATED) or not st.active:
        return
    m.open_changed()
    st.open.remove(c)
    took = env.now - c.arose
    d = m.p.dynamics
    cp = m.p.agreement.conflict
    target = cp.resolution_target_days if cp.procedure else d.resolution_days
    if c.status == SURFACED and env.now - c.surfaced <= target:
        st.trust += min(1.0, d.resolution_trust_gain * c.severity) * (1.0 - st.trust)  # flared: severity > 1
        st.alignment += 0.05 * (1.0 - st.alignment)  # expectations clarified
        m.counts["resolved_within_target"] += 1
    c.status = RESOLVED
    m.counts["conflicts_resolved"] += 1
    m.counts["resolution_days_sum"] += took
    m.log("conflict_resolved", c.id, how)


def escalate(m: Model, c: Conflict) -> None:
    """Escalate a conflict still open; a facilitator (if agreed) takes it, at a cost."""
    st, env = m.st, m.env
    if c.status != SURFACED or not st.active:
        return
    c.status = ESCALATED
    m.counts["escalations"] += 1
    st.trust *= 1.0 - m.p.dynamics.escalation_trust_loss
    cp = m.p.agreement.conflict
    m.log("conflict_escalates", c.id)
    if cp.facilitator and m.pay(cp.facilitator_cost, funding_shares(m, None), "facilitator"):
        m.counts["facilitator_spend"] += cp.facilitator_cost
        t = m.rng["resolution"].exponential(cp.facilitator_days)
        if env.now + t < m.horizon:
            env.timeout(t).callbacks.append(lambda _ev: resolve(m, c, "facilitator"))


def funding_shares(m: Model, origin: int | None = 0) -> tuple[float, float]:
    """Partner A's and B's shares of a cost under the funding rule.

    ``equal``: halves. ``capacity``: by monthly money capacity. ``benefit``: by the share
    of the initiative's revenue each expects under the attribution rule (for ``origin``
    attribution the originating partner expects ``origin_share``; with ``contribution``
    attribution, whose shares follow the funding itself, by capacity; a cost that is no
    initiative's, ``origin=None``, such as a facilitator, is halved). ``fund``: the fund
    pays (the shares returned, by capacity, are not used for money).
    """
    ag = m.p.agreement
    rule = ag.funding_rule
    if rule == "equal":
        return (0.5, 0.5)
    if rule == "benefit" and ag.attribution != "contribution":
        if ag.attribution == "equal" or origin is None:
            return (0.5, 0.5)
        a = ag.origin_share if origin == 0 else 1.0 - ag.origin_share
        return (a, 1.0 - a)
    ca, cb = m.partners[0].money_capacity, m.partners[1].money_capacity
    if ca + cb <= 0.0:
        return (0.5, 0.5)
    return (ca / (ca + cb), cb / (ca + cb))


def market_shifts(m: Model):
    """Market shifts: Poisson, ``shifts_per_year``; each knocks alignment and raises pressure.

    A shift removes ``shift_magnitude x (1 - context / 2)`` of the alignment (shared context
    buffers it) and adds one unit of shift pressure to the conflict hazard.
    """
    return m.poisson_process(m.rng["market"], 365.0 / m.p.market.shifts_per_year, lambda t: _market_shift(m, t))


def _market_shift(m: Model, t: float) -> None:
    st = m.st
    m.advance(t)
    st.alignment *= 1.0 - m.p.market.shift_magnitude * (1.0 - 0.5 * st.context)
    st.shift_pressure += 1.0
    m.counts["market_shifts"] += 1
    m.log("market_shift")
