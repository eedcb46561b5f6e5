"""The Django example with a real worker: the view's request id on the worker's lines,
and the project's own ``LOGGING`` handlers, levels and file kept."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .harness import HERE, Worker, event_name
from .helpers import make_broker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_project"
TASK = "shop.tasks.charge"
PLAIN_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO) shop\.\w+ \d+ .+$")


def django_worker(broker_name: str, tmp_path: Path, settings: str = "mysite.settings") -> Worker:
    broker = make_broker(broker_name, tmp_path)
    worker = Worker(
        broker,
        tmp_path,
        app="mysite",
        cwd=EXAMPLE,
        concurrency=1,
        env={
            "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(HERE)]),
            "DJANGO_SETTINGS_MODULE": settings,
            "EXAMPLE_DATA_DIR": str(tmp_path / "django"),
            # Empty: the example's own filesystem broker in EXAMPLE_DATA_DIR.
            "CELERY_BROKER_URL": "" if broker.name == "filesystem" else broker.url,
        },
    )
    worker.env["CELERY_TASK_DEFAULT_QUEUE"] = worker.queue
    return worker


def file_messages(tmp_path: Path) -> list[str]:
    """The messages in LOGGING's file handler's file, checked to be in its own format."""
    log = (tmp_path / "django" / "shop.log").read_text().splitlines()
    assert log, "LOGGING's file handler wrote nothing"
    assert all(PLAIN_LINE.match(line) for line in log), log
    return [line.split(" ", 5)[5] for line in log]


def send_request(worker: Worker, *request_id: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Run the example's one-shot request; return its answer and its JSON stderr lines."""
    done = subprocess.run(
        [sys.executable, "request.py", "7", *request_id],
        cwd=EXAMPLE,
        env=worker.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    return answer, [json.loads(line) for line in done.stderr.splitlines()]


@pytest.mark.worker
@pytest.mark.parametrize("broker_name", ["filesystem", "redis"])
def test_the_views_request_id_is_on_every_line_of_the_task(
    broker_name: str, tmp_path: Path
) -> None:
    request_id = "req-django-7f3a"
    with django_worker(broker_name, tmp_path) as worker:
        answer, producer_lines = send_request(worker, request_id)
        task_id = answer["task_id"]
        assert answer["request_id"] == request_id
        worker.wait_for_task_end(task_id)
        generated, _ = send_request(worker)  # no X-Request-ID: the middleware makes one
        worker.wait_for_task_end(generated["task_id"])

    (enqueued,) = [r for r in producer_lines if r.get("event") == "task_enqueued"]
    assert enqueued["child_task_id"] == task_id
    assert enqueued["request_id"] == request_id
    view_line = next(r for r in producer_lines if r["logger"] == "shop.views")
    assert view_line["request_id"] == request_id

    lines = worker.task_records(task_id)
    for record in lines:
        assert record["task_name"] == TASK
        assert record["request_id"] == request_id, record
    events = [event_name(r) for r in lines if "event" in r]
    assert events == ["task_started", "task_succeeded"]
    started = next(r for r in lines if r.get("event") == "task_started")
    assert "7" in started["args"]  # CELERY_LOGKIT_LOG_ARGS = True in settings.py
    charging = next(r for r in lines if r["message"] == "charging card")
    assert (charging["logger"], charging["order_id"], charging["amount"]) == ("shop.tasks", 7, 9.5)
    audit = next(r for r in lines if r["message"] == "order 7 charged")
    assert audit["logger"] == "shop.audit"

    other = worker.task_records(generated["task_id"])
    assert re.fullmatch(r"[0-9a-f]{32}", generated["request_id"])
    assert {r.get("request_id") for r in other if "event" in r} == {generated["request_id"]}

    # LOGGING's levels: the console handler is INFO, so the DEBUG line is only in the file.
    assert not [r for r in worker.records if "audit detail" in str(r.get("message"))]
    assert worker.not_json == []

    messages = file_messages(tmp_path)
    assert messages.count("charge of order 7 enqueued") == 2  # the web process
    assert messages.count("order 7 charged") == 2  # the worker
    assert messages.count("audit detail for order 7") == 2


@pytest.mark.worker
def test_with_celerys_default_hijack_named_loggers_keep_their_handlers(tmp_path: Path) -> None:
    """celery replaces the root logger's handlers (LOGGING's console and its INFO level) with
    its own, which logkit makes JSON; the handlers of named loggers are untouched."""
    with django_worker("filesystem", tmp_path, "django_default_hijack_settings") as worker:
        answer, _ = send_request(worker, "req-hijack")
        worker.wait_for_task_end(answer["task_id"])

    lines = worker.task_records(answer["task_id"])
    assert {r["request_id"] for r in lines} == {"req-hijack"}
    assert [event_name(r) for r in lines if "event" in r] == ["task_started", "task_succeeded"]
    debug = next(r for r in lines if r["message"] == "audit detail for order 7")
    assert (debug["level"], debug["logger"]) == ("debug", "shop.audit")
    assert worker.not_json == []
    messages = file_messages(tmp_path)
    assert "order 7 charged" in messages
    assert "audit detail for order 7" in messages


def assert_in_schema(record: dict[str, Any], schema: str) -> None:
    """Fail unless *record* is a line of *schema* (and of no other)."""
    if schema == "ecs":
        assert {"@timestamp", "ecs.version", "log.level"} <= record.keys(), record
        event = record.get("event", {})
        assert isinstance(event, dict), record
        assert "dataset" in event, record
    elif schema == "datadog":
        assert {"status", "timestamp"} <= record.keys(), record
        assert "level" not in record, record
    else:
        assert {"timestamp", "level"} <= record.keys(), record
        assert record["logger"] == str(record["logger"]), record
    if schema != "ecs":
        assert "ecs.version" not in record, record


@pytest.mark.worker
@pytest.mark.parametrize(
    ("schema", "settings", "env", "args"),
    [
        ("default", "mysite.settings", {}, []),
        ("datadog", "mysite.settings", {"LOGKIT_SCHEMA": "datadog"}, []),
        ("ecs", "mysite.settings", {"LOGKIT_SCHEMA": "ecs"}, []),
        ("ecs", "django_ecs_settings", {}, []),  # CELERY_LOGKIT_SCHEMA
        ("datadog", "django_ecs_settings", {}, ["--logkit-schema", "datadog"]),
    ],
    ids=["default", "datadog-env", "ecs-env", "ecs-setting", "datadog-command-line"],
)
def test_loggings_json_formatter_writes_the_schema_asked_for(
    tmp_path: Path, schema: str, settings: str, env: dict[str, str], args: list[str]
) -> None:
    """LOGGING's ``JsonFormatter`` has no ``schema=``: every line of the worker is in the
    schema the environment, the settings or the command line ask for (the command line
    is read after LOGGING made the formatter), never two schemas in one stream."""
    worker = django_worker("redis", tmp_path, settings)
    worker.env.update(env)
    worker.argv.extend(args)
    with worker:
        answer, _ = send_request(worker, "req-schema")
        worker.wait_for_task_end(answer["task_id"])
        failed_id = str(worker.producer().send_task(TASK, args=("no amount",)).id)
        failed = worker.wait_for_task_end(failed_id)
    assert worker.not_json == []
    for record in worker.records:
        assert_in_schema(record, schema)
    assert event_name(failed) == "task_failed"
    if schema == "ecs":
        assert failed["event"]["action"] == "task_failed", failed
        assert failed["event"]["outcome"] == "failure"
        assert failed["error"]["type"] == "TypeError", failed
    lines = worker.task_records(answer["task_id"])
    assert [event_name(r) for r in lines if event_name(r)] == ["task_started", "task_succeeded"]
