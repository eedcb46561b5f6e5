"""The :mod:`logging` formatters: a record's line (:mod:`._line`), then JSON or text.

A formatter builds each record's line in its schema's names, runs the user's own
*processors* over it, then writes it: :class:`JsonFormatter` caps its size and
serialises it as one JSON line; :class:`~celery_logkit.ConsoleFormatter` renders it for
a terminal.  What a formatter is not given (the schema, the service, the redacted keys,
the size cap, ``log_origin``) it takes from the options in force (:func:`.config.configured`),
and follows them when they change, so that a formatter that Django's ``LOGGING``
creates before the worker has read its settings writes the schema the worker was asked
for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from . import _config
from ._config import Options
from ._errors import report_internal_error
from ._identity import resolve_identity
from ._json import dumps_bytes, dumps_or_raise
from ._limits import cap
from ._line import Line, LineBuilder
from ._redaction import redactor_for
from .schemas import Schema, get_schema

__all__ = ["JsonFormatter", "LineFormatter", "Processor"]

Processor = Callable[[logging.LogRecord, Line], Line]
"""A step of one's own: takes the record and its line (in the schema's names) and returns
the line.  Nested objects may be shared between lines: copy one before changing it."""

_FOLLOWED = ("schema", "service", "env", "version", "redact_keys", "max_line_bytes", "log_origin")


class LineFormatter(logging.Formatter):
    """A formatter that builds each record's line, then renders it (:meth:`render`).

    The usual ``Formatter`` arguments are accepted so existing configuration keeps
    working, but what a line holds is the schema's, not ``fmt``'s; ``datefmt`` is
    ignored (timestamps are always RFC 3339 UTC with milliseconds).
    """

    fixed_schema: ClassVar[Schema | None] = None
    """The schema a subclass always writes (the console's), instead of the configured one."""

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        validate: bool = True,
        *,
        defaults: Mapping[str, Any] | None = None,
        schema: str | Schema | None = None,
        service: str | None = None,
        env: str | None = None,
        version: str | None = None,
        redact_keys: Iterable[str] | None = None,
        max_line_bytes: int | None = None,
        log_origin: bool | None = None,
        processors: Sequence[Processor] | None = None,
    ) -> None:
        super().__init__(fmt, datefmt, style, validate, defaults=defaults)
        given = {
            "schema": schema if schema is None else get_schema(schema),
            "service": service,
            "env": env,
            "version": version,
            "redact_keys": None if redact_keys is None else tuple(redact_keys),
            "max_line_bytes": max_line_bytes,
            "log_origin": log_origin,
        }
        if self.fixed_schema is not None:
            given["schema"] = self.fixed_schema
        self._given: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        self.processors: tuple[Processor, ...] = tuple(processors or ())
        self._follows = not all(name in self._given for name in _FOLLOWED)
        self._options: Options | None = None
        self._configure(_config.configured())

    def _configure(self, options: Options) -> None:
        """Build the line's path from the given values, the rest from *options*."""
        given: dict[str, Any] = self._given
        schema: Schema = given.get("schema") or get_schema(options.schema)
        identity = resolve_identity(
            given.get("service", options.service),
            given.get("env", options.env),
            given.get("version", options.version),
            app_name=_config.app_name(),
        )
        redactor = redactor_for(given.get("redact_keys", options.redact_keys))
        self.schema = schema
        self.max_line_bytes: int = given.get("max_line_bytes", options.max_line_bytes)
        self._builder = LineBuilder(
            schema,
            identity,
            redactor.redact_fields if redactor.patterns else None,
            log_origin=bool(given.get("log_origin", options.log_origin)),
        )
        self._options = options

    def line(self, record: logging.LogRecord) -> Line:
        """Return *record*'s line in the schema's names, after the user's processors."""
        if self._follows and _config._current is not self._options:
            self._configure(_config.configured())
        line = self._builder.build(record)
        for processor in self.processors:
            line = processor(record, line)
        return line

    def render(self, line: Line, record: logging.LogRecord) -> str:
        """Return the text for *line* (without the newline)."""
        raise NotImplementedError

    def format(self, record: logging.LogRecord) -> str:
        """Return *record* as one line.

        A failure anywhere on the record's path still yields a line with the message,
        so a record is never lost and the task never sees the error.
        """
        try:
            return self.render(self.line(record), record)
        except Exception as exc:  # noqa: BLE001 - logging must not break the caller
            report_internal_error("formatting a record", exc)
            return self._last_resort(record).decode("utf-8")

    def format_bytes(self, record: logging.LogRecord) -> bytes:
        """Return *record* as one UTF-8 line without its newline (what handlers write)."""
        return self.format(record).encode("utf-8", "backslashreplace")

    def _last_resort(self, record: logging.LogRecord) -> bytes:
        """Return the line written when the record's path failed: its head and its task.

        Only the steps least likely to fail run, so that the line still says which task
        wrote it; in the default schema's names if even those fail.
        """
        try:
            line = self._builder.head_and_task(record)
            return _fit(dumps_bytes(line), line, self.max_line_bytes)
        except Exception:  # noqa: BLE001 - the line without the schema, rather than none
            return dumps_bytes(LineBuilder.bare(record))


def _fit(data: bytes, line: Line, max_line_bytes: int) -> bytes:
    return data if len(data) < max_line_bytes else cap(line, data, dumps_bytes, max_line_bytes - 1)


class JsonFormatter(LineFormatter):
    """Format records as one JSON object per line, with the running task's context.

    Usable wherever a :class:`logging.Formatter` is, including ``dictConfig``::

        "formatters": {"json": {"()": "celery_logkit.JsonFormatter"}}

    Without arguments it writes what ``install()``'s options say (the schema, the
    service, the redacted keys...), and follows them.  ``schema`` is ``"default"``,
    ``"ecs"``, ``"datadog"`` or a :class:`~celery_logkit.schemas.Schema` of one's own;
    ``service``, ``env`` and ``version`` name the service (else the standard environment
    variables, else the app given to ``install()``); ``redact_keys`` replaces the
    redacted key patterns (``[]`` turns redaction off); ``max_line_bytes`` caps a line's
    size; ``log_origin`` adds the file, line and function that logged; ``processors``
    are steps of one's own run on each line before it is capped and written.
    """

    def render(self, line: Line, record: logging.LogRecord) -> str:
        """Return *line* as JSON text under the size cap."""
        return _fit(dumps_bytes(line), line, self.max_line_bytes).decode("utf-8")

    def format(self, record: logging.LogRecord) -> str:
        """Return *record* as one JSON line."""
        return self._json(record).decode("utf-8")

    def _json(self, record: logging.LogRecord) -> bytes:
        """Return *record* as one UTF-8 JSON line, skipping the text round trip.

        :meth:`line`, :meth:`render` and the size cap, inline: the calls they save are
        about 1% of a line (docs/benchmarks.md).
        """
        try:
            if self._follows and _config._current is not self._options:
                self._configure(_config.configured())
            line = self._builder.build(record)
            for processor in self.processors:
                line = processor(record, line)
            try:  # dumps_bytes(), inline: one call fewer a line (docs/benchmarks.md)
                data = dumps_or_raise(line)
            except TypeError:  # a value only the rebuilt path writes
                data = dumps_bytes(line)
            if len(data) < self.max_line_bytes:
                return data
            return cap(line, data, dumps_bytes, self.max_line_bytes - 1)
        except Exception as exc:  # noqa: BLE001 - logging must not break the caller
            report_internal_error("formatting a record", exc)
            return self._last_resort(record)

    format_bytes = _json
    """Return *record* as one UTF-8 JSON line without its newline (what handlers write)."""
