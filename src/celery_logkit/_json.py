"""Serialise an event dict to one JSON line that always parses.

The fast path is orjson (the stdlib's C encoder where orjson is not installed) with a
``default`` hook for the common non-JSON types.  Anything that still cannot be
encoded (cycles, integers past 64 bits, keys that are not strings, lone surrogates,
objects whose ``repr`` raises) takes a slow path that rebuilds the value from plain
JSON types with readable placeholders, so a record is never dropped for its content.
Both paths write NaN and infinities as ``null``, as orjson does: a string there would
clash with a numeric field's mapping in Elasticsearch.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import enum
import functools
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

_orjson: Any
try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; kept optional at run time
    _orjson = None

__all__ = ["dumps", "dumps_bytes", "dumps_serialised", "serialised_once", "to_jsonable"]

MAX_DEPTH = 32
"""Nesting deeper than this is replaced by a placeholder (Datadog reads 10 levels)."""


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - any repr may fail; the record must not
        return f"<unrepresentable {type(value).__name__}>"


def _default(value: object) -> Any:
    """Encode the usual non-JSON values the way a reader expects them."""
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, Exception):
        return f"{type(value).__qualname__}: {value}"
    if isinstance(value, enum.Enum):  # its value, as orjson writes it
        return value.value
    if isinstance(value, numbers.Integral):  # numpy's integers, ...
        return int(value)
    if isinstance(value, numbers.Real):  # float subclasses (numpy.float64), Fraction, ...
        number = float(value)
        return number if math.isfinite(number) else None
    # Decimal, UUID, Path and any other object: its string form.
    try:
        return str(value)
    except Exception:  # noqa: BLE001
        return _safe_repr(value)


_encoder = json.JSONEncoder(
    ensure_ascii=False,
    allow_nan=False,
    separators=(",", ":"),
    default=_default,
)


def _float(value: float) -> float | None:
    return value if math.isfinite(value) else None


def to_jsonable(value: Any, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> Any:
    """Return *value* rebuilt from JSON types only, never raising."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _float(value)
    if _depth >= MAX_DEPTH:
        return "<too deep>"
    if id(value) in _seen:
        return "<cycle>"
    seen = _seen | {id(value)}
    if isinstance(value, Mapping):
        try:
            items = list(value.items())
        except Exception:  # noqa: BLE001
            return _safe_repr(value)
        return {
            k if isinstance(k, str) else str(to_jsonable(k, _depth + 1, seen)): to_jsonable(
                v, _depth + 1, seen
            )
            for k, v in items
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v, _depth + 1, seen) for v in value]
    try:
        converted = _default(value)
    except Exception:  # noqa: BLE001
        return _safe_repr(value)
    if isinstance(converted, str):
        return converted
    return to_jsonable(converted, _depth + 1, seen)


def _stdlib_dumps(event: Mapping[str, Any]) -> str:
    try:
        text = _encoder.encode(event)
    except (TypeError, ValueError, RecursionError):
        text = _encoder.encode(to_jsonable(event))
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates cannot be written as UTF-8: escape everything instead.
            text = json.dumps(to_jsonable(event), ensure_ascii=True, separators=(",", ":"))
    return text


_ORJSON_OPTIONS = (
    0
    if _orjson is None
    # datetimes and dataclasses through ``_default``, as the stdlib path writes them
    else _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS
)


def _slow_dumps_bytes(event: Mapping[str, Any]) -> bytes:
    return _stdlib_dumps(event).encode("utf-8")


if _orjson is not None:
    _orjson_dumps = functools.partial(_orjson.dumps, default=_default, option=_ORJSON_OPTIONS)

    def dumps_bytes(event: Mapping[str, Any]) -> bytes:
        """Return *event* as compact UTF-8 JSON: one line, always valid."""
        try:
            data: bytes = _orjson_dumps(event)
        except TypeError:  # orjson.JSONEncodeError: the slow path names what it could not
            return _slow_dumps_bytes(event)
        return data

else:  # pragma: no cover
    dumps_bytes = _slow_dumps_bytes


def serialised_once(line: Mapping[str, Any]) -> dict[str, Any]:
    """Return *line* with its nested objects as JSON already written (orjson fragments).

    For the parts of a line that repeat on every line: orjson copies their bytes instead
    of walking them again.  Only :func:`dumps_serialised` writes such a line.
    """
    out = dict(line)
    if _orjson is None:  # pragma: no cover
        return out
    for key, value in line.items():
        if isinstance(value, dict):
            with contextlib.suppress(TypeError):  # orjson refuses it: a dict, so it names it
                out[key] = _orjson.Fragment(_orjson_dumps(value))
    return out


if _orjson is not None:

    def dumps_serialised(line: Mapping[str, Any]) -> bytes | None:
        """Return a line holding :func:`serialised_once`'s parts as UTF-8 JSON.

        ``None`` when orjson refuses one of its values: the stdlib's path, which names
        them, cannot write a fragment, so the caller builds the line without any.
        """
        try:
            data: bytes = _orjson_dumps(line)
        except TypeError:
            return None
        return data

else:  # pragma: no cover

    def dumps_serialised(line: Mapping[str, Any]) -> bytes | None:
        """Return *line* as UTF-8 JSON (without orjson there are no fragments)."""
        return dumps_bytes(line)


def dumps(event: Mapping[str, Any]) -> str:
    """Return *event* as compact JSON text: UTF-8 safe, one line, always valid."""
    if _orjson is not None:
        try:
            text: str = _orjson.dumps(event, default=_default, option=_ORJSON_OPTIONS).decode()
            return text
        except TypeError:
            pass
    return _stdlib_dumps(event)
