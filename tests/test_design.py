"""Sweep files and designs: shapes, bounds, mappings, and one-line errors naming file and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from partnersim.analysis.design import make_design, sample_unit, unit_to_values
from partnersim.analysis.sweepfile import Parameter, load_sweep, sweep_from_dict
from partnersim.scenario import InputError

ROOT = Path(__file__).resolve().parents[1]

LEVERS = {
    "agreement.cadence.weekly.enabled": [False, True],
    "agreement.funding_rule": ["equal", "capacity", "benefit", "fund"],
    "agreement.goal_clarity": {"range": [0.1, 0.9]},
    "agreement.cadence.monthly.attendees": {"range": [1, 4]},
}


def spec(kind: str, params: dict, **design) -> object:
    return sweep_from_dict({"seed": 5, "design": {"kind": kind, **design}, "parameters": params})


def test_grid_is_the_full_factorial_in_file_order():
    s = spec("grid", {"agreement.funding_rule": ["equal", "fund"],
                      "agreement.goal_clarity": {"range": [0.2, 0.8], "steps": 3},
                      "agreement.cadence.weekly.enabled": [False, True]})
    d = make_design(s)
    assert d.n_points == 12 and d.unit is None
    assert d.changes(0) == {"agreement.funding_rule": "equal", "agreement.goal_clarity": 0.2,
                            "agreement.cadence.weekly.enabled": False}
    assert d.changes(1)["agreement.cadence.weekly.enabled"] is True  # last parameter varies fastest
    assert d.changes(11) == {"agreement.funding_rule": "fund", "agreement.goal_clarity": 0.8,
                             "agreement.cadence.weekly.enabled": True}
    combos = {tuple(d.changes(i).values()) for i in range(12)}
    assert len(combos) == 12


@pytest.mark.parametrize("kind, samples, n_points", [
    ("lhs", 40, 40), ("sobol", 16, 16 * (4 + 2)), ("morris", 5, 5 * (4 + 1)),
])
def test_sampled_design_shapes_and_bounds(kind, samples, n_points):
    d = make_design(spec(kind, LEVERS, samples=samples))
    assert d.n_points == n_points
    assert d.unit is not None and d.unit.shape == (n_points, 4)
    assert d.unit.min() >= 0 and d.unit.max() <= 1
    clar = d.values["agreement.goal_clarity"]
    assert clar.min() >= 0.1 and clar.max() <= 0.9
    att = d.values["agreement.cadence.monthly.attendees"]
    assert att.dtype == np.int64 and set(att) <= {1, 2, 3, 4}
    assert set(d.values["agreement.funding_rule"]) <= {"equal", "capacity", "benefit", "fund"}
    assert d.values["agreement.cadence.weekly.enabled"].dtype == np.bool_
    again = make_design(spec(kind, LEVERS, samples=samples))
    assert np.array_equal(again.unit, d.unit)  # the same file, the same points
    assert d.table().equals(again.table())


def test_sobol_second_order_and_lhs_strata():
    d = make_design(spec("sobol", LEVERS, samples=8, second_order=True))
    assert d.n_points == 8 * (2 * 4 + 2)
    u = make_design(spec("lhs", LEVERS, samples=25)).unit
    for j in range(u.shape[1]):  # one sample per stratum in every dimension
        assert sorted(np.floor(u[:, j] * 25).astype(int)) == list(range(25))


def test_morris_levels_are_a_grid():
    d = make_design(spec("morris", LEVERS, samples=4, levels=4))
    assert set(np.round(d.unit.ravel() * 3, 9)) <= {0.0, 1.0, 2.0, 3.0}


def test_unit_to_values_mappings():
    u = np.array([0.0, 0.2, 0.49, 0.5, 0.99, 1.0])
    b = Parameter("agreement.shared_platform", "bool", values=(False, True))
    assert list(unit_to_values(b, u)) == [False, False, False, True, True, True]  # threshold at 0.5
    c = Parameter("agreement.funding_rule", "str", values=("a", "b", "c", "d"))
    assert list(unit_to_values(c, np.array([0.0, 0.24, 0.25, 0.74, 0.75, 1.0]))) == list("aabcdd")
    i = Parameter("market.milestones", "int", low=1, high=3)
    assert list(unit_to_values(i, np.array([0.0, 0.33, 0.34, 0.66, 0.67, 1.0]))) == [1, 1, 2, 2, 3, 3]
    f = Parameter("agreement.goal_clarity", "float", low=0.2, high=0.6)
    assert np.allclose(unit_to_values(f, np.array([0.0, 0.5, 1.0])), [0.2, 0.4, 0.6])
    assert sample_unit("sobol", 3, 8, seed=1).shape == (8 * 5, 3)


@pytest.mark.parametrize("data, field, words", [
    ({"parameters": {"agreement.goal_clarty": [0.1, 0.2]}}, "parameters.agreement.goal_clarty",
     "did you mean 'agreement.goal_clarity'"),
    ({"parameters": {"agreement": {"goal_clarity": {"range": [0.2, 1.5], "steps": 3}}}},
     "parameters.agreement.goal_clarity.range", "less than or equal to 1"),
    ({"parameters": {"agreement.cadence": [1, 2]}}, "parameters.agreement.cadence", "is a section"),
    ({"parameters": {"agreement.shared_platform": {"range": [0, 1], "steps": 2}}},
     "parameters.agreement.shared_platform.range", "list of values"),
    ({"parameters": {"agreement.goal_clarity": {"range": [0.2, 0.8]}}}, "parameters.agreement.goal_clarity.steps",
     "a grid needs steps"),
    ({"design": {"kind": "sobol", "samples": 100}, "parameters": {"agreement.goal_clarity": {"range": [0, 1]}}},
     "design.samples", "power of 2"),
    ({"design": {"kind": "lhs"}, "parameters": {"agreement.goal_clarity": {"range": [0, 1]}}},
     "design.samples", "needs samples"),
    ({"design": {"kind": "lhs", "samples": 8}, "parameters": {"agreement.goal_clarity": {"range": [0, 1], "steps": 3}}},
     "parameters.agreement.goal_clarity.steps", "grid designs only"),
    ({"design": {"kind": "anova"}, "parameters": {}}, "design.kind", "must be"),
    ({"parameters": {"agreement.funding_rule": ["equal", "halves"]}}, "parameters.agreement.funding_rule.values[1]",
     "halves"),
    ({"parameters": {"agreement.goal_clarity": {"range": [0.8, 0.2], "steps": 2}}},
     "parameters.agreement.goal_clarity.range", "low < high"),
    ({"fixed": {"horizon_days": 180}, "parameters": {"horizon_days": [90, 180]}}, "parameters.horizon_days",
     "also in [fixed]"),
    ({"fixed": {"horizon_dayz": 180}, "parameters": {"horizon_days": [90, 180]}}, "fixed.horizon_dayz",
     "did you mean 'horizon_days'"),
    ({"base": "no_such_scenario", "parameters": {"horizon_days": [90, 180]}}, "base", "not found"),
    ({"replications": 0, "parameters": {"horizon_days": [90]}}, "replications", "greater than or equal to 1"),
    ({"parameters": {}}, "parameters", "at least one parameter"),
    ({"seeds": 1, "parameters": {"horizon_days": [90]}}, "seeds", "did you mean 'seed'"),
])
def test_bad_sweeps_name_the_field(data, field, words):
    with pytest.raises(InputError) as e:
        sweep_from_dict(data, "x.toml")
    assert e.value.source == "x.toml"
    assert e.value.field == field, str(e.value)
    assert words in str(e.value)
    assert "\n" not in str(e.value)


def test_bundled_sweep_files_load_and_start_with_a_question():
    files = sorted((ROOT / "scenarios").glob("sweep_*.toml"))
    assert len(files) >= 2
    for f in files:
        assert f.read_text(encoding="utf-8").startswith("# ")
        s = load_sweep(f)
        assert make_design(s).n_points > 0
    levers = load_sweep(ROOT / "scenarios" / "sweep_levers_sobol.toml")
    assert levers.design.kind == "sobol"
    grid = load_sweep(ROOT / "scenarios" / "sweep_cadence_funding.toml")
    assert grid.design.kind == "grid" and "agreement.funding_rule" in grid.names


def test_cli_bad_sweep_file_exits_2_with_file_and_field(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[parameters]\n"agreement.goal_clarty" = [0.1, 0.2]\n', encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "partnersim", "sweep", str(f), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert f"{f}: parameters.agreement.goal_clarty: unknown scenario field; did you mean" in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    f.write_text("[parameters\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "partnersim", "sweep", str(f)], capture_output=True, text=True)
    assert res.returncode == 2 and "malformed TOML" in res.stderr
