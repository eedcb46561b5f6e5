"""Eager mode (``task_always_eager``, ``task.apply()``): the same context, in-process."""

from __future__ import annotations

import logging

import pytest
from celery import Celery
from celery.exceptions import Retry

import celery_logkit
from celery_logkit._context import TASK_FIELDS

from ..helpers import Captured

log = celery_logkit.get_task_logger("eager_app.tasks")
plain = logging.getLogger("eager_app.plain")


@pytest.fixture(scope="module")
def app() -> Celery:
    app = Celery("eager_app", set_as_current=False)
    app.conf.task_always_eager = True
    celery_logkit.install(app)

    @app.task(name="eager_app.child")
    def child(x: int) -> int:
        log.info("child runs", x=x)
        return x

    @app.task(name="eager_app.parent", bind=True)
    def parent(self, x: int) -> int:  # type: ignore[no-untyped-def]
        celery_logkit.bind_contextvars(bound_in_task="leaks?")
        log.info("parent before child")
        child.apply(args=(x,))
        plain.info("parent after child")
        return x

    @app.task(name="eager_app.boom")
    def boom() -> None:
        log.info("about to raise")
        raise RuntimeError("boom")

    @app.task(name="eager_app.flaky", bind=True, max_retries=1, default_retry_delay=0)
    def flaky(self) -> None:  # type: ignore[no-untyped-def]
        raise self.retry(exc=ConnectionError("down"))

    return app


def test_delay_and_apply_carry_the_task(app: Celery, captured: Captured) -> None:
    celery_logkit.bind_contextvars(request_id="r-1")
    result = app.tasks["eager_app.parent"].delay(3)
    plain.info("after the task")

    before = captured.one("parent before child")
    assert before["task_id"] == result.id
    assert before["task_name"] == "eager_app.parent"
    assert before["request_id"] == "r-1"
    assert before["bound_in_task"] == "leaks?"
    inner = captured.one("child runs")
    assert inner["task_name"] == "eager_app.child"
    assert inner["task_id"] != result.id
    assert inner["x"] == 3
    after_child = captured.one("parent after child")
    assert after_child["task_id"] == result.id, "the outer task's context is restored"

    outside = captured.one("after the task")
    assert not set(TASK_FIELDS) & set(outside)
    assert outside["request_id"] == "r-1", "keys bound before the task are kept"
    assert "bound_in_task" not in outside, "keys bound inside the task do not leak"


def test_failing_task_still_clears_its_context(app: Celery, captured: Captured) -> None:
    app.conf.task_eager_propagates = False
    result = app.tasks["eager_app.boom"].apply()
    plain.info("after the failure")
    assert result.failed()
    assert captured.one("about to raise")["task_id"] == result.id
    assert not set(TASK_FIELDS) & set(captured.one("after the failure"))
    assert celery_logkit.current_task_context() == {}


def test_eager_tasks_log_their_lifecycle(app: Celery, captured: Captured) -> None:
    app.conf.task_eager_propagates = False
    ok = app.tasks["eager_app.parent"].apply(args=(2,))
    bad = app.tasks["eager_app.boom"].apply()
    events = [(r["event"], r["task_id"]) for r in captured.records if "event" in r]
    child_id = captured.one("child runs")["task_id"]
    assert events == [
        ("task_started", ok.id),
        ("task_started", child_id),
        ("task_succeeded", child_id),
        ("task_succeeded", ok.id),
        ("task_started", bad.id),
        ("task_failed", bad.id),
    ]
    failed = next(r for r in captured.records if r.get("event") == "task_failed")
    assert failed["level"] == "error"
    assert failed["error"]["type"] == "RuntimeError"
    assert not [r for r in captured.records if r["logger"] == "celery.app.trace"]


def test_propagated_failures_are_failures_not_internal_errors(
    app: Celery, captured: Captured
) -> None:
    app.conf.task_eager_propagates = True
    try:
        with pytest.raises(RuntimeError, match="boom"):
            app.tasks["eager_app.boom"].delay()
        with pytest.raises(Retry):
            app.tasks["eager_app.flaky"].apply(throw=True)
    finally:
        app.conf.task_eager_propagates = False
    boom_id = captured.one("about to raise")["task_id"]
    events = [r for r in captured.records if "event" in r]
    assert [(r["event"], r["level"]) for r in events] == [
        ("task_started", "info"),
        ("task_failed", "error"),
        ("task_started", "info"),
        ("task_retrying", "warning"),
    ], events
    failed = events[1]
    assert (failed["task_id"], failed["task_name"]) == (boom_id, "eager_app.boom")
    assert failed["error"]["type"] == "RuntimeError"
    assert failed["error"]["stack_trace"].endswith("RuntimeError: boom")
    assert failed["duration_ms"] >= 0
    assert events[3]["reason"] == "ConnectionError: down"
