"""Hardening of input handling (issue 12): strict types, one-line messages, nesting, sweep sizes,
plausibility warnings, null errors in sweep results, too little variance for sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from partnersim.analysis.sensitivity import SweepData, indices, variance_problem
from partnersim.analysis.sweepfile import MAX_POINTS, MAX_RUNS, sweep_from_dict
from partnersim.cli import main as cli
from partnersim.scenario import InputError, Scenario, scenario_from_dict, with_changes


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert len(lines[0]) <= 300
    assert all(c.isprintable() for c in lines[0]), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"agreement": {"shared_platform": "yes"}}, "agreement.shared_platform", "boolean"),
        ({"agreement": {"shared_platform": 1}}, "agreement.shared_platform", "boolean"),
        ({"mechanisms": {"drift": 0}}, "mechanisms.drift", "boolean"),
        ({"agreement": {"goal_clarity": "0.5"}}, "agreement.goal_clarity", "number"),
        ({"horizon_days": "1e3"}, "horizon_days", "number"),
        ({"market": {"opportunities_per_month": True}}, "market.opportunities_per_month", "number"),
        ({"partner_a": {"working_days": 5.0}}, "partner_a.working_days", "whole number"),
        ({"partner_a": {"name": 7}}, "partner_a.name", "text"),
    ],
)
def test_no_silent_coercion_and_the_message_says_the_type_expected(data, field, expected):
    with pytest.raises(InputError) as e:
        scenario_from_dict(data, "s.toml")
    assert e.value.field == field
    assert expected in e.value.message


def test_a_number_may_be_written_as_a_whole_number():
    assert scenario_from_dict({"agreement": {"goal_clarity": 1}}).agreement.goal_clarity == 1.0


def test_sweep_files_are_strict_too():
    with pytest.raises(InputError) as e:
        sweep_from_dict({"seed": "1", "parameters": {"agreement.goal_clarity": [0.2, 0.4]}}, "w.toml")
    assert e.value.field == "seed" and "whole number" in e.value.message
    with pytest.raises(InputError) as e:
        sweep_from_dict({"design": {"kind": "sobol", "samples": 8, "second_order": 1},
                         "parameters": {"agreement.goal_clarity": {"range": [0.2, 0.4]}}}, "w.toml")
    assert e.value.field == "design.second_order" and "boolean" in e.value.message
    with pytest.raises(InputError) as e:
        sweep_from_dict({"parameters": {"agreement.shared_platform": [0, 1]}}, "w.toml")
    assert e.value.field.startswith("parameters.agreement.shared_platform") and "boolean" in e.value.message


def test_a_key_with_a_newline_gives_one_line(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_text('[partner_a]\n"rev\\nenue" = 3\n"\\u001b[2J" = 1\n', encoding="utf-8")
    assert cli(["validate", str(f)]) == 2
    line = _one_error_line(capsys)
    assert f"{f}: partner_a.rev\\nenue: unknown key" in line


def test_a_long_bad_value_is_shortened(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_text(f'[agreement]\nfunding_rule = "{"x" * 1_000_000}"\n', encoding="utf-8")
    assert cli(["validate", str(f)]) == 2
    line = _one_error_line(capsys)
    assert "agreement.funding_rule: " in line and "xxx" in line


@pytest.mark.parametrize("text", ["a = " + "[" * 1000 + "]" * 1000 + "\n",
                                  "a = " + "{b = " * 1000 + "1" + "}" * 1000 + "\n",
                                  "".join(f"[{'.'.join(['t'] * n)}]\n" for n in (40,)),
                                  "horizon_days = 1" + "0" * 5000 + "\n"])
def test_deep_nesting_and_huge_numbers_give_exit_2(tmp_path, capsys, text):
    f = tmp_path / "s.toml"
    f.write_text(text, encoding="utf-8")
    assert cli(["validate", str(f)]) == 2
    line = _one_error_line(capsys)
    assert str(f) in line and "internal error" not in line


def test_an_input_error_is_one_line_within_bounds_whatever_its_parts():
    e = InputError("/very/long/" * 40 + "x.toml", "key\nwith\x1bcontrols" * 20, "bad value " * 200)
    text = str(e)
    assert len(text) <= 268 and text.isprintable()
    assert e.message.startswith("bad value")  # the unshortened parts are kept for programs


@pytest.mark.parametrize(
    ("design", "params", "where"),
    [
        ({"kind": "grid"}, {f"dynamics.{k}": {"range": [0.0, 1.0], "steps": 100} for k in
                            ("alignment_decay", "context_decay", "gain_weekly", "gain_monthly")}, "parameters"),
        ({"kind": "sobol", "samples": 2**23}, {"agreement.goal_clarity": {"range": [0.0, 1.0]},
                                                "agreement.co_ownership": {"range": [0.0, 1.0]}}, "design.samples"),
    ],
)
def test_a_sweep_over_the_maximum_size_is_refused_naming_its_size(design, params, where):
    with pytest.raises(InputError) as e:
        sweep_from_dict({"design": design, "parameters": params}, "big.toml")
    assert e.value.field == where
    assert "points" in e.value.message and f"{MAX_POINTS:,}" in e.value.message


def test_too_many_runs_is_refused_naming_the_replications(capsys, tmp_path):
    f = tmp_path / "many.toml"
    f.write_text('replications = 1000000\n[design]\nkind = "lhs"\nsamples = 100\n'
                 '[parameters]\n"agreement.goal_clarity" = { range = [0.1, 0.9] }\n', encoding="utf-8")
    assert cli(["validate", str(f)]) == 2
    line = _one_error_line(capsys)
    assert f"{f}: replications: " in line and "100,000,000 runs" in line and f"{MAX_RUNS:,}" in line
    assert cli(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    assert "100,000,000 runs" in _one_error_line(capsys)
    assert not (tmp_path / "o").exists()  # refused before anything was made


def test_validate_says_the_size_of_a_sweep(capsys):
    assert cli(["validate", "sweep_cadence_funding"]) == 0
    out = capsys.readouterr().out
    assert " points x " in out and " runs)" in out


def test_no_variance_is_named_instead_of_ranked():
    n = 40
    u = np.random.default_rng(1).random((n, 2))
    base = {"point_id": np.arange(n), "replication": 0, "error": None}
    runs = pd.DataFrame({**base, "flat": 1.0, "roundoff": 1.0 + 1e-15 * u[:, 0],
                         "one_point": np.where(np.arange(n) == 3, 0.0, 1.0), "fine": u[:, 0] + 0.1 * u[:, 1]})
    points = pd.DataFrame({"point_id": np.arange(n), "a": u[:, 0], "b": u[:, 1]})
    man = {"design": {"kind": "grid"}, "parameters": [{"path": "a"}, {"path": "b"}],
           "metrics": ["flat", "roundoff", "one_point", "fine"], "replications": 1}
    table, notes = indices(SweepData(None, man, points, runs), ["flat", "roundoff", "one_point", "fine"])
    assert list(dict.fromkeys(table["metric"])) == ["fine"]
    assert [n.split(":")[0] for n in notes] == ["flat", "roundoff", "one_point"]
    assert "constant" in notes[0] and "round-off" in notes[1] and "only 1 of 40 points" in notes[2]
    assert variance_problem(np.array([np.nan, np.nan])) is None


def test_with_changes_takes_numpy_scalars_as_the_numbers_they_are():
    s = with_changes(Scenario(), {"agreement.goal_clarity": np.float64(0.3), "partner_a.working_days": np.int64(4),
                                  "agreement.cadence.weekly.enabled": np.bool_(True)})
    assert s.agreement.goal_clarity == 0.3 and s.partner_a.working_days == 4
    assert type(s.partner_a.working_days) is int and s.agreement.cadence.weekly.enabled is True
    with pytest.raises(ValidationError):
        with_changes(Scenario(), {"partner_a.working_days": np.float64(4.0)})  # still not a whole number


@pytest.mark.parametrize("argv", [["run", "baseline", "--reps", "1\n2"], ["run", "no\x1b[2Jsuch\nfile"],
                                  ["compare", "baseline", "x" * 5000], ["sweep", "baseline", "--executor", "a\nb"]])
def test_bad_arguments_give_one_short_line(argv, capsys):
    try:
        rc = cli(argv)
    except SystemExit as e:  # argparse
        rc = e.code
    assert rc == 2
    _one_error_line(capsys)
