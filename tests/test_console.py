"""The console rendering: read at a glance, coloured on demand, never repainting the terminal."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

import celery_logkit
from celery_logkit import ConsoleFormatter
from celery_logkit._console import Context, neutralise
from celery_logkit._vocabulary import EventRecord, TaskRecord

TASK_ID = "4a978f15-5ef3-4658-a0bc-c52bf1738fae"
TASK = {
    "task_id": TASK_ID,
    "task_name": "proj.charge",
    "retries": 1,
    "root_id": "0f3c9a2e-0000-4000-8000-000000000001",
    "parent_id": "0f3c9a2e-0000-4000-8000-000000000002",
    "group_id": "0f3c9a2e-0000-4000-8000-000000000003",
    "queue": "billing",
    "worker": "celery@host-1",
}


def render(
    colors: bool = False,
    msg: str = "charged card",
    level: int = logging.WARNING,
    context: Context = "short",
    task: dict[str, object] | None = None,
    event: str | None = None,
    **attrs: object,
) -> str:
    record = logging.LogRecord("proj.tasks", level, __file__, 1, msg, (), None)
    record.__dict__.update(attrs)
    if task is not None:
        record.__dict__.update(task)
        record.__class__ = TaskRecord
    if event is not None:
        record.__dict__["event"] = event
        record.__class__ = EventRecord
    return ConsoleFormatter(colors=colors, context=context).format(record)


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
    line = render(msg=hostile, v=hostile)
    first, *more = line.split("\n")
    assert " ok\\r [proj.tasks] v=" in first, first
    assert '"ok\\\\r\\\\n2026-01-01 fake line\\\\x1b[2J\\\\x07\\\\x9b"' in first, (
        "one value, one line"
    )
    assert more == ["    2026-01-01 fake line\\x1b[2J\\x07\\x9b"], (
        "the message's next line, indented"
    )
    assert "\r" not in line
    assert "\x1b" not in line
    assert "\x9b" not in line
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


def test_the_task_is_its_name_and_short_id_and_its_other_context_is_hidden() -> None:
    line = render(task=TASK, order_id=7)
    assert " warning  proj.charge[4a978f15] charged card [proj.tasks] order_id=7" in line, line
    assert line.endswith("[proj.tasks] order_id=7"), line
    assert TASK_ID not in line, line


def test_the_full_context_is_shown_when_asked_after_the_callers_fields() -> None:
    line = render(
        context="full",
        task=TASK,
        order_id=7,
        event="task_x",
    )
    assert line.endswith(
        " proj.charge[4a978f15] charged card [proj.tasks] order_id=7 event=task_x"
        f" task_id={TASK_ID} retries=1 root_id=0f3c9a2e-0000-4000-8000-000000000001"
        " parent_id=0f3c9a2e-0000-4000-8000-000000000002"
        " group_id=0f3c9a2e-0000-4000-8000-000000000003 queue=billing worker=celery@host-1"
    ), line


def test_the_callers_own_fields_are_never_hidden() -> None:
    fields = {"env": "staging", "service": "billing", "version": "1.2", "queue_wait_ms": 3}
    line = render(task=TASK, **fields)
    assert all(f"{value}" in line for value in fields.values()), line


def test_an_unknown_context_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="context='all' is not one of 'short', 'full'"):
        ConsoleFormatter(context="all")  # type: ignore[arg-type]


def test_a_lifecycle_line_does_not_repeat_its_task() -> None:
    message = f"Task proj.charge[{TASK_ID}] succeeded in 7.5 ms"
    line = render(
        msg=message,
        level=logging.INFO,
        task=TASK,
        event="task_succeeded",
        ms=7.5,
    )
    assert line.endswith(f" info     {message} ms=7.5"), line
    assert line.count("proj.charge") == 1, line


def test_a_task_without_a_name_or_an_id_shows_what_it_has() -> None:
    no_name = render(task={"task_id": TASK_ID})
    no_id = render(task={"task_name": "proj.charge"})
    assert " warning  [4a978f15] charged card " in no_name, no_name
    assert " warning  proj.charge charged card " in no_id, no_id


def test_the_time_of_day_in_utc() -> None:
    line = render(created=1764084913.9555, msecs=955.5)
    assert line.startswith("15:35:13.955Z warning  charged card"), line


def test_a_multi_line_message_continues_indented_below() -> None:
    msg = "first\nsecond\x1b[2J\n\n\u200b2026-01-01T00:00:00.000Z critical forged\n"
    try:
        raise ValueError("bad")
    except ValueError:
        line = render(msg=msg, exc_info=sys.exc_info(), k=1)
    first, *rows = line.split("\n")
    assert first.endswith(" warning  first [proj.tasks] k=1"), first
    assert rows[:3] == [
        "    second\\x1b[2J",
        "    ",
        "    \\u200b2026-01-01T00:00:00.000Z critical forged",
    ]
    assert rows[3] == "    Traceback (most recent call last):", "then the stack"
    assert all(row.startswith("    ") for row in rows), rows


@pytest.mark.parametrize(
    ("level", "colour"),
    [
        (logging.DEBUG, "\x1b[34m"),
        (logging.INFO, "\x1b[32m"),
        (logging.ERROR, "\x1b[31m"),
        (logging.CRITICAL, "\x1b[1;31m"),
    ],
)
def test_colours_by_level(level: int, colour: str) -> None:
    line = render(colors=True, level=level, task=TASK, k=1)
    name = logging.getLevelName(level).lower()
    assert f"\x1b[0m {colour}{name:<8}\x1b[0m \x1b[1mproj.charge[4a978f15]\x1b[0m" in line, line
    assert line.endswith(" \x1b[2m[proj.tasks]\x1b[0m \x1b[36mk\x1b[0m=1"), line
