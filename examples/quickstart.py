"""Start a real Celery worker with celery-logkit, send it three tasks, show its lines.

    uv run python examples/quickstart.py

One task succeeds, one retries once and then succeeds, one fails.  Every line the
worker writes (stderr and stdout) is printed as it comes; the script stops the worker
and exits 0 once the three tasks have ended (1 if they have not within 60 s).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from queue import Empty, Queue
from typing import IO

HERE = Path(__file__).resolve().parent
TIMEOUT = 60.0


def pump(stream: IO[bytes], lines: Queue[str | None]) -> None:
    for raw in iter(stream.readline, b""):
        lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
    lines.put(None)


def ended(line: str, task_ids: set[str]) -> str | None:
    """Return the task id if *line* is the record of one of *task_ids*' end."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("task_id") not in task_ids:
        return None
    if record.get("event") in {"task_succeeded", "task_failed"}:
        return str(record["task_id"])
    return None


def main() -> int:
    broker_dir = tempfile.mkdtemp(prefix="logkit-quickstart-")
    env = {
        **os.environ,
        "QUICKSTART_BROKER_DIR": broker_dir,
        "QUICKSTART_QUEUE": f"quickstart-{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    os.environ.update(env)
    sys.path.insert(0, str(HERE))
    from quickstart_app import charge, divide, flaky_fetch  # noqa: PLC0415 - after env is set

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "quickstart_app", "worker",
         "-l", "INFO", "-c", "2", "--without-gossip", "--without-mingle"],
        cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    lines: Queue[str | None] = Queue()
    for stream in (worker.stdout, worker.stderr):
        assert stream is not None
        threading.Thread(target=pump, args=(stream, lines), daemon=True).start()

    task_ids = {
        charge.delay(7, 9.5).id,
        flaky_fetch.delay("https://example.invalid/data").id,
        divide.delay(1, 0).id,
    }
    pending = set(task_ids)
    deadline = time.monotonic() + TIMEOUT
    while pending and time.monotonic() < deadline and worker.poll() is None:
        try:
            line = lines.get(timeout=0.5)
        except Empty:
            continue
        if line is not None:
            print(line, flush=True)
            pending.discard(ended(line, task_ids) or "")

    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    closed = 0
    while closed < 2:
        line = lines.get()
        if line is None:
            closed += 1
        else:
            print(line, flush=True)
    if pending:
        print(f"quickstart: {len(pending)} task(s) did not end in {TIMEOUT:.0f}s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
