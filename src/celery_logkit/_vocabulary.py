"""The line's vocabulary: every name a line, a record and a schema share, in one place.

A line is described in the default schema's names, its *roles*: ``timestamp``,
``level``, ``logger``, ``message``, the task context (:data:`TASK_FIELDS`), ``event``
and the event's own fields, ``trace_id``/``span_id``, the caller's fields, ``error``.
A schema (:mod:`celery_logkit.schemas`) says where each role goes in its own names.

Records carry what logkit knows as ordinary attributes, which any formatter reads: the
task context's keys, keyword fields, an event's name and fields.  What marks a record
whose task, or whose event, is its own (rather than the running task's) is its class,
:class:`TaskRecord` or :class:`EventRecord`, never an attribute of its own.
"""

from __future__ import annotations

import logging

__all__ = [
    "CELERY_PAYLOAD",
    "CONFLICTS",
    "DDTRACE_ATTRS",
    "DURATION",
    "ERROR_PARTS",
    "EVENT",
    "LOGRECORD_ATTRS",
    "OUTCOMES",
    "STACK_INFO",
    "STRUCTLOG_ATTRS",
    "STRUCTLOG_DROPPED",
    "TASK_FIELDS",
    "EventRecord",
    "TaskRecord",
]

LOGRECORD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)
"""The attributes stdlib's ``LogRecord`` has of its own: never a field of the line, never
settable by ``extra=`` (``Logger.makeRecord`` refuses them)."""

TASK_FIELDS = (
    "task_id",
    "task_name",
    "retries",
    "root_id",
    "parent_id",
    "group_id",
    "queue",
    "worker",
)
"""The task context's keys, in the order they appear on a line."""

EVENT = "event"
"""An event's name (``task_started``, ``worker_started``...) on its record and its line."""

DURATION = "duration_ms"
"""An event's duration in milliseconds, on its record (schemas may write it in ns)."""

OUTCOMES = {
    "task_succeeded": "success",
    "task_failed": "failure",
    "task_retrying": "failure",
    "task_revoked": "failure",
    "task_rejected": "failure",
    "task_not_found": "failure",
    "task_internal_error": "failure",
}
"""ECS ``event.outcome`` / Datadog ``evt.outcome`` of the events that end an attempt."""

ERROR_PARTS = ("type", "message", "stack_trace")
"""The parts of ``error``, in order."""

STACK_INFO = "stack_info"
"""``stack_info=True``'s stack, a part of ``error`` in schemas that have one for it."""

CONFLICTS = "conflicts"
"""Where a caller's field goes when its name is one the line already uses with another
value, or its value does not fit the type the schema gives that name."""

DDTRACE_ATTRS = frozenset({"dd.trace_id", "dd.span_id", "dd.service", "dd.env", "dd.version"})
"""What ddtrace's log injection puts on every record: read as trace ids and service tags,
never written as fields of their own."""

STRUCTLOG_ATTRS = frozenset({"_logger", "_name", "_from_structlog"})
"""What structlog's ``ProcessorFormatter.wrap_for_formatter`` puts on a record whose
``msg`` is the event dict."""

STRUCTLOG_DROPPED = frozenset(
    {"event", "level", "logger", "timestamp", "exc_info", "exception", "_record", "_from_structlog"}
    | {"stack_info"}
)
"""An event dict's keys the line has its own value for (rendered from the record)."""

CELERY_PAYLOAD = "data"
"""celery's own records carry ``extra={"data": {...}}`` with the task's args, kwargs and
return value: not logged (they may hold secrets; :mod:`celery_logkit._celery_lines`)."""


class TaskRecord(logging.LogRecord):
    """A record about a task that may not be the running one.

    Its task-context attributes (``task_id``, ``task_name``...) are its task.
    celery's main process writes such lines (a time limit, a lost process); logkit marks
    them by class so that no attribute of its own reaches another formatter.
    """


class EventRecord(TaskRecord):
    """A record of an event logkit writes: a task's step, a worker's start.

    ``event`` names it; its other attributes past stdlib's are the event's fields, which
    a schema may put under a namespace of its own (``celery`` in ECS and Datadog).
    """
