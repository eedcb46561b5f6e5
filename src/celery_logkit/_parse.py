"""Check one option's value, and read it from text, naming where it came from.

Every check and parser takes a *label* — the ``install()`` keyword, the setting or the
environment variable the value was given as — so an error names what the user wrote,
and says what would have been accepted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "EMPTY_LIST",
    "FALSE",
    "OFF",
    "TRUE",
    "Check",
    "Parse",
    "check_bool",
    "check_bytes",
    "check_choice",
    "check_levels",
    "check_names",
    "check_text",
    "not_set",
    "parse_bool",
    "parse_bytes",
    "parse_choice",
    "parse_levels",
    "parse_names",
    "parse_text",
]

Check = Callable[[str, Any], Any]
Parse = Callable[[str, str], Any]

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
OFF = ("off", "none")
EMPTY_LIST = "none"
LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_LINE_BYTES = 1024


# -- checks: a Python value, from install(), a setting, or a parser below ---------------


def check_choice(accepted: Sequence[str]) -> Check:
    """Return a check that *value* is one of *accepted*."""

    def check(label: str, value: Any) -> str:
        if not isinstance(value, str) or value not in accepted:
            raise ValueError(f"{label}={value!r} is not one of {', '.join(map(repr, accepted))}")
        return value

    return check


def check_bool(label: str, value: Any) -> bool:
    """Accept ``True`` or ``False``, nothing else (``1`` or ``"yes"`` only as text)."""
    if not isinstance(value, bool):
        raise TypeError(f"{label}={value!r} must be True or False")
    return value


def check_text(label: str, value: Any) -> str | None:
    """Accept a string, or ``None`` for "not given"."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{label}={value!r} must be a string")
    return value


def check_names(label: str, value: Any) -> tuple[str, ...]:
    """Accept key names: a list of strings, or text read as :func:`parse_names` reads it.

    Text means the same in every source (``"none"`` is the empty list, in ``install()``
    as in a variable).  Names are stripped and blank ones dropped, as in text: a list
    built by splitting an empty variable (``[""]``) names nothing, and is "not set"
    (see :func:`not_set`).  A one-shot iterator is refused: the options are read
    again at each worker's start, and would find it empty.
    """
    if isinstance(value, str):
        return parse_names(label, value)
    if isinstance(value, Mapping) or not isinstance(value, Collection):
        raise TypeError(f"{label}={value!r} must be a list or tuple of key names, or text")
    if not all(isinstance(name, str) for name in value):
        raise TypeError(f"{label}={value!r} must be a list of key names (strings)")
    return tuple(name.strip() for name in value if name.strip())


def not_set(value: Any) -> bool:
    """Whether *value* says nothing, in every source: the next source down decides.

    ``None`` (an unset variable read with ``os.environ.get()``), blank text (deployment
    files often leave the unused variables empty) and a list of only blank names (that
    empty text split: ``"".split(",")`` is ``[""]``) ask for nothing, so they cannot
    change an option, above all not turn redaction off.
    """
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return (
        isinstance(value, Collection)
        and not isinstance(value, Mapping)
        and len(value) > 0
        and all(isinstance(name, str) and not name.strip() for name in value)
    )


def check_bytes(label: str, value: Any) -> int:
    """Accept a whole number of bytes, at least :data:`MIN_LINE_BYTES`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_LINE_BYTES:
        raise ValueError(
            f"{label}={value!r} must be a whole number of bytes, at least {MIN_LINE_BYTES}"
        )
    return value


def check_levels(events: Iterable[str]) -> Check:
    """Return a check of ``{event: level}`` against the known *events*."""
    known = tuple(events)

    def check(label: str, value: Any) -> dict[str, int | None]:
        if not isinstance(value, Mapping):
            raise TypeError(f"{label}={value!r} must be a mapping of event to level")
        unknown = [event for event in value if event not in known]
        if unknown:
            raise ValueError(
                f"{label} has unknown event(s) {', '.join(map(repr, unknown))}; "
                f"events are {', '.join(known)}"
            )
        return {event: _level(label, event, level) for event, level in value.items()}

    return check


def _level(label: str, event: str, value: object) -> int | None:
    if value is None or value is False:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in OFF:
            return None
        if text.isdigit():
            return int(text)
        if text.upper() in LEVEL_NAMES:
            level: int = logging.getLevelName(text.upper())
            return level
    raise ValueError(
        f"{label}[{event!r}]={value!r} is not a level: use a level name "
        f"({', '.join(map(repr, LEVEL_NAMES))}), a number, or None or 'off' to turn it off"
    )


# -- parsers: text from an environment variable or a string setting ---------------------


def parse_choice(label: str, text: str) -> str:
    """Read a choice: case and surrounding spaces do not matter (``" JSON "`` is ``"json"``)."""
    return text.strip().lower()


def parse_text(label: str, text: str) -> str:
    """Return the text without surrounding spaces."""
    return text.strip()


def parse_bool(label: str, text: str) -> bool:
    """Read ``1/0``, ``true/false``, ``yes/no`` or ``on/off``, in any case."""
    word = text.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(
        f"{label}={text!r} is not a boolean: use one of {', '.join(TRUE)} (true) "
        f"or {', '.join(FALSE)} (false)"
    )


def parse_bytes(label: str, text: str) -> int:
    """Read a decimal integer (``16384`` or ``16_384``)."""
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(
            f"{label}={text!r} is not a whole number of bytes: write digits, "
            f"at least {MIN_LINE_BYTES}"
        ) from None


def parse_names(label: str, text: str) -> tuple[str, ...]:
    """Read comma-separated key names; the word ``none`` is the empty list."""
    if text.strip().lower() == EMPTY_LIST:
        return ()
    return _split(text)


def parse_levels(label: str, text: str) -> dict[str, str]:
    """Read comma-separated ``event=level`` pairs: ``task_started=DEBUG,task_received=off``."""
    levels: dict[str, str] = {}
    for item in _split(text):
        event, equals, level = item.partition("=")
        event, level = event.strip(), level.strip()
        if not equals or not event or not level:
            raise ValueError(
                f"{label}={text!r}: {item!r} is not event=level; write for example "
                "task_started=DEBUG,task_received=off"
            )
        if event in levels:
            raise ValueError(f"{label}={text!r} gives {event!r} twice")
        levels[event] = level
    return levels


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())
