"""The widget layer: the lever table, the debouncer, and the apps' callbacks (synchronously)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("ipywidgets")

from partnersim.cli import main as cli_main  # noqa: E402
from partnersim.scenario import FUNDING_RULES, Scenario, field_units, load_scenario, with_changes  # noqa: E402
from partnersim.widgets import controls as ctl  # noqa: E402
from partnersim.widgets.debounce import Debouncer  # noqa: E402

SMALL = {"reps": 4, "seed": 1, "workers": 1, "threaded": False, "delay": 0.0}


# -- the lever table --------------------------------------------------------------------
def test_every_lever_names_real_scenario_fields():
    fields = field_units()
    for lv in ctl.LEVERS:
        for path in lv.paths:
            assert path in fields, (lv.name, path)
        assert lv.description, lv.name
    assert len({lv.name for lv in ctl.LEVERS}) == len(ctl.LEVERS)


def test_the_issue_levers_are_all_there():
    covered = {p for lv in ctl.LEVERS for p in lv.paths}
    for path in ("agreement.cadence.weekly.enabled", "agreement.cadence.monthly.enabled",
                 "agreement.cadence.quarterly.enabled", "agreement.funding_rule", "partner_a.money_capacity",
                 "partner_b.staff_hours", "partner_b.utc_offset", "agreement.shared_platform",
                 "agreement.goal_clarity", "agreement.informal_per_month", "agreement.co_ownership",
                 "agreement.conflict.procedure", "agreement.conflict.facilitator", "horizon_days"):
        assert path in covered, path
    assert {v for _, v in ctl.lever("funding").options} == set(FUNDING_RULES)
    assert set(ctl.WORKSHOP_LEVERS) <= set(ctl.EXPLORE_LEVERS)


def test_rhythm_options_cover_every_cadence_mix_once():
    mixes = {tuple(sorted(ch.items())) for _, ch in ctl.lever("rhythm").options}
    assert len(mixes) == 8


def test_presets_are_the_bundled_scenarios_without_sweeps():
    names = list(ctl.presets())
    assert names[0] == "baseline"
    assert "consultant_proposal" in names and not any(n.startswith("sweep_") for n in names)


@pytest.mark.parametrize("name", list(ctl.preset_files()))
def test_controls_round_trip_every_preset(name: str):
    s = load_scenario(name)
    values = ctl.lever_values(s)
    assert ctl.lever_changes(s, values) == {}
    assert ctl.scenario_from_values(s, values) == s


@pytest.mark.parametrize(("lever", "value", "expected"), [
    ("rhythm", "weekly check-ins", {"agreement.cadence.weekly.enabled": True,
                                    "agreement.cadence.monthly.enabled": False}),
    ("funding", "capacity", {"agreement.funding_rule": "capacity"}),
    ("money_b", 2000.0, {"partner_b.money_capacity": 2000.0}),
    ("hours_a", 35.0, {"partner_a.staff_hours": 35.0}),
    ("time_gap", 8.0, {"partner_b.utc_offset": 8.0, "partner_a.utc_offset": 0.0}),
    ("platform", True, {"agreement.shared_platform": True}),
    ("clarity", 0.9, {"agreement.goal_clarity": 0.9}),
    ("informal", 8.0, {"agreement.informal_per_month": 8.0}),
    ("co_ownership", 0.2, {"agreement.co_ownership": 0.2}),
    ("conflict", "procedure + neutral facilitator", {"agreement.conflict.procedure": True,
                                                     "agreement.conflict.facilitator": True}),
    ("horizon", 1.0, {"horizon_days": 365.0}),
])
def test_each_lever_changes_its_fields(lever: str, value, expected: dict):
    base = load_scenario("baseline")
    s = ctl.scenario_from_values(base, {lever: value})
    for path, v in expected.items():
        node = s
        for k in path.split("."):
            node = getattr(node, k)
        assert node == v, path
    assert ctl.lever_values(s)[lever] == value
    # nothing else moved
    untouched = [lv for lv in ctl.LEVERS if lv.name != lever and not set(lv.paths) & set(ctl.lever(lever).paths)]
    for lv in untouched:
        assert lv.read(s) == lv.read(base), lv.name


def test_time_gap_keeps_both_offsets_valid():
    base = with_changes(Scenario(), {"partner_a.utc_offset": 9.0, "partner_b.utc_offset": 9.0})
    s = ctl.scenario_from_values(base, {"time_gap": 8})
    assert s.partner_b.utc_offset - s.partner_a.utc_offset == 8
    assert -12 <= s.partner_a.utc_offset <= 14 and -12 <= s.partner_b.utc_offset <= 14


def test_make_control_shows_out_of_range_preset_values():
    lv = ctl.lever("money_a")
    w = ctl.make_control(lv, 50_000.0)
    assert w.value == 50_000.0 and w.max >= 50_000.0
    rhythm = ctl.make_control(ctl.lever("rhythm"), None)
    assert rhythm.value is None


# -- the debouncer ----------------------------------------------------------------------
def test_debouncer_runs_only_the_latest_change():
    seen: list[int] = []
    d = Debouncer(seen.append, threaded=False)
    for _ in range(5):
        d.trigger()
    assert d.pending
    assert d.flush() is True
    assert seen == [5]
    assert d.flush() is False


def test_debouncer_threaded_never_stacks_runs_and_drops_stale_results():
    running = 0
    max_running = 0
    started: list[int] = []
    finished: list[int] = []
    stopped: list[int] = []
    lock = threading.Lock()
    d: Debouncer

    def job(gen: int) -> None:
        nonlocal running, max_running
        with lock:
            running += 1
            max_running = max(max_running, running)
        started.append(gen)
        for _ in range(40):  # a job of about 0.4 s that checks between its steps
            time.sleep(0.01)
            if not d.is_current(gen):
                stopped.append(gen)
                break
        else:
            finished.append(gen)
        with lock:
            running -= 1

    def wait_for(cond, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < end, "timed out"
            time.sleep(0.005)

    d = Debouncer(job, delay=0.25)
    try:
        for _ in range(20):  # a drag: a change every 10 ms, faster than the delay
            d.trigger()
            time.sleep(0.01)
        assert d.wait_idle(10)
        assert max_running == 1
        assert len(started) <= 5, started  # not one run per change
        assert finished[-1] == d.generation  # the last change was drawn
        n = len(started)
        d.trigger()
        wait_for(lambda: len(started) > n)  # the job has started...
        d.trigger()  # ...and is superseded: it stops early, the newer one runs after it
        assert d.wait_idle(10)
        assert stopped and stopped[-1] == d.generation - 1
        assert finished[-1] == d.generation and max_running == 1
    finally:
        d.close()


def test_debouncer_reports_errors_and_keeps_going():
    errors: list[BaseException] = []

    def job(gen: int) -> None:
        if gen == 1:
            raise ValueError("bad value")

    d = Debouncer(job, threaded=False, on_error=errors.append)
    d.trigger()
    d.flush()
    d.trigger()
    d.flush()
    assert [str(e) for e in errors] == ["bad value"] and d.runs == 2


# -- the apps ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def explore():
    from partnersim.widgets import ExploreApp

    app = ExploreApp("baseline", **SMALL)
    yield app
    app.close()


def test_explore_draws_on_start(explore):
    assert explore.errors == []
    assert explore.image.value[:4] == b"\x89PNG"
    assert "data-metric='survived'" in explore.summary.value
    assert explore.ensemble.reps == 4


def test_explore_control_change_makes_a_new_scenario_and_redraws(explore):
    png, table = explore.image.value, explore.summary.value
    explore.panel.controls["rhythm"].value = "weekly check-ins + monthly reviews"
    explore.panel.controls["clarity"].value = 0.9
    assert explore.debouncer.pending  # debounced: nothing ran yet
    assert "ps-stale" in explore.image._dom_classes  # the old figure is dimmed meanwhile
    assert explore.ensemble.scenario.agreement.goal_clarity == 0.5
    assert explore.debouncer.flush()
    s = explore.ensemble.scenario
    assert s.agreement.cadence.weekly.enabled and s.agreement.goal_clarity == 0.9
    assert explore.scenario == s
    assert explore.image.value != png and explore.summary.value != table
    assert "ps-stale" not in explore.image._dom_classes
    assert explore.errors == []


def test_explore_preset_resets_the_controls(explore):
    explore.panel.load_preset("timezone_gap_platform")
    assert explore.debouncer.flush()
    assert explore.panel.controls["time_gap"].value == 9.0
    assert explore.panel.controls["platform"].value is True
    assert explore.panel.changes == {}
    assert explore.ensemble.scenario.partner_b.utc_offset == 9.0


def test_explore_cache_reuses_a_seen_setting(explore):
    explore.panel.load_preset("baseline")
    explore.debouncer.flush()
    runs = explore.cache.runs
    explore.panel.controls["funding"].value = "capacity"
    explore.debouncer.flush()
    explore.panel.controls["funding"].value = "equal"
    explore.debouncer.flush()
    assert explore.cache.runs == runs + 1  # back to the preset: from the cache


def test_explore_save_as_scenario_passes_validate(explore, tmp_path: Path):
    explore.panel.controls["rhythm"].value = "weekly check-ins"
    explore.panel.controls["time_gap"].value = 8.0
    explore.save_dir = tmp_path
    explore.save_name.value = "Weekly, 8 hours apart"
    explore.save_button.click()
    path = tmp_path / "weekly_8_hours_apart.toml"
    assert path.is_file(), explore.save_message.value
    assert cli_main(["validate", str(path)]) == 0
    saved = load_scenario(path)
    assert saved.agreement.cadence.weekly.enabled and saved.partner_b.utc_offset == 8.0
    assert saved.name == "weekly_8_hours_apart"
    explore.debouncer.flush()


@pytest.fixture(scope="module")
def workshop():
    from partnersim.widgets import WorkshopApp

    # 12 runs, not 4: with Model 2.0 some partnerships end early, so meeting hours (the change's
    # cost) vary between runs and need more than four pairs to differ clearly after Holm
    app = WorkshopApp("baseline", **{**SMALL, "reps": 12})
    yield app
    app.close()


def test_workshop_starts_with_b_equal_to_a(workshop):
    assert workshop.errors == []
    assert workshop.scenario_b == workshop.scenario_a
    assert "B is the same as A" in workshop.reading.value
    assert "data-a=" in workshop.summary.value


def test_workshop_change_redraws_b_and_the_reading(workshop):
    png, summary = workshop.image.value, workshop.summary.value
    runs = workshop.cache.runs
    workshop.panel.controls["rhythm"].value = "weekly check-ins + monthly reviews + quarterly deep dives"
    workshop.panel.controls["conflict"].value = "procedure + neutral facilitator"
    workshop.debouncer.flush()
    a, b = workshop.ensembles
    assert a.scenario.agreement.cadence.weekly.enabled is False
    assert b.scenario.agreement.cadence.quarterly.enabled and b.scenario.agreement.conflict.facilitator
    assert workshop.cache.runs == runs + 1  # A came from the cache
    assert workshop.image.value != png and workshop.summary.value != summary
    assert workshop.sentences and "<li>" in workshop.reading.value  # meeting hours differ for sure
    assert set(workshop.table["metric"]) >= {"survived", "final_trust"}
    # a vector figure (crisp at any size), words for business owners, the cost of the change said as a cost
    svg = bytes(workshop.image.value)
    assert workshop.image.format == "svg+xml" and svg.lstrip().startswith(b"<?xml")
    text = workshop.reading.value
    assert "95% CI" not in text and "0–1 scale" not in text and "likely between" in text
    assert "The change costs" in text and "staff hours of meetings" in text
    assert "Joint revenue (total over the period)" in workshop.summary.value
    assert b"Joint revenue" in svg and b"per year" not in svg


def test_workshop_reset_button_brings_b_back_to_a(workshop):
    workshop.reset_button.click()
    workshop.debouncer.flush()
    assert workshop.scenario_b == workshop.scenario_a
    assert "B is the same as A" in workshop.reading.value


def test_compare_app_with_tweaks_and_presets():
    from partnersim.widgets import CompareApp
    from partnersim.widgets.compare import TWEAKS

    app = CompareApp("baseline", tweaks={"agreement.cadence.weekly.enabled": True}, **SMALL)
    try:
        assert app.errors == []
        assert app.pick_b.value == TWEAKS
        assert app.comparison.b.scenario.agreement.cadence.weekly.enabled
        assert list(app.comparison.table.columns[:7]) == ["metric", "mean_a", "mean_b", "diff", "ci_low",
                                                         "ci_high", "p_value"]
        assert app.forest.value[:4] == b"\x89PNG" and "ps-reading" in app.reading.value
        forest = app.forest.value
        app.pick_b.value = "full_cadence"
        app.debouncer.flush()
        assert app.comparison.b.scenario.name == "full_cadence"
        assert app.forest.value != forest and app.errors == []
    finally:
        app.close()


@pytest.mark.parametrize("module", ["controls", "debounce", "render", "base"])
def test_docstring_examples(module: str):
    import doctest
    import importlib

    mod = importlib.import_module(f"partnersim.widgets.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and (result.attempted > 0 or module == "base")


def test_explore_draws_other_columns():
    from partnersim.widgets import ExploreApp

    app = ExploreApp("baseline", columns=("revenue_a", "revenue_b"), **SMALL)
    try:
        assert app.errors == [] and app.image.value[:4] == b"\x89PNG"
    finally:
        app.close()


def test_compare_app_takes_scenario_objects_and_files(tmp_path: Path):
    from partnersim.scenario import save_scenario
    from partnersim.widgets import CompareApp

    base = load_scenario("baseline")
    clearer = with_changes(base, {"agreement.goal_clarity": 0.9})  # same name as the preset, other content
    path = save_scenario(with_changes(base, {"name": "from_file", "agreement.shared_platform": True}),
                         tmp_path / "from_file.toml")
    app = CompareApp(clearer, path, **SMALL)
    try:
        assert app.pick_a.value == "baseline (custom)" and app.pick_b.value == "from_file"
        assert app.comparison.a.scenario.agreement.goal_clarity == 0.9
        assert app.comparison.b.scenario.agreement.shared_platform is True
    finally:
        app.close()


def test_panel_tells_sliders_from_settled_choices():
    from partnersim.widgets.base import LeverPanel

    calls: list[bool] = []
    panel = LeverPanel(("rhythm", "clarity", "platform"), "baseline", lambda sliding: calls.append(sliding))
    panel.controls["clarity"].value = 0.8
    panel.controls["rhythm"].value = "weekly check-ins"
    panel.controls["platform"].value = True
    panel.load_preset("full_cadence")  # one change for the whole preset, not one per control
    assert calls == [True, False, False, False]
    assert panel.changes == {}


def test_debouncer_delay_per_change():
    now = [100.0]
    d = Debouncer(lambda g: None, delay=0.3, threaded=False, clock=lambda: now[0])
    d.trigger()
    assert d._due == pytest.approx(100.3)
    d.trigger(0.05)
    assert d._due == pytest.approx(100.05)


def test_workshop_starts_from_a_client_file(tmp_path: Path):
    from partnersim.scenario import save_scenario
    from partnersim.widgets import WorkshopApp

    client = with_changes(load_scenario("timezone_gap"), {"name": "client", "agreement.goal_clarity": 0.8})
    path = save_scenario(client, tmp_path / "client_x.toml")
    app = WorkshopApp(path, **SMALL)
    try:
        assert app.panel.preset.value == "client_x" and "baseline" in app.panel.preset.options
        assert app.scenario_a == client and app.panel.controls["time_gap"].value == 9.0
        assert app.errors == []
    finally:
        app.close()


def test_workshop_bands_refine_after_the_first_figure_and_keep_the_pairs():
    """After the first figure the workshop adds pairs of runs until the headline differences settle
    (or refine_to); the refined ensembles are the fixed ones of that size, and a setting seen before
    comes back refined without running again."""
    from partnersim import run_ensemble
    from partnersim.widgets import WorkshopApp
    from partnersim.widgets.workshop import SETTLE_TARGETS

    app = WorkshopApp("baseline", **{**SMALL, "reps": 4}, refine_to=12)
    try:
        assert app.ensembles[1].reps == 4  # B = A: every difference is 0, settled at once
        assert "settled" not in app.status.value
        start = app.panel.controls["rhythm"].value
        app.panel.controls["rhythm"].value = "weekly check-ins + monthly reviews + quarterly deep dives"
        app.debouncer.flush()
        a, b = app.ensembles
        assert a.reps == b.reps and 4 < b.reps <= 12
        assert b.reps == 12 or app.settled(a, b)  # it stops at refine_to or once settled, not before
        if b.reps < 12:
            assert not app.settled(a.__class__(a.scenario, a.seed, a.runs.iloc[:b.reps - 2], a.series[:b.reps - 2]),
                                   b.__class__(b.scenario, b.seed, b.runs.iloc[:b.reps - 2], b.series[:b.reps - 2]))
        fixed = run_ensemble(b.scenario, reps=b.reps, seed=b.seed, workers=1)
        assert b.runs.drop(columns=["seed"]).equals(fixed.runs.drop(columns=["seed"]))
        assert (b.series == fixed.series).all()
        assert f"settled at {b.reps}" in app.status.value
        assert set(SETTLE_TARGETS) <= set(a.runs.columns)
        runs = app.cache.runs
        app.panel.controls["rhythm"].value = start
        app.debouncer.flush()
        app.panel.controls["rhythm"].value = "weekly check-ins + monthly reviews + quarterly deep dives"
        app.debouncer.flush()
        assert app.ensembles[1].reps == b.reps  # seen before: shown refined at once
        assert app.ensembles[1].runs.equals(b.runs)
        assert app.cache.runs <= runs + 1  # at most the other setting's first ensemble was run
    finally:
        app.close()
