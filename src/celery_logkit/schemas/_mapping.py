"""What the backend schemas share: which keys of the event dict are whose."""

from __future__ import annotations

from typing import Any

from celery_logkit.processors import CONFLICTS_KEY, EventDict

__all__ = [
    "BASE_KEYS",
    "CELERY_KEYS",
    "LIFECYCLE_KEYS",
    "caller_fields",
    "milliseconds_to_ns",
    "place_task_and_fields",
]

BASE_KEYS = frozenset(
    {"timestamp", "level", "logger", "message", "event", "error", "stack_info"}
    | {"trace_id", "span_id", "task_id", "task_name", CONFLICTS_KEY}
)
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


_NOT_CALLER = BASE_KEYS | set(CELERY_KEYS)


def caller_fields(event: EventDict) -> dict[str, Any]:
    """Return the event's fields that are neither the line's own nor the task's."""
    keys = event.keys() - _NOT_CALLER
    if not keys:
        return {}
    return {k: v for k, v in event.items() if k in keys}


def milliseconds_to_ns(value: Any) -> int | None:
    """Return a duration in ms as whole nanoseconds (ECS and Datadog want ns)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 1_000_000)
    return None


def _celery_object(event: EventDict, caller: dict[str, Any]) -> dict[str, Any]:
    """Return the task context beyond its ids, with a lifecycle record's own fields."""
    celery: dict[str, Any] = {}
    for key in CELERY_KEYS:
        if key in event:
            celery[key] = event[key]
    if caller and "event" in event:
        for key in LIFECYCLE_KEYS & caller.keys():
            celery[key] = caller.pop(key)
    return celery


def place_task_and_fields(
    out: dict[str, Any],
    event: EventDict,
    caller: dict[str, Any],
    *,
    reserved: frozenset[str],
    error: Any = None,
) -> dict[str, Any]:
    """Finish a backend's line: task ids, ``celery``, *error*, then the caller's fields.

    ``task_id``/``task_name`` stay top-level; ``celery`` gets the rest of the task
    context and, on lifecycle records, the lifecycle's own fields; a caller field whose
    first dotted part is *reserved* goes to ``extra`` with the fields the line owned.
    """
    if "task_id" in event:
        out["task_id"] = event["task_id"]
    if "task_name" in event:
        out["task_name"] = event["task_name"]
    celery = _celery_object(event, caller)
    if celery:
        out["celery"] = celery
    if error is not None:
        out["error"] = error
    if "stack_info" in event:
        out["stack_info"] = event["stack_info"]
    owned = event.get(CONFLICTS_KEY)
    extra = dict(owned) if owned else None
    for key, value in caller.items():
        if key in reserved or ("." in key and key.split(".", 1)[0] in reserved):
            if extra is None:
                extra = {}
            extra[key] = value
        else:
            out[key] = value
    if extra:
        out[CONFLICTS_KEY] = extra
    return out
