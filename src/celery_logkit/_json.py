"""Serialise an event dict to one JSON line that every common parser and backend reads.

The fast path is orjson with a ``default`` hook for the common non-JSON types.  A line
orjson refuses (cycles, integers past 64 bits, keys that are not strings, lone
surrogates) is rebuilt by :func:`to_jsonable` from plain JSON types with readable
placeholders, so a record is never dropped for its content and one awkward value costs
only itself.  Nesting within :data:`MAX_DEPTH` and integers within a signed 64-bit
``long`` are kept where deep values and big integers come from, the caller's fields
(:func:`fit_fields`).  NaN and infinities are written as ``null``, as orjson does: a
string there would clash with a numeric field's mapping in Elasticsearch.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import json
import math
import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any

_orjson: Any
try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; kept optional at run time
    _orjson = None

__all__ = [
    "FIELD_DEPTH",
    "MAX_DEPTH",
    "dumps_bytes",
    "dumps_or_raise",
    "fit_fields",
    "to_jsonable",
]

MAX_DEPTH = 10
"""Levels of nesting a line may have, the line itself being the first: Datadog parses
10 levels of attributes and Elasticsearch rejects a document past 20 object levels.  A
deeper object or list is written as ``"<too deep>"``."""

_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
"""Integers outside a signed 64-bit ``long`` are written as decimal text: Elasticsearch
rejects the whole document for a ``long`` field holding one."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def _unrepresentable(value: object) -> str:
    try:
        name = type(value).__name__
    except Exception:  # noqa: BLE001 - even the type's name may be hostile
        name = "object"
    return f"<unrepresentable {name}>"


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - any repr may fail; the record must not
        return _unrepresentable(value)


def _surrogate_text(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that ``surrogateescape`` could not decode
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def _text(value: str) -> str:
    """Return *value* as UTF-8-safe text: each lone surrogate as backslash text."""
    if value.isascii():
        return value
    return _SURROGATE.sub(_surrogate_text, value)


def _int(value: int) -> int | str:
    """Return *value* as a signed 64-bit integer, else as decimal text (or a placeholder)."""
    if _INT_MIN <= value <= _INT_MAX:
        return int(value)
    try:
        return str(int(value))
    except ValueError:  # past Python's limit on the digits of int-to-str conversion
        return f"<int of {value.bit_length()} bits>"


def _convert(value: object) -> Any:
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


def _default(value: object) -> Any:
    """Encode the usual non-JSON values the way a reader expects them; never raise.

    A value whose conversion fails (an exception whose ``__str__`` raises, a number
    whose ``__float__`` does) becomes ``"<unrepresentable Type>"``.
    """
    try:
        return _convert(value)
    except Exception:  # noqa: BLE001 - only this value is lost, never the line
        return _unrepresentable(value)


def _float(value: float) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def to_jsonable(value: Any, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> Any:
    """Return *value* rebuilt from JSON types every parser and backend reads; never raise.

    Strings lose their lone surrogates, integers fit a signed 64-bit ``long``, floats
    are finite or ``None``, keys are strings and nesting stops at :data:`MAX_DEPTH`.
    """
    try:
        return _jsonable(value, _depth, _seen)
    except Exception:  # noqa: BLE001 - only this value is lost, never the line
        return _unrepresentable(value)


def _jsonable(value: Any, depth: int, seen_ids: frozenset[int]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, float):
        return _float(value)
    if depth >= MAX_DEPTH:
        return "<too deep>"
    if id(value) in seen_ids:
        return "<cycle>"
    seen = seen_ids | {id(value)}
    if isinstance(value, Mapping):
        return {_key(k, depth, seen): to_jsonable(v, depth + 1, seen) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v, depth + 1, seen) for v in value]
    converted = _default(value)
    if isinstance(converted, str):
        return _text(converted)
    return to_jsonable(converted, depth + 1, seen)


def _key(key: object, depth: int, seen: frozenset[int]) -> str:
    if isinstance(key, str):  # a subclass (StrEnum) as its plain text: orjson wants str keys
        return _text(key if type(key) is str else str.__str__(key))
    converted = to_jsonable(key, depth + 1, seen)
    return converted if isinstance(converted, str) else str(converted)


FIELD_DEPTH = MAX_DEPTH - 2
"""Levels of nesting a caller's value may have: the line is one level above it, and the
bucket that holds a field whose name the line owns is another."""

_PLAIN = frozenset({str, float, bool, type(None)})


def _unfit(value: Any, levels: int) -> bool:
    """Whether *value* nests past *levels* or holds an integer outside a signed 64 bits."""
    if isinstance(value, int):
        return not _INT_MIN <= value <= _INT_MAX
    if isinstance(value, dict):
        return levels == 0 or any(_unfit(item, levels - 1) for item in dict.values(value))
    if isinstance(value, list | tuple | set | frozenset):
        return levels == 0 or any(_unfit(item, levels - 1) for item in value)
    return False


def fit_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Rebuild, in place, the caller's values that Elasticsearch or Datadog would refuse.

    A schema's own objects are shallow and its integers small, so the caller's fields
    are where a line gets too deep (past :data:`FIELD_DEPTH` levels of a value's own)
    or an integer too big for a ``long``: fitting them here keeps every path's line
    within :data:`MAX_DEPTH` without looking at the line again.  A string, float or small
    integer costs a type check; an unfit value is rebuilt by :func:`to_jsonable`.
    """
    for key, value in fields.items():
        cls = value.__class__
        if cls in _PLAIN or (cls is int and _INT_MIN <= value <= _INT_MAX):
            continue
        try:
            unfit = _unfit(value, FIELD_DEPTH)
        except Exception:  # noqa: BLE001 - a container that cannot be read: rebuilt
            unfit = True
        if unfit:
            fields[key] = to_jsonable(value, MAX_DEPTH - FIELD_DEPTH)
    return fields


_ORJSON_OPTIONS = (
    0
    if _orjson is None
    # datetimes and dataclasses through ``_default``, as the rebuilt path writes them
    else _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS
)


if _orjson is not None:
    _orjson_dumps = functools.partial(_orjson.dumps, default=_default, option=_ORJSON_OPTIONS)

    def _rebuilt(obj: Mapping[str, Any]) -> bytes:
        """Return *obj* through :func:`to_jsonable`: what orjson writes of any line."""
        data: bytes = _orjson.dumps(to_jsonable(obj))
        return data

    def dumps_bytes(event: Mapping[str, Any]) -> bytes:
        """Return *event* as compact UTF-8 JSON: one line, always valid."""
        try:
            data: bytes = _orjson_dumps(event)
        except TypeError:  # orjson.JSONEncodeError: a value only to_jsonable can write
            return _rebuilt(event)
        return data

else:  # pragma: no cover

    def _rebuilt(obj: Mapping[str, Any]) -> bytes:
        text = json.dumps(to_jsonable(obj), ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8")

    def dumps_bytes(event: Mapping[str, Any]) -> bytes:
        """Return *event* as compact UTF-8 JSON: one line, always valid."""
        return _rebuilt(event)


dumps_or_raise: Callable[[Mapping[str, Any]], bytes] = (
    dumps_bytes if _orjson is None else _orjson_dumps
)
"""orjson's encoder as :func:`dumps_bytes` calls it: ``TypeError`` for a value only the
rebuilt path writes.  For the formatter's line, which saves a call on every line."""
