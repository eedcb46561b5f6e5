"""``--logkit-schema`` and ``--logkit-format``, added to ``celery worker`` and ``beat``.

celery adds an app's ``user_options["worker"]`` and ``["beat"]`` to those commands once
``-A`` has loaded the app (so ``install(app)`` must have run by then, as it has in the
module that defines the app), lists them in ``--help``, and passes their values on: the
worker hands them to ``celeryd_init`` receivers as ``options``, beat to its ``Beat``
class as keyword arguments.  Other commands (``inspect``, ...) are not touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from celery import Celery
from celery.bin.base import CeleryOption

from ._config import COMMAND_LINE, FORMATS
from .schemas import SCHEMAS

__all__ = ["COMMANDS", "add_worker_options", "from_worker_options", "option_params"]

COMMANDS = ("worker", "beat")
"""The celery commands that take logkit's options."""

HELP_GROUP = "celery-logkit Options"
_CHOICES = {"schema": sorted(SCHEMAS), "format": list(FORMATS)}
_HELP = {
    "schema": "Field names on each line (overrides install(), logkit_schema, LOGKIT_SCHEMA).",
    "format": "JSON, the console rendering, or auto: console on a terminal, else JSON "
    "(overrides install(), logkit_format, LOGKIT_FORMAT).",
}


def _param(name: str) -> str:
    return COMMAND_LINE[name].lstrip("-").replace("-", "_")


def option_params() -> tuple[str, ...]:
    """Return the keyword names celery passes the options' values under."""
    return tuple(_param(name) for name in COMMAND_LINE)


def add_worker_options(app: Celery) -> None:
    """Add the options to *app*'s ``celery worker`` and ``celery beat`` (once per app)."""
    for command in COMMANDS:
        _add_options(app.user_options[command])


def _add_options(options: set[Any]) -> None:
    present = {getattr(option, "name", None) for option in options}
    for name, flag in COMMAND_LINE.items():
        if _param(name) in present:
            continue
        options.add(
            CeleryOption(
                [flag],
                type=click.Choice(_CHOICES[name], case_sensitive=False),
                help=_HELP[name],
                help_group=HELP_GROUP,
            )
        )


def from_worker_options(options: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the options given on the command line (``celeryd_init``'s, or beat's)."""
    given = options or {}
    return {name: given[_param(name)] for name in COMMAND_LINE if given.get(_param(name))}
