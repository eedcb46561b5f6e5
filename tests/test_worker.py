"""WorkerIntegration: celery's notices and early warnings go where ``-f`` says."""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path

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
