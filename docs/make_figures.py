"""Make the figures shown in the README (``docs/img/``).

Usage::

    python docs/make_figures.py                 # 200 paired replications, seed 0, every core
    python docs/make_figures.py --reps 50       # quicker

``docs/img/comparison.png`` is the forest plot of equal against proportional funding at
3:1 capacities (``scenarios/funding_equal_3to1.toml`` and
``scenarios/funding_proportional_3to1.toml``), the same figure that
``partnersim compare ... --out DIR`` writes and the HTML report embeds. The same comparison's
plain-language reading (the bottom line, the cost, the first findings: what ``partnersim compare``
prints) is written into README.md between its ``<!-- BEGIN GENERATED: funding-reading -->`` markers,
so that the numbers the README quotes are regenerated with the model.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from matplotlib.figure import Figure

from partnersim import compare
from partnersim.analysis.compare import MAIN_METRICS, Comparison
from partnersim.plots import plot_forest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- BEGIN GENERATED: funding-reading -->\n).*?(<!-- END GENERATED: funding-reading -->)",
                   re.DOTALL)


def reading_block(c: Comparison, findings: int = 3) -> str:
    """The README's quote of the comparison: bottom line, cost, the first findings (as ``compare`` prints them)."""
    lines = []
    for s in c.bottom_line():
        lines += [f"> {s}", ">"]
    lines += [f"> - {s}" for s in c.costs() + c.reading()[:findings]]
    return "\n".join(lines) + "\n"


def update_readme(c: Comparison, path: Path = README) -> None:
    """Rewrite the generated block of README.md."""
    text = path.read_text(encoding="utf-8")
    if not BLOCK.search(text):
        raise SystemExit(f"{path} has no funding-reading markers")
    path.write_text(BLOCK.sub(lambda m: m.group(1) + reading_block(c) + m.group(2), text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "img")
    args = parser.parse_args(argv)
    c = compare(ROOT / "scenarios" / "funding_equal_3to1.toml", ROOT / "scenarios" / "funding_proportional_3to1.toml",
                reps=args.reps, seed=args.seed, workers=args.workers)
    args.out.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(9.5, 0.4 * len(MAIN_METRICS) + 2.0), layout="constrained")
    plot_forest(c, ax=fig.subplots())
    path = args.out / "comparison.png"
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")
    update_readme(c)
    print(f"wrote the funding-reading block of {README}")
    return 0


if __name__ == "__main__":  # the local pool starts worker processes (forkserver)
    raise SystemExit(main())
