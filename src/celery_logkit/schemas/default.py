"""The default schema: celery-logkit's own flat names.

``timestamp``, ``level``, ``logger``, ``message``, then the task context (``task_id``,
``task_name``, ``retries``, ``root_id``, ``parent_id``, ``group_id``, ``queue``,
``worker``), then the caller's fields, then ``error`` and ``stack_info``.
The processors already build the event in these names and this order.
"""

from __future__ import annotations

from celery_logkit.processors import EventDict

__all__ = ["DefaultSchema"]


class DefaultSchema:
    """The event dict as the processors built it."""

    name = "default"

    def render(self, event: EventDict) -> EventDict:
        """Return *event* unchanged."""
        return event
