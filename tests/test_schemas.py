"""The ecs and datadog schemas against their specs; the default schema's trace ids."""

from __future__ import annotations

import contextlib
import contextvars
import csv
import json
import logging
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider

from celery_logkit import JsonFormatter
from celery_logkit._context import _task_context
from celery_logkit._vocabulary import LOGRECORD_ATTRS, EventRecord, TaskRecord
from celery_logkit.schemas import SCHEMAS, Constant, Schema
from celery_logkit.schemas._datadog_fields import STANDARD as DATADOG_FIELDS
from celery_logkit.schemas.datadog import dd_ids
from celery_logkit.schemas.default import DEFAULT

SPECS = Path(__file__).resolve().parent / "specs"
TRACER = TracerProvider().get_tracer("tests")

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "keyword": (str,), "constant_keyword": (str,), "wildcard": (str,),
    "match_only_text": (str,), "text": (str,), "date": (str,), "ip": (str,),
    "long": (int,), "integer": (int,), "float": (int, float), "double": (int, float),
    "scaled_float": (int, float), "boolean": (bool,), "object": (dict,),
    "flattened": (dict,), "nested": (list, dict), "geo_point": (dict, str, list),
}  # fmt: skip


def ecs_field_types() -> dict[str, str]:
    with (SPECS / "ecs-fields.csv").open(newline="") as file:
        return {row["Field"]: row["Type"] for row in csv.DictReader(file)}


def flatten(obj: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in obj.items():
        path = f"{prefix}{key}"
        yield path, value
        if isinstance(value, dict):
            yield from flatten(value, f"{path}.")


def lines(schema: str, **formatter: Any) -> list[dict[str, Any]]:
    """Render a spread of records: plain, fields, collisions, exception, lifecycle, trace."""
    fmt = JsonFormatter(schema=schema, service="billing", env="prod", version="1.2.3", **formatter)
    task = {"task_id": "t1", "task_name": "proj.charge", "retries": 1, "root_id": "r1",
            "queue": "celery", "worker": "celery@h"}  # fmt: skip
    rendered = []

    def record(
        msg: str, level: int = logging.INFO, exc: Any = None, cls: type | None = None, **attrs: Any
    ) -> None:
        rec = logging.LogRecord("proj.tasks", level, __file__, 1, msg, (), exc)
        rec.__dict__.update(attrs)
        if cls is not None:
            rec.__class__ = cls
        rendered.append(json.loads(fmt.format(rec)))

    record("plain")
    record("fields", order_id=7, amount=9.5)
    collisions = {"error": "a string", "service": "other", "user": {"id": 1}, "host": "h",
                  "message": "m", "status": "x", "log.level": 3, "event": "e", "celery": 1,
                  "duration": "d", "dd": "d", "trace_id": "t"}  # fmt: skip
    record("collisions", **collisions)
    try:
        try:
            raise KeyError("inner")
        except KeyError as inner:
            raise ValueError("outer") from inner
    except ValueError:
        record("failed", logging.ERROR, sys.exc_info())
    lifecycle = {"duration_ms": 12.5, "attempt": 2, "reason": "ConnectionError: x"}
    record("Task proj.charge[t1] succeeded", cls=EventRecord, event="task_succeeded", **task,
           **lifecycle)  # fmt: skip
    with TRACER.start_as_current_span("work"):
        record("traced", cls=TaskRecord, **task)
    return rendered


def by_message(rendered: list[dict[str, Any]], message: str) -> dict[str, Any]:
    return next(r for r in rendered if r["message"] == message)


def test_ecs_lines_follow_the_ecs_logging_spec() -> None:
    spec = json.loads((SPECS / "ecs-logging-spec.json").read_text())["fields"]
    ordered = sorted((f["index"], name) for name, f in spec.items() if "index" in f)
    for line in lines("ecs"):
        assert list(line)[: len(ordered)] == [name for _, name in ordered]
        for name, field in spec.items():
            if field.get("required"):
                assert name in line, (name, line)
            if field.get("top_level_field"):
                assert name in line, f"{name} must be a top-level dotted key"
        assert line["ecs.version"].startswith("8.")


def test_ecs_fields_have_the_types_the_field_list_gives() -> None:
    types = ecs_field_types()
    checked = set()
    for line in lines("ecs"):
        for path, value in flatten(line):
            ecs_type = types.get(path)
            if ecs_type in JSON_TYPES:
                assert isinstance(value, JSON_TYPES[ecs_type]), (path, ecs_type, value)
                assert not isinstance(value, bool) or ecs_type == "boolean", (path, value)
                checked.add(path)
            elif path.split(".")[0] in {"log", "event", "error", "service", "process", "host"}:
                assert isinstance(value, dict), f"{path} is not an ECS field"
    assert {"event.duration", "error.stack_trace", "process.pid", "trace.id"} <= checked


def test_ecs_mapping() -> None:
    rendered = lines("ecs")
    plain = by_message(rendered, "plain")
    assert plain["service"] == {"name": "billing", "version": "1.2.3", "environment": "prod"}
    assert plain["event"]["dataset"] == "billing"
    assert plain["log"]["logger"] == "proj.tasks"
    assert plain["log.level"] == "info"
    failed = by_message(rendered, "failed")["error"]
    assert failed["type"] == "ValueError"
    assert "KeyError: 'inner'" in failed["stack_trace"], "chained causes included"
    done = by_message(rendered, "Task proj.charge[t1] succeeded")
    assert done["event"]["action"] == "task_succeeded"
    assert done["event"]["duration"] == 12_500_000
    assert (done["task_id"], done["task_name"]) == ("t1", "proj.charge")
    assert done["celery"] == {"retries": 1, "root_id": "r1", "queue": "celery",
                              "attempt": 2, "reason": "ConnectionError: x"}  # fmt: skip
    assert done["event"]["outcome"] == "success"
    assert done["service"]["node"] == {"name": "celery@h"}, "the worker is the service's node"
    collided = by_message(rendered, "collisions")
    assert collided["conflicts"] == {
        "error": "a string", "service": "other", "host": "h", "log.level": 3, "event": "e",
        "celery": 1,
    }  # fmt: skip
    assert collided["trace_id"] == "t", "not ECS's name for a trace: the caller's own"
    assert collided["user"] == {"id": "1"}, "an ECS field in its place, as the keyword it is"
    assert (collided["status"], collided["duration"], collided["dd"]) == ("x", "d", "d")
    assert collided["log.level"] == "info"
    traced = by_message(rendered, "traced")
    assert len(traced["trace"]["id"]) == 32
    assert len(traced["span"]["id"]) == 16
    assert "trace" not in plain


def test_datadog_mapping() -> None:
    rendered = lines("datadog")
    plain = by_message(rendered, "plain")
    assert list(plain)[:3] == ["timestamp", "status", "message"]
    assert (plain["service"], plain["env"], plain["version"]) == ("billing", "prod", "1.2.3")
    assert plain["logger"] == {"name": "proj.tasks", "thread_name": "MainThread"}
    failed = by_message(rendered, "failed")
    assert failed["status"] == "error"
    assert failed["error"]["kind"] == "ValueError"
    assert failed["error"]["message"] == "outer"
    assert "KeyError: 'inner'" in failed["error"]["stack"]
    done = by_message(rendered, "Task proj.charge[t1] succeeded")
    assert done["evt"] == {"name": "task_succeeded", "outcome": "success"}
    assert done["duration"] == 12_500_000
    assert done["celery"]["attempt"] == 2
    assert done["celery"]["worker"] == "celery@h"
    collided = by_message(rendered, "collisions")
    for key in ("error", "service", "host", "status", "dd", "trace_id", "celery"):
        assert key in collided["conflicts"], key
    assert collided["conflicts"]["duration"] == "d", "duration is a number of ns"
    assert collided["service"] == "billing"
    assert collided["user"] == {"id": 1}, "not Datadog's usr: the caller's own"
    traced = by_message(rendered, "traced")
    assert set(traced["dd"]) == {"trace_id", "span_id"}
    assert all(isinstance(v, str) and v.isdigit() for v in traced["dd"].values())
    assert "dd" not in plain


def test_datadog_ids_from_an_opentelemetry_trace() -> None:
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    assert dd_ids(trace_id, "00f067aa0ba902b7") == (
        str(0x8448EB211C80319C),
        str(0x00F067AA0BA902B7),
    )


def test_datadog_keeps_what_ddtrace_put_on_the_record() -> None:
    fmt = JsonFormatter(schema="datadog")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update({"dd.trace_id": "123", "dd.span_id": "456", "dd.service": "svc"})
    with TRACER.start_as_current_span("otel"):
        line = json.loads(fmt.format(record))
    assert line["dd"] == {"trace_id": "123", "span_id": "456"}, "not contradicted by OTel's"
    assert not [k for k in line if k.startswith("dd.")], "once, in the dd object"
    assert "svc" not in json.dumps(line.get("conflicts", {}))


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_ddtrace_outside_a_span_adds_no_ids(schema: str) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    injected = {"dd.trace_id": "0", "dd.span_id": "0", "dd.service": "svc", "dd.env": ""}
    record.__dict__.update({**injected, "dd.version": ""})
    line = json.loads(JsonFormatter(schema=schema, service="billing").format(record))
    text = json.dumps(line)
    assert '"0"' not in text
    assert "trace" not in text
    assert "dd" not in line
    assert "svc" not in text, "logkit's service wins over ddtrace's"


@pytest.mark.parametrize(
    ("injected", "expected"),
    [
        (("6b072bf8000000007f5079d87cdb29d6", "11206194599600469856"),
         ("6b072bf8000000007f5079d87cdb29d6", "9b84669d89163760")),
        (("9172381829109891234", "42"), (f"{9172381829109891234:032x}", f"{42:016x}")),
    ],
)  # fmt: skip
def test_ddtrace_ids_are_the_trace_in_default_and_ecs(
    injected: tuple[str, str], expected: tuple[str, str]
) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update({"dd.trace_id": injected[0], "dd.span_id": injected[1]})
    default = json.loads(JsonFormatter().format(record))
    assert (default["trace_id"], default["span_id"]) == expected
    assert not [k for k in default if k.startswith("dd")]
    ecs = json.loads(JsonFormatter(schema="ecs").format(record))
    assert (ecs["trace"]["id"], ecs["span"]["id"]) == expected
    datadog = json.loads(JsonFormatter(schema="datadog").format(record))
    assert datadog["dd"] == {"trace_id": injected[0], "span_id": injected[1]}


def test_default_schema_trace_ids_only_with_a_span() -> None:
    rendered = lines("default")
    traced = by_message(rendered, "traced")
    assert len(traced["trace_id"]) == 32
    assert len(traced["span_id"]) == 16
    assert list(traced).index("trace_id") > list(traced).index("task_id")
    assert "trace_id" not in by_message(rendered, "plain"), "no '0' ids without a span"


FIELD_NAMES = (
    "amount", "order_id", "password", "api_key", "log", "log.origin", "host", "service",
    "celery", "dd", "status", "evt", "labels", "user.id", "data", "queue_wait_ms", "x.y",
    "message", "task_id", "extra", "error", "trace_id", "level", "stack_info",
)  # fmt: skip
FIELD_VALUES = st.one_of(
    st.integers(), st.text(max_size=8), st.none(),
    st.dictionaries(st.sampled_from(("a", "token", "b")), st.integers(), max_size=2),
)  # fmt: skip
FIELDS = st.dictionaries(
    st.sampled_from(FIELD_NAMES) | st.text(max_size=6), FIELD_VALUES, max_size=4
)
TASK_CONTEXTS = st.sampled_from(
    (
        {},
        {"task_id": "t1", "task_name": "proj.charge", "retries": 0, "root_id": "t1",
         "worker": "celery@h"},
        {"task_name": "proj.charge", "retries": 2, "parent_id": "p", "group_id": "g",
         "queue": "q"},
        {"task_id": "t1", "task_name": "proj.charge", "tenant": "acme"},
    )
)  # fmt: skip


STRUCTLOG = "<a structlog event dict>"
FORMATTERS: dict[tuple[str, str], JsonFormatter] = {}


def failure() -> BaseException:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        return exc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schema=st.sampled_from(("default", "ecs", "datadog")),
    formatter=st.sampled_from(
        (
            {},
            {"redact_keys": []},
            {"env": "prod", "version": "1"},
            {"max_line_bytes": 300},
            {"log_origin": True},
        )
    ),
    name=st.sampled_from(("proj.tasks", "celery.app.trace", "proj.\ud800")),
    level=st.sampled_from((logging.INFO, logging.ERROR, 5)),
    message=st.sampled_from((("plain", ()), ("n=%d", (3,)), ("bad %d", ("x",)), (STRUCTLOG, ()))),
    extra=FIELDS,
    keywords=FIELDS,
    bound=FIELDS,
    task=TASK_CONTEXTS,
    kind=st.sampled_from(("", "task", "event")),
    error=st.sampled_from(("", "exc_info", "exc_text", "stack_info")),
    trace=st.sampled_from(("", "span", "ddtrace")),
)
def test_every_line_follows_its_schema(  # noqa: PLR0912 - one record of every kind
    schema: str,
    formatter: dict[str, Any],
    name: str,
    level: int,
    message: tuple[str, tuple[Any, ...]],
    extra: dict[str, Any],
    keywords: dict[str, Any],
    bound: dict[str, Any],
    task: dict[str, Any],
    kind: str,
    error: str,
    trace: str,
) -> None:
    """Any record, in any schema: each field the schema defines has the type it gives.

    ECS fields are checked against the ECS field list, Datadog's against its standard
    attributes; a caller's value that would not fit is in ``conflicts``, never in place.
    The formatters live across examples, so their caches are warm.
    """
    key = (schema, repr(formatter))
    fmt = FORMATTERS.get(key) or FORMATTERS.setdefault(
        key, JsonFormatter(schema=schema, service="billing", **formatter)
    )
    record = logging.LogRecord(
        name, level, __file__, 1, message[0], message[1],
        (type(failure()), failure(), None) if error == "exc_info" else None,
        sinfo="Stack (most recent call last):\n  here" if error == "stack_info" else None,
    )  # fmt: skip
    if record.msg is STRUCTLOG:
        record.msg = {"event": "from structlog", "order": 3, "level": "info", "exc_info": False}
        record.__dict__.update({"_logger": None, "_name": "info"})
    if error == "exc_text":
        record.exc_text = "Traceback: rendered"
    record.__dict__.update({k: v for k, v in extra.items() if k not in LOGRECORD_ATTRS})
    record.__dict__.update({k: v for k, v in keywords.items() if k not in LOGRECORD_ATTRS})
    if kind:
        record.__dict__.update(task)
        record.__class__ = EventRecord if kind == "event" else TaskRecord
        if kind == "event":
            record.__dict__.update({"event": "task_succeeded", "duration_ms": 1.5})
    if trace == "ddtrace":
        record.__dict__.update({"dd.trace_id": "123", "dd.span_id": "456", "dd.env": "staging"})

    def format_line() -> dict[str, Any]:
        structlog.contextvars.bind_contextvars(**bound)
        _task_context.set(task)
        return dict(json.loads(fmt.format_bytes(record)))

    with TRACER.start_as_current_span("s") if trace == "span" else contextlib.nullcontext():
        line = contextvars.copy_context().run(format_line)
    placed = {k: v for k, v in line.items() if k != "conflicts"}
    if schema == "ecs":
        types = ecs_field_types()
        for path, value in flatten(placed):
            ecs_type = types.get(path)
            if ecs_type in JSON_TYPES and not line.get("truncated"):
                values = value if isinstance(value, list) and ecs_type != "nested" else [value]
                for one in values:
                    assert isinstance(one, JSON_TYPES[ecs_type]), (path, ecs_type, value)
    elif schema == "datadog":
        for path, value in flatten(placed):
            kind_of = DATADOG_FIELDS.get(path)
            if kind_of == "number":
                assert isinstance(value, int | float), (path, value)
                assert not isinstance(value, bool), (path, value)
            elif kind_of == "string" and not line.get("truncated"):
                assert isinstance(value, str | int | float | list), (path, value)
    if task.get("task_id") and kind != "event" and "task_id" in line:
        assert line["task_id"] == task["task_id"]


@pytest.mark.parametrize("schema", ["ecs", "datadog"])
@pytest.mark.parametrize(
    ("extra", "max_line_bytes"), [({"big": 2**70}, 16_384), ({"long": "x" * 2000}, 700)]
)
def test_the_line_head_written_once_stays_an_object(
    schema: str, extra: dict[str, Any], max_line_bytes: int
) -> None:
    """Past the size cap, or with a value only the stdlib encoder writes, the head is whole."""
    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update(extra)
    line = json.loads(JsonFormatter(schema=schema, max_line_bytes=max_line_bytes).format(record))
    assert ("big" in line) == ("big" in extra)
    assert line.get("truncated", False) == ("long" in extra)
    assert isinstance(line["process"] if schema == "ecs" else line["logger"], dict)


def test_a_message_formatted_first_as_on_the_event_dict_path() -> None:
    """The message's own ``__str__`` runs before the caller's fields are read."""

    class BindsOnStr:
        def __str__(self) -> str:
            structlog.contextvars.bind_contextvars(seen=True)
            return "x"

    def line() -> dict[str, Any]:
        record = logging.LogRecord("proj", logging.INFO, __file__, 1, "%s", (BindsOnStr(),), None)
        return dict(json.loads(JsonFormatter(schema="ecs").format(record)))

    assert contextvars.copy_context().run(line)["seen"] is True


def one_line(schema: str | Schema, *, cls: type | None = None, **attrs: Any) -> dict[str, Any]:
    record = logging.LogRecord("proj.tasks", logging.INFO, __file__, 7, "m", (), None)
    record.__dict__.update(attrs)
    if cls is not None:
        record.__class__ = cls
    return dict(json.loads(JsonFormatter(schema=schema, service="billing").format(record)))


def test_ecs_fields_the_caller_sets_are_placed_where_ecs_puts_them() -> None:
    line = one_line(
        "ecs",
        **{"user.id": "42", "client.ip": "10.0.0.1", "http.request.method": "GET",
           "url.path": "/pay", "network.protocol": "http", "event.action": "paid"},
        labels={"tenant": "acme"}, tags=["vip"], user={"name": "ann"}, order_id=7,
    )  # fmt: skip
    assert line["user"] == {"id": "42", "name": "ann"}
    assert line["client"] == {"ip": "10.0.0.1"}
    assert line["http"] == {"request": {"method": "GET"}}
    assert line["url"] == {"path": "/pay"}
    assert line["network"] == {"protocol": "http"}
    assert line["labels"] == {"tenant": "acme"}
    assert line["tags"] == ["vip"]
    assert line["event"] == {"dataset": "billing", "action": "paid"}
    assert line["order_id"] == 7
    assert "conflicts" not in line


def test_an_ecs_field_whose_value_does_not_fit_its_type_is_a_conflict() -> None:
    line = one_line(
        "ecs", **{"client.ip": "not an ip", "http.response.status_code": "two hundred"},
        user="bob", host={"hostname": "forged"},
    )  # fmt: skip
    assert line["conflicts"] == {
        "client.ip": "not an ip",
        "http.response.status_code": "two hundred",
        "user": "bob",
        "host": {"hostname": "forged"},
    }
    assert "client" not in line
    assert "user" not in line
    assert line["host"]["hostname"] != "forged"


def test_on_a_task_s_event_its_own_keys_are_the_line_s() -> None:
    line = one_line("ecs", cls=EventRecord, event="task_failed", task_id="t1", duration_ms=2.0)
    assert line["event"] == {
        "dataset": "billing", "action": "task_failed", "outcome": "failure", "duration": 2_000_000
    }  # fmt: skip


def test_datadog_standard_attributes_the_caller_sets_are_placed() -> None:
    line = one_line(
        "datadog",
        **{"usr.id": "42", "network.client.ip": "10.0.0.1", "http.status_code": 200,
           "evt.name": "payment"},
        http={"method": "POST", "url": "/pay"}, duration=1500, ddtags="team:payments",
    )  # fmt: skip
    assert line["usr"] == {"id": "42"}
    assert line["network"] == {"client": {"ip": "10.0.0.1"}}
    assert line["http"] == {"status_code": 200, "method": "POST", "url": "/pay"}
    assert line["evt"] == {"name": "payment"}
    assert line["duration"] == 1500
    assert line["ddtags"] == "team:payments"
    assert "conflicts" not in line


@pytest.mark.parametrize(
    ("schema", "path"),
    [("default", ("stack_info",)), ("ecs", ("error", "stack_trace")),
     ("datadog", ("error", "stack"))],
)  # fmt: skip
def test_stack_info_is_where_the_schema_reads_a_stack(schema: str, path: tuple[str, ...]) -> None:
    logger = logging.getLogger(f"proj.stack.{schema}")
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(schema=schema))
    logger.addHandler(handler)
    try:
        logger.warning("where am I", stack_info=True)
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    value: Any = line
    for key in path:
        value = value[key]
    assert value.startswith("Stack (most recent call last)")
    assert "stack_info" not in line or schema == "default"


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ("default", lambda line: line["origin"]),
        ("ecs", lambda line: {"file": line["log"]["origin"]["file"]["name"],
                              "line": line["log"]["origin"]["file"]["line"],
                              "function": line["log"]["origin"]["function"]}),
        ("datadog", lambda line: {"file": line["logger"]["file_name"],
                                  "line": line["logger"]["line"],
                                  "function": line["logger"]["method_name"]}),
    ],
)  # fmt: skip
def test_log_origin_is_opt_in(schema: str, where: Any) -> None:
    record = logging.LogRecord("proj", logging.INFO, "/app/proj/tasks.py", 12, "m", (), None)
    record.funcName = "charge"
    plain = json.loads(JsonFormatter(schema=schema).format(record))
    assert "origin" not in json.dumps(plain)
    assert "method_name" not in json.dumps(plain)
    line = json.loads(JsonFormatter(schema=schema, log_origin=True).format(record))
    assert where(line) == {"file": "tasks.py", "line": 12, "function": "charge"}


def test_the_default_schema_names_the_service() -> None:
    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    line = json.loads(JsonFormatter(service="billing", env="prod", version="1.2").format(record))
    assert (line["service"], line["env"], line["version"]) == ("billing", "prod", "1.2")
    assert list(line)[:4] == ["timestamp", "level", "logger", "message"]


def test_a_schema_of_one_s_own_is_a_description() -> None:
    mine = Schema(
        name="mine",
        head=(("timestamp", ("ts",)), ("level", ("severity",)), ("message", ("msg",)),
              (Constant("v1"), ("schema_version",)), ("logger", ("source", "logger"))),
        paths={"task_id": ("task", "id"), "task_name": ("task", "name")},
        owned=frozenset({"task"}),
    )  # fmt: skip
    line = one_line(mine, cls=TaskRecord, task_id="t1", task_name="proj.charge", retries=1, k=2)
    assert line == {
        "ts": line["ts"], "severity": "info", "msg": "m", "schema_version": "v1",
        "source": {"logger": "proj.tasks"}, "task": {"id": "t1", "name": "proj.charge"},
        "k": 2,
    }  # fmt: skip
    assert SCHEMAS["default"] is DEFAULT


def test_a_caller_cannot_write_the_default_schema_s_event() -> None:
    line = one_line("default", event="task_failed", duration_ms=3)
    assert "event" not in line
    assert line["conflicts"] == {"event": "task_failed", "duration_ms": 3}


@pytest.mark.parametrize(
    "alias", ["syslog.hostname", "contextMap.dd.trace_id", "severity", "hostname"]
)
def test_datadog_s_aliases_of_reserved_attributes_are_conflicts(alias: str) -> None:
    line = one_line("datadog", **{alias: "forged"})
    assert line["conflicts"] == {alias: "forged"}
