"""What the backend schemas share: which keys of the event dict are whose."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from celery_logkit.context import _task_context
from celery_logkit.processors import (
    CONFLICTS_KEY,
    ERROR_ATTR,
    EVENT_ATTR,
    OWNED_KEYS,
    TASK_ATTR,
    EventDict,
    FieldsFilter,
    add_exception,
    caller_fields,
    line_head,
)

__all__ = [
    "CACHED",
    "CELERY_KEYS",
    "LIFECYCLE_KEYS",
    "Placement",
    "milliseconds_to_ns",
]

CACHED = 1024
"""How many objects a schema keeps for reuse, per kind (loggers, threads, field names)."""

CELERY_KEYS = ("retries", "root_id", "parent_id", "group_id", "queue", "worker")
"""The task context beyond ``task_id``/``task_name``: namespaced under ``celery``."""

LIFECYCLE_KEYS = frozenset(
    {
        "attempt",
        "queue_wait_ms",
        "reason",
        "max_retries",
        "countdown",
        "eta",
        "child_task_id",
        "child_task_name",
        "routing_key",
        "terminated",
        "signum",
        "signame",
        "expired",
        "expected",
        "args",
        "kwargs",
        "result",
    }
)
"""Fields the lifecycle records add: namespaced under ``celery`` on lifecycle records."""

_OWN, _TOP, _CELERY = 0, 1, 2
_ROLES: dict[str, int] = {
    **dict.fromkeys(("timestamp", "level", "logger", "message", "event"), _OWN),
    **dict.fromkeys(("error", "stack_info", "trace_id", "span_id", CONFLICTS_KEY), _OWN),
    "task_id": _TOP,
    "task_name": _TOP,
    **dict.fromkeys(CELERY_KEYS, _CELERY),
}
"""Each known key's place: the schema's own (mapped by it), top-level, or ``celery``."""
_LIFECYCLE_ROLES = {**_ROLES, "duration_ms": _OWN, **dict.fromkeys(LIFECYCLE_KEYS, _CELERY)}
_NO_TASK: dict[str, Any] = {}


def milliseconds_to_ns(value: Any) -> int | None:
    """Return a duration in ms as whole nanoseconds (ECS and Datadog want ns)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 1_000_000)
    return None


class Placement:
    """Where a backend puts the task context and the caller's fields.

    ``task_id``/``task_name`` stay top-level; ``celery`` gets the rest of the task
    context and, on lifecycle records (those with an ``event``), the lifecycle's own
    fields; a caller field whose name, or its first dotted part, is in *reserved*
    goes to ``extra`` with the fields the line owned.
    """

    def __init__(self, reserved: frozenset[str]) -> None:
        self.reserved = reserved
        self._verdicts: dict[str, bool] = {}
        self._last_task: tuple[Mapping[str, Any] | None, dict[str, Any]] = (None, _NO_TASK)

    def is_reserved(self, key: str) -> bool:
        """Whether the caller's field *key* goes to ``extra`` (remembered per name)."""
        verdict = self._verdicts.get(key)
        if verdict is None:
            reserved = self.reserved
            verdict = key in reserved or ("." in key and key.split(".", 1)[0] in reserved)
            if len(self._verdicts) < CACHED:
                self._verdicts[key] = verdict
        return verdict

    def place_fields(
        self,
        out: dict[str, Any],
        fields: Iterable[tuple[str, Any]],
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Put the caller's *fields* on *out*, in order; return *extra* with the reserved ones."""
        verdicts = self._verdicts
        for key, value in fields:
            reserved = verdicts.get(key)
            if not (self.is_reserved(key) if reserved is None else reserved):
                out[key] = value
            elif extra is None:
                extra = {key: value}
            else:
                extra[key] = value
        return extra

    def place(self, out: dict[str, Any], event: EventDict, *, error: Any = None) -> dict[str, Any]:
        """Finish a backend's line: task ids, ``celery``, the caller's fields, *error*.

        One pass over *event*, in its order; the line's own keys are the schema's.
        """
        roles = _ROLES if "event" not in event else _LIFECYCLE_ROLES
        celery: dict[str, Any] | None = None
        extra: dict[str, Any] | None = None
        for key, value in event.items():
            role = roles.get(key)
            if role is None:
                extra = self.place_fields(out, ((key, value),), extra)
            elif role == _TOP:
                out[key] = value
            elif role == _CELERY:
                if celery is None:
                    celery = out["celery"] = {}
                celery[key] = value
        if error is not None:
            out["error"] = error
        if "stack_info" in event:
            out["stack_info"] = event["stack_info"]
        owned = event.get(CONFLICTS_KEY)
        if owned:
            extra = {**owned, **extra} if extra else dict(owned)
        if extra:
            out[CONFLICTS_KEY] = extra
        return out

    def task_fields(self, context: Mapping[str, Any]) -> dict[str, Any] | None:
        """Return a task context as the line's ``task_id``, ``task_name`` and ``celery``.

        Made once per context, which is never changed in place (a task's lines share
        it, ``celery`` included); ``None`` for a context with keys of its own, which
        only :meth:`place` knows how to put.
        """
        last = self._last_task
        if last[0] is context:
            return last[1]
        if not context:
            return _NO_TASK
        fields: dict[str, Any] = {}
        celery: dict[str, Any] | None = None
        for key, value in context.items():
            role = _ROLES.get(key)
            if role == _TOP:
                fields[key] = value
            elif role == _CELERY:
                if celery is None:
                    celery = fields["celery"] = {}
                celery[key] = value
            else:
                return None
        self._last_task = (context, fields)
        return fields

    def parts(
        self, record: logging.LogRecord, redact: FieldsFilter | None
    ) -> tuple[tuple[str, str, str], dict[str, Any], dict[str, Any]] | None:
        """Return :func:`line_head`, the caller's fields, :meth:`task_fields`, or ``None``.

        What a schema's ``build`` starts from, read in the processors' order; ``None``
        for the records only the event dict's path renders as it should: lifecycle
        records, a caller field named like one the line owns, a task context with keys
        of its own.
        """
        values = record.__dict__
        if EVENT_ATTR in values:
            return None
        head = line_head(record)
        fields = caller_fields(record, redact)
        if fields and not OWNED_KEYS.isdisjoint(fields):
            return None
        context = values.get(TASK_ATTR) or _task_context.get()
        last = self._last_task
        task = last[1] if last[0] is context else self.task_fields(context)
        if task is None:
            return None
        return head, fields, task

    def finish(
        self,
        out: dict[str, Any],
        fields: dict[str, Any],
        record: logging.LogRecord,
        error: Callable[[Any], Any] | None = None,
    ) -> dict[str, Any]:
        """End a line made by a schema's ``build`` as :meth:`place` ends one.

        The caller's *fields*, then ``error`` (passed through *error* if given),
        ``stack_info`` and ``extra``.
        """
        extra = self.place_fields(out, fields.items()) if fields else None
        if (
            record.exc_info
            or record.exc_text
            or record.stack_info
            or record.msg.__class__ is dict
            or ERROR_ATTR in record.__dict__
        ):
            tail = add_exception(record, {})
            found = tail.get("error")
            if found is not None:
                out["error"] = found if error is None else error(found)
            if "stack_info" in tail:
                out["stack_info"] = tail["stack_info"]
        if extra:
            out[CONFLICTS_KEY] = extra
        return out
