"""Working-time calendars: exact values, then invariants over random calendars.

Day 0 is Monday 00:00 UTC; times are in days. An hour is ``1 / 24``.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from partnersim.model.calendar import WorkCalendar, overlap_hours

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

LONDON = WorkCalendar(0, 9, 17, 5)
TOKYO = WorkCalendar(9, 9, 17, 5)
NEW_YORK = WorkCalendar(-5, 9, 17, 5)


def approx(x):
    return pytest.approx(x, abs=1e-9)


# -- is_working / next_working -------------------------------------------------------------

@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (0.0, False),                 # Monday 00:00
        (MON + 9 / 24, True),          # Monday 09:00: the day starts
        (MON + 12 / 24, True),
        (MON + 17.01 / 24, False),     # just after 17:00: the day has ended
        (FRI + 16.5 / 24, True),
        (SAT + 12 / 24, False),
        (SUN + 12 / 24, False),
        (7 + MON + 10 / 24, True),     # the next week
    ],
)
def test_is_working_utc(t, expected):
    assert LONDON.is_working(t) is expected


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (0.0, MON + 9 / 24),                  # before work: the same day at 09:00
        (MON + 12 / 24, MON + 12 / 24),        # in working hours: now
        (MON + 17.01 / 24, TUE + 9 / 24),      # after the end of the day: tomorrow
        (MON + 23 / 24, TUE + 9 / 24),
        (FRI + 17.5 / 24, 7 + MON + 9 / 24),   # Friday evening: Monday
        (SAT, 7 + MON + 9 / 24),
        (SUN + 23.5 / 24, 7 + MON + 9 / 24),
        (14 + WED + 8 / 24, 14 + WED + 9 / 24),
    ],
)
def test_next_working_utc(t, expected):
    assert LONDON.next_working(t) == approx(expected)


def test_next_working_with_offsets():
    # Tokyo (UTC+9) works 09-17 local = 00-08 UTC; its Monday starts at day 0 itself
    assert TOKYO.is_working(0.0)
    assert TOKYO.next_working(0.0) == approx(0.0)
    assert TOKYO.next_working(MON + 8.01 / 24) == approx(TUE)
    # Friday 16:00 UTC is Saturday 01:00 in Tokyo: next working time is Monday 09:00 local = 00:00 UTC
    assert TOKYO.next_working(FRI + 16 / 24) == approx(7.0)
    # Sunday 15:00 UTC is Monday 00:00 in Tokyo, still before work
    assert TOKYO.next_working(SUN + 15 / 24) == approx(7.0)
    # New York (UTC-5) works 14-22 UTC; day 0 (Monday 00:00 UTC) is Sunday 19:00 there
    assert not NEW_YORK.is_working(0.0)
    assert NEW_YORK.next_working(0.0) == approx(MON + 14 / 24)
    assert NEW_YORK.next_working(FRI + 21.5 / 24) == approx(FRI + 21.5 / 24)
    assert NEW_YORK.next_working(FRI + 22.01 / 24) == approx(7 + MON + 14 / 24)
    # a half-hour offset: India (UTC+5:30) works 03:30-11:30 UTC
    india = WorkCalendar(5.5, 9, 17, 5)
    assert india.next_working(0.0) == approx(3.5 / 24)
    assert india.next_working(THU + 11.6 / 24) == approx(FRI + 3.5 / 24)


def test_working_days_six_and_seven():
    six = WorkCalendar(0, 9, 17, 6)
    assert six.is_working(SAT + 10 / 24)
    assert not six.is_working(SUN + 10 / 24)
    assert six.next_working(SAT) == approx(SAT + 9 / 24)
    assert six.next_working(SAT + 17.01 / 24) == approx(7 + MON + 9 / 24)
    seven = WorkCalendar(0, 9, 17, 7)
    assert seven.next_working(SUN + 17.01 / 24) == approx(7 + MON + 9 / 24)
    assert seven.next_working(SUN + 3 / 24) == approx(SUN + 9 / 24)
    one = WorkCalendar(0, 9, 17, 1)  # Mondays only
    assert one.next_working(MON + 18 / 24) == approx(7 + MON + 9 / 24)


def test_round_the_clock_calendar():
    always = WorkCalendar(0, 0, 24, 7)
    for t in (0.0, 0.3, 3.999, 6.5):
        assert always.is_working(t)
        assert always.next_working(t) == approx(t)
    assert always.add_working_hours(0.5, 36) == approx(2.0)
    assert always.working_hours_between(0.25, 3.25) == approx(72.0)


# -- add_working_hours ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cal", "t", "hours", "expected"),
    [
        (LONDON, MON + 9 / 24, 2, MON + 11 / 24),
        (LONDON, MON + 9 / 24, 8, MON + 17 / 24),          # a full day ends at 17:00, not 09:00 next day
        (LONDON, MON + 16 / 24, 2, TUE + 10 / 24),         # carried over the night
        (LONDON, FRI + 16 / 24, 2, 7 + MON + 10 / 24),     # carried over the weekend
        (LONDON, SAT + 12 / 24, 1, 7 + MON + 10 / 24),     # starts at the next working time
        (LONDON, MON + 9 / 24, 40, FRI + 17 / 24),         # one working week
        (LONDON, MON + 9 / 24, 41, 7 + MON + 10 / 24),
        (LONDON, MON + 12 / 24, 0, MON + 12 / 24),
        (LONDON, MON + 20 / 24, 0, TUE + 9 / 24),          # zero hours: the next working time
        (TOKYO, FRI + 16 / 24, 2, 7 + 2 / 24),             # Friday 16:00 UTC to Tokyo: Monday 02:00 UTC
        (TOKYO, THU + 7 / 24, 3, FRI + 2 / 24),
        (NEW_YORK, MON, 9, TUE + 15 / 24),                 # 8 hours Monday (14-22 UTC), 1 on Tuesday
    ],
)
def test_add_working_hours(cal, t, hours, expected):
    assert cal.add_working_hours(t, hours) == approx(expected)


# -- working_hours_between ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cal", "t0", "t1", "expected"),
    [
        (LONDON, 0.0, 7.0, 40.0),
        (LONDON, 0.0, 14.0, 80.0),
        (LONDON, MON + 12 / 24, MON + 12 / 24, 0.0),
        (LONDON, MON + 12 / 24, MON + 13.5 / 24, 1.5),
        (LONDON, MON + 16 / 24, TUE + 10 / 24, 2.0),
        (LONDON, FRI + 16 / 24, 7 + MON + 10 / 24, 2.0),
        (LONDON, SAT, SUN + 23 / 24, 0.0),
        (TOKYO, 0.0, 7.0, 40.0),
        (TOKYO, FRI + 16 / 24, 7 + 2 / 24, 2.0),
        (TOKYO, SUN + 12 / 24, 7 + 1 / 24, 1.0),            # Tokyo's Monday begins at 00:00 UTC
        (NEW_YORK, 0.0, MON + 15 / 24, 1.0),
        (NEW_YORK, 0.0, 7.0, 40.0),
    ],
)
def test_working_hours_between(cal, t0, t1, expected):
    assert cal.working_hours_between(t0, t1) == approx(expected)


# -- overlap ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (LONDON, LONDON, 8.0),
        (LONDON, TOKYO, 0.0),                               # nine hours apart: no overlap
        (LONDON, WorkCalendar(3, 9, 17, 5), 5.0),           # B works 06-14 UTC
        (LONDON, NEW_YORK, 3.0),                            # 14-17 UTC
        (LONDON, WorkCalendar(0, 13, 20, 5), 4.0),
        (WorkCalendar(-12, 9, 17, 5), WorkCalendar(14, 9, 17, 5), 6.0),  # across the date line
        (TOKYO, WorkCalendar(-7, 9, 17, 5), 0.0),
    ],
)
def test_overlap_hours(a, b, expected):
    assert overlap_hours(a, b) == approx(expected)
    assert overlap_hours(b, a) == approx(expected)


# -- invariants over random calendars ----------------------------------------------------------

@hs.composite
def calendars(draw):
    offset = draw(hs.sampled_from([-12, -8, -5, -3.5, 0, 1, 5.5, 9, 12.75, 14]))
    start = draw(hs.floats(0, 22, allow_nan=False))
    end = draw(hs.floats(start + 0.5, 24, allow_nan=False))
    return WorkCalendar(offset, start, end, draw(hs.integers(1, 7)))


times = hs.floats(0, 60, allow_nan=False)
durations = hs.one_of(hs.floats(0, 300, allow_nan=False), hs.floats(0, 1e-6), hs.sampled_from([1e-12, 5e-324]))


@settings(max_examples=400, deadline=None)
@given(calendars(), times)
def test_next_working_is_the_first_working_moment(cal, t):
    n = cal.next_working(t)
    assert n >= t - 1e-12
    assert n - t <= 7.0
    assert cal.is_working(n) or cal.is_working(n + 1e-9)  # (n may be within 1e-9 of a day's end)
    assert cal.working_hours_between(t, n) == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=400, deadline=None)
@given(calendars(), times, durations)
def test_add_working_hours_is_inverse_of_working_hours_between(cal, t, hours):
    done = cal.add_working_hours(t, hours)
    assert done >= t - 1e-12, "work finishes before it starts"
    if hours > 1e-6:  # (tiny work from the very end of a working day may finish at that end)
        assert done >= cal.next_working(t) - 1e-12
    assert cal.working_hours_between(t, done) == pytest.approx(hours, abs=1e-6)
    # no more calendar time than the hours need, at most one week per week of work plus a weekend
    weeks = hours / (cal.hours_per_day * cal.days)
    assert done - t <= 7.0 * (math.ceil(weeks) + 1) + 1e-9


@settings(max_examples=300, deadline=None)
@given(calendars(), times, hs.floats(0, 30), hs.floats(0, 30))
def test_working_hours_between_is_additive_and_bounded(cal, t0, d1, d2):
    t1, t2 = t0 + d1, t0 + d1 + d2
    a, b, c = cal.working_hours_between(t0, t1), cal.working_hours_between(t1, t2), cal.working_hours_between(t0, t2)
    assert c == pytest.approx(a + b, abs=1e-6)
    assert -1e-9 <= a <= d1 * 24.0 + 1e-9
    # over whole weeks, exactly the weekly hours
    assert cal.working_hours_between(t0, t0 + 7.0) == pytest.approx(cal.hours_per_day * cal.days, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(calendars(), times, hs.floats(0, 200), hs.floats(0, 200))
def test_add_working_hours_is_monotone_and_composes(cal, t, h1, h2):
    lo, hi = sorted((h1, h2))
    assert cal.add_working_hours(t, lo) <= cal.add_working_hours(t, hi) + 1e-12
    mid = cal.add_working_hours(t, h1)
    assert cal.working_hours_between(t, cal.add_working_hours(mid, h2)) == pytest.approx(h1 + h2, abs=1e-6)
