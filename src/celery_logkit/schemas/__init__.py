"""Output schemas: how the event dict's fields are named and ordered on the line.

One core (the event dict the processors build, in the default schema's names) and a
thin module per schema that maps it, like python-json-logger's backends.
"""

from __future__ import annotations

from typing import Protocol

from celery_logkit.processors import EventDict

from .default import DefaultSchema

__all__ = ["SCHEMAS", "DefaultSchema", "Schema", "get_schema"]


class Schema(Protocol):
    """Maps the event dict to the keys a log backend expects."""

    name: str

    def render(self, event: EventDict) -> EventDict:
        """Return the object to serialise for *event* (which it may reuse)."""
        ...


SCHEMAS: dict[str, Schema] = {DefaultSchema.name: DefaultSchema()}


def get_schema(name: str) -> Schema:
    """Return the schema called *name*; a ``ValueError`` names the accepted ones."""
    try:
        return SCHEMAS[name]
    except KeyError:
        accepted = ", ".join(repr(n) for n in sorted(SCHEMAS))
        raise ValueError(f"unknown schema {name!r}: accepted values are {accepted}") from None
