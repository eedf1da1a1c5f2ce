"""The validated, immutable schema of a partnersim scenario.

Every parameter carries a unit, a default, bounds and a one-line description
(``json_schema_extra={"unit": ...}``), so that the JSON Schema given by
``partnersim schema`` documents scenario files for editors and humans alike.

A scenario is immutable: make a variant with :func:`with_changes`, never by
mutating one. Sections are nested models; a dotted path such as
``"agreement.cadence.weekly.enabled"`` names any field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo

from partnersim.scenario.interventions import Intervention, Policy, check_changes

__all__ = [
    "Partner",
    "Meeting",
    "WeeklyMeeting",
    "MonthlyMeeting",
    "QuarterlyMeeting",
    "Cadence",
    "ConflictProcedure",
    "Review",
    "Agreement",
    "Market",
    "Initial",
    "Mechanisms",
    "Dynamics",
    "Scenario",
    "FUNDING_RULES",
    "ATTRIBUTION_RULES",
    "with_changes",
    "field_units",
    "Intervention",
    "Policy",
    "LIST_FIELDS",
    "leaf_fields",
]

FUNDING_RULES = ("equal", "capacity", "benefit", "fund")
MIN_WORKING_DAY_HOURS = 0.25  # a shorter working day makes message rates per working hour explode
ATTRIBUTION_RULES = ("equal", "contribution", "origin")

FundingRule = Literal["equal", "capacity", "benefit", "fund"]
AttributionRule = Literal["equal", "contribution", "origin"]
CommunicationStyle = Literal["direct", "diplomatic"]


def P(default: Any, unit: str, description: str, **bounds: Any) -> Any:
    """A parameter: default, unit and description in one place."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


class _Section(BaseModel):
    # strict: no silent coercion ("yes" or 1 for a boolean, "0.5" or true for a number, 3.0 for a whole number)
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _numpy_scalars(cls, value: Any) -> Any:
        # a numpy scalar (np.int64 from np.arange, np.bool_) is the Python value it holds, not a coercion
        if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
            return value.item()
        return value


class Partner(_Section):
    """One small business in the partnership."""

    name: str = Field("A", description="Display name of the partner.", max_length=80)
    revenue: float = P(1_000_000.0, "currency/year", "Core revenue at the start.", ge=1, le=1e11)
    growth_rate: float = P(0.05, "1/year", "Own core growth rate, partnership aside.", ge=-0.5, le=1.0)
    revenue_volatility: float = P(
        0.10, "1/sqrt(year)", "Volatility of core revenue (geometric Brownian motion).", ge=0, le=1.0
    )
    money_capacity: float = P(
        4_000.0, "currency/month", "Money per month it can put into partnership work.", ge=0, le=1e9
    )
    staff_hours: float = P(
        20.0, "hours/week", "Staff hours per week it can put into partnership work.", ge=0, le=2000
    )
    decision_days: float = P(5.0, "days", "Mean time to decide internally.", ge=0.1, le=365)
    risk_tolerance: float = P(
        0.5, "0..1", "Share of opportunities, by risk, it is willing to take on.", ge=0, le=1
    )
    communication_style: CommunicationStyle = Field(
        "direct",
        description="Communication style; partners with different styles have more friction.",
    )
    utc_offset: float = P(0.0, "hours", "Time zone, as an offset from UTC.", ge=-12, le=14)
    work_start: float = P(9.0, "hour (local)", "Start of the working day.", ge=0, lt=24)
    work_end: float = P(17.0, "hour (local)", "End of the working day.", gt=0, le=24)
    working_days: int = P(5, "days/week", "Working days per week (Monday first).", ge=1, le=7)
    responsiveness_hours: float = P(
        2.0, "working hours", "Mean working time it takes to handle one message.", gt=0, le=200
    )
    message_rate: float = P(
        4.0, "messages/week", "Coordination messages it sends to the partner per week.", ge=0, le=200
    )
    reliability: float = P(
        0.85, "0..1", "Probability that a committed milestone is delivered on time.", ge=0, le=1
    )

    @field_validator("work_end")
    @classmethod
    def _working_day(cls, work_end: float, info: ValidationInfo) -> float:
        # a field validator (not a model validator), so that errors name partner_x.work_end
        start = info.data.get("work_start")
        if start is not None and work_end < start + MIN_WORKING_DAY_HOURS:
            raise ValueError(f"work_end must be at least {MIN_WORKING_DAY_HOURS:g} h after work_start ({start:g})")
        return work_end


class Meeting(_Section):
    """One meeting cadence (the generic shape; each cadence has its own defaults below)."""

    enabled: bool = Field(True, description="Whether this cadence is held at all.")
    interval_days: float = P(7.0, "days", "Time between meetings.", ge=1, le=730)
    duration_hours: float = P(1.0, "hours", "Length of one meeting.", gt=0, le=24)
    attendees: int = P(2, "people per partner", "Staff each partner sends.", ge=1, le=50)
    context_share: float = P(
        0.0, "0..1", "Share of the meeting given to context conversations (seed 002: 'what shifts are you "
        "seeing in your market?') rather than status and milestones.", ge=0, le=1
    )


class WeeklyMeeting(Meeting):
    """Operational check-ins: short, frequent, about status and milestones."""

    interval_days: float = P(7.0, "days", "Time between check-ins.", ge=1, le=730)
    duration_hours: float = P(1.0, "hours", "Length of one check-in.", gt=0, le=24)
    attendees: int = P(2, "people per partner", "Staff each partner sends.", ge=1, le=50)
    context_share: float = P(0.0, "0..1", "Share of the check-in given to context conversations.", ge=0, le=1)


class MonthlyMeeting(Meeting):
    """Strategic reviews."""

    interval_days: float = P(30.0, "days", "Time between strategic reviews.", ge=1, le=730)
    duration_hours: float = P(2.0, "hours", "Length of one strategic review.", gt=0, le=24)
    attendees: int = P(2, "people per partner", "Staff each partner sends.", ge=1, le=50)
    context_share: float = P(0.25, "0..1", "Share of the review given to context conversations.", ge=0, le=1)


class QuarterlyMeeting(Meeting):
    """Deep dives on the partnership itself."""

    interval_days: float = P(91.0, "days", "Time between deep dives.", ge=1, le=730)
    duration_hours: float = P(4.0, "hours", "Length of one deep dive.", gt=0, le=24)
    attendees: int = P(3, "people per partner", "Staff each partner sends.", ge=1, le=50)
    context_share: float = P(0.5, "0..1", "Share of the deep dive given to context conversations.", ge=0, le=1)


class Cadence(_Section):
    """The agreement's meeting cadences (seed 000: weekly, monthly, quarterly).

    Each cadence has its own defaults (interval, duration, attendees), whichever way it is
    switched on: a table ``[agreement.cadence.quarterly]`` with only ``enabled = true`` is a
    91-day, 4-hour deep dive, not a weekly hour. A cadence table that is given is on unless it
    says ``enabled = false``; a cadence not mentioned keeps the defaults below (monthly on).
    """

    weekly: WeeklyMeeting = Field(WeeklyMeeting(enabled=False), description="Operational check-ins.")
    monthly: MonthlyMeeting = Field(MonthlyMeeting(enabled=True), description="Strategic reviews.")
    quarterly: QuarterlyMeeting = Field(
        QuarterlyMeeting(enabled=False), description="Deep dives on the partnership itself."
    )
    rotate_times: bool = Field(
        False, description="Rotate meeting times so that out-of-hours meetings alternate between partners."
    )


class ConflictProcedure(_Section):
    """Agreed conflict procedures (seed 000: timelines, escalation, neutral facilitator)."""

    procedure: bool = Field(False, description="An agreed resolution procedure and timeline exists.")
    resolution_target_days: float = P(
        21.0, "days", "Agreed time to resolve a surfaced conflict (with a procedure).", gt=0, le=365
    )
    escalate_after_days: float = P(
        45.0, "days", "A surfaced conflict still open after this long escalates.", gt=0, le=730
    )
    facilitator: bool = Field(False, description="A neutral facilitator takes escalated conflicts.")
    facilitator_cost: float = P(3_000.0, "currency", "Cost of the facilitator per escalation.", ge=0, le=1e8)
    facilitator_days: float = P(
        10.0, "days", "Mean time the facilitator needs to resolve an escalation.", gt=0, le=365
    )
    escalate_severity: float = P(
        1.2, "severity", "A surfaced conflict at least this severe escalates at once (severities run 0.2-1; "
        "a flare-up multiplies them by dynamics.flare_severity).", gt=0, le=10
    )
    interest_based: float = P(
        0.3, "0..1", "How far resolutions address interests rather than positions (seed 000): the chance a "
        "resolution settles the underlying issue instead of papering over it.", ge=0, le=1
    )


class Review(_Section):
    """Periodic partnership reviews, renegotiation and exit rules."""

    interval_days: float = P(182.0, "days", "Time between partnership reviews.", ge=7, le=3650)
    exit_trust_threshold: float = P(
        0.3, "0..1", "Trust below this for exit_after_days ends the partnership.", ge=0, le=1
    )
    exit_after_days: float = P(
        90.0, "days", "How long trust must stay below the threshold to end it.", ge=0, le=3650
    )
    outgrow_factor: float = P(
        1.5, "ratio", "Relative growth of one partner over the other (since the terms were set) that "
        "triggers renegotiation at a review.", ge=1, le=1000
    )
    adaptive: bool = Field(
        False, description="Reviews act on what they see: start check-ins when conflicts pile up, rebalance "
        "equal funding when one partner feels short-changed."
    )
    shortfall_ratio: float = P(
        0.8, "ratio", "The partners may end it as 'fell short' at a review after the first year when what it "
        "now earns a year (margin) is below this multiple of what it cost over the last year (money plus staff "
        "time); the bar rises to this over the first two years, and the chance grows with the shortfall.",
        ge=0, le=100
    )
    exit_relevance: float = P(
        0.4, "0..1", "Relevance to each other below which the partners part by agreement at a review "
        "(a graceful exit).", ge=0, le=1
    )


class Agreement(_Section):
    """The partnership agreement: what a consultant designs."""

    goal_clarity: float = P(
        0.5, "0..1", "How explicitly shared goals and success metrics were defined.", ge=0, le=1
    )
    cadence: Cadence = Field(Cadence(), description="Meeting cadences.")
    informal_per_month: float = P(
        2.0, "interactions/month", "Informal, agenda-light interactions (continuity).", ge=0, le=60
    )
    co_ownership: float = P(
        0.5, "0..1", "How early partners are involved in shaping each other's decisions.", ge=0, le=1
    )
    consensus_threshold: float = P(
        10_000.0,
        "currency",
        "Initiatives costing more than this need consensus; below it the partner who found it decides.",
        ge=0,
        le=1e10,
    )
    funding_rule: FundingRule = Field(
        "equal",
        description="How initiative costs are split: equal, capacity (proportional to money capacity), "
        "benefit (proportional to expected benefit) or fund (a partnership fund fed monthly).",
    )
    fund_monthly_a: float = P(2_000.0, "currency/month", "Partner A's monthly payment into the fund.", ge=0, le=1e9)
    fund_monthly_b: float = P(2_000.0, "currency/month", "Partner B's monthly payment into the fund.", ge=0, le=1e9)
    separate_budget: bool = Field(
        True, description="Partnership spending comes from a separate budget, not from core operations."
    )
    attribution: AttributionRule = Field(
        "equal",
        description="How joint revenue is attributed: equal split, by contribution, or origin "
        "(the partner that brought the opportunity gets origin_share).",
    )
    origin_share: float = P(0.7, "0..1", "Share of the originating partner under origin attribution.", ge=0.5, le=1)
    shared_platform: bool = Field(
        False, description="A shared asynchronous platform: visible status, fewer waits across time zones."
    )
    integrated_tracking: bool = Field(
        False, description="Integrated financial tracking of partnership costs and revenue (seed 000): each "
        "partner sees the true books, not its own biased view of them."
    )
    joint_crm: bool = Field(
        False, description="Joint customer relationship management: shared customers are not double-served."
    )
    cross_training_hours: float = P(
        0.0, "hours/month", "Staff hours per partner per month spent learning the partner's operations: "
        "quicker answers and more reliable joint work.", ge=0, le=200
    )
    clarity_after_shift: bool = Field(
        False, description="After a market shift, leaders hold a short clarity meeting ('here is how we "
        "interpret this shift', seed 002)."
    )
    conflict: ConflictProcedure = Field(ConflictProcedure(), description="Conflict procedures.")
    review: Review = Field(Review(), description="Reviews and exit rules.")


class Market(_Section):
    """The market: joint opportunities and market shifts."""

    opportunities_per_month: float = P(1.0, "1/month", "Arrival rate of joint opportunities.", ge=0, le=100)
    opportunity_value: float = P(
        40_000.0, "currency/year", "Mean joint revenue of a completed initiative.", ge=0, le=1e10
    )
    opportunity_cost: float = P(12_000.0, "currency", "Mean money an initiative needs.", ge=0, le=1e10)
    opportunity_hours: float = P(120.0, "staff hours", "Mean staff hours an initiative needs.", ge=0, le=1e6)
    opportunity_window_days: float = P(
        30.0, "days", "An opportunity is lost if not decided within this time.", gt=0, le=3650
    )
    milestones: int = P(3, "count", "Milestones per initiative.", ge=1, le=50)
    milestone_interval_days: float = P(30.0, "days", "Planned time between milestones.", gt=0, le=730)
    shifts_per_year: float = P(2.0, "1/year", "Arrival rate of market shifts.", ge=0, le=100)
    shift_magnitude: float = P(
        0.15, "0..1", "Fraction of alignment a market shift of mean size knocks off (before context buffers it); "
        "sizes are exponential, a few shifts are pivots.", ge=0, le=1
    )
    cross_promotion: float = P(
        0.1, "fraction", "Share of an initiative's value each partner gains in core revenue (spill-over).",
        ge=0, le=1,
    )
    margin: float = P(0.5, "fraction", "Share of joint revenue that is margin (what an initiative earns).",
                      ge=0, le=1)
    value_life_years: float = P(
        3.0, "years", "Mean life of an initiative's revenue (customer churn, product life): it decays "
        "exponentially.", gt=0, le=100
    )
    saturation: float = P(
        0.5, "fraction", "Joint revenue, as a share of the partners' combined core revenue, at which a new "
        "initiative is worth half as much (diminishing returns).", gt=0, le=100
    )
    overlap: float = P(
        0.1, "0..1", "How far the partners' own markets overlap: 0 complementary, 1 competitors.", ge=0, le=1
    )
    shared_customers: float = P(
        0.3, "0..1", "Share of joint work serving customers both partners already serve.", ge=0, le=1
    )
    hour_cost: float = P(50.0, "currency/hour", "What a staff hour costs the partner (for value for money).",
                         ge=0, le=1e5)


class Initial(_Section):
    """State at day 0."""

    trust: float = P(0.6, "0..1", "Trust between the partners.", ge=0, le=1)
    alignment: float = P(0.7, "0..1", "Alignment of priorities.", ge=0, le=1)
    context: float = P(0.2, "0..1", "Shared context (familiarity, mutual understanding).", ge=0, le=1)
    relevance: float = P(
        0.7, "0..1", "Relevance of the partners to each other (co-evolution, seed 002).", ge=0, le=1
    )


class Mechanisms(_Section):
    """Switches: turn a mechanism off to see what it contributes."""

    core_noise: bool = Field(True, description="Random fluctuation of core revenue.")
    communication: bool = Field(True, description="Coordination messages with latency.")
    meetings: bool = Field(True, description="All meeting cadences.")
    informal: bool = Field(True, description="Informal interactions (continuity).")
    opportunities: bool = Field(True, description="Joint opportunities and initiatives.")
    drift: bool = Field(True, description="Alignment decay without context conversations.")
    market_shifts: bool = Field(True, description="Market shifts that move priorities.")
    conflicts: bool = Field(True, description="Conflicts arising, surfacing, resolving, escalating.")
    review: bool = Field(True, description="Reviews, renegotiation and exit.")
    resources: bool = Field(
        True,
        description="Money and staff hours are finite: work that cannot be funded or staffed waits or is declined.",
    )
    feedback: bool = Field(
        True, description="Satisfaction feeds reliability and staff turnover; customers and depth feed opportunities."
    )
    perception: bool = Field(True, description="Partners see each other's contributions through biased books.")
    coevolution: bool = Field(True, description="Relevance to each other drifts with the market and joint work.")
    competition: bool = Field(True, description="Overlapping markets: the partners compete as well as cooperate.")


class Dynamics(_Section):
    """Behavioural coefficients of the model (see docs/model.md); defaults are the calibration."""

    alignment_decay: float = P(0.012, "1/week", "Alignment decay rate at full goal clarity.", ge=0, le=1)
    clarity_decay_factor: float = P(
        3.5, "ratio", "Alignment decays (1 + this) times faster at zero goal clarity than at full clarity.", ge=0, le=20
    )
    context_decay: float = P(0.02, "1/week", "Decay rate of shared context.", ge=0, le=1)
    gain_weekly: float = P(0.08, "0..1", "Alignment restored by a check-in (fraction of the gap).", ge=0, le=1)
    gain_monthly: float = P(0.2, "0..1", "Alignment restored by a strategic review.", ge=0, le=1)
    gain_quarterly: float = P(0.3, "0..1", "Alignment restored by a deep dive.", ge=0, le=1)
    surface_weekly: float = P(0.5, "0..1", "Probability a check-in surfaces a latent conflict.", ge=0, le=1)
    surface_monthly: float = P(0.7, "0..1", "Probability a review surfaces a latent conflict.", ge=0, le=1)
    surface_quarterly: float = P(0.9, "0..1", "Probability a deep dive surfaces a latent conflict.", ge=0, le=1)
    resolve_at_meeting: float = P(
        0.25, "0..1", "Probability a meeting settles a surfaced conflict (times meeting quality).", ge=0, le=1
    )
    out_of_hours_quality: float = P(
        0.6, "0..1", "Effectiveness of a meeting outside one partner's working hours.", ge=0, le=1
    )
    informal_context_gain: float = P(0.05, "0..1", "Context gained per informal interaction.", ge=0, le=1)
    informal_trust_gain: float = P(0.01, "0..1", "Trust gained per informal interaction.", ge=0, le=1)
    informal_hours: float = P(0.5, "hours", "Staff hours of one informal interaction, per partner.", ge=0, le=24)
    context_speedup: float = P(
        0.5, "0..1", "Fraction by which full context shortens decisions (half of it for conflict resolutions).",
        ge=0, le=1,
    )
    platform_self_serve: float = P(
        0.4, "0..1", "Share of messages the shared platform answers without waiting for the partner.", ge=0, le=1
    )
    conflict_rate: float = P(0.1, "1/month", "Conflict hazard when everything is ideal.", ge=0, le=30)
    hazard_misalignment: float = P(2.5, "log-hazard", "Weight of misalignment (1 - alignment).", ge=0, le=20)
    hazard_unfairness: float = P(2.0, "log-hazard", "Weight of unfairness (1 - lowest fairness).", ge=0, le=20)
    hazard_missed: float = P(0.5, "log-hazard/miss", "Weight of recently missed milestones.", ge=0, le=20)
    hazard_shift: float = P(0.6, "log-hazard/shift", "Weight of recent market shifts.", ge=0, le=20)
    hazard_style: float = P(0.3, "log-hazard", "Extra hazard when communication styles differ.", ge=0, le=20)
    hazard_strain: float = P(
        0.5, "log-hazard", "Weight of exhausted staff hours (0 to 1 per partner, both added).", ge=0, le=20
    )
    flare_days: float = P(45.0, "days", "Mean time until a latent conflict flares up by itself.", gt=0, le=3650)
    flare_severity: float = P(1.5, "ratio", "Severity multiplier of a conflict that flared up.", ge=1, le=10)
    resolution_days: float = P(20.0, "days", "Mean resolution time of a conflict of severity 0.5.", gt=0, le=3650)
    procedure_speedup: float = P(
        0.35, "0..1", "Fraction by which an agreed procedure shortens resolutions.", ge=0, le=1
    )
    conflict_trust_wear: float = P(
        0.005, "1/week", "Trust lost per week per unit of open conflict severity.", ge=0, le=1
    )
    escalation_trust_loss: float = P(0.03, "0..1", "Trust lost when a conflict escalates.", ge=0, le=1)
    resolution_trust_gain: float = P(
        0.04, "0..1", "Trust gained (times severity) when a conflict is settled on interests within the agreed "
        "time; half of it when a facilitator settles it.", ge=0, le=1
    )
    trust_relaxation: float = P(0.04, "1/week", "Rate at which trust moves toward earned trust.", ge=0, le=1)
    fairness_relaxation: float = P(0.1, "1/week", "Rate at which perceived fairness follows the books.", ge=0, le=1)
    disadvantage_aversion: float = P(1.0, "weight", "Fairness weight of getting less than the partner.", ge=0, le=5)
    advantage_aversion: float = P(0.4, "weight", "Fairness weight of getting more than the partner.", ge=0, le=5)
    base_success: float = P(0.85, "0..1", "Success probability of a fully aligned, staffed initiative.", ge=0, le=1)
    slip_days: float = P(14.0, "days", "Mean delay of a late milestone.", ge=0, le=365)
    crowding_out: float = P(
        0.2, "1/year", "Core revenue lost per currency of partnership spending without a separate budget.",
        ge=0, le=10,
    )
    budget_months: float = P(3.0, "months", "Months of money capacity a partner's partnership budget can hold.",
                             gt=0, le=120)
    hours_buffer_weeks: float = P(
        2.0, "weeks", "Weeks of staff hours that can be banked for partnership work.", gt=0, le=52
    )
    overload_reliability: float = P(
        0.4, "0..1", "Reliability lost on joint work when a partner's staff hours are exhausted.", ge=0, le=1
    )
    overload_satisfaction: float = P(
        0.3, "0..1", "Team satisfaction lost when a partner's staff hours are exhausted.", ge=0, le=1
    )
    satisfaction_reliability: float = P(
        0.4, "0..1", "Reliability lost at zero team satisfaction (relative to satisfaction 0.7).", ge=0, le=1
    )
    turnover_per_year: float = P(
        0.3, "1/year", "Staff turnover on partnership work at team satisfaction 0.5 (each leaver takes shared "
        "context with them).", ge=0, le=10
    )
    negativity_bias: float = P(
        3.0, "ratio", "Trust moves down this many times faster than up (about 3 in trust-dynamics models).",
        ge=1, le=10
    )
    latent_wear: float = P(
        0.5, "ratio", "Trust wear of a latent conflict relative to an open one (it festers).", ge=0, le=5
    )
    consent_trust_loss: float = P(
        0.02, "1/month", "Trust lost when one partner spends the other's money alone, per month of the other's "
        "money capacity spent.", ge=0, le=1
    )
    breach_trust_loss: float = P(
        0.04, "0..1", "Trust lost when a conflict misses the agreed resolution target.", ge=0, le=1
    )
    recurrence: float = P(
        0.5, "0..1", "Chance that a conflict settled on positions comes back later.", ge=0, le=1
    )
    hazard_co_ownership: float = P(
        0.8, "log-hazard", "Conflict hazard reduction at full co-ownership (problems framed as shared).", ge=0, le=20
    )
    co_ownership_framing: float = P(
        0.3, "0..1", "Severity reduction of conflicts at full co-ownership.", ge=0, le=1
    )
    hazard_competition: float = P(
        1.5, "log-hazard", "Weight of market overlap (competition) in the conflict hazard.", ge=0, le=20
    )
    hazard_double_serving: float = P(
        1.0, "log-hazard", "Weight of shared customers served without a joint CRM.", ge=0, le=20
    )
    perception_bias: float = P(
        0.15, "fraction", "Mean self-serving bias: each partner discounts the other's contributions by this much "
        "(drawn per run; integrated tracking removes it).", ge=0, le=1
    )
    context_meeting_gain: float = P(
        0.15, "0..1", "Context gained by a meeting given wholly to context conversations (fraction of the gap).",
        ge=0, le=1
    )
    relevance_drift: float = P(
        0.2, "1/year", "Rate at which the partners' relevance to each other erodes without joint exploration "
        "(times a per-run speed of drifting apart, exponential with mean 1).",
        ge=0, le=10
    )
    relevance_gain: float = P(
        0.02, "0..1", "Relevance gained by a completed initiative or a context-rich meeting (fraction of the gap).",
        ge=0, le=1
    )
    cross_training_effect: float = P(
        0.3, "0..1", "Share of late milestones and of handling time that full cross-training saves.", ge=0, le=1
    )
    affinity_spread: float = P(
        0.12, "0..1", "Spread across runs of how naturally aligned the pair is (the floor alignment drifts "
        "toward moves by this much per standard deviation): some pairs fit without structure, some not with it.",
        ge=0, le=1
    )
    fit_spread: float = P(
        0.4, "log-sd", "Spread across runs of the pair's fit (how much their joint work is worth): partner "
        "choice matters.", ge=0, le=3
    )


class Scenario(_Section):
    """A complete, validated partnership scenario.

    Examples
    --------
    >>> from partnersim.scenario import Scenario
    >>> s = Scenario()
    >>> s.agreement.funding_rule
    'equal'
    >>> t = with_changes(s, {"agreement.funding_rule": "capacity"})
    >>> (s.agreement.funding_rule, t.agreement.funding_rule)
    ('equal', 'capacity')
    """

    name: str = Field("unnamed", description="Short name of the scenario.", max_length=200)
    description: str = Field("", description="What question this scenario answers.", max_length=5000)
    currency: str = Field("", max_length=8, description="Currency that money amounts are shown in (say 'EUR', "
                          "'$'); shown as plain numbers when empty. Display only: no model input.")
    horizon_days: float = P(1095.0, "days", "Simulated time.", ge=7, le=3650)  # 10 years: bounds a run's time
    partner_a: Partner = Field(Partner(name="A"), description="Partner A.")
    partner_b: Partner = Field(Partner(name="B"), description="Partner B.")
    agreement: Agreement = Field(Agreement(), description="The partnership agreement.")
    market: Market = Field(Market(), description="The market.")
    initial: Initial = Field(Initial(), description="The state at day 0.")
    mechanisms: Mechanisms = Field(Mechanisms(), description="Mechanism switches.")
    dynamics: Dynamics = Field(Dynamics(), description="Behavioural coefficients.")
    interventions: tuple[Intervention, ...] = Field(
        (), strict=False,
        description="Changes that take effect on a given day or month of the run ([[interventions]]).")
    policies: tuple[Policy, ...] = Field(
        (), strict=False, description="Changes made when a rule on the model's state holds ([[policies]]).")

    @model_validator(mode="after")
    def _check_interventions(self) -> Scenario:
        if self.interventions or self.policies:
            check_changes(self)
        return self


# list fields of Scenario (not leaves: their items are addressed as interventions.0.month)
LIST_FIELDS = ("interventions", "policies")


def with_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """Return a validated copy of ``scenario`` with dotted-path fields changed.

    Parameters
    ----------
    scenario
        The scenario to start from (not modified).
    changes
        Mapping of dotted paths (``"agreement.cadence.weekly.enabled"``) to new values.
        An intervention's or policy's fields are addressed by index or name:
        ``"interventions.0.month"``, ``"policies.facilitator.when.below"``,
        ``"interventions.0.changes.agreement.cadence.weekly.interval_days"``.

    Raises
    ------
    pydantic.ValidationError
        If a path does not exist or a value is invalid.
    ValueError
        If a path names an intervention or policy that does not exist.
    """
    data = scenario.model_dump()
    for key in LIST_FIELDS:
        data[key] = list(data[key])
    for path, value in changes.items():
        node: Any = data
        keys = path.split(".")
        i = 0
        while i < len(keys) - 1:
            key = keys[i]
            if isinstance(node, list):  # interventions.0.month, or interventions.<name>.month
                node = node[_item_index(node, key, path)]
            else:
                if not isinstance(node.get(key), dict | list):
                    node[key] = {}  # let validation name the bad path
                node = node[key]
                if key == "changes" and isinstance(node, dict) and i >= 2 and keys[0] in LIST_FIELDS:
                    keys = [*keys[: i + 1], ".".join(keys[i + 1:])]  # the rest is one dotted key
            i += 1
        if isinstance(node, list):
            node[_item_index(node, keys[-1], path)] = value
        else:
            node[keys[-1]] = value
    return Scenario.model_validate(data)


def _item_index(items: list, key: str, path: str) -> int:
    """The index of ``key`` in a list of interventions or policies (a number or a name)."""
    if key.isdigit():
        if int(key) < len(items):
            return int(key)
    else:
        for j, item in enumerate(items):
            if isinstance(item, dict) and item.get("name") == key:
                return j
    raise ValueError(f"{path}: no item '{key}' (there are {len(items)}; give an index from 0 or a name)")


def leaf_fields(model: type[BaseModel] | None = None) -> dict[str, FieldInfo]:
    """Every dotted leaf path of ``model`` (default :class:`Scenario`) and its pydantic field, in order.

    The lists of interventions and policies are not leaves (their items' fields are
    addressed as ``interventions.0.month``, see :func:`with_changes`).
    """
    out: dict[str, FieldInfo] = {}

    def walk(m: type[BaseModel], prefix: str) -> None:
        for name, info in m.model_fields.items():
            if m is Scenario and name in LIST_FIELDS:
                continue
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}.")
            else:
                out[f"{prefix}{name}"] = info

    walk(model or Scenario, "")
    return out


def field_units() -> dict[str, tuple[str, str]]:
    """Map every dotted leaf path of :class:`Scenario` to ``(unit, description)``."""
    out: dict[str, tuple[str, str]] = {}
    for path, info in leaf_fields().items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        out[path] = (str(extra.get("unit", "")), info.description or "")
    return out
