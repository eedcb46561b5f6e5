"""Output schemas: where each part of a line goes, in a log backend's own names.

A schema is a description, applied by the one path from a record to a line
(``celery_logkit._line``), as python-json-logger's backends are thin modules over one
core: ``.default`` (celery-logkit's flat names), ``.ecs`` (Elastic Common Schema,
for ELK) and ``.datadog``.  A schema of one's own is a :class:`Schema` too.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from celery_logkit import _tracing

__all__ = ["SCHEMAS", "Constant", "Path", "Schema", "get_schema"]

Path = tuple[str, ...]
"""Where a value goes: ``("log", "logger")`` is ``{"log": {"logger": ...}}``, while
``("log.level",)`` is a top-level key with a dot in its name."""


@dataclasses.dataclass(frozen=True)
class Constant:
    """A value a schema writes on every line as it is (``ecs.version``)."""

    value: Any


TraceIds = Callable[[logging.LogRecord], "tuple[str, str] | None"]


@dataclasses.dataclass(frozen=True)
class Schema:
    """Where a schema puts each part of a line, named by its role.

    *head* lists what every line starts with, in order: the roles ``timestamp``,
    ``level`` and ``message`` (top-level keys, filled per line), those that only change
    with the logger, process or thread (``logger``, ``process_id``, ``process_name``,
    ``thread_id``, ``thread_name``), those of the service (``service``, ``env``,
    ``version``, ``dataset``, ``host``), and :class:`Constant` values.

    *paths* places the rest: ``event``, ``outcome``, ``duration`` (an event's, in
    milliseconds times *duration_scale*), the task context's keys, ``trace_id`` and
    ``span_id``, ``error.type``/``error.message``/``error.stack_trace``, ``stack_info``,
    ``origin.file``/``origin.line``/``origin.function`` (when ``log_origin`` is on) and
    ``conflicts``.  A role without a path is not written.  An event's own fields go under
    *namespace* (top level when empty).

    A caller's field whose dotted name is in *standard* (name to type) is placed at that
    name's nesting when its value fits the type; one whose name starts with a name in
    *owned*, or whose value does not fit, goes to ``conflicts``; any other is written
    as it was given.  *trace_ids* reads a record's trace as the schema writes it.
    """

    name: str
    head: tuple[tuple[str | Constant, Path], ...]
    paths: Mapping[str, Path]
    namespace: Path = ()
    duration_scale: float = 1.0
    standard: Mapping[str, str] = dataclasses.field(default_factory=dict)
    owned: frozenset[str] = frozenset()
    trace_ids: TraceIds = _tracing.trace_ids


def _schemas() -> dict[str, Schema]:
    from .datadog import DATADOG  # noqa: PLC0415 - the descriptions import this module
    from .default import DEFAULT  # noqa: PLC0415
    from .ecs import ECS  # noqa: PLC0415

    return {schema.name: schema for schema in (DEFAULT, ECS, DATADOG)}


SCHEMAS: Mapping[str, Schema] = _schemas()
"""The schemas by name."""


def get_schema(name: str | Schema) -> Schema:
    """Return the schema called *name* (or *name*); a ``ValueError`` names the accepted ones."""
    if isinstance(name, Schema):
        return name
    try:
        return SCHEMAS[name]
    except (KeyError, TypeError):
        accepted = ", ".join(repr(n) for n in sorted(SCHEMAS))
        raise ValueError(f"unknown schema {name!r}: accepted values are {accepted}") from None
