"""The HTML report: self-contained, every figure embedded, tables, parameters, findings, seed and versions."""

from __future__ import annotations

import html
import re
import shutil

import numpy
import pytest
import simpy

from partnersim import __version__, compare, load_scenario, run_ensemble, with_changes
from partnersim.report import report_html, write_report

IMG = '<img src="data:image/png;base64,'


@pytest.fixture(scope="module")
def scenarios():
    short = {"horizon_days": 365}
    return (with_changes(load_scenario("funding_equal_3to1"), short),
            with_changes(load_scenario("funding_proportional_3to1"), short))


@pytest.fixture(scope="module")
def comparison_html(scenarios):
    c = compare(*scenarios, reps=12, seed=5, workers=1, progress=False)
    return report_html(c, command="partnersim report a.toml --compare b.toml")


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # no external resources: no scripts, style sheets, images or fonts fetched from anywhere
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page


def test_comparison_report_has_every_figure_and_table(comparison_html):
    page = comparison_html
    assert_self_contained(page)
    assert page.count(IMG) == 4  # forest plot, time series, survival, outcomes
    for title in ("What changes", "Over time", "Does it last?", "Spread of the final outcomes"):
        assert f"<h2>{title}</h2>" in page
    assert page.count("<table>") >= 5  # main and full comparison, differing parameters, both scenarios, versions
    assert "The bottom line" in page and "perceived fairness is higher by" in page
    assert "What differs between A and B" in page and "agreement.funding_rule" in page
    assert "equal" in page and "capacity" in page


def test_comparison_report_reads_for_a_client(comparison_html):
    page = html.unescape(comparison_html)
    # the executive summary comes first: bottom line, then costs, then what it buys, then the figures
    order = [page.index(h) for h in ("<h2>The bottom line</h2>", "<h2>What the change costs</h2>",
                                     "<h2>What it buys", "<h2>What changes</h2>", "<h2>The numbers</h2>",
                                     "<h2>About this report</h2>", "<h2>Reproducing these numbers</h2>")]
    assert order == sorted(order)
    bottom = page[page.index('<div class="bottom">'):page.index("<h2>What the change costs</h2>")]
    for words in ("still together", "joint revenue", "Large Co's perceived fairness", "Small Co's", "conflicts"):
        assert words in bottom, words
    # the scenarios' currency, the partners' names, display names; no placeholders or doubled labels
    assert "EUR " in page and "(currency)" not in page and ">currency<" not in page
    assert "Funding equal 3:1" in page and "<b>A: funding_equal_3to1" not in page
    assert "A: A:" not in page and "B: B:" not in page and "(s)" not in page
    assert "95% CI" not in page and "0–1 scale" not in page
    # every image says what it shows
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
    assert len(alts) == 4 and all(len(a) > 20 for a in alts)
    # findings in the order of what matters, not effect size: trust (+5 points) before the less satisfied
    # partner's fairness (+31 points); nothing on resolved conflicts
    buys = page[page.index("<h2>What it buys"):page.index("<h2>What changes</h2>")]
    assert buys.index("Final trust is higher") < buys.index("The less satisfied partner's perceived fairness")
    assert "conflicts resolved" not in buys


def test_costs_are_said_as_costs():
    from partnersim.analysis.reading import cost_sentences

    base = with_changes(load_scenario("funding_equal_3to1"), {"horizon_days": 365})
    weekly = with_changes(base, {"agreement.cadence.weekly.enabled": True})
    c = compare(base, weekly, reps=6, seed=1, workers=1, progress=False)
    costs = cost_sentences(c)
    assert costs[0].startswith("The change costs ") and "staff hours of meetings over the 12 months" in costs[0]
    assert not any("time spent in meetings" in s.lower() for s in c.reading())  # a cost, not a finding


def test_report_states_seed_replications_and_versions(comparison_html):
    page = comparison_html
    assert "12 replications per scenario, seed 5" in page
    assert "<td class=\"l\">seed</td><td class=\"l\">5</td>" in page
    for name, ver in (("partnersim", __version__), ("numpy", numpy.__version__), ("simpy", simpy.__version__)):
        assert f"<td class=\"l\">{name}</td><td class=\"l\">{ver}</td>" in page
    assert "<td class=\"l\">python</td>" in page
    assert "partnersim report a.toml --compare b.toml" in page


def test_single_scenario_report(scenarios, tmp_path):
    ens = run_ensemble(scenarios[0], 8, 2, workers=1, progress=False)
    path = write_report(ens, tmp_path / "deep" / "one.html", title="Equal funding <draft>")
    page = path.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert page.count(IMG) == 3
    assert "<title>Equal funding &lt;draft&gt;</title>" in page  # escaped
    assert "Every parameter of Funding equal 3:1" in page and "still together" in page
    assert "EUR " in page and "Days together" in page
    assert "What differs between A and B" not in page


#: In the page: heading levels in order, and what each image says.
_OUTLINE_JS = """() => ({
  headings: Array.from(document.querySelectorAll('h1, h2, h3, h4')).map(h => Number(h.tagName[1])),
  alts: Array.from(document.images).map(i => i.alt),
  images: Array.from(document.images).map(i => [i.complete, i.naturalWidth]),
  lang: document.documentElement.lang,
  wrapped: Array.from(document.querySelectorAll('td.n')).filter(td => {
      const r = document.createRange(); r.selectNodeContents(td);
      return new Set(Array.from(r.getClientRects()).map(b => Math.round(b.top))).size > 1; })
      .map(td => td.innerText),
})"""


@pytest.mark.browser
def test_report_renders_in_chromium_alone_and_accessibly(comparison_html, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("needs Debian chromium (make system-deps)")
    sync_api = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "report.html"
    path.write_text(comparison_html, encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("requestfailed", lambda r: errors.append(r.url))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000  # a page was drawn, figures and all
            info = page.evaluate(_OUTLINE_JS)
            assert page.title().startswith("Partnership simulation")
            assert not errors, errors
            # nothing fetched from anywhere: the page itself, and its data: images
            assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
            assert len(info["images"]) == 4 and all(done and width > 100 for done, width in info["images"])
            # accessibility basics: a language, one h1 first, no skipped heading level, every image described
            levels = info["headings"]
            assert info["lang"] == "en" and levels[0] == 1 and levels.count(1) == 1
            assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
            assert all(len(alt) > 20 for alt in info["alts"]), info["alts"]
            assert info["wrapped"] == []  # numbers, "< 0.001" and ranges stay on one line
        finally:
            browser.close()
