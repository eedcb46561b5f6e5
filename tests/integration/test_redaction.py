"""Secrets stay out of every line a real worker writes: logkit's events and celery's own."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from .harness import Broker, Worker, event_name

pytestmark = pytest.mark.worker

SECRET_KWARGS = {
    "when": datetime.datetime(2024, 1, 1),
    "headers": {"Authorization": "Bearer ARG-SECRET-1", "Accept": "json"},
    "items": ({"token": "ARG-SECRET-2"}, [{"password": "ARG-SECRET-3"}]),
}


def _text(worker: Worker) -> str:
    return "\n".join(line.text for line in worker.lines)


def test_args_and_result_that_are_not_literals(fs_broker: Broker, tmp_path: Path) -> None:
    options = {"log_args": True, "log_result": True, "keep_celery_lines": True}
    worker = Worker(
        fs_broker, tmp_path, pool="solo", env={"LOGKIT_INSTALL_OPTIONS": json.dumps(options)}
    )
    with worker:
        task_id = worker.send("echo_kwargs", kwargs=SECRET_KWARGS)
        worker.wait_for(lambda r: r.get("task_id") == task_id and "succeeded in" in r["message"])
    leaked = [line.text for line in worker.lines if "SECRET" in line.text]
    assert not leaked, leaked
    started = next(r for r in worker.events(task_id) if event_name(r) == "task_started")
    assert started["kwargs"].startswith("{'when': datetime.datetime(2024, 1, 1, 0, 0), ")
    assert "'Authorization': '[REDACTED]', 'Accept': 'json'" in started["kwargs"]
    succeeded = next(r for r in worker.events(task_id) if event_name(r) == "task_succeeded")
    assert "'at': datetime.datetime(2024, 1, 1, 0, 0)" in succeeded["result"]


def test_redaction_turned_off_is_said_once_at_start_up(fs_broker: Broker, tmp_path: Path) -> None:
    options = {"redact_keys": [], "log_args": True}
    worker = Worker(
        fs_broker, tmp_path, pool="solo", env={"LOGKIT_INSTALL_OPTIONS": json.dumps(options)}
    )
    with worker:
        task_id = worker.send("sign_in", "bob", kwargs={"password": "hunter2"})
        worker.wait_for_task_end(task_id)
    notices = [r for r in worker.records if r["logger"] == "celery_logkit.config"]
    assert [(r["level"], r["message"]) for r in notices] == [
        ("warning", "redaction is off (redact_keys is an empty list): values under "
         "secret-looking keys are written as they are"),
    ]  # fmt: skip
