"""The ``ecs`` schema: Elastic Common Schema lines, per the ecs-logging spec.

``@timestamp``, ``log.level``, ``message`` and ``ecs.version`` first, as top-level keys
(the spec's dotted ones), everything else as nested objects (Filebeat's
``expand_keys`` reads both).  The task's id and name stay top-level, the worker's node
name is ``service.node.name``, the rest of the task context and an event's own fields
go under ``celery``.  A caller's field that ECS defines (``user.id``, ``labels``,
``http.request.method``...) is placed where ECS puts it when its value fits the field's
type (:mod:`._ecs_fields`, from the ECS field list).
"""

from __future__ import annotations

from celery_logkit._vocabulary import CONFLICTS, EVENT, STACK_INFO, TASK_FIELDS

from . import Constant, Schema
from ._ecs_fields import FIELDS

__all__ = ["ECS", "ECS_VERSION"]

ECS_VERSION = "8.11.0"

ECS = Schema(
    name="ecs",
    head=(
        ("timestamp", ("@timestamp",)),
        ("level", ("log.level",)),
        ("message", ("message",)),
        (Constant(ECS_VERSION), ("ecs.version",)),
        ("logger", ("log", "logger")),
        ("dataset", ("event", "dataset")),
        ("service", ("service", "name")),
        ("version", ("service", "version")),
        ("env", ("service", "environment")),
        ("process_id", ("process", "pid")),
        ("process_name", ("process", "name")),
        ("thread_id", ("process", "thread", "id")),
        ("thread_name", ("process", "thread", "name")),
        ("host", ("host", "hostname")),
    ),
    paths={
        EVENT: ("event", "action"),
        "outcome": ("event", "outcome"),
        "duration": ("event", "duration"),
        "task_id": ("task_id",),
        "task_name": ("task_name",),
        **{key: ("celery", key) for key in TASK_FIELDS[2:] if key != "worker"},
        "worker": ("service", "node", "name"),
        "trace_id": ("trace", "id"),
        "span_id": ("span", "id"),
        "error.type": ("error", "type"),
        "error.message": ("error", "message"),
        "error.stack_trace": ("error", "stack_trace"),
        STACK_INFO: ("error", "stack_trace"),
        "origin.file": ("log", "origin", "file", "name"),
        "origin.line": ("log", "origin", "file", "line"),
        "origin.function": ("log", "origin", "function"),
        CONFLICTS: (CONFLICTS,),
    },
    namespace=("celery",),
    duration_scale=1_000_000,
    standard=FIELDS,
    owned=frozenset(
        {"@timestamp", "log.level", "ecs.version", "message", "error", "trace", "span"}
        | {"celery", "process", "host", *TASK_FIELDS, CONFLICTS}
    ),
)
"""The ECS schema."""
