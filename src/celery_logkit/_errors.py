"""Report celery-logkit's own failures: once per kind a minute, as one JSON line.

Logging must never break a task, so every failure on the record path is caught; this
is where it goes instead of the task, written straight to file descriptor 2.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import suppress

__all__ = ["report_internal_error"]

INTERVAL = 60.0
_last: dict[tuple[str, str], float] = {}
_lock = threading.Lock()


def report_internal_error(where: str, exc: BaseException | None) -> bool:
    """Write one line about *exc* (raised while *where*), unless reported lately."""
    kind = type(exc).__name__ if exc is not None else "unknown"
    now = time.monotonic()
    with _lock:
        last = _last.get((where, kind))
        if last is not None and now - last < INTERVAL:
            return False
        _last[(where, kind)] = now
    try:
        detail = str(exc)
    except Exception:  # noqa: BLE001
        detail = "<unprintable>"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    line = json.dumps(
        {
            "timestamp": f"{stamp}.000Z",
            "level": "error",
            "logger": "celery_logkit",
            "message": f"celery-logkit internal error while {where}: {kind}: {detail}",
            "error": {"type": kind, "message": detail},
        },
        ensure_ascii=True,
    )
    with suppress(OSError):
        os.write(2, line.encode() + b"\n")
    return True
