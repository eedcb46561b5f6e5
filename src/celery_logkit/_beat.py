"""What :func:`celery_logkit.install` does in ``celery beat``: JSON from its first line.

``celery beat`` prints its text banner before it sets up logging, and sends no signal
before that.  ``install()`` therefore gives the app a subclass of its ``Beat`` class
(keeping one the app defines) whose ``run()`` does what ``celeryd_init`` does for a
worker: check the configuration, write early warnings as JSON and silence the banner
(unless ``banner=True``).  celery's own logging set-up then gets logkit's formatter as in
a worker, and a ``beat_init`` receiver writes the banner's facts as one INFO record —
in ``celery beat`` and in a worker's embedded beat (``-B``) alike.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from celery import Celery

from ._cli import option_params
from ._fields import add_to_foreign_handlers
from ._lifecycle import log_event
from ._worker import WorkerIntegration, _celery_version, _ours

__all__ = ["BeatIntegration"]

_beat_logger = logging.getLogger("celery.beat")
_MARK = "_celery_logkit_beat"


class BeatIntegration:
    """The app's ``Beat`` class and the ``beat_init`` receiver."""

    def __init__(self, worker: WorkerIntegration) -> None:
        self.worker = worker

    def patch_app(self, app: Celery) -> None:
        """Make ``celery -A app beat`` run logkit's ``Beat`` (once per app).

        An app whose ``Beat`` cannot be replaced (a read-only property of its own) keeps
        it: beat then prints its banner, and its log lines are JSON all the same.
        """
        base = app.Beat
        if getattr(base, _MARK, False) or not isinstance(base, type):
            return
        with contextlib.suppress(AttributeError, TypeError):
            app.Beat = self.beat_class(base)

    def beat_class(self, base: type[Any]) -> type[Any]:
        """Return a subclass of *base* that prepares logging before ``run()`` prints."""
        worker = self.worker
        params = option_params()

        class Beat(base):  # type: ignore[misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                self.logkit_command_line = {p: kwargs.pop(p) for p in params if p in kwargs}
                super().__init__(*args, **kwargs)

            def run(self) -> None:
                resolved = worker.prepare_process(self.logkit_command_line)
                if not resolved.banner:
                    self.quiet = True
                super().run()

        setattr(Beat, _MARK, True)
        Beat.__module__ = base.__module__
        Beat.__name__ = base.__name__
        Beat.__qualname__ = base.__qualname__
        return Beat

    def on_beat_init(self, sender: Any = None, **_: Any) -> None:
        """Log what beat's banner would have shown, as one structured record."""
        add_to_foreign_handlers(_ours)
        if sender is None or not _beat_logger.isEnabledFor(logging.INFO):
            return
        try:
            fields = _startup_fields(sender)
        except Exception as exc:  # noqa: BLE001 - never stop beat from starting
            fields = {"startup_info_error": repr(exc)}
        log_event(_beat_logger, logging.INFO, "beat_started", "Beat starting", (), {}, fields)


def _startup_fields(service: Any) -> dict[str, Any]:
    scheduler = service.scheduler
    schedule = scheduler.schedule
    fields: dict[str, Any] = {
        "celery_version": _celery_version(),
        "broker": service.app.connection_for_write().as_uri(),
        "scheduler": f"{type(scheduler).__module__}.{type(scheduler).__qualname__}",
        "max_interval": scheduler.max_interval,
        "schedule_entries": sorted(schedule) if isinstance(schedule, Mapping) else None,
    }
    filename = getattr(scheduler, "schedule_filename", None)
    if filename:
        fields["schedule_filename"] = str(filename)
    return fields
