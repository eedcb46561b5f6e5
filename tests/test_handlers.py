"""LineHandler: one write per line, one lock per file descriptor, a dead holder's taken over."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from celery_logkit import _errors, _handlers
from celery_logkit._handlers import LineHandler, SharedLineLock, lock_for


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


def _finishes_in_a_child(run: Callable[[], None], timeout: float = 10) -> bool:
    """Run *run* in a forked child; False if it had not returned after *timeout* seconds."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            run()
        finally:
            os._exit(0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitpid(child, os.WNOHANG)[0]:
            return True
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    return False


def test_a_lock_taken_by_a_process_killed_before_it_recorded_its_pid_is_taken_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_handlers, "_WAIT", 0.1)
    lock = SharedLineLock()
    child = os.fork()
    if child == 0:  # pragma: no cover - dies between the semaphore and the pid
        lock._semaphore.acquire()
        os._exit(0)
    os.waitpid(child, 0)

    def acquire_and_release() -> None:
        lock.acquire()
        lock.release()

    assert _finishes_in_a_child(acquire_and_release), "no holder recorded: waited forever"


@pytest.mark.parametrize("gap", ["acquire", "release"])
def test_a_signal_handler_line_between_the_lock_and_its_owner_does_not_hang(gap: str) -> None:
    """A handler that runs just after the lock is taken, or just before it is released."""
    read, write = os.pipe()

    def write_with_a_signal_in_the_gap() -> None:
        lock = SharedLineLock()
        signal.signal(
            signal.SIGALRM,
            lambda signum, frame: lock.write(write, b"notice\n"),
        )
        original = getattr(lock, gap)
        signals = [signal.SIGALRM]  # one, on the first line's lock only

        def acquire() -> None:
            original()
            for signum in signals:
                signal.raise_signal(signum)  # its handler runs before this returns
            signals.clear()

        def release() -> None:
            for signum in signals:
                signal.raise_signal(signum)
            signals.clear()
            original()

        setattr(lock, gap, acquire if gap == "acquire" else release)
        lock.write(write, b"line\n")

    finished = _finishes_in_a_child(write_with_a_signal_in_the_gap, timeout=5)
    os.close(write)
    with os.fdopen(read, "rb") as received:
        lines = received.read().splitlines()
    assert finished, "the handler waited for the lock its own thread held"
    assert lines == [b"line", b"notice"]


def test_a_child_forked_while_a_thread_wrote_does_not_take_a_new_thread_for_it() -> None:
    lock = SharedLineLock()
    read, write = os.pipe()
    lock._writers.add(threading.get_ident())  # as if this thread were writing at the fork
    finished = _finishes_in_a_child(lambda: lock.write(write, b"child line\n"))
    os.close(write)
    with os.fdopen(read, "rb") as received:
        assert finished
        assert received.read() == b"child line\n", (
            "the child's line was left to a writer it has not"
        )


def test_a_failing_write_is_reported_not_raised(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_errors, "_last", {})  # no report of an earlier test holds this one back
    read, write = os.pipe()
    stream = os.fdopen(write, "w")
    handler = LineHandler(stream)
    handler.emit(logging.LogRecord("x", logging.INFO, __file__, 1, "fine", (), None))
    assert os.read(read, 100) == b"fine\n"
    assert capfd.readouterr().err == "", "a write that works reports nothing"
    os.close(read)
    handler.emit(logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None))  # EPIPE
    stream.close()
    reports = [json.loads(line) for line in capfd.readouterr().err.splitlines()]
    assert [r["error"]["type"] for r in reports] == ["BrokenPipeError"], reports
    assert reports[0]["message"].startswith("celery-logkit internal error while writing a log line")


def _small_pipe() -> tuple[int, LineHandler]:
    """A pipe of one page, so that a long line blocks early, and a handler writing to it."""
    read, write = os.pipe()
    fcntl.fcntl(write, 1031, 4096)  # F_SETPIPE_SZ
    handler = LineHandler(os.fdopen(write, "w"))
    handler.setFormatter(logging.Formatter("%(message)s"))
    return read, handler


def _line(message: str) -> logging.LogRecord:
    return logging.LogRecord("x", logging.INFO, __file__, 1, message, (), None)


def _kill_while_blocked(handler: LineHandler, message: str) -> None:
    child = os.fork()
    if child == 0:  # pragma: no cover - killed while blocked in write()
        handler.emit(_line(message))
        os._exit(0)
    time.sleep(0.5)  # the pipe is full and nobody reads it: the child is blocked
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)


def _write_next_and_read_all(read: int, handler: LineHandler) -> list[bytes]:
    received = bytearray()

    def reader() -> None:
        while chunk := os.read(read, 65536):
            received.extend(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    handler.emit(_line('{"message": "next"}'))
    handler.stream.close()
    thread.join(10)
    os.close(read)
    return bytes(received).splitlines()


def test_a_line_left_unfinished_by_a_killed_writer_is_finished_by_the_next() -> None:
    read, handler = _small_pipe()
    _kill_while_blocked(handler, json.dumps({"message": "killed", "pad": "f" * 20000}))
    lines = _write_next_and_read_all(read, handler)
    assert [json.loads(line)["message"] for line in lines] == ["killed", "next"], [
        line[:40] + b"..." + line[-40:] for line in lines
    ]


def test_a_line_too_long_to_keep_is_ended_before_the_next() -> None:
    read, handler = _small_pipe()
    _kill_while_blocked(handler, "x" * 100000)
    lines = _write_next_and_read_all(read, handler)
    assert lines[-1] == b'{"message": "next"}', lines[-1][-80:]
    assert set(lines[0]) == {ord("x")}


def test_a_line_from_a_signal_handler_waits_for_the_line_it_interrupted() -> None:
    read, handler = _small_pipe()

    def notice(signum: int, frame: object) -> None:
        handler._shared.write(handler._fd, b'{"message": "notice"}\n')

    received = bytearray()

    def reader() -> None:
        time.sleep(1.0)  # the alarm goes off while the line below is blocked
        while chunk := os.read(read, 65536):
            received.extend(chunk)

    thread = threading.Thread(target=reader)
    previous = signal.signal(signal.SIGALRM, notice)
    try:
        thread.start()
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        handler.emit(_line(json.dumps({"message": "long", "pad": "f" * 20000})))
    finally:
        signal.signal(signal.SIGALRM, previous)
    handler.stream.close()
    thread.join(10)
    os.close(read)
    lines = bytes(received).splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["long", "notice"], [
        line[:40] + b"..." + line[-40:] for line in lines
    ]


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
