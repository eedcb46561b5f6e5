"""The cost of one line after many distinct key names were bound and unbound.

    uv run python benchmarks/bound_history.py [--history 0,1000,20000] [--lines 3000]

For each history size N, a fresh thread binds and unbinds N distinct key names with
structlog's own functions (as a worker does when each task binds a differently named
key, and as django-structlog binds), binds one ``order_id``, then logs ``--lines``
lines through logkit's JSON formatter on a ``StreamHandler`` writing to memory.  It
prints the first line's cost (the one line that reads the changed context, since
structlog was called directly) and the median µs per line of the rest, with structlog's
``merge_contextvars`` chain beside it for comparison.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import threading
import time

import structlog

import celery_logkit


def _timed(write: logging.Logger | structlog.BoundLogger, lines: int) -> tuple[float, float]:
    """Return the first line's µs and the median µs per line of the others."""
    costs = []
    for _ in range(lines):
        start = time.perf_counter()
        write.info("charged card")
        costs.append((time.perf_counter() - start) * 1e6)
    return costs[0], statistics.median(costs[1:])


def _run(history: int, lines: int) -> tuple[float, float, float]:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(celery_logkit.JsonFormatter())
    log = logging.getLogger(f"bench.history{history}")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    chain = structlog.wrap_logger(
        structlog.PrintLogger(io.StringIO()),
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.JSONRenderer()],
    )
    result: list[float] = []

    def body() -> None:
        for i in range(history):
            structlog.contextvars.bind_contextvars(**{f"key_{history}_{i}": i})
            structlog.contextvars.unbind_contextvars(f"key_{history}_{i}")
        structlog.contextvars.bind_contextvars(order_id=7)
        result.extend(_timed(log, lines))
        result.append(_timed(chain, min(lines, 300))[1])

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    first, median, structlog_median = result
    return first, median, structlog_median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", default="0,1000,20000")
    parser.add_argument("--lines", type=int, default=3000)
    args = parser.parse_args()
    heads = ("names bound+unbound", "first line µs", "µs/line", "structlog µs/line")
    print(f"{heads[0]:>20} {heads[1]:>14} {heads[2]:>9} {heads[3]:>18}")
    for history in (int(n) for n in args.history.split(",")):
        first, median, theirs = _run(history, args.lines)
        print(f"{history:>20,} {first:>14.1f} {median:>9.1f} {theirs:>18.1f}")


if __name__ == "__main__":
    main()
