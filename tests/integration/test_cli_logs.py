"""The ``celery-logkit`` fixtures hold what their truth says: the truth is checked first."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .cli_logs import CliLogs
from .harness import event_name

pytestmark = pytest.mark.worker

ENDS = {"succeeded": "task_succeeded", "failed": "task_failed", "revoked": "task_revoked"}


def records(logs: CliLogs) -> list[dict[str, Any]]:
    return [json.loads(line) for path in logs.files for line in path.read_text().splitlines()]


def error_type(record: dict[str, Any]) -> str:
    error = record["error"]
    return str(error.get("type") or error.get("kind"))


def test_every_task_ends_in_the_logs_as_the_truth_says(cli_logs: CliLogs) -> None:
    lines = records(cli_logs)
    for task_id, task in cli_logs.truth["tasks"].items():
        events = [e for r in lines if r.get("task_id") == task_id and (e := event_name(r))]
        ends = [r for r in lines if r.get("task_id") == task_id and event_name(r) in
                {"task_succeeded", "task_failed", "task_revoked"}]  # fmt: skip
        if task["outcome"] in ENDS:
            assert [event_name(r) for r in ends] == [ENDS[task["outcome"]]], (task_id, events)
        else:  # left running, or waiting for its ETA, when its worker was killed
            assert ends == []
            expected = "task_started" if task["outcome"] == "active" else "task_received"
            assert events[-1] == expected, (task_id, events)
        if task["error_type"]:
            assert error_type(ends[0]).endswith(task["error_type"])
        assert events.count("task_retrying") == task["retries"]


def test_workers_end_as_the_truth_says(cli_logs: CliLogs) -> None:
    for node, worker in cli_logs.truth["workers"].items():
        lines = [json.loads(line) for line in (cli_logs.folder / worker["file"]).open()]
        started = [r for r in lines if event_name(r) == "worker_started"]
        assert len(started) == len(worker["runs"])
        assert all(node in json.dumps(r) for r in started)
        shutdowns = [r for r in lines if "Warm shutdown" in str(r.get("message"))]
        assert len(shutdowns) == worker["runs"].count("clean")
        assert lines[-1] is shutdowns[-1]  # the last run stopped cleanly
