"""Build :class:`logging.LogRecord` objects as ``LogRecord.__init__`` does, for less.

A record's ``filename`` and ``module`` only change with its source file and its
``process`` only with the process, yet ``LogRecord.__init__`` derives them again for
every record (two ``os.path`` calls and a system call).  :func:`make_record` fills the
same attributes, in the same order and with the same values, remembering those.

It is used only while the record factory, ``Logger.makeRecord`` and
``LogRecord.__init__`` are stdlib's own (:func:`stdlib_records`), and only on the Python
versions whose ``LogRecord.__init__`` it copies; :data:`ENABLED` is also ``False`` if a
record it builds differs from stdlib's in anything but the clock.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from types import FunctionType
from typing import Any

from . import _process

__all__ = ["ENABLED", "RESERVED_KEYS", "make_record", "stdlib_records"]

_KNOWN_VERSIONS = {(3, 11), (3, 12), (3, 13)}
_NANOSECONDS = sys.version_info >= (3, 13)
"""3.13 takes the time in ns (``time.time_ns``); before, in float seconds."""
_TASK_NAME = sys.version_info >= (3, 12)
"""3.12 added ``taskName``."""

_CACHED_FILES = 1024
_files: dict[str, tuple[str, str]] = {}
_new = object.__new__
_TEMPLATE: dict[str, Any] = dict.fromkeys(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
"""A record's attributes in ``__init__``'s order: each record's are a copy of it."""
RESERVED_KEYS = frozenset(_TEMPLATE) | {"message", "asctime"}
"""What ``extra=`` may not set (``Logger.makeRecord`` raises ``KeyError``)."""


def _file_names(pathname: Any) -> tuple[Any, str]:
    """Return ``(filename, module)`` for *pathname*, as ``LogRecord.__init__`` does."""
    names = _files.get(pathname) if pathname.__class__ is str else None
    if names is None:
        try:
            filename = os.path.basename(pathname)
            names = (filename, os.path.splitext(filename)[0])
        except (TypeError, ValueError, AttributeError):
            return pathname, "Unknown module"
        if pathname.__class__ is str and len(_files) < _CACHED_FILES:
            _files[pathname] = names
    return names


def make_record(  # noqa: PLR0912, PLR0915 - one flat function: it runs for every record
    name: str,
    level: int,
    pathname: str,
    lineno: int,
    msg: object,
    args: Any,
    exc_info: Any,
    func: str | None = None,
    sinfo: str | None = None,
) -> logging.LogRecord:
    """Return ``LogRecord(name, level, pathname, ...)``, built without its ``__init__``."""
    if _NANOSECONDS:
        ns = time.time_ns()
        created = ns / 1e9
        msecs = (ns % 1_000_000_000) // 1_000_000 + 0.0
        if msecs == 999.0 and int(created) != ns // 1_000_000_000:
            msecs = 0.0
        relative = (ns - logging._startTime) / 1e6  # type: ignore[attr-defined]
    else:
        created = time.time()
        msecs = int((created - int(created)) * 1000) + 0.0
        relative = (created - logging._startTime) * 1000  # type: ignore[attr-defined]
    if args and len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
        args = args[0]
    filename, module = _file_names(pathname)
    if logging.logThreads:
        thread: int | None = threading.get_ident()
        thread_name: str | None = threading.current_thread().name
    else:  # pragma: no cover - as stdlib's
        thread = thread_name = None
    process_name: str | None = None
    if logging.logMultiprocessing:
        process_name = "MainProcess"
        mp = sys.modules.get("multiprocessing")
        if mp is not None:
            try:  # noqa: SIM105 - no context manager object per record
                process_name = mp.current_process().name
            except Exception:  # noqa: BLE001  # pragma: no cover - as stdlib's
                pass
    if logging.logProcesses:
        process: int | None = _process.pid or _process.current_pid()
    else:  # pragma: no cover - as stdlib's
        process = None
    values = _TEMPLATE.copy()
    values["name"] = name
    values["msg"] = msg
    values["args"] = args
    values["levelname"] = logging.getLevelName(level)
    values["levelno"] = level
    values["pathname"] = pathname
    values["filename"] = filename
    values["module"] = module
    values["exc_info"] = exc_info
    values["stack_info"] = sinfo
    values["lineno"] = lineno
    values["funcName"] = func
    values["created"] = created
    values["msecs"] = msecs
    values["relativeCreated"] = relative
    values["thread"] = thread
    values["threadName"] = thread_name
    values["processName"] = process_name
    values["process"] = process
    if _TASK_NAME:
        task_name = None
        if logging.logAsyncioTasks:  # type: ignore[attr-defined]
            asyncio = sys.modules.get("asyncio")
            if asyncio:
                try:  # noqa: SIM105 - no context manager object per record
                    task_name = asyncio.current_task().get_name()
                except Exception:  # noqa: BLE001 - as stdlib's: no running loop or task
                    pass
        values["taskName"] = task_name
    record: logging.LogRecord = _new(logging.LogRecord)
    record.__dict__ = values
    return record


def _logging_own(function: object, name: str) -> bool:
    code = getattr(function, "__code__", None)
    return (
        type(function) is FunctionType
        and code is not None
        and code.co_filename == logging.__file__
        and code.co_name == name
    )


_verdict: tuple[object, object, bool] = (None, None, False)


def stdlib_records() -> bool:
    """Whether ``LogRecord.__init__`` and ``Logger.makeRecord`` are :mod:`logging`'s own.

    A tool that wraps or replaces either (ddtrace wraps ``makeRecord`` to add its trace
    ids), before or after this module was imported, must see every record: then
    :func:`make_record` is not used.  The answer is remembered per pair of functions.
    """
    global _verdict  # noqa: PLW0603 - a per-process cache, replaced whole
    make, init = logging.Logger.makeRecord, logging.LogRecord.__init__
    cached = _verdict
    if make is not cached[0] or init is not cached[1]:
        own = _logging_own(make, "makeRecord") and _logging_own(init, "__init__")
        cached = _verdict = (make, init, own)
    return cached[2]


_CLOCK = frozenset({"created", "msecs", "relativeCreated"})


def _same_as_stdlib() -> bool:
    """Whether :func:`make_record` builds what ``LogRecord.__init__`` does, clock aside."""
    args = ("celery_logkit", logging.INFO, __file__, 1, "%(a)s", ({"a": 1},), None, "f", None)
    try:
        ours = make_record(*args).__dict__
    except Exception:  # noqa: BLE001 - a Python this does not know: use stdlib's
        return False
    theirs = logging.LogRecord(*args).__dict__
    if list(ours) != list(theirs):
        return False
    return all(ours[k] == theirs[k] for k in theirs.keys() - _CLOCK)


ENABLED = sys.version_info[:2] in _KNOWN_VERSIONS and _same_as_stdlib()
"""Whether :func:`make_record` may stand in for ``LogRecord`` on this Python (on another,
such as 3.14, records are stdlib's, as without this module)."""
