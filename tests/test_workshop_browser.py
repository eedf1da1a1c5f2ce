"""The workshop app in a real browser: Voila on 127.0.0.1, headless Debian Chromium via Playwright.

Starts ``voila notebooks/workshop.ipynb``, opens it, reads the numbers and the figure, changes
the meeting rhythm, waits for the redraw, checks that the figure and the numbers changed, and
saves a screenshot (``PARTNERSIM_UPDATE_SCREENSHOT=1`` also writes ``docs/img/workshop.png``).
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
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (/usr/bin/chromium): "
                       "`apt-get install chromium` (make system-deps does it as root)"),
]

# JavaScript helpers: the bytes of the figure (a blob: URL) as a short fingerprint, and B's numbers.
FIGURE_JS = """async () => {
  const img = document.querySelector('img.ps-figure');
  if (!img || !img.src) return null;
  const buf = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let h = 0; for (let i = 0; i < buf.length; i++) { h = (h * 31 + buf[i]) >>> 0; }
  return buf.length + ':' + h;
}"""
NUMBERS_JS = """() => Array.from(document.querySelectorAll('.ps-pair tr[data-metric]'))
  .map(r => r.dataset.metric + '=' + r.dataset.b).join(';')"""


def _wait_drawn(page) -> None:
    """Wait until the last update has arrived (the status says so) and the image is painted."""
    page.wait_for_function("""() => {
      const s = document.querySelector('.ps-status'); const img = document.querySelector('img.ps-figure');
      return s && s.innerText.includes('updated') && img && img.complete && img.naturalWidth > 0; }""",
                           timeout=60_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PARTNERSIM_REPS": "12", "PARTNERSIM_WORKERS": "2", "MPLBACKEND": "Agg"}
    env.pop("PARTNERSIM_QUICK", None)
    env.pop("PARTNERSIM_PRESET", None)
    voila = Path(sys.executable).with_name("voila")
    log = (tmp_path / "voila.log").open("w")
    proc = subprocess.Popen([str(voila), "notebooks/workshop.ipynb", "--no-browser", "--Voila.ip=127.0.0.1",
                             f"--port={port}", "--Voila.root_dir=.", "--debug"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"voila exited with {proc.returncode}: {(tmp_path / 'voila.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "api/status", timeout=2):
                    break
            except urllib.error.HTTPError:  # the server answers (any status): it is up
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("voila did not start within 90 s")
                time.sleep(0.5)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # voila and the kernel it started (its own session)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def test_workshop_app_responds_in_chromium(voila_url: str, tmp_path: Path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1150})
            page.goto(voila_url, timeout=120_000)
            # the app is drawn: figure, numbers, and the controls
            page.wait_for_selector("img.ps-figure", timeout=150_000)
            page.wait_for_function("() => document.querySelectorAll('.ps-pair tr[data-metric]').length > 3",
                                   timeout=60_000)
            page.wait_for_function(f"async () => ({FIGURE_JS})() !== null", timeout=60_000)
            assert "B is the same as A" in page.inner_text(".ps-reading-box")
            _wait_drawn(page)
            fig0, nums0 = page.evaluate(FIGURE_JS), page.evaluate(NUMBERS_JS)
            assert fig0 and "final_alignment=" in nums0
            page.screenshot(path=str(tmp_path / "workshop-before.png"), full_page=True)

            # the facilitator: "what if you met weekly and quarterly too, with a conflict procedure?"
            t0 = time.monotonic()
            page.select_option(".ps-lever-rhythm select", "weekly check-ins + monthly reviews + quarterly deep dives")
            page.wait_for_function(f"() => ({NUMBERS_JS})() !== {nums0!r}", timeout=60_000)
            numbers_after = time.monotonic() - t0
            page.wait_for_function(f"async () => {{ const f = await ({FIGURE_JS})(); return f && f !== {fig0!r}; }}",
                                   timeout=60_000)
            redraw = time.monotonic() - t0
            _wait_drawn(page)
            nums1 = page.evaluate(NUMBERS_JS)
            assert nums1 != nums0
            alignment = dict(kv.split("=") for kv in nums1.split(";"))["final_alignment"]
            assert float(alignment) > float(dict(kv.split("=") for kv in nums0.split(";"))["final_alignment"])
            page.wait_for_selector(".ps-reading-box li", timeout=30_000)  # the plain-language reading
            reading = page.inner_text(".ps-reading-box")
            assert "B (the changes)" in reading

            # a slider, from the keyboard: the time-zone gap to its end (debounced: one run)
            fig1 = page.evaluate(FIGURE_JS)
            page.focus(".ps-lever-time_gap .noUi-handle")
            page.keyboard.press("End")
            page.wait_for_function(f"async () => {{ const f = await ({FIGURE_JS})(); return f && f !== {fig1!r}; }}",
                                   timeout=60_000)
            _wait_drawn(page)
            shot = tmp_path / "workshop.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("PARTNERSIM_UPDATE_SCREENSHOT"):
                (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ROOT / "docs" / "img" / "workshop.png"), full_page=False)
            print(f"\nworkshop redraw in the browser: numbers after {numbers_after:.2f} s, "
                  f"figure after {redraw:.2f} s; screenshot {shot}")
        finally:
            browser.close()
