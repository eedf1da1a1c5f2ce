"""Adaptive replications (analysis/precision.py, analysis/adaptive.py, analysis/adaptive_sweep.py).

- the stopping rule stops where Law and Kelton's formula says, on a small exact case;
- coverage: on metrics with a known mean, the final interval covers it in about 95% of uses;
- the maximum is respected; constant metrics and means of 0 are handled and said;
- an adaptive ensemble (comparison) that stops at n is the fixed one of n, number for number;
- adaptive sweeps store each point's replications, resume to the same rows, refuse another plan;
- bad --precision / --max-reps / --batch input is exit 2 with one line.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from partnersim.analysis.adaptive import adaptive_compare, adaptive_ensemble, check_runs, make_plan
from partnersim.analysis.adaptive_sweep import read_precision
from partnersim.analysis.compare import compare
from partnersim.analysis.precision import Plan, Target, as_targets, assess, decide, parse_target, sequential
from partnersim.analysis.storage import part_files, read_manifest, read_runs
from partnersim.analysis.sweep import plan_sweep, sweep
from partnersim.cli import main
from partnersim.run.ensemble import run_ensemble
from partnersim.scenario import InputError, load_scenario, save_scenario, with_changes

SHORT = {"horizon_days": 150}


def _feed(values):
    """A ``more(start, stop)`` that serves a fixed sequence, recording the calls."""
    calls = []

    def more(a, b):
        calls.append((a, b))
        return {"final_trust": np.asarray(values[a:b], dtype=float)}

    return more, calls


# -- the rule -------------------------------------------------------------------------------

def test_targets_parse_relative_and_absolute():
    assert parse_target("joint_revenue=5%") == Target("joint_revenue", 0.05, True)
    assert parse_target(" final_trust = 0.02 ") == Target("final_trust", 0.02, False)
    assert parse_target("joint_revenue=2e4") == Target("joint_revenue", 20000.0, False)
    assert math.isclose(parse_target("x_rate=10%", metrics=["x_rate"]).threshold, 0.1 / 1.1)
    for bad, word in [("joint_revenue", "METRIC=5%"), ("nope=5%", "unknown metric"), ("joint_revenue=abc", "not a "
                      "number"), ("joint_revenue=0", "above 0"), ("joint_revenue=-1", "above 0"),
                      ("joint_revenue=100%", "below 100%"), ("joint_revenue=nan", "above 0")]:
        with pytest.raises(ValueError, match=word):
            parse_target(bad)
    with pytest.raises(InputError, match="given twice"):
        as_targets(["final_trust=0.1", "final_trust=5%"])
    assert [str(t) for t in as_targets({"joint_revenue": "5%", "final_trust": 0.02})] == ["joint_revenue=5%",
                                                                                           "final_trust=0.02"]


def test_checkpoints_and_bad_plans():
    t = as_targets("final_trust=0.1")
    assert Plan(t, initial=3, batch=2, max_reps=10).checkpoints() == [3, 5, 7, 9, 10]
    assert Plan(t, initial=10, batch=10, max_reps=10).checkpoints() == [10]
    for kw in ({"initial": 1}, {"batch": 0}, {"initial": 20, "max_reps": 10}, {"level": 1.0}):
        with pytest.raises(ValueError):
            Plan(t, **kw)


VALUES = [10, 12, 11, 13, 9, 11, 10, 12, 11, 11, 10, 12, 11, 11, 12]


def _half_width(n):
    x = np.asarray(VALUES[:n], dtype=float)
    return st.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n)  # scipy.stats, not the module's code


def test_the_rule_stops_where_the_formula_says():
    # checkpoints 3, 5, 7, 9, ...: the half-widths are 2.48, 1.96, 1.24, 0.94 (scipy.stats.t)
    assert [round(_half_width(n), 4) for n in (3, 5, 7, 9)] == [2.4841, 1.9632, 1.2441, 0.9414]
    plan = Plan(as_targets("final_trust=1.0"), initial=3, batch=2, max_reps=15)
    more, calls = _feed(VALUES)
    values, report = sequential(more, plan)
    assert report.reps == 9 and report.met and calls == [(0, 3), (3, 5), (5, 7), (7, 9)]
    assert values["final_trust"].tolist() == VALUES[:9]
    assert math.isclose(report.checks[0].half_width, _half_width(9), rel_tol=1e-12)
    # relative 12%: Law and Kelton compare delta/|mean| with 0.12/1.12 = 0.107, not with 0.12. At n = 7,
    # delta/mean = 0.1146 (below 0.12, above 0.107): the rule goes on to 9 (0.0856)
    assert 0.12 / 1.12 < _half_width(7) / np.mean(VALUES[:7]) < 0.12
    _, rel = sequential(_feed(VALUES)[0], Plan(as_targets("final_trust=12%"), initial=3, batch=2, max_reps=15))
    assert rel.reps == 9
    # two targets: stop when both hold at once; each one's first checkpoint is reported
    both = Plan(as_targets(["final_trust=1.0"]) + (Target("final_trust_copy", 0.15, True),), 3, 2, 15)
    _, r2 = sequential(lambda a, b: {"final_trust": VALUES[a:b], "final_trust_copy": VALUES[a:b]}, both)
    assert r2.reps == 9 and r2.needed == {"final_trust": 9, "final_trust_copy": 7}
    # decide is the same rule on the data available, and says what to run next
    assert decide({"final_trust": np.array(VALUES[:8])}, 8, plan)[:2] == (False, 9)
    assert decide({"final_trust": np.array(VALUES)}, 15, plan)[:2] == (True, 9)


@settings(max_examples=150, deadline=None)
@given(values=hs.lists(hs.floats(-1e3, 1e3, allow_nan=False), min_size=40, max_size=40),
       initial=hs.integers(2, 8), batch=hs.integers(1, 7), max_reps=hs.integers(8, 40),
       beta=hs.floats(0.5, 500.0), relative=hs.booleans())
def test_the_stop_is_the_first_checkpoint_that_meets_the_formula(values, initial, batch, max_reps, beta, relative):
    """Property: against a plain reimplementation of Law and Kelton's test with scipy.stats."""
    target = Target("score", beta / 1000 if relative else beta, relative)  # an unknown metric: no rule of three
    plan = Plan((target,), initial, batch, max_reps)
    _, report = sequential(lambda a, b: {"score": values[a:b]}, plan)

    def meets(n):
        x = np.asarray(values[:n])
        h = 0.0 if np.ptp(x) <= 1e-12 * max(1.0, np.abs(x).max()) else (
            st.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
        if not relative:
            return h <= beta
        return (h == 0.0) if x.mean() == 0 else h / abs(x.mean()) <= target.value / (1 + target.value)

    expected = next((n for n in plan.checkpoints() if meets(n)), max_reps)
    assert report.reps == expected
    assert report.met == meets(expected)


def test_max_reps_is_respected():
    rng = np.random.default_rng(5)
    plan = Plan(as_targets("final_trust=0.0001"), initial=4, batch=5, max_reps=12)
    more, calls = _feed(rng.normal(0.5, 0.1, 100))
    values, report = sequential(more, plan)
    assert report.reps == 12 and calls[-1] == (9, 12) and len(values["final_trust"]) == 12
    assert not report.met and report.stopped == "max_reps" and report.needed == {"final_trust": None}
    assert "12 replications (the maximum): 1 of 1 targets not met" in report.lines()[0]


def test_constant_metrics_and_means_of_zero():
    # a metric that is the same in every run is exact (its target is met), and said
    c = assess(np.full(10, 0.4), Target("final_trust", 0.01, False))
    assert (c.met, c.half_width, c.note) == (True, 0.0, "constant")
    zero = assess(np.zeros(10), Target("joint_revenue", 0.05, True))  # currency: 0 in every run
    assert (zero.met, zero.note) == (True, "constant")
    # a 0/1 metric or a count that never moved may hide a rare event: half-width 3/n (rule of three)
    surv = assess(np.ones(40), Target("survived", 0.05, False))
    assert (surv.met, surv.half_width, surv.note) == (False, 3 / 40, "rule of three")
    assert assess(np.ones(60), Target("survived", 0.05, False)).met
    esc = assess(np.zeros(20), Target("escalations", 0.5, False))
    assert (esc.met, esc.half_width) == (True, 3 / 20)
    # a count constant away from the end of its range (2 in every run) is structural: exact
    assert assess(np.full(5, 2.0), Target("escalations", 0.1, False)).note == "constant"
    # a relative target on a mean of 0 (with spread) cannot be met: said, not divided by zero
    m0 = assess(np.array([-1.0, 1.0] * 10), Target("revenue_growth_a", 0.05, True))
    assert (m0.met, m0.precision, m0.note) == (False, math.inf, "mean 0")
    near = assess(np.array([-1.0, 1.1] * 10), Target("revenue_growth_a", 0.05, True))  # mean 0.05, interval +-0.5
    assert (near.met, near.note) == (False, "includes 0") and near.precision > 1
    # paired differences: a 0/1 difference of 0 in every pair gets the rule of three; other constants are exact
    d = assess(np.zeros(30), Target("survived", 0.05, False), difference=True)
    assert (d.half_width, d.note) == (3 / 30, "rule of three")
    assert assess(np.ones(30), Target("survived", 0.05, False), difference=True).note == "constant"
    too_few = assess(np.array([1.0, np.nan, np.nan]), Target("exit_day", 5.0, False))
    assert (too_few.met, too_few.n, too_few.note) == (False, 1, "too few values")
    plan = Plan(as_targets("survived=0.05"), initial=10, batch=10, max_reps=100)
    _, report = sequential(lambda a, b: {"survived": np.ones(b - a)}, plan)
    assert report.reps == 60  # the first checkpoint where 3/n <= 0.05
    assert "rare event" in report.lines()[1]


@pytest.mark.parametrize(("name", "mean", "draw", "target", "uses"), [
    ("normal, absolute", 0.5, lambda rng, k: rng.normal(0.5, 0.1, k), "final_trust=0.02", 800),
    ("exponential, relative", 2.0, lambda rng, k: rng.exponential(2.0, k), "final_trust=20%", 600),
])
def test_coverage_of_the_final_interval(name, mean, draw, target, uses):
    """The final 95% interval covers the known mean in about 95% of uses.

    ``uses`` independent uses (seeded), first batch 10, batches of 5. Two-sided exact binomial
    test of "coverage = 0.95" at significance level 0.001, and a tolerance: the coverage must
    be within 0.025 of 0.95. Skewed (exponential) values with a relative target included.
    """
    plan = Plan(as_targets(target), initial=10, batch=5, max_reps=5000)
    covered, reps = 0, []
    for i in range(uses):
        rng = np.random.default_rng(np.random.SeedSequence(2026, spawn_key=(i,)))
        _, report = sequential(lambda a, b, rng=rng: {"final_trust": draw(rng, b - a)}, plan)
        c = report.checks[0]
        assert report.met
        covered += abs(c.mean - mean) <= c.half_width
        reps.append(report.reps)
    rate = covered / uses
    assert st.binomtest(covered, uses, 0.95).pvalue > 0.001, (name, rate)
    assert abs(rate - 0.95) <= 0.025, (name, rate)
    assert min(reps) > 10  # the targets need more than the first batch: the sequential part is exercised


# -- ensembles and comparisons --------------------------------------------------------------

def test_an_adaptive_ensemble_is_the_fixed_one_of_its_size():
    s = with_changes(load_scenario("baseline"), SHORT)
    seen = []
    ens = run_ensemble(s, reps=4, seed=7, workers=1, precision={"final_trust": 0.01, "mean_response_hours": "10%"},
                       batch=3, max_reps=30, progress=False)
    ens2 = adaptive_ensemble(s, ["final_trust=0.01", "mean_response_hours=10%"], seed=7, workers=1, initial=4, batch=3,
                             max_reps=30, on_batch=lambda n, checks: seen.append(n))
    report = ens.precision
    assert report.reps == ens.reps > 4 and seen[-1] == ens.reps and seen == list(range(4, ens.reps + 1, 3))
    fixed = run_ensemble(s, reps=ens.reps, seed=7, workers=1, progress=False)
    pd.testing.assert_frame_equal(ens.runs, fixed.runs)
    assert np.array_equal(ens.series, fixed.series, equal_nan=True)
    pd.testing.assert_frame_equal(ens2.runs, fixed.runs)
    # the report is the rule on those runs: met at reps, not at the checkpoint before
    table = report.table().set_index("metric")
    assert bool(table["met"].all()) and report.met
    checks = check_runs(fixed.runs, make_plan({"final_trust": 0.01, "mean_response_hours": "10%"}, 4, 3, 30))
    assert [c.met for c in checks] == [True, True]
    before = check_runs(fixed.runs.iloc[:ens.reps - 3], make_plan({"final_trust": 0.01, "mean_response_hours": "10%"}))
    assert not all(c.met for c in before)
    assert math.isclose(table.loc["final_trust", "half_width"], checks[0].half_width, rel_tol=1e-12)


def test_an_adaptive_comparison_uses_paired_differences_and_equals_the_fixed_one():
    a = with_changes(load_scenario("funding_equal_3to1"), SHORT)
    b = with_changes(load_scenario("funding_proportional_3to1"), SHORT)
    c = compare(a, b, reps=4, seed=3, workers=1, precision={"fairness_b": 0.01}, batch=4, max_reps=40,
                progress=False)
    n = c.precision.reps
    assert c.precision.what == "pairs" and c.a.reps == c.b.reps == n
    fixed = compare(a, b, reps=n, seed=3, workers=1, progress=False)
    pd.testing.assert_frame_equal(c.table, fixed.table)
    row = fixed.table.set_index("metric").loc["fairness_b"]
    # the rule's half-width is that of the paired difference (the comparison table's interval)
    assert math.isclose(c.precision.checks[0].half_width, (row["ci_high"] - row["ci_low"]) / 2, rel_tol=1e-9)
    assert math.isclose(c.precision.checks[0].mean, row["diff"], rel_tol=1e-12)
    # a relative target on a difference that is 0 in every pair: exact (constant), met at once
    same = adaptive_compare(a, a, {"final_trust": "5%"}, seed=3, workers=1, initial=3, max_reps=9)
    assert same.precision.reps == 3 and same.precision.checks[0].note == "constant"


# -- sweeps ---------------------------------------------------------------------------------

SWEEP = """name = "tiny_adaptive"
base = "{base}"
seed = 11
replications = 3

[design]
kind = "grid"

[parameters]
"agreement.funding_rule" = ["equal", "fund"]
"horizon_days" = [90, 200]
"""

PRECISION = {"final_trust": 0.02}


@pytest.fixture()
def sweep_file(tmp_path):
    base = tmp_path / "base.toml"
    save_scenario(load_scenario("baseline"), base)
    f = tmp_path / "tiny.toml"
    f.write_text(SWEEP.format(base=base.as_posix()), encoding="utf-8")
    return f


def test_an_adaptive_sweep_stores_each_points_replications(sweep_file, tmp_path):
    res = sweep(sweep_file, tmp_path / "out", executor="inprocess", progress=False, precision=PRECISION,
                batch=4, max_reps=31)
    runs = read_runs(res.folder)
    per_point = runs.groupby("point_id")["replication"].agg(["count", "max"])
    table = read_precision(res.folder)
    assert table is not None and table["reps"].tolist() == per_point["count"].tolist()
    assert (per_point["max"] + 1 == per_point["count"]).all()  # replications 0..n-1, none missing
    assert res.complete and res.planned == res.done == len(runs)
    man = read_manifest(res.folder)
    assert man["precision"] == make_plan(PRECISION, 3, 4, 31).to_dict() and man["ended"] is not None
    assert man["precision_summary"]["points"] == 4
    # each point needed what the same rule says for that point's scenario as an adaptive ensemble
    spec, design = plan_sweep(sweep_file)
    for pid in range(design.n_points):
        sc = with_changes(spec.base, design.changes(pid))
        ens = adaptive_ensemble(sc, PRECISION, seed=spec.seed, workers=1, initial=3, batch=4, max_reps=31,
                                keep_series=False)
        assert ens.precision.reps == int(table.loc[pid, "reps"]), pid
        assert table.loc[pid, "status"] == ens.precision.stopped
        got = runs[runs["point_id"] == pid].reset_index(drop=True)
        assert got["final_trust"].tolist() == ens.runs["final_trust"].tolist()
    assert len(set(table["reps"])) > 1  # points differ: the short horizon needs fewer


def test_an_interrupted_adaptive_sweep_resumes_to_the_same_rows(sweep_file, tmp_path):
    full = sweep(sweep_file, tmp_path / "full", executor="inprocess", progress=False, precision=PRECISION,
                 batch=4, max_reps=31)
    cut = tmp_path / "cut"
    sweep(sweep_file, cut, executor="inprocess", progress=False, precision=PRECISION, batch=4, max_reps=31,
          part_rows=5)
    parts = part_files(cut)
    for p in parts[len(parts) // 2:]:  # as if killed half way: the later parts never written
        p.unlink()
    res = sweep(sweep_file, cut, executor="inprocess", progress=False, precision=PRECISION, batch=4, max_reps=31)
    assert res.ran > 0 and res.complete
    cols = ["point_id", "replication", "seed", "final_trust", "joint_revenue", "survived"]
    pd.testing.assert_frame_equal(read_runs(cut)[cols], read_runs(full.folder)[cols])
    pd.testing.assert_frame_equal(read_precision(cut), read_precision(full.folder))
    # another plan (or none) on the same folder is refused: its decisions would differ
    with pytest.raises(InputError, match="give the same options"):
        sweep(sweep_file, cut, executor="inprocess", progress=False, precision={"final_trust": 0.05})
    with pytest.raises(InputError, match="give the same options"):
        sweep(sweep_file, cut, executor="inprocess", progress=False)
    fixed = sweep(sweep_file, tmp_path / "fixed", executor="inprocess", progress=False)
    with pytest.raises(InputError, match="started without --precision"):
        sweep(sweep_file, fixed.folder, executor="inprocess", progress=False, precision=PRECISION)


# -- the command line -----------------------------------------------------------------------

def _cli(capsys, *argv):
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("argv", "words"), [
    (["run", "baseline", "--precision", "joint_revenue"], ["--precision", "METRIC=5%"]),
    (["run", "baseline", "--precision", "nope=5%"], ["--precision", "unknown metric"]),
    (["run", "baseline", "--precision", "final_trust=x"], ["--precision", "not a number"]),
    (["run", "baseline", "--precision", "final_trust=0"], ["--precision", "above 0"]),
    (["run", "baseline", "--precision", "final_trust=0.1", "--precision", "final_trust=1%"], ["--precision",
                                                                                               "twice"]),
    (["run", "baseline", "--precision", "final_trust=0.1", "--max-reps", "5"], ["--max-reps", "first batch"]),
    (["run", "baseline", "--precision", "final_trust=0.1", "--reps", "1"], ["--reps", "at least 2"]),
    (["run", "baseline", "--max-reps", "50"], ["--max-reps", "needs --precision"]),
    (["compare", "baseline", "full_cadence", "--batch", "5"], ["--batch", "needs --precision"]),
    (["compare", "baseline", "full_cadence", "--precision", "fairness_a=200%"], ["--precision", "below 100%"]),
    (["run", "baseline", "--precision", "final_trust=0.1", "--batch", "0"], ["--batch", "at least 1"]),
])
def test_bad_precision_input_is_exit_2_in_one_line(capsys, argv, words):
    code, out, err = _cli(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_bad_precision_for_a_sweep_is_exit_2(capsys, sweep_file, tmp_path):
    code, _, err = _cli(capsys, "sweep", str(sweep_file), "--out", str(tmp_path / "o"), "--precision",
                        "days_together=5", "--executor", "inprocess")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "days_together" in err
    sweep(sweep_file, tmp_path / "o2", executor="inprocess", progress=False)
    code, _, err = _cli(capsys, "sweep", str(sweep_file), "--out", str(tmp_path / "o2"), "--precision",
                        "final_trust=0.02", "--executor", "inprocess")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--precision" in err


def test_the_commands_say_how_many_replications_were_needed(capsys, tmp_path, sweep_file):
    f = tmp_path / "short.toml"
    save_scenario(with_changes(load_scenario("baseline"), SHORT), f)
    code, out, _ = _cli(capsys, "run", str(f), "--precision", "final_trust=0.03", "--reps", "4", "--batch", "3",
                        "--max-reps", "30", "--workers", "1", "--no-progress")
    n = run_ensemble(with_changes(load_scenario("baseline"), SHORT), precision={"final_trust": 0.03}, reps=4,
                     batch=3, max_reps=30, workers=1, progress=False).reps
    assert code == 0 and f"{n} simulated runs" in out and f"Needed: {n} replications: every target met" in out
    assert "final_trust: target within +-0.03" in out
    code, out, _ = _cli(capsys, "compare", str(f), str(f), "--precision", "final_trust=0.01", "--reps", "3",
                        "--workers", "1", "--no-progress")
    assert code == 0 and "Needed: 3 pairs: every target met" in out and "no spread" in out
    code, out, _ = _cli(capsys, "sweep", str(sweep_file), "--out", str(tmp_path / "s"), "--precision",
                        "final_trust=0.02", "--batch", "4", "--max-reps", "31", "--executor", "inprocess",
                        "--no-progress")
    table = read_precision(tmp_path / "s")
    assert code == 0 and f"replications per point: {table['reps'].min()} to {table['reps'].max()}" in out


def test_the_same_on_a_process_pool():
    from partnersim.run.executors import LocalPoolExecutor

    s = with_changes(load_scenario("baseline"), SHORT)
    kw = {"seed": 7, "initial": 4, "batch": 5, "max_reps": 40, "keep_series": False}
    here = adaptive_ensemble(s, {"final_trust": 0.01}, workers=1, **kw)
    pooled = adaptive_ensemble(s, {"final_trust": 0.01}, executor=LocalPoolExecutor(2), **kw)
    assert pooled.precision.reps == here.precision.reps > 4
    pd.testing.assert_frame_equal(pooled.runs, here.runs)


def test_the_docstring_examples():
    import doctest

    import partnersim.analysis.adaptive as adaptive
    import partnersim.analysis.precision as precision

    assert doctest.testmod(precision).failed == 0
    assert doctest.testmod(adaptive).failed == 0


def test_the_apps_can_follow_an_adaptive_ensemble_batch_by_batch():
    from partnersim.analysis.adaptive import iter_adaptive_ensemble

    s = with_changes(load_scenario("baseline"), SHORT)
    ups = list(iter_adaptive_ensemble(s, {"final_trust": 0.01}, seed=7, workers=1, initial=4, batch=5, max_reps=40,
                                      keep_series=False))
    assert [u.reps for u in ups] == list(range(4, ups[-1].reps + 1, 5)) and len(ups) > 1
    assert [u.finished for u in ups] == [False] * (len(ups) - 1) + [True]
    assert not all(c.met for c in ups[-2].checks) and all(c.met for c in ups[-1].checks)
    partial = ups[-2].ensemble  # a partial ensemble is the fixed one of its size
    pd.testing.assert_frame_equal(partial.runs, run_ensemble(s, reps=ups[-2].reps, seed=7, workers=1, progress=False,
                                                             keep_series=False).runs)
    assert partial.precision is None and ups[-1].ensemble.precision.reps == ups[-1].reps
