"""Communication: coordination messages, their latency across time zones, and queueing.

A message from partner ``i`` to partner ``j`` is sent during ``i``'s working hours. It
waits for ``j``'s working hours, then for ``j`` to finish the messages already in its
queue (first come, first served), and takes ``j`` an exponential handling time with mean
``responsiveness_hours`` of working time. With the shared platform, a share
``platform_self_serve`` of messages are answered from the platform's visible status in
a quarter of an hour instead. The reply time is computed when the message is sent (a
Lindley recursion on ``j``'s queue), so a message costs one event, not a process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from partnersim.model.core import Model

__all__ = ["send", "traffic", "SELF_SERVE_HOURS"]

SELF_SERVE_HOURS = 0.25


def send(m: Model, sender: int, t: float) -> float:
    """Send a message from ``sender`` at time ``t``; return when the reply arrives (days).

    Records the response time. Used by background traffic and by decisions and
    conflict resolution, which share the receiver's queue.
    """
    if not m.p.mechanisms.communication:
        return t
    st, c = m.st, m.counts
    receiver = 1 - sender
    rng = m.rng["messages"]
    if m.p.agreement.shared_platform and rng.uniform() < m.p.dynamics.platform_self_serve:
        reply = t + SELF_SERVE_HOURS / 24.0
    else:
        cal = m.cal[receiver]
        start = cal.next_working(t)
        busy = m.busy_until[receiver]
        if busy > start:
            start = busy
        reply = cal.add_working_hours(start, rng.exponential(m.partners[receiver].responsiveness_hours))
        m.busy_until[receiver] = reply
    hours = (reply - t) * 24.0
    c["messages"] += 1
    c["response_hours_sum"] += hours
    st.response_ema = hours if c["messages"] == 1 else 0.9 * st.response_ema + 0.1 * hours
    m.log("message", sender, round(t, 6), round(reply, 6))
    return reply


def traffic(m: Model, sender: int):
    """Background coordination traffic from ``sender``: Poisson in its working time.

    The rate is ``message_rate`` per week, a quarter more for each initiative under
    way. Traffic stops when the partnership ends.
    """
    env = m.env
    cal = m.cal[sender]
    pp = m.partners[sender]
    week_hours = cal.hours_per_day * cal.days
    rng = m.rng["messages"]
    t = env.now
    while m.st.active:
        rate = pp.message_rate * (1.0 + 0.25 * m.st.initiatives_active)
        if rate <= 0.0:
            return
        t = cal.add_working_hours(t, rng.exponential(week_hours / rate))
        if t >= m.horizon:
            return
        yield env.timeout(t - env.now)
        if not m.st.active:
            return
        send(m, sender, t)
