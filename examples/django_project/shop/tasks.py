"""The example's task: a task logger line with fields, and plain stdlib logger lines."""

import logging

from celery import shared_task

import celery_logkit

logger = celery_logkit.get_task_logger(__name__)
audit = logging.getLogger("shop.audit")


@shared_task
def charge(order_id: int, amount: float) -> str:
    """Charge an order: each line carries the task and the request id of the view."""
    logger.info("charging card", order_id=order_id, amount=amount)
    audit.info("order %s charged", order_id)
    audit.debug("audit detail for order %s", order_id)  # the shop.log file only
    return f"charged {order_id}"
