"""Instructions per task of a real solo worker, per logging set-up, counted by callgrind.

    uv run --group bench python benchmarks/worker_instructions.py [--tasks 100 400]
        [--only celery_floor,logkit]

What ``throughput.py`` measures in tasks/s, counted where the machine's load cannot move
it: for each of its set-ups, a ``celery -A throughput_app worker -P solo`` runs under
``valgrind --tool=callgrind`` (which must be installed) on a queue pre-filled with N
tasks (Redis 127.0.0.1:6379, db 14), until the last task has run; it is then stopped.
Done for two N, the difference of the totals divided by the difference of the N is
one task's instructions, the worker's start-up and shut-down left out.  Up to one
worker per CPU runs at a time; a run of the five set-ups takes about ten minutes.

The table gives each set-up's instructions per task, celery ``-l INFO``'s count over
it (the speed ratio, as tasks/s gives it), and what it adds to celery ``-l WARNING``,
which writes no line.  Instructions leave out the time spent in system calls (the
writes) and waiting for Redis.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
from celery import Celery
from throughput import (
    BASELINE,
    BROKER_URL,
    SETUPS,
    Setup,
    cleanup,
    fill,
    start_worker,
    stop,
    worker_command,
    worker_env,
)

TARGET = 1.05
"""The throughput target: tasks/s at least 1.05 times celery ``-l INFO``'s."""


def instructions(out: Path) -> int:
    """Return the total instructions in callgrind's output file *out*."""
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {out}")


def run_one(setup: Setup, tasks: int, prefix: str, workdir: Path, timeout: float) -> int:
    """Return the instructions of a worker of *setup* that runs *tasks* tasks."""
    client = redis.Redis.from_url(BROKER_URL)
    producer_app = Celery("instructions_producer", broker=BROKER_URL, set_as_current=False)
    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    fill(producer_app, queue, tasks)
    env = {**worker_env(setup, queue, tasks), "PYTHONHASHSEED": "0"}
    out = workdir / f"{queue}.callgrind"
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    worker = start_worker(
        valgrind + worker_command(setup, queue, "solo"), env, workdir / f"{queue}.log"
    )
    try:
        deadline = time.monotonic() + timeout
        while client.get(f"{queue}:end") is None:
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{setup.app_setup} -l {setup.level}: {tasks} tasks not run")
            time.sleep(0.2)
    finally:
        stop(worker, timeout=120)
        client.delete(queue, f"{queue}:count", f"{queue}:start", f"{queue}:end")
    return instructions(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, nargs=2, default=[100, 400], metavar="N")
    parser.add_argument("--only", help="comma-separated set-ups (throughput_app's names)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per worker")
    options = parser.parse_args()
    low, high = sorted(options.tasks)
    if low < 2 or high == low:
        parser.error("need two different --tasks, each >= 2")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: this benchmark counts with callgrind", file=sys.stderr)
        return 2
    wanted = set(options.only.split(",")) if options.only else None
    setups = [s for i, s in enumerate(SETUPS) if wanted is None or s.app_setup in wanted
              or i in (0, BASELINE)]  # fmt: skip
    redis.Redis.from_url(BROKER_URL).ping()
    prefix = f"logkit-ir-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, contextlib.ExitStack() as stack:
        stack.callback(cleanup, redis.Redis.from_url(BROKER_URL), prefix)
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=os.cpu_count() or 1))
        runs = {
            (setup, n): pool.submit(run_one, setup, n, prefix, Path(tmp), options.timeout)
            for setup in setups
            for n in (low, high)
        }
        per_task = {s: round((runs[s, high].result() - runs[s, low].result()) / (high - low))
                    for s in setups}  # fmt: skip
    quiet, baseline = per_task[SETUPS[0]], per_task[SETUPS[BASELINE]]
    times = "\N{MULTIPLICATION SIGN}"
    print(f"# Instructions per task, solo worker, callgrind ({high} - {low} tasks)\n")
    print(f"| set-up | instructions/task | {times} celery -l INFO (speed) | added to -l WARNING |")
    print("|---|---|---|---|")
    for setup in setups:
        count = per_task[setup]
        print(f"| {setup.label} | {count:,.0f} | {baseline / count:.3f} | {count - quiet:,.0f} |")
    allowed = round(baseline / TARGET)
    print(
        f"\n{TARGET}{times} celery `-l INFO` allows {allowed:,.0f} instructions a task: "
        f"{allowed - quiet:,.0f} on top of celery `-l WARNING`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
