"""Agreement design by optimisation (issue 15, item 3): the search core on synthetic problems with a known
answer, the search on the model, resuming after ``kill -9``, constraints, no repeated evaluation, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from partnersim.analysis.design_search import confirm, search
from partnersim.analysis.design_space import Constraint, Lever, Objective, design_key, parse_lever, parse_levers
from partnersim.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
REPS = 6


def _noise(reps: int = REPS) -> np.ndarray:
    """Replication r's noise, the same for every design (common random numbers)."""
    return np.array([np.random.default_rng([7, r]).normal(0, 0.5) for r in range(reps)])


class Bowl:
    """A synthetic problem with a known best design: x = 13 (of 0..19), y = "c" (of 4), z = True; 160 designs."""

    levers = (Lever("x", tuple(range(20)), ordered=True), Lever("y", ("a", "b", "c", "d")), Lever("z", (False, True)))
    base = {"x": 0, "y": "a", "z": False}
    metrics = {"score": ("", ""), "cost": ("", ""), "f": ("", ""), "g": ("", "")}

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, changes: dict) -> pd.DataFrame:
        self.calls[design_key(changes)] += 1
        d = {**self.base, **changes}
        x, y, z = d["x"], d["y"], d["z"]
        score = -((x - 13) ** 2) / 4 - 3 * (y != "c") + 2 * z + _noise()
        return pd.DataFrame({"replication": range(REPS), "score": score, "cost": np.full(REPS, float(x)),
                             "f": np.full(REPS, x - 3.0 * (y != "a")), "g": np.full(REPS, 19 - x - 3.0 * (y != "a"))})


def test_finds_the_known_best_design_of_a_synthetic_problem():
    bowl = Bowl()
    r = search(Bowl.levers, [Objective("score")], budget=40, evaluate=bowl, base=Bowl.base, metrics=Bowl.metrics,
               seed=3)
    assert r.recommended == {"x": 13, "y": "c", "z": True}
    assert len(r.designs) == 41  # 40 designs and the start
    # a random search of the same budget mostly misses it: the model of the history is doing the work
    rnd = search(Bowl.levers, [Objective("score")], budget=40, evaluate=Bowl(), base=Bowl.base,
                 metrics=Bowl.metrics, seed=3, sampler="random")
    assert r.designs["score"].iloc[0] >= rnd.designs["score"].iloc[0]


def test_multi_objective_front_is_the_known_pareto_set():
    # f = x - 3 [y != a], g = 19 - x - 3 [y != a]: the front is y = a, every x; other y are dominated
    r = search(Bowl.levers[:2], [Objective("f"), Objective("g")], budget=40, evaluate=Bowl(), base=Bowl.base,
               metrics=Bowl.metrics, seed=1)
    front = r.front
    assert len(front) >= 5
    ys = [r.changes_of(k).get("y", "a") for k in front["key"]]
    assert set(ys) == {"a"}
    dominated = r.designs[~r.designs["front"]]
    assert all(r.changes_of(k).get("y", "a") != "a" for k in dominated["key"])


def test_constraint_is_respected_and_infeasible_designs_are_flagged():
    # maximise score (best at x = 13) under cost = x <= 9: the best feasible design has x = 9
    r = search(Bowl.levers, [Objective("score")], budget=40, evaluate=Bowl(), base=Bowl.base, metrics=Bowl.metrics,
               constraints=[Constraint("cost", "<=", 9)], seed=3)
    assert r.recommended == {"x": 9, "y": "c", "z": True}
    d = r.designs
    assert (d["feasible"] == (d["cost"] <= 9)).all()
    assert not d["feasible"].iloc[-1] and d["violation"].iloc[-1] > 0  # infeasible ones ranked last
    nothing = search(Bowl.levers, [Objective("score")], budget=5, evaluate=Bowl(), base=Bowl.base,
                     metrics=Bowl.metrics, constraints=[Constraint("cost", ">=", 99)], seed=3)
    assert nothing.recommended is None


def test_no_design_is_evaluated_twice_and_a_finished_search_reruns_nothing(tmp_path):
    small = (Lever("x", (0, 1, 2), ordered=True), Lever("z", (False, True)))  # 6 designs, the start among them
    bowl = Bowl()
    r = search(small, [Objective("score")], budget=5, evaluate=bowl, base=Bowl.base, metrics=Bowl.metrics,
               folder=tmp_path, seed=0)
    assert set(bowl.calls.values()) == {1}  # every design once
    assert len(bowl.calls) == 6  # the start and 5 designs: the whole space
    assert len(r.trials) > 5 and not r.trials["new"].all()  # proposals of a design already seen: not run again
    assert search(small, [Objective("score")], budget=9, evaluate=Bowl(), base=Bowl.base, metrics=Bowl.metrics,
                  seed=0).notes == ["Only 5 designs of the budget of 9 were evaluated: the search space has no more."]
    again = Bowl()
    r2 = search(small, [Objective("score")], budget=5, evaluate=again, base=Bowl.base, metrics=Bowl.metrics,
                folder=tmp_path, seed=0)
    assert not again.calls
    pd.testing.assert_frame_equal(r.designs, r2.designs)


def test_a_resumed_search_equals_an_uninterrupted_one(tmp_path):
    # stop after some trials (a smaller budget), go on to the full budget: the same trials as one go
    whole = search(Bowl.levers, [Objective("score")], budget=20, evaluate=Bowl(), base=Bowl.base,
                   metrics=Bowl.metrics, folder=tmp_path / "a", seed=5)
    search(Bowl.levers, [Objective("score")], budget=8, evaluate=Bowl(), base=Bowl.base, metrics=Bowl.metrics,
           folder=tmp_path / "b", seed=5)
    (tmp_path / "b" / "trials" / "trial-000004.json").unlink()  # as if killed before trial 4 was written
    for p in sorted((tmp_path / "b" / "trials").glob("trial-*.json"))[4:]:
        p.unlink()
    resumed = search(Bowl.levers, [Objective("score")], budget=20, evaluate=Bowl(), base=Bowl.base,
                     metrics=Bowl.metrics, folder=tmp_path / "b", seed=5)
    pd.testing.assert_frame_equal(whole.trials, resumed.trials)
    pd.testing.assert_frame_equal(whole.designs, resumed.designs)
    # and the same folder asked for a smaller budget gives what a search of that budget gives
    small = search(Bowl.levers, [Objective("score")], budget=8, evaluate=Bowl(), base=Bowl.base,
                   metrics=Bowl.metrics, folder=tmp_path / "c", seed=5)
    again = search(Bowl.levers, [Objective("score")], budget=8, evaluate=Bowl(), base=Bowl.base,
                   metrics=Bowl.metrics, folder=tmp_path / "b", seed=5)
    pd.testing.assert_frame_equal(small.designs, again.designs)


def test_confirmation_on_more_replications_undoes_a_lucky_winner(tmp_path):
    # design x has mean x / 10 (best: x = 5), but x = 1 is lucky on replications 0-3 (+2 each)
    def lucky(reps):
        def evaluate(changes):
            x = changes.get("x", 0)
            r = np.arange(reps)
            return pd.DataFrame({"replication": r, "score": x / 10 + 2.0 * ((x == 1) & (r < 4))})
        return evaluate

    levers = [Lever("x", tuple(range(6)), ordered=True)]
    r = search(levers, [Objective("score")], budget=5, evaluate=lucky(4), base={"x": 0}, metrics=Bowl.metrics)
    assert r.recommended == {"x": 1}  # the search is fooled by its few replications
    r.confirmed = confirm(r, 3, lucky(400), tmp_path)
    assert r.recommended == {"x": 5} and len(r.confirmed.designs) == 4  # 3 designs and the start
    again = confirm(r, 3, None, tmp_path)  # kept: read back, nothing run
    pd.testing.assert_frame_equal(again.designs, r.confirmed.designs)


def test_levers_conditions_and_specs():
    lv = parse_lever("agreement.cadence.weekly.interval_days=7:21:7")
    assert lv.values == (7.0, 14.0, 21.0) and lv.when == ("agreement.cadence.weekly.enabled", True)
    assert parse_lever("agreement.co_ownership=0.3:0.9:0.2").values == (0.3, 0.5, 0.7, 0.9)
    assert parse_lever("agreement.funding_rule").values == ("equal", "capacity", "benefit", "fund")
    assert parse_lever("agreement.cadence.weekly.attendees=1:3").values == (1, 2, 3)
    # a switch is asked before what it switches, whatever the order given
    order = [x.path for x in parse_levers(["agreement.cadence.weekly.interval_days=7,14",
                                           "agreement.cadence.weekly.enabled"])]
    assert order == ["agreement.cadence.weekly.enabled", "agreement.cadence.weekly.interval_days"]


@pytest.mark.slow
def test_a_small_real_search(tmp_path):
    from partnersim import load_scenario, with_changes
    from partnersim.analysis.optimise import design, load_design
    from partnersim.report_design import design_section_html

    s = with_changes(load_scenario("baseline"), {"horizon_days": 365})
    levers = ["agreement.cadence.weekly.enabled", "agreement.cadence.weekly.interval_days=7,14",
              "agreement.conflict.procedure"]
    r = design(s, levers, ["survived", "min:meeting_hours_per_month"], budget=10, reps=12, workers=1,
               out=tmp_path, coefficients=["dynamics.conflict_rate"])
    # the space: weekly off (x procedure) or on at 7 or 14 days (x procedure): 6 designs, the start among them
    assert len(r.designs) == 6
    weekly7 = r.designs[r.designs["agreement.cadence.weekly.interval_days"].isna()
                        & (r.designs["agreement.cadence.weekly.enabled"] == True)]  # noqa: E712
    assert len(weekly7) == 2  # 7 days is the start's value: not a change, so no column value
    # check-ins cost meeting hours: every design with them costs more than every design without
    on = r.designs["agreement.cadence.weekly.enabled"] == True  # noqa: E712
    assert r.designs.loc[on, "meeting_hours_per_month"].min() > r.designs.loc[~on, "meeting_hours_per_month"].max()
    t = r.table()
    start = t[t["changes"] == "start"].iloc[0]
    assert start["survived_diff"] == 0 and start["meeting_hours_per_month_diff"] == 0
    assert (t["meeting_hours_per_month_low"] <= t["meeting_hours_per_month_diff"]).all()
    if r.recommended:
        assert r.recommended_scenario is not None
        assert list(r.robustness["point"]) == ["centre", "dynamics.conflict_rate-", "dynamics.conflict_rate+"]
    assert r.confirmed is not None and r.confirmed.reps == 36  # the best 3 again on 3 x 12 replications
    assert r.recommended_key in set(r.confirmed.designs["key"])
    back = load_design(tmp_path)
    pd.testing.assert_frame_equal(back.designs, r.designs)
    pd.testing.assert_frame_equal(back.confirmed.designs, r.confirmed.designs)
    assert back.recommended == r.recommended
    html = design_section_html(back)
    assert 'alt="Scatter plot of the 5 agreement designs evaluated and the start' in html and "http" not in html


def _cli(argv: list[str]) -> int:
    try:
        return cli_main(argv)
    except SystemExit as e:  # argparse errors
        return int(e.code or 0)


def _designs_csv(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "designs.csv")


@pytest.mark.slow
def test_resumes_after_kill_9_with_identical_results(tmp_path):
    args = ["design", "baseline", "--set", "horizon_days=365", "--budget", "12", "--reps", "24", "--workers", "1",
            "--objective", "survived", "joint_revenue", "--constraint", "meeting_hours_per_month<=25",
            "--confirm", "2", "--confirm-reps", "48", "--no-robustness", "--no-progress"]
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "partnersim", *args, "--out", str(killed)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list((killed / "trials").glob("trial-*.json"))) < 2 and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL  # killed mid-search, not finished
    done_before = len(list((killed / "trials").glob("trial-*.json")))
    assert 1 <= done_before < 12
    assert not (killed / "designs.csv").exists()
    assert cli_main([*args, "--out", str(killed)]) == 0  # resume (the lock of the killed process is gone)
    whole = tmp_path / "whole"
    assert cli_main([*args, "--out", str(whole)]) == 0
    pd.testing.assert_frame_equal(_designs_csv(killed), _designs_csv(whole))
    for name in ("trials.csv", "table.csv", "confirmed.csv", "design.md"):
        assert (killed / name).read_text() == (whole / name).read_text()


BAD = [
    (["--levers", "agreement.nosuch"], "--levers"),
    (["--levers", "agreement.funding_rule=equal,bogus"], "--levers"),
    (["--levers", "agreement.co_ownership=0.5:0.2"], "--levers"),
    (["--levers", "agreement.co_ownership=0:2:0.5"], "--levers"),
    (["--levers", "agreement.cadence.weekly.attendees=1:3:0.5"], "--levers"),
    (["--levers", "agreement.shared_platform", "agreement.shared_platform"], "--levers"),
    (["--levers", "name"], "--levers"),
    (["--objective", "nosuch"], "--objective"),
    (["--objective", "best:survived"], "--objective"),
    (["--objective", "meeting_hours"], "--objective"),
    (["--objective", "survived", "survived"], "--objective"),
    (["--constraint", "meeting_hours_per_month<30"], "--constraint"),
    (["--constraint", "meeting_hours_per_month<=lots"], "--constraint"),
    (["--constraint", "nosuch>=1"], "--constraint"),
    (["--budget", "0"], "--budget"),
    (["--reps", "1"], "--reps"),
    (["--set", "horizon_days=-5"], "--set"),
    (["--robust-only", "dynamics.nosuch*"], "--robust-only"),
    (["--sampler", "grid"], "--sampler"),
    (["--levers", "agreement.cadence.weekly.interval_days=7,14"], "never applies"),  # weekly is off in baseline
    (["--levers", "agreement.fund_monthly_a=1000:3000"], "funding_rule"),
    (["--levers", "agreement.co_ownership=0.5"], "nothing to search"),
    (["--out", "/dev/null"], "--out"),
]


@pytest.mark.parametrize(("extra", "named"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_input_is_exit_2_and_one_line(extra, named, tmp_path, capsys):
    rc = _cli(["design", "baseline", "--budget", "2", "--reps", "2", "--workers", "1", "--no-robustness",
                   "--out", str(tmp_path), *extra])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and named in err, err
    assert not list(tmp_path.glob("trials/*.json"))  # nothing ran


def test_bad_scenario_file_and_a_different_search_in_the_same_folder(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("horizon_days = 'long'\n")
    assert cli_main(["design", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "bad.toml" in err
    common = ["design", "baseline", "--set", "horizon_days=90", "--budget", "1", "--reps", "2", "--workers", "1",
              "--levers", "agreement.shared_platform", "--objective", "survived", "--no-robustness",
              "--out", str(tmp_path / "s")]
    assert cli_main(common) == 0
    capsys.readouterr()
    assert cli_main([*common, "--seed", "9"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "search.json" in err and "seed" in err


def test_docstring_examples():
    import doctest

    import matplotlib

    matplotlib.use("Agg")
    from partnersim import report_design
    from partnersim.analysis import design_search, design_space, optimise
    from partnersim.plots import design as plots_design

    for mod in (design_space, design_search, optimise, plots_design, report_design):
        assert doctest.testmod(mod).failed == 0, mod.__name__


@pytest.mark.slow
def test_report_with_a_design_section_is_self_contained(tmp_path):
    from test_report import assert_self_contained

    from partnersim import load_scenario, run_ensemble, with_changes
    from partnersim.analysis.optimise import design
    from partnersim.report import report_html

    s = with_changes(load_scenario("baseline"), {"horizon_days": 365})
    r = design(s, ["agreement.shared_platform", "agreement.informal_per_month=0:8:4"], ["survived"],
               ["meeting_hours_per_month<=30"], budget=4, reps=6, workers=1, robustness=False)
    page = report_html(run_ensemble(s, 6, 0, 1, progress=False), design=r)
    assert_self_contained(page)
    section = page[page.index("<section>"):page.index("</section>")]
    assert "Agreement design" in section and section.count('<img src="data:image/png;base64,') == 1
    assert "meeting hours a month" in section.lower() and "money put in a month" in section.lower()
    assert page.count("<h1>") == 1


@pytest.mark.browser
@pytest.mark.slow
def test_report_with_a_design_section_renders_in_chromium(tmp_path):
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("needs Debian chromium (make system-deps)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from partnersim import load_scenario, run_ensemble, with_changes
    from partnersim.analysis.optimise import design
    from partnersim.report import report_html

    s = with_changes(load_scenario("baseline"), {"horizon_days": 365})
    r = design(s, ["agreement.cadence.weekly.enabled", "agreement.funding_rule"], ["survived", "joint_revenue"],
               budget=4, reps=6, workers=1, coefficients=["dynamics.conflict_rate"])
    path = tmp_path / "report.html"
    path.write_text(report_html(run_ensemble(s, 6, 0, 1, progress=False), design=r), encoding="utf-8")
    js = """() => ({
      headings: Array.from(document.querySelectorAll('h1, h2, h3, h4')).map(h => Number(h.tagName[1])),
      alts: Array.from(document.images).map(i => i.alt),
      images: Array.from(document.images).map(i => [i.complete, i.naturalWidth]),
      wrapped: Array.from(document.querySelectorAll('section span.nw')).filter(s =>
          new Set(Array.from(s.getClientRects()).map(b => Math.round(b.top))).size > 1).map(s => s.innerText),
      cells: document.querySelectorAll('section td').length,
    })"""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda q: requests.append(q.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            info = page.evaluate(js)
        finally:
            browser.close()
    assert not errors and [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert all(done and width > 100 for done, width in info["images"])
    assert all(len(alt) > 20 for alt in info["alts"])
    levels = info["headings"]
    assert levels.count(1) == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert info["cells"] > 5 and info["wrapped"] == []  # a mean or an interval is never cut over two lines


def test_a_recommendation_without_a_clear_gain_says_so():
    from partnersim.report_design import recommended_sentences

    def flat(changes):  # every design the same up to noise: nothing is clearly better than the start
        rng = np.random.default_rng([1, len(changes)])
        return pd.DataFrame({"replication": range(REPS), "score": rng.normal(0, 1, REPS)})

    r = search(Bowl.levers[:1], [Objective("score")], budget=3, evaluate=flat, base=Bowl.base, metrics=Bowl.metrics)
    words = " ".join(recommended_sentences(r))
    assert r.recommended and "None of these gains over the start is clear" in words
    bowl = search(Bowl.levers, [Objective("score")], budget=40, evaluate=Bowl(), base=Bowl.base,
                  metrics=Bowl.metrics, seed=3)
    assert "is clear" not in " ".join(recommended_sentences(bowl))
