"""The Celery app the benchmarks run: one task that logs one line, logkit installed."""

from __future__ import annotations

import os

from celery import Celery

import celery_logkit

app = Celery("bench_app", broker=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14"))
app.conf.task_default_queue = os.environ.get("BENCH_QUEUE", "logkit-bench")
app.conf.worker_prefetch_multiplier = 64
app.conf.broker_connection_retry_on_startup = True
celery_logkit.install(app)

logger = celery_logkit.get_task_logger(__name__)


@app.task(ignore_result=True)
def charge(i: int) -> None:
    """Log one line, as a typical task does."""
    logger.info("charged card", extra={"amount": i})
