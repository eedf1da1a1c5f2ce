"""Loading and saving scenario files (TOML), with one-line errors naming file and field."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from partnersim.scenario.schema import Scenario

__all__ = [
    "InputError",
    "load_scenario",
    "scenario_from_dict",
    "save_scenario",
    "dumps_scenario",
    "read_toml",
    "read_toml_bytes",
    "format_validation_error",
    "bundled_dir",
    "find_scenario_file",
]


class InputError(ValueError):
    """Bad user input: a one-line message naming the file and the field.

    The command line prints ``str(error)`` and exits with code 2.
    """

    def __init__(self, source: str, field: str | None, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        where = f"{source}: {field}: " if field else f"{source}: "
        super().__init__(where + message)


def bundled_dir() -> Path:
    """The folder of bundled scenario files (``scenarios/`` in a checkout or the installed copy)."""
    here = Path(__file__).resolve()
    for cand in (here.parents[3] / "scenarios", here.parents[1] / "data" / "scenarios"):
        if cand.is_dir():
            return cand
    return here.parents[3] / "scenarios"


def find_scenario_file(path: str | Path) -> Path:
    """``path`` itself, or for a bare name (``"baseline"`` or ``"baseline.toml"``) that is not a
    file here, the bundled ``scenarios/<name>.toml`` when there is one."""
    p = Path(path)
    if not p.exists() and p.suffix in ("", ".toml"):
        bundled = bundled_dir() / f"{p.name.removesuffix('.toml')}.toml"
        if bundled.is_file():
            return bundled
    return p


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; missing or malformed files raise :class:`InputError`."""
    return read_toml_bytes(path)[0]


def read_toml_bytes(path: str | Path) -> tuple[dict[str, Any], bytes]:
    """Read a TOML file once: its parsed content and the exact bytes parsed (for hashing).

    Missing, unreadable, non-UTF-8 or malformed files raise :class:`InputError`.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), None, "is a directory, not a file") from None
    except UnicodeDecodeError as e:
        raise InputError(str(path), None, f"not UTF-8 text ({e.reason})") from None
    except OSError as e:
        raise InputError(str(path), None, e.strerror or str(e)) from None
    try:
        return tomllib.loads(text), raw
    except tomllib.TOMLDecodeError as e:
        raise InputError(str(path), None, f"malformed TOML: {e}") from None


def _model_at(path: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    model: type[BaseModel] = root
    for key in path:
        info = model.model_fields.get(str(key))
        if info is None:
            return None
        ann = info.annotation
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        model = ann
    return model


def format_validation_error(err: ValidationError, source: str, root: type[BaseModel] = Scenario) -> InputError:
    """Turn the first pydantic error into an :class:`InputError` naming the dotted field."""
    first = err.errors()[0]
    loc = tuple(x for x in first["loc"] if not (isinstance(x, str) and x.startswith("function-")))
    field = ".".join(str(x) for x in loc) or None
    kind = first["type"]
    value = first.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1], root)
        names = list(parent.model_fields) if parent else []
        guess = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else (f"; allowed: {', '.join(names)}" if names else "")
        msg = f"unknown key{hint}"
    elif kind == "literal_error":
        msg = f"{first['msg'].replace('Input should be', 'must be')} (got {value!r})"
    elif kind == "value_error":
        msg = str(first.get("ctx", {}).get("error", first["msg"]))
    else:
        msg = first["msg"][0].lower() + first["msg"][1:]
        if kind != "missing" and not isinstance(value, dict):
            msg += f" (got {value!r})"
    n = len(err.errors())
    if n > 1:
        msg += f" (and {n - 1} more error{'s' if n > 2 else ''})"
    return InputError(source, field, msg)


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a plain dictionary as a :class:`Scenario`; errors are :class:`InputError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise format_validation_error(e, source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file.

    A bare name such as ``"baseline"`` finds the bundled ``scenarios/baseline.toml``.

    Examples
    --------
    >>> from partnersim import load_scenario
    >>> s = load_scenario("baseline")
    >>> s.horizon_days
    1095.0

    Raises
    ------
    InputError
        With a one-line message naming the file and the field.
    """
    return scenario_from_dict(read_toml(find_scenario_file(path)), str(path))


_CONTROL = {c: " " for c in (*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F)}


def _comment_block(text: str) -> str:
    """The description as a TOML comment header (control characters, not allowed there, become spaces).

    The ``description`` key itself keeps the exact text.
    """
    lines = [line.translate(_CONTROL) for line in text.strip().splitlines()]
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def dumps_scenario(scenario: Scenario, *, full: bool = False) -> str:
    """Serialise a scenario as TOML text; by default only fields that differ from the defaults.

    The description becomes the comment header.
    """
    data = scenario.model_dump(exclude_defaults=not full)
    data.setdefault("name", scenario.name)
    return _comment_block(scenario.description) + tomli_w.dumps(data)


def save_scenario(scenario: Scenario, path: str | Path, *, full: bool = False) -> Path:
    """Write ``scenario`` to ``path`` as TOML; ``load_scenario`` reads back an equal scenario."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dumps_scenario(scenario, full=full), encoding="utf-8")
    return p
