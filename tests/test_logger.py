"""get_task_logger is celery's, plus keyword fields and bind()."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from celery.utils.log import get_task_logger as celery_get_task_logger
from ecs_logging import StdlibFormatter
from pythonjsonlogger.json import JsonFormatter as PjlJsonFormatter

import celery_logkit
from celery_logkit import BoundLogger, StructuredLogger, get_logger, get_task_logger
from celery_logkit._context import task_ended, task_started
from celery_logkit._fields import add_to_foreign_handlers, reserved_fields
from celery_logkit._formatter import LineFormatter

from .conftest import Captured


def test_same_logger_as_celery_and_stdlib() -> None:
    logger = get_task_logger("proj.tasks.same")
    assert logger is logging.getLogger("proj.tasks.same")
    assert logger is celery_get_task_logger("proj.tasks.same")
    assert logger.parent is logging.getLogger("celery.task")
    assert isinstance(logger, logging.Logger)
    assert isinstance(logger, StructuredLogger)


@pytest.mark.parametrize("name", ["celery", "celery.task"])
def test_reserved_names_raise_like_celery(name: str) -> None:
    with pytest.raises(RuntimeError, match="reserved"):
        get_task_logger(name)


def test_existing_logger_keeps_identity_and_handlers() -> None:
    existing = logging.getLogger("proj.tasks.existing")
    handler = logging.NullHandler()
    existing.addHandler(handler)
    logger = get_task_logger("proj.tasks.existing")
    assert logger is existing
    assert logger.handlers == [handler]


def made_with_logger_class(cls: type[logging.Logger], name: str) -> StructuredLogger:
    """Return the task logger *name*, made while the registry's logger class is *cls*."""
    manager = logging.Logger.manager
    manager.setLoggerClass(cls)
    try:
        return get_task_logger(name)
    finally:
        manager.loggerClass = None


def test_custom_logger_class_is_kept() -> None:
    class AppLogger(logging.Logger):
        def custom(self) -> str:
            return "kept"

    logger = made_with_logger_class(AppLogger, "proj.tasks.custom_class")
    assert isinstance(logger, AppLogger)
    assert logger.custom() == "kept"  # type: ignore[attr-defined]
    assert isinstance(logger, StructuredLogger)


def test_every_stdlib_calling_style(captured: Captured) -> None:
    logger = get_task_logger("proj.tasks.styles")
    logger.info("percent %s %d", "a", 1)
    logger.info("dict %(k)s", {"k": "v"})
    logger.info("with extra", extra={"order_id": 7})
    logger.warning("warn")
    logger.log(logging.ERROR, "log method")
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        logger.exception("exception method")
        logger.error("exc_info", exc_info=True)
    logger.info("stack", stack_info=True)
    assert captured.one("percent a 1")["level"] == "info"
    assert captured.one("dict v")
    assert captured.one("with extra")["order_id"] == 7
    assert captured.one("warn")["level"] == "warning"
    assert captured.one("log method")["level"] == "error"
    assert captured.one("exception method")["error"]["type"] == "ZeroDivisionError"
    assert captured.one("exc_info")["error"]["message"] == "division by zero"
    assert "test_every_stdlib_calling_style" in captured.one("stack")["stack_info"]


def test_keyword_fields_any_name(captured: Captured) -> None:
    logger = get_task_logger("proj.tasks.fields")
    logger.info("charged card", order_id=7, amount=9.5, name="n", args=[1], level="x")
    logger.info("mixed %s", "args", extra={"a": 1}, b=2)
    record = captured.one("charged card")
    assert (record["order_id"], record["amount"]) == (7, 9.5)
    assert (record["name"], record["args"]) == ("n", [1])
    assert record["level"] == "info"
    assert record["conflicts"] == {"level": "x"}
    mixed = captured.one("mixed args")
    assert (mixed["a"], mixed["b"]) == (1, 2)


def test_bind(captured: Captured) -> None:
    logger = get_task_logger("proj.tasks.bind")
    bound = logger.bind(order_id=7)
    assert isinstance(bound, BoundLogger)
    bound.info("one", step=1)
    bound.bind(user="u").warning("two %s", "x")
    bound.unbind("order_id").info("three")
    bound.new(only=True).error("four")
    bound.try_unbind("absent").debug("five", order_id=8)
    assert captured.one("one")["order_id"] == 7
    assert captured.one("one")["step"] == 1
    assert captured.one("two x")["user"] == "u"
    assert "order_id" not in captured.one("three")
    assert captured.one("four")["only"] is True
    assert captured.one("five")["order_id"] == 8, "call fields win over bound ones"
    with pytest.raises(KeyError):
        bound.unbind("absent")
    assert bound.name == "proj.tasks.bind"
    assert bound.fields == {"order_id": 7}


def test_caller_location_is_the_users(captured: Captured) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = get_task_logger("proj.tasks.location")
    logger.addHandler(Keep())
    logger.info("plain")
    logger.info("fields", a=1)
    logger.bind(b=2).info("bound")
    logger.bind(b=2).exception("bound exception")
    assert {r.funcName for r in records} == {"test_caller_location_is_the_users"}
    assert {r.filename for r in records} == {"test_logger.py"}


def test_disabled_level_formats_nothing() -> None:
    logger = get_task_logger("proj.tasks.disabled")
    logger.setLevel(logging.WARNING)

    class Exploding:
        def __str__(self) -> str:
            raise AssertionError("formatted")

    logger.debug("never %s", Exploding(), field=Exploding())
    logger.bind(x=Exploding()).info("never %s", Exploding())


def test_get_logger_is_a_plain_module_logger() -> None:
    logger = get_logger("proj.module")
    assert logger is logging.getLogger("proj.module")
    assert logger.parent is logging.getLogger()
    assert get_logger() is logging.getLogger()
    assert celery_logkit.get_logger is get_logger


def test_asking_twice_gives_the_same_structured_logger() -> None:
    first = get_task_logger("proj.tasks.twice")
    assert get_task_logger("proj.tasks.twice") is first
    assert logging.getLogger("proj.tasks.twice") is first


def test_a_logger_class_with_its_own_log_keeps_it(captured: Captured) -> None:
    calls: list[str] = []

    class Audited(logging.Logger):
        def _log(self, *args: Any, **kwargs: Any) -> None:
            calls.append("audited")
            super()._log(*args, **kwargs)

    audited = Audited("proj.audited")
    logging.Logger.manager.loggerDict["proj.audited"] = audited
    try:
        logger = get_logger("proj.audited")
        assert logger is audited
        records: list[logging.LogRecord] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)

        logger.addHandler(Keep())
        logger.info("charged", amount=3, name="n")
    finally:
        del logging.Logger.manager.loggerDict["proj.audited"]
    assert calls == ["audited"]
    assert records[0].__dict__["amount"] == 3
    assert records[0].name == "proj.audited"
    assert reserved_fields(records[0]) == {"name": "n"}
    assert not [key for key in vars(records[0]) if key.startswith("_logkit")]


def test_a_logger_class_with_its_own_find_caller_keeps_it() -> None:
    class Located(logging.Logger):
        def findCaller(
            self, stack_info: bool = False, stacklevel: int = 1
        ) -> tuple[str, int, str, str | None]:
            return ("custom.py", 42, "custom_fn", None)

    located = Located("proj.located")
    logging.Logger.manager.loggerDict["proj.located"] = located
    try:
        records: list[logging.LogRecord] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)

        logger = get_logger("proj.located")
        logger.addHandler(Keep())
        logger.warning("here", amount=1)
    finally:
        del logging.Logger.manager.loggerDict["proj.located"]
    assert (records[0].funcName, records[0].lineno) == ("custom_fn", 42)
    assert records[0].__dict__["amount"] == 1


def test_a_new_logger_is_made_structured_and_the_registry_is_left_as_it_was() -> None:
    manager = logging.Logger.manager
    logger = get_task_logger("proj.tasks.made_structured")
    assert type(logger) is StructuredLogger
    assert manager.loggerClass is None
    assert type(logging.getLogger("proj.tasks.made_plain")) is logging.Logger
    with pytest.raises(RuntimeError):
        get_task_logger("celery.task")
    assert manager.loggerClass is None


def test_a_new_logger_takes_its_place_in_the_hierarchy() -> None:
    child = logging.getLogger("proj.placeholder.child")
    logger = get_logger("proj.placeholder")
    assert child.parent is logger
    assert logger.parent is logging.root
    assert get_logger(None) is logging.root
    assert get_logger("root") is logging.root


def test_an_app_logger_class_already_structured_is_kept_as_it_is() -> None:
    class AppLogger(StructuredLogger):
        pass

    assert type(made_with_logger_class(AppLogger, "proj.tasks.app_structured")) is AppLogger


class TestRecordsAnyFormatterReads:
    """Keyword fields and the task context are record attributes other formatters print."""

    @pytest.fixture
    def lines(self) -> Iterator[dict[str, io.StringIO]]:
        streams = {"pjl": io.StringIO(), "ecs": io.StringIO()}
        formatters = {"pjl": PjlJsonFormatter(), "ecs": StdlibFormatter()}
        handlers = []
        for kind, stream in streams.items():
            handler = logging.StreamHandler(stream)
            handler.setFormatter(formatters[kind])
            handlers.append(handler)
        root = logging.getLogger()
        old_level = root.level
        root.setLevel(logging.INFO)
        for handler in handlers:
            root.addHandler(handler)
        add_to_foreign_handlers(lambda formatter: isinstance(formatter, LineFormatter))
        request = SimpleNamespace(id="t-1", retries=0, hostname="w@h")
        task_started(SimpleNamespace(name="proj.charge", request=request))
        try:
            yield streams
        finally:
            task_ended()
            for handler in handlers:
                root.removeHandler(handler)
            root.setLevel(old_level)

    @staticmethod
    def line(stream: io.StringIO, message: str) -> dict[str, Any]:
        found = [json.loads(line) for line in stream.getvalue().splitlines()]
        return next(line for line in found if message in json.dumps(line))

    @pytest.mark.parametrize("kind", ["pjl", "ecs"])
    def test_keyword_fields_and_the_task_context(
        self, lines: dict[str, io.StringIO], kind: str
    ) -> None:
        get_task_logger("proj.tasks.others").info("charged card", order_id=7)
        line = self.line(lines[kind], "charged card")
        assert (line["order_id"], line["task_id"], line["task_name"]) == (7, "t-1", "proj.charge")
        assert line["retries"] == 0
        assert not [key for key in line if key.startswith("_logkit")]

    @pytest.mark.parametrize("kind", ["pjl", "ecs"])
    def test_any_logger_carries_the_task_context(
        self, lines: dict[str, io.StringIO], kind: str
    ) -> None:
        logging.getLogger("thirdparty.client").warning("retrying", extra={"attempt": 2})
        logging.getLogger("celery.app.trace").info("celery's own")
        line = self.line(lines[kind], "retrying")
        assert (line["attempt"], line["task_id"], line["task_name"]) == (2, "t-1", "proj.charge")
        assert self.line(lines[kind], "celery's own")["task_id"] == "t-1"

    def test_the_callers_extra_wins_over_the_task_context(
        self, lines: dict[str, io.StringIO]
    ) -> None:
        logging.getLogger("thirdparty.client").info("other", extra={"task_id": "mine"})
        get_task_logger("proj.tasks.others").info("keyword", task_name="mine too")
        assert self.line(lines["pjl"], "other")["task_id"] == "mine"
        assert self.line(lines["pjl"], "keyword")["task_name"] == "mine too"

    def test_fields_named_like_record_attributes_stay_ours(
        self, lines: dict[str, io.StringIO], captured: Captured
    ) -> None:
        get_task_logger("proj.tasks.others").info("named", name="n", args=[1], order_id=7)
        theirs = self.line(lines["pjl"], "named")
        assert theirs["order_id"] == 7
        assert "name" not in theirs
        assert "args" not in theirs
        assert not [key for key in theirs if key.startswith("_logkit")]
        assert self.line(lines["ecs"], "named")["log"]["logger"] == "proj.tasks.others"
        ours = captured.one("named")
        assert (ours["name"], ours["args"], ours["order_id"]) == ("n", [1], 7)
        assert (ours["task_id"], ours["logger"]) == ("t-1", "proj.tasks.others")
        assert "extra" not in ours, "the task context on the record is no conflict"


def test_a_side_formatter_sees_the_callers_secrets_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PjlJsonFormatter())
    handler.addFilter(celery_logkit.TaskContextFilter())
    logger = get_logger("proj.tasks.side_secrets")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("login", api_key="k1", extra={"password": "p1", "nested": {"token": "t"}})
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert (line["api_key"], line["password"]) == ("[REDACTED]", "[REDACTED]")
    assert line["nested"] == {"token": "[REDACTED]"}
