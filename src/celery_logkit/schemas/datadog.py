"""The ``datadog`` schema: Datadog's reserved and standard attributes.

``timestamp``, ``status``, ``message``, ``service``/``env``/``version`` (unified
service tagging), ``logger.name``/``logger.thread_name``, ``error.kind``/``message``/
``stack`` (Error Tracking), ``evt.name``, ``evt.outcome`` and ``duration`` (ns) on event
records, and the trace as ``dd.trace_id``/``dd.span_id``.  ids that ddtrace's log
injection put on the record are kept as it wrote them; an OpenTelemetry trace is
converted as Datadog documents (the low 64 bits of the trace id, in decimal).  The
task's id and name stay top-level, the rest of the task context and an event's own
fields go under ``celery``.  A caller's standard attribute (``usr.id``,
``network.client.ip``, ``http.*``, ``ddtags``...) is placed where Datadog reads it when
its value fits (:mod:`._datadog_fields`).
"""

from __future__ import annotations

import logging

from celery_logkit import _tracing
from celery_logkit._vocabulary import CONFLICTS, EVENT, STACK_INFO, TASK_FIELDS

from . import Schema
from ._datadog_fields import PREPROCESSING, RESERVED, STANDARD

__all__ = ["DATADOG", "dd_ids", "trace_ids"]

_LOW_64 = (1 << 64) - 1


def dd_ids(trace_id: str, span_id: str) -> tuple[str, str]:
    """Return an OpenTelemetry trace's hex ids as Datadog's decimal trace and span ids."""
    return str(int(trace_id, 16) & _LOW_64), str(int(span_id, 16))


def trace_ids(record: logging.LogRecord) -> tuple[str, str] | None:
    """Return ddtrace's injected ids as it wrote them, else the OpenTelemetry ones, converted."""
    if "dd.trace_id" in record.__dict__:
        injected = _tracing.ddtrace_ids(record)
        if injected is not None:
            return injected
    ids = _tracing.trace_ids(record)
    return None if ids is None else dd_ids(*ids)


DATADOG = Schema(
    name="datadog",
    head=(
        ("timestamp", ("timestamp",)),
        ("level", ("status",)),
        ("message", ("message",)),
        ("service", ("service",)),
        ("env", ("env",)),
        ("version", ("version",)),
        ("logger", ("logger", "name")),
        ("thread_name", ("logger", "thread_name")),
    ),
    paths={
        EVENT: ("evt", "name"),
        "outcome": ("evt", "outcome"),
        "duration": ("duration",),
        "task_id": ("task_id",),
        "task_name": ("task_name",),
        **{key: ("celery", key) for key in TASK_FIELDS[2:]},
        "trace_id": ("dd", "trace_id"),
        "span_id": ("dd", "span_id"),
        "error.type": ("error", "kind"),
        "error.message": ("error", "message"),
        "error.stack_trace": ("error", "stack"),
        STACK_INFO: ("error", "stack"),
        "origin.function": ("logger", "method_name"),
        "origin.file": ("logger", "file_name"),
        "origin.line": ("logger", "line"),
        CONFLICTS: (CONFLICTS,),
    },
    namespace=("celery",),
    duration_scale=1_000_000,
    standard={**STANDARD, "ddtags": RESERVED["ddtags"]},
    owned=frozenset(RESERVED.keys() - {"ddtags"})
    | {name.split(".")[0] for names in PREPROCESSING.values() for name in names}
    | {"timestamp", "env", "version", "dd", "error", "celery", *TASK_FIELDS, CONFLICTS},
    trace_ids=trace_ids,
)
"""The Datadog schema."""
