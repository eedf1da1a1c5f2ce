"""Pattern-oriented calibration and the robustness table (partnersim.analysis.calibrate)."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

from partnersim import simulate
from partnersim.analysis import calibrate as cm
from partnersim.analysis.calibrate import (
    DEFAULT_CALIBRATION_FILE,
    CalibrationSpec,
    Parameter,
    calibrate,
    design_points,
    load_calibration,
    robustness,
    robustness_points,
)
from partnersim.analysis.patterns import Arm, Pattern, interval_check
from partnersim.cli import main as cli_main
from partnersim.scenario import InputError
from partnersim.scenario.schema import Mechanisms

# drift alone (every other mechanism off) is deterministic: final alignment is a monotone function of the decay
# drift alone, and no per-run affinity (Model 2.0 draws one that moves the floor): deterministic
DRIFT_ONLY = {"horizon_days": 182.0, "dynamics.affinity_spread": 0.0,
              **{f"mechanisms.{k}": k == "drift" for k in Mechanisms.model_fields}}
TRUE_DECAY = 0.02


def drift_pattern(target: float, tol: float = 0.002) -> Pattern:
    def check(runs, alpha):
        v = float(runs["drift"]["final_alignment"].mean())
        return [interval_check("final alignment", v, target - tol, target + tol)]

    return Pattern("D", "drift to a known alignment", "synthetic", (Arm("drift", "baseline", DRIFT_ONLY),), check)


@pytest.fixture(scope="module")
def target() -> float:
    from partnersim import load_scenario, with_changes

    sc = with_changes(load_scenario("baseline"), {**DRIFT_ONLY, "dynamics.alignment_decay": TRUE_DECAY})
    return simulate(sc, seed=0).summary["final_alignment"]


def test_docstring_examples_run():
    assert doctest.testmod(cm).failed == 0


def test_the_bundled_calibration_file_loads_dynamics_coefficients_in_bounds():
    spec = load_calibration(DEFAULT_CALIBRATION_FILE)
    assert spec.parameters and all(p.path.startswith(("dynamics.", "agreement.review.")) for p in spec.parameters)
    assert {"dynamics.relevance_drift", "agreement.review.shortfall_ratio"} <= {p.path for p in spec.parameters}
    assert [p.id for p in spec.patterns] == ["P1", "P2", "P3", "P4", "B1", "B2", "B3", "B4", "B5"]
    assert load_calibration(DEFAULT_CALIBRATION_FILE, points=4, reps=10).points == 4


@pytest.mark.parametrize("text, field", [
    ('[parameters]\n"dynamics.nope" = [0, 1]\n', "parameters.dynamics.nope"),
    ('[parameters]\n"dynamics.conflict_rate" = [0.5, 0.1]\n', "parameters.dynamics.conflict_rate"),
    ('[parameters]\n"dynamics.base_success" = [0.5, 2.0]\n', "parameters.dynamics.base_success"),
    ('[calibration]\ndesign = "grid"\n[parameters]\n"dynamics.conflict_rate" = [0.1, 0.5]\n', "calibration.design"),
    ('[calibration]\npatterns = ["P7"]\n[parameters]\n"dynamics.conflict_rate" = [0.1, 0.5]\n',
     "calibration.patterns"),
    ('[calibration]\nreps = 1\n[parameters]\n"dynamics.conflict_rate" = [0.1, 0.5]\n', "calibration.reps"),
    ("[calibration]\n", "parameters"),
])
def test_bad_calibration_file_names_the_file_and_field(tmp_path, text, field):
    p = tmp_path / "cal.toml"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        load_calibration(p)
    assert e.value.source == str(p) and e.value.field == field


@pytest.mark.parametrize("design", ["lhs", "sobol"])
def test_design_is_deterministic_given_its_seed_and_stays_in_range(design):
    params = (Parameter("dynamics.conflict_rate", 0.05, 0.5, log=True), Parameter("dynamics.flare_days", 20, 120))
    a = design_points(CalibrationSpec(params, design, points=8, seed=5))[1]
    assert a == design_points(CalibrationSpec(params, design, points=8, seed=5))[1]
    assert a != design_points(CalibrationSpec(params, design, points=8, seed=6))[1]
    assert a[0] == {} and len(a) == 9
    for p in a[1:]:
        assert 0.05 <= p["dynamics.conflict_rate"] <= 0.5 and 20 <= p["dynamics.flare_days"] <= 120
    rates = sorted(p["dynamics.conflict_rate"] for p in a[1:])
    if design == "lhs":  # log scale: one point per eighth of log(range)
        assert sum(r < 0.05 * 10 ** 0.5 for r in rates) == 4


def test_calibration_recovers_a_known_coefficient_and_resumes(tmp_path, target):
    spec = CalibrationSpec((Parameter("dynamics.alignment_decay", 0.004, 0.1, log=True),), points=32, seed=2, reps=2,
                           patterns=(drift_pattern(target, tol=0.01),))
    ranked = calibrate(spec, tmp_path, workers=1)
    best = ranked.iloc[0]
    # the design's points are about 10% apart (log scale): the best is the nearest to the truth
    xs = ranked["x.dynamics.alignment_decay"]
    assert best["x.dynamics.alignment_decay"] == xs.iloc[(xs - TRUE_DECAY).abs().argmin()]
    assert best["x.dynamics.alignment_decay"] == pytest.approx(TRUE_DECAY, rel=0.1)
    default = ranked[ranked["point"].astype(str) == "default"].iloc[0]
    assert default["objective"] > 0  # the default decay (0.012) misses the target
    snippet = (tmp_path / "best.toml").read_text()
    assert "[dynamics]" in snippet and f"alignment_decay = {best['x.dynamics.alignment_decay']:.6g}" in snippet
    assert "| 1 |" in (tmp_path / "ranking.md").read_text()
    n = len(pd.read_csv(tmp_path / "points.csv"))
    again = calibrate(spec, tmp_path, workers=1)  # finished: nothing is run again, nothing appended
    assert len(pd.read_csv(tmp_path / "points.csv")) == n == 33
    assert again["point"].tolist() == ranked["point"].tolist()
    other = CalibrationSpec(spec.parameters, points=24, seed=3, reps=2, patterns=spec.patterns)
    with pytest.raises(InputError, match="different calibration"):
        calibrate(other, tmp_path, workers=1)


def test_robustness_points_move_each_coefficient_by_half_and_clip_to_bounds():
    pts = dict(robustness_points(coefficients=["dynamics.surface_quarterly", "dynamics.flare_days"]))
    assert pts["centre"] == {}
    assert pts["dynamics.surface_quarterly-"] == {"dynamics.surface_quarterly": 0.45}
    assert pts["dynamics.surface_quarterly+"] == {"dynamics.surface_quarterly": 1.0}  # 1.35 clipped at le=1
    assert pts["dynamics.flare_days+"] == {"dynamics.flare_days": 67.5}
    spec = CalibrationSpec((Parameter("dynamics.flare_days", 20, 120),))
    names = {k[:-1] for k in dict(robustness_points(spec)) if k != "centre"}
    assert "dynamics.flare_days" not in names and "dynamics.conflict_rate" in names  # calibrated ones stay put


def test_robustness_table_says_which_coefficient_breaks_a_pattern(tmp_path, target):
    spec = CalibrationSpec((Parameter("dynamics.flare_days", 20, 120),), reps=2, patterns=(drift_pattern(target),))
    rob = robustness(spec, tmp_path, workers=1, coefficients=["dynamics.alignment_decay", "dynamics.conflict_rate"],
                     at={"dynamics.alignment_decay": TRUE_DECAY})
    by = rob.set_index("coefficient")["D"]
    assert by["dynamics.conflict_rate"] == "holds/holds"  # conflicts are off: no effect
    assert by["dynamics.alignment_decay"] != "holds/holds"
    md = (tmp_path / "robustness.md").read_text()
    assert "| `dynamics.conflict_rate` |" in md and "D: broken by alignment_decay" in md


def test_cli_calibrate_bad_file_exits_2(tmp_path, capsys):
    p = tmp_path / "cal.toml"
    p.write_text('[parameters]\n"dynamics.nope" = [0, 1]\n')
    assert cli_main(["calibrate", str(p), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(p) in err and "dynamics.nope" in err
    assert cli_main(["robustness", "--only", "dynamics.nope", "--out", str(tmp_path / "r")]) == 2


def test_cli_robustness_bad_centre_file_names_the_field(tmp_path, capsys):
    at = tmp_path / "best.toml"
    at.write_text("[dynamics]\nconflict_rate = -1.0\n")
    assert cli_main(["robustness", "--at", str(at), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(at) in err and "dynamics.conflict_rate" in err
