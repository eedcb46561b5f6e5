"""The one path from a record to a line, for every schema.

:class:`LineBuilder` reads a record top to bottom -- its head, its task, its event, its
trace, the caller's fields (redacted), its error -- and writes each part where the
schema's description (:class:`~celery_logkit.schemas.Schema`) puts it.  The formatter
then runs the user's own steps, caps the line's size and serialises it.

What can be done once is: the schema is compiled when the builder is made, the head of
a line (what only changes with the logger, process or thread) once per logger and
thread, a task's fields once per task, a caller field's verdict once per name.  Nested
objects kept that way are shared between lines and never changed in place: writing
under one copies it first.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import logging
import operator
import socket
from collections.abc import Callable, Mapping
from typing import Any

from . import _collect
from ._collect import (
    _LEVEL_NAMES,
    _MILLISECONDS,
    FieldsFilter,
    caller_fields,
    error_of,
    event_fields,
    line_head,
    record_message,
    rfc3339,
)
from ._context import _task_context
from ._identity import ServiceIdentity
from ._vocabulary import (
    CONFLICTS,
    DURATION,
    ERROR_PARTS,
    EVENT,
    OUTCOMES,
    STACK_INFO,
    TASK_FIELDS,
    EventRecord,
    TaskRecord,
)
from .schemas import Constant, Path, Schema

__all__ = ["CACHED", "LineBuilder"]

Line = dict[str, Any]

CACHED = 1024
"""How many heads and field verdicts a builder keeps, per kind."""

_LINE_ROLES = ("timestamp", "level", "message")
_RECORD_ROLES = {
    "logger": "name",
    "process_id": "process",
    "process_name": "processName",
    "thread_id": "thread",
    "thread_name": "threadName",
}
_MISSING: Any = object()
_BLOCKED: Any = object()
_NO_TASK: tuple[Line, bool] = ({}, False)

# What a caller's field is, for a schema: written as given, a name the line owns, a
# standard field (with the check of its type), an object whose members are placed one
# by one, or a name that can only conflict (under a field that is not an object).
_TOP, _OWNED, _STANDARD, _OBJECT, _CONFLICT = range(5)
Verdict = tuple[int, Path, Callable[[Any], Any] | None]


def _same(ours: Any, theirs: Any) -> bool:
    try:
        return bool(ours is theirs or ours == theirs)
    except Exception:  # noqa: BLE001 - a caller's __eq__ may raise or be ambiguous
        return False


_UNFIT: Any = object()
"""What a fit function returns for a value that does not fit the field's type."""


def _each(fit: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Fit a value, or each value of a list (Elasticsearch's arrays hold values of the type)."""

    def fit_all(value: Any) -> Any:
        if isinstance(value, list | tuple):
            fitted = [fit(one) for one in value]
            return _UNFIT if any(one is _UNFIT for one in fitted) else fitted
        return fit(value)

    return fit_all


@_each
def _keyword(value: Any) -> Any:
    """Text as it is; a number or a boolean as the text Elasticsearch would index."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _UNFIT


@_each
def _integer(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else _UNFIT


@_each
def _number(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else _UNFIT


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else _UNFIT


@_each
def _date(value: Any) -> Any:
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _UNFIT
        return value
    return _UNFIT


@_each
def _ip(value: Any) -> Any:
    try:
        ipaddress.ip_address(value)
    except (TypeError, ValueError):
        return _UNFIT
    return value if isinstance(value, str) else str(value)


def _mapping(value: Any) -> Any:
    return value if isinstance(value, Mapping) else _UNFIT


def _nested(value: Any) -> Any:
    if isinstance(value, Mapping) or (
        isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value)
    ):
        return value
    return _UNFIT


def _anything(value: Any) -> Any:
    return _UNFIT if isinstance(value, Mapping) else value


_FITS: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(
        ("keyword", "constant_keyword", "wildcard", "text", "match_only_text", "string"), _keyword
    ),
    **dict.fromkeys(("long", "integer", "short", "byte", "unsigned_long"), _integer),
    **dict.fromkeys(("float", "double", "half_float", "scaled_float", "number"), _number),
    "boolean": _boolean,
    "date": _date,
    "ip": _ip,
    "flattened": _mapping,
    "nested": _nested,
}
"""How a value fits a field's type without a mapping conflict (ECS types, Datadog's
``string``/``number``): as it is, as the text a keyword field would index, or not at all
(:data:`_UNFIT`).  A type not listed takes any value but an object."""


def _get(node: Any, path: Path) -> Any:
    """Return the value at *path*: ``_MISSING``, or ``_BLOCKED`` past a value not an object."""
    for key in path:
        if not isinstance(node, dict):
            return _BLOCKED
        node = node.get(key, _MISSING)
        if node is _MISSING:
            return _MISSING
    return node


def _put(out: Line, path: Path, value: Any) -> None:
    """Set *path* in *out* to *value*, copying each object on the way (it may be shared)."""
    node = out
    for key in path[:-1]:
        child = node.get(key)
        child = {} if not isinstance(child, dict) else dict(child)
        node[key] = child
        node = child
    node[path[-1]] = value


def _merge(out: Line, part: Mapping[str, Any]) -> None:
    """Merge *part* into *out*, copying *out*'s objects where both have one."""
    for key, value in part.items():
        mine = out.get(key)
        if isinstance(mine, dict) and isinstance(value, dict):
            merged = dict(mine)
            _merge(merged, value)
            out[key] = merged
        else:
            out[key] = value


def _nest(pairs: list[tuple[Path, Any]]) -> Line:
    """Return a new object holding each ``(path, value)``, in order."""
    out: Line = {}
    for path, value in pairs:
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return out


def _compile_head(
    schema: Schema, identity: ServiceIdentity
) -> tuple[list[tuple[Path, str | None, Any]], list[str]]:
    """Return the head's ``(path, record attribute, value)`` in order, and the attributes read.

    A value is known once (a constant, the service's), or read from the record's
    attribute, or ``None`` for the parts filled on every line.
    """
    service = {
        "service": identity.name,
        "env": identity.environment,
        "version": identity.version,
        "dataset": identity.name or "celery",
        "host": socket.gethostname(),
    }
    spec: list[tuple[Path, str | None, Any]] = []
    attrs: list[str] = []
    for source, path in schema.head:
        if isinstance(source, Constant):
            spec.append((path, None, source.value))
        elif source in _LINE_ROLES:
            spec.append((path, None, None))
        elif source in _RECORD_ROLES:
            spec.append((path, _RECORD_ROLES[source], None))
            attrs.append(_RECORD_ROLES[source])
        elif source in service:
            if service[source]:
                spec.append((path, None, service[source]))
        else:
            raise ValueError(f"schema {schema.name!r}: unknown head role {source!r}")
    return spec, attrs


class LineBuilder:
    """Build a record's line in *schema*'s names: one path for every schema.

    *identity* names the service, *redact* (if any) sees the caller's fields before
    they join the line, *log_origin* adds the file, line and function that logged.
    """

    def __init__(
        self,
        schema: Schema,
        identity: ServiceIdentity,
        redact: FieldsFilter | None = None,
        *,
        log_origin: bool = False,
    ) -> None:
        self.schema = schema
        self.redact = redact
        roles = {role: path for role, path in schema.head if isinstance(role, str)}
        line_keys = []
        for role in _LINE_ROLES:
            path = roles.get(role)
            if path is None or len(path) != 1:
                raise ValueError(f"schema {schema.name!r}: {role} needs a top-level key")
            line_keys.append(path[0])
        self._timestamp, self._level, self._message = line_keys
        self._head_spec, attrs = _compile_head(schema, identity)
        self._head_key: Callable[[logging.LogRecord], Any] | None = (
            operator.attrgetter(*attrs) if attrs else None
        )
        self._head_roots = frozenset(path[0] for path, _, _ in self._head_spec)
        self._heads: dict[Any, Line] = {}
        paths = schema.paths
        self._event = paths.get(EVENT)
        self._outcome = paths.get("outcome")
        self._duration = paths.get("duration")
        self._scale = schema.duration_scale
        self._namespace = schema.namespace
        self._task_paths = {key: paths[key] for key in TASK_FIELDS if key in paths}
        self._trace_ids = schema.trace_ids
        self._trace_path = paths.get("trace_id")
        self._span_path = paths.get("span_id")
        self._errors = [(part, paths.get(f"error.{part}")) for part in ERROR_PARTS]
        self._stack_info = paths.get(STACK_INFO)
        origin = ("origin.file", "origin.line", "origin.function")
        self._origin = [paths.get(role) for role in origin] if log_origin else None
        self._conflicts = paths.get(CONFLICTS, (CONFLICTS,))
        self._owned = schema.owned
        self._standard = schema.standard
        self._objects = frozenset(
            ".".join(name.split(".")[:i])
            for name in schema.standard
            for i in range(1, name.count(".") + 1)
        ) | {name for name, kind in schema.standard.items() if kind == "object"}
        self._verdicts: dict[str, Verdict] = {}
        self._last_task: tuple[Mapping[str, Any] | None, tuple[Line, bool]] = (None, _NO_TASK)
        self._last_merge: tuple[Line | None, Line | None, Line] = (None, None, {})

    # -- the line ---------------------------------------------------------------------

    def build(self, record: logging.LogRecord) -> Line:  # noqa: PLR0912 - one path, top to bottom
        """Return *record*'s line as a new object (nested objects may be shared).

        Its head, its task (the running one, or the record's own), its event, its trace,
        the caller's fields (redacted), its error, its origin, the conflicts.
        """
        head = self._heads.get(None if self._head_key is None else self._head_key(record))
        out = self._new_head(record) if head is None else head.copy()
        # line_head(), inline: the call is about 0.2% of a line (docs/benchmarks.md).
        created = record.created
        second = int(created)
        cached = _collect._second
        if second == cached[0]:
            out[self._timestamp] = cached[1] + _MILLISECONDS[int((created - second) * 1000)]
        else:
            out[self._timestamp] = rfc3339(created)
        level = _LEVEL_NAMES.get(record.levelname)
        out[self._level] = level if level is not None else line_head(record)[1]
        msg = record.msg
        out[self._message] = msg if type(msg) is str and not record.args else record_message(record)
        event_fields: Line | None = None
        if record.__class__ is logging.LogRecord or not isinstance(record, TaskRecord):
            task = _task_context.get()
            last = self._last_task
            part, merge = last[1] if last[0] is task else self._task_part(task)
        else:
            part, merge = self._own_task(record)
            if record.__class__ is EventRecord:
                event_fields = self._add_event(out, record)
        if part:
            if not merge:
                out.update(part)
            elif (merged := self._last_merge)[0] is head and merged[1] is part:
                out.update(merged[2])
            else:
                out.update(self._merged(head, record, part))
        if event_fields:
            _merge(out, event_fields)
        ids = self._trace_ids(record)
        if ids is not None:
            self._add_trace(out, ids)
        fields = caller_fields(record, self.redact)
        conflicts: Line | None = None
        if fields:
            if (
                not self._standard
                and out.keys().isdisjoint(fields)
                and self._owned.isdisjoint(fields)
            ):
                out.update(fields)
            else:
                conflicts = {}
                for name, value in fields.items():
                    self._place(out, name, value, conflicts)
        if record.exc_info or record.exc_text or record.stack_info or record.msg.__class__ is dict:
            self._add_error(out, record)
        if self._origin is not None:
            self._add_origin(out, record)
        if conflicts:
            _put(out, self._conflicts, conflicts)
        return out

    def _head(self, record: logging.LogRecord) -> Line:
        """Return a copy of the line's head for *record*'s logger, process and thread."""
        head = self._heads.get(None if self._head_key is None else self._head_key(record))
        return self._new_head(record) if head is None else head.copy()

    def _new_head(self, record: logging.LogRecord) -> Line:
        """Make the head for *record*'s logger, process and thread, keep it, return a copy."""
        values = record.__dict__
        pairs = [
            (path, value if attr is None else values.get(attr))
            for path, attr, value in self._head_spec
        ]
        head = _nest([(p, v) for p, v in pairs if v is not None or len(p) == 1])
        if len(self._heads) < CACHED:
            self._heads[None if self._head_key is None else self._head_key(record)] = head
        return head.copy()

    def _merged(self, head: Line | None, record: logging.LogRecord, part: Line) -> Line:
        """Return *part* with each object it shares with the head merged into the head's.

        Kept for the next line of the same head and task (the task's lines mostly share
        both), so that a task's fields cost one ``update`` however they nest.
        """
        if head is None:
            head = self._heads.get(None if self._head_key is None else self._head_key(record))
        base = self._new_head(record) if head is None else head
        merged = {root: base.get(root) for root in part}
        merged = {root: value for root, value in merged.items() if value is not None}
        _merge(merged, part)
        if head is not None:
            self._last_merge = (head, part, merged)
        return merged

    def _task_part(self, task: Mapping[str, Any]) -> tuple[Line, bool]:
        """Return a task context's fields as the schema places them, once per context.

        A context is never changed in place, so its fields are made when a task's first
        line is written and shared by the task's other lines.  The flag says whether
        they share an object with the head (and must be merged into it).
        """
        last = self._last_task
        if last[0] is task:
            return last[1]
        if not task:
            return _NO_TASK
        made = self._placed_task(task)
        self._last_task = (task, made)
        return made

    def _placed_task(self, task: Mapping[str, Any]) -> tuple[Line, bool]:
        paths = self._task_paths
        part = _nest([(paths[k], v) for k, v in task.items() if k in paths])
        return part, not self._head_roots.isdisjoint(part)

    def _own_task(self, record: logging.LogRecord) -> tuple[Line, bool]:
        """Return the task of a record that names its own (its task-context attributes)."""
        values = record.__dict__
        task = {key: values[key] for key in TASK_FIELDS if key in values}
        running = _task_context.get()
        if task == running:  # a lifecycle event of the running task: its part is made
            return self._task_part(running)
        return self._placed_task(task) if task else _NO_TASK

    def _add_event(self, out: Line, record: logging.LogRecord) -> Line:
        """Write an event's name, outcome and duration; return its fields, placed."""
        values = record.__dict__
        name = values.get(EVENT)
        if name is not None and self._event is not None:
            _put(out, self._event, name)
            outcome = OUTCOMES.get(name)
            if outcome is not None and self._outcome is not None:
                _put(out, self._outcome, outcome)
        duration = values.get(DURATION)
        if duration is not None and self._duration is not None:
            if self._scale != 1 and isinstance(duration, int | float):
                duration = round(duration * self._scale)
            _put(out, self._duration, duration)
        placed = event_fields(record)
        for key in reversed(self._namespace):
            placed = {key: placed}
        return placed

    def _add_trace(self, out: Line, ids: tuple[str, str]) -> None:
        """Write the trace's and the span's ids where the schema puts them."""
        if self._trace_path is not None:
            _put(out, self._trace_path, ids[0])
        if self._span_path is not None:
            _put(out, self._span_path, ids[1])

    def _add_error(self, out: Line, record: logging.LogRecord) -> None:
        """Write the record's exception and ``stack_info`` where the schema puts them."""
        error = error_of(record) or {}
        pairs = [(path, error[part]) for part, path in self._errors if path and part in error]
        stack_info = record.stack_info
        if stack_info and self._stack_info is not None:
            for index, (path, value) in enumerate(pairs):
                if path == self._stack_info:  # one text holds both stacks
                    pairs[index] = (path, f"{value}\n\n{stack_info}")
                    break
            else:
                pairs.append((self._stack_info, stack_info))
        if pairs:
            _merge(out, _nest(pairs))

    def _add_origin(self, out: Line, record: logging.LogRecord) -> None:
        assert self._origin is not None
        values = (record.filename, record.lineno, record.funcName)
        pairs = [
            (path, v)
            for path, v in zip(self._origin, values, strict=True)
            if path and v is not None
        ]
        _merge(out, _nest(pairs))

    # -- the caller's fields -------------------------------------------------------------

    def _place(self, out: Line, name: str, value: Any, conflicts: Line) -> None:
        """Put the caller's field *name* where the schema says, else in *conflicts*."""
        verdict = self._verdicts.get(name)
        if verdict is None:
            verdict = self._judge(name)
            if len(self._verdicts) < CACHED:
                self._verdicts[name] = verdict
        kind, path, fit = verdict
        if kind == _TOP:
            if name not in out:
                out[name] = value
            elif not _same(out[name], value):
                conflicts[name] = value
            return
        if kind == _OBJECT and isinstance(value, Mapping):
            for key, member in value.items():
                self._place(out, f"{name}.{key}", member, conflicts)
            return
        if kind == _STANDARD:
            fitted = value if fit is None else fit(value)
            if fitted is not _UNFIT:
                existing = _get(out, path)
                if existing is _MISSING:
                    _put(out, path, fitted)
                    return
                if existing is not _BLOCKED and _same(existing, fitted):
                    return
        elif kind == _OWNED and _same(_get(out, path), value):
            return
        conflicts[name] = value

    def _judge(self, name: str) -> Verdict:
        """Return what the caller's field *name* is for this schema."""
        path = tuple(name.split("."))
        if name in self._owned or path[0] in self._owned:
            return _OWNED, ((name,) if name in self._owned else path), None
        if not self._standard:
            return _TOP, (name,), None
        kind = self._standard.get(name)
        if kind is not None:
            if kind == "object":
                return _OBJECT, path, None
            return _STANDARD, path, _FITS.get(kind, _anything)
        if name in self._objects:
            return _OBJECT, path, None
        for end in range(len(path) - 1, 0, -1):
            prefix = ".".join(path[:end])
            if prefix in self._objects:
                return _STANDARD, path, None  # a field of one's own in a schema's object
            if prefix in self._standard:
                return _CONFLICT, path, None  # under a field that holds a value
        return _TOP, (name,), None

    # -- when the path fails ---------------------------------------------------------------

    def head_and_task(self, record: logging.LogRecord) -> Line:
        """Return the line's head and task alone: what is written when the path fails."""
        out = self._head(record)
        out[self._timestamp], out[self._level], out[self._message] = line_head(record)
        try:
            if isinstance(record, TaskRecord):
                part, _ = self._own_task(record)
            else:
                part, _ = self._task_part(_task_context.get())
            _merge(out, part)
        except Exception:  # noqa: BLE001 - a task context that cannot be read: the line without it
            pass
        return out

    @staticmethod
    def bare(record: logging.LogRecord) -> Line:
        """Return the line's ``timestamp``, ``level``, ``logger`` and ``message``, by name."""
        timestamp, level, message = line_head(record)
        return {"timestamp": timestamp, "level": level, "logger": record.name, "message": message}
