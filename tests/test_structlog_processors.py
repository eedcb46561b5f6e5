"""structlog set-ups the app made itself: logkit's processor, and JsonFormatter as target."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

import celery_logkit
from celery_logkit import JsonFormatter, add_task_context
from celery_logkit._context import task_ended, task_started

TRACER = TracerProvider().get_tracer("tests")


@pytest.fixture
def in_task() -> Iterator[None]:
    request = SimpleNamespace(id="t1", retries=0, root_id="t1", hostname="celery@h")
    task_started(SimpleNamespace(name="proj.charge", request=request))
    try:
        yield
    finally:
        task_ended()
        celery_logkit.clear_contextvars()


def test_exported_from_the_package() -> None:
    assert celery_logkit.add_task_context is add_task_context
    assert "add_task_context" in celery_logkit.__all__


def test_nothing_outside_a_task() -> None:
    assert add_task_context(None, "info", {"event": "idle"}) == {"event": "idle"}


@pytest.mark.usefixtures("in_task")
def test_task_context_and_trace_ids_keys_already_there_win() -> None:
    with TRACER.start_as_current_span("task") as span:
        event = add_task_context(None, "info", {"event": "x", "task_name": "mine"})
    assert event["task_id"] == "t1"
    assert event["task_name"] == "mine"
    assert (event["retries"], event["root_id"], event["worker"]) == (0, "t1", "celery@h")
    assert int(event["trace_id"], 16) == span.get_span_context().trace_id
    assert int(event["span_id"], 16) == span.get_span_context().span_id


@pytest.mark.usefixtures("in_task")
def test_structlog_native_rendering() -> None:
    log = structlog.wrap_logger(
        structlog.ReturnLogger(),
        processors=[
            structlog.contextvars.merge_contextvars,
            add_task_context,
            structlog.processors.add_log_level,
            structlog.processors.JSONRenderer(),
        ],
    )
    celery_logkit.bind_contextvars(request_id="req-7")
    line = json.loads(log.info("charged", amount=9.5))
    assert line == {
        "event": "charged",
        "amount": 9.5,
        "request_id": "req-7",
        "task_id": "t1",
        "task_name": "proj.charge",
        "retries": 0,
        "root_id": "t1",
        "worker": "celery@h",
        "level": "info",
    }


def stdlib_logger(name: str, formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream


def via_stdlib(logger: logging.Logger) -> Any:
    return structlog.wrap_logger(
        logger,
        processors=[
            structlog.contextvars.merge_contextvars,
            add_task_context,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


@pytest.mark.usefixtures("in_task")
def test_processor_formatter_keeps_its_renderer_and_gets_the_context() -> None:
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
        foreign_pre_chain=[add_task_context, structlog.stdlib.add_log_level],
    )
    logger, stream = stdlib_logger("coexist.pf", formatter)
    via_stdlib(logger).info("from structlog", order=7)
    logger.warning("from logging %s", "plain")
    structlog_line, plain_line = (json.loads(t) for t in stream.getvalue().splitlines())
    assert structlog_line["event"] == "from structlog"
    assert structlog_line["order"] == 7
    assert structlog_line["task_id"] == plain_line["task_id"] == "t1"
    assert plain_line["event"] == "from logging plain"
    assert plain_line["level"] == "warning"


@pytest.mark.usefixtures("in_task")
def test_json_formatter_as_the_processor_formatter_target() -> None:
    logger, stream = stdlib_logger("coexist.jf", JsonFormatter(schema="default"))
    log = via_stdlib(logger).bind(order=7)
    log.info("charged", name="bob", amount=9.5, password="hunter2")
    try:
        raise ValueError("card declined")
    except ValueError:
        log.exception("charge failed")
    log.error("rendered", exception="Traceback ...\nKeyError: 'x'")
    charged, failed, rendered = (json.loads(t) for t in stream.getvalue().splitlines())

    assert charged["message"] == "charged"
    assert charged["logger"] == "coexist.jf"
    assert charged["level"] == "info"
    assert (charged["task_id"], charged["task_name"]) == ("t1", "proj.charge")
    assert (charged["order"], charged["name"], charged["amount"]) == (7, "bob", 9.5)
    assert charged["password"] == "[REDACTED]"
    assert "conflicts" not in charged, "structlog's level, logger and timestamp are the line's"
    assert not {"event", "_logger", "_name", "_record"} & charged.keys()

    assert failed["level"] == "error"
    assert failed["error"]["type"] == "ValueError"
    assert "card declined" in failed["error"]["stack_trace"]
    assert rendered["error"] == {"stack_trace": "Traceback ...\nKeyError: 'x'"}


def test_a_dict_message_from_plain_logging_is_unchanged(captured: Any) -> None:
    logging.getLogger("coexist.dict").info({"event": "not structlog"})
    (line,) = captured.records
    assert line["message"] == "{'event': 'not structlog'}"
