"""Plots: every function draws on a given axis or makes its own, with readable titles, units and legends."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from partnersim import compare, load_scenario, with_changes  # noqa: E402
from partnersim.plots import (  # noqa: E402
    column_label,
    figure_png,
    plot_bands,
    plot_distribution,
    plot_distributions,
    plot_forest,
    plot_overview,
    plot_survival,
    save_figures,
    standard_figures,
)


@pytest.fixture(scope="module")
def comparison():
    short = {"horizon_days": 365}
    a = with_changes(load_scenario("funding_equal_3to1"), short)
    b = with_changes(load_scenario("funding_proportional_3to1"), short)
    return compare(a, b, reps=12, seed=3, workers=1, progress=False)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def legend_texts(ax: Axes) -> list[str]:
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def test_bands_one_and_several_scenarios(comparison):
    ax = plot_bands(comparison.a, "trust")
    assert isinstance(ax, Axes)
    assert ax.get_title() == "Trust between the partners"
    assert "out of 100" in ax.get_ylabel() and ax.get_xlabel() == "Months since the start"
    assert "middle 50% of runs" in legend_texts(ax)
    fig = Figure()
    mine = fig.subplots()
    ax = plot_bands([comparison.a, comparison.b], "fairness_b", mine)
    assert ax is mine
    texts = legend_texts(ax)
    assert any("funding_equal_3to1" in t for t in texts) and any("funding_proportional_3to1" in t for t in texts)
    assert ax.get_title() == "Small Co's perceived fairness"  # the partners' names from the scenarios
    assert ax.get_ylim()[1] > 1.0 and ax.get_ylim()[0] < 0  # a median on 1 (or 0) is not hidden by the frame
    ax = plot_bands({"now": comparison.a, "proposal": comparison.b}, "joint_revenue_cum", Figure().subplots())
    assert any(t.startswith("now") for t in legend_texts(ax))
    assert "EUR" in ax.get_ylabel()  # the scenarios' currency


def test_forest_marks_significant_rows(comparison):
    ax = plot_forest(comparison)
    assert "% of A's mean" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Small Co's sense of fairness" in labels and "Conflicts" in labels
    assert labels[:3] == ["Still together at the end", "Days together (average)", "Joint revenue over the period"]
    assert any("a clear difference" in t for t in legend_texts(ax))
    # one dot per row with a finite relative difference; filled where significant
    dots = [ln for ln in ax.get_lines() if ln.get_marker() == "o" and len(ln.get_xdata()) == 1]
    filled = [ln for ln in dots if ln.get_markerfacecolor() != "white"]
    t = comparison.table.set_index("metric")
    assert 0 < len(filled) <= int(t["significant"].sum())
    assert "A: Funding equal 3:1" in ax.get_title()


def test_distributions_and_survival(comparison):
    ax = plot_distribution(comparison, "fairness_a")  # a 0-1 score: the axis stays within 0-1 (0-100)
    assert ax.get_xlim()[0] >= -0.02 and ax.get_xlim()[1] <= 1.02
    a = comparison.a
    full = type(a)(a.scenario, a.seed, a.runs.assign(fairness_a=1.0), a.series)  # every run on the border
    ax = plot_distribution(full, "fairness_a", Figure().subplots())
    assert 0.9 <= ax.get_xlim()[0] and ax.get_xlim()[1] <= 1.02
    ax = plot_distribution(comparison, "conflicts_raised")
    assert ax.get_title() == "The number of conflicts" and ax.get_ylabel() == "Replications"
    assert any("mean" in t for t in legend_texts(ax))
    fig = plot_distributions([comparison.a, comparison.b], ["final_trust", "escalations"])
    assert isinstance(fig, Figure) and len([a for a in fig.axes if a.get_visible()]) == 2
    ax = plot_survival(comparison)
    assert ax.get_ylabel() == "Partnerships still together"
    assert "Kaplan–Meier" in ax.get_title()
    assert len(legend_texts(ax)) == 2
    assert isinstance(plot_overview(comparison.a), Figure)


def test_column_labels_are_words():
    assert column_label("open_conflicts") == "Open conflicts"
    assert column_label("fairness_a", ("Big", "Small")) == "Big's perceived fairness"


def test_standard_figures_and_files(comparison, tmp_path):
    assert [k for k, _ in standard_figures(comparison)] == ["comparison", "timeseries", "survival", "outcomes"]
    assert [k for k, _ in standard_figures(comparison.a)] == ["timeseries", "survival", "outcomes"]
    paths = save_figures(comparison, tmp_path)
    assert sorted(p.name for p in paths) == ["comparison.png", "outcomes.png", "survival.png", "timeseries.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
    _, fig = standard_figures(comparison.a)[0]
    assert figure_png(fig)[:4] == b"\x89PNG"
