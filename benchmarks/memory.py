"""Worker memory across many tasks: RSS after warm-up and at the end.

    uv run python benchmarks/memory.py [--tasks 100000] [--warmup 10000]

Starts a real ``celery worker -P solo -l INFO`` on Redis (127.0.0.1:6379, db 14) with
celery-logkit installed, sends the tasks (each logs one line, plus the default
lifecycle events), and reads the worker's RSS from /proc.  Prints a table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--warmup", type=int, default=10_000)
    options = parser.parse_args()
    queue = f"logkit-bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "BENCH_QUEUE": queue, "PYTHONPATH": str(HERE)}
    log = Path(f"/tmp/{queue}.log")
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench_app", "worker", "-P", "solo",
             "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=HERE, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    sys.path.insert(0, str(HERE))
    os.environ.update(env)
    import redis  # noqa: PLC0415
    from bench_app import app  # noqa: PLC0415 - after the environment is set

    client = redis.Redis(host="127.0.0.1", port=6379, db=14)
    samples: list[tuple[int, int]] = []
    try:
        sent = 0
        with app.producer_or_acquire() as producer:
            while sent < options.tasks:
                batch = min(5000, options.tasks - sent)
                for i in range(batch):
                    app.send_task("bench_app.charge", args=(sent + i,), producer=producer)
                sent += batch
                while client.llen(queue) > 20_000:
                    time.sleep(0.2)
                done = sent - client.llen(queue)
                if not samples and done >= options.warmup:
                    samples.append((done, rss_kib(worker.pid)))
        while client.llen(queue) > 0:
            time.sleep(0.2)
        time.sleep(2)
        samples.append((options.tasks, rss_kib(worker.pid)))
    finally:
        worker.terminate()
        worker.wait(30)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    lines = sum(1 for _ in log.open("rb"))
    (warm_tasks, warm), (end_tasks, end) = samples[0], samples[-1]
    print("| tasks | worker RSS (MiB) |\n|---|---|")
    print(f"| {warm_tasks:,} (after warm-up) | {warm / 1024:.1f} |")
    print(f"| {end_tasks:,} | {end / 1024:.1f} |")
    print(f"\ngrowth after warm-up: {(end - warm) / 1024:.2f} MiB; {lines:,} lines written")
    log.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
