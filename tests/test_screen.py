"""The one-at-a-time lever screen (partnersim.analysis.screen, ``partnersim screen``)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from partnersim import load_scenario, with_changes
from partnersim.analysis import screen as screen_mod
from partnersim.analysis.screen import (
    DEFAULT_LEVER_FILE,
    LeverTable,
    lever_effects,
    load_lever_table,
    mcnemar_p,
    plan_levers,
    screen,
)
from partnersim.cli import main as cli_main
from partnersim.scenario import InputError, Scenario, leaf_fields

SHORT = with_changes(load_scenario("baseline"), {"horizon_days": 365})


def test_docstring_examples_run():
    assert doctest.testmod(screen_mod).failed == 0


def test_every_non_text_field_is_a_lever_and_choices_give_one_lever_per_alternative():
    levers, notes = plan_levers(Scenario())
    paths = {lv.path for lv in levers}
    fields = leaf_fields()
    assert paths == {p for p, f in fields.items() if f.annotation is not str}
    rules = [lv for lv in levers if lv.path == "agreement.funding_rule"]
    assert [(lv.low, lv.high) for lv in rules] == [("equal", "capacity"), ("equal", "benefit"), ("equal", "fund")]
    assert notes == []


def test_numeric_ranges_stay_inside_bounds_and_bools_go_false_to_true():
    levers = {lv.name: lv for lv in plan_levers(Scenario())[0]}
    assert (levers["initial.trust"].low, levers["initial.trust"].high) == (0.3, 0.9)
    assert levers["dynamics.surface_monthly"].high == 1.0  # 1.5 x 0.7 clipped at le=1
    assert (levers["agreement.cadence.weekly.attendees"].low, levers["agreement.cadence.weekly.attendees"].high) \
        == (1, 3)
    assert (levers["mechanisms.drift"].low, levers["mechanisms.drift"].high) == (False, True)
    for lv in levers.values():  # every variant is a valid scenario (but a day ending before it starts)
        if lv.path.endswith("work_end"):
            continue
        with_changes(Scenario(), {lv.path: lv.low})
        with_changes(Scenario(), {lv.path: lv.high})


def test_table_contexts_merge_later_entries_win_and_unknown_names_are_notes():
    table = LeverTable(entries=(
        ("agreement.conflict.*", {"context": {"agreement.conflict.facilitator": True}, "low": 1.0}),
        ("agreement.conflict.facilitator_cost", {"context": {"agreement.conflict.escalate_after_days": 30.0},
                                                 "expect": {"facilitator_spend": "+", "no_such_metric": "-"},
                                                 "bookkeeping": True}),
        ("agreement.no_such_field", {"expect": {"survived": "+"}}),
    ), source="t.toml")
    levers, notes = plan_levers(Scenario(), table, only=["agreement.conflict.facilitator_cost"])
    (lv,) = levers
    assert lv.context == {"agreement.conflict.facilitator": True, "agreement.conflict.escalate_after_days": 30.0}
    assert lv.low == 1.0 and lv.high == 4500.0
    assert lv.expect == {"facilitator_spend": "+"} and lv.bookkeeping
    assert any("no_such_field" in n and "matches no field" in n for n in notes)
    assert any("no_such_metric" in n for n in notes)


def test_the_bundled_lever_file_loads_and_names_only_known_fields_and_metrics():
    table = load_lever_table(DEFAULT_LEVER_FILE)
    levers, notes = plan_levers(load_scenario("baseline"), table)
    assert notes == [], notes
    assert len(levers) >= len(leaf_fields()) - 5
    assert {"meeting_hours", "spending"} <= set(table.bookkeeping_metrics)


@pytest.mark.parametrize("text, field", [
    ('[lever."initial.trust"]\nexpect = { survived = "up" }\n', 'lever."initial.trust".expect.survived'),
    ('[lever."initial.trust"]\nlo = 0.1\n', 'lever."initial.trust".lo'),
    ('[screen]\nlow_factor = 2.0\n', "screen.low_factor"),
    ('[oops]\n', "oops"),
])
def test_bad_lever_file_names_the_file_and_the_entry(tmp_path, text, field):
    p = tmp_path / "levers.toml"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        load_lever_table(p)
    assert e.value.source == str(p) and e.value.field == field


def test_mcnemar_is_exact_on_discordant_pairs():
    low = np.array([0] * 8 + [1] * 12)
    high = np.array([1] * 8 + [1] * 12)
    assert mcnemar_p(low, high) == pytest.approx(2 * 0.5**8)
    assert mcnemar_p(high, high) == 1.0


def test_lever_effects_tests_each_metric_and_uses_mcnemar_for_0_1_metrics():
    rng = np.random.default_rng(3)
    n = 60
    low = pd.DataFrame({"replication": range(n), "final_trust": rng.uniform(0.4, 0.6, n),
                        "conflicts_raised": rng.poisson(5, n).astype(float), "survived": np.ones(n)})
    high = low.assign(final_trust=low["final_trust"] + 0.05 + rng.normal(0, 0.01, n),
                      survived=np.r_[np.zeros(3), np.ones(n - 3)])
    eff = lever_effects(low, high, alpha=0.01).set_index("metric")
    assert eff.loc["final_trust", "significant"] and eff.loc["final_trust", "effect_size"] > 3
    assert not eff.loc["conflicts_raised", "significant"]  # identical in every pair
    assert eff.loc["survived", "test"] == "mcnemar" and eff.loc["final_trust", "test"] == "t"
    assert eff.loc["survived", "p_value"] == pytest.approx(0.25)  # 3 discordant pairs, all one way
    assert not eff.loc["survived", "significant"]


def test_fast_screen_finds_a_live_lever_live_and_a_switch_without_its_context_dead():
    table = LeverTable(entries=(
        ("initial.trust", {"expect": {"mean_trust": "+"}}),
        ("agreement.conflict.facilitator_days", {"expect": {"mean_resolution_days": "+"}}),
        ("dynamics.informal_trust_gain", {"expect": {"mean_trust": "-"}}),  # planted: the wrong direction
    ))
    r = screen(SHORT, reps=40, seed=2, alpha=0.01, workers=1, table=table,
               only=["initial.trust", "agreement.origin_share", "agreement.conflict.facilitator_days",
                     "dynamics.informal_trust_gain"])
    st = dict(zip(r.levers["lever"], r.levers["status"], strict=True))
    assert st["initial.trust"] == "ok"
    assert st["agreement.origin_share"] == "dead"  # equal attribution: the origin share is never read
    assert st["agreement.conflict.facilitator_days"] == "dead"  # no facilitator in the baseline
    assert st["dynamics.informal_trust_gain"] == "against"
    eff = r.effects[(r.effects["lever"] == "initial.trust") & (r.effects["metric"] == "mean_trust")]
    assert bool(eff["significant"].iloc[0]) and float(eff["diff"].iloc[0]) > 0
    assert set(r.effects.columns) >= {"lever", "metric", "diff", "effect_size", "p_holm", "significant", "expected"}


def test_the_context_makes_a_dead_lever_live():
    table = LeverTable(entries=(("agreement.origin_share", {"context": {"agreement.attribution": "origin"}}),))
    r = screen(SHORT, reps=30, seed=2, workers=1, table=table, only=["agreement.origin_share"])
    assert r.status("agreement.origin_share") != "dead"
    assert r.levers["context"].iloc[0] == "agreement.attribution=origin"


def test_an_invalid_variant_is_an_error_row_not_a_crash():
    table = LeverTable(entries=(("partner_a.work_end", {"low": 8.0}),))  # before work_start 9
    r = screen(SHORT, reps=5, seed=0, workers=1, table=table, only=["partner_a.work_end"])
    assert r.status("partner_a.work_end") == "error"
    assert any("work_end" in n for n in r.notes)


def test_cli_screen_writes_csv_and_markdown_and_resumes_from_its_cache(tmp_path, capsys):
    sc = tmp_path / "short.toml"
    sc.write_text('name = "short"\nhorizon_days = 200\n')
    out, md = tmp_path / "o", tmp_path / "docs" / "screen.md"
    argv = ["screen", str(sc), "--reps", "8", "--workers", "1", "--only", "initial.trust", "mechanisms.review",
            "--out", str(out), "--markdown", str(md)]
    assert cli_main(argv) == 0
    lev = pd.read_csv(out / "screen.csv")
    assert list(lev["lever"]) == ["initial.trust", "mechanisms.review"]
    assert len(pd.read_csv(out / "screen_effects.csv")) == 2 * len(screen_mod.METRICS)
    text = md.read_text()
    assert text.startswith("# Lever screen") and "| `initial.trust` |" in text
    cached = sorted(p.name for p in (out / "cache").glob("*.parquet"))
    assert len(cached) == 4
    mtimes = [p.stat().st_mtime_ns for p in sorted((out / "cache").glob("*.parquet"))]
    assert cli_main(argv) == 0  # again: every ensemble from the cache
    assert [p.stat().st_mtime_ns for p in sorted((out / "cache").glob("*.parquet"))] == mtimes
    assert pd.read_csv(out / "screen.csv").equals(lev)


def test_cli_screen_bad_input_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "levers.toml"
    bad.write_text('[lever."initial.trust"]\nexpect = { survived = "up" }\n')
    assert cli_main(["screen", "--levers", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and "expect.survived" in err
    assert cli_main(["screen", "--reps", "2", "--only", "nothing.like.this", "--out", str(tmp_path / "o")]) == 2
    assert "--only" in capsys.readouterr().err


def test_the_bundled_contexts_make_context_levers_live():
    # without their context these fields are never read (equal attribution, equal funding)
    r = screen(SHORT, reps=20, seed=1, workers=1, table=load_lever_table(DEFAULT_LEVER_FILE),
               only=["agreement.origin_share", "agreement.fund_monthly_a"])
    st = dict(zip(r.levers["lever"], r.levers["status"], strict=True))
    assert st["agreement.origin_share"] not in ("dead", "nominal")
    assert st["agreement.fund_monthly_a"] != "dead"


def test_cli_screen_changes_the_base_with_set_and_at(tmp_path, capsys):
    at = tmp_path / "best.toml"
    at.write_text("[dynamics]\nconflict_rate = 0.3\n")
    out = tmp_path / "o"
    argv = ["screen", "baseline", "--set", "horizon_days=120", "name=short", "--at", str(at), "--reps", "4",
            "--workers", "1", "--only", "initial.trust", "--out", str(out)]
    assert cli_main(argv) == 0
    text = (out / "screen.md").read_text()
    assert "Base scenario `short` (120 days)" in text
    assert cli_main([*argv[:3], "horizon_days=-5", *argv[5:]]) == 2
    err = capsys.readouterr().err
    assert "horizon_days" in err and len(err.strip().splitlines()) == 1
    assert cli_main(["screen", "--set", "no_equals_sign", "--out", str(out)]) == 2
    assert "--set" in capsys.readouterr().err


def test_every_lever_of_the_bundled_file_says_what_it_should_do_or_why_not():
    # Model 2.0 (issue 11, item 9): each lever has an expectation, or a note saying what it is for
    levers, _ = plan_levers(load_scenario("baseline"), load_lever_table(DEFAULT_LEVER_FILE))
    bare = [lv.name for lv in levers if not lv.expect and not lv.note]
    new = ["agreement.cadence.monthly.context_share", "agreement.integrated_tracking", "agreement.joint_crm",
           "agreement.cross_training_hours", "agreement.clarity_after_shift", "agreement.conflict.escalate_severity",
           "agreement.conflict.interest_based", "agreement.review.adaptive", "agreement.review.shortfall_ratio",
           "agreement.review.exit_relevance", "market.margin", "market.value_life_years", "market.overlap",
           "market.shared_customers", "market.hour_cost", "initial.relevance", "mechanisms.resources",
           "mechanisms.perception", "mechanisms.coevolution", "mechanisms.competition",
           "dynamics.hazard_co_ownership", "dynamics.relevance_drift", "dynamics.negativity_bias"]
    by_name = {lv.name: lv for lv in levers}
    assert [n for n in new if n in bare or n not in by_name] == []
    # contexts where the Model 2.0 meaning needs them
    assert by_name["dynamics.hazard_strain"].context["partner_a.staff_hours"] < 20
    assert by_name["dynamics.breach_trust_loss"].context == {"agreement.conflict.procedure": True}
    assert by_name["dynamics.cross_training_effect"].context["agreement.cross_training_hours"] > 0
    assert by_name["mechanisms.competition"].context["market.overlap"] >= 0.5
    assert by_name["dynamics.hazard_co_ownership"].expect["conflicts_raised"] == "-"  # a hazard reduction


def test_the_bundled_contexts_make_model2_context_levers_live():
    r = screen(SHORT, reps=30, seed=1, workers=1, table=load_lever_table(DEFAULT_LEVER_FILE),
               only=["dynamics.breach_trust_loss", "dynamics.cross_training_effect", "mechanisms.competition"])
    st = dict(zip(r.levers["lever"], r.levers["status"], strict=True))
    assert all(s not in ("dead", "nominal", "against") for s in st.values()), st
