"""Real workers next to logging set-ups and tracers the app already has."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .harness import HERE, Broker, Record, Worker, event_name, text_of
from .helpers import make_broker

RECIPES = HERE.parents[1] / "docs" / "recipes"
PAGES = [RECIPES / "dictconfig.md", RECIPES / "structlog.md"]
"""The recipes whose ``# appended to proj/celery.py`` snippets this module runs."""

pytestmark = pytest.mark.worker


class FakeAgent:
    """A Datadog Agent on loopback that accepts whatever ddtrace sends it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        agent = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                agent.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_PUT = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeAgent:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def agent() -> Iterator[FakeAgent]:
    with FakeAgent() as running:
        yield running


def ddtrace_env(agent: FakeAgent, schema: str) -> dict[str, str]:
    return {
        "LOGKIT_DDTRACE": "1",
        "LOGKIT_SCHEMA": schema,
        "DD_LOGS_INJECTION": "true",
        "DD_TRACE_AGENT_URL": agent.url,
        "DD_TRACE_STARTUP_LOGS": "false",
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
    }


def logger_of(record: Record) -> str:
    logger = record.get("logger") or record.get("log", {}).get("logger")
    return str(logger.get("name") if isinstance(logger, dict) else logger)


def dd_keys(record: Record) -> list[str]:
    """Every key path, at any depth, that names a trace or span id."""
    found: list[str] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else key)
        elif (
            path in {"trace.id", "span.id"}
            or path.startswith("dd.")
            or path.rsplit(".", 1)[-1] in {"trace_id", "span_id"}
        ):
            found.append(path)

    walk(record, "")
    return found


@pytest.mark.parametrize("schema", ["datadog", "default", "ecs"])
def test_ddtrace_patching_celery_and_logging(
    fs_broker: Broker, tmp_path: Path, agent: FakeAgent, schema: str
) -> None:
    worker = Worker(fs_broker, tmp_path, concurrency=1, env=ddtrace_env(agent, schema))
    with worker:
        first = worker.send("log_styles", "tok")
        second = worker.send("add", 1, 2)
        worker.wait_for_task_end(first)
        worker.wait_for_task_end(second)
    assert not worker.not_json, worker.not_json
    assert not [r for r in worker.records if "ddtrace" in logger_of(r)], "no ddtrace errors"
    assert any("traces" in path for path in agent.paths), agent.paths

    traces: dict[str, set[str]] = {}
    for task_id in (first, second):
        lines = worker.task_records(task_id)
        assert [event_name(r) for r in lines if event_name(r)] == [
            "task_started",
            "task_succeeded",
        ]
        for record in lines:
            if schema == "datadog":
                assert dd_keys(record) == ["dd.trace_id", "dd.span_id"], record
                ids = (record["dd"]["trace_id"], record["dd"]["span_id"])
                assert all(isinstance(v, str) and v for v in ids)
                assert record["service"] == "worker_app", "logkit's service, not ddtrace's"
            elif schema == "default":
                assert dd_keys(record) == ["trace_id", "span_id"], record
                ids = (record["trace_id"], record["span_id"])
                assert (len(ids[0]), len(ids[1])) == (32, 16)
            else:
                assert dd_keys(record) == ["trace.id", "span.id"], record
                ids = (record["trace"]["id"], record["span"]["id"])
            traces.setdefault(task_id, set()).add(ids[0])
    assert all(len(ids) == 1 for ids in traces.values()), traces
    assert traces[first] != traces[second], "each task its own trace"
    outside = [r for r in worker.records if "task_id" not in r]
    assert outside
    assert not any(dd_keys(r) for r in outside), "no ids outside a span"


# -- the recipes' "configuring logging yourself" and structlog snippets, in real workers --


APPENDED = "# appended to proj/celery.py\n"
"""The first line of the docs' blocks this module runs (``tests/test_readme.py`` knows it)."""


def recipe_snippets() -> dict[str, str]:
    """The recipes' snippets appended to ``proj/celery.py``, by the heading (or bold lead)
    above them."""
    snippets: dict[str, str] = {}
    for page in PAGES:
        title = ""
        for chunk in re.split(r"(^```python\n.*?^```$)", page.read_text(), flags=re.S | re.M):
            if chunk.startswith(f"```python\n{APPENDED}"):
                snippets[title] = chunk.removeprefix("```python\n").removesuffix("```")
            else:
                heads = re.findall(r"^##+ (.+)$|^\*\*(.+?)\*\*", chunk, flags=re.M)
                if heads:
                    title = next(h for h in heads[-1] if h)
    return snippets


SNIPPETS = recipe_snippets()


def snippet_worker(title: str, broker: Broker, tmp_path: Path) -> Worker:
    """A worker of the harness's app (logkit installed) with the recipe's snippet appended."""
    code = "from worker_app import app  # noqa: F401\n\n" + SNIPPETS[title]
    (tmp_path / "coexist_app.py").write_text(code)
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(HERE)])}
    return Worker(broker, tmp_path, app="coexist_app", cwd=tmp_path, env=env)


def test_the_sections_snippets_are_all_run_here() -> None:
    assert sorted(SNIPPETS) == sorted(
        [
            "celery's `setup_logging` signal",
            "`worker_hijack_root_logger = False`",
            "structlog → `logging` → `ProcessorFormatter`",
            "logkit's line for structlog's events",
            "structlog rendering its own lines",
        ]
    )


def test_the_logging_dict_snippet_configures_json(tmp_path: Path) -> None:
    text = PAGES[0].read_text()
    block = re.search(r"^```python\n(LOGGING = .*?)^```$", text, flags=re.S | re.M)
    assert block is not None
    code = (
        block[1]
        + "import logging, logging.config\nlogging.config.dictConfig(LOGGING)\n"
        + "logging.getLogger('proj').info('configured', extra={'order_id': 7})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    line = json.loads(done.stderr)
    assert (line["message"], line["order_id"], line["logger"]) == ("configured", 7, "proj")


RESTORING = re.compile(r"^Restoring \d+ unacknowledged message\(s\)$")
"""kombu 5.3's shutdown notice, printed to ``sys.stderr`` (kombu 5.4+ logs it): with the
app's own logging set-up nothing redirects it, as with any ``print()``."""


def assert_all_json(worker: Worker) -> None:
    bad = [
        f"{line.stream}: {line.text!r}"
        for line in worker.not_json
        if not RESTORING.match(line.text.strip())
    ]
    assert not bad, "lines that are not JSON objects:\n" + "\n".join(bad)


def test_setup_logging_signal_keeps_the_apps_handlers(fs_broker: Broker, tmp_path: Path) -> None:
    worker = snippet_worker("celery's `setup_logging` signal", fs_broker, tmp_path)
    with worker:
        task_id = worker.send("add", 1, 2)
        worker.wait_for_task_end(task_id)
    assert_all_json(worker)
    lines = worker.task_records(task_id)
    assert all("ecs.version" in r for r in lines), "the app's JsonFormatter(schema=ecs)"
    assert [event_name(r) for r in lines if event_name(r)] == ["task_started", "task_succeeded"]
    (adding,) = [r for r in lines if r["message"] == "adding"]
    assert adding["task_name"] == "worker_app.add"
    assert any(r["message"].startswith("Worker ") for r in worker.records), "the banner record"

    text = (tmp_path / "worker.log").read_text().splitlines()
    assert "INFO worker_app adding" in text, "the app's file keeps its own format"
    assert any(t.startswith("INFO celery_logkit.lifecycle Task worker_app.add[") for t in text)
    assert not [t for t in text if t.startswith("{")]


def test_root_handlers_kept_without_hijack(fs_broker: Broker, tmp_path: Path) -> None:
    worker = snippet_worker("`worker_hijack_root_logger = False`", fs_broker, tmp_path)
    with worker:
        task_id = worker.send("log_styles", "tok")
        worker.wait_for_task_end(task_id)
    assert_all_json(worker)
    lines = {r["message"]: r for r in worker.task_records(task_id)}
    for message in ("percent style tok 7", "third-party library line", "print line tok"):
        assert lines[message]["task_name"] == "worker_app.log_styles", message
    messages = [r["message"] for r in worker.records]
    assert messages.count("percent style tok 7") == 1, "celery.task does not propagate"
    assert messages.count("third-party library line") == 1

    text = (tmp_path / "debug.log").read_text().splitlines()
    assert "WARNING thirdparty.client third-party library line" in text
    assert "WARNING celery.redirected print line tok" in text
    assert "INFO worker_app percent style tok 7" not in text, "task loggers: celery's handler"
    assert not [t for t in text if t.startswith("{")]


def send_charge(worker: Worker) -> str:
    """Send the snippet's task; wait for its success line, whoever renders it."""
    sent = worker.producer().send_task("coexist_app.charge", args=(7,))
    worker.wait_for(lambda r: r.get("task_id") == sent.id and " succeeded in " in text_of(r))
    return str(sent.id)


def test_structlog_processor_formatter_keeps_its_renderer(
    fs_broker: Broker, tmp_path: Path
) -> None:
    worker = snippet_worker("structlog → `logging` → `ProcessorFormatter`", fs_broker, tmp_path)
    with worker:
        task_id = send_charge(worker)
    assert_all_json(worker)
    (charging,) = [r for r in worker.records if r.get("event") == "charging"]
    assert charging["order_id"] == 7
    assert (charging["task_id"], charging["task_name"]) == (task_id, "coexist_app.charge")
    assert charging["level"] == "info"
    assert "message" not in charging, "structlog's renderer, not logkit's"
    (succeeded,) = [r for r in worker.task_records(task_id) if "succeeded" in str(r.get("event"))]
    assert succeeded["event"].startswith(f"Task coexist_app.charge[{task_id}] succeeded")


def test_json_formatter_renders_structlog_events(fs_broker: Broker, tmp_path: Path) -> None:
    worker = snippet_worker("logkit's line for structlog's events", fs_broker, tmp_path)
    with worker:
        task_id = send_charge(worker)
    assert_all_json(worker)
    (charging,) = [r for r in worker.records if r.get("message") == "charging"]
    assert charging["logger"] == "proj.tasks"
    assert charging["level"] == "info"
    assert (charging["task_id"], charging["task_name"]) == (task_id, "coexist_app.charge")
    assert charging["order_id"] == 7
    assert "conflicts" not in charging
    assert "event" not in charging


def test_structlog_native_rendering_gets_the_context(fs_broker: Broker, tmp_path: Path) -> None:
    worker = snippet_worker("structlog rendering its own lines", fs_broker, tmp_path)
    with worker:
        task_id = send_charge(worker)
    assert_all_json(worker)
    (charging,) = [r for r in worker.records if "charging" in json.dumps(r)]
    assert charging["event"] == "charging"
    assert (charging["task_id"], charging["task_name"]) == (task_id, "coexist_app.charge")
    assert charging in [line.record for line in worker.lines if line.stream == "stdout"]
    redirected = [r for r in worker.records if r.get("logger") == "celery.redirected"]
    assert not [r for r in redirected if not RESTORING.match(r["message"])]


def keys_at_any_depth(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, member in value.items():
            yield key
            yield from keys_at_any_depth(member)
    elif isinstance(value, list):
        for member in value:
            yield from keys_at_any_depth(member)


def texts_at_any_depth(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for member in value.values() if isinstance(value, dict) else value:
            yield from texts_at_any_depth(member)


@pytest.mark.parametrize("broker_name", ["redis"])
def test_side_json_formatters_read_the_task_from_the_record(
    broker_name: str, tmp_path: Path
) -> None:
    """The app adds python-json-logger's and ecs-logging's formatters to the root logger in
    ``after_setup_logger``: their lines carry the task and the caller's fields, nothing
    of logkit's own making, and a failure's stack once."""
    side = tmp_path / "side"
    side.mkdir()
    broker = make_broker(broker_name, tmp_path)
    env = {"LOGKIT_SIDE_FILES": str(side)}
    with Worker(broker, tmp_path, concurrency=1, env=env) as worker:
        charged_id = worker.send("charged", 7)
        failed_id = worker.send("fail", "side")
        for task_id in (charged_id, failed_id):
            worker.wait_for_task_end(task_id)
    assert_all_json(worker)

    for name in ("pjl.log", "ecs.log"):
        text = (side / name).read_text()  # the app's handlers, in its own formats
        records = [json.loads(line) for line in text.splitlines()]
        assert records, f"{name} is empty"
        for message in ("charged", "plain charged"):
            (line,) = [r for r in records if r.get("message") == message]
            assert line["order_id"] == 7, (name, line)
            assert line.get("task_id") == charged_id, (name, line)
            assert line.get("task_name") == "worker_app.charged", (name, line)
        ours = {k for r in records for k in keys_at_any_depth(r) if k.startswith("_logkit")}
        assert not ours, (name, ours)
        raising = 'raise ZeroDivisionError(f"boom {token}")'  # the failing frame's source
        stacks = sum(t.count(raising) for t in texts_at_any_depth(records))
        assert stacks == 1, (name, text)
