"""Trace ids: the active span's, else the task's traceparent, else none."""

from __future__ import annotations

from types import SimpleNamespace

from opentelemetry.sdk.trace import TracerProvider

from celery_logkit._context import task_ended, task_started
from celery_logkit._tracing import current_trace_ids, parse_traceparent, traceparent_ids

TRACER = TracerProvider().get_tracer("tests")
PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_parse_traceparent() -> None:
    assert parse_traceparent(PARENT) == ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert parse_traceparent(PARENT.upper()) == parse_traceparent(PARENT)
    for bad in (None, 5, "", "00-abc-def-01", f"00-{'0' * 32}-b7ad6b7169203331-01"):
        assert parse_traceparent(bad) is None


def test_traceparent_from_worker_and_eager_requests() -> None:
    expected = parse_traceparent(PARENT)
    assert traceparent_ids(SimpleNamespace(traceparent=PARENT)) == expected
    assert traceparent_ids(SimpleNamespace(headers={"traceparent": PARENT})) == expected
    assert traceparent_ids(SimpleNamespace()) is None


def test_span_then_task_traceparent_then_nothing() -> None:
    assert current_trace_ids() is None
    task = SimpleNamespace(name="t", request=SimpleNamespace(id="1", retries=0))
    task_started(task, trace=parse_traceparent(PARENT))
    try:
        assert current_trace_ids() == parse_traceparent(PARENT), "before the task's span"
        with TRACER.start_as_current_span("task") as span:
            trace_id, span_id = current_trace_ids() or ("", "")
            assert int(trace_id, 16) == span.get_span_context().trace_id
            assert int(span_id, 16) == span.get_span_context().span_id
    finally:
        task_ended()
    assert current_trace_ids() is None
