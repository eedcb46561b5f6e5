"""Write whole lines, even when several processes share one pipe.

Prefork children inherit the worker's stderr, which under Docker or Kubernetes is a
pipe.  The kernel keeps a write of at most ``PIPE_BUF`` bytes (4 KiB) in one piece but
may split a larger one, and another process's line can land in the gap — even a small
one.  So :class:`LineHandler` writes each line with ``os.write`` (no Python buffer to
flush) while holding a semaphore shared by every handler on the same file descriptor
(root's, ``celery.task``'s and billiard's each have one) and by the processes forked
after it was made.
Uncontended, taking it costs no system call.  A process killed while holding it (a
hard time limit, the OOM killer) would block the others: a waiter that finds the
holder dead takes the lock over.
"""

from __future__ import annotations

import logging
import mmap
import multiprocessing
import os
import sys
from typing import IO, Any

from . import _process
from ._errors import report_internal_error
from .formatter import PipelineFormatter

__all__ = ["LineHandler", "SharedLineLock"]

_WAIT = 1.0
"""Seconds between checks that the lock's holder is still alive."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


class SharedLineLock:
    """A lock for the processes forked after it was made; a dead holder's is taken over."""

    def __init__(self) -> None:
        _process.current_pid()
        self._semaphore = multiprocessing.BoundedSemaphore(1)
        # The holder's pid, in memory shared with the processes forked later.
        self._holder = memoryview(mmap.mmap(-1, 8)).cast("i")

    def acquire(self) -> None:
        """Wait for the lock (taking it over from a holder that died)."""
        if not self._semaphore.acquire(False):
            while not self._semaphore.acquire(timeout=_WAIT):
                holder = self._holder[0]
                if holder and holder != _process.pid and not _alive(holder):
                    break
        self._holder[0] = _process.pid

    def release(self) -> None:
        """Release the lock (a second release after a take-over is harmless)."""
        self._holder[0] = 0
        try:  # noqa: SIM105 - no context manager object per line
            self._semaphore.release()
        except ValueError:  # released already by a take-over
            pass


_locks: dict[int, SharedLineLock] = {}


def lock_for(fd: int) -> SharedLineLock:
    """Return the one lock of everything in this process tree that writes to *fd*."""
    lock = _locks.get(fd)
    if lock is None:
        lock = _locks.setdefault(fd, SharedLineLock())
    return lock


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A :class:`logging.StreamHandler` whose lines never interleave across processes."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self._fd = self.stream.fileno()
        self._shared = lock_for(self._fd)

    def _write_rest(self, view: memoryview) -> None:
        while view:
            view = view[os.write(self._fd, view) :]

    def handle(self, record: logging.LogRecord) -> bool:
        """Filter and emit *record*; the shared lock, not the handler's, orders the writes."""
        if self.filters:
            rv = self.filter(record)
            if not rv:
                return False
            if isinstance(rv, logging.LogRecord):  # Python 3.12+: a filter may replace it
                record = rv
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Write *record*'s line in one piece."""
        try:
            formatter = self.formatter
            if isinstance(formatter, PipelineFormatter):
                end = self.terminator
                data = formatter.format_bytes(record) + (
                    b"\n" if end == "\n" else end.encode("utf-8", "backslashreplace")
                )
            else:
                data = (self.format(record) + self.terminator).encode("utf-8", "backslashreplace")
            shared = self._shared
            shared.acquire()
            try:
                written = os.write(self._fd, data)
                if written < len(data):
                    self._write_rest(memoryview(data)[written:])
            finally:
                shared.release()
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - a log line must not break the task
            self.handleError(record)

    def flush(self) -> None:
        """Nothing is buffered: each line is written when emitted."""

    def handleError(self, record: logging.LogRecord) -> None:
        """Report the failure once (rate-limited) instead of a traceback per record."""
        report_internal_error("writing a log line", sys.exc_info()[1])

    @classmethod
    def replacing(cls, handler: logging.StreamHandler[Any]) -> LineHandler:
        """Return a LineHandler for *handler*'s stream, with its level and filters."""
        line = cls(handler.stream)
        line.setLevel(handler.level)
        line.filters = list(handler.filters)
        line.setFormatter(handler.formatter)
        return line
