"""The default schema: celery-logkit's own flat names.

``timestamp``, ``level``, ``logger``, ``message``, ``service``/``env``/``version`` when
known, ``event`` and its fields (lifecycle and start-up records), the task context
(``task_id``, ``task_name``, ``retries``, ``root_id``, ``parent_id``, ``group_id``,
``queue``, ``worker``), ``trace_id`` and ``span_id`` while a span is active, the
caller's fields, then ``error``, ``stack_info`` and ``conflicts``.
"""

from __future__ import annotations

from celery_logkit._vocabulary import CONFLICTS, DURATION, EVENT, STACK_INFO, TASK_FIELDS

from . import Schema

__all__ = ["DEFAULT"]

DEFAULT = Schema(
    name="default",
    head=(
        ("timestamp", ("timestamp",)),
        ("level", ("level",)),
        ("logger", ("logger",)),
        ("message", ("message",)),
        ("service", ("service",)),
        ("env", ("env",)),
        ("version", ("version",)),
    ),
    paths={
        EVENT: (EVENT,),
        "duration": (DURATION,),
        **{key: (key,) for key in TASK_FIELDS},
        "trace_id": ("trace_id",),
        "span_id": ("span_id",),
        "error.type": ("error", "type"),
        "error.message": ("error", "message"),
        "error.stack_trace": ("error", "stack_trace"),
        STACK_INFO: (STACK_INFO,),
        "origin.file": ("origin", "file"),
        "origin.line": ("origin", "line"),
        "origin.function": ("origin", "function"),
        CONFLICTS: (CONFLICTS,),
    },
    owned=frozenset(
        {EVENT, DURATION, "error", STACK_INFO, CONFLICTS, "trace_id", "span_id", *TASK_FIELDS}
    ),
)
"""The default schema."""
