"""Lifecycle pieces that need no worker: levels, celery's replaced lines, dedupe."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from celery.app import trace
from celery.exceptions import Retry
from celery.worker import state as worker_state

from celery_logkit._config import Options
from celery_logkit._lifecycle import ReplacedCeleryLines, TaskLifecycle, _signame
from celery_logkit._vocabulary import TaskRecord

from .helpers import Captured


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_celery_lines_replaced_unless_kept() -> None:
    lifecycle = TaskLifecycle(Options)
    keep = False
    replaced = ReplacedCeleryLines(lifecycle, lambda: keep)
    exc = RuntimeError("lost")
    lifecycle.on_task_failure(sender=SimpleNamespace(name="t"), task_id="1", exception=exc)
    dropped = [
        record("celery.app.trace", trace.LOG_SUCCESS, {}),
        record("celery.app.trace", trace.LOG_FAILURE.strip(), {}),
        record("celery.app.trace", trace.LOG_RETRY, {}),
        record("celery.app.trace", trace.LOG_REJECTED.strip(), {}),
        record("celery.app.trace", trace.LOG_IGNORED, {"description": "ignored"}),
        record("celery.worker.strategy", trace.LOG_RECEIVED, {}),
        record("celery.worker.request", "Discarding revoked task: %s[%s]", "t", "1"),
        record("celery.worker.request", "Task handler raised error: %r", exc),
    ]
    kept = [
        record("celery.worker.request", "Task handler raised error: %r", RuntimeError("other")),
        record("celery.worker.request", "Soft time limit (%ss) exceeded for %s[%s]", 1, "t", "1"),
        record(
            "celery.app.trace",
            trace.LOG_IGNORED,
            {"description": "Task already completed successfully."},
        ),
    ]
    assert [replaced.filter(r) for r in dropped] == [False] * len(dropped)
    assert all(replaced.filter(r) for r in kept)
    keep = True
    assert all(replaced.filter(r) for r in dropped)


def test_failure_logged_once_per_task(captured: Captured) -> None:
    lifecycle = TaskLifecycle(Options)
    task = SimpleNamespace(name="proj.t", request=SimpleNamespace(id=None))
    for _ in range(2):
        lifecycle.on_task_failure(sender=task, task_id="abc", exception=ValueError("x"))
    failed = [r for r in captured.records if r.get("event") == "task_failed"]
    assert len(failed) == 1
    assert (failed[0]["task_id"], failed[0]["task_name"]) == ("abc", "proj.t")
    assert failed[0]["error"]["type"] == "ValueError"


def test_turned_off_event_writes_nothing(captured: Captured) -> None:
    turned_off = TaskLifecycle(lambda: Options(event_levels={"task_not_found": None}))
    turned_off.on_task_unknown(name="nope", id="off")
    TaskLifecycle(Options).on_task_unknown(name="nope", id="on")
    lines = [(r.get("event"), r.get("task_id")) for r in captured.records]
    assert lines == [("task_not_found", "on")], "only the lifecycle that keeps the event writes it"


def test_signal_names() -> None:
    assert _signame(15) == (15, "SIGTERM")
    assert _signame("9") == (9, "SIGKILL")
    assert _signame(None) == (None, None)
    assert _signame(999) == (999, None)


UNPRINTABLE = "<exception str() failed>"
"""What Python's tracebacks print for an exception whose ``__str__`` raises."""


class BadStr(Exception):
    """An exception whose ``__str__`` reads an attribute its ``__init__`` did not set."""

    def __str__(self) -> str:
        return f"API error {self.detail}"  # type: ignore[attr-defined]


def test_an_exception_whose_str_raises_is_still_described(captured: Captured) -> None:
    lifecycle = TaskLifecycle(Options)
    task = SimpleNamespace(name="proj.call", request=SimpleNamespace(id=None), max_retries=3)
    request = SimpleNamespace(id="r1", retries=0)
    lifecycle.on_task_retry(sender=task, request=request, reason=Retry(exc=BadStr(1), when=5))
    try:
        raise BadStr(500)
    except BadStr as exc:
        lifecycle.on_task_failure(sender=task, task_id="f1", exception=exc)
    events = {r["event"]: r for r in captured.records}
    assert set(events) == {"task_retrying", "task_failed"}, captured.records
    retrying = events["task_retrying"]
    assert (retrying["task_id"], retrying["level"]) == ("r1", "warning")
    assert retrying["reason"] == f"BadStr: {UNPRINTABLE}"
    failed = events["task_failed"]
    assert (failed["task_id"], failed["task_name"], failed["level"]) == ("f1", "proj.call", "error")
    assert failed["message"] == f"Task proj.call[f1] failed: BadStr: {UNPRINTABLE}"
    error = failed["error"]
    assert error["type"].endswith("BadStr")
    assert error["message"] == UNPRINTABLE
    assert error["stack_trace"].endswith(f"BadStr: {UNPRINTABLE}"), "message and stack agree"


def test_a_main_process_line_naming_a_task_gets_its_context(
    captured: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    lifecycle = TaskLifecycle(Options)
    replaced = ReplacedCeleryLines(lifecycle, lambda: False)
    request = SimpleNamespace(id="t1", name="proj.slow", eta=None, hostname="w@h", retries=0)
    monkeypatch.setitem(worker_state.requests, "t1", request)  # as the worker reserves it
    template = "Hard time limit (%ss) exceeded for %s[%s]"
    line = record("celery.worker.request", template, 1, "proj.slow", "t1")
    other = record("celery.worker.request", template, 1, "proj.slow", "unknown")
    assert replaced.filter(line)
    assert replaced.filter(other)
    known = {"task_id": "t1", "task_name": "proj.slow", "retries": 0, "worker": "w@h"}
    assert {k: line.__dict__.get(k) for k in known} == known
    assert isinstance(line, TaskRecord)
    assert "task_id" not in other.__dict__
    assert not isinstance(other, TaskRecord)


def test_a_task_the_worker_cancelled_says_so(captured: Captured) -> None:
    lifecycle = TaskLifecycle(Options)
    task = SimpleNamespace(name="proj.slow", max_retries=3)
    request = SimpleNamespace(id="c1", task=task, retries=0, time_start=1.0)
    lifecycle.on_task_retry(sender=task, request=request)  # celery's cancel path: no reason
    lifecycle.after_request_cancelled(request, emit_retry=False)  # acks_late: no signal
    lifecycle.after_request_cancelled(SimpleNamespace(id="c2", time_start=None), emit_retry=False)
    retrying = [r for r in captured.records if r.get("event") == "task_retrying"]
    assert [(r["task_id"], r["level"]) for r in retrying] == [("c1", "warning")] * 2
    assert {r["reason"] for r in retrying} == {
        "cancelled by the worker (cold shutdown, or broker connection lost)"
    }
