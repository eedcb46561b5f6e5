"""The process's id, asked of the kernel once per process.

``os.getpid()`` is a system call, and records and the shared line lock want the pid on
every line: :data:`pid` holds it once :func:`current_pid` has run, and a forked child
refreshes it before it runs anything else.
"""

from __future__ import annotations

import os

__all__ = ["current_pid", "pid"]

pid = 0
"""The process's id once :func:`current_pid` has run, else 0: read ``pid or current_pid()``."""


def _remember() -> None:
    global pid  # noqa: PLW0603 - a per-process cache, refreshed in each forked child
    pid = os.getpid()


def current_pid() -> int:
    """Return this process's id, remembering it (and refreshing it after a fork)."""
    if not pid:
        _remember()
        os.register_at_fork(after_in_child=_remember)
    return pid
