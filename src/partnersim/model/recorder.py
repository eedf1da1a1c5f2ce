"""One recorder for the whole model: weekly rows into a preallocated numpy array."""

from __future__ import annotations

import numpy as np

__all__ = ["COLUMNS", "COLUMN_UNITS", "Recorder"]

# name -> (unit, description); order is the column order of the time series.
COLUMN_UNITS: dict[str, tuple[str, str]] = {
    "day": ("days", "Simulation time."),
    "trust": ("0..1", "Trust between the partners."),
    "alignment": ("0..1", "Alignment of priorities."),
    "context": ("0..1", "Shared context."),
    "fairness_a": ("0..1", "Partner A's perceived fairness."),
    "fairness_b": ("0..1", "Partner B's perceived fairness."),
    "revenue_a": ("currency/year", "Partner A's revenue: core plus attributed joint revenue."),
    "revenue_b": ("currency/year", "Partner B's revenue: core plus attributed joint revenue."),
    "joint_revenue_rate": ("currency/year", "Joint revenue of completed initiatives, per year."),
    "joint_revenue_cum": ("currency", "Joint revenue earned so far."),
    "open_conflicts": ("count", "Conflicts arisen and not yet resolved (latent included)."),
    "latent_conflicts": ("count", "Conflicts arisen and not yet surfaced."),
    "escalations_cum": ("count", "Escalations so far."),
    "fund_balance": ("currency", "Partnership fund balance."),
    "contrib_money_a": ("currency", "Money partner A has put in so far."),
    "contrib_money_b": ("currency", "Money partner B has put in so far."),
    "contrib_hours_a": ("staff hours", "Staff hours partner A has put in so far."),
    "contrib_hours_b": ("staff hours", "Staff hours partner B has put in so far."),
    "spending_cum": ("currency", "Partnership spending so far."),
    "meeting_hours_cum": ("staff hours", "Staff hours spent in meetings so far."),
    "customer_satisfaction": ("0..1", "Satisfaction of joint customers."),
    "team_satisfaction": ("0..1", "Satisfaction of staff working on the partnership."),
    "initiatives_active": ("count", "Initiatives under way."),
    "initiatives_completed_cum": ("count", "Initiatives completed so far."),
    "response_hours": ("hours", "Recent message response time (moving average)."),
    "depth": ("0..2", "Partnership depth: 0 transactional, 1 collaborative, 2 strategic."),
    "active": ("0/1", "Whether the partnership still exists."),
    "relevance": ("0..1", "The partners' relevance to each other (co-evolution)."),
    "staff_strain_a": ("0..1", "How exhausted partner A's staff hours for the partnership are (1: none left)."),
    "staff_strain_b": ("0..1", "How exhausted partner B's staff hours for the partnership are (1: none left)."),
}
COLUMNS: tuple[str, ...] = tuple(COLUMN_UNITS)


class Recorder:
    """The weekly time series: at most ``n_rows`` rows of :data:`COLUMNS`.

    Rows are kept as tuples and turned into one float array when the run asks for it
    (:meth:`array`): one conversion per run instead of one numpy row write per week, which
    was a tenth of a run's time.
    """

    __slots__ = ("rows", "n_rows")

    def __init__(self, n_rows: int) -> None:
        self.rows: list[tuple[float, ...]] = []
        self.n_rows = n_rows

    @property
    def n(self) -> int:
        """Rows recorded so far."""
        return len(self.rows)

    def record(self, row: tuple[float, ...]) -> None:
        """Store one row (in :data:`COLUMNS` order); rows past ``n_rows`` are ignored."""
        if len(self.rows) < self.n_rows:
            self.rows.append(row)

    def array(self) -> np.ndarray:
        """The rows recorded, as a ``(n, len(COLUMNS))`` float array."""
        if not self.rows:
            return np.empty((0, len(COLUMNS)))
        return np.array(self.rows, dtype=float)
