"""Keep every line under a size cap, cutting where it does least harm.

The longest strings (a stack trace, a message, a huge field) are shortened first, each
ending in a visible ``…[truncated N chars]`` marker, and the line gains
``"truncated": true``.  If that is not enough, everything but the line's first keys
(time, level, logger, message) and the task's ids is dropped.  The result is always
valid JSON under the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["DEFAULT_MAX_LINE_BYTES", "MARKER", "cap"]

DEFAULT_MAX_LINE_BYTES = 16_384
"""16 KiB: under Datadog's recommended 25 KB and Vector's 100 KiB default, far under
Filebeat's 10 MB and the Datadog Agent's ~900 kB split; a stack trace fits."""

MARKER = "…[truncated {} chars]"
_SHORTEST = 64
_KEEP = 4


def _strings(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[int, tuple[Any, ...]]]:
    found: list[tuple[int, tuple[Any, ...]]] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += _strings(value, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            found += _strings(value, (*path, index))
    elif isinstance(obj, str) and len(obj) > _SHORTEST:
        found.append((len(obj), path))
    return found


def _copy(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {key: _copy(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_copy(value) for value in obj]
    return obj


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value


def cap(obj: dict[str, Any], data: bytes, dumps: Callable[[Any], bytes], max_bytes: int) -> bytes:
    """Return *data* (``dumps(obj)``, UTF-8) if it fits in *max_bytes*, else a cut version."""
    size = len(data)
    if size <= max_bytes:
        return data
    obj = _copy(obj)  # the schemas share nested objects between lines: never cut those
    obj["truncated"] = True
    for _ in range(16):
        strings = sorted(_strings(obj), reverse=True)
        if not strings:
            break
        length, path = strings[0]
        overflow = size - max_bytes + 64
        keep = max(_SHORTEST, length - overflow)
        value = _get(obj, path)
        _set(obj, path, value[:keep] + MARKER.format(length - keep))
        data = dumps(obj)
        size = len(data)
        if size <= max_bytes:
            return data
    essentials = {k: obj[k] for k in list(obj)[:_KEEP]}
    essentials |= {k: obj[k] for k in ("task_id", "task_name") if k in obj}
    essentials["truncated"] = True
    data = dumps(essentials)
    while len(data) > max_bytes:
        longest = max(
            essentials, key=lambda k: len(essentials[k]) if isinstance(essentials[k], str) else -1
        )
        value = essentials[longest]
        if not isinstance(value, str) or not value:
            break
        essentials[longest] = value[: len(value) // 2]
        data = dumps(essentials)
    return data
