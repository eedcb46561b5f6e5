"""The Celery app: Django settings under ``CELERY_``, tasks from each app, logkit installed."""

import os

from celery import Celery

import celery_logkit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

app = Celery("mysite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
celery_logkit.install(app)
