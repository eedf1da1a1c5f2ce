"""The benchmarks still work: ``benchmarks/run.py --quick`` runs and writes its JSON.

No timing is asserted (machines here are shared and noisy): the figures themselves are
read from ``benchmarks/run.py`` output, see README "Performance".
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_benchmarks_quick_mode_runs_every_section_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["meta"]["quick"] is True
    rc = data["run_cost"]
    assert rc["after"]["events_per_run"] < rc["before"]["events_per_run"]
    assert rc["after"]["bare_event_equivalents"] > 0
    assert {"warm_s", "cold_s", "first_partial_s", "app"} <= set(data["live"])
    app = data["live"]["app"]
    assert app["ensembles_run"] == [1 + app["changes"]]  # every lever change ran an ensemble: no cache hits
    assert {"run_s", "summary_s", "figure_s", "draw_s"} <= set(app["redraw"]) and app["first"]["draw_s"] > 0
    assert {"runs_per_s_1", "runs_per_s_2", "efficiency_2", "machine_efficiency_2", "dask_over_local"} <= set(
        data["scaling"])
    assert len(data["scaling"]["machine_efficiency_rounds"]) == len(data["scaling"]["efficiency_rounds"]) == 2
    assert math.isfinite(data["scaling"]["dask_over_local"])  # both sweeps finished
    sizes = [v for v in data["memory"].values() if isinstance(v, dict)]
    assert len(sizes) == 2 and all(v["exit_code"] == 0 and v["stored_bytes_per_run"] > 0 for v in sizes)
    assert "run cost, after" in res.stdout  # the table
    assert "SimPy scheduling" in res.stdout
    bd = rc["breakdown"]
    assert bd["events_by_kind"]["resume"] > bd["events_by_kind"]["start"] >= bd["events_by_kind"]["end"] > 0


def test_events_are_counted_by_kind_exactly():
    """A small SimPy program with a known event count: one process, three timeouts, two callbacks."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run as bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    env = bench.KindCountingEnv()

    def proc(env):
        for _ in range(3):
            yield env.timeout(1)

    env.process(proc(env))
    for d in (0.5, 2.5):
        env.timeout(d).callbacks.append(lambda _ev: None)
    env.run()
    assert env.kinds == {"start": 1, "resume": 3, "end": 1, "callback": 2}


def test_profile_script_prints_the_model_tree_and_own_times(tmp_path):
    html = tmp_path / "profile.html"
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "profile.py"), "--runs", "5",
                          "--html", str(html)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    tree, _, flat = res.stdout.partition("own time per function")
    assert "Model.weekly" in tree and "run_model" in tree
    assert "advance" in flat and "%" in flat
    assert html.stat().st_size > 1000


def test_benchmarks_reject_an_unknown_section():
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "nope"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert "unknown section" in res.stderr
