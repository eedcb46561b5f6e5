"""What the backend schemas share: which keys of the event dict are whose."""

from __future__ import annotations

from typing import Any

from celery_logkit.processors import CONFLICTS_KEY, EventDict

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

    def is_reserved(self, key: str) -> bool:
        """Whether the caller's field *key* goes to ``extra`` (remembered per name)."""
        verdict = self._verdicts.get(key)
        if verdict is None:
            reserved = self.reserved
            verdict = key in reserved or ("." in key and key.split(".", 1)[0] in reserved)
            if len(self._verdicts) < CACHED:
                self._verdicts[key] = verdict
        return verdict

    def place(self, out: dict[str, Any], event: EventDict, *, error: Any = None) -> dict[str, Any]:
        """Finish a backend's line: task ids, ``celery``, the caller's fields, *error*.

        One pass over *event*, in its order; the line's own keys are the schema's.
        """
        roles = _ROLES if "event" not in event else _LIFECYCLE_ROLES
        verdicts = self._verdicts
        celery: dict[str, Any] | None = None
        extra: dict[str, Any] | None = None
        for key, value in event.items():
            role = roles.get(key)
            if role is None:
                reserved = verdicts.get(key)
                if not (self.is_reserved(key) if reserved is None else reserved):
                    out[key] = value
                elif extra is None:
                    extra = {key: value}
                else:
                    extra[key] = value
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
