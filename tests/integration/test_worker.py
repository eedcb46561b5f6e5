"""A real ``celery worker`` writes JSON lines that carry the task they belong to."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import celery
import pytest

from celery_logkit._context import TASK_FIELDS

from .harness import Broker, Record, Worker, event_name
from .helpers import make_broker

pytestmark = pytest.mark.worker

IN_TASK_LOGGERS = {
    "worker_app",
    "worker_app.module",
    "thirdparty.client",
    "celery.redirected",
}


def assert_every_line_is_json(worker: Worker) -> None:
    bad = [f"{line.stream}: {line.text!r}" for line in worker.not_json]
    assert not bad, "lines that are not JSON objects:\n" + "\n".join(bad)


def assert_no_task_fields(record: Record) -> None:
    leaked = {k: record[k] for k in TASK_FIELDS if k in record}
    assert not leaked, f"line outside a task carries {leaked}: {record}"


def by_message(records: list[Record]) -> dict[str, Record]:
    return {r["message"]: r for r in records}


def test_every_line_of_a_task_carries_it(any_broker: Broker, tmp_path: Path) -> None:
    worker = Worker(any_broker, tmp_path, pool="prefork", concurrency=2)
    with worker:
        ok = worker.send("log_styles", "tok")
        worker.wait_for_task_end(ok)
        bad = worker.send("fail", "tok2")
        worker.wait_for_task_end(bad)
    assert_every_line_is_json(worker)

    lines = by_message(worker.task_records(ok))
    expected_loggers = {
        "percent style tok 7": "worker_app",
        "extra style": "worker_app",
        "structured style": "worker_app",
        "bound style": "worker_app",
        "exception style": "worker_app",
        "stack style": "worker_app",
        "stdlib module logger tok": "worker_app.module",
        "third-party library line": "thirdparty.client",
        "print line tok": "celery.redirected",
    }
    for message, logger in expected_loggers.items():
        assert message in lines, f"{message!r} missing from the task's lines: {list(lines)}"
        record = lines[message]
        assert record["logger"] == logger
        assert record["task_name"] == "worker_app.log_styles"
        assert record["root_id"] == ok
        assert record["retries"] == 0
        assert record["queue"] == worker.queue
        assert record["worker"].startswith(f"{worker.queue}@")
        assert "parent_id" not in record
        assert "group_id" not in record
        assert list(record)[:4] == ["timestamp", "level", "logger", "message"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["timestamp"])

    assert lines["extra style"]["order_id"] == 7
    assert lines["extra style"]["ref"] == "tok"
    assert lines["secret style"]["password"] == "[REDACTED]"
    assert lines["secret style"]["card"] == {"holder": "A", "cvv": "[REDACTED]"}
    assert "hunter2" not in "\n".join(line.text for line in worker.lines)
    structured = lines["structured style"]
    assert (structured["order_id"], structured["amount"]) == (7, 9.5)
    assert structured["name"] == "a field named name"
    assert lines["bound style"]["order_id"] == 7
    assert lines["bound style"]["level"] == "warning"

    error = lines["exception style"]["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "outer"
    assert "KeyError: 'inner'" in error["stack_trace"]
    assert "direct cause of the following exception" in error["stack_trace"]
    assert error["stack_trace"].endswith("ValueError: outer")
    assert "Stack (most recent call last)" in lines["stack style"]["stack_info"]

    assert [r["event"] for r in worker.events(ok)] == ["task_started", "task_succeeded"]
    failed = worker.events(bad)[-1]
    assert (failed["event"], failed["level"]) == ("task_failed", "error")
    assert failed["task_name"] == "worker_app.fail"
    assert failed["error"]["type"] == "ZeroDivisionError"
    assert failed["error"]["message"] == "boom tok2"
    assert not [r for r in worker.records if r["logger"] == "celery.app.trace"], "replaced"

    for record in worker.records:
        if record["logger"] not in IN_TASK_LOGGERS and "event" not in record:
            assert_no_task_fields(record)
    assert not [r for r in worker.records if r["logger"] == "celery.worker.strategy"], "replaced"
    assert not [r for r in worker.events() if r["event"] == "task_received"], "DEBUG, not at INFO"
    starting = [r for r in worker.records if r["message"].startswith("Worker ")]
    assert {"worker_app.log_styles", "worker_app.fail"} <= set(starting[0]["tasks"])
    assert starting[0]["pool"] == "prefork"
    assert starting[0]["queues"] == [worker.queue]
    assert "-------------- " not in "\n".join(line.text for line in worker.lines)
    assert any(r["message"] == "worker: Warm shutdown (MainProcess)" for r in worker.records)


def test_retry_carries_the_attempt(any_broker: Broker, tmp_path: Path) -> None:
    with Worker(any_broker, tmp_path, pool="solo") as worker:
        task_id = worker.send("retry_once", "again")
        worker.wait_for_task_end(task_id)
    assert_every_line_is_json(worker)
    attempts = [r for r in worker.task_records(task_id) if r["message"].startswith("attempt ")]
    assert [(r["message"], r["retries"]) for r in attempts] == [("attempt 0", 0), ("attempt 1", 1)]
    assert attempts[1]["root_id"] == task_id


def test_lines_between_tasks_carry_no_task(any_broker: Broker, tmp_path: Path) -> None:
    """Solo pool at DEBUG: tasks run in the worker's main thread, between its own lines."""
    with Worker(any_broker, tmp_path, pool="solo", loglevel="DEBUG") as worker:
        first = worker.send("log_styles", "one")
        worker.wait_for_task_end(first)
        second = worker.send("fail", "two")
        worker.wait_for_task_end(second)
    assert_every_line_is_json(worker)
    assert by_message(worker.task_records(first))["print line one"]["task_id"] == first
    assert by_message(worker.task_records(second))["about to fail two"]["task_id"] == second

    records = worker.records
    first_end = next(i for i, r in enumerate(records) if r.get("event") == "task_succeeded")
    second_start = next(
        i
        for i, r in enumerate(records)
        if r.get("event") == "task_started" and r["task_id"] == second
    )
    between = [r for r in records[first_end + 1 : second_start] if "event" not in r]
    assert between, "the worker logs its own lines between two tasks at DEBUG"
    for record in between:
        assert_no_task_fields(record)
    received = [r for r in worker.events() if r["event"] == "task_received"]
    assert [r["task_id"] for r in received] == [first, second]


@pytest.mark.parametrize(("pool", "concurrency"), [("prefork", 2), ("threads", 4)])
def test_overlapping_tasks_keep_their_own_context(
    any_broker: Broker, tmp_path: Path, pool: str, concurrency: int
) -> None:
    steps = 20
    with Worker(any_broker, tmp_path, pool=pool, concurrency=concurrency) as worker:
        ids = [worker.send("overlap", "g", concurrency, steps) for _ in range(concurrency)]
        for task_id in ids:
            worker.wait_for_task_end(task_id)
    assert_every_line_is_json(worker)

    step_lines = [r for r in worker.records if r["message"].startswith(("step ", "module step "))]
    assert len(step_lines) == 2 * steps * concurrency
    for record in step_lines:
        owner = record["message"].rsplit(" of ", 1)[1]
        assert record["task_id"] == owner, record
    positions = {
        task_id: [i for i, r in enumerate(step_lines) if r["task_id"] == task_id] for task_id in ids
    }
    for task_id, mine in positions.items():
        for other, theirs in positions.items():
            if other != task_id:
                assert mine[0] < theirs[-1], "the tasks did not run at the same time"


def test_celery_log_level_still_applies(fs_broker: Broker, tmp_path: Path) -> None:
    worker = Worker(fs_broker, tmp_path, pool="solo", loglevel="WARNING")
    worker.start(wait_ready=False)
    try:
        task_id = worker.send("log_styles", "quiet")
        worker.wait_for(lambda r: r.get("message") == "print line quiet")
    finally:
        worker.stop()
    assert_every_line_is_json(worker)
    levels = {r["level"] for r in worker.records}
    assert levels <= {"warning", "error", "critical"}, levels
    lines = by_message(worker.task_records(task_id))
    assert {"bound style", "stdlib module logger quiet", "exception style"} <= set(lines)
    assert "percent style quiet 7" not in lines


def read_until(path: Path, predicate: Callable[[Record], bool], timeout: float = 60) -> list[str]:
    """The lines of the file *path* once one of them is a record matching *predicate*."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if any(predicate(json.loads(line)) for line in lines if line.startswith("{")):
            return lines
        assert time.monotonic() < deadline, f"no matching line in {path}: {lines[-20:]}"
        time.sleep(0.05)


def test_celerys_text_log_settings_give_way_and_the_logfile_gets_json(
    fs_broker: Broker, tmp_path: Path
) -> None:
    """The README's notes on migrating from celery's logger: ``worker_log_format`` and
    ``worker_task_log_format`` no longer shape the lines, ``-f`` writes JSON lines, and
    with ``worker_hijack_root_logger=False`` and no root handler of the app's, celery's
    handler is still added and formatted."""
    logfile = tmp_path / "worker.log"
    settings = {
        "worker_log_format": "TEXT %(message)s",
        "worker_task_log_format": "TASK %(message)s",
        "worker_hijack_root_logger": False,
    }
    worker = Worker(
        fs_broker,
        tmp_path,
        pool="solo",
        extra_args=["-f", str(logfile)],
        env={"LOGKIT_SETTINGS": json.dumps(settings)},
    )
    worker.start(wait_ready=False)
    try:
        task_id = worker.send("log_styles", "tofile")
        lines = read_until(
            logfile, lambda r: r.get("task_id") == task_id and r.get("event") == "task_succeeded"
        )
    finally:
        worker.stop()
    assert_every_line_is_json(worker)
    records = [json.loads(line) for line in lines]  # every line of the file is JSON
    lines_of_task = by_message([r for r in records if r.get("task_id") == task_id])
    assert {
        "percent style tofile 7",  # get_task_logger: celery.task's handler, task format
        "stdlib module logger tofile",  # a plain logger: root's handler, worker_log_format
        "print line tofile",  # print(), redirected
    } <= set(lines_of_task)
    assert not [line for line in lines if "TEXT " in line or "TASK " in line]


def test_killed_pool_process_is_reported_in_json(fs_broker: Broker, tmp_path: Path) -> None:
    """billiard's ``multiprocessing`` logger (worker lost) has its own handler: JSON too."""
    with Worker(fs_broker, tmp_path, pool="prefork", concurrency=1) as worker:
        task_id = worker.send("die")
        worker.wait_for(
            lambda r: r.get("task_id") == task_id and r["message"] == "about to be killed"
        )
        lost = worker.wait_for(lambda r: "WorkerLostError" in r.get("message", ""))
    assert_every_line_is_json(worker)
    assert lost["level"] == "error"
    exited = [r for r in worker.records if r["logger"] == "multiprocessing"]
    assert exited, "billiard's own 'Process ... exited with signal 9' line"
    assert "signal 9" in exited[0]["message"]


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_the_start_line_is_a_worker_started_event_with_the_facts(
    tmp_path: Path, schema: str
) -> None:
    """The banner's facts as one ``worker_started`` event, in the schema's names; in ECS
    the node name is ``service.node.name``, on the start line and on task lines alike."""
    broker = make_broker("redis", tmp_path)
    with Worker(broker, tmp_path, concurrency=2, env={"LOGKIT_SCHEMA": schema}) as worker:
        task_id = worker.send("add", 1, 2)
        worker.wait_for_task_end(task_id)
    (started,) = [r for r in worker.records if event_name(r) == "worker_started"]
    if schema == "default":
        assert started["event"] == "worker_started"
        facts, node = started, started["worker"]
    elif schema == "ecs":
        assert started["event"]["action"] == "worker_started"
        facts, node = started["celery"], started["service"]["node"]["name"]
        assert "worker" not in facts, "the node is service.node.name"
    else:
        assert started["evt"]["name"] == "worker_started"
        facts, node = started["celery"], started["celery"]["worker"]
    assert node.startswith(f"{worker.queue}@"), started
    assert facts["celery_version"] == celery.__version__
    assert (facts["pool"], facts["concurrency"]) == ("prefork", 2), started
    assert facts["broker"].startswith("redis://"), started
    assert facts["queues"] == [worker.queue]
    assert "worker_app.add" in facts["tasks"]
    if schema != "default":
        assert "pool" not in started, "the facts are under celery"

    (adding,) = [r for r in worker.task_records(task_id) if r["message"] == "adding"]
    if schema == "ecs":
        assert adding["service"]["node"]["name"] == node, adding
    elif schema == "default":
        assert adding["worker"] == node, adding
