"""Every notebook runs top to bottom headless (tiny sizes), and is committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = {"01_explore.ipynb", "02_compare.ipynb", "03_sweep.ipynb", "04_sensitivity.ipynb", "05_interventions.ipynb",
            "06_discover.ipynb", "07_design.ipynb", "08_precision.ipynb", "workshop.ipynb"}


def test_the_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a code cell has an execution count"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("PARTNERSIM_QUICK", "1")
    monkeypatch.setenv("PARTNERSIM_REPS", "6")
    monkeypatch.setenv("PARTNERSIM_WORKERS", "2")
    monkeypatch.setenv("PARTNERSIM_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    # the kernel ("python3") runs this interpreter: jupyter_client swaps a bare "python" for sys.executable
    client = NotebookClient(nb, timeout=240, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError naming the cell on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if o.output_type in ("display_data", "execute_result")]
    assert shown, f"{path.name} shows nothing"
    assert not (ROOT / "notebooks" / "out").exists()
    assert os.environ["PARTNERSIM_QUICK"] == "1"
