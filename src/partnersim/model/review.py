"""Reviews, renegotiation, adaptation and the four ways a partnership ends.

Exit on trust (``"trust"``, a breakdown): checked at every weekly tick; when trust has
stayed below ``exit_trust_threshold`` for ``exit_after_days`` the partnership ends.

Periodic reviews (every ``interval_days``; two hours, two people per partner, taken from
the staff hours there are) look at the partnership and act:

- a review is itself a strategic conversation: it restores 10% of the alignment gap and
  surfaces each latent conflict with probability 0.5;
- **outgrowing**: when one partner's revenue has grown ``outgrow_factor`` times as much as
  the other's since the terms were set, the terms are renegotiated. It succeeds with
  probability ``0.3 + 0.5 trust + 0.2 co_ownership``: funding becomes proportional to
  capacity (unless there is a fund), attribution follows contribution, the revenues the
  terms are measured against are reset, perceived fairness moves halfway back to 1 and
  trust gains 5% of its gap. A
  failed renegotiation costs 10% of trust, and ends the partnership (``"outgrown"``) when
  trust is then within 0.15 of the exit threshold;
- **adaptive reviews** (``review.adaptive``): with two or more surfaced conflicts open or alignment
  below 0.45 and no check-ins, they start weekly check-ins; with equal funding and one
  partner's fairness below 0.7, they move to proportional funding;
- **falling short** (``"shortfall"``): after the first year, what the partnership now earns
  a year (:func:`value_for_money`) against what it cost over the last year; below the bar
  (``shortfall_ratio``, scaled by ``t / 2 years`` in the first two years: returns take time to
  build), the partners stop with probability ``2 (1 - ratio / bar)``
  (at most 1) at that review: a clear shortfall ends it at once, a narrow one may be given
  another chance;
- **a graceful exit** (``"agreed"``): when the partners' relevance to each other has fallen
  below ``exit_relevance`` while trust is above the exit threshold, they part by agreement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partnersim.model import conflicts

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["check_trust_exit", "reviews", "REVIEW_HOURS", "EXIT_REASONS", "value_for_money"]

REVIEW_HOURS = 2.0 * 2.0  # two hours, two people, per partner
EXIT_REASONS = ("trust", "shortfall", "outgrown", "agreed")
YEAR = 365.0


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


def value_for_money(m: Model) -> float:
    """What the partnership now earns a year against what it cost over the last year (inf if free).

    Earned: ``margin`` times the joint revenue per year now plus the cross-promotion
    revenue it added to the core businesses; cost: money spent and staff hours (at
    ``hour_cost``) over the last year (since the start in the first year, per year).
    """
    st, mk = m.st, m.p.market
    now = m.env.now
    cost = st.spent + mk.hour_cost * (st.contrib_hours[0] + st.contrib_hours[1])
    m.reviews_log.append((now, cost))
    then = (0.0, 0.0)
    for row in m.reviews_log:
        if row[0] <= now - YEAR + 1e-9:
            then = row
    years = (now - then[0]) / YEAR
    d_cost = (cost - then[1]) / years if years > 0.0 else 0.0
    earned = mk.margin * (st.joint_rate[0] + st.joint_rate[1] + st.spill[0] + st.spill[1])
    return earned / d_cost if d_cost > 0.0 else float("inf")


def _renegotiate(m: Model, u: float) -> bool:
    """Renegotiate the terms (``u``: the review's uniform draw); False if the partnership ended over it."""
    st, p = m.st, m.p
    rv = p.agreement.review
    m.counts["renegotiations"] += 1
    m.log("renegotiation")
    if m.watch is not None:
        m.watch.event(m, "renegotiations")
    if u < 0.3 + 0.5 * st.trust + 0.2 * p.agreement.co_ownership:
        ag = p.agreement
        changes = {"attribution": "contribution"}
        if ag.funding_rule != "fund":
            changes["funding_rule"] = "capacity"
        m.set_params(p.model_copy(update={"agreement": ag.model_copy(update=changes)}))
        st.fairness = [0.5 * (1.0 + f) for f in st.fairness]
        st.trust += 0.05 * (1.0 - st.trust)
        m.terms_revenue = (st.core_revenue[0] + st.joint_rate[0], st.core_revenue[1] + st.joint_rate[1])
        m.log("terms_renegotiated")
        return True
    m.counts["renegotiations_failed"] += 1
    m.lose_trust(0.1)
    if st.trust < rv.exit_trust_threshold + 0.15:
        m.end_partnership("outgrown")
        return False
    return True


def _adapt(m: Model) -> None:
    """Adaptive reviews: start check-ins when conflicts pile up; rebalance equal funding."""
    st, p = m.st, m.p
    ag = p.agreement
    if (len(st.open) >= 2 or st.alignment < 0.45) and not ag.cadence.weekly.enabled \
            and p.mechanisms.meetings:
        cad = ag.cadence.model_copy(update={"weekly": ag.cadence.weekly.model_copy(update={"enabled": True})})
        m.set_params(p.model_copy(update={"agreement": ag.model_copy(update={"cadence": cad})}))
        m.counts["cadence_adjustments"] += 1
        m.log("cadence_adjusted", "weekly")
    p, ag = m.p, m.p.agreement
    if ag.funding_rule == "equal" and min(st.fairness) < 0.7:
        m.set_params(p.model_copy(update={"agreement": ag.model_copy(update={"funding_rule": "capacity"})}))
        m.counts["terms_rebalanced"] += 1
        m.log("terms_rebalanced", "capacity")


def reviews(m: Model):
    """The periodic partnership review."""
    st = m.st
    k = 1
    start, interval = 0.0, m.p.agreement.review.interval_days
    while True:
        rv = m.p.agreement.review
        if rv.interval_days != interval:  # changed mid-run: the next review one new interval after the last
            start, k, interval = start + (k - 1) * interval, 1, rv.interval_days
        t = start + k * interval
        k += 1
        if t >= m.horizon:
            return
        yield m.until(t)
        if not st.active:
            return
        m.advance(t)
        rv = m.p.agreement.review
        for i in (0, 1):
            h = REVIEW_HOURS
            if m.finite:
                left = m.hours[i].at(t)
                h = left if left < h else h
                m.hours[i].take(t, h)
            m.add_hours(i, h)
            st.meeting_hours += h
        st.alignment += 0.1 * (1.0 - st.alignment)
        rng = m.rng["review"]
        u_terms, u_short = rng.uniform(), rng.uniform()  # drawn at every review (common random numbers)
        if m.p.mechanisms.conflicts:
            for c in list(st.latent):
                if rng.uniform() < 0.5:
                    conflicts.surface(m, c, "review")
        ta, tb = m.terms_revenue
        ra = (st.core_revenue[0] + st.joint_rate[0]) / (ta if ta > 1e-9 else 1e-9)
        rb = (st.core_revenue[1] + st.joint_rate[1]) / (tb if tb > 1e-9 else 1e-9)
        ratio = max(ra, rb) / max(min(ra, rb), 1e-9)
        m.log("review", round(ratio, 4))
        if ratio >= rv.outgrow_factor and not _renegotiate(m, u_terms):
            return
        if rv.adaptive:
            _adapt(m)
        vfm = value_for_money(m)
        # returns take time to build: the bar rises to shortfall_ratio over the first two years
        bar = rv.shortfall_ratio * (t / (2.0 * YEAR) if t < 2.0 * YEAR else 1.0)
        if t >= YEAR and vfm < bar and u_short < 2.0 * (1.0 - vfm / bar):
            m.end_partnership("shortfall")
            return
        if m.p.mechanisms.coevolution and st.relevance < rv.exit_relevance \
                and st.trust >= rv.exit_trust_threshold:
            m.end_partnership("agreed")
            return
