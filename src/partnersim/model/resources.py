"""Finite resources: each partner's partnership budget and staff hours, and the fund.

A :class:`Pool` fills continuously at a rate (money capacity per month, staff hours per
week) up to a cap (``budget_months`` of money capacity, ``hours_buffer_weeks`` of staff
hours) and is drawn on by partnership work. It is the equivalent of a SimPy ``Container``
with a continuous refill, kept as plain arithmetic (the level is brought up to date when
it is read) so that it costs no events: a process that needs more than is there computes
when the refill will cover it (:meth:`Pool.days_until`) and waits that long
(:func:`acquire`). With ``mechanisms.resources`` off every pool is bottomless.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["Pool", "acquire", "take_now"]

INF = math.inf
EPS = 1e-9


class Pool:
    """A capped pool refilled continuously at ``rate`` per day."""

    __slots__ = ("level", "rate", "cap", "t")

    def __init__(self, level: float, rate: float, cap: float, t: float = 0.0) -> None:
        self.cap = cap
        self.level = level if level < cap else cap
        self.rate = rate
        self.t = t

    def at(self, t: float) -> float:
        """The level at time ``t`` (brought up to date)."""
        if t > self.t:
            x = self.level + self.rate * (t - self.t)
            self.level = x if x < self.cap else self.cap
            self.t = t
        return self.level

    def set_rate(self, t: float, rate: float, cap: float) -> None:
        """Change the refill rate and the cap from time ``t`` on."""
        self.at(t)
        self.rate = rate
        self.cap = cap
        if self.level > cap:
            self.level = cap

    def days_until(self, t: float, amount: float) -> float:
        """Days from ``t`` until the pool holds ``amount`` (0 if it does; inf if it never will)."""
        level = self.at(t)
        if level + EPS >= amount:
            return 0.0
        if amount > self.cap + EPS or self.rate <= 0.0:
            return INF
        return (amount - level) / self.rate

    def take(self, t: float, amount: float) -> None:
        """Draw ``amount`` (the caller has checked it is there; round-off is absorbed)."""
        x = self.at(t) - amount
        self.level = x if x > 0.0 else 0.0

    def fill(self, t: float) -> float:
        """Level over cap, 0..1 (1 for a bottomless pool)."""
        if self.cap == INF:
            return 1.0
        return self.at(t) / self.cap if self.cap > 0.0 else 0.0


def take_now(m: Model, pools: tuple[Pool, ...], amounts: tuple[float, ...]) -> bool:
    """Draw every amount now if every pool holds it; otherwise draw nothing and return False."""
    if not m.finite:
        return True
    t = m.env.now
    for pool, amount in zip(pools, amounts, strict=True):
        if amount > 0.0 and pool.days_until(t, amount) > 0.0:
            return False
    for pool, amount in zip(pools, amounts, strict=True):
        if amount > 0.0:
            pool.take(t, amount)
    return True


def acquire(m: Model, pools: tuple[Pool, ...], amounts: tuple[float, ...], deadline: float):
    """A SimPy sub-process: wait until every pool holds its amount, then draw them all.

    Returns True once drawn, False if that cannot happen by ``deadline`` (nothing is drawn).
    Use as ``ok = yield from acquire(m, pools, amounts, deadline)``.
    """
    if not m.finite:
        return True
    env = m.env
    while True:
        now = env.now
        wait = 0.0
        for pool, amount in zip(pools, amounts, strict=True):
            if amount > 0.0:
                w = pool.days_until(now, amount)
                wait = w if w > wait else wait
        if wait == 0.0:
            for pool, amount in zip(pools, amounts, strict=True):
                if amount > 0.0:
                    pool.take(now, amount)
            return True
        if wait == INF or now + wait > deadline or not m.st.active:
            return False
        # refill rates change with revenue (weekly): wait at most a week, then look again
        yield env.timeout(wait if wait < 7.0 else 7.0)
        if not m.st.active:
            return False
