"""Run a real ``celery worker`` subprocess and read what it writes, line by line."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celery import Celery, Signature

import celery_logkit

HERE = Path(__file__).resolve().parent
Record = dict[str, Any]
TERMINAL = frozenset(
    {"task_succeeded", "task_failed", "task_revoked", "task_not_found", "task_ignored"}
)


@dataclass
class Broker:
    """A broker URL plus what the producer and the worker both need to reach it."""

    name: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Line:
    stream: str
    text: str
    record: Record | None


class Worker:
    """A ``celery -A worker_app worker`` subprocess whose output is parsed as it comes.

    *app* and *cwd* run another app (an example project) instead; *env* adds to or
    overrides the worker's environment.
    """

    def __init__(
        self,
        broker: Broker,
        tmp_path: Path,
        *,
        pool: str = "prefork",
        concurrency: int = 2,
        loglevel: str = "INFO",
        app: str = "worker_app",
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        cwd: Path = HERE,
    ) -> None:
        self.broker = broker
        self.cwd = cwd
        self.queue = f"logkit-test-{uuid.uuid4().hex[:12]}"
        self.rendezvous_dir = tmp_path / "rendezvous"
        (tmp_path / "results").mkdir(exist_ok=True)
        self.result_backend = f"file://{tmp_path / 'results'}"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LOGKIT_")}
        self.env = {
            **inherited,  # not the test run's LOGKIT_* variables: each test says its own
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
            "LOGKIT_BROKER_URL": broker.url,
            "LOGKIT_BROKER_OPTIONS": json.dumps(broker.options),
            "LOGKIT_QUEUE": self.queue,
            "LOGKIT_RENDEZVOUS_DIR": str(self.rendezvous_dir),
            "LOGKIT_RESULT_BACKEND": self.result_backend,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.argv = [
            sys.executable, "-m", "celery", "-A", app, "worker",
            "-P", pool, "-c", str(concurrency), "-l", loglevel,
            "-n", f"{self.queue}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            *extra_args,
        ]  # fmt: skip
        self.lines: list[Line] = []
        self._changed = threading.Condition()
        self._proc: subprocess.Popen[bytes] | None = None
        self._readers: list[threading.Thread] = []
        self._producer: Celery | None = None
        self._reading = threading.Event()
        self._reading.set()

    # -- process -------------------------------------------------------------------

    def start(self, ready_timeout: float = 60, *, wait_ready: bool = True) -> Worker:
        self._proc = subprocess.Popen(
            self.argv, env=self.env, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for name, stream in (("stdout", self._proc.stdout), ("stderr", self._proc.stderr)):
            reader = threading.Thread(target=self._read, args=(name, stream), daemon=True)
            reader.start()
            self._readers.append(reader)
        if wait_ready:
            self.wait_for(lambda r: text_of(r).endswith(" ready."), ready_timeout)
        return self

    def stop(self, timeout: float = 30) -> int:
        assert self._proc is not None
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        if self._producer is not None:
            self._producer.close()
        return self._proc.returncode

    def wait_exit(self, timeout: float = 60) -> int:
        """Wait for the worker to exit by itself; return its exit status."""
        assert self._proc is not None
        code = self._proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def kill_hard(self, timeout: float = 30) -> None:
        """SIGKILL the worker and its pool processes at once, as a node's loss does.

        The main process goes first, so that no one is left to log a pool process's
        death: whatever was running stays unfinished in the logs.
        """
        assert self._proc is not None
        pid = self._proc.pid
        children = [
            int(child)
            for listing in Path(f"/proc/{pid}/task").glob("*/children")
            for child in listing.read_text().split()
        ]
        self._proc.kill()
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        self.wait_exit(timeout)
        if self._producer is not None:
            self._producer.close()

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stall(self) -> None:
        """Stop reading the worker's output, as a stalled log collector does (pipes fill)."""
        self._reading.clear()

    def resume(self) -> None:
        """Read the worker's output again."""
        self._reading.set()

    def _next_line(self, stream: Any) -> bytes:
        self._reading.wait()
        return bytes(stream.readline())

    def _read(self, name: str, stream: Any) -> None:
        for raw in iter(lambda: self._next_line(stream), b""):
            text = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                record = json.loads(text)
            except ValueError:
                record = None
            with self._changed:
                self.lines.append(Line(name, text, record if isinstance(record, dict) else None))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    # -- reading -------------------------------------------------------------------

    @property
    def records(self) -> list[Record]:
        with self._changed:
            return [line.record for line in self.lines if line.record is not None]

    @property
    def not_json(self) -> list[Line]:
        with self._changed:
            return [line for line in self.lines if line.record is None]

    def wait_for(self, predicate: Callable[[Record], bool], timeout: float = 60) -> Record:
        """Return the first record matching *predicate*, waiting for it to be written."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if line.record is not None and predicate(line.record):
                        return line.record
                seen = len(self.lines)
                exited = self._proc is not None and self._proc.poll() is not None
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (exited and not any(r.is_alive() for r in self._readers)):
                    tail = "\n".join(line.text for line in self.lines[-40:])
                    raise AssertionError(
                        f"no matching record within {timeout}s; last lines:\n{tail}"
                    )
                self._changed.wait(min(remaining, 0.5))

    def wait_for_line(self, predicate: Callable[[Line], bool], timeout: float = 60) -> Line:
        """Return the first line (JSON or not) matching *predicate*, waiting for it."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = len(self.lines)
                exited = self._proc is not None and self._proc.poll() is not None
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (exited and not any(r.is_alive() for r in self._readers)):
                    tail = "\n".join(line.text for line in self.lines[-40:])
                    raise AssertionError(f"no matching line within {timeout}s; last lines:\n{tail}")
                self._changed.wait(min(remaining, 0.5))

    def wait_for_count(
        self, predicate: Callable[[Record], bool], count: int, timeout: float = 120
    ) -> None:
        """Wait until *count* records match *predicate* (counted as they arrive)."""
        deadline = time.monotonic() + timeout
        seen = found = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if line.record is not None and predicate(line.record):
                        found += 1
                seen = len(self.lines)
                if found >= count:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._proc is not None and self._proc.poll() is not None):
                    raise AssertionError(f"{found}/{count} matching records within {timeout}s")
                self._changed.wait(min(remaining, 0.5))

    def task_records(self, task_id: str) -> list[Record]:
        return [r for r in self.records if r.get("task_id") == task_id]

    def wait_for_task_end(self, task_id: str, timeout: float = 60) -> Record:
        """Wait for the ``task_succeeded`` or ``task_failed`` record of *task_id*."""
        return self.wait_for(
            lambda r: r.get("task_id") == task_id and event_name(r) in TERMINAL, timeout
        )

    def events(self, task_id: str | None = None) -> list[Record]:
        """The lifecycle records (of *task_id*, if given), in order."""
        return [
            r
            for r in self.records
            if "event" in r and (task_id is None or r.get("task_id") == task_id)
        ]

    # -- producing -----------------------------------------------------------------

    def producer(self) -> Celery:
        """A producer app for this worker's broker and queue, with logkit installed."""
        if self._producer is None:
            app = Celery("producer", set_as_current=False)
            app.conf.update(
                broker_url=self.broker.url,
                broker_transport_options=self.broker.options,
                task_default_queue=self.queue,
                result_backend=self.result_backend,
            )
            self._producer = celery_logkit.install(app)
        return self._producer

    def send(self, name: str, *args: Any, **options: Any) -> str:
        """Send ``worker_app.<name>(*args)``; *options* go to ``send_task``."""
        sent = self.producer().send_task(f"worker_app.{name}", args=args, **options)
        return str(sent.id)

    def sig(self, name: str, *args: Any, **options: Any) -> Signature:
        """A signature of ``worker_app.<name>`` for building workflows."""
        return self.producer().signature(f"worker_app.{name}", args=args, **options)


def text_of(record: Record) -> str:
    """The record's text: logkit's ``message``, or ``event`` in a structlog renderer's line."""
    return str(record.get("message", record.get("event", "")))


def event_name(record: Record) -> str | None:
    """The lifecycle event of a record in any schema (default, ecs, datadog)."""
    for outer, inner in (("event", "action"), ("evt", "name")):
        value = record.get(outer)
        if isinstance(value, dict):
            value = value.get(inner)
        if isinstance(value, str):
            return value
    return None


class Beat(Worker):
    """A ``celery -A worker_app beat`` subprocess, with its schedule file in *tmp_path*.

    The schedule itself is the app's ``beat_schedule`` setting (``LOGKIT_SETTINGS``).
    """

    def __init__(
        self,
        broker: Broker,
        tmp_path: Path,
        *,
        loglevel: str = "INFO",
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(broker, tmp_path, loglevel=loglevel, env=env)
        self.argv = [
            sys.executable, "-m", "celery", "-A", "worker_app", "beat", "-l", loglevel,
            "-s", str(tmp_path / "beat-schedule"), "--max-interval", "1", *extra_args,
        ]  # fmt: skip

    def start(self, ready_timeout: float = 60, *, wait_ready: bool = False) -> Beat:
        super().start(ready_timeout, wait_ready=wait_ready)
        return self
