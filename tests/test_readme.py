"""The README's commands are true: every ``partnersim`` line parses as written, names files that
exist, and reads only what an earlier line writes; the quick ones run; the venv is explained.

The long commands (200-run comparisons, sweeps, Dask) are not run here: their parts are
tested on small sizes in test_cli_*, test_sweep* and test_report.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from partnersim.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[list[str]]:
    """The ``partnersim`` command lines of the README's bash blocks, in order, as argument lists."""
    out = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.DOTALL):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.split(" #", 1)[0].split(">", 1)[0].strip()
            if line.startswith("partnersim "):
                out.append(shlex.split(line)[1:])
    return out


COMMANDS = readme_commands()


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def test_the_readme_has_the_commands():
    assert {a[0] for a in COMMANDS} >= {"scenarios", "validate", "run", "schema", "compare", "report", "sweep",
                                         "sensitivity"}


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:2]) for a in COMMANDS])
def test_each_command_parses_and_names_files_that_exist(args):
    ns = build_parser().parse_args(args)  # argparse exits (SystemExit) on an unknown option or a bad value
    assert ns.command == args[0]
    for attr in ("scenario", "a", "b", "sweep", "compare"):
        value = getattr(ns, attr, None)
        if isinstance(value, str) and value.endswith(".toml"):
            assert (ROOT / value).is_file(), value


def test_a_folder_is_read_only_after_a_command_writes_it_and_no_two_sweeps_share_one():
    written: list[str] = []
    for args in COMMANDS:
        if args[0] == "sensitivity":
            assert args[1] in written, f"partnersim sensitivity {args[1]}: no command above writes it"
        out = _option(args, "--out")
        if args[0] == "sweep":
            assert out not in written, f"two sweeps share --out {out}: the second would have nothing to do"
        if out:
            written.append(out)


def test_the_quick_commands_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for args in COMMANDS:
        if args[0] in ("scenarios", "validate", "schema"):
            path_args = [str(ROOT / a) if a.endswith(".toml") else a for a in args]
            assert main(path_args) == 0, args
    assert "baseline" in capsys.readouterr().out


def test_the_readme_says_how_to_run_the_installed_command():
    assert ".venv/bin/partnersim" in README and "source .venv/bin/activate" in README
