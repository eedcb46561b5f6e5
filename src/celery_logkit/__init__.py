"""celery-logkit: Celery workers that log JSON lines carrying their task's context.

Import it freely: nothing is configured until :func:`install` is called.
"""

from __future__ import annotations

import importlib.metadata

from ._fields import TaskContextFilter
from ._install import install
from .console import ConsoleFormatter
from .context import (
    bind_contextvars,
    bound_contextvars,
    clear_contextvars,
    current_task_context,
    get_contextvars,
    unbind_contextvars,
)
from .formatter import JsonFormatter
from .logger import BoundLogger, StructuredLogger, get_logger, get_task_logger
from .redaction import DEFAULT_REDACT_KEYS
from .structlog_processors import add_task_context

__all__ = [
    "DEFAULT_REDACT_KEYS",
    "BoundLogger",
    "ConsoleFormatter",
    "JsonFormatter",
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
