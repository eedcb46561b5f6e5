"""The Celery app ``benchmarks/throughput.py`` runs, in the set-up named by ``BENCH_SETUP``.

- ``celery``: celery's own logging and ``celery.utils.log.get_task_logger``, no logkit
  (the level, ``-l WARNING`` or ``-l INFO``, is the worker's flag);
- ``celery_floor``: the same, each line its message alone (stdlib's ``Formatter`` with
  ``%(message)s`` on celery's handlers): the least celery's three lines can cost through
  stdlib logging, without a timestamp, a level or the task's id;
- ``django_structlog``: django-structlog 11's Celery integration as its docs set it up —
  Django settings configured in-process (no database) with
  ``DJANGO_STRUCTLOG_CELERY_ENABLED = True``, its ``DjangoStructLogInitStep`` worker
  bootstep, a ``setup_logging`` receiver that ``dictConfig``-s a ``ProcessorFormatter``
  with ``JSONRenderer`` on a stderr handler (on the root logger, so celery's own lines
  are JSON too) and ``structlog.configure``-s structlog -> stdlib; the task logs through
  ``structlog.get_logger``;
- ``logkit``: ``celery_logkit.install(app)`` with its defaults and
  ``celery_logkit.get_task_logger``.

The one task, ``throughput_app.charge``, logs one line and counts itself in Redis
(``INCR BENCH_RUN_KEY:count``): the task that counts 1 stores its start time in
``BENCH_RUN_KEY:start``, the one that counts ``BENCH_TASKS`` its end time in
``BENCH_RUN_KEY:end`` — the same bookkeeping in every set-up.
"""

from __future__ import annotations

import logging
import logging.config
import os
import time
from typing import Any

import redis
from celery import Celery

SETUP = os.environ.get("BENCH_SETUP", "celery")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
RUN_KEY = os.environ.get("BENCH_RUN_KEY", "logkit-tp")
TASKS = int(os.environ.get("BENCH_TASKS", "0"))

app = Celery("throughput_app", broker=BROKER_URL)
app.conf.task_default_queue = os.environ.get("BENCH_QUEUE", "logkit-tp")
app.conf.worker_prefetch_multiplier = 64
app.conf.worker_enable_remote_control = False
app.conf.broker_connection_retry_on_startup = True

logger: Any
if SETUP in ("celery", "celery_floor"):
    from celery.utils.log import get_task_logger

    if SETUP == "celery_floor":
        from celery.signals import after_setup_logger, after_setup_task_logger

        def message_only(logger: logging.Logger, **_: Any) -> None:
            for handler in logger.handlers:
                handler.setFormatter(logging.Formatter("%(message)s"))

        after_setup_logger.connect(message_only, weak=False)
        after_setup_task_logger.connect(message_only, weak=False)

    logger = get_task_logger(__name__)

    def log_line(i: int) -> None:
        logger.info("charged card", extra={"amount": i})

elif SETUP == "django_structlog":
    import django
    import structlog
    from anchors import django_structlog_processors
    from celery.signals import setup_logging
    from django.conf import settings
    from django_structlog.celery.steps import DjangoStructLogInitStep

    settings.configure(
        INSTALLED_APPS=["django_structlog"],
        DJANGO_STRUCTLOG_CELERY_ENABLED=True,
        USE_TZ=True,
    )
    django.setup()
    app.steps["worker"].add(DjangoStructLogInitStep)

    @setup_logging.connect
    def receiver_setup_logging(loglevel: int, **_: Any) -> None:
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {
                    "json_formatter": {
                        "()": structlog.stdlib.ProcessorFormatter,
                        "processor": structlog.processors.JSONRenderer(),
                    },
                },
                "handlers": {
                    "stderr": {
                        "class": "logging.StreamHandler",
                        "stream": "ext://sys.stderr",
                        "formatter": "json_formatter",
                    },
                },
                "root": {"handlers": ["stderr"], "level": loglevel},
            }
        )
        structlog.configure(
            processors=django_structlog_processors(),
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )

    logger = structlog.get_logger(__name__)

    def log_line(i: int) -> None:
        logger.info("charged card", amount=i)

elif SETUP == "logkit":
    import celery_logkit

    celery_logkit.install(app)
    logger = celery_logkit.get_task_logger(__name__)

    def log_line(i: int) -> None:
        logger.info("charged card", extra={"amount": i})

else:
    raise RuntimeError(f"unknown BENCH_SETUP {SETUP!r}")

_client: tuple[int, redis.Redis] | None = None


def client() -> redis.Redis:
    """One connection per process (prefork children must not share the parent's)."""
    global _client  # noqa: PLW0603
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis.Redis.from_url(BROKER_URL))
    return _client[1]


@app.task(ignore_result=True)
def charge(i: int) -> None:
    """Log one line, as a typical task does; record the run's first start and last end."""
    r = client()
    count = r.incr(f"{RUN_KEY}:count")
    if count == 1:
        r.set(f"{RUN_KEY}:start", repr(time.time()))
    log_line(i)
    if count == TASKS:
        r.set(f"{RUN_KEY}:end", repr(time.time()))
