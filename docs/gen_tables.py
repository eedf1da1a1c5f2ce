"""Generate the reference tables of docs/model.md from the code.

The tables (every scenario parameter with its unit, default, bounds, description and
seed source; every summary metric; every time-series column; the random streams) are
written between marker comments in ``docs/model.md``::

    <!-- BEGIN GENERATED: parameters -->
    ...
    <!-- END GENERATED: parameters -->

Usage::

    python docs/gen_tables.py           # rewrite the tables in place
    python docs/gen_tables.py --check   # exit 1 if any table is stale (nothing written)

Defaults are read from a default :class:`partnersim.scenario.Scenario` (so that nested
defaults such as ``partner_b.name = "B"`` or a disabled weekly cadence are shown as a
scenario file would get them), bounds from the pydantic field metadata, units and
descriptions from :func:`partnersim.scenario.field_units`.
"""

from __future__ import annotations

import argparse
import re
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from partnersim.model import COLUMN_UNITS, MECHANISM_STREAMS, METRICS  # noqa: E402
from partnersim.scenario import Scenario, field_units, leaf_fields  # noqa: E402

__all__ = ["SEED_SOURCES", "BLOCKS", "MODEL_MD", "parameter_rows", "render", "update", "check", "main"]

MODEL_MD = ROOT / "docs" / "model.md"

CALIBRATION = "model calibration (not from the seeds)"

# Dotted-path prefix -> seed reference. The longest matching prefix wins; every scenario
# field must match one (check() fails otherwise, so a new field cannot go undocumented).
SEED_SOURCES: dict[str, str] = {
    "name": "metadata (not a model input)",
    "description": "metadata (not a model input)",
    "currency": "metadata (not a model input)",
    "horizon_days": "model setting",
    # partners
    "partner_a.name": "metadata (not a model input)",
    "partner_b.name": "metadata (not a model input)",
    "partner_a.revenue": "000: “maintaining operational independence”",
    "partner_b.revenue": "000: “maintaining operational independence”",
    "partner_a.growth_rate": "000: “maintaining operational independence”",
    "partner_b.growth_rate": "000: “maintaining operational independence”",
    "partner_a.revenue_volatility": CALIBRATION,
    "partner_b.revenue_volatility": CALIBRATION,
    "partner_a.money_capacity": "000: “contribute based on their capabilities”",
    "partner_b.money_capacity": "000: “contribute based on their capabilities”",
    "partner_a.staff_hours": "000: “not just financial contributions but also time”",
    "partner_b.staff_hours": "000: “not just financial contributions but also time”",
    "partner_a.decision_days": "000: “decision-making speed”",
    "partner_b.decision_days": "000: “decision-making speed”",
    "partner_a.risk_tolerance": "000: “risk tolerance”",
    "partner_b.risk_tolerance": "000: “risk tolerance”",
    "partner_a.communication_style": "000: “natural communication style”",
    "partner_b.communication_style": "000: “natural communication style”",
    "partner_a.utc_offset": "000: “partners operate in different time zones”",
    "partner_b.utc_offset": "000: “partners operate in different time zones”",
    "partner_a.work": "000: “partners operate in different time zones”",
    "partner_b.work": "000: “partners operate in different time zones”",
    "partner_a.responsiveness_hours": "000: “communication response times”",
    "partner_b.responsiveness_hours": "000: “communication response times”",
    "partner_a.message_rate": "000: “Regular communication channels”",
    "partner_b.message_rate": "000: “Regular communication channels”",
    "partner_a.reliability": "000: “milestone tracking to maintain momentum”",
    "partner_b.reliability": "000: “milestone tracking to maintain momentum”",
    # agreement
    "agreement.goal_clarity": "000: “Assuming alignment without explicit discussion”; 002: Clarity",
    "agreement.cadence": "000: “weekly operational check-ins and monthly strategic reviews”",
    "agreement.cadence.quarterly": "000: “Quarterly deep-dive sessions”",
    "agreement.cadence.rotate_times": "000: “Schedule rotating meeting times”",
    "agreement.informal_per_month": "002: “short, agenda-light conversations” (Continuity)",
    "agreement.co_ownership": "002: “involve partners in early-stage thinking” (Co-Ownership)",
    "agreement.consensus_threshold": "000: “when partners need consensus versus independent action”",
    "agreement.funding_rule": "000: “Focus on proportional rather than equal contribution”",
    "agreement.fund_monthly": "000: “both businesses contribute predetermined amounts”",
    "agreement.separate_budget": "000: “Create separate budgets for partnership activities”",
    "agreement.attribution": "000: “revenue attribution”",
    "agreement.origin_share": "000: “revenue attribution”",
    "agreement.shared_platform": "000: “asynchronous communication systems using shared platforms”",
    "agreement.conflict.procedure": "000: “Establish conflict resolution procedures before disagreements arise”",
    "agreement.conflict.resolution_target_days": "000: “including timelines for discussion and decision-making”",
    "agreement.conflict.escalate_after_days": "000: “Escalation procedures for resolving conflicts quickly”",
    "agreement.conflict.facilitator": "000: “neutral facilitators for significant disagreements”",
    "agreement.review": "000: “Regular partnership reviews”",
    "agreement.review.exit_": "000: “triggers for renegotiating terms or gracefully ending arrangements”",
    "agreement.review.outgrow_factor": "000: “Sometimes partners outgrow each other”",
    # market
    "market.opportunit": "000: “Joint innovation initiatives”, “Shared customer development programs”",
    "market.milestone": "000: “milestone tracking to maintain momentum”",
    "market.shift": "000: “Market changes”; 002: “How is our partner’s context evolving?”",
    "market.cross_promotion": "000: “Cross-promotion strategies”",
    # state at day 0 and switches
    "initial": "model setting (starting state)",
    "mechanisms": "model switch (see section 7)",
    # behavioural coefficients
    "dynamics": CALIBRATION,
    "dynamics.clarity_decay_factor": CALIBRATION + "; motivated by 000: “Assuming alignment without explicit "
    "discussion”",
    "dynamics.gain_": CALIBRATION + "; motivated by 000: “regular strategic reviews”",
    "dynamics.surface_": CALIBRATION + "; motivated by 002: “bring out perspectives that usually don’t come up”",
    "dynamics.resolve_at_meeting": CALIBRATION + "; motivated by 000: “resolve conflicts quickly”",
    "dynamics.out_of_hours_quality": CALIBRATION + "; motivated by 000: “Schedule rotating meeting times”",
    "dynamics.informal_": CALIBRATION + "; motivated by 002: “build familiarity and ease”",
    "dynamics.context_speedup": CALIBRATION + "; motivated by 002: “quicker decisions”",
    "dynamics.platform_self_serve": CALIBRATION + "; motivated by 000: “provide visibility into each partner’s "
    "progress”",
    "dynamics.procedure_speedup": CALIBRATION + "; motivated by 000: “Establish conflict resolution procedures”",
    "dynamics.resolution_trust_gain": CALIBRATION + "; motivated by 000: “they strengthen or weaken coordination”",
    "dynamics.disadvantage_aversion": CALIBRATION + "; motivated by 000: “creating imbalance and resentment”",
    "dynamics.advantage_aversion": CALIBRATION + "; motivated by 000: “creating imbalance and resentment”",
    "dynamics.crowding_out": CALIBRATION + "; motivated by 000: “don’t compete directly with core business "
    "operations”",
}

BLOCKS = ("parameters", "metrics", "columns", "streams")


# -- helpers ---------------------------------------------------------------------------
def seed_source(path: str) -> str:
    """The seed reference of a dotted path (longest matching prefix), or ``""``."""
    best = ""
    for prefix in SEED_SOURCES:
        if path.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return SEED_SOURCES[best] if best else ""


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _num(v: float) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if v != v:  # NaN
        return "nan"
    if float(v).is_integer() and abs(v) < 1e15:
        iv = int(v)
        return f"{iv:,}" if abs(iv) >= 10_000 else str(iv)
    return f"{v:g}"


def _default(v: Any) -> str:
    if isinstance(v, bool):
        return "`true`" if v else "`false`"
    if isinstance(v, str):
        return f'`"{v}"`'
    if isinstance(v, (int, float)):
        return _num(v)
    return f"`{v!r}`"


def _bounds(info: Any) -> str:
    args = typing.get_args(info.annotation)
    if typing.get_origin(info.annotation) is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if info.annotation is bool:
        return "`true` / `false`"
    lo, hi, lo_open, hi_open, maxlen = None, None, False, False, None
    for meta in info.metadata:
        name = type(meta).__name__
        if name == "Ge":
            lo = meta.ge
        elif name == "Gt":
            lo, lo_open = meta.gt, True
        elif name == "Le":
            hi = meta.le
        elif name == "Lt":
            hi, hi_open = meta.lt, True
        elif name == "MaxLen":
            maxlen = meta.max_length
    if maxlen is not None:
        return f"at most {maxlen} characters"
    if lo is None and hi is None:
        return ""
    left = ("(" if lo_open else "[") + (_num(lo) if lo is not None else "−∞")
    right = (_num(hi) if hi is not None else "∞") + (")" if hi_open or hi is None else "]")
    return f"{left}, {right}"


def parameter_rows() -> list[dict[str, str]]:
    """One row per scenario leaf field: path, unit, default, bounds, description, seed, section."""
    units = field_units()
    default = Scenario()
    rows: list[dict[str, str]] = []
    for path, info in leaf_fields().items():
        value: Any = default
        for key in path.split("."):
            value = getattr(value, key)
        unit, desc = units.get(path, ("", info.description or ""))
        rows.append({
            "path": path,
            "unit": unit,
            "default": _default(value),
            "bounds": _bounds(info),
            "description": desc,
            "seed": seed_source(path),
            "section": path.split(".")[0] if "." in path else "",
        })
    return rows


# -- the tables --------------------------------------------------------------------------
_SECTION_TITLES = {
    "": "Scenario (top level)",
    "partner_a": "Partner A (`partner_a.*`)",
    "partner_b": "Partner B (`partner_b.*`: the same fields as partner A)",
    "agreement": "Agreement (`agreement.*`)",
    "market": "Market (`market.*`)",
    "initial": "Initial state (`initial.*`)",
    "mechanisms": "Mechanism switches (`mechanisms.*`)",
    "dynamics": "Behavioural coefficients (`dynamics.*`)",
}


def table_parameters() -> str:
    rows = parameter_rows()
    out: list[str] = []
    sections: list[str] = []
    for r in rows:
        if r["section"] not in sections:
            sections.append(r["section"])
    for sec in sections:
        out.append(f"#### {_SECTION_TITLES.get(sec, f'`{sec}.*`')}")
        out.append("")
        out.append("| Parameter | Unit | Default | Bounds | Description | Seed source |")
        out.append("|---|---|---|---|---|---|")
        for r in rows:
            if r["section"] != sec:
                continue
            out.append("| " + " | ".join([
                f"`{r['path']}`", _cell(r["unit"]), r["default"], r["bounds"], _cell(r["description"]),
                _cell(r["seed"]),
            ]) + " |")
        out.append("")
    out.append(f"{len(rows)} parameters. Bounds are inclusive `[ ]` or exclusive `( )`; "
               "in addition `work_end` must be later than `work_start`.")
    return "\n".join(out)


def table_metrics() -> str:
    out = ["| Metric | Unit | Definition |", "|---|---|---|"]
    for name, (unit, definition) in METRICS.items():
        out.append(f"| `{name}` | {_cell(unit)} | {_cell(definition)} |")
    out.append("")
    out.append(f"{len(METRICS)} metrics, in the column order of `summary.csv`.")
    return "\n".join(out)


def table_columns() -> str:
    out = ["| Column | Unit | Description |", "|---|---|---|"]
    for name, (unit, desc) in COLUMN_UNITS.items():
        out.append(f"| `{name}` | {_cell(unit)} | {_cell(desc)} |")
    out.append("")
    out.append(f"{len(COLUMN_UNITS)} columns, one row per week (day 0, 7, 14, ...).")
    return "\n".join(out)


def table_streams() -> str:
    out = ["| Stream | Spawn index | SeedSequence |", "|---|---|---|"]
    for name, idx in sorted(MECHANISM_STREAMS.items(), key=lambda kv: kv[1]):
        out.append(f"| `{name}` | {idx} | `SeedSequence(seed, spawn_key=(replication, {idx}))` |")
    return "\n".join(out)


RENDERERS: dict[str, Callable[[], str]] = {
    "parameters": table_parameters,
    "metrics": table_metrics,
    "columns": table_columns,
    "streams": table_streams,
}


def _pattern(block: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN GENERATED: {block} -->\n)(.*?)(<!-- END GENERATED: {block} -->)", re.DOTALL
    )


def render(text: str) -> str:
    """Return ``text`` with every generated block rewritten from the code."""
    for block in BLOCKS:
        pat = _pattern(block)
        if not pat.search(text):
            raise ValueError(f"docs/model.md has no marker pair for the '{block}' table")
        body = RENDERERS[block]()
        text = pat.sub(lambda mt, body=body: mt.group(1) + body + "\n" + mt.group(3), text, count=1)
    return text


def problems(path: Path = MODEL_MD) -> list[str]:
    """What is stale or missing (empty list: the tables are current)."""
    out = []
    missing = [r["path"] for r in parameter_rows() if not r["seed"]]
    if missing:
        out.append("no seed source in SEED_SOURCES for: " + ", ".join(missing))
    text = path.read_text(encoding="utf-8")
    try:
        new = render(text)
    except ValueError as exc:
        return [*out, str(exc)]
    for block in BLOCKS:
        old_m, new_m = _pattern(block).search(text), _pattern(block).search(new)
        if old_m and new_m and old_m.group(2) != new_m.group(2):
            out.append(f"the '{block}' table is stale: run `python docs/gen_tables.py`")
    return out


def check(path: Path = MODEL_MD) -> bool:
    """True if every generated table in ``path`` is current."""
    return not problems(path)


def update(path: Path = MODEL_MD) -> bool:
    """Rewrite the tables in ``path``; return True if the file changed."""
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the tables are stale; write nothing")
    ap.add_argument("--file", type=Path, default=MODEL_MD, help="the Markdown file (default: docs/model.md)")
    args = ap.parse_args(argv)
    if args.check:
        found = problems(args.file)
        for p in found:
            print(p, file=sys.stderr)
        if not found:
            print(f"{args.file}: generated tables are current")
        return 1 if found else 0
    missing = [r["path"] for r in parameter_rows() if not r["seed"]]
    if missing:
        print("warning: no seed source for " + ", ".join(missing), file=sys.stderr)
    changed = update(args.file)
    print(f"{args.file}: {'tables rewritten' if changed else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
