"""The ``ecs`` schema: Elastic Common Schema lines, per the ecs-logging spec.

``@timestamp``, ``log.level``, ``message`` first; ``log.level`` and ``ecs.version`` as
top-level dotted keys, everything else as nested objects (Filebeat's ``expand_keys``
reads both).  ``task_id`` and ``task_name`` stay top-level; the rest of the task
context, and the lifecycle records' own fields, go under ``celery``.  A caller field
whose name is an ECS field set (``error``, ``service``, ``user``...) is moved under
``extra`` so it can never clash with the type ECS gives that name.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from celery_logkit._json import serialised_once
from celery_logkit.identity import ServiceIdentity
from celery_logkit.processors import CONFLICTS_KEY, EventDict, FieldsFilter
from celery_logkit.tracing import add_trace_ids

from ._mapping import CACHED, Placement, milliseconds_to_ns

__all__ = ["ECS_ROOTS", "ECS_VERSION", "EcsSchema"]

ECS_VERSION = "8.11.0"

ECS_ROOTS = frozenset(
    {
        "@timestamp", "agent", "as", "client", "cloud", "code_signature", "container",
        "data_stream", "destination", "device", "dll", "dns", "ecs", "elf", "email", "entity",
        "error", "event", "faas", "file", "gen_ai", "geo", "group", "hash", "host", "http",
        "interface", "labels", "log", "macho", "message", "network", "observer",
        "orchestrator", "organization", "os", "package", "pe", "process", "registry",
        "related", "risk", "rule", "server", "service", "source", "span", "tags", "threat",
        "tls", "trace", "transaction", "url", "user", "user_agent", "vlan", "volume",
        "vulnerability", "x509",
    }
)  # fmt: skip
"""The top-level names ECS defines (field sets and base fields)."""

_RESERVED = ECS_ROOTS | {"celery", "task_id", "task_name", CONFLICTS_KEY, "stack_info"}


class EcsSchema:
    """Map the event dict to ECS."""

    name = "ecs"

    def __init__(self, identity: ServiceIdentity) -> None:
        self.identity = identity
        service = {
            "name": identity.name,
            "version": identity.version,
            "environment": identity.environment,
        }
        self._service = {k: v for k, v in service.items() if v}
        self._dataset = identity.name or "celery"
        self._hostname = socket.gethostname()
        self._host = {"hostname": self._hostname}
        self._event = {"dataset": self._dataset}
        self._placement = Placement(_RESERVED)
        self._fixed: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._serialised: dict[tuple[Any, ...], dict[str, Any]] | None = (
            {} if type(self)._line is EcsSchema._line else None
        )  # a subclass that makes its own heads: build() copies those as they are

    def _line(self, logger: str, record: logging.LogRecord) -> dict[str, Any]:
        """Return a new line: its first three fields to fill in, then the rest of its head.

        The head only changes with the logger, process or thread: it is made once for
        each and copied per line.
        """
        key = (logger, record.process, record.processName, record.thread, record.threadName)
        fixed = self._fixed.get(key)
        if fixed is None:
            fixed = dict.fromkeys(("@timestamp", "log.level", "message"))
            fixed["ecs.version"] = ECS_VERSION
            fixed["log"] = {"logger": logger}
            fixed["event"] = self._event
            if self._service:
                fixed["service"] = self._service
            fixed["process"] = {
                "pid": record.process,
                "name": record.processName,
                "thread": {"id": record.thread, "name": record.threadName},
            }
            fixed["host"] = self._host
            if len(self._fixed) < CACHED:
                self._fixed[key] = fixed
                if self._serialised is not None:
                    self._serialised[key] = serialised_once(fixed)
        return fixed.copy()

    def _serialised_line(self, logger: str, record: logging.LogRecord) -> dict[str, Any]:
        """Return :meth:`_line` with its nested objects already written as JSON, if cached.

        For :meth:`build`, whose object only the formatter writes.  Made with the head
        :meth:`_line` caches; a head it does not cache is copied as it is.
        """
        heads = self._serialised
        if heads is not None:
            key = (logger, record.process, record.processName, record.thread, record.threadName)
            fixed = heads.get(key)
            if fixed is not None:
                return fixed.copy()
        return self._line(logger, record)

    def render(self, event: EventDict, record: logging.LogRecord) -> EventDict:
        """Return the ECS object for *event*.

        The objects that only change with the process, thread or logger are made once
        and shared between lines (the size cap copies before it cuts).
        """
        out = self._line(event["logger"], record)
        out["@timestamp"] = event["timestamp"]
        out["log.level"] = event["level"]
        out["message"] = event["message"]
        action = event.get("event")
        if action is not None:
            ecs_event: dict[str, Any] = {"dataset": self._dataset, "action": action}
            duration = milliseconds_to_ns(event.get("duration_ms"))
            if duration is not None:
                ecs_event["duration"] = duration
            out["event"] = ecs_event
        if "trace_id" in event:
            out["trace"] = {"id": event["trace_id"]}
            out["span"] = {"id": event["span_id"]}
        return self._placement.place(out, event, error=event.get("error"))

    def build(self, record: logging.LogRecord, redact: FieldsFilter | None) -> EventDict | None:
        """Return what :meth:`render` makes of the processors' event, from *record*.

        See :class:`~celery_logkit.schemas.Schema`; ``None`` takes the general path.
        """
        parts = self._placement.parts(record, redact)
        if parts is None:
            return None
        head, fields, task = parts
        out = self._serialised_line(record.name, record)
        out["@timestamp"], out["log.level"], out["message"] = head
        ids = add_trace_ids(record, {})
        if ids:
            out["trace"] = {"id": ids["trace_id"]}
            out["span"] = {"id": ids["span_id"]}
        out.update(task)
        return self._placement.finish(out, fields, record)

    build_render = render
    """The :meth:`render` that :meth:`build` reproduces."""
