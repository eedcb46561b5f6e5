"""The worker's ``--logkit-schema`` and ``--logkit-format``, added to celery's CLI.

celery adds an app's ``user_options["worker"]`` to ``celery worker`` once ``-A`` has
loaded the app (so ``install(app)`` must have run by then, as it has in the module that
defines the app), lists them in ``--help``, and passes their values to the worker,
which hands them to ``celeryd_init`` receivers as ``options``.  Other commands
(``beat``, ``inspect``, ...) are not touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from celery import Celery
from celery.bin.base import CeleryOption

from .config import COMMAND_LINE, FORMATS
from .schemas import SCHEMAS

__all__ = ["add_worker_options", "from_worker_options"]

HELP_GROUP = "celery-logkit Options"
_CHOICES = {"schema": sorted(SCHEMAS), "format": list(FORMATS)}
_HELP = {
    "schema": "Field names on each line (overrides install(), logkit_schema, LOGKIT_SCHEMA).",
    "format": "JSON, the console rendering, or auto: console on a terminal, else JSON "
    "(overrides install(), logkit_format, LOGKIT_FORMAT).",
}


def _param(name: str) -> str:
    return COMMAND_LINE[name].lstrip("-").replace("-", "_")


def add_worker_options(app: Celery) -> None:
    """Add the options to *app*'s ``celery worker`` command (once per app)."""
    worker = app.user_options["worker"]
    present = {getattr(option, "name", None) for option in worker}
    for name, flag in COMMAND_LINE.items():
        if _param(name) in present:
            continue
        worker.add(
            CeleryOption(
                [flag],
                type=click.Choice(_CHOICES[name], case_sensitive=False),
                help=_HELP[name],
                help_group=HELP_GROUP,
            )
        )


def from_worker_options(options: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the options given on the worker's command line (``celeryd_init``'s)."""
    given = options or {}
    return {name: given[_param(name)] for name in COMMAND_LINE if given.get(_param(name))}
