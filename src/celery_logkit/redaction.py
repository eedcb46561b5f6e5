"""Keep secrets out of the lines: values under secret-looking keys become ``[REDACTED]``.

A key matches when, lower-cased and with ``-``, ``_``, ``.`` and spaces removed, it
contains one of the patterns (``X-Api-Key`` and ``api_key`` both contain ``apikey``).
Matching is by key only, at any depth of nested mappings and lists, in everything the
caller adds to a line: bound context, ``extra=``, keyword fields, propagated keys.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .processors import CONFLICTS_KEY, OWNED_KEYS, EventDict

__all__ = ["DEFAULT_REDACT_KEYS", "MAX_REPR_CHARS", "REDACTED", "Redactor"]

REDACTED = "[REDACTED]"

DEFAULT_REDACT_KEYS: tuple[str, ...] = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "authorization",
    "cookie",
    "session",
    "privatekey",
    "credential",
    "creditcard",
    "cardnumber",
    "ccnumber",
    "cvv",
    "cvc",
    "iban",
    "ssn",
)
"""The default patterns (see the module's docstring for how keys are matched)."""

_NORMALISE = re.compile(r"[-_.\s]")
_PAIR = re.compile(
    r"""(?P<key>['"]?[\w\-.]+['"]?)(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^,}\)\]\s]+)"""
)
MAX_REPR_CHARS = 1024
"""How much of a task's args, kwargs or result repr a line keeps."""
_LITERAL_LIMIT = 16_384
_LINES_OWN = OWNED_KEYS - {CONFLICTS_KEY}
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CACHE_SIZE = 4096


class Redactor:
    """A processor that replaces the values of secret-looking keys."""

    def __init__(self, patterns: Iterable[str] = DEFAULT_REDACT_KEYS) -> None:
        self.patterns = tuple(_NORMALISE.sub("", p.lower()) for p in patterns if p)
        self._verdicts: dict[str, bool] = {}

    def is_secret(self, key: object) -> bool:
        """Whether values under *key* are redacted."""
        if not isinstance(key, str):
            key = str(key)
        verdict = self._verdicts.get(key)
        if verdict is None:
            normal = _NORMALISE.sub("", key.lower())
            verdict = any(p in normal for p in self.patterns)
            if len(self._verdicts) < _CACHE_SIZE:
                self._verdicts[key] = verdict
        return verdict

    def redact(self, value: Any, _seen: frozenset[int] = frozenset()) -> Any:
        """Return *value* with secret-looking keys' values replaced, at any depth.

        Containers without secrets are returned as they are (no copy), and a container
        met again inside itself is left to the serialiser, which marks the cycle.
        """
        if not isinstance(value, Mapping | list | tuple) or id(value) in _seen:
            return value
        seen = _seen | {id(value)}
        if isinstance(value, Mapping):
            try:
                items = list(value.items())
            except Exception:  # noqa: BLE001 - a broken mapping is the serialiser's to show
                return value
            redacted = {
                k: REDACTED if self.is_secret(k) else self.redact(v, seen) for k, v in items
            }
            changed = any(redacted[k] is not v for k, v in items)
            return redacted if changed else value
        items = list(value)
        redacted_items = [self.redact(v, seen) for v in items]
        if not any(a is not b for a, b in zip(redacted_items, items, strict=True)):
            return value
        return tuple(redacted_items) if isinstance(value, tuple) else redacted_items

    def redact_repr(self, text: str) -> str:
        """Redact a ``repr`` (celery's ``argsrepr``/``kwargsrepr``), then cap its size.

        A repr of literals is parsed and redacted like any value; anything else has its
        ``key: value`` and ``key=value`` pairs with secret-looking keys replaced.
        """
        redacted = None
        if self.patterns and len(text) <= _LITERAL_LIMIT:
            try:
                redacted = repr(self.redact(ast.literal_eval(text)))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                redacted = None
        if redacted is None:
            redacted = _PAIR.sub(self._redact_pair, text) if self.patterns else text
        if len(redacted) > MAX_REPR_CHARS:
            cut = len(redacted) - MAX_REPR_CHARS
            redacted = f"{redacted[:MAX_REPR_CHARS]}…[truncated {cut} chars]"
        return redacted

    def _redact_pair(self, match: re.Match[str]) -> str:
        if not self.is_secret(match["key"].strip("'\"")):
            return match[0]
        return f"{match['key']}{match['sep']}'{REDACTED}'"

    def redact_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Redact the caller's *fields* in place (the keys, then nested values)."""
        verdicts = self._verdicts
        for key, value in fields.items():
            secret = verdicts.get(key)
            if secret is None:
                secret = self.is_secret(key)
            if secret:
                fields[key] = REDACTED
            elif value.__class__ not in _SCALARS and isinstance(value, Mapping | list | tuple):
                fields[key] = self.redact(value)
        return fields

    def __call__(self, record: logging.LogRecord, event: EventDict) -> EventDict:
        """Redact the caller's fields of *event* (the line's own fields are not theirs)."""
        if not self.patterns:
            return event
        for key in event.keys() - _LINES_OWN:
            value = event[key]
            if self.is_secret(key):
                event[key] = REDACTED
            elif isinstance(value, Mapping | list | tuple):
                event[key] = self.redact(value)
        return event
