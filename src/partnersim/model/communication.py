"""Communication: coordination messages, their latency across time zones, and queueing.

Routine traffic: each partner sends ``message_rate`` messages a week to the other, as a
Poisson process in its own working time. A message waits for the receiver's working
hours, then for the receiver to finish the messages already in its queue (first come,
first served), and takes an exponential handling time with mean
``responsiveness_hours`` of the receiver's working time. In the receiver's working
clock this is an M/M/1 queue. With the shared platform, a share
``platform_self_serve`` of messages are answered from the platform's visible status in
a quarter of an hour and never enter the queue.

Since routine traffic does not depend on the rest of the state, the whole run's
traffic is planned at the start, vectorised: send times, then departures from each
receiver's queue by the Lindley recursion ``D_k = max(A_k, D_{k-1}) + S_k`` written as
a running maximum. Messages sent after the partnership ends do not count.

Ad-hoc messages (proposals about opportunities, milestone coordination) go through
:func:`send`: they queue behind the routine messages that arrived before them and
behind earlier ad-hoc messages, and do not delay later routine messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["Traffic", "plan_traffic", "send", "recent_response_hours", "response_stats", "SELF_SERVE_HOURS"]

SELF_SERVE_HOURS = 0.25
RECENT_MESSAGES = 20


class Traffic:
    """The planned routine traffic of a run and the ad-hoc messages sent so far."""

    __slots__ = ("arrive_w", "depart_w", "sent", "cum_response", "adhoc_busy", "adhoc_sent", "adhoc_hours")

    def __init__(self) -> None:
        empty = np.empty(0)
        # per receiver: queue arrivals and departures in the receiver's working clock
        self.arrive_w = [empty, empty]
        self.depart_w = [empty, empty]
        # both directions merged, by send time: send times and cumulative response hours
        self.sent = empty
        self.cum_response = np.zeros(1)
        self.adhoc_busy = [0.0, 0.0]
        self.adhoc_sent: list[float] = []
        self.adhoc_hours: list[float] = []


def plan_traffic(m: Model) -> Traffic:
    """Plan the whole run's routine traffic (both directions)."""
    tr = Traffic()
    if not m.p.mechanisms.communication:
        return tr
    gen = m.rng["messages"].generator
    platform = m.p.agreement.shared_platform
    self_serve = m.p.dynamics.platform_self_serve
    sent_all, resp_all = [], []
    for sender in (0, 1):
        receiver = 1 - sender
        cs, cr = m.cal[sender], m.cal[receiver]
        rate = m.partners[sender].message_rate / cs.week_hours  # per working hour
        w_end = cs.clock(m.horizon)
        n = int(gen.poisson(rate * w_end)) if rate > 0.0 else 0
        send_w = np.sort(gen.random(n)) * w_end
        send_t = cs.unclock_array(send_w)
        service = gen.standard_exponential(n) * m.partners[receiver].responsiveness_hours
        queued = gen.random(n) >= self_serve if platform else np.ones(n, dtype=bool)
        arrive = cr.clock_array(send_t[queued])
        s = service[queued]
        c = np.cumsum(s)
        depart = c + np.maximum.accumulate(arrive - (c - s)) if arrive.size else arrive
        reply = np.empty(n)
        reply[queued] = cr.unclock_array(depart)
        reply[~queued] = send_t[~queued] + SELF_SERVE_HOURS / 24.0
        tr.arrive_w[receiver], tr.depart_w[receiver] = arrive, depart
        sent_all.append(send_t)
        resp_all.append((reply - send_t) * 24.0)
        if m.events is not None:
            for a, b in zip(send_t.tolist(), reply.tolist(), strict=True):
                m.events.append((round(a, 6), "message", sender, round(a, 6), round(b, 6)))
    sent = np.concatenate(sent_all)
    order = np.argsort(sent, kind="stable")
    tr.sent = sent[order]
    tr.cum_response = np.concatenate(([0.0], np.cumsum(np.concatenate(resp_all)[order])))
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
    if m.p.agreement.shared_platform and rng.uniform() < m.p.dynamics.platform_self_serve:
        reply = t + SELF_SERVE_HOURS / 24.0
    else:
        cal = m.cal[receiver]
        a = cal.clock(t)
        start = max(a, tr.adhoc_busy[receiver])
        arrive = tr.arrive_w[receiver]
        k = int(np.searchsorted(arrive, a, side="right")) - 1
        if k >= 0:
            start = max(start, float(tr.depart_w[receiver][k]))
        done = start + rng.exponential(m.partners[receiver].responsiveness_hours)
        tr.adhoc_busy[receiver] = done
        reply = cal.unclock(done, at_end=True)
    tr.adhoc_sent.append(t)
    tr.adhoc_hours.append((reply - t) * 24.0)
    m.log("message", sender, round(t, 6), round(reply, 6))
    return reply


def recent_response_hours(m: Model, t: float) -> float:
    """Mean response time (hours) of the last routine messages sent before ``t``."""
    tr = m.traffic
    i = int(np.searchsorted(tr.sent, t, side="right"))
    lo = max(0, i - RECENT_MESSAGES)
    if i == lo:
        return 0.0
    return float(tr.cum_response[i] - tr.cum_response[lo]) / (i - lo)


def response_stats(m: Model, until: float) -> tuple[int, float]:
    """Number of messages sent before ``until`` and the sum of their response hours."""
    tr = m.traffic
    i = int(np.searchsorted(tr.sent, until, side="left"))
    n = i + len(tr.adhoc_sent)
    return n, float(tr.cum_response[i]) + sum(tr.adhoc_hours)
