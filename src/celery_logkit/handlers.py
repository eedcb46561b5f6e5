"""Write whole lines, even when several processes share one pipe.

Prefork children inherit the worker's stderr, which under Docker or Kubernetes is a
pipe: the kernel keeps a write of at most ``PIPE_BUF`` bytes (4 KiB) in one piece, but
interleaves larger ones.  :class:`LineHandler` writes each line with one ``os.write``
(no Python buffer to flush) and, for a line over ``PIPE_BUF``, holds a POSIX record
lock on a file shared by the worker's processes for as long as the line takes — the
kernel drops that lock when its holder dies, so a killed child never blocks the rest.
Small lines, the common case, take no lock at all.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from ._errors import report_internal_error

__all__ = ["PIPE_BUF", "LineHandler"]

PIPE_BUF = getattr(select, "PIPE_BUF", 4096)


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A :class:`logging.StreamHandler` that never interleaves or splits a line."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self._fd = self.stream.fileno()
        # Created before the pool forks, so every child shares the same file.
        self._lockfile = tempfile.TemporaryFile(prefix="celery-logkit-")  # noqa: SIM115 - lives with the handler

    @contextmanager
    def _across_processes(self) -> Iterator[None]:
        fcntl.lockf(self._lockfile, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(self._lockfile, fcntl.LOCK_UN)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def emit(self, record: logging.LogRecord) -> None:
        """Write *record*'s line in one piece."""
        try:
            data = (self.format(record) + self.terminator).encode("utf-8", "backslashreplace")
            if len(data) <= PIPE_BUF:
                self._write(data)
            else:
                with self._across_processes():
                    self._write(data)
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - a log line must not break the task
            self.handleError(record)

    def flush(self) -> None:
        """Nothing is buffered: each line is written when emitted."""

    def handleError(self, record: logging.LogRecord) -> None:
        """Report the failure once (rate-limited) instead of a traceback per record."""
        import sys  # noqa: PLC0415 - only on the failure path

        report_internal_error("writing a log line", sys.exc_info()[1])

    def close(self) -> None:
        """Close the lock file too."""
        try:
            self._lockfile.close()
        finally:
            super().close()

    @classmethod
    def replacing(cls, handler: logging.StreamHandler[Any]) -> LineHandler:
        """Return a LineHandler for *handler*'s stream, with its level and filters."""
        line = cls(handler.stream)
        line.setLevel(handler.level)
        line.filters = list(handler.filters)
        line.setFormatter(handler.formatter)
        return line
