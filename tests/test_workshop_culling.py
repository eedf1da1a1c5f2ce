"""The workshop server does not keep a closed tab's kernel and workers (issue 12).

Runs the real ``make workshop`` target (Voila on 127.0.0.1) with short culling times (and the app
run as the page is served, not progressively), loads the page once without keeping a connection
(like a closed tab), checks that the page's kernel and
its pool's worker processes started, then that Voila shut them all down by itself while the
server kept running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(Path(sys.executable).parent != VENV_BIN or not (VENV_BIN / "voila").exists(),
                       reason="runs `make workshop`, which uses the project's .venv"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [p for p in proc.children(recursive=True) if _alive(p)]
    except psutil.NoSuchProcess:
        return []


def test_a_closed_tabs_kernel_and_workers_are_culled(tmp_path: Path):
    port = _free_port()
    env = {**os.environ, "PARTNERSIM_REPS": "8", "PARTNERSIM_WORKERS": "2", "MPLBACKEND": "Agg"}
    for k in ("PARTNERSIM_QUICK", "PARTNERSIM_PRESET", "MAKEFLAGS", "MFLAGS"):
        env.pop(k, None)
    log = (tmp_path / "voila.log").open("w")
    proc = subprocess.Popen(["make", "-s", "-o", ".venv/.installed-stamp", "workshop", f"PORT={port}", "CULL_IDLE=3",
                             "CULL_INTERVAL=1",
                             # the page runs the app as it is served (not once a browser connects to it)
                             "PROGRESSIVE=False"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    root = psutil.Process(proc.pid)
    seen: list[psutil.Process] = []
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "voila.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(url + "api/status", timeout=2):
                    break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, "voila did not start within 90 s"
                time.sleep(0.5)
        with urllib.request.urlopen(url, timeout=240) as r:  # the page runs the app in a new kernel
            page = r.read().decode("utf-8", "replace")
        assert r.status == 200 and "voila" in page  # (the app's own checks are in test_workshop_browser)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the kernel, and the pool the app started in it
            seen = [p for p in _tree(root)
                    if "bin/voila" not in " ".join(p.cmdline()) and p.name() not in ("make", "sh")]
            cmd = [" ".join(p.cmdline()) for p in seen]
            kernels = [c for c in cmd if "ipykernel" in c]
            workers = [c for c in cmd if "forkserver" in c]
            if kernels and len(workers) >= 3:  # the forkserver and its two workers
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"no kernel with a pool under voila: {cmd}")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and any(_alive(p) for p in seen):
            time.sleep(0.5)
        left = [" ".join(p.cmdline())[:100] for p in seen if _alive(p)]
        assert not left, f"still running after the culling time: {left}"
        assert proc.poll() is None  # the server itself goes on, for the next page
    finally:  # end everything this test started: the server's group, then anything left of its tree
        rest = _tree(root) + seen
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        for p in rest:
            if _alive(p):
                p.kill()
        log.close()
