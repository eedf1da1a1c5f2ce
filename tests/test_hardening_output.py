"""Nothing computed is lost (issue 12): output locations checked before any run, results kept
when writing fails, plausibility warnings on valid but suspicious scenarios."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import pytest

from partnersim import Ensemble
from partnersim.cli import main as cli
from partnersim.scenario import Scenario, plausibility_warnings, with_changes

UNWRITABLE = Path("/proc/partnersim-no-such-place/out")  # no process, root included, can make this

pytestmark = pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")


def _no_runs(monkeypatch):
    def refuse(*a, **k):  # pragma: no cover - only reached if the check failed
        raise AssertionError("a run started before the output location was checked")

    import partnersim.cli.compare_cmd  # noqa: F401 - imported so that its names can be patched
    import partnersim.cli.run_cmd as run_cmd

    monkeypatch.setattr(run_cmd, "run_ensemble", refuse)
    monkeypatch.setattr("partnersim.analysis.compare.compare", refuse)
    monkeypatch.setattr("partnersim.report.build_report", refuse)
    monkeypatch.setattr("partnersim.analysis.sweep.sweep", refuse)


@pytest.mark.parametrize("argv", [
    ["run", "baseline", "--reps", "2", "--out", str(UNWRITABLE)],
    ["compare", "baseline", "no_cadence", "--reps", "2", "--out", str(UNWRITABLE)],
    ["report", "baseline", "--reps", "2", "--out", str(UNWRITABLE / "r.html")],
    ["sweep", "sweep_cadence_funding", "--out", str(UNWRITABLE)],
], ids=["run", "compare", "report", "sweep"])
def test_an_unwritable_out_is_exit_2_before_any_run(argv, monkeypatch, capsys):
    _no_runs(monkeypatch)
    assert cli(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out: cannot write there" in err[0] and str(UNWRITABLE) in err[0]


def test_compare_checks_where_its_table_goes(monkeypatch, capsys, tmp_path):
    _no_runs(monkeypatch)
    (tmp_path / "o" / "comparison.csv").mkdir(parents=True)  # in the way
    assert cli(["compare", "baseline", "no_cadence", "--reps", "2", "--out", str(tmp_path / "o")]) == 2
    assert "comparison.csv: --out: is a folder" in capsys.readouterr().err


def test_a_run_whose_writing_fails_keeps_the_ensemble(monkeypatch, capsys, tmp_path):
    import partnersim.cli.run_cmd as run_cmd

    def full_disk(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "summary.csv"))

    monkeypatch.setattr(run_cmd, "_write", full_disk)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    rc = cli(["run", "baseline", "--reps", "3", "--workers", "1", "--seed", "4", "--out", str(tmp_path / "out")])
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "No space left on device" in err and "the ensemble (read it with partnersim.Ensemble.load) saved to" in err
    saved = Path(err.rsplit(" saved to ", 1)[1])
    ens = Ensemble.load(saved)
    assert ens.reps == 3 and ens.seed == 4 and saved.parent == tmp_path / "tmp"


def test_a_report_whose_writing_fails_is_kept(monkeypatch, capsys, tmp_path):
    out = tmp_path / "r.html"

    def build(*a, **k):
        out.mkdir()  # the page's place taken meanwhile: writing it fails
        return "<html>the page</html>"

    monkeypatch.setattr("partnersim.report.build_report", build)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert cli(["report", "baseline", "--reps", "2", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    saved = Path(err.rsplit(" saved to ", 1)[1])
    assert saved.read_text(encoding="utf-8") == "<html>the page</html>"


def test_a_sweep_whose_writing_fails_says_what_is_kept(monkeypatch, capsys, tmp_path):
    from partnersim.analysis import storage

    calls = {"n": 0}
    real = storage.RunSink.flush

    def flush(self):
        calls["n"] += 1
        if calls["n"] > 1 and self._rows:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self)

    monkeypatch.setattr(storage.RunSink, "flush", flush)
    f = tmp_path / "s.toml"
    f.write_text('replications = 2\n[fixed]\nhorizon_days = 60\n[design]\nkind = "grid"\n[parameters]\n'
                 '"agreement.goal_clarity" = { range = [0.2, 0.8], steps = 4 }\n', encoding="utf-8")
    rc = cli(["sweep", str(f), "--out", str(tmp_path / "o"), "--executor", "inprocess", "--part-rows", "2"])
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "No space left on device" in err and "1 parts written so far are kept" in err
    assert len(list((tmp_path / "o" / "runs").glob("part-*.parquet"))) == 1


def test_a_queue_with_load_of_one_or_more_is_a_warning_not_an_error(tmp_path, capsys):
    f = tmp_path / "busy.toml"
    f.write_text("[partner_a]\nmessage_rate = 30.0\n[partner_b]\nresponsiveness_hours = 2.0\n", encoding="utf-8")
    assert cli(["validate", str(f)]) == 0
    captured = capsys.readouterr()
    assert "valid" in captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"partnersim validate: warning: {f}: partner_b.responsiveness_hours: ")
    assert "load of 1.5" in lines[0] and len(lines[0]) <= 300
    assert cli(["validate", "baseline"]) == 0
    assert capsys.readouterr().err == ""


def test_the_platform_takes_load_off_the_queue():
    busy = with_changes(Scenario(), {"partner_a.message_rate": 30.0})
    assert [f for f, _ in plausibility_warnings(busy)] == ["partner_b.responsiveness_hours"]
    helped = with_changes(busy, {"agreement.shared_platform": True, "dynamics.platform_self_serve": 0.5})
    assert plausibility_warnings(helped) == []
    off = with_changes(busy, {"mechanisms.communication": False})
    assert plausibility_warnings(off) == []


def test_starting_below_the_exit_threshold_is_a_warning():
    s = with_changes(Scenario(), {"initial.trust": 0.2})
    assert [f for f, _ in plausibility_warnings(s)] == ["initial.trust"]
