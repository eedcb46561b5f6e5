"""The :mod:`logging` formatter that runs the record path and writes one JSON line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from . import processors, tracing
from ._errors import report_internal_error
from ._json import dumps_bytes, dumps_serialised
from .identity import resolve_identity
from .limits import DEFAULT_MAX_LINE_BYTES, cap
from .processors import EventDict, FieldsFilter, Processor
from .redaction import Redactor
from .schemas import DefaultSchema, Schema, get_schema

__all__ = [
    "DEFAULT_PROCESSORS",
    "JsonFormatter",
    "PipelineFormatter",
    "build_processors",
    "installed_app_name",
]


def build_processors(redactor: Redactor | None = None) -> tuple[Processor, ...]:
    """Return the steps from a record to the event dict, in order."""
    return (
        processors.add_log_fields,
        processors.merge_task_context,
        tracing.add_trace_ids,
        processors.merge_caller_fields_with(
            None if redactor is None or not redactor.patterns else redactor.redact_fields
        ),
        processors.add_exception,
    )


_DEFAULT_REDACTOR = Redactor()
DEFAULT_PROCESSORS = build_processors(_DEFAULT_REDACTOR)
"""The line's own fields -> the task's -> trace ids -> the caller's, redacted -> exception."""

_installed_app_name: str | None = None


def installed_app_name() -> str | None:
    """Return the main name of the app given to ``install()`` (the service's fallback)."""
    return _installed_app_name


def set_installed_app_name(name: str | None) -> None:
    """Record the installed app's main name (called by ``install()``)."""
    global _installed_app_name  # noqa: PLW0603 - one installed app per process
    _installed_app_name = name


Build = Callable[[logging.LogRecord, FieldsFilter | None], EventDict | None]
"""A schema's ``build``: the line straight from the record, or ``None``."""


_OWN_STEPS = (
    processors.add_log_fields,
    processors.merge_task_context,
    tracing.add_trace_ids,
    processors.add_exception,
)
_MERGE_STEP = DEFAULT_PROCESSORS[3].__code__


def _is_own_chain(chain: Sequence[Processor], redact: FieldsFilter | None) -> bool:
    """Whether *chain* is :func:`build_processors`'s, redacting with *redact* (or an equal method).

    ``DEFAULT_PROCESSORS`` or ``build_processors`` may have been replaced: a schema's
    ``build`` only stands in for the steps it was written for.
    """
    if len(chain) != 5 or (chain[0], chain[1], chain[2], chain[4]) != _OWN_STEPS:
        return False
    merge = chain[3]
    if getattr(merge, "__code__", None) is not _MERGE_STEP or not merge.__closure__:
        return False
    cells = dict(zip(_MERGE_STEP.co_freevars, merge.__closure__, strict=True))
    return bool(cells["redact"].cell_contents == redact)


def _last_resort_line(record: logging.LogRecord) -> EventDict:
    """Return the event written when the record path failed: its own fields and the task's.

    Only the steps least likely to fail run, so that the line still says which task
    wrote it.
    """
    event = processors.add_log_fields(record, {})
    try:
        return processors.merge_task_context(record, dict(event))
    except Exception:  # noqa: BLE001 - a task context that cannot be read: the line without it
        return event


def _schema_build(schema: Schema) -> tuple[Build, object] | None:
    """Return *schema*'s ``build`` and the ``render`` it stands in for, if it has one."""
    build = getattr(schema, "build", None)
    render = getattr(type(schema), "build_render", None)
    return None if build is None or render is None else (build, render)


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
        redact_keys: Iterable[str] | None = None,
        processors: Sequence[Processor] | None = None,
    ) -> None:
        super().__init__(fmt, datefmt, style, validate, defaults=defaults)
        self._redact: FieldsFilter | None = None
        self._default_processors: tuple[Processor, ...] | None = None
        if processors is None:
            redactor = _DEFAULT_REDACTOR if redact_keys is None else Redactor(redact_keys)
            processors = DEFAULT_PROCESSORS if redact_keys is None else build_processors(redactor)
            self._redact = redactor.redact_fields if redactor.patterns else None
            if _is_own_chain(processors, self._redact):
                self._default_processors = processors
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
            report_internal_error("formatting a record", exc)
            return self._last_resort(record).decode("utf-8")

    def _last_resort(self, record: logging.LogRecord) -> bytes:
        """Return the line written when the record path failed, in the default schema's names."""
        return dumps_bytes(_last_resort_line(record))

    def format_bytes(self, record: logging.LogRecord) -> bytes:
        """Return *record* as one UTF-8 line without its newline (what handlers write)."""
        return self.format(record).encode("utf-8", "backslashreplace")


class JsonFormatter(PipelineFormatter):
    """Format records as one JSON object per line, with the running task's context.

    Usable wherever a :class:`logging.Formatter` is, including ``dictConfig``::

        "formatters": {"json": {"()": "celery_logkit.JsonFormatter", "schema": "ecs"}}

    ``schema`` is ``"default"``, ``"ecs"`` or ``"datadog"``; ``service``, ``env`` and
    ``version`` name the service (else the standard environment variables, else the
    app given to ``install()``); ``redact_keys`` replaces the redacted key patterns
    (``[]`` turns redaction off); ``max_line_bytes`` caps a line's size.
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
        redact_keys: Iterable[str] | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        processors: Sequence[Processor] | None = None,
    ) -> None:
        super().__init__(
            fmt, datefmt, style, validate, defaults=defaults, redact_keys=redact_keys,
            processors=processors,
        )  # fmt: skip
        identity = resolve_identity(service, env, version, app_name=installed_app_name())
        self.schema: Schema = get_schema(schema, identity)
        self.max_line_bytes = max_line_bytes
        self._built_schema = self.schema
        self._schema_attrs: Mapping[str, Any] = getattr(self.schema, "__dict__", {})
        built = _schema_build(self.schema)
        self._build: Build | None = None if built is None else built[0]
        self._build_render: object = None if built is None else built[1]

    def serialise(self, event: EventDict, record: logging.LogRecord) -> bytes:
        """Return the schema's object for *event*, as UTF-8 JSON under the size cap."""
        schema = self.schema
        obj = event if schema.__class__ is DefaultSchema else schema.render(event, record)
        return self._dumps(obj)

    def _dumps(self, obj: EventDict) -> bytes:
        """Return *obj* as UTF-8 JSON under the size cap."""
        data = dumps_bytes(obj)
        if len(data) < self.max_line_bytes:
            return data
        return cap(obj, data, dumps_bytes, self.max_line_bytes - 1)

    def render(self, event: EventDict, record: logging.LogRecord) -> str:
        """Return the schema's object for *event*, as JSON text under the size cap."""
        return self.serialise(event, record).decode("utf-8")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._bytes_path = all(
            getattr(cls, name) is getattr(JsonFormatter, name)
            for name in ("format", "format_bytes", "render", "event", "serialise", "_dumps")
        )

    _bytes_path = True
    """False for a subclass that changes a step of the line's path: it then runs as written."""

    def format(self, record: logging.LogRecord) -> str:
        """Return *record* as one JSON line: :meth:`format_bytes`, decoded."""
        if not self._bytes_path:
            return super().format(record)
        return self.format_bytes(record).decode("utf-8")

    def format_bytes(self, record: logging.LogRecord) -> bytes:
        """Return *record* as one UTF-8 JSON line, skipping the text round trip."""
        if not self._bytes_path:
            return super().format_bytes(record)
        try:
            build = self._build
            if (
                build is not None
                and self.processors is self._default_processors
                and self.schema is self._built_schema
                and type(self.schema).render is self._build_render
                and "render" not in self._schema_attrs
            ):  # the schema makes the line straight from the record
                obj = build(record, self._redact)
                data = None if obj is None else dumps_serialised(obj)
                if data is not None and len(data) < self.max_line_bytes:
                    return data
                # else a value orjson refused, or a line to cut: the general path does both
            event: EventDict = {}
            for processor in self.processors:  # self.event(), without a call per line
                event = processor(record, event)
            schema = self.schema  # self.serialise(), without a call per line
            obj = event if schema.__class__ is DefaultSchema else schema.render(event, record)
            return self._dumps(obj)
        except Exception as exc:  # noqa: BLE001 - logging must not break the caller
            report_internal_error("formatting a record", exc)
            return self._last_resort(record)

    def _last_resort(self, record: logging.LogRecord) -> bytes:
        """Return the line written when the record path failed, in the schema's names.

        The record's own fields and the task's, rendered by the schema and under the size
        cap; in the default schema's names if the schema fails too.
        """
        event = _last_resort_line(record)
        try:
            return JsonFormatter._dumps(self, self.schema.render(dict(event), record))
        except Exception:  # noqa: BLE001 - the line without the schema, rather than none
            return super()._last_resort(record)
