"""The options of :func:`celery_logkit.install`, validated once.

Each option can be given to ``install(app, ...)`` or as a Celery setting named
``logkit_<option>`` (``CELERY_LOGKIT_<OPTION>`` in a Django ``settings.py`` read with
``namespace="CELERY"``); ``schema`` and ``format`` also as the environment variables
``LOGKIT_SCHEMA`` and ``LOGKIT_FORMAT``.  ``install()``'s arguments win over settings,
settings over environment variables.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

from .limits import DEFAULT_MAX_LINE_BYTES
from .redaction import DEFAULT_REDACT_KEYS
from .schemas import SCHEMAS

__all__ = ["DEFAULT_EVENT_LEVELS", "SETTING_PREFIX", "Options"]

FORMATS = ("auto", "json", "console")
ENVIRONMENT = {"schema": "LOGKIT_SCHEMA", "format": "LOGKIT_FORMAT"}
SETTING_PREFIX = "logkit_"
MIN_LINE_BYTES = 1024

DEFAULT_EVENT_LEVELS: Mapping[str, int] = {
    "task_enqueued": logging.INFO,
    "task_received": logging.DEBUG,
    "task_started": logging.INFO,
    "task_retrying": logging.WARNING,
    "task_succeeded": logging.INFO,
    "task_failed": logging.ERROR,
    "task_failed_expected": logging.INFO,
    "task_revoked": logging.WARNING,
    "task_rejected": logging.WARNING,
    "task_not_found": logging.ERROR,
    "task_internal_error": logging.CRITICAL,
}
"""Each lifecycle event's level; ``task_failed_expected`` is ``task_failed`` for an
exception listed in the task's ``throws``."""

_OFF = (None, False, "off", "OFF", "none", "NONE")


def _level(event: str, value: object) -> int | None:
    if value in _OFF:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and isinstance(logging.getLevelName(value.upper()), int):
        level: int = logging.getLevelName(value.upper())
        return level
    raise ValueError(
        f"event_levels[{event!r}]={value!r} is not a level: use a level name "
        "('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'), a number, or None to turn it off"
    )


def _names(option: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, Iterable) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{option}={values!r} must be a list of key names")
    return tuple(values)


@dataclasses.dataclass(frozen=True)
class Options:
    """What :func:`~celery_logkit.install` was asked for (see the README's table)."""

    schema: str = "default"
    format: str = "auto"
    banner: bool = False
    event_levels: Mapping[str, int | None] = dataclasses.field(default_factory=dict)
    keep_celery_lines: bool = False
    propagate: tuple[str, ...] = ("request_id", "correlation_id")
    service: str | None = None
    env: str | None = None
    version: str | None = None
    redact_keys: tuple[str, ...] = DEFAULT_REDACT_KEYS
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    log_args: bool = False
    log_result: bool = False

    def __post_init__(self) -> None:
        if self.schema not in SCHEMAS:
            accepted = ", ".join(repr(n) for n in sorted(SCHEMAS))
            raise ValueError(f"schema={self.schema!r} is not one of {accepted}")
        if self.format not in FORMATS:
            accepted = ", ".join(repr(f) for f in FORMATS)
            raise ValueError(f"format={self.format!r} is not one of {accepted}")
        for name in ("banner", "keep_celery_lines", "log_args", "log_result"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name}={getattr(self, name)!r} must be True or False")
        for name in ("service", "env", "version"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise TypeError(f"{name}={getattr(self, name)!r} must be a string")
        if not isinstance(self.event_levels, Mapping):
            raise TypeError(f"event_levels={self.event_levels!r} must be a mapping")
        unknown = sorted(set(self.event_levels) - set(DEFAULT_EVENT_LEVELS))
        if unknown:
            raise ValueError(
                f"event_levels has unknown event(s) {', '.join(map(repr, unknown))}; "
                f"events are {', '.join(DEFAULT_EVENT_LEVELS)}"
            )
        levels = {k: _level(k, v) for k, v in self.event_levels.items()}
        object.__setattr__(self, "event_levels", levels)
        object.__setattr__(self, "propagate", _names("propagate", self.propagate))
        object.__setattr__(self, "redact_keys", _names("redact_keys", self.redact_keys or ()))
        size = self.max_line_bytes
        if isinstance(size, bool) or not isinstance(size, int) or size < MIN_LINE_BYTES:
            raise ValueError(
                f"max_line_bytes={size!r} must be a whole number of bytes, "
                f"at least {MIN_LINE_BYTES}"
            )

    def level(self, event: str) -> int | None:
        """Return *event*'s level, or ``None`` when it is turned off."""
        if event in self.event_levels:
            return self.event_levels[event]
        return DEFAULT_EVENT_LEVELS[event]

    @classmethod
    def names(cls) -> list[str]:
        """Return the option names."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any]) -> Options:
        """Build from ``install()``'s keyword arguments; unknown names fail clearly."""
        unknown = sorted(set(options) - set(cls.names()))
        if unknown:
            raise TypeError(
                f"install() got unknown option(s) {', '.join(map(repr, unknown))}; "
                f"accepted options are {', '.join(sorted(cls.names()))}"
            )
        return cls(**options)

    @classmethod
    def resolve(
        cls,
        settings: Mapping[str, Any],
        options: Mapping[str, Any],
        environ: Mapping[str, str] | None = None,
    ) -> Options:
        """Merge *environ*, then a Celery app's ``logkit_*`` *settings*, under *options*.

        ``event_levels`` merges per event: an event ``install()`` names wins, the
        others keep their setting.
        """
        known = set(cls.names())
        unknown = sorted(
            key
            for key in settings
            if isinstance(key, str)
            and key.lower().startswith(SETTING_PREFIX)
            and key.lower()[len(SETTING_PREFIX) :] not in known
        )
        if unknown:
            raise ValueError(
                f"unknown celery-logkit setting(s) {', '.join(map(repr, unknown))}; "
                f"settings are {', '.join(SETTING_PREFIX + n for n in sorted(known))}"
            )
        env = os.environ if environ is None else environ
        merged: dict[str, Any] = {
            name: env[variable] for name, variable in ENVIRONMENT.items() if env.get(variable)
        }
        merged |= {
            name: settings[SETTING_PREFIX + name]
            for name in known
            if settings.get(SETTING_PREFIX + name) is not None
        }
        levels = {**(merged.get("event_levels") or {}), **(options.get("event_levels") or {})}
        merged.update(options)
        if levels:
            merged["event_levels"] = levels
        return cls.from_kwargs(merged)
