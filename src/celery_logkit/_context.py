"""Where the fields that go on every line live while a task runs.

Two stores, both context-local (one per thread, greenlet or asyncio task):

* the **task context**: ``task_id``, ``task_name`` and the rest of the running task's
  identity, computed once when the task starts and dropped when it ends;
* the **bound context**: keys the user binds with structlog's ``bind_contextvars``
  (wrapped here), so a ``request_id`` bound by django-structlog or by the user's own
  code lands on the worker's lines too.

A task's end restores the bound context as it was at the task's start: keys bound by
the task body do not leak into the next task, keys bound before it are kept.  Nothing
is stored on celery's request: its attributes can travel in message headers.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Mapping
from time import monotonic
from typing import Any, NamedTuple

import structlog.contextvars as _structlog_cv
from celery.app.task import Context
from celery.worker.request import Request

from ._vocabulary import TASK_FIELDS

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


_EMPTY: Mapping[str, Any] = {}
_task_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "celery_logkit_task_context", default=_EMPTY
)


def current_task_context() -> dict[str, Any]:
    """Return a copy of the running task's fields, or an empty dict outside a task.

    A copy: the task's lines share the context itself.
    """
    return dict(_task_context.get())


# structlog keeps one ContextVar per key name ever bound, in any context, and unbinding
# sets a key's variable to ``...`` rather than removing it: both only grow.  Its being
# empty tells a line cheaply that nothing was ever bound.
_STRUCTLOG_VARS: dict[str, contextvars.ContextVar[Any]] | None = getattr(
    _structlog_cv, "_CONTEXT_VARS", None
)
_PREFIX = getattr(_structlog_cv, "STRUCTLOG_KEY_PREFIX", "structlog_")
_PREFIX_LEN = len(_PREFIX)


_Pairs = tuple[tuple[contextvars.ContextVar[Any], Any], ...]


class _Snapshot(threading.local):
    """The bound keys last read in this thread, and the context they were read from.

    ``pairs`` holds each bound key's variable and value, or ``None`` when a variable
    could not be named: the next line then reads the context again.
    """

    context: contextvars.Context | None = None
    fields: Mapping[str, Any] = _EMPTY
    pairs: _Pairs | None = ()


_last = _Snapshot()


def _read_bound(context: contextvars.Context) -> tuple[dict[str, Any], _Pairs]:
    """Return the structlog keys bound in *context* (a walk over all its variables)."""
    pairs = tuple(
        (var, value)
        for var, value in context.items()
        if value is not Ellipsis and var.name.startswith(_PREFIX)
    )
    return {var.name[_PREFIX_LEN:]: value for var, value in pairs}, pairs


def _unchanged(last: contextvars.Context, now: contextvars.Context, pairs: _Pairs | None) -> bool:
    """Whether *now* holds the values *last* held, each bound key's very object.

    Equal contexts compare at once while one state backs both; contexts that compare
    equal value by value may still hold another object under a key (``1`` and ``True``,
    ``2`` and ``2.0``), which the bound keys' identities catch.
    """
    if pairs is None:
        return False
    try:
        if last != now:
            return False
    except Exception:  # noqa: BLE001 - a bound value's __eq__ may raise or be ambiguous
        return False
    return all(now.get(var, Ellipsis) is value for var, value in pairs)


def bound_fields() -> dict[str, Any]:
    """Return the keys bound with ``bind_contextvars`` in this context.

    Every ``ContextVar.set`` -- structlog's ``bind_contextvars`` called directly
    included -- gives the context a new state, and a context compares equal to a copy of
    itself at once while that state is unchanged.  The keys read from the last copy are
    kept, so a line costs what is bound now.  Only a line after a change logkit did not
    make itself (structlog called directly, a new thread) walks the context, whose size
    grows with every key name bound and unbound in it.
    """
    return dict(_bound())


def _bound() -> Mapping[str, Any]:
    """:func:`bound_fields` without the copy, for logkit's own reading (never mutated)."""
    context = contextvars.copy_context()
    last = _last.context
    if last is None or not _unchanged(last, context, _last.pairs):
        _last.fields, _last.pairs = _read_bound(context)
        _last.context = context
    return _last.fields


def _remember(fields: Mapping[str, Any]) -> None:
    """Record *fields* as what is bound now, after logkit itself changed the context."""
    variables = _STRUCTLOG_VARS or {}
    named = [(variables.get(_PREFIX + key), value) for key, value in fields.items()]
    pairs: list[tuple[contextvars.ContextVar[Any], Any]] = [
        (var, value) for var, value in named if var is not None
    ]
    _last.fields = fields
    _last.pairs = tuple(pairs) if len(pairs) == len(named) else None
    _last.context = contextvars.copy_context()


def bind_contextvars(**kw: Any) -> Mapping[str, contextvars.Token[Any]]:
    """Bind *kw* in this context: structlog's ``bind_contextvars``, same tokens returned.

    The next line then knows what is bound without walking the context.
    """
    fields = bound_fields()
    tokens = _structlog_cv.bind_contextvars(**kw)
    fields.update(kw)
    _remember({k: v for k, v in fields.items() if v is not Ellipsis})
    return tokens


def unbind_contextvars(*keys: str) -> None:
    """Unbind *keys* in this context, as structlog's ``unbind_contextvars`` does."""
    fields = bound_fields()
    _structlog_cv.unbind_contextvars(*keys)
    _remember({k: v for k, v in fields.items() if k not in keys})


def clear_contextvars() -> None:
    """Unbind every bound key in this context, as structlog's ``clear_contextvars`` does.

    Only the keys bound now are unbound: structlog's own walks every key name ever set
    in the context.
    """
    _structlog_cv.unbind_contextvars(*bound_fields())
    _remember(_EMPTY)


@contextlib.contextmanager
def bound_contextvars(**kw: Any) -> Iterator[None]:
    """Bind *kw* for the ``with`` block, then restore those keys: structlog's, through ours.

    Through this module's own bind and unbind, so that the lines inside the block know
    what is bound without walking the context.
    """
    saved = {k: v for k, v in bound_fields().items() if k in kw}
    bind_contextvars(**kw)
    try:
        yield
    finally:
        unbind_contextvars(*kw)
        bind_contextvars(**saved)


def get_contextvars() -> dict[str, Any]:
    """Return a copy of the keys bound in this context, as structlog's function does."""
    return bound_fields()


def task_context_from_request(task_name: str, request: Any) -> dict[str, Any]:
    """Build the task context from a task name and a celery request.

    *request* is a task's ``Context`` (``task.request``) or the worker's ``Request``
    (``task_received``), whose message holds what it has no attribute for.  A
    ``shadow`` name given to ``apply_async`` wins, as in celery's own lines.  Absent
    values are left out rather than written as ``null``: ``group_id`` only appears for
    members of a group, ``parent_id`` only for tasks that have a parent.
    """
    get = _reader(request)
    info = get("delivery_info") or _EMPTY
    queue = info.get("queue") or info.get("routing_key")
    values = (
        get("id"),
        get("shadow") or task_name,
        get("retries") or 0,
        get("root_id"),
        get("parent_id"),
        get("group"),
        str(queue) if queue else None,
        get("hostname"),
    )
    return {k: v for k, v in zip(TASK_FIELDS, values, strict=True) if v is not None}


def _reader(request: Any) -> Callable[[str], Any]:
    """Return a function reading a field of *request* by its message's name.

    A worker ``Request``'s message dict and a task ``Context``'s own attributes hold
    every field these read (read directly: a task's start reads them every time);
    anything else is read attribute first, then from its ``request_dict``.
    """
    message = getattr(request, "request_dict", None)
    if isinstance(message, Mapping):
        if isinstance(request, Request):  # its attributes are its message's values
            return message.get
    elif isinstance(request, Context):  # what the message set; the class holds defaults
        return vars(request).get  # type: ignore[no-any-return]
    else:
        message = _EMPTY

    def field(name: str) -> Any:
        value = getattr(request, name, None)
        return message.get(name) if value is None else value

    return field


class _TaskFrame(NamedTuple):
    """A running task: its start, and what its start replaced (a stack for nesting)."""

    started_at: float
    trace: tuple[str, str] | None
    outer_task_context: Mapping[str, Any]
    outer_bound: Mapping[str, Any]
    outer: _TaskFrame | None


_frame: contextvars.ContextVar[_TaskFrame | None] = contextvars.ContextVar(
    "celery_logkit_task_frame", default=None
)


def task_started(
    task: Any,
    propagated: Mapping[str, Any] | None = None,
    trace: tuple[str, str] | None = None,
    request: Any = None,
) -> Mapping[str, Any]:
    """Bind *task*'s context and the *propagated* keys; return the context.

    What the context replaced is kept to restore at the task's end.  *trace* is the
    ``(trace_id, span_id)`` the task was published under, for records written before
    the task's own span exists; *request* is ``task.request``, when the caller read it
    already (each read is a lookup in celery's request stack).

    celery sends ``task_prerun`` and ``task_postrun`` in pairs, in the same thread, and
    nested eager calls nest them: a stack of frames restores each level.
    """
    bound = _bound()
    _frame.set(_TaskFrame(monotonic(), trace, _task_context.get(), bound, _frame.get()))
    context = task_context_from_request(task.name, task.request if request is None else request)
    _task_context.set(context)
    if propagated:
        _structlog_cv.bind_contextvars(**propagated)
        _remember({**bound, **propagated})
    else:
        _last.context = contextvars.copy_context()  # the same keys bound; a new state
    return context


def task_ended() -> None:
    """Drop the task's context and restore the bound keys as they were at its start."""
    frame = _frame.get()
    if frame is None:
        _task_context.set(_EMPTY)
        return
    now = _bound()
    _frame.set(frame.outer)
    _task_context.set(frame.outer_task_context)
    outer = frame.outer_bound
    if now is outer:  # nothing bound or unbound while the task ran
        _last.context = contextvars.copy_context()
        return
    _structlog_cv.unbind_contextvars(*(k for k in now if k not in outer))
    _structlog_cv.bind_contextvars(
        **{k: v for k, v in outer.items() if k not in now or now[k] is not v}
    )
    _remember(outer)


def current_task_trace() -> tuple[str, str] | None:
    """Return the trace the running task was published under, if any."""
    frame = _frame.get()
    return None if frame is None else frame.trace


def running_for() -> float | None:
    """Return the seconds since the running task started (``None`` outside a task)."""
    frame = _frame.get()
    return None if frame is None else monotonic() - frame.started_at
