"""Scenario discovery: PRIM recovers a planted failure region, the words name it, bad input is exit 2."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from partnersim.analysis import discover as discover_mod
from partnersim.analysis.discover import Condition, Limit, discover, limit_words, parse_where
from partnersim.analysis.storage import read_runs
from partnersim.analysis.sweep import sweep
from partnersim.cli import main as cli

CLARITY, WEEKLY, FUNDING = "agreement.goal_clarity", "agreement.cadence.weekly.enabled", "agreement.funding_rule"
NOISE = ("agreement.co_ownership", "agreement.shared_platform")


def planted(n_points: int = 700, reps: int = 12, seed: int = 11) -> pd.DataFrame:
    """Run rows of a synthetic sweep: the partnership survives with probability 0.3 inside the region
    (goal clarity below 0.35, no weekly check-ins, costs split equally or by capacity) and 0.97 outside,
    independently per replication; two further parameters do nothing."""
    rng = np.random.default_rng(seed)
    pts = pd.DataFrame({
        CLARITY: rng.uniform(0.05, 0.95, n_points),
        WEEKLY: rng.random(n_points) < 0.5,
        FUNDING: rng.choice(["equal", "capacity", "benefit", "fund"], n_points),
        NOISE[0]: rng.uniform(0.1, 0.95, n_points),
        NOISE[1]: rng.random(n_points) < 0.5,
    })
    region = (pts[CLARITY] < 0.35) & ~pts[WEEKLY] & pts[FUNDING].isin(["equal", "capacity"])
    p = np.where(region, 0.3, 0.97)
    rows = pts.loc[np.repeat(np.arange(n_points), reps)].reset_index(drop=True)
    rows.insert(0, "point_id", np.repeat(np.arange(n_points), reps))
    rows.insert(1, "replication", np.tile(np.arange(reps), n_points))
    rows["survived"] = (rng.random(len(rows)) < np.repeat(p, reps)).astype(float)
    rows["error"] = None
    return rows


@pytest.fixture(scope="module")
def found():
    return discover(planted(), "survived < 0.8")


def test_prim_recovers_the_planted_region(found):
    assert len(found.points) == 700 and found.replications == 12  # averaged per point
    b = found.boxes[0]
    assert b.coverage > 0.8 and b.density > 0.8
    by = {lim.parameter: lim for lim in b.limits}
    assert set(by) == {CLARITY, WEEKLY, FUNDING}
    assert by[CLARITY].lower is None and 0.28 < by[CLARITY].upper < 0.42 and by[CLARITY].inclusive
    assert by[CLARITY].upper in set(found.points[CLARITY])  # a value a point takes: "at most" is exact
    assert by[WEEKLY].values == (False,)
    assert set(by[FUNDING].values) == {"equal", "capacity"}
    # the numbers are recomputed for the box as described, over the points
    pts = found.points
    inside = (pts[CLARITY] <= by[CLARITY].upper) & ~pts[WEEKLY].astype(bool) & pts[FUNDING].isin(["equal", "capacity"])
    assert b.n == int(inside.sum()) and b.k == int(pts["hit"][inside].sum())
    assert b.mean_inside < 0.6 < b.mean_outside


def test_the_words_name_the_fields_and_directions(found):
    text = found.box_words(found.boxes[0])
    assert text.startswith("When goal clarity is at most 0.3") or text.startswith("When goal clarity is at most 3")
    assert "there are no weekly check-ins" in text and "costs are split by capacity or equally" in text
    assert "the chance that the partnership survives is below 80%" in text
    assert f"{found.boxes[0].density:.0%}" in text and f"covers {found.boxes[0].coverage:.0%}" in text
    assert "co-ownership" not in text and "platform" not in text
    top = found.tree[0]
    assert top.share > 0.5 and {lim.parameter for lim in top.limits} <= {CLARITY, WEEKLY, FUNDING}
    assert "goal clarity is below" in found.leaf_words(top)
    assert all(s.endswith(".") or s.endswith(":") for s in found.words())


def test_limit_words_in_both_directions_and_choices():
    assert limit_words(Limit(CLARITY, "range", lower=0.6)) == "goal clarity is above 60/100"  # a tree's threshold
    assert limit_words(Limit(CLARITY, "range", upper=0.3, inclusive=True)) == "goal clarity is at most 30/100"
    assert limit_words(Limit(WEEKLY, "set", values=(True,))) == "there are weekly check-ins"
    three_of_four = Limit(FUNDING, "set", values=("benefit", "capacity", "equal"),
                          full=("benefit", "capacity", "equal", "fund"))
    assert limit_words(three_of_four) == "costs are not split from a shared fund"
    between = limit_words(Limit("agreement.cadence.monthly.interval_days", "range", lower=20, upper=45))
    assert between == "the time between strategic reviews is between 20 and 45 days"


def test_the_trajectory_offers_steps_and_box_picks_one(found):
    t = found.trajectory
    assert t["step"].tolist() == list(range(len(t))) and int(t["chosen"].sum()) == 1
    assert t["coverage"].iloc[0] == 1.0 and t["density"].iloc[0] == pytest.approx(found.n_hits / len(found.points))
    assert t["mass"].is_monotonic_decreasing
    early = discover(planted(), "survived < 0.8", box=2, max_boxes=1)
    assert early.boxes[0].step == 2 and early.trajectory["chosen"].tolist().index(True) == 2
    assert early.boxes[0].coverage >= found.boxes[0].coverage - 1e-12  # an earlier step is a bigger box


def test_same_inputs_same_result(found):
    again = discover(planted(), "survived < 0.8")
    pd.testing.assert_frame_equal(again.trajectory, found.trajectory)
    assert again.words() == found.words()


def test_parse_where():
    assert parse_where("survived<0.8") == Condition("survived", "<", 0.8)
    assert parse_where(" final_trust >= .5 ") == Condition("final_trust", ">=", 0.5)
    assert parse_where("escalations != 0").test(np.array([0.0, 1.0, np.nan])).tolist() == [False, True, False]
    for text, says in [("survived", "expected METRIC OP NUMBER"), ("survived < abc", "not a finite number"),
                       ("survived < nan", "not a finite number"), ("survived = 0.8", "expected METRIC OP NUMBER"),
                       ("surived < 0.8", "did you mean 'survived'")]:
        with pytest.raises(ValueError, match=says):
            parse_where(text, ["survived", "final_trust"])


def test_doctests():
    assert doctest.testmod(discover_mod).failed == 0


TINY = """# discover test sweep
seed = 4
replications = 2
[fixed]
horizon_days = 540
[design]
kind = "lhs"
samples = 48
[parameters]
"agreement.goal_clarity" = { range = [0.05, 0.95] }
"agreement.informal_per_month" = { range = [0, 8] }
"agreement.cadence.weekly.enabled" = [false, true]
"agreement.funding_rule" = ["equal", "capacity", "fund"]
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("disc")
    f = d / "tiny.toml"
    f.write_text(TINY, encoding="utf-8")
    sweep(f, d / "o", executor="inprocess", progress=False)
    return d / "o"


def _median_trust(folder) -> float:
    m = read_runs(folder).groupby("point_id")["final_trust"].mean()
    return float(np.round(m.median(), 4))


def test_cli_on_a_tiny_real_sweep(folder, tmp_path, capsys):
    where = f"final_trust < {_median_trust(folder)}"
    out = tmp_path / "found"
    assert cli(["discover", str(folder), "--where", where, "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    for head in ("PRIM boxes", "Peeling trajectory", "In words", "Decision tree"):
        assert head in stdout
    assert "final trust is below" in stdout
    for name in ("boxes.csv", "limits.csv", "trajectory.csv", "tree.csv", "words.txt"):
        assert (out / name).is_file()
    assert (out / "box_1.png").stat().st_size > 1000 and (out / "tradeoff.png").stat().st_size > 1000
    traj = pd.read_csv(out / "trajectory.csv")
    assert list(traj.columns) == ["step", "coverage", "density", "mass", "n", "k", "res_dim", "chosen"]
    assert traj["chosen"].sum() == 1
    # the folder and the stored runs read as a frame give the same discovery
    names = ["agreement.goal_clarity", "agreement.informal_per_month", WEEKLY, FUNDING]
    from_frame = discover(read_runs(folder), where, parameters=names)
    assert "\n".join(from_frame.words()) + "\n" == (out / "words.txt").read_text(encoding="utf-8")
    assert cli(["discover", str(folder), "--where", where, "--box", "1", "--boxes", "1"]) == 0
    import re

    assert re.search(r"^ +1 +1 +\d+% +\d+% ", capsys.readouterr().out, re.M)  # box 1 at step 1
    assert cli(["discover", str(folder), "--where", where, "--box", "0", "--boxes", "1"]) == 0
    assert "- Across the whole sweep, final trust is below" in capsys.readouterr().out  # step 0 restricts nothing


@pytest.mark.parametrize("args, says", [
    (["--where", "final_trusst < 0.5"], "did you mean 'final_trust'"),
    (["--where", "final_trust 0.5"], "expected METRIC OP NUMBER"),
    (["--where", "final_trust < x"], "not a finite number"),
    (["--where", "final_trust < -5"], "no point meets"),
    (["--where", "final_trust > -5"], "every point meets"),
    (["--where", "final_trust < 0.5", "--box", "999"], "--box: 999 is not a step"),
    (["--where", "final_trust < 0.5", "--density", "1.5"], "--density"),
    (["--where", "final_trust < 0.5", "--depth", "9"], "--depth"),
])
def test_cli_bad_input_is_one_line_exit_2(folder, capsys, args, says):
    if "--box" in args or "--density" in args or "--depth" in args:
        args = [a.replace("0.5", str(_median_trust(folder))) for a in args]
    try:
        code = cli(["discover", str(folder), *args])
    except SystemExit as e:  # argparse's own errors (a bad --density or --depth)
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_not_a_sweep_folder(tmp_path, capsys):
    assert cli(["discover", str(tmp_path), "--where", "survived < 0.8"]) == 2
    err = capsys.readouterr().err
    assert "not a sweep folder" in err and len(err.strip().splitlines()) == 1


def test_figures(found):
    from partnersim.plots.discover import box_alt, box_figure, tradeoff_figure

    ax = box_figure(found).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["goal clarity", "weekly check-ins", "funding rule"][::-1]
    pts = tradeoff_figure(found).axes[0].collections
    assert sum(len(c.get_offsets()) for c in pts[:-1]) == len(found.trajectory)
    assert "goal clarity is at most" in box_alt(found)


def test_report_section(found, folder, tmp_path, capsys):
    import html
    import re

    from partnersim import load_scenario, run_ensemble, with_changes
    from partnersim.report import report_html
    from partnersim.report_discover import discovery_html

    section = discovery_html(found)
    assert section.startswith("<h2>Where the chance that the partnership survives is below 80%")
    assert html.escape(found.box_words(found.boxes[0]), quote=True) in section
    imgs = re.findall(r"<img [^>]*>", section)
    assert len(imgs) == len(found.boxes) + 1 and all(re.search(r'alt="[^"]{20,}"', i) for i in imgs)
    e = run_ensemble(with_changes(load_scenario("baseline"), {"horizon_days": 120}), 2, 1, 1)
    page = report_html(e, discovery=found)
    assert section in page and "http://" not in page.replace("http://www.w3.org", "")
    assert page.index("scenario discovery") < page.index("About this report")
    out = tmp_path / "r.html"
    where = f"final_trust < {_median_trust(folder)}"
    assert cli(["report", "baseline", "--reps", "2", "--workers", "1", "--out", str(out), "--discover", str(folder),
                "--where", where]) == 0
    assert "scenario discovery" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert cli(["report", "baseline", "--out", str(out), "--where", where]) == 2
    assert "--where: needs --discover DIR" in capsys.readouterr().err


def test_cli_help_and_folder_errors(folder, tmp_path, capsys):
    import shutil

    with pytest.raises(SystemExit) as e:
        cli(["discover", "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and "partnersim discover" in out and "--where" in out and "%%" not in out
    where = f"final_trust < {_median_trust(folder)}"
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    assert cli(["discover", str(folder), "--where", where, "--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "existing file" in err and len(err.strip().splitlines()) == 1
    cut = tmp_path / "cut"
    shutil.copytree(folder, cut)
    for p in (cut / "runs").glob("part-*.parquet"):
        p.unlink()
    assert cli(["discover", str(cut), "--where", where]) == 2
    err = capsys.readouterr().err
    assert "unfinished" in err and len(err.strip().splitlines()) == 1


@pytest.mark.browser
def test_the_report_with_a_discovery_renders_in_chromium_alone(found, tmp_path):
    import shutil

    from test_report import _OUTLINE_JS, assert_self_contained

    from partnersim import load_scenario, run_ensemble, with_changes
    from partnersim.report import report_html

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("needs Debian chromium (make system-deps)")
    sync_api = pytest.importorskip("playwright.sync_api")
    e = run_ensemble(with_changes(load_scenario("baseline"), {"horizon_days": 120}), 2, 1, 1)
    html_page = report_html(e, discovery=found)
    assert_self_contained(html_page)
    path = tmp_path / "report.html"
    path.write_text(html_page, encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.on("requestfailed", lambda r: errors.append(r.url))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            info = page.evaluate(_OUTLINE_JS)
            assert not errors, errors
            assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
            assert all(done and width > 100 for done, width in info["images"])
            assert len(info["images"]) >= 3 + len(found.boxes) + 1  # the report's own, the box(es), the trade-off
            levels = info["headings"]
            assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
            assert all(len(alt) > 20 for alt in info["alts"]), info["alts"]
            assert page.get_by_text("scenario discovery").count() >= 1
        finally:
            browser.close()
