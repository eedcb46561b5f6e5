"""Trace correlation: the active OpenTelemetry span's ids on every record.

Only ``opentelemetry-api`` is used: with no SDK configured there is never a valid span
and nothing is added (no ``"0"`` ids).  Before the task's own span exists (a receiver
of ``task_prerun`` that runs before opentelemetry-instrumentation-celery's), the
task's W3C ``traceparent`` header gives its trace, so ``task_started`` already carries
the trace id the rest of the task's lines will have.

With ddtrace's log injection on, ddtrace's ids on the record (``dd.trace_id``,
``dd.span_id``) are the trace when no OpenTelemetry span is active, so a line carries
one trace whichever tracer made it; ddtrace's ``"0"`` (no span) counts as none.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as _otel_context
from opentelemetry import trace as _otel

from ._context import _frame, current_task_trace

__all__ = [
    "current_trace_ids",
    "ddtrace_ids",
    "parse_traceparent",
    "trace_ids",
    "traceparent_ids",
]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
_INVALID_TRACE = "0" * 32
_INVALID_SPAN = "0" * 16


def parse_traceparent(value: object) -> tuple[str, str] | None:
    """Return ``(trace_id, span_id)`` from a W3C ``traceparent`` value, if valid."""
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None or match[1] == _INVALID_TRACE or match[2] == _INVALID_SPAN:
        return None
    return match[1], match[2]


def traceparent_ids(request: Any) -> tuple[str, str] | None:
    """Return the ids in a task request's ``traceparent`` header (worker or eager)."""
    value = getattr(request, "traceparent", None)
    if value is None:
        headers = getattr(request, "headers", None)
        if isinstance(headers, Mapping):
            value = headers.get("traceparent")
    return parse_traceparent(value)


# The key under which the API keeps the current span: reading it from the current
# context skips get_current_span()'s layers when, as mostly, no span is active.
_SPAN_KEY: str | None
try:
    from opentelemetry.trace.propagation import _SPAN_KEY
except ImportError:  # pragma: no cover - an API without it: the public path only
    _SPAN_KEY = None

# The variable the API's default runtime context keeps the current context in: reading it
# skips get_current()'s two calls on every line (docs/benchmarks.md, "One path from
# record to line").  Any
# other runtime context (OTEL_PYTHON_CONTEXT) is read through the public function.
_CURRENT: contextvars.ContextVar[Any] | None = getattr(
    getattr(_otel_context, "_RUNTIME_CONTEXT", None), "_current_context", None
)
if not isinstance(_CURRENT, contextvars.ContextVar):  # pragma: no cover
    _CURRENT = None


def _span_active() -> bool:
    """Whether an OpenTelemetry span may be active (always, without the private key)."""
    if _SPAN_KEY is None:
        return True
    current = _otel_context.get_current() if _CURRENT is None else _CURRENT.get()
    return current.get(_SPAN_KEY) is not None


def current_trace_ids() -> tuple[str, str] | None:
    """Return the active span's ``(trace_id, span_id)`` as hex, else the task's parent's."""
    if _span_active():
        context = _otel.get_current_span().get_span_context()
        if context.is_valid:
            return _otel.format_trace_id(context.trace_id), _otel.format_span_id(context.span_id)
    return current_task_trace()


def ddtrace_ids(record: logging.LogRecord) -> tuple[str, str] | None:
    """Return the ``dd.trace_id``/``dd.span_id`` ddtrace put on *record*, as it wrote them.

    ``None`` without ddtrace's log injection, or outside a ddtrace span (ids ``"0"``).
    """
    values = record.__dict__
    trace_id = values.get("dd.trace_id")
    span_id = values.get("dd.span_id")
    try:
        if not trace_id or not span_id:
            return None
        ids = str(trace_id), str(span_id)
    except Exception:  # noqa: BLE001 - a value set by someone else, unprintable
        return None
    return None if "0" in ids else ids


def _hex_ids(trace_id: str, span_id: str) -> tuple[str, str] | None:
    """Return ddtrace's ids as W3C hex: the trace id is 32 hex or decimal, the span's decimal."""
    try:
        trace = int(trace_id, 16) if len(trace_id) == 32 else int(trace_id)
        span = int(span_id)
    except ValueError:
        return None
    if not 0 < trace < 1 << 128 or not 0 < span < 1 << 64:
        return None
    return f"{trace:032x}", f"{span:016x}"


def trace_ids(record: logging.LogRecord) -> tuple[str, str] | None:
    """Return the line's ``(trace_id, span_id)`` as W3C hex (32 and 16 digits), if any.

    An OpenTelemetry span (or the task's ``traceparent``) first, else ddtrace's ids.
    """
    if (
        _SPAN_KEY is None
        or (_otel_context.get_current() if _CURRENT is None else _CURRENT.get()).get(_SPAN_KEY)
        is not None
    ):
        ids = current_trace_ids()
    else:
        frame = _frame.get()
        ids = None if frame is None else frame.trace
    if ids is None and "dd.trace_id" in record.__dict__:
        injected = ddtrace_ids(record)
        if injected is not None:
            ids = _hex_ids(*injected)
    return ids
