"""Meetings (the three cadences) and informal interactions (continuity).

A cadence holds a meeting every ``interval_days``, at the start of the host's working
day. If both partners' working hours overlap for the meeting's length, it is held in
hours (quality 1). Otherwise one partner joins out of hours: without rotation that is
always partner B and the meeting's quality is ``out_of_hours_quality``; with rotated
times the burden alternates and the quality is halfway between that and 1.

A meeting costs ``duration_hours x attendees`` staff hours per partner (out-of-hours
hours count 1.5 times in that partner's perceived input), restores a fraction
``gain_<kind> x quality x (0.5 + goal_clarity / 2)`` of the alignment gap, surfaces each latent conflict with
probability ``surface_<kind> x quality``, and settles each surfaced conflict with
probability ``resolve_at_meeting x quality``. Cadences also track milestones: see
:func:`accountability`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from partnersim.model import conflicts

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["accountability", "cadence", "informal", "meeting_quality"]

ACCOUNTABILITY_PER_WEEKLY = 0.3


def accountability(p: Any) -> float:
    """Share of would-be-late milestones that milestone tracking at meetings saves.

    Each enabled cadence contributes ``0.3 x 7 / interval_days`` (a weekly check-in 0.3,
    a monthly review 0.07); contributions combine as independent chances.
    """
    if not p.mechanisms.meetings:
        return 0.0
    miss = 1.0
    for kind in ("weekly", "monthly", "quarterly"):
        c = getattr(p.agreement.cadence, kind)
        if c.enabled:
            miss *= 1.0 - min(1.0, ACCOUNTABILITY_PER_WEEKLY * 7.0 / c.interval_days)
    return 1.0 - miss


def meeting_quality(m: Model, duration_hours: float) -> tuple[float, int]:
    """Quality of a meeting and which partner (0/1) joins out of hours (-1: nobody)."""
    if m.overlap >= duration_hours:
        return 1.0, -1
    q = m.p.dynamics.out_of_hours_quality
    if m.p.agreement.cadence.rotate_times:
        m.rotation ^= 1
        return 0.5 * (1.0 + q), m.rotation
    return q, 1


def cadence(m: Model, kind: str):
    """The process of one meeting cadence (``"weekly"``, ``"monthly"`` or ``"quarterly"``)."""
    env, st = m.env, m.st
    rng = m.rng["meetings"]
    cfg = getattr(m.p.agreement.cadence, kind)
    gain = getattr(m.p.dynamics, f"gain_{kind}")
    surface = getattr(m.p.dynamics, f"surface_{kind}")
    k = 1
    while True:
        # the host (A, or the rotating partner) starts at the beginning of its working day
        t = m.cal[0].next_working(k * cfg.interval_days)
        k += 1
        if t >= m.horizon:
            return
        yield env.timeout(t - env.now)
        if not st.active:
            return
        m.advance(t)
        q, out_of_hours = meeting_quality(m, cfg.duration_hours)
        hours = cfg.duration_hours * cfg.attendees
        for i in (0, 1):
            m.add_hours(i, hours, 1.5 if i == out_of_hours else 1.0)
        st.meeting_hours += 2 * hours
        m.counts["meetings"] += 1
        clarity = 0.5 + 0.5 * m.p.agreement.goal_clarity  # explicit goals make meetings count
        st.alignment += gain * q * clarity * (1.0 - st.alignment)
        if m.events is not None:
            m.log("meeting", kind, round(q, 3))
        if m.p.mechanisms.conflicts:
            for c in list(st.latent):
                if rng.uniform() < surface * q:
                    conflicts.surface(m, c, "meeting")
            p_res = m.p.dynamics.resolve_at_meeting * q
            for c in list(st.open):
                if c.status == 1 and rng.uniform() < p_res:
                    conflicts.resolve(m, c, "meeting")


def informal(m: Model):
    """Informal, agenda-light interactions: a Poisson process of ``informal_per_month``.

    Each builds shared context (``informal_context_gain`` of the gap) and trust
    (``informal_trust_gain`` of the gap), costs ``informal_hours`` per partner, and
    brings a latent conflict to the surface with probability 0.2.
    """
    rng = m.rng["informal"]
    return m.poisson_process(rng, 30.4375 / m.p.agreement.informal_per_month, lambda _t: _informal_contact(m, rng))


def _informal_contact(m: Model, rng: Any) -> None:
    st, d = m.st, m.p.dynamics
    st.context += d.informal_context_gain * (1.0 - st.context)
    st.trust += d.informal_trust_gain * (1.0 - st.trust)
    for i in (0, 1):
        m.add_hours(i, d.informal_hours)
    m.counts["informal"] += 1
    m.log("informal")
    if st.latent and m.p.mechanisms.conflicts and rng.uniform() < 0.2:
        conflicts.surface(m, st.latent[0], "informal")

