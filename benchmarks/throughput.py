"""Worker throughput: tasks per second of a real worker on Redis, per logging set-up.

    uv run --group bench python benchmarks/throughput.py [--tasks 3000] [--rounds 3]
        [--pool solo|prefork|both] [--concurrency 2]

Each run pre-fills its own queue (Redis 127.0.0.1:6379, db 14) with N tasks from a
plain producer (no logkit, no django-structlog: the producer side costs nothing), then
starts ``celery -A throughput_app worker`` (see ``throughput_app.py``) on that queue.
Every task logs one line, ``"charged card"`` with an ``amount`` field, and counts itself
with a Redis ``INCR``: the task counting 1 records its start time, the one counting N
its end time, so the rate ``(N - 1) / (end - start)`` excludes the worker's start-up and
shut-down and the bookkeeping is the same in every set-up.  The worker's CPU time (user +
system, its prefork children included, read from ``/proc``) between the first task's
start and the last one's end gives CPU µs per task: on a shared machine it varies less
than the rate, which also waits on Redis.  The worker is then stopped
(killed after a timeout).  Its stdout and stderr go to a file in a temporary directory:
the table gives its lines per task (start-up lines included) and, for the JSON set-ups,
any line that is not a JSON object is counted below the table.

The set-ups, run in interleaved rounds (round 1: every set-up, round 2: ...):

1. celery ``-l WARNING``: no lifecycle lines, celery's ``get_task_logger``, no logkit;
2. celery ``-l INFO``: celery's default text (received + the task's line + succeeded);
3. the floor: celery ``-l INFO`` writing each of those lines as its message alone, the
   least three lines cost through stdlib logging;
4. django-structlog 11's JSON set-up (``throughput_app.py`` describes it), ``-l INFO``;
5. celery-logkit: ``install(app)`` with its defaults, ``-l INFO`` (JSON: stderr is a file).

``--pool solo`` (the default; ``-P solo``), ``--pool prefork`` (``--concurrency``, 2 by
default; giving ``--concurrency 2`` alone selects prefork) or ``--pool both``: one table
per pool, the median of the rounds and its ratio to celery ``-l INFO``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis
from celery import Celery

HERE = Path(__file__).resolve().parent
BROKER_URL = "redis://127.0.0.1:6379/14"


@dataclass(frozen=True)
class Setup:
    label: str
    app_setup: str
    level: str
    json_lines: bool


SETUPS = [
    Setup("celery `-l WARNING` (no lifecycle lines), no logkit", "celery", "WARNING", False),
    Setup("celery `-l INFO` default text, no logkit", "celery", "INFO", False),
    Setup("celery `-l INFO`, `%(message)s` only (the floor), no logkit",
          "celery_floor", "INFO", False),
    Setup("django-structlog JSON (structlog → stdlib → ProcessorFormatter)",
          "django_structlog", "INFO", True),
    Setup("celery-logkit `install(app)` defaults", "logkit", "INFO", True),
]  # fmt: skip
BASELINE = 1
"""The set-up the ratios are to: celery ``-l INFO``."""


@dataclass
class Result:
    rate: float
    cpu_us: float
    lines: int
    not_json: int
    not_json_sample: str


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def fill(producer_app: Celery, queue: str, tasks: int) -> None:
    with producer_app.producer_or_acquire() as producer:
        for i in range(tasks):
            producer_app.send_task(
                "throughput_app.charge", args=(i,), queue=queue, producer=producer
            )


def stop(worker: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Warm shutdown, then kill the worker's process group if it lingers past *timeout*."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    # prefork children left behind by a killed parent share its process group
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of group *pgid* (Linux)."""
    ticks = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return float("nan")
    for name in entries:
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def count_lines(log: Path, check_json: bool) -> tuple[int, int, str]:
    lines = not_json = 0
    sample = ""
    with log.open("rb") as stream:
        for raw in stream:
            lines += 1
            if not check_json:
                continue
            try:
                ok = isinstance(json.loads(raw), dict)
            except ValueError:
                ok = False
            if not ok:
                not_json += 1
                if not sample and raw.strip():
                    sample = raw.decode(errors="replace").strip()[:80]
    return lines, not_json, sample


def worker_env(setup: Setup, queue: str, tasks: int) -> dict[str, str]:
    """Return the environment ``throughput_app`` reads: its set-up, queue and task count."""
    return {
        **os.environ,
        "PYTHONPATH": str(HERE),
        "BENCH_SETUP": setup.app_setup,
        "BENCH_BROKER_URL": BROKER_URL,
        "BENCH_QUEUE": queue,
        "BENCH_RUN_KEY": queue,
        "BENCH_TASKS": str(tasks),
    }


def worker_command(setup: Setup, queue: str, pool: str) -> list[str]:
    """Return the ``celery worker`` command line for *setup* on *queue*."""
    return [
        sys.executable, "-m", "celery", "-A", "throughput_app", "worker",
        "-P", pool, "-l", setup.level, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip


def start_worker(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start *command* in its own process group, its stdout and stderr to *log*."""
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=HERE, env=env, stdout=out, stderr=out,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip


def run_one(
    setup: Setup,
    *,
    pool: str,
    concurrency: int,
    tasks: int,
    prefix: str,
    tag: str,
    workdir: Path,
    client: redis.Redis,
    producer_app: Celery,
    timeout: float,
) -> Result:
    queue = f"{prefix}-{tag}"
    client.delete(f"{queue}:count", f"{queue}:start", f"{queue}:end")
    fill(producer_app, queue, tasks)
    command = worker_command(setup, queue, pool)
    if pool != "solo":
        command += ["-c", str(concurrency)]
    log = workdir / f"{queue}.log"
    worker = start_worker(command, worker_env(setup, queue, tasks), log)
    cpu_start = cpu_end = float("nan")
    try:
        deadline = time.monotonic() + timeout
        while client.get(f"{queue}:start") is None:
            if worker.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        cpu_start = group_cpu(worker.pid)  # the worker's start-up excluded
        while client.get(f"{queue}:end") is None:
            if worker.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        cpu_end = group_cpu(worker.pid)
    finally:
        stop(worker)
    start, end = client.get(f"{queue}:start"), client.get(f"{queue}:end")
    rate = float("nan")
    if start is not None and end is not None:
        rate = (tasks - 1) / (float(end) - float(start))
    else:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        print(f"\n!! {setup.label} ({tag}) did not finish; log tail:", *tail, sep="\n  ")
    lines, not_json, sample = count_lines(log, setup.json_lines)
    client.delete(
        queue,
        f"_kombu.binding.{queue}",
        f"_kombu.binding_permanent.{queue}",
        f"{queue}:count",
        f"{queue}:start",
        f"{queue}:end",
    )
    return Result(rate, (cpu_end - cpu_start) / (tasks - 1) * 1e6, lines, not_json, sample)


def cleanup(client: redis.Redis, prefix: str) -> None:
    for pattern in (f"{prefix}*", f"_kombu.binding*.{prefix}*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


def table(pool_label: str, results: list[list[Result]], tasks: int) -> None:
    print(f"\n### {pool_label}\n")
    times = "\N{MULTIPLICATION SIGN}"
    print(
        f"| set-up | tasks/s | {times} celery -l INFO | worker CPU µs/task "
        f"| {times} celery -l INFO, by CPU | lines/task |"
    )
    print("|---|---|---|---|---|---|")
    medians = [statistics.median(r.rate for r in runs) for runs in results]
    cpus = [statistics.median(r.cpu_us for r in runs) for runs in results]
    for setup, runs, median, cpu in zip(SETUPS, results, medians, cpus, strict=True):
        lines = statistics.median(r.lines for r in runs) / tasks
        ratio = median / medians[BASELINE]
        print(
            f"| {setup.label} | {median:,.0f} | {ratio:.2f} | {cpu:,.0f} "
            f"| {cpus[BASELINE] / cpu:.2f} | {lines:.2f} |"
        )
    print("\nEach round's tasks/s (worker CPU µs per task), in set-up order:")
    for index in range(len(results[0])):
        cells = (f"{runs[index].rate:,.0f} ({runs[index].cpu_us:,.0f} µs)" for runs in results)
        print(f"- round {index + 1}: " + ", ".join(cells))
    for setup, runs in zip(SETUPS, results, strict=True):
        if not setup.json_lines:
            continue
        bad = max(r.not_json for r in runs)
        sample = next((r.not_json_sample for r in runs if r.not_json_sample), "")
        note = f" (e.g. {sample!r})" if sample else ""
        print(f"- {setup.label}: lines that are not a JSON object, per run: up to {bad}{note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pool", choices=["solo", "prefork", "both"], default=None)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds before a worker is killed (default: 30 + N/50)")  # fmt: skip
    parser.add_argument("--keep-logs", type=Path, default=None, metavar="DIR",
                        help="write the workers' output files to DIR and keep them")  # fmt: skip
    options = parser.parse_args()
    if options.tasks < 2 or options.rounds < 1:
        parser.error("need --tasks >= 2 and --rounds >= 1")
    concurrency = options.concurrency or 2
    pool = options.pool or ("prefork" if (options.concurrency or 1) > 1 else "solo")
    pools = ["solo", "prefork"] if pool == "both" else [pool]
    timeout = options.timeout or 30 + options.tasks / 50

    client = redis.Redis.from_url(BROKER_URL)
    client.ping()
    producer_app = Celery("throughput_producer", broker=BROKER_URL, set_as_current=False)
    prefix = f"logkit-tp-{uuid.uuid4().hex[:8]}"

    print("# Worker throughput: one log line per task, real worker on Redis\n")
    print(f"- celery {version('celery')}, kombu {version('kombu')}, redis-py {version('redis')}, "
          f"structlog {version('structlog')}, django-structlog {version('django-structlog')}, "
          f"Django {version('django')}, celery-logkit {version('celery-logkit')}")  # fmt: skip
    print(f"- Python {platform.python_version()} ({platform.python_implementation()}), "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}")  # fmt: skip
    print(f"- {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; "
          f"N = {options.tasks:,} tasks a run, {options.rounds} interleaved rounds, "
          "median; Redis 127.0.0.1:6379 db 14; worker output to a file")  # fmt: skip
    try:
        with contextlib.ExitStack() as stack:
            if options.keep_logs is not None:
                options.keep_logs.mkdir(parents=True, exist_ok=True)
                workdir = options.keep_logs
            else:
                workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
            for pool_name in pools:
                label = "`-P solo`" if pool_name == "solo" else f"`-P prefork -c {concurrency}`"
                results: list[list[Result]] = [[] for _ in SETUPS]
                for round_ in range(options.rounds):
                    for index, setup in enumerate(SETUPS):
                        step = f"{pool_name} round {round_ + 1}: {setup.app_setup} -l {setup.level}"
                        print(f"  {step} ...", end="", flush=True, file=sys.stderr)
                        result = run_one(
                            setup,
                            pool=pool_name,
                            concurrency=concurrency,
                            tasks=options.tasks,
                            prefix=prefix,
                            tag=f"{pool_name}-r{round_}-s{index}",
                            workdir=workdir,
                            client=client,
                            producer_app=producer_app,
                            timeout=timeout,
                        )
                        print(f" {result.rate:,.0f} tasks/s", file=sys.stderr)
                        results[index].append(result)
                table(label, results, options.tasks)
    finally:
        cleanup(client, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
