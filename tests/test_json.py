"""Any value, any time: every record through the real formatter makes one valid JSON line.

Property-based: 10,000 generated records per schema, with values JSON cannot hold
(cycles, bytes, sets, Decimal, UUID, datetimes, NaN/inf, huge ints, non-str keys,
lone surrogates, objects whose repr/str raise, deep nesting) in the message's ``%``
args (right and wrong number), ``extra``, keyword fields and bound context.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import io
import json
import logging
import shutil
import subprocess
import uuid
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celery_logkit import JsonFormatter, bound_contextvars, get_logger
from celery_logkit._context import task_ended, task_started
from celery_logkit._fields import keep_reserved
from celery_logkit._json import (
    FIELD_DEPTH,
    MAX_DEPTH,
    _default,
    dumps_bytes,
    to_jsonable,
)
from celery_logkit._vocabulary import LOGRECORD_ATTRS


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


@pytest.mark.timeout(900)  # 10,000 examples: about 140 s alone, more on a loaded machine
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
        record.__dict__.update({k: v for k, v in fields.items() if k not in LOGRECORD_ATTRS})
        keep_reserved(record, {k: v for k, v in fields.items() if k in LOGRECORD_ATTRS})
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
    assert line["surrogate"] == "\\ud800"  # backslash text: every parser reads it


def test_enums_and_number_subclasses_keep_their_json_type_on_both_paths() -> None:
    import enum

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


class ApiError(Exception):
    """An exception whose ``__str__`` reads an attribute that was never set."""

    def __str__(self) -> str:
        return f"API error {self.detail}"  # type: ignore[attr-defined]


SCHEMA_NAMES = {"default": "timestamp", "ecs": "@timestamp", "datadog": "status"}


def log_lines(schema: str, emit: Any) -> list[dict[str, Any]]:
    """Return the lines *emit(logger)* writes through a ``JsonFormatter(schema=schema)``."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter(schema=schema, service="shop"))
    logger = get_logger(f"values.{schema}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
@pytest.mark.parametrize(
    ("value", "written"),
    [
        (ApiError(500), "<unrepresentable ApiError>"),
        (10**5000, "<int of 16610 bits>"),
        ({"n": 10**5000}, {"n": "<int of 16610 bits>"}),
        ([1, ApiError(1)], [1, "<unrepresentable ApiError>"]),
    ],
    ids=["exception-str-raises", "huge-int", "huge-int-nested", "exception-in-list"],
)
@pytest.mark.parametrize("given", ["keyword", "extra", "bound"])
def test_one_awkward_value_costs_only_itself(
    schema: str, value: Any, written: Any, given: str
) -> None:
    """The line keeps its schema, the caller's other fields and the bound context."""

    def emit(logger: Any) -> None:
        with bound_contextvars(request_id="req-42"):
            if given == "keyword":
                logger.info("m", order_id=7, odd=value)
            elif given == "extra":
                logger.info("m", extra={"order_id": 7, "odd": value})
            else:
                with bound_contextvars(odd=value):
                    logger.info("m", order_id=7)

    (line,) = log_lines(schema, emit)
    assert SCHEMA_NAMES[schema] in line, line
    assert (line["message"], line["request_id"], line["order_id"]) == ("m", "req-42", 7)
    assert line["odd"] == written
    if schema == "datadog":
        assert line["service"] == "shop"


def test_value_conversion_never_raises() -> None:
    """The hook orjson calls and the rebuild every other path uses, for hostile values."""

    class BadFloat(float):
        def __float__(self) -> float:
            raise AttributeError("unset")

    class BadMapping(dict[str, Any]):
        def items(self) -> Any:
            raise AttributeError("unset")

    for value in (ApiError(1), 10**5000, BadFloat(1.0), BadMapping(a=1)):
        assert isinstance(_default(value), str | int | float | list | dict | None)
        orjson.dumps({"v": to_jsonable(value)})


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_integers_outside_64_bits_are_decimal_text(schema: str) -> None:
    """Elasticsearch rejects a ``long`` past 64 bits; Datadog would round it."""
    values = {
        "top": 2**63 - 1, "bottom": -(2**63), "past_top": 2**63, "past_bottom": -(2**63) - 1,
        "unsigned": 2**64 - 1, "mid": 2**60, "nested": {"n": [2**70]}, "huge": 10**5000,
        "nested_unsigned": [{"n": 2**63, "ok": 7}],
    }  # fmt: skip
    (line,) = log_lines(schema, lambda logger: logger.info("m", **values))
    assert (line["top"], line["bottom"], line["mid"]) == (2**63 - 1, -(2**63), 2**60)
    assert line["past_top"] == "9223372036854775808"
    assert line["past_bottom"] == "-9223372036854775809"
    assert line["unsigned"] == str(2**64 - 1)
    assert line["nested"] == {"n": [str(2**70)]}
    assert line["nested_unsigned"] == [{"n": str(2**63), "ok": 7}]
    assert line["huge"] == "<int of 16610 bits>"


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_lone_surrogates_are_written_as_text_every_parser_reads(schema: str) -> None:
    name = b"caf\xe9.txt".decode("utf-8", "surrogateescape")

    def emit(logger: Any) -> None:
        logger.info("file %s", name, path=name, high="\ud800 x", **{"k\udcff": 1})
        logger.info("in a list", paths=[name, {"low": "\udc00"}], order_id=8)

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter(schema=schema))
    logger = get_logger(f"surrogates.{schema}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    emit(logger)
    logger.removeHandler(handler)
    lines = out.getvalue().splitlines()
    for line in lines:
        assert json.loads(line) == orjson.loads(line)
        line.encode("utf-8")
        if shutil.which("jq"):
            jq = subprocess.run(
                ["jq", "-c", "."], input=line.encode(), capture_output=True, check=False
            )
            assert jq.returncode == 0, jq.stderr
    first, second = (orjson.loads(line) for line in lines)
    assert (first["message"], first["path"]) == ("file caf\\xe9.txt", "caf\\xe9.txt")
    assert (first["high"], first["k\\xff"]) == ("\\ud800 x", 1)
    assert second["paths"] == ["caf\\xe9.txt", {"low": "\\udc00"}]
    assert second["order_id"] == 8


def levels(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(levels, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(levels, value), default=0)
    return 0


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
@pytest.mark.parametrize("awkward", [None, 2**70], ids=["orjson", "rebuilt"])
def test_nesting_stops_at_max_depth_on_every_path(schema: str, awkward: Any) -> None:
    """A line nests at most MAX_DEPTH levels, the line being the first, then "<too deep>".

    A caller's value keeps FIELD_DEPTH levels of its own, in its place or in the bucket
    that holds a field whose name the line owns.
    """
    nested = deep(40)
    in_list: Any = "bottom"
    for _ in range(40):
        in_list = [in_list]
    (line,) = log_lines(
        schema,
        lambda logger: logger.info(
            "m", extra={"nested": nested, "in_list": in_list, "odd": awkward, "task_id": nested}
        ),
    )
    assert levels(line) == MAX_DEPTH == 10
    assert levels(line["nested"]) == levels(line["in_list"]) == FIELD_DEPTH == MAX_DEPTH - 2
    assert "<too deep>" in json.dumps(line["nested"])
    assert "<too deep>" in json.dumps(line["in_list"])
    shallow = deep(FIELD_DEPTH)
    (line,) = log_lines(schema, lambda logger: logger.info("m", shallow=shallow, odd=awkward))
    assert line["shallow"] == shallow


def test_nan_and_infinities_are_null_and_shallow_lines_stay_whole() -> None:
    line = orjson.loads(dumps_bytes({"nan": float("nan"), "inf": float("inf"), "d": deep(8)}))
    assert (line["nan"], line["inf"]) == (None, None)
    assert levels(line) == 9
    assert "<too deep>" not in json.dumps(line)


def test_a_key_of_a_str_subclass_is_written_as_its_text() -> None:
    class Status(enum.StrEnum):
        PAID = "paid"

    record = logging.LogRecord("proj", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update({"counts": {Status.PAID: 3}, "order_id": 11})
    line = json.loads(JsonFormatter().format(record))
    assert (line["counts"], line["order_id"]) == ({"paid": 3}, 11)
