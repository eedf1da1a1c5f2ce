"""Calibration patterns and the five behaviours as checks (partnersim.analysis.patterns)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from partnersim.analysis import patterns as pm
from partnersim.analysis.patterns import (
    EXIT_METRICS,
    Arm,
    Pattern,
    evaluate_patterns,
    interval_check,
    km_median_years,
    paired_check,
    select_patterns,
    share_ci,
    survival_check,
)
from partnersim.cli import main as cli_main

P = {p.id: p for p in select_patterns()}


def runs(survived, exit_day=None, **cols) -> pd.DataFrame:
    s = np.asarray(survived, dtype=float)
    e = np.where(s < 0.5, exit_day if exit_day is not None else 100.0, np.nan)
    return pd.DataFrame({"replication": np.arange(s.size), "survived": s, "exit_day": e, **cols})


def test_docstring_examples_run():
    assert doctest.testmod(pm).failed == 0
    from partnersim.analysis import checks
    assert doctest.testmod(checks).failed == 0


def test_share_ci_is_clopper_pearson():
    for k, n in ((0, 20), (7, 20), (20, 20), (131, 200)):
        ci = stats.binomtest(k, n).proportion_ci(0.99, method="exact")
        assert share_ci(k, n, 0.01) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_interval_check_holds_inside_is_off_only_when_the_interval_misses():
    assert interval_check("x", 0.5, 0.3, 0.7, (0.4, 0.6)).holds
    near = interval_check("x", 0.25, 0.3, 0.7, (0.1, 0.4))
    assert not near.holds and not near.off and near.distance == pytest.approx(0.125)
    far = interval_check("x", 0.02, 0.3, 0.7, (0.0, 0.06))
    assert far.off and far.distance == pytest.approx(0.7)


def test_p1_share_of_runs_ended():
    half = P["P1"].check({"baseline_5y": runs([0, 1] * 100)})
    assert half.status == "holds" and half.checks[0].value == 0.5
    immortal = P["P1"].check({"baseline_5y": runs([1] * 196 + [0] * 4)})
    assert immortal.status == "fails" and immortal.checks[0].value == pytest.approx(0.02)
    few = P["P1"].check({"baseline_5y": runs([1] * 15 + [0] * 5)})  # 25% of 20: off, not significantly
    assert few.status == "off"


def test_p2_structure_helps_without_guaranteeing():
    rng = np.random.default_rng(0)
    u = rng.uniform(size=400)
    structured = runs((u < 0.63).astype(float))  # common random numbers: the same u
    handshake = runs((u < 0.30).astype(float))  # fails more often than not, but is not doomed
    r = P["P2"].check({"structured_5y": structured, "handshake_5y": handshake})
    assert r.status == "holds", r
    bimodal = P["P2"].check({"structured_5y": runs([1.0] * 400), "handshake_5y": runs([0.0] * 400)})
    assert bimodal.status == "fails"
    assert [c.holds for c in bimodal.checks] == [False, False, True]  # helps, but guarantees and dooms


def test_p3_kaplan_meier_median_life():
    years = np.arange(1, 11)  # one exit a year: the curve reaches 0.5 at the 5th
    r = runs(np.zeros(10), exit_day=years * 365.25)
    assert km_median_years(r, pm.TEN_YEARS) == (pytest.approx(5.0), True)
    seven = runs(np.r_[np.zeros(10), np.ones(10)], exit_day=np.r_[np.linspace(1, 7, 10) * 365.25, np.zeros(10)])
    res = P["P3"].check({"baseline_10y": seven})
    # half the runs end, evenly over years 1-7, the others outlive the horizon: the 10th exit is the median
    assert res.checks[0].value == pytest.approx(7.0) and res.checks[1].value == pytest.approx(0.5)
    assert res.status == "holds"
    immortal = P["P3"].check({"baseline_10y": runs(np.ones(50))})
    assert immortal.checks[0].value == pytest.approx(pm.TEN_YEARS / 365.25) and not immortal.checks[0].holds
    assert "not reached" in immortal.checks[0].note and immortal.status == "fails"


def test_p4_is_not_evaluable_without_the_exit_metrics(monkeypatch):
    monkeypatch.setattr(pm, "METRICS", {k: v for k, v in pm.METRICS.items() if k != "exit_by_agreement"})
    r = P["P4"].check({"baseline_10y": runs([0] * 10, exit_by_trust=np.ones(10))})
    assert r.status == "not evaluable" and "exit_by_agreement" in r.note and r.holds is None


def test_p4_largest_exit_reason(monkeypatch):
    monkeypatch.setattr(pm, "METRICS", {**pm.METRICS, **{m: ("0/1", "") for m in EXIT_METRICS}})
    n = 100
    def reasons(shares):
        cols, start = {}, 0
        for m, s in zip(EXIT_METRICS, shares, strict=True):
            k = int(s * n)
            col = np.zeros(n)
            col[start:start + k] = 1.0
            cols[m], start = col, start + k
        return runs(np.zeros(n), **cols)
    mixed = P["P4"].check({"baseline_10y": reasons([0.4, 0.3, 0.2, 0.1])})
    assert mixed.status == "holds" and mixed.checks[0].value == pytest.approx(0.4)
    collapse = P["P4"].check({"baseline_10y": reasons([0.97, 0.01, 0.01, 0.01])})
    assert collapse.status == "fails"
    survivors = P["P4"].check({"baseline_10y": runs(np.ones(50), **{m: np.zeros(50) for m in EXIT_METRICS})})
    assert survivors.status == "not evaluable" and "0 of 50" in survivors.note


def test_paired_check_is_the_one_sided_paired_t_test_of_the_behaviour_tests():
    rng = np.random.default_rng(1)
    a = pd.DataFrame({"x": rng.normal(0, 1, 200)})
    b = pd.DataFrame({"x": a["x"] + rng.normal(0.5, 1, 200)})
    c = paired_check(a, b, "x", "less")
    assert c.p_value == pytest.approx(stats.ttest_rel(a["x"], b["x"], alternative="less").pvalue)
    assert c.holds and not c.off and c.distance == 0
    wrong = paired_check(a, b, "x", "greater")
    assert not wrong.holds and wrong.off and wrong.distance > 1
    a.loc[:150, "x"] = np.nan  # NaN pairs are left out
    assert paired_check(a, b, "x", "less").note.endswith("(49 pairs)")


def test_survival_check_is_exact_mcnemar_on_discordant_pairs():
    a = pd.DataFrame({"survived": [1.0] * 10 + [0.0] * 2 + [1.0] * 88})
    b = pd.DataFrame({"survived": [0.0] * 10 + [1.0] * 2 + [1.0] * 88})
    c = survival_check(a, b)
    assert c.p_value == pytest.approx(stats.binomtest(10, 12, 0.5, alternative="greater").pvalue)
    assert c.holds == (c.p_value < 0.01)


def test_b1_on_fabricated_ensembles():
    full = pd.DataFrame({"escalations": np.zeros(50), "mean_resolution_days": np.full(50, 10.0)})
    none = pd.DataFrame({"escalations": np.arange(50) % 5 + 1.0, "mean_resolution_days": 30.0 + np.arange(50) % 7})
    assert P["B1"].check({"full_cadence": full, "no_cadence": none}).status == "holds"
    assert P["B1"].check({"full_cadence": none, "no_cadence": full}).status == "fails"


def test_a_pattern_is_off_when_a_check_misses_without_significance():
    pat = Pattern("X", "x", "", (Arm("a", "baseline"),),
                  lambda r, alpha: [interval_check("ok", 0.5, 0, 1), interval_check("near", 1.1, 0, 1)])
    r = pat.check({"a": pd.DataFrame()})
    assert r.status == "off" and r.distance == pytest.approx(0.05)


def test_evaluate_patterns_runs_each_arm_once_with_the_coefficients_applied():
    base = evaluate_patterns(select_patterns(["P1", "B5"]), reps=6, workers=1)
    assert base.runs == 6 + 2 * 6 * 2  # P1: 6; B5: two arms at twice the replications
    assert set(base.status()) == {"P1", "B5"}
    b5 = base.table()[base.table()["pattern"] == "B5"]
    assert b5["note"].iloc[0].endswith("(6 pairs)")  # the t-tests on the first reps replications
    more = evaluate_patterns(select_patterns(["P1"]), reps=6, workers=1,
                             coefficients={"dynamics.conflict_rate": 3.0, "dynamics.conflict_trust_wear": 0.3})
    assert more.results[0].checks[0].value > base.results[0].checks[0].value  # far more conflict: more ends
    assert math.isfinite(more.objective)


def test_cli_patterns_writes_the_table_and_rejects_an_unknown_id(tmp_path, capsys):
    assert cli_main(["patterns", "--patterns", "P1", "--reps", "4", "--workers", "1", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "patterns.md").read_text().startswith("| pattern |")
    assert cli_main(["patterns", "--patterns", "P9", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--patterns" in err and "P9" in err


def test_behaviour_checks_give_the_p_values_of_tests_test_behaviours():
    # the same ensembles as tests/test_behaviours.py (run_model(sc, SEED, i) for i < reps), the same tests
    from partnersim import load_scenario
    from partnersim.model import run_model

    reps = 12
    rep = evaluate_patterns(select_patterns(["B2"]), reps=reps, workers=1)
    prop, equal = (pd.DataFrame([run_model(load_scenario(n), pm.SEED, i).summary for i in range(reps)])
                   for n in ("funding_proportional_3to1", "funding_equal_3to1"))
    want = [stats.ttest_rel(prop[m], equal[m], alternative=alt).pvalue
            for m, alt in (("fairness_a", "greater"), ("fairness_b", "greater"), ("conflicts_raised", "less"))]
    assert [c.p_value for c in rep.results[0].checks] == pytest.approx(want, rel=1e-9)


def test_every_pattern_arm_is_a_valid_scenario():
    """Each arm of each pattern builds a scenario the schema accepts (the 10-year arms once asked for
    3,652 days, above the 3,650-day bound, so ``partnersim patterns`` stopped on P3 and P4)."""
    for pattern in pm.select_patterns():
        for arm in pattern.arms:
            assert arm.scenario().horizon_days <= 3650
