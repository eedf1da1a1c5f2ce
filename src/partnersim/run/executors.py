"""Executors: run picklable tasks in-process, on a local process pool, or on Dask.

An executor maps a module-level function over a list of tasks and yields
``(index, result)`` pairs as they finish, in any order; callers put results back in
task order, so results never depend on the executor, the worker count or the order.

- :class:`InProcessExecutor`: the default test double; no processes.
- :class:`LocalPoolExecutor`: a ``concurrent.futures`` process pool using the
  ``forkserver`` start method (safe in notebooks and with threads), created on first use
  and reused by later calls with the same worker count, so a workshop slider does not
  pay process start-up on every move. Its workers exit when the process that owns the pool
  dies, even by ``kill -9``; called from the top level of a script without a main guard (or
  from a script read from standard input), it runs the tasks in this process with one
  warning line: see :mod:`partnersim.run.lifecycle`.
- :class:`DaskExecutor`: a ``distributed`` client on an existing scheduler, or on a
  ``LocalCluster`` bound to 127.0.0.1.

Nothing here changes global state at import (no start-method setting).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from partnersim.run.lifecycle import main_guard_problem, warn_serial_once, watch_parent

__all__ = [
    "Executor",
    "InProcessExecutor",
    "LocalPoolExecutor",
    "DaskExecutor",
    "make_executor",
    "default_workers",
    "shutdown_pools",
    "prestart_pool",
]


def default_workers() -> int:
    """Number of usable cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Executor(ABC):
    """Base class: ``map_unordered(fn, tasks)`` yields ``(index, fn(tasks[index]))``."""

    workers: int = 1

    @abstractmethod
    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Run ``fn`` on every task; yield ``(index, result)`` as results arrive, in any order."""

    def close(self) -> None:  # noqa: B027 - optional hook, deliberately not abstract
        """Release resources (no-op by default)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcessExecutor(Executor):
    """Run tasks one after another in this process."""

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)


_POOLS: dict[int, ProcessPoolExecutor] = {}
_WARM: set[int] = set()  # pools (by worker count) that have returned a result: their workers are up
_POOLS_LOCK = threading.Lock()


def _get_pool(workers: int) -> ProcessPoolExecutor:
    with _POOLS_LOCK:  # pools are also started from background threads (prestart_pool)
        pool = _POOLS.get(workers)
        if pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["partnersim.run.tasks"])
            # each worker watches this process and exits when it is gone (no orphans after kill -9)
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=watch_parent,
                                       initargs=(os.getpid(),))
            _POOLS[workers] = pool
        return pool


def prestart_pool(workers: int | None = None) -> threading.Thread | None:
    """Start the local pool of ``workers`` processes in the background; returns at once.

    For apps that know they are about to run ensembles (a notebook's first figure): the
    pool's processes start and import the model while this process builds its widgets.
    Each worker answers one trivial task, so the next ensemble finds the pool warm. Returns
    the thread doing it (``None`` if the pool is already warm or ``workers`` is 1).
    """
    n = int(workers) if workers else default_workers()
    if n <= 1 or n in _WARM or main_guard_problem() is not None:
        return None

    def start() -> None:
        try:
            pool = _get_pool(n)
            futures = [pool.submit(os.getpid) for _ in range(n)]  # each submit may start a worker
            for fut in futures:
                fut.result()
            _WARM.add(n)
        except Exception:  # a failed start shows up, with its reason, on the first real task
            pass

    thread = threading.Thread(target=start, name="partnersim-pool-prestart", daemon=True)
    thread.start()
    return thread


def shutdown_pools() -> None:
    """Shut down the cached local process pools."""
    _WARM.clear()
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pools)


class LocalPoolExecutor(Executor):
    """A local process pool (reused across calls); at most ``2 x workers`` tasks in flight.

    The first call in a process runs tasks in this process while the pool starts, so a
    notebook's first ensemble does not wait for process start-up.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = int(workers) if workers else default_workers()

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        problem = main_guard_problem()
        if problem is not None:  # workers would fail to start: the same numbers, in this process
            warn_serial_once(problem, self.workers)
            yield from InProcessExecutor().map_unordered(fn, tasks)
            return
        if self.workers not in _WARM and len(tasks) > 1:
            yield from self._map_while_starting(fn, tasks)
        else:
            yield from self._map_on_pool(fn, tasks, range(len(tasks)), {})

    def _map_on_pool(self, fn: Callable[[Any], Any], tasks: Sequence[Any], todo: Iterable[int],
                     pending: dict[Future, int]) -> Iterator[tuple[int, Any]]:
        """Tasks ``todo`` on the pool, at most ``2 x workers`` in flight (plus ``pending``, already submitted)."""
        pool = _get_pool(self.workers)
        it = iter(todo)
        limit = 2 * self.workers
        try:
            while True:
                while len(pending) < limit:
                    idx = next(it, None)
                    if idx is None:
                        break
                    pending[pool.submit(fn, tasks[idx])] = idx
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    idx = pending.pop(fut)
                    result = fut.result()
                    _WARM.add(self.workers)
                    yield idx, result
        finally:
            for fut in pending:
                fut.cancel()

    def _map_while_starting(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """The first call in a process: run tasks here while the pool starts (about half a second).

        Starting a forkserver pool blocks the first ``submit`` while the server imports the
        model; a thread does that and hands the pool the first ``workers`` tasks, while this
        process runs tasks from the other end of the list. Once the pool has returned a
        result, the rest go to the pool as usual. Every task is a pure function of its
        arguments, so where it runs changes nothing but the time.
        """
        n = len(tasks)
        lock = threading.Lock()
        span = [0, n]  # tasks not yet claimed: the pool claims from the front, this process from the back
        pending: dict[Future, int] = {}
        failure: list[BaseException] = []
        closed = threading.Event()

        def start_pool() -> None:
            try:
                pool = _get_pool(self.workers)
                for _ in range(self.workers):
                    with lock:
                        if closed.is_set() or span[0] >= span[1]:
                            break
                        idx = span[0]
                        span[0] += 1
                    fut = pool.submit(fn, tasks[idx])  # the first one waits for the forkserver
                    with lock:
                        pending[fut] = idx
            except BaseException as exc:  # re-raised below, in the caller's thread
                failure.append(exc)
            if closed.is_set():
                with lock:
                    for fut in pending:
                        fut.cancel()

        starter = threading.Thread(target=start_pool, name="partnersim-pool-start", daemon=True)
        starter.start()
        try:
            while True:
                with lock:
                    warm = any(f.done() for f in pending)
                    idx = None
                    if not warm and span[0] < span[1]:
                        span[1] -= 1
                        idx = span[1]
                if idx is None:
                    break
                yield idx, fn(tasks[idx])
            starter.join()
            if failure:
                raise failure[0]
            with lock:
                rest = range(span[0], span[1])
                span[0] = span[1]
            yield from self._map_on_pool(fn, tasks, rest, pending)
        finally:
            closed.set()
            with lock:
                for fut in pending:
                    fut.cancel()


class DaskExecutor(Executor):
    """Run tasks on Dask: an existing scheduler (``address``) or a loopback LocalCluster.

    :meth:`close` is orderly and quiet: it cancels the tasks this executor submitted and has
    not yet handed back, closes the client, then the LocalCluster it started (never a cluster
    given by ``address``), with the ``distributed`` loggers' shutdown warnings (cancelled
    tasks, workers still busy and killed) held back; calling it again does nothing.
    """

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        self._closed = False
        self._futures: set[Any] = set()  # submitted, not yet handed back
        if address:
            self._client = Client(address)
        else:
            import dask

            n = int(workers) if workers else default_workers()
            # no dashboard, so nobody sees the workers' statistical profiler: switch it off (it
            # samples the running task every 10 ms, taking the GIL from it: about 5% of a run)
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None)
            self._client = Client(self._cluster)
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})) or (workers or 1))

    @property
    def client(self) -> Any:
        """The ``distributed.Client``."""
        return self._client

    def _submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        fut = self._client.submit(fn, task, pure=False)
        self._futures.add(fut)
        return fut

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        limit = max(4, 4 * self.workers)
        it = iter(enumerate(tasks))
        index: dict[Any, int] = {}
        ac = as_completed()
        try:
            for _ in range(limit):
                nxt = next(it, None)
                if nxt is None:
                    break
                fut = self._submit(fn, nxt[1])
                index[fut.key] = nxt[0]
                ac.add(fut)
            for fut in ac:
                idx = index.pop(fut.key)
                result = fut.result()  # re-raises a task's error; retried on lost workers by Dask
                self._futures.discard(fut)
                fut.release()
                nxt = next(it, None)
                if nxt is not None:
                    new = self._submit(fn, nxt[1])
                    index[new.key] = nxt[0]
                    ac.add(new)
                yield idx, result
        finally:  # stopped early (an error, Ctrl-C, a generator closed): drop what is still queued
            left = [f for f in self._futures if f.key in index]
            if left and not self._closed:
                self._futures.difference_update(left)
                with contextlib.suppress(Exception):
                    self._client.cancel(left)

    def close(self) -> None:
        """Cancel outstanding tasks, close the client, then the LocalCluster; quietly, once."""
        if self._closed:
            return
        self._closed = True
        with _quiet_loggers("distributed"):
            try:
                if self._cluster is not None and self._futures:
                    # our own workers are going away: keep their cancelled-task warnings out of stderr
                    with contextlib.suppress(Exception):
                        self._client.run(_quiet_loggers_for_good, "distributed")
                if self._futures:
                    with contextlib.suppress(Exception):
                        self._client.cancel(list(self._futures))
                    self._futures.clear()
            finally:
                try:
                    self._client.close()
                finally:
                    if self._cluster is not None:
                        self._cluster.close()


def _distributed_loggers(prefix: str) -> list[logging.Logger]:
    names = [n for n in list(logging.root.manager.loggerDict) if n == prefix or n.startswith(prefix + ".")]
    return [logging.getLogger(prefix), *(logging.getLogger(n) for n in names if n != prefix)]


@contextlib.contextmanager
def _quiet_loggers(prefix: str, level: int = logging.ERROR) -> Iterator[None]:
    """Raise the ``prefix`` loggers (and their children) to ``level`` for a while, then restore them."""
    saved = [(lg, lg.level) for lg in _distributed_loggers(prefix)]
    _quiet_loggers_for_good(prefix, level)
    try:
        yield
    finally:
        for lg, old in saved:
            lg.setLevel(old)


def _quiet_loggers_for_good(prefix: str, level: int = logging.ERROR) -> None:
    """On a worker that is about to be shut down: raise the ``prefix`` loggers to ``level``."""
    for lg in _distributed_loggers(prefix):
        if lg.getEffectiveLevel() < level:
            lg.setLevel(level)


def make_executor(kind: str = "local", workers: int | None = None, scheduler: str | None = None) -> Executor:
    """Build an executor: ``"inprocess"``, ``"local"`` (process pool) or ``"dask"``.

    ``workers=1`` with ``"local"`` runs in-process (no pool to start). ``"dask"`` without a
    ``scheduler``, called from the top level of a script without a main guard (whose LocalCluster
    workers could not start), runs in-process with one warning line, like the local pool.
    """
    if kind == "inprocess" or (kind == "local" and workers == 1):
        return InProcessExecutor()
    if kind == "local":
        return LocalPoolExecutor(workers)
    if kind == "dask":
        problem = main_guard_problem() if not scheduler else None
        if problem is not None:  # a LocalCluster's worker processes would fail to start: the same numbers here
            warn_serial_once(problem, int(workers) if workers else default_workers())
            return InProcessExecutor()
        return DaskExecutor(scheduler, workers)
    raise ValueError(f"unknown executor {kind!r}: use inprocess, local or dask")
