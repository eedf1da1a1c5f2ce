"""docs/model.md stays in sync with the code: generated tables current, every name documented."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from partnersim.model import COLUMN_UNITS, MECHANISM_STREAMS, METRICS
from partnersim.scenario import Scenario, field_units

ROOT = Path(__file__).resolve().parents[1]
MODEL_MD = ROOT / "docs" / "model.md"
GENERATED = re.compile(r"<!-- BEGIN GENERATED: (\w+) -->\n.*?<!-- END GENERATED: \1 -->", re.DOTALL)


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_tables", ROOT / "docs" / "gen_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def text() -> str:
    return MODEL_MD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def prose(text: str) -> str:
    """The hand-written part of model.md (generated tables removed)."""
    return GENERATED.sub("", text)


def test_generated_tables_are_current(gen):
    assert gen.problems(MODEL_MD) == [], "run `python docs/gen_tables.py` to refresh docs/model.md"


def test_every_block_has_markers(gen, text):
    found = GENERATED.findall(text)
    assert sorted(found) == sorted(gen.BLOCKS)


def test_every_parameter_has_a_seed_source(gen):
    missing = [r["path"] for r in gen.parameter_rows() if not r["seed"]]
    assert missing == []


def test_every_scenario_field_is_documented(text):
    paths = list(field_units())
    assert len(paths) > 100
    missing = [p for p in paths if f"`{p}`" not in text]
    assert missing == []


def test_every_metric_and_column_is_documented(text):
    missing = [m for m in METRICS if f"`{m}`" not in text]
    missing += [c for c in COLUMN_UNITS if f"`{c}`" not in text]
    assert missing == []


def test_every_stream_is_documented(text):
    assert [s for s in MECHANISM_STREAMS if f"`{s}`" not in text] == []


def test_every_mechanism_switch_is_described_in_the_prose(prose):
    """Each ``mechanisms.*`` switch is explained in the submodels, not only listed in a table."""
    switches = list(Scenario.model_fields["mechanisms"].annotation.model_fields)
    assert switches
    missing = [s for s in switches if f"Switch: `mechanisms.{s}`" not in prose and f"`mechanisms.{s}`" not in prose]
    assert missing == []
    # and each submodel section says how to switch it off
    sections = re.split(r"\n### 7\.\d+ ", prose.split("\n## 7 Submodels", 1)[1].split("\n## 8 ", 1)[0])[1:]
    assert len(sections) >= 10
    assert [s.splitlines()[0] for s in sections if "Switch:" not in s] == []


def test_odd_sections_in_order(prose):
    heads = re.findall(r"^## (\d+) ", prose, flags=re.MULTILINE)
    assert heads == [str(i) for i in range(1, 12)]


def test_every_submodel_names_its_seed(prose):
    body = prose.split("\n## 7 Submodels", 1)[1].split("\n## 8 ", 1)[0]
    sections = re.split(r"\n### 7\.\d+ ", body)[1:]
    assert [s.splitlines()[0] for s in sections if not re.search(r"Seed 00[02]", s)] == []
