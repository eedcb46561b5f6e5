"""celery's own lines: a task's arguments and result only when asked, redacted."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from celery import Celery
from celery.app import trace
from celery.worker.consumer import consumer
from celery.worker.request import Request
from kombu import Message
from kombu.utils.json import dumps

from celery_logkit._celery_lines import NOT_LOGGED, CeleryLineArguments
from celery_logkit._config import Options


def _filtered(msg: str, args: Any, **options: Any) -> logging.LogRecord:
    record = logging.LogRecord("celery.app.trace", logging.INFO, __file__, 1, msg, args, None)
    if isinstance(record.args, dict):
        record.data = record.args
    assert CeleryLineArguments(lambda: Options(**options)).filter(record)
    return record


def _success() -> dict[str, Any]:
    return {
        "id": "i1",
        "name": "proj.login",
        "return_value": "{'user': 'bob', 'session_token': 'R1'}",
        "runtime": 0.1,
        "args": "('bob', 'A1')",
        "kwargs": "{'when': datetime.datetime(2024, 1, 1), 'auth': {'password': 'K1'}}",
    }


def test_not_asked_not_logged() -> None:
    context = _success()
    record = _filtered(trace.LOG_SUCCESS, (context,))
    text = record.getMessage()
    assert text == f"Task proj.login[i1] succeeded in 0.1s: {NOT_LOGGED}"
    assert record.data == {**context, "return_value": NOT_LOGGED, "args": NOT_LOGGED,
                           "kwargs": NOT_LOGGED}  # fmt: skip
    assert context == _success(), "celery's own dict is left as it was"


def test_asked_and_redacted() -> None:
    record = _filtered(trace.LOG_SUCCESS, (_success(),), log_args=True, log_result=True)
    assert record.getMessage().endswith(": {'user': 'bob', 'session_token': '[REDACTED]'}")
    assert record.data["args"] == "('bob', 'A1')", "positional args have no key"
    assert "K1" not in record.data["kwargs"]


def test_the_pools_apply_line_never_shows_the_message() -> None:
    msg = "TaskPool: Apply %s (args:%s kwargs:%s)"
    payload = "('proj.login', 'i1', {'kwargsrepr': \"{'password': 'K1'}\"}, b'[[], {}]')"
    record = _filtered(msg, ("<function f>", payload, "{}"), log_args=True)
    shown = f"TaskPool: Apply <function f> (args:{NOT_LOGGED} kwargs:{NOT_LOGGED})"
    assert record.getMessage() == shown


@pytest.mark.parametrize(
    ("msg", "position"),
    [(consumer.UNKNOWN_TASK_ERROR, 1), (consumer.INVALID_TASK_ERROR, 1),
     (consumer.UNKNOWN_FORMAT, 0)],
)  # fmt: skip
def test_message_bodies_are_never_logged(msg: str, position: int) -> None:
    args = ["x"] * msg.count("%s")
    args[position] = "(['bob'], {'password': 'K1'}, {}) (40b)"
    assert "K1" not in _filtered(msg, tuple(args), log_args=True).getMessage()


def test_a_request_stands_for_itself_without_its_arguments() -> None:
    app = Celery("lines", set_as_current=False)

    @app.task(name="proj.login")
    def login(user: str, password: str) -> None: ...

    sent = app.amqp.as_task_v2("i1", login.name, args=("bob",), kwargs={"password": "K1"})
    message = Message(
        body=dumps(sent.body), headers=sent.headers, content_type="application/json",
        content_encoding="utf-8",
    )  # fmt: skip
    request = Request(message, app=app, task=login)
    assert "K1" in repr(request)
    record = _filtered("Failed to cancel active request %r", (request,))
    assert record.getMessage() == "Failed to cancel active request proj.login[i1]"


def test_mappings_among_the_arguments() -> None:
    info = {"id": "i1", "args": "('bob',)", "kwargs": "{'password': 'K1'}"}
    record = _filtered("Task: %r", (info,))
    assert "K1" not in record.getMessage()
    assert "bob" not in record.getMessage()
