"""JsonFormatter: one valid JSON object per record, in the default schema's order."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from types import SimpleNamespace
from typing import Any

import pytest

from celery_logkit import JsonFormatter, _errors, bind_contextvars, bound_contextvars
from celery_logkit import _collect as p
from celery_logkit._context import _task_context, task_ended, task_started

from .helpers import Captured


def format_record(record: logging.LogRecord, **kwargs: Any) -> dict[str, Any]:
    line = JsonFormatter(**kwargs).format(record)
    assert "\n" not in line
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def make_record(msg: str = "hello %s", args: Any = ("world",), **attrs: Any) -> logging.LogRecord:
    record = logging.LogRecord("proj.mod", logging.INFO, __file__, 10, msg, args, None)
    record.__dict__.update(attrs)
    return record


def test_base_fields_order_and_format() -> None:
    record = make_record()
    record.created = 1764084339.0456
    line = format_record(record)
    assert list(line) == ["timestamp", "level", "logger", "message"]
    assert line == {
        "timestamp": "2025-11-25T15:25:39.045Z",
        "level": "info",
        "logger": "proj.mod",
        "message": "hello world",
    }


def test_timestamp_is_utc_with_milliseconds() -> None:
    for created in (0.0, 0.9999, 1_000_000_000.5, 1764084339.999):
        stamp = p.rfc3339(created)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp), stamp
    assert p.rfc3339(0.0) == "1970-01-01T00:00:00.000Z"
    assert p.rfc3339(0.9999) == "1970-01-01T00:00:00.999Z"


def test_extra_and_context_order(captured: Captured) -> None:
    logger = logging.getLogger("proj.order")
    with bound_contextvars(request_id="r1"):
        logger.info("m", extra={"z": 1, "a": 2})
    record = captured.one("m")
    assert list(record) == ["timestamp", "level", "logger", "message", "request_id", "z", "a"]


def test_fields_are_found_when_a_filter_reordered_the_record() -> None:
    record = logging.LogRecord("proj.reordered", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update({"amount": 1, "order_id": 7})
    record.__dict__["msg"] = record.__dict__.pop("msg")  # now after the extra keys
    line = json.loads(JsonFormatter().format(record))
    assert (line["amount"], line["order_id"], line["message"]) == (1, 7, "m")
    assert "msg" not in line


def test_owned_names_are_never_replaced(captured: Captured) -> None:
    logger = logging.getLogger("proj.conflicts")
    bind_contextvars(level="bound")
    logger.info("m", extra={"task_id": "forged", "timestamp": "forged", "ok": 1})
    record = captured.one("m")
    assert record["level"] == "info"
    assert "task_id" not in record
    assert record["conflicts"] == {"level": "bound", "task_id": "forged", "timestamp": "forged"}
    assert record["ok"] == 1


def test_exception_is_an_object_with_the_chain() -> None:
    try:
        try:
            raise KeyError("k")
        except KeyError:
            raise ValueError("v")  # noqa: B904 - the implicit chain is the point
    except ValueError:
        import sys

        record = make_record(exc_info=sys.exc_info())
    line = format_record(record)
    assert line["error"]["type"] == "ValueError"
    assert line["error"]["message"] == "v"
    assert "During handling of the above exception" in line["error"]["stack_trace"]
    assert line["error"]["stack_trace"].startswith("Traceback")
    assert list(line)[-1] == "error"


def test_exception_type_is_qualified_outside_builtins() -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    assert p.exception_fields(SoftTimeLimitExceeded())["type"] == (
        "billiard.exceptions.SoftTimeLimitExceeded"
    )


def test_bad_percent_args_keep_the_record() -> None:
    line = format_record(make_record("%s and %s", ("only one",)))
    assert "%s and %s" in line["message"]
    assert "only one" in line["message"]


def test_unserialisable_values_still_make_a_line() -> None:
    class Raises:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

        __str__ = __repr__

    cyclic: list[Any] = []
    cyclic.append(cyclic)
    line = format_record(
        make_record(weird=Raises(), cyclic=cyclic, nan=float("nan"), key={1: b"\xff"}, s={"x"})
    )
    assert line["weird"] == "<unrepresentable Raises>"
    assert line["cyclic"] == ["<cycle>"]
    assert line["nan"] is None, "non-finite floats are null, as orjson writes them"
    assert line["key"] == {"1": "\\xff"}
    assert line["s"] == ["x"]


def test_celery_internal_data_extra_is_not_logged() -> None:
    record = make_record(data={"args": "secret"})
    record.name = "celery.app.trace"
    assert "data" not in format_record(record)
    record.name = "proj.mod"
    assert format_record(record)["data"] == {"args": "secret"}


def test_usable_from_dictconfig() -> None:
    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "json": {"()": "celery_logkit.JsonFormatter", "fmt": "%(message)s"},
                "json_class": {"class": "celery_logkit.JsonFormatter", "format": "%(message)s"},
            },
            "handlers": {
                "out": {"class": "logging.StreamHandler", "formatter": "json", "stream": stream},
            },
            "loggers": {"dictconfig.test": {"handlers": ["out"], "level": "INFO"}},
        }
    )
    logging.getLogger("dictconfig.test").info("configured %d", 1)
    assert json.loads(stream.getvalue())["message"] == "configured 1"


def test_unknown_schema_names_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match="'default'"):
        JsonFormatter(schema="nope")


def test_a_broken_processor_never_loses_the_record(capfd: pytest.CaptureFixture[str]) -> None:
    def broken(record: logging.LogRecord, event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bug")

    _errors._last.clear()
    formatter = JsonFormatter(processors=(broken,))
    lines = [json.loads(formatter.format(make_record())) for _ in range(3)]
    assert all(line["message"] == "hello world" for line in lines)
    reports = [json.loads(line) for line in capfd.readouterr().err.splitlines()]
    assert len(reports) == 1, "reported once a minute, not per record"
    assert all("internal error while formatting a record" in r["message"] for r in reports)


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
@pytest.mark.parametrize("method", ["format", "format_bytes"])
def test_the_last_resort_line_still_names_the_task(schema: str, method: str) -> None:
    def broken(record: logging.LogRecord, event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bug")

    formatter = JsonFormatter(schema=schema, processors=(broken,))
    task_started(SimpleNamespace(name="proj.charge", request=SimpleNamespace(id="t-1")))
    try:
        line = json.loads(getattr(formatter, method)(make_record()))
    finally:
        task_ended()
    assert (line["message"], line["task_id"], line["task_name"]) == (
        "hello world",
        "t-1",
        "proj.charge",
    )


def test_the_last_resort_line_survives_an_unreadable_task_context() -> None:
    class Unreadable(dict[str, Any]):
        def keys(self) -> Any:
            raise RuntimeError("unreadable")

        def items(self) -> Any:
            raise RuntimeError("unreadable")

        def __iter__(self) -> Any:
            raise RuntimeError("unreadable")

    token = _task_context.set(Unreadable(task_id="t-1"))
    try:
        line = json.loads(JsonFormatter().format(make_record()))
    finally:
        _task_context.reset(token)
    assert line["message"] == "hello world"
    assert "task_id" not in line


def test_a_field_whose_eq_raises_keeps_the_other_fields() -> None:
    class Ambiguous:
        def __eq__(self, other: object) -> bool:
            raise ValueError("truth value is ambiguous")

        __hash__ = object.__hash__

        def __str__(self) -> str:
            return "ambiguous"

    line = format_record(make_record(level=Ambiguous(), k=1))
    assert line["k"] == 1
    assert line["conflicts"] == {"level": "ambiguous"}


@pytest.mark.parametrize(
    ("schema", "names"),
    [
        ("default", {"timestamp", "level", "logger"}),
        ("ecs", {"@timestamp", "log.level", "ecs.version"}),
        ("datadog", {"timestamp", "status", "service"}),
    ],
)
@pytest.mark.parametrize("method", ["format", "format_bytes"])
def test_the_last_resort_line_is_in_the_formatter_schema(
    schema: str, names: set[str], method: str
) -> None:
    def broken(record: logging.LogRecord, event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bug")

    formatter = JsonFormatter(schema=schema, service="shop", processors=(broken,))
    line = json.loads(getattr(formatter, method)(make_record()))
    assert names <= set(line), line
    assert line["message"] == "hello world"


def test_the_last_resort_line_falls_back_to_the_default_names() -> None:
    """A schema that fails on the last resort's event too: the line in the default names."""

    def broken(record: logging.LogRecord, event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bug")

    def broken_head(record: logging.LogRecord) -> dict[str, Any]:
        raise RuntimeError("bug")

    formatter = JsonFormatter(schema="ecs", processors=(broken,))
    formatter._builder.head_and_task = broken_head  # type: ignore[method-assign]
    line = json.loads(formatter.format(make_record()))
    assert (line["level"], line["message"]) == ("info", "hello world")
