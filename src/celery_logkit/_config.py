"""The options of :func:`celery_logkit.install`: one model, four sources, validated once.

Each option ``<option>`` can be given as ``install(app, <option>=...)``, as the Celery
setting ``logkit_<option>`` (``CELERY_LOGKIT_<OPTION>`` in a Django ``settings.py`` read
with ``namespace="CELERY"``) and as the environment variable ``LOGKIT_<OPTION>``;
``schema`` and ``format`` also as the worker's ``--logkit-schema`` and ``--logkit-format``.
The command line wins over ``install()``, ``install()`` over settings, settings over the
environment; ``event_levels`` merges event by event.  docs/configuration.md is the
reference.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import _fastpath, _parse
from ._limits import DEFAULT_MAX_LINE_BYTES
from ._redaction import DEFAULT_REDACT_KEYS
from .schemas import SCHEMAS

__all__ = [
    "COMMAND_LINE",
    "DEFAULT_EVENT_LEVELS",
    "ENVIRONMENT_PREFIX",
    "FORMATS",
    "SETTING_PREFIX",
    "Options",
    "app_name",
    "configured",
    "set_configured",
    "unknown_variables",
    "unknown_variables_message",
]

FORMATS = ("auto", "json", "console")
SETTING_PREFIX = "logkit_"
ENVIRONMENT_PREFIX = "LOGKIT_"
COMMAND_LINE: Mapping[str, str] = {"schema": "--logkit-schema", "format": "--logkit-format"}
"""The options a worker also takes on its command line, and their flags."""

DEFAULT_EVENT_LEVELS: Mapping[str, int] = {
    "task_enqueued": logging.INFO,
    "task_received": logging.DEBUG,
    "task_started": logging.INFO,
    "task_retrying": logging.WARNING,
    "task_succeeded": logging.INFO,
    "task_ignored": logging.INFO,
    "task_failed": logging.ERROR,
    "task_failed_expected": logging.INFO,
    "task_revoked": logging.WARNING,
    "task_rejected": logging.WARNING,
    "task_not_found": logging.ERROR,
    "task_internal_error": logging.CRITICAL,
}
"""Each lifecycle event's level; ``task_failed_expected`` is ``task_failed`` for an
exception listed in the task's ``throws``."""

_OPTIONS: Mapping[str, tuple[_parse.Check, _parse.Parse]] = {
    "schema": (_parse.check_choice(sorted(SCHEMAS)), _parse.parse_choice),
    "format": (_parse.check_choice(FORMATS), _parse.parse_choice),
    "banner": (_parse.check_bool, _parse.parse_bool),
    "event_levels": (_parse.check_levels(DEFAULT_EVENT_LEVELS), _parse.parse_levels),
    "keep_celery_lines": (_parse.check_bool, _parse.parse_bool),
    "propagate": (_parse.check_names, _parse.parse_names),
    "service": (_parse.check_text, _parse.parse_text),
    "env": (_parse.check_text, _parse.parse_text),
    "version": (_parse.check_text, _parse.parse_text),
    "redact_keys": (_parse.check_names, _parse.parse_names),
    "max_line_bytes": (_parse.check_bytes, _parse.parse_bytes),
    "log_args": (_parse.check_bool, _parse.parse_bool),
    "log_result": (_parse.check_bool, _parse.parse_bool),
    "log_origin": (_parse.check_bool, _parse.parse_bool),
}
"""Each option's check of a value, and its parser of text (a variable, a string setting)."""


@dataclasses.dataclass(frozen=True)
class Options:
    """What :func:`~celery_logkit.install` was asked for (docs/configuration.md)."""

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
    log_origin: bool = False

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not _given(value):
                value = _default(field)
            object.__setattr__(self, field.name, _OPTIONS[field.name][0](field.name, value))

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
                f"install() got unknown option(s) {_suggesting(unknown)}; "
                f"accepted options are {', '.join(sorted(cls.names()))}"
            )
        return cls(**options)

    @classmethod
    def resolve(
        cls,
        settings: Mapping[str, Any],
        options: Mapping[str, Any],
        environ: Mapping[str, str] | None = None,
        command_line: Mapping[str, Any] | None = None,
    ) -> Options:
        """Merge the sources, each over the one before.

        From lowest to highest: *environ* (``LOGKIT_*``), a Celery app's *settings*
        (``logkit_*``), ``install()``'s *options*, the worker's *command_line*
        (``{"format": "console"}``).

        A value is checked where it is found, so an error names the variable, setting
        or flag it came from.  ``event_levels`` merges event by event.
        """
        cls.from_kwargs(options)
        sources = [
            _from_environment(os.environ if environ is None else environ),
            _from_settings(settings),
            {
                name: _OPTIONS[name][0](name, value)
                for name, value in options.items()
                if _given(value)
            },
            {
                name: _check(name, COMMAND_LINE[name], value)
                for name, value in (command_line or {}).items()
                if value is not None
            },
        ]
        merged: dict[str, Any] = {}
        levels: dict[str, int | None] = {}
        for source in sources:
            levels |= source.get("event_levels") or {}
            merged |= source
        if levels:
            merged["event_levels"] = levels
        return cls(**merged)


def _check(name: str, label: str, value: Any) -> Any:
    """Check *value* of option *name* given as *label*, parsing it first if it is text."""
    check, parse = _OPTIONS[name]
    return check(label, parse(label, value) if isinstance(value, str) else value)


def _given(value: Any) -> bool:
    """Whether a value says something (:func:`._parse.not_set` says when it does not).

    The same rule for every option and every source: only an empty list, or the word
    ``none``, turns redaction off.
    """
    return not _parse.not_set(value)


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    return {
        name: _check(name, variable, environ[variable])
        for name in _OPTIONS
        if _given(environ.get(variable := ENVIRONMENT_PREFIX + name.upper()))
    }


def _from_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``logkit_*`` settings of a Celery app's configuration, checked.

    Keys are ``logkit_<option>``, or ``<PREFIX>LOGKIT_<OPTION>`` when the app reads its
    settings with a namespace (Django's ``CELERY_``); without a namespace any case
    will do.  Two keys for one option must agree.
    """
    keys = [key for key in settings if isinstance(key, str)]  # iterating loads a lazy conf
    prefix = str(getattr(settings, "prefix", None) or "")
    found: dict[str, list[str]] = {}
    unknown: list[str] = []
    for key in keys:
        name = _setting_option(key, prefix)
        if name is None:
            continue
        if name in _OPTIONS:
            found.setdefault(name, []).append(key)
        else:
            unknown.append(key)
    if unknown:
        like = unknown[0]
        raise ValueError(
            "unknown celery-logkit setting(s) "
            f"{_suggesting(unknown, lambda name: _setting_like(like, prefix, name))}; "
            f"settings are {', '.join(_setting_like(like, prefix, n) for n in sorted(_OPTIONS))}"
        )
    values: dict[str, Any] = {}
    for name, names in found.items():
        given = [(key, settings[key]) for key in names if _given(settings[key])]
        if not given:
            continue
        if any(value != given[0][1] for _, value in given[1:]):
            raise ValueError(
                f"conflicting celery-logkit settings {' and '.join(f'{k}={v!r}' for k, v in given)}"
                f"; set {name} once"
            )
        label, value = given[0]
        values[name] = _check(name, label, value)
    return values


def _setting_option(key: str, prefix: str) -> str | None:
    """Return the option a setting *key* names (``None`` if not a logkit setting)."""
    lowered = key.lower()
    namespaced = (prefix + SETTING_PREFIX).lower()
    if prefix and lowered.startswith(namespaced):
        return lowered[len(namespaced) :]
    if lowered.startswith(SETTING_PREFIX) and (key == lowered or not prefix):
        return lowered[len(SETTING_PREFIX) :]
    return None


def _setting_like(example: str, prefix: str, name: str) -> str:
    """Return the setting for option *name*, written the way *example* is."""
    if prefix and example.lower().startswith((prefix + SETTING_PREFIX).lower()):
        return (prefix + SETTING_PREFIX + name).upper()
    if example.islower():
        return SETTING_PREFIX + name
    return (SETTING_PREFIX + name).upper()


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the ``LOGKIT_*`` environment variables that name no option."""
    env = os.environ if environ is None else environ
    known = {ENVIRONMENT_PREFIX + name.upper() for name in _OPTIONS} | {_fastpath.SWITCH}
    return sorted(k for k in env if k.startswith(ENVIRONMENT_PREFIX) and k not in known)


def unknown_variables_message(unknown: Iterable[str]) -> str:
    """Say which variables were not understood, and which would have been."""
    accepted = sorted(ENVIRONMENT_PREFIX + name.upper() for name in _OPTIONS)
    suggested = _suggesting(unknown, lambda name: ENVIRONMENT_PREFIX + name.upper())
    return (
        f"unknown celery-logkit environment variable(s) {suggested} "
        f"ignored; variables are {', '.join(accepted)}"
    )


def _suggesting(unknown: Iterable[str], spell: Callable[[str], str | None] = str) -> str:
    """``'shema' (did you mean 'schema'?), 'x'``: each unknown name, with a near miss.

    *spell* turns an option name into the unknown name's form (a setting, a variable);
    names are compared by their option part only, so a shared prefix is no likeness.
    """
    parts = []
    for name in unknown:
        part = name.lower().rsplit(SETTING_PREFIX, 1)[-1]
        close = difflib.get_close_matches(part, list(_OPTIONS), n=1, cutoff=0.75)
        suggestion = spell(close[0]) if close else None
        parts.append(f"{name!r} (did you mean {suggestion!r}?)" if suggestion else repr(name))
    return ", ".join(parts)


_current: Options | None = None
"""The options in force: what ``install()`` resolved, else the environment's alone."""
_source: Callable[[], Options] | None = None
_app_name: str | None = None


def configured() -> Options:
    """Return the options in force, resolving them on first use.

    The installed app's (``install()``'s options, its settings, the environment, a
    worker's command line) once ``install()`` ran, else the ``LOGKIT_*`` environment
    variables alone (the defaults if they cannot be read).  A formatter created without
    a schema follows them, even one that ``LOGGING`` created before they were read.
    """
    current = _current
    if current is not None:
        return current
    if _source is not None:
        return set_configured(_source())
    try:
        current = Options.resolve({}, {})
    except (TypeError, ValueError):
        current = Options()
    return set_configured(current)


def set_configured(options: Options | None, source: Callable[[], Options] | None = None) -> Options:
    """Record *options* as the ones in force (``None``: to be resolved by *source*)."""
    global _current, _source  # noqa: PLW0603 - one configuration per process
    _current = options
    if source is not None:
        _source = source
    return options  # type: ignore[return-value]


def app_name() -> str | None:
    """Return the main name of the app given to ``install()`` (the service's fallback)."""
    return _app_name


def set_app_name(name: str | None) -> None:
    """Record the installed app's main name (called by ``install()``)."""
    global _app_name  # noqa: PLW0603 - one installed app per process
    _app_name = name
