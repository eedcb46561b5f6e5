"""``celery-logkit tail -f`` follows the file a running worker is writing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .harness import Broker, Worker

pytestmark = pytest.mark.worker


class Follower:
    """``celery-logkit tail -f`` on a file, its output collected as it comes."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery_logkit", "tail", "-f", "--no-color", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if text in line]
            if found:
                return found[0]
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not shown within {timeout}s; shown: {self.lines[-20:]}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_tail_follows_a_running_workers_file(
    fs_broker: Broker, tmp_path: Path, schema: str
) -> None:
    logfile = tmp_path / "worker.log"
    logfile.touch()
    worker = Worker(
        fs_broker, tmp_path, pool="solo", extra_args=["-f", str(logfile)],
        env={"LOGKIT_SCHEMA": schema},
    )  # fmt: skip
    everything = Follower(str(logfile))
    worker.start(wait_ready=False)
    try:
        everything.wait_for("starting")  # the worker's first lines, as they are written
        first = worker.send("add", 1, 2)
        failing = worker.send("fail", "tok")
        only_failing = Follower("--task", failing, str(logfile))
        try:
            shown = everything.wait_for(f"worker_app.add[{first}] succeeded")
            assert " info     Task " in shown
            failed = only_failing.wait_for(f"worker_app.fail[{failing}] failed")
            assert " error    " in failed
            # The stack follows its line, indented; another task's lines are not shown.
            assert any(line.startswith("    ZeroDivisionError") for line in only_failing.lines)
            assert not any(first in line for line in only_failing.lines)
        finally:
            only_failing.stop()
    finally:
        worker.stop()
        everything.stop()
