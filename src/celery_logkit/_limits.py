"""Keep every line under a size cap, cutting where it does least harm.

The strings that take the most bytes on the line (a stack trace, a message, a huge
field) are shortened first, each to the longest head that fits as written (UTF-8 and
escapes counted), ending in a visible ``…[truncated N chars]`` marker; the line gains
``"truncated": true``.  If that is not enough (a huge list of numbers, a dict of many
short values), the objects and lists that take the most bytes are replaced by a
placeholder that says what they were, ``"<list of N items, truncated>"``, deepest first
where that is enough.  Only then is everything but the line's first keys (time, level,
logger, message) and the task's ids dropped.  The result is always valid JSON under the
cap.
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


def _strings(
    obj: Any, dumps: Callable[[Any], bytes], path: tuple[Any, ...] = ()
) -> list[tuple[int, tuple[Any, ...]]]:
    """Return ``(bytes it takes on the line, path)`` for each string long enough to cut."""
    found: list[tuple[int, tuple[Any, ...]]] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += _strings(value, dumps, (*path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            found += _strings(value, dumps, (*path, index))
    elif isinstance(obj, str) and len(obj) > _SHORTEST:
        found.append((len(dumps(obj)), path))
    return found


def _containers(
    obj: Any, dumps: Callable[[Any], bytes], path: tuple[Any, ...] = ()
) -> list[tuple[int, tuple[Any, ...]]]:
    """Return ``(bytes it takes on the line, path)`` for each object and list under *obj*."""
    found: list[tuple[int, tuple[Any, ...]]] = []
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    )
    for key, value in items:
        if isinstance(value, dict | list):
            found.append((len(dumps(value)), (*path, key)))
            found += _containers(value, dumps, (*path, key))
    return found


def _placeholder(value: dict[Any, Any] | list[Any]) -> str:
    if isinstance(value, dict):
        return f"<object of {len(value)} keys, truncated>"
    return f"<list of {len(value)} items, truncated>"


def _shrink_containers(
    obj: dict[str, Any], data: bytes, dumps: Callable[[Any], bytes], max_bytes: int
) -> bytes:
    """Replace the objects and lists that take the most bytes until *obj* fits.

    The largest goes, or rather, where replacing one inside it is enough, the smallest
    such: a huge list under a caller's field, not the whole field nor the schema's own
    small objects.
    """
    while len(data) > max_bytes:
        containers = _containers(obj, dumps)
        if not containers:
            break
        overflow = len(data) - max_bytes + 48  # the placeholder takes some room
        _, largest = max(containers)
        inside = [
            found
            for found in containers
            if found[1][: len(largest)] == largest and found[0] >= overflow
        ]
        path = min(inside)[1] if inside else largest
        _set(obj, path, _placeholder(_get(obj, path)))
        data = dumps(obj)
    return data


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


def _cut(text: str, budget: int, dumps: Callable[[Any], bytes]) -> str:
    """Return the longest head of *text* with its marker that takes at most *budget* bytes.

    Measured as written (UTF-8, escapes), so multi-byte and escape-heavy text keeps as
    much as ASCII does; never fewer than ``_SHORTEST`` characters.
    """

    def cut_at(keep: int) -> str:
        return text[:keep] + MARKER.format(len(text) - keep)

    low, high = _SHORTEST, min(len(text) - 1, budget)  # a character takes a byte at least
    while low < high:  # the longest head that fits, by bisection on its written size
        middle = (low + high + 1) // 2
        if len(dumps(cut_at(middle))) <= budget:
            low = middle
        else:
            high = middle - 1
    return cut_at(low)


def cap(obj: dict[str, Any], data: bytes, dumps: Callable[[Any], bytes], max_bytes: int) -> bytes:
    """Return *data* (``dumps(obj)``, UTF-8) if it fits in *max_bytes*, else a cut version."""
    if len(data) <= max_bytes:
        return data
    obj = _copy(obj)  # the schemas share nested objects between lines: never cut those
    obj["truncated"] = True
    data = dumps(obj)
    originals: dict[tuple[Any, ...], str] = {}
    spent: set[tuple[Any, ...]] = set()  # strings cut as short as they go
    for _ in range(16):
        if len(data) <= max_bytes:
            return data
        strings = [found for found in _strings(obj, dumps) if found[1] not in spent]
        if not strings:
            break
        written, path = max(strings)
        text = originals.setdefault(path, _get(obj, path))
        budget = written - (len(data) - max_bytes)
        shorter = _cut(text, budget, dumps)
        if len(dumps(shorter)) > budget:  # it cannot give all the line needs
            spent.add(path)
        if len(dumps(shorter)) < written:
            _set(obj, path, shorter)
            data = dumps(obj)
    data = _shrink_containers(obj, data, dumps, max_bytes)
    if len(data) <= max_bytes:
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
