"""No leftover processes and no main-guard trap (issue 12).

- ``kill -9`` of a sweep: its forkserver, pool workers and resource tracker all exit by themselves.
- ``run_ensemble(..., workers=2)`` at the top level of a script without ``if __name__ ==
  "__main__":``, or in a script read from standard input, runs in the calling process with one
  warning line, and gives the same numbers as the pool.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTNERSIM = Path(sys.executable).with_name("partnersim")

BODY = """
import json, sys
from partnersim import run_ensemble, with_changes, load_scenario
s = with_changes(load_scenario("baseline"), {"horizon_days": 200})
ens = run_ensemble(s, reps=12, seed=3, workers=2, progress=False)
print(json.dumps(ens.runs["joint_revenue"].tolist() + ens.runs["final_trust"].tolist()))
"""
GUARDED = "if __name__ == '__main__':\n" + textwrap.indent(BODY, "    ")


def _python(args: list[str], *, stdin: str | None = None, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, *args], input=stdin, capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=env)


@pytest.mark.slow
def test_a_script_without_main_guard_runs_here_with_one_warning_and_the_same_numbers(tmp_path):
    (tmp_path / "guarded.py").write_text(GUARDED, encoding="utf-8")
    (tmp_path / "plain.py").write_text(BODY, encoding="utf-8")
    guarded = _python(["guarded.py"], cwd=tmp_path)
    assert guarded.returncode == 0 and guarded.stderr == "", guarded.stderr[-2000:]
    expected = json.loads(guarded.stdout)
    for args, stdin, where in ((["plain.py"], None, "plain.py line 5"), (["-"], BODY, "<stdin>")):
        res = _python(args, stdin=stdin, cwd=tmp_path)
        assert res.returncode == 0, res.stderr[-3000:]
        assert json.loads(res.stdout) == expected  # bit-identical
        lines = res.stderr.splitlines()
        assert len(lines) == 1, res.stderr[-3000:]
        assert "BrokenProcessPool" not in res.stderr and where in lines[0]
        assert 'if __name__ == "__main__":' in lines[0] and "not 2" in lines[0]


def _descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_kill_9_of_a_sweep_leaves_no_process_behind(tmp_path):
    f = tmp_path / "long.toml"
    f.write_text('replications = 5000\n[design]\nkind = "grid"\n[parameters]\n'
                 '"agreement.goal_clarity" = { range = [0.2, 0.8], steps = 4 }\n', encoding="utf-8")
    proc = subprocess.Popen([str(PARTNERSIM), "sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "2",
                             "--no-progress"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    parent = psutil.Process(proc.pid)
    kids: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # forkserver, its two workers and the resource tracker
            kids = _descendants(parent)
            cmdlines = [" ".join(k.cmdline()) for k in kids if _alive(k)]
            workers = [c for c in cmdlines if "forkserver" in c]
            if len(workers) >= 3 and any("resource_tracker" in c for c in cmdlines):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the pool did not start: {[k.cmdline() for k in kids]}")
        time.sleep(1.0)  # working
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.2)
        left = [(k.pid, " ".join(k.cmdline())[:120]) for k in kids if _alive(k)]
        assert not left, f"left behind after kill -9: {left}"
    finally:  # whatever happened, end what this test started
        if proc.poll() is None:
            proc.kill()
        for k in kids:
            if _alive(k):
                k.kill()


@pytest.mark.slow
def test_a_dask_sweep_in_a_script_without_main_guard_runs_here_too(tmp_path):
    pytest.importorskip("distributed")
    (tmp_path / "s.toml").write_text('replications = 2\n[fixed]\nhorizon_days = 60\n[design]\nkind = "grid"\n'
                                     '[parameters]\n"agreement.goal_clarity" = [0.2, 0.8]\n', encoding="utf-8")
    (tmp_path / "plain.py").write_text(textwrap.dedent("""
        from partnersim import sweep
        a = sweep("s.toml", "a", executor="dask", workers=2, progress=False).runs()
        b = sweep("s.toml", "b", executor="inprocess", progress=False).runs()
        print(a.equals(b), len(a))
    """), encoding="utf-8")
    res = _python(["plain.py"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.split() == ["True", "4"]
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and "plain.py line 3" in lines[0], res.stderr[-3000:]
