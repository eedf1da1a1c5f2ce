"""Simulation against theory: queueing of messages and Poisson arrivals.

With communication the only mechanism, both partners in one time zone with the same
hours and no platform, each partner sends messages as a Poisson process of rate
``lambda = message_rate / weekly working hours`` per working hour, and each receiver
handles them first come, first served with exponential times of mean
``responsiveness_hours``: in working time, an M/M/1 queue. Its mean sojourn (waiting plus
handling) is ``1 / (mu - lambda)`` working hours, with ``mu = 1 / responsiveness_hours``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import kinds, only
from scipy import stats

from partnersim.model import Model
from partnersim.model.calendar import WorkCalendar

HORIZON = 3650.0  # ten years
REPS = 8


def message_log(sc, seed, rep, traffic="planned"):
    return kinds(Model(sc, seed, rep, trace=True, traffic=traffic).run().events, "message")


@pytest.mark.parametrize("traffic", ["planned", "process"])
@pytest.mark.parametrize(("rate_per_week", "responsiveness"), [(4.0, 2.0), (12.0, 2.0), (20.0, 1.5)])
def test_message_sojourn_in_working_hours_is_that_of_an_mm1_queue(rate_per_week, responsiveness, traffic):
    sc = only("communication", horizon_days=HORIZON,
              partner_a__message_rate=rate_per_week, partner_b__message_rate=rate_per_week,
              partner_a__responsiveness_hours=responsiveness, partner_b__responsiveness_hours=responsiveness)
    cal = WorkCalendar(0.0, 9.0, 17.0, 5)
    lam = rate_per_week / 40.0
    mu = 1.0 / responsiveness
    theory = 1.0 / (mu - lam)
    total_working_hours = cal.working_hours_between(0.0, HORIZON)
    means, rates = [], []
    for rep in range(REPS):
        log = message_log(sc, 17, rep, traffic)
        for sender in (0, 1):
            sojourn = np.array([cal.working_hours_between(sent, reply) for (_, _, s, sent, reply) in log
                                if s == sender])
            # a message waits at most for earlier ones: never less than nothing
            assert np.all(sojourn >= -1e-9)
            means.append(sojourn.mean())
            rates.append(len(sojourn) / total_working_hours)
    # each (replication, direction) mean is nearly independent; 95% t-interval plus 2% for the
    # start from an empty queue and the truncation at the horizon
    means = np.array(means)
    half = stats.t.ppf(0.975, len(means) - 1) * means.std(ddof=1) / np.sqrt(len(means))
    assert half < 0.05 * theory  # the test has power
    assert abs(means.mean() - theory) <= half + 0.02 * theory, (means.mean(), theory, half)
    # arrival rate: Poisson counts over the whole horizon
    rates = np.array(rates)
    se = np.sqrt(lam / total_working_hours / len(rates))
    assert abs(rates.mean() - lam) <= 4 * se, (rates.mean(), lam)


def test_messages_are_sent_only_in_the_senders_working_hours():
    sc = only("communication", horizon_days=365, partner_b__utc_offset=-5.0, partner_b__working_days=4)
    cals = (WorkCalendar(0.0, 9.0, 17.0, 5), WorkCalendar(-5.0, 9.0, 17.0, 4))
    log = message_log(sc, 3, 0)
    assert len(log) > 300
    for _, _, sender, sent, reply in log:
        assert cals[sender].is_working(sent) or cals[sender].is_working(sent - 1e-6)
        # the reply comes in the receiver's working hours (or at the end of one)
        assert cals[1 - sender].is_working(reply) or cals[1 - sender].is_working(reply - 1e-6)


def gaps_of(kind, sc, seeds=range(4)):
    gaps = []
    for seed in seeds:
        times = [e[0] for e in kinds(Model(sc, seed, 0, trace=True).run().events, kind)]
        gaps.extend(np.diff([0.0, *times]))
    return np.array(gaps)


@pytest.mark.parametrize(("mechanism", "kind", "changes", "mean", "at_least"), [
    ("market_shifts", "market_shift", {"horizon_days": 3650.0, "market__shifts_per_year": 60.0}, 365.0 / 60.0, 2000),
    ("informal", "informal", {"horizon_days": 3650.0, "agreement__informal_per_month": 8.0}, 30.4375 / 8.0, 3000),
])
def test_arrivals_are_a_poisson_process(mechanism, kind, changes, mean, at_least):
    """Market shifts and informal contacts: gaps with the scenario's mean, exponentially distributed."""
    gaps = gaps_of(kind, only(mechanism, **changes))
    assert len(gaps) > at_least
    assert abs(gaps.mean() - mean) <= 4 * mean / np.sqrt(len(gaps))
    # exponential gaps (Kolmogorov-Smirnov against the known mean); the times are rounded to 1e-6 days
    assert stats.kstest(gaps, "expon", args=(0.0, mean)).pvalue > 0.001
