"""The Django example's settings, with celery's default ``worker_hijack_root_logger``."""

from mysite.settings import *  # noqa: F403

CELERY_WORKER_HIJACK_ROOT_LOGGER = True
