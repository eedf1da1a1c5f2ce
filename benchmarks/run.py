"""partnersim performance benchmarks: prints a table and writes a JSON file.

Usage (from the project root)::

    .venv/bin/python benchmarks/run.py            # every figure of the README's table: about 5 minutes on 2 cores
    .venv/bin/python benchmarks/run.py --full     # more rounds, a 100,000-run memory sweep: about 30 minutes
    .venv/bin/python benchmarks/run.py --quick    # small sizes, a few minutes: checks the benchmarks work
    .venv/bin/python benchmarks/run.py --only run_cost,live

Machines here are shared and noisy, so every figure that matters is a *ratio measured in
the same run*: a model run against a bare SimPy ``timeout`` event measured in the same
process, interleaved; 2 workers against 1 worker, interleaved; Dask against the local
pool on the same sweep. Nothing here is asserted in tests; ``tests/test_benchmarks.py``
only runs ``--quick`` to check the script works.

Sections
--------
run_cost  One 3-year baseline run in bare-event equivalents (run time / bare event time),
          events per run, time per event relative to a bare event; for the planned model
          ("after") and the reference one-event-per-message traffic ("before"). Then where
          a run's time goes: set-up, SimPy's own scheduling of the run's events (each kind
          of event the run processes, counted, times that kind's cost in a bare SimPy
          program measured in the same process), the model's work in the event loop, and
          the end-of-run summary.
live      100 replications of the baseline on 2 workers (warm pool, and the first call,
          which starts the pool), and the time to the first partial result. Then the explore
          notebook end to end (benchmarks/app_redraw.py, in fresh processes): a lever change
          to the new figure (ensemble, summary table, figure), and the notebook's first figure.
scaling   Runs per second on 1 and 2 workers, interleaved, 5 rounds; efficiency = median over rounds of r2 / (2 r1).
          In the same rounds, two plain processes running the model with no pool, alone and
          together: the machine's own efficiency (a shared host's two vCPUs vary).
          Dask LocalCluster against the local pool on the same 2,000-run sweep, both warm:
          7 rounds, the two back to back in alternating order; the median of the ratios.
memory    Peak RSS (process tree) of sweeps of 10,000 and 100,000 runs, stored bytes per run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from partnersim import __version__, load_scenario  # noqa: E402
from partnersim.model import core as model_core  # noqa: E402
from partnersim.model import run_model  # noqa: E402

SECTIONS = ("run_cost", "live", "scaling", "memory")
#: The sizes of each section: ``quick`` checks the script works (the test suite runs it), the
#: default ``standard`` gives every figure of the README's table in about 5 minutes on the 2-core
#: machine, ``full`` repeats more rounds and sweeps 100,000 runs (about 30 minutes).
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {"run_cost": {"rounds": 2, "runs": 5, "bare_n": 20_000, "kind_runs": 10},
              "live": {"reps": 20, "rounds": 2}, "app": {"reps": 20, "changes": 2, "rounds": 1},
              "scaling": {"reps": 60, "rounds": 2}, "dask": {"runs": 200, "rounds": 1},
              "memory": {"runs": (500, 2_000)}},
    "standard": {"run_cost": {"rounds": 5, "runs": 20, "bare_n": 100_000, "kind_runs": 30},
                 "live": {"reps": 100, "rounds": 3}, "app": {"reps": 100, "changes": 3, "rounds": 2},
                 "scaling": {"reps": 200, "rounds": 3}, "dask": {"runs": 1000, "rounds": 3},
                 "memory": {"runs": (2_000, 20_000)}},
    "full": {"run_cost": {"rounds": 7, "runs": 30, "bare_n": 200_000, "kind_runs": 50},
             "live": {"reps": 100, "rounds": 5}, "app": {"reps": 100, "changes": 5, "rounds": 3},
             "scaling": {"reps": 400, "rounds": 5}, "dask": {"runs": 2000, "rounds": 7},
             "memory": {"runs": (10_000, 100_000)}},
}
#: Rough minutes per section on the 2-core development machine (for the progress lines).
MINUTES = {"standard": {"run_cost": 0.5, "live": 1, "scaling": 2, "memory": 1.5},
           "full": {"run_cost": 4, "live": 3, "scaling": 9, "memory": 13}}
_T0 = time.perf_counter()


def note(message: str) -> None:
    """A progress line on standard error: minutes and seconds since the start, then the message."""
    m, s = divmod(int(time.perf_counter() - _T0), 60)
    print(f"[{m:02d}:{s:02d}] {message}", file=sys.stderr, flush=True)


# -- helpers ---------------------------------------------------------------------------
def bare_event_seconds(n: int) -> float:
    """Seconds per bare SimPy ``timeout`` event (one process yielding n timeouts)."""
    env = simpy.Environment()

    def proc(env: simpy.Environment):
        for _ in range(n):
            yield env.timeout(1)

    env.process(proc(env))
    t = time.perf_counter()
    env.run()
    return (time.perf_counter() - t) / n


def time_runs(scenario: Any, runs: int, traffic: str, start: int = 0) -> float:
    """Mean seconds per run over ``runs`` replications."""
    t = time.perf_counter()
    for r in range(start, start + runs):
        run_model(scenario, 0, r, traffic=traffic)
    return (time.perf_counter() - t) / runs


def process_step_seconds(n: int) -> float:
    """Seconds per SimPy step of starting and ending a process (``Initialize`` and ``Process`` events).

    A parent process starts one child per tick; the child returns at once. The time per
    tick, less one bare timeout event, is two steps: the child's start and its end.
    """
    env = simpy.Environment()

    def child(env: simpy.Environment):
        return
        yield  # a generator that ends at its first step

    def parent(env: simpy.Environment):
        for _ in range(n):
            yield env.timeout(1)
            env.process(child(env))

    env.process(parent(env))
    t = time.perf_counter()
    env.run()
    return ((time.perf_counter() - t) / n - bare_event_seconds(n)) / 2.0


def callback_event_seconds(n: int) -> float:
    """Seconds per SimPy ``timeout`` event that calls a plain callback (no process resumed)."""
    env = simpy.Environment()
    left = [n]

    def callback(_event: simpy.Event) -> None:
        left[0] -= 1
        if left[0]:
            env.timeout(1).callbacks.append(callback)

    env.timeout(1).callbacks.append(callback)
    t = time.perf_counter()
    env.run()
    return (time.perf_counter() - t) / n


def event_kind(event: simpy.Event) -> str:
    """What processing ``event`` does: start a process, end one, resume one, or call callbacks."""
    if isinstance(event, simpy.events.Initialize):
        return "start"
    if isinstance(event, simpy.Process):
        return "end"
    if any(isinstance(getattr(cb, "__self__", None), simpy.Process) for cb in event.callbacks):
        return "resume"
    return "callback"


class KindCountingEnv(simpy.Environment):
    """A SimPy environment that counts the events it processes by :func:`event_kind`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds: dict[str, int] = {}

    def step(self) -> None:
        if self._queue:  # (an empty queue: SimPy's step raises EmptySchedule, which ends run())
            kind = event_kind(self._queue[0][3])
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
        super().step()


def event_kinds_per_run(scenario: Any, runs: int, traffic: str = "planned") -> dict[str, float]:
    """Mean number of events of each kind SimPy processes in one run."""
    total: dict[str, int] = {}
    for r in range(runs):
        m = model_core.Model(scenario, 0, r, traffic=traffic)
        m.env = KindCountingEnv()
        m.run()
        for kind, n in m.env.kinds.items():
            total[kind] = total.get(kind, 0) + n
    return {k: v / runs for k, v in sorted(total.items())}


def phase_seconds(scenario: Any, runs: int, start: int = 0) -> dict[str, float]:
    """Mean seconds per run in set-up, the event loop and the end-of-run summary."""
    out = {"setup": 0.0, "loop": 0.0, "finish": 0.0}
    for r in range(start, start + runs):
        t0 = time.perf_counter()
        m = model_core.Model(scenario, 0, r)
        m.start()
        t1 = time.perf_counter()
        m.env.run(until=m.horizon)
        t2 = time.perf_counter()
        m.finish()
        t3 = time.perf_counter()
        out["setup"] += t1 - t0
        out["loop"] += t2 - t1
        out["finish"] += t3 - t2
    return {k: v / runs for k, v in out.items()}


# -- sections ----------------------------------------------------------------------------
def bench_run_cost(size: str) -> dict[str, Any]:
    sc = load_scenario("baseline")
    z = SIZES[size]["run_cost"]
    rounds, runs, bare_n = z["rounds"], z["runs"], z["bare_n"]
    run_model(sc, 0, 0)  # warm imports and caches
    bare, after, before, units, phases = [], [], [], [], []
    for k in range(rounds):  # interleaved, so that load changes hit all alike
        note(f"run_cost: round {k + 1}/{rounds} (bare events, {runs} runs of each traffic, phases)")
        b = bare_event_seconds(bare_n)
        bare.append(b)
        after.append(time_runs(sc, runs, "planned", k * runs))
        before.append(time_runs(sc, runs, "process", k * runs))
        phases.append({name: v / b for name, v in phase_seconds(sc, runs, k * runs).items()})
        units.append({"resume": 1.0, "start": process_step_seconds(bare_n // 4) / b,
                      "callback": callback_event_seconds(bare_n) / b})
    b = statistics.median(bare)
    ta, tb = statistics.median(after), statistics.median(before)
    note("run_cost: counting events by kind")
    kinds = event_kinds_per_run(sc, z["kind_runs"], "planned")
    ea = sum(kinds.values())
    eb = sum(event_kinds_per_run(sc, z["kind_runs"], "process").values())
    # where the time of one run goes, in bare-event equivalents (medians over the rounds)
    unit = {name: statistics.median(u[name] for u in units) for name in units[0]}
    unit["end"] = unit["start"]
    phase = {name: statistics.median(p[name] for p in phases) for name in phases[0]}
    scheduling = sum(n * unit[kind] for kind, n in kinds.items())
    breakdown = {
        "events_by_kind": kinds,
        "bare_equivalents_per_event_of_kind": unit,
        "setup": phase["setup"],
        "simpy_scheduling": scheduling,
        "model_work_in_loop": phase["loop"] - scheduling,
        "finish": phase["finish"],
        "per_event": {
            "simpy_scheduling": scheduling / ea,
            "model_work_in_loop": (phase["loop"] - scheduling) / ea,
            "setup_and_finish": (phase["setup"] + phase["finish"]) / ea,
            "all": (phase["setup"] + phase["loop"] + phase["finish"]) / ea,
        },
    }
    return {
        "bare_event_us": b * 1e6,
        "after": {"run_ms": ta * 1e3, "bare_event_equivalents": ta / b, "events_per_run": ea,
                  "per_event_vs_bare": ta / ea / b},
        "before": {"run_ms": tb * 1e3, "bare_event_equivalents": tb / b, "events_per_run": eb,
                   "per_event_vs_bare": tb / eb / b},
        "speedup": tb / ta,
        "breakdown": breakdown,
    }


def bench_live(size: str) -> dict[str, Any]:
    from partnersim.run import ensemble

    sc = load_scenario("baseline")
    z = SIZES[size]["live"]
    reps = z["reps"]
    out: dict[str, Any] = {"reps": reps, "workers": 2}
    note(f"live: {reps} replications on 2 workers, first call and warm calls")
    t = time.perf_counter()
    ensemble.run_ensemble(sc, reps, 1, workers=2, progress=False)
    out["cold_s"] = time.perf_counter() - t  # includes starting the pool
    warm = []
    for k in range(z["rounds"]):
        t = time.perf_counter()
        ensemble.run_ensemble(sc, reps, 100 + k, workers=2, progress=False)
        warm.append(time.perf_counter() - t)
    out["warm_s"] = statistics.median(warm)
    if hasattr(ensemble, "iter_ensemble"):
        firsts = []
        for k in range(z["rounds"]):
            t = time.perf_counter()
            it = ensemble.iter_ensemble(sc, reps, 200 + k, workers=2)
            next(iter(it))
            firsts.append(time.perf_counter() - t)
            for _ in it:  # drain
                pass
        out["first_partial_s"] = statistics.median(firsts)
    note("live: the explore notebook end to end (benchmarks/app_redraw.py, fresh processes)")
    out["app"] = _app_redraw(size)
    return out


def _app_redraw(size: str) -> dict[str, Any]:
    """The explore app end to end (benchmarks/app_redraw.py), each round in a fresh process."""
    z = SIZES[size]["app"]
    reps, changes, rounds = z["reps"], z["changes"], z["rounds"]
    cmd = [sys.executable, str(ROOT / "benchmarks" / "app_redraw.py"), "--reps", str(reps), "--changes", str(changes)]
    got = []
    for _ in range(rounds):
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
        if res.returncode != 0:
            raise RuntimeError(f"app_redraw.py failed:\n{res.stderr[-2000:]}")
        got.append(json.loads(res.stdout.strip().splitlines()[-1]))
    med = statistics.median
    return {
        "reps": reps, "rounds": rounds, "changes": changes, "debounce_s": got[0]["debounce_s"],
        "first_cell_s": med(g["first_cell_s"] for g in got),
        "first": {k: med(g["first"][k] for g in got) for k in got[0]["first"]},
        "redraw": {k: med(r[k] for g in got for r in g["redraws"]) for k in got[0]["redraw"]},
        "ensembles_run": [g["ensembles_run"] for g in got],
    }


_SOLO_RUNNER = """
import sys, time
sys.path.insert(0, {src!r})
from partnersim import load_scenario
from partnersim.model import run_model
sc = load_scenario("baseline")
for i in range(10):
    run_model(sc, 0, i)
print("ready", flush=True)
for line in sys.stdin:
    n, seed = map(int, line.split())
    t = time.perf_counter()
    for i in range(n):
        run_model(sc, seed, i)
    print(n / (time.perf_counter() - t), flush=True)
"""


class _SoloRunners:
    """Two plain Python processes running the model with no pool: what the machine itself allows.

    ``one(n)`` times n runs in one process while the other idles; ``two(n)`` times n runs in
    each at once. Their ratio is the machine's own parallel efficiency at that moment (two
    vCPUs of a shared host are not always two free cores).
    """

    def __init__(self) -> None:
        code = _SOLO_RUNNER.format(src=str(ROOT / "src"))
        self.procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True) for _ in range(2)]
        for p in self.procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"

    def _ask(self, procs: list[subprocess.Popen], n: int, seed: int) -> list[float]:
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(f"{n} {seed}\n")
            p.stdin.flush()
        return [float(p.stdout.readline()) for p in procs]  # type: ignore[union-attr]

    def one(self, n: int, seed: int) -> float:
        return self._ask(self.procs[:1], n, seed)[0]

    def two(self, n: int, seed: int) -> float:
        return sum(self._ask(self.procs, n, seed))

    def close(self) -> None:
        for p in self.procs:
            assert p.stdin is not None
            p.stdin.close()
            p.wait(timeout=30)


def bench_scaling(size: str) -> dict[str, Any]:
    from partnersim.run import ensemble

    sc = load_scenario("baseline")
    z = SIZES[size]["scaling"]
    reps = z["reps"]
    ensemble.run_ensemble(sc, 10, 0, workers=2, progress=False)  # warm the pool
    solo = _SoloRunners()
    r1, r2, m1, m2 = [], [], [], []
    try:
        for k in range(z["rounds"]):
            note(f"scaling: round {k + 1}/{z['rounds']} ({reps} runs on 1 and on 2 workers, two plain processes)")
            t = time.perf_counter()
            ensemble.run_ensemble(sc, reps, k, workers=1, progress=False)
            r1.append(reps / (time.perf_counter() - t))
            t = time.perf_counter()
            ensemble.run_ensemble(sc, reps, k, workers=2, progress=False)
            r2.append(reps / (time.perf_counter() - t))
            m1.append(solo.one(reps // 2, k))
            m2.append(solo.two(reps // 2, k))
    finally:
        solo.close()
    out: dict[str, Any] = {"reps": reps, "runs_per_s_1": statistics.median(r1),
                           "runs_per_s_2": statistics.median(r2)}
    # each round's own ratio (1 and 2 workers timed back to back), then the median: a slow
    # spell on the shared machine then hits both sides of one ratio rather than one side;
    # the same for two plain processes with no pool, in the same rounds: the machine's share
    for key, ones, twos in (("efficiency", r1, r2), ("machine_efficiency", m1, m2)):
        rounds = [b2 / (2 * b1) for b1, b2 in zip(ones, twos, strict=True)]
        out[f"{key}_2"] = statistics.median(rounds)
        out[f"{key}_rounds"] = [round(x, 3) for x in rounds]
    out.update(_dask_vs_local(size))
    return out


def _sweep_file(folder: Path, runs: int, horizon: float) -> Path:
    """A grid sweep of the baseline with exactly ``runs`` runs (points x replications)."""
    points = 10
    reps = max(1, runs // points)
    base = (ROOT / "scenarios" / "baseline.toml").resolve()
    text = (
        f'# benchmark sweep: {points} points x {reps} replications\n'
        f'base = "{base}"\nseed = 1\nreplications = {reps}\n'
        f'[fixed]\nhorizon_days = {horizon}\n'
        '[design]\nkind = "grid"\n'
        '[parameters]\n'
        '"agreement.goal_clarity" = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]\n'
    )
    path = folder / f"bench_{runs}.toml"
    path.write_text(text)
    return path


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "partnersim"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "partnersim"]


def _peak_memory_of(cmd: list[str]) -> tuple[float, float, float, int]:
    """Run a command; return (seconds, peak PSS and peak RSS of its process tree in MB, exit code).

    PSS (proportional set size) shares each shared page among the processes using it, so
    the tree's sum is what the tree really occupies; summed RSS counts shared libraries
    once per process (main, forkserver, workers) and overstates it.
    """
    import psutil

    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_pss = peak_rss = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak_pss, peak_rss
        ps = psutil.Process(proc.pid)
        while not stop.is_set():
            pss = rss = 0
            try:
                for p in (ps, *ps.children(recursive=True)):
                    try:
                        info = p.memory_full_info()
                        pss += getattr(info, "pss", info.rss)
                        rss += info.rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
            stop.wait(0.1)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    code = proc.wait()
    stop.set()
    th.join()
    return time.perf_counter() - t, peak_pss / 2**20, peak_rss / 2**20, code


def _dask_vs_local(size: str) -> dict[str, Any]:
    """Dask LocalCluster against the local pool on the same sweep.

    Steady state: both executors started (and warmed) before the clock, sweeps interleaved;
    end to end: the ``partnersim sweep`` command, which also starts and stops them.
    """
    from partnersim.analysis.sweep import sweep
    from partnersim.run.executors import DaskExecutor, LocalPoolExecutor

    z = SIZES[size]["dask"]
    runs = z["runs"]
    out: dict[str, Any] = {"sweep_runs": runs}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        file = _sweep_file(folder, runs, 1095.0)
        local, dask = LocalPoolExecutor(2), DaskExecutor(workers=2)
        try:
            for name, ex in (("local", local), ("dask", dask)):
                sweep(file, folder / f"warm_{name}", executor=ex, progress=False)
            times: dict[str, list[float]] = {"local": [], "dask": []}
            for k in range(z["rounds"]):
                note(f"scaling: Dask against the local pool, round {k + 1}/{z['rounds']} ({runs} runs each)")
                order = (("local", local), ("dask", dask)) if k % 2 == 0 else (("dask", dask), ("local", local))
                for name, ex in order:
                    t = time.perf_counter()
                    sweep(file, folder / f"{name}_{k}", executor=ex, progress=False)
                    times[name].append(time.perf_counter() - t)
        finally:
            dask.close()
        out["local_s"], out["dask_s"] = statistics.median(times["local"]), statistics.median(times["dask"])
        # median of each round's own ratio (the two sweeps back to back, alternating which goes first)
        ratios = [d / lo for lo, d in zip(times["local"], times["dask"], strict=True)]
        out["dask_over_local"] = statistics.median(ratios)
        out["dask_over_local_rounds"] = [round(r, 3) for r in ratios]
        for executor in ("local", "dask"):
            note(f"scaling: partnersim sweep --executor {executor} from the command line")
            secs, _, _, code = _peak_memory_of([*_cli(), "sweep", str(file), "--out", str(folder / f"cli_{executor}"),
                                                "--executor", executor, "--workers", "2", "--no-progress"])
            out[f"cli_{executor}_s"] = secs if code == 0 else float("nan")
    return out


def bench_memory(size: str) -> dict[str, Any]:
    sizes = SIZES[size]["memory"]["runs"]
    out: dict[str, Any] = {"horizon_days": 180}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            note(f"memory: a sweep of {n:,} runs, peak memory of the process tree")
            sweep = _sweep_file(Path(tmp), n, 180.0)
            dest = Path(tmp) / f"out_{n}"
            secs, pss, rss, code = _peak_memory_of([*_cli(), "sweep", str(sweep), "--out", str(dest),
                                                    "--workers", "2", "--no-progress"])
            stored = sum(f.stat().st_size for f in dest.rglob("*.parquet"))
            out[str(n)] = {"seconds": secs, "peak_pss_mb": pss, "peak_rss_sum_mb": rss, "exit_code": code,
                           "stored_bytes_per_run": stored / n, "runs_per_s": n / secs}
    return out


BENCHES = {"run_cost": bench_run_cost, "live": bench_live, "scaling": bench_scaling, "memory": bench_memory}


# -- report --------------------------------------------------------------------------------
def _f(x: Any, spec: str = ".3g") -> str:
    return format(x, spec) if isinstance(x, (int, float)) else str(x)


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []
    rc = results.get("run_cost")
    if rc:
        rows += [
            ("bare SimPy timeout event", f"{rc['bare_event_us']:.2f} us", ""),
            ("run cost, after (bare-event equivalents)", f"{rc['after']['bare_event_equivalents']:,.0f}",
             "target <= 15,000"),
            ("run cost, before (one event per message)", f"{rc['before']['bare_event_equivalents']:,.0f}", ""),
            ("speedup before -> after (same process)", f"{rc['speedup']:.2f}x", ""),
            ("events per run, after / before", f"{rc['after']['events_per_run']:.0f} / "
             f"{rc['before']['events_per_run']:.0f}", ""),
            ("time per event vs bare, after / before", f"{rc['after']['per_event_vs_bare']:.1f}x / "
             f"{rc['before']['per_event_vs_bare']:.1f}x", "target <= 2x"),
            ("one run, after / before", f"{rc['after']['run_ms']:.2f} / {rc['before']['run_ms']:.2f} ms", ""),
        ]
        bd = rc.get("breakdown")
        if bd:
            pe = bd["per_event"]
            kinds = ", ".join(f"{k} {v:.0f}" for k, v in bd["events_by_kind"].items())
            rows += [
                ("where a run's time goes (bare-event equivalents):", "", ""),
                ("  set-up (streams, calendars, planned traffic)", f"{bd['setup']:,.0f}", ""),
                ("  SimPy scheduling of the run's events", f"{bd['simpy_scheduling']:,.0f}", kinds),
                ("  model work in the event loop", f"{bd['model_work_in_loop']:,.0f}", ""),
                ("  end-of-run summary", f"{bd['finish']:,.0f}", ""),
                ("  per event: SimPy / model / set-up and summary", f"{pe['simpy_scheduling']:.2f} / "
                 f"{pe['model_work_in_loop']:.2f} / {pe['setup_and_finish']:.2f}", f"all {pe['all']:.1f}x"),
                ("  per event if the loop's model work took no time",
                 f"{pe['simpy_scheduling'] + pe['setup_and_finish']:.2f}x",
                 "floor of 'time per event' at this event count"),
            ]
    lv = results.get("live")
    if lv:
        rows.append((f"live ensemble, {lv['reps']} reps on 2 workers (warm)", f"{lv['warm_s']:.3f} s", "target < 1 s"))
        rows.append(("  same, first call (starts the pool)", f"{lv['cold_s']:.3f} s", ""))
        if "first_partial_s" in lv:
            rows.append(("  time to first partial result", f"{lv['first_partial_s']:.3f} s", "target < 0.25 s"))
        app = lv.get("app")
        if app:
            rd, fd = app["redraw"], app["first"]
            rows += [
                (f"explore app, {app['reps']} reps: lever change -> new figure", f"{rd['draw_s']:.3f} s",
                 f"run {rd['run_s']:.2f} + table {rd['summary_s']:.2f} + figure {rd['figure_s']:.2f} s"),
                ("  slider released -> new figure (debounce + redraw)", f"{app['debounce_s'] + rd['draw_s']:.3f} s",
                 "about 1 s wanted"),
                ("  first figure of a fresh notebook (draw / whole cell)",
                 f"{fd['draw_s']:.2f} / {app['first_cell_s']:.2f} s",
                 f"run {fd['run_s']:.2f} + table {fd['summary_s']:.2f} + figure {fd['figure_s']:.2f} s"),
            ]
    sc = results.get("scaling")
    if sc:
        rows.append(("runs/s on 1 / 2 workers", f"{sc['runs_per_s_1']:.0f} / {sc['runs_per_s_2']:.0f}", ""))
        rows.append(("parallel efficiency, 2 workers", f"{sc['efficiency_2']:.2f}", "target >= 0.9"))
        if "machine_efficiency_2" in sc:
            rows.append(("  the machine's own: two plain processes, same rounds", f"{sc['machine_efficiency_2']:.2f}",
                         "no pool: the most 2 workers can reach now"))
        rows.append((f"Dask / local pool, {sc['sweep_runs']}-run sweep, steady state",
                     f"{_f(sc.get('dask_over_local'), '.2f')}", "target within 10%"))
        rows.append(("  end to end from the CLI, local / Dask (incl. start-up)",
                     f"{_f(sc.get('cli_local_s'), '.1f')} / {_f(sc.get('cli_dask_s'), '.1f')} s", ""))
    mem = results.get("memory")
    if mem:
        for k, v in mem.items():
            if isinstance(v, dict):
                rows.append((f"sweep of {int(k):,} runs ({mem['horizon_days']:g}-day horizon): peak PSS",
                             f"{v['peak_pss_mb']:.0f} MB", "target flat, < 500 MB"))
                rows.append(("  peak RSS summed over the process tree", f"{v['peak_rss_sum_mb']:.0f} MB", ""))
                rows.append(("  stored bytes per run / runs per s",
                             f"{v['stored_bytes_per_run']:.0f} B / {v['runs_per_s']:.0f}", ""))
    w = max(len(r[0]) for r in rows) if rows else 10
    lines = [f"{'measure':<{w}}  {'value':>24}  note", "-" * (w + 40)]
    lines += [f"{a:<{w}}  {b:>24}  {c}" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", const="quick", dest="size",
                      help="small sizes: checks the benchmarks work (what the test suite runs)")
    size.add_argument("--full", action="store_const", const="full", dest="size",
                      help="more rounds and a 100,000-run memory sweep: about 30 minutes on 2 cores")
    ap.set_defaults(size="standard")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    ap.add_argument("--json", type=Path, default=None,
                    help="where to write JSON (default benchmarks/results.json, the committed results; "
                    "with --quick, out/bench-quick.json)")
    args = ap.parse_args(argv)
    quick = args.size == "quick"
    if args.json is None:  # a quick run never overwrites the committed results
        args.json = ROOT / ("out/bench-quick.json" if quick else "benchmarks/results.json")
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in BENCHES]
    if unknown:
        ap.error(f"unknown section(s): {', '.join(unknown)}")
    results: dict[str, Any] = {
        "meta": {"partnersim": __version__, "python": platform.python_version(), "simpy": simpy.__version__,
                 "cpus": os.cpu_count(), "quick": quick, "size": args.size,
                 "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
    }
    if not quick:
        minutes = sum(MINUTES[args.size][name] for name in chosen)
        other = ("--full repeats more rounds (about 30 minutes)" if args.size == "standard"
                 else "the default size takes about 5")
        note(f"{args.size} benchmarks ({', '.join(chosen)}): about {minutes:g} minutes on a 2-core machine; {other}")
    for name in chosen:
        note(f"{name} ...")
        results[name] = BENCHES[name](args.size)
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
