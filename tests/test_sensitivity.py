"""Sensitivity wiring against functions with known indices (Ishigami, linear), and the CLI on real sweeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partnersim import sweep
from partnersim.analysis.design import sample_unit
from partnersim.analysis.sensitivity import (
    SweepData,
    grid_effects,
    indices,
    morris_indices,
    point_means,
    response_table,
    sobol_indices,
)
from partnersim.cli import main as cli

NAMES = ["x1", "x2", "x3"]
# Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: analytic first-order and total indices
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def ishigami(u: np.ndarray) -> np.ndarray:
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_wiring_recovers_ishigami(second_order):
    u = sample_unit("sobol", 3, 2048, seed=3, second_order=second_order)
    t = sobol_indices(ishigami(u), NAMES, second_order=second_order, seed=1).set_index("parameter")
    for p in NAMES:
        assert abs(t.loc[p, "S1"] - S1[p]) <= max(2 * t.loc[p, "S1_conf"], 0.03), (p, t.loc[p].to_dict())
        assert abs(t.loc[p, "ST"] - ST[p]) <= max(2 * t.loc[p, "ST_conf"], 0.03), (p, t.loc[p].to_dict())
    assert list(t.index) == ["x1", "x2", "x3"]  # ranked by ST


def test_replications_are_averaged_per_point_before_the_analysis():
    """The folder-level path: point means of noisy replications (noise cancels) give Ishigami's indices."""
    u = sample_unit("sobol", 3, 1024, seed=5)
    y = ishigami(u)
    n = len(y)
    noise = np.random.default_rng(0).normal(0, 5, n)
    runs = pd.DataFrame({"point_id": np.repeat(np.arange(n), 2), "replication": np.tile([0, 1], n),
                         "error": "", "f": np.ravel(np.column_stack([y + noise, y - noise]))})
    assert np.allclose(point_means(runs, "f", n), y)
    points = pd.DataFrame({"point_id": np.arange(n), **{f"u.{p}": u[:, j] for j, p in enumerate(NAMES)}})
    man = {"design": {"kind": "sobol", "second_order": False}, "parameters": [{"path": p} for p in NAMES],
           "metrics": ["f"], "replications": 2}
    t, notes = indices(SweepData(None, man, points, runs), ["f"])
    assert not notes
    t = t.set_index("parameter")
    assert abs(t.loc["x2", "S1"] - S1["x2"]) < 0.06 and abs(t.loc["x1", "ST"] - ST["x1"]) < 0.06


def test_morris_wiring_on_a_linear_function():
    u = sample_unit("morris", 3, 20, seed=2, levels=4)
    y = 3.0 * u[:, 0] - 1.0 * u[:, 1] + 0.0 * u[:, 2]
    t = morris_indices(u, y, NAMES, levels=4).set_index("parameter")
    assert t.loc["x1", "mu_star"] == pytest.approx(3.0)
    assert t.loc["x2", "mu_star"] == pytest.approx(1.0) and t.loc["x2", "mu"] == pytest.approx(-1.0)
    assert t.loc["x3", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["x1", "sigma"] == pytest.approx(0.0, abs=1e-9)  # no interactions


def test_grid_effects_and_response_table():
    a, b = np.meshgrid([0.0, 1.0, 2.0], [0.0, 1.0], indexing="ij")
    points = pd.DataFrame({"point_id": range(6), "a": a.ravel(), "b": b.ravel()})
    y = 2 * points["a"].to_numpy() + 0.1 * points["b"].to_numpy()
    t = grid_effects(points, y, ["a", "b"]).set_index("parameter")
    assert t.loc["a", "spread"] == pytest.approx(4.0) and t.loc["b", "spread"] == pytest.approx(0.1)
    assert t.loc["a", "share"] + t.loc["b", "share"] == pytest.approx(1.0)  # additive: shares sum to 1
    runs = points.assign(f=y, error="")
    r = response_table(runs, "f", "a", "b")
    assert r.shape == (2, 3) and r.loc[1.0, 2.0] == pytest.approx(4.1)


SMALL = """# sensitivity test sweep ({kind})
seed = 3
replications = 2
[fixed]
horizon_days = 120
[design]
kind = "{kind}"
{design}
[parameters]
"agreement.goal_clarity" = {{ range = [0.1, 0.9]{steps} }}
"agreement.funding_rule" = ["equal", "capacity", "fund"]
"""


@pytest.mark.parametrize("kind, design, steps", [("sobol", "samples = 8", ""), ("morris", "samples = 6", ""),
                                                 ("grid", "", ", steps = 3")])
def test_cli_sensitivity_on_a_sweep(tmp_path, capsys, kind, design, steps):
    f = tmp_path / f"{kind}.toml"
    f.write_text(SMALL.format(kind=kind, design=design, steps=steps), encoding="utf-8")
    out = tmp_path / "o"
    sweep(f, out, executor="inprocess", progress=False)
    assert cli(["sensitivity", str(out), "--metric", "final_trust", "meeting_hours"]) == 0
    stdout = capsys.readouterr().out
    table = pd.read_csv(out / "sensitivity" / "indices.csv")
    assert set(table["metric"]) <= {"final_trust", "meeting_hours"} and len(table)
    assert (out / "sensitivity" / "indices_final_trust.png").stat().st_size > 1000
    head = {"sobol": "S1", "morris": "mu*", "grid": "share"}[kind]
    assert head in stdout and "agreement.goal_clarity" in stdout
    if kind == "grid":
        assert (out / "sensitivity" / "response_final_trust.png").is_file()
        r = pd.read_csv(out / "sensitivity" / "response_final_trust.csv", index_col=0)
        assert r.shape == (3, 3)  # rows funding rule, columns goal clarity


def test_cli_sensitivity_bad_input_exits_2(tmp_path, capsys):
    def run(*args):
        code = cli(["sensitivity", *map(str, args)])
        return code, capsys.readouterr().err

    code, err = run(tmp_path / "nothing")
    assert code == 2 and "not a sweep folder" in err
    f = tmp_path / "s.toml"
    f.write_text(SMALL.format(kind="sobol", design="samples = 4", steps=""), encoding="utf-8")
    sweep(f, tmp_path / "o", executor="inprocess", progress=False)
    code, err = run(tmp_path / "o", "--metric", "final_trusst")
    assert code == 2 and "did you mean 'final_trust'" in err
    for p in (tmp_path / "o" / "runs").glob("part-*.parquet"):
        p.unlink()
    code, err = run(tmp_path / "o")
    assert code == 2 and "unfinished" in err and len(err.strip().splitlines()) == 1
