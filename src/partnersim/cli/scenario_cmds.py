"""``partnersim validate``, ``partnersim schema`` and ``partnersim scenarios``."""

from __future__ import annotations

import argparse
import json

from partnersim.cli import warn_implausible
from partnersim.scenario import Scenario, bundled_dir, find_scenario_file, load_scenario, read_toml

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare the three scenario commands."""
    p = sub.add_parser("validate", help="check a scenario (or sweep) file",
                       description="Check a scenario or sweep file; exit 0 if valid, 2 with the file and "
                       "field if not.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file (or a bundled name)")
    p.set_defaults(func=_validate)
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files",
                       description="Print the JSON Schema of scenario files (for editors).")
    p.set_defaults(func=_schema)
    p = sub.add_parser("scenarios", help="list the bundled scenarios",
                       description="List the bundled scenario and sweep files and the question each answers.")
    p.set_defaults(func=_scenarios)


def _is_sweep_file(path: str) -> bool:
    """A sweep file has a ``[design]`` or ``[parameters]`` table (scenarios have neither)."""
    p = find_scenario_file(path)  # a bundled name such as sweep_levers_sobol too
    if not p.is_file():
        return False
    data = read_toml(p)
    return "design" in data or "parameters" in data


def _validate(args: argparse.Namespace) -> int:
    if _is_sweep_file(args.scenario):
        from partnersim.analysis.sweepfile import load_sweep

        spec = load_sweep(args.scenario)
        warn_implausible("validate", f"{args.scenario}: base", spec.base)
        print(f"{args.scenario}: valid sweep ({spec.name}: {spec.design.kind} design over "
              f"{len(spec.parameters)} parameters, {spec.n_points:,} points x {spec.replications} replications "
              f"= {spec.n_runs:,} runs)")
        return 0
    s = load_scenario(args.scenario)
    warn_implausible("validate", args.scenario, s)
    print(f"{args.scenario}: valid ({s.name}, {s.horizon_days:g} days)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "partnersim scenario"
    print(json.dumps(schema, indent=2))
    return 0


def header_question(text: str) -> str:
    """The first comment line of a TOML file (its question), without the '#'."""
    for line in text.splitlines():
        if line.startswith("#"):
            q = line.lstrip("#").strip()
            if q:
                return q
        elif line.strip():
            break
    return ""


def _scenarios(args: argparse.Namespace) -> int:
    folder = bundled_dir()
    files = sorted(folder.glob("*.toml"))
    width = max((len(f.stem) for f in files), default=10)
    for f in files:
        kind = "sweep   " if f.stem.startswith("sweep_") else "scenario"
        print(f"{f.stem:<{width}}  {kind}  {header_question(f.read_text(encoding='utf-8'))}")
    n_sweeps = sum(f.stem.startswith("sweep_") for f in files)
    print(f"\n({len(files) - n_sweeps} scenarios and {n_sweeps} sweep files in {folder}; "
          "run a sweep with `partnersim sweep NAME`)")
    return 0
