"""Invariants of every run, over random valid scenarios (hypothesis).

Scenarios set a random subset of all fields to random valid values (any value the schema
accepts), with short horizons and rates capped where they only cost time
(:data:`conftest.FAST_CAPS`).
"""

from __future__ import annotations

import math

import numpy as np
from conftest import FAST_CAPS, scenarios
from hypothesis import given, settings
from hypothesis import strategies as hs

from partnersim.model import COLUMNS, METRICS, Model
from partnersim.model.review import EXIT_REASONS

UNIT_COLUMNS = ("trust", "alignment", "context", "fairness_a", "fairness_b", "customer_satisfaction",
                "team_satisfaction")
UNIT_METRICS = ("final_trust", "final_alignment", "fairness_a", "fairness_b", "customer_satisfaction",
                "team_satisfaction", "mean_trust", "mean_alignment", "min_fairness")
COUNTS = ("conflicts_raised", "conflicts_resolved", "escalations", "initiatives_started", "initiatives_completed",
          "messages", "meetings_held", "market_shifts", "flare_ups", "renegotiations")

col = {name: i for i, name in enumerate(COLUMNS)}


def run(sc, seed):
    return Model(sc, seed, 0, trace=True).run()


def check_run(sc, out):
    s, series, horizon = out.summary, out.series, sc.horizon_days
    assert set(s) == set(METRICS)
    # money is conserved: what the partners put in was spent or sits in the fund
    put_in = s["contribution_money_a"] + s["contribution_money_b"]
    assert math.isclose(put_in, s["spending"] + s["fund_balance"], rel_tol=1e-9, abs_tol=1e-6)
    rows_in = series[:, col["contrib_money_a"]] + series[:, col["contrib_money_b"]]
    rows_out = series[:, col["spending_cum"]] + series[:, col["fund_balance"]]
    assert np.allclose(rows_in, rows_out, rtol=1e-9, atol=1e-6)
    if sc.mechanisms.resources:  # (without finite resources the fund is bottomless: it may go below 0)
        assert s["fund_balance"] >= -1e-6 and np.all(series[:, col["fund_balance"]] >= -1e-6)
    assert s["facilitator_spend"] <= s["spending"] + 1e-6
    assert np.all(np.diff(series[:, col["spending_cum"]]) >= -1e-9)
    # quantities in 0..1 stay there, in every row and at the end
    for c in UNIT_COLUMNS:
        v = series[:, col[c]]
        assert np.all((v >= 0.0) & (v <= 1.0)), (c, v.min(), v.max())
    for k in UNIT_METRICS:
        assert 0.0 <= s[k] <= 1.0, (k, s[k])
    # counts
    for k in COUNTS:
        assert s[k] >= 0 and s[k] == int(s[k]), (k, s[k])
    assert s["conflicts_resolved"] <= s["conflicts_raised"]
    assert s["escalations"] <= s["conflicts_raised"]
    assert s["initiatives_completed"] <= s["initiatives_started"]
    assert s["unresolved_at_end"] == s["conflicts_raised"] - s["conflicts_resolved"]
    assert s["mean_open_conflicts"] >= 0
    # survival
    assert s["survived"] in (0.0, 1.0)
    assert math.isnan(s["exit_day"]) == (s["survived"] == 1.0)
    if s["survived"] == 0.0:
        assert 0.0 <= s["exit_day"] <= horizon
        assert out.exit_reason in EXIT_REASONS
    else:
        assert out.exit_reason == ""
    # the trace lies within the run; the series is weekly and ordered
    assert out.events is not None
    times = [e[0] for e in out.events]
    assert all(0.0 <= t <= horizon for t in times)
    days = series[:, col["day"]]
    assert days[0] == 0.0 and np.all(np.diff(days) > 0) and days[-1] <= horizon
    assert not np.isnan(series).any()
    for e in out.events:
        if e[1] == "message":
            _, _, sender, sent, reply = e
            assert sender in (0, 1) and reply >= sent
        elif e[1] == "exit":
            assert e[0] == s["exit_day"]


@settings(max_examples=120, deadline=None)
@given(scenarios(horizon=(60.0, 400.0), caps=FAST_CAPS), hs.integers(0, 2**32 - 1))
def test_invariants_hold_in_random_scenarios(sc, seed):
    check_run(sc, run(sc, seed))


@settings(max_examples=40, deadline=None)
@given(scenarios(horizon=(60.0, 400.0), caps=FAST_CAPS, max_changes=8),
       hs.sampled_from(["equal", "capacity", "benefit", "fund"]), hs.integers(0, 2**32 - 1), hs.booleans())
def test_money_is_conserved_under_every_funding_rule(sc, rule, seed, resources):
    from partnersim import with_changes

    sc = with_changes(sc, {"agreement.funding_rule": rule, "market.opportunities_per_month": 3.0,
                           "agreement.conflict.facilitator": True, "mechanisms.resources": resources})
    check_run(sc, run(sc, seed))


def test_trust_stays_below_one_when_a_severe_flare_up_is_resolved_quickly():
    # found by review of the invariants: severity after a flare-up exceeds 1, and the trust
    # gain of a timely resolution is proportional to it
    from conftest import ScriptedStream, only, scripted_streams

    sc = only("conflicts", horizon_days=60, dynamics__flare_severity=10, dynamics__resolution_trust_gain=1.0)
    one_conflict = ScriptedStream(uniform=[0.5, 0.5], exponential=[0.0, 100.0, 0.2], default_exponential=100.0)
    out = Model(sc, trace=True, streams=scripted_streams(conflicts=one_conflict,
                                                          resolution=ScriptedStream(exponential=[0.01]))).run()
    assert [e[1:] for e in out.events if e[1] == "conflict_resolved"] == [("conflict_resolved", 0, "talks")]
    check_run(sc, out)
    assert out.summary["final_trust"] <= 1.0
