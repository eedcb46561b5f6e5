"""``celery_logkit.testing``: capture the structured records, in eager mode and with a
worker thread, as a context manager and as the ``logkit_logs`` pytest fixture."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, signals

import celery_logkit
from celery_logkit import _install
from celery_logkit._context import TASK_FIELDS
from celery_logkit.testing import CapturedLogs, capture_logs

pytest_plugins = ("pytester", "celery.contrib.pytest")


log = celery_logkit.get_task_logger("testing_app.tasks")
plain = logging.getLogger("testing_app.plain")


@contextlib.contextmanager
def installed(app: Celery, **options: Any) -> Iterator[Celery]:
    """``install(app)``, then give the process's installation back as it was."""
    previous = _install._installation
    before = None if previous is None else (previous.app, dict(previous.given))
    celery_logkit.install(app, **options)
    try:
        yield app
    finally:
        if before is not None:
            celery_logkit.install(before[0], **before[1])


@pytest.fixture(scope="module")
def app() -> Iterator[Celery]:
    app = Celery("testing_app", set_as_current=False)
    app.conf.task_always_eager = True

    @app.task(name="testing_app.charge")
    def charge(order_id: int, card_token: str) -> int:
        log.info("charging card", order_id=order_id, card_token=card_token)
        plain.info("plain line")
        return order_id

    @app.task(name="testing_app.boom")
    def boom() -> None:
        try:
            raise KeyError("missing")
        except KeyError:
            log.exception("lookup failed")
        raise RuntimeError("boom")

    with installed(app):
        yield app


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put back every logger as it was: celery's worker fixture reconfigures them."""
    from celery.app.log import Logging

    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in loggers]
    setup = Logging._setup
    yield
    Logging._setup = setup
    for lg, handlers, level, propagate, disabled in saved:
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled


def events(logs: list[dict[str, Any]], task_id: str | None = None) -> list[str]:
    return [r["event"] for r in logs if "event" in r and r.get("task_id") == task_id]


# -- eager tasks ---------------------------------------------------------------------


def test_eager_delay_captures_task_plain_and_lifecycle_records(app: Celery) -> None:
    with capture_logs() as logs:
        result = app.tasks["testing_app.charge"].delay(7, card_token="tok_4242")
        plain.info("after the task")

    line = logs.matching(message="charging card")[0]
    assert line["task_id"] == result.id
    assert line["task_name"] == "testing_app.charge"
    assert line["logger"] == "testing_app.tasks"
    assert line["level"] == "info"
    assert line["order_id"] == 7
    assert logs.matching(message="plain line", task_id=result.id)
    assert not set(TASK_FIELDS) & set(logs.matching(message="after the task")[0])
    assert events(logs, result.id) == ["task_started", "task_succeeded"]
    succeeded = logs.matching(event="task_succeeded")[0]
    assert succeeded["logger"] == "celery_logkit.lifecycle"
    assert isinstance(succeeded["duration_ms"], float)


def test_records_are_the_default_schema_lines(app: Celery, logkit_logs: CapturedLogs) -> None:
    app.tasks["testing_app.charge"].apply(args=(8, "tok"))
    for record in logkit_logs:
        assert type(record) is dict
        assert list(record)[:4] == ["timestamp", "level", "logger", "message"]
        assert json.loads(json.dumps(record)) == record


def test_failures_carry_the_error(app: Celery, logkit_logs: CapturedLogs) -> None:
    result = app.tasks["testing_app.boom"].apply()

    assert result.failed()
    logged = logkit_logs.matching(message="lookup failed")[0]
    assert logged["error"]["type"] == "KeyError"
    assert "Traceback" in logged["error"]["stack_trace"]
    (failed,) = logkit_logs.matching(event="task_failed", task_id=result.id)
    assert failed["level"] == "error"
    assert failed["error"]["type"] == "RuntimeError"
    assert failed["error"]["message"] == "boom"


# -- redaction -----------------------------------------------------------------------


def test_secrets_are_redacted_as_in_production(app: Celery, logkit_logs: CapturedLogs) -> None:
    with celery_logkit.bound_contextvars(session_id="s-secret"):
        app.tasks["testing_app.charge"].delay(1, card_token="tok_secret")
        plain.info("login", extra={"password": "hunter2", "nested": {"api_key": "k-secret"}})

    line = logkit_logs.matching(message="charging card")[0]
    assert line["card_token"] == "[REDACTED]"
    assert line["session_id"] == "[REDACTED]"
    login = logkit_logs.matching(message="login")[0]
    assert login["password"] == "[REDACTED]"
    assert login["nested"] == {"api_key": "[REDACTED]"}
    text = json.dumps(list(logkit_logs))
    assert "secret" not in text
    assert "hunter2" not in text


def test_the_installed_redact_keys_apply(app: Celery) -> None:
    with (
        installed(app, redact_keys=[*celery_logkit.DEFAULT_REDACT_KEYS, "pin"]),
        capture_logs() as logs,
    ):
        plain.info("card", extra={"pin": "1234", "password": "p"})
    with capture_logs() as after:
        plain.info("card", extra={"pin": "1234"})

    assert logs[0]["pin"] == logs[0]["password"] == "[REDACTED]"
    assert after[0]["pin"] == "1234"


def test_works_without_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_install, "_installation", None)
    with capture_logs() as logs:
        plain.info("no app", extra={"token": "t", "order_id": 3})

    (record,) = logs
    assert record["message"] == "no app"
    assert record["order_id"] == 3
    assert record["token"] == "[REDACTED]"


# -- levels, handlers, restore -------------------------------------------------------


@pytest.fixture
def quiet_loggers() -> Iterator[tuple[logging.Logger, logging.Logger, logging.Handler]]:
    """A logger at ERROR and a non-propagating logger with a handler of its own."""
    quiet = logging.getLogger("testing_app.quiet")
    quiet.setLevel(logging.ERROR)
    isolated = logging.getLogger("testing_app.isolated")
    own = logging.NullHandler()
    isolated.addHandler(own)
    isolated.propagate = False
    isolated.setLevel(logging.WARNING)
    yield quiet, isolated, own
    quiet.setLevel(logging.NOTSET)
    isolated.removeHandler(own)
    isolated.propagate = True
    isolated.setLevel(logging.NOTSET)


def test_levels_that_would_filter_info_are_lowered_then_restored(
    quiet_loggers: tuple[logging.Logger, logging.Logger, logging.Handler],
) -> None:
    quiet, isolated, own = quiet_loggers
    root = logging.getLogger()
    before = [(lg, lg.level, lg.propagate, lg.handlers[:]) for lg in (root, quiet, isolated)]

    with capture_logs() as logs:
        quiet.info("from a logger at ERROR")
        isolated.info("from a logger that does not propagate")
        logging.getLogger("testing_app.quiet.child").info("from its child")
        quiet.debug("below the capture's level")

    assert [r["message"] for r in logs] == [
        "from a logger at ERROR",
        "from a logger that does not propagate",
        "from its child",
    ]
    assert [(lg, lg.level, lg.propagate, lg.handlers) for lg in (root, quiet, isolated)] == before
    assert own in isolated.handlers
    quiet.error("after the capture")
    assert len(logs) == 3


def test_level_argument(quiet_loggers: tuple[logging.Logger, ...]) -> None:
    quiet = quiet_loggers[0]
    with capture_logs(level="DEBUG") as debug, capture_logs(level=logging.WARNING) as warning:
        quiet.debug("d")
        quiet.info("i")
        quiet.warning("w")

    assert [r["message"] for r in debug] == ["d", "i", "w"]
    assert [r["message"] for r in warning] == ["w"]
    assert quiet.level == logging.ERROR
    for bad in ("LOUD", -1, True, 2.5):
        with pytest.raises(ValueError, match="not a level"):
            capture_logs(level=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown schema"):
        capture_logs(schema="gelf")


def test_captures_nest_and_repeat() -> None:
    root = logging.getLogger()
    level = root.level
    with capture_logs() as outer:
        plain.info("one")
        with capture_logs(level="DEBUG") as inner:
            plain.debug("two")
            assert root.level == logging.DEBUG
        assert root.level == logging.INFO
        plain.debug("three")
        plain.info("four")
    with capture_logs() as again:
        plain.info("five")

    assert [r["message"] for r in outer] == ["one", "four"]
    assert [r["message"] for r in inner] == ["two"]
    assert [r["message"] for r in again] == ["five"]
    assert root.level == level
    assert not [h for h in root.handlers if type(h).__name__ == "_CaptureHandler"]


def test_celery_setting_up_logging_mid_capture_does_not_stop_it(restore_logging: None) -> None:
    other = Celery("testing_setup", set_as_current=False)
    task_logger = logging.getLogger("celery.task")
    with capture_logs() as logs:
        type(other.log)._setup = False
        other.log.setup(loglevel="ERROR")  # what a worker does: hijack root, ERROR, no propagation
        assert not task_logger.propagate
        log.info("from a task logger")
        plain.info("from a plain logger")
    assert [r["message"] for r in logs] == ["from a task logger", "from a plain logger"]
    assert task_logger.level == logging.ERROR, "the level celery set is given back"


def test_levels_set_before_a_worker_starts_are_lowered_again(restore_logging: None) -> None:
    with capture_logs() as logs:
        logging.getLogger().setLevel(logging.ERROR)  # an app's own setup_logging receiver
        signals.worker_init.send(sender=None)
        plain.info("kept")
    assert [r["message"] for r in logs] == ["kept"]
    assert logging.getLogger().level == logging.ERROR


def test_one_capture_cannot_be_entered_twice() -> None:
    capture = capture_logs()
    with capture, pytest.raises(RuntimeError, match="already active"):
        capture.__enter__()


def test_another_schema() -> None:
    with capture_logs(schema="ecs") as logs:
        plain.warning("ecs line")
    assert logs[0]["log.level"] == "warning"
    assert logs[0]["message"] == "ecs line"


def test_wait_for_awaits_another_thread_and_fails_clearly() -> None:
    with capture_logs() as logs:
        writer = threading.Timer(0.05, plain.info, ("late line",))
        writer.start()
        assert logs.wait_for(message="late line", timeout=5)["logger"] == plain.name
        writer.join()
        with pytest.raises(AssertionError, match=r"no record with .*'never'"):
            logs.wait_for(message="never", timeout=0.05)


# -- celery's pytest worker fixture ----------------------------------------------------


def test_celery_worker_fixture(
    restore_logging: None,  # the worker sets levels to ERROR, celery.task stops propagating
    logkit_logs: CapturedLogs,
    celery_app: Celery,
    celery_worker: Any,
) -> None:
    @celery_app.task(name="testing_app.add")
    def add(x: int, y: int) -> int:
        log.info("adding", x=x, password="p")
        return x + y

    with installed(celery_app):
        celery_worker.reload()
        result = add.delay(2, 3)
        assert result.get(timeout=10) == 5
        done = logkit_logs.wait_for(event="task_succeeded", task_id=result.id)

    assert done["queue"] == "celery"
    assert done["worker"], "celery's test worker gives its host name"
    line = logkit_logs.matching(message="adding")[0]
    assert (line["task_id"], line["task_name"], line["x"]) == (result.id, "testing_app.add", 2)
    assert line["password"] == "[REDACTED]"
    assert events(logkit_logs, result.id) == ["task_started", "task_succeeded"]
    (enqueued,) = logkit_logs.matching(event="task_enqueued", child_task_id=result.id)
    assert enqueued["child_task_name"] == "testing_app.add"
    assert [r for r in logkit_logs if r["logger"].startswith("celery.worker")], "celery's own"


# -- the pytest plugin, as a project that installed celery-logkit sees it --------------


# The README's examples of these run in test_readme.py.


def test_the_plugin_loads_from_the_entry_point_cheaply(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlog_level = WARNING\n")
    pytester.makeconftest(
        """
        import sys

        def pytest_report_header(config):
            loaded = config.pluginmanager.hasplugin("celery_logkit")
            return f"logkit plugin: {loaded}, imports: {'celery_logkit' in sys.modules}"
        """
    )
    pytester.makepyfile(
        """
        import logging

        def test_info_is_captured_despite_log_level(logkit_logs):
            logging.getLogger("app").info("kept", extra={"password": "p"})
            assert logkit_logs[-1]["message"] == "kept"
            assert logkit_logs[-1]["password"] == "[REDACTED]"

        def test_levels_are_back_after_the_fixture():
            assert logging.getLogger().level == logging.WARNING
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(["logkit plugin: True, imports: False"])
    result.assert_outcomes(passed=2)
