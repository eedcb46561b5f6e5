"""Whole lines across processes, context isolation under load, a broker restarted mid-run."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Broker, Worker, event_name
from .helpers import make_broker

pytestmark = pytest.mark.worker


def test_big_lines_from_four_processes_never_interleave(tmp_path: Path) -> None:
    """4 prefork children x 2,000 records of 5 to 60 KiB, at once, on one stderr pipe.

    The task logger, the root logger and billiard's each have a handler on stderr: they
    must share one lock, or a small lifecycle line lands inside a big one.
    """
    children, count = 4, 2000
    options = {"max_line_bytes": 128 * 1024, "event_levels": {"task_started": None}}
    worker = Worker(
        make_broker("redis", tmp_path), tmp_path, pool="prefork", concurrency=children,
        env={"LOGKIT_INSTALL_OPTIONS": json.dumps(options)},
    )  # fmt: skip
    with worker:
        ids = [
            worker.send("big_lines", "big", children, count, 5 * 1024, 60 * 1024)
            for _ in range(children)
        ]
        for task_id in ids:
            worker.wait_for_task_end(task_id, timeout=240)
    assert not worker.not_json, [line.text[:200] for line in worker.not_json[:3]]
    big = [r for r in worker.records if r["message"].startswith("big ")]
    assert len(big) == children * count
    assert all(len(r["payload"]) == r["length"] for r in big), "every line whole"
    assert {r["task_id"] for r in big} == set(ids)
    assert max(r["length"] for r in big) > 50 * 1024


@pytest.mark.parametrize(("pool", "concurrency"), [("threads", 8), ("gevent", 50), ("prefork", 2)])
def test_no_line_carries_another_tasks_id_under_load(
    tmp_path: Path, pool: str, concurrency: int
) -> None:
    tasks = 5000
    worker = Worker(make_broker("redis", tmp_path), tmp_path, pool=pool, concurrency=concurrency)
    with worker:
        producer = worker.producer()
        ids = {
            str(producer.send_task("worker_app.echo_id", args=(0.001,)).id) for _ in range(tasks)
        }
        worker.wait_for_count(lambda r: event_name(r) == "task_succeeded", tasks, timeout=600)
    assert not worker.not_json
    lines = [r for r in worker.records if r["message"].startswith(("first of", "second of"))]
    assert len(lines) == 2 * tasks
    for record in lines:
        assert record["task_id"] == record["message"].rsplit(" ", 1)[1], record
    assert {r["task_id"] for r in lines} == ids
    for record in worker.records:
        if "task_id" not in record:
            assert not {"task_name", "root_id", "retries"} & set(record), record
    lifecycle = [event_name(r) for r in worker.records if r.get("task_id") in ids]
    assert lifecycle.count("task_started") == lifecycle.count("task_succeeded") == tasks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server on loopback that a test may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed"
        if os.environ.get("LOGKIT_REQUIRE_BROKERS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_redis_restarted_mid_run(private_redis: RedisServer, tmp_path: Path) -> None:
    broker = Broker("redis", f"redis://127.0.0.1:{private_redis.port}/0")
    worker = Worker(broker, tmp_path, pool="prefork", concurrency=2)
    with worker:
        before = [worker.send("add", i, i) for i in range(10)]
        for task_id in before:
            worker.wait_for_task_end(task_id)
        slow = worker.send("slow", 3)
        worker.wait_for(lambda r: r.get("task_id") == slow and event_name(r) == "task_started")
        worker.producer().close()
        worker._producer = None
        private_redis.stop()
        worker.wait_for(lambda r: r.get("task_id") == slow and event_name(r) == "task_succeeded")
        private_redis.start()
        reconnected = len(worker.records)
        worker.wait_for(
            lambda r: (
                r["message"].startswith("Connected to redis")
                and worker.records.index(r) >= reconnected
            ),
            timeout=60,
        )
        after = [worker.send("add", i, i) for i in range(10)]
        for task_id in after:
            worker.wait_for_task_end(task_id)
    assert not worker.not_json, worker.not_json
    for task_id in [*before, slow, *after]:
        events = [event_name(r) for r in worker.events(task_id)]
        assert events == ["task_started", "task_succeeded"], (task_id, events)
    lost = [r for r in worker.records if r["level"] in {"error", "warning"} and "task_id" not in r]
    assert lost, "the lost connection is reported (as JSON lines)"
