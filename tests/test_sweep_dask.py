"""The same numbers in-process, on the local pool and on a Dask LocalCluster of 2 workers on loopback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from partnersim import sweep
from partnersim.analysis.storage import read_runs
from partnersim.run.executors import DaskExecutor, LocalPoolExecutor

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

SWEEP = """# Dask test sweep
name = "dask"
base = "baseline"
seed = 9
replications = 4

[fixed]
horizon_days = 240

[design]
kind = "sobol"
samples = 8

[parameters]
"agreement.funding_rule" = ["equal", "capacity", "benefit", "fund"]
"agreement.goal_clarity" = { range = [0.1, 0.9] }
"agreement.cadence.weekly.enabled" = [false, true]
"""


@pytest.fixture(scope="module")
def cluster():
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                 dashboard_address=None)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture()
def sweep_file(tmp_path):
    f = tmp_path / "dask.toml"
    f.write_text(SWEEP, encoding="utf-8")
    return f


def test_same_results_in_process_local_pool_and_dask(cluster, sweep_file, tmp_path):
    planned = 8 * (3 + 2) * 4
    a = sweep(sweep_file, tmp_path / "inprocess", executor="inprocess", progress=False).runs()
    b = sweep(sweep_file, tmp_path / "pool", executor=LocalPoolExecutor(2), progress=False, chunk_size=3).runs()
    with DaskExecutor(address=cluster.scheduler_address) as ex:
        assert ex.workers == 2
        res = sweep(sweep_file, tmp_path / "dask", executor=ex, progress=False, chunk_size=7)
    c = res.runs()
    assert len(a) == planned and a["error"].isna().all()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(a, c, check_exact=True)


def test_cli_sweep_on_an_existing_scheduler(cluster, sweep_file, tmp_path):
    out = tmp_path / "cli"
    res = subprocess.run([sys.executable, "-m", "partnersim", "sweep", str(sweep_file), "--out", str(out),
                          "--scheduler", cluster.scheduler_address, "--no-progress"],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    assert f"executor dask ({cluster.scheduler_address})" in res.stdout
    ref = sweep(sweep_file, tmp_path / "ref", executor="inprocess", progress=False).runs()
    pd.testing.assert_frame_equal(read_runs(out), ref, check_exact=True)


def test_unreachable_scheduler_is_a_one_line_error(sweep_file, tmp_path):
    res = subprocess.run([sys.executable, "-m", "partnersim", "sweep", str(sweep_file), "--out", str(tmp_path / "o"),
                          "--scheduler", "tcp://127.0.0.1:9", "--no-progress"],
                         capture_output=True, text=True, timeout=180, env={**__import__("os").environ,
                                                                          "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT":
                                                                          "2s"})
    assert res.returncode == 2, res.stderr
    assert "--scheduler: cannot connect to the Dask scheduler" in res.stderr
    assert "Traceback" not in res.stderr
