"""The console rendering in a real worker: an awkward bound value costs only itself."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .harness import Broker, Worker

pytestmark = pytest.mark.worker


def test_a_bound_awkward_value_keeps_the_console_lines_whole(
    fs_broker: Broker, tmp_path: Path
) -> None:
    """A task binds a lone surrogate, an exception whose str raises and a 5,000-digit int.

    ``-f FILE`` with the console format: a strict UTF-8 file, no ``backslashreplace``.
    """
    logfile = tmp_path / "worker.log"
    worker = Worker(
        fs_broker,
        tmp_path,
        pool="solo",
        extra_args=["-f", str(logfile), "--logkit-format", "console"],
    )
    worker.start(wait_ready=False)
    try:
        task_id = worker.send("bind_awkward", "req-\udcff")
        deadline = time.monotonic() + 60
        while not [line for line in _lines(logfile) if " event=task_succeeded " in line]:
            assert time.monotonic() < deadline, (_lines(logfile), worker.lines)
            time.sleep(0.1)
    finally:
        worker.stop()
    task_lines = [line for line in _lines(logfile) if f"task_id={task_id}" in line]
    (after,) = [line for line in task_lines if " after binding [worker_app] " in line]
    (succeeded,) = [line for line in task_lines if " event=task_succeeded " in line]
    for line in (after, succeeded):
        assert "request_id=req-\\xff" in line, line
        assert 'err="<unrepresentable ApiError>"' in line, line
        assert 'big="<int of 16610 bits>"' in line, line
    assert after.endswith(" order_id=7"), after
    assert not [line for line in _lines(logfile) if line.startswith("{")], "no line is JSON"


def _lines(logfile: Path) -> list[str]:
    return logfile.read_text("utf-8").splitlines() if logfile.exists() else []
