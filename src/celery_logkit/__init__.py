"""celery-logkit: Celery workers that log JSON lines carrying their task's context.

Import it freely: nothing is configured until :func:`install` is called.  The public API
is what this module exports, and :mod:`celery_logkit.schemas` (schemas of one's own) and
:mod:`celery_logkit.testing` (``capture_logs``); modules whose name starts with ``_`` are
internal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._console import ConsoleFormatter
    from ._context import (
        bind_contextvars,
        bound_contextvars,
        clear_contextvars,
        current_task_context,
        get_contextvars,
        unbind_contextvars,
    )
    from ._fields import TaskContextFilter
    from ._formatter import JsonFormatter, LineFormatter, Processor
    from ._handlers import LineHandler
    from ._install import install
    from ._logger import BoundLogger, StructuredLogger, get_logger, get_task_logger
    from ._redaction import DEFAULT_REDACT_KEYS
    from ._structlog_processors import add_task_context
    from .schemas import Schema

__all__ = [
    "DEFAULT_REDACT_KEYS",
    "BoundLogger",
    "ConsoleFormatter",
    "JsonFormatter",
    "LineFormatter",
    "LineHandler",
    "Processor",
    "Schema",
    "StructuredLogger",
    "TaskContextFilter",
    "__version__",
    "add_task_context",
    "bind_contextvars",
    "bound_contextvars",
    "clear_contextvars",
    "current_task_context",
    "get_contextvars",
    "get_logger",
    "get_task_logger",
    "install",
    "unbind_contextvars",
]

# Each public name is imported from its module when first used (PEP 562): importing the
# package loads neither celery nor structlog nor OpenTelemetry, so that the
# ``celery-logkit`` command, which reads logs and needs none of them, starts at once.
_MODULES = {
    "ConsoleFormatter": "_console",
    "bind_contextvars": "_context",
    "bound_contextvars": "_context",
    "clear_contextvars": "_context",
    "current_task_context": "_context",
    "get_contextvars": "_context",
    "unbind_contextvars": "_context",
    "TaskContextFilter": "_fields",
    "JsonFormatter": "_formatter",
    "LineFormatter": "_formatter",
    "Processor": "_formatter",
    "LineHandler": "_handlers",
    "install": "_install",
    "BoundLogger": "_logger",
    "StructuredLogger": "_logger",
    "get_logger": "_logger",
    "get_task_logger": "_logger",
    "DEFAULT_REDACT_KEYS": "_redaction",
    "add_task_context": "_structlog_processors",
    "Schema": "schemas",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use; ``__version__`` from the distribution."""
    if name == "__version__":
        value: Any = _version()
    elif name in _MODULES:
        value = getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _version() -> str:
    import importlib.metadata  # noqa: PLC0415 - only when asked

    try:
        return importlib.metadata.version("celery-logkit")
    except importlib.metadata.PackageNotFoundError:  # a source tree on sys.path, not installed
        return "0+unknown"
