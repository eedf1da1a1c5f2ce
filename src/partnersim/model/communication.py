"""Communication: coordination messages, their latency across time zones, and queueing.

Routine traffic: each partner sends ``message_rate`` messages a week to the other, as a
Poisson process in its own working time. A message waits for the receiver's working
hours, then for the receiver to finish the messages already in its queue (first come,
first served), and takes an exponential handling time with mean
``responsiveness_hours`` of the receiver's working time. When both partners keep the
same working calendar, this is an M/M/1 queue in the working clock. With the shared platform, a share
``platform_self_serve`` of messages are answered from the platform's visible status in
a quarter of an hour and never enter the queue.

Since routine traffic does not depend on the rest of the state, the whole run's
traffic is planned at the start, vectorised: send times, then departures from each
receiver's queue by the Lindley recursion ``D_k = max(A_k, D_{k-1}) + S_k`` written as
a running maximum. Messages sent after the partnership ends do not count.

Ad-hoc messages (proposals about opportunities, milestone coordination) go through
:func:`send`: they queue behind the routine messages sent before them and behind
earlier ad-hoc messages, and do not delay later routine messages.

:func:`traffic` is the reference implementation of the same law, one SimPy event per
message with scalar calendar arithmetic (``Model(..., traffic="process")``). It is
kept to show, in tests and benchmarks, that planning changes the cost, not the model.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["Traffic", "plan_traffic", "traffic", "send", "recent_response_hours", "response_stats",
           "SELF_SERVE_HOURS"]

SELF_SERVE_HOURS = 0.25
RECENT_MESSAGES = 20


class Traffic:
    """The planned routine traffic of a run and the ad-hoc messages sent so far."""

    __slots__ = ("q_sent", "depart_w", "sent", "cum_response", "adhoc_busy", "adhoc_sent", "adhoc_hours")

    def __init__(self) -> None:
        # per receiver: send times of the queued routine messages and their departures in
        # the receiver's working clock (lists: bisect beats numpy for single lookups)
        self.q_sent: list[list[float]] = [[], []]
        self.depart_w: list[list[float]] = [[], []]
        # both directions merged, by send time: send times and cumulative response hours
        self.sent: list[float] = []
        self.cum_response: list[float] = [0.0]
        self.adhoc_busy = [0.0, 0.0]
        self.adhoc_sent: list[float] = []
        self.adhoc_hours: list[float] = []


def plan_traffic(m: Model) -> Traffic:
    """Plan the whole run's routine traffic (both directions)."""
    tr = Traffic()
    if not m.p.mechanisms.communication or m.traffic_mode == "process":
        return tr
    gen = m.rng["messages"].generator
    platform = m.p.agreement.shared_platform
    self_serve = m.p.dynamics.platform_self_serve
    sent_all, resp_all = [], []
    for sender in (0, 1):
        receiver = 1 - sender
        cs, cr = m.cal[sender], m.cal[receiver]
        rate = m.partners[sender].message_rate / cs.week_hours  # per working hour
        w0, w_end = cs.clock(0.0), cs.clock(m.horizon)  # w0 > 0 east of UTC: local day 0 began earlier
        n = int(gen.poisson(rate * (w_end - w0))) if rate > 0.0 else 0
        send_w = w0 + np.sort(gen.random(n)) * (w_end - w0)
        send_t = cs.unclock_array(send_w)
        service = gen.standard_exponential(n) * m.handling[receiver]
        u = gen.random(n)  # drawn with or without the platform, so toggling it shifts no other draw
        queued = u >= self_serve if platform else np.ones(n, dtype=bool)
        arrive = cr.clock_array(send_t[queued])
        s = service[queued]
        c = np.cumsum(s)
        depart = c + np.maximum.accumulate(arrive - (c - s)) if arrive.size else arrive
        reply = np.empty(n)
        reply[queued] = cr.unclock_array(depart)
        reply[~queued] = send_t[~queued] + SELF_SERVE_HOURS / 24.0
        tr.q_sent[receiver], tr.depart_w[receiver] = send_t[queued].tolist(), depart.tolist()
        sent_all.append(send_t)
        resp_all.append((reply - send_t) * 24.0)
        if m.events is not None:
            for a, b in zip(send_t.tolist(), reply.tolist(), strict=True):
                m.events.append((round(a, 6), "message", sender, round(a, 6), round(b, 6)))
    sent = np.concatenate(sent_all)
    order = np.argsort(sent, kind="stable")
    tr.sent = sent[order].tolist()
    tr.cum_response = np.concatenate(([0.0], np.cumsum(np.concatenate(resp_all)[order]))).tolist()
    return tr


def send(m: Model, sender: int, t: float) -> float:
    """Send an ad-hoc message from ``sender`` at time ``t``; return when the reply arrives.

    Records the response time. Without the communication mechanism replies are instant.
    """
    if not m.p.mechanisms.communication:
        return t
    tr = m.traffic
    receiver = 1 - sender
    rng = m.rng["messages"]
    u = rng.uniform()
    if m.p.agreement.shared_platform and u < m.p.dynamics.platform_self_serve:
        reply = t + SELF_SERVE_HOURS / 24.0
    else:
        cal = m.cal[receiver]
        start = max(cal.clock(t), tr.adhoc_busy[receiver])
        k = bisect_right(tr.q_sent[receiver], t) - 1
        if k >= 0:
            start = max(start, tr.depart_w[receiver][k])
        done = start + rng.exponential(m.handling[receiver])
        tr.adhoc_busy[receiver] = done
        reply = cal.unclock(done, at_end=True)
        if reply < t:  # a handling time of nanohours from a boundary: the previous day's end
            reply = cal.next_working(t)
    tr.adhoc_sent.append(t)
    tr.adhoc_hours.append((reply - t) * 24.0)
    if m.events is not None:
        m.log("message", sender, round(t, 6), round(reply, 6))
    return reply


def traffic(m: Model, sender: int):
    """Reference implementation of routine traffic: one SimPy event per message."""
    env, st, tr = m.env, m.st, m.traffic
    cs, cr = m.cal[sender], m.cal[1 - sender]
    receiver = 1 - sender
    rng = m.rng["messages"]
    rate = m.partners[sender].message_rate / cs.week_hours
    if rate <= 0.0:
        return
    platform = m.p.agreement.shared_platform
    self_serve = m.p.dynamics.platform_self_serve
    resp = m.handling[receiver]
    w = cs.clock(env.now)
    while True:
        w += rng.exponential(1.0 / rate)
        t = cs.unclock(w)
        if t >= m.horizon:
            return
        yield m.until(t)
        if not st.active:
            return
        if rng.uniform() < self_serve and platform:
            reply = t + SELF_SERVE_HOURS / 24.0
        else:
            queue = tr.depart_w[receiver]
            start = cr.clock(t)
            if queue and queue[-1] > start:
                start = queue[-1]
            done = start + rng.exponential(resp)
            tr.q_sent[receiver].append(t)
            queue.append(done)
            reply = cr.unclock(done, at_end=True)
            if reply < t:  # a handling time of nanohours from a boundary
                reply = cr.next_working(t)
        tr.sent.append(t)
        tr.cum_response.append(tr.cum_response[-1] + (reply - t) * 24.0)
        m.log("message", sender, round(t, 6), round(reply, 6))


def recent_response_hours(m: Model, t: float) -> float:
    """Mean response time (hours) of the last routine messages sent before ``t``."""
    tr = m.traffic
    i = bisect_right(tr.sent, t)
    lo = max(0, i - RECENT_MESSAGES)
    if i == lo:
        return 0.0
    return (tr.cum_response[i] - tr.cum_response[lo]) / (i - lo)


def response_stats(m: Model, until: float) -> tuple[int, float]:
    """Number of messages sent before ``until`` and the sum of their response hours."""
    tr = m.traffic
    i = bisect_left(tr.sent, until)
    n = i + len(tr.adhoc_sent)
    return n, tr.cum_response[i] + sum(tr.adhoc_hours)
