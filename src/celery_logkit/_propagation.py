"""Carry the producer's bound context and publish time to the worker, in one header.

``before_task_publish`` writes the ``logkit`` header: the publish time (epoch seconds,
for the queue wait) and the allow-listed keys of the producer's bound context, as
capped strings.  The worker reads it back when the task starts.  Nothing here may
break ``.delay()``: a value that cannot be turned into a string is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from ._context import bound_fields
from ._redaction import REDACTED, Redactor

__all__ = ["HEADER", "MAX_KEYS", "MAX_VALUE_CHARS", "extract", "inject"]

HEADER = "logkit"
"""The message header celery-logkit owns (a mapping: ``published``, ``context``)."""

MAX_VALUE_CHARS = 256
MAX_KEYS = 32


def _as_capped_str(value: Any) -> str | None:
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a value that cannot be a string is dropped
        return None
    return text[:MAX_VALUE_CHARS]


def inject(
    headers: MutableMapping[str, Any], keys: Iterable[str], redactor: Redactor | None = None
) -> None:
    """Write the ``logkit`` header into a message's *headers* (in place).

    A key that *redactor* calls secret travels as ``[REDACTED]``.
    """
    bound = bound_fields()
    carried: dict[str, str] = {}
    for key in keys:
        if key in bound and len(carried) < MAX_KEYS:
            secret = redactor is not None and redactor.is_secret(key)
            text = REDACTED if secret else _as_capped_str(bound[key])
            if text is not None:
                carried[key] = text
    headers[HEADER] = {"published": time.time(), "context": carried}


def _header(request: Any) -> Mapping[str, Any] | None:
    # A worker flattens custom headers onto the request; eager mode keeps them
    # only in ``request.headers``.
    value = getattr(request, HEADER, None)
    if value is None:
        headers = getattr(request, "headers", None)
        value = headers.get(HEADER) if isinstance(headers, Mapping) else None
    return value if isinstance(value, Mapping) else None


def extract(request: Any, keys: Iterable[str]) -> tuple[dict[str, str], float | None]:
    """Return the allow-listed propagated keys and the publish time, from a request.

    Only keys in *keys* are taken, whatever a producer sent, and only as strings.
    """
    header = _header(request)
    if header is None:
        return {}, None
    sent = header.get("context")
    context: dict[str, str] = {}
    if isinstance(sent, Mapping):
        for key in keys:
            value = sent.get(key)
            if isinstance(value, str):
                context[key] = value[:MAX_VALUE_CHARS]
    published = header.get("published")
    return context, float(published) if isinstance(published, int | float) else None
