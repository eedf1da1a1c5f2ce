"""Reviews, renegotiation and exit.

Exit on trust: checked at every weekly tick; when trust has stayed below
``exit_trust_threshold`` for ``exit_after_days`` the partnership ends (reason ``"trust"``).

Periodic reviews (every ``interval_days``; two hours, two people per partner): when one
partner's revenue has grown ``outgrow_factor`` times as much as the other's since the
terms were last set (day 0 or the last renegotiation), the terms are
renegotiated: perceived fairness moves halfway back to 1. If trust is then within 0.1 of
the exit threshold, the partners part instead (reason ``"outgrown"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["check_trust_exit", "reviews", "REVIEW_HOURS"]

REVIEW_HOURS = 2.0 * 2.0  # two hours, two people, per partner


def check_trust_exit(m: Model) -> None:
    """Apply the trust exit rule at the current time."""
    st = m.st
    rv = m.p.agreement.review
    if st.trust < rv.exit_trust_threshold:
        if st.below_since < 0.0:
            st.below_since = m.env.now
        if m.env.now - st.below_since >= rv.exit_after_days:
            m.end_partnership("trust")
    else:
        st.below_since = -1.0


def reviews(m: Model):
    """The periodic partnership review."""
    env, st = m.env, m.st
    rv = m.p.agreement.review
    k = 1
    while True:
        t = k * rv.interval_days
        k += 1
        if t >= m.horizon:
            return
        yield env.timeout(t - env.now)
        if not st.active:
            return
        m.advance(t)
        for i in (0, 1):
            m.add_hours(i, REVIEW_HOURS)
        st.meeting_hours += 2 * REVIEW_HOURS
        ra = (st.core_revenue[0] + st.joint_rate[0]) / m.terms_revenue[0]
        rb = (st.core_revenue[1] + st.joint_rate[1]) / m.terms_revenue[1]
        ratio = max(ra, rb) / max(min(ra, rb), 1e-9)
        m.log("review", round(ratio, 4))
        if ratio >= rv.outgrow_factor:
            m.counts["renegotiations"] += 1
            m.log("renegotiation")
            if st.trust < rv.exit_trust_threshold + 0.1:
                m.end_partnership("outgrown")
                return
            st.fairness = [0.5 * (1.0 + f) for f in st.fairness]
            m.terms_revenue = (st.core_revenue[0] + st.joint_rate[0], st.core_revenue[1] + st.joint_rate[1])
