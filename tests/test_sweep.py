"""Sweeps: rows, seeding, executors, failed runs, resume in-process, refused changes, the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from partnersim import load_scenario, sweep, with_changes
from partnersim.analysis.storage import part_files, read_manifest, read_runs
from partnersim.analysis.sweep import run_sweep_chunk
from partnersim.model import METRICS, run_model
from partnersim.run.executors import InProcessExecutor, LocalPoolExecutor
from partnersim.scenario import InputError

SWEEP = """# Does a weekly check-in help more under some funding rules than others? (a test sweep)
name = "small"
base = "baseline"
seed = 11
replications = 3

[fixed]
horizon_days = 120

[design]
kind = "grid"

[parameters]
"agreement.funding_rule" = ["equal", "capacity"]
"agreement.cadence.weekly.enabled" = [false, true]
agreement.goal_clarity = { range = [0.2, 0.8], steps = 3 }
"""


@pytest.fixture()
def sweep_file(tmp_path: Path) -> Path:
    f = tmp_path / "small.toml"
    f.write_text(SWEEP, encoding="utf-8")
    return f


def test_rows_are_flat_and_runs_use_common_random_numbers(sweep_file, tmp_path):
    res = sweep(sweep_file, tmp_path / "o", executor="inprocess", progress=False)
    assert (res.planned, res.done, res.failed, res.ran) == (36, 36, 0, 36) and res.complete
    df = res.runs()
    params = ["agreement.funding_rule", "agreement.cadence.weekly.enabled", "agreement.goal_clarity"]
    assert list(df.columns) == ["point_id", "replication", "seed", *params, *METRICS, "exit_reason", "error"]
    assert len(df) == 36 and not df.duplicated(["point_id", "replication"]).any()
    assert (df["seed"] == 11).all() and df["error"].isna().all()
    # run (point p, replication r) == run_model(scenario_p, seed, r)
    row = df[(df.point_id == 7) & (df.replication == 2)].iloc[0]
    base = with_changes(load_scenario("baseline"), {"horizon_days": 120})
    sc = with_changes(base, {p: row[p].item() if hasattr(row[p], "item") else row[p] for p in params})
    out = run_model(sc, 11, 2)
    for m in METRICS:
        assert (row[m] == out.summary[m]) or (math.isnan(row[m]) and math.isnan(out.summary[m])), m
    man = read_manifest(tmp_path / "o")
    assert man["planned"] == 36 and man["done"] == 36 and man["ended"] and len(man["sweep_sha256"]) == 64
    assert (tmp_path / "o" / "sweep.toml").read_text(encoding="utf-8") == SWEEP


def test_same_numbers_whatever_the_executor_chunks_and_parts(sweep_file, tmp_path):
    a = sweep(sweep_file, tmp_path / "a", executor="inprocess", progress=False).runs()
    b = sweep(sweep_file, tmp_path / "b", executor=LocalPoolExecutor(2), progress=False, chunk_size=5,
              part_rows=7).runs()
    assert len(part_files(tmp_path / "b")) >= 3  # written in parts as it goes
    pd.testing.assert_frame_equal(a, b, check_exact=True)


class _Interrupting(InProcessExecutor):
    """Runs ``n`` chunks, then behaves like Ctrl-C."""

    def __init__(self, n: int) -> None:
        self.n = n

    def map_unordered(self, fn, tasks):
        for i, r in super().map_unordered(fn, tasks):
            if i == self.n:
                raise KeyboardInterrupt
            yield i, r


def test_interrupted_then_resumed_equals_uninterrupted(sweep_file, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        sweep(sweep_file, tmp_path / "r", executor=_Interrupting(3), progress=False, chunk_size=4, part_rows=100)
    partial = read_runs(tmp_path / "r")
    assert len(partial) == 12  # the finished chunks were flushed on the way out
    res = sweep(sweep_file, tmp_path / "r", executor="inprocess", progress=False)
    assert res.ran == 24 and res.done == 36
    full = sweep(sweep_file, tmp_path / "u", executor="inprocess", progress=False).runs()
    pd.testing.assert_frame_equal(res.runs(), full, check_exact=True)
    again = sweep(sweep_file, tmp_path / "r", executor="inprocess", progress=False)
    assert again.ran == 0
    assert len(read_manifest(tmp_path / "r")["sessions"]) == 3


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path):
    f = tmp_path / "f.toml"
    f.write_text('seed = 1\nreplications = 2\n[fixed]\nhorizon_days = 60\n[parameters]\n'
                 '"partner_a.work_start" = [8.0, 16.0]\n"partner_a.work_end" = [12.0, 18.0]\n', encoding="utf-8")
    res = sweep(f, tmp_path / "o", executor="inprocess", progress=False)
    assert res.done == 8 and res.failed == 2
    df = res.runs()
    bad = df[df["error"].notna()]
    assert set(bad["point_id"]) == {2}  # work_start 16 with work_end 12
    assert bad["error"].iloc[0].startswith("ValueError: invalid scenario: partner_a.work_end: work_end must be")
    assert bad["joint_revenue"].isna().all()
    assert df[df["error"].isna()]["joint_revenue"].notna().all()
    assert read_manifest(tmp_path / "o")["failed"] == 2


def test_chunk_function_catches_errors():
    from partnersim.analysis.sweep import SweepChunk

    rows = run_sweep_chunk(SweepChunk(load_scenario("baseline"), 0, ((0, 0),), {0: {"horizon_days": -1}}))
    assert rows[0]["error"].startswith("ValueError: invalid scenario: horizon_days")
    assert set(METRICS) <= set(rows[0])


def test_changed_sweep_file_is_refused(sweep_file, tmp_path):
    sweep(sweep_file, tmp_path / "o", executor="inprocess", progress=False)
    sweep_file.write_text(SWEEP.replace("replications = 3", "replications = 4"), encoding="utf-8")
    with pytest.raises(InputError, match="changed since the sweep in .* started"):
        sweep(sweep_file, tmp_path / "o", executor="inprocess", progress=False)
    res = subprocess.run([sys.executable, "-m", "partnersim", "sweep", str(sweep_file), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert f"{sweep_file}: changed since the sweep in" in res.stderr and "Traceback" not in res.stderr


def test_changed_base_scenario_is_refused(tmp_path):
    (tmp_path / "base.toml").write_text('name = "b"\nhorizon_days = 60\n', encoding="utf-8")
    f = tmp_path / "s.toml"
    f.write_text('base = "base.toml"\n[parameters]\n"agreement.funding_rule" = ["equal", "fund"]\n', encoding="utf-8")
    sweep(f, tmp_path / "o", executor="inprocess", progress=False)
    (tmp_path / "base.toml").write_text('name = "b"\nhorizon_days = 90\n', encoding="utf-8")
    with pytest.raises(InputError, match="base scenario changed"):
        sweep(f, tmp_path / "o", executor="inprocess", progress=False)


def test_a_folder_that_is_not_a_sweep_is_refused(sweep_file, tmp_path):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not a sweep folder"):
        sweep(sweep_file, tmp_path / "o", executor="inprocess", progress=False)


def test_cli_sweep_runs_and_reports(sweep_file, tmp_path):
    out = tmp_path / "cli"
    res = subprocess.run([sys.executable, "-m", "partnersim", "sweep", str(sweep_file), "--out", str(out),
                          "--workers", "1", "--progress"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "12 points x 3 replications = 36 runs" in res.stdout
    assert "36 of 36 runs stored" in res.stdout
    assert "run/s" in res.stderr  # the progress bar, forced on (stderr is a pipe here)
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["done"] == 36 and man["package_version"]
    bad = subprocess.run([sys.executable, "-m", "partnersim", "sweep", str(sweep_file), "--workers", "0"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--workers" in bad.stderr
