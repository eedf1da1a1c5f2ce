"""Planning routine traffic changes the cost of a run, not the model.

The planned implementation (default) and the reference one (one SimPy event per message)
implement the same law with different draws, so their summary distributions must agree.
Two-sample Kolmogorov-Smirnov tests on 200 replications per implementation, family-wise
significance 1% (Bonferroni over the metrics and scenarios tested).
"""

import numpy as np
import pytest
from scipy import stats

from partnersim import load_scenario, with_changes
from partnersim.model import run_model

METRICS = ["mean_response_hours", "mean_resolution_days", "conflicts_raised", "escalations", "final_trust",
           "mean_alignment", "joint_revenue", "mean_decision_days", "messages", "initiatives_completed"]
SCENARIOS = ["baseline", "timezone_gap_platform"]
REPS = 200
ALPHA = 0.01 / (len(METRICS) * len(SCENARIOS))


def _runs(sc, traffic):
    return [run_model(sc, 2024, r, traffic=traffic).summary for r in range(REPS)]


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_planned_traffic_has_the_same_summary_distributions_as_one_event_per_message(name):
    sc = load_scenario(name)
    planned, process = _runs(sc, "planned"), _runs(sc, "process")
    for metric in METRICS:
        a = np.array([r[metric] for r in planned])
        b = np.array([r[metric] for r in process])
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        p = stats.ks_2samp(a, b).pvalue
        assert p > ALPHA, f"{name}: {metric} differs (KS p={p:.2g}; means {a.mean():.4g} vs {b.mean():.4g})"


def test_both_implementations_queue_messages_the_same_way_in_a_trace():
    """Same law in a tiny case: one-way traffic, no platform; every reply after its send, FIFO."""
    sc = with_changes(load_scenario("baseline"), {
        "horizon_days": 60, "partner_b.message_rate": 0.0,
        **{f"mechanisms.{k}": False for k in ("meetings", "informal", "opportunities", "drift",
                                             "market_shifts", "conflicts", "review")}})
    for traffic in ("planned", "process"):
        events = [e for e in run_model(sc, 1, 0, trace=True, traffic=traffic).events if e[1] == "message"]
        assert events, traffic
        sends = [e[3] for e in events]
        replies = [e[4] for e in events]
        assert sends == sorted(sends)
        assert all(r > s for s, r in zip(sends, replies, strict=True))
        assert replies == sorted(replies)  # first come, first served
