"""Output schemas: how the event dict's fields are named and ordered on the line.

One core (the event dict the processors build, in the default schema's names) and a
thin module per schema that maps it, like python-json-logger's backends:
:mod:`.default`, :mod:`.ecs` (Elastic Common Schema, for ELK) and :mod:`.datadog`.
"""

from __future__ import annotations

import logging
from typing import Protocol

from celery_logkit.identity import ServiceIdentity
from celery_logkit.processors import EventDict

from .datadog import DatadogSchema
from .default import DefaultSchema
from .ecs import EcsSchema

__all__ = ["SCHEMAS", "DatadogSchema", "DefaultSchema", "EcsSchema", "Schema", "get_schema"]


class Schema(Protocol):
    """Maps the event dict to the keys a log backend expects.

    A schema may also have ``build(record, redact)``: the object :meth:`render` would
    make of the default processors' event dict, built straight from the record, or
    ``None`` for a record it leaves to them; its class then names that ``render`` as
    ``build_render``.  :class:`~celery_logkit.JsonFormatter` calls ``build`` while it
    runs its own processors and the schema's ``render`` is still ``build_render``.  Only
    the formatter writes that object: parts of it may be JSON already (orjson
    fragments, for what repeats on every line).
    """

    name: str

    def render(self, event: EventDict, record: logging.LogRecord) -> EventDict:
        """Return the object to serialise for *event* (which it may reuse).

        Nested objects that only change with the process, thread, logger or task may be
        shared between lines: copy before changing the result.
        """
        ...


SCHEMAS: dict[str, type[DefaultSchema | EcsSchema | DatadogSchema]] = {
    cls.name: cls for cls in (DefaultSchema, EcsSchema, DatadogSchema)
}


def get_schema(name: str, identity: ServiceIdentity | None = None) -> Schema:
    """Return the schema called *name*; a ``ValueError`` names the accepted ones."""
    try:
        cls = SCHEMAS[name]
    except KeyError:
        accepted = ", ".join(repr(n) for n in sorted(SCHEMAS))
        raise ValueError(f"unknown schema {name!r}: accepted values are {accepted}") from None
    return cls(identity or ServiceIdentity())
