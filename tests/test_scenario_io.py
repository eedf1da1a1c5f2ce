"""The scenario layer: TOML round trips, variants, and one-line errors naming file and field."""

from __future__ import annotations

import pytest
from conftest import bundled_files, scenarios
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from partnersim.scenario import (
    InputError,
    Scenario,
    dumps_scenario,
    field_units,
    load_scenario,
    read_toml,
    save_scenario,
    scenario_from_dict,
    with_changes,
)

BUNDLED = bundled_files()


def test_there_are_bundled_scenarios():
    names = {p.stem for p in BUNDLED}
    assert {"baseline", "full_cadence", "no_cadence", "low_clarity", "timezone_gap"} <= names


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("full", [False, True], ids=["diff", "full"])
def test_bundled_scenario_round_trips(path, full, tmp_path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    out = save_scenario(sc, tmp_path / "copy.toml", full=full)
    again = load_scenario(out)
    assert again == sc
    # saving again gives the same text: the format is stable
    assert dumps_scenario(again, full=full) == out.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_starts_with_its_question(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and len(first) > 10


def test_bare_name_finds_the_bundled_file():
    assert load_scenario("baseline") == load_scenario(BUNDLED[[p.stem for p in BUNDLED].index("baseline")])


def test_saved_file_holds_only_what_differs_from_the_defaults(tmp_path):
    sc = with_changes(Scenario(), {"agreement.funding_rule": "capacity", "partner_b.utc_offset": 9.0})
    data = read_toml(save_scenario(sc, tmp_path / "x.toml"))
    # (partner B's name "B" differs from the Partner default "A", so it is written too)
    assert data == {"name": "unnamed", "partner_b": {"name": "B", "utc_offset": 9.0},
                    "agreement": {"funding_rule": "capacity"}}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenarios(max_changes=40))
def test_random_scenarios_round_trip(sc, tmp_path):
    path = save_scenario(sc, tmp_path / "random.toml")
    assert load_scenario(path) == sc
    assert load_scenario(save_scenario(sc, tmp_path / "full.toml", full=True)) == sc


def test_description_with_control_characters_round_trips(tmp_path):
    sc = with_changes(Scenario(), {"description": "tab\there, bell\x07 and escape\x1b"})
    assert load_scenario(save_scenario(sc, tmp_path / "ctl.toml")) == sc


def test_with_changes_makes_validated_copies():
    base = Scenario()
    t = with_changes(base, {"agreement.cadence.weekly.enabled": True, "horizon_days": 30})
    assert (t.agreement.cadence.weekly.enabled, t.horizon_days) == (True, 30.0)
    assert (base.agreement.cadence.weekly.enabled, base.horizon_days) == (False, 1095.0)
    with pytest.raises(ValidationError):
        with_changes(base, {"agreement.goal_clarity": 1.5})
    with pytest.raises(ValidationError):
        with_changes(base, {"agreement.no_such_thing": 1})
    with pytest.raises(ValidationError):
        base.horizon_days = 5  # immutable


def test_every_leaf_has_a_description():
    units = field_units()
    assert "dynamics.alignment_decay" in units
    assert units["horizon_days"][0] == "days"
    missing = [k for k, (_u, d) in units.items() if not d]
    assert missing == []


# -- errors -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"partner_a": {"revnue": 5}}, "partner_a.revnue", ["unknown key", "did you mean 'revenue'"]),
        ({"agreement": {"cadense": {}}}, "agreement.cadense", ["did you mean 'cadence'"]),
        ({"horizon_days": "long"}, "horizon_days", ["number"]),
        ({"agreement": {"cadence": {"weekly": {"enabled": "sometimes"}}}}, "agreement.cadence.weekly.enabled",
         ["bool"]),
        ({"horizon_days": 3}, "horizon_days", ["greater than or equal to 7"]),
        ({"agreement": {"goal_clarity": 1.2}}, "agreement.goal_clarity", ["less than or equal to 1"]),
        ({"agreement": {"funding_rule": "lottery"}}, "agreement.funding_rule", ["'equal'", "'lottery'"]),
        ({"partner_b": {"work_start": 17, "work_end": 9}}, "partner_b.work_end", ["work_start"]),
        ({"partner_a": {"work_start": 10, "work_end": 10}}, "partner_a.work_end", ["work_start"]),
        ({"partner_a": 3}, "partner_a", []),
    ],
)
def test_invalid_scenarios_name_the_field(data, field, words):
    with pytest.raises(InputError) as e:
        scenario_from_dict(data, "my.toml")
    msg = str(e.value)
    assert e.value.field == field
    assert msg.startswith(f"my.toml: {field}: ")
    assert "\n" not in msg
    for w in words:
        assert w in msg


def test_unreadable_files_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("horizon_days = [\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.toml: malformed TOML"):
        load_scenario(bad)
    with pytest.raises(InputError, match=r"nothere\.toml: file not found"):
        load_scenario(tmp_path / "nothere.toml")
    with pytest.raises(InputError, match="is a directory"):
        load_scenario(tmp_path)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(InputError, match="not UTF-8"):
        load_scenario(latin)


def test_read_toml_bytes_returns_the_exact_bytes_it_parsed(tmp_path):
    import tomllib

    from partnersim.scenario import InputError, read_toml_bytes

    f = tmp_path / "s.toml"
    f.write_bytes('# café\nhorizon_days = 365\n[market]\nshifts_per_year = 2.0\n'.encode())
    data, raw = read_toml_bytes(f)
    assert raw == f.read_bytes()
    assert data == tomllib.loads(raw.decode("utf-8")) == {"horizon_days": 365, "market": {"shifts_per_year": 2.0}}
    with pytest.raises(InputError, match="file not found"):
        read_toml_bytes(tmp_path / "missing.toml")


# -- each cadence keeps its own defaults however it is switched on (issue 11, item 1) ----------

CADENCE_DEFAULTS = {"weekly": (7.0, 1.0, 2), "monthly": (30.0, 2.0, 2), "quarterly": (91.0, 4.0, 3)}


@pytest.mark.parametrize("kind", sorted(CADENCE_DEFAULTS))
def test_a_partial_cadence_table_gets_that_cadences_defaults(tmp_path, kind):
    f = tmp_path / "s.toml"
    f.write_text(f"[agreement.cadence.{kind}]\nenabled = true\n")
    c = getattr(load_scenario(f).agreement.cadence, kind)
    assert (c.enabled, c.interval_days, c.duration_hours, c.attendees) == (True, *CADENCE_DEFAULTS[kind])


@pytest.mark.parametrize("kind", sorted(CADENCE_DEFAULTS))
def test_switching_a_cadence_on_with_changes_keeps_its_defaults(kind):
    # baseline.toml writes `enabled = false` tables for weekly and quarterly
    sc = with_changes(load_scenario("baseline"), {f"agreement.cadence.{kind}.enabled": True})
    c = getattr(sc.agreement.cadence, kind)
    assert (c.interval_days, c.duration_hours, c.attendees) == CADENCE_DEFAULTS[kind]


def test_consultant_proposal_holds_a_weekly_monthly_and_quarterly_rhythm():
    from partnersim.model import run_model

    sc = with_changes(load_scenario("consultant_proposal"), {
        f"mechanisms.{k}": k == "meetings" for k in Scenario.model_fields["mechanisms"].annotation.model_fields})
    held = run_model(sc, 0, 0).summary["meetings_held"]
    # three years: about 156 check-ins, 36 reviews and 12 deep dives (weekends move a meeting, never drop it)
    assert 195 <= held <= 210
