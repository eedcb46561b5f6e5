"""What :func:`celery_logkit.install` does inside a worker (or ``celery beat``).

celery sets up logging itself (levels from ``-l``, ``-f`` files, the ``print()``
redirect); logkit lets it, then swaps the formatter of the handlers *celery* created
for :class:`~celery_logkit.JsonFormatter`.  Handlers the application added itself are
left as they are.  The text banner is replaced by one structured record, and
warnings raised before logging is set up are written as JSON lines too.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

import celery
import celery.apps.worker as celery_worker_module
from celery.utils.log import ColorFormatter, get_multiprocessing_logger
from celery.utils.nodenames import node_format
from kombu.utils.url import maybe_sanitize_url

from ._cli import from_worker_options
from ._config import Options, set_configured, unknown_variables, unknown_variables_message
from ._console import ConsoleFormatter
from ._fields import add_to_foreign_handlers
from ._formatter import JsonFormatter, LineFormatter
from ._handlers import LineHandler, lock_for
from ._lifecycle import log_event
from ._stdio import redirect_stdouts_to_logger

__all__ = ["WorkerIntegration"]

_worker_logger = logging.getLogger("celery.apps.worker")
_config_logger = logging.getLogger("celery_logkit.config")


def _skip_replaced_lines(app: Any) -> None:
    """Let celery skip building the INFO lines that lifecycle events replace.

    celery decides once, when the consumer starts and builds each task's tracer, whether
    ``celery.worker.strategy`` (whose only INFO line is ``Task ... received``) and
    ``celery.app.trace`` (``... succeeded in``, ``... ignored``, ``... retry:``, expected
    failures) are enabled for INFO; at WARNING it builds none of those records, which
    ``task_received``, ``task_succeeded``, ``task_ignored``, ``task_retrying`` and
    ``task_failed`` replace.  The tracer stays at INFO when the app deduplicates
    successful tasks: the ``... ignored`` line of a redelivered task that already
    succeeded comes with no signal, so no event replaces it.  A level the app set itself
    is left alone.
    """
    names = ["celery.worker.strategy"]
    conf = getattr(app, "conf", None)
    if not getattr(conf, "worker_deduplicate_successful_tasks", False):
        names.append("celery.app.trace")
    for name in names:
        celery_logger = logging.getLogger(name)
        if celery_logger.level == logging.NOTSET:
            celery_logger.setLevel(logging.WARNING)


class WorkerIntegration:
    """The receivers of celery's worker signals, reading the installed options."""

    def __init__(
        self,
        options: Callable[[], Options],
        refresh: Callable[[Mapping[str, Any]], Options],
    ) -> None:
        self.options = options
        self.refresh = refresh
        # The handler celery made for the root logger: where -f (or stderr) says lines go.
        self.destination: logging.Handler | None = None

    def formatter(self, stream: object = None) -> logging.Formatter:
        """Return the formatter for a handler writing to *stream*.

        ``format="auto"`` writes the console rendering to a terminal and JSON to
        anything else (a pipe, a file given with ``-f``).
        """
        options = self.options()
        console = options.format == "console" or (options.format == "auto" and _isatty(stream))
        if console:
            return ConsoleFormatter(colors=_isatty(stream))
        return JsonFormatter()  # follows the options in force

    # -- logging set-up -------------------------------------------------------------

    def adopt_handlers(self, loggers: Iterable[logging.Logger | None]) -> list[logging.Handler]:
        """Give celery's own handlers on *loggers* the logkit formatter; return them.

        celery's plain stream handler (stderr, shared by the pool's processes) becomes a
        :class:`~celery_logkit._handlers.LineHandler` on the same stream, with the same
        level and filters; file handlers (``-f``) keep their class.
        """
        adopted: list[logging.Handler] = []
        for logger in loggers:
            handlers = getattr(logger, "handlers", [])
            for index, handler in enumerate(handlers):
                if not isinstance(handler.formatter, ColorFormatter):
                    continue
                handler.setFormatter(self.formatter(getattr(handler, "stream", None)))
                if type(handler) is logging.StreamHandler and _has_fileno(handler.stream):
                    handlers[index] = LineHandler.replacing(handler)
                adopted.append(handlers[index])
        return adopted

    def on_after_setup_logger(self, logger: logging.Logger, **_: Any) -> None:
        """Root and billiard's ``multiprocessing`` logger: JSON from now on.

        The root's handler is also where the shutdown notices go from now on.
        """
        adopted = self.adopt_handlers((logger, get_multiprocessing_logger()))
        if adopted and adopted[0] in logger.handlers:
            self.destination = adopted[0]

    def on_after_setup_task_logger(self, logger: logging.Logger, **_: Any) -> None:
        """Make the ``celery.task`` logger (it does not propagate) write JSON too."""
        self.adopt_handlers((logger,))

    def on_celeryd_init(
        self, instance: Any = None, options: Mapping[str, Any] | None = None, **_: Any
    ) -> None:
        """Before the worker does anything: check the configuration, JSON from the start.

        *options* are the worker's command-line options, ``--logkit-format`` among them.
        Until logging is set up, warnings (celery's SecurityWarning) go to the ``-f``
        file if one is given.  ``print()`` is redirected one record per line.
        """
        logfile = (options or {}).get("logfile")
        if logfile and instance is not None:
            logfile = node_format(logfile, instance.hostname)
        resolved = self.prepare_process(options, logfile=logfile)
        if instance is not None:
            if not resolved.banner:
                instance.quiet = True
            instance.app.log.redirect_stdouts_to_logger = redirect_stdouts_to_logger
        # celery writes its shutdown notices ("worker: Warm shutdown (MainProcess)")
        # with os.write from signal handlers: the one hook is the module's function.
        celery_worker_module.safe_say = _FormattedSay(
            self.formatter(sys.__stderr__ if logfile is None else None), self._destination
        )

    def _destination(self) -> TextIO | None:
        handler = self.destination
        return getattr(handler, "stream", None) if handler is not None else None

    def prepare_process(
        self, command_line: Mapping[str, Any] | None, *, logfile: str | None = None
    ) -> Options:
        """Check the configuration, and write warnings as JSON until logging is set up.

        Run first thing in a worker or ``celery beat``: a bad option stops the process
        with one JSON ``critical`` line rather than letting it run on other options.
        Warnings go to *logfile* when given, else to stderr.
        """
        try:
            resolved = self.refresh(from_worker_options(command_line))
        except (TypeError, ValueError) as exc:
            record = logging.LogRecord(
                "celery_logkit", logging.CRITICAL, __file__, 0, "%s", (exc,), None
            )
            # The formatter follows the options in force: the defaults, not the bad ones
            # (resolving those again would log the same error once more, as text).
            set_configured(Options())
            _write_line(sys.__stderr__, JsonFormatter().format(record))
            raise SystemExit(1) from exc
        if warnings.showwarning is _ORIGINAL_SHOWWARNING:
            stderr = sys.__stderr__
            warnings.showwarning = _FormattedWarnings(
                self.formatter(stderr if logfile is None else None), stderr, logfile
            )
        return resolved

    def on_celeryd_after_setup(self, sender: str, instance: Any = None, **_: Any) -> None:
        """Log what the banner would have shown, as one structured record.

        Unknown ``LOGKIT_*`` environment variables are a warning, not an error: another
        tool's variable may share the prefix.
        """
        add_to_foreign_handlers(_ours)
        unknown = unknown_variables()
        if unknown:
            _config_logger.warning("%s", unknown_variables_message(unknown))
        if not self.options().keep_celery_lines:
            _skip_replaced_lines(getattr(instance, "app", None))
        if instance is None or not _worker_logger.isEnabledFor(logging.INFO):
            return
        try:
            fields = _startup_fields(instance)
        except Exception as exc:  # noqa: BLE001 - never stop a worker from starting
            fields = {"startup_info_error": repr(exc)}
        log_event(
            _worker_logger, logging.INFO, "worker_started", "Worker %s starting", (sender,),
            {"worker": sender}, fields,
        )  # fmt: skip


_ORIGINAL_SHOWWARNING = warnings.showwarning


def _ours(formatter: logging.Formatter | None) -> bool:
    """Whether *formatter* is celery-logkit's (it reads the task's context itself)."""
    return isinstance(formatter, LineFormatter)


def _has_fileno(stream: object) -> bool:
    try:
        stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False
    return True


def _isatty(stream: object) -> bool:
    try:
        return bool(stream is not None and stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


class _FormattedSay:
    """celery's ``safe_say`` (a notice written from a signal handler), as a log line.

    The line goes where the root logger's handler writes (the ``-f`` file, or
    stderr), and to celery's *f* before logging is set up.  Like the original it
    writes with ``os.write``: a signal handler must not re-enter a stream that the
    interrupted code may be writing to.
    """

    def __init__(
        self, formatter: logging.Formatter, destination: Callable[[], TextIO | None]
    ) -> None:
        self.formatter = formatter
        self.destination = destination

    def __call__(self, msg: str, f: TextIO | None = sys.__stderr__) -> None:
        record = logging.LogRecord(
            "celery.apps.worker", logging.WARNING, __file__, 0, msg.strip(), None, None
        )
        _write_line(self.destination() or f, self.formatter.format(record))


def _write_line(stream: TextIO | None, line: str) -> None:
    """Write *line* under the descriptor's shared line lock, bypassing the stream's buffer."""
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):
            fd = stream.fileno()
            data = (line + "\n").encode("utf-8", "backslashreplace")
            lock_for(fd).write(fd, data)


class _FormattedWarnings:
    """``warnings.showwarning`` until celery's logging takes warnings over.

    With a *logfile* (``-f``) each warning is appended to it, the file celery's
    logging will write to, rather than to *stream*.
    """

    def __init__(
        self, formatter: logging.Formatter, stream: TextIO | None, logfile: str | None = None
    ) -> None:
        self.formatter = formatter
        self.stream = stream
        self.logfile = logfile

    def __call__(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        stream = file or self.stream
        if stream is None and self.logfile is None:
            return
        record = logging.LogRecord(
            "py.warnings",
            logging.WARNING,
            filename,
            lineno,
            "%s: %s",
            (category.__name__, message),
            None,
        )
        line = self.formatter.format(record) + "\n"
        try:
            if file is None and self.logfile is not None:
                with open(self.logfile, "a", encoding="utf-8") as logfile:
                    logfile.write(line)
            elif stream is not None:
                stream.write(line)
                stream.flush()
        except (OSError, ValueError):
            pass


def _startup_fields(instance: Any) -> dict[str, Any]:
    app = instance.app
    pool = getattr(instance, "pool_cls", None)
    return {
        "celery_version": _celery_version(),
        "pool": getattr(pool, "__module__", str(pool)).rsplit(".", 1)[-1],
        "concurrency": getattr(instance, "concurrency", None),
        "broker": app.connection_for_write().as_uri(),
        "result_backend": _masked_backend(app),
        "queues": sorted(app.amqp.queues.consume_from or app.amqp.queues),
        "tasks": sorted(name for name in app.tasks if not name.startswith("celery.")),
    }


def _celery_version() -> str:
    return str(celery.__version__)


def _masked_backend(app: Any) -> str | None:
    backend = app.conf.result_backend
    return str(maybe_sanitize_url(backend)) if backend else None
