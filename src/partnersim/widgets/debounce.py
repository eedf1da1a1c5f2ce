"""Debounce control changes: the latest change wins, runs never stack.

Every :meth:`Debouncer.trigger` starts a new *generation* and (re)sets a timer. When the
timer runs out with no newer change, one worker thread runs ``job(generation)``. A job
checks :meth:`Debouncer.is_current` between its steps and stops as soon as a newer change
has come in, so dragging a slider never queues runs: at most one job runs at a time, and
the last change is always the one that is drawn.

For tests (and for headless notebooks), ``Debouncer(job, threaded=False)`` has no thread:
:meth:`Debouncer.flush` runs the pending job now, in the caller's thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Debouncer"]


class Debouncer:
    """Run ``job(generation)`` ``delay`` seconds after the last :meth:`trigger`.

    Parameters
    ----------
    job
        Called with the generation it computes for; it should return early when
        ``is_current(generation)`` turns false.
    delay
        Quiet time, in seconds, before the job runs.
    threaded
        Run jobs on a daemon worker thread (``True``); ``False`` runs them only on
        :meth:`flush` (synchronous, for tests).
    on_error
        Called with an exception raised by ``job`` (default: ignored, so that one bad
        value never kills the worker thread).
    clock
        Monotonic clock, in seconds (injectable for tests).

    Examples
    --------
    >>> seen = []
    >>> d = Debouncer(seen.append, threaded=False)
    >>> d.trigger(); d.trigger(); d.trigger()
    1
    2
    3
    >>> d.flush()
    True
    >>> seen
    [3]
    >>> d.flush()  # nothing pending
    False
    """

    def __init__(self, job: Callable[[int], object], delay: float = 0.3, *, threaded: bool = True,
                 on_error: Callable[[BaseException], object] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.job = job
        self.delay = float(delay)
        self.threaded = threaded
        self.on_error = on_error
        self.clock = clock
        self.generation = 0
        self.runs = 0  # jobs started (for tests and diagnostics)
        self._due: float | None = None
        self._running = False
        self._closed = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._loop, name="partnersim-debouncer", daemon=True)
            self._thread.start()

    # -- public ---------------------------------------------------------------------
    def trigger(self, delay: float | None = None) -> int:
        """Note a change: a new generation, due ``delay`` seconds from now. Returns the generation.

        ``delay`` overrides the default for this change (a dropdown needs no wait; a slider
        being dragged does).
        """
        with self._cond:
            self.generation += 1
            self._due = self.clock() + (self.delay if delay is None else float(delay))
            self._cond.notify_all()
            return self.generation

    def is_current(self, generation: int) -> bool:
        """Whether ``generation`` is still the latest change."""
        return generation == self.generation

    @property
    def pending(self) -> bool:
        """Whether a change waits for its job."""
        return self._due is not None

    @property
    def busy(self) -> bool:
        """Whether a change is pending or a job is running."""
        return self._due is not None or self._running

    def flush(self) -> bool:
        """Run the pending job now, in this thread; ``False`` if nothing was pending."""
        with self._cond:
            while self._running:  # never two jobs at once
                self._cond.wait()
            if self._due is None:
                return False
            gen = self.generation
            self._due = None
            self._running = True
        self._run(gen)
        return True

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing is pending or running (threaded mode); ``False`` on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._due is not None or self._running:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        """Stop the worker thread (a running job finishes its current step)."""
        with self._cond:
            self._closed = True
            self._due = None
            self.generation += 1  # running jobs see they are stale
            self._cond.notify_all()

    # -- internals ------------------------------------------------------------------
    def _run(self, gen: int) -> None:
        try:
            self.runs += 1
            self.job(gen)
        except BaseException as e:  # noqa: BLE001 - reported, never fatal to the worker
            if self.on_error is not None:
                self.on_error(e)
        finally:
            with self._cond:
                self._running = False
                self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    if self._due is not None:
                        left = self._due - self.clock()
                        if left <= 0:
                            break
                        self._cond.wait(left)
                    else:
                        self._cond.wait()
                if self._closed:
                    return
                gen = self.generation
                self._due = None
                self._running = True
            self._run(gen)
