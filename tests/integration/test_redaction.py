"""Secrets stay out of every line a real worker writes: logkit's events and celery's own."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from kombu.utils.url import url_to_parts

from .harness import Broker, Worker, event_name

pytestmark = pytest.mark.worker

SECRET_KWARGS = {
    "when": datetime.datetime(2024, 1, 1),
    "headers": {"Authorization": "Bearer ARG-SECRET-1", "Accept": "json"},
    "items": ({"token": "ARG-SECRET-2"}, [{"password": "ARG-SECRET-3"}]),
}


def _text(worker: Worker) -> str:
    return "\n".join(line.text for line in worker.lines)


def test_named_tuples_in_pickled_args_and_result(fs_broker: Broker, tmp_path: Path) -> None:
    """A named tuple (kombu's parsed URL) keeps its secret field hidden: its repr has no names."""
    settings = {"accept_content": ["json", "pickle"]}
    options = {"log_args": True, "log_result": True}
    env = {
        "C_FORCE_ROOT": "1",
        "LOGKIT_SETTINGS": json.dumps(settings),
        "LOGKIT_INSTALL_OPTIONS": json.dumps(options),
    }
    target = url_to_parts("redis://bob:NT-SECRET-9@cache:6379/0")
    with Worker(fs_broker, tmp_path, pool="solo", env=env) as worker:
        task_id = worker.send("echo_kwargs", kwargs={"target": target}, serializer="pickle")
        worker.wait_for_task_end(task_id)
    events = {event_name(r): r for r in worker.events(task_id)}
    assert "'[REDACTED]'" in events["task_started"]["kwargs"]
    assert "'[REDACTED]'" in events["task_succeeded"]["result"]
    leaked = [line.text for line in worker.lines if "NT-SECRET-9" in line.text]
    assert not leaked, leaked


def test_args_and_result_that_are_not_literals(fs_broker: Broker, tmp_path: Path) -> None:
    options = {"log_args": True, "log_result": True, "keep_celery_lines": True}
    worker = Worker(
        fs_broker, tmp_path, pool="solo", env={"LOGKIT_INSTALL_OPTIONS": json.dumps(options)}
    )
    with worker:
        task_id = worker.send("echo_kwargs", kwargs=SECRET_KWARGS)
        worker.wait_for(lambda r: r.get("task_id") == task_id and "succeeded in" in r["message"])
        masked = worker.send("sign_in", "bob", "ARG-SECRET-4", argsrepr="('bob', '***')")
        worker.wait_for_task_end(masked)
    leaked = [line.text for line in worker.lines if "SECRET" in line.text]
    assert not leaked, leaked
    started = next(r for r in worker.events(task_id) if event_name(r) == "task_started")
    assert started["kwargs"].startswith("{'when': datetime.datetime(2024, 1, 1, 0, 0), ")
    assert "'Authorization': '[REDACTED]', 'Accept': 'json'" in started["kwargs"]
    succeeded = next(r for r in worker.events(task_id) if event_name(r) == "task_succeeded")
    assert "'at': datetime.datetime(2024, 1, 1, 0, 0)" in succeeded["result"]
    chosen = next(r for r in worker.events(masked) if event_name(r) == "task_started")
    assert chosen["args"] == "('bob', '***')", "the producer's own argsrepr"


@pytest.mark.parametrize(
    ("loglevel", "env", "shown"),
    [
        ("DEBUG", {}, "[not logged]"),
        ("INFO", {"LOGKIT_KEEP_CELERY_LINES": "1"}, "[not logged]"),
        (
            "INFO",
            {"LOGKIT_KEEP_CELERY_LINES": "1", "LOGKIT_LOG_RESULT": "1"},
            "{'user': 'bob', 'session': '[REDACTED]'}",
        ),
    ],
    ids=["debug", "keep_celery_lines", "keep_celery_lines-log_result"],
)
def test_celerys_own_lines_keep_the_promise(
    fs_broker: Broker, tmp_path: Path, loglevel: str, env: dict[str, str], shown: str
) -> None:
    worker = Worker(fs_broker, tmp_path, pool="solo", loglevel=loglevel, env=env)
    with worker:
        task_id = worker.send("sign_in", "bob", kwargs={"password": "hunter2"})
        worker.wait_for_task_end(task_id)
        if loglevel == "INFO":
            worker.wait_for(
                lambda r: (
                    "succeeded in" in r["message"] and r["logger"] != "celery_logkit.lifecycle"
                )
            )
    assert "hunter2" not in _text(worker)
    assert "s3cr3t" not in _text(worker)
    celery_lines = [r for r in worker.records if r["logger"].startswith("celery.")]
    if loglevel == "DEBUG":
        apply = [r for r in celery_lines if r["message"].startswith("TaskPool: Apply")]
        assert len(apply) == 1
        assert apply[0]["message"].endswith("(args:[not logged] kwargs:[not logged])")
    else:
        success = [r for r in celery_lines if "succeeded in" in r["message"]]
        assert len(success) == 1
        assert success[0]["message"].endswith(f"s: {shown}")


def test_redaction_turned_off_is_said_once_at_start_up(fs_broker: Broker, tmp_path: Path) -> None:
    options = {"redact_keys": [], "log_args": True}
    worker = Worker(
        fs_broker, tmp_path, pool="solo", env={"LOGKIT_INSTALL_OPTIONS": json.dumps(options)}
    )
    with worker:
        task_id = worker.send("sign_in", "bob", kwargs={"password": "hunter2"})
        worker.wait_for_task_end(task_id)
    notices = [r for r in worker.records if r["logger"] == "celery_logkit.config"]
    assert [(r["level"], r["message"]) for r in notices] == [
        ("warning", "redaction is off (redact_keys is an empty list): values under "
         "secret-looking keys are written as they are"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("redact_keys", "off"),
    [([""], False), ("none", True)],
    ids=["an-empty-variable-split", "the-word-none"],
)
def test_install_reads_redact_keys_as_the_variable_is(
    fs_broker: Broker, tmp_path: Path, redact_keys: object, off: bool
) -> None:
    """``[""]`` keeps the defaults; ``"none"`` turns redaction off, and says so."""
    options = {"redact_keys": redact_keys, "log_args": True}
    env = {"LOGKIT_INSTALL_OPTIONS": json.dumps(options)}
    with Worker(fs_broker, tmp_path, pool="solo", env=env) as worker:
        task_id = worker.send("sign_in", "bob", kwargs={"password": "hunter2"})
        worker.wait_for_task_end(task_id)
    started = next(r for r in worker.events(task_id) if event_name(r) == "task_started")
    assert started["kwargs"] == ("{'password': 'hunter2'}" if off else "{'password': '[REDACTED]'}")
    notices = [r["message"] for r in worker.records if r["logger"] == "celery_logkit.config"]
    assert [m.startswith("redaction is off") for m in notices] == ([True] if off else [])
