"""Means with confidence intervals: the interval stays inside a metric's natural range."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partnersim import load_scenario
from partnersim.analysis import stats
from partnersim.analysis.stats import mean_ci, metric_bounds, summary_table, unit_bounds
from partnersim.model import METRICS
from partnersim.run.ensemble import Ensemble


def test_count_mostly_zeros_interval_starts_at_zero():
    x = np.array([0.0] * 49 + [1.0])
    m, raw_lo, raw_hi, _ = mean_ci(x)
    assert raw_lo < 0  # the bare t interval leaves the range: otherwise this test proves nothing
    row = summary_table(pd.DataFrame({"opportunities_lost": x}), ["opportunities_lost"]).iloc[0]
    assert row["ci_low"] == 0.0
    assert row["ci_high"] == pytest.approx(raw_hi)  # the side inside the range is untouched
    assert row["mean"] == pytest.approx(m) and row["n"] == 50


@pytest.mark.parametrize("name", ["final_trust", "survived", "on_time_rate"])
def test_fractions_near_one_interval_ends_at_one(name):
    x = np.array([1.0] * 49 + [0.0 if name == "survived" else 0.5])
    _, raw_lo, raw_hi, _ = mean_ci(x)
    assert raw_hi > 1
    row = summary_table(pd.DataFrame({name: x}), [name]).iloc[0]
    assert row["ci_high"] <= 1.0 and row["ci_high"] == 1.0
    assert row["ci_low"] == pytest.approx(raw_lo)


@pytest.mark.parametrize("name", ["revenue_growth_a", "revenue_uplift_a", "not_a_metric"])
def test_unbounded_metric_is_unchanged(name):
    x = np.array([-2.0, 0.0, 3.0, 1.0, -1.0, 2.0])
    _, raw_lo, raw_hi, _ = mean_ci(x)
    assert raw_lo < 0 and raw_hi > 1
    row = summary_table(pd.DataFrame({name: x}), [name]).iloc[0]
    assert (row["ci_low"], row["ci_high"]) == (raw_lo, raw_hi)


def test_bounds_come_from_declared_units():
    assert unit_bounds("0..2") == (0.0, 2.0) and metric_bounds("depth_reached") == (0.0, 2.0)
    assert unit_bounds("1/year") == (-math.inf, math.inf)
    for name, (unit, _) in METRICS.items():
        lo, hi = metric_bounds(name)
        if unit in ("count", "days", "hours", "staff hours", "currency"):
            assert (lo, hi) == (0.0, math.inf), name
        elif unit in ("0/1", "0..1"):
            assert (lo, hi) == (0.0, 1.0), name


def test_explicit_bounds_override_and_never_cross_the_mean():
    x = np.array([0.0] * 49 + [1.0])
    row = summary_table(pd.DataFrame({"opportunities_lost": x}), ["opportunities_lost"],
                        bounds={"opportunities_lost": (-math.inf, math.inf)}).iloc[0]
    assert row["ci_low"] < 0
    # data outside its declared range (a mislabelled unit) keeps the mean inside its interval
    m, lo, hi, _ = mean_ci(np.array([-2.0, -1.0, -3.0]), bounds=(0.0, math.inf))
    assert lo <= m <= hi


def test_ensemble_summary_clips_to_the_range():
    x = np.array([0.0] * 39 + [2.0])
    runs = pd.DataFrame({"replication": np.arange(40), "seed": 0, "opportunities_lost": x,
                         "final_trust": np.r_[np.ones(39), 0.5], "revenue_growth_a": x - 0.1})
    ens = Ensemble(load_scenario("baseline"), 0, runs, np.empty((0, 0, 0)))
    s = ens.summary(["opportunities_lost", "final_trust", "revenue_growth_a"]).set_index("metric")
    assert s.loc["opportunities_lost", "ci_low"] == 0.0
    assert s.loc["final_trust", "ci_high"] == 1.0
    raw_lo = mean_ci(x - 0.1)[1]
    assert raw_lo < 0 and s.loc["revenue_growth_a", "ci_low"] == pytest.approx(raw_lo)


def test_docstring_examples():
    result = doctest.testmod(stats)
    assert result.failed == 0 and result.attempted > 0


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=60),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99, 0.999]),
)
def test_intervals_match_scipy_stats(values, level):
    """The intervals use scipy.special (light to import); they equal scipy.stats' t and normal ones."""
    from scipy import stats as sps

    from partnersim.analysis.compare import _t_interval

    x = np.array(values)
    n = x.size
    se = float(x.std(ddof=1)) / math.sqrt(n)
    m, lo, hi, _ = mean_ci(x, level=level)
    h = float(sps.t.ppf(0.5 + level / 2.0, n - 1)) * se
    assert (lo, hi) == (m - h, m + h)
    if se > 0:
        lo2, hi2, p = _t_interval(m, se, n - 1, level)
        assert (lo2, hi2) == (m - h, m + h)
        assert p == float(2.0 * sps.t.sf(abs(m / se), n - 1))
