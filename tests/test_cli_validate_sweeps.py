"""``partnersim validate`` checks sweep files too (exit 0, or 2 naming file and field)."""

from pathlib import Path

import pytest

from partnersim.cli import main

SWEEPS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("sweep_*.toml"))


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_bundled_sweep_files_validate(path, capsys):
    assert main(["validate", str(path)]) == 0
    assert "valid sweep" in capsys.readouterr().out


def test_a_bad_sweep_file_names_file_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "baseline"\n[design]\nkind = "grdi"\n')
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and "design.kind" in err[0]
