"""The record path, one small step at a time.

Each processor takes the :class:`logging.LogRecord` and the event dict built so far and
returns the event dict, like a structlog processor.  The formatter runs them in order:

    add_log_fields -> merge_task_context -> add_trace_ids (tracing)
    -> merge_caller_fields -> redact (redaction) -> add_exception

The event dict uses the default schema's names; a schema then maps it to its own
names and the serialiser writes it (see :mod:`celery_logkit.formatter`).
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable
from itertools import islice
from typing import Any

from ._fields import reserved_fields
from ._json import fit_fields
from .context import _STRUCTLOG_VARS, TASK_FIELDS, _task_context, bound_fields

__all__ = [
    "CONFLICTS_KEY",
    "DDTRACE_ATTRS",
    "OWNED_KEYS",
    "STRUCTLOG_ATTRS",
    "UNPRINTABLE",
    "EventDict",
    "Processor",
    "add_event_name",
    "add_exception",
    "add_log_fields",
    "caller_fields",
    "exception_fields",
    "exception_text",
    "line_head",
    "merge_caller_fields",
    "merge_caller_fields_with",
    "merge_task_context",
    "record_message",
    "rfc3339",
    "structlog_event",
]

EventDict = dict[str, Any]
Processor = Callable[[logging.LogRecord, EventDict], EventDict]

CONFLICTS_KEY = "extra"
"""Where a caller field goes when the line already owns its name (e.g. ``task_id``)."""

OWNED_KEYS = frozenset(
    {"timestamp", "level", "logger", "message", "event", "error", "stack_info", CONFLICTS_KEY}
    | {"trace_id", "span_id"}
    | set(TASK_FIELDS)
)

_LOGRECORD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)
STRUCTURED_FIELDS_ATTR = "_logkit_fields"
"""The record attribute where the lifecycle records put their fields."""
EVENT_ATTR = "_logkit_event"
"""A lifecycle record's event name (``task_started``...)."""
TASK_ATTR = "_logkit_task"
"""A lifecycle record's own task context, which wins over the context-local one."""
ERROR_ATTR = "_logkit_error"
"""A prepared ``error`` object, which wins over ``exc_info``."""
_INTERNAL_ATTRS = frozenset({EVENT_ATTR, TASK_ATTR, ERROR_ATTR})
DDTRACE_ATTRS = frozenset({"dd.trace_id", "dd.span_id", "dd.service", "dd.env", "dd.version"})
"""What ddtrace's log injection puts on every record: read as trace ids and service tags
(see :mod:`celery_logkit.tracing`), never written as fields of their own."""

STRUCTLOG_ATTRS = frozenset({"_logger", "_name"})
"""What structlog's ``ProcessorFormatter.wrap_for_formatter`` puts on a record whose
``msg`` is the event dict."""
_STRUCTLOG_DROPPED = frozenset(
    {"event", "level", "logger", "timestamp", "exc_info", "exception", "_record"}
    | {"_from_structlog"}
)
"""An event dict's keys the line has its own value for (rendered from the record)."""

_SKIPPED_ATTRS = _INTERNAL_ATTRS | DDTRACE_ATTRS | {STRUCTURED_FIELDS_ATTR}
# celery's own records carry ``extra={"data": {...}}`` with the task's args, kwargs and
# return value reprs: not logged unless the user opts in (they may hold secrets).
_SKIPPED_CELERY_ATTRS = _SKIPPED_ATTRS | {"data"}


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


def add_log_fields(record: logging.LogRecord, event: EventDict) -> EventDict:
    """Add the line's own fields: ``timestamp``, ``level``, ``logger``, ``message``, ``event``.

    ``event`` is the lifecycle event's name, on lifecycle records only.
    """
    created = record.created
    second = int(created)
    cached = _second
    if second == cached[0]:
        event["timestamp"] = cached[1] + _MILLISECONDS[int((created - second) * 1000)]
    else:
        event["timestamp"] = rfc3339(created)
    try:
        event["level"] = _LEVEL_NAMES[record.levelname]
    except KeyError:
        event["level"] = _LEVEL_NAMES.setdefault(record.levelname, str(record.levelname).lower())
    event["logger"] = record.name
    msg = record.msg
    event["message"] = msg if type(msg) is str and not record.args else record_message(record)
    name = record.__dict__.get(EVENT_ATTR)
    if name is not None:
        event["event"] = name
    return event


def line_head(record: logging.LogRecord) -> tuple[str, str, str]:
    """Return what :func:`add_log_fields` writes as ``timestamp``, ``level``, ``message``.

    For the schemas that build a line straight from the record, without a dict.
    :func:`add_log_fields` does the same steps inline: one call fewer on every line of
    the default schema (about 1% of it, in instructions).
    """
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


def add_event_name(record: logging.LogRecord, event: EventDict) -> EventDict:
    """Add ``event`` on lifecycle records (:func:`add_log_fields` now does it too).

    Kept for pipelines built with it before; harmless after ``add_log_fields``.
    """
    name = record.__dict__.get(EVENT_ATTR)
    if name is not None:
        event["event"] = name
    return event


def merge_task_context(record: logging.LogRecord, event: EventDict) -> EventDict:
    """Add the task's fields: the record's own task, else the running one, else none."""
    context = record.__dict__.get(TASK_ATTR) or _task_context.get()
    if context:
        event.update(context)
    return event


_INIT_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
_INIT_COUNT = len(_INIT_ATTRS)

FieldsFilter = Callable[[dict[str, Any]], dict[str, Any]]
"""A step over the caller's fields alone (redaction), run before they join the line."""


_NOT_FIELDS = _LOGRECORD_ATTRS | _SKIPPED_ATTRS
_NOT_CELERY_FIELDS = _LOGRECORD_ATTRS | _SKIPPED_CELERY_ATTRS


def _add_record_fields(record: logging.LogRecord, fields: dict[str, Any]) -> None:
    """Add what the caller set on *record*: ``extra=``, a structlog event, keyword fields.

    ``extra=`` and filters add attributes after ``LogRecord.__init__``'s, so only the
    keys past those are read, unless a standard name shows up there (a record built
    some other way): then every key is checked.  Standard names are always in *skip*,
    so only a skipped key needs that check.
    """
    values = record.__dict__
    skip = _NOT_CELERY_FIELDS if record.name.startswith("celery.") else _NOT_FIELDS
    from_structlog = structlog_event(record) if record.msg.__class__ is dict else None
    if from_structlog is not None:
        skip = skip | STRUCTLOG_ATTRS
    context = _task_context.get()  # its keys on the record are the task's, not the caller's
    for key, value in islice(values.items(), _INIT_COUNT, None):
        if key not in skip and (key not in context or context[key] is not value):
            fields[key] = value
        elif key in _INIT_ATTRS:
            fields.update((k, v) for k, v in values.items() if k not in skip)
            break
    if from_structlog:
        fields.update((k, v) for k, v in from_structlog.items() if k not in _STRUCTLOG_DROPPED)
    structured = values.get(STRUCTURED_FIELDS_ATTR)
    if structured:
        fields.update(structured)
    reserved = reserved_fields(record)
    if reserved:
        fields.update(reserved)


def _same(ours: Any, theirs: Any) -> bool:
    try:
        return bool(ours == theirs)
    except Exception:  # noqa: BLE001 - a caller's __eq__ may raise or be ambiguous
        return False


def caller_fields(record: logging.LogRecord, redact: FieldsFilter | None) -> dict[str, Any]:
    """Return the caller's fields: bound context, ``extra=``, then keyword fields.

    Later sources win over earlier ones; a structlog event dict's keys count as
    ``extra=``.  *redact*, if any, has seen them, and values that nest too deep or hold an integer
    too big for a backend are rebuilt (:func:`~celery_logkit._json.fit_fields`).
    """
    fields = bound_fields() if _STRUCTLOG_VARS or _STRUCTLOG_VARS is None else {}
    if len(record.__dict__) > _INIT_COUNT:
        _add_record_fields(record, fields)
    if fields:
        if redact is not None:
            fields = redact(fields)
        fit_fields(fields)
    return fields


def merge_caller_fields_with(redact: FieldsFilter | None) -> Processor:
    """Return the ``merge_caller_fields`` step, passing the fields through *redact*."""

    def merge_caller_fields(record: logging.LogRecord, event: EventDict) -> EventDict:
        """Add the caller's fields (see :func:`caller_fields`).

        A field whose name the line already owns (``message``, ``task_id``, ...) never
        replaces it: it is kept under ``extra``, unless its value is the line's own.
        """
        fields = caller_fields(record, redact)
        if not fields:
            return event
        if OWNED_KEYS.isdisjoint(fields):
            event.update(fields)
            return event
        conflicts: dict[str, Any] | None = None
        for key, value in fields.items():
            if key not in OWNED_KEYS:
                event[key] = value
            elif key not in event or not _same(event[key], value):
                if conflicts is None:
                    conflicts = event[CONFLICTS_KEY] = {}
                conflicts[key] = value
        return event

    return merge_caller_fields


merge_caller_fields = merge_caller_fields_with(None)


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


def exception_fields(exc: BaseException, *, stack: bool = True) -> dict[str, str]:
    """Return an exception as ``type``, ``message`` and the full chained ``stack_trace``."""
    message = exception_text(exc)
    if not stack:
        return {"type": _type_name(type(exc)), "message": message}
    try:
        text = "".join(traceback.format_exception(exc)).rstrip("\n")
    except Exception:  # noqa: BLE001
        text = f"{_type_name(type(exc))}: {message}"
    return {"type": _type_name(type(exc)), "message": message, "stack_trace": text}


def _structlog_error(event_dict: dict[str, Any]) -> dict[str, str] | None:
    """Return the error of a structlog event dict: its ``exc_info``, else ``exception``."""
    exc_info = event_dict.get("exc_info")
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        return exception_fields(exc_info)
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[1] is not None:
        return exception_fields(exc_info[1])
    rendered = event_dict.get("exception")
    if isinstance(rendered, str) and rendered:
        return {"stack_trace": rendered}
    return None


def add_exception(record: logging.LogRecord, event: EventDict) -> EventDict:
    """Add ``error`` (an object) for ``exc_info``, and ``stack_info`` when asked for.

    For a structlog event dict, its ``exc_info`` (or the ``exception`` text structlog's
    ``format_exc_info`` made of it) is the error.
    """
    exc_info = record.exc_info
    prepared = record.__dict__.get(ERROR_ATTR)
    if prepared is not None:
        event["error"] = prepared
    elif exc_info and exc_info[1] is not None:
        event["error"] = exception_fields(exc_info[1])
    elif record.exc_text:
        event["error"] = {"stack_trace": record.exc_text}
    elif record.msg.__class__ is dict:
        from_structlog = structlog_event(record)
        error = None if from_structlog is None else _structlog_error(from_structlog)
        if error is not None:
            event["error"] = error
    if record.stack_info:
        event["stack_info"] = record.stack_info
    return event
