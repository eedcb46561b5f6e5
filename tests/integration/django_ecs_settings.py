"""The Django example's settings, asking for the ECS schema in a setting."""

from mysite.settings import *  # noqa: F403

CELERY_LOGKIT_SCHEMA = "ecs"
