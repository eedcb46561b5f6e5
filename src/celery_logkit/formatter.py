"""The :mod:`logging` formatter that runs the record path and writes one JSON line."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from . import processors, tracing
from ._json import dumps
from .identity import resolve_identity
from .processors import EventDict, Processor
from .schemas import Schema, get_schema

__all__ = ["DEFAULT_PROCESSORS", "JsonFormatter", "PipelineFormatter", "installed_app_name"]

DEFAULT_PROCESSORS: tuple[Processor, ...] = (
    processors.add_log_fields,
    processors.add_event_name,
    processors.merge_task_context,
    tracing.add_trace_ids,
    processors.merge_caller_fields,
    processors.add_exception,
)
"""The steps from a record to the event dict, in order."""

_installed_app_name: str | None = None


def installed_app_name() -> str | None:
    """Return the main name of the app given to ``install()`` (the service's fallback)."""
    return _installed_app_name


def set_installed_app_name(name: str | None) -> None:
    """Record the installed app's main name (called by ``install()``)."""
    global _installed_app_name  # noqa: PLW0603 - one installed app per process
    _installed_app_name = name


class PipelineFormatter(logging.Formatter):
    """A formatter that runs the processors, then renders the event dict.

    The usual Formatter arguments are accepted so existing configuration keeps
    working, but what a line holds is the pipeline's, not ``fmt``'s; ``datefmt`` is
    ignored (timestamps are always RFC 3339 UTC with milliseconds).
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        validate: bool = True,
        *,
        defaults: Mapping[str, Any] | None = None,
        processors: Sequence[Processor] = DEFAULT_PROCESSORS,
    ) -> None:
        super().__init__(fmt, datefmt, style, validate, defaults=defaults)
        self.processors: tuple[Processor, ...] = tuple(processors)

    def event(self, record: logging.LogRecord) -> EventDict:
        """Run the processors over *record* and return the event dict."""
        event: EventDict = {}
        for processor in self.processors:
            event = processor(record, event)
        return event

    def render(self, event: EventDict, record: logging.LogRecord) -> str:
        """Return the line for *event* (without the newline)."""
        raise NotImplementedError

    def format(self, record: logging.LogRecord) -> str:
        """Return *record* as one line.

        A failure anywhere on the record path still yields a line with the message,
        so a record is never lost and the task never sees the error.
        """
        try:
            return self.render(self.event(record), record)
        except Exception as exc:  # noqa: BLE001 - logging must not break the caller
            event = processors.add_log_fields(record, {})
            event["logkit_error"] = processors.exception_fields(exc)
            return dumps(event)


class JsonFormatter(PipelineFormatter):
    """Format records as one JSON object per line, with the running task's context.

    Usable wherever a :class:`logging.Formatter` is, including ``dictConfig``::

        "formatters": {"json": {"()": "celery_logkit.JsonFormatter", "schema": "ecs"}}

    ``schema`` is ``"default"``, ``"ecs"`` or ``"datadog"``; ``service``, ``env`` and
    ``version`` name the service (else the standard environment variables, else the
    app given to ``install()``).
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
        service: str | None = None,
        env: str | None = None,
        version: str | None = None,
        processors: Sequence[Processor] = DEFAULT_PROCESSORS,
    ) -> None:
        super().__init__(fmt, datefmt, style, validate, defaults=defaults, processors=processors)
        identity = resolve_identity(service, env, version, app_name=installed_app_name())
        self.schema: Schema = get_schema(schema, identity)

    def render(self, event: EventDict, record: logging.LogRecord) -> str:
        """Return the schema's object for *event*, as JSON."""
        return dumps(self.schema.render(event, record))
