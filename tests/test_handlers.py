"""LineHandler: one write per line, one lock per file descriptor, a dead holder's taken over."""

from __future__ import annotations

import logging
import os
import time

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
