"""A real worker: lines from threads a task starts carry that task, in each kind of pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import Broker, Worker

pytestmark = pytest.mark.worker


@pytest.mark.parametrize("pool", ["prefork", "gevent"])
def test_threads_and_executor_calls_carry_their_task(
    fs_broker: Broker, tmp_path: Path, pool: str
) -> None:
    """Three tasks one after the other: the executor's one thread serves each in turn."""
    with Worker(fs_broker, tmp_path, pool=pool, concurrency=2) as worker:
        ids = []
        for n in range(3):
            ids.append(worker.send("fan_out", f"t{n}"))
            worker.wait_for_task_end(ids[-1])
    for n, task_id in enumerate(ids):
        for message in (f"thread of {task_id}", f"executor call of {task_id}"):
            [line] = [r for r in worker.records if r["message"] == message]
            assert line.get("task_id") == task_id, line
            assert line.get("task_name") == "worker_app.fan_out", line
            assert line.get("batch") == f"t{n}", line
