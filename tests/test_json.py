"""Any value, any time: every record through the real formatter makes one valid JSON line.

Property-based: 10,000 generated records per schema, with values JSON cannot hold
(cycles, bytes, sets, Decimal, UUID, datetimes, NaN/inf, huge ints, non-str keys,
lone surrogates, objects whose repr/str raise, deep nesting) in the message's ``%``
args (right and wrong number), ``extra``, keyword fields and bound context.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celery_logkit import JsonFormatter, bound_contextvars
from celery_logkit.context import task_ended, task_started
from celery_logkit.processors import STRUCTURED_FIELDS_ATTR


class Hostile:
    """repr and str raise while armed (hypothesis reprs examples when it reports them)."""

    armed = True

    def __repr__(self) -> str:
        if Hostile.armed:
            raise RuntimeError("repr")
        return "<Hostile>"

    def __str__(self) -> str:
        if Hostile.armed:
            raise RuntimeError("str")
        return "<Hostile>"


def cyclic() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


def deep(n: int) -> Any:
    value: Any = "bottom"
    for _ in range(n):
        value = {"d": value}
    return value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec=None), max_size=40),  # includes lone surrogates
    st.binary(max_size=20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.uuids(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
    st.dates(),
    st.builds(Hostile),
    st.builds(cyclic),
    st.integers(min_value=30, max_value=200).map(deep),
)
keys = st.one_of(st.text(max_size=12), st.integers(), st.tuples(st.integers()), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.frozensets(st.integers(), max_size=3),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=12,
)
RECORD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
field_names = st.text(min_size=1, max_size=12).filter(lambda k: not k.startswith("_logkit"))
extra_names = field_names.filter(lambda k: k not in RECORD_ATTRS)  # as stdlib's extra= allows
TASK = SimpleNamespace(
    name="proj.charge",
    request=SimpleNamespace(id="t-1", retries=0, root_id="t-1", hostname="celery@h"),
)


def test_every_record_is_one_valid_line_in_every_schema() -> None:
    formatters = [JsonFormatter(schema=schema) for schema in ("default", "ecs", "datadog")]

    @settings(
        max_examples=10_000,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        message=st.text(max_size=60) | st.sampled_from(["%s", "%s %s", "%(k)s", "%d", "100%"]),
        args=st.lists(values, max_size=3),
        extra=st.dictionaries(extra_names, values, max_size=3),
        fields=st.dictionaries(field_names, values, max_size=3),
        bound=st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=2),
    )
    def check(
        message: str,
        args: list[Any],
        extra: dict[str, Any],
        fields: dict[str, Any],
        bound: dict[str, Any],
    ) -> None:
        record = logging.LogRecord("proj", logging.INFO, __file__, 1, message, tuple(args), None)
        record.__dict__.update(extra)
        record.__dict__[STRUCTURED_FIELDS_ATTR] = fields
        task_started(TASK)
        Hostile.armed = True
        try:
            with bound_contextvars(**bound):
                lines = [formatter.format(record) for formatter in formatters]
        finally:
            Hostile.armed = False
            task_ended()
        for line in lines:
            assert "\n" not in line
            line.encode("utf-8")
            parsed = json.loads(line)
            assert isinstance(parsed["message"], str)
            assert message.split("%", maxsplit=1)[0] in parsed["message"] or "\\" in line
            assert parsed["task_id"] == "t-1"
            assert parsed["task_name"] == "proj.charge"

    check()


def test_placeholders_are_readable() -> None:
    Hostile.armed = True
    record = logging.LogRecord("p", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update(
        hostile=Hostile(), cycle=cyclic(), deep=deep(50), nan=float("nan"),
        amount=decimal.Decimal("9.50"), id=uuid.UUID(int=1), surrogate="\ud800",
    )  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["hostile"] == "<unrepresentable Hostile>"
    assert line["cycle"] == [1, "<cycle>"]
    assert "<too deep>" in json.dumps(line["deep"])
    assert line["nan"] is None
    assert line["amount"] == "9.50"
    assert line["id"] == "00000000-0000-0000-0000-000000000001"
    assert line["surrogate"] == "\ud800"


def test_enums_and_number_subclasses_keep_their_json_type_on_both_paths() -> None:
    import enum

    from celery_logkit._json import dumps_bytes

    class Color(enum.Enum):
        RED = 1

    class Amount(float):
        pass

    for extra in ({}, {"big": 2**70}):  # orjson's path, then the stdlib fallback
        line = json.loads(dumps_bytes({"color": Color.RED, "amount": Amount(1.5), **extra}))
        assert (line["color"], line["amount"]) == (1, 1.5), extra


@pytest.mark.parametrize(
    "attribute", ["dd.trace_id", "dd.span_id", "dd.service", "dd.env", "dd.version"]
)
@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_an_unprintable_ddtrace_attribute_keeps_the_line_whole(schema: str, attribute: str) -> None:
    """A ``dd.*`` value whose ``str()`` raises is left out; the line keeps the task."""
    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update({"dd.trace_id": "123", "dd.span_id": "456", attribute: Hostile()})
    task_started(TASK)
    Hostile.armed = True
    try:
        line = json.loads(JsonFormatter(schema=schema).format(record))
    finally:
        Hostile.armed = False
        task_ended()
    assert (line["message"], line["task_id"]) == ("m", "t-1")
