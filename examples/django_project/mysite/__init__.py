"""The example's Django project; the Celery app is loaded with it, as Celery's docs advise."""

from .celery import app as celery_app

__all__ = ["celery_app"]
