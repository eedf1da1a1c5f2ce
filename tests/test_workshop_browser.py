"""The workshop app in a real browser: Voila on 127.0.0.1, headless Debian Chromium via Playwright.

Starts ``voila notebooks/workshop.ipynb`` (as ``make workshop`` does), opens it at 1366x768,
reads the numbers and the figure, changes the meeting rhythm, waits for the redraw, checks that
the figure and the numbers changed and that the layout holds (the left column keeps its width,
the dropdowns show their longest option, "what changes" is in view without scrolling, the figure
is a vector image), then at 1920x1080; saves screenshots (``PARTNERSIM_UPDATE_SCREENSHOT=1``
also writes ``docs/img/workshop.png``). No timing is asserted: ``benchmarks/workshop_browser.py``
measures them.
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

# JavaScript helpers: the bytes of the figure (a blob: URL) as a short fingerprint (an async function:
# read it with page.evaluate, never as a wait_for_function predicate, whose promise is always truthy), B's numbers.
FIGURE_JS = """async () => {
  const img = document.querySelector('img.ps-figure');
  if (!img || !img.src) return null;
  const buf = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let h = 0; for (let i = 0; i < buf.length; i++) { h = (h * 31 + buf[i]) >>> 0; }
  return buf.length + ':' + h;
}"""
NUMBERS_JS = """() => Array.from(document.querySelectorAll('.ps-pair tr[data-metric]'))
  .map(r => r.dataset.metric + '=' + r.dataset.b).join(';')"""
FIGURE_TYPE_JS = """async () => {
  const img = document.querySelector('img.ps-figure');
  return (await (await fetch(img.src)).blob()).type; }"""
#: The layout: the left column's width, whether each dropdown's longest option fits its box, and
#: where "what changes" and its first sentence are on screen.
LAYOUT_JS = """() => {
  const left = document.querySelector('.ps-lever-rhythm').closest('.widget-vbox.widget-container')
    .parentElement.closest('.widget-vbox');
  const ctx = document.createElement('canvas').getContext('2d');
  const fits = Array.from(document.querySelectorAll('.ps-app select')).map(sel => {
    const st = getComputedStyle(sel); ctx.font = st.fontSize + ' ' + st.fontFamily;
    const widest = Math.max(...Array.from(sel.options).map(o => ctx.measureText(o.text).width));
    return [sel.closest('[class*=ps-lever-]') ? sel.closest('[class*=ps-lever-]').className.match(/ps-lever-\\w+/)[0]
            : 'preset', widest + 34 <= sel.clientWidth]; });
  const h3 = Array.from(document.querySelectorAll('h3')).find(h => h.innerText.includes('What changes'));
  const first = document.querySelector('.ps-reading-box li, .ps-reading-box p');
  return {left: document.querySelector('.ps-lever-rhythm select').closest('.widget-vbox').getBoundingClientRect().width,
          fits: fits, heading_bottom: h3.getBoundingClientRect().bottom,
          reading_bottom: first ? first.getBoundingClientRect().bottom : 1e9, height: window.innerHeight};
}"""


def _figure(page) -> str | None:
    return page.evaluate(FIGURE_JS)


def _wait_new_figure(page, before: str | None, timeout: float = 60.0) -> None:
    """Poll until the status says "updated" and the figure's bytes differ from ``before``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "updated" in page.inner_text(".ps-status") and _figure(page) not in (None, before):
            return
        time.sleep(0.05)
    pytest.fail(f"the figure did not change within {timeout:.0f} s")


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
                             f"--port={port}", "--Voila.root_dir=.", "--progressive_rendering=True", "--debug"],
                            cwd=ROOT, env=env, stdout=log,
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
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(voila_url, timeout=120_000)
            # the title (the loading message, or the app) comes before the app itself
            page.wait_for_function("() => document.body.innerText.includes('Two ways to run a partnership')",
                                   timeout=150_000)
            # the app is drawn: figure, numbers, and the controls; the loading message is gone
            page.wait_for_selector("img.ps-figure", timeout=150_000)
            page.wait_for_function("() => document.querySelectorAll('.ps-pair tr[data-metric]').length > 3",
                                   timeout=60_000)
            _wait_new_figure(page, None)
            assert page.evaluate("() => Array.from(document.querySelectorAll('.ps-loading'))"
                                 ".every(e => e.offsetParent === null)")
            assert "B is the same as A" in page.inner_text(".ps-reading-box")
            assert page.evaluate(FIGURE_TYPE_JS) == "image/svg+xml"  # a vector figure: crisp at any size
            fig0, nums0 = _figure(page), page.evaluate(NUMBERS_JS)
            assert fig0 and "final_alignment=" in nums0
            layout0 = page.evaluate(LAYOUT_JS)
            page.screenshot(path=str(tmp_path / "workshop-before.png"))

            # the facilitator: "what if you met weekly and quarterly too?"
            t0 = time.monotonic()
            page.select_option(".ps-lever-rhythm select", "weekly check-ins + monthly reviews + quarterly deep dives")
            page.wait_for_function(f"() => ({NUMBERS_JS})() !== {nums0!r}", timeout=60_000)
            numbers_after = time.monotonic() - t0
            _wait_new_figure(page, fig0)
            redraw = time.monotonic() - t0
            nums1 = page.evaluate(NUMBERS_JS)
            assert nums1 != nums0
            alignment = dict(kv.split("=") for kv in nums1.split(";"))["final_alignment"]
            assert float(alignment) > float(dict(kv.split("=") for kv in nums0.split(";"))["final_alignment"])
            page.wait_for_selector(".ps-reading-box li", timeout=30_000)  # the plain-language reading
            reading = page.inner_text(".ps-reading-box")
            assert "B (the changes)" in reading and "likely between" in reading and "95% CI" not in reading

            # the layout at 1366x768, with the reading shown
            layout = page.evaluate(LAYOUT_JS)
            assert abs(layout["left"] - layout0["left"]) < 1, (layout0["left"], layout["left"])  # never shrinks
            assert all(ok for _, ok in layout["fits"]), layout["fits"]  # every option readable
            assert layout["reading_bottom"] <= layout["height"], layout  # "what changes" above the fold
            page.screenshot(path=str(tmp_path / "workshop-1366.png"))

            # a slider, from the keyboard: the time-zone gap to its end (debounced: one run)
            fig1 = _figure(page)
            page.focus(".ps-lever-time_gap .noUi-handle")
            page.keyboard.press("End")
            _wait_new_figure(page, fig1)
            assert errors == [], errors

            # "from month N": B's changes start in month 6 (B is A until then), from the keyboard
            fig2 = _figure(page)
            page.focus(".ps-lever-from_month .noUi-handle")
            for _ in range(6):
                page.keyboard.press("ArrowRight")
            _wait_new_figure(page, fig2)
            page.wait_for_function("() => document.querySelector('.ps-reading-box').innerText"
                                   ".includes('from month 6')", timeout=30_000)
            assert errors == [], errors

            # a large screen: the figure grows with the window (a vector image, not a stretched bitmap)
            width_1366 = page.evaluate("() => document.querySelector('img.ps-figure').getBoundingClientRect().width")
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.wait_for_timeout(300)
            width_1920 = page.evaluate("() => document.querySelector('img.ps-figure').getBoundingClientRect().width")
            assert width_1920 > width_1366 + 200
            shot = tmp_path / "workshop.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("PARTNERSIM_UPDATE_SCREENSHOT"):
                (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
                page.set_viewport_size({"width": 1366, "height": 768})
                page.wait_for_timeout(300)
                page.screenshot(path=str(ROOT / "docs" / "img" / "workshop.png"), full_page=False)
            print(f"\nworkshop redraw in the browser: numbers after {numbers_after:.2f} s, "
                  f"figure after {redraw:.2f} s; screenshot {shot}")
        finally:
            browser.close()
