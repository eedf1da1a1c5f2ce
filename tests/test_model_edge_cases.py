"""Legal scenarios that once broke the model (found by issue 12's fuzzing), kept as regression tests.

Each is the minimal reproducer, as changes from the default Scenario.
"""

from __future__ import annotations

import math

from partnersim.model import run_model
from partnersim.scenario import Scenario, with_changes


def test_a_meeting_time_a_round_off_before_now_is_no_negative_delay():
    # Model.until: a computed time 1e-14 days before now waits zero (was SimPy "Negative delay -2.8e-14")
    sc = with_changes(Scenario(), {"partner_a.work_start": 0.8733426299560874,
                                   "agreement.cadence.monthly.interval_days": 1.0})
    assert run_model(sc, 0, 0).summary["meetings_held"] > 400  # a meeting every working day for three years


def test_revenue_growth_is_finite_over_a_short_horizon():
    # under a year the run's growth is scaled to a year, not compounded (compounding overflowed to inf)
    sc = with_changes(Scenario(), {"horizon_days": 7, "partner_a.revenue": 1.0, "market.opportunity_value": 1e10,
                                   "market.milestone_interval_days": 0.001, "market.opportunities_per_month": 100,
                                   "market.opportunity_cost": 0.0, "market.opportunity_hours": 0.0})
    assert math.isfinite(run_model(sc, 0, 1).summary["revenue_growth_a"])  # (seed 0, replication 1)
