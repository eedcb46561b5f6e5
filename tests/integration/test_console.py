"""The console rendering in a real worker: short lines, an awkward bound value costs only itself."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from .harness import Broker, Worker

pytestmark = pytest.mark.worker


def _run_task(
    broker: Broker, tmp_path: Path, logfile: Path, task: str, *args: Any
) -> tuple[str, str]:
    """Run *task* in a solo worker writing the console format to *logfile*.

    Return the task's id and its ``succeeded`` line.
    """
    worker = Worker(
        broker, tmp_path, pool="solo", extra_args=["-f", str(logfile), "--logkit-format", "console"]
    )
    worker.start(wait_ready=False)
    try:
        task_id = worker.send(task, *args)
        succeeded = _wait_for_line(logfile, f"worker_app.{task}[{task_id}] succeeded", worker)
    finally:
        worker.stop()
    return task_id, succeeded


def test_a_real_workers_task_lines_are_short(fs_broker: Broker, tmp_path: Path) -> None:
    """A task line shows ``name[short id]``, not the task's nine context keys.

    The lifecycle lines say the task in celery's words and do not repeat it.
    """
    logfile = tmp_path / "worker.log"
    task_id, succeeded = _run_task(fs_broker, tmp_path, logfile, "log_styles", "tok")
    (percent,) = [line for line in _lines(logfile) if " percent style tok 7 " in line]
    assert f" info     worker_app.log_styles[{task_id[:8]}] percent style tok 7 [worker_app]" in (
        percent
    ), percent
    assert len(percent) < 160, percent
    assert len(succeeded) < 160, succeeded
    for line in (percent, succeeded):
        assert "root_id=" not in line, line
        assert "worker=" not in line, line
        assert "event=" not in line, line
    assert succeeded.count(task_id[:8]) == 1, succeeded
    assert "[celery_logkit.lifecycle]" not in succeeded, succeeded
    lines = _lines(logfile)
    (exception,) = [i for i, line in enumerate(lines) if " exception style [worker_app]" in line]
    assert lines[exception + 1] == "    Traceback (most recent call last):", lines[exception:]


def test_a_bound_awkward_value_keeps_the_console_lines_whole(
    fs_broker: Broker, tmp_path: Path
) -> None:
    """A task binds a lone surrogate, an exception whose str raises and a 5,000-digit int.

    ``-f FILE`` with the console format: a strict UTF-8 file, no ``backslashreplace``.
    """
    logfile = tmp_path / "worker.log"
    task_id, succeeded = _run_task(fs_broker, tmp_path, logfile, "bind_awkward", "req-\udcff")
    (after,) = [line for line in _lines(logfile) if " after binding [worker_app] " in line]
    assert f" worker_app.bind_awkward[{task_id[:8]}] after binding " in after, after
    for line in (after, succeeded):
        assert "request_id=req-\\xff" in line, line
        assert 'err="<unrepresentable ApiError>"' in line, line
        assert 'big="<int of 16610 bits>"' in line, line
    assert after.endswith(" order_id=7"), after
    assert not [line for line in _lines(logfile) if line.startswith("{")], "no line is JSON"


def _wait_for_line(logfile: Path, text: str, worker: Worker, timeout: float = 60) -> str:
    """Return the first line of *logfile* that holds *text*, once it is written."""
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in _lines(logfile) if text in line]
        if found:
            return found[0]
        assert time.monotonic() < deadline, (_lines(logfile), worker.lines)
        time.sleep(0.1)


def _lines(logfile: Path) -> list[str]:
    return logfile.read_text("utf-8").splitlines() if logfile.exists() else []
