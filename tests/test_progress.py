"""Progress bars only when someone is watching: not in logs or pipes by default; forced with --progress."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from partnersim.run import progress as progress_mod
from partnersim.run.progress import interactive, progress_bar, show_progress

SCENARIO = 'name = "short"\nhorizon_days = 120\n'
SWEEP = """name = "tiny"
base = "baseline"
seed = 3
replications = 2

[fixed]
horizon_days = 90

[design]
kind = "grid"

[parameters]
"agreement.funding_rule" = ["equal", "capacity"]
"""
BAR_MARKS = ("run/s", "it/s", "\r")


def has_bar(err: str) -> bool:
    return any(mark in err for mark in BAR_MARKS)


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "short.toml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "tiny.toml").write_text(SWEEP, encoding="utf-8")
    return {"scenario": tmp_path / "short.toml", "sweep": tmp_path / "tiny.toml", "dir": tmp_path}


def cli(*argv: str) -> subprocess.CompletedProcess:
    """The command in a subprocess, standard error to a pipe (as in a CI log); output decoded keeping "\\r"."""
    res = subprocess.run([sys.executable, "-m", "partnersim", *argv], capture_output=True, timeout=120)
    res.stdout, res.stderr = res.stdout.decode("utf-8"), res.stderr.decode("utf-8")
    assert res.returncode == 0, res.stderr
    return res


def test_run_no_bar_on_a_pipe_by_default(files):
    res = cli("run", str(files["scenario"]), "--reps", "3", "--workers", "1")
    assert res.stdout.startswith("Short: 3 simulated runs")
    assert not has_bar(res.stderr), repr(res.stderr)


def test_run_progress_forces_the_bar(files):
    res = cli("run", str(files["scenario"]), "--reps", "3", "--workers", "1", "--progress")
    assert "run/s" in res.stderr and "\r" in res.stderr, repr(res.stderr)
    off = cli("run", str(files["scenario"]), "--reps", "3", "--workers", "1", "--no-progress")
    assert not has_bar(off.stderr), repr(off.stderr)


def test_compare_no_bar_by_default_and_forced_with_progress(files):
    args = ("compare", str(files["scenario"]), str(files["scenario"]), "--reps", "3", "--workers", "1",
            "--out", str(files["dir"] / "cmp"))
    assert not has_bar(cli(*args).stderr)
    assert "run/s" in cli(*args, "--progress").stderr


def test_sweep_no_bar_by_default_and_forced_with_progress(files):
    res = cli("sweep", str(files["sweep"]), "--out", str(files["dir"] / "a"), "--workers", "1")
    assert "4 of 4 runs stored" in res.stdout
    assert not has_bar(res.stderr), repr(res.stderr)
    res = cli("sweep", str(files["sweep"]), "--out", str(files["dir"] / "b"), "--workers", "1", "--progress")
    assert "run/s" in res.stderr


def _sweep_on_a_terminal(files, out: str, *extra: str) -> str:
    """Run a sweep with standard error on a pseudo-terminal; return what it wrote there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    try:
        proc = subprocess.Popen([sys.executable, "-m", "partnersim", "sweep", str(files["sweep"]),
                                 "--out", str(files["dir"] / out), "--workers", "1", *extra],
                                stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_sweep_shows_the_bar_on_a_terminal_unless_no_progress(files):
    assert "run/s" in _sweep_on_a_terminal(files, "t1")
    assert not has_bar(_sweep_on_a_terminal(files, "t2", "--no-progress"))


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_show_progress_follows_the_terminal(monkeypatch):
    monkeypatch.setattr(progress_mod, "_in_jupyter_kernel", lambda: False)
    monkeypatch.setattr(sys, "stderr", _Stream(tty=False))
    assert (show_progress(None), show_progress(True), show_progress(False)) == (False, True, False)
    monkeypatch.setattr(sys, "stderr", _Stream(tty=True))
    assert (show_progress(None), show_progress(True), show_progress(False)) == (True, True, False)
    assert interactive(_Stream(tty=False)) is False and interactive(_Stream(tty=True)) is True


@pytest.mark.parametrize("tty", [False, True])
def test_ensemble_default_bar_only_on_a_terminal(monkeypatch, tty):
    """progress=None: past the one-second delay, a bar on a terminal and nothing on a pipe or log file."""
    from partnersim import load_scenario, with_changes
    from partnersim.run.ensemble import iter_ensemble

    monkeypatch.setattr(progress_mod, "_in_jupyter_kernel", lambda: False)
    err = _Stream(tty=tty)
    monkeypatch.setattr(sys, "stderr", err)
    s = with_changes(load_scenario("baseline"), {"horizon_days": 90})
    for update in iter_ensemble(s, reps=4, seed=0, workers=1, chunk_size=1, progress=None):
        if update.done == 1:
            time.sleep(1.2)  # the run now "takes a while": the bar's one-second delay has passed
    assert update.done == 4
    assert has_bar(err.getvalue()) == tty, repr(err.getvalue())


def test_progress_bar_writes_nothing_when_off(monkeypatch):
    monkeypatch.setattr(progress_mod, "_in_jupyter_kernel", lambda: False)
    err = _Stream(tty=False)
    monkeypatch.setattr(sys, "stderr", err)
    bar = progress_bar(10, "x", None, file=err)
    bar.update(10)
    bar.close()
    assert err.getvalue() == ""
    bar = progress_bar(10, "x", True, file=err)
    bar.update(10)
    bar.close()
    assert "run/s" in err.getvalue()
