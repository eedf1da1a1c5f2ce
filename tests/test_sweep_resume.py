"""kill -9 mid-sweep, run the same command again: no run missing, none twice, same numbers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from partnersim import sweep
from partnersim.analysis.storage import part_files, read_manifest, read_runs
from partnersim.run.executors import LocalPoolExecutor

pytestmark = pytest.mark.slow

SWEEP = """# Interrupt-and-resume test sweep
name = "resume"
base = "baseline"
seed = 4
replications = 20

[fixed]
horizon_days = 730

[design]
kind = "grid"

[parameters]
"agreement.funding_rule" = ["equal", "capacity", "benefit", "fund"]
"agreement.goal_clarity" = { range = [0.1, 0.9], steps = 5 }
"agreement.cadence.weekly.enabled" = [false, true]
"""
PLANNED = 4 * 5 * 2 * 20


def _start(sweep_file: Path, out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "partnersim", "sweep", str(sweep_file), "--out", str(out), "--workers", "2",
           "--chunk-size", "5", "--part-rows", "20", "--no-progress"]
    # a new session, so that killing the process group also kills the pool's workers
    return subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen, out: Path, parts: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(part_files(out)) < parts:
        assert proc.poll() is None, f"sweep ended before it could be killed: {proc.communicate()}"
        assert time.monotonic() < deadline, "no part written in time"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_kill_9_then_resume_equals_uninterrupted(tmp_path):
    f = tmp_path / "resume.toml"
    f.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "killed"

    p = _start(f, out)
    _kill_when(p, out, parts=1)
    first = len(read_runs(out))
    assert 0 < first < PLANNED

    p = _start(f, out)  # the same command again; killed again, a little later
    _kill_when(p, out, parts=len(part_files(out)) + 2)
    second = read_runs(out)
    assert first < len(second) < PLANNED
    assert not second.duplicated(["point_id", "replication"]).any()
    (out / "runs" / "part-999999.parquet.tmp").write_bytes(b"half a part")  # a torn write is ignored

    res = subprocess.run([sys.executable, "-m", "partnersim", "sweep", str(f), "--out", str(out), "--workers", "2",
                          "--no-progress"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"{PLANNED} of {PLANNED} runs stored ({PLANNED - len(second)} run now" in res.stdout

    resumed = read_runs(out)
    full = sweep(f, tmp_path / "full", executor=LocalPoolExecutor(2), progress=False).runs()
    assert len(resumed) == PLANNED
    assert not resumed.duplicated(["point_id", "replication"]).any()  # none twice
    keys = set(zip(resumed.point_id, resumed.replication, strict=True))
    assert keys == {(p, r) for p in range(40) for r in range(20)}  # none missing
    pd.testing.assert_frame_equal(resumed, full, check_exact=True)
    man = read_manifest(out)
    assert man["done"] == PLANNED and man["ended"] and len(man["sessions"]) == 3
    assert not list((out / "runs").glob("*.tmp"))
