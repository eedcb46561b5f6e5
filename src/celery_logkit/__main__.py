"""``python -m celery_logkit``: the ``celery-logkit`` command."""

from celery_logkit._command import main

main()
