"""Output locations: checked before any run starts, and nothing computed lost if writing fails.

``check_out_dir`` / ``check_out_file`` make the folder and write (then remove) a probe file
in it, so that an unwritable ``--out`` (a read-only disk, a file in the way, no permission)
is exit 2 before the first replication instead of an error after the last one.
``keep_or_rescue`` runs the writing step; if it fails with an ``OSError`` (a full disk, a
folder removed meanwhile), it saves what was computed to a file in the temporary folder and
says where, in one line.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from partnersim.scenario import InputError

__all__ = ["check_out_dir", "check_out_file", "keep_or_rescue", "WriteFailed"]


class WriteFailed(Exception):
    """Writing the results failed; the message (one line) says where they were saved instead."""


def _probe(folder: Path, shown: Path, option: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".partnersim-probe-", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise InputError(str(shown), option, f"cannot write there: {e.strerror or e}") from None


def check_out_dir(path: Path | str | None, option: str = "--out") -> Path | None:
    """Check (and make) an output folder before any work: it must be a folder we can write to."""
    if path is None:
        return None
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(str(p), option, "is an existing file; give a folder")
    for parent in p.parents:
        if parent.exists() and not parent.is_dir():
            raise InputError(str(p), option, f"{parent} is a file, not a folder")
    _probe(p, p, option)
    return p


def check_out_file(path: Path | str, option: str = "--out") -> Path:
    """Check an output file's location before any work: its folder must be writable, and it not a folder."""
    p = Path(path)
    if p.is_dir():
        raise InputError(str(p), option, "is a folder; give a file name such as report.html")
    for parent in p.parents:
        if parent.exists() and not parent.is_dir():
            raise InputError(str(p), option, f"{parent} is a file, not a folder")
    _probe(p.parent if str(p.parent) else Path("."), p, option)
    return p


def keep_or_rescue(write: Callable[[], Any], rescue: Callable[[Path], Any], suffix: str, what: str) -> Any:
    """``write()``; if it raises ``OSError``, ``rescue(path)`` to a temporary file and raise :class:`WriteFailed`.

    ``suffix`` is the rescue file's ending (``.parquet``, ``.html``), ``what`` names it in the message.
    """
    try:
        return write()
    except OSError as e:
        where = Path(tempfile.gettempdir()) / f"partnersim-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}{suffix}"
        try:
            rescue(where)
        except Exception as e2:  # nowhere to keep it either
            raise WriteFailed(f"could not write the results ({e.strerror or e}: {e.filename or ''}) nor save "
                              f"{what} to {where} ({e2})") from None
        raise WriteFailed(f"could not write the results ({e.strerror or e}: {e.filename or ''}); {what} "
                          f"saved to {where}") from None
