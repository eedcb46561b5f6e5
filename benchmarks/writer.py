"""The cost of whole-line writes for small lines: LineHandler against stdlib's StreamHandler.

    uv run python benchmarks/writer.py [--lines 200000] [--rounds 5]

Both write the same pre-formatted 300-byte line to a pipe drained by another process
(as a worker's stderr under Docker is), flushing per line as celery's handler does.
Prints the median microseconds per line of interleaved rounds and the ratio.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import time

from celery_logkit._handlers import LineHandler

LINE = "x" * 299


class Fixed(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return LINE


def per_line(handler: logging.Handler, lines: int) -> float:
    record = logging.LogRecord("bench", logging.INFO, __file__, 1, "m", (), None)
    started = time.perf_counter()
    for _ in range(lines):
        handler.handle(record)
    return (time.perf_counter() - started) / lines * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    drain = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert drain.stdin is not None
    stream = os.fdopen(drain.stdin.fileno(), "w", closefd=False)
    handlers = {
        "stdlib StreamHandler": logging.StreamHandler(stream),
        "LineHandler": LineHandler(stream),
    }
    for handler in handlers.values():
        handler.setFormatter(Fixed())
    results: dict[str, list[float]] = {name: [] for name in handlers}
    for _ in range(options.rounds):
        for name, handler in handlers.items():
            results[name].append(per_line(handler, options.lines))
    drain.stdin.close()
    drain.wait()
    base = statistics.median(results["stdlib StreamHandler"])
    print("| writer, 300-byte lines to a pipe | µs/line (median) | ratio to StreamHandler |")
    print("|---|---|---|")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {median / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
