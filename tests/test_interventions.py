"""Interventions and policies: exact traces, bit-for-bit equivalences, common random numbers, bad input.

Day 0 is Monday 00:00 UTC; partner A works 09-17 UTC, so a meeting hosted by A starts at
``day + 0.375`` (see test_traces.py).
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
from conftest import ScriptedStream, kinds, only, scripted_streams

from partnersim import intervene, load_scenario, simulate, with_changes
from partnersim.analysis.interventions import effect_over_time, parse_grid, too_late, vary_item
from partnersim.cli import main as cli_main
from partnersim.model import METRICS, Model
from partnersim.scenario import InputError, Scenario, leaf_fields, scenario_from_dict
from partnersim.scenario.interventions import FIXED, fixed_reason

WEEKLY = "agreement.cadence.weekly.enabled"
MONTH = 30.4375


def with_items(sc: Scenario, interventions=(), policies=()) -> Scenario:
    data = sc.model_dump()
    data["interventions"] = list(interventions)
    data["policies"] = list(policies)
    return scenario_from_dict(data, "test")


def same_run(r1, r2) -> bool:
    """Bit for bit: every metric of METRICS (NaN equal to NaN) and the whole weekly series."""
    s1, s2 = r1.summary, r2.summary
    return np.array_equal(r1.series, r2.series, equal_nan=True) and all(
        s1[m] == s2[m] or (math.isnan(s1[m]) and math.isnan(s2[m])) for m in METRICS)


SHORT = {"horizon_days": 730.0}


# -- exact traces ---------------------------------------------------------------------------------

def test_weekly_check_ins_from_day_30_start_then_and_not_before():
    sc = only("meetings", horizon_days=60, agreement__cadence__monthly__enabled=False)
    sc = with_items(sc, [{"day": 30.0, "changes": {WEEKLY: True}}])
    out = Model(sc, seed=1, trace=True).run()
    assert kinds(out.events, "meeting", "intervention") == [
        (30.0, "intervention", "interventions.0"),
        (37.375, "meeting", "weekly", 1.0),
        (44.375, "meeting", "weekly", 1.0),
        (51.375, "meeting", "weekly", 1.0),
        (58.375, "meeting", "weekly", 1.0),
    ]
    assert out.summary["fired_day.interventions.0"] == 30.0
    assert out.summary["fired_count.interventions.0"] == 1.0


def test_a_cadence_switched_off_mid_run_holds_no_more_meetings():
    sc = only("meetings", horizon_days=200)  # monthly reviews on days 30, 60, 90, ...
    sc = with_items(sc, [{"name": "stop", "day": 75.0, "changes": {"agreement.cadence.monthly.enabled": False}}])
    out = Model(sc, seed=1, trace=True).run()
    assert kinds(out.events, "meeting", "intervention") == [
        (30.375, "meeting", "monthly", 1.0),
        (60.375, "meeting", "monthly", 1.0),
        (75.0, "intervention", "stop"),
    ]


def test_an_interval_changed_mid_run_counts_from_the_last_meeting():
    sc = only("meetings", horizon_days=40, agreement__cadence__monthly__enabled=False, **{
        "agreement__cadence__weekly__enabled": True})
    sc = with_items(sc, [{"day": 10.0, "changes": {"agreement.cadence.weekly.interval_days": 14.0}}])
    out = Model(sc, seed=1, trace=True).run()
    # the meeting already scheduled (day 14) is held; the next one 14 days after it
    assert kinds(out.events, "meeting") == [(7.375, "meeting", "weekly", 1.0), (14.375, "meeting", "weekly", 1.0),
                                            (28.375, "meeting", "weekly", 1.0)]


def test_two_interventions_on_the_same_day_apply_in_file_order_before_other_events():
    sc = only("meetings", horizon_days=40, agreement__cadence__monthly__enabled=False)
    sc = with_items(sc, [{"name": "on", "day": 14.0, "changes": {WEEKLY: True}},
                         {"name": "off", "day": 14.0, "changes": {WEEKLY: False}},
                         {"name": "again", "day": 21.0, "changes": {WEEKLY: True}}])
    out = Model(sc, seed=1, trace=True).run()
    assert kinds(out.events, "meeting", "intervention") == [
        (14.0, "intervention", "on"), (14.0, "intervention", "off"), (21.0, "intervention", "again"),
        (28.375, "meeting", "weekly", 1.0), (35.375, "meeting", "weekly", 1.0)]


# -- bit for bit ----------------------------------------------------------------------------------

CHANGES = {WEEKLY: True, "agreement.conflict.facilitator": True, "dynamics.fit_spread": 0.8,
           "dynamics.perception_bias": 0.3, "market.opportunity_value": 30000.0}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_intervention_at_day_0_is_the_changed_scenario_from_the_start(seed):
    base = with_changes(load_scenario("baseline"), SHORT)
    at0 = with_items(base, [{"day": 0.0, "changes": CHANGES}])
    r = simulate(at0, seed)
    assert same_run(r, simulate(with_changes(base, CHANGES), seed))
    assert r.summary["fired_day.interventions.0"] == 0.0
    assert not same_run(r, simulate(base, seed))  # (it changed something)


@pytest.mark.parametrize("seed", [0, 1])
def test_an_intervention_at_or_after_the_horizon_is_the_unchanged_scenario(seed):
    base = with_changes(load_scenario("baseline"), SHORT)
    for day in (730.0, 5000.0):
        r = simulate(with_items(base, [{"day": day, "changes": CHANGES}]), seed)
        assert same_run(r, simulate(base, seed))
        assert math.isnan(r.summary["fired_day.interventions.0"])
        assert r.summary["fired_count.interventions.0"] == 0.0


def test_a_policy_that_never_fires_is_the_unchanged_scenario():
    base = with_changes(load_scenario("baseline"), SHORT)
    never = with_items(base, policies=[{"when": {"state": "trust", "below": 0.0}, "changes": CHANGES}])
    assert same_run(simulate(never, 3), simulate(base, 3))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_runs_of_a_pair_are_identical_up_to_the_intervention_day(seed):
    base = with_changes(load_scenario("baseline"), SHORT)
    day = 6 * MONTH
    b = intervene(base, CHANGES, month=6)
    ra, rb = simulate(base, seed), simulate(b, seed)
    before = ra.series[:, 0] <= day
    assert before.sum() == 27  # weeks 0..26
    assert np.array_equal(ra.series[before], rb.series[before])
    assert not np.array_equal(ra.series[~before], rb.series[~before])
    assert rb.summary["fired_day.interventions.0"] == day


# -- policies -------------------------------------------------------------------------------------

def one_conflict():
    # one conflict planned at day 0 (arises day 3.5, flares up day 12.5, escalates day 57.5: test_traces.py)
    return ScriptedStream(uniform=[0.5, 0.5], exponential=[0.0, 100.0, 0.2], default_exponential=100.0)


@pytest.mark.parametrize(("delay", "applied"), [(0.0, 57.5), (5.0, 62.5)])
def test_a_policy_on_an_escalation_fires_right_after_it_or_its_delay_later(delay, applied):
    sc = only("conflicts", horizon_days=100, agreement__conflict__escalate_after_days=45)
    sc = with_items(sc, policies=[{"name": "fac", "when": {"event": "escalations", "count": 1},
                                   "changes": {"agreement.conflict.facilitator": True}, "delay_days": delay}])
    streams = scripted_streams(conflicts=one_conflict(), resolution=ScriptedStream(exponential=[100.0]))
    out = Model(sc, trace=True, streams=streams).run()
    assert kinds(out.events, "conflict_escalates", "policy_triggered", "policy", "pay") == [
        (57.5, "conflict_escalates", 0), (57.5, "policy_triggered", "fac"), (applied, "policy", "fac")]
    # the escalation that triggered it had no facilitator (nothing was paid): the change came after it
    assert out.summary["facilitator_spend"] == 0.0
    assert (out.summary["fired_day.fac"], out.summary["fired_count.fac"]) == (applied, 1.0)


def _trust_series(sc):
    out = Model(sc, seed=1).run()
    return out.series[:, 0], out.series[:, 1]


def test_a_state_policy_fires_at_the_first_weekly_tick_where_its_condition_holds():
    # nothing but the slow dynamics: trust relaxes from 0.9 toward earned trust, deterministically
    sc = only(horizon_days=365, initial__trust=0.9)
    days, trust = _trust_series(sc)
    first = float(days[np.argmax(trust < 0.8)])
    assert trust[0] >= 0.8 and 0 < first < 365
    once = with_items(sc, policies=[{"name": "p", "when": {"state": "trust", "below": 0.8},
                                     "changes": {"agreement.goal_clarity": 0.9}}])
    out = Model(once, seed=1, trace=True).run()
    assert kinds(out.events, "policy_triggered", "policy") == [(first, "policy_triggered", "p"), (first, "policy", "p")]
    # the change is made at the tick: the rows up to it are the unchanged run's
    upto = days <= first
    assert np.array_equal(out.series[upto], Model(sc, seed=1).run().series[upto])


def test_a_repeated_policy_respects_its_minimum_gap_and_a_delay_comes_after_the_trigger():
    sc = only(horizon_days=365, initial__trust=0.9)
    days, trust = _trust_series(sc)
    first = float(days[np.argmax(trust < 0.8)])
    assert (trust[days >= first] < 0.8).all()  # (it stays below: the rule holds at every tick from then on)
    rep = with_items(sc, policies=[{"name": "r", "when": {"state": "trust", "below": 0.8}, "once": False,
                                    "min_gap_days": 28.0, "delay_days": 3.0,
                                    "changes": {"agreement.co_ownership": 0.2}}])
    out = Model(rep, seed=1, trace=True).run()
    trig = [e[0] for e in kinds(out.events, "policy_triggered")]
    applied = [e[0] for e in kinds(out.events, "policy")]
    expected = [first + 28.0 * k for k in range(20) if first + 28.0 * k < 365]
    assert trig == expected
    assert applied == [t + 3.0 for t in expected if t + 3.0 < 365]
    assert out.summary["fired_day.r"] == first + 3.0
    assert out.summary["fired_count.r"] == len(applied)


def test_a_policy_at_the_first_renegotiation_fires_right_after_it():
    sc = with_changes(load_scenario("funding_equal_3to1"), {"horizon_days": 730.0,
                                                            "agreement.review.outgrow_factor": 1.2})
    sc = with_items(sc, policies=[{"name": "after", "when": {"event": "renegotiations"},
                                   "changes": {"agreement.conflict.procedure": True}}])
    for seed in (0, 2, 4):  # seeds whose first renegotiation is on day 546, 364, 182
        r = simulate(sc, seed, trace=True)
        first = kinds(r.events, "renegotiation")[0][0]
        assert kinds(r.events, "policy")[0] == (first, "policy", "after")
        assert r.summary["fired_day.after"] == first


def test_revenue_ratio_policy_fires_when_one_partner_outgrows_the_other():
    sc = only("core_noise", horizon_days=730, partner_a__growth_rate=0.4, partner_b__growth_rate=0.0,
              partner_a__revenue_volatility=0.0, partner_b__revenue_volatility=0.0)
    sc = with_items(sc, policies=[{"name": "rr", "when": {"revenue_ratio": 1.5},
                                   "changes": {"agreement.co_ownership": 0.2}}])
    r = Model(sc, seed=1, trace=True).run()
    # A's revenue grows by exp(0.4 t): 1.5 reached at t = ln(1.5) / 0.4 years = 370.1 days, the tick of day 371
    assert kinds(r.events, "policy") == [(371.0, "policy", "rr")]


# -- input ---------------------------------------------------------------------------------------

def test_old_scenarios_load_and_the_lists_are_not_leaf_fields():
    s = load_scenario("baseline")
    assert s.interventions == () and s.policies == ()
    assert not any(p.startswith(("interventions", "policies")) for p in leaf_fields())


def test_every_fixed_path_names_a_field():
    leaves = set(leaf_fields())
    for key in FIXED:
        assert key in leaves or any(p.startswith(key) for p in leaves) or key in ("interventions", "policies"), key
    assert fixed_reason("initial.trust") == "the state at day 0"
    assert fixed_reason(WEEKLY) is None


def test_the_json_schema_documents_interventions_and_policies(capsys):
    assert cli_main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    props = schema["properties"]
    assert "interventions" in props and "policies" in props
    text = json.dumps(schema)
    assert "within_days" in text and "revenue_ratio" in text and "delay_days" in text


BAD = [
    ('[[interventions]]\nday = 10\nchanges = { "horizon_days" = 100.0 }\n',
     "interventions.0.changes: 'horizon_days' cannot change mid-run"),
    ('[[interventions]]\nday = 10\nchanges = { "partner_a.message_rate" = 9.0 }\n',
     "'partner_a.message_rate' cannot change mid-run (routine messages are planned"),
    ('[[interventions]]\nday = 10\nchanges = { "mechanisms.conflicts" = false }\n', "mechanism switch"),
    ('[[interventions]]\nday = 10\nchanges = { "agreement.cadence.weekly.enabld" = true }\n',
     "did you mean 'agreement.cadence.weekly.enabled'"),
    ('[[interventions]]\nday = 10\nchanges = { "agreement.cadence.weekly.interval_days" = 0.5 }\n',
     "interventions.0.changes: agreement.cadence.weekly.interval_days: input should be greater than or equal to 1"),
    ('[[interventions]]\nday = 10\nmonth = 2\nchanges = { "agreement.co_ownership" = 0.5 }\n',
     "exactly one of day or month"),
    ('[[interventions]]\nday = -1\nchanges = { "agreement.co_ownership" = 0.5 }\n', "interventions.0.day"),
    ('[[policies]]\nwhen = { state = "trust" }\nchanges = { "agreement.co_ownership" = 0.5 }\n',
     "policies.0.when: state = 'trust' needs exactly one of below or above"),
    ('[[policies]]\nwhen = { event = "escalation", count = 2 }\nchanges = { "agreement.co_ownership" = 0.5 }\n',
     "policies.0.when.event"),
    ('[[policies]]\nwhen = { state = "trust", below = 0.5, count = 2 }\nchanges = { "agreement.co_ownership" = 0.5 }\n',
     "count and within_days go with event"),
    ('[[policies]]\nwhen = { revenue_ratio = 1.5 }\nmin_gap_days = 30\nchanges = { "agreement.co_ownership" = 0.5 }\n',
     "min_gap_days goes with once = false"),
    ('[[policies]]\nwhen = { revenue_ratio = 1.5 }\nchanges = { "agreement.co_ownership" = 0.5 }\ncode = "import os"\n',
     "policies.0.code: unknown key"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m[:30] for _, m in BAD])
def test_bad_interventions_are_exit_2_with_one_line_naming_file_and_field(tmp_path, capsys, text, message):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    assert cli_main(["validate", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(f) in err and message in err, err


def test_bad_command_line_interventions_are_exit_2_with_one_line(capsys):
    cases = [
        (["compare", "baseline", "--from-month", "6"], "give at least one --set"),
        (["compare", "baseline", "--set", "initial.trust=0.2"], "--set: interventions.0.changes: 'initial.trust'"),
        (["compare", "baseline", "baseline", "--set", "agreement.co_ownership=0.5"], "not both"),
        (["compare", "baseline", "--set", "agreement.co_ownership"], "must be PATH=VALUE"),
        (["compare", "baseline"], "give scenario B"),
        (["too-late", "baseline", "--set", "agreement.co_ownership=0.5", "--months", "0:x:3"], "--months: must be"),
        (["too-late", "baseline", "--months", "0:12:3"], "--set: give the changes"),
        (["too-late", "baseline", "--vary", "policies.0.when.below", "--values", "0.3,0.5"], "no policie"),
    ]
    for argv, message in cases:
        assert cli_main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, (argv, err)


def test_a_scenario_file_with_interventions_round_trips(tmp_path):
    from partnersim.scenario import save_scenario

    sc = with_items(load_scenario("baseline"), [{"name": "checkins", "month": 6, "changes": {WEEKLY: True}}],
                    [{"when": {"event": "escalations", "count": 2, "within_days": 90},
                      "changes": {"agreement.conflict.facilitator": True}, "delay_days": 14}])
    assert load_scenario(save_scenario(sc, tmp_path / "s.toml")) == sc
    assert load_scenario(save_scenario(sc, tmp_path / "full.toml", full=True)) == sc  # (sweeps save the base so)


# -- paths, comparisons, "too late" ---------------------------------------------------------------

def test_dotted_paths_address_interventions_by_index_or_name():
    sc = with_items(load_scenario("baseline"), [{"name": "checkins", "month": 6, "changes": {WEEKLY: True}}],
                    [{"when": {"state": "trust", "below": 0.5}, "changes": {"agreement.conflict.facilitator": True}}])
    t = with_changes(sc, {"interventions.checkins.month": 9, "policies.0.when.below": 0.4,
                          "interventions.0.changes.agreement.cadence.weekly.interval_days": 14})
    assert (t.interventions[0].month, t.policies[0].when.below) == (9.0, 0.4)
    assert t.interventions[0].changes == {WEEKLY: True, "agreement.cadence.weekly.interval_days": 14.0}
    with pytest.raises(ValueError, match="no item 'nope'"):
        with_changes(sc, {"interventions.nope.month": 3})


def test_a_sweep_file_varies_an_interventions_month(tmp_path):
    from partnersim.analysis.sweepfile import sweep_from_dict

    base = with_items(load_scenario("baseline"), [{"month": 6, "changes": {WEEKLY: True}}])
    (tmp_path / "base.toml").write_text(__import__("partnersim").scenario.dumps_scenario(base))
    spec = sweep_from_dict({"base": "base.toml", "replications": 2, "design": {"kind": "grid"},
                            "parameters": {"interventions.0.month": [3, 9]}}, "sweep.toml", tmp_path)
    assert spec.names == ["interventions.0.month"]
    with pytest.raises(InputError, match="parameters.interventions.1.month: unknown scenario field"):
        sweep_from_dict({"base": "base.toml", "replications": 2, "design": {"kind": "grid"},
                         "parameters": {"interventions.1.month": [3, 9]}}, "sweep.toml", tmp_path)


def test_compare_shortcut_is_the_comparison_with_a_second_file(tmp_path, capsys):
    a = with_changes(load_scenario("baseline"), {"horizon_days": 364.0})
    b = intervene(a, {WEEKLY: True}, month=6, name="cli")
    from partnersim.scenario import save_scenario

    fa, fb = save_scenario(a, tmp_path / "a.toml"), save_scenario(b, tmp_path / "b.toml")
    common = ["--reps", "6", "--seed", "3", "--workers", "1", "--no-progress"]
    assert cli_main(["compare", str(fa), str(fb), *common, "--out", str(tmp_path / "two")]) == 0
    assert cli_main(["compare", str(fa), "--from-month", "6", "--set", f"{WEEKLY}=true", *common,
                     "--out", str(tmp_path / "one")]) == 0
    out = capsys.readouterr().out
    assert "The effect over time" in out
    import pandas as pd

    t1, t2 = pd.read_csv(tmp_path / "one" / "comparison.csv"), pd.read_csv(tmp_path / "two" / "comparison.csv")
    pd.testing.assert_frame_equal(t1, t2)
    eff = pd.read_csv(tmp_path / "one" / "effect_over_time.csv")
    early = eff[eff["day"] <= 6 * MONTH]
    assert (early["diff"] == 0).all() and (early["ci_low"] == 0).all() and (early["ci_high"] == 0).all()


def test_effect_over_time_is_zero_before_the_day_and_too_late_shrinks_to_nothing():
    a = with_changes(load_scenario("baseline"), {"horizon_days": 364.0})
    t = too_late(a, {WEEKLY: True}, months=[0, 6, 12], reps=6, seed=1, workers=1)
    trust = t[t["metric"] == "final_trust"].set_index("value")
    assert trust.loc[12.0, "diff"] == 0.0 and trust.loc[12.0, "ci_low"] == trust.loc[12.0, "ci_high"] == 0.0
    # from month 0, the same numbers as the changed scenario against A
    from partnersim import compare

    c = compare(a, with_changes(a, {WEEKLY: True}), reps=6, seed=1, workers=1)
    assert trust.loc[0.0, "diff"] == c.table.set_index("metric").loc["final_trust", "diff"]
    eff = effect_over_time(compare(a, intervene(a, {WEEKLY: True}, month=6), reps=6, seed=1, workers=1))
    before = eff[eff["day"] <= 6 * MONTH]
    assert (before["diff"] == 0).all()


def test_vary_item_compares_each_threshold_with_the_scenario_without_the_policy():
    a = with_changes(load_scenario("baseline"), {"horizon_days": 364.0})
    sc = with_items(a, policies=[{"when": {"state": "trust", "below": 0.5},
                                  "changes": {"agreement.conflict.facilitator": True}}])
    t = vary_item(sc, "policies.0.when.below", [0.0, 0.99], reps=4, seed=2, workers=1)
    never = t[t["value"] == 0.0]  # trust is never below 0: the same runs as without the policy
    assert (never["diff"] == 0).all()
    assert (t[t["value"] == 0.99]["mean_a"].to_numpy() == never["mean_a"].to_numpy()).all()


def test_parse_grid():
    assert parse_grid("0:24:6") == [0.0, 6.0, 12.0, 18.0, 24.0]
    assert parse_grid("0.3, 0.5") == [0.3, 0.5]
    for bad in ("", "1:0:1", "0:10:0", "a,b", "0:1e9:1"):
        with pytest.raises(InputError):
            parse_grid(bad)


def test_the_model_core_imports_simpy_numpy_and_the_standard_library_only():
    import ast
    from pathlib import Path

    import partnersim.model

    for path in Path(partnersim.model.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                assert top in ("simpy", "numpy", "__future__") or top in sys.stdlib_module_names \
                    or name.startswith("partnersim.model"), f"{path.name} imports {name}"


# -- faces: the workshop's "from month N" control -----------------------------------------------------

def test_the_workshops_from_month_control_makes_b_an_intervention_on_a():
    pytest.importorskip("ipywidgets")
    from partnersim.widgets import WorkshopApp

    app = WorkshopApp("baseline", reps=6, seed=1, workers=1, threaded=False, delay=0.0)
    try:
        assert app.from_month.value == 0 and app.from_month.max == 35  # 1,095 days
        app.panel.controls["rhythm"].value = "weekly check-ins + monthly reviews"
        app.panel.controls["time_gap"].value = 6.0  # a time zone cannot change mid-run: B has it from day 0
        app.from_month.value = 6
        app.debouncer.flush()
        assert app.errors == []
        a, b = app.ensembles
        iv = b.scenario.interventions
        assert len(iv) == 1 and iv[0].month == 6.0 and iv[0].changes[WEEKLY] is True
        assert b.scenario.partner_b.utc_offset == 6.0 and not b.scenario.agreement.cadence.weekly.enabled
        assert (b.runs["fired_day.from month 6"] == 6 * MONTH).all()
        assert "from month 6 on; a time-zone gap or a horizon can only change at the start" in app.reading.value
        assert b"month 6" in bytes(app.image.value)
        # without the time-zone change, the pairs are identical up to month 6
        app.panel.controls["time_gap"].value = 0.0
        app.debouncer.flush()
        a, b = app.ensembles
        assert "B is A until month 6" in app.reading.value
        before = a.series[0, :, 0] <= 6 * MONTH
        assert np.array_equal(a.series[:, before], b.series[:, before])
        assert not np.array_equal(a.series[:, ~before], b.series[:, ~before])
        app.reset_button.click()
        app.debouncer.flush()
        assert app.from_month.value == 0 and app.scenario_b == app.scenario_a
    finally:
        app.close()


def test_command_line_policies_reports_and_too_late_files(tmp_path, capsys):
    short = tmp_path / "short.toml"
    short.write_text('name = "short"\nhorizon_days = 364.0\n')
    common = ["--reps", "4", "--seed", "1", "--workers", "1", "--no-progress"]
    assert cli_main(["compare", str(short), "--when", "state=trust,below=0.99", "--delay-days", "7",
                     "--set", "agreement.conflict.facilitator=true", *common]) == 0
    out = capsys.readouterr().out
    assert "when trust below 0.99, agreement.conflict.facilitator = true 7 days later (once)" in out
    assert "cli: took effect in 4 of 4 runs, on day 14" in out  # the first tick (day 7) + 7 days
    page = tmp_path / "r.html"
    assert cli_main(["report", str(short), "--from-month", "3", "--set", f"{WEEKLY}=true", "--out", str(page),
                     *common]) == 0
    html = page.read_text()
    assert "<h2>The intervention</h2>" in html and "from month 3 (day 91.3)" in html
    assert "took effect in 4 of 4 runs, on day 91.3<" in html
    assert "--from-month 3 --set agreement.cadence.weekly.enabled=true" in html  # the command, to reproduce it
    with_policy = tmp_path / "policy.toml"
    with_policy.write_text('name = "p"\nhorizon_days = 364.0\n[[policies]]\nname = "fac"\n'
                           'when = { state = "trust", below = 0.5 }\n'
                           'changes = { "agreement.conflict.facilitator" = true }\n')
    assert cli_main(["too-late", str(with_policy), "--vary", "policies.fac.when.below", "--values", "0,0.99",
                     "--out", str(tmp_path / "late"), *common]) == 0
    import pandas as pd

    t = pd.read_csv(tmp_path / "late" / "too_late.csv")
    assert list(t.columns) == ["value", "metric", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "n"]
    assert (t[t["value"] == 0.0]["diff"] == 0).all() and (tmp_path / "late" / "too_late.png").stat().st_size > 1000
    # the same policy stated on the command line
    assert cli_main(["too-late", str(short), "--when", "state=trust,below=0.5", "--set",
                     "agreement.conflict.facilitator=true", "--vary", "when.below", "--values", "0,0.99",
                     "--out", str(tmp_path / "late2"), *common]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "late2" / "too_late.csv"), t)


# -- property: any allowed change, any day --------------------------------------------------------------

@pytest.fixture(scope="module")
def midrun_leaves():
    from conftest import LEAVES

    return {p: info for p, info in LEAVES.items() if fixed_reason(p) is None}


def test_random_interventions_keep_the_pair_identical_before_their_day(midrun_leaves):
    from conftest import FAST_CAPS, scenarios, value_strategy
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as hs

    @hs.composite
    def case(draw):
        sc = draw(scenarios(horizon=(30.0, 400.0), caps=FAST_CAPS, max_changes=10))
        paths = draw(hs.lists(hs.sampled_from(sorted(midrun_leaves)), min_size=1, max_size=6, unique=True))
        changes = {p: draw(value_strategy(p, midrun_leaves[p], FAST_CAPS)) for p in paths}
        day = draw(hs.floats(0.5, float(sc.horizon_days) - 0.5))
        return sc, changes, day, draw(hs.integers(0, 2**31))

    ran: list[int] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case())
    def check(c):
        sc, changes, day, seed = c
        try:
            b = intervene(sc, changes, day=day)
        except InputError:  # a combination the scenario's validators refuse
            return
        ran.append(1)
        ra, rb = Model(sc, seed, trace=True).run(), Model(b, seed, trace=True).run()
        before = ra.series[:, 0] < day
        assert np.array_equal(ra.series[before], rb.series[before])
        # the same events, in the same order, before the day
        assert [e for e in ra.events if e[0] < day] == [e for e in rb.events if e[0] < day and e[1] != "intervention"]
        if ra.exit_reason == "" or ra.summary["exit_day"] > day:  # still together at the day: it took effect
            assert rb.summary["fired_day.interventions.0"] == day

    check()
    assert len(ran) >= 20  # (most random changes are valid: the property was checked, not skipped)


def test_the_report_figures_mark_the_intervention_day_on_the_bands():
    import matplotlib

    matplotlib.use("Agg")
    from partnersim import run_ensemble
    from partnersim.plots.ensemble import standard_figures
    from partnersim.plots.interventions import mark_figure

    ens = run_ensemble(with_changes(load_scenario("baseline"), {"horizon_days": 364.0}), reps=3, seed=1, workers=1)
    figs = dict(standard_figures(ens))
    def dashed(fig):
        return sum(line.get_linestyle() == "--" for ax in fig.axes for line in ax.get_lines())

    n_outcomes = dashed(figs["outcomes"])
    mark_figure(figs["timeseries"], 6 * MONTH)
    mark_figure(figs["outcomes"], 6 * MONTH)  # (no month axis: nothing drawn)
    for ax in figs["timeseries"].axes:
        xs = [tuple(line.get_xdata()) for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert (6.0, 6.0) in xs
    assert dashed(figs["outcomes"]) == n_outcomes


def test_a_sweep_of_the_start_month_and_a_policy_count_runs(tmp_path):
    import pandas as pd

    from partnersim.scenario import save_scenario

    base = with_items(with_changes(load_scenario("baseline"), {"horizon_days": 364.0}),
                      [{"month": 6, "changes": {WEEKLY: True}}],
                      [{"name": "fac", "when": {"event": "escalations"},
                        "changes": {"agreement.conflict.facilitator": True}}])
    save_scenario(base, tmp_path / "base.toml")
    (tmp_path / "sweep.toml").write_text('name = "start"\nbase = "base.toml"\nreplications = 2\nseed = 1\n'
                                         '[design]\nkind = "grid"\n[parameters]\n'
                                         '"interventions.0.month" = [0, 9]\n"policies.fac.when.count" = [1, 2]\n')
    assert cli_main(["sweep", str(tmp_path / "sweep.toml"), "--out", str(tmp_path / "out"), "--workers", "1",
                     "--no-progress"]) == 0
    runs = pd.read_parquet(tmp_path / "out" / "runs")
    assert runs["error"].isna().all() and len(runs) == 8
    hours = runs.groupby("interventions.0.month")["meeting_hours"].mean()
    assert hours[0.0] > hours[9.0]  # weekly check-ins for the whole year, or for its last three months
    fired = runs["fired_day.interventions.0"]  # recorded too (NaN: ended before it)
    assert ((fired == runs["interventions.0.month"] * MONTH) | fired.isna()).all()
    assert (fired[runs["interventions.0.month"] == 0] == 0).all()
    assert set(runs["fired_count.fac"]) <= {0.0, 1.0}


def test_the_explore_apps_from_month_control_saves_an_intervention(tmp_path):
    pytest.importorskip("ipywidgets")
    from partnersim.widgets import ExploreApp

    app = ExploreApp("baseline", reps=3, seed=1, workers=1, threaded=False, delay=0.0, save_dir=tmp_path)
    try:
        app.panel.controls["rhythm"].value = "weekly check-ins"
        app.from_month.value = 12
        app.debouncer.flush()
        assert app.errors == []
        iv = app.ensemble.scenario.interventions
        assert len(iv) == 1 and iv[0].month == 12.0 and iv[0].changes[WEEKLY] is True
        saved = load_scenario(app.save(tmp_path / "later.toml"))
        assert saved.interventions == iv and saved.name == "later"
        assert cli_main(["validate", str(tmp_path / "later.toml")]) == 0
    finally:
        app.close()


def test_a_review_interval_changed_mid_run_counts_from_the_last_review():
    sc = only("review", horizon_days=400)  # reviews every 182 days
    sc = with_items(sc, [{"day": 100.0, "changes": {"agreement.review.interval_days": 91.0}}])
    out = Model(sc, seed=1, trace=True).run()
    assert [e[0] for e in kinds(out.events, "review")] == [182.0, 273.0, 364.0]
