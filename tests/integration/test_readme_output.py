"""The README's before/after is what a real worker writes.

The README's own ``proj/celery.py`` and ``proj/tasks.py`` run in a real worker twice:
without the ``install(app)`` line (celery's text) and as shown. The README's lines are
compared with the worker's: the same text once ids and times are masked, the same keys
in the same order, and the same values except ids, times and names of the machine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ..markdown import README, blocks, write_project
from .harness import Worker
from .helpers import filesystem_broker

TASK = "proj.tasks.charge"
INSTALL_LINE = "celery_logkit.install(app)"
WRAPPER = '''\
"""The README's app, on the broker and queue the test harness chose."""
import json
import os

from proj.celery import app
import proj.tasks  # noqa: F401

settings = {name: os.environ.pop(name, "") for name in (
    "LOGKIT_BROKER_URL", "LOGKIT_BROKER_OPTIONS", "LOGKIT_QUEUE", "LOGKIT_RESULT_BACKEND",
    "LOGKIT_RENDEZVOUS_DIR",
)}
app.conf.update(
    broker_url=settings["LOGKIT_BROKER_URL"],
    broker_transport_options=json.loads(settings["LOGKIT_BROKER_OPTIONS"]),
    task_default_queue=settings["LOGKIT_QUEUE"],
    broker_connection_retry_on_startup=True,
)
'''
# Values that differ from run to run: compared by type only.
VARYING = {"timestamp", "task_id", "root_id", "queue", "worker", "queue_wait_ms", "duration_ms"}
_MASKS = [
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.]\d{3}Z?"), "<time>"),
    (re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}|[0-9a-f]{8}-\.\.\."), "<id>"),
    (re.compile(r"ForkPoolWorker-\d+"), "ForkPoolWorker-<n>"),
    (re.compile(r"in \d+(?:\.\d+)?(?:s| ms)"), "in <duration>"),
]


def masked(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def readme_before_after() -> tuple[list[str], list[dict[str, Any]]]:
    """The README's ``text`` block of celery's lines and its ``json`` block of logkit's."""
    before = next(b for b in blocks(README) if b.lang == "text")
    after = next(b for b in blocks(README) if b.lang == "json")
    return before.code.splitlines(), [json.loads(line) for line in after.code.splitlines()]


def run_readme_app(tmp_path: Path, *, installed: bool) -> Worker:
    """Run the README's app in a real worker, send it one charge, return the finished worker."""
    folder = tmp_path / ("after" if installed else "before")
    files = write_project(folder)
    if not installed:
        app_module = files["proj/celery.py"].read_text()
        assert INSTALL_LINE in app_module
        files["proj/celery.py"].write_text(app_module.replace(INSTALL_LINE, ""))
    (folder / "readme_worker.py").write_text(WRAPPER)
    worker = Worker(
        filesystem_broker(folder),
        folder,
        app="readme_worker",
        cwd=folder,
        env={"PYTHONPATH": str(folder)},
    )
    worker.start(wait_ready=False)
    try:
        worker.wait_for_line(lambda line: " ready." in line.text)
        sent = worker.producer().send_task(TASK, args=(7, 9.5), kwargs={"card_token": "tok_4242"})
        worker.wait_for_line(lambda line: sent.id in line.text and "succeeded in" in line.text)
    finally:
        worker.stop()
    return worker


@pytest.mark.worker
def test_the_before_lines_are_celerys_own(tmp_path: Path) -> None:
    shown, _ = readme_before_after()
    worker = run_readme_app(tmp_path, installed=False)
    written = {masked(line.text) for line in worker.lines if line.stream == "stderr"}
    assert shown, "the README shows no 'before' lines"
    for line in shown:
        assert masked(line) in written, f"celery never wrote {line!r}; it wrote {written}"


@pytest.mark.worker
def test_the_after_lines_are_the_workers_own(tmp_path: Path) -> None:
    _, shown = readme_before_after()
    worker = run_readme_app(tmp_path, installed=True)
    assert worker.not_json == [], worker.not_json
    written = [r for r in worker.records if r.get("task_name") == TASK]
    assert [r.get("event") for r in shown] == [r.get("event") for r in written]
    for readme, real in zip(shown, written, strict=True):
        assert list(readme) == list(real), (readme, real)
        for key, value in readme.items():
            if key in VARYING:
                assert type(value) is type(real[key]), (key, value, real[key])
            elif key == "message":
                assert masked(value) == masked(real[key]), (value, real[key])
            else:
                assert value == real[key], (key, value, real[key])
