"""Keep secrets out of the lines: values under secret-looking keys become ``[REDACTED]``.

A key matches when, lower-cased and with ``-``, ``_``, ``.`` and spaces removed, it
contains one of the patterns (``X-Api-Key`` and ``api_key`` both contain ``apikey``).
Matching is by key only, at any depth of nested mappings, lists and tuples, in everything
the caller adds to a line: bound context, ``extra=``, keyword fields, propagated keys.  A
named tuple's field names are its keys (``Creds(user, api_key)`` keeps ``user`` and hides
``api_key``).  Other objects are not taken apart (rebuilding one could run its
``__init__`` and fail); in a task's args or result, a dataclass's generated ``repr`` shows
its fields as ``name=value``, which the reading of text below redacts.

Text that holds keys (a task's arguments as celery's ``repr``) is redacted by reading it:
a value written after a secret-looking key and ``:`` or ``=`` is replaced up to the end
of that value, brackets and quotes counted; a value the text cuts off is replaced up to
the end of the text.  Key-based redaction does not see secrets in free text, exception
messages or an object's ``str()``.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from celery.utils.saferepr import saferepr

from ._parse import check_names, not_set

__all__ = ["DEFAULT_REDACT_KEYS", "MAX_REPR_CHARS", "REDACTED", "Redactor", "redactor_for"]

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
_TOKEN = re.compile(
    r"""(?P<string>[rbuRBU]{0,2}(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))"""
    r"""|(?P<word>[\w\-.]+)|(?P<space>\s+)|(?P<other>.)""",
    re.DOTALL,
)
"""One token of a repr: a quoted string, a word, spaces, or one other character (the quote
of a string the text cuts off is one)."""
_OPENING = {"(": ")", "[": "]", "{": "}", "<": ">"}
_REDACTED_TEXT = repr(REDACTED)
_CLOSING = frozenset(_OPENING.values())
MAX_REPR_CHARS = 1024
"""How much of a task's args, kwargs or result repr a line keeps."""
_LITERAL_LIMIT = 16_384
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CACHE_SIZE = 4096


class Redactor:
    """Replaces the values of secret-looking keys, in fields and in reprs."""

    def __init__(self, patterns: Iterable[str] | None = DEFAULT_REDACT_KEYS) -> None:
        """Match keys against *patterns*: key names, or one comma-separated string.

        They are read as the ``redact_keys`` option is, everywhere: ``None``, blank
        text and a list of only blank names are "not set" (the defaults); an empty
        list or the word ``none`` turns redaction off.
        """
        if not isinstance(patterns, str | None):
            patterns = tuple(patterns)  # an iterator, read once here
        if not_set(patterns):
            patterns = DEFAULT_REDACT_KEYS
        names = check_names("redact_keys", patterns)
        self.patterns = tuple(_NORMALISE.sub("", name.lower()) for name in names)
        self._verdicts: dict[str, bool] = {}

    def is_secret(self, key: object) -> bool:
        """Whether values under *key* are redacted."""
        if type(key) is not str:  # a subclass's own lower() or __eq__ must not poison the cache
            try:
                key = str.__str__(key) if isinstance(key, str) else str(key)
            except Exception:  # noqa: BLE001 - a key that cannot be read: its value is hidden
                return True
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
        names = _field_names(value, len(items))
        if names is None:
            redacted_items = [self.redact(v, seen) for v in items]
        else:
            redacted_items = [
                REDACTED if self.is_secret(name) else self.redact(v, seen)
                for name, v in zip(names, items, strict=True)
            ]
        if not any(a is not b for a, b in zip(redacted_items, items, strict=True)):
            return value
        if names is not None:
            return _with_items(value, names, redacted_items)
        return tuple(redacted_items) if isinstance(value, tuple) else redacted_items

    def redact_repr(self, text: str) -> str:
        """Redact a ``repr`` (celery's ``argsrepr``/``kwargsrepr``), then cap its size.

        A repr of literals is parsed and redacted like any value; anything else is read
        by :meth:`redact_text`.
        """
        redacted = None
        if self.patterns and len(text) <= _LITERAL_LIMIT:
            try:
                redacted = repr(self.redact(ast.literal_eval(text)))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                redacted = None
        if redacted is None:
            redacted = self.redact_text(text)
        return _capped(redacted)

    def redact_value_repr(self, value: Any) -> str:
        """Return a capped ``repr`` of *value*, its secrets redacted before it is text.

        The structure is redacted first, so neither an object in it nor the cut at
        :data:`MAX_REPR_CHARS` can hide a key; the text is then read by
        :meth:`redact_text` for the ``key=value`` pairs of objects' own reprs.
        """
        if not self.patterns:
            return _capped(saferepr(value, MAX_REPR_CHARS))
        return _capped(self.redact_text(saferepr(self.redact(value), MAX_REPR_CHARS)))

    def redact_text(self, text: str) -> str:
        """Replace what follows each secret-looking key and ``:`` or ``=`` in *text*.

        A key is a quoted string, a word, or a bracketed group (a tuple key) written
        just before the separator.  The value replaced runs to the next ``,`` or
        closing bracket outside brackets and strings of its own, or to the end of a
        text that is cut off inside it: too much is replaced rather than too little.
        """
        if not self.patterns or not self._mentions_a_pattern(text):
            return text
        pieces: list[str] = []
        done = 0
        key: str | None = None
        opened: list[int] = []
        for match in _TOKEN.finditer(text):
            start, kind = match.start(), match.lastgroup
            if start < done or kind == "space":
                continue
            token = match[0]
            if kind == "other" and token in ":=" and key is not None:
                after = match.end()
                if not text.startswith("=", after) and self.is_secret(key):
                    value = after + len(text[after:]) - len(text[after:].lstrip())
                    pieces += (text[done:value], _REDACTED_TEXT)
                    done = _value_end(text, value)
                    key = None
                    continue
            key = None
            if kind == "string":
                key = token.lstrip("rbuRBU")[1:-1]
            elif kind == "word":
                key = token
            elif token in _OPENING:
                opened.append(start)
            elif token in _CLOSING and opened:
                key = text[opened.pop() : match.end()]
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    def _mentions_a_pattern(self, text: str) -> bool:
        """Whether any pattern is in *text* at all (no key of it can match otherwise)."""
        normal = _NORMALISE.sub("", text.lower())
        return any(pattern in normal for pattern in self.patterns)

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


@functools.lru_cache(maxsize=8)
def redactor_for(patterns: tuple[str, ...]) -> Redactor:
    """Return the one :class:`Redactor` for *patterns*, shared by every caller."""
    return Redactor(patterns)


def _field_names(value: list[Any] | tuple[Any, ...], length: int) -> tuple[str, ...] | None:
    """Return the field names of a named tuple *value* of *length* items, else ``None``.

    A named tuple's field names are its keys: read as a plain tuple, its secrets would
    be written as they are (celery's ``saferepr`` even drops the names, leaving
    positional values no reader can tell apart).
    """
    names = getattr(type(value), "_fields", None)
    if (
        isinstance(value, tuple)
        and isinstance(names, tuple)
        and len(names) == length
        and all(isinstance(name, str) for name in names)
    ):
        return names
    return None


def _with_items(value: Any, names: tuple[str, ...], items: list[Any]) -> Any:
    """Return named tuple *value* with *items* for its fields, its type kept.

    A named tuple whose ``_replace`` fails (a hostile subclass) becomes a plain tuple
    of the redacted items: its type's name is lost rather than a secret kept.
    """
    changed = {
        name: new for name, new, old in zip(names, items, value, strict=True) if new is not old
    }
    try:
        return value._replace(**changed)
    except Exception:  # noqa: BLE001 - redaction must not fail where the value is odd
        return tuple(items)


def _value_end(text: str, pos: int) -> int:
    """Where the value that starts at *pos* in *text* ends (the text's end if cut off)."""
    depth = 0
    end = len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        assert match is not None
        token = match[0]
        if match.lastgroup == "other":
            if token in "'\"":
                return end  # a string cut off, or a text that cannot be read
            if token in _OPENING:
                depth += 1
            elif token in _CLOSING or token == ",":
                if depth == 0:
                    return pos
                if token != ",":
                    depth -= 1
        pos = match.end()
    return end


def _capped(text: str) -> str:
    if len(text) <= MAX_REPR_CHARS:
        return text
    cut = len(text) - MAX_REPR_CHARS
    return f"{text[:MAX_REPR_CHARS]}…[truncated {cut} chars]"
