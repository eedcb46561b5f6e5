"""Awkward values in a real worker: each costs only itself, never the task's other lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import Broker, Worker

pytestmark = pytest.mark.worker


def test_a_bound_awkward_value_keeps_the_task_lines_whole(
    fs_broker: Broker, tmp_path: Path
) -> None:
    """A task binds an exception whose str raises and a 5,000-digit int, then logs."""
    with Worker(fs_broker, tmp_path, pool="solo") as worker:
        task_id = worker.send("bind_awkward", "req-42")
        worker.wait_for_task_end(task_id)
    assert not worker.not_json, worker.not_json
    records = {r.get("event", r["message"]): r for r in worker.task_records(task_id)}
    for name in ("after binding", "task_succeeded"):
        record = records[name]
        assert record["request_id"] == "req-42", record
        assert record["err"] == "<unrepresentable ApiError>", record
        assert record["big"] == "<int of 16610 bits>", record
    assert records["after binding"]["order_id"] == 7
    assert records["task_succeeded"]["duration_ms"] >= 0
    assert records["task_succeeded"]["task_name"] == "worker_app.bind_awkward"
