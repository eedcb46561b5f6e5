"""WorkerIntegration: celery's notices and early warnings go where ``-f`` says."""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

import celery_logkit._worker as worker_module
from celery_logkit._config import Options
from celery_logkit._formatter import JsonFormatter


def integration() -> worker_module.WorkerIntegration:
    options = Options.from_kwargs({})
    return worker_module.WorkerIntegration(lambda: options, lambda _: options)


def test_the_shutdown_notice_goes_to_the_root_handlers_file(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    logfile = tmp_path / "worker.log"
    worker = integration()
    handler = logging.FileHandler(logfile)
    worker.destination = handler
    say = worker_module._FormattedSay(JsonFormatter(), worker._destination)
    try:
        say("worker: Warm shutdown (MainProcess)", sys.__stdout__)
    finally:
        handler.close()
    (record,) = [json.loads(line) for line in logfile.read_text().splitlines()]
    assert record["message"] == "worker: Warm shutdown (MainProcess)"
    assert "Warm shutdown" not in capfd.readouterr().out


def test_warnings_before_logging_is_set_up_go_to_the_logfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logfile = tmp_path / "worker.log"
    monkeypatch.setattr(warnings, "showwarning", worker_module._ORIGINAL_SHOWWARNING)
    integration().prepare_process({}, logfile=str(logfile))
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("running as root", RuntimeWarning, stacklevel=1)
    (record,) = [json.loads(line) for line in logfile.read_text().splitlines()]
    assert record["message"] == "RuntimeWarning: running as root"


@pytest.mark.parametrize(
    ("deduplicate", "set_by_app", "expected"),
    [
        (False, None, ["WARNING", "WARNING"]),
        # a redelivered task that already succeeded is "ignored" with no signal: kept
        (True, None, ["WARNING", "NOTSET"]),
        (False, "celery.app.trace", ["WARNING", "DEBUG"]),
    ],
)
def test_celery_builds_no_line_an_event_replaces(
    deduplicate: bool, set_by_app: str | None, expected: list[str]
) -> None:
    """At WARNING, celery's strategy and tracer skip their INFO lines; a level set is kept."""
    names = ("celery.worker.strategy", "celery.app.trace")
    saved = {name: logging.getLogger(name).level for name in names}
    try:
        for name in names:
            logging.getLogger(name).setLevel(logging.DEBUG if name == set_by_app else 0)
        conf = SimpleNamespace(worker_deduplicate_successful_tasks=deduplicate)
        worker_module._skip_replaced_lines(SimpleNamespace(conf=conf))
        assert [logging.getLevelName(logging.getLogger(n).level) for n in names] == expected
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
