"""Every configuration source reaches a real worker: environment variables, settings,
``install()`` and the worker's command line, in that order of precedence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import HERE, Broker, Worker, event_name

pytestmark = pytest.mark.worker


def test_environment_variables_change_the_lines(fs_broker: Broker, tmp_path: Path) -> None:
    env = {
        "LOGKIT_EVENT_LEVELS": "task_started=WARNING, task_succeeded=off",
        "LOGKIT_KEEP_CELERY_LINES": "1",
        "LOGKIT_REDACT_KEYS": "none",
        "LOGKIT_LOG_ARGS": "Yes",
        "LOGKIT_SHEMA": "ecs",
    }
    worker = Worker(fs_broker, tmp_path, pool="solo", env=env)
    with worker:
        task_id = worker.send("sign_in", "bob", kwargs={"password": "hunter2"})
        worker.wait_for(lambda r: r.get("task_id") == task_id and "succeeded in" in r["message"])
    events = worker.events(task_id)
    assert [(r["event"], r["level"]) for r in events] == [("task_started", "warning")]
    assert events[0]["kwargs"] == "{'password': 'hunter2'}", "log_args on, redaction off"
    celery_lines = [r for r in worker.records if r["logger"] == "celery.app.trace"]
    assert [r["task_id"] for r in celery_lines] == [task_id], "celery's own line is kept"
    assert "level" in events[0], "LOGKIT_SHEMA is not LOGKIT_SCHEMA: the default schema"
    warnings = [r for r in worker.records if r["logger"] == "celery_logkit.config"]
    assert [r["level"] for r in warnings] == ["warning", "warning"]
    assert warnings[1]["message"].startswith("redaction is off"), "LOGKIT_REDACT_KEYS=none"
    assert "'LOGKIT_SHEMA' (did you mean 'LOGKIT_SCHEMA'?)" in warnings[0]["message"]
    assert "LOGKIT_BROKER_URL" not in warnings[0]["message"], "the harness's own are taken"


def test_command_line_schema_wins_over_every_other_source(
    fs_broker: Broker, tmp_path: Path
) -> None:
    worker = Worker(
        fs_broker,
        tmp_path,
        pool="solo",
        extra_args=["--logkit-schema", "ECS"],
        env={
            "LOGKIT_SCHEMA": "default",
            "LOGKIT_SETTINGS": json.dumps({"logkit_schema": "default"}),
            "LOGKIT_INSTALL_OPTIONS": json.dumps({"schema": "datadog"}),
        },
    )
    with worker:
        task_id = worker.send("add", 1, 2)
        worker.wait_for_task_end(task_id)
    started = worker.wait_for(lambda r: event_name(r) == "task_started")
    assert started["log.level"] == "info", "ECS, not datadog's status or the default's level"
    assert started["event"]["action"] == "task_started"
    assert started["task_id"] == task_id
    assert "ecs.version" in started


def test_command_line_format_wins_over_every_other_source(
    fs_broker: Broker, tmp_path: Path
) -> None:
    worker = Worker(
        fs_broker,
        tmp_path,
        pool="solo",
        extra_args=["--logkit-format", "console"],
        env={
            "LOGKIT_FORMAT": "json",
            "LOGKIT_SETTINGS": json.dumps({"logkit_format": "json"}),
            "LOGKIT_INSTALL_OPTIONS": json.dumps({"format": "json"}),
        },
    )
    worker.start(wait_ready=False)
    try:
        worker.wait_for_line(lambda line: " ready. [celery.apps.worker]" in line.text)
        task_id = worker.send("add", 1, 2)
        line = worker.wait_for_line(lambda line: "adding" in line.text)
    finally:
        worker.stop()
    assert line.record is None, "a console line, not JSON"
    assert f"worker_app.add[{task_id[:8]}] adding" in line.text
    assert " info " in line.text
    assert not worker.records, "no line is JSON"


def test_a_bad_command_line_value_stops_the_worker(fs_broker: Broker, tmp_path: Path) -> None:
    worker = Worker(fs_broker, tmp_path, extra_args=["--logkit-format", "xml"])
    worker.start(wait_ready=False)
    assert worker.wait_exit(timeout=60) != 0
    error = "\n".join(line.text for line in worker.lines if line.stream == "stderr")
    assert "Invalid value for '--logkit-format': 'xml' is not one of" in error
    assert "'auto', 'json', 'console'" in error


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LOGKIT_FORMAT", "xml", "LOGKIT_FORMAT='xml' is not one of 'auto', 'json', 'console'"),
        ("LOGKIT_BANNER", "maybe", "LOGKIT_BANNER='maybe' is not a boolean: use one of 1, true"),
        ("LOGKIT_EVENT_LEVELS", "task_started", "'task_started' is not event=level"),
    ],
)
def test_a_bad_environment_variable_stops_the_worker(
    fs_broker: Broker, tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    worker = Worker(fs_broker, tmp_path, env={variable: value})
    worker.start(wait_ready=False)
    assert worker.wait_exit(timeout=60) == 1
    assert not worker.not_json, worker.not_json
    (critical,) = [r for r in worker.records if r["level"] == "critical"]
    assert expected in critical["message"]


@pytest.mark.parametrize("command", ["inspect", "events", "purge"])
def test_other_commands_do_not_take_the_options(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "worker_app", command, "--help"],
        cwd=HERE, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(HERE)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--logkit" not in done.stdout


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_worker_and_beat_help_list_the_options_and_their_values(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "worker_app", command, "--help"],
        cwd=HERE, capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "PYTHONPATH": str(HERE)},
    )  # fmt: skip
    assert "--logkit-schema [datadog|default|ecs]" in done.stdout
    assert "--logkit-format [auto|json|console]" in done.stdout
