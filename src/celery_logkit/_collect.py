"""What a record says: its line's head, the caller's fields, its error.

The first step of the one path from a record to a line (:mod:`celery_logkit._line`):
each function reads the record, or the context it was written in, and never fails on
what a caller put there.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from itertools import islice
from typing import Any

from . import _fields
from ._context import _STRUCTLOG_VARS, _task_context, bound_fields
from ._fields import reserved_fields
from ._json import fit_fields
from ._vocabulary import (
    CELERY_PAYLOAD,
    DDTRACE_ATTRS,
    DURATION,
    EVENT,
    LOGRECORD_ATTRS,
    STRUCTLOG_ATTRS,
    STRUCTLOG_DROPPED,
    TASK_FIELDS,
    EventRecord,
    TaskRecord,
)

__all__ = [
    "UNPRINTABLE",
    "FieldsFilter",
    "caller_fields",
    "error_of",
    "exception_fields",
    "exception_text",
    "line_head",
    "record_message",
    "rfc3339",
    "structlog_event",
]

FieldsFilter = Callable[[dict[str, Any]], dict[str, Any]]
"""A step over the caller's fields alone (redaction), run before they join the line."""

_MILLISECONDS = tuple(f".{ms:03d}Z" for ms in range(1000))
_second: tuple[int, str] = (-1, "")
"""The last second formatted, and its text (one tuple, replaced whole): most records share it."""


def rfc3339(created: float) -> str:
    """Return *created* as RFC 3339 UTC with milliseconds, formatting each second once."""
    global _second  # noqa: PLW0603 - a per-process cache
    second = int(created)
    cached = _second
    if second != cached[0]:
        cached = _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return cached[1] + _MILLISECONDS[int((created - second) * 1000)]


_LEVEL_NAMES: dict[str, str] = {}


def line_head(record: logging.LogRecord) -> tuple[str, str, str]:
    """Return the line's ``timestamp``, ``level`` (lower case) and ``message``."""
    created = record.created
    second = int(created)
    cached = _second
    if second == cached[0]:
        timestamp = cached[1] + _MILLISECONDS[int((created - second) * 1000)]
    else:
        timestamp = rfc3339(created)
    levelname = record.levelname
    level = _LEVEL_NAMES.get(levelname)
    if level is None:
        level = _LEVEL_NAMES.setdefault(levelname, str(levelname).lower())
    msg = record.msg
    message = msg if type(msg) is str and not record.args else record_message(record)
    return timestamp, level, message


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001
        return f"<unrepresentable {type(value).__name__}>"


def structlog_event(record: logging.LogRecord) -> dict[str, Any] | None:
    """Return the event dict of a record from structlog's stdlib integration, else ``None``.

    structlog chains that end in ``ProcessorFormatter.wrap_for_formatter`` log the event
    dict as the record's ``msg``, with ``_logger`` and ``_name`` set on the record.
    """
    msg = record.msg
    if msg.__class__ is dict and "_name" in record.__dict__ and "_logger" in record.__dict__:
        return msg
    return None


def record_message(record: logging.LogRecord) -> str:
    """Return the record's message; a ``%`` mismatch or a raising ``__str__`` keeps it.

    A structlog event dict's message is its ``event``.
    """
    if record.msg.__class__ is dict:
        event = structlog_event(record)
        if event is not None:
            value = event.get("event", "")
            return value if isinstance(value, str) else _safe_repr(value)
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - wrong args, a raising __str__, ...
        try:
            message = str(record.msg)
        except Exception:  # noqa: BLE001
            message = f"<unprintable message of type {type(record.msg).__name__}>"
        args = record.args
        shown = (
            ", ".join(_safe_repr(a) for a in args) if isinstance(args, tuple) else _safe_repr(args)
        )
        return f"{message} (unformatted args: {shown})"


_INIT_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
_INIT_COUNT = len(_INIT_ATTRS)
_NOT_FIELDS = LOGRECORD_ATTRS | DDTRACE_ATTRS
_NOT_CELERY_FIELDS = _NOT_FIELDS | {CELERY_PAYLOAD}
_TASK_FIELDS = frozenset(TASK_FIELDS)


def _add_record_fields(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """Add what the caller set on *record*: ``extra=``, keyword fields, a structlog event.

    ``extra=`` and filters add attributes after ``LogRecord.__init__``'s, so only the
    keys past those are read, unless a standard name shows up there (a record built
    some other way): then every key is checked.
    """
    values = record.__dict__
    skip = _NOT_CELERY_FIELDS if record.name.startswith("celery.") else _NOT_FIELDS
    from_structlog = structlog_event(record) if record.msg.__class__ is dict else None
    if from_structlog is not None:
        skip = skip | STRUCTLOG_ATTRS
    for key, value in islice(values.items(), _INIT_COUNT, None):
        if key not in skip:
            fields[key] = value
        elif key in _INIT_ATTRS:
            fields.update((k, v) for k, v in values.items() if k not in skip)
            break
    if from_structlog:
        fields.update((k, v) for k, v in from_structlog.items() if k not in STRUCTLOG_DROPPED)
    if not _TASK_FIELDS.isdisjoint(fields):
        _drop_the_task(record, fields)


def _drop_the_task(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """Drop the task-context attributes that are the record's task, not the caller's fields.

    All of them on a :class:`TaskRecord`; on another record, those holding the running
    task's very values (``install()`` puts them on every record); a caller's own
    ``extra={"task_id": ...}`` stays a field of theirs.
    """
    if isinstance(record, TaskRecord):
        for key in _TASK_FIELDS.intersection(fields):
            del fields[key]
        return
    running = _task_context.get()
    for key in _TASK_FIELDS.intersection(fields):
        if key in running and fields[key] is running[key]:
            del fields[key]


def caller_fields(record: logging.LogRecord, redact: FieldsFilter | None) -> dict[str, Any]:
    """Return the caller's fields: bound context, ``extra=`` and keyword fields.

    Later sources win over earlier ones; a structlog event dict's keys count as
    ``extra=``.  An event's record holds the event's fields, not the caller's: only the
    bound context is.  *redact*, if any, has seen them, and values that nest too deep or
    hold an integer too big for a backend are rebuilt (:func:`~celery_logkit._json.fit_fields`).
    """
    fields = bound_fields() if _STRUCTLOG_VARS or _STRUCTLOG_VARS is None else {}
    if record.__class__ is not EventRecord:
        if len(record.__dict__) > _INIT_COUNT:
            _add_record_fields(record, fields)
        if _fields._keeps_reserved:  # most programs never keep any: no call per line
            reserved = reserved_fields(record)
            if reserved:
                fields.update(reserved)
    if fields:
        if redact is not None:
            fields = redact(fields)
        fit_fields(fields)
    return fields


_NOT_EVENT_FIELDS = _NOT_FIELDS | {EVENT, DURATION} | _TASK_FIELDS


def event_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Return an :class:`EventRecord`'s own fields (its name, duration and task aside)."""
    values = record.__dict__
    fields = {
        k: v for k, v in islice(values.items(), _INIT_COUNT, None) if k not in _NOT_EVENT_FIELDS
    }
    reserved = reserved_fields(record)
    if reserved:
        fields.update(reserved)
    return fields


def _type_name(exc_type: type[BaseException]) -> str:
    module = exc_type.__module__
    if module == "builtins":
        return exc_type.__qualname__
    return f"{module}.{exc_type.__qualname__}"


UNPRINTABLE = "<exception str() failed>"
"""The text of an exception whose ``__str__`` raises: what Python's own tracebacks print."""


def exception_text(exc: object) -> str:
    """Return ``str(exc)``, or :data:`UNPRINTABLE` when its ``__str__`` raises.

    An exception's ``__str__`` is application code and can fail; the record that
    describes the exception must be written all the same.  The placeholder is the one
    ``traceback.format_exception`` writes for the same exception, so a line's
    ``message`` and the last line of its ``stack_trace`` say the same thing.
    """
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - any failure of someone else's __str__
        return UNPRINTABLE


def exception_fields(
    exc: BaseException, tb: Any = ..., *, text: str | None = None
) -> dict[str, str]:
    """Return an exception as ``type``, ``message`` and its chained ``stack_trace``.

    The stack is *text* when given (celery's own formatting of it, a handler's cached
    ``exc_text``), else formatted from *tb* (the exception's own by default); an
    exception given without a traceback has none.
    """
    message = exception_text(exc)
    fields = {"type": _type_name(type(exc)), "message": message}
    if text:
        fields["stack_trace"] = text.rstrip("\n")
        return fields
    if tb is ...:
        tb = exc.__traceback__
    if tb is not None:
        try:
            fields["stack_trace"] = "".join(traceback.format_exception(type(exc), exc, tb)).rstrip(
                "\n"
            )
        except Exception:  # noqa: BLE001
            fields["stack_trace"] = f"{fields['type']}: {message}"
    return fields


def _structlog_error(event_dict: Mapping[str, Any]) -> dict[str, str] | None:
    """Return the error of a structlog event dict: its ``exc_info``, else ``exception``."""
    exc_info = event_dict.get("exc_info")
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        return exception_fields(exc_info)
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[1] is not None:
        return exception_fields(exc_info[1], exc_info[2])
    rendered = event_dict.get("exception")
    if isinstance(rendered, str) and rendered:
        return {"stack_trace": rendered}
    return None


def error_of(record: logging.LogRecord) -> dict[str, str] | None:
    """Return the record's ``error``: its ``exc_info`` (with ``exc_text`` as the stack if set).

    For a structlog event dict, its ``exc_info`` (or the ``exception`` text structlog's
    ``format_exc_info`` made of it) is the error.
    """
    exc_info = record.exc_info
    if exc_info and exc_info[1] is not None:
        return exception_fields(exc_info[1], exc_info[2], text=record.exc_text)
    if record.exc_text:
        return {"stack_trace": record.exc_text}
    if record.msg.__class__ is dict:
        from_structlog = structlog_event(record)
        return None if from_structlog is None else _structlog_error(from_structlog)
    return None
