"""LineHandler: one write per line, one lock per file descriptor, a dead holder's taken over."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from celery_logkit.handlers import LineHandler, SharedLineLock, lock_for


def test_handlers_on_one_descriptor_share_one_lock() -> None:
    read, write = os.pipe()
    with os.fdopen(write, "w") as stream:
        first, second = LineHandler(stream), LineHandler(stream)
        assert first._shared is second._shared is lock_for(write)
        first.setFormatter(logging.Formatter("%(message)s"))
        first.emit(logging.LogRecord("x", logging.INFO, __file__, 1, "héllo", (), None))
        assert os.read(read, 100) == "héllo\n".encode()
    os.close(read)


def test_a_lock_whose_holder_died_is_taken_over() -> None:
    lock = SharedLineLock()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child dies holding the lock
        lock.acquire()
        os._exit(0)
    os.waitpid(child, 0)
    started = time.monotonic()
    lock.acquire()
    assert time.monotonic() - started < 10
    lock.release()
    lock.acquire()
    lock.release()


def test_a_failing_write_is_reported_not_raised() -> None:
    read, write = os.pipe()
    stream = os.fdopen(write, "w")
    handler = LineHandler(stream)
    os.close(read)
    handler.emit(logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None))  # EPIPE
    stream.close()


def test_a_json_formatter_subclass_that_changes_format_is_used_as_written(tmp_path: Path) -> None:
    from celery_logkit import JsonFormatter

    class Tagged(JsonFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return super().format(record)[:-1] + ',"tag":"mine"}'

    with (tmp_path / "out").open("w") as stream:
        handler = LineHandler(stream)
        handler.setFormatter(Tagged())
        handler.handle(logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None))
    assert json.loads((tmp_path / "out").read_text())["tag"] == "mine"


def test_a_json_formatter_subclass_that_changes_format_bytes_is_used_as_written(
    tmp_path: Path,
) -> None:
    from celery_logkit import JsonFormatter

    class Prefixed(JsonFormatter):
        def format_bytes(self, record: logging.LogRecord) -> bytes:
            return b"app " + self.format(record).encode()

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    assert json.loads(Prefixed().format(record))["message"] == "m"
    with (tmp_path / "out").open("w") as stream:
        handler = LineHandler(stream)
        handler.setFormatter(Prefixed())
        handler.handle(record)
    text = (tmp_path / "out").read_text()
    assert text.startswith("app ")
    assert json.loads(text.removeprefix("app "))["message"] == "m"
