"""Settings of the example: no database, Celery under ``CELERY_``, logging in ``LOGGING``.

``EXAMPLE_DATA_DIR`` is where the embedded broker's messages and ``shop.log`` go (a
folder under the system's temporary folder by default); ``CELERY_BROKER_URL`` picks
another broker, such as ``redis://127.0.0.1:6379/0``.
"""

import os
import tempfile
from pathlib import Path

DATA_DIR = Path(
    os.environ.get("EXAMPLE_DATA_DIR")
    or Path(tempfile.gettempdir()) / "celery-logkit-django-example"
)
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret")
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["mysite.middleware.RequestIdMiddleware"]
ROOT_URLCONF = "mysite.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
TIME_ZONE = "UTC"

# Celery reads every CELERY_* setting (celery.py: namespace="CELERY").
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(DATA_DIR / "broker"),
        "data_folder_out": str(DATA_DIR / "broker"),
        "control_folder": str(DATA_DIR / "broker" / "control"),
        "polling_interval": 0.1,
    }
    (DATA_DIR / "broker").mkdir(exist_ok=True)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE") or "celery"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker keeps LOGGING's root handlers
CELERY_LOGKIT_LOG_ARGS = True  # as install(app, log_args=True): task_started shows the args

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "celery_logkit.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "level": "INFO"},
        "file": {
            "class": "logging.FileHandler",
            "filename": str(DATA_DIR / "shop.log"),
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"shop": {"handlers": ["file"], "level": "DEBUG"}},
}
