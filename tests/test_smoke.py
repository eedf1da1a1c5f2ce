"""The quickstart works: the baseline scenario loads, runs and is summarised."""

from partnersim import load_scenario, simulate
from partnersim.model import METRICS

CONTRACT = (
    "joint_revenue revenue_growth_a revenue_growth_b survived exit_day conflicts_raised conflicts_resolved "
    "escalations mean_resolution_days mean_open_conflicts mean_response_hours mean_decision_days final_trust "
    "final_alignment fairness_a fairness_b meeting_hours initiatives_started initiatives_completed "
    "customer_satisfaction team_satisfaction"
).split()


def test_baseline_runs_and_has_every_contract_metric():
    r = simulate(load_scenario("baseline"), seed=3)
    assert set(CONTRACT) <= set(r.summary)
    assert set(r.summary) == set(METRICS)
    assert r.timeseries.index[0] == 0.0
