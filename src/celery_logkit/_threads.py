"""Work handed to another thread keeps the context of the code that handed it over.

A new thread starts with an empty ``contextvars`` context, so the lines of a thread a
task starts would carry neither the task's context nor the keys bound in it.  Python
3.14's ``sys.flags.thread_inherit_context`` makes ``Thread.start()`` run the thread in
a copy of its caller's context; :func:`inherit_context` does the same on every Python,
and makes ``ThreadPoolExecutor.submit()`` run each submitted call in a copy of its
submitter's context.  An executor's threads are created by a first ``submit`` and then
reused by later ones, possibly after that first task has ended: the context travels
with each call, not with the thread.

Both are patched on the classes, so subclasses (``threading.Timer``) and gevent's
monkey-patched ``threading`` (whose ``Thread`` is the same class) are covered.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["inherit_context"]

_T = TypeVar("_T")
_MARK = "__celery_logkit_inherits_context__"


def _restore(thread: threading.Thread, own_run: Any) -> None:
    """Put back the ``run`` *thread* had before ``start()`` wrapped it."""
    if own_run is None:
        thread.__dict__.pop("run", None)
    else:
        thread.__dict__["run"] = own_run


def _start_in_callers_context(start: Callable[[threading.Thread], None]) -> Callable[..., None]:
    def start_in_callers_context(self: threading.Thread) -> None:
        """Start the thread; its ``run()`` runs in a copy of the caller's context."""
        context = contextvars.copy_context()
        own_run = self.__dict__.get("run")
        run = self.run

        def run_in_context() -> None:
            try:
                context.run(run)
            finally:  # the thread object may outlive its run: let the context go
                _restore(self, own_run)

        self.run = run_in_context  # type: ignore[method-assign]
        try:
            start(self)
        except BaseException:
            _restore(self, own_run)
            raise

    setattr(start_in_callers_context, _MARK, True)
    return start_in_callers_context


def _submit_in_callers_context(
    submit: Callable[..., Future[Any]],
) -> Callable[..., Future[Any]]:
    def submit_in_callers_context(
        self: ThreadPoolExecutor, fn: Callable[..., _T], /, *args: Any, **kwargs: Any
    ) -> Future[_T]:
        """Submit *fn*, to run in a copy of the submitter's context."""
        return submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    setattr(submit_in_callers_context, _MARK, True)
    return submit_in_callers_context


def inherit_context() -> None:
    """Make threads and executor calls inherit their starter's context (idempotent).

    ``Thread.start`` is left alone where ``sys.flags.thread_inherit_context`` already
    does this (Python 3.14 and later, free-threaded builds by default).
    """
    if not getattr(sys.flags, "thread_inherit_context", False) and not getattr(
        threading.Thread.start, _MARK, False
    ):
        threading.Thread.start = _start_in_callers_context(  # type: ignore[method-assign]
            threading.Thread.start
        )
    if not getattr(ThreadPoolExecutor.submit, _MARK, False):
        ThreadPoolExecutor.submit = _submit_in_callers_context(  # type: ignore[method-assign]
            ThreadPoolExecutor.submit
        )
