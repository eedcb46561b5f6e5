"""The Celery app the real-worker tests run: configured from the environment.

``LOGKIT_BROKER_URL``, ``LOGKIT_BROKER_OPTIONS`` (JSON), ``LOGKIT_QUEUE`` and
``LOGKIT_RENDEZVOUS_DIR`` are set by :mod:`tests.integration.harness`.  They are taken
out of the environment here, so that the worker does not report them as unknown
celery-logkit variables; the ``LOGKIT_<OPTION>`` ones stay for logkit to read.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import random
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from celery import Celery, Task
from celery.exceptions import Ignore, Reject

import celery_logkit

HARNESS = {
    name: os.environ.pop(name, default)
    for name, default in {
        "LOGKIT_BROKER_URL": "memory://",
        "LOGKIT_BROKER_OPTIONS": "{}",
        "LOGKIT_QUEUE": "celery",
        "LOGKIT_RESULT_BACKEND": "",
        "LOGKIT_RENDEZVOUS_DIR": "",
        "LOGKIT_SETTINGS": "{}",
        "LOGKIT_INSTALL_OPTIONS": "{}",
        "LOGKIT_OTEL_SPANS": "",
        "LOGKIT_OTEL_FIRST": "",
        "LOGKIT_DDTRACE": "",
        "LOGKIT_SIDE_FILES": "",
    }.items()
}

if HARNESS["LOGKIT_DDTRACE"]:
    import ddtrace

    ddtrace.patch(celery=True, logging=True)  # as ddtrace documents: first, before install()

app = Celery("worker_app")
app.conf.update(
    broker_url=HARNESS["LOGKIT_BROKER_URL"],
    broker_transport_options=json.loads(HARNESS["LOGKIT_BROKER_OPTIONS"]),
    broker_connection_retry_on_startup=True,
    task_default_queue=HARNESS["LOGKIT_QUEUE"],
    result_backend=HARNESS["LOGKIT_RESULT_BACKEND"] or None,
    worker_prefetch_multiplier=1,
    worker_lost_wait=2,
)
app.conf.update(json.loads(HARNESS["LOGKIT_SETTINGS"]))


def _instrument(**_: object) -> None:
    """OpenTelemetry with opentelemetry-instrumentation-celery; spans to a file."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        SimpleSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class ToFile(SpanExporter):
        def export(self, spans):  # type: ignore[no-untyped-def]
            with open(HARNESS["LOGKIT_OTEL_SPANS"], "a") as file:
                for span in spans:
                    ids = {"name": span.name, "trace_id": f"{span.context.trace_id:032x}"}
                    file.write(json.dumps(ids) + "\n")
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ToFile()))
    trace.set_tracer_provider(provider)
    CeleryInstrumentor().instrument()


if HARNESS["LOGKIT_OTEL_SPANS"]:
    if HARNESS["LOGKIT_OTEL_FIRST"]:
        _instrument()  # its receivers connected before logkit's
    else:
        from celery.signals import worker_process_init

        worker_process_init.connect(_instrument, weak=False)  # after logkit's
celery_logkit.install(app, **json.loads(HARNESS["LOGKIT_INSTALL_OPTIONS"]))


def _side_handlers() -> list[logging.Handler]:
    """The app's own JSON files next to logkit's line: python-json-logger's and ecs-logging's."""
    import ecs_logging
    from pythonjsonlogger.json import JsonFormatter

    folder = Path(HARNESS["LOGKIT_SIDE_FILES"])
    handlers: list[logging.Handler] = []
    for name, formatter in (
        ("pjl.log", JsonFormatter()),
        ("ecs.log", ecs_logging.StdlibFormatter()),
    ):
        handler = logging.FileHandler(folder / name)
        handler.setFormatter(formatter)
        handlers.append(handler)
    return handlers


if HARNESS["LOGKIT_SIDE_FILES"]:
    from celery.signals import after_setup_logger, after_setup_task_logger

    _side = _side_handlers()

    def _add_side_files(logger: logging.Logger, **_: object) -> None:
        """The root logger's side files; ``celery.task`` (it does not propagate) too."""
        for handler in _side:
            logger.addHandler(handler)

    # Connected after logkit's receivers, as an app's own would be.
    after_setup_logger.connect(_add_side_files, weak=False)
    after_setup_task_logger.connect(_add_side_files, weak=False)

logger = celery_logkit.get_task_logger(__name__)
module_logger = logging.getLogger("worker_app.module")
third_party_logger = logging.getLogger("thirdparty.client")


@app.task
def log_styles(token: str) -> str:
    """Log one line in every calling style the docs promise."""
    logger.info("percent style %s %d", token, 7)
    logger.info("extra style", extra={"order_id": 7, "ref": token})
    logger.info("secret style", password="hunter2", card={"holder": "A", "cvv": "123"})
    logger.info("structured style", order_id=7, amount=9.5, name="a field named name")
    logger.bind(order_id=7).warning("bound style")
    try:
        raise KeyError("inner")
    except KeyError as inner:
        try:
            raise ValueError("outer") from inner
        except ValueError:
            logger.exception("exception style")
    logger.info("stack style", stack_info=True)
    module_logger.warning("stdlib module logger %s", token)
    third_party_logger.warning("third-party library line")
    print(f"print line {token}")
    return token


@app.task(bind=True, max_retries=3, default_retry_delay=0)
def retry_once(self, token: str) -> str:  # type: ignore[no-untyped-def]
    """Retry on the first attempt, succeed on the second."""
    logger.info("attempt %d", self.request.retries)
    if self.request.retries == 0:
        raise self.retry(exc=RuntimeError("first attempt fails"), countdown=0)
    return token


@app.task
def fail(token: str) -> None:
    """Raise an unexpected exception."""
    logger.info("about to fail %s", token)
    raise ZeroDivisionError(f"boom {token}")


def _rendezvous(group: str, size: int, me: str) -> None:
    folder = Path(HARNESS["LOGKIT_RENDEZVOUS_DIR"]) / group
    folder.mkdir(parents=True, exist_ok=True)
    (folder / me).touch()
    deadline = time.monotonic() + 30
    while len(list(folder.iterdir())) < size:
        if time.monotonic() > deadline:
            raise TimeoutError(f"rendezvous {group}: only {len(list(folder.iterdir()))}/{size}")
        time.sleep(0.005)


@app.task(bind=True)
def overlap(self, group: str, size: int, steps: int) -> str:  # type: ignore[no-untyped-def]
    """Wait until *size* tasks of *group* run at once, then log interleaved steps."""
    me = self.request.id
    _rendezvous(group, size, me)
    for step in range(steps):
        logger.info("step %d of %s", step, me)
        module_logger.info("module step %d of %s", step, me)
        time.sleep(0.002)
    return me


@app.task
def die() -> None:
    """Kill the pool process running this task, as the OOM killer would."""
    logger.warning("about to be killed")
    os.kill(os.getpid(), signal.SIGKILL)


@app.task(bind=True)
def add(self: Task, x: int, y: int) -> int:
    """Log celery's own view of the workflow ids, to compare with the line's."""
    logger.info(
        "adding",
        seen_root_id=self.request.root_id,
        seen_parent_id=self.request.parent_id,
        seen_group_id=self.request.group,
    )
    return x + y


@app.task
def tsum(values: list[int]) -> int:
    """A chord body."""
    logger.info("summing %d values", len(values))
    return sum(values)


@app.task(bind=True, max_retries=2, default_retry_delay=0)
def retry_twice(self: Task) -> str:
    """Retry twice, then succeed."""
    if self.request.retries < 2:
        raise self.retry(exc=ConnectionError(f"attempt {self.request.retries + 1} failed"))
    return "done"


@app.task(throws=(KeyError,))
def expected_failure() -> None:
    """Fail with an exception the task declares it throws."""
    raise KeyError("no such order")


@app.task(autoretry_for=(ConnectionError,), max_retries=1, default_retry_delay=0)
def autoretry() -> None:
    """Fail every attempt; autoretry once, then give up."""
    raise ConnectionError("still down")


@app.task(soft_time_limit=0.5)
def soft_limit() -> None:
    """Run into the soft time limit (SoftTimeLimitExceeded raised in the task)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.05)
    raise AssertionError("soft time limit never came")


@app.task(time_limit=1)
def hard_limit() -> None:
    """Run into the hard time limit: the pool process is killed."""
    time.sleep(30)


@app.task
def wait_to_be_revoked() -> None:
    """Sleep until terminated by a revoke."""
    logger.info("waiting to be revoked")
    time.sleep(60)


@app.task(bind=True)
def big_lines(self: Task, group: str, size: int, count: int, low: int, high: int) -> int:
    """Once *size* of these run at once, write *count* lines of low..high bytes each."""
    _rendezvous(group, size, self.request.id)
    rng = random.Random(self.request.id)
    for index in range(count):
        length = rng.randint(low, high)
        logger.info("big %d", index, length=length, payload="x" * length)
    return count


@app.task(bind=True)
def echo_id(self: Task, pause: float) -> str:
    """Log the task's own id twice, yielding in between (so tasks interleave)."""
    me = self.request.id
    logger.info("first of %s", me)
    time.sleep(pause)
    module_logger.info("second of %s", me)
    return me


@app.task
def slow(seconds: float) -> None:
    """Take a while (long enough to restart a broker under it)."""
    logger.info("slow task sleeping")
    time.sleep(seconds)


@app.task
def sign_in(user: str, password: str, remember: bool = False) -> dict[str, str]:
    """Take a secret argument and return a secret."""
    return {"user": user, "session": "s3cr3t-session"}


@app.task
def echo_kwargs(**kwargs: object) -> dict[str, object]:
    """Return the keyword arguments, secrets and all, with a value that is no literal."""
    return {**kwargs, "at": datetime.datetime(2024, 1, 1)}


class ApiError(Exception):
    """An exception whose ``__str__`` fails: it reads an attribute ``__init__`` never set."""

    def __str__(self) -> str:
        return f"API error {self.detail}"  # type: ignore[attr-defined]


@app.task(bind=True, max_retries=1, default_retry_delay=0)
def unprintable_failure(self: Task) -> None:
    """Retry once, then fail, each time with an exception whose ``__str__`` raises."""
    if self.request.retries == 0:
        raise self.retry(exc=ApiError(503))
    raise ApiError(500)


def _first_attempt(task_id: str) -> bool:
    """Return True the first time a task with *task_id* asks (across processes)."""
    folder = Path(HARNESS["LOGKIT_RENDEZVOUS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    try:
        (folder / f"attempted-{task_id}").touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


@app.task
def ignored() -> None:
    """Tell celery to record no state for this task, with the trace logger's level said."""
    logger.info(
        "trace logger at %s", logging.getLevelName(logging.getLogger("celery.app.trace").level)
    )
    raise Ignore("nothing to do")


@app.task(bind=True, acks_late=True)
def reject(self: Task, requeue: bool) -> str:
    """Reject the message: dropped, or requeued once and then run."""
    if not requeue:
        raise Reject("poison message", requeue=False)
    if _first_attempt(self.request.id):
        raise Reject(ConnectionError("not ready yet"), requeue=True)
    return "done"


@app.task(bind=True, acks_late=True, reject_on_worker_lost=True)
def die_once(self: Task) -> str:
    """Kill the pool process on the first attempt; the message goes back to the queue."""
    if _first_attempt(self.request.id):
        logger.warning("about to be killed")
        os.kill(os.getpid(), signal.SIGKILL)
    return "survived"


@app.task(acks_late=True)
def slow_acks_late(seconds: float) -> None:
    """Take a while, acknowledging the message only at the end."""
    logger.info("slow task sleeping")
    time.sleep(seconds)


_executor = ThreadPoolExecutor(max_workers=1)  # its thread is created once, reused by every task


@app.task(bind=True)
def fan_out(self: Task, token: str) -> None:
    """Log from a thread and from a shared executor's call, each naming this task."""
    celery_logkit.bind_contextvars(batch=token)
    thread = threading.Thread(target=logger.info, args=("thread of %s", self.request.id))
    thread.start()
    thread.join()
    _executor.submit(module_logger.info, "executor call of %s", self.request.id).result()


@app.task
def printing(token: str) -> None:
    """print() as scripts do: several arguments, a traceback, a line left unfinished."""
    print("charged", token, 7)
    try:
        raise ValueError(f"printed {token}")
    except ValueError:
        traceback.print_exc()
    sys.stdout.write(f"unfinished {token}")


@app.task
def chatty_until_killed(pidfile: str, count: int) -> None:
    """Write *pidfile*, then log *count* 12 kB lines (enough to fill a stalled pipe)."""
    Path(pidfile).write_text(str(os.getpid()))
    for number in range(count):
        logger.info("chatty %d", number, pad="f" * 12000)


@app.task
def bind_awkward(token: str) -> str:
    """Bind values no JSON encoder takes as they are, then log."""
    celery_logkit.bind_contextvars(request_id=token, err=ApiError(500), big=10**5000)
    logger.info("after binding", extra={"order_id": 7})
    return token


@app.task
def standard_fields() -> None:
    """Log fields that ECS and Datadog define, in their names, fitting and not."""
    logger.info(
        "paid",
        **{"user.id": "42", "client.ip": "10.0.0.1", "http.request.method": "POST"},
        **{"url.path": "/pay"},
        labels={"tenant": "acme"},
        tags=["vip"],
    )
    logger.info(
        "paid dd",
        **{"usr.id": "42", "network.client.ip": "10.0.0.1", "http.method": "POST"},
        ddtags="team:a",
        duration=1500,
    )
    logger.info("misfit", **{"client.ip": "not-an-ip"}, user="bob")
    logger.info("misfit dd", usr="bob", duration="slow")
    logger.info("stack style", stack_info=True)


@app.task
def charged(order_id: int) -> None:
    """Log a field from the task logger, and a line from a plain stdlib logger."""
    logger.info("charged", order_id=order_id)
    third_party_logger.info("plain charged", extra={"order_id": order_id})


@app.task(bind=True, max_retries=2)
def retry_later(self: Task, token: str) -> str:
    """Retry once after a one-second countdown, then succeed."""
    if self.request.retries == 0:
        raise self.retry(exc=ConnectionError(f"upstream {token} not ready"), countdown=1)
    return token
