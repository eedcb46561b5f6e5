"""Task arguments and results in celery's own lines: left out unless asked, redacted if asked.

celery writes a task's arguments and result into several of its own lines: the success
line's return value, the ``args``/``kwargs`` of the context it passes to its received,
succeeded and failed lines, a request's ``repr``, the pool's ``TaskPool: Apply`` line at
DEBUG, and whole message bodies when a message cannot be used.  Those lines reach the
output with ``keep_celery_lines=True`` or ``-l DEBUG``, so the promise of ``log_args`` and
``log_result`` must hold for them too.

:class:`CeleryLineArguments` is a filter on celery's loggers that rewrites a record's
arguments before any handler formats it, by three rules:

* in a mapping among the arguments (celery's context dicts, a request's ``info()``),
  the values under ``args``, ``kwargs``, ``argsrepr`` and ``kwargsrepr`` are the task's
  arguments and the value under ``return_value`` its result: replaced by
  :data:`NOT_LOGGED`, or redacted when ``log_args``/``log_result`` asks for them;
* a worker request stands for itself as ``name[id]``, without its arguments' reprs;
* the raw message payloads of the lines in :data:`PAYLOADS` are never logged: they are
  reprs of serialised messages, which no key-based redaction can read safely.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from celery.worker.consumer import consumer
from celery.worker.request import Request

from ._config import Options
from ._redaction import redactor_for

__all__ = ["NOT_LOGGED", "PAYLOADS", "CeleryLineArguments"]

NOT_LOGGED = "[not logged]"
"""What stands for arguments or a result that the options do not ask to log."""

_ARGUMENTS = frozenset({"args", "kwargs", "argsrepr", "kwargsrepr"})
_RESULTS = frozenset({"return_value"})

PAYLOADS: Mapping[str, frozenset[int]] = {
    "TaskPool: Apply %s (args:%s kwargs:%s)": frozenset({1, 2}),
    consumer.UNKNOWN_TASK_ERROR: frozenset({1}),
    consumer.INVALID_TASK_ERROR: frozenset({1}),
    consumer.UNKNOWN_FORMAT: frozenset({0}),
}
"""celery's messages whose arguments at these positions are raw message payloads."""


class _Text(str):
    """Text that is also its own ``repr``, to stand for an object formatted with ``%r``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class CeleryLineArguments(logging.Filter):
    """Rewrite the task arguments and results in celery's records (never drops one)."""

    LOGGERS = (
        "celery.app.trace",
        "celery.worker.strategy",
        "celery.worker.request",
        "celery.worker.consumer.consumer",
        "celery.pool",
    )
    """celery's loggers whose records can carry a task's arguments or result."""

    def __init__(self, options: Callable[[], Options]) -> None:
        super().__init__()
        self.options = options

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace *record*'s arguments with what the options allow to be seen."""
        args = record.args
        if not args:
            return True
        options = self.options()
        if isinstance(args, Mapping):
            shown: Any = self._mapping(args, options)
            if record.__dict__.get("data") is args:
                record.data = shown  # celery's ``extra={"data": context}``, for other handlers
        else:
            payloads = PAYLOADS.get(record.msg) if isinstance(record.msg, str) else None
            shown = tuple(
                NOT_LOGGED if payloads and index in payloads else self._value(arg, options)
                for index, arg in enumerate(args)
            )
        record.args = shown
        return True

    def _value(self, value: object, options: Options) -> object:
        if isinstance(value, Mapping):
            return self._mapping(value, options)
        if isinstance(value, Request):
            return _Text(str(value))
        return value

    def _mapping(self, values: Mapping[Any, Any], options: Options) -> dict[Any, Any]:
        redactor = redactor_for(options.redact_keys)
        shown: dict[Any, Any] = {}
        for key, value in values.items():
            if key in _ARGUMENTS or key in _RESULTS:
                asked = options.log_args if key in _ARGUMENTS else options.log_result
                shown[key] = redactor.redact_repr(str(value)) if asked else NOT_LOGGED
            else:
                shown[key] = value
        return shown
