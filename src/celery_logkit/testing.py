"""Capture the structured records your tasks write, to assert on them in tests.

:func:`capture_logs` collects, while it is active, one plain dict per record written
by any logger: the object the default schema's JSON line holds, built by the same
formatter a worker uses (task context, lifecycle events, your fields, ``error``,
redaction with the installed ``redact_keys``, the size cap).  The ``logkit_logs``
pytest fixture, registered by installing celery-logkit, yields the same list.

Importing this module configures nothing; entering :func:`capture_logs` attaches one
handler and lowers levels, and leaving it puts everything back.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
import weakref
from types import TracebackType
from typing import Any

from celery import signals

from ._formatter import JsonFormatter
from .schemas import get_schema

__all__ = ["CapturedLogs", "capture_logs"]

Record = dict[str, Any]

_MISSING = object()
_ids = itertools.count()
_LOGGING_SET_UP = (signals.after_setup_logger, signals.after_setup_task_logger, signals.worker_init)
"""Sent after celery (or an app's ``setup_logging`` receiver) may have reset levels."""


class CapturedLogs(list[Record]):
    """The records captured so far, oldest first: a list of plain dicts.

    Records written by other threads (celery's in-process test worker) may arrive
    after the call that caused them returns: :meth:`wait_for` awaits one.
    """

    def __init__(self) -> None:
        super().__init__()
        self._arrived = threading.Condition()

    def _add(self, record: Record) -> None:
        with self._arrived:
            self.append(record)
            self._arrived.notify_all()

    def matching(self, **fields: Any) -> list[Record]:
        """Return the records whose top-level *fields* equal the given values."""
        return [r for r in list(self) if _matches(r, fields)]

    def wait_for(self, *, timeout: float = 10.0, **fields: Any) -> Record:
        """Return the first record matching *fields*, waiting up to *timeout* seconds.

        Raises ``AssertionError`` naming what was captured if none arrives in time.
        """
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = self.matching(**fields)
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(r.get("logger"), r.get("event") or r.get("message")) for r in self]
                    raise AssertionError(
                        f"no record with {fields!r} within {timeout}s; captured: {seen!r}"
                    )
                self._arrived.wait(left)


def _matches(record: Record, fields: dict[str, Any]) -> bool:
    return all(record.get(key, _MISSING) == value for key, value in fields.items())


def _as_level(level: int | str) -> int:
    if isinstance(level, int) and not isinstance(level, bool) and level >= 0:
        return level
    if isinstance(level, str):
        number = logging.getLevelNamesMapping().get(level.upper())
        if number is not None:
            return number
    raise ValueError(
        f"level={level!r} is not a level: use a name ('DEBUG', 'INFO', ...) or a number"
    )


class _CaptureHandler(logging.Handler):
    """Render each record as the JSON line a worker writes, and keep it as a dict."""

    def __init__(self, logs: CapturedLogs, level: int, schema: str) -> None:
        super().__init__(level)
        self.logs = logs
        self.schema = schema
        self._seen: weakref.WeakSet[logging.LogRecord] = weakref.WeakSet()

    def _formatter(self) -> logging.Formatter:
        # The schema asked for; the rest follows install()'s options, as in a worker.
        if self.formatter is None:
            self.formatter = JsonFormatter(schema=self.schema)
        return self.formatter

    def emit(self, record: logging.LogRecord) -> None:
        """Keep *record* once, even if it reaches this handler on two loggers."""
        if record in self._seen:
            return
        self._seen.add(record)
        try:
            self.logs._add(json.loads(self._formatter().format(record)))
        except Exception:  # noqa: BLE001 - as any handler: report, never raise
            self.handleError(record)


class _Capture:
    """The context manager :func:`capture_logs` returns."""

    def __init__(self, level: int, schema: str) -> None:
        self.level = level
        self.logs = CapturedLogs()
        self.handler = _CaptureHandler(self.logs, level, schema)
        self._lock = threading.RLock()
        self._attached: list[logging.Logger] = []
        self._levels: dict[logging.Logger, int] = {}
        self._uid = f"celery_logkit.testing.{next(_ids)}"
        self._active = False

    def __enter__(self) -> CapturedLogs:
        if self._active:
            raise RuntimeError("this capture is already active: call capture_logs() for another")
        self._active = True
        for signal in _LOGGING_SET_UP:
            signal.connect(self._on_logging_set_up, weak=False, dispatch_uid=self._uid)
        self.apply()
        return self.logs

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._active = False
            for signal in _LOGGING_SET_UP:
                signal.disconnect(self._on_logging_set_up, dispatch_uid=self._uid)
            for logger in self._attached:
                logger.removeHandler(self.handler)
            self._attached.clear()
            for logger, level in self._levels.items():
                if logger.level == self.level:  # else it was set again since: keep that
                    logger.setLevel(level)
            self._levels.clear()

    def _on_logging_set_up(self, **_: Any) -> None:
        self.apply()

    def apply(self) -> None:
        """Attach the handler where records end up, and let records at the level through.

        The handler goes on the root logger and on every logger that does not
        propagate (celery's ``celery.task`` in a worker), so each record reaches it
        exactly once.  Every level above the capture's is lowered to it, remembering
        the level to restore.  Run again whenever something may have undone this:
        celery setting up a worker's logging (or an app's ``setup_logging`` receiver,
        before ``worker_init``), pytest's ``log_level`` between phases.
        """
        with self._lock:
            if not self._active:
                return
            root = logging.getLogger()
            existing = [
                logger
                for logger in list(logging.Logger.manager.loggerDict.values())
                if isinstance(logger, logging.Logger)
            ]
            for logger in (root, *existing):
                if (logger is root or not logger.propagate) and (
                    self.handler not in logger.handlers
                ):
                    logger.addHandler(self.handler)
                    if logger not in self._attached:
                        self._attached.append(logger)
                if logger.level > self.level:
                    self._levels[logger] = logger.level
                    logger.setLevel(self.level)


def capture_logs(level: int | str = logging.INFO, *, schema: str = "default") -> _Capture:
    """Capture every record written while active, as the dicts a worker's lines hold.

    Use it as a context manager; it yields a :class:`CapturedLogs` list that fills
    with one dict per record at *level* (a number or a name, ``"INFO"`` by default,
    what ``celery worker -l INFO`` writes) or above, from every logger: task
    loggers, plain ``logging`` loggers, celery's own.  Loggers whose level would
    filter such records are lowered while it is active (as pytest's
    ``caplog.set_level``, for every logger), so other handlers see them too.

    Each dict is the JSON object the *schema* (``"default"``; ``"ecs"`` or
    ``"datadog"`` for those lines) would write, from the real formatter: values are
    as JSON holds them (a ``UUID`` as its string), secrets redacted with the
    installed ``redact_keys``.  Task context and lifecycle events come from the
    receivers ``install(app)`` connects; without it, records are captured all the
    same, without them.

    Leaving it removes the handler and restores every level it changed; captures
    nest and can be repeated.
    """
    return _Capture(_as_level(level), get_schema(schema).name)
