"""Loading and saving scenario files (TOML), with one-line errors naming file and field."""

from __future__ import annotations

import difflib
import reprlib
import tomllib
import unicodedata
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
    "one_line",
    "short_repr",
    "MAX_DEPTH",
]

MAX_DEPTH = 24  # tables and arrays nested deeper than this are refused (scenario files use 4)
_MAX_SOURCE, _MAX_FIELD, _MAX_TOTAL = 120, 70, 268  # characters: a message line stays within 300


def one_line(text: object, limit: int | None = None) -> str:
    """``text`` on one printable line: control and line-separator characters escaped (``\\n``,
    ``\\x1b``, ``\\u2028``), and at most ``limit`` characters (the middle cut out: ``...``).

    Examples
    --------
    >>> one_line("a\\nb")
    'a\\\\nb'
    >>> one_line("x" * 50, 11)
    'xxxx...xxxx'
    """
    s = str(text)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in s):
        s = "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")
                    else c for c in s)
    if limit is not None and len(s) > limit:
        head = (limit - 3 + 1) // 2
        s = s[:head] + "..." + s[len(s) - (limit - 3 - head):]
    return s


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 40
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist = 2, 3, 4


def short_repr(value: object, limit: int = 48) -> str:
    """A short, one-line ``repr`` of a (possibly huge or deeply nested) value, for messages."""
    try:
        text = _REPR.repr(value)
    except RecursionError:  # pragma: no cover - reprlib stops at maxlevel
        text = f"<{type(value).__name__}>"
    return one_line(text, limit)


class InputError(ValueError):
    """Bad user input: a one-line message naming the file and the field.

    The command line prints ``str(error)`` and exits with code 2.
    """

    def __init__(self, source: str, field: str | None, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        # one line, whatever the file name, key or value: escaped and shortened for the message
        where = f"{one_line(source, _MAX_SOURCE)}: "
        if field:
            where += f"{one_line(field, _MAX_FIELD)}: "
        super().__init__(where + one_line(message, max(40, _MAX_TOTAL - len(where))))


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
    try:
        if not p.exists() and p.suffix in ("", ".toml"):
            bundled = bundled_dir() / f"{p.name.removesuffix('.toml')}.toml"
            if bundled.is_file():
                return bundled
    except (OSError, ValueError):  # a name too long, a NUL in it: reading it says so
        pass
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
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(str(path), None, f"malformed TOML: {e}") from None
    except RecursionError:
        raise InputError(str(path), None, f"malformed TOML: nested more than {MAX_DEPTH} deep") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise InputError(str(path), None, f"malformed TOML: {e}") from None
    _check_depth(data, str(path))
    return data, raw


def _check_depth(data: Any, source: str) -> None:
    """Refuse tables and arrays nested deeper than :data:`MAX_DEPTH` (naming where), without recursion."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise InputError(source, ".".join(path[:4]) + ".[...]", f"nested more than {MAX_DEPTH} deep")
        if isinstance(node, dict):
            stack.extend((v, (*path, str(k))) for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, (*path, f"[{i}]")) for i, v in enumerate(node) if isinstance(v, dict | list))


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


# strict types: say what was expected, and what was given
_EXPECTED = {
    "float_type": "must be a number such as 0.5 (not text or true/false)",
    "int_type": "must be a whole number such as 3 (not text, true/false or 3.0)",
    "bool_type": "must be a boolean, true or false (not text or 0/1)",
    "string_type": "must be text in quotes",
    "model_type": "must be a table (a [section] or { key = value, ... })",
    "model_attributes_type": "must be a table (a [section] or { key = value, ... })",
    "dict_type": "must be a table (a [section] or { key = value, ... })",
    "list_type": "must be a list such as [1, 2]",
    "tuple_type": "must be a list such as [1, 2]",
}


def _type_word(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false "
    if isinstance(value, str):
        return "text "
    if isinstance(value, list):
        return "a list "
    return ""


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
        hint = f"; did you mean '{guess[0]}'?" if guess else (f"; allowed: {one_line(', '.join(names), 120)}"
                                                             if names else "")
        msg = f"unknown key{hint}"
    elif kind == "literal_error":
        msg = f"{first['msg'].replace('Input should be', 'must be')} (got {short_repr(value)})"
    elif kind == "value_error":
        msg = str(first.get("ctx", {}).get("error", first["msg"]))
    else:
        msg = _EXPECTED.get(kind) or (first["msg"][0].lower() + first["msg"][1:])
        if kind != "missing" and not isinstance(value, dict):
            msg += f" (got {_type_word(value)}{short_repr(value)})"
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
    data = scenario.model_dump(exclude_defaults=not full, exclude_none=True)  # (TOML has no null: an unset day)
    data.setdefault("name", scenario.name)
    return _comment_block(scenario.description) + tomli_w.dumps(data)


def save_scenario(scenario: Scenario, path: str | Path, *, full: bool = False) -> Path:
    """Write ``scenario`` to ``path`` as TOML; ``load_scenario`` reads back an equal scenario."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dumps_scenario(scenario, full=full), encoding="utf-8")
    return p
