"""A task's life as one structured record per step, by one convention.

Start and success at INFO, retries at WARNING, failures at ERROR; each record carries
``event`` (django-structlog's names where the steps overlap) and the task's context
taken from the signal's own arguments, so that records written by the worker's main
process (worker lost, hard time limit, revoked) are never anonymous.

celery's own lines for the same steps are dropped by :class:`ReplacedCeleryLines`
unless ``keep_celery_lines=True``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import re
import signal as _signal
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from typing import Any

from celery import states
from celery.app import trace as _trace
from celery.exceptions import Reject, Retry, WorkerLostError
from celery.utils.saferepr import saferepr
from celery.worker import state as _worker_state
from celery.worker.request import Request

from . import _context, _propagation, _stdio
from ._collect import exception_text
from ._config import Options
from ._fields import set_fields
from ._logger import get_logger
from ._redaction import MAX_REPR_CHARS
from ._redaction import redactor_for as _redactor
from ._tracing import traceparent_ids
from ._vocabulary import EVENT, EventRecord, TaskRecord

__all__ = ["LOGGER_NAME", "ReplacedCeleryLines", "TaskLifecycle", "follow_requests", "log_event"]

LOGGER_NAME = "celery_logkit.lifecycle"
logger = get_logger(LOGGER_NAME)

_REMEMBERED = 4096
"""Tasks the worker's main process remembers (received, not yet known to be over)."""


class _Bounded(OrderedDict[Hashable, Any]):
    """A mapping that forgets its oldest entries beyond *size*; safe across threads."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self._lock = threading.Lock()

    def remember(self, key: Hashable, value: Any = True) -> None:
        with self._lock:
            self._remember(key, value)

    def _remember(self, key: Hashable, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

    def first_time(self, key: Hashable) -> bool:
        """Return True the first time *key* is seen (and remember it)."""
        with self._lock:
            if key in self:
                return False
            self._remember(key, True)
            return True


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def _chosen_repr(given: object, value: Any) -> str | None:
    """Return the producer's own ``argsrepr``/``kwargsrepr`` if it chose one, else ``None``.

    celery writes ``saferepr(args)`` there unless the caller passed its own (to mask
    the arguments); only a chosen one is worth more than the values themselves.  The
    arguments may have crossed the broker as a list rather than a tuple.
    """
    if not isinstance(given, str) or not given:
        return None
    if isinstance(value, list | tuple):
        written = {saferepr(list(value), MAX_REPR_CHARS), saferepr(tuple(value), MAX_REPR_CHARS)}
    else:
        written = {saferepr(value, MAX_REPR_CHARS)}
    return None if given in written else given


def _duration_ms(task_id: object) -> float | None:
    """How long *task_id* has been running, if it is the task running here."""
    if task_id is None or _context._task_context.get().get("task_id") != task_id:
        return None
    return _ms(_context.running_for())


def _describe(exc: object) -> str:
    """``Type: text`` of an exception (its type alone if the text is empty), else its text."""
    text = exception_text(exc)
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text


_CANCELLED = "cancelled by the worker (cold shutdown, or broker connection lost)"
"""The reason of a task the worker's main process cancelled while it ran."""

_LOST = re.compile(r"exited prematurely: (?P<how>.+?)(?: Job: \d+)?\.?$")


def _lost_reason(exc: object) -> str:
    """``worker lost: signal 9 (SIGKILL)`` for billiard's ``WorkerLostError``."""
    text = exception_text(exc)
    found = _LOST.search(text)
    return f"worker lost: {found['how'] if found else text}"


_Error = tuple[tuple[type[BaseException], BaseException, Any], str | None]
"""A failure as a record carries it: ``exc_info``, and the stack's text if celery made one."""


def _error(exception: BaseException, einfo: Any, *, stack: bool) -> _Error:
    """Return a failure's ``exc_info`` and ``exc_text``: celery's formatted traceback if any.

    Any formatter then reads it the standard way; without *stack* (an exception the
    task declares in ``throws``) the record has the exception without its traceback.
    """
    exc_info = (type(exception), exception, exception.__traceback__ if stack else None)
    text = getattr(einfo, "traceback", None) if stack else None
    return exc_info, (text.rstrip("\n") if isinstance(text, str) and text.strip() else None)


def _signame(signum: object) -> tuple[int | None, str | None]:
    try:
        number = int(signum)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None, str(signum) if signum else None
    try:
        return number, _signal.Signals(number).name
    except ValueError:
        return number, None


def _when(value: object) -> dict[str, Any]:
    if isinstance(value, datetime):
        return {"eta": value.isoformat()}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"countdown": value}
    return {}


class _Failing:
    """A worker request whose failure celery's main process is handling."""

    __slots__ = ("logged", "request", "was_acknowledged")

    def __init__(self, request: Any) -> None:
        self.request = request
        self.was_acknowledged = bool(getattr(request, "acknowledged", False))
        self.logged = False
        """Whether a lifecycle event of the request was logged while handling it."""


_failing: contextvars.ContextVar[_Failing | None] = contextvars.ContextVar(
    "celery_logkit_failing", default=None
)


def log_event(
    target: logging.Logger,
    level: int,
    event: str,
    msg: str,
    args: tuple[Any, ...],
    task: Mapping[str, Any],
    fields: Mapping[str, Any] | None = None,
    exc_info: Any = None,
    exc_text: str | None = None,
    *,
    stacklevel: int = 2,
) -> None:
    """Log *event* on *target* as an :class:`EventRecord` (the caller checks the level).

    The record's attributes are the event's name, its *task* (which replaces the
    running task's) and its *fields* (``None`` values left out), so that any formatter
    reads them; a field named like a ``LogRecord`` attribute is kept aside for logkit's.
    """
    caller = sys._getframe(stacklevel - 1)  # no logging frames to skip, as findCaller would
    code = caller.f_code
    record = target.makeRecord(
        target.name, level, code.co_filename, caller.f_lineno, msg, args, exc_info, code.co_name
    )
    record.__class__ = EventRecord
    values = record.__dict__
    values[EVENT] = event
    values.update(task)
    if fields:
        set_fields(record, {k: v for k, v in fields.items() if v is not None})
    record.exc_text = exc_text
    target.handle(record)


class TaskLifecycle:
    """The receivers of celery's task signals that log the lifecycle events."""

    def __init__(self, options: Callable[[], Options]) -> None:
        self.options = options
        self._logged = _Bounded(_REMEMBERED)
        self._failures: deque[BaseException] = deque(maxlen=16)

    # -- emitting -------------------------------------------------------------------

    def _emit(
        self,
        event: str,
        task: Mapping[str, Any],
        msg: str,
        args: tuple[Any, ...],
        fields: Mapping[str, Any] | None = None,
        *,
        level_of: str | None = None,
        error: _Error | None = None,
    ) -> None:
        failing = _failing.get()
        if failing is not None and task.get("task_id") == getattr(failing.request, "id", None):
            failing.logged = True
        level = self.options().level(level_of or event)
        if level is None or not logger.isEnabledFor(level):
            return
        exc_info, exc_text = (None, None) if error is None else error
        log_event(logger, level, event, msg, args, task, fields, exc_info, exc_text, stacklevel=3)

    def writes(self, event: str) -> bool:
        """Whether *event* is written now (its level on, and enabled on the logger)."""
        level = self.options().level(event)
        return level is not None and logger.isEnabledFor(level)

    def _task(self, task_id: str | None, task: Any, request: Any = None) -> dict[str, Any]:
        """Return *task_id*'s context: the running task's, else what the worker saw."""
        running = _context._task_context.get()
        if task_id is not None and running.get("task_id") == task_id:
            return dict(running)
        if request is not None and getattr(request, "id", None) == task_id:
            return _context.task_context_from_request(task.name, request)
        # the request celery's main process is failing or timing out (it may have let it go
        # already), else one received and not yet done, in this process
        failing = _failing.get()
        known = failing.request if failing is not None else None
        if getattr(known, "id", None) != task_id:
            known = _worker_state.requests.get(task_id)
        if known is not None:
            return _context.task_context_from_request(known.name, known)
        return {"task_id": task_id, "task_name": getattr(task, "name", None)}

    def logged_failure(self, exc: object) -> bool:
        """Whether *exc* is an exception whose ``task_failed`` was just handled."""
        return any(exc is seen for seen in self._failures)

    def task_of_line(self, args: tuple[Any, ...]) -> dict[str, Any] | None:
        """Return the context of the task a line of celery's main process is about.

        That is the task whose failure or time limit it is handling (``Task handler
        raised error``, ``Hard time limit (%ss) exceeded for %s[%s]``), else a task the
        worker holds (reserved or running) whose id is one of the line's *args*.
        """
        failing = _failing.get()
        if failing is not None:
            request = failing.request
            return self._task(getattr(request, "id", None), getattr(request, "task", None), request)
        for arg in args:
            if isinstance(arg, str):
                known = _worker_state.requests.get(arg)
                if known is not None:
                    return _context.task_context_from_request(known.name, known)
        return None

    # -- producer -------------------------------------------------------------------

    def before_task_publish(self, headers: Any = None, **_: Any) -> None:
        """Put the publish time and the propagated keys in the message's header."""
        if isinstance(headers, dict):
            with contextlib.suppress(Exception):  # never break .delay()
                options = self.options()
                _propagation.inject(headers, options.propagate, _redactor(options.redact_keys))

    def after_task_publish(
        self, sender: str | None = None, headers: Any = None, routing_key: Any = None, **kw: Any
    ) -> None:
        """``task_enqueued``: the message is on its way (the publisher's own context)."""
        headers = headers if isinstance(headers, Mapping) else {}
        body = kw.get("body")
        child_id = headers.get("id") or (body.get("id") if isinstance(body, Mapping) else None)
        child_name = headers.get("task") or sender
        fields = {
            "child_task_id": child_id,
            "child_task_name": child_name,
            "routing_key": routing_key or None,
            "eta": headers.get("eta"),
        }
        self._emit(
            "task_enqueued",
            _context._task_context.get(),
            "Task %s[%s] enqueued",
            (child_name, child_id),
            fields,
        )

    # -- worker main process ----------------------------------------------------------

    def on_task_received(self, request: Any = None, **_: Any) -> None:
        """``task_received`` (DEBUG): the worker took the message."""
        if request is None:
            return
        task = _context.task_context_from_request(request.name, request)
        eta = getattr(request, "eta", None)
        self._emit(
            "task_received",
            task,
            "Task %s[%s] received",
            (task.get("task_name"), task.get("task_id")),
            {"eta": eta.isoformat() if isinstance(eta, datetime) else eta},
        )

    def on_task_revoked(
        self,
        sender: Any = None,
        request: Any = None,
        terminated: bool = False,
        signum: Any = None,
        expired: bool = False,
        **_: Any,
    ) -> None:
        """``task_revoked`` (WARNING): revoked, terminated or expired."""
        task_id = getattr(request, "id", None)
        if not self._logged.first_time(("task_revoked", task_id)):
            return
        task = self._task(task_id, sender, request)
        number, name = _signame(signum) if terminated else (None, None)
        how = "expired" if expired else "terminated" if terminated else "revoked"
        self._emit(
            "task_revoked",
            task,
            "Task %s[%s] %s",
            (task.get("task_name"), task_id, how),
            {"terminated": bool(terminated), "signum": number, "signame": name,
             "expired": bool(expired)},
        )  # fmt: skip

    def on_task_rejected(self, message: Any = None, exc: Any = None, **_: Any) -> None:
        """``task_rejected`` (WARNING): a message the worker could not use."""
        headers = getattr(message, "headers", None) or {}
        task = {"task_id": headers.get("id"), "task_name": headers.get("task")}
        task = {k: v for k, v in task.items() if v is not None}
        reason = _describe(exc) if exc is not None else "unknown message"
        self._emit(
            "task_rejected",
            task,
            "Rejected message for task %s[%s]: %s",
            (task.get("task_name"), task.get("task_id"), reason),
            {"reason": reason},
        )

    def on_task_unknown(
        self, name: str | None = None, id: str | None = None, exc: Any = None, **_: Any
    ) -> None:
        """``task_not_found`` (ERROR): a message for a task name no one registered."""
        self._emit(
            "task_not_found",
            {"task_id": id, "task_name": name},
            "Received unregistered task %s[%s]",
            (name, id),
            {"reason": _describe(exc) if exc is not None else None},
        )

    # -- where the task runs -----------------------------------------------------------

    def on_task_prerun(
        self, task: Any = None, args: Any = None, kwargs: Any = None, **_: Any
    ) -> None:
        """Bind the task's context, then ``task_started`` with the queue wait."""
        if task is None:
            return
        options = self.options()
        request = task.request  # a lookup in celery's request stack: once
        propagated, published = _propagation.extract(request, options.propagate)
        current = _context.task_started(task, propagated, traceparent_ids(request), request)
        wait = None if published is None else max(0.0, time.time() - published)
        fields: dict[str, Any] = {
            "attempt": current.get("retries", 0) + 1,
            "queue_wait_ms": _ms(wait),
        }
        if options.log_args:
            redactor = _redactor(options.redact_keys)
            positional = tuple(args) if isinstance(args, list) else args  # as called
            for name, value in (("args", positional), ("kwargs", kwargs)):
                chosen = _chosen_repr(getattr(request, f"{name}repr", None), value)
                fields[name] = (
                    redactor.redact_value_repr(value)
                    if chosen is None
                    else redactor.redact_repr(chosen)
                )
        self._emit(
            "task_started",
            current,
            "Task %s[%s] started",
            (current.get("task_name"), current.get("task_id")),
            fields,
        )

    def on_task_postrun(
        self,
        sender: Any = None,
        task_id: str | None = None,
        retval: Any = None,
        state: str | None = None,
        **_: Any,
    ) -> None:
        """Log how the attempt ended, unless another signal does; drop the task's context.

        ``task_postrun`` comes once per attempt, in the task's own context, with its
        state; here are logged the endings that reach no other receiver where the task
        ran: an ``Ignore`` raised by the task (``task_ignored``), a ``Reject``
        raised by the task (``task_rejected``), and, in an eager call that propagates
        exceptions (``task_eager_propagates``, ``apply(throw=True)``), the task's
        exception, which celery re-raises to the caller with no state, then reports as
        an internal error of its own (``task_failed``, or ``task_retrying`` for a
        ``Retry``, as without propagation).  A line the task printed without its
        newline is logged first.
        """
        try:
            _stdio.flush_current()  # a printed line the task left unfinished, in its context
            if state == states.SUCCESS:  # logged on task_success
                return
            request = getattr(sender, "request", None)
            if state == states.IGNORED:
                self._ignored(self._task(task_id, sender, request), retval)
            elif state == states.REJECTED and isinstance(retval, Reject):
                task = self._task(task_id, sender, request)
                reason = None if retval.reason is None else _describe(retval.reason)
                self._rejected(task, reason, requeue=bool(retval.requeue))
            elif state is None and getattr(request, "is_eager", False):
                exc = sys.exc_info()[1]  # the exception on its way to the caller, if any
                if isinstance(exc, Exception):
                    self._failures.append(exc)  # celery's internal error for it comes next
                    if isinstance(exc, Retry):
                        self.on_task_retry(sender=sender, request=sender.request, reason=exc)
                    else:
                        self.on_task_failure(sender=sender, task_id=task_id, exception=exc)
        finally:
            _context.task_ended()

    def _ignored(self, task: Mapping[str, Any], exc: object) -> None:
        """``task_ignored`` (INFO): the task raised ``Ignore``; celery records no state."""
        task_id = task.get("task_id")
        reason = exception_text(exc) or None
        self._emit(
            "task_ignored",
            task,
            "Task %s[%s] ignored",
            (task.get("task_name"), task_id),
            {"reason": reason, "duration_ms": _duration_ms(task_id)},
        )

    def _rejected(self, task: Mapping[str, Any], reason: str | None, *, requeue: bool) -> None:
        """``task_rejected`` (WARNING): the attempt's message was dropped or requeued."""
        task_id = task.get("task_id")
        self._emit(
            "task_rejected",
            task,
            "Task %s[%s] rejected (requeue=%s): %s",
            (task.get("task_name"), task_id, requeue, reason),
            {"reason": reason, "requeue": requeue, "duration_ms": _duration_ms(task_id)},
        )

    def on_task_success(self, sender: Any = None, result: Any = None, **_: Any) -> None:
        """``task_succeeded`` (INFO) with the duration.

        On ``task_success``, not ``task_postrun``: tracers (ddtrace's, OpenTelemetry's
        celery instrumentation) end the task's span on ``task_postrun``, and may do so
        before this receiver; inside ``task_success`` the span is still the current one,
        so the line carries its ids.
        """
        running = _context._task_context.get()  # bound by task_prerun, in this very task
        if running:
            task = dict(running)
        else:
            request = getattr(sender, "request", None)
            task = self._task(getattr(request, "id", None), sender, request)
        duration = _duration_ms(task.get("task_id"))
        fields: dict[str, Any] = {"duration_ms": duration}
        options = self.options()
        if options.log_result:
            fields["result"] = _redactor(options.redact_keys).redact_value_repr(result)
        self._emit(
            "task_succeeded",
            task,
            "Task %s[%s] succeeded in %s ms",
            (task.get("task_name"), task.get("task_id"), duration),
            fields,
        )

    def on_task_retry(
        self, sender: Any = None, request: Any = None, reason: Any = None, **_: Any
    ) -> None:
        """``task_retrying`` (WARNING): why, which attempt, when the next one runs.

        celery sends no *reason* when its main process cancels a running task: a cold
        shutdown (SIGQUIT, a second SIGINT) or, if asked, a lost broker connection.
        """
        task = self._task(getattr(request, "id", None), sender, request)
        exc = getattr(reason, "exc", None)
        why = _CANCELLED if reason is None else _describe(exc if exc is not None else reason)
        fields = {
            "reason": why,
            "attempt": task.get("retries", 0) + 1,
            "max_retries": getattr(sender, "max_retries", None),
            **_when(getattr(reason, "when", None)),
            "duration_ms": _duration_ms(task.get("task_id")),
        }
        self._emit(
            "task_retrying",
            task,
            "Task %s[%s] retrying: %s",
            (task.get("task_name"), task.get("task_id"), why),
            fields,
        )

    def on_task_failure(
        self,
        sender: Any = None,
        task_id: str | None = None,
        exception: BaseException | None = None,
        einfo: Any = None,
        **_: Any,
    ) -> None:
        """``task_failed``: ERROR with the stack, INFO without for ``Task.throws``.

        A ``Reject`` is not a failure: the task's own process logs it as
        ``task_rejected`` (celery 5.7 also reports ``Reject(requeue=False)`` here).
        """
        if isinstance(exception, Reject):
            return
        request = getattr(sender, "request", None)
        task = self._task(task_id, sender, request)
        if exception is not None:
            self._failures.append(exception)
        # A failure is terminal: once per task id (celery 5.7 reports a hard time
        # limit twice, from two places in the main process).
        if not self._logged.first_time(("task_failed", task_id)):
            return
        throws = getattr(sender, "throws", None) or ()
        expected = exception is not None and bool(throws) and isinstance(exception, throws)
        duration = _duration_ms(task_id)
        error = None if exception is None else _error(exception, einfo, stack=not expected)
        self._emit(
            "task_failed",
            task,
            "Task %s[%s] failed: %s",
            (task.get("task_name"), task_id, _describe(exception)),
            {"duration_ms": duration, "expected": expected or None},
            level_of="task_failed_expected" if expected else None,
            error=error,
        )

    def after_request_failure(self, failing: _Failing, exc_info: Any) -> None:
        """``task_rejected`` for a lost pool process's task that went back to the queue.

        With ``acks_late`` and ``reject_on_worker_lost`` celery's main process requeues
        the message of a task whose pool process died, and sends no signal: without
        this, that attempt would end with no event at all.
        """
        exc = getattr(exc_info, "exception", None)
        exc = getattr(exc, "exc", exc)  # celery's ExceptionWithTraceback wrapper
        if self.lost_and_requeued(failing, exc):
            request = failing.request
            task = self._task(request.id, request.task, request)
            self._rejected(task, _lost_reason(exc), requeue=True)

    def after_request_cancelled(self, request: Any, emit_retry: bool) -> None:
        """``task_retrying`` for a running ``acks_late`` task the worker cancelled.

        On a cold shutdown celery cancels the running tasks; for an ``acks_late`` one it
        sends no ``task_retry`` (the broker delivers the message again), so that attempt
        would end with no event at all.
        """
        if not emit_retry and getattr(request, "time_start", None):
            self.on_task_retry(sender=getattr(request, "task", None), request=request)

    @staticmethod
    def lost_and_requeued(failing: _Failing, exc: object) -> bool:
        """Whether *exc* is a lost pool process whose task celery put back in the queue.

        True when handling it settled an ``acks_late`` message and no event was logged
        for it: every other ending of a lost process sends ``task_failure`` or
        ``task_retry``, logged by this (the main) process; the requeue only rejects.
        """
        return (
            isinstance(exc, WorkerLostError)
            and not failing.logged
            and not failing.was_acknowledged
            and bool(getattr(failing.request, "acknowledged", False))
        )

    def on_task_internal_error(
        self,
        sender: Any = None,
        task_id: str | None = None,
        exception: BaseException | None = None,
        einfo: Any = None,
        **_: Any,
    ) -> None:
        """``task_internal_error`` (CRITICAL): celery itself failed around the task.

        An eager task's exception that celery propagates is reported here too, after
        ``task_postrun`` logged it as ``task_failed``: it is not logged twice.
        """
        if exception is not None and self.logged_failure(exception):
            return
        task = self._task(task_id, sender)
        self._emit(
            "task_internal_error",
            task,
            "Task %s[%s] internal error: %s",
            (task.get("task_name"), task_id, _describe(exception)),
            error=None if exception is None else _error(exception, einfo, stack=True),
        )


_FOLLOWED = "_celery_logkit_follows"


def follow_requests(
    failed: Callable[[_Failing, Any], None], cancelled: Callable[[Any, bool], None]
) -> None:
    """Call *failed* / *cancelled* once celery's main process failed / cancelled a request.

    The worker's ``Request.on_failure`` is where a lost pool process, a hard time limit
    or a ``Reject`` ends, and ``Request.cancel`` where a cold shutdown ends a running
    task; for some of these celery sends no signal.  Both are wrapped once per process
    (requests of custom ``Request`` classes that call ``super()`` are followed too), and
    the lines celery writes while handling a failure or a time limit (``on_timeout``,
    which lets the request go before its line) know whose task it is.
    """
    original_failure, original_cancel = Request.on_failure, Request.cancel
    original_timeout = Request.on_timeout
    if getattr(original_failure, _FOLLOWED, False):
        return

    @functools.wraps(original_failure)
    def on_failure(self: Any, exc_info: Any, *args: Any, **kwargs: Any) -> Any:
        failing = _Failing(self)
        token = _failing.set(failing)
        try:
            return original_failure(self, exc_info, *args, **kwargs)
        finally:
            _failing.reset(token)
            failed(failing, exc_info)

    @functools.wraps(original_cancel)
    def cancel(self: Any, pool: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_cancel(self, pool, *args, **kwargs)
        finally:
            cancelled(self, kwargs.get("emit_retry", True))

    @functools.wraps(original_timeout)
    def on_timeout(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = _failing.set(_Failing(self))  # its time limit lines: after celery let it go
        try:
            return original_timeout(self, *args, **kwargs)
        finally:
            _failing.reset(token)

    setattr(on_failure, _FOLLOWED, True)
    Request.on_failure, Request.cancel, Request.on_timeout = on_failure, cancel, on_timeout


class ReplacedCeleryLines(logging.Filter):
    """Drop celery's own lines for the steps :class:`TaskLifecycle` logs.

    A logger filter on celery's loggers: ``Task ... received``, ``... succeeded in``,
    ``... retry:``, ``... raised unexpected/expected``, ``Task ... reject requeue=``,
    internal errors, discarded revoked tasks and the main process's ``Task handler
    raised error`` for a failure already logged as ``task_failed`` (or a lost process's
    requeue logged as ``task_rejected``).

    The lines it keeps that the main process writes about a task (``Soft time limit
    (1s) exceeded for name[id]``) get that task's context, as if written inside it.
    """

    LOGGERS = (
        "celery.app.trace",
        "celery.worker.strategy",
        "celery.worker.request",
        "celery.worker.consumer.consumer",
    )
    _TEMPLATES = frozenset(
        {
            _trace.LOG_RECEIVED,
            _trace.LOG_SUCCESS,
            _trace.LOG_FAILURE.strip(),
            _trace.LOG_INTERNAL_ERROR.strip(),
            _trace.LOG_RETRY,
            _trace.LOG_REJECTED.strip(),
            "Task %s[%s] retry: %s",
        }
    )

    def __init__(self, lifecycle: TaskLifecycle, keep: Callable[[], bool]) -> None:
        super().__init__()
        self.lifecycle = lifecycle
        self.keep = keep

    def filter(self, record: logging.LogRecord) -> bool:
        """Return False for a celery line that a lifecycle event replaces."""
        msg = record.msg
        if not isinstance(msg, str):
            return True
        if not self.keep() and self._replaced(msg, record.args):
            return False
        if isinstance(record.args, tuple) and not _context._task_context.get():
            task = self.lifecycle.task_of_line(record.args)
            if task is not None:
                record.__dict__.update(task)
                if record.__class__ is logging.LogRecord:
                    record.__class__ = TaskRecord
        return True

    def _replaced(self, msg: str, args: Any) -> bool:
        if msg in self._TEMPLATES or msg.startswith("Discarding revoked task"):
            return True
        if msg.startswith("Received unregistered task") or msg.startswith("Received invalid"):
            return True
        if msg == _trace.LOG_IGNORED:  # a task's Ignore (task_ignored), not a deduplicated one
            return isinstance(args, Mapping) and args.get("description") == "ignored"
        if msg == "Task handler raised error: %r" and isinstance(args, tuple) and args:
            failing = _failing.get()
            return self.lifecycle.logged_failure(args[0]) or (
                failing is not None and self.lifecycle.lost_and_requeued(failing, args[0])
            )
        return False
