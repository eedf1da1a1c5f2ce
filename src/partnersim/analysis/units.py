"""Numbers and names for people: units, formatting, plain-language metric names.

The pieces :mod:`partnersim.analysis.reading` builds its sentences from, and what the tables of
the command line, the report and the apps use: shares as percentages, 0-1 scores out of 100,
money in the scenario's ``currency``, times in days or hours, periods in months.

Examples
--------
>>> format_value(0.934, "0/1"), format_value(0.62, "0..1"), format_value(515047.2, "currency", "EUR")
('93.4%', '62/100', 'EUR 515,047')
>>> format_change(0.07, "0/1"), format_change(-118180, "currency", "$"), format_change(2.5, "days")
('+7 percentage points', '-$118,180', '+2.5 days')
"""

from __future__ import annotations

import math
from typing import Any

from partnersim.model import METRICS

__all__ = [
    "DAYS_PER_MONTH",
    "DERIVED_METRICS",
    "METRIC_LABELS",
    "SHORT_LABELS",
    "currency_of",
    "display_name",
    "format_change",
    "format_change_range",
    "format_number",
    "format_range",
    "format_value",
    "human_unit",
    "metric_label",
    "metric_unit",
    "money_text",
    "months_text",
    "partner_names",
    "short_label",
]

DAYS_PER_MONTH = 365.25 / 12

DERIVED_METRICS: dict[str, tuple[str, str]] = {
    "days_together": ("days", "Days the partnership lasted, counting the whole period for one still together at "
                      "the end (its mean is the restricted mean survival time up to the horizon)."),
}

#: What matters to a partnership, most important first: the order of findings and of the main tables.
METRIC_LABELS: dict[str, str] = {
    "joint_revenue": "joint revenue",
    "revenue_growth_a": "{A}'s annual revenue growth",
    "revenue_growth_b": "{B}'s annual revenue growth",
    "survived": "the chance that the partnership survives",
    "exit_day": "the day a failing partnership ends (those that ended only)",
    "days_together": "the time the partnership lasts (average, up to the end of the period)",
    "conflicts_raised": "the number of conflicts",
    "conflicts_resolved": "the number of conflicts resolved",
    "escalations": "the number of escalations",
    "mean_resolution_days": "the time to resolve a conflict",
    "mean_open_conflicts": "the number of open conflicts at a time",
    "mean_response_hours": "the time to answer a message",
    "mean_decision_days": "the time to decide on an opportunity",
    "final_trust": "final trust",
    "final_alignment": "final alignment",
    "fairness_a": "{A}'s perceived fairness",
    "fairness_b": "{B}'s perceived fairness",
    "meeting_hours": "time spent in meetings",
    "initiatives_started": "the number of joint initiatives started",
    "initiatives_completed": "the number of joint initiatives completed",
    "customer_satisfaction": "customer satisfaction",
    "team_satisfaction": "team satisfaction",
    "revenue_uplift_a": "{A}'s revenue gain over going it alone",
    "revenue_uplift_b": "{B}'s revenue gain over going it alone",
    "exit_by_trust": "the chance of a break-up over lost trust",
    "exit_by_outgrowth": "the chance of a break-up because one partner outgrew the other",
    "renegotiations": "the number of renegotiations",
    "conflicts_surfaced_at_meetings": "the number of conflicts caught at meetings",
    "flare_ups": "the number of conflicts that flared up",
    "resolved_within_target": "the number of conflicts resolved in time",
    "unresolved_at_end": "the number of conflicts open at the end",
    "mean_trust": "average trust",
    "mean_alignment": "average alignment",
    "min_fairness": "the less satisfied partner's perceived fairness",
    "messages": "the number of messages",
    "decisions": "the number of decisions",
    "opportunities": "the number of opportunities",
    "opportunities_lost": "the number of opportunities lost to slow decisions",
    "initiatives_failed": "the number of failed initiatives",
    "milestones_missed": "the number of late milestones",
    "on_time_rate": "the share of milestones on time",
    "contribution_money_a": "{A}'s money contribution",
    "contribution_money_b": "{B}'s money contribution",
    "contribution_hours_a": "{A}'s staff-hour contribution",
    "contribution_hours_b": "{B}'s staff-hour contribution",
    "spending": "partnership spending",
    "fund_balance": "the partnership fund at the end",
    "facilitator_spend": "spending on facilitators",
    "meetings_held": "the number of meetings",
    "informal_interactions": "the number of informal contacts",
    "market_shifts": "the number of market shifts",
    "depth_reached": "the depth the partnership reaches",
}

#: Short names for tables; ``{A}`` and ``{B}`` stand for the partners' names.
SHORT_LABELS: dict[str, str] = {
    "survived": "Still together at the end", "days_together": "Days together (average)",
    "joint_revenue": "Joint revenue over the period", "revenue_growth_a": "{A}'s revenue growth",
    "revenue_growth_b": "{B}'s revenue growth", "final_trust": "Trust at the end",
    "final_alignment": "Alignment at the end", "fairness_a": "{A}'s sense of fairness",
    "fairness_b": "{B}'s sense of fairness", "conflicts_raised": "Conflicts", "escalations": "Escalated conflicts",
    "mean_open_conflicts": "Conflicts open at a time", "mean_resolution_days": "Time to resolve a conflict",
    "mean_decision_days": "Time to decide on an opportunity", "mean_response_hours": "Time to answer a message",
    "customer_satisfaction": "Customer satisfaction", "team_satisfaction": "Team satisfaction",
    "initiatives_completed": "Joint initiatives completed", "initiatives_started": "Joint initiatives started",
    "meeting_hours": "Meeting time (both partners)", "min_fairness": "Fairness of the less satisfied partner",
    "contribution_money_a": "{A}'s money put in", "contribution_money_b": "{B}'s money put in",
    "facilitator_spend": "Spent on facilitators", "exit_day": "Day of a break-up (those that ended)",
    "conflicts_resolved": "Conflicts resolved",
}

_HUNDRED = ("0/1", "fraction", "1/year", "0..1")  # shown times 100
# -- names and numbers ------------------------------------------------------------------
def metric_label(metric: str, partners: tuple[str, str] | None = None, *, capitalize: bool = False) -> str:
    """A plain-language name for a metric, with the partners' names filled in.

    Examples
    --------
    >>> metric_label("fairness_b", capitalize=True)
    "Partner B's perceived fairness"
    >>> metric_label("fairness_b", ("Large Co", "Small Co"))
    "Small Co's perceived fairness"
    """
    a, b = partners or ("partner A", "partner B")
    text = METRIC_LABELS.get(metric, metric.replace("_", " ")).format(A=a, B=b)
    return text[:1].upper() + text[1:] if capitalize else text


def short_label(metric: str, partners: tuple[str, str] | None = None) -> str:
    """A short name for a table row (:data:`SHORT_LABELS`, else :func:`metric_label`), capitalized.

    Examples
    --------
    >>> short_label("fairness_a", ("Large Co", "Small Co"))
    "Large Co's sense of fairness"
    """
    if metric not in SHORT_LABELS:
        return metric_label(metric, partners, capitalize=True)
    a, b = partners or ("partner A", "partner B")
    text = SHORT_LABELS[metric].format(A=a, B=b)
    return text[:1].upper() + text[1:]


def metric_unit(metric: str) -> str:
    """The unit of a metric of :data:`partnersim.model.METRICS` or :data:`DERIVED_METRICS`."""
    return (METRICS.get(metric) or DERIVED_METRICS.get(metric) or ("", ""))[0]


def partner_names(*scenarios: Any) -> tuple[str, str]:
    """The partners' names if every scenario agrees on them (and they are real names)."""
    names = {(s.partner_a.name, s.partner_b.name) for s in scenarios}
    if len(names) == 1:
        a, b = names.pop()
        if a and b and a != b and (a, b) != ("A", "B"):
            return (a, b)
    return ("partner A", "partner B")


def display_name(name: str) -> str:
    """A scenario's name as people read it: ``funding_equal_3to1`` -> ``Funding equal 3:1``.

    Examples
    --------
    >>> display_name("funding_equal_3to1"), display_name("Weekly check-ins")
    ('Funding equal 3:1', 'Weekly check-ins')
    """
    import re

    text = re.sub(r"(\d)to(\d)", r"\1:\2", name.replace("_", " ")).strip() if "_" in name else name.strip()
    return text[:1].upper() + text[1:]


def currency_of(*scenarios: Any) -> str:
    """The scenarios' currency when they agree on one, else ``""`` (plain numbers)."""
    found = {str(getattr(s, "currency", "") or "") for s in scenarios}
    return found.pop() if len(found) == 1 else ""


def format_number(x: float) -> str:
    """A number for people: thousands separated, about three significant digits.

    Examples
    --------
    >>> [format_number(v) for v in (123456.7, 12.345, 0.21345, -3.0)]
    ['123,457', '12.3', '0.213', '-3']
    """
    if not math.isfinite(x):
        return "n/a"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}".removesuffix(".0")
    return f"{x:.3g}"


def human_unit(unit: str, currency: str = "") -> str:
    """The unit as people read it next to a number (``""`` for counts and plain money).

    Examples
    --------
    >>> [human_unit(u) for u in ("0/1", "1/year", "0..1", "staff hours", "count")]
    ['%', '% a year', 'out of 100', 'staff hours', '']
    """
    return {"0/1": "%", "fraction": "%", "1/year": "% a year", "0..1": "out of 100", "0..2": "stage 0 to 2",
            "currency": currency, "currency/year": f"{currency} a year".strip(), "count": ""}.get(unit, unit)


def money_text(text: str, currency: str) -> str:
    """A formatted amount with the currency in front (``EUR 1,200``, ``$1,200``; as is without one)."""
    if not currency:
        return text
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    return f"{sign}{currency}{digits}" if len(currency) == 1 else f"{sign}{currency} {digits}"


def format_value(x: float, unit: str, currency: str = "") -> str:
    """A value with its unit, for people: ``93%``, ``62/100``, ``EUR 515,047``, ``12.3 days``.

    Examples
    --------
    >>> format_value(0.112, "1/year"), format_value(12.34, "days"), format_value(4.0, "count")
    ('11.2% a year', '12.3 days', '4')
    """
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    x = float(x)
    if unit in ("0/1", "fraction"):
        return f"{format_number(100 * x)}%"
    if unit == "1/year":
        return f"{format_number(100 * x)}% a year"
    if unit == "0..1":
        return f"{100 * x:.0f}/100" if abs(x) >= 0.1 else f"{format_number(100 * x)}/100"
    if unit.startswith("currency"):
        return money_text(format_number(x), currency) + (" a year" if unit == "currency/year" else "")
    word = human_unit(unit, currency)
    return f"{format_number(x)} {word}".strip()


def months_text(days: float) -> str:
    """A simulated period in months, as people say it: ``36 months``, ``4 months``, ``1.5 months``.

    Examples
    --------
    >>> months_text(1095), months_text(120), months_text(45)
    ('36 months', '4 months', '1.5 months')
    """
    m = days / DAYS_PER_MONTH
    text = f"{m:.0f}" if m >= 3 else f"{m:.1f}".removesuffix(".0")
    return f"{text} month{'' if text == '1' else 's'}"


def format_range(lo: float, hi: float, unit: str, currency: str = "") -> str:
    """An interval in human units, the unit said once where it follows the numbers.

    Examples
    --------
    >>> format_range(1047, 1097, "days"), format_range(0.43, 0.49, "0..1"), format_range(1e5, 2e5, "currency", "EUR")
    ('1,047 to 1,097 days', '43 to 49/100', 'EUR 100,000 to 200,000')
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    a, b = format_value(lo, unit, currency), format_value(hi, unit, currency)
    if unit in ("0/1", "fraction"):
        return f"{a} to {b}"
    if unit == "1/year":
        return f"{a.removesuffix(' a year')} to {b}"
    if unit == "0..1":
        return f"{a.removesuffix('/100')} to {b}"
    if unit.startswith("currency") and currency:
        return f"{a} to {b.replace(currency, '', 1).strip()}"
    word = human_unit(unit, currency)
    if word and a.endswith(" " + word):
        return f"{a.removesuffix(' ' + word)} to {b}"
    return f"{a} to {b}"


def format_change_range(lo: float, hi: float, unit: str, currency: str = "") -> str:
    """The interval of a difference, signed, the unit said once: ``+0.3 to +19.7 pts``.

    Examples
    --------
    >>> format_change_range(-0.0228, 0.477, "0/1"), format_change_range(-5.2, -1.6, "days")
    ('-2.28 to +47.7 pts', '-5.2 to -1.6 days')
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    a, b = format_change(lo, unit, currency, short=True), format_change(hi, unit, currency, short=True)
    tail = b[len(b.rstrip("abcdefghijklmnopqrstuvwxyz ")):] if not unit.startswith("currency") else ""
    return f"{a.removesuffix(tail)} to {b}" if tail.strip() else f"{a} to {b}"


def format_change(d: float, unit: str, currency: str = "", *, sign: bool = True, short: bool = False) -> str:
    """A difference with its unit: ``+7 percentage points``, ``-EUR 1,200``, ``+6 points`` (of 100).

    ``short`` writes ``pts`` for percentage points.

    Examples
    --------
    >>> format_change(0.37, "0..1"), format_change(-0.012, "1/year", short=True), format_change(3, "count")
    ('+37 points', '-1.2 pts', '+3')
    """
    if d is None or not math.isfinite(float(d)):
        return "n/a"
    d = float(d)
    plus = "+" if sign and d > 0 else ""
    if unit in _HUNDRED:
        word = "pts" if short else ("points" if unit == "0..1" else "percentage points")
        return f"{plus}{format_number(100 * d)} {word}"
    if unit.startswith("currency"):
        return plus + money_text(format_number(d), currency)
    word = human_unit(unit, currency)
    return f"{plus}{format_number(d)} {word}".strip()
