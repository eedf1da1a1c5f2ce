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


def known_model_failure(problem: dict) -> bool:
    """Failures inside the model, left to the model's rewrite (issue 11), excluded here by name.

    - ``revenue_growth_a/b = inf``: the metric annualises total revenue growth,
      ``(final / revenue) ** (365 / horizon_days) - 1``, which overflows for a short horizon and a
      large ratio; e.g. from the default Scenario: horizon_days = 7, partner_a.revenue = 1,
      market.opportunity_value = 1e10, market.milestone_interval_days = 0.001,
      market.opportunities_per_month = 100, market.opportunity_cost = 0, market.opportunity_hours = 0
      (seed 0, replication 1).
      Remove this exclusion once the model gives a finite value there.
    - SimPy ``ValueError: Negative delay -2.8e-14`` from round-off in a computed delay: e.g.
      partner_a.work_start = 0.8733426299560874, agreement.cadence.monthly.interval_days = 1.

    Both are reproduced in tests/test_known_model_failures.py (expected to fail until fixed).
    """
    if problem["what"] == "model ValueError" and problem["detail"].startswith("Negative delay"):
        return True
    return (problem["what"] == "summary out of range" and problem["detail"].startswith("revenue_growth_")
            and problem["detail"].endswith("= inf"))


@pytest.mark.slow
def test_a_few_hundred_mutated_files_pass_every_check(fuzz):
    report = fuzz.fuzz(400, 120, seed=12, bound=60.0)  # (a hang detector, not a timing assertion)
    assert report.files == {"scenario": 400, "sweep": 120}
    # the generated files cover both outcomes
    assert report.valid["scenario"] > 50 and report.exit2["scenario"] > 100
    assert report.valid["sweep"] > 10 and report.exit2["sweep"] > 30
    assert report.runs > 50
    problems = [p for p in report.problems if not known_model_failure(p)]
    assert not problems, fuzz.summary_text(report)


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
