"""The :mod:`logging` formatter that runs the record path and writes one JSON line."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from . import processors
from ._json import dumps
from .processors import EventDict, Processor
from .schemas import Schema, get_schema

__all__ = ["DEFAULT_PROCESSORS", "JsonFormatter"]

DEFAULT_PROCESSORS: tuple[Processor, ...] = (
    processors.add_log_fields,
    processors.add_event_name,
    processors.merge_task_context,
    processors.merge_caller_fields,
    processors.add_exception,
)
"""The steps from a record to the event dict, in order."""


class JsonFormatter(logging.Formatter):
    """Format records as one JSON object per line, with the running task's context.

    Usable wherever a :class:`logging.Formatter` is, including ``dictConfig``::

        "formatters": {"json": {"()": "celery_logkit.JsonFormatter"}}

    The usual Formatter arguments are accepted so existing configuration keeps
    working, but the keys on the line are the schema's, not ``fmt``'s.  ``datefmt``
    is ignored: timestamps are always RFC 3339 UTC with milliseconds.
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        validate: bool = True,
        *,
        defaults: Mapping[str, Any] | None = None,
        schema: str = "default",
        processors: Sequence[Processor] = DEFAULT_PROCESSORS,
    ) -> None:
        super().__init__(fmt, datefmt, style, validate, defaults=defaults)
        self.schema: Schema = get_schema(schema)
        self.processors: tuple[Processor, ...] = tuple(processors)

    def event(self, record: logging.LogRecord) -> EventDict:
        """Run the processors over *record* and return the schema's event dict."""
        event: EventDict = {}
        for processor in self.processors:
            event = processor(record, event)
        return self.schema.render(event)

    def format(self, record: logging.LogRecord) -> str:
        """Return *record* as one line of JSON (without the newline).

        A failure anywhere on the record path still yields a line with the
        message, so a record is never lost and the task never sees the error.
        """
        try:
            return dumps(self.event(record))
        except Exception as exc:  # noqa: BLE001 - logging must not break the caller
            return dumps(_fallback_event(record, exc))


def _fallback_event(record: logging.LogRecord, exc: Exception) -> EventDict:
    event = processors.add_log_fields(record, {})
    event["logkit_error"] = processors.exception_fields(exc)
    return event
