"""The console rendering: readable, coloured on demand, never repainting the terminal."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

import celery_logkit
from celery_logkit import ConsoleFormatter
from celery_logkit.console import neutralise


def render(colors: bool = False, msg: str = "charged card", **attrs: object) -> str:
    record = logging.LogRecord("proj.tasks", logging.WARNING, __file__, 1, msg, (), None)
    record.__dict__.update(attrs)
    return ConsoleFormatter(colors=colors).format(record)


def test_one_readable_line() -> None:
    line = render(**{"order_id": 7, "note": "two words"})
    assert "\n" not in line
    assert " warning  charged card [proj.tasks] " in line
    assert line.endswith('order_id=7 note="two words"')
    assert "\x1b" not in line


def test_colours_only_when_asked() -> None:
    assert "\x1b[33mwarning" in render(colors=True)


def test_control_characters_and_escapes_are_neutralised() -> None:
    hostile = "ok\r\n2026-01-01 fake line\x1b[2J\x07\x9b"
    line = render(msg=hostile, **{"v": hostile})
    assert "\n" not in line
    assert "\r" not in line
    assert "\x1b" not in line
    assert "\x9b" not in line
    assert "\\r\\n2026-01-01 fake line\\x1b[2J\\x07\\x9b" in line
    assert neutralise("tab\there") == "tab\\there"


def test_exception_stack_indented_below() -> None:
    try:
        raise ValueError("bad\x1b[31m")
    except ValueError:
        line = render(exc_info=sys.exc_info())
    _first, *stack = line.split("\n")
    assert stack
    assert all(row.startswith("    ") for row in stack)
    assert stack[-1] == "    ValueError: bad\\x1b[31m"


def test_field_names_are_neutralised_like_values() -> None:
    forged = "x\n2026-01-01T00:00:00.000Z critical FORGED [auth]\x1b[2J\x1b]0;title\x07\x9b"
    line = render(**{forged: "1", "a=b": 2, "ok": 3})
    assert "\n" not in line, line
    assert "\x1b" not in line, line
    assert "\x07" not in line, line
    assert "\x9b" not in line, line
    assert ' [proj.tasks] "x\\' in line, line
    assert '=1 "a=b"=2 ok=3' in line, line


def test_logger_name_and_level_are_neutralised() -> None:
    record = logging.LogRecord("evil\x1b[2J\nname", logging.INFO, __file__, 1, "m", (), None)
    record.levelname = "INFO\x1b[31m"
    line = ConsoleFormatter().format(record)
    assert "\x1b" not in line, line
    assert "\n" not in line, line
    assert "[evil\\x1b[2J\\nname]" in line


class BadRepr:
    """A value whose ``str`` and ``repr`` both raise."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    __str__ = __repr__


@pytest.fixture
def console() -> Iterator[io.BytesIO]:
    """The bytes a plain StreamHandler with ConsoleFormatter writes, UTF-8 and strict.

    Like ``-f FILE`` or a user's own handler: no ``backslashreplace`` to save a line.
    """
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ConsoleFormatter())
    logger = logging.getLogger("t.console")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield raw
    finally:
        logger.removeHandler(handler)
        celery_logkit.clear_contextvars()


def lines_of(raw: io.BytesIO) -> list[str]:
    return raw.getvalue().decode("utf-8").splitlines()


def test_a_value_that_cannot_be_shown_costs_only_itself(console: io.BytesIO) -> None:
    log = celery_logkit.get_logger("t.console")
    log.info("m", bad=BadRepr(), good=1)
    celery_logkit.bind_contextvars(bound=BadRepr())
    log.info("later", good=2)
    first, later = lines_of(console)
    assert first.endswith(' info     m [t.console] bad="<unrepresentable BadRepr>" good=1'), first
    assert later.endswith(' info     later [t.console] bound="<unrepresentable BadRepr>" good=2'), (
        later
    )


def test_lone_surrogates_are_written_as_the_json_path_writes_them(console: io.BytesIO) -> None:
    log = celery_logkit.get_logger("t.console")
    try:
        raise ValueError("boom \udcff")
    except ValueError:
        log.exception("sur \udcff", s="\ud800", **{"k\udce9": ["\udfff"]})
    logging.getLogger("t.console.\udcff").info("named")
    first, *stack, named = lines_of(console)
    assert ' sur \\xff [t.console] s=\\ud800 k\\xe9=["\\\\udfff"]' in first, first
    assert stack[-1] == "    ValueError: boom \\xff", stack
    assert "[t.console.\\xff]" in named, named


def test_format_characters_are_escaped_like_control_characters() -> None:
    fields = {"\u200btask_id": "forged", "v": "a\u202eb\ufeff\U000e0041", "ok": "é Ж 🙂"}
    line = render(msg="m\u2066", **fields)
    assert line.endswith(
        ' m\\u2066 [proj.tasks] \\u200btask_id=forged v=a\\u202eb\\ufeff\\U000e0041 ok="é Ж 🙂"'
    ), line
    assert neutralise("\xad\u061c") == "\\xad\\u061c"
