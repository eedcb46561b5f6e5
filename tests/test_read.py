"""Reading logs back: the schemas' paths, lines of each schema, inputs of each kind."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from celery_logkit import JsonFormatter
from celery_logkit._fields import set_fields
from celery_logkit._read import (
    LIFECYCLE,
    SCHEMA_PATHS,
    Input,
    Scan,
    expand,
    lifecycle,
    normalise,
    parse_time,
)
from celery_logkit._vocabulary import EventRecord, TaskRecord
from celery_logkit.schemas import SCHEMAS

SCHEMA_NAMES = ("default", "ecs", "datadog")
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def line(
    schema: str,
    event: str | None = None,
    *,
    task: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    message: str = "a message",
    at: float = T0,
    level: int = logging.INFO,
    stack: str | None = None,
    logger: str = "celery_logkit.lifecycle",
) -> str:
    """Return the line the library's own formatter writes in *schema* for such a record."""
    record = logging.LogRecord(logger, level, __file__, 1, message, None, None)
    record.__class__ = EventRecord if event else TaskRecord
    record.created, record.msecs = at, (at - int(at)) * 1000
    record.__dict__.update(task or {})
    if event:
        record.event = event
    set_fields(record, fields or {})
    if stack is not None:
        record.exc_info = (ValueError, ValueError("bad card 4242"), None)
        record.exc_text = stack
    return JsonFormatter(schema=schema, service="shop").format(record)


TASK = {
    "task_id": "11111111-2222-3333-4444-555555555555",
    "task_name": "shop.charge",
    "retries": 1,
    "root_id": "00000000-2222-3333-4444-555555555555",
    "parent_id": "00000000-2222-3333-4444-555555555555",
    "group_id": "99999999-2222-3333-4444-555555555555",
    "queue": "payments",
    "worker": "celery@shop-1",
}


def test_the_paths_are_the_schemas_descriptions() -> None:
    # The reader does not import the schemas (they import OpenTelemetry): its copy of
    # their paths must be what they say.
    assert [p.name for p in SCHEMA_PATHS] == list(SCHEMA_NAMES)
    for paths in SCHEMA_PATHS:
        schema = SCHEMAS[paths.name]
        head = {role: path for role, path in schema.head if isinstance(role, str)}
        assert paths.timestamp == head["timestamp"]
        assert paths.level == head["level"]
        assert paths.message == head["message"]
        assert paths.logger == head["logger"]
        assert paths.service == head["service"]
        assert paths.host == head.get("host")
        assert paths.event == schema.paths["event"]
        assert paths.duration == schema.paths["duration"]
        assert paths.error_type == schema.paths["error.type"]
        assert paths.error_message == schema.paths["error.message"]
        assert paths.error_stack == schema.paths["error.stack_trace"]
        assert paths.namespace == schema.namespace
        assert paths.duration_scale == schema.duration_scale
        assert set(paths.task) == {*TASK}
        for key, path in paths.task.items():
            assert path == schema.paths[key], key


@pytest.mark.parametrize("schema", SCHEMA_NAMES)
def test_a_lifecycle_line_of_each_schema_reads_the_same(schema: str) -> None:
    text = line(
        schema,
        "task_failed",
        task=TASK,
        fields={"duration_ms": 125.5, "reason": "declined"},
        message="Task shop.charge failed",
        at=T0 + 1.25,
        level=logging.ERROR,
        stack="Traceback...\nValueError: bad card 4242",
    )
    event = normalise(orjson.loads(text), "app.log", text.encode())
    assert event is not None
    assert event.schema == schema
    assert event.ts == pytest.approx(T0 + 1.25)
    assert event.timestamp == "2026-01-01T00:00:01.250Z"
    assert event.level == "error"
    assert event.event == "task_failed"
    assert event.message == "Task shop.charge failed"
    assert event.logger == "celery_logkit.lifecycle"
    for key, value in TASK.items():
        assert getattr(event, key) == value, key
    assert event.duration == pytest.approx(0.1255)
    assert event.field("reason") == "declined"
    assert event.error_type == "ValueError"
    assert event.error_message == "bad card 4242"
    assert event.stack == "Traceback...\nValueError: bad card 4242"
    assert event.line == text.encode()
    assert event.as_default()["task_id"] == TASK["task_id"]


def test_a_dotted_key_is_read_in_its_nested_form_too() -> None:
    text = line("ecs", "task_started", task=TASK)
    data = orjson.loads(text)
    data["log"]["level"] = data.pop("log.level")  # as Filebeat's expand_keys writes it
    event = normalise(data, "-")
    assert event is not None
    assert (event.level, event.worker) == ("info", "celery@shop-1")


def test_lines_that_are_not_celery_logkits_are_not_read() -> None:
    assert normalise({"msg": "hello", "time": "2026-01-01T00:00:00Z"}, "-") is None
    assert normalise({"timestamp": "yesterday", "level": "info"}, "-") is None


def test_timestamps() -> None:
    assert parse_time("2026-01-01T00:00:00.000Z") == T0
    assert parse_time("2026-01-01T00:00:00.5Z") == T0 + 0.5
    assert parse_time("2026-01-01T01:00:00+01:00") == T0
    assert parse_time("2026-01-01T00:00:00") == T0
    assert parse_time("not a time") is None


def write(path: Path, lines: list[str], *, compress: bool = False) -> Path:
    data = "".join(f"{text}\n" for text in lines).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_mixed_schemas_foreign_lines_and_a_malformed_one(tmp_path: Path) -> None:
    lines = [line(schema, "task_started", task=TASK) for schema in SCHEMA_NAMES]
    lines += ["plain text from kubectl", '{"foreign": true}', '{"timestamp": "2026-']
    path = write(tmp_path / "mixed.log", lines)
    scan = Scan()
    events = list(scan.events([Input(str(path))]))
    assert [e.schema for e in events] == list(SCHEMA_NAMES)
    assert scan.read == 6
    assert scan.skipped == 3
    assert len(scan.malformed) == 1
    assert scan.malformed[0].startswith(f"{path}:6: malformed JSON line skipped")


def test_markers_parse_only_the_lines_that_hold_them(tmp_path: Path) -> None:
    other = {**TASK, "task_id": "22222222-2222-3333-4444-555555555555"}
    lines = [
        line("default", "task_received", task=TASK),
        line("ecs", "task_started", task=TASK),
        line("datadog", "task_succeeded", task=other, fields={"duration_ms": 1.0}),
        line("default", task={**TASK, "task_name": "task_odd"}, message="own line"),
    ]
    path = write(tmp_path / "app.log", lines)
    scan = Scan(markers=(LIFECYCLE,), accept=lifecycle("task_started", "task_succeeded"))
    found = [e.event for e in scan.events([Input(str(path))])]
    assert found == ["task_started", "task_succeeded"]
    assert scan.read == 4
    by_id = Scan(markers=(TASK["task_id"].encode(),))
    assert len(list(by_id.events([Input(str(path))]))) == 3


def test_gz_directories_and_globs(tmp_path: Path) -> None:
    write(tmp_path / "a.log", [line("default", "task_started", task=TASK)])
    write(tmp_path / "b.log.gz", [line("ecs", "task_started", task=TASK)], compress=True)
    (tmp_path / "sub").mkdir()
    inputs, errors = expand([str(tmp_path)])
    assert [Path(i.name).name for i in inputs] == ["a.log", "b.log.gz"]
    assert not errors
    scan = Scan()
    assert [e.schema for e in scan.events(inputs)] == ["default", "ecs"]
    inputs, errors = expand([str(tmp_path / "*.gz"), str(tmp_path / "none-*.log"), "nope.log"])
    assert [Path(i.name).name for i in inputs] == ["b.log.gz"]
    assert errors == [
        f"{tmp_path / 'none-*.log'}: no file matches",
        "nope.log: No such file or directory",
    ]


def test_an_unreadable_input_is_an_error_not_an_exception(tmp_path: Path) -> None:
    bad = tmp_path / "bad.log.gz"
    bad.write_bytes(b"not gzip at all")
    scan = Scan()
    assert list(scan.events([Input(str(bad)), Input(str(tmp_path / "gone.log"))])) == []
    assert len(scan.errors) == 2
    assert scan.errors[0].startswith(f"{bad}: ")
    assert "No such file" in scan.errors[1]


def test_a_last_line_without_a_newline_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cut.log"
    path.write_text(line("default", "task_started", task=TASK))
    assert len(list(Scan().events([Input(str(path))]))) == 1
