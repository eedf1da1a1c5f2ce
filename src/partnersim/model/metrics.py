"""Summary metrics of one run: names, units, definitions, and their computation."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from partnersim.model.communication import response_stats

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["METRICS", "summarize"]

NAN = float("nan")

# name -> (unit, definition). The first 21 are the public contract of DESIGN.md.
METRICS: dict[str, tuple[str, str]] = {
    "joint_revenue": ("currency", "Joint revenue earned over the run (attributed to either partner)."),
    "revenue_growth_a": ("1/year", "Partner A's annualised growth of total revenue (core plus joint; under a "
                         "year, the run's growth scaled to a year)."),
    "revenue_growth_b": ("1/year", "Partner B's annualised growth of total revenue (core plus joint; under a "
                         "year, the run's growth scaled to a year)."),
    "survived": ("0/1", "1 if the partnership still exists at the horizon."),
    "exit_day": ("days", "Day the partnership ended; empty (NaN) if it survived."),
    "conflicts_raised": ("count", "Conflicts that arose."),
    "conflicts_resolved": ("count", "Conflicts resolved."),
    "escalations": ("count", "Conflicts escalated."),
    "mean_resolution_days": ("days", "Mean time from a conflict arising to its resolution (resolved ones)."),
    "mean_open_conflicts": ("count", "Time average of conflicts arisen and not yet resolved."),
    "mean_response_hours": ("hours", "Mean time from sending a message to its reply (calendar hours)."),
    "mean_decision_days": ("days", "Mean time from an opportunity arriving to its decision."),
    "final_trust": ("0..1", "Trust at the horizon (or at exit)."),
    "final_alignment": ("0..1", "Alignment at the horizon (or at exit)."),
    "fairness_a": ("0..1", "Partner A's perceived fairness at the end."),
    "fairness_b": ("0..1", "Partner B's perceived fairness at the end."),
    "meeting_hours": ("staff hours", "Staff hours both partners spent in meetings and reviews."),
    "initiatives_started": ("count", "Joint initiatives started."),
    "initiatives_completed": ("count", "Joint initiatives completed successfully."),
    "customer_satisfaction": ("0..1", "Time average of joint customers' satisfaction."),
    "team_satisfaction": ("0..1", "Time average of partnership staff's satisfaction."),
    # more
    "revenue_uplift_a": ("fraction", "Partner A's final revenue over its expected stand-alone revenue, minus 1."),
    "revenue_uplift_b": ("fraction", "Partner B's final revenue over its expected stand-alone revenue, minus 1."),
    "exit_by_trust": ("0/1", "1 if the partnership ended because trust stayed too low."),
    "exit_by_outgrowth": ("0/1", "1 if it ended at a failed renegotiation because one partner outgrew the other."),
    "exit_by_shortfall": ("0/1", "1 if it ended because it fell short: too little margin for what it cost."),
    "exit_by_agreement": ("0/1", "1 if the partners parted by agreement, no longer relevant to each other."),
    "renegotiations": ("count", "Renegotiations triggered at reviews."),
    "conflicts_surfaced_at_meetings": ("count", "Conflicts brought up by a meeting before flaring up."),
    "flare_ups": ("count", "Latent conflicts that flared up by themselves."),
    "resolved_within_target": ("count", "Conflicts resolved, unescalated, within the agreed time "
                               "(resolution_target_days with a procedure, else dynamics.resolution_days)."),
    "unresolved_at_end": ("count", "Conflicts still open (latent or surfaced) at the end."),
    "mean_trust": ("0..1", "Time average of trust."),
    "mean_alignment": ("0..1", "Time average of alignment."),
    "min_fairness": ("0..1", "The lower of the two partners' final fairness."),
    "messages": ("count", "Messages exchanged."),
    "decisions": ("count", "Opportunities decided (in time or not)."),
    "opportunities": ("count", "Opportunities that arrived."),
    "opportunities_lost": ("count", "Opportunities lost because the decision came too late."),
    "initiatives_failed": ("count", "Joint initiatives that failed, or were abandoned because their staff hours "
                           "or money could not be had."),
    "milestones_missed": ("count", "Milestones delivered late."),
    "on_time_rate": ("0..1", "Share of milestones delivered on time (NaN if none)."),
    "contribution_money_a": ("currency", "Money partner A put in."),
    "contribution_money_b": ("currency", "Money partner B put in."),
    "contribution_hours_a": ("staff hours", "Staff hours partner A put in."),
    "contribution_hours_b": ("staff hours", "Staff hours partner B put in."),
    "spending": ("currency", "Partnership spending (initiatives and facilitators)."),
    "fund_balance": ("currency", "Partnership fund balance at the end."),
    "facilitator_spend": ("currency", "Spent on facilitators."),
    "meetings_held": ("count", "Cadence meetings held."),
    "informal_interactions": ("count", "Informal interactions."),
    "market_shifts": ("count", "Market shifts."),
    "depth_reached": ("0..2", "Deepest stage reached: 0 transactional, 1 collaborative, 2 strategic."),
    "renegotiations_failed": ("count", "Renegotiations that failed."),
    "meetings_skipped": ("count", "Cadence or clarity meetings skipped for lack of staff hours."),
    "informal_skipped": ("count", "Informal interactions skipped for lack of staff hours."),
    "opportunities_declined": ("count", "Opportunities a partner turned down (risk, or not worth its share)."),
    "opportunities_unfunded": ("count", "Opportunities accepted but not funded within the decision window."),
    "resource_delays": ("count", "Initiatives and milestones that waited more than 3 days for money or staff."),
    "unconsented_spend": ("currency", "Partner money committed by the other partner alone (below the consensus "
                          "threshold)."),
    "target_breaches": ("count", "Conflicts that missed the agreed resolution target (with a procedure)."),
    "recurrences": ("count", "Conflicts settled on positions that came back."),
    "cadence_adjustments": ("count", "Reviews that started check-ins (adaptive reviews)."),
    "terms_rebalanced": ("count", "Reviews that moved equal funding to proportional (adaptive reviews)."),
    "clarity_meetings": ("count", "Clarity meetings held after market shifts."),
    "final_relevance": ("0..1", "The partners' relevance to each other at the end (co-evolution)."),
    "final_context": ("0..1", "Shared context at the end."),
    "value_for_money": ("ratio", "Margin earned over the run against what the partnership cost (money and staff "
                        "hours at hour_cost); NaN if it cost nothing."),
    "joint_revenue_rate": ("currency/year", "Joint revenue per year at the end (0 after an exit)."),
    "conflicts_per_year": ("1/year", "Conflicts that arose per year the partnership lasted (a rate: unlike "
                           "conflicts_raised, it does not grow because a partnership lasts longer)."),
    "escalations_per_year": ("1/year", "Escalations per year the partnership lasted."),
}


def annual_growth(ratio: float, years: float) -> float:
    """Growth per year that turns 1 into ``ratio`` in ``years``: compounded over a year or more;
    over a shorter run, the run's growth scaled to a year without compounding (compounding a
    week's growth 52 times overflows, and says nothing)."""
    if ratio <= 0.0:
        return -1.0
    if years >= 1.0:
        x = math.log(ratio) / years
        return math.expm1(x) if x < 700.0 else float(ratio - 1.0) / years
    return (ratio - 1.0) / years


def summarize(m: Model) -> dict[str, float]:
    """Compute every metric of :data:`METRICS` from a finished model."""
    st, c = m.st, m.counts
    horizon = m.horizon
    years = horizon / 365.0
    out: dict[str, float] = {}
    out["joint_revenue"] = st.joint_cum
    uplift = []
    for i, pp in enumerate(m.partners):
        final = st.core_revenue[i] + st.joint_rate[i]
        key = "ab"[i]
        out[f"revenue_growth_{key}"] = annual_growth(final / pp.revenue, years)
        uplift.append(final / (pp.revenue * math.exp(pp.growth_rate * years)) - 1.0)
    out["survived"] = 1.0 if st.active else 0.0
    out["exit_day"] = NAN if st.active else st.exit_day
    out["conflicts_raised"] = c["conflicts_raised"]
    out["conflicts_resolved"] = c["conflicts_resolved"]
    out["escalations"] = c["escalations"]
    res = c["conflicts_resolved"]
    out["mean_resolution_days"] = c["resolution_days_sum"] / res if res else NAN
    out["mean_open_conflicts"] = c["open_area"] / horizon
    msgs, hours = response_stats(m, horizon if st.active else st.exit_day)
    out["mean_response_hours"] = hours / msgs if msgs else NAN
    dec = c["decisions"]
    out["mean_decision_days"] = c["decision_days_sum"] / dec if dec else NAN
    out["final_trust"] = st.trust
    out["final_alignment"] = st.alignment
    out["fairness_a"] = st.fairness[0]
    out["fairness_b"] = st.fairness[1]
    out["meeting_hours"] = st.meeting_hours
    out["initiatives_started"] = c["initiatives_started"]
    out["initiatives_completed"] = c["initiatives_completed"]
    trust_area, alignment_area, customer_area, team_area = m._areas
    out["customer_satisfaction"] = customer_area / horizon
    out["team_satisfaction"] = team_area / horizon
    out["revenue_uplift_a"], out["revenue_uplift_b"] = uplift
    out["exit_by_trust"] = 1.0 if st.exit_reason == "trust" else 0.0
    out["exit_by_outgrowth"] = 1.0 if st.exit_reason == "outgrown" else 0.0
    out["exit_by_shortfall"] = 1.0 if st.exit_reason == "shortfall" else 0.0
    out["exit_by_agreement"] = 1.0 if st.exit_reason == "agreed" else 0.0
    out["renegotiations"] = c["renegotiations"]
    out["conflicts_surfaced_at_meetings"] = c["conflicts_surfaced_at_meetings"]
    out["flare_ups"] = c["flare_ups"]
    out["resolved_within_target"] = c["resolved_within_target"]
    out["unresolved_at_end"] = float(len(st.open) + len(st.latent))
    out["mean_trust"] = trust_area / horizon
    out["mean_alignment"] = alignment_area / horizon
    out["min_fairness"] = min(st.fairness)
    out["messages"] = float(msgs)
    out["decisions"] = dec
    out["opportunities"] = c["opportunities"]
    out["opportunities_lost"] = c["opportunities_lost"]
    out["initiatives_failed"] = c["initiatives_failed"]
    out["milestones_missed"] = c["milestones_missed"]
    out["on_time_rate"] = 1.0 - c["milestones_missed"] / c["milestones"] if c["milestones"] else NAN
    out["contribution_money_a"], out["contribution_money_b"] = st.contrib_money
    out["contribution_hours_a"], out["contribution_hours_b"] = st.contrib_hours
    out["spending"] = st.spent
    out["fund_balance"] = m.fund.at(horizon if st.active else st.exit_day)
    out["facilitator_spend"] = c["facilitator_spend"]
    out["meetings_held"] = c["meetings"]
    out["informal_interactions"] = c["informal"]
    out["market_shifts"] = c["market_shifts"]
    out["depth_reached"] = float(st.depth)
    for k in ("renegotiations_failed", "meetings_skipped", "informal_skipped", "opportunities_declined",
              "resource_delays", "unconsented_spend", "target_breaches", "recurrences", "cadence_adjustments",
              "terms_rebalanced", "clarity_meetings"):
        out[k] = c[k]
    out["opportunities_unfunded"] = c["unfunded"]
    out["final_relevance"] = st.relevance
    out["final_context"] = st.context
    cost = st.spent + m.p.market.hour_cost * (st.contrib_hours[0] + st.contrib_hours[1])
    out["value_for_money"] = m.p.market.margin * st.joint_cum / cost if cost > 0.0 else NAN
    out["joint_revenue_rate"] = st.joint_rate[0] + st.joint_rate[1]
    lasted = (horizon if st.active else st.exit_day) / 365.0
    out["conflicts_per_year"] = c["conflicts_raised"] / lasted if lasted > 0.0 else 0.0
    out["escalations_per_year"] = c["escalations"] / lasted if lasted > 0.0 else 0.0
    return out
