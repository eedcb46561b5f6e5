"""``install(app)``: connect the receivers once, whatever the number of calls."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from celery import Celery, signals

from . import _config, _stdio
from ._beat import BeatIntegration
from ._celery_lines import CeleryLineArguments
from ._cli import add_worker_options
from ._config import Options
from ._errors import report_internal_error
from ._lifecycle import ReplacedCeleryLines, TaskLifecycle, follow_requests
from ._redaction import redactor_for
from ._threads import inherit_context
from ._worker import WorkerIntegration

__all__ = ["Installation", "install"]

_log = logging.getLogger("celery_logkit")


class Installation:
    """The app, the options given to ``install()``, and what they resolve to.

    Options are resolved lazily against the app's ``logkit_*`` settings and the
    ``LOGKIT_*`` environment variables: the app's configuration may be loaded after
    ``install()`` runs (Django's ``config_from_object``), and is final once a worker
    starts or a task is sent.
    """

    def __init__(self, app: Celery, options: Mapping[str, Any]) -> None:
        self.app = app
        self.given = dict(options)
        self.command_line: dict[str, Any] = {}
        self._resolved: Options | None = None
        self.beat: BeatIntegration | None = None

    def options(self) -> Options:
        """Return the resolved options (resolving them on first use).

        Outside a worker a bad setting or variable must not stop the program sending
        tasks: it is logged, and ``install()``'s options alone are used.
        """
        if self._resolved is None:
            try:
                self._resolved = _config.set_configured(self._resolve())
            except (TypeError, ValueError) as exc:
                # In force before the error is logged: the line's formatter reads them.
                self._resolved = _config.set_configured(Options.from_kwargs(self.given))
                _log.error("celery-logkit settings and environment variables ignored: %s", exc)
        return self._resolved

    def refresh(self, command_line: Mapping[str, Any] | None = None) -> Options:
        """Resolve again with the worker's *command_line*, raising on a bad value.

        A worker starting must not run on with options other than those asked for.
        """
        self.command_line = dict(command_line or {})
        self._resolved = _config.set_configured(self._resolve())
        return self._resolved

    def _resolve(self) -> Options:
        return Options.resolve(self.app.conf, self.given, command_line=self.command_line)


_installation: Installation | None = None
_config_logger = logging.getLogger("celery_logkit.config")


def _warn_if_redaction_is_off(**_: Any) -> None:
    """At a worker's start, say that nothing is redacted when ``redact_keys`` is empty.

    Asked of the redactor the worker uses, so no reading of the option can leave
    redaction off without this line.
    """
    if _installation is not None and not redactor_for(_installation.options().redact_keys).patterns:
        _config_logger.warning(
            "redaction is off (redact_keys is an empty list): values under "
            "secret-looking keys are written as they are"
        )


def _guarded(receiver: Callable[..., None]) -> Callable[..., None]:
    """Run *receiver*; a failure is reported once, never raised into celery or the task."""

    @functools.wraps(receiver)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            receiver(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - logging must not break a task
            report_internal_error(f"handling {receiver.__name__}", exc)

    return guarded


class _ReceivedWhenLogged:
    """Keep ``task_received``'s receiver connected only in a worker that writes the event.

    celery sends a signal with each task whenever it has a receiver; ``task_received``
    is DEBUG by default, so a worker at ``-l INFO`` would pay for a receiver that writes
    nothing.  Decided when the worker has set up logging and its options are final.
    """

    __name__ = "received_when_logged"
    UID = "celery_logkit.on_task_received"

    def __init__(self, lifecycle: TaskLifecycle) -> None:
        self.lifecycle = lifecycle
        self.receiver = _guarded(lifecycle.on_task_received)

    def __call__(self, **_: Any) -> None:
        if self.lifecycle.writes("task_received"):
            signals.task_received.connect(self.receiver, weak=False, dispatch_uid=self.UID)
        else:
            signals.task_received.disconnect(dispatch_uid=self.UID)


def install(app: Celery, **options: Any) -> Celery:
    """Make the workers of *app* log JSON lines that carry their task's context.

    Call it once in the module that defines the Celery app.  Nothing changes until a
    worker (or ``celery beat``) of the app sets up logging, or a task is sent or run;
    calling it again is safe and replaces the options.  Returns *app*.

    From then on, threads started by the process and calls submitted to a
    ``ThreadPoolExecutor`` run in a copy of their starter's ``contextvars`` context, so
    a task's threads log with its context (see ``celery_logkit._threads``), and
    every record made while a task runs, by any logger, carries the task's context as
    attributes (``task_id``, ``task_name``...) that any formatter reads.

    See docs/configuration.md for the options.  An unknown option name or a bad value
    raises here; a bad ``logkit_*`` setting, ``LOGKIT_*`` variable or
    ``--logkit-*`` flag stops the worker at start-up.
    """
    global _installation  # noqa: PLW0603 - signals are process-wide, so is this state
    Options.from_kwargs(options)
    _config.set_app_name(app.main)
    add_worker_options(app)
    if _installation is not None:
        _installation.app, _installation.given = app, dict(options)
        _installation._resolved = None
        _config.set_configured(None)
        if _installation.beat is not None:
            _installation.beat.patch_app(app)
        return app
    installation = _installation = Installation(app, options)
    _config.set_configured(None, installation.options)
    inherit_context()
    worker = WorkerIntegration(installation.options, installation.refresh)
    installation.beat = beat = BeatIntegration(worker)
    beat.patch_app(app)
    lifecycle = TaskLifecycle(installation.options)
    receivers: list[tuple[Any, Any]] = [
        (signals.celeryd_init, worker.on_celeryd_init),
        (signals.after_setup_logger, worker.on_after_setup_logger),
        (signals.after_setup_task_logger, worker.on_after_setup_task_logger),
        (signals.celeryd_after_setup, worker.on_celeryd_after_setup),
        (signals.celeryd_after_setup, _warn_if_redaction_is_off),
        (signals.beat_init, beat.on_beat_init),
        (signals.before_task_publish, lifecycle.before_task_publish),
        (signals.after_task_publish, lifecycle.after_task_publish),
        (signals.task_received, lifecycle.on_task_received),
        (signals.task_prerun, lifecycle.on_task_prerun),
        (signals.task_success, lifecycle.on_task_success),
        (signals.task_retry, lifecycle.on_task_retry),
        (signals.task_failure, lifecycle.on_task_failure),
        (signals.task_internal_error, lifecycle.on_task_internal_error),
        (signals.task_postrun, lifecycle.on_task_postrun),
        (signals.task_revoked, lifecycle.on_task_revoked),
        (signals.task_rejected, lifecycle.on_task_rejected),
        (signals.task_unknown, lifecycle.on_task_unknown),
        (signals.worker_process_shutdown, _stdio.flush_all),
        (signals.worker_shutdown, _stdio.flush_all),
    ]
    for signal, receiver in receivers:
        signal.connect(
            _guarded(receiver), weak=False, dispatch_uid=f"celery_logkit.{receiver.__name__}"
        )
    signals.celeryd_after_setup.connect(
        _guarded(_ReceivedWhenLogged(lifecycle)),
        weak=False,
        dispatch_uid="celery_logkit.received_when_logged",
    )
    follow_requests(
        _guarded(lifecycle.after_request_failure), _guarded(lifecycle.after_request_cancelled)
    )
    replaced = ReplacedCeleryLines(lifecycle, lambda: installation.options().keep_celery_lines)
    for name in ReplacedCeleryLines.LOGGERS:
        logging.getLogger(name).addFilter(replaced)
    arguments = CeleryLineArguments(installation.options)
    for name in CeleryLineArguments.LOGGERS:
        logging.getLogger(name).addFilter(arguments)
    return app
