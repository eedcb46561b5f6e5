"""The README's main job: the quickstart runs a real worker and exits 0 by itself.

Its lines are the real lines docs/lifecycle.md shows. The documentation's other code
blocks are run or checked by test_readme.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .markdown import blocks

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.worker
def test_quickstart_prints_json_lines_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    records = [json.loads(line) for line in done.stdout.splitlines()]
    events = [(r["event"], r["task_name"]) for r in records if "task_name" in r and "event" in r]
    assert sorted(events) == [
        ("task_enqueued", "quickstart_app.flaky_fetch"),  # the retry, published by itself
        ("task_failed", "quickstart_app.divide"),
        ("task_retrying", "quickstart_app.flaky_fetch"),
        ("task_started", "quickstart_app.charge"),
        ("task_started", "quickstart_app.divide"),
        ("task_started", "quickstart_app.flaky_fetch"),
        ("task_started", "quickstart_app.flaky_fetch"),
        ("task_succeeded", "quickstart_app.charge"),
        ("task_succeeded", "quickstart_app.flaky_fetch"),
    ]
    failed = next(r for r in records if r.get("event") == "task_failed")
    assert failed["error"]["type"] == "ZeroDivisionError"
    assert_lifecycle_page_shows(records)


VARYING = {"timestamp", "task_id", "root_id", "parent_id", "child_task_id", "queue", "worker"}
"""Keys whose values differ from run to run: compared by type (and ids by equality among
themselves, through the message)."""
TIMINGS = {"queue_wait_ms", "duration_ms"}


def assert_lifecycle_page_shows(records: list[dict[str, Any]]) -> None:
    """docs/lifecycle.md's real lines are the quickstart's: same keys in the same order,
    the same values but for ids, times, the queue and the stack's paths."""
    (block,) = blocks(ROOT / "docs" / "lifecycle.md", "json")
    shown = [json.loads(line) for line in block.code.splitlines()]
    assert len(shown) >= 5, shown
    for line in shown:
        key = (line["event"], line["task_name"], line["retries"])
        real = next(
            r for r in records if (r.get("event"), r.get("task_name"), r.get("retries")) == key
        )
        assert list(line) == list(real), (line, real)
        for name, value in line.items():
            if name in VARYING | TIMINGS | {"message", "routing_key"}:
                assert type(value) is type(real[name]), (name, value, real[name])
            elif name == "error":
                assert (value["type"], value["message"]) == (
                    real[name]["type"],
                    real[name]["message"],
                )
                last = value["stack_trace"].splitlines()[-1]
                assert real[name]["stack_trace"].splitlines()[-1] == last
            else:
                assert value == real[name], (name, value, real[name])
        ids = re.compile(r"\[[0-9a-f-]{36}\]|in [\d.]+ ms")
        assert ids.sub("", line["message"]) == ids.sub("", real["message"]), (line, real)
