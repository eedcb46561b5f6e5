"""The cost of one log line inside a running task, against the anchors, in one run.

    uv run --group bench python benchmarks/per_line.py [--lines 20000] [--rounds 7]

Every set-up logs ``"charged card"`` with an ``amount`` field from inside a task body
(``task.apply()``: celery's tracer pushes the task and sends ``task_prerun``, so each
set-up finds the task as it would in a worker), through a ``StreamHandler`` on
/dev/null that flushes per line as a worker's stderr handler does.  Each set-up's
line names the task's id and name (the JSON anchors get them from a ``logging.Filter``
reading celery's current task, the usual recipe).  Rounds are interleaved; the table
gives each set-up's median µs per line and its ratio to celery's text task logger.

A second table gives the cost of a disabled call (``debug()`` at INFO).

``--count-only NAME --lines N`` runs just the set-up NAME for N lines (after 200 of
warm-up) and prints nothing: run it under ``valgrind --tool=callgrind`` for two N and
divide the difference of the totals to count one line's instructions.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import celery
import orjson
import structlog
from anchors import django_structlog_processors
from celery import Celery
from celery._state import get_current_task
from celery.app.log import TaskFormatter
from celery.utils.log import get_task_logger as celery_get_task_logger
from ecs_logging import StdlibFormatter
from pythonjsonlogger.json import JsonFormatter as PjlJsonFormatter
from pythonjsonlogger.orjson import OrjsonFormatter

import celery_logkit
from celery_logkit import JsonFormatter, get_task_logger
from celery_logkit._handlers import LineHandler

CELERY_TASK_FORMAT = (
    "[%(asctime)s: %(levelname)s/%(processName)s] %(task_name)s[%(task_id)s]: %(message)s"
)
"""celery's default ``worker_task_log_format``."""

app = Celery("bench", broker="memory://", set_as_current=True)
app.conf.task_always_eager = False
celery_logkit.install(app, format="json")

Loop = Callable[[int], None]


class CeleryTaskFields(logging.Filter):
    """The usual recipe for JSON formatters: copy the current task's id and name."""

    def filter(self, record: logging.LogRecord) -> bool:
        task = get_current_task()
        if task is not None and task.request.id is not None:
            record.task_id = task.request.id
            record.task_name = task.name
        return True


def stream() -> io.TextIOWrapper:
    return open(os.devnull, "w")


def attach(name: str, handler: logging.Handler, *, task_logger: bool = True) -> logging.Logger:
    """Return a fresh logger *name* writing only through *handler*, at INFO."""
    logger = celery_get_task_logger(name) if task_logger else logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def stdlib_floor() -> Loop:
    handler = logging.StreamHandler(stream())
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = attach("bench.floor", handler, task_logger=False)
    return lambda i: logger.info("charged card", extra={"amount": i})


def celery_text() -> Loop:
    handler = logging.StreamHandler(stream())
    handler.setFormatter(TaskFormatter(CELERY_TASK_FORMAT))
    logger = attach("bench.celery_text", handler)
    return lambda i: logger.info("charged card", extra={"amount": i})


def pjl(formatter: logging.Formatter, name: str) -> Loop:
    handler = logging.StreamHandler(stream())
    handler.setFormatter(formatter)
    handler.addFilter(CeleryTaskFields())
    logger = attach(name, handler)
    return lambda i: logger.info("charged card", extra={"amount": i})


def pjl_json() -> Loop:
    fmt = "%(asctime)s %(levelname)s %(name)s %(message)s"
    return pjl(PjlJsonFormatter(fmt), "bench.pjl_json")


def pjl_orjson() -> Loop:
    fmt = "%(asctime)s %(levelname)s %(name)s %(message)s"
    return pjl(OrjsonFormatter(fmt), "bench.pjl_orjson")


def ecs() -> Loop:
    return pjl(StdlibFormatter(), "bench.ecs_logging")


def structlog_stdlib() -> Loop:
    """django-structlog's documented set-up: structlog -> stdlib -> ProcessorFormatter JSON."""
    handler = logging.StreamHandler(stream())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(processor=structlog.processors.JSONRenderer())
    )
    attach("bench.structlog_stdlib", handler, task_logger=False)
    logger = structlog.wrap_logger(
        logging.getLogger("bench.structlog_stdlib"),
        processors=django_structlog_processors(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return lambda i: logger.info("charged card", amount=i)


def structlog_native() -> Loop:
    logger = structlog.wrap_logger(
        structlog.BytesLogger(open(os.devnull, "wb")),  # noqa: SIM115
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
    return lambda i: logger.info("charged card", amount=i)


def logkit(schema: str, style: str, *, line_handler: bool = False) -> Callable[[], Loop]:
    def build() -> Loop:
        sink = stream()
        handler = LineHandler(sink) if line_handler else logging.StreamHandler(sink)
        handler.setFormatter(JsonFormatter(schema=schema))
        name = f"bench.logkit.{schema}.{style}.{int(line_handler)}"
        if style == "plain stdlib logger":
            logger: Any = attach(name, handler, task_logger=False)
        else:
            logger = get_task_logger(name)  # made first, as in a tasks module
            attach(name, handler)
        if style == "positional args":
            return lambda i: logger.info("charged card %s", i)
        if style == "keyword fields":
            return lambda i: logger.info("charged card", amount=i)
        return lambda i: logger.info("charged card", extra={"amount": i})

    return build


SETUPS: dict[str, Callable[[], Loop]] = {
    "stdlib `%(message)s` (floor)": stdlib_floor,
    "celery get_task_logger + TaskFormatter text": celery_text,
    "python-json-logger JsonFormatter (json)": pjl_json,
    "python-json-logger OrjsonFormatter": pjl_orjson,
    "ecs-logging StdlibFormatter": ecs,
    "structlog -> stdlib -> ProcessorFormatter JSON": structlog_stdlib,
    "structlog native, JSONRenderer(orjson) + BytesLogger": structlog_native,
}
for _schema in ("default", "ecs", "datadog"):
    for _style in ("extra=", "positional args", "keyword fields", "plain stdlib logger"):
        SETUPS[f"**logkit** {_schema}: {_style}"] = logkit(_schema, _style)
SETUPS["**logkit** default: extra=, LineHandler"] = logkit("default", "extra=", line_handler=True)

BASELINE = "celery get_task_logger + TaskFormatter text"
BINDS_TASK = {n for n in SETUPS if n.startswith("structlog")}
"""Set-ups that get the task's id and name bound as structlog's Celery recipe does."""


@app.task(bind=True)
def run_in_task(self: Any, name: str, lines: int) -> float:
    loop = LOOPS[name]
    if name in BINDS_TASK:
        structlog.contextvars.bind_contextvars(task_id=self.request.id, task_name=self.name)
    started = time.perf_counter()
    for i in range(lines):
        loop(i)
    elapsed = time.perf_counter() - started
    structlog.contextvars.clear_contextvars()
    return elapsed / lines * 1e6


LOOPS: dict[str, Loop] = {}


def disabled_calls(lines: int, rounds: int) -> dict[str, float]:
    """µs per ``debug()`` call on an INFO logger: stdlib, logkit's, a bound logkit one."""
    plain = attach("bench.disabled.stdlib", logging.NullHandler(), task_logger=False)
    ours = get_task_logger("bench.disabled.logkit")
    attach("bench.disabled.logkit", logging.NullHandler())
    bound = ours.bind(order_id=7)
    calls: dict[str, Callable[[], None]] = {
        "stdlib logger.debug()": lambda: plain.debug("charged card %s", 1),
        "logkit get_task_logger().debug()": lambda: ours.debug("charged card %s", 1),
        "logkit .debug() with a keyword field": lambda: ours.debug("charged card", amount=1),
        "logkit bound logger .debug()": lambda: bound.debug("charged card", amount=1),
    }
    results: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            for _ in range(lines):
                call()
            results[name].append((time.perf_counter() - started) / lines * 1e6)
    return {name: statistics.median(values) for name, values in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20_000, help="lines per round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--only", help="run only set-ups whose name contains this")
    parser.add_argument("--count-only", metavar="NAME", help="run set-up NAME alone, silently")
    options = parser.parse_args()
    if options.count_only is not None:
        if options.count_only not in SETUPS:
            parser.error(f"--count-only: no set-up {options.count_only!r}")
        LOOPS[options.count_only] = SETUPS[options.count_only]()
        run_in_task.apply(args=(options.count_only, 200))
        run_in_task.apply(args=(options.count_only, options.lines))
        return 0
    names = [n for n in SETUPS if not options.only or options.only in n or n == BASELINE]
    LOOPS.update({name: SETUPS[name]() for name in names})
    results: dict[str, list[float]] = {name: [] for name in names}
    run_in_task.apply(args=(BASELINE, 1000))  # warm up
    for _ in range(options.rounds):
        for name in names:
            results[name].append(run_in_task.apply(args=(name, options.lines)).get())
    base = statistics.median(results[BASELINE])
    print(
        f"celery {celery.__version__}, structlog {structlog.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d')}; median of {options.rounds} interleaved rounds of "
        f"{options.lines:,} lines\n"
    )
    print("| set-up | µs/line | ratio to celery text |\n|---|---|---|")
    for name in names:
        median = statistics.median(results[name])
        print(f"| {name} | {median:.2f} | {median / base:.2f} |")
    disabled = disabled_calls(options.lines * 5, options.rounds)
    floor = disabled["stdlib logger.debug()"]
    print("\n| disabled call (debug at INFO) | µs/call | ratio to stdlib |\n|---|---|---|")
    for name, value in disabled.items():
        print(f"| {name} | {value:.3f} | {value / floor:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
