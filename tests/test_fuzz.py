"""A small run of the fuzz harness (``benchmarks/fuzz.py``; the full one is 10,000 scenario and
2,000 sweep files): mutated files give exit 0 or one exit-2 line naming file and field, never an
internal error; valid scenarios run with every summary value finite and in range."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("partnersim_fuzz", ROOT / "benchmarks" / "fuzz.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["partnersim_fuzz"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_a_few_hundred_mutated_files_pass_every_check(fuzz):
    report = fuzz.fuzz(400, 120, seed=12, bound=60.0)  # (a hang detector, not a timing assertion)
    assert report.files == {"scenario": 400, "sweep": 120}
    # the generated files cover both outcomes
    assert report.valid["scenario"] > 50 and report.exit2["scenario"] > 100
    assert report.valid["sweep"] > 10 and report.exit2["sweep"] > 30
    assert report.runs > 50
    assert not report.problems, fuzz.summary_text(report)


def test_the_checks_catch_what_they_look_for(fuzz):
    """The checks themselves: a bad message, an out-of-range summary."""
    case = fuzz.FuzzCase("scenario", b"", [], True)
    r = fuzz.Report()
    fuzz._check_messages(r, case, Path("f.toml"), 1, "partnersim validate: internal error: boom\n")
    fuzz._check_messages(r, case, Path("f.toml"), 2, "a\nb\n")
    fuzz._check_messages(r, case, Path("f.toml"), 2, "partnersim validate: error: f.toml: " + "x" * 400 + "\n")
    assert [p["what"] for p in r.problems] == ["exit 1", "not one line", "long message", "field not named"]
    good = {m: 0.0 for m in fuzz.METRICS}
    assert fuzz.check_summary(good, 100.0) == []
    assert fuzz.check_summary({**good, "final_trust": 1.5, "joint_revenue": float("inf")}, 100.0) == [
        "joint_revenue = inf", "final_trust = 1.5 (0..1)"]
