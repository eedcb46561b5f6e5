"""Send one task from an OpenTelemetry-instrumented producer; print its ids as JSON.

python otel_producer.py BROKER_URL BROKER_OPTIONS_JSON QUEUE TASK_NAME
"""

from __future__ import annotations

import json
import sys

from celery import Celery
from opentelemetry import trace
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.sdk.trace import TracerProvider

import celery_logkit


def main() -> None:
    url, options, queue, name = sys.argv[1:5]
    trace.set_tracer_provider(TracerProvider())
    CeleryInstrumentor().instrument()
    app = Celery("otel_producer", broker=url)
    app.conf.broker_transport_options = json.loads(options)
    celery_logkit.install(app)
    with trace.get_tracer("producer").start_as_current_span("client request") as span:
        result = app.send_task(name, args=(2, 3), queue=queue)
        trace_id = trace.format_trace_id(span.get_span_context().trace_id)
    print(json.dumps({"task_id": result.id, "trace_id": trace_id}))


if __name__ == "__main__":
    main()
