"""The ``datadog`` schema: Datadog's reserved and standard attributes.

``timestamp``, ``status``, ``message``, ``service``/``env``/``version`` (unified
service tagging), ``logger.name``/``logger.thread_name``, ``error.kind``/``message``/
``stack`` (Error Tracking), ``evt.name`` and ``duration`` (ns) on lifecycle records,
and ``dd.trace_id``/``dd.span_id`` as strings, once, in the ``dd`` object.  ids that
ddtrace's log injection put on the record are kept as it wrote them (its
``dd.service``/``dd.env``/``dd.version`` only fill a tag logkit has no value for); an
OpenTelemetry trace is converted as Datadog documents (the low 64 bits of the trace id,
in decimal).  ``task_id``/``task_name`` stay
top-level, the rest of the task context goes under ``celery``; a caller field named
like a reserved attribute is moved under ``extra``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery_logkit.identity import ServiceIdentity
from celery_logkit.processors import CONFLICTS_KEY, EventDict, FieldsFilter
from celery_logkit.tracing import add_trace_ids, ddtrace_ids

from ._mapping import CACHED, Placement, milliseconds_to_ns

__all__ = ["RESERVED", "DatadogSchema", "dd_ids"]

RESERVED = frozenset(
    {
        "host", "hostname", "source", "ddsource", "ddtags", "tags", "status", "level",
        "severity", "service", "env", "version", "trace_id", "span_id", "message", "msg",
        "date", "timestamp", "@timestamp", "logger", "error", "evt", "duration", "dd",
        "network", "http", "usr", "db", "celery", "task_id", "task_name", CONFLICTS_KEY,
    }
)  # fmt: skip
"""Names Datadog gives a meaning (reserved and standard attributes), and this schema's."""

_LOW_64 = (1 << 64) - 1
_ERROR_NAMES = {"type": "kind", "message": "message", "stack_trace": "stack"}


def dd_ids(trace_id: str, span_id: str) -> dict[str, str]:
    """Return an OpenTelemetry trace's ids as Datadog's ``dd.trace_id``/``dd.span_id``."""
    return {"trace_id": str(int(trace_id, 16) & _LOW_64), "span_id": str(int(span_id, 16))}


class DatadogSchema:
    """Map the event dict to Datadog's attributes."""

    name = "datadog"

    def __init__(self, identity: ServiceIdentity) -> None:
        self.identity = identity
        tags = {"service": identity.name, "env": identity.environment, "version": identity.version}
        self._tags = {k: v for k, v in tags.items() if v}
        self._missing_tags = tuple((k, f"dd.{k}") for k in tags if k not in self._tags)
        self._lines: dict[tuple[str, str | None], dict[str, Any]] = {}
        self._placement = Placement(RESERVED)

    def _ddtrace_tags(self, record: logging.LogRecord) -> dict[str, Any]:
        """Return the tags logkit has no value for, from ddtrace's log injection."""
        values = record.__dict__
        for _, injected in self._missing_tags:
            if injected in values:
                tags = {k: _text(values.get(a)) for k, a in self._missing_tags}
                return {k: v for k, v in tags.items() if v}
        return {}

    def render(self, event: EventDict, record: logging.LogRecord) -> EventDict:
        """Return the Datadog object for *event*."""
        out = self._line(event["logger"], record)
        out["timestamp"] = event["timestamp"]
        out["status"] = event["level"]
        out["message"] = event["message"]
        action = event.get("event")
        if action is not None:
            out["evt"] = {"name": action}
            duration = milliseconds_to_ns(event.get("duration_ms"))
            if duration is not None:
                out["duration"] = duration
        ids = _trace_ids(record, event)
        if ids is not None:
            out["dd"] = ids
        error = event.get("error")
        return self._placement.place(out, event, error=None if error is None else _error(error))

    def build(self, record: logging.LogRecord, redact: FieldsFilter | None) -> EventDict | None:
        """Return what :meth:`render` makes of the processors' event, from *record*.

        See :class:`~celery_logkit.schemas.Schema`; ``None`` takes the general path.
        """
        parts = self._placement.parts(record, redact)
        if parts is None:
            return None
        head, fields, task = parts
        out = self._line(record.name, record)
        out["timestamp"], out["status"], out["message"] = head
        ids = _trace_ids(record)
        if ids is not None:
            out["dd"] = ids
        out.update(task)
        return self._placement.finish(out, fields, record, _error)

    build_render = render
    """The :meth:`render` that :meth:`build` reproduces."""

    def _line(self, name: str, record: logging.LogRecord) -> dict[str, Any]:
        """Return a new line: its first three fields to fill in, the tags, ``logger``.

        The head only changes with the logger and thread name: it is made once for each
        and copied per line.  The tags ddtrace injects for those logkit lacks go before
        ``logger``.
        """
        key = (name, record.threadName)
        head = self._lines.get(key)
        if head is None:
            head = dict.fromkeys(("timestamp", "status", "message"))
            head.update(self._tags)
            head["logger"] = {"name": name, "thread_name": key[1]}
            if len(self._lines) < CACHED:
                self._lines[key] = head
        out = head.copy()
        values = record.__dict__
        if self._missing_tags and (
            "dd.service" in values or "dd.env" in values or "dd.version" in values
        ):  # ddtrace's log injection: one look per name before the call that reads them
            injected = self._ddtrace_tags(record)
            if injected:
                logger = out.pop("logger")
                out.update(injected)
                out["logger"] = logger
        return out


def _trace_ids(record: logging.LogRecord, event: EventDict | None = None) -> dict[str, Any] | None:
    """Return ``dd``: ddtrace's injected ids, else the OpenTelemetry ones in Datadog's form.

    The OpenTelemetry ids are read from *event*, or looked up when there is none.
    """
    injected = ddtrace_ids(record) if "dd.trace_id" in record.__dict__ else None
    if injected is not None:
        return {"trace_id": injected[0], "span_id": injected[1]}
    if event is None:
        event = add_trace_ids(record, {})
    return dd_ids(event["trace_id"], event["span_id"]) if "trace_id" in event else None


def _text(value: Any) -> str | None:
    """Return a tag ddtrace injected as text; ``None`` if it is empty or unprintable."""
    try:
        return str(value) if value else None
    except Exception:  # noqa: BLE001 - a value set by someone else
        return None


def _error(error: dict[str, Any]) -> dict[str, Any]:
    """Return an ``error`` object in Datadog's names (``kind``, ``message``, ``stack``)."""
    return {_ERROR_NAMES.get(k, k): v for k, v in error.items()}
