"""The size cap: a long record is cut where it does least harm and stays valid JSON."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from celery_logkit import JsonFormatter, bind_contextvars, unbind_contextvars
from celery_logkit._json import dumps_bytes as dumps
from celery_logkit._limits import DEFAULT_MAX_LINE_BYTES, cap


def size(text: str | bytes) -> int:
    return len(text.encode("utf-8") if isinstance(text, str) else text)


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_long_message_and_stack_are_cut_under_the_cap(schema: str) -> None:
    formatter = JsonFormatter(schema=schema, max_line_bytes=4096)
    try:
        raise ValueError("é" * 5000)
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "ü" * 9000, (), sys.exc_info())
    record.task_id_hint = "keep me"
    line = formatter.format(record)
    assert size(line) + 1 <= 4096
    parsed = json.loads(line)
    assert parsed["truncated"] is True
    assert "…[truncated " in line
    assert parsed["message"].startswith("üüü")
    assert parsed["task_id_hint"] == "keep me", "short fields are kept"


def test_small_lines_are_untouched() -> None:
    obj = {"message": "short"}
    assert cap(obj, dumps(obj), dumps, 1024) == b'{"message":"short"}'


def test_many_fields_fall_back_to_the_essentials() -> None:
    obj = {"timestamp": "t", "level": "info", "logger": "l", "message": "m", "task_id": "1"}
    obj |= {f"field{i}": i for i in range(2000)}
    line = cap(obj, dumps(obj), dumps, 1024)
    assert size(line) <= 1024
    assert json.loads(line) == {
        "timestamp": "t", "level": "info", "logger": "l", "message": "m", "task_id": "1",
        "truncated": True,
    }  # fmt: skip


def test_a_tiny_cap_still_gives_valid_json() -> None:
    obj = {"timestamp": "t" * 500, "level": "info", "logger": "l" * 500, "message": "m" * 500}
    line = cap(obj, dumps(obj), dumps, 100)
    assert json.loads(line)["truncated"] is True


def kept(text: str) -> str:
    return text.split("…[truncated ", maxsplit=1)[0]


@pytest.mark.parametrize(
    ("value", "unit_bytes"),
    [
        ("A" * 20_000, 1),
        ("Ж" * 20_000, 2),  # 2 bytes of UTF-8 each
        ("😀" * 20_000, 4),
        ('{"a":"b"}' * 3000, 13 / 9),  # JSON text: each quote escaped
        ("\x01" * 20_000, 6),  # written as \u0001
    ],
    ids=["ascii", "cyrillic", "emoji", "json-text", "control"],
)
@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_the_cut_keeps_what_fits_whatever_the_encoding(
    value: str, unit_bytes: float, schema: str
) -> None:
    """The cut is measured in written bytes: a multi-byte or escaped string fills the cap."""
    cap_bytes = 16_384
    formatter = JsonFormatter(schema=schema, max_line_bytes=cap_bytes)
    for record in (
        logging.LogRecord("x", logging.INFO, __file__, 1, value, (), None),
        logging.LogRecord("x", logging.INFO, __file__, 1, "payload", (), None),
    ):
        if record.msg == "payload":
            record.body = value
        line = formatter.format(record).encode("utf-8")
        assert len(line) + 1 <= cap_bytes
        parsed = json.loads(line)
        text = parsed.get("body", parsed["message"])
        assert text.endswith("chars]")
        assert value.startswith(kept(text))
        written = len(kept(text)) * unit_bytes
        assert written >= cap_bytes - 1024, f"kept {len(kept(text))} chars ({written:.0f} bytes)"


def test_a_cut_string_names_what_its_original_lost() -> None:
    obj = {"message": "m", "a": "é" * 3000, "b": "x" * 3000}
    line = json.loads(cap(obj, dumps(obj), dumps, 2048))
    for key, original in (("a", 3000), ("b", 3000)):
        text = line[key]
        lost = int(text.rsplit("[truncated ", 1)[1].split()[0]) if "[truncated" in text else 0
        assert len(kept(text)) + lost == original, key
    assert size(dumps(line)) <= 2048


@pytest.mark.parametrize("schema", ["default", "ecs", "datadog"])
def test_a_huge_value_that_is_not_text_costs_only_itself(schema: str) -> None:
    """A list of 5,000 numbers has no string to cut: it alone becomes a placeholder."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(schema=schema, service="shop"))
    logger = logging.getLogger(f"limits.huge.{schema}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        bind_contextvars(request_id="req-9")
        logger.info("ids", extra={"order": {"ids": list(range(5000)), "customer": "c-1"}})
    finally:
        unbind_contextvars("request_id")
        logger.removeHandler(handler)
    line = stream.getvalue().rstrip("\n")
    assert len(line.encode()) < DEFAULT_MAX_LINE_BYTES
    record = json.loads(line)
    assert record["truncated"] is True
    assert record["request_id"] == "req-9"
    assert record["order"] == {"ids": "<list of 5000 items, truncated>", "customer": "c-1"}
    assert "ids" in json.dumps(record)
