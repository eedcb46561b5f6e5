"""The anchors' set-ups that more than one benchmark builds."""

from __future__ import annotations

from typing import Any

import structlog


def django_structlog_processors() -> list[Any]:
    """The structlog chain django-structlog's docs configure (structlog -> stdlib)."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ]
