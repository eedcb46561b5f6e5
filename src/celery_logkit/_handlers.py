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
holder dead takes the lock over, and so does one that finds the lock taken with no
holder recorded for a whole wait (killed between taking it and recording its pid).
A signal handler that logs while its own thread is inside a write (celery's shutdown
notice) leaves its line to that write instead of waiting for a lock its own process
holds.  Such a process may have died part-way through its
line (blocked on a full pipe, say): the lock keeps that line and how much of it was
written in the same shared memory, and the next writer writes the rest before its
own line, so no record ever shares a line with another.
"""

from __future__ import annotations

import logging
import mmap
import multiprocessing
import os
import select
import sys
import threading
import time
from typing import IO, Any

from . import _process
from ._errors import report_internal_error
from ._formatter import LineFormatter

__all__ = ["LineHandler", "SharedLineLock"]

_WAIT = 1.0
"""Seconds between checks that the lock's holder is still alive."""

_LOOK = 0.01
"""Seconds between looks for a pid while the lock is taken with none recorded."""


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
    """A lock for the processes forked after it was made; a dead holder's is taken over.

    :meth:`write` is the one way lines reach the descriptor.  It keeps a line longer
    than a pipe's atomic write while it is written, and how much of it the kernel has
    taken, in memory shared by the processes: a writer that takes the lock over from a
    holder killed part-way through such a line writes the rest of it first.
    """

    def __init__(self) -> None:
        _process.current_pid()
        self._semaphore = multiprocessing.BoundedSemaphore(1)
        shared = mmap.mmap(-1, _HEADER + _KEPT)
        # In memory shared with the processes forked later: the holder's pid, then
        # the length of the line being written (0 once it is whole), the bytes of it
        # written so far, and (_KEPT bytes) the line itself.
        self._state = memoryview(shared)[:_HEADER].cast("i")
        self._line = memoryview(shared)[_HEADER:]
        # This process's threads inside write(), from before they take the lock until
        # after they release it, and lines a signal handler left to them.
        self._writers: set[int] = set()
        self._deferred: list[bytes] = []
        # A child forked while another thread was writing has neither that thread nor
        # its lines: a new thread given that thread's id must not be taken for it.
        os.register_at_fork(after_in_child=self._forget_writers)

    def _forget_writers(self) -> None:
        self._writers.clear()
        self._deferred.clear()

    def acquire(self) -> None:
        """Wait for the lock (taking it over from a holder that died).

        The pid is recorded just after the semaphore is taken: a holder killed in
        between leaves none, and a lock taken with no pid recorded for a whole wait
        is such a holder's.
        """
        state = self._state
        if not self._semaphore.acquire(False):
            while not self._semaphore.acquire(timeout=_WAIT):
                holder = state[0]
                if holder:
                    if holder != _process.pid and not _alive(holder):
                        break
                elif self._got_or_unrecorded():
                    break
        state[0] = _process.pid

    def _got_or_unrecorded(self) -> bool:
        """Wait up to ``_WAIT`` for the lock, looking at the holder's pid as it waits.

        True once this process may write: it has the lock, or the lock stayed taken
        with no pid recorded all along.  A live holder records its pid a moment after
        taking the lock, so a pid seen at any look (False) means one is writing.
        Looking only while waiting keeps the per-line path free of any count.
        """
        deadline = time.monotonic() + _WAIT
        while time.monotonic() < deadline:
            if self._semaphore.acquire(timeout=_LOOK):
                return True
            if self._state[0]:
                return False
        return True

    def release(self) -> None:
        """Release the lock (a second release after a take-over is harmless)."""
        self._state[0] = 0
        try:  # noqa: SIM105 - no context manager object per line
            self._semaphore.release()
        except ValueError:  # released already by a take-over
            pass

    def write(self, fd: int, data: bytes) -> None:
        """Write *data*, whole lines, to *fd* under the lock, finishing a dead writer's line.

        A write from a thread already inside one can only come from a signal handler
        that interrupted it, wherever it was (taking the lock, holding it, releasing
        it): waiting would never end, so *data* is left to the interrupted write, which
        writes it after its own line.  The nesting is what decides, so a signal handler
        that logs is covered as celery's notices are.
        """
        me = threading.get_ident()
        writers = self._writers
        if me in writers:
            self._deferred.append(data)
            return
        writers.add(me)
        try:
            self.acquire()
            try:
                self._write_held(fd, data)
                while self._deferred and (line := self._take_deferred()) is not None:
                    self._write_held(fd, line)
            finally:
                self.release()
        finally:
            writers.discard(me)
        # Left by a handler that ran after the last look above.
        while self._deferred and (line := self._take_deferred()) is not None:
            self.write(fd, line)

    def _take_deferred(self) -> bytes | None:
        """Return the oldest line a signal handler left, or None if another thread took it."""
        try:
            return self._deferred.pop(0)
        except IndexError:
            return None

    def _write_held(self, fd: int, data: bytes) -> None:
        """Write *data*, finishing first a line a killed writer left unfinished.

        A pipe takes a write of at most ``PIPE_BUF`` bytes whole or not at all, so a
        writer killed while blocked on such a line leaves nothing to finish: it is
        written as it is.  A longer line goes out in such pieces, counted in the shared
        memory with the line itself, so that the next writer writes the rest of it (or,
        for a line longer than the memory kept, a newline) before its own.
        """
        state = self._state
        if state[1]:
            size, written = state[1], state[2]
            state[1] = 0
            _write_all(fd, self._line[written:size].tobytes() if size <= _KEPT else b"\n")
        size = len(data)
        if size <= _PIPE_BUF:
            written = os.write(fd, data)
            if written < size:  # a terminal or a file may take less
                _write_all(fd, data[written:])
            return
        if size <= _KEPT:
            self._line[:size] = data
        state[2] = 0
        state[1] = size
        view = memoryview(data)
        while state[2] < size:
            state[2] += os.write(fd, view[state[2] : state[2] + _PIPE_BUF])
        state[1] = 0


_HEADER = 16
"""Bytes of the shared state before the kept line: four ints."""
_KEPT = 65536
"""Bytes of a line kept in shared memory while it is written (longer ones are not)."""

_PIPE_BUF = select.PIPE_BUF
"""The largest write a pipe takes whole or not at all."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_locks: dict[int, SharedLineLock] = {}


def lock_for(fd: int) -> SharedLineLock:
    """Return the one lock of everything in this process tree that writes to *fd*."""
    lock = _locks.get(fd)
    if lock is None:
        lock = _locks.setdefault(fd, SharedLineLock())
    return lock


def _writes_bytes(formatter: logging.Formatter | None) -> bool:
    """Whether *formatter*'s ``format_bytes`` writes its lines.

    True for a logkit formatter whose class changes ``format`` no later than
    ``format_bytes``: a subclass that changes only ``format`` is used through it, as written.
    """
    if not isinstance(formatter, LineFormatter):
        return False
    mro = type(formatter).__mro__
    own_format = next(cls for cls in mro if "format" in vars(cls))
    own_bytes = next(cls for cls in mro if "format_bytes" in vars(cls))
    return issubclass(own_bytes, own_format)


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A :class:`logging.StreamHandler` whose lines never interleave across processes."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self._fd = self.stream.fileno()
        self._shared = lock_for(self._fd)
        self._seen: tuple[logging.Formatter | None, bool] = (None, False)
        """The formatter last used, and whether its ``format_bytes`` is what it writes."""

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
            seen = self._seen
            if formatter is not seen[0]:
                seen = self._seen = (formatter, _writes_bytes(formatter))
            if seen[1]:
                end = self.terminator
                data = formatter.format_bytes(record) + (  # type: ignore[union-attr]
                    b"\n" if end == "\n" else end.encode("utf-8", "backslashreplace")
                )
            else:
                data = (self.format(record) + self.terminator).encode("utf-8", "backslashreplace")
            self._shared.write(self._fd, data)
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
