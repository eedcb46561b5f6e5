"""The README's main job: the quickstart runs a real worker and exits 0 by itself.

The documentation's other code blocks are run or checked by test_readme.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
