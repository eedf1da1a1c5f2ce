"""Legal scenarios the model cannot run correctly yet (issue 12, left to the model's rewrite, issue 11).

Each test is the minimal reproducer, as changes from the default Scenario, and is expected to
fail (``xfail(strict=True)``): once the model is fixed it passes, which fails the suite, as a
reminder to remove this test and the exclusions named in it (tests/test_fuzz.py and
tests/test_properties.py).
"""

from __future__ import annotations

import math

import pytest

from partnersim.model import run_model
from partnersim.scenario import Scenario, with_changes


@pytest.mark.xfail(strict=True, raises=ValueError, reason="model-internal: SimPy 'Negative delay -2.8e-14' "
                   "from round-off in a computed meeting delay (excluded in test_properties.run, test_fuzz)")
def test_negative_delay_from_round_off():
    sc = with_changes(Scenario(), {"partner_a.work_start": 0.8733426299560874,
                                   "agreement.cadence.monthly.interval_days": 1.0})
    run_model(sc, 0, 0)


@pytest.mark.xfail(strict=True, reason="model-internal: revenue_growth_* annualises (final / revenue) ** "
                   "(365 / horizon_days), which overflows to inf for a short horizon (excluded in test_fuzz)")
def test_revenue_growth_is_finite_over_a_short_horizon():
    sc = with_changes(Scenario(), {"horizon_days": 7, "partner_a.revenue": 1.0, "market.opportunity_value": 1e10,
                                   "market.milestone_interval_days": 0.001, "market.opportunities_per_month": 100,
                                   "market.opportunity_cost": 0.0, "market.opportunity_hours": 0.0})
    assert math.isfinite(run_model(sc, 0, 1).summary["revenue_growth_a"])  # (seed 0, replication 1)
