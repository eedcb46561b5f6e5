"""The view that enqueues the task; the middleware has bound the request id already."""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from .tasks import charge

logger = logging.getLogger(__name__)


@require_POST
def charge_order(request: HttpRequest, order_id: int) -> JsonResponse:
    """Enqueue ``charge`` and answer at once with its task id."""
    result = charge.delay(order_id, 9.5)
    logger.info("charge of order %s enqueued", order_id)
    return JsonResponse({"task_id": result.id}, status=202)
