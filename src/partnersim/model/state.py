"""The partnership's state: what the model keeps between events."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Conflict", "State", "LATENT", "SURFACED", "ESCALATED", "RESOLVED"]

LATENT, SURFACED, ESCALATED, RESOLVED = 0, 1, 2, 3


class Conflict:
    """One conflict: latent until surfaced (at a meeting, informally, or by flaring up)."""

    __slots__ = ("id", "arose", "severity", "status", "surfaced", "flared", "source")

    def __init__(self, cid: int, arose: float, severity: float, source: str = "routine") -> None:
        self.id = cid
        self.source = source
        self.arose = arose
        self.severity = severity
        self.status = LATENT
        self.surfaced = -1.0
        self.flared = False

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Conflict({self.id}, arose={self.arose:.2f}, sev={self.severity:.2f}, status={self.status})"


@dataclass(slots=True)
class State:
    """State variables; per-partner quantities are two-element lists ``[A, B]``.

    Units: trust, alignment, context, fairness and satisfactions in 0..1; revenues in
    currency/year; money in currency; hours in staff hours; times in days.
    """

    trust: float
    alignment: float
    context: float
    core_revenue: list[float]
    fairness: list[float] = field(default_factory=lambda: [1.0, 1.0])
    joint_rate: list[float] = field(default_factory=lambda: [0.0, 0.0])  # attributed joint revenue/year
    received: list[float] = field(default_factory=lambda: [0.0, 0.0])  # cumulative attributed revenue
    contrib_money: list[float] = field(default_factory=lambda: [0.0, 0.0])
    contrib_hours: list[float] = field(default_factory=lambda: [0.0, 0.0])
    burden_hours: list[float] = field(default_factory=lambda: [0.0, 0.0])  # hours as felt (fairness)
    spent: float = 0.0
    joint_cum: float = 0.0
    meeting_hours: float = 0.0
    missed_recent: float = 0.0  # decaying count of missed milestones
    shift_pressure: float = 0.0  # decaying count of market shifts
    reliability_record: float = 0.85
    customer_sat: float = 0.75
    team_sat: float = 0.7
    response_ema: float = 0.0  # hours
    depth: int = 0  # 0 transactional, 1 collaborative, 2 strategic
    relevance: float = 0.7  # the partners' relevance to each other (co-evolution)
    spill: list[float] = field(default_factory=lambda: [0.0, 0.0])  # core revenue/year from cross-promotion
    active: bool = True
    exit_day: float = float("nan")
    exit_reason: str = ""
    below_since: float = -1.0
    latent: list[Conflict] = field(default_factory=list)
    open: list[Conflict] = field(default_factory=list)  # surfaced or escalated, not resolved
    initiatives_active: int = 0
    committed: list[float] = field(default_factory=lambda: [0.0, 0.0])  # staff hours promised to initiatives
    last_t: float = 0.0
