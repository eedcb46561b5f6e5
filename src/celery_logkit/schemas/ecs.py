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

from celery_logkit.identity import ServiceIdentity
from celery_logkit.processors import CONFLICTS_KEY, EventDict

from ._mapping import caller_fields, milliseconds_to_ns, place_task_and_fields

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

_CACHED = 1024
"""How many loggers' and threads' objects are kept for reuse."""

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
        self._log: dict[str, dict[str, Any]] = {}
        self._process: dict[tuple[Any, ...], dict[str, Any]] = {}

    def render(self, event: EventDict, record: logging.LogRecord) -> EventDict:
        """Return the ECS object for *event*.

        The objects that only change with the process, thread or logger are made once
        and shared between lines (the size cap copies before it cuts).
        """
        logger = event["logger"]
        log = self._log.get(logger)
        if log is None:
            log = {"logger": logger}
            if len(self._log) < _CACHED:
                self._log[logger] = log
        out: dict[str, Any] = {
            "@timestamp": event["timestamp"],
            "log.level": event["level"],
            "message": event["message"],
            "ecs.version": ECS_VERSION,
            "log": log,
        }
        caller = caller_fields(event)
        action = event.get("event")
        if action is None:
            out["event"] = self._event
        else:
            ecs_event: dict[str, Any] = {"dataset": self._dataset, "action": action}
            duration = milliseconds_to_ns(caller.pop("duration_ms", None))
            if duration is not None:
                ecs_event["duration"] = duration
            out["event"] = ecs_event
        if self._service:
            out["service"] = self._service
        key = (record.process, record.processName, record.thread, record.threadName)
        process = self._process.get(key)
        if process is None:
            process = {
                "pid": record.process,
                "name": record.processName,
                "thread": {"id": record.thread, "name": record.threadName},
            }
            if len(self._process) < _CACHED:
                self._process[key] = process
        out["process"] = process
        out["host"] = self._host
        if "trace_id" in event:
            out["trace"] = {"id": event["trace_id"]}
            out["span"] = {"id": event["span_id"]}
        return place_task_and_fields(
            out, event, caller, reserved=_RESERVED, error=event.get("error")
        )
