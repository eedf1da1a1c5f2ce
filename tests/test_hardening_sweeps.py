"""Concurrent and damaged sweeps (issue 12): a second sweep into a folder in use is refused with
exit 2; a part file cut short is detected on resume, set aside, and its runs run again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from partnersim.analysis.storage import DamagedPart, part_files, read_runs
from partnersim.analysis.sweep import sweep
from partnersim.cli import main as cli

SWEEP = """# a test sweep
name = "small"
seed = 5
replications = 3

[fixed]
horizon_days = 90

[design]
kind = "grid"

[parameters]
"agreement.funding_rule" = ["equal", "capacity"]
agreement.goal_clarity = { range = [0.2, 0.8], steps = 3 }
"""


@pytest.fixture()
def sweep_file(tmp_path: Path) -> Path:
    f = tmp_path / "small.toml"
    f.write_text(SWEEP, encoding="utf-8")
    return f


@pytest.mark.parametrize("damage", ["cut", "garbage", "empty"])
def test_a_damaged_part_is_set_aside_on_resume_and_its_runs_run_again(sweep_file, tmp_path, capsys, damage):
    whole = sweep(sweep_file, tmp_path / "whole", executor="inprocess", progress=False).runs()
    out = tmp_path / "o"
    res = sweep(sweep_file, out, executor="inprocess", progress=False, part_rows=4)
    assert res.complete
    parts = part_files(out)
    assert len(parts) >= 3
    victim = parts[1]
    lost = pq.read_metadata(victim).num_rows
    data = victim.read_bytes()
    victim.write_bytes({"cut": data[: len(data) // 2], "garbage": b"PAR1" + os.urandom(300),
                        "empty": b""}[damage])
    with pytest.raises(DamagedPart) as e:
        read_runs(out)
    assert e.value.source == str(victim) and "run the same `partnersim sweep` command again" in e.value.message
    assert cli(["sensitivity", str(out)]) == 2  # one line naming the part, not a traceback
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "part-000001.parquet: damaged part file" in err[0] and len(err[0]) <= 300

    again = sweep(sweep_file, out, executor="inprocess", progress=False, part_rows=4)
    assert again.ran == lost and again.complete  # the damaged part's runs, and only those
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1 and victim.name in warning[0] and "damaged" in warning[0]
    assert (victim.parent / (victim.name + ".damaged")).exists()
    assert read_runs(out).equals(whole)  # the same rows as a sweep that was never damaged


def test_a_second_sweep_into_a_folder_in_use_is_refused(tmp_path):
    f = tmp_path / "long.toml"
    f.write_text('replications = 4000\n[design]\nkind = "grid"\n[parameters]\n'
                 '"agreement.goal_clarity" = { range = [0.2, 0.8], steps = 4 }\n', encoding="utf-8")
    out = tmp_path / "o"
    partnersim = Path(sys.executable).with_name("partnersim")
    first = subprocess.Popen([str(partnersim), "sweep", str(f), "--out", str(out), "--executor", "inprocess",
                              "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / "manifest.json").exists():  # the first holds the folder's lock by now
            assert first.poll() is None and time.monotonic() < deadline, "the first sweep did not start"
            time.sleep(0.1)
        second = subprocess.run([str(partnersim), "sweep", str(f), "--out", str(out), "--executor", "inprocess"],
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert lines == [f"partnersim sweep: error: {out}: another partnersim sweep is writing to this folder"]
        assert first.poll() is None  # undisturbed
    finally:
        first.kill()
        first.wait(timeout=30)
