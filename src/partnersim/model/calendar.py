"""Working-time calendars across time zones.

Simulation time is in days since day 0, which is a Monday at 00:00 UTC. A partner
works ``working_days`` days a week (Monday first) from ``work_start`` to ``work_end``
local time, with local time = UTC + ``utc_offset`` hours.

Everything rests on the *working clock* ``W(t)``: the working hours a partner has
worked between local midnight of day 0 and time ``t``. It is continuous and
non-decreasing, flat outside working hours, and has a closed form, as does its
inverse; so "the next working moment", "``h`` working hours later" and "working hours
between" are O(1), and vectorise over numpy arrays (used to plan a whole run's
message traffic at once).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["WorkCalendar", "overlap_hours"]

_EPS = 1e-9


class WorkCalendar:
    """Working hours of one partner; all times are in simulation days (UTC)."""

    __slots__ = ("offset", "start", "end", "days", "hours_per_day", "week_hours")

    def __init__(self, utc_offset: float, work_start: float, work_end: float, working_days: int) -> None:
        self.offset = utc_offset / 24.0
        self.start = work_start / 24.0
        self.end = work_end / 24.0
        self.days = int(working_days)
        self.hours_per_day = float(work_end - work_start)
        self.week_hours = self.hours_per_day * self.days

    # -- the working clock ----------------------------------------------------------
    def clock(self, t: float) -> float:
        """Working hours worked from local midnight of day 0 up to time ``t``."""
        local = t + self.offset
        wk = math.floor(local / 7.0)
        r = local - 7.0 * wk
        d = math.floor(r)
        w = wk * self.week_hours + min(d, self.days) * self.hours_per_day
        if d < self.days:
            w += min(max((r - d - self.start) * 24.0, 0.0), self.hours_per_day)
        return w

    def unclock(self, w: float, *, at_end: bool = False) -> float:
        """The time at which the working clock reads ``w``.

        Where the clock is flat (nights, weekends) the earliest time is the end of a
        working day and the latest the start of the next one: ``at_end=True`` returns the
        former (work finished), the default the latter (work can start).
        """
        wk = math.floor(w / self.week_hours)
        rem = max(w - wk * self.week_hours, 0.0)  # (rounding can make it slightly negative)
        d = math.floor(rem / self.hours_per_day)
        h = rem - d * self.hours_per_day
        if not at_end and h > self.hours_per_day - _EPS:  # rounding: the end of day d is the start of d + 1
            d, h = d + 1, 0.0
        if at_end and h < _EPS and (d > 0 or wk != 0 or rem > 0.0):
            if d == 0:
                wk -= 1
                d = self.days
            d -= 1
            h = self.hours_per_day
        elif d >= self.days:
            wk += 1
            d, h = 0, 0.0
        return 7.0 * wk + d + self.start + h / 24.0 - self.offset

    def clock_array(self, t: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`clock`."""
        local = np.asarray(t, dtype=float) + self.offset
        wk = np.floor(local / 7.0)
        r = local - 7.0 * wk
        d = np.floor(r)
        part = np.clip((r - d - self.start) * 24.0, 0.0, self.hours_per_day)
        return wk * self.week_hours + np.minimum(d, self.days) * self.hours_per_day + np.where(d < self.days, part, 0.0)

    def unclock_array(self, w: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`unclock` (the start-of-day convention)."""
        w = np.asarray(w, dtype=float)
        wk = np.floor(w / self.week_hours)
        rem = np.maximum(w - wk * self.week_hours, 0.0)
        d = np.floor(rem / self.hours_per_day)
        h = rem - d * self.hours_per_day
        up = h > self.hours_per_day - _EPS  # rounding: the end of day d is the start of d + 1
        d = np.where(up, d + 1, d)
        h = np.where(up, 0.0, h)
        over = d >= self.days
        wk = np.where(over, wk + 1, wk)
        d = np.where(over, 0.0, d)
        h = np.where(over, 0.0, h)
        return 7.0 * wk + d + self.start + h / 24.0 - self.offset

    # -- convenience -------------------------------------------------------------------
    def is_working(self, t: float) -> bool:
        """Whether time ``t`` (days, UTC) falls in working hours."""
        local = t + self.offset
        day = math.floor(local)
        frac = local - day
        return (day % 7) < self.days and self.start <= frac < self.end

    def next_working(self, t: float) -> float:
        """The earliest time >= ``t`` at which the partner is working."""
        if self.is_working(t):
            return t
        return self.unclock(self.clock(t))

    def add_working_hours(self, t: float, hours: float) -> float:
        """The time at which ``hours`` of working time, starting at ``t``, are done."""
        if hours <= 0.0:
            return self.next_working(t)
        done = self.unclock(self.clock(t) + hours, at_end=True)
        # a few nanohours from a boundary, at_end would give the end of the previous working day
        return done if done > t else self.next_working(t)

    def working_hours_between(self, t0: float, t1: float) -> float:
        """Working hours elapsed between ``t0`` and ``t1`` (``t1 >= t0``)."""
        return self.clock(t1) - self.clock(t0)


def overlap_hours(a: WorkCalendar, b: WorkCalendar) -> float:
    """Hours per day in which both partners work (on a day both work), in UTC."""
    best = 0.0
    # compare a's working window with b's windows on the previous, same and next day
    a0, a1 = a.start - a.offset, a.end - a.offset
    for shift in (-1.0, 0.0, 1.0):
        b0, b1 = b.start - b.offset + shift, b.end - b.offset + shift
        best = max(best, min(a1, b1) - max(a0, b0))
    return max(0.0, best) * 24.0
