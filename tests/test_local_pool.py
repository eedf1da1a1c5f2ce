"""The local process pool's first call runs tasks in the calling process while the pool starts.

Each check runs in a fresh Python process, since "first call" is a per-process state.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# what both scripts start with: the source tree on the path, and a task that says where it ran
HEADER = """
    import json, os, sys, time
    sys.path.insert(0, {src!r})

    def task(x):
        time.sleep({sleep!r})
        return x * x, os.getpid()
"""

SCRIPT = textwrap.dedent(HEADER + """
    if __name__ == "__main__":
        from partnersim.run.executors import LocalPoolExecutor
        ex = LocalPoolExecutor(2)
        out = {{}}
        if {close_early!r}:
            gen = ex.map_unordered(task, list(range(12)))
            next(gen)
            gen.close()  # a widget cancelling a stale run during start-up
        first = dict(ex.map_unordered(task, list(range(12))))
        second = dict(ex.map_unordered(task, list(range(6))))
        me = os.getpid()
        out["first_indices"] = sorted(first)
        out["first_values_ok"] = all(v == i * i for i, (v, _) in first.items())
        out["first_here"] = sum(pid == me for _, pid in first.values())
        out["first_workers"] = len({{pid for _, pid in first.values()}} - {{me}})
        out["second_indices"] = sorted(second)
        out["second_here"] = sum(pid == me for _, pid in second.values())
        print(json.dumps(out))
""")


def _run(tmp_path: Path, close_early: bool) -> dict:
    script = tmp_path / "pool_script.py"
    script.write_text(SCRIPT.format(src=str(SRC), sleep=0.15, close_early=close_early))
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_first_call_shares_the_work_with_the_starting_pool_then_the_pool_takes_over(tmp_path):
    out = _run(tmp_path, close_early=False)
    assert out["first_indices"] == list(range(12)) and out["first_values_ok"]
    # the pool's start-up blocks its first submit for a while: this process works meanwhile,
    # and the first task handed to the pool runs in a worker
    assert out["first_here"] >= 1
    assert out["first_workers"] >= 1
    # once the pool has answered, later calls run only on the pool
    assert out["second_indices"] == list(range(6))
    assert out["second_here"] == 0


@pytest.mark.slow
def test_a_first_call_closed_early_leaves_a_working_pool(tmp_path):
    out = _run(tmp_path, close_early=True)
    assert out["first_indices"] == list(range(12)) and out["first_values_ok"]
    assert out["second_indices"] == list(range(6))


PRESTART = textwrap.dedent(HEADER + """
    if __name__ == "__main__":
        from partnersim.run import executors
        thread = executors.prestart_pool(2)
        out = {{"started": thread is not None}}
        thread.join(60)
        out["warm"] = 2 in executors._WARM
        out["again_is_none"] = executors.prestart_pool(2) is None and executors.prestart_pool(1) is None
        me = os.getpid()
        first = dict(executors.LocalPoolExecutor(2).map_unordered(task, list(range(8))))
        out["indices"] = sorted(first)
        out["values_ok"] = all(v == i * i for i, (v, _) in first.items())
        out["here"] = sum(pid == me for _, pid in first.values())
        out["workers"] = len({{pid for _, pid in first.values()}})
        print(json.dumps(out))
""")


@pytest.mark.slow
def test_a_prestarted_pool_takes_the_first_call_whole(tmp_path):
    """``prestart_pool`` (what the apps call before building their widgets) leaves the pool warm."""
    script = tmp_path / "prestart_script.py"
    script.write_text(PRESTART.format(src=str(SRC), sleep=0.05))
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["started"] and out["warm"] and out["again_is_none"]
    assert out["indices"] == list(range(8)) and out["values_ok"]
    assert out["here"] == 0 and out["workers"] == 2  # nothing ran in the caller: the pool was up, both workers
