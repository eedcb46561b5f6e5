"""The ecs and datadog schemas against their specs; the default schema's trace ids."""

from __future__ import annotations

import contextlib
import contextvars
import csv
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider

from celery_logkit import JsonFormatter
from celery_logkit import formatter as formatter_module
from celery_logkit._fastpath import RESERVED_KEYS
from celery_logkit._json import dumps_bytes, dumps_serialised
from celery_logkit.context import _task_context
from celery_logkit.identity import ServiceIdentity
from celery_logkit.processors import EVENT_ATTR, OWNED_KEYS, STRUCTURED_FIELDS_ATTR, TASK_ATTR
from celery_logkit.schemas import SCHEMAS, EcsSchema
from celery_logkit.schemas.datadog import dd_ids

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs"
TRACER = TracerProvider().get_tracer("tests")

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "keyword": (str,), "constant_keyword": (str,), "wildcard": (str,),
    "match_only_text": (str,), "text": (str,), "date": (str,), "ip": (str,),
    "long": (int,), "integer": (int,), "float": (int, float), "double": (int, float),
    "scaled_float": (int, float), "boolean": (bool,), "object": (dict,),
    "flattened": (dict,), "nested": (list, dict), "geo_point": (dict, str, list),
}  # fmt: skip


def ecs_field_types() -> dict[str, str]:
    if not (SPECS / "ecs-fields.csv").exists():
        pytest.skip(f"the ECS field list is not at {SPECS}")
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

    def record(msg: str, level: int = logging.INFO, exc: Any = None, **attrs: Any) -> None:
        rec = logging.LogRecord("proj.tasks", level, __file__, 1, msg, (), exc)
        rec.__dict__.update(attrs)
        rendered.append(json.loads(fmt.format(rec)))

    record("plain")
    record("fields", **{STRUCTURED_FIELDS_ATTR: {"order_id": 7, "amount": 9.5}})
    collisions = {"error": "a string", "service": "other", "user": {"id": 1}, "host": "h",
                  "message": "m", "status": "x", "log.level": 3, "event": "e", "celery": 1,
                  "duration": "d", "dd": "d", "trace_id": "t"}  # fmt: skip
    record("collisions", **{STRUCTURED_FIELDS_ATTR: collisions})
    try:
        try:
            raise KeyError("inner")
        except KeyError as inner:
            raise ValueError("outer") from inner
    except ValueError:
        record("failed", logging.ERROR, sys.exc_info())
    lifecycle = {"duration_ms": 12.5, "attempt": 2, "reason": "ConnectionError: x"}
    record("Task proj.charge[t1] succeeded", **{EVENT_ATTR: "task_succeeded", TASK_ATTR: task,
           STRUCTURED_FIELDS_ATTR: lifecycle})  # fmt: skip
    with TRACER.start_as_current_span("work"):
        record("traced", **{TASK_ATTR: task})
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
                              "worker": "celery@h", "attempt": 2,
                              "reason": "ConnectionError: x"}  # fmt: skip
    collided = by_message(rendered, "collisions")
    assert collided["extra"]["error"] == "a string"
    assert collided["extra"]["service"] == "other"
    assert collided["extra"]["user"] == {"id": 1}
    assert collided["extra"]["log.level"] == 3
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
    assert done["evt"] == {"name": "task_succeeded"}
    assert done["duration"] == 12_500_000
    assert done["celery"]["attempt"] == 2
    collided = by_message(rendered, "collisions")
    for key in ("error", "service", "host", "status", "duration", "dd", "trace_id"):
        assert key in collided["extra"], key
    assert collided["service"] == "billing"
    traced = by_message(rendered, "traced")
    assert set(traced["dd"]) == {"trace_id", "span_id"}
    assert all(isinstance(v, str) and v.isdigit() for v in traced["dd"].values())
    assert "dd" not in plain


def test_datadog_ids_from_an_opentelemetry_trace() -> None:
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    assert dd_ids(trace_id, "00f067aa0ba902b7") == {
        "trace_id": str(0x8448EB211C80319C),
        "span_id": str(0x00F067AA0BA902B7),
    }


def test_datadog_keeps_what_ddtrace_put_on_the_record() -> None:
    fmt = JsonFormatter(schema="datadog")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update({"dd.trace_id": "123", "dd.span_id": "456", "dd.service": "svc"})
    with TRACER.start_as_current_span("otel"):
        line = json.loads(fmt.format(record))
    assert line["dd"] == {"trace_id": "123", "span_id": "456"}, "not contradicted by OTel's"
    assert not [k for k in line if k.startswith("dd.")], "once, in the dd object"
    assert "svc" not in json.dumps(line.get("extra", {}))


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


def test_ddtrace_fills_the_tags_logkit_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DD_ENV", "DD_VERSION", "OTEL_RESOURCE_ATTRIBUTES"):
        monkeypatch.delenv(name, raising=False)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update({"dd.service": "svc", "dd.env": "prod", "dd.version": ""})
    line = json.loads(JsonFormatter(schema="datadog", service="billing").format(record))
    assert (line["service"], line["env"]) == ("billing", "prod")
    assert "version" not in line


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
    schema=st.sampled_from(("ecs", "datadog")),
    formatter=st.sampled_from(
        ({}, {"redact_keys": []}, {"env": "prod", "version": "1"}, {"max_line_bytes": 300})
    ),
    name=st.sampled_from(("proj.tasks", "celery.app.trace", "proj.\ud800")),
    level=st.sampled_from((logging.INFO, logging.ERROR, 5)),
    message=st.sampled_from((("plain", ()), ("n=%d", (3,)), ("bad %d", ("x",)), (STRUCTLOG, ()))),
    extra=FIELDS,
    keywords=FIELDS,
    bound=FIELDS,
    task=TASK_CONTEXTS,
    error=st.sampled_from(("", "exc_info", "exc_text", "stack_info")),
    trace=st.sampled_from(("", "span", "ddtrace", "ddtags")),
    thread_name=st.sampled_from(("MainThread", "worker-2", "pool-" + "w" * 90)),
)
def test_build_makes_the_line_the_event_dict_path_makes(
    schema: str,
    formatter: dict[str, Any],
    name: str,
    level: int,
    message: tuple[str, tuple[Any, ...]],
    extra: dict[str, Any],
    keywords: dict[str, Any],
    bound: dict[str, Any],
    task: dict[str, Any],
    error: str,
    trace: str,
    thread_name: str,
) -> None:
    """A schema's ``build`` is a shortcut: the same bytes as the processors + ``render``.

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
    record.threadName = thread_name
    if record.msg is STRUCTLOG:
        record.msg = {"event": "from structlog", "order": 3, "level": "info", "exc_info": False}
        record.__dict__.update({"_logger": None, "_name": "info"})
    if error == "exc_text":
        record.exc_text = "Traceback: rendered"
    extra = {k: v for k, v in extra.items() if k not in RESERVED_KEYS}
    record.__dict__.update(extra)
    if keywords:
        record.__dict__[STRUCTURED_FIELDS_ATTR] = keywords
    if trace in ("ddtrace", "ddtags"):
        record.__dict__.update({"dd.trace_id": "123", "dd.span_id": "456", "dd.env": "staging"})
    if trace == "ddtags":
        del record.__dict__["dd.trace_id"]

    def both() -> tuple[Any, Any, bytes]:
        structlog.contextvars.bind_contextvars(**bound)
        _task_context.set(task)
        event: dict[str, Any] = {}
        for processor in fmt.processors:
            event = processor(record, event)
        rendered = fmt.schema.render(event, record)
        built = fmt.schema.build(record, fmt._redact)  # type: ignore[attr-defined]
        return rendered, built, fmt.format_bytes(record)

    with TRACER.start_as_current_span("s") if trace == "span" else contextlib.nullcontext():
        rendered, built, line = contextvars.copy_context().run(both)
    assert line == fmt._dumps(rendered)
    built_line = None if built is None else dumps_serialised(built)
    if built_line is not None:
        assert built_line == dumps_bytes(rendered)
    simple = not OWNED_KEYS.intersection({**bound, **extra, **keywords}) and "tenant" not in task
    assert (built is not None) == simple


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


def test_a_head_a_subclass_makes_is_never_cached_as_written_json() -> None:
    class Tenanted(EcsSchema):
        def _line(self, logger: str, record: logging.LogRecord) -> dict[str, Any]:
            return {**super()._line(logger, record), "labels": {"tenant": record.tenant}}

    schema = Tenanted(ServiceIdentity())
    for tenant in ("a", "b"):
        record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
        record.tenant = tenant
        assert json.loads(dumps_bytes(schema.build(record, None)))["labels"] == {"tenant": tenant}


@pytest.mark.parametrize("schema", ["ecs", "datadog"])
def test_a_subclass_writing_its_own_json_writes_every_line(schema: str) -> None:
    class Stamped(JsonFormatter):
        def _dumps(self, obj: dict[str, Any]) -> bytes:
            return super()._dumps({**obj, "stamped": True})

    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    assert json.loads(Stamped(schema=schema).format(record))["stamped"] is True


@pytest.mark.parametrize("schema", ["ecs", "datadog"])
def test_the_formatter_builds_only_with_its_own_processors_and_schema(schema: str) -> None:
    """Custom processors, or a schema set after the formatter was made, take the long path."""
    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    fmt = JsonFormatter(schema=schema)
    calls: list[str] = []
    own = fmt.schema

    class Spy:
        name = schema

        def render(self, event: dict[str, Any], rec: logging.LogRecord) -> dict[str, Any]:
            calls.append("render")
            return own.render(event, rec)

        def build(self, rec: logging.LogRecord, redact: Any) -> dict[str, Any] | None:
            calls.append("build")
            return own.build(rec, redact)  # type: ignore[attr-defined,no-any-return]

    fmt.schema = Spy()
    fmt.format(record)
    assert calls == ["render"]
    custom = JsonFormatter(schema=schema, processors=[*fmt.processors])
    custom.schema = fmt.schema
    custom.format(record)
    assert calls == ["render", "render"]


def test_a_schema_whose_render_changed_is_not_bypassed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A subclass changing ``render`` only, or a patched ``render``, still shapes the line."""

    class Labelled(EcsSchema):
        def render(self, event: dict[str, Any], record: logging.LogRecord) -> dict[str, Any]:
            return {**super().render(event, record), "labels": {"team": "payments"}}

    monkeypatch.setitem(SCHEMAS, "ecs", Labelled)
    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    assert json.loads(JsonFormatter(schema="ecs").format(record))["labels"] == {"team": "payments"}
    monkeypatch.setitem(SCHEMAS, "ecs", EcsSchema)
    fmt = JsonFormatter(schema="ecs")
    assert "labels" not in json.loads(fmt.format(record))
    original = fmt.schema.render
    monkeypatch.setattr(fmt.schema, "render", lambda e, r: {**original(e, r), "labels": {}})
    assert json.loads(fmt.format(record))["labels"] == {}
    monkeypatch.undo()
    assert "labels" not in json.loads(fmt.format(record))
    unpatched = EcsSchema.render

    def on_the_class(self: EcsSchema, e: dict[str, Any], r: logging.LogRecord) -> dict[str, Any]:
        return {**unpatched(self, e, r), "labels": {"on": "class"}}

    monkeypatch.setattr(EcsSchema, "render", on_the_class)
    assert json.loads(fmt.format(record))["labels"] == {"on": "class"}


def test_the_formatter_builds_with_its_own_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut is taken by default, with or without ``redact_keys``."""
    built: list[str] = []
    original = EcsSchema.build

    def spy(self: EcsSchema, record: logging.LogRecord, redact: Any) -> Any:
        built.append(record.getMessage())
        return original(self, record, redact)

    monkeypatch.setattr(EcsSchema, "build", spy)
    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    JsonFormatter(schema="ecs").format(record)
    JsonFormatter(schema="ecs", redact_keys=["amount"]).format(record)
    assert built == ["m", "m"]


@pytest.mark.parametrize("redact_keys", [None, ["amount"]])
def test_replaced_default_steps_are_run(
    monkeypatch: pytest.MonkeyPatch, redact_keys: list[str] | None
) -> None:
    """``DEFAULT_PROCESSORS`` or ``build_processors`` replaced: their steps run, not ``build``."""

    def tag(record: logging.LogRecord, event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "tagged": True}

    original = formatter_module.build_processors
    monkeypatch.setattr(
        formatter_module, "DEFAULT_PROCESSORS", (*formatter_module.DEFAULT_PROCESSORS, tag)
    )
    monkeypatch.setattr(formatter_module, "build_processors", lambda r=None: (*original(r), tag))
    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    for schema in ("ecs", "datadog"):
        line = JsonFormatter(schema=schema, redact_keys=redact_keys).format(record)
        assert json.loads(line)["tagged"] is True


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
