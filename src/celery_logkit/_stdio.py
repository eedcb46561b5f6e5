"""``print()`` in a worker: one record per printed line.

celery's ``worker_redirect_stdouts`` replaces ``sys.stdout`` and ``sys.stderr`` with a
:class:`celery.utils.log.LoggingProxy`, which logs every ``write`` call as a record:
``print("charged", n)`` makes three (``"charged"``, ``" "``, ``"7"``) and
``traceback.print_exc()`` one per chunk it writes.  :class:`LineProxy` keeps what is
written until its newline and logs each complete line as one record.

Text is kept per thread (per greenlet under a patched gevent or eventlet), so tasks
running side by side never mix their halves of a line.  It is kept with the thread
that wrote it, not just its id: a thread that ends mid-line and a later one given the
same id never share a line (the first one's text is logged as a line of its own).
A line still waiting for its newline is logged when its task ends
(:func:`flush_current`, on ``task_postrun``) and when the process shuts down
(:func:`flush_all`); ``flush()`` does not end a line.  A carriage return ends one as a
newline does: a progress bar (tqdm) redrawn in place logs a record per redraw, where
it would otherwise grow one line to the 64K-character cap.
A multi-line ``print()`` or traceback is one record per line, as a file would show it.

The proxy is made by the app's ``Logging.redirect_stdouts_to_logger``, the one
function celery calls to redirect; it runs in the worker's main process before the
pool starts, so prefork children inherit it, and solo, threads and gevent pools use it
in place.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import celery.utils.log
from celery.utils.log import LoggingProxy

__all__ = ["LineProxy", "flush_all", "flush_current", "redirect_stdouts_to_logger"]

_MAX_PENDING = 65536
"""Characters kept waiting for a newline before they are logged as a line anyway."""


class LineProxy(LoggingProxy):  # type: ignore[misc]  # celery is untyped
    """A :class:`~celery.utils.log.LoggingProxy` that logs one record per line."""

    def __init__(self, logger: logging.Logger, loglevel: int | str | None = None) -> None:
        super().__init__(logger, loglevel)
        # Per thread id: the thread that wrote the unfinished text, and the text.
        self._pending: dict[int, tuple[threading.Thread, str]] = {}

    def write(self, data: Any) -> int:
        """Keep *data* until its newline; log each complete line as one record."""
        if celery.utils.log._in_sighandler or not data or self.closed:
            return int(super().write(data))
        if getattr(self._thread, "recurse_protection", False):
            return 0  # a handler is writing back to this proxy
        text = celery.utils.log.safe_str(data)
        key = threading.get_ident()
        thread = threading.current_thread()
        writer, pending = self._pending.pop(key, (thread, ""))
        if writer is not thread:  # the id's previous thread ended mid-line
            self._log(pending)
            pending = ""
        pending += text
        if "\r" in pending:
            pending = pending.replace("\r", "\n")
        *lines, rest = pending.split("\n")
        if len(rest) >= _MAX_PENDING:
            lines.append(rest)
            rest = ""
        if rest:
            self._pending[key] = (thread, rest)
        for line in lines:
            self._log(line)
        return len(data)

    def flush_thread(self, key: int) -> None:
        """Log the unfinished line of the thread (or greenlet) *key*, if any."""
        _, rest = self._pending.pop(key, (None, ""))
        if rest:
            self._log(rest)

    def flush_all(self) -> None:
        """Log every thread's unfinished line."""
        for key in list(self._pending):
            self.flush_thread(key)

    def _log(self, line: str) -> None:
        if not line:
            return
        self._thread.recurse_protection = True
        try:
            self.logger.log(self.loglevel, line)
        finally:
            self._thread.recurse_protection = False


def _proxies() -> list[LineProxy]:
    found: list[LineProxy] = []
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, LineProxy) and stream not in found:
            found.append(stream)
    return found


def flush_current(**_: Any) -> None:
    """Log the calling thread's unfinished printed line (a task has ended)."""
    key = threading.get_ident()
    for proxy in _proxies():
        proxy.flush_thread(key)


def flush_all(**_: Any) -> None:
    """Log every unfinished printed line (the process is shutting down)."""
    for proxy in _proxies():
        proxy.flush_all()


def redirect_stdouts_to_logger(
    logger: logging.Logger,
    loglevel: int | str | None = None,
    stdout: bool = True,
    stderr: bool = True,
) -> LineProxy:
    """Redirect ``sys.stdout`` and ``sys.stderr`` to *logger*, one record per line.

    Takes the place of ``Logging.redirect_stdouts_to_logger`` on the installed app.
    """
    proxy = LineProxy(logger, loglevel)
    if stdout:
        sys.stdout = proxy
    if stderr:
        sys.stderr = proxy
    return proxy
