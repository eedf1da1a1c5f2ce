"""Worker-process lifecycle: workers that exit with their parent, and scripts without a main guard.

**Orphans.** A process-pool worker blocks reading its task queue; if the process that owns
the pool dies without shutting it down (``kill -9``, an out-of-memory kill, a Jupyter kernel
killed after its shutdown grace period), nothing ever wakes it, and it keeps the forkserver
and the resource tracker alive with it. :func:`watch_parent`, the pool's worker initializer,
starts a thread that waits for the owner's exit (``pidfd_open`` on Linux, else a poll once a
second) and then ends the worker at once; the forkserver and the resource tracker exit by
themselves when the last process holding their pipes is gone.

**Scripts without a main guard.** The pool's workers start by importing the main script
(``forkserver`` and ``spawn`` do this, to find functions defined in it). A script that calls
``run_ensemble(..., workers=2)`` at its top level, not under ``if __name__ == "__main__":``,
would then run again in every worker, which fails; a script read from standard input
(``python - <<EOF``) cannot be imported at all. :func:`main_guard_problem` detects both before
any worker starts, so that the caller can run the tasks in this process instead, with one
warning line (:func:`warn_serial_once`): the same numbers, one core.
"""

from __future__ import annotations

import ast
import os
import select
import signal
import sys
import threading
import time
from types import FrameType, ModuleType

__all__ = ["watch_parent", "main_guard_problem", "warn_serial_once"]


def _wait_for_exit(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)  # Linux >= 5.3: readable once the process has exited
    except ProcessLookupError:
        return
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        while True:
            try:
                ready, _, _ = select.select([fd], [], [])
            except InterruptedError:  # pragma: no cover
                continue
            if ready:
                return
    while True:  # pragma: no cover - not Linux
        time.sleep(1.0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass


def watch_parent(pid: int) -> None:
    """Worker initializer: end this process as soon as process ``pid`` (the pool's owner) has exited.

    Workers also ignore Ctrl-C (SIGINT, which a terminal or a kernel's shutdown sends to the whole
    process group): the owner handles it and cancels their tasks, so nothing is printed by them.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        _wait_for_exit(pid)
        os._exit(0)  # nobody is left to give a result to

    threading.Thread(target=watch, name="partnersim-parent-watch", daemon=True).start()


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


_GUARDED: dict[tuple[str, float], list[tuple[int, int]]] = {}


def _guarded_lines(path: str) -> list[tuple[int, int]] | None:
    """Line spans of the bodies of ``if __name__ == "__main__":`` blocks of a script (None if unreadable)."""
    try:
        key = (path, os.stat(path).st_mtime)
    except OSError:
        return None
    if key not in _GUARDED:
        try:
            with open(path, "rb") as f:
                tree = ast.parse(f.read(), path)
        except (OSError, SyntaxError, ValueError):
            return None
        spans = [(n.body[0].lineno, n.body[-1].end_lineno or n.body[-1].lineno)
                 for n in ast.walk(tree) if isinstance(n, ast.If) and _is_main_guard(n.test)]
        _GUARDED[key] = spans
    return _GUARDED[key]


def _main_module_frame(main: ModuleType) -> FrameType | None:
    """The frame running the main script's top-level code, if it is on this thread's stack."""
    frame = sys._getframe(1)
    found = None
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
            found = frame
        frame = frame.f_back
    return found


def main_guard_problem() -> str | None:
    """Why worker processes could not start for this program, or ``None`` if they can.

    ``None`` for a script whose call comes from under its ``if __name__ == "__main__":`` guard,
    for a program run by name (``python -m``) likewise, for ``python -c``, an interactive session
    or a notebook; a reason for the top-level code of a script without the guard, and for a
    script read from standard input.
    """
    main = sys.modules.get("__main__")
    if main is None or threading.current_thread() is not threading.main_thread():
        return None  # (top-level code runs in the main thread; a worker thread is past it)
    path = getattr(main, "__file__", None)
    if path is None:
        return None  # -c, interactive, a notebook: workers import nothing of it
    if not os.path.isfile(path):
        return f"the script comes from {path}, which worker processes cannot read again"
    frame = _main_module_frame(main)
    if frame is None:
        return None  # not called from the script's top-level code
    spans = _guarded_lines(path)
    if spans is None:
        return None
    line = frame.f_lineno
    if any(lo <= line <= hi for lo, hi in spans):
        return None
    return (f"{os.path.basename(path)} line {line} runs at the top level, not under "
            "`if __name__ == \"__main__\":`, so each worker would run the script again")


_WARNED = threading.Event()


def warn_serial_once(reason: str, workers: int) -> None:
    """Say once per process, in one line on standard error, that tasks run here and how to get parallelism."""
    if _WARNED.is_set():
        return
    _WARNED.set()
    print(f"partnersim: warning: running on 1 process, not {workers}: {reason}; to use them, put the call under "
          "`if __name__ == \"__main__\":` in a script file (same results either way)", file=sys.stderr, flush=True)
