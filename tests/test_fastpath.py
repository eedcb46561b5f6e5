"""The stdlib fast paths build what stdlib does, are used only when safe, and can be off."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import multiprocessing
import os
import subprocess
import sys
import threading
from typing import Any

import pytest

from celery_logkit import _fastpath, get_logger

pytestmark = pytest.mark.skipif(not _fastpath.RECORDS, reason="not this Python's LogRecord")

_CLOCK = {"created", "msecs", "relativeCreated"}
_STDLIB_MAKE_RECORD = getattr(logging.Logger.makeRecord, "__wrapped__", logging.Logger.makeRecord)


def _differences(ours: logging.LogRecord, theirs: logging.LogRecord) -> list[str]:
    if list(vars(ours)) != list(vars(theirs)):
        return [f"order: {list(vars(ours))} != {list(vars(theirs))}"]
    return [
        f"{key}: {vars(ours)[key]!r} != {vars(theirs)[key]!r}"
        for key in vars(theirs)
        if key not in _CLOCK and vars(ours)[key] != vars(theirs)[key]
    ]


CASES: list[tuple[Any, ...]] = [
    ("proj", logging.INFO, "/app/proj/tasks.py", 12, "charged %s", (1,), None, "charge", None),
    ("proj", logging.INFO, "/app/proj/tasks.py", 12, "%(a)s", ({"a": 1},), None, "f", None),
    ("proj", logging.INFO, "/app/proj/tasks.py", 12, "%s", ({},), None, "f", None),
    ("proj", 25, "tasks", 1, "custom level", (), None, None, "Stack:\n  here"),
    ("proj", 99, "/x/archive.tar.gz", 1, "unnamed level", None, None, "f", None),
    ("proj", logging.ERROR, None, 0, "no path", (), None, None, None),
    ("proj", logging.ERROR, b"/bytes/path.py", 0, "bytes path", (), None, None, None),
    ("proj", logging.ERROR, "(unknown file)", 0, "x", (), (ValueError, ValueError(), None), "f"),
]


@pytest.mark.parametrize("args", CASES)
def test_same_attributes_in_the_same_order_as_stdlib(args: tuple[Any, ...]) -> None:
    assert _differences(_fastpath.make_record(*args), logging.LogRecord(*args)) == []


def test_the_clock_is_stdlibs() -> None:
    before = logging.LogRecord(*CASES[0])
    ours = _fastpath.make_record(*CASES[0])
    after = logging.LogRecord(*CASES[0])
    assert before.created <= ours.created <= after.created
    assert before.relativeCreated <= ours.relativeCreated <= after.relativeCreated
    assert ours.msecs == int((ours.created - int(ours.created)) * 1000)
    assert isinstance(ours.msecs, float)


def test_a_renamed_thread_is_named_as_it_is_now() -> None:
    seen: list[list[str]] = []

    def run() -> None:
        threading.current_thread().name = "charger-7"
        seen.append(_differences(_fastpath.make_record(*CASES[0]), logging.LogRecord(*CASES[0])))
        seen.append([_fastpath.make_record(*CASES[0]).threadName or ""])

    thread = threading.Thread(target=run, name="before")
    thread.start()
    thread.join()
    assert seen == [[], ["charger-7"]]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_records_its_own_pid() -> None:
    _fastpath.make_record(*CASES[0])  # the parent's pid is remembered first
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()

    def child() -> None:
        record = _fastpath.make_record(*CASES[0])
        queue.put((record.process, os.getpid(), record.processName))

    process = context.Process(target=child, name="child-1")
    process.start()
    process.join(timeout=30)
    pid, real, name = queue.get()
    assert pid == real == process.pid
    assert name == "child-1"


def test_an_asyncio_task_is_named_as_stdlib_names_it() -> None:
    async def main() -> list[str]:
        return _differences(_fastpath.make_record(*CASES[0]), logging.LogRecord(*CASES[0]))

    async def named() -> list[str]:
        return await asyncio.create_task(main(), name="charging")

    assert asyncio.run(named()) == []


def test_the_module_switches_follow_stdlib(monkeypatch: pytest.MonkeyPatch) -> None:
    for switch in ("logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, switch, False)
    assert _differences(_fastpath.make_record(*CASES[0]), logging.LogRecord(*CASES[0])) == []


class TestStructuredMakeRecord:
    def test_extra_is_set_and_clashes_raise_as_stdlib(self) -> None:
        logger = get_logger("proj.record.extra")
        record = logger.makeRecord(*CASES[0][:8], extra={"amount": 1})
        assert record.amount == 1  # type: ignore[attr-defined]
        assert list(vars(record))[-1] == "amount"
        for key in ("message", "asctime", "lineno"):
            with pytest.raises(KeyError, match="Attempt to overwrite"):
                logger.makeRecord(*CASES[0][:8], extra={key: 1})
            with pytest.raises(KeyError, match="Attempt to overwrite"):
                logging.Logger("stdlib").makeRecord(*CASES[0][:8], extra={key: 1})

    def test_a_custom_record_factory_is_used(self) -> None:
        class AppRecord(logging.LogRecord):
            pass

        previous = logging.getLogRecordFactory()
        logging.setLogRecordFactory(AppRecord)
        try:
            record = get_logger("proj.record.factory").makeRecord(*CASES[0][:8])
        finally:
            logging.setLogRecordFactory(previous)
        assert type(record) is AppRecord

    def test_a_wrapped_make_record_is_used(self, monkeypatch: pytest.MonkeyPatch) -> None:
        stdlib = logging.Logger.makeRecord

        @functools.wraps(stdlib)  # named as stdlib's, as careful wrappers are
        def injecting(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
            record = stdlib(self, *args, **kwargs)
            record.__dict__["dd.trace_id"] = "123"
            return record

        logger = get_logger("proj.record.wrapped")
        assert "dd.trace_id" not in vars(logger.makeRecord(*CASES[0][:8]))
        monkeypatch.setattr(logging.Logger, "makeRecord", injecting)
        assert vars(logger.makeRecord(*CASES[0][:8]))["dd.trace_id"] == "123"
        monkeypatch.undo()
        assert "dd.trace_id" not in vars(logger.makeRecord(*CASES[0][:8]))

    def test_a_patched_record_init_is_used(self, monkeypatch: pytest.MonkeyPatch) -> None:
        stdlib = logging.LogRecord.__init__

        def with_request_id(record: logging.LogRecord, *args: Any, **kwargs: Any) -> None:
            stdlib(record, *args, **kwargs)
            record.request_id = "r1"  # type: ignore[attr-defined]

        monkeypatch.setattr(logging.LogRecord, "__init__", with_request_id)
        record = get_logger("proj.record.patched").makeRecord(*CASES[0][:8])
        assert record.request_id == "r1"  # type: ignore[attr-defined]


_BOTH_WAYS = """
import json, logging
from types import SimpleNamespace
from celery_logkit import JsonFormatter, _fastpath, get_task_logger
from celery_logkit._context import task_started
from celery_logkit._logger import StructuredLogger

records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record)
logger = get_task_logger("proj.tasks.both")
logger.addHandler(Keep())
logger.propagate = False
task_started(SimpleNamespace(name="proj.charge", request=SimpleNamespace(id="t-1", retries=0)))
logger.warning("charged %s", "card", extra={"a": 1}, order_id=7, name="n")
logger.bind(b=2).error("stack", stack_info=True)
varying = {"created", "msecs", "relativeCreated", "process", "thread"}
lines = [json.loads(JsonFormatter().format(record)) for record in records]
print(json.dumps({
    "on": [_fastpath.ENABLED, _fastpath.RECORDS, "findCaller" in vars(StructuredLogger)],
    "records": [{k: repr(v) for k, v in vars(r).items() if k not in varying} for r in records],
    "lines": [{k: v for k, v in line.items() if k != "timestamp"} for line in lines],
}))
"""


def _both_ways(switch: str | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != _fastpath.SWITCH}
    if switch is not None:
        env[_fastpath.SWITCH] = switch
    done = subprocess.run(
        [sys.executable, "-c", _BOTH_WAYS], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_switch_turns_the_fast_paths_off_and_records_stay_the_same() -> None:
    on, off = _both_ways(None), _both_ways("0")
    assert on["on"] == [True, True, True]
    assert off["on"] == [False, False, False]
    assert off["records"] == on["records"]
    assert off["lines"] == on["lines"]
    first = on["lines"][0]
    assert (first["order_id"], first["name"], first["task_id"]) == (7, "n", "t-1")
    assert "'t-1'" not in on["records"][1].values(), "the task's context is not on the record"
