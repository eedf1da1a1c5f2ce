"""Ensembles: parallel = sequential, streaming partials, summary, bands, Kaplan-Meier, Parquet round trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from partnersim import InputError, load_scenario, run_ensemble, simulate, with_changes
from partnersim.analysis.survival import kaplan_meier, survival_at
from partnersim.model import COLUMNS, METRICS
from partnersim.run.ensemble import Ensemble, chunk_replications, iter_ensemble, run_ensembles

SHORT = {"horizon_days": 365}


@pytest.fixture(scope="module")
def scenario():
    return with_changes(load_scenario("funding_equal_3to1"), SHORT)


@pytest.fixture(scope="module")
def ens(scenario):
    return run_ensemble(scenario, 24, 7, workers=1, progress=False)


def assert_same(e1: Ensemble, e2: Ensemble) -> None:
    pd.testing.assert_frame_equal(e1.runs, e2.runs, check_exact=True)
    assert e1.series.shape == e2.series.shape
    assert np.array_equal(e1.series, e2.series, equal_nan=True)


def test_positional_signature_and_shapes(scenario):
    e = run_ensemble(scenario, 3, 1)  # the signature other code relies on
    assert e.reps == 3 and e.seed == 1
    assert list(e.runs.columns) == ["replication", "seed", *METRICS, "exit_reason"]
    assert e.series.shape == (3, len(simulate(scenario, 1, 0).series), len(COLUMNS))
    assert e.runs["replication"].tolist() == [0, 1, 2]


def test_replication_i_is_simulate_seed_i(scenario, ens):
    r = simulate(scenario, 7, 5)
    row = ens.runs.iloc[5]
    for k, v in r.summary.items():
        assert (math.isnan(v) and math.isnan(row[k])) or row[k] == v, k
    assert np.array_equal(ens.series[5], r.series, equal_nan=True)


@pytest.mark.slow
def test_parallel_equals_sequential_exactly(scenario, ens):
    par = run_ensemble(scenario, 24, 7, workers=2, progress=False)
    assert_same(par, ens)
    # and whatever the chunking
    odd = list(iter_ensemble(scenario, 24, 7, workers=2, chunk_size=5))[-1].ensemble
    assert_same(odd, ens)


def test_chunks_cover_every_replication_in_order():
    for reps, workers in [(0, 2), (1, 8), (7, 2), (200, 2), (1000, 16), (5, 1)]:
        chunks = chunk_replications(reps, workers)
        assert [r for c in chunks for r in c] == list(range(reps))
        assert all(1 <= len(c) <= 32 for c in chunks)
    assert len(chunk_replications(200, 2)) == 8  # about four tasks per worker


def test_iter_ensemble_yields_growing_partials(scenario, ens):
    updates = list(iter_ensemble(scenario, 24, 7, workers=1, chunk_size=10))
    assert [u.done for u in updates] == [10, 20, 24]
    assert all(u.total == 24 for u in updates)
    assert updates[-1].finished and not updates[0].finished
    done, total, partial = updates[1]
    assert (done, total) == (20, 24)
    assert partial.runs["replication"].tolist() == list(range(20))
    pd.testing.assert_frame_equal(partial.runs, ens.runs.iloc[:20], check_exact=True)
    assert_same(updates[-1].ensemble, ens)


def test_run_ensembles_equals_separate_runs(scenario, ens):
    other = with_changes(scenario, {"agreement.funding_rule": "capacity"})
    a, b = run_ensembles([(scenario, 7), (other, 7)], 24, workers=1, progress=False)
    assert_same(a, ens)
    assert_same(b, run_ensemble(other, 24, 7, workers=1, progress=False))


def test_progress_false_is_silent(scenario, capsys):
    run_ensemble(scenario, 2, 0, workers=1, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_summary_has_units_and_intervals(ens):
    s = ens.summary()
    assert list(s.columns) == ["metric", "unit", "mean", "ci_low", "ci_high", "n"]
    assert list(s["metric"]) == list(METRICS)
    row = s.set_index("metric").loc["final_trust"]
    assert row["unit"] == "0..1"
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert row["mean"] == pytest.approx(ens.runs["final_trust"].mean())
    assert row["n"] == 24


def test_bands_are_ordered_quantiles(ens):
    b = ens.bands(["trust", "open_conflicts"])
    assert list(b.columns) == ["column", "day", "p10", "p25", "median", "p75", "p90", "mean"]
    weeks = ens.series.shape[1]
    assert len(b) == 2 * weeks
    q = b[["p10", "p25", "median", "p75", "p90"]].to_numpy()
    assert np.all(np.diff(q, axis=1) >= 0)
    trust = b[b["column"] == "trust"].reset_index(drop=True)
    j = COLUMNS.index("trust")
    assert trust.loc[20, "median"] == pytest.approx(np.median(ens.series[:, 20, j]))
    assert trust.loc[20, "p90"] == pytest.approx(np.quantile(ens.series[:, 20, j], 0.9))
    assert trust["day"].tolist() == ens.series[0, :, 0].tolist()
    with pytest.raises(KeyError):
        ens.bands(["no_such_column"])


def test_bands_skip_missing_values(ens):
    """A NaN in one run's series is left out of that week's quantiles, not propagated."""
    j = COLUMNS.index("trust")
    series = ens.series.copy()
    series[0, 5, j] = np.nan
    holed = type(ens)(ens.scenario, ens.seed, ens.runs, series)
    b = holed.bands(["trust"]).set_index("day")
    day = series[1, 5, 0]
    assert b.loc[day, "median"] == pytest.approx(np.median(series[1:, 5, j]))
    assert b.loc[day, "mean"] == pytest.approx(np.mean(series[1:, 5, j]))
    assert b.drop(day).equals(ens.bands(["trust"]).set_index("day").drop(day))  # other weeks unchanged


# -- Kaplan-Meier -------------------------------------------------------------------------

def test_kaplan_meier_against_hand_computation():
    # days:    3   5   5   5(c)  8(c)  9   12(c) 12(c)
    # at risk: 8   7 (two exits, one censored at 5)  4 at 8 (censored), 3 at 9, 2 at 12
    durations = [3, 5, 5, 5, 8, 9, 12, 12]
    observed = [True, True, True, False, False, True, False, False]
    km = kaplan_meier(durations, observed)
    assert km["time"].tolist() == [0, 3, 5, 8, 9, 12]
    assert km["at_risk"].tolist() == [8, 8, 7, 4, 3, 2]
    assert km["events"].tolist() == [0, 1, 2, 0, 1, 0]
    assert km["censored"].tolist() == [0, 0, 1, 1, 0, 2]
    s3 = 7 / 8
    s5 = s3 * (1 - 2 / 7)  # 0.625
    s9 = s5 * (1 - 1 / 3)  # 0.41667
    assert km["survival"].tolist() == pytest.approx([1, s3, s5, s5, s9, s9])
    # Greenwood at day 5: S^2 * (1/(8*7) + 2/(7*5)); the log-log interval contains S
    var = s5**2 * (1 / 56 + 2 / 35)
    assert var > 0
    row = km.iloc[2]
    assert row["ci_low"] < s5 < row["ci_high"]
    # log-log interval: S ** exp(+-z * sqrt(sum) / |log S|)
    se = math.sqrt(1 / 56 + 2 / 35) / abs(math.log(s5))
    assert row["ci_low"] == pytest.approx(s5 ** math.exp(1.959963984540054 * se))
    assert survival_at(km, 4.9) == pytest.approx(s3)
    assert survival_at(km, 5.0) == pytest.approx(s5)
    assert survival_at(km, 100) == pytest.approx(s9)


def test_kaplan_meier_no_events_and_all_events():
    km = kaplan_meier([10, 10, 10], [False, False, False])
    assert km["survival"].tolist() == [1.0, 1.0]
    km = kaplan_meier([1, 2], [True, True])
    assert km["survival"].tolist() == [1.0, 0.5, 0.0]
    with pytest.raises(ValueError):
        kaplan_meier([1, float("nan")], [True, False])


def test_ensemble_survival_ends_at_the_share_that_survived():
    s = with_changes(load_scenario("funding_equal_3to1"), {"horizon_days": 730})
    e = run_ensemble(s, 40, 3, workers=1, progress=False)
    km = e.survival()
    assert km["survival"].iloc[0] == 1.0
    assert np.all(np.diff(km["survival"]) <= 0)
    # every run is censored at the same horizon, so the curve ends at the share that survived
    assert km["survival"].iloc[-1] == pytest.approx(e.runs["survived"].mean())
    assert km["events"].sum() == int((e.runs["survived"] == 0).sum())
    assert km["time"].iloc[-1] <= 730


# -- Parquet ------------------------------------------------------------------------------

def test_save_load_round_trip(ens, tmp_path):
    path = ens.save(tmp_path / "sub" / "ens.parquet")
    back = Ensemble.load(path)
    assert_same(back, ens)
    assert back.seed == 7
    assert back.scenario == ens.scenario
    meta = pq.read_schema(path).metadata[b"partnersim"].decode()
    assert '"seed": 7' in meta and "funding_equal_3to1" in meta and "scenario_toml" in meta
    # one row per replication, readable by any Parquet reader
    assert pq.read_table(path).num_rows == ens.reps


def test_load_rejects_other_files(tmp_path):
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"x": [1, 2]}).to_parquet(plain)
    with pytest.raises(InputError, match="not a partnersim ensemble"):
        Ensemble.load(plain)
    with pytest.raises(InputError, match="file not found"):
        Ensemble.load(tmp_path / "missing.parquet")
    junk = tmp_path / "junk.parquet"
    junk.write_text("hello")
    with pytest.raises(InputError, match="not a Parquet file"):
        Ensemble.load(junk)
