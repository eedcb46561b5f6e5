"""Every state a task can reach, logged once, at the right level, by a real worker."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from celery import chain, chord, group

import celery_logkit

from .harness import Broker, Record, Worker
from .helpers import make_broker

pytestmark = pytest.mark.worker


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")


def events(worker: Worker, task_id: str, event: str) -> list[Record]:
    return [r for r in worker.events(task_id) if r["event"] == event]


def once(worker: Worker, task_id: str, event: str, level: str) -> Record:
    found = events(worker, task_id, event)
    assert len(found) == 1, f"{event} of {task_id} logged {len(found)} times: {found}"
    record = found[0]
    assert record["level"] == level, record
    assert record["task_id"] == task_id
    assert record["logger"] == "celery_logkit.lifecycle"
    return record


def assert_task(record: Record, name: str) -> None:
    assert record["task_name"] == f"worker_app.{name}", record
    assert record["worker"].startswith("logkit-test-"), record
    assert record["queue"].startswith("logkit-test-"), record


def steps_of(result: Any) -> list[str]:
    ids = []
    while result is not None:
        ids.append(result.id)
        result = result.parent
    return ids[::-1]


def test_every_state_is_logged_once(any_broker: Broker, tmp_path: Path) -> None:
    worker = Worker(any_broker, tmp_path, pool="prefork", concurrency=3)
    with worker:
        with celery_logkit.bound_contextvars(
            request_id="req-42", correlation_id=Unprintable(), password="hunter2"
        ):
            ok = worker.send("add", 1, 2)
            retried = worker.send("retry_twice")
            unexpected = worker.send("fail", "x")
            expected = worker.send("expected_failure")
            auto = worker.send("autoretry")
            soft = worker.send("soft_limit")
            # due after it expires: RabbitMQ drops a message that is already expired
            expired = worker.send("add", 0, 0, countdown=1.5, expires=1.0)
            unknown = worker.send("no_such_task")
            chained = steps_of(
                chain(worker.sig("add", 1, 1), worker.sig("add", 2), worker.sig("add", 3))
                .apply_async()
            )  # fmt: skip
            grouped = group(worker.sig("add", i, i) for i in range(3)).apply_async()
            chorded = chord([worker.sig("add", i, i) for i in range(2)], worker.sig("tsum"))()
        waits = [ok, retried, unexpected, expected, auto, soft, expired, unknown, *chained]
        waits += [r.id for r in grouped.results] + [chorded.id]
        for task_id in waits:
            worker.wait_for_task_end(task_id)
        hard = worker.send("hard_limit")
        worker.wait_for_task_end(hard)
        killed = worker.send("die")
        worker.wait_for_task_end(killed)
    assert not worker.not_json, worker.not_json

    # success, with the producer's publish time and allow-listed context
    started = once(worker, ok, "task_started", "info")
    assert_task(started, "add")
    assert started["attempt"] == 1
    assert 0 <= started["queue_wait_ms"] < 60_000
    assert started["request_id"] == "req-42"
    assert "correlation_id" not in started, "a value that is not a string is dropped"
    assert "password" not in started, "only allow-listed keys travel"
    assert not {"args", "kwargs"} & set(started), "args are not logged unless asked"
    succeeded = once(worker, ok, "task_succeeded", "info")
    assert succeeded["duration_ms"] > 0
    assert (
        succeeded["message"]
        == f"Task worker_app.add[{ok}] succeeded in {succeeded['duration_ms']} ms"
    )
    assert succeeded["request_id"] == "req-42"
    assert "result" not in succeeded

    # retry twice, then success
    starts = events(worker, retried, "task_started")
    assert [(r["attempt"], r["retries"]) for r in starts] == [(1, 0), (2, 1), (3, 2)]
    retries = events(worker, retried, "task_retrying")
    assert [r["level"] for r in retries] == ["warning", "warning"]
    assert [r["attempt"] for r in retries] == [1, 2]
    assert [r["reason"] for r in retries] == [
        "ConnectionError: attempt 1 failed",
        "ConnectionError: attempt 2 failed",
    ]
    assert all(r["max_retries"] == 2 and r["duration_ms"] >= 0 for r in retries)
    assert all(r["request_id"] == "req-42" for r in starts), "retries keep the context"
    once(worker, retried, "task_succeeded", "info")
    assert not events(worker, retried, "task_failed")
    republished = events(worker, retried, "task_enqueued")
    assert [r["child_task_id"] for r in republished] == [retried, retried]

    # unexpected failure: ERROR with the stack
    failed = once(worker, unexpected, "task_failed", "error")
    assert_task(failed, "fail")
    assert failed["error"]["type"] == "ZeroDivisionError"
    assert failed["error"]["message"] == "boom x"
    assert failed["error"]["stack_trace"].rstrip().endswith("ZeroDivisionError: boom x")
    assert failed["duration_ms"] > 0

    # a failure the task declares in `throws`: INFO, no stack
    failed = once(worker, expected, "task_failed", "info")
    assert failed["error"] == {"type": "KeyError", "message": "'no such order'"}
    assert failed["expected"] is True

    # autoretry_for: one retry, then the failure
    assert len(events(worker, auto, "task_started")) == 2
    retry = once(worker, auto, "task_retrying", "warning")
    assert retry["reason"] == "ConnectionError: still down"
    assert once(worker, auto, "task_failed", "error")["error"]["type"] == "ConnectionError"

    # soft time limit: raised inside the task
    failed = once(worker, soft, "task_failed", "error")
    assert failed["error"]["type"] == "billiard.exceptions.SoftTimeLimitExceeded"
    assert failed["duration_ms"] >= 500

    # hard time limit: the main process reports it (celery 5.7 says it twice)
    failed = once(worker, hard, "task_failed", "error")
    assert_task(failed, "hard_limit")
    assert failed["error"]["type"] == "billiard.exceptions.TimeLimitExceeded"
    assert "duration_ms" not in failed, "the main process does not know when it started"

    # the pool process running the task was killed
    failed = once(worker, killed, "task_failed", "error")
    assert_task(failed, "die")
    assert failed["error"]["type"] == "billiard.exceptions.WorkerLostError"

    # expired before it ran
    revoked = once(worker, expired, "task_revoked", "warning")
    assert (revoked["expired"], revoked["terminated"]) == (True, False)
    assert_task(revoked, "add")
    assert not events(worker, expired, "task_started")

    # a message for a task nobody registered
    missing = once(worker, unknown, "task_not_found", "error")
    assert missing["task_name"] == "worker_app.no_such_task"

    # chain: root = first step, parent = previous step; the worker publishes steps 2 and 3
    first, second, third = chained
    for step, parent in ((first, None), (second, first), (third, second)):
        record = once(worker, step, "task_started", "info")
        assert record["root_id"] == first
        assert record.get("parent_id") == parent
        assert record["request_id"] == "req-42", "chain steps inherit the context"
        once(worker, step, "task_succeeded", "info")
    enqueued = [r for r in worker.events() if r["event"] == "task_enqueued"]
    assert {(r["task_id"], r["child_task_id"]) for r in enqueued} >= {
        (first, second),
        (second, third),
    }

    # group and chord members carry the group id
    for member in grouped.results:
        assert once(worker, member.id, "task_started", "info")["group_id"] == grouped.id
    header = chorded.parent
    for member in header.results:
        assert once(worker, member.id, "task_started", "info")["group_id"] == header.id
    once(worker, chorded.id, "task_succeeded", "info")

    # what the task saw of its workflow ids is what its lines say
    for record in worker.records:
        if record["message"] == "adding":
            assert record.get("root_id") == record["seen_root_id"]
            assert record.get("parent_id") == record["seen_parent_id"]
            assert record.get("group_id") == record["seen_group_id"]

    # celery's own lines for the same steps are replaced
    assert not [r for r in worker.records if r["logger"] == "celery.app.trace"]
    assert not [r for r in worker.records if "Task handler raised error" in r["message"]]
    assert not [r for r in worker.records if r["logger"] == "celery.worker.strategy"]


@pytest.mark.parametrize("broker_name", ["redis", "amqp"])
def test_revoke_with_terminate(broker_name: str, tmp_path: Path) -> None:
    """Control commands need a broadcast exchange, which the filesystem transport lacks."""
    worker = Worker(make_broker(broker_name, tmp_path), tmp_path, pool="prefork", concurrency=1)
    with worker:
        target = worker.send("wait_to_be_revoked")
        worker.wait_for(lambda r: r.get("task_id") == target and r["message"].startswith("waiting"))
        worker.producer().control.revoke(target, terminate=True)
        worker.wait_for_task_end(target)
    revoked = once(worker, target, "task_revoked", "warning")
    assert_task(revoked, "wait_to_be_revoked")
    assert (revoked["terminated"], revoked["signame"], revoked["expired"]) == (
        True,
        "SIGTERM",
        False,
    )
    assert not events(worker, target, "task_failed")
    assert not [r for r in worker.records if "Discarding revoked" in r["message"]]


def test_queue_wait_absent_without_logkit_on_the_producer(
    fs_broker: Broker, tmp_path: Path
) -> None:
    import subprocess
    import sys

    worker = Worker(fs_broker, tmp_path, pool="solo")
    with worker:
        code = (
            "import json, sys; from celery import Celery;"
            "app = Celery('plain', broker=sys.argv[1]);"
            "app.conf.broker_transport_options = json.loads(sys.argv[2]);"
            "print(app.send_task('worker_app.add', args=(1, 1), queue=sys.argv[3]).id)"
        )
        sent = subprocess.run(
            [sys.executable, "-c", code, fs_broker.url, __import__("json").dumps(fs_broker.options),
             worker.queue],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        task_id = sent.stdout.strip()
        worker.wait_for_task_end(task_id)
    started = once(worker, task_id, "task_started", "info")
    assert "queue_wait_ms" not in started
    assert once(worker, task_id, "task_succeeded", "info")["duration_ms"] > 0


def test_levels_and_celery_lines_from_settings(fs_broker: Broker, tmp_path: Path) -> None:
    settings = {
        "logkit_event_levels": {"task_started": None, "task_succeeded": "WARNING"},
        "logkit_keep_celery_lines": True,
    }
    worker = Worker(
        fs_broker,
        tmp_path,
        pool="solo",
        env={
            "LOGKIT_SETTINGS": json.dumps(settings),
            "LOGKIT_INSTALL_OPTIONS": json.dumps({"event_levels": {"task_failed": "CRITICAL"}}),
        },
    )
    with worker:
        ok = worker.send("add", 1, 1)
        worker.wait_for_task_end(ok)
        bad = worker.send("fail", "x")
        worker.wait_for_task_end(bad)
    assert [r["event"] for r in worker.events(ok)] == ["task_succeeded"]
    assert once(worker, ok, "task_succeeded", "warning")
    assert once(worker, bad, "task_failed", "critical"), "install() wins over settings"
    celery_lines = [r for r in worker.records if r["logger"] == "celery.app.trace"]
    assert [r["task_id"] for r in celery_lines] == [ok, bad], "kept: celery's own lines too"


def test_a_bad_setting_stops_the_worker(fs_broker: Broker, tmp_path: Path) -> None:
    worker = Worker(
        fs_broker,
        tmp_path,
        env={"LOGKIT_SETTINGS": json.dumps({"logkit_event_levels": {"task_sarted": "INFO"}})},
    )
    worker.start(wait_ready=False)
    assert worker.wait_exit(timeout=60) == 1
    assert not worker.not_json, worker.not_json
    critical = [r for r in worker.records if r["level"] == "critical"]
    assert len(critical) == 1
    assert "'task_sarted'" in critical[0]["message"]
    assert "task_started" in critical[0]["message"]


def test_args_and_result_only_when_asked_and_redacted(fs_broker: Broker, tmp_path: Path) -> None:
    options = {"log_args": True, "log_result": True}
    worker = Worker(
        fs_broker, tmp_path, pool="solo", env={"LOGKIT_INSTALL_OPTIONS": json.dumps(options)}
    )
    with worker:
        task_id = worker.send("sign_in", "bob", "hunter2", kwargs={"remember": True})
        worker.wait_for_task_end(task_id)
    started = once(worker, task_id, "task_started", "info")
    assert started["args"] == "('bob', 'hunter2')", "positional args have no key to match"
    assert started["kwargs"] == "{'remember': True}"
    succeeded = once(worker, task_id, "task_succeeded", "info")
    assert succeeded["result"] == "{'user': 'bob', 'session': '[REDACTED]'}"
    assert "s3cr3t" not in "\n".join(line.text for line in worker.lines)


def ended(worker: Worker, task_id: str, event: str, count: int = 1) -> None:
    """Wait until *task_id* has logged *event* *count* times."""
    worker.wait_for_count(lambda r: r.get("task_id") == task_id and r.get("event") == event, count)


def test_endings_without_a_signal_of_their_own(fs_broker: Broker, tmp_path: Path) -> None:
    worker = Worker(fs_broker, tmp_path, pool="prefork", concurrency=2)
    with worker:
        unprintable = worker.send("unprintable_failure")
        dropped = worker.send("reject", False)
        requeued = worker.send("reject", True)
        soft = worker.send("soft_limit")
        hard = worker.send("hard_limit")
        lost = worker.send("die_once")
        ignored = worker.send("ignored")
        for task_id in (unprintable, requeued, soft, hard, lost, ignored):
            worker.wait_for_task_end(task_id)
        ended(worker, dropped, "task_rejected")
    assert not worker.not_json, worker.not_json

    # an exception whose __str__ raises: the events all the same, with a safe text
    retrying = once(worker, unprintable, "task_retrying", "warning")
    assert retrying["reason"] == "ApiError: <exception str() failed>"
    failed = once(worker, unprintable, "task_failed", "error")
    assert_task(failed, "unprintable_failure")
    assert failed["error"]["type"] == "worker_app.ApiError"
    assert failed["error"]["message"] == "<exception str() failed>"
    assert failed["error"]["stack_trace"].endswith("ApiError: <exception str() failed>")
    assert not [r for r in worker.records if "internal error" in r["message"]]

    # Ignore: task_ignored, where celery wrote a text line of its own
    ignoring = once(worker, ignored, "task_ignored", "info")
    assert_task(ignoring, "ignored")
    assert ignoring["reason"] == "nothing to do"
    assert ignoring["duration_ms"] >= 0
    assert [r["event"] for r in worker.events(ignored)] == ["task_started", "task_ignored"]
    # celery builds none of the INFO lines events replace: its tracer's logger is at WARNING
    said = [r["message"] for r in worker.records if r.get("task_id") == ignored]
    assert "trace logger at WARNING" in said, said
    assert not [r for r in worker.records if r["logger"] == "celery.app.trace"]

    # Reject: one task_rejected per attempt, the reason as text, nothing else
    rejected = once(worker, dropped, "task_rejected", "warning")
    assert_task(rejected, "reject")
    assert (rejected["reason"], rejected["requeue"]) == ("poison message", False)
    assert [r["event"] for r in worker.events(dropped)] == ["task_started", "task_rejected"]
    rejected = once(worker, requeued, "task_rejected", "warning")
    assert (rejected["reason"], rejected["requeue"]) == ("ConnectionError: not ready yet", True)
    assert [r["event"] for r in worker.events(requeued)] == [
        "task_started", "task_rejected", "task_started", "task_succeeded",
    ]  # fmt: skip
    assert not [r for r in worker.records if "reject requeue=" in r["message"]]

    # a pool process lost under acks_late + reject_on_worker_lost: requeued, then run
    assert [(r["event"], r["level"]) for r in worker.events(lost)] == [
        ("task_started", "info"),
        ("task_rejected", "warning"),
        ("task_started", "info"),
        ("task_succeeded", "info"),
    ]
    rejected = once(worker, lost, "task_rejected", "warning")
    assert_task(rejected, "die_once")
    assert rejected["requeue"] is True
    # billiard usually says "signal 9 (SIGKILL)"; with another process lost at the same
    # time (the hard time limit's) it may name that one's exit status
    assert rejected["reason"].startswith("worker lost: "), rejected

    # the main process's time limit lines carry the task's context
    for task_id, name, level, text in (
        (soft, "soft_limit", "warning", "Soft time limit (0.5s) exceeded for"),
        (hard, "hard_limit", "error", "Hard time limit (1s) exceeded for"),
    ):
        lines = [r for r in worker.records if r["message"].startswith(text)]
        assert len(lines) == 1, lines
        assert lines[0]["level"] == level
        assert lines[0]["task_id"] == task_id, lines[0]
        assert_task(lines[0], name)


def test_a_cold_shutdown_says_why_the_running_tasks_ended(
    fs_broker: Broker, tmp_path: Path
) -> None:
    worker = Worker(fs_broker, tmp_path, pool="prefork", concurrency=2)
    with worker:
        early = worker.send("slow", 30)
        late = worker.send("slow_acks_late", 30)
        ended(worker, early, "task_started")
        ended(worker, late, "task_started")
        assert worker._proc is not None
        worker._proc.send_signal(signal.SIGQUIT)
        worker.wait_exit()
    ends = {"task_retrying", "task_failed", "task_rejected", "task_succeeded"}
    for task_id in (early, late):
        end = [r for r in worker.events(task_id) if r["event"] in ends]
        assert len(end) == 1, f"{task_id} ended {len(end)} times: {end}"
        if end[0]["event"] == "task_retrying":  # celery >= 5.5 cancels the running tasks
            assert end[0]["level"] == "warning"
            assert end[0]["reason"] == (
                "cancelled by the worker (cold shutdown, or broker connection lost)"
            )
        else:  # older celery terminates the pool: the tasks fail
            assert (end[0]["event"], end[0]["level"]) == ("task_failed", "error"), end
            assert end[0]["error"]["type"] == "billiard.exceptions.WorkerLostError"
