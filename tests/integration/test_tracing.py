"""A real worker with opentelemetry-instrumentation-celery: one trace from client to lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import HERE, Record, Worker, event_name
from .helpers import make_broker

pytestmark = pytest.mark.worker


def trace_of(record: Record, schema: str) -> str | None:
    """The record's trace id, converted back to 32 hex where the schema allows."""
    if schema == "default":
        return record.get("trace_id")
    if schema == "ecs":
        return record.get("trace", {}).get("id")
    return record.get("dd", {}).get("trace_id")


@pytest.mark.parametrize(
    ("schema", "otel_first"),
    [("default", False), ("ecs", False), ("datadog", False), ("default", True)],
)
def test_producer_span_worker_span_and_every_line_share_a_trace(
    tmp_path: Path, schema: str, otel_first: bool
) -> None:
    broker = make_broker("redis", tmp_path)
    spans = tmp_path / "spans.jsonl"
    env = {"LOGKIT_SCHEMA": schema, "LOGKIT_OTEL_SPANS": str(spans)}
    if otel_first:
        env["LOGKIT_OTEL_FIRST"] = "1"
    worker = Worker(broker, tmp_path, pool="prefork", concurrency=1, env=env)
    with worker:
        sent = subprocess.run(
            [sys.executable, str(HERE / "otel_producer.py"), broker.url,
             json.dumps(broker.options), worker.queue, "worker_app.add"],
            capture_output=True, text=True, check=True, env=worker.env,
        )  # fmt: skip
        ids = json.loads(sent.stdout.strip().splitlines()[-1])
        worker.wait_for_task_end(ids["task_id"])
    assert not worker.not_json, worker.not_json

    expected = ids["trace_id"]
    if schema == "datadog":
        expected = str(int(expected, 16) & ((1 << 64) - 1))
    lines = worker.task_records(ids["task_id"])
    assert [event_name(r) for r in lines if event_name(r)] == ["task_started", "task_succeeded"]
    assert [r["message"] for r in lines if not event_name(r)] == ["adding"]
    for record in lines:
        assert trace_of(record, schema) == expected, record
        if schema == "datadog":
            assert sorted(record["dd"]) == ["span_id", "trace_id"], record
            assert all(v.isdecimal() for v in record["dd"].values()), record
            assert not [k for k in record if k.startswith("dd.")], "nested, never flat"

    worker_spans = [json.loads(line) for line in spans.read_text().splitlines()]
    run_spans = [s for s in worker_spans if s["name"].startswith("run/")]
    assert run_spans, worker_spans
    assert {s["trace_id"] for s in run_spans} == {ids["trace_id"]}
    outside = [r for r in worker.records if "task_id" not in r]
    assert all(trace_of(r, schema) is None for r in outside), "no ids without a span"
