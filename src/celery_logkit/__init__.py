"""celery-logkit: Celery workers that log JSON lines carrying their task's context.

Import it freely: nothing is configured until :func:`install` is called.  The public API
is what this module exports, and :mod:`celery_logkit.schemas` (schemas of one's own) and
:mod:`celery_logkit.testing` (``capture_logs``); modules whose name starts with ``_`` are
internal.
"""

from __future__ import annotations

import importlib.metadata

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

try:
    __version__ = importlib.metadata.version("celery-logkit")
except importlib.metadata.PackageNotFoundError:  # a source tree on sys.path, not installed
    __version__ = "0+unknown"
