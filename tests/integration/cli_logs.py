"""Logs written by real workers, and what their producer knows: the ``celery-logkit`` fixtures.

:func:`generate` runs two ``celery worker`` subprocesses (prefork, two processes each, on
Redis at 127.0.0.1) in one schema, each writing its lines to a file of its own with ``-f``,
and a producer in this process whose ``task_enqueued`` lines go to a third file.  The
producer sends:

- tasks that succeed, on both workers;
- a task that retries once after a countdown of one second, then succeeds;
- two tasks that fail with the same exception and messages differing by a number;
- a chain of three, a group of three and a chord (two in the header, one body, whose
  parent and root are whichever header task ended last: ``null`` in the truth);
- a task that kills its own pool process (``WorkerLostError``);
- a task revoked before it runs (sent with a countdown), and one terminated while running;
- on ``beta``, a task left running and one left waiting for its ETA, before ``beta`` and
  its pool are killed with SIGKILL: no shutdown line, no end for either task.

``beta`` then starts again (same node name, queue and file, as an orchestrator restarts a
worker: its first run was lost), and both workers stop cleanly (SIGTERM: a warm shutdown),
``alpha`` last.  The truth returned (and written
as ``<schema>.truth.json``) is what the producer knows, by construction: each task's id, name,
worker, outcome, error type, retries, parent, root and group; the workers' node names,
pool, concurrency and how each of their runs ended; the counts per task name.

``python -m tests.integration.cli_logs OUTDIR [SCHEMA...]`` writes
``OUTDIR/<schema>/{alpha,beta,producer}.log`` and ``OUTDIR/<schema>.truth.json`` (beside the
folder, so that the folder holds nothing but the logs).
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import chain, chord, group

import celery_logkit

from .harness import TERMINAL, Broker, Record, Worker, event_name
from .helpers import REDIS_URL

SCHEMAS = ("default", "ecs", "datadog")
POOL, CONCURRENCY = "prefork", 2
FILES = ("alpha.log", "beta.log", "producer.log")
Truth = dict[str, Any]


class LogFile:
    """A file a worker is writing JSON lines to, read as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._records: list[Record] = []
        self._offset = 0
        self._partial = b""

    def records(self) -> list[Record]:
        """Every whole line written so far that is a JSON object."""
        if self.path.exists():
            with self.path.open("rb") as file:
                file.seek(self._offset)
                data = self._partial + file.read()
                self._offset = file.tell()
            *lines, self._partial = data.split(b"\n")
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    self._records.append(record)
        return self._records

    def wait_for(
        self, predicate: Callable[[Record], bool], timeout: float = 60, *, since: int = 0
    ) -> Record:
        """Return the first record matching *predicate* (from the *since*-th), waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for record in self.records()[since:]:
                if predicate(record):
                    return record
            if time.monotonic() > deadline:
                tail = "\n".join(json.dumps(r) for r in self._records[-20:])
                raise AssertionError(f"{self.path.name}: nothing matched in {timeout}s:\n{tail}")
            time.sleep(0.1)

    def wait_for_event(self, task_id: str, events: frozenset[str], timeout: float = 60) -> Record:
        """Return *task_id*'s first record whose lifecycle event is one of *events*."""
        return self.wait_for(
            lambda r: r.get("task_id") == task_id and event_name(r) in events, timeout
        )


def _worker(
    broker: Broker, work: Path, logfile: Path, node: str, schema: str, queue: str | None = None
) -> Worker:
    """A worker named *node*, writing *schema* lines to *logfile*, results in Redis.

    It consumes *queue* when given (a restarted worker), else a queue of its own.
    """
    (work / node).mkdir(exist_ok=True)
    worker = Worker(
        broker,
        work / node,
        pool=POOL,
        concurrency=CONCURRENCY,
        extra_args=["-f", str(logfile)],
        env={
            "LOGKIT_SCHEMA": schema,
            "LOGKIT_EVENT_LEVELS": "task_received=INFO",  # "received, not started" is visible
            "LOGKIT_RESULT_BACKEND": REDIS_URL,
            "LOGKIT_SETTINGS": json.dumps({"result_expires": 600}),
        },
    )
    worker.result_backend = REDIS_URL
    worker.argv[worker.argv.index("-n") + 1] = node
    if queue is not None:
        worker.queue = worker.env["LOGKIT_QUEUE"] = queue
    return worker


@contextmanager
def _producer_lines(path: Path, schema: str) -> Iterator[None]:
    """The producer's ``task_enqueued`` lines, in *schema*, to *path* while producing."""
    lifecycle = logging.getLogger("celery_logkit.lifecycle")
    handler = logging.FileHandler(path)
    handler.setFormatter(celery_logkit.JsonFormatter(schema=schema))
    saved = lifecycle.level, lifecycle.propagate
    lifecycle.addHandler(handler)
    lifecycle.setLevel(logging.INFO)
    lifecycle.propagate = False
    try:
        yield
    finally:
        lifecycle.removeHandler(handler)
        lifecycle.level, lifecycle.propagate = saved
        handler.close()


class _Truth:
    """What the producer knows, filled in as it sends."""

    def __init__(self, schema: str) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.truth: Truth = {"schema": schema, "tasks": self.tasks, "workers": {}}

    def task(
        self,
        task_id: str,
        name: str,
        worker: str,
        outcome: str,
        *,
        error_type: str | None = None,
        retries: int = 0,
        parent_id: str | None = None,
        root_id: str | None = None,
        group_id: str | None = None,
    ) -> str:
        self.tasks[task_id] = {
            "name": f"worker_app.{name}",
            "worker": worker,
            "outcome": outcome,
            "error_type": error_type,
            "retries": retries,
            "parent_id": parent_id,
            "root_id": root_id or task_id,
            "group_id": group_id,
        }
        return task_id

    def finish(self) -> Truth:
        """Add the counts per task name (``processed``: the tasks that reached an end)."""
        stats: dict[str, dict[str, int]] = {}
        for task in self.tasks.values():
            counts = stats.setdefault(
                task["name"],
                dict.fromkeys(
                    ("processed", "succeeded", "failed", "retried", "revoked", "rejected"), 0
                ),
            )
            counts["retried"] += task["retries"]
            if task["outcome"] in counts:
                counts[task["outcome"]] += 1
                counts["processed"] += 1
        self.truth["stats"] = stats
        return self.truth


@dataclass
class CliLogs:
    """One schema's logs (a folder of them) and their truth."""

    folder: Path
    truth: Truth

    @property
    def files(self) -> list[Path]:
        return [self.folder / name for name in FILES]


def generate(schema: str, outdir: Path, broker_url: str = REDIS_URL) -> Truth:
    """Run the workers and the producer in *schema*; write the logs in *outdir*.

    Return the truth (also written as ``<outdir>.truth.json``).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    suffix = uuid.uuid4().hex[:6]  # no clash with another run's workers on the same broker
    nodes = {"alpha": f"alpha-{suffix}@{host}", "beta": f"beta-{suffix}@{host}"}
    logs = {name: LogFile(outdir / f"{name}.log") for name in nodes}
    broker = Broker("redis", broker_url)
    known = _Truth(schema)
    with tempfile.TemporaryDirectory(prefix="logkit-cli-") as scratch:
        workers = {
            name: _worker(broker, Path(scratch), logs[name].path, node, schema)
            for name, node in nodes.items()
        }
        for worker in workers.values():
            worker.start(wait_ready=False)
        try:
            for name in nodes:
                logs[name].wait_for(_ready)
            with _producer_lines(outdir / "producer.log", schema):
                _produce(workers, nodes, logs, known)
            # beta comes back, as an orchestrator restarts it: the same node, queue and file,
            # a run that follows one with no shutdown line.  Then both stop cleanly.
            seen = len(logs["beta"].records())
            workers["beta"] = _worker(broker, Path(scratch), logs["beta"].path, nodes["beta"],
                                      schema, queue=workers["beta"].queue)  # fmt: skip
            workers["beta"].start(wait_ready=False)
            logs["beta"].wait_for(_ready, since=seen)
            workers["beta"].stop()
            workers["alpha"].stop()
        finally:
            for worker in workers.values():
                if worker._proc is not None and worker._proc.poll() is None:
                    worker.stop()
    for name, node in nodes.items():
        known.truth["workers"][node] = {
            "file": f"{name}.log",
            "pool": POOL,
            "concurrency": CONCURRENCY,
            "queue": workers[name].queue,
            "runs": ["clean"] if name == "alpha" else ["lost", "clean"],
        }
    truth = known.finish()
    outdir.with_name(f"{outdir.name}.truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


def _produce(
    workers: dict[str, Worker], nodes: dict[str, str], logs: dict[str, LogFile], known: _Truth
) -> None:
    alpha, beta = workers["alpha"], workers["beta"]
    a, b = nodes["alpha"], nodes["beta"]
    ends: list[tuple[str, str]] = []  # (worker, task id) whose end the logs must show

    def sent(worker: str, task_id: str) -> str:
        ends.append((worker, task_id))
        return task_id

    for number in range(4):
        known.task(sent("alpha", alpha.send("add", number, number)), "add", a, "succeeded")
        known.task(sent("beta", beta.send("add", number, 10)), "add", b, "succeeded")
    known.task(sent("beta", beta.send("retry_later", "r1")), "retry_later", b, "succeeded",
               retries=1)  # fmt: skip
    for worker, node, number in (("alpha", a, 101), ("beta", b, 202)):
        known.task(sent(worker, workers[worker].send("fail", number)), "fail", node, "failed",
                   error_type="ZeroDivisionError")  # fmt: skip
    known.task(sent("alpha", alpha.send("die")), "die", a, "failed",
               error_type="WorkerLostError")  # fmt: skip

    # A chain: each step's parent is the step before; the root is the first.
    steps = chain(alpha.sig("add", 1, 2), alpha.sig("add", 3), alpha.sig("add", 4)).apply_async()
    chained = [steps.parent.parent.id, steps.parent.id, steps.id]
    for index, task_id in enumerate(chained):
        parent = chained[index - 1] if index else None
        known.task(sent("alpha", task_id), "add", a, "succeeded", parent_id=parent,
                   root_id=chained[0])  # fmt: skip
    known.truth["chain"] = chained

    # A group sent by the producer: its members share a group id, each is its own root.
    members = group(beta.sig("add", number, 100) for number in range(3)).apply_async()
    for result in members.results:
        known.task(sent("beta", result.id), "add", b, "succeeded", group_id=members.id)
    known.truth["group"] = {"id": members.id, "members": [r.id for r in members.results]}

    # A chord: the header is a group; the body is sent by the worker that ends the last.
    body = chord([alpha.sig("add", 1, 1), alpha.sig("add", 2, 2)])(alpha.sig("tsum"))
    header = [result.id for result in body.parent.results]
    for task_id in header:
        known.task(sent("alpha", task_id), "add", a, "succeeded", group_id=body.parent.id)
    known.task(sent("alpha", body.id), "tsum", a, "succeeded")
    # Whichever header task ends last sends the body: its parent, and its root.
    known.tasks[body.id].update(parent_id=None, root_id=None)
    known.truth["chord"] = {"group_id": body.parent.id, "header": header, "body": body.id}

    # Revoked before it runs: held for its countdown, then discarded.
    early = alpha.send("add", 5, 5, countdown=3)
    alpha.producer().control.revoke(early)
    known.task(sent("alpha", early), "add", a, "revoked")
    # Revoked while it runs: terminated.
    running = beta.send("wait_to_be_revoked")
    logs["beta"].wait_for_event(running, frozenset({"task_started"}))
    beta.producer().control.revoke(running, terminate=True)
    known.task(sent("beta", running), "wait_to_be_revoked", b, "revoked")

    for worker, task_id in ends:
        end = event_name(logs[worker].wait_for_event(task_id, TERMINAL))
        planned = known.tasks[task_id]["outcome"]
        if end != f"task_{planned}":  # a slow machine can outrun the plan: say so, here
            name = known.tasks[task_id]["name"]
            raise AssertionError(f"{task_id} ({name}) ended with {end}, not {planned}")
    known.truth["retried"] = next(t for t, v in known.tasks.items() if v["retries"])

    # beta dies with a task running and one waiting for its ETA: neither ends.
    active = beta.send("slow", 300)
    logs["beta"].wait_for_event(active, frozenset({"task_started"}))
    reserved = beta.send("add", 7, 7, countdown=300)
    logs["beta"].wait_for_event(reserved, frozenset({"task_received"}))
    known.task(active, "slow", b, "active")
    known.task(reserved, "add", b, "reserved")
    beta.kill_hard()


def _ready(record: Record) -> bool:
    return str(record.get("message", "")).endswith(" ready.")


def main(argv: list[str]) -> int:
    """``python -m tests.integration.cli_logs OUTDIR [SCHEMA...]``."""
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip().splitlines()[0], f"\nusage: {sys.argv[0]} OUTDIR [SCHEMA...]")
        return 2
    outdir = Path(argv[0])
    for schema in argv[1:] or SCHEMAS:
        started = time.monotonic()
        generate(schema, outdir / schema)
        print(f"{outdir / schema}: {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
