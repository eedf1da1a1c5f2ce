"""Meetings (the three cadences, clarity meetings) and informal interactions (continuity).

A cadence holds a meeting every ``interval_days``, at the start of the host's working
day. If both partners' working hours overlap for the meeting's length, it is held in
hours (quality 1). Otherwise one partner joins out of hours and the meeting's quality is
``out_of_hours_quality``: without rotation that is always partner B; with rotated times
the burden alternates between the partners (the quality is the same).

A meeting needs ``duration_hours`` from each of ``attendees`` people per partner, drawn
from the partners' staff hours: a partner short of hours sends fewer people, and a
meeting nobody on one side can attend is skipped. What a meeting achieves grows with its
person-hours, with diminishing returns: ``effect = (1 - exp(-h / h_ref)) / 0.75`` where
``h`` is the duration times the mean attendance and ``h_ref`` the cadence's default
person-hours over ln 4 (so the default meeting has effect 1). It restores a fraction
``gain_<kind> x quality x effect x (0.5 + goal_clarity / 2)`` of the alignment gap,
surfaces each latent conflict with probability ``surface_<kind> x quality x effect``,
settles each surfaced conflict with probability ``resolve_at_meeting x quality x
effect``, and its context conversations (``context_share`` of the time) build shared
context (``context_meeting_gain``) and relevance (``relevance_gain``). Cadences also
track milestones (:func:`accountability`), less so when time goes to context.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from partnersim.model import conflicts
from partnersim.model.resources import take_now

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["accountability", "cadence", "informal", "meeting_quality", "meeting_effect", "clarity_meeting",
           "DEFAULT_PERSON_HOURS"]

ACCOUNTABILITY_PER_WEEKLY = 0.3
DEFAULT_PERSON_HOURS = {"weekly": 2.0, "monthly": 4.0, "quarterly": 12.0, "clarity": 2.0}
LN4 = math.log(4.0)


def meeting_effect(kind: str, duration_hours: float, attendees: float) -> float:
    """What a meeting achieves relative to the cadence's default meeting (1.0 there; at most 4/3)."""
    h_ref = DEFAULT_PERSON_HOURS[kind] / LN4
    return (1.0 - math.exp(-duration_hours * attendees / h_ref)) / 0.75


def accountability(p: Any) -> float:
    """Share of would-be-late milestones that milestone tracking at meetings saves.

    Each enabled cadence contributes ``0.3 x 7 / interval_days x effect x (1 - context_share / 2)``
    (a default weekly check-in 0.3, a monthly review about 0.06); contributions combine as
    independent chances.
    """
    if not p.mechanisms.meetings:
        return 0.0
    miss = 1.0
    for kind in ("weekly", "monthly", "quarterly"):
        c = getattr(p.agreement.cadence, kind)
        if c.enabled:
            share = ACCOUNTABILITY_PER_WEEKLY * 7.0 / c.interval_days * meeting_effect(
                kind, c.duration_hours, c.attendees) * (1.0 - 0.5 * c.context_share)
            miss *= 1.0 - min(1.0, share)
    return 1.0 - miss


def meeting_quality(m: Model, duration_hours: float) -> tuple[float, int]:
    """Quality of a meeting and which partner (0/1) joins out of hours (-1: nobody).

    With ``rotate_times`` it is the partner whose turn is next; the turn is taken
    (``m.rotation``) only when the meeting is held (:func:`hold_meeting`).
    """
    if m.overlap >= duration_hours:
        return 1.0, -1
    q = m.p.dynamics.out_of_hours_quality
    if m.p.agreement.cadence.rotate_times:
        return q, m.rotation ^ 1
    return q, 1


def _attend(m: Model, duration: float, attendees: int, out_of_hours: int) -> tuple[int, int]:
    """Draw the meeting's staff hours; return how many people each partner sends (0: skipped)."""
    st = m.st
    if m.finite:
        now = m.env.now
        sent = []
        for i in (0, 1):
            level = m.hours[i].at(now)
            sent.append(attendees if level + 1e-9 >= attendees * duration else int(level / duration + 1e-9))
        if sent[0] < 1 or sent[1] < 1:
            return 0, 0
        for i in (0, 1):
            m.hours[i].take(now, duration * sent[i])
    else:
        sent = [attendees, attendees]
    for i in (0, 1):
        m.add_hours(i, duration * sent[i], 1.5 if i == out_of_hours else 1.0)
    st.meeting_hours += duration * (sent[0] + sent[1])
    return sent[0], sent[1]


def hold_meeting(m: Model, kind: str, duration: float, attendees: int, gain: float, surface: float,
                 context_share: float) -> None:
    """Hold one meeting now (or skip it for lack of staff hours)."""
    st, d = m.st, m.p.dynamics
    m.advance(m.env.now)
    q, out_of_hours = meeting_quality(m, duration)
    na, nb = _attend(m, duration, attendees, out_of_hours)
    if na == 0:
        m.counts["meetings_skipped"] += 1
        m.log("meeting_skipped", kind)
        return
    if out_of_hours >= 0 and m.p.agreement.cadence.rotate_times:
        m.rotation = out_of_hours  # a skipped meeting takes no turn out of hours
    if kind != "clarity":
        m.counts["meetings"] += 1
    eff = meeting_effect(kind, duration, 0.5 * (na + nb)) * q
    clarity = 0.5 + 0.5 * m.p.agreement.goal_clarity  # explicit goals make meetings count
    x = gain * eff * clarity
    st.alignment += (x if x < 1.0 else 1.0) * (1.0 - st.alignment)
    if context_share > 0.0:
        x = d.context_meeting_gain * context_share * eff
        st.context += (x if x < 1.0 else 1.0) * (1.0 - st.context)
        if m.p.mechanisms.coevolution:
            x = d.relevance_gain * context_share * eff
            st.relevance += (x if x < 1.0 else 1.0) * (1.0 - st.relevance)
    if m.events is not None:
        m.log("meeting", kind, round(q, 3))
    if m.p.mechanisms.conflicts:
        rng = m.rng["meetings"]
        p_surface = surface * eff
        for c in list(st.latent):
            if rng.uniform() < p_surface:
                conflicts.surface(m, c, "meeting")
        p_res = d.resolve_at_meeting * eff
        for c in list(st.open):
            if c.status == 1 and rng.uniform() < p_res:
                conflicts.resolve(m, c, "meeting")


def cadence(m: Model, kind: str):
    """The process of one meeting cadence (``"weekly"``, ``"monthly"`` or ``"quarterly"``).

    It reads the cadence from ``m.p`` before each meeting, so a changed agreement (a review
    that adjusts the cadence, an intervention) takes effect from the next meeting; it stops
    when the cadence is switched off (holding no meeting after that). A changed interval
    counts from the last meeting's nominal time, once the meeting already scheduled is held.
    """
    env, st = m.env, m.st
    start = env.now
    k = 1
    interval = getattr(m.p.agreement.cadence, kind).interval_days
    gen = m.cadence_gen.get(kind, 0)
    while True:
        cfg = getattr(m.p.agreement.cadence, kind)
        if not cfg.enabled:
            m.running_cadences.discard(kind)
            return
        if cfg.interval_days != interval:  # changed mid-run: the next meeting one new interval after the last
            start, k, interval = start + (k - 1) * interval, 1, cfg.interval_days
        # the host (A) starts at the beginning of its working day
        t = m.cal[0].next_working(start + k * interval)
        k += 1
        if t >= m.horizon:
            return
        yield m.until(t)
        if not st.active or m.cadence_gen.get(kind, 0) != gen:  # (switched off meanwhile)
            return
        cfg = getattr(m.p.agreement.cadence, kind)
        if not cfg.enabled:
            m.running_cadences.discard(kind)
            return
        d = m.p.dynamics
        hold_meeting(m, kind, cfg.duration_hours, cfg.attendees, getattr(d, f"gain_{kind}"),
                     getattr(d, f"surface_{kind}"), cfg.context_share)


def clarity_meeting(m: Model):
    """A short clarity meeting at the host's next working time after a market shift (seed 002).

    One hour, two people per partner: it restores alignment like a strategic review and
    halves the market-shift pressure on the conflict hazard.
    """
    t = m.cal[0].next_working(m.env.now + 1.0)
    if t >= m.horizon:
        return
    yield m.until(t)
    if not m.st.active:
        return
    d = m.p.dynamics
    before = m.counts["meetings_skipped"]
    hold_meeting(m, "clarity", 1.0, 2, d.gain_monthly, d.surface_monthly, 0.5)
    if m.counts["meetings_skipped"] == before:
        m.counts["clarity_meetings"] += 1
        m.st.shift_pressure *= 0.5


def informal(m: Model):
    """Informal, agenda-light interactions: a Poisson process of ``informal_per_month``.

    Each needs ``informal_hours`` from each partner (skipped when one has none left),
    builds shared context (``informal_context_gain`` of the gap), trust
    (``informal_trust_gain`` of the gap) and a little relevance (a quarter of
    ``relevance_gain``), and brings a latent conflict to the surface with probability 0.2.
    """
    rng = m.rng["informal"]
    return m.poisson_process(rng, 30.4375 / m.p.agreement.informal_per_month, lambda _t: _informal_contact(m, rng))


def _informal_contact(m: Model, rng: Any) -> None:
    st, d = m.st, m.p.dynamics
    u = rng.uniform()  # drawn whatever happens (common random numbers)
    hours = d.informal_hours
    if not take_now(m, m.hours, (hours, hours)):
        m.counts["informal_skipped"] += 1
        m.log("informal_skipped")
        return
    st.context += d.informal_context_gain * (1.0 - st.context)
    st.trust += d.informal_trust_gain * (1.0 - st.trust)
    if m.p.mechanisms.coevolution:
        st.relevance += 0.25 * d.relevance_gain * (1.0 - st.relevance)
    for i in (0, 1):
        m.add_hours(i, hours)
    m.counts["informal"] += 1
    m.log("informal")
    if st.latent and m.p.mechanisms.conflicts and u < 0.2:
        conflicts.surface(m, st.latent[0], "informal")
