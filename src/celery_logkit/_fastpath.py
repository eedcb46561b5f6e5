"""The stdlib fast paths: copies of :mod:`logging` code that do the same work for less.

Each copy does what the stdlib function does, with the same result, and runs only on
the Python versions it copies (on another, such as 3.14, stdlib's own code runs).
Gains are instructions per line, counted with callgrind on Python 3.11 for
``benchmarks/per_line.py --count-only "**logkit** default: extra=, LineHandler"``
(87,746 a line with four copies, each turned off in turn; see docs/benchmarks.md, "The
stdlib fast paths").  A copy stays if it saves at least 1% of a line.

- :func:`make_record` and :func:`make_logger_record` copy ``LogRecord.__init__`` and
  ``Logger.makeRecord`` of Python 3.11, 3.12 and 3.13 (3.12's ``taskName``, 3.13's
  nanosecond clock), remembering each source file's ``filename`` and ``module`` and the
  process's id instead of deriving them for every record.  Used only while the record
  factory, ``LogRecord.__init__`` and ``Logger.makeRecord`` (bare, or wrapped by
  celery-logkit's task context alone) are stdlib's, and only if a record built both
  ways matches at import.  Gain: 5,260 (6.0%).
- :func:`find_caller` copies ``Logger.findCaller`` of Python 3.11, 3.12 and 3.13 (the walk
  that skips :mod:`logging`'s own frames), remembering per file name whether a file is
  :mod:`logging`'s instead of normalising the name of every frame.  Gain: 3,349 (3.8%).
- :func:`log` copies ``Logger._log`` of Python 3.11, 3.12 and 3.13, setting keyword fields
  on the record itself: no merged ``extra`` dict and no second ``_log`` frame.  Gain:
  3,054 (3.5%).

- :func:`handle` copies ``Logger.handle`` of Python 3.12 and 3.13 (3.11's does the same in
  one expression): no ``filter()`` call for a logger without filters.  Gain: 502 (0.6%),
  kept under the 1% rule because the line is within that of its target (0.75x celery's
  text line, docs/benchmarks.md).

All of them together save 13,809 (13.6%).

``LOGKIT_STDLIB_FAST_PATHS=0`` in the environment (read once, when this module is
imported) turns them all off: records are then built by stdlib's own functions, with the
same attributes, to rule these copies out when a record looks wrong.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from types import FunctionType
from typing import Any

from . import _fields, _process

__all__ = [
    "ENABLED",
    "RECORDS",
    "RESERVED_KEYS",
    "SWITCH",
    "find_caller",
    "handle",
    "log",
    "make_logger_record",
    "make_record",
    "stdlib_records",
]


SWITCH = "LOGKIT_STDLIB_FAST_PATHS"
"""The environment variable that turns the fast paths off when set to ``0``."""
_KNOWN_VERSIONS = {(3, 11), (3, 12), (3, 13)}
ENABLED = os.environ.get(SWITCH, "").strip() != "0" and sys.version_info[:2] in _KNOWN_VERSIONS
"""Whether the fast paths are on: not switched off, on a Python whose code they copy."""
_NANOSECONDS = sys.version_info >= (3, 13)
"""3.13 takes the time in ns (``time.time_ns``); before, in float seconds."""
_TASK_NAME = sys.version_info >= (3, 12)
"""3.12 added ``taskName``."""

_CACHED_FILES = 1024
_files: dict[str, tuple[str, str]] = {}
_new = object.__new__
_TEMPLATE: dict[str, Any] = dict.fromkeys(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
"""A record's attributes in ``__init__``'s order: each record's are a copy of it."""
RESERVED_KEYS = _fields.RESERVED_KEYS


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


_INTERNAL_FILES: dict[str, bool] = {}


def _is_internal(filename: str) -> bool:
    """Whether frames of *filename* are :mod:`logging`'s or the import system's."""
    normal = os.path.normcase(filename)
    return normal == logging._srcfile or ("importlib" in normal and "_bootstrap" in normal)


def find_caller(
    logger: logging.Logger, stack_info: bool = False, stacklevel: int = 1
) -> tuple[str, int, str, str | None]:
    """Return the caller's file, line, function (and stack), as ``Logger.findCaller``.

    The same walk, skipping :mod:`logging`'s own frames; which files those are is
    remembered per file name instead of normalised for every frame of every record.
    """
    frame = sys._getframe(0)  # as stdlib's: the walk starts at this frame
    while stacklevel > 0:
        caller = frame.f_back
        if caller is None:
            break
        frame = caller
        filename = frame.f_code.co_filename
        internal = _INTERNAL_FILES.get(filename)
        if internal is None:
            internal = _INTERNAL_FILES.setdefault(filename, _is_internal(filename))
        if not internal:
            stacklevel -= 1
    code = frame.f_code
    sinfo = None
    if stack_info:
        with io.StringIO() as out:
            out.write("Stack (most recent call last):\n")
            traceback.print_stack(frame, file=out)
            sinfo = out.getvalue().removesuffix("\n")
    return code.co_filename, frame.f_lineno, code.co_name, sinfo


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


RECORDS = ENABLED and _same_as_stdlib()
"""Whether :func:`make_record` may stand in for ``LogRecord`` on this Python (on another,
such as 3.14, records are stdlib's, as without this module)."""


def make_logger_record(
    logger: logging.Logger,
    name: str,
    level: int,
    fn: str,
    lno: int,
    msg: object,
    args: Any,
    exc_info: Any,
    func: str | None = None,
    extra: Mapping[str, object] | None = None,
    sinfo: str | None = None,
) -> logging.LogRecord:
    """``Logger.makeRecord``, with :func:`make_record` while nothing replaced stdlib's.

    A record factory of the app's, or a wrapper around ``Logger.makeRecord`` (ddtrace's
    log injection) or ``LogRecord.__init__``, is used as it would be without this copy.
    """
    if not stdlib_records() or logging.getLogRecordFactory() is not logging.LogRecord:
        return logging.Logger.makeRecord(
            logger, name, level, fn, lno, msg, args, exc_info, func, extra, sinfo
        )
    record = make_record(name, level, fn, lno, msg, args, exc_info, func, sinfo)
    if extra is not None:
        if not RESERVED_KEYS.isdisjoint(extra):
            key = next(k for k in extra if k in RESERVED_KEYS)
            raise KeyError(f"Attempt to overwrite {key!r} in LogRecord")
        record.__dict__.update(extra)
    return record


def handle(logger: logging.Logger, record: logging.LogRecord) -> None:
    """``Logger.handle``: to the handlers unless disabled or filtered out, as stdlib's."""
    if logger.disabled:
        return
    if logger.filters:
        rv: Any = logger.filter(record)
        if not rv:
            return
        if isinstance(rv, logging.LogRecord):  # Python 3.12+: a filter may replace it
            record = rv
    logger.callHandlers(record)


def log(
    logger: logging.Logger,
    level: int,
    msg: object,
    args: Any,
    /,
    exc_info: Any = None,
    extra: Mapping[str, object] | None = None,
    stack_info: bool = False,
    stacklevel: int = 1,
    **fields: Any,
) -> None:
    """``Logger._log``, with the keyword *fields* set on the record.

    No merged ``extra`` dict and no second ``_log`` frame on the hot path.
    Positional-only, so fields may be named ``args``.
    """
    sinfo = None
    if logging._srcfile:
        try:  # +1: findCaller counts this frame, as stdlib's counts its own _log
            fn, lno, func, sinfo = logger.findCaller(stack_info, stacklevel + 1)
        except ValueError:  # pragma: no cover - as stdlib's
            fn, lno, func = "(unknown file)", 0, "(unknown function)"
    else:  # pragma: no cover
        fn, lno, func = "(unknown file)", 0, "(unknown function)"
    if exc_info:
        if isinstance(exc_info, BaseException):
            exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
        elif not isinstance(exc_info, tuple):
            exc_info = sys.exc_info()
    record = logger.makeRecord(logger.name, level, fn, lno, msg, args, exc_info, func, extra, sinfo)
    if fields:
        _fields.set_fields(record, fields)
    logger.handle(record)
