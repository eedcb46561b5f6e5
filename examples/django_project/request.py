"""Send one request to the example, through Django's test client (no server needed).

    python request.py [ORDER_ID] [REQUEST_ID]

``POST /orders/ORDER_ID/charge/`` with the header ``X-Request-ID: REQUEST_ID`` (without
it, the middleware makes one); prints the enqueued task's id and the request id as JSON.
The view's lines, celery-logkit's ``task_enqueued`` among them, go to stderr as JSON.
"""

import json
import os
import sys

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    django.setup()
    from django.test import Client  # noqa: PLC0415 - after django.setup()

    order_id = sys.argv[1] if len(sys.argv) > 1 else "7"
    headers = {"X-Request-ID": sys.argv[2]} if len(sys.argv) > 2 else {}
    response = Client().post(f"/orders/{order_id}/charge/", headers=headers)
    print(json.dumps({**response.json(), "request_id": response["X-Request-ID"]}))
    return 0 if response.status_code == 202 else 1


if __name__ == "__main__":
    sys.exit(main())
