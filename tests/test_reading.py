"""The plain-language reading: human units, findings ranked by what matters, costs as costs, survival."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

from partnersim import load_scenario, run_ensemble, with_changes
from partnersim.analysis import reading, units
from partnersim.analysis.compare import Comparison, paired_differences
from partnersim.analysis.reading import (
    PRIORITY,
    bottom_line,
    cost_sentences,
    display_name,
    ensemble_headline,
    findings,
    format_change,
    format_value,
    survival_numbers,
)


@pytest.mark.parametrize("module", [reading, units], ids=["reading", "units"])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 5 and result.failed == 0


def test_values_in_human_units():
    assert format_value(0.5, "0/1") == "50%"
    assert format_value(0.62, "0..1") == "62/100"
    assert format_value(0.11, "1/year") == "11% a year"
    assert format_value(1234567.8, "currency", "EUR") == "EUR 1,234,568"
    assert format_value(1234567.8, "currency", "€") == "€1,234,568"
    assert format_value(1234567.8, "currency") == "1,234,568"  # no currency named: a plain number
    assert format_value(math.nan, "days") == "n/a"
    assert format_change(-0.05, "0/1") == "-5 percentage points"
    assert format_change(-1200, "currency", "EUR") == "-EUR 1,200"
    assert display_name("acme_nordlicht") == "Acme nordlicht"


@pytest.fixture(scope="module")
def ensembles():
    s = with_changes(load_scenario("funding_equal_3to1"), {"horizon_days": 365})
    a = run_ensemble(s, 4, 1, workers=1, progress=False)
    b = run_ensemble(with_changes(s, {"name": "weekly", "agreement.cadence.weekly.enabled": True}), 4, 1,
                     workers=1, progress=False)
    return a, b


def _comparison(ensembles, rows: dict[str, tuple[float, float, float]]) -> Comparison:
    """A comparison whose table says exactly what ``rows`` says: metric -> (mean_a, diff, effect size)."""
    table = pd.DataFrame([{"metric": m, "mean_a": a, "mean_b": a + d, "diff": d, "ci_low": d * 0.9,
                           "ci_high": d * 1.1, "p_value": 0.0, "effect_size": es, "n": 10, "p_holm": 0.0,
                           "significant": True, "unit": reading.metric_unit(m)} for m, (a, d, es) in rows.items()])
    return Comparison(*ensembles, table)


def test_findings_follow_what_matters_not_effect_size(ensembles):
    c = _comparison(ensembles, {
        "meeting_hours": (300.0, 624.0, 1e9),          # a fixed cost: the largest effect of all
        "conflicts_resolved": (40.0, -10.0, 50.0),     # ambiguous: no finding
        "team_satisfaction": (0.5, 0.05, 30.0),
        "conflicts_raised": (60.0, -20.0, 3.0),
        "joint_revenue": (500_000.0, 118_180.0, 0.5),  # the client's headline, a small effect size
        "survived": (0.8, 0.1, 0.4),
    })
    said = findings(c)
    assert [s.split(" is ")[0] for s in said] == ["The chance that the partnership survives", "Joint revenue",
                                                  "The number of conflicts", "Team satisfaction"]
    assert said == c.reading()  # one source: Comparison.reading is the same words
    assert "EUR 118,180" in said[1]
    costs = cost_sentences(c)
    assert costs[0].startswith("The change costs 624 staff hours of meetings over the 12 months")
    line = " ".join(bottom_line(c))
    assert "clearly better on 4" in line and "clearly worse on none" in line and "EUR" in line


def test_a_cost_that_saves_is_said_so(ensembles):
    c = _comparison(ensembles, {"meeting_hours": (300.0, -100.0, 5.0), "contribution_money_b": (1000.0, -500.0, 2)})
    costs = cost_sentences(c)
    assert costs[0].startswith("The change saves 100 staff hours") and "Small Co puts in EUR 500 less" in costs[1]


def test_priority_covers_the_contract_metrics_that_matter():
    assert PRIORITY[:5] == ("survived", "days_together", "joint_revenue", "fairness_a", "fairness_b")
    assert not set(reading.COSTS) & set(PRIORITY) and not set(reading.NOT_FINDINGS) & set(PRIORITY)


def test_survival_counts_the_runs_that_did_not_end(ensembles):
    a = ensembles[0]
    ended = pd.Series([0.0, 1.0, 0.0, 1.0])
    runs = a.runs.assign(survived=ended.to_numpy(), exit_day=[100.0, np.nan, 200.0, np.nan])
    e = type(a)(a.scenario, a.seed, runs, a.series)
    sv = survival_numbers(e)
    assert sv["survival"] == 0.5
    assert sv["days_together"] == pytest.approx((100 + 365 + 200 + 365) / 4)  # not the mean of 100 and 200
    assert sv["median_days"] == 200.0
    assert "50% of the simulated partnerships are still together after 12 months" in ensemble_headline(e)[0]
    assert "half of them break up within 6.57 months" in ensemble_headline(e)[0]


def test_days_together_is_compared_on_every_pair(ensembles):
    a, b = ensembles
    ra = a.runs.assign(days_together=reading.days_together(a.runs, 365))
    rb = b.runs.assign(days_together=reading.days_together(b.runs, 365))
    t = paired_differences(ra, rb, ["days_together", "exit_day"]).set_index("metric")
    assert t.loc["days_together", "n"] == 4  # every pair, ended or not; exit_day only where both ended
    assert t.loc["days_together", "unit"] == "days"


def test_short_repr(ensembles):
    a, b = ensembles
    text = repr(a)
    assert len(text) < 300 and "reps=4" in text and "array" not in text
    c = _comparison(ensembles, {"joint_revenue": (1.0, 1.0, 1.0)})
    assert len(repr(c)) < 300 and "1 of 1 metrics" in repr(c)
