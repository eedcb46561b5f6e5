"""What a lifecycle record and a task-start notice cost a worker, by the ways there are.

    uv run python benchmarks/budget.py                  # µs per piece, median of 7 rounds
    uv run python benchmarks/budget.py --only handle --count 12000   # one piece, for callgrind

The worker-throughput target asks a worker with logkit's default lifecycle events to run at
1.05 times celery's ``-l INFO``, which leaves a small budget per task (docs/benchmarks.md,
"Worker throughput").  These are the pieces any implementation builds from:

- ``record``: ``logger.info(...)`` with an ``extra=`` field on a stdlib logger, from the call
  to a handler whose ``emit`` does nothing (no formatting, no write);
- ``logkit_record``: the same through logkit's drop-in logger;
- ``handle``: a ``LogRecord`` made directly and given to ``Logger.handle`` (no caller
  lookup): still a record through the app's handlers;
- ``signal``: one ``send`` of a celery task signal to one receiver that does nothing (what
  celery's tracer pays per signal once anything is connected to it);
- ``hook``: one call of a task method such as ``before_start``, which celery's tracer calls
  instead when a task class defines it.

``--only NAME --count N`` runs just that piece N times and prints nothing: run it under
``valgrind --tool=callgrind`` with two counts and divide the difference of the totals.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from celery import signals

import celery_logkit


class _Discard(logging.Handler):
    """A handler that receives every record and does nothing with it."""

    def emit(self, record: logging.LogRecord) -> None:
        pass


def _nothing(**_: Any) -> None:
    pass


def _discarding(logger: logging.Logger) -> logging.Logger:
    """Return *logger* at INFO, writing only to a handler that does nothing."""
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(_Discard())
    return logger


def _info_loop(logger: logging.Logger) -> Callable[[int], None]:
    def loop(count: int) -> None:
        for i in range(count):
            logger.info("charged card", extra={"amount": i})

    return loop


def record_loop() -> Callable[[int], None]:
    return _info_loop(_discarding(logging.getLogger("budget.record")))


def logkit_record_loop() -> Callable[[int], None]:
    return _info_loop(_discarding(celery_logkit.get_logger("budget.logkit")))


def handle_loop() -> Callable[[int], None]:
    logger = _discarding(logging.getLogger("budget.handle"))
    make = logging.LogRecord

    def loop(count: int) -> None:
        for i in range(count):
            record = make("budget.handle", logging.INFO, __file__, 1, "charged card", None, None)
            record.amount = i
            logger.handle(record)

    return loop


class _Task:
    def before_start(self, task_id: str, args: Any, kwargs: Any) -> None:
        pass


def hook_loop() -> Callable[[int], None]:
    hook = _Task().before_start

    def loop(count: int) -> None:
        for _ in range(count):
            hook("t", (), {})

    return loop


def signal_loop() -> Callable[[int], None]:
    signals.task_prerun.connect(_nothing, weak=False, dispatch_uid="budget")

    def loop(count: int) -> None:
        send = signals.task_prerun.send
        for _ in range(count):
            send(sender=None, task_id="t", task=None, args=(), kwargs={})

    return loop


PIECES = {
    "record": record_loop,
    "logkit_record": logkit_record_loop,
    "handle": handle_loop,
    "signal": signal_loop,
    "hook": hook_loop,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(PIECES), help="run one piece, print nothing")
    parser.add_argument("--count", type=int, default=100_000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    if options.only:
        PIECES[options.only]()(options.count)
        return 0
    print("| piece | µs per call |\n|---|---|")
    for name, make in PIECES.items():
        loop = make()
        rounds = []
        for _ in range(options.rounds):
            started = time.perf_counter()
            loop(options.count)
            rounds.append((time.perf_counter() - started) / options.count * 1e6)
        print(f"| {name} | {statistics.median(rounds):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
