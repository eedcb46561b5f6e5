"""A real worker's output streams: whole lines after a kill, print() by line, ``-f`` for all."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from .harness import Broker, Worker, text_of

pytestmark = pytest.mark.worker


def _wait_for_file(path: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written within {timeout}s")


def test_a_child_killed_while_blocked_on_a_full_pipe_leaves_no_glued_line(
    fs_broker: Broker, tmp_path: Path
) -> None:
    pidfile = tmp_path / "child.pid"
    with Worker(fs_broker, tmp_path, pool="prefork", concurrency=2) as worker:
        worker.stall()  # the log collector stops reading: the pipe fills up
        worker.send("chatty_until_killed", str(pidfile), 50)  # 50 lines of 12 kB
        child = int(_wait_for_file(pidfile))
        time.sleep(1.5)  # the child is blocked in write() on the full pipe
        os.kill(child, signal.SIGKILL)
        time.sleep(0.5)
        worker.resume()
        lost = worker.wait_for(lambda r: "signal 9" in text_of(r), timeout=30)
    bad = [f"{line.stream}: {line.text[:120]!r}...{line.text[-200:]!r}" for line in worker.not_json]
    assert not bad, "lines that are not JSON objects:\n" + "\n".join(bad)
    assert lost["logger"] == "multiprocessing", lost
    assert str(child) in text_of(lost)


@pytest.mark.parametrize("pool", ["prefork", "gevent"])
def test_print_in_a_task_is_one_record_per_line(
    fs_broker: Broker, tmp_path: Path, pool: str
) -> None:
    with Worker(fs_broker, tmp_path, pool=pool, concurrency=2) as worker:
        task_id = worker.send("printing", "p1")
        worker.wait_for(lambda r: text_of(r) == "unfinished p1", timeout=30)
    redirected = [r for r in worker.records if r["logger"] == "celery.redirected"]
    printed = [text_of(r) for r in redirected if r.get("task_id") == task_id]
    assert printed[0] == "charged p1 7", printed
    assert printed[1] == "Traceback (most recent call last):", printed
    assert "ValueError: printed p1" in printed, printed
    assert printed[-1] == "unfinished p1", printed
    assert not [text for text in printed if not text.strip()], printed
    elsewhere = [r for r in redirected if r.get("task_id") != task_id and "p1" in text_of(r)]
    assert not elsewhere, "every printed line carries its task"


def test_with_a_logfile_every_line_goes_to_it(fs_broker: Broker, tmp_path: Path) -> None:
    logfile = tmp_path / "worker.log"
    worker = Worker(
        fs_broker,
        tmp_path,
        pool="solo",
        extra_args=["-f", str(logfile)],
        env={"C_FORCE_ROOT": "1", "LOGKIT_SETTINGS": json.dumps({"accept_content": ["pickle"]})},
    )
    worker.start(wait_ready=False)
    try:
        deadline = time.monotonic() + 60
        while " ready." not in (logfile.read_text() if logfile.exists() else ""):
            assert time.monotonic() < deadline, "the worker did not get ready"
            time.sleep(0.1)
    finally:
        worker.stop()
    records = [json.loads(line) for line in logfile.read_text().splitlines() if line]
    messages = [text_of(r) for r in records]
    found = {
        "shutdown notice": "worker: Warm shutdown (MainProcess)" in messages,
        "SecurityWarning": any("SecurityWarning" in m for m in messages),
    }
    assert all(found.values()), (found, messages)
    assert [line.text for line in worker.lines] == [], "nothing outside the logfile"
