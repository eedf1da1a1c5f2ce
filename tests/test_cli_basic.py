"""The command line's scenario commands, bad input (exit 2, one line, no traceback) and a fuzz test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w
from conftest import SCENARIO_DIR, bundled_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from partnersim.cli import main
from partnersim.scenario import read_toml

BUNDLED = bundled_files()
SCRIPT = Path(sys.executable).parent / "partnersim"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *words: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


# -- scenario commands -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_validate_accepts_every_bundled_scenario(path, capsys):
    code, out, err = run_cli(capsys, "validate", str(path))
    assert (code, err) == (0, "")
    assert "valid" in out


def test_schema_is_json_schema_of_scenarios(capsys):
    code, out, err = run_cli(capsys, "schema")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"horizon_days", "partner_a", "partner_b", "agreement", "market", "dynamics", "mechanisms"} <= set(
        schema["properties"])
    agreement = schema["$defs"]["Agreement"]
    assert agreement["additionalProperties"] is False
    assert agreement["properties"]["goal_clarity"]["maximum"] == 1
    assert set(agreement["properties"]["funding_rule"]["enum"]) == {"equal", "capacity", "benefit", "fund"}
    assert agreement["properties"]["informal_per_month"]["unit"] == "interactions/month"


def test_scenarios_lists_the_bundled_files_with_their_questions(capsys):
    code, out, err = run_cli(capsys, "scenarios")
    assert (code, err) == (0, "")
    for path in BUNDLED:
        line = next((ln for ln in out.splitlines() if ln.split() and ln.split()[0] == path.stem), None)
        assert line is not None, path.stem
        question = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        assert question[:40] in line


# -- bad input -----------------------------------------------------------------------------------------

BAD_FILES = [
    ("unknown_key", "horizon_days = 60\n[partner_a]\nrevnue = 5\n", ["partner_a.revnue", "did you mean 'revenue'"]),
    ("wrong_type", 'horizon_days = "long"\n', ["horizon_days", "number"]),
    ("out_of_range", "[agreement]\ngoal_clarity = 1.5\n", ["agreement.goal_clarity", "1"]),
    ("negative", "[partner_b]\nmoney_capacity = -10\n", ["partner_b.money_capacity"]),
    ("malformed", "horizon_days = [\n", ["malformed TOML"]),
    ("funding_rule", '[agreement]\nfunding_rule = "lottery"\n', ["agreement.funding_rule", "lottery"]),
    ("working_day", "[partner_a]\nwork_start = 17\nwork_end = 9\n", ["partner_a.work_end", "work_start"]),
    ("empty_day", "[partner_b]\nwork_start = 9\nwork_end = 9\n", ["partner_b.work_end"]),
    ("section_type", "agreement = 3\n", ["agreement"]),
    ("not_utf8", b'name = "caf\xe9"\n', ["UTF-8"]),
]


@pytest.mark.parametrize(("name", "text", "words"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_scenario_files_exit_2_with_one_line_naming_file_and_field(name, text, words, command, tmp_path,
                                                                        capsys):
    path = tmp_path / f"{name}.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    argv = [command, str(path)] + (["--reps", "1"] if command == "run" else [])
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    one_line_error(err, str(path), *words)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_file_exits_2(command, tmp_path, capsys):
    path = tmp_path / "nowhere.toml"
    code, _, err = run_cli(capsys, command, str(path))
    assert code == 2
    one_line_error(err, str(path), "not found")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--reps", "0"], ["--reps", "at least 1"]),
        (["--reps", "x"], ["--reps", "not an integer"]),
        (["--reps", "-3"], ["--reps"]),
        (["--seed", "-1"], ["--seed", "0 or more"]),
        (["--seed", "1.5"], ["--seed"]),
        (["--no-such-option"], ["unrecognized"]),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, words, capsys):
    code, _, err = run_cli(capsys, "run", str(SCENARIO_DIR / "baseline.toml"), *args)
    assert code == 2
    one_line_error(err, *words)


def test_unknown_command_exits_2(capsys):
    code, _, err = run_cli(capsys, "frobnicate")
    assert code == 2
    one_line_error(err, "frobnicate")


@pytest.mark.parametrize("command", ["run", "compare", "report", "sweep", "sensitivity", "validate", "schema",
                                     "scenarios"])
def test_help_of_every_command_reads_as_written(command, capsys):
    """Help texts print as the user should read them: "95% interval", not argparse's escaped "95%%"."""
    code, out, _ = run_cli(capsys, command, "--help")
    assert code == 0 and f"partnersim {command}" in out
    assert "%%" not in out


def test_run_prints_the_summary_table(tmp_path, capsys):
    path = tmp_path / "short.toml"
    path.write_text('name = "short"\nhorizon_days = 120\n', encoding="utf-8")
    code, out, err = run_cli(capsys, "run", str(path), "--reps", "3", "--seed", "5")
    assert code == 0
    assert "error" not in err and "Traceback" not in err  # (stderr may carry a progress bar)
    assert out.startswith("Short: 3 simulated runs, seed 5, 4 months (120 days)")
    assert "In short: 100% of the simulated partnerships are still together after 4 months" in out
    for label in ("Joint revenue over the period", "Still together at the end", "Escalated conflicts",
                  "Trust at the end", "Partner A's sense of fairness"):
        assert any(line.startswith(label) for line in out.splitlines()), label
    code, out, _ = run_cli(capsys, "run", str(path), "--reps", "3", "--seed", "5", "--all")
    assert code == 0
    for metric in ("joint_revenue", "survived", "escalations", "mean_response_hours", "final_trust"):
        assert any(line.startswith(metric) for line in out.splitlines()), metric


# -- fuzz --------------------------------------------------------------------------------------------------

BASE = read_toml(SCENARIO_DIR / "consultant_proposal.toml")

junk = hs.one_of(hs.none(), hs.booleans(), hs.integers(-10**12, 10**12), hs.floats(allow_nan=True),
                 hs.text(max_size=8), hs.lists(hs.integers(), max_size=3), hs.dictionaries(hs.text(max_size=4),
                                                                                         hs.integers(), max_size=2))


def _paths(d, prefix=()):
    for k, v in d.items():
        yield (*prefix, k)
        if isinstance(v, dict):
            yield from _paths(v, (*prefix, k))


@hs.composite
def mutated_files(draw) -> bytes:
    data = json.loads(json.dumps(BASE))
    data["horizon_days"] = draw(hs.sampled_from([30, 60, 90]))
    for _ in range(draw(hs.integers(0, 4))):
        paths = list(_paths(data))
        if not paths:
            break
        path = draw(hs.sampled_from(paths))
        parent = data
        for k in path[:-1]:
            parent = parent[k]
        action = draw(hs.sampled_from(["delete", "unknown", "type", "range", "big_number"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "unknown":
            target = parent[path[-1]] if isinstance(parent[path[-1]], dict) else parent
            target[draw(hs.text(hs.characters(categories=("Ll",)), min_size=1, max_size=10))] = 1
        elif action == "type":
            parent[path[-1]] = draw(junk)
        elif action == "range":
            parent[path[-1]] = draw(hs.sampled_from([-1, -1e9, 1.5, 2, 25, 1e12, 0, -0.0]))
        else:
            parent[path[-1]] = draw(hs.floats(-1e300, 1e300))
    try:
        text = tomli_w.dumps(_tomlable(data))
    except (TypeError, ValueError):
        text = "name = 'x'\n"
    raw = text.encode("utf-8")
    if draw(hs.booleans()) and draw(hs.booleans()):  # corrupt the text itself
        pos = draw(hs.integers(0, max(0, len(raw) - 1)))
        raw = raw[:pos] + draw(hs.binary(min_size=1, max_size=4)) + raw[pos + 1:]
    return raw


def _tomlable(x):
    if isinstance(x, dict):
        return {str(k): _tomlable(v) for k, v in x.items() if v is not None}
    if isinstance(x, list):
        return [_tomlable(v) for v in x if v is not None]
    return x


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=mutated_files())
def test_fuzzed_scenario_files_run_or_fail_cleanly(raw, tmp_path, capsys):
    path = tmp_path / "fuzzed.toml"
    path.write_bytes(raw)
    code, out, err = run_cli(capsys, "run", str(path), "--reps", "1")
    assert code in (0, 2), err
    if code == 0:
        assert "error" not in err and "Traceback" not in err  # (stderr may carry a progress bar)
        assert "In short:" in out and "Joint revenue over the period" in out
    else:
        one_line_error(err, str(path))


# -- the installed command, in a real process ------------------------------------------------------------------

@pytest.mark.skipif(not SCRIPT.exists(), reason="the partnersim console script is not installed next to python")
@pytest.mark.parametrize(
    ("argv", "code", "stream_words"),
    [
        (["validate", str(SCENARIO_DIR / "baseline.toml")], 0, ("stdout", "valid")),
        (["validate", "/nonexistent/x.toml"], 2, ("stderr", "not found")),
        (["run", str(SCENARIO_DIR / "baseline.toml"), "--reps", "0"], 2, ("stderr", "--reps")),
        (["schema"], 0, ("stdout", "$defs")),
    ],
)
def test_console_script(argv, code, stream_words, tmp_path):
    res = subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == code
    assert "Traceback" not in res.stderr + res.stdout
    stream, words = stream_words
    assert words in getattr(res, stream)
    if code == 2:
        assert len(res.stderr.splitlines()) == 1


def test_console_script_on_a_bad_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[market]\nshifts_per_year = 'often'\n", encoding="utf-8")
    res = subprocess.run([str(SCRIPT), "run", str(bad), "--reps", "1"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stdout == ""
    one_line_error(res.stderr, str(bad), "market.shifts_per_year")
