"""A Celery app with celery-logkit installed: the one line is ``install(app)``.

The broker is ``CELERY_BROKER_URL`` when set (e.g. ``redis://127.0.0.1:6379/0``), else
kombu's filesystem transport in ``QUICKSTART_BROKER_DIR``: no server needed.
"""

from __future__ import annotations

import os
import tempfile

from celery import Celery, Task

import celery_logkit

app = Celery("quickstart_app")
if os.environ.get("CELERY_BROKER_URL"):
    app.conf.broker_url = os.environ["CELERY_BROKER_URL"]
else:
    folder = os.environ.get(
        "QUICKSTART_BROKER_DIR", os.path.join(tempfile.gettempdir(), "celery-logkit-quickstart")
    )
    os.makedirs(folder, exist_ok=True)
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "control_folder": os.path.join(folder, "control"),
        "polling_interval": 0.1,
    }
app.conf.task_default_queue = os.environ.get("QUICKSTART_QUEUE", "quickstart")
app.conf.broker_connection_retry_on_startup = True

celery_logkit.install(app)

logger = celery_logkit.get_task_logger(__name__)


@app.task
def charge(order_id: int, amount: float) -> str:
    """Succeed, logging structured fields."""
    logger.info("charging card", order_id=order_id, amount=amount)
    print("print() lines are JSON too, with the task's id")
    return f"charged {order_id}"


@app.task(bind=True, max_retries=3)
def flaky_fetch(self: Task, url: str) -> str:
    """Fail on the first attempt, succeed on the retry."""
    logger.info("fetching %s (attempt %d)", url, self.request.retries + 1)
    if self.request.retries == 0:
        raise self.retry(exc=ConnectionError("connection reset"), countdown=0)
    return "fetched"


@app.task
def divide(a: int, b: int) -> float:
    """Fail with ZeroDivisionError when b is 0."""
    logger.info("dividing", a=a, b=b)
    return a / b
