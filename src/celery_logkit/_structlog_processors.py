"""structlog processors, for apps that configured structlog themselves.

``install()`` never calls ``structlog.configure``: an app's structlog chain stays its own.
Adding :func:`add_task_context` to that chain puts the running task's context and trace
ids on its event dicts, whether structlog renders them itself or hands them to stdlib
logging (``ProcessorFormatter``; there it also goes in ``foreign_pre_chain``, for the
records of plain ``logging`` loggers).  Keys bound with ``bind_contextvars`` — logkit's
propagated ``request_id`` among them — come from structlog's own ``merge_contextvars``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from ._context import _task_context
from ._tracing import current_trace_ids

__all__ = ["add_task_context"]


def add_task_context(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add the running task's context and the active trace's ids to *event_dict*.

    The keys are the default schema's: ``task_id``, ``task_name``, ``retries``,
    ``root_id``, ``parent_id``, ``group_id``, ``queue``, ``worker``, then ``trace_id``
    (32 hex) and ``span_id`` (16 hex) while an OpenTelemetry span is active (or the
    task's ``traceparent`` says so).  Outside a task it adds nothing.  A key the event
    dict already has is kept, as with structlog's ``merge_contextvars``.
    """
    for key, value in _task_context.get().items():
        event_dict.setdefault(key, value)
    ids = current_trace_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict
