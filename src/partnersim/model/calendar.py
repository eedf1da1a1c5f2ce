"""Working-time calendars across time zones.

Simulation time is in days since day 0, which is a Monday at 00:00 UTC. A partner
works ``working_days`` days a week (Monday first) from ``work_start`` to ``work_end``
local time, with local time = UTC + ``utc_offset`` hours.
"""

from __future__ import annotations

import math

__all__ = ["WorkCalendar", "overlap_hours"]


class WorkCalendar:
    """Working hours of one partner; all times are in simulation days (UTC)."""

    __slots__ = ("offset", "start", "end", "days", "hours_per_day")

    def __init__(self, utc_offset: float, work_start: float, work_end: float, working_days: int) -> None:
        self.offset = utc_offset / 24.0
        self.start = work_start / 24.0
        self.end = work_end / 24.0
        self.days = int(working_days)
        self.hours_per_day = work_end - work_start

    def is_working(self, t: float) -> bool:
        """Whether time ``t`` (days, UTC) falls in working hours."""
        local = t + self.offset
        day = math.floor(local)
        frac = local - day
        return (day % 7) < self.days and self.start <= frac < self.end

    def next_working(self, t: float) -> float:
        """The earliest time >= ``t`` at which the partner is working."""
        local = t + self.offset
        day = math.floor(local)
        frac = local - day
        if (day % 7) < self.days and frac < self.end:
            return max(local, day + self.start) - self.offset
        day += 1
        while (day % 7) >= self.days:
            day += 1
        return day + self.start - self.offset

    def add_working_hours(self, t: float, hours: float) -> float:
        """The time at which ``hours`` of working time, starting at ``t``, are done."""
        local = self.next_working(t) + self.offset
        left = hours / 24.0
        while True:
            day = math.floor(local)
            room = day + self.end - local
            if left <= room + 1e-12:
                return local + left - self.offset
            left -= room
            day += 1
            while (day % 7) >= self.days:
                day += 1
            local = day + self.start

    def working_hours_between(self, t0: float, t1: float) -> float:
        """Working hours elapsed between ``t0`` and ``t1`` (``t1 >= t0``)."""
        total = 0.0
        a, b = t0 + self.offset, t1 + self.offset
        day = math.floor(a)
        while day < b:
            if (day % 7) < self.days:
                lo = max(a, day + self.start)
                hi = min(b, day + self.end)
                if hi > lo:
                    total += hi - lo
            day += 1
        return total * 24.0


def overlap_hours(a: WorkCalendar, b: WorkCalendar) -> float:
    """Hours per day in which both partners work (on a day both work), in UTC."""
    best = 0.0
    # compare a's working window with b's windows on the previous, same and next day
    a0, a1 = a.start - a.offset, a.end - a.offset
    for shift in (-1.0, 0.0, 1.0):
        b0, b1 = b.start - b.offset + shift, b.end - b.offset + shift
        best = max(best, min(a1, b1) - max(a0, b0))
    return max(0.0, best) * 24.0
