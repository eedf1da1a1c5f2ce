"""Progress bars (``tqdm``, on standard error) shown only when someone is watching.

Every function that can show a bar takes ``progress``: ``True`` always, ``False`` never, and
``None`` (the default) only when standard error is a terminal or the code runs in a Jupyter
kernel, so that logs of scripts, CI jobs and redirected commands get no carriage-return lines.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["interactive", "progress_bar", "show_progress"]


def _in_jupyter_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython install
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def interactive(stream: Any = None) -> bool:
    """True if ``stream`` (default: standard error) is a terminal or this is a Jupyter kernel."""
    stream = sys.stderr if stream is None else stream
    try:
        if stream is not None and stream.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        pass
    return _in_jupyter_kernel()


def show_progress(progress: bool | None) -> bool:
    """Whether to show a bar: ``progress`` itself, or for ``None`` :func:`interactive`.

    Examples
    --------
    >>> show_progress(True), show_progress(False)
    (True, False)
    """
    if progress is None:
        return interactive()
    return bool(progress)


def progress_bar(total: int, desc: str, progress: bool | None, **kwargs: Any) -> Any:
    """A ``tqdm.auto`` bar counting runs, disabled (a no-op) unless :func:`show_progress` says so."""
    from tqdm.auto import tqdm

    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(total=total, desc=desc, unit="run", disable=not show_progress(progress), **kwargs)
