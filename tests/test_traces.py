"""Exact event traces of small mechanisms, with every other mechanism switched off.

Day 0 is Monday 00:00 UTC. Partner A works 09-17 UTC unless a test says otherwise, so a
meeting hosted by A starts at ``day + 0.375``. Random draws are scripted where they matter
(:class:`conftest.ScriptedStream`): a test states every draw it relies on, and any other
draw fails it.
"""

from __future__ import annotations

import pytest
from conftest import ScriptedStream, kinds, only, scripted_streams

from partnersim.model import Model
from partnersim.model.communication import SELF_SERVE_HOURS, send


def meetings_of(scenario):
    out = Model(scenario, seed=1, trace=True).run()
    return kinds(out.events, "meeting"), out.summary


WEEKLY_ONLY = {
    "agreement__cadence__weekly__enabled": True,
    "agreement__cadence__monthly__enabled": False,
    "agreement__cadence__quarterly__enabled": False,
}


# -- meetings ---------------------------------------------------------------------------------

def test_weekly_meetings_start_at_the_hosts_next_working_time():
    log, summary = meetings_of(only("meetings", horizon_days=30, **WEEKLY_ONLY))
    assert log == [
        (7.375, "meeting", "weekly", 1.0),
        (14.375, "meeting", "weekly", 1.0),
        (21.375, "meeting", "weekly", 1.0),
        (28.375, "meeting", "weekly", 1.0),
    ]
    # one hour, two attendees: 2 staff hours per partner per meeting; both partners count
    assert summary["meetings_held"] == 4
    assert summary["meeting_hours"] == 16.0
    assert (summary["contribution_hours_a"], summary["contribution_hours_b"]) == (8.0, 8.0)


def test_monthly_and_quarterly_meetings_skip_weekends():
    sc = only("meetings", horizon_days=200, agreement__cadence__quarterly__enabled=True)
    log, _ = meetings_of(sc)
    # day 30 is a Wednesday, 60 a Friday, 90 a Sunday (-> Monday 91), 120 a Tuesday,
    # 150 a Thursday, 180 a Saturday (-> Monday 182); quarterly on days 91 and 182 (Mondays)
    assert log == [
        (30.375, "meeting", "monthly", 1.0),
        (60.375, "meeting", "monthly", 1.0),
        (91.375, "meeting", "quarterly", 1.0),
        (91.375, "meeting", "monthly", 1.0),
        (120.375, "meeting", "monthly", 1.0),
        (150.375, "meeting", "monthly", 1.0),
        (182.375, "meeting", "quarterly", 1.0),
        (182.375, "meeting", "monthly", 1.0),
    ]


def test_meetings_without_overlap_are_out_of_hours_for_b_without_rotation():
    sc = only("meetings", horizon_days=30, partner_b__utc_offset=9, **WEEKLY_ONLY)
    log, summary = meetings_of(sc)
    assert log == [(t, "meeting", "weekly", 0.6) for t in (7.375, 14.375, 21.375, 28.375)]
    # hours are hours, but B always joins out of hours: they weigh 1.5 times in its perceived input
    assert (summary["contribution_hours_a"], summary["contribution_hours_b"]) == (8.0, 8.0)
    assert summary["fairness_b"] < summary["fairness_a"] < 1.0


def test_rotated_meetings_alternate_the_burden_not_the_quality():
    sc = only("meetings", horizon_days=30, partner_b__utc_offset=9, agreement__cadence__rotate_times=True,
              **WEEKLY_ONLY)
    log, summary = meetings_of(sc)
    # an out-of-hours meeting is as good (0.6) whoever joins out of hours
    assert log == [(t, "meeting", "weekly", 0.6) for t in (7.375, 14.375, 21.375, 28.375)]
    assert (summary["contribution_hours_a"], summary["contribution_hours_b"]) == (8.0, 8.0)
    # the out-of-hours burden alternates (A, B, A, B): at the end both carried the same, and
    # perceived fairness (which lags the books) is close to 1 for both
    assert min(summary["fairness_a"], summary["fairness_b"]) > 0.97


def test_meeting_quality_depends_on_overlap_against_duration():
    # B at UTC+6 works 03-11 UTC: two hours of overlap with A (09-11 UTC)
    sc = only("meetings", horizon_days=95, partner_b__utc_offset=6, agreement__cadence__monthly__enabled=False,
              agreement__cadence__weekly__enabled=True, agreement__cadence__quarterly__enabled=True)
    log, _ = meetings_of(sc)
    assert [e for e in log if e[2] == "quarterly"] == [(91.375, "meeting", "quarterly", 0.6)]  # 4 h > 2 h
    assert {e[3] for e in log if e[2] == "weekly"} == {1.0}  # 1 h fits



def test_a_skipped_rotated_meeting_takes_no_turn_out_of_hours():
    # B at UTC+6: a 4-hour meeting never fits the 2-hour overlap, so the partners take turns out of hours
    from partnersim.model.meetings import hold_meeting

    sc = only("meetings", "resources", horizon_days=30, partner_b__utc_offset=6,
              agreement__cadence__rotate_times=True)
    m = Model(sc, seed=1, trace=True)
    who = []

    def held(t, hours_b):
        m.env.run(until=t)
        m.hours[1].level, m.hours[1].t = hours_b, t  # B's staff hours now
        before = m.st.burden_hours[:]
        hold_meeting(m, "quarterly", 4.0, 1, 0.1, 0.0, 0.0)
        extra = [m.st.burden_hours[i] - before[i] - 4.0 for i in (0, 1)]  # out of hours: 1.5 x 4 h
        who.append(None if m.counts["meetings"] == len([w for w in who if w is not None]) else extra.index(2.0))

    held(1.0, 10.0)   # held: the first turn out of hours
    held(2.0, 0.0)    # skipped for lack of B's staff hours: no turn taken
    held(3.0, 10.0)   # held: the other partner's turn
    assert who == [0, None, 1]
    assert m.counts["meetings_skipped"] == 1

# -- messages across time zones ------------------------------------------------------------------

def _message_model(**changes):
    sc = only("communication", horizon_days=14, partner_a__message_rate=0, partner_b__message_rate=0, **changes)
    return sc


def _send_at(m, plan):
    """Send ad-hoc messages at given times: plan = [(t, sender), ...]."""

    def proc():
        for t, sender in plan:
            yield m.env.timeout(t - m.env.now)
            send(m, sender, m.env.now)

    m.env.process(proc())
    m.env.run(until=m.horizon)
    return kinds(m.events, "message")


def test_message_from_friday_afternoon_to_a_partner_nine_hours_ahead():
    # B in Tokyo (UTC+9) works 00-08 UTC. A writes on Friday at 16:00 UTC (Saturday 01:00 in
    # Tokyo) and again at 16:30; B answers on Monday 09:00 local = day 7, 00:00 UTC. Handling
    # times (mean 2 working hours) are scripted: 2 h for the first, 1 h for the second, which
    # queues behind it. B's own message on Monday at 01:00 UTC reaches A (09-17 UTC) at 09:00.
    sc = _message_model(partner_b__utc_offset=9)
    # (the self-serve uniform is drawn with or without the platform: common random numbers)
    m = Model(sc, trace=True, streams=scripted_streams(
        messages=ScriptedStream(uniform=[0.5, 0.5, 0.5], exponential=[1.0, 0.5, 1.0])))
    log = _send_at(m, [(4 + 16 / 24, 0), (4 + 16.5 / 24, 0), (7 + 1 / 24, 1)])
    assert log == [
        (4.666667, "message", 0, 4.666667, 7.083333),  # Fri 16:00 -> Mon 02:00 UTC
        (4.6875, "message", 0, 4.6875, 7.125),  # Fri 16:30 -> Mon 03:00 UTC (queued)
        (7.041667, "message", 1, 7.041667, 7.458333),  # Mon 01:00 -> Mon 11:00 UTC
    ]


def test_message_handling_runs_over_the_receivers_night():
    # same zone; a 3-hour answer to a message sent at 15:00 finishes at 10:00 the next day
    sc = _message_model()
    m = Model(sc, trace=True, streams=scripted_streams(messages=ScriptedStream(uniform=[0.5], exponential=[1.5])))
    assert _send_at(m, [(2 + 15 / 24, 1)]) == [(2.625, "message", 1, 2.625, 3.416667)]


def test_shared_platform_answers_some_messages_at_once():
    sc = _message_model(partner_b__utc_offset=9, agreement__shared_platform=True)
    # first message: self-served (uniform 0.1 < 0.4); second: waits for Tokyo (0.9)
    m = Model(sc, trace=True,
              streams=scripted_streams(messages=ScriptedStream(uniform=[0.1, 0.9], exponential=[1.0])))
    log = _send_at(m, [(4 + 16 / 24, 0), (4 + 17 / 24, 0)])
    assert log == [
        (4.666667, "message", 0, 4.666667, round(4 + 16 / 24 + SELF_SERVE_HOURS / 24, 6)),
        (4.708333, "message", 0, 4.708333, 7.083333),
    ]


def test_no_communication_means_instant_replies():
    sc = only(horizon_days=14)
    m = Model(sc, trace=True, streams=scripted_streams())
    assert send(m, 0, 4.5) == 4.5
    assert m.events == []


# -- conflicts -----------------------------------------------------------------------------------------

# One conflict planned at day 0: a Poisson count of 1 (exponential gaps 0 then 100), a delay of
# 0.5 x 7 days, a severity of 0.2 + 0.8 x 0.5 (0.6, softened by co-ownership framing to
# 0.6 x (1 - 0.3 x 0.5) = 0.51), a flare-up after 0.2 x 45 days; every later week draws a first
# gap of 100, that is no conflict. Its source and how it is resolved come from the `sources`
# stream (scripted_streams: misalignment, on interests).
def one_conflict():
    return ScriptedStream(uniform=[0.5, 0.5], exponential=[0.0, 100.0, 0.2], default_exponential=100.0)


def test_conflict_flares_up_escalates_and_a_facilitator_resolves_it():
    sc = only("conflicts", horizon_days=100, agreement__conflict__facilitator=True,
              agreement__conflict__escalate_after_days=45, agreement__conflict__facilitator_days=10)
    # talks would take 100 x the mean (beyond the horizon); the facilitator takes 0.5 x 10 days
    streams = scripted_streams(conflicts=one_conflict(), resolution=ScriptedStream(exponential=[100.0, 0.5]))
    out = Model(sc, trace=True, streams=streams).run()
    assert kinds(out.events, "conflict_arises", "conflict_surfaces", "conflict_escalates", "conflict_resolved",
                 "pay") == [
        (3.5, "conflict_arises", 0, 0.51),
        (12.5, "conflict_surfaces", 0, "flare"),
        (57.5, "conflict_escalates", 0),
        (57.5, "pay", "facilitator", 3000.0, 0.5),
        (62.5, "conflict_resolved", 0, "facilitator"),
    ]
    s = out.summary
    assert (s["conflicts_raised"], s["flare_ups"], s["escalations"], s["conflicts_resolved"]) == (1, 1, 1, 1)
    assert s["mean_resolution_days"] == pytest.approx(62.5 - 3.5)
    assert s["facilitator_spend"] == 3000.0
    assert s["resolved_within_target"] == 0  # escalated conflicts never count as resolved in time
    # the open conflict (from its arising) is the only one, for 59 of 100 days
    assert s["mean_open_conflicts"] == pytest.approx(59 / 100)


def test_escalated_conflict_without_facilitator_stays_open():
    sc = only("conflicts", horizon_days=100)
    streams = scripted_streams(conflicts=one_conflict(), resolution=ScriptedStream(exponential=[100.0]))
    out = Model(sc, trace=True, streams=streams).run()
    assert kinds(out.events, "conflict_escalates", "conflict_resolved", "pay") == [(57.5, "conflict_escalates", 0)]
    assert (out.summary["escalations"], out.summary["conflicts_resolved"], out.summary["unresolved_at_end"]) == (
        1, 0, 1)


def test_meeting_surfaces_a_latent_conflict_and_the_next_one_settles_it():
    sc = only("conflicts", "meetings", horizon_days=30, **WEEKLY_ONLY)
    # meeting on day 7: surfaces it (0.1 < 0.5), does not settle it (0.9 >= 0.25);
    # meeting on day 14: settles it (0.1 < 0.25). Talks alone would take 100 x the mean.
    streams = scripted_streams(conflicts=one_conflict(), meetings=ScriptedStream(uniform=[0.1, 0.9, 0.1]),
                               resolution=ScriptedStream(exponential=[100.0]))
    out = Model(sc, trace=True, streams=streams).run()
    assert kinds(out.events, "meeting", "conflict_arises", "conflict_surfaces", "conflict_escalates",
                 "conflict_resolved") == [
        (3.5, "conflict_arises", 0, 0.51),
        (7.375, "meeting", "weekly", 1.0),
        (7.375, "conflict_surfaces", 0, "meeting"),
        (14.375, "meeting", "weekly", 1.0),
        (14.375, "conflict_resolved", 0, "meeting"),
        (21.375, "meeting", "weekly", 1.0),
        (28.375, "meeting", "weekly", 1.0),
    ]
    s = out.summary
    assert s["conflicts_surfaced_at_meetings"] == 1
    assert s["resolved_within_target"] == 1
    assert s["flare_ups"] == 0  # the flare-up planned for day 12.5 found it surfaced
    assert s["mean_resolution_days"] == pytest.approx(14.375 - 3.5)


def test_talks_resolve_a_conflict_within_target_and_build_trust():
    sc = only("conflicts", horizon_days=60)
    # surfaced by flaring up on day 12.5, resolved by talks 0.1 x mean later
    streams = scripted_streams(conflicts=one_conflict(), resolution=ScriptedStream(exponential=[0.1]))
    m = Model(sc, trace=True, streams=streams)
    out = m.run()
    log = kinds(out.events, "conflict_surfaces", "conflict_resolved")
    assert [e[1:] for e in log] == [("conflict_surfaces", 0, "flare"), ("conflict_resolved", 0, "talks")]
    assert log[0][0] == 12.5
    assert 12.5 < log[1][0] < 12.5 + 20  # within the default target (resolution_days)
    assert out.summary["resolved_within_target"] == 1
