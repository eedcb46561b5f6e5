"""``install(app)``: connect the receivers once, whatever the number of calls."""

from __future__ import annotations

from typing import Any

from celery import Celery, signals

from .config import Options
from .worker import WorkerIntegration

__all__ = ["install"]

_integration: WorkerIntegration | None = None


def install(app: Celery, **options: Any) -> Celery:
    """Make the workers of *app* log JSON lines that carry their task's context.

    Call it once in the module that defines the Celery app.  Nothing changes until a
    worker (or ``celery beat``) of the app sets up logging; calling it again is safe
    and replaces the options.  Returns *app*, so it can wrap the constructor.

    Options: ``schema`` (``"default"``), ``format`` (``"json"``), ``banner``
    (``False``: celery's text banner is replaced by a structured record).
    An unknown option name or a bad value raises at once.
    """
    global _integration  # noqa: PLW0603 - signals are process-wide, so is this state
    parsed = Options.from_kwargs(options)
    if _integration is not None:
        _integration.options = parsed
        return app
    integration = _integration = WorkerIntegration(parsed)
    receivers: list[tuple[Any, Any]] = [
        (signals.celeryd_init, integration.on_celeryd_init),
        (signals.after_setup_logger, integration.on_after_setup_logger),
        (signals.after_setup_task_logger, integration.on_after_setup_task_logger),
        (signals.celeryd_after_setup, integration.on_celeryd_after_setup),
        (signals.task_prerun, integration.on_task_prerun),
        (signals.task_postrun, integration.on_task_postrun),
    ]
    for signal, receiver in receivers:
        signal.connect(receiver, weak=False, dispatch_uid=f"celery_logkit.{receiver.__name__}")
    return app
