"""Paired comparison: contract columns, sign, common random numbers, edge cases, plain-language reading."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from partnersim import compare, load_scenario, with_changes
from partnersim.analysis.compare import (
    MAIN_METRICS,
    describe_difference,
    holm,
    independent_differences,
    metric_label,
    paired_differences,
)

CONTRACT = ["metric", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "p_value"]
SHORT = {"horizon_days": 365}

# Main metrics where common random numbers must narrow the interval on the funding comparison.
# Left out: survived (every run survives a year), meeting_hours (fixed by the cadence), fairness_a/b
# (nearly deterministic under equal funding, so there is little shared noise to cancel).
NARROWER = ["joint_revenue", "revenue_growth_a", "revenue_growth_b", "conflicts_raised", "conflicts_resolved",
            "mean_resolution_days", "mean_open_conflicts", "mean_response_hours", "mean_decision_days",
            "final_trust", "final_alignment", "initiatives_started", "initiatives_completed",
            "customer_satisfaction", "team_satisfaction"]


@pytest.fixture(scope="module")
def pair():
    a = with_changes(load_scenario("funding_equal_3to1"), SHORT)
    b = with_changes(load_scenario("funding_proportional_3to1"), SHORT)
    return a, b


@pytest.fixture(scope="module")
def paired(pair):
    return compare(*pair, reps=40, seed=0, workers=1, progress=False)


def test_table_columns_and_sign(paired):
    t = paired.table
    assert list(t.columns[:7]) == CONTRACT
    assert {"effect_size", "n", "p_holm", "significant", "unit"} <= set(t.columns)
    ra, rb = paired.a.runs, paired.b.runs
    row = t.set_index("metric").loc["conflicts_raised"]
    assert row["mean_a"] == pytest.approx(ra["conflicts_raised"].mean())
    assert row["mean_b"] == pytest.approx(rb["conflicts_raised"].mean())
    assert row["diff"] == pytest.approx(row["mean_b"] - row["mean_a"])  # b - a
    assert row["ci_low"] < row["diff"] < row["ci_high"]


def test_replication_i_of_a_and_b_share_the_seed(paired):
    assert paired.a.seed == paired.b.seed == 0
    assert paired.a.runs["replication"].tolist() == paired.b.runs["replication"].tolist()


def test_funding_rule_changes_fairness_and_conflicts(paired):
    t = paired.table.set_index("metric")
    for m in ("fairness_b", "min_fairness", "final_trust"):
        assert t.loc[m, "significant"], m
    assert t.loc["fairness_b", "diff"] > 0
    # fewer conflicts a year (a rate: a partnership that lasts longer raises more in all); about 30%
    # fewer, clear on its own (p < 0.05) though not after Holm over every metric at 40 pairs
    assert t.loc["conflicts_per_year", "diff"] < 0 and t.loc["conflicts_per_year", "p_value"] < 0.05


def test_swapping_a_and_b_negates_the_differences(pair, paired):
    back = compare(pair[1], pair[0], reps=40, seed=0, workers=1, progress=False).table.set_index("metric")
    t = paired.table.set_index("metric")
    ok = t["diff"].notna()
    np.testing.assert_allclose(back.loc[ok, "diff"], -t.loc[ok, "diff"], atol=1e-9)
    np.testing.assert_allclose(back.loc[ok, "p_value"], t.loc[ok, "p_value"], rtol=1e-6, atol=1e-12)


def test_same_scenario_twice_differs_by_nothing(pair):
    c = compare(pair[0], pair[0], reps=6, seed=2, workers=1, progress=False)
    t = c.table
    finite = t["diff"].notna()
    assert (t.loc[finite, "diff"] == 0).all()
    assert (t.loc[finite, "p_value"] == 1.0).all()
    assert not t["significant"].any()
    assert c.reading() == []


@pytest.mark.slow
def test_pairing_gives_narrower_intervals_than_independent_seeds(pair, paired):
    indep = compare(*pair, reps=40, seed=0, workers=1, progress=False, paired=False)
    assert indep.b.seed == 1  # B on seed s + 1
    wp = (paired.table["ci_high"] - paired.table["ci_low"]).set_axis(paired.table["metric"])
    wi = (indep.table["ci_high"] - indep.table["ci_low"]).set_axis(indep.table["metric"])
    narrower = {m: wp[m] < wi[m] for m in NARROWER}
    assert all(narrower.values()), {m: round(wp[m] / wi[m], 2) for m in NARROWER}
    # and for most of the main metrics that vary at all
    finite = [m for m in MAIN_METRICS if np.isfinite(wp[m]) and np.isfinite(wi[m]) and wi[m] > 0]
    assert sum(wp[m] < wi[m] for m in finite) >= 0.8 * len(finite)


# -- the statistics on hand-made tables -------------------------------------------------

def frame(**cols):
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"replication": range(n), **cols})


def test_paired_matches_scipy_ttest_rel():
    rng = np.random.default_rng(1)
    a = rng.normal(10, 2, 30)
    b = a + rng.normal(0.5, 0.4, 30)
    t = paired_differences(frame(x=a), frame(x=b), ["x"]).iloc[0]
    ref = stats.ttest_rel(b, a)
    assert t["p_value"] == pytest.approx(ref.pvalue)
    d = b - a
    h = stats.t.ppf(0.975, 29) * d.std(ddof=1) / math.sqrt(30)
    assert (t["ci_low"], t["ci_high"]) == pytest.approx((d.mean() - h, d.mean() + h))
    assert t["effect_size"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert t["n"] == 30


def test_constant_and_nan_columns_fall_back_gracefully():
    nan = float("nan")
    a = frame(survived=[1.0] * 5, exit_day=[nan, 100.0, 200.0, nan, 300.0], cost=[1.0] * 5,
              one=[nan, nan, nan, nan, 1.0], none=[nan] * 5)
    b = frame(survived=[1.0] * 5, exit_day=[50.0, 150.0, 260.0, nan, nan], cost=[3.0] * 5,
              one=[nan, nan, nan, nan, 4.0], none=[nan] * 5)
    t = paired_differences(a, b, ["survived", "exit_day", "cost", "one", "none"]).set_index("metric")
    assert (t.loc["survived", "diff"], t.loc["survived", "p_value"]) == (0.0, 1.0)
    assert (t.loc["survived", "ci_low"], t.loc["survived", "ci_high"]) == (0.0, 0.0)
    assert not t.loc["survived", "significant"]
    # exit_day: only the two pairs where both ended count
    assert t.loc["exit_day", "n"] == 2
    assert t.loc["exit_day", "diff"] == pytest.approx(55.0)
    assert t.loc["exit_day", "mean_a"] == pytest.approx(150.0)
    # a constant non-zero difference is certain
    assert (t.loc["cost", "diff"], t.loc["cost", "p_value"], t.loc["cost", "ci_low"]) == (2.0, 0.0, 2.0)
    # one pair: a difference but no interval or test
    assert t.loc["one", "diff"] == 3.0 and math.isnan(t.loc["one", "ci_low"]) and math.isnan(t.loc["one", "p_value"])
    assert t.loc["none", "n"] == 0 and math.isnan(t.loc["none", "diff"])
    assert not t.loc["one", "significant"] and not t.loc["none", "significant"]


def test_independent_differences_is_welch():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 25), rng.normal(1, 2, 25)
    t = independent_differences(frame(x=a), frame(x=b), ["x"]).iloc[0]
    assert t["p_value"] == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue)
    assert t["diff"] == pytest.approx(b.mean() - a.mean())


def test_holm_adjustment():
    assert holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.001]).tolist() == pytest.approx([0.5, 0.002])
    assert np.isnan(holm([float("nan")])[0])


def test_plain_language_reading(paired):
    row = {"metric": "fairness_b", "mean_a": 0.41, "mean_b": 0.62, "diff": 0.21, "ci_low": 0.18, "ci_high": 0.24,
           "unit": "0..1"}
    text = describe_difference(row, "equal funding", "proportional funding")
    assert text.startswith("Partner B's perceived fairness is higher by 21 points with proportional funding")
    assert "(41/100 → 62/100; likely between 18 and 24 points)" in text
    down = {"metric": "conflicts_raised", "mean_a": 60.0, "mean_b": 24.0, "diff": -36.0, "ci_low": -38.0,
            "ci_high": -34.0, "unit": "count"}
    assert "is lower by 36 with B than with A (60 → 24; likely between 34 and 38)" in describe_difference(down)
    days = {"metric": "mean_resolution_days", "mean_a": 36.0, "mean_b": 33.5, "diff": -2.5, "ci_low": -3.5,
            "ci_high": -1.5, "unit": "days"}
    assert "is shorter by 2.5 days" in describe_difference(days)
    surv = {"metric": "survived", "mean_a": 0.87, "mean_b": 0.99, "diff": 0.12, "ci_low": 0.08, "ci_high": 0.16,
            "unit": "0/1"}
    assert "higher by 12 percentage points with B than with A (87% → 99%; likely between 8 and 16 percentage " \
           "points)" in describe_difference(surv)
    unsure = dict(surv, ci_low=-0.02)
    assert "the direction is uncertain: between -2 percentage points and +16 percentage points" in \
        describe_difference(unsure)
    lines = paired.reading(MAIN_METRICS)
    assert lines and any("Small Co's perceived fairness is higher" in s for s in lines)
    assert metric_label("fairness_a", ("Large Co", "Small Co"), capitalize=True) == "Large Co's perceived fairness"


def test_comparison_to_csv(paired, tmp_path):
    p = paired.to_csv(tmp_path / "c.csv")
    back = pd.read_csv(p)
    assert list(back.columns[:7]) == CONTRACT
    assert len(back) == len(paired.table)
