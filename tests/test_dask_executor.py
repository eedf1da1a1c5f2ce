"""DaskExecutor.close while workers are busy: bounded, no distributed warnings, idempotent."""

from __future__ import annotations

import logging
import time

import dask
import pytest

from partnersim.run.executors import DaskExecutor

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


def _distributed_loggers() -> list[logging.Logger]:
    names = [n for n in list(logging.root.manager.loggerDict) if n.startswith("distributed")]
    return [logging.getLogger("distributed"), *(logging.getLogger(n) for n in names)]


def test_close_while_busy_is_bounded_quiet_and_idempotent(caplog, capfd):
    ex = DaskExecutor(workers=2)  # a LocalCluster on 127.0.0.1; its worker processes write to our (captured) fd 2
    # distributed's loggers do not propagate to the root logger, where caplog listens: listen on them directly
    loggers = _distributed_loggers()
    levels = {lg.name: lg.level for lg in loggers}
    for lg in loggers:
        lg.addHandler(caplog.handler)
    try:
        gen = ex.map_unordered(time.sleep, [0.05] + [30.0] * 7)  # both workers then sleep far past any timeout
        assert next(gen) == (0, None)
        time.sleep(0.3)  # the long tasks are running now
        assert len(ex._futures) == 7
        caplog.clear()
        capfd.readouterr()
        t0 = time.monotonic()
        ex.close()
        took = time.monotonic() - t0
        loud = [f"{r.name} {r.levelname}: {r.getMessage()}" for r in caplog.records
                if r.name.startswith("distributed") and r.levelno >= logging.WARNING]
        time.sleep(0.2)  # anything the (killed) worker processes still had to say
        err = capfd.readouterr().err
        assert took < 15.0, f"close took {took:.1f} s"
        assert loud == []
        assert "WARNING" not in err and "ERROR" not in err, err
        assert ex._futures == set()
        assert ex.client.status == "closed"
        assert {lg.name: lg.level for lg in loggers} == levels  # the loggers are as they were

        caplog.clear()
        t0 = time.monotonic()
        ex.close()  # again: nothing to do
        assert time.monotonic() - t0 < 0.5
        assert not any(r.levelno >= logging.WARNING for r in caplog.records)
    finally:
        for lg in loggers:
            lg.removeHandler(caplog.handler)
        ex.close()


def test_a_generator_stopped_early_cancels_its_queued_tasks():
    with DaskExecutor(workers=1) as ex:
        gen = ex.map_unordered(time.sleep, [0.05] + [1.0] * 9)
        assert next(gen) == (0, None)
        assert len(ex._futures) == 4  # at most 4 tasks in flight per worker
        gen.close()
        assert ex._futures == set()
        assert list(ex.map_unordered(abs, [-1, -2])) in ([(0, 1), (1, 2)], [(1, 2), (0, 1)])  # still usable
        # the LocalCluster it started has no dashboard: its workers' stack-sampling profiler is off
        states = ex.client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
        assert list(states.values()) == [False]
    assert dask.config.get("distributed.worker.profile.enabled") is True  # the caller's unchanged
