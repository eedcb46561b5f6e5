"""Loggers that take structured fields and stay stdlib loggers.

:func:`get_task_logger` is a drop-in for :func:`celery.utils.log.get_task_logger`:
same name rules, same ``celery.task`` parent, the same object that
``logging.getLogger(name)`` returns.  On top of the stdlib calling styles it accepts
keyword fields (``logger.info("charged card", order_id=7)``) and ``bind()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from celery.utils.log import get_task_logger as _celery_get_task_logger

from . import _fastpath, _fields

__all__ = [
    "BoundLogger",
    "StructuredLogger",
    "get_logger",
    "get_task_logger",
]

_ExcInfo = Any


def _log_through_stdlib(
    self: logging.Logger,
    level: int,
    msg: object,
    args: Any,
    /,
    exc_info: _ExcInfo = None,
    extra: Mapping[str, object] | None = None,
    stack_info: bool = False,
    stacklevel: int = 1,
    **fields: Any,
) -> None:
    """``_log`` through the next class's (stdlib's, or a logger class's own).

    The fields travel in ``extra``; those named like ``LogRecord`` attributes cannot, so
    they travel under a private key that :func:`_call_handlers` takes off the record.
    Positional-only, so fields may be named ``args``.
    """
    if fields:
        reserved = {k: v for k, v in fields.items() if k in _fields.RESERVED_KEYS}
        merged: dict[str, object] = {**(extra or {})}
        merged.update((k, v) for k, v in fields.items() if k not in reserved)
        if reserved:
            merged[_fields.PENDING_RESERVED] = reserved
        extra = merged
    # +1: this frame sits between the caller and the next class's _log.
    super(StructuredLogger, self)._log(  # type: ignore[misc]
        level, msg, args, exc_info, extra, stack_info, stacklevel + 1
    )


def _call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
    """Keep the reserved-name fields beside *record*, then pass it to the handlers."""
    reserved = record.__dict__.pop(_fields.PENDING_RESERVED, None)
    if reserved is not None:
        _fields.keep_reserved(record, reserved)
    super(StructuredLogger, self).callHandlers(record)  # type: ignore[misc]


class StructuredLogger(logging.Logger):
    """A :class:`logging.Logger` whose logging methods also take keyword fields.

    Keyword arguments other than the stdlib's (``exc_info``, ``extra``,
    ``stack_info``, ``stacklevel``) become fields of the record.  They may use the
    names of ``LogRecord`` attributes (``name``, ``args``, ``module``...), but not
    ``msg``, which the stdlib methods already take (nor ``level`` with ``log()``).
    """

    if _fastpath.ENABLED:
        _log = _fastpath.log  # type: ignore[assignment]  # positional-only, fields
        findCaller = _fastpath.find_caller
        handle = _fastpath.handle
    else:
        _log = _log_through_stdlib  # type: ignore[assignment]
        callHandlers = _call_handlers
    if _fastpath.RECORDS:
        makeRecord = _fastpath.make_logger_record

    def bind(self, **fields: Any) -> BoundLogger:
        """Return a logger that adds *fields* to every record it writes."""
        return BoundLogger(self, fields)


class BoundLogger:
    """A :class:`StructuredLogger` with fields bound to it, as structlog's ``bind()``.

    Attributes it does not define (``name``, ``level``, ``handlers``, ``setLevel``,
    ``isEnabledFor``...) are the underlying logger's.
    """

    __slots__ = ("_fields", "_logger")

    def __init__(self, logger: StructuredLogger, fields: Mapping[str, Any]) -> None:
        self._logger = logger
        self._fields = dict(fields)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)

    def __repr__(self) -> str:
        return f"<BoundLogger {self._logger.name} {self._fields!r}>"

    @property
    def fields(self) -> Mapping[str, Any]:
        """The bound fields."""
        return dict(self._fields)

    def bind(self, **fields: Any) -> BoundLogger:
        """Return a new logger with *fields* added to the bound ones."""
        return BoundLogger(self._logger, {**self._fields, **fields})

    def unbind(self, *keys: str) -> BoundLogger:
        """Return a new logger without *keys* (``KeyError`` if one is not bound)."""
        fields = dict(self._fields)
        for key in keys:
            del fields[key]
        return BoundLogger(self._logger, fields)

    def try_unbind(self, *keys: str) -> BoundLogger:
        """Return a new logger without *keys*, ignoring those that are not bound."""
        return BoundLogger(self._logger, {k: v for k, v in self._fields.items() if k not in keys})

    def new(self, **fields: Any) -> BoundLogger:
        """Return a new logger with only *fields* bound."""
        return BoundLogger(self._logger, fields)

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log *msg* at *level* with the bound fields."""
        if self._logger.isEnabledFor(level):
            self._emit(level, msg, args, kwargs)

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at DEBUG."""
        if self._logger.isEnabledFor(logging.DEBUG):
            self._emit(logging.DEBUG, msg, args, kwargs)

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at INFO."""
        if self._logger.isEnabledFor(logging.INFO):
            self._emit(logging.INFO, msg, args, kwargs)

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at WARNING."""
        if self._logger.isEnabledFor(logging.WARNING):
            self._emit(logging.WARNING, msg, args, kwargs)

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at ERROR."""
        if self._logger.isEnabledFor(logging.ERROR):
            self._emit(logging.ERROR, msg, args, kwargs)

    def exception(self, msg: object, *args: Any, exc_info: _ExcInfo = True, **kwargs: Any) -> None:
        """Log at ERROR with the exception being handled."""
        if self._logger.isEnabledFor(logging.ERROR):
            self._emit(logging.ERROR, msg, args, {"exc_info": exc_info, **kwargs})

    def critical(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log at CRITICAL."""
        if self._logger.isEnabledFor(logging.CRITICAL):
            self._emit(logging.CRITICAL, msg, args, kwargs)

    warn = warning
    fatal = critical

    def _emit(self, level: int, msg: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        # +2: this frame and the public method above it sit between the caller and _log.
        kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2
        self._logger._log(level, msg, args, **{**self._fields, **kwargs})


_structured_classes: dict[type[logging.Logger], type[logging.Logger]] = {}


class _DelegatingStructuredLogger(StructuredLogger):
    """For logger classes with their own ``_log``: fields travel in ``extra`` to it."""

    _log = _log_through_stdlib
    callHandlers = _call_handlers


_OWN_METHODS = ("_log", "findCaller", "handle", "makeRecord")
"""What StructuredLogger re-implements: a logger class overriding one keeps its own."""


def _structured_class(cls: type[logging.Logger]) -> type[logging.Logger]:
    if cls is logging.Logger:
        return StructuredLogger
    own = {
        name: getattr(cls, name)
        for name in _OWN_METHODS
        if getattr(cls, name) is not getattr(logging.Logger, name)
    }
    if not own:
        return type(f"Structured{cls.__name__}", (StructuredLogger, cls), {})
    own.pop("_log", None)  # the delegating _log reaches the class's own, or stdlib's
    return type(f"Structured{cls.__name__}", (_DelegatingStructuredLogger, cls), own)


def _structured(logger: logging.Logger) -> StructuredLogger:
    """Give the registry's *logger* the structured methods, keeping its identity.

    ``logging.getLogger(name)`` must keep returning the same object, so instead of
    creating a second logger the existing one is specialised in place: its class
    becomes a subclass of both its own class and :class:`StructuredLogger`.  Its
    attributes move to a fresh dict, which the interpreter reads faster than the
    layout of the class it was made with.
    """
    cls = type(logger)
    if not issubclass(cls, StructuredLogger):
        logger.__class__ = _structured_class_of(cls)
        logger.__dict__ = dict(logger.__dict__)
    assert isinstance(logger, StructuredLogger)
    return logger


def _structured_class_of(cls: type[logging.Logger]) -> type[logging.Logger]:
    try:
        return _structured_classes[cls]
    except KeyError:
        return _structured_classes.setdefault(cls, _structured_class(cls))


_registry_lock: Any = getattr(logging, "_lock", None)
"""The lock ``logging.getLogger`` takes while it creates a logger."""


def _created_structured(name: str, get: Callable[[str], logging.Logger]) -> logging.Logger:
    """Return ``get(name)``, a logger created structured if it did not exist yet.

    A logger made as a :class:`StructuredLogger` (of the registry's logger class) is
    cheaper to log through than one whose class is changed afterwards.  The
    registry's lock is held meanwhile, so no other thread's new logger gets the class.
    """
    manager = logging.Logger.manager
    if _registry_lock is None or isinstance(manager.loggerDict.get(name), logging.Logger):
        return get(name)
    with _registry_lock:
        previous = manager.loggerClass
        cls = previous or logging.getLoggerClass()
        if issubclass(cls, StructuredLogger):  # the app's class is structured already
            return get(name)
        manager.loggerClass = _structured_class_of(cls)
        try:
            return get(name)
        finally:
            manager.loggerClass = previous


def get_task_logger(name: str) -> StructuredLogger:
    """Return the task logger *name*, as celery's ``get_task_logger`` does.

    It is a child of ``celery.task``, so celery's ``-l`` level applies; the names
    ``celery`` and ``celery.task`` are reserved (``RuntimeError``).
    """
    return _structured(_created_structured(name, _celery_get_task_logger))


def get_logger(name: str | None = None) -> StructuredLogger:
    """Return the logger *name* (the root logger for ``None``) with structured methods."""
    if name is None or name == logging.root.name:
        return _structured(logging.getLogger(name))
    return _structured(_created_structured(name, logging.getLogger))
