"""The default schema: celery-logkit's own flat names.

``timestamp``, ``level``, ``logger``, ``message``, ``event`` (lifecycle records), the
task context (``task_id``, ``task_name``, ``retries``, ``root_id``, ``parent_id``,
``group_id``, ``queue``, ``worker``), ``trace_id`` and ``span_id`` while a span is
active, the caller's fields, then ``error`` and ``stack_info``.  The processors build
the event in these names and this order, so rendering is the identity.
"""

from __future__ import annotations

import logging

from celery_logkit.identity import ServiceIdentity
from celery_logkit.processors import EventDict

__all__ = ["DefaultSchema"]


class DefaultSchema:
    """The event dict as the processors built it."""

    name = "default"

    def __init__(self, identity: ServiceIdentity) -> None:
        self.identity = identity

    def render(self, event: EventDict, record: logging.LogRecord) -> EventDict:
        """Return *event* unchanged."""
        return event
