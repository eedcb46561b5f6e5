"""The README's main job: the quickstart runs a real worker and exits 0 by itself."""

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
    ended = [r for r in records if r["logger"] == "celery.app.trace"]
    assert sorted(r["task_name"] for r in ended) == [
        "quickstart_app.charge",
        "quickstart_app.divide",
        "quickstart_app.flaky_fetch",
        "quickstart_app.flaky_fetch",
    ]
    assert all(r["task_id"] for r in ended)
    assert any(r.get("error", {}).get("type") == "ZeroDivisionError" for r in ended)
