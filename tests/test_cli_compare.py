"""Command line: ``partnersim compare``, ``partnersim report`` and ``partnersim run --workers --out``."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from partnersim import load_scenario, save_scenario, with_changes
from partnersim.cli import main
from partnersim.model import METRICS

CONTRACT = ["metric", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "p_value"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("scenarios")
    short = {"horizon_days": 365}
    a = save_scenario(with_changes(load_scenario("funding_equal_3to1"), short), d / "equal.toml")
    b = save_scenario(with_changes(load_scenario("funding_proportional_3to1"), short), d / "prop.toml")
    return str(a), str(b)


def one_line_error(capsys, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for n in needles:
        assert n in err, err
    return err


def test_compare_prints_and_writes_comparison_csv(files, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", *files, "--reps", "12", "--seed", "3", "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "A: Funding equal 3:1  vs  B: Funding proportional 3:1" in printed
    # for people: the bottom line first, costs, the main outcomes with units and partners' names, ranked findings
    order = [printed.index(h) for h in ("In short:", "What the change costs:", "The main outcomes",
                                        "What changes, most important first:", "Next:")]
    assert order == sorted(order)
    assert "* Small Co's sense of fairness" in printed and "/100" in printed and "EUR " in printed
    assert "Days together (average)" in printed and "exit_day" not in printed
    assert "perceived fairness is higher by" in printed and "95% CI" not in printed
    assert "fewer conflicts resolved" not in printed and "conflicts resolved is" not in printed
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns[:7]) == CONTRACT
    assert list(table["metric"]) == [*METRICS, "days_together"]
    assert {"comparison.png", "timeseries.png", "survival.png", "outcomes.png"} <= {p.name for p in out.iterdir()}
    assert f"partnersim report {files[0]} --compare {files[1]} --out {out}/report.html" in printed


def test_compare_all_prints_every_metric_with_units(files, capsys):
    assert main(["compare", *files, "--reps", "12", "--seed", "3", "--workers", "1", "--all"]) == 0
    printed = capsys.readouterr().out
    assert "*fairness_b" in printed and "staff hours" in printed and "days_together" in printed
    row = next(line for line in printed.splitlines() if line[1:].startswith("joint_revenue"))
    assert "," in row.split()[2]  # thousands separated, like every other number


def test_compare_without_out_writes_nothing(files, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", *files, "--reps", "3", "--workers", "1"]) == 0
    assert list(tmp_path.iterdir()) == []
    assert "--out out/compare" in capsys.readouterr().out  # the next step says how to get the files


def test_compare_bad_input_exits_2_with_one_line(files, tmp_path, capsys):
    missing = str(tmp_path / "nope.toml")
    assert main(["compare", files[0], missing, "--reps", "2"]) == 2
    one_line_error(capsys, "nope.toml", "file not found")
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    assert main(["compare", *files, "--reps", "2", "--out", str(a_file)]) == 2
    one_line_error(capsys, "taken", "--out")
    bad = tmp_path / "bad.toml"
    bad.write_text('[agreement]\nfunding_rule = "whatever"\n')
    assert main(["compare", files[0], str(bad), "--reps", "2"]) == 2
    one_line_error(capsys, "bad.toml", "agreement.funding_rule")
    with pytest.raises(SystemExit) as e:
        main(["compare", *files, "--reps", "0"])
    assert e.value.code == 2
    one_line_error(capsys, "--reps")


def test_report_command_writes_one_page(files, tmp_path, capsys):
    out = tmp_path / "r" / "report.html"
    assert main(["report", files[0], "--compare", files[1], "--reps", "6", "--workers", "1", "--out", str(out),
                 "--title", "Costs: equal or proportional?"]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<img src="data:image/png;base64,') == 4
    assert "--reps 6 --seed 0" in page
    assert "--title &#x27;Costs: equal or proportional?&#x27;" in page  # the command reproduces the page
    folder = tmp_path / "r"
    assert main(["report", files[0], "--out", str(folder)]) == 2
    one_line_error(capsys, "--out", "folder")


def test_run_with_workers_writes_summary_timeseries_and_figures(files, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", files[0], "--reps", "6", "--workers", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.index("In short:") < printed.index("Still together at the end") < printed.index("Next:")
    assert "Large Co's sense of fairness" in printed and "EUR " in printed and "fairness_a" not in printed
    assert f"partnersim report {files[0]} --out {out}/report.html" in printed
    assert main(["run", files[0], "--reps", "3", "--workers", "1", "--all"]) == 0
    every = capsys.readouterr().out
    assert "fairness_a" in every and "contribution_money_b" in every
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 6 and set(METRICS) <= set(summary.columns)
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(ts["replication"]) == set(range(6))
    for name in ("timeseries.png", "survival.png", "outcomes.png", "ensemble.parquet"):
        assert (out / name).is_file(), name
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert main(["run", files[0], "--reps", "2", "--out", str(a_file)]) == 2
    one_line_error(capsys, "file", "--out")


@pytest.mark.slow
def test_installed_command_exit_codes(files, tmp_path):
    exe = [sys.executable, "-m", "partnersim"]
    ok = subprocess.run([*exe, "compare", *files, "--reps", "4", "--out", str(tmp_path)], capture_output=True,
                        text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "comparison.csv").is_file()
    bad = subprocess.run([*exe, "compare", files[0], str(tmp_path / "missing.toml")], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
