"""Fuzz partnersim's input handling: mutated scenario and sweep files, in this process.

Usage (from the project root)::

    .venv/bin/python benchmarks/fuzz.py                      # 10,000 scenario + 2,000 sweep files
    .venv/bin/python benchmarks/fuzz.py --scenarios 500 --sweeps 100 --seed 3
    .venv/bin/python benchmarks/fuzz.py --json out/fuzz.json  # also write the counts and failures

Hypothesis strategies (:func:`scenario_files`, :func:`sweep_files`) build files from the
bundled scenarios and sweeps with a few mutations each: a field set to an edge, out-of-range,
wrong-typed, special (``nan``, ``inf``, ``5e-324``) or very long value; an unknown key (with
newlines, control or non-ASCII characters in it); a section replaced by a scalar; tables
nested hundreds deep; and byte-level damage (cut short, a byte flipped, not UTF-8). Each file
goes through ``partnersim validate`` (in this process), which must:

- exit 0, or exit 2 with one line of at most 300 characters, without control characters,
  naming the file (and, for a file that parses, a field): never an internal error;
- for a valid scenario: one replication (``run_model``) must finish within ``--bound``
  seconds (default 5; see README "Fuzzing" for the run-time bound) with every summary value
  finite (or NaN where a metric may be undefined) and within its unit's range;
- for a valid sweep: its design is planned (its size is bounded by
  :data:`partnersim.analysis.sweepfile.MAX_RUNS`) and its first run gives a row with no error.

A problem is recorded and the fuzzing goes on (no shrinking); the command prints the counts,
the slowest run, and each kind of problem with a reproducer, and exits 1 if there was any.
``tests/test_fuzz.py`` runs a few hundred files of each kind through the same checks.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import tomli_w  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from partnersim.cli import main as cli_main  # noqa: E402
from partnersim.model import METRICS, run_model  # noqa: E402
from partnersim.scenario import bundled_dir, leaf_fields, load_scenario, read_toml  # noqa: E402

__all__ = ["FuzzCase", "Report", "scenario_files", "sweep_files", "check_scenario_file", "check_sweep_file",
           "fuzz", "main", "MAX_LINE", "UNDEFINED_OK"]

MAX_LINE = 300
#: metrics that are NaN when what they average did not happen (no conflict resolved, no message, ...)
UNDEFINED_OK = frozenset({"exit_day", "mean_resolution_days", "mean_response_hours", "mean_decision_days",
                          "on_time_rate", "value_for_money"})  # (value_for_money: nothing cost anything)
LEAVES = leaf_fields()
SCENARIO_BASES = [read_toml(p) for p in sorted(bundled_dir().glob("*.toml")) if not p.stem.startswith("sweep_")]
SWEEP_BASES = [read_toml(p) for p in sorted(bundled_dir().glob("sweep_*.toml"))]
ODD_TEXT = ["yes", "no", "true", "0.5", "1e3", "", " ", "nan", "inf", "equal ", "EQUAL", "a\nb", "\x1b[31mred",
            "\u202egnp.exe", "x" * 5000, "\u2028", "名前", "\x00"]
ODD_KEYS = ["unknown", "revenu", "partner_a ", "a\nb", "line\rfeed", "\x1b[2J", "tab\there", "ключ", "😀",
            "k" * 400, "work start", "\u2028sep", "weekly.enabled"]


@dataclass
class FuzzCase:
    """One generated file: what it is made of, its bytes, and whether its TOML parses."""

    kind: str  # "scenario" or "sweep"
    data: bytes
    mutations: list[str]
    parses: bool


@dataclass
class Report:
    """Counts and problems of a fuzz run."""

    files: dict[str, int] = field(default_factory=lambda: {"scenario": 0, "sweep": 0})
    valid: dict[str, int] = field(default_factory=lambda: {"scenario": 0, "sweep": 0})
    exit2: dict[str, int] = field(default_factory=lambda: {"scenario": 0, "sweep": 0})
    warned: int = 0
    runs: int = 0
    slowest: tuple[float, list[str]] = (0.0, [])
    problems: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def problem(self, case: FuzzCase, what: str, detail: str) -> None:
        """Record a problem (with the mutations that make it: a reproducer)."""
        self.problems.append({"kind": case.kind, "what": what, "detail": detail[:500], "mutations": case.mutations,
                              "file": case.data[:20_000].decode("utf-8", "replace")})

    def as_dict(self) -> dict[str, Any]:
        """JSON-able."""
        return {"files": self.files, "valid": self.valid, "exit2": self.exit2, "warned": self.warned,
                "runs": self.runs, "slowest_s": self.slowest[0], "slowest_mutations": self.slowest[1],
                "problems": self.problems, "seconds": self.seconds}


# -- strategies ------------------------------------------------------------------------------

def _bounds(info: Any) -> tuple[float | None, float | None, bool, bool]:
    lo = hi = None
    open_lo = open_hi = False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, open_lo = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, open_hi = m.lt, True
    return lo, hi, open_lo, open_hi


def _odd_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(ODD_TEXT), st.booleans(), st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63)]),
        st.sampled_from([math.nan, math.inf, -math.inf, 5e-324, -0.0, 1e308, -1e308]),
        st.lists(st.integers(0, 3), max_size=3), st.just({"x": 1}), st.text(max_size=30),
    )


def valid_value(path: str) -> st.SearchStrategy[Any]:
    """A value of the field's own type within its bounds (edges included)."""
    info = LEAVES[path]
    ann = info.annotation
    lo, hi, open_lo, open_hi = _bounds(info)
    if ann is bool:
        return st.booleans()
    if ann is int:
        lo_i, hi_i = int(lo if lo is not None else -10), int(hi if hi is not None else 10)
        return st.one_of(st.sampled_from([lo_i, hi_i]), st.integers(lo_i, hi_i))
    if ann is float:
        lo_f, hi_f = float(lo if lo is not None else -1e6), float(hi if hi is not None else 1e6)
        inner = st.floats(lo_f, hi_f, exclude_min=open_lo, exclude_max=open_hi, allow_nan=False)
        edges = [v for v, open_ in ((lo_f, open_lo), (hi_f, open_hi)) if not open_]
        if open_lo:
            edges.append(math.nextafter(lo_f, math.inf))
        if open_hi:
            edges.append(math.nextafter(hi_f, -math.inf))
        return st.one_of(st.sampled_from(edges), inner)
    choices = getattr(ann, "__args__", None)
    if choices:  # a Literal
        return st.sampled_from(list(choices))
    return st.text(max_size=40)


def any_value(path: str) -> st.SearchStrategy[Any]:
    """A value of any kind for the field: mostly valid, else out of range, wrong type or odd."""
    info = LEAVES[path]
    lo, hi, _, _ = _bounds(info)
    out = [v for v in (lo, hi) if v is not None]
    near = [x for v in out for x in (v - 1, v + 1, v * 10 + 1, -v)]
    return st.one_of(valid_value(path), valid_value(path), st.sampled_from(near or [0]), _odd_values())


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node = data
    keys = path.split(".")
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            node[k] = {}
        node = node[k]
    node[keys[-1]] = value


def _tables(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for k, v in data.items():
        if isinstance(v, dict):
            out += _tables(v, (*prefix, k))
    return out


def _node(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    node = data
    for k in keys:
        node = node[k]
    return node


def _nested(depth: int) -> dict[str, Any]:
    d: dict[str, Any] = {"x": 1}
    for _ in range(depth):
        d = {"x": d}
    return d


@st.composite
def mutate(draw: st.DrawFn, data: dict[str, Any], paths: list[str], notes: list[str],
           valid_bias: float = 0.6) -> None:
    """Apply one mutation to ``data`` (in place) and describe it in ``notes``."""
    kind = draw(st.sampled_from(["set", "set", "set", "set", "unknown", "delete", "section", "nest", "extremes"]))
    tables = _tables(data)
    if kind == "extremes":  # many numeric fields at once at an edge of their range (valid, costly combinations)
        numeric = [p for p in paths if p in LEAVES and LEAVES[p].annotation in (int, float)
                   and not p.endswith(("work_start", "work_end"))]
        chosen = draw(st.lists(st.sampled_from(numeric), min_size=5, max_size=40, unique=True))
        side = draw(st.sampled_from(["low", "high", "mixed"]))
        for path in chosen:
            lo, hi, open_lo, open_hi = _bounds(LEAVES[path])
            high = side == "high" or (side == "mixed" and draw(st.booleans()))
            v = hi if high else lo
            if v is None:
                continue
            if LEAVES[path].annotation is float:
                v = float(v)
                if high and open_hi:
                    v = math.nextafter(v, -math.inf)
                if not high and open_lo:
                    v = math.nextafter(v, math.inf)
            _set(data, path, v)
        notes.append(f"extremes {side}: " + ", ".join(f"{p}={'hi' if side == 'high' else 'lo'}" for p in chosen)
                     if side != "mixed" else "extremes mixed: " + ", ".join(chosen))
        notes.append(json.dumps({p: _node(data, tuple(p.split(".")[:-1])).get(p.split(".")[-1]) for p in chosen},
                                default=str)[:1500])
    elif kind == "set":
        path = draw(st.sampled_from(paths))
        value = draw(valid_value(path) if draw(st.floats(0, 1)) < valid_bias else any_value(path))
        _set(data, path, value)
        notes.append(f"{path} = {value!r}"[:200])
    elif kind == "unknown":
        where = draw(st.sampled_from(tables))
        key = draw(st.one_of(st.sampled_from(ODD_KEYS), st.text(min_size=1, max_size=12)))
        _node(data, where)[key] = draw(_odd_values())
        notes.append(f"unknown key {'.'.join((*where, repr(key)))}"[:200])
    elif kind == "delete":
        where = draw(st.sampled_from(tables))
        node = _node(data, where)
        if node:
            key = draw(st.sampled_from(sorted(node)))
            del node[key]
            notes.append(f"delete {'.'.join((*where, key))}")
    elif kind == "section":
        where = draw(st.sampled_from([t for t in tables if t] or [()]))
        if where:
            _node(data, where[:-1])[where[-1]] = draw(_odd_values())
            notes.append(f"section {'.'.join(where)} = scalar")
    else:
        where = draw(st.sampled_from(tables))
        depth = draw(st.sampled_from([3, 30, 200]))
        _node(data, where)["deep"] = _nested(depth)
        notes.append(f"{'.'.join((*where, 'deep'))} nested {depth} deep")


def _damage(draw: st.DrawFn, text: bytes, notes: list[str]) -> bytes:
    how = draw(st.sampled_from(["cut", "flip", "latin1", "deep", "huge", "dup"]))
    if how == "cut" and text:
        i = draw(st.integers(0, len(text) - 1))
        notes.append(f"cut at byte {i}")
        return text[:i]
    if how == "flip" and text:
        i = draw(st.integers(0, len(text) - 1))
        b = draw(st.integers(0, 255))
        notes.append(f"byte {i} -> {b}")
        return text[:i] + bytes([b]) + text[i + 1:]
    if how == "latin1":
        notes.append("not UTF-8")
        return text + b'\n# caf\xe9\n'
    if how == "deep":
        depth = draw(st.sampled_from([500, 1000, 5000]))
        notes.append(f"array nested {depth} deep")
        return b"deep = " + b"[" * depth + b"]" * depth + b"\n" + text
    if how == "huge":
        notes.append("huge number literal")
        return b"horizon_days = 1" + b"0" * 5000 + b"\n" + text
    notes.append("duplicate key")
    return b'name = "a"\nname = "b"\n' + text


def _case(draw: st.DrawFn, kind: str, data: dict[str, Any], notes: list[str]) -> FuzzCase:
    try:
        text = tomli_w.dumps(data).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as e:  # not expressible as TOML: damage instead
        notes.append(f"(tomli_w: {type(e).__name__})")
        text = b""
    if not text or draw(st.floats(0, 1)) < 0.08:
        text = _damage(draw, text, notes)
    import tomllib

    try:
        tomllib.loads(text.decode("utf-8"))
        parses = True
    except Exception:
        parses = False
    return FuzzCase(kind, text, notes, parses)


@st.composite
def scenario_files(draw: st.DrawFn, max_mutations: int = 4) -> FuzzCase:
    """A bundled scenario with 1 to ``max_mutations`` mutations (and sometimes byte damage)."""
    data = json.loads(json.dumps(draw(st.sampled_from(SCENARIO_BASES))))
    notes: list[str] = []
    paths = list(LEAVES)
    for _ in range(draw(st.integers(1, max_mutations))):
        draw(mutate(data, paths, notes))
    return _case(draw, "scenario", data, notes)


@st.composite
def param_spec(draw: st.DrawFn, path: str, kind: str) -> Any:
    """A ``[parameters]`` entry: a list of values or a range (with steps for grids)."""
    info = LEAVES[path]
    numeric = info.annotation in (int, float)
    if numeric and draw(st.booleans()):
        lo, hi = sorted(draw(st.lists(valid_value(path), min_size=2, max_size=2, unique=True)))
        if draw(st.floats(0, 1)) < 0.1:
            lo, hi = hi, draw(any_value(path))
        spec: dict[str, Any] = {"range": [lo, hi]}
        if kind == "grid" or draw(st.floats(0, 1)) < 0.05:
            spec["steps"] = draw(st.one_of(st.integers(2, 4), st.sampled_from([1, 100, 100_000, 10**9])))
        return spec
    if draw(st.floats(0, 1)) < 0.85:
        values = draw(st.lists(valid_value(path), min_size=2, max_size=4, unique_by=lambda v: json.dumps(v)))
    else:
        values = draw(st.lists(any_value(path), min_size=0, max_size=4))
    return values if draw(st.booleans()) else {"values": values}


@st.composite
def sweep_files(draw: st.DrawFn) -> FuzzCase:
    """A bundled sweep file, or a generated one, with mutations of its keys and parameters."""
    notes: list[str] = []
    if draw(st.floats(0, 1)) < 0.3:
        data = json.loads(json.dumps(draw(st.sampled_from(SWEEP_BASES))))
        notes.append(f"bundled {data.get('name')}")
    else:
        kind = draw(st.sampled_from(["grid", "lhs", "sobol", "morris"]))
        design: dict[str, Any] = {"kind": kind}
        if kind != "grid":
            design["samples"] = draw(st.sampled_from([2, 4, 8, 16, 2, 4, 8, 16, 3, 2**23, 10**7]))
        if kind == "sobol" and draw(st.floats(0, 1)) < 0.2:
            design["second_order"] = True
        if kind == "morris" and draw(st.booleans()):
            design["levels"] = draw(st.integers(2, 6))
        n = draw(st.integers(1, 4))
        paths = draw(st.lists(st.sampled_from(list(LEAVES)), min_size=n, max_size=n, unique=True))
        params = {p: draw(param_spec(p, kind)) for p in paths}
        data = {"name": "fuzz", "base": draw(st.sampled_from(["baseline", "no_cadence", "missing.toml"])),
                "seed": draw(st.integers(0, 5)), "replications": draw(st.sampled_from([1, 2, 3, 1, 2, 3, 1_000_000])),
                "fixed": {"horizon_days": 91.0}, "design": design, "parameters": params}
        notes.append(json.dumps(data, default=str)[:400])
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        kind = draw(st.sampled_from(["top", "design", "param", "tree"]))
        if kind == "top":
            key = draw(st.sampled_from(["seed", "replications", "base", "name", "fixed", "parameters"]))
            data[key] = draw(_odd_values())
            notes.append(f"{key} = odd")
        elif kind == "design":
            d = data.setdefault("design", {}) if isinstance(data.get("design", {}), dict) else {}
            key = draw(st.sampled_from(["kind", "samples", "second_order", "levels", "seed", "bogus"]))
            d[key] = draw(_odd_values())
            notes.append(f"design.{key} = odd")
        elif kind == "param" and isinstance(data.get("parameters"), dict):
            path = draw(st.sampled_from(list(LEAVES)))
            data["parameters"][path] = draw(param_spec(path, str(data.get("design", {}).get("kind", "grid"))
                                                       if isinstance(data.get("design"), dict) else "grid"))
            notes.append(f"parameters.{path}")
        else:
            draw(mutate(data, list(LEAVES), notes))
    return _case(draw, "sweep", data, notes)


# -- checks ---------------------------------------------------------------------------------

def _cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli_main(args)
        except SystemExit as e:  # argparse
            rc = int(e.code or 0)
    return rc, out.getvalue(), err.getvalue()


def _bad_chars(line: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in line)


def _check_messages(report: Report, case: FuzzCase, path: Path, rc: int, err: str) -> None:
    lines = err.splitlines()
    if err and not err.endswith("\n"):
        report.problem(case, "message", f"stderr does not end a line: {err!r}")
    for line in lines:
        if len(line) > MAX_LINE:
            report.problem(case, "long message", f"{len(line)} characters: {line[:200]!r}")
        if _bad_chars(line):
            report.problem(case, "control character", repr(line[:300]))
    errors = [ln for ln in lines if not ln.startswith("partnersim validate: warning:")]
    if rc == 2:
        if len(errors) != 1:
            report.problem(case, "not one line", repr(err[:600]))
            return
        head = f"partnersim validate: error: {path}: "
        if not errors[0].startswith(head):
            report.problem(case, "file not named", repr(errors[0][:300]))
        elif case.parses and ": " not in errors[0][len(head):]:
            report.problem(case, "field not named", repr(errors[0][:300]))
    elif rc == 0:
        report.warned += bool(lines)
        if errors:
            report.problem(case, "stderr on success", repr(err[:300]))
    else:
        report.problem(case, f"exit {rc}", repr(err[:600]))


def check_summary(summary: dict[str, float], horizon: float) -> list[str]:
    """What is wrong with one run's summary: non-finite values, values outside their unit's range."""
    bad = []
    for name, (unit, _) in METRICS.items():
        v = summary.get(name)
        if v is None:
            bad.append(f"{name} missing")
            continue
        if math.isnan(v) and name in UNDEFINED_OK:
            continue
        if not math.isfinite(v):
            bad.append(f"{name} = {v}")
            continue
        eps = 1e-9
        ok = {
            "0..1": -eps <= v <= 1 + eps, "0/1": v in (0.0, 1.0), "0..2": -eps <= v <= 2 + eps,
            "count": v >= 0 and float(v).is_integer(), "days": -eps <= v <= horizon + eps,
            "hours": v >= -eps, "staff hours": v >= -eps, "currency": v >= -1e-6 * max(1.0, abs(v)),
            "1/year": v >= -1 - eps, "fraction": v >= -1 - eps,
        }.get(unit, True)
        if name in ("mean_response_hours", "mean_open_conflicts"):  # averages, not counts or spans
            ok = v >= -eps
        if not ok:
            bad.append(f"{name} = {v!r} ({unit})")
    return bad


def check_scenario_file(report: Report, case: FuzzCase, path: Path, bound: float) -> None:
    """Validate one scenario file through the command line; run it once if valid."""
    path.write_bytes(case.data)
    report.files["scenario"] += 1
    rc, _out, err = _cli(["validate", str(path)])
    _check_messages(report, case, path, rc, err)
    if rc == 2:
        report.exit2["scenario"] += 1
    if rc != 0:
        return
    report.valid["scenario"] += 1
    sc = load_scenario(path)
    t0 = time.perf_counter()
    try:
        out = run_model(sc, 0, 0)
    except Exception as e:  # a legal scenario the model cannot run
        report.problem(case, f"model {type(e).__name__}", str(e))
        return
    dt = time.perf_counter() - t0
    report.runs += 1
    if dt > report.slowest[0]:
        report.slowest = (dt, case.mutations)
    if dt > bound:
        report.problem(case, "slow run", f"{dt:.1f} s > {bound:g} s")
    for b in check_summary(out.summary, sc.horizon_days):
        report.problem(case, "summary out of range", b)


def check_sweep_file(report: Report, case: FuzzCase, path: Path) -> None:
    """Validate one sweep file through the command line; plan it and run its first run if valid."""
    from partnersim.analysis.sweep import SweepChunk, plan_sweep, run_sweep_chunk
    from partnersim.analysis.sweepfile import MAX_RUNS

    path.write_bytes(case.data)
    report.files["sweep"] += 1
    rc, out, err = _cli(["validate", str(path)])
    _check_messages(report, case, path, rc, err)
    if rc == 2:
        report.exit2["sweep"] += 1
    if rc != 0 or "valid sweep" not in out:  # (damaged into a file without [design] or [parameters]: a scenario)
        return
    report.valid["sweep"] += 1
    try:
        spec, design = plan_sweep(path)
    except Exception as e:
        report.problem(case, f"plan {type(e).__name__}", str(e))
        return
    if design.n_points * spec.replications > MAX_RUNS:
        report.problem(case, "too large", f"{design.n_points} points x {spec.replications}")
    row = run_sweep_chunk(SweepChunk(spec.base, spec.seed, ((0, 0),), {0: design.changes(0)}))[0]
    err_text = row.get("error")
    if err_text and not str(err_text).startswith("ValueError: invalid scenario"):
        report.problem(case, "sweep run error", str(err_text))
    elif not err_text:
        report.runs += 1
        horizon = float(design.changes(0).get("horizon_days", spec.base.horizon_days))
        for b in check_summary({m: row[m] for m in METRICS}, horizon):
            report.problem(case, "summary out of range", b)


def fuzz(n_scenarios: int, n_sweeps: int, seed: int = 0, bound: float = 5.0, folder: Path | None = None,
         skip: Any = None) -> Report:
    """Run ``n_scenarios`` scenario files and ``n_sweeps`` sweep files through the checks.

    ``skip(case) -> bool`` leaves out known cases (the test suite's exclusions).
    """
    report = Report()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="partnersim-fuzz-") as tmp:
        where = Path(folder or tmp)
        common = dict(database=None, deadline=None, phases=[Phase.generate], derandomize=False,
                      suppress_health_check=list(HealthCheck))

        @hypothesis_seed(seed)
        @settings(max_examples=max(1, n_scenarios), **common)
        @given(scenario_files())
        def scenarios(case: FuzzCase) -> None:
            if skip is None or not skip(case):
                check_scenario_file(report, case, where / "scenario.toml", bound)

        @hypothesis_seed(seed + 1)
        @settings(max_examples=max(1, n_sweeps), **common)
        @given(sweep_files())
        def sweeps(case: FuzzCase) -> None:
            if skip is None or not skip(case):
                check_sweep_file(report, case, where / "sweep.toml")

        if n_scenarios:
            scenarios()
        if n_sweeps:
            sweeps()
    report.seconds = time.perf_counter() - t0
    return report


def summary_text(report: Report) -> str:
    """The counts, the slowest run and the problems, grouped by kind."""
    r = report
    lines = [
        f"scenario files: {r.files['scenario']} ({r.valid['scenario']} valid, {r.exit2['scenario']} exit 2)",
        f"sweep files:    {r.files['sweep']} ({r.valid['sweep']} valid, {r.exit2['sweep']} exit 2)",
        f"runs: {r.runs}; slowest {r.slowest[0]:.2f} s ({'; '.join(r.slowest[1])[:300]})",
        f"valid files with warnings: {r.warned}",
        f"time: {r.seconds:.0f} s ({(r.files['scenario'] + r.files['sweep']) / max(r.seconds, 1e-9):.0f} files/s)",
        f"problems: {len(r.problems)}",
    ]
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in r.problems:
        groups.setdefault(f"{p['kind']}: {p['what']}", []).append(p)
    for key, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        first = items[0]
        lines.append(f"  {len(items):>5} x {key}: {first['detail'][:160]}")
        lines.append(f"          e.g. {'; '.join(first['mutations'])[:400]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: fuzz, print the summary, exit 1 on any problem."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", type=int, default=10_000, help="scenario files (default 10,000)")
    ap.add_argument("--sweeps", type=int, default=2_000, help="sweep files (default 2,000)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    ap.add_argument("--bound", type=float, default=5.0, help="seconds one replication may take (default 5)")
    ap.add_argument("--json", type=Path, default=None, help="also write the report as JSON here")
    args = ap.parse_args(argv)
    report = fuzz(args.scenarios, args.sweeps, args.seed, args.bound)
    print(summary_text(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_dict(), indent=2, default=str))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
