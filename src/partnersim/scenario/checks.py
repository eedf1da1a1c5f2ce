"""Plausibility checks: valid scenarios whose inputs are probably not what was meant.

These are warnings, not errors: the scenario runs as given. The command line prints them
(``partnersim validate``, ``run``, ``compare``, ``report``, ``sweep`` for its base) on standard
error, one line each, naming the file and the field.
"""

from __future__ import annotations

from partnersim.scenario.schema import Partner, Scenario

__all__ = ["plausibility_warnings", "message_load"]


def _week_hours(p: Partner) -> float:
    return max(0.0, p.work_end - p.work_start) * p.working_days


def message_load(scenario: Scenario, receiver: int) -> float:
    """Load of ``receiver``'s message queue (0 = A, 1 = B): arrivals x handling time / working hours.

    The sender's ``message_rate`` (per week; less the share the shared platform answers) times
    the receiver's ``responsiveness_hours`` (working hours per message), over the receiver's
    working hours per week. At 1 or more the queue grows without bound: response times grow
    through the whole run (routine messages only; ad-hoc messages add to it).
    """
    partners = (scenario.partner_a, scenario.partner_b)
    sender, rec = partners[1 - receiver], partners[receiver]
    rate = sender.message_rate
    if scenario.agreement.shared_platform:
        rate *= 1.0 - scenario.dynamics.platform_self_serve
    hours = _week_hours(rec)
    return rate * rec.responsiveness_hours / hours if hours > 0 else float("inf")


def plausibility_warnings(scenario: Scenario) -> list[tuple[str, str]]:
    """``(field, message)`` for each valid but suspicious input of ``scenario``.

    Examples
    --------
    >>> from partnersim.scenario import Scenario, with_changes
    >>> plausibility_warnings(Scenario())
    []
    >>> s = with_changes(Scenario(), {"partner_a.message_rate": 30, "partner_b.responsiveness_hours": 2})
    >>> [f for f, _ in plausibility_warnings(s)]
    ['partner_b.responsiveness_hours']
    """
    out: list[tuple[str, str]] = []
    if scenario.mechanisms.communication:
        names = ("partner_a", "partner_b")
        for r in (0, 1):
            load = message_load(scenario, r)
            if load >= 1.0:
                rec = (scenario.partner_a, scenario.partner_b)[r]
                rate = (scenario.partner_b, scenario.partner_a)[r].message_rate
                out.append((f"{names[r]}.responsiveness_hours",
                            f"{names[r]} gets {rate:g} messages a week from {names[1 - r]} taking "
                            f"{rec.responsiveness_hours:g} working hours each: a load of {load:.2g} of its "
                            f"{_week_hours(rec):g} working hours a week (>= 1), so its replies fall ever "
                            "further behind"))
    ini, rev = scenario.initial, scenario.agreement.review
    if scenario.mechanisms.review and ini.trust < rev.exit_trust_threshold:
        out.append(("initial.trust", f"starts below agreement.review.exit_trust_threshold "
                    f"({ini.trust:g} < {rev.exit_trust_threshold:g}): the partnership ends after "
                    f"{rev.exit_after_days:g} days unless trust recovers"))
    return out
