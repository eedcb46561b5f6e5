"""Threads and executor calls started by a task log with that task's context."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from celery import Celery

import celery_logkit

from .helpers import Captured

log = logging.getLogger("threads_app.work")


@pytest.fixture(scope="module")
def app() -> Celery:
    app = Celery("threads_app", set_as_current=False)
    app.conf.task_always_eager = True
    celery_logkit.install(app)
    return app


def _in_thread(message: str, thread_class: type[threading.Thread] = threading.Thread) -> None:
    thread = thread_class(target=log.info, args=(message,))
    thread.start()
    thread.join()


def test_a_thread_started_by_a_task_logs_with_its_context(app: Celery, captured: Captured) -> None:
    @app.task(name="threads_app.starts_a_thread")
    def starts_a_thread() -> None:
        celery_logkit.bind_contextvars(order_id=7)
        _in_thread("from a thread")

    result = starts_a_thread.delay()
    _in_thread("from a thread after the task")

    line = captured.one("from a thread")
    assert line.get("task_id") == result.id, line
    assert line.get("task_name") == "threads_app.starts_a_thread", line
    assert line.get("order_id") == 7, line
    after = captured.one("from a thread after the task")
    assert "task_id" not in after, after
    assert "order_id" not in after, after


def test_an_executor_thread_reused_by_a_later_task_takes_that_tasks_context(
    app: Celery, captured: Captured
) -> None:
    executor = ThreadPoolExecutor(max_workers=1)  # one thread, created by the first submit

    @app.task(name="threads_app.submits", bind=True)
    def submits(self, n: int) -> None:  # type: ignore[no-untyped-def]
        celery_logkit.bind_contextvars(n=n)
        executor.submit(log.info, "submitted by %s", self.request.id).result()

    first, second = submits.delay(1), submits.delay(2)
    executor.submit(log.info, "submitted outside a task").result()
    executor.shutdown()

    for result, n in ((first, 1), (second, 2)):
        line = captured.one(f"submitted by {result.id}")
        assert line.get("task_id") == result.id, line
        assert line.get("n") == n, line
    outside = captured.one("submitted outside a task")
    assert "task_id" not in outside, outside
    assert "n" not in outside, outside


def test_thread_subclasses_and_timers_inherit_too(app: Celery, captured: Captured) -> None:
    class Worker(threading.Thread):
        def run(self) -> None:
            log.info("from a subclass's run")

    @app.task(name="threads_app.subclasses")
    def subclasses() -> None:
        worker = Worker()
        worker.start()
        worker.join()
        timer = threading.Timer(0, log.info, args=("from a timer",))
        timer.start()
        timer.join()
        with pytest.raises(RuntimeError):
            worker.start()  # started twice: refused as before, the thread left as it was
        assert "run" not in vars(worker)

    result = subclasses.delay()
    assert captured.one("from a subclass's run").get("task_id") == result.id
    assert captured.one("from a timer").get("task_id") == result.id


def test_importing_changes_no_thread_class() -> None:
    code = (
        "import threading, concurrent.futures as f; s, m = threading.Thread.start,"
        " f.ThreadPoolExecutor.submit; import celery_logkit;"
        " assert threading.Thread.start is s and f.ThreadPoolExecutor.submit is m"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
