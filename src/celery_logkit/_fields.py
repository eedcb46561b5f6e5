"""What celery-logkit puts on records: keyword fields and the running task's context.

Both are ordinary record attributes, set as ``extra=`` sets its keys, so any formatter
on the same loggers (python-json-logger, ecs-logging, a ``%(task_id)s`` format) prints
them.  A keyword field named like a ``LogRecord`` attribute (``name=``, ``args=``)
cannot be one: it is kept beside the record, where only celery-logkit's formatter looks
(:func:`reserved_fields`).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from ._context import _task_context

__all__ = [
    "PENDING_RESERVED",
    "RESERVED_KEYS",
    "TaskContextFilter",
    "add_task_context",
    "add_to_foreign_handlers",
    "keep_reserved",
    "redact_attributes",
    "reserved_fields",
    "set_fields",
]

RESERVED_KEYS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}
"""What ``extra=`` may not set (``Logger.makeRecord`` raises ``KeyError``)."""
PENDING_RESERVED = "_logkit_pending_reserved"
"""Where reserved-name fields wait in ``extra`` while stdlib's ``_log`` makes the record;
the logger takes them off the record before any handler sees it."""

_reserved: weakref.WeakKeyDictionary[logging.LogRecord, dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)
_keeps_reserved = False
"""Whether any record's reserved-name fields were kept (most programs never do)."""


def reserved_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """Return *record*'s keyword fields named like ``LogRecord`` attributes, if any.

    ``logger.info("x", name="n")`` cannot set ``record.name`` (that is the logger's
    name, and other formatters read it as such), so such fields are kept beside the
    record, where only celery-logkit's formatter looks.
    """
    if not _keeps_reserved:
        return None
    return _reserved.get(record)


def keep_reserved(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """Keep reserved-name *fields* beside *record* (see :func:`reserved_fields`)."""
    global _keeps_reserved  # noqa: PLW0603 - set once, the first time it is true
    _keeps_reserved = True
    _reserved[record] = fields


def set_fields(record: logging.LogRecord, fields: Mapping[str, Any]) -> None:
    """Set keyword *fields* on *record* as ``extra=`` sets its keys, reserved names aside."""
    values = record.__dict__
    if RESERVED_KEYS.isdisjoint(fields):
        values.update(fields)
        return
    reserved = {}
    for key, value in fields.items():
        if key in RESERVED_KEYS:
            reserved[key] = value
        else:
            values[key] = value
    keep_reserved(record, reserved)


def add_task_context(record: logging.LogRecord) -> None:
    """Set the running task's context on *record*, each key the record does not have yet.

    So any formatter (python-json-logger, ecs-logging, a ``%(task_id)s`` format) finds
    ``task_id``, ``task_name``... on every record written while a task runs; a key the
    caller set with ``extra=`` keeps the caller's value.
    """
    context = _task_context.get()
    if context:
        values = record.__dict__
        for key, value in context.items():
            if key not in values:
                values[key] = value


class TaskContextFilter(logging.Filter):
    """A handler filter: the running task's context on each record, its secrets redacted.

    For a handler whose formatter is not celery-logkit's (python-json-logger,
    ecs-logging, a ``%(task_id)s`` format): it then finds ``task_id``, ``task_name``...
    as record attributes, and the values of the caller's fields under secret-looking keys
    (``redact_keys``) as ``[REDACTED]``, as celery-logkit's own lines show them.  A
    worker gives it to every such handler once logging is set up
    (``_fields.add_to_foreign_handlers``); a handler added later takes it by hand::

        handler.addFilter(celery_logkit.TaskContextFilter())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the context (the keys the record lacks), redact; never drop the record."""
        add_task_context(record)
        redact_attributes(record)
        return True


def redact_attributes(record: logging.LogRecord) -> None:
    """Redact, on *record* itself, the caller's attributes under secret-looking keys."""
    from ._config import configured  # noqa: PLC0415 - the configuration imports this module
    from ._redaction import REDACTED, redactor_for  # noqa: PLC0415

    redactor = redactor_for(configured().redact_keys)
    if not redactor.patterns:
        return
    values = record.__dict__
    for key in [k for k in values if k not in RESERVED_KEYS and not k.startswith("dd.")]:
        value = values[key]
        if redactor.is_secret(key):
            values[key] = REDACTED
        elif isinstance(value, Mapping | list | tuple):
            values[key] = redactor.redact(value)


def add_to_foreign_handlers(ours: Callable[[logging.Formatter | None], bool]) -> None:
    """Give :class:`TaskContextFilter` to every handler, on every logger, not formatted by *ours*.

    celery-logkit's own formatters read the context where it lives: only another
    formatter needs it on the record, and only its handler pays for it.
    """
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if ours(handler.formatter):
                continue
            if not any(isinstance(f, TaskContextFilter) for f in handler.filters):
                handler.addFilter(TaskContextFilter())
