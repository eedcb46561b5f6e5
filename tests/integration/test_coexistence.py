"""Real workers next to logging set-ups and tracers the app already has."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .harness import Broker, Record, Worker, event_name

pytestmark = pytest.mark.worker


class FakeAgent:
    """A Datadog Agent on loopback that accepts whatever ddtrace sends it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        agent = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                agent.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_PUT = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeAgent:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def agent() -> Iterator[FakeAgent]:
    with FakeAgent() as running:
        yield running


def ddtrace_env(agent: FakeAgent, schema: str) -> dict[str, str]:
    return {
        "LOGKIT_DDTRACE": "1",
        "LOGKIT_SCHEMA": schema,
        "DD_LOGS_INJECTION": "true",
        "DD_TRACE_AGENT_URL": agent.url,
        "DD_TRACE_STARTUP_LOGS": "false",
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
    }


def logger_of(record: Record) -> str:
    logger = record.get("logger") or record.get("log", {}).get("logger")
    return str(logger.get("name") if isinstance(logger, dict) else logger)


def dd_keys(record: Record) -> list[str]:
    """Every key path, at any depth, that names a trace or span id."""
    found: list[str] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else key)
        elif (
            path in {"trace.id", "span.id"}
            or path.startswith("dd.")
            or path.rsplit(".", 1)[-1] in {"trace_id", "span_id"}
        ):
            found.append(path)

    walk(record, "")
    return found


@pytest.mark.parametrize("schema", ["datadog", "default", "ecs"])
def test_ddtrace_patching_celery_and_logging(
    fs_broker: Broker, tmp_path: Path, agent: FakeAgent, schema: str
) -> None:
    worker = Worker(fs_broker, tmp_path, concurrency=1, env=ddtrace_env(agent, schema))
    with worker:
        first = worker.send("log_styles", "tok")
        second = worker.send("add", 1, 2)
        worker.wait_for_task_end(first)
        worker.wait_for_task_end(second)
    assert not worker.not_json, worker.not_json
    assert not [r for r in worker.records if "ddtrace" in logger_of(r)], "no ddtrace errors"
    assert any("traces" in path for path in agent.paths), agent.paths

    traces: dict[str, set[str]] = {}
    for task_id in (first, second):
        lines = worker.task_records(task_id)
        assert [event_name(r) for r in lines if event_name(r)] == [
            "task_started",
            "task_succeeded",
        ]
        for record in lines:
            if schema == "datadog":
                assert dd_keys(record) == ["dd.trace_id", "dd.span_id"], record
                ids = (record["dd"]["trace_id"], record["dd"]["span_id"])
                assert all(isinstance(v, str) and v for v in ids)
                assert record["service"] == "worker_app", "logkit's service, not ddtrace's"
            elif schema == "default":
                assert dd_keys(record) == ["trace_id", "span_id"], record
                ids = (record["trace_id"], record["span_id"])
                assert (len(ids[0]), len(ids[1])) == (32, 16)
            else:
                assert dd_keys(record) == ["trace.id", "span.id"], record
                ids = (record["trace"]["id"], record["span"]["id"])
            traces.setdefault(task_id, set()).add(ids[0])
    assert all(len(ids) == 1 for ids in traces.values()), traces
    assert traces[first] != traces[second], "each task its own trace"
    outside = [r for r in worker.records if "task_id" not in r]
    assert outside
    assert not any(dd_keys(r) for r in outside), "no ids outside a span"
