"""Where the fields that go on every line live while a task runs.

Two stores, both context-local (one per thread, greenlet or asyncio task):

* the **task context**: ``task_id``, ``task_name`` and the rest of the running task's
  identity, computed once when the task starts and dropped when it ends;
* the **bound context**: keys the user binds with structlog's ``bind_contextvars``
  (re-exported here), so a ``request_id`` bound by django-structlog or by the user's
  own code lands on the worker's lines too.

A task's end restores the bound context as it was at the task's start: keys bound by
the task body do not leak into the next task, keys bound before it are kept.  Nothing
is stored on celery's request: its attributes can travel in message headers.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from time import monotonic
from typing import Any, NamedTuple

import structlog.contextvars as _structlog_cv
from structlog.contextvars import (
    bind_contextvars,
    bound_contextvars,
    clear_contextvars,
    get_contextvars,
    unbind_contextvars,
)

__all__ = [
    "TASK_FIELDS",
    "bind_contextvars",
    "bound_contextvars",
    "bound_fields",
    "clear_contextvars",
    "current_task_context",
    "current_task_trace",
    "get_contextvars",
    "running_for",
    "task_context_from_request",
    "task_ended",
    "task_started",
    "unbind_contextvars",
]

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

_EMPTY: Mapping[str, Any] = {}
_task_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "celery_logkit_task_context", default=_EMPTY
)


def current_task_context() -> dict[str, Any]:
    """Return a copy of the running task's fields, or an empty dict outside a task.

    A copy: the task's lines share the context itself.
    """
    return dict(_task_context.get())


# structlog keeps one ContextVar per bound key in this registry; reading it directly
# costs one ``get`` per key ever bound instead of a walk over every ContextVar.
_STRUCTLOG_VARS: dict[str, contextvars.ContextVar[Any]] | None = getattr(
    _structlog_cv, "_CONTEXT_VARS", None
)
_PREFIX_LEN = len(getattr(_structlog_cv, "STRUCTLOG_KEY_PREFIX", "structlog_"))


def bound_fields() -> dict[str, Any]:
    """Return the keys bound with ``bind_contextvars`` in this context."""
    if _STRUCTLOG_VARS is None:  # pragma: no cover - a structlog without the registry
        return get_contextvars()
    fields: dict[str, Any] = {}
    if _STRUCTLOG_VARS:
        for name, var in tuple(_STRUCTLOG_VARS.items()):
            value = var.get(Ellipsis)
            if value is not Ellipsis:
                fields[name[_PREFIX_LEN:]] = value
    return fields


def task_context_from_request(task_name: str, request: Any) -> dict[str, Any]:
    """Build the task context from a task name and a celery request.

    *request* is a task's ``Context`` (``task.request``) or the worker's ``Request``
    (``task_received``), whose message holds what it has no attribute for.  A
    ``shadow`` name given to ``apply_async`` wins, as in celery's own lines.  Absent
    values are left out rather than written as ``null``: ``group_id`` only appears for
    members of a group, ``parent_id`` only for tasks that have a parent.
    """
    message = getattr(request, "request_dict", None)
    if not isinstance(message, Mapping):
        message = _EMPTY

    def field(name: str) -> Any:
        value = getattr(request, name, None)
        return message.get(name) if value is None else value

    info = field("delivery_info") or _EMPTY
    queue = info.get("queue") or info.get("routing_key")
    values = (
        field("id"),
        field("shadow") or task_name,
        field("retries") or 0,
        field("root_id"),
        field("parent_id"),
        field("group"),
        str(queue) if queue else None,
        field("hostname"),
    )
    return {k: v for k, v in zip(TASK_FIELDS, values, strict=True) if v is not None}


class _TaskFrame(NamedTuple):
    """A running task: its start, and what its start replaced (a stack for nesting)."""

    started_at: float
    trace: tuple[str, str] | None
    outer_task_context: Mapping[str, Any]
    outer_bound: dict[str, Any]
    outer: _TaskFrame | None


_frame: contextvars.ContextVar[_TaskFrame | None] = contextvars.ContextVar(
    "celery_logkit_task_frame", default=None
)


def task_started(
    task: Any,
    propagated: Mapping[str, Any] | None = None,
    trace: tuple[str, str] | None = None,
) -> None:
    """Bind *task*'s context and the *propagated* keys; remember what to restore.

    *trace* is the ``(trace_id, span_id)`` the task was published under, for records
    written before the task's own span exists.

    celery sends ``task_prerun`` and ``task_postrun`` in pairs, in the same thread, and
    nested eager calls nest them: a stack of frames restores each level.
    """
    _frame.set(_TaskFrame(monotonic(), trace, _task_context.get(), bound_fields(), _frame.get()))
    _task_context.set(task_context_from_request(task.name, task.request))
    if propagated:
        bind_contextvars(**propagated)


def task_ended() -> None:
    """Drop the task's context and restore the bound keys as they were at its start."""
    frame = _frame.get()
    if frame is None:
        _task_context.set(_EMPTY)
        return
    _frame.set(frame.outer)
    _task_context.set(frame.outer_task_context)
    if bound_fields() != frame.outer_bound:
        clear_contextvars()
        bind_contextvars(**frame.outer_bound)


def current_task_trace() -> tuple[str, str] | None:
    """Return the trace the running task was published under, if any."""
    frame = _frame.get()
    return None if frame is None else frame.trace


def running_for() -> float | None:
    """Return the seconds since the running task started (``None`` outside a task)."""
    frame = _frame.get()
    return None if frame is None else monotonic() - frame.started_at
