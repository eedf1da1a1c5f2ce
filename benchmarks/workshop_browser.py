"""The workshop app timed in a real browser: Voila on 127.0.0.1, headless Debian Chromium (Playwright).

Usage (from the project root)::

    .venv/bin/python benchmarks/workshop_browser.py              # default runs (PARTNERSIM_REPS or the app's 40)
    .venv/bin/python benchmarks/workshop_browser.py --rounds 8 --json out/workshop.json --shots out/shots

What a room sees, from the moment the page is opened:

- ``first_paint_s``: the first words on screen (Voila's "Running ..." under its spinner);
- ``title_s``: the app's title with a loading message (the notebook's first cell), or the app;
- ``controls_s``: the title and controls drawn;
- ``first_figure_s``: the first figure and numbers;
- ``dropdown_s``: a dropdown change (the meeting rhythm) to the new figure, per round;
- ``slider_s``: a slider step from the keyboard (the time-zone gap), from the key's release to the new
  figure, which includes the 0.3 s the app waits for a slider to be still.

Each round changes B to a setting not seen before (no cached ensemble), alternating two levers.
Nothing here is asserted: ``tests/test_workshop_browser.py`` checks that the page renders and
responds; this script measures how fast.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: a short fingerprint of the figure's bytes (its blob: URL), to see when it changes
FIGURE_JS = """async () => {
  const img = document.querySelector('img.ps-figure');
  if (!img || !img.src) return null;
  const buf = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let h = 0; for (let i = 0; i < buf.length; i++) { h = (h * 31 + buf[i]) >>> 0; }
  return buf.length + ':' + h;
}"""
RHYTHMS = ("weekly check-ins + monthly reviews + quarterly deep dives", "weekly check-ins", "no regular meetings",
           "weekly check-ins + monthly reviews", "quarterly deep dives", "weekly check-ins + quarterly deep dives")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_voila(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """Start ``voila notebooks/workshop.ipynb`` on 127.0.0.1 (its own process group); wait until it answers."""
    port = _free_port()
    voila = Path(sys.executable).with_name("voila")
    out = log.open("w")
    proc = subprocess.Popen([str(voila), "notebooks/workshop.ipynb", "--no-browser", "--Voila.ip=127.0.0.1",
                             f"--port={port}", "--Voila.root_dir=.", "--progressive_rendering=True"],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "api/status", timeout=2):
                break
        except urllib.error.HTTPError:
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("voila did not start within 90 s") from None
            time.sleep(0.3)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    """Stop voila and the kernel it started (its process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _changed(page: Any, before: str | None, timeout: float = 60.0) -> None:
    """Wait for the new figure: the status says "updated" and the figure's bytes differ from ``before``.

    Polled from here: ``page.wait_for_function`` with an ``async`` predicate would see its promise,
    which is truthy, and return at once.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "updated" in page.inner_text(".ps-status") and page.evaluate(FIGURE_JS) not in (None, before):
            return
        time.sleep(0.02)
    raise TimeoutError("the figure did not change")


def _drawn(page: Any) -> None:
    page.wait_for_function("""() => { const s = document.querySelector('.ps-status');
      const img = document.querySelector('img.ps-figure');
      return s && s.innerText.includes('updated') && img && img.complete && img.naturalWidth > 0; }""",
                           timeout=60_000, polling=25)


def measure(url: str, rounds: int, viewport: tuple[int, int], shots: Path | None) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"viewport": list(viewport)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            t0 = time.monotonic()
            page.goto(url, wait_until="commit", timeout=120_000)
            page.wait_for_function("() => document.body && document.body.innerText.trim().length > 0",
                                   timeout=120_000, polling=25)
            out["first_paint_s"] = time.monotonic() - t0
            out["first_words"] = page.evaluate("() => document.body.innerText.trim().slice(0, 80)")
            if shots:
                page.screenshot(path=str(shots / "1-first-paint.png"))
            page.wait_for_function("() => document.body.innerText.includes('Two ways to run a partnership')",
                                   timeout=150_000, polling=25)
            out["title_s"] = time.monotonic() - t0  # the app's title: the loading message, or the app
            if shots:
                page.screenshot(path=str(shots / "1b-title.png"))
            page.wait_for_selector(".ps-lever-rhythm select", timeout=150_000)
            out["controls_s"] = time.monotonic() - t0
            page.wait_for_selector("img.ps-figure", timeout=150_000)
            _drawn(page)
            out["first_figure_s"] = time.monotonic() - t0
            if shots:
                page.screenshot(path=str(shots / "2-first-figure.png"))
            drop, slide = [], []
            for k in range(rounds):
                fig = page.evaluate(FIGURE_JS)
                t = time.monotonic()
                page.select_option(".ps-lever-rhythm select", RHYTHMS[k % len(RHYTHMS)])
                _changed(page, fig)
                drop.append(time.monotonic() - t)
                _drawn(page)
                fig = page.evaluate(FIGURE_JS)
                page.focus(".ps-lever-time_gap .noUi-handle")
                t = time.monotonic()
                page.keyboard.press("ArrowRight")  # the key's release: the slider is still from here
                _changed(page, fig)
                slide.append(time.monotonic() - t)
                _drawn(page)
            out["dropdown_s"] = [round(x, 3) for x in drop]
            out["slider_s"] = [round(x, 3) for x in slide]
            out["dropdown_median_s"] = statistics.median(drop) if drop else float("nan")
            out["slider_median_s"] = statistics.median(slide) if slide else float("nan")
            out["status"] = page.inner_text(".ps-status")
            if shots:
                page.screenshot(path=str(shots / "3-after-changes.png"))
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=6, help="changes of each kind (default 6)")
    ap.add_argument("--reps", type=int, default=None, help="runs per scenario (default: PARTNERSIM_REPS or the app's)")
    ap.add_argument("--viewport", default="1366x768", help="browser window, WIDTHxHEIGHT (default 1366x768)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--shots", type=Path, default=None, help="folder for screenshots")
    args = ap.parse_args(argv)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("PARTNERSIM_QUICK", None)
    if args.reps is not None:
        env["PARTNERSIM_REPS"] = str(args.reps)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    w, h = (int(v) for v in args.viewport.lower().split("x"))
    log = ROOT / "out" / "workshop-voila.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t = time.monotonic()
    proc, url = start_voila(env, log)
    server_s = time.monotonic() - t
    try:
        res = measure(url, args.rounds, (w, h), args.shots)
    finally:
        stop(proc)
    res.update(server_start_s=server_s, reps=env.get("PARTNERSIM_REPS", "app default"), cpus=os.cpu_count(),
               load_1min=os.getloadavg()[0], when=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    for key in ("server_start_s", "first_paint_s", "title_s", "controls_s", "first_figure_s", "dropdown_median_s",
                "slider_median_s"):
        print(f"{key:<20} {res[key]:6.2f} s")
    print(f"{'dropdown rounds':<20} {res['dropdown_s']}\n{'slider rounds':<20} {res['slider_s']}")
    print(f"load average (1 min) at the end: {res['load_1min']:.1f} on {res['cpus']} cores; reps {res['reps']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
